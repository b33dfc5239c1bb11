//! IR -> flat code.
//!
//! `with` blocks, `try/finally` and `except` handlers are compiled the way
//! CPython does: a `return`, `break` or `continue` that leaves them runs
//! their exit code inline, and an exception reaches their handler through a
//! block pushed by [`Instr::SetupExcept`].

use std::sync::Arc;

use crate::code::{Code, Compiled, Instr};
use crate::ir::*;
use crate::value::Value;
use crate::ModelError;

pub fn compile(p: &Program) -> Result<Compiled, ModelError> {
    let mut funcs = Vec::with_capacity(p.functions.len());
    let mut defaults = Vec::with_capacity(p.functions.len());
    for f in &p.functions {
        let mut fc = Fc::new(f.name.clone(), f.locals.len() as u32, f.span);
        fc.code.nparams = f.params.len() as u32;
        fc.block(&f.body)?;
        fc.emit(Instr::Const(Value::None));
        fc.emit(Instr::Return);
        funcs.push(fc.code);
        defaults
            .push(f.params.iter().map(|p| p.default.as_ref().map(const_value).transpose()).collect::<Result<_, _>>()?);
    }
    let mut fc = Fc::new("<module>".into(), 0, Span::default());
    fc.block(&p.main)?;
    fc.emit(Instr::Const(Value::None));
    fc.emit(Instr::Return);
    let mut c = Compiled {
        funcs,
        module: fc.code,
        nglobals: p.globals.len() as u32,
        defaults,
        live: Default::default(),
        exit_unobservable: false,
        sym: Default::default(),
        por: Default::default(),
    };
    c.live = crate::liveness::Live::of(&c);
    c.exit_unobservable = exit_unobservable(&c);
    c.sym = crate::symmetry::analyse(&c);
    c.por = crate::por::analyse(&c);
    if c.sym.eligible {
        c.live = std::mem::take(&mut c.live).with_reduced(&c);
    }
    Ok(c)
}

/// Whether no part of the program can observe when a child exits, other
/// than by waiting for it (see [`crate::Machine::exit_merge`]).
fn exit_unobservable(code: &Compiled) -> bool {
    let observes = |i: &Instr| match i {
        Instr::CallMethod { name, .. } => matches!(&**name, "is_alive" | "terminate" | "kill"),
        Instr::GetAttr(name) => &**name == "exitcode",
        Instr::CallBuiltin(b, ..) => matches!(b, Builtin::ActiveChildren),
        _ => false,
    };
    let all = code.funcs.iter().chain(std::iter::once(&code.module));
    if all.clone().flat_map(|c| &c.instrs).any(observes) {
        return false;
    }
    if code.funcs.iter().flat_map(|c| &c.instrs).any(|i| matches!(i, Instr::CallBuiltin(Builtin::Process, ..))) {
        return false;
    }
    // main's own code, and every function it calls, must not sleep
    let mut seen = vec![false; code.funcs.len()];
    let mut todo = vec![&code.module];
    while let Some(c) = todo.pop() {
        for i in &c.instrs {
            match i {
                Instr::CallBuiltin(Builtin::Sleep, ..) => return false,
                Instr::CallFunc(f, _) if !seen[*f as usize] => {
                    seen[*f as usize] = true;
                    todo.push(&code.funcs[*f as usize]);
                }
                _ => {}
            }
        }
    }
    true
}

pub fn const_to_value(c: &Const) -> Value {
    match c {
        Const::None => Value::None,
        Const::Bool(b) => Value::Bool(*b),
        Const::Int(i) => Value::Int(*i),
        Const::Float(f) => Value::Float(*f),
        Const::Str(s) => Value::Str(s.clone()),
    }
}

fn const_value(e: &Expr) -> Result<Value, ModelError> {
    match &e.kind {
        ExprKind::Const(c) => Ok(const_to_value(c)),
        ExprKind::Unary(UnaryOp::Neg, inner) => match &inner.kind {
            ExprKind::Const(Const::Int(i)) => Ok(Value::Int(-i)),
            _ => Err(ModelError::new(e.span, "a default value must be a constant")),
        },
        ExprKind::Tuple(items) => Ok(Value::tuple(items.iter().map(const_value).collect::<Result<_, _>>()?)),
        _ => Err(ModelError::new(e.span, "a default value must be a constant")),
    }
}

