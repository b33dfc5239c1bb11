//! Lowering of statements and function signatures.

use interleave_machine::ir::{ExcType, Expr, ExprKind, Handler, Param, Stmt, StmtKind, Try};
use ruff_python_ast::{self as ast, Stmt as AStmt};
use ruff_text_size::{Ranged, TextRange};

use crate::lower::{Lowerer, Result};

impl Lowerer<'_> {
    pub(crate) fn block(&mut self, stmts: &[AStmt]) -> Result<Vec<Stmt>> {
        self.stmts(stmts.iter())
    }

    pub(crate) fn stmts<'a>(&mut self, stmts: impl IntoIterator<Item = &'a AStmt>) -> Result<Vec<Stmt>> {
        let mut out = Vec::new();
        for stmt in stmts {
            if let Some(kind) = self.stmt(stmt)? {
                out.push(Stmt { kind, span: self.src.span(stmt.range()) });
            }
        }
        Ok(out)
    }

    /// One statement; `None` for those that only declare (`global`,
    /// module-level imports).
    fn stmt(&mut self, stmt: &AStmt) -> Result<Option<StmtKind>> {
        let kind = match stmt {
            AStmt::Expr(s) => StmtKind::Expr(self.expr(&s.value)?),
            AStmt::Assign(s) => self.assign(s)?,
            AStmt::AugAssign(s) => {
                StmtKind::AugAssign(self.target(&s.target)?, self.bin_op(s.op, s.range())?, self.expr(&s.value)?)
            }
            AStmt::If(s) => self.if_stmt(s)?,
            AStmt::While(s) => {
                let test = self.expr(&s.test)?;
                StmtKind::While(test, self.loop_body(&s.body)?, self.block(&s.orelse)?)
            }
            AStmt::For(s) => self.for_stmt(s)?,
            AStmt::Break(s) => self.in_loop(StmtKind::Break, "break", s.range())?,
            AStmt::Continue(s) => self.in_loop(StmtKind::Continue, "continue", s.range())?,
            AStmt::Return(s) => self.return_stmt(s)?,
            AStmt::Pass(_) => StmtKind::Pass,
            AStmt::Assert(s) => StmtKind::Assert(self.expr(&s.test)?, self.opt_expr(s.msg.as_deref())?),
            AStmt::With(s) => self.with_stmt(s)?,
            AStmt::Try(s) => self.try_stmt(s)?,
            AStmt::Raise(s) => self.raise(s)?,
            AStmt::Global(_) => return Ok(None),
            AStmt::Import(_) | AStmt::ImportFrom(_) if self.scope.is_none() => return Ok(None),
            other => return Err(self.unsupported_stmt(other)),
        };
        Ok(Some(kind))
    }

    fn unsupported_stmt(&self, stmt: &AStmt) -> Box<crate::Diagnostic> {
        let (what, help) = match stmt {
            AStmt::FunctionDef(_) => {
                ("nested def", "define every function at module level (not inside a def or a block)")
            }
            AStmt::ClassDef(_) => {
                ("class", "use functions and module-level variables; share state through multiprocessing objects")
            }
            AStmt::Delete(_) => ("del", "assign None, or use `.pop(key)` on a dict or list"),
            AStmt::AnnAssign(_) => ("annotated assignment", "drop the annotation: `x = value`"),
            AStmt::TypeAlias(_) => ("type alias", "drop the type alias"),
            AStmt::Match(_) => ("match", "use if/elif/else"),
            AStmt::Import(_) | AStmt::ImportFrom(_) => ("import inside a function", "move the import to module level"),
            AStmt::Nonlocal(_) => ("nonlocal", "use a module-level variable with `global`"),
            _ => ("this statement", "see the supported subset in README.md"),
        };
        self.src.unsupported(stmt.range(), what, help)
    }

    fn opt_expr(&mut self, e: Option<&ast::Expr>) -> Result<Option<Expr>> {
        e.map(|e| self.expr(e)).transpose()
    }

    fn assign(&mut self, s: &ast::StmtAssign) -> Result<StmtKind> {
        let targets = s.targets.iter().map(|t| self.target(t)).collect::<Result<Vec<_>>>()?;
        Ok(StmtKind::Assign(targets, self.expr(&s.value)?))
    }

    fn if_stmt(&mut self, s: &ast::StmtIf) -> Result<StmtKind> {
        let test = self.expr(&s.test)?;
        let body = self.block(&s.body)?;
        let orelse = self.elif_else(&s.elif_else_clauses)?;
        Ok(StmtKind::If(test, body, orelse))
    }

    /// `elif a: x elif b: y else: z` becomes nested `If`s in the else branch.
    fn elif_else(&mut self, clauses: &[ast::ElifElseClause]) -> Result<Vec<Stmt>> {
        let Some((first, rest)) = clauses.split_first() else {
            return Ok(Vec::new());
        };
        let Some(test) = &first.test else {
            return self.block(&first.body);
        };
        let kind = StmtKind::If(self.expr(test)?, self.block(&first.body)?, self.elif_else(rest)?);
        Ok(vec![Stmt { kind, span: self.src.span(first.range()) }])
    }

    fn loop_body(&mut self, body: &[AStmt]) -> Result<Vec<Stmt>> {
        self.loop_depth += 1;
        let out = self.block(body);
        self.loop_depth -= 1;
        out
    }

    fn for_stmt(&mut self, s: &ast::StmtFor) -> Result<StmtKind> {
        if s.is_async {
            return Err(self.src.unsupported(s.range(), "async for", "use a plain `for` loop"));
        }
        let target = self.target(&s.target)?;
        let iter = self.expr(&s.iter)?;
        Ok(StmtKind::For(target, iter, self.loop_body(&s.body)?, self.block(&s.orelse)?))
    }

    fn in_loop(&self, kind: StmtKind, what: &str, range: TextRange) -> Result<StmtKind> {
        if self.loop_depth == 0 {
            let help = format!("`{what}` may only appear inside a `for` or `while` loop");
            return Err(self.src.diag(range, format!("'{what}' outside a loop"), "not in a loop", Some(help)));
        }
        Ok(kind)
    }

    fn return_stmt(&mut self, s: &ast::StmtReturn) -> Result<StmtKind> {
        if self.scope.is_none() {
            let help = "use `sys.exit(code)` to end the main process".to_string();
            return Err(self.src.diag(s.range(), "'return' outside a function", "at module level", Some(help)));
        }
        Ok(StmtKind::Return(self.opt_expr(s.value.as_deref())?))
    }

    fn with_stmt(&mut self, s: &ast::StmtWith) -> Result<StmtKind> {
        if s.is_async {
            return Err(self.src.unsupported(s.range(), "async with", "use a plain `with`"));
        }
        let mut items = Vec::new();
        for item in &s.items {
            let ctx = self.expr(&item.context_expr)?;
            let target = item.optional_vars.as_deref().map(|t| self.target(t)).transpose()?;
            items.push((ctx, target));
        }
        Ok(StmtKind::With(items, self.block(&s.body)?))
    }

    fn try_stmt(&mut self, s: &ast::StmtTry) -> Result<StmtKind> {
        if s.is_star {
            return Err(self.src.unsupported(s.range(), "except*", "use a plain `except`"));
        }
        let body = self.block(&s.body)?;
        let handlers = s.handlers.iter().map(|h| self.handler(h)).collect::<Result<Vec<_>>>()?;
        let orelse = self.block(&s.orelse)?;
        let finally = self.block(&s.finalbody)?;
        Ok(StmtKind::Try(Try { body, handlers, orelse, finally }))
    }

    fn handler(&mut self, h: &ast::ExceptHandler) -> Result<Handler> {
        let ast::ExceptHandler::ExceptHandler(h) = h;
        let types = match h.type_.as_deref() {
            None => Vec::new(),
            Some(t) => self.exc_types(t)?,
        };
        let name = h.name.as_ref().map(|n| self.name_target(n.id.as_str(), n.range())).transpose()?;
        Ok(Handler { types, name, body: self.block(&h.body)?, span: self.src.span(h.range) })
    }

    /// The types an `except` clause names; empty for `BaseException`
    /// (catches everything).
    fn exc_types(&mut self, e: &ast::Expr) -> Result<Vec<ExcType>> {
        let items: Vec<&ast::Expr> = match e {
            ast::Expr::Tuple(t) => t.elts.iter().collect(),
            other => vec![other],
        };
        let mut types = Vec::new();
        for item in items {
            if matches!(item, ast::Expr::Name(n) if n.id.as_str() == "BaseException") {
                return Ok(Vec::new());
            }
            types.push(self.exc_type(item)?);
        }
        Ok(types)
    }

    fn exc_type(&mut self, e: &ast::Expr) -> Result<ExcType> {
        match self.static_builtin(e)? {
            Some(interleave_machine::ir::Builtin::Exception(t)) => Ok(t),
            _ => {
                let help =
                    "catch an exception class such as Exception, ValueError, queue.Empty, or BaseException".to_string();
                Err(self.src.diag(e.range(), "not an exception type", "expected an exception class", Some(help)))
            }
        }
    }

    fn raise(&mut self, s: &ast::StmtRaise) -> Result<StmtKind> {
        if let Some(cause) = &s.cause {
            return Err(self.src.unsupported(cause.range(), "raise ... from", "raise the exception without `from`"));
        }
        Ok(StmtKind::Raise(self.opt_expr(s.exc.as_deref())?))
    }

    /// The parameters of a module-level `def`; defaults must be constants.
    pub(crate) fn signature(&mut self, f: &ast::StmtFunctionDef) -> Result<Vec<Param>> {
        self.check_def(f)?;
        let p = &f.parameters;
        let mut params = Vec::new();
        for param in p.posonlyargs.iter().chain(p.args.iter()) {
            let default = param.default.as_deref().map(|d| self.const_default(d)).transpose()?;
            params.push(Param { name: param.parameter.name.to_string(), default });
        }
        Ok(params)
    }

    fn check_def(&self, f: &ast::StmtFunctionDef) -> Result<()> {
        let p = &f.parameters;
        let bad = if f.is_async {
            Some((f.range(), "async def", "use a plain `def`"))
        } else if let Some(d) = f.decorator_list.first() {
            Some((d.range(), "decorator", "call the function directly instead of decorating it"))
        } else if let Some(v) = p.vararg.as_deref().or(p.kwarg.as_deref()) {
            Some((v.range(), "*args / **kwargs", "list every parameter by name"))
        } else if let Some(k) = p.kwonlyargs.first() {
            Some((k.range(), "keyword-only parameter", "use ordinary parameters (before any `*`)"))
        } else {
            f.type_params.as_ref().map(|t| (t.range(), "type parameters", "drop the type parameters"))
        };
        match bad {
            Some((range, what, help)) => Err(self.src.unsupported(range, what, help)),
            None => Ok(()),
        }
    }

    fn const_default(&mut self, d: &ast::Expr) -> Result<Expr> {
        let saved = self.scope.take();
        let e = self.expr(d);
        self.scope = saved;
        let e = e?;
        match e.kind {
            ExprKind::Const(_) => Ok(e),
            _ => Err(self.src.diag(
                d.range(),
                "default value is not a constant",
                "computed default",
                Some("use a constant default (int, str, True/False/None) and compute the value in the body".into()),
            )),
        }
    }

    /// Target slot of a plain name here: a local, or a global at module
    /// level or after `global name`.
    pub(crate) fn name_target(&self, name: &str, range: TextRange) -> Result<interleave_machine::ir::Target> {
        use interleave_machine::ir::Target;
        let span = self.src.span(range);
        if name == "__name__" {
            return Err(self.src.diag(
                range,
                "cannot assign to '__name__'",
                "reserved name",
                Some("choose another variable name".into()),
            ));
        }
        if let Some(i) = self.scope.as_ref().and_then(|s| s.local(name)) {
            return Ok(Target::Local(i, span));
        }
        if let Some(i) = self.global(name) {
            return Ok(Target::Global(i, span));
        }
        match self.resolve(name) {
            Some(_) => Err(self.src.diag(
                range,
                format!("cannot assign to '{name}'"),
                "reserved name",
                Some("choose another variable name".into()),
            )),
            None => Err(self.unknown_name(name, range)),
        }
    }
}
