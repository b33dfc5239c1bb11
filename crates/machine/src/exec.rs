//! One instruction at a time.

use std::sync::Arc;

use crate::code::Instr;
use crate::interp::Run;
use crate::ir::{ExcType, UnaryOp};
use crate::value::{self, raise, unsupported, Iter, OpError, OpResult, Value};
use crate::world::{Object, Poll};

pub(crate) type Exec = Result<Poll<()>, OpError>;

const DONE: Exec = Ok(Poll::Done(()));

impl Run<'_, '_> {
    fn jump(&mut self, to: u32) -> Exec {
        self.frame().pc = to;
        DONE
    }

    fn next(&mut self) {
        self.frame().pc += 1;
    }

    /// Executes `instr`; the pc moves on unless the operation blocked or
    /// must run again.
    pub(crate) fn exec(&mut self, instr: &Instr) -> Exec {
        let r = self.exec_inner(instr);
        if let Ok(Poll::Done(())) = r {
            if !matches!(
                instr,
                Instr::Jump(_)
                    | Instr::JumpIfFalse(_)
                    | Instr::JumpIfTrue(_)
                    | Instr::JumpIfFalseOrPop(_)
                    | Instr::JumpIfTrueOrPop(_)
                    | Instr::ForIter(_)
                    | Instr::CallFunc(..)
                    | Instr::Return
            ) {
                self.next();
            }
        } else if let Err(OpError::Raise(..)) = r {
            // the handler (if any) sets the pc
        }
        r
    }

    fn exec_inner(&mut self, instr: &Instr) -> Exec {
        match instr {
            Instr::Const(v) => self.push(v.clone()),
            Instr::LoadLocal(i) => {
                let v = self.frame().locals[*i as usize].clone();
                self.push(v)
            }
            Instr::TakeLocal(i) => {
                let v = std::mem::replace(&mut self.frame().locals[*i as usize], Value::None);
                self.push(v)
            }
            Instr::StoreLocal(i) => {
                let v = self.pop();
                self.frame().locals[*i as usize] = v;
            }
            Instr::LoadGlobal(i) => {
                let v = self.p.globals[*i as usize].clone();
                self.push(v)
            }
            Instr::StoreGlobal(i) => {
                let v = self.pop();
                self.p.globals[*i as usize] = v;
            }
            Instr::Pop => {
                self.pop();
            }
            Instr::Dup => {
                let v = self.peek(0).clone();
                self.push(v)
            }
            Instr::Swap => {
                let st = &mut self.frame().stack;
                let n = st.len();
                st.swap(n - 1, n - 2);
            }
            Instr::BuildTuple(n) => {
                let items = self.pop_n(*n as usize);
                self.push(Value::tuple(items))
            }
            Instr::BuildList(n) => {
                let items = self.pop_n(*n as usize);
                self.push(Value::list(items))
            }
            Instr::BuildDict(n) => {
                let flat = self.pop_n(2 * *n as usize);
                let mut d = Vec::with_capacity(*n as usize);
                for pair in flat.chunks(2) {
                    value::dict_set(&mut d, pair[0].clone(), pair[1].clone());
                }
                self.push(Value::Dict(Arc::new(d)))
            }
            Instr::Unpack(n) => {
                let v = self.pop();
                let items = self.local_items(&v)?;
                if items.len() != *n as usize {
                    let msg = if items.len() > *n as usize {
                        format!("too many values to unpack (expected {n})")
                    } else {
                        format!("not enough values to unpack (expected {n}, got {})", items.len())
                    };
                    return raise(ExcType::ValueError, msg);
                }
                for it in items.iter().rev() {
                    self.push(it.clone());
                }
            }
            Instr::Binary(op) => {
                let b = self.pop();
                let a = self.pop();
                let r = value::binary(*op, &a, &b)?;
                self.push(r)
            }
            Instr::Unary(op) => {
                let a = self.pop();
                let r = match (op, &a) {
                    (UnaryOp::Not, _) => Value::Bool(!a.truthy()),
                    (UnaryOp::Neg, v) if v.as_int().is_some() => Value::Int(
                        v.as_int()
                            .unwrap_or(0)
                            .checked_neg()
                            .ok_or_else(|| OpError::Unsupported("integer overflow".into()))?,
                    ),
                    (UnaryOp::Pos, v) if v.as_int().is_some() => Value::Int(v.as_int().unwrap_or(0)),
                    _ => {
                        return raise(
                            ExcType::TypeError,
                            format!("bad operand type for unary operator: '{}'", a.type_name()),
                        )
                    }
                };
                self.push(r)
            }
            Instr::Compare(op) => return self.compare(*op),
            Instr::Jump(t) => return self.jump(*t),
            Instr::JumpIfFalse(t) | Instr::JumpIfTrue(t) => {
                let want = matches!(instr, Instr::JumpIfTrue(_));
                let c = self.pop().truthy();
                if c == want {
                    return self.jump(*t);
                }
                self.next();
            }
            Instr::JumpIfFalseOrPop(t) | Instr::JumpIfTrueOrPop(t) => {
                let want = matches!(instr, Instr::JumpIfTrueOrPop(_));
                if self.peek(0).truthy() == want {
                    return self.jump(*t);
                }
                self.pop();
                self.next();
            }
            Instr::GetItem => return self.get_item(),
            Instr::SetItem(wb) => return self.set_item(*wb),
            Instr::Slice => {
                let hi = self.pop();
                let lo = self.pop();
                let o = self.pop();
                let r = slice(&o, &lo, &hi)?;
                self.push(r)
            }
            Instr::GetAttr(name) => return self.get_attr(name),
            Instr::SetAttr(name) => return self.set_attr(name),
            Instr::CallFunc(f, n) => {
                let args = self.pop_n(*n as usize);
                self.next();
                return self.call_function(*f, args).map(|()| Poll::Done(()));
            }
            Instr::CallBuiltin(b, n, kw) => return self.call_builtin(*b, *n as usize, kw),
            Instr::CallMethod { name, nargs, kw } => return self.call_method(name, *nargs as usize, kw),
            Instr::Return => {
                let v = self.pop();
                self.p.frames.pop();
                match self.p.frames.last_mut() {
                    Some(f) => {
                        f.stack.push(v);
                    }
                    None => self.code_done(),
                }
            }
            Instr::GetIter => return self.get_iter(),
            Instr::ForIter(t) => {
                let it = self.pop();
                let Value::Iter(mut it) = it else { unreachable!("ForIter without an iterator") };
                match next_item(Arc::make_mut(&mut it)) {
                    Some(v) => {
                        self.push(Value::Iter(it));
                        self.push(v);
                        self.next();
                    }
                    None => return self.jump(*t),
                }
            }
            Instr::SetupExcept(h) => {
                let depth = self.frame().stack.len() as u32;
                self.frame().blocks.push((*h, depth));
            }
            Instr::PopBlock => {
                self.frame().blocks.pop();
            }
            Instr::ExcMatch(types) => {
                let m = match self.peek(0) {
                    Value::Exc(e) => types.iter().any(|t| t.catches(e.ty)),
                    _ => false,
                };
                self.push(Value::Bool(m))
            }
            Instr::Raise => {
                let v = self.pop();
                return Err(exception_of(v));
            }
            Instr::RaiseAssert => {
                let msg = self.pop();
                let msg = if msg == Value::None { String::new() } else { value::to_str(&msg) };
                return raise(ExcType::AssertionError, msg);
            }
            Instr::WithEnter => return self.with_enter(),
            Instr::WithExit => return self.with_exit(),
            Instr::FormatValue(spec) => {
                let v = self.pop();
                let s = format_value(&v, spec.as_deref())?;
                self.push(Value::str(&s))
            }
            Instr::Concat(n) => {
                let parts = self.pop_n(*n as usize);
                let s: String = parts.iter().map(value::to_str).collect();
                self.push(Value::str(&s))
            }
        }
        DONE
    }