/// What a `return`, `break` or `continue` must undo on its way out.
enum Cleanup {
    /// A try body with `except` handlers: pop its block.
    Except,
    /// A `with` block: pop its block and exit the context kept in a slot.
    With(u32),
    /// A `finally`: pop its block and run the body inline.
    Finally(Vec<Stmt>),
}

struct Loop {
    continue_to: u32,
    breaks: Vec<usize>,
    depth: usize,
    is_for: bool,
}

struct Fc {
    code: Code,
    cleanups: Vec<Cleanup>,
    loops: Vec<Loop>,
    /// Slots holding the exception of each enclosing `except` handler.
    handling: Vec<u32>,
    line: u32,
}

impl Fc {
    fn new(name: String, nlocals: u32, span: Span) -> Fc {
        let code = Code { name, nlocals, ..Code::default() };
        Fc { code, cleanups: vec![], loops: vec![], handling: vec![], line: span.line }
    }

    fn emit(&mut self, i: Instr) -> usize {
        self.code.instrs.push(i);
        self.code.lines.push(self.line);
        self.code.instrs.len() - 1
    }

    fn here(&self) -> u32 {
        self.code.instrs.len() as u32
    }

    fn patch(&mut self, at: usize, to: u32) {
        match &mut self.code.instrs[at] {
            Instr::Jump(t)
            | Instr::JumpIfFalse(t)
            | Instr::JumpIfTrue(t)
            | Instr::JumpIfFalseOrPop(t)
            | Instr::JumpIfTrueOrPop(t)
            | Instr::ForIter(t)
            | Instr::SetupExcept(t) => *t = to,
            _ => unreachable!("patching a non-jump"),
        }
    }

    fn temp(&mut self) -> u32 {
        self.code.nlocals += 1;
        self.code.nlocals - 1
    }

    fn block(&mut self, stmts: &[Stmt]) -> Result<(), ModelError> {
        stmts.iter().try_for_each(|s| self.stmt(s))
    }

    fn stmt(&mut self, s: &Stmt) -> Result<(), ModelError> {
        self.line = s.span.line;
        match &s.kind {
            StmtKind::Expr(e) => {
                self.expr(e)?;
                self.emit(Instr::Pop);
            }
            StmtKind::Assign(targets, value) => {
                self.expr(value)?;
                for (i, t) in targets.iter().enumerate() {
                    if i + 1 < targets.len() {
                        self.emit(Instr::Dup);
                    }
                    self.store(t)?;
                }
            }
            StmtKind::AugAssign(t, op, value) => self.aug_assign(t, *op, value)?,
            StmtKind::If(c, then, orelse) => self.if_stmt(c, then, orelse)?,
            StmtKind::While(c, body, orelse) => self.while_stmt(c, body, orelse)?,
            StmtKind::For(t, iter, body, orelse) => self.for_stmt(t, iter, body, orelse)?,
            StmtKind::Break => self.jump_out(s.span, true)?,
            StmtKind::Continue => self.jump_out(s.span, false)?,
            StmtKind::Return(v) => {
                match v {
                    Some(e) => self.expr(e)?,
                    None => {
                        self.emit(Instr::Const(Value::None));
                    }
                }
                self.unwind_to(0)?;
                self.emit(Instr::Return);
            }
            StmtKind::Pass => {}
            StmtKind::Assert(c, msg) => {
                self.expr(c)?;
                let j = self.emit(Instr::JumpIfTrue(0));
                match msg {
                    Some(m) => self.expr(m)?,
                    None => {
                        self.emit(Instr::Const(Value::None));
                    }
                }
                self.line = s.span.line;
                self.emit(Instr::RaiseAssert);
                let end = self.here();
                self.patch(j, end);
            }
            StmtKind::With(items, body) => self.with_stmt(items, body)?,
            StmtKind::Try(t) => self.try_stmt(t)?,
            StmtKind::Raise(e) => {
                match (e, self.handling.last()) {
                    (Some(e), _) => self.expr(e)?,
                    (None, Some(&slot)) => {
                        self.emit(Instr::LoadLocal(slot));
                    }
                    (None, None) => {
                        self.emit(Instr::Const(Value::exc(
                            crate::ir::ExcType::RuntimeError,
                            "No active exception to reraise",
                        )));
                    }
                }
                self.line = s.span.line;
                self.emit(Instr::Raise);
            }
        }
        Ok(())
    }

    /// Emits the exit code of every cleanup above `depth`, innermost first.
    /// The cleanups stay registered (the code after the jump is still inside
    /// them); a `finally` body is compiled without itself in scope.
    fn unwind_to(&mut self, depth: usize) -> Result<(), ModelError> {
        for i in (depth..self.cleanups.len()).rev() {
            self.emit(Instr::PopBlock);
            match &self.cleanups[i] {
                Cleanup::Except => {}
                Cleanup::With(slot) => {
                    let slot = *slot;
                    self.emit(Instr::LoadLocal(slot));
                    self.emit(Instr::WithExit);
                }
                Cleanup::Finally(body) => {
                    let body = body.clone();
                    let saved = self.cleanups.split_off(i);
                    let loops = std::mem::take(&mut self.loops);
                    self.block(&body)?;
                    self.loops = loops;
                    self.cleanups.extend(saved);
                }
            }
        }
        Ok(())
    }

    fn jump_out(&mut self, span: Span, is_break: bool) -> Result<(), ModelError> {
        let Some(l) = self.loops.last() else {
            let what = if is_break { "'break'" } else { "'continue'" };
            return Err(ModelError::new(span, &format!("{what} outside a loop")));
        };
        let (depth, is_for, target) = (l.depth, l.is_for, l.continue_to);
        self.unwind_to(depth)?;
        if is_break {
            if is_for {
                self.emit(Instr::Pop);
            }
            let j = self.emit(Instr::Jump(0));
            if let Some(l) = self.loops.last_mut() {
                l.breaks.push(j);
            }
        } else {
            self.emit(Instr::Jump(target));
        }
        Ok(())
    }

    fn if_stmt(&mut self, c: &Expr, then: &[Stmt], orelse: &[Stmt]) -> Result<(), ModelError> {
        self.expr(c)?;
        let j = self.emit(Instr::JumpIfFalse(0));
        self.block(then)?;
        if orelse.is_empty() {
            let end = self.here();
            self.patch(j, end);
            return Ok(());
        }
        let skip = self.emit(Instr::Jump(0));
        let else_at = self.here();
        self.patch(j, else_at);
        self.block(orelse)?;
        let end = self.here();
        self.patch(skip, end);
        Ok(())
    }

    fn loop_body(&mut self, start: u32, is_for: bool, body: &[Stmt]) -> Result<Vec<usize>, ModelError> {
        self.loops.push(Loop { continue_to: start, breaks: vec![], depth: self.cleanups.len(), is_for });
        let r = self.block(body);
        let l = self.loops.pop().map(|l| l.breaks).unwrap_or_default();
        r.map(|_| l)
    }

    fn while_stmt(&mut self, c: &Expr, body: &[Stmt], orelse: &[Stmt]) -> Result<(), ModelError> {
        let start = self.here();
        self.expr(c)?;
        let exit = self.emit(Instr::JumpIfFalse(0));
        let breaks = self.loop_body(start, false, body)?;
        self.emit(Instr::Jump(start));
        let else_at = self.here();
        self.patch(exit, else_at);
        self.block(orelse)?;
        let end = self.here();
        breaks.into_iter().for_each(|b| self.patch(b, end));
        Ok(())
    }

    fn for_stmt(&mut self, t: &Target, iter: &Expr, body: &[Stmt], orelse: &[Stmt]) -> Result<(), ModelError> {
        self.expr(iter)?;
        self.emit(Instr::GetIter);
        let start = self.here();
        let next = self.emit(Instr::ForIter(0));
        self.store(t)?;
        let breaks = self.loop_body(start, true, body)?;
        self.emit(Instr::Jump(start));
        let else_at = self.here();
        self.patch(next, else_at);
        self.block(orelse)?;
        let end = self.here();
        breaks.into_iter().for_each(|b| self.patch(b, end));
        Ok(())
    }