    /// Calls a function of the file: a new frame, defaults filled in.
    pub(crate) fn call_function(&mut self, f: u32, mut args: Vec<Value>) -> Result<(), OpError> {
        let defaults = &self.m.code.defaults[f as usize];
        let name = &self.m.code.funcs[f as usize].name;
        if args.len() > defaults.len() {
            return raise(
                ExcType::TypeError,
                format!("{name}() takes {} positional arguments but {} were given", defaults.len(), args.len()),
            );
        }
        for d in &defaults[args.len()..] {
            match d {
                Some(v) => args.push(v.clone()),
                None => return raise(ExcType::TypeError, format!("{name}() missing a required argument")),
            }
        }
        if self.p.frames.len() >= 200 {
            return raise(ExcType::RuntimeError, "maximum recursion depth exceeded");
        }
        let frame = self.m.frame(f, args);
        self.p.frames.push(frame);
        Ok(())
    }

    fn compare(&mut self, op: crate::ir::CmpOp) -> Exec {
        use crate::ir::CmpOp;
        let b = self.peek(0).clone();
        let a = self.peek(1).clone();
        let r = match (&b, op) {
            (Value::Obj(id), CmpOp::In | CmpOp::NotIn) => {
                let found = self.proxy_contains(*id, &a)?;
                found == (op == CmpOp::In)
            }
            _ => value::compare(op, &a, &b)?,
        };
        self.pop_n(2);
        self.push(Value::Bool(r));
        DONE
    }

    fn get_iter(&mut self) -> Exec {
        let v = self.peek(0).clone();
        let it = match &v {
            Value::Iter(_) => v,
            Value::Obj(id) => {
                let items = self.proxy_snapshot(*id)?;
                Value::Iter(Arc::new(Iter::Seq(items, 0)))
            }
            other => Value::Iter(Arc::new(Iter::Seq(other.items()?, 0))),
        };
        self.pop();
        self.push(it);
        DONE
    }