    fn with_stmt(&mut self, items: &[(Expr, Option<Target>)], body: &[Stmt]) -> Result<(), ModelError> {
        let Some(((ctx, target), rest)) = items.split_first() else {
            return self.block(body);
        };
        self.expr(ctx)?;
        let slot = self.temp();
        self.emit(Instr::StoreLocal(slot));
        self.emit(Instr::LoadLocal(slot));
        self.emit(Instr::WithEnter);
        match target {
            Some(t) => self.store(t)?,
            None => {
                self.emit(Instr::Pop);
            }
        }
        let with_line = self.line;
        let setup = self.emit(Instr::SetupExcept(0));
        self.cleanups.push(Cleanup::With(slot));
        let r = self.with_stmt(rest, body);
        self.cleanups.pop();
        r?;
        // leaving the block (release, close) shows as the `with` line
        self.line = with_line;
        self.emit(Instr::PopBlock);
        self.emit(Instr::LoadLocal(slot));
        self.emit(Instr::WithExit);
        let skip = self.emit(Instr::Jump(0));
        let handler = self.here();
        self.patch(setup, handler);
        // the exception is on the stack: exit the context, then re-raise
        self.emit(Instr::LoadLocal(slot));
        self.emit(Instr::WithExit);
        self.emit(Instr::Raise);
        let end = self.here();
        self.patch(skip, end);
        Ok(())
    }

    fn try_stmt(&mut self, t: &Try) -> Result<(), ModelError> {
        if t.finally.is_empty() {
            return self.try_except(t);
        }
        let setup = self.emit(Instr::SetupExcept(0));
        self.cleanups.push(Cleanup::Finally(t.finally.clone()));
        let r = self.try_except(t);
        self.cleanups.pop();
        r?;
        self.emit(Instr::PopBlock);
        self.block(&t.finally)?;
        let skip = self.emit(Instr::Jump(0));
        let handler = self.here();
        self.patch(setup, handler);
        let slot = self.temp();
        self.emit(Instr::StoreLocal(slot));
        self.block(&t.finally)?;
        self.emit(Instr::LoadLocal(slot));
        self.emit(Instr::Raise);
        let end = self.here();
        self.patch(skip, end);
        Ok(())
    }

    fn try_except(&mut self, t: &Try) -> Result<(), ModelError> {
        if t.handlers.is_empty() {
            self.block(&t.body)?;
            return self.block(&t.orelse);
        }
        let setup = self.emit(Instr::SetupExcept(0));
        self.cleanups.push(Cleanup::Except);
        let r = self.block(&t.body);
        self.cleanups.pop();
        r?;
        self.emit(Instr::PopBlock);
        self.block(&t.orelse)?;
        let mut to_end = vec![self.emit(Instr::Jump(0))];
        let handler_at = self.here();
        self.patch(setup, handler_at);
        for h in &t.handlers {
            self.line = h.span.line;
            let miss = if h.types.is_empty() {
                None
            } else {
                self.emit(Instr::Dup);
                self.emit(Instr::ExcMatch(Arc::from(h.types.as_slice())));
                Some(self.emit(Instr::JumpIfFalse(0)))
            };
            let slot = self.temp();
            self.emit(Instr::StoreLocal(slot));
            if let Some(name) = &h.name {
                self.emit(Instr::LoadLocal(slot));
                self.store(name)?;
            }
            self.handling.push(slot);
            let r = self.block(&h.body);
            self.handling.pop();
            r?;
            to_end.push(self.emit(Instr::Jump(0)));
            if let Some(m) = miss {
                let next = self.here();
                self.patch(m, next);
            }
        }
        self.emit(Instr::Raise);
        let end = self.here();
        to_end.into_iter().for_each(|j| self.patch(j, end));
        Ok(())
    }

    fn aug_assign(&mut self, t: &Target, op: BinOp, value: &Expr) -> Result<(), ModelError> {
        match t {
            Target::Local(i, _) => {
                self.emit(Instr::LoadLocal(*i));
                self.expr(value)?;
                self.emit(Instr::Binary(op));
                self.emit(Instr::StoreLocal(*i));
            }
            Target::Global(i, _) => {
                self.emit(Instr::LoadGlobal(*i));
                self.expr(value)?;
                self.emit(Instr::Binary(op));
                self.emit(Instr::StoreGlobal(*i));
            }
            Target::Subscript(obj, idx, _) => {
                let (o, k) = (self.temp(), self.temp());
                self.expr(obj)?;
                self.emit(Instr::StoreLocal(o));
                self.expr(idx)?;
                self.emit(Instr::StoreLocal(k));
                self.emit(Instr::LoadLocal(o));
                self.emit(Instr::LoadLocal(k));
                self.emit(Instr::GetItem);
                self.expr(value)?;
                self.emit(Instr::Binary(op));
                self.emit(Instr::LoadLocal(o));
                self.emit(Instr::LoadLocal(k));
                self.emit(Instr::SetItem(false));
                self.write_back(obj)?;
            }
            Target::Attr(obj, name, _) => {
                let o = self.temp();
                let name: Arc<str> = Arc::from(name.as_str());
                self.expr(obj)?;
                self.emit(Instr::StoreLocal(o));
                self.emit(Instr::LoadLocal(o));
                self.emit(Instr::GetAttr(name.clone()));
                self.expr(value)?;
                self.emit(Instr::Binary(op));
                self.emit(Instr::LoadLocal(o));
                self.emit(Instr::SetAttr(name));
                self.write_back(obj)?;
            }
            Target::Tuple(_, span) => {
                return Err(ModelError::new(*span, "augmented assignment to a tuple is not valid Python"))
            }
        }
        Ok(())
    }

    /// Stores the value on top of the stack into a target.
    fn store(&mut self, t: &Target) -> Result<(), ModelError> {
        match t {
            Target::Local(i, _) => {
                self.emit(Instr::StoreLocal(*i));
            }
            Target::Global(i, _) => {
                self.emit(Instr::StoreGlobal(*i));
            }
            Target::Subscript(obj, idx, _) => {
                self.expr(obj)?;
                self.expr(idx)?;
                self.emit(Instr::SetItem(false));
                self.write_back(obj)?;
            }
            Target::Attr(obj, name, _) => {
                self.expr(obj)?;
                self.emit(Instr::SetAttr(Arc::from(name.as_str())));
                self.write_back(obj)?;
            }
            Target::Tuple(items, _) => {
                self.emit(Instr::Unpack(items.len() as u32));
                for t in items {
                    self.store(t)?;
                }
            }
        }
        Ok(())
    }

    /// With the updated container `obj'` on the stack, stores it back to
    /// the place `obj` was read from (value semantics for local containers).
    fn write_back(&mut self, obj: &Expr) -> Result<(), ModelError> {
        match &obj.kind {
            ExprKind::Local(i) => {
                self.emit(Instr::StoreLocal(*i));
            }
            ExprKind::Global(i) => {
                self.emit(Instr::StoreGlobal(*i));
            }
            ExprKind::Subscript(inner, idx) if is_pure(idx) => {
                self.expr(inner)?;
                self.expr(idx)?;
                self.emit(Instr::SetItem(true));
                self.write_back(inner)?;
            }
            _ => {
                self.emit(Instr::Pop);
            }
        }
        Ok(())
    }

    fn exprs(&mut self, es: &[Expr]) -> Result<(), ModelError> {
        es.iter().try_for_each(|e| self.expr(e))
    }

    fn expr(&mut self, e: &Expr) -> Result<(), ModelError> {
        if e.span.line != 0 {
            self.line = e.span.line;
        }
        match &e.kind {
            ExprKind::Const(c) => {
                self.emit(Instr::Const(const_to_value(c)));
            }
            ExprKind::Local(i) => {
                self.emit(Instr::LoadLocal(*i));
            }
            ExprKind::Global(i) => {
                self.emit(Instr::LoadGlobal(*i));
            }
            ExprKind::Function(f) => {
                self.emit(Instr::Const(Value::Func(*f)));
            }
            ExprKind::Builtin(b) => {
                self.emit(Instr::Const(Value::Builtin(*b)));
            }
            ExprKind::Tuple(items) => {
                self.exprs(items)?;
                self.emit(Instr::BuildTuple(items.len() as u32));
            }
            ExprKind::List(items) => {
                self.exprs(items)?;
                self.emit(Instr::BuildList(items.len() as u32));
            }
            ExprKind::Dict(items) => {
                for (k, v) in items {
                    self.expr(k)?;
                    self.expr(v)?;
                }
                self.emit(Instr::BuildDict(items.len() as u32));
            }
            ExprKind::Binary(op, a, b) => {
                self.expr(a)?;
                self.expr(b)?;
                self.emit(Instr::Binary(*op));
            }
            ExprKind::Unary(op, a) => {
                self.expr(a)?;
                self.emit(Instr::Unary(*op));
            }
            ExprKind::Compare(op, a, b) => {
                self.expr(a)?;
                self.expr(b)?;
                self.emit(Instr::Compare(*op));
            }
            ExprKind::And(a, b) => self.short_circuit(a, b, true)?,
            ExprKind::Or(a, b) => self.short_circuit(a, b, false)?,
            ExprKind::IfElse(c, a, b) => {
                self.expr(c)?;
                let j = self.emit(Instr::JumpIfFalse(0));
                self.expr(a)?;
                let skip = self.emit(Instr::Jump(0));
                let else_at = self.here();
                self.patch(j, else_at);
                self.expr(b)?;
                let end = self.here();
                self.patch(skip, end);
            }
            ExprKind::Subscript(o, i) => {
                self.expr(o)?;
                self.expr(i)?;
                self.emit(Instr::GetItem);
            }
            ExprKind::Slice(o, lo, hi) => {
                self.expr(o)?;
                for bound in [lo, hi] {
                    match bound {
                        Some(b) => self.expr(b)?,
                        None => {
                            self.emit(Instr::Const(Value::None));
                        }
                    }
                }
                self.emit(Instr::Slice);
            }
            ExprKind::Attr(o, name) => {
                self.expr(o)?;
                self.emit(Instr::GetAttr(Arc::from(name.as_str())));
            }
            ExprKind::Call(callee, args, kwargs) => self.call(callee, args, kwargs)?,
            ExprKind::FString(parts) => {
                for p in parts {
                    match p {
                        FPart::Lit(s) => {
                            self.emit(Instr::Const(Value::str(s)));
                        }
                        FPart::Value(v, spec) => {
                            self.expr(v)?;
                            self.emit(Instr::FormatValue(spec.as_deref().map(Arc::from)));
                        }
                    }
                }
                self.emit(Instr::Concat(parts.len() as u32));
            }
            ExprKind::ListComp(elt, target, iter, conds) => self.list_comp(elt, target, iter, conds)?,
        }
        Ok(())
    }