    /// Items of a local value or a snapshot of a proxy.
    pub(crate) fn local_items(&mut self, v: &Value) -> OpResult<Arc<Vec<Value>>> {
        match v {
            Value::Iter(it) => Ok(Arc::new(drain(it))),
            Value::Obj(id) => self.proxy_snapshot(*id),
            other => other.items(),
        }
    }

    /// Whether executing `instr` now performs a visible operation.
    pub(crate) fn is_visible(&self, instr: &Instr) -> bool {
        let f = self.p.frames.last().expect("frame");
        crate::footprint::View { w: self.w, p: self.p, stack: &f.stack }.footprint(instr).is_some()
    }

    pub(crate) fn is_proxy(&self, v: &Value) -> bool {
        match v {
            Value::Obj(id) => matches!(&*self.w.objects[*id as usize], Object::Dict(_) | Object::List(_)),
            _ => false,
        }
    }
}

fn drain(it: &Iter) -> Vec<Value> {
    let mut it = it.clone();
    std::iter::from_fn(|| next_item(&mut it)).collect()
}

pub(crate) fn next_item(it: &mut Iter) -> Option<Value> {
    match it {
        Iter::Seq(items, i) => {
            let v = items.get(*i as usize).cloned();
            *i += 1;
            v
        }
        Iter::Range(cur, stop, step) => {
            if (*step > 0 && *cur < *stop) || (*step < 0 && *cur > *stop) {
                let v = *cur;
                *cur += *step;
                Some(Value::Int(v))
            } else {
                None
            }
        }
    }
}

/// The exception a `raise` statement raises: an instance, or a class.
fn exception_of(v: Value) -> OpError {
    match v {
        Value::Exc(e) => OpError::Raise(e.ty, e.msg.to_string()),
        Value::Builtin(crate::ir::Builtin::Exception(ty)) => OpError::Raise(ty, String::new()),
        other => OpError::Raise(
            ExcType::TypeError,
            format!("exceptions must derive from BaseException, not {}", other.type_name()),
        ),
    }
}

fn slice(o: &Value, lo: &Value, hi: &Value) -> OpResult<Value> {
    let bound = |v: &Value, len: usize, default: usize| -> OpResult<usize> {
        match v {
            Value::None => Ok(default),
            v => match v.as_int() {
                Some(i) if i < 0 => Ok(len.saturating_sub(i.unsigned_abs() as usize)),
                Some(i) => Ok((i as usize).min(len)),
                None => raise(ExcType::TypeError, "slice indices must be integers or None"),
            },
        }
    };
    match o {
        Value::Str(s) => {
            let chars: Vec<char> = s.chars().collect();
            let (a, b) = (bound(lo, chars.len(), 0)?, bound(hi, chars.len(), chars.len())?);
            Ok(Value::str(&chars[a..b.max(a)].iter().collect::<String>()))
        }
        Value::List(v) | Value::Tuple(v) => {
            let (a, b) = (bound(lo, v.len(), 0)?, bound(hi, v.len(), v.len())?);
            let items = v[a..b.max(a)].to_vec();
            Ok(if matches!(o, Value::List(_)) { Value::list(items) } else { Value::tuple(items) })
        }
        other => raise(ExcType::TypeError, format!("'{}' object is not subscriptable", other.type_name())),
    }
}

/// `format(v, spec)` for the specs models use: `[[fill]align][0][width][type]`.
pub(crate) fn format_value(v: &Value, spec: Option<&str>) -> OpResult<String> {
    let s = value::to_str(v);
    let Some(spec) = spec.filter(|s| !s.is_empty()) else { return Ok(s) };
    let mut chars: Vec<char> = spec.chars().collect();
    if matches!(chars.last(), Some('d' | 's')) {
        chars.pop();
    }
    let (mut fill, mut align) = (' ', if matches!(v, Value::Int(_)) { '>' } else { '<' });
    if chars.len() >= 2 && matches!(chars[1], '<' | '>' | '^') {
        fill = chars[0];
        align = chars[1];
        chars.drain(..2);
    } else if !chars.is_empty() && matches!(chars[0], '<' | '>' | '^') {
        align = chars[0];
        chars.remove(0);
    } else if chars.first() == Some(&'0') {
        fill = '0';
        align = '>';
    }
    let width: String = chars.iter().collect();
    let Ok(width) = width.parse::<usize>().or_else(|e| if width.is_empty() { Ok(0) } else { Err(e) }) else {
        return unsupported(format!("format spec '{spec}' is not supported; use [[fill]align][width][d|s]"));
    };
    let len = s.chars().count();
    if len >= width {
        return Ok(s);
    }
    let pad = width - len;
    let f = |n: usize| fill.to_string().repeat(n);
    Ok(match align {
        '<' => format!("{s}{}", f(pad)),
        '^' => format!("{}{s}{}", f(pad / 2), f(pad - pad / 2)),
        _ => format!("{}{s}", f(pad)),
    })
}