    fn short_circuit(&mut self, a: &Expr, b: &Expr, is_and: bool) -> Result<(), ModelError> {
        self.expr(a)?;
        let j = self.emit(if is_and { Instr::JumpIfFalseOrPop(0) } else { Instr::JumpIfTrueOrPop(0) });
        self.expr(b)?;
        let end = self.here();
        self.patch(j, end);
        Ok(())
    }

    fn call(&mut self, callee: &Callee, args: &[Expr], kwargs: &[(String, Expr)]) -> Result<(), ModelError> {
        let kw: Arc<[Arc<str>]> = kwargs.iter().map(|(k, _)| Arc::from(k.as_str())).collect();
        match callee {
            Callee::Function(f) => {
                self.exprs(args)?;
                self.emit(Instr::CallFunc(*f, args.len() as u32));
            }
            Callee::Builtin(b) => {
                self.exprs(args)?;
                kwargs.iter().try_for_each(|(_, v)| self.expr(v))?;
                self.emit(Instr::CallBuiltin(*b, args.len() as u32, kw));
            }
            Callee::Method(recv, name) => {
                self.expr(recv)?;
                self.exprs(args)?;
                kwargs.iter().try_for_each(|(_, v)| self.expr(v))?;
                let name = Arc::from(name.as_str());
                self.emit(Instr::CallMethod { name, nargs: args.len() as u32, kw });
                // receiver' result -> result receiver'
                self.emit(Instr::Swap);
                self.write_back(recv)?;
            }
        }
        Ok(())
    }

    fn list_comp(&mut self, elt: &Expr, target: &Target, iter: &Expr, conds: &[Expr]) -> Result<(), ModelError> {
        let acc = self.temp();
        self.emit(Instr::BuildList(0));
        self.emit(Instr::StoreLocal(acc));
        self.expr(iter)?;
        self.emit(Instr::GetIter);
        let start = self.here();
        let next = self.emit(Instr::ForIter(0));
        self.store(target)?;
        for c in conds {
            self.expr(c)?;
            self.emit(Instr::JumpIfFalse(start));
        }
        self.emit(Instr::TakeLocal(acc));
        self.expr(elt)?;
        let name = Arc::from("append");
        self.emit(Instr::CallMethod { name, nargs: 1, kw: Arc::from([]) });
        self.emit(Instr::Pop);
        self.emit(Instr::StoreLocal(acc));
        self.emit(Instr::Jump(start));
        let end = self.here();
        self.patch(next, end);
        self.emit(Instr::TakeLocal(acc));
        Ok(())
    }
}

/// An index expression that can be evaluated twice without a difference.
fn is_pure(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Const(_) | ExprKind::Local(_) | ExprKind::Global(_))
}
