//! Builtin functions, constructors of shared objects, and the methods of
//! local values (str, list, dict).

use std::sync::Arc;

use ruff_python_ast as ast;

use crate::exec::{format_value, Exec};
use crate::interp::Run;
use crate::ir::{Builtin, ExcType};
use crate::shared::{fake_pid, Args};
use crate::value::{self, dict_get, dict_set, raise, unsupported, Iter, OpResult, Value};
use crate::world::{Object, Poll, Queue};

impl Run<'_, '_> {
    pub(crate) fn call_builtin(&mut self, b: Builtin, n: usize, kw: &[Arc<str>]) -> Exec {
        let mut vals = self.pop_n(n + kw.len());
        if !matches!(b, Builtin::Process | Builtin::Value) {
            for v in vals.iter_mut() {
                if self.is_proxy(v) {
                    let Value::Obj(id) = *v else { unreachable!() };
                    *v = self.proxy_value(id);
                }
            }
        }
        let kwv = vals.split_off(n);
        let a = Args { pos: vals, kw: kw.iter().cloned().zip(kwv).collect() };
        let v = self.builtin(b, &a)?;
        self.push(v);
        Ok(Poll::Done(()))
    }

    fn builtin(&mut self, b: Builtin, a: &Args) -> OpResult<Value> {
        let arg0 = a.pos.first().cloned().unwrap_or(Value::None);
        Ok(match b {
            Builtin::Print => {
                self.print(a);
                Value::None
            }
            Builtin::Open => self.open(a)?,
            Builtin::Sleep => {
                self.sleep();
                Value::None
            }
            Builtin::Getpid => Value::Int(fake_pid(self.me)),
            Builtin::CurrentProcess => Value::CurrentProcess,
            Builtin::ActiveChildren => self.active_children(),
            Builtin::SysExit => {
                let code = match &arg0 {
                    Value::None => 0,
                    v => v.as_int().unwrap_or(1),
                };
                return raise(ExcType::SystemExit, code.to_string());
            }
            Builtin::Process => self.new_process(a)?,
            Builtin::Lock => Value::Obj(self.w.alloc(Object::Lock(None))),
            Builtin::RLock => Value::Obj(self.w.alloc(Object::RLock { owner: None, count: 0 })),
            Builtin::Semaphore | Builtin::BoundedSemaphore => {
                let n = a.get(0, &["value"]).map_or(Some(1), |v| v.as_int()).filter(|n| *n >= 0);
                let Some(n) = n else { return raise(ExcType::ValueError, "semaphore initial value must be >= 0") };
                let bound = (b == Builtin::BoundedSemaphore).then_some(n as u32);
                Value::Obj(self.w.alloc(Object::Semaphore { value: n as u32, bound }))
            }
            Builtin::Event => Value::Obj(self.w.alloc(Object::Event(false))),
            Builtin::Queue | Builtin::JoinableQueue => {
                let max = a.get(0, &["maxsize"]).and_then(|v| v.as_int()).unwrap_or(0).max(0);
                let q = Queue::new(max.min(u32::MAX as i64) as u32, b == Builtin::JoinableQueue);
                Value::Obj(self.w.alloc(Object::Queue(Box::new(q))))
            }
            Builtin::Manager => {
                // the manager's server process takes a name (SyncManager-N)
                self.p.counter += 1;
                Value::Obj(self.w.alloc(Object::Manager))
            }
            Builtin::Value => {
                let typecode = Arc::from(value::to_str(&arg0).as_str());
                let init = a.get(1, &[]).cloned().unwrap_or(Value::Int(0));
                let lock = self.w.alloc(Object::RLock { owner: None, count: 0 });
                Value::Obj(self.w.alloc(Object::Value { typecode, value: init, lock }))
            }
            Builtin::Exception(ty) => Value::exc(ty, &a.pos.first().map(value::to_str).unwrap_or_default()),
            _ => pure_builtin(b, a)?,
        })
    }

    fn print(&mut self, a: &Args) {
        let text =
            |k: &str, d: &str| a.kw.iter().find(|(n, _)| &**n == k).map_or(d.to_string(), |(_, v)| value::to_str(v));
        let (sep, end) = (text("sep", " "), text("end", "\n"));
        let line = a.pos.iter().map(value::to_str).collect::<Vec<_>>().join(&sep) + &end;
        if self.me == 0 {
            self.p.output.push_str(&line);
        }
        self.ctx.effect(|| format!("prints {}", value::repr(&Value::str(line.trim_end_matches('\n')))));
    }
}

/// Builtins without an effect on the world.
fn pure_builtin(b: Builtin, a: &Args) -> OpResult<Value> {
    let arg0 = a.pos.first().cloned().unwrap_or(Value::None);
    let nargs = a.pos.len();
    Ok(match b {
        Builtin::Str if nargs == 0 => Value::str(""),
        Builtin::Str => Value::str(&value::to_str(&arg0)),
        Builtin::Repr => Value::str(&value::repr(&arg0)),
        Builtin::Int => to_int(&arg0)?,
        Builtin::Bool => Value::Bool(arg0.truthy()),
        Builtin::Len => Value::Int(len(&arg0)?),
        Builtin::Range => range(a)?,
        Builtin::List => Value::list(seq_items(&arg0)?),
        Builtin::Tuple => Value::tuple(seq_items(&arg0)?),
        Builtin::Dict => dict_of(a)?,
        Builtin::Min | Builtin::Max | Builtin::Sorted | Builtin::Sum => aggregate(b, a)?,
        Builtin::Abs => Value::Int(arg0.as_int().map(i64::abs).ok_or_else(|| type_err("abs() needs an int"))?),
        Builtin::Enumerate => {
            let start = a.get(1, &["start"]).and_then(|v| v.as_int()).unwrap_or(0);
            let items = seq_items(&arg0)?;
            Value::list(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| Value::tuple(vec![Value::Int(start + i as i64), v]))
                    .collect(),
            )
        }
        Builtin::Isinstance => Value::Bool(isinstance(&arg0, a.pos.get(1).unwrap_or(&Value::None))),
        Builtin::Eval | Builtin::LiteralEval => literal_eval(&arg0, b == Builtin::Eval)?,
        other => return unsupported(format!("{other:?} cannot be called here")),
    })
}

fn type_err(msg: &str) -> crate::value::OpError {
    crate::value::OpError::Raise(ExcType::TypeError, msg.into())
}

fn to_int(v: &Value) -> OpResult<Value> {
    match v {
        Value::Str(s) => s.trim().replace('_', "").parse::<i64>().map(Value::Int).or_else(|_| {
            raise(ExcType::ValueError, format!("invalid literal for int() with base 10: {}", value::repr(v)))
        }),
        Value::Float(f) => Ok(Value::Int(f64::from_bits(*f).trunc() as i64)),
        v => v
            .as_int()
            .map(Value::Int)
            .ok_or_else(|| type_err(&format!("int() argument must be a string or a number, not '{}'", v.type_name()))),
    }
}

fn len(v: &Value) -> OpResult<i64> {
    Ok(match v {
        Value::Str(s) => s.chars().count() as i64,
        Value::List(l) | Value::Tuple(l) => l.len() as i64,
        Value::Dict(d) => d.len() as i64,
        Value::Iter(it) => match &**it {
            Iter::Range(a, b, s) => ((b - a + s - s.signum()) / s).max(0),
            Iter::Seq(items, i) => items.len() as i64 - *i as i64,
        },
        other => return Err(type_err(&format!("object of type '{}' has no len()", other.type_name()))),
    })
}

fn range(a: &Args) -> OpResult<Value> {
    let ints: Option<Vec<i64>> = a.pos.iter().map(Value::as_int).collect();
    let Some(ints) = ints else { return Err(type_err("range() takes integers")) };
    let (start, stop, step) = match ints.as_slice() {
        [stop] => (0, *stop, 1),
        [start, stop] => (*start, *stop, 1),
        [start, stop, step] => (*start, *stop, *step),
        _ => return Err(type_err("range expected 1 to 3 arguments")),
    };
    if step == 0 {
        return raise(ExcType::ValueError, "range() arg 3 must not be zero");
    }
    Ok(Value::Iter(Arc::new(Iter::Range(start, stop, step))))
}

/// Items of a local iterable, ranges included.
pub(crate) fn seq_items(v: &Value) -> OpResult<Vec<Value>> {
    match v {
        Value::None => Ok(vec![]),
        Value::Iter(it) => {
            let mut it = (**it).clone();
            if let Iter::Range(a, b, s) = it {
                if ((b - a) / s) > 1_000_000 {
                    return unsupported("range larger than a million items");
                }
            }
            Ok(std::iter::from_fn(|| crate::exec::next_item(&mut it)).collect())
        }
        other => Ok(other.items()?.to_vec()),
    }
}

fn dict_of(a: &Args) -> OpResult<Value> {
    let mut d = match a.pos.first() {
        None => vec![],
        Some(Value::Dict(d)) => d.to_vec(),
        Some(other) => {
            let mut d = vec![];
            for pair in seq_items(other)? {
                let kv = seq_items(&pair)?;
                if kv.len() != 2 {
                    return raise(ExcType::ValueError, "dictionary update sequence element has wrong length");
                }
                dict_set(&mut d, kv[0].clone(), kv[1].clone());
            }
            d
        }
    };
    for (k, v) in &a.kw {
        dict_set(&mut d, Value::Str(k.clone()), v.clone());
    }
    Ok(Value::Dict(Arc::new(d)))
}

fn aggregate(b: Builtin, a: &Args) -> OpResult<Value> {
    if a.kw.iter().any(|(k, _)| &**k == "key") {
        return unsupported("key= is not supported (it needs a lambda)");
    }
    let items = if a.pos.len() == 1 || b == Builtin::Sorted || b == Builtin::Sum {
        seq_items(a.pos.first().unwrap_or(&Value::None))?
    } else {
        a.pos.clone()
    };
    let mut sorted = items.clone();
    let mut err = None;
    sorted.sort_by(|x, y| {
        value::py_cmp(x, y).unwrap_or_else(|e| {
            err = Some(e);
            std::cmp::Ordering::Equal
        })
    });
    if let Some(e) = err {
        return Err(e);
    }
    let reverse = a.kw.iter().any(|(k, v)| &**k == "reverse" && v.truthy());
    Ok(match b {
        Builtin::Sorted if reverse => Value::list(sorted.into_iter().rev().collect()),
        Builtin::Sorted => Value::list(sorted),
        Builtin::Sum => {
            let mut total = a.pos.get(1).cloned().unwrap_or(Value::Int(0));
            for x in items {
                total = value::binary(crate::ir::BinOp::Add, &total, &x)?;
            }
            total
        }
        _ if sorted.is_empty() => return raise(ExcType::ValueError, "min() or max() arg is an empty sequence"),
        Builtin::Min => sorted[0].clone(),
        _ => sorted[sorted.len() - 1].clone(),
    })
}

fn isinstance(v: &Value, ty: &Value) -> bool {
    match ty {
        Value::Tuple(ts) => ts.iter().any(|t| isinstance(v, t)),
        Value::Builtin(b) => {
            matches!(
                (b, v),
                (Builtin::Int, Value::Int(_) | Value::Bool(_))
                    | (Builtin::Str, Value::Str(_))
                    | (Builtin::Bool, Value::Bool(_))
                    | (Builtin::List, Value::List(_))
                    | (Builtin::Tuple, Value::Tuple(_))
                    | (Builtin::Dict, Value::Dict(_))
            ) || matches!((b, v), (Builtin::Exception(t), Value::Exc(e)) if t.catches(e.ty))
        }
        _ => false,
    }
}

/// Texts evaluated lately, per thread: the search evaluates the same few
/// file contents again in state after state.
const EVAL_MEMO: usize = 4096;

type EvalMemo = rustc_hash::FxHashMap<(Arc<str>, bool), OpResult<Value>>;

thread_local! {
    static EVALUATED: std::cell::RefCell<EvalMemo> = Default::default();
}

/// `eval` / `ast.literal_eval` of a Python literal, parsed by the same
/// parser as the model. A syntax error is raised as Python raises it.
pub(crate) fn literal_eval(src: &Value, is_eval: bool) -> OpResult<Value> {
    let Value::Str(s) = src else {
        return Err(type_err("eval() arg 1 must be a string"));
    };
    let key = (s.clone(), is_eval);
    if let Some(r) = EVALUATED.with(|m| m.borrow().get(&key).cloned()) {
        return r;
    }
    let r = parse_literal(src, s, is_eval);
    EVALUATED.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= EVAL_MEMO {
            m.clear();
        }
        m.insert(key, r.clone());
    });
    r
}

fn parse_literal(src: &Value, s: &str, is_eval: bool) -> OpResult<Value> {
    let text = s.trim_start_matches([' ', '\t']);
    let parsed = match ruff_python_parser::parse_expression(text) {
        Ok(p) => p,
        Err(e) => {
            let msg = if text.trim().is_empty() {
                "invalid syntax (<string>, line 0)".to_string()
            } else {
                format!("{} (<string>, line 1)", e.error)
            };
            return raise(ExcType::SyntaxError, msg);
        }
    };
    literal(parsed.expr()).ok_or_else(|| {
        let what = if is_eval { "eval()" } else { "ast.literal_eval()" };
        crate::value::OpError::Unsupported(format!("{what} of {} is not modelled: only literals are", value::repr(src)))
    })
}

fn literal(e: &ast::Expr) -> Option<Value> {
    Some(match e {
        ast::Expr::NumberLiteral(n) => match &n.value {
            ast::Number::Int(i) => Value::Int(i.as_i64()?),
            ast::Number::Float(f) => Value::Float(f.to_bits()),
            _ => return None,
        },
        ast::Expr::StringLiteral(s) => Value::str(s.value.to_str()),
        ast::Expr::BooleanLiteral(b) => Value::Bool(b.value),
        ast::Expr::NoneLiteral(_) => Value::None,
        ast::Expr::List(l) => Value::list(l.elts.iter().map(literal).collect::<Option<_>>()?),
        ast::Expr::Tuple(t) => Value::tuple(t.elts.iter().map(literal).collect::<Option<_>>()?),
        ast::Expr::Dict(d) => {
            let mut out = vec![];
            for item in &d.items {
                dict_set(&mut out, literal(item.key.as_ref()?)?, literal(&item.value)?);
            }
            Value::Dict(Arc::new(out))
        }
        ast::Expr::UnaryOp(u) if u.op == ast::UnaryOp::USub => {
            Value::Int(literal(&u.operand)?.as_int()?.checked_neg()?)
        }
        _ => return None,
    })
}

pub(crate) fn local_get_item(o: &Value, k: &Value) -> OpResult<Value> {
    match o {
        Value::Dict(d) => {
            dict_get(d, k).cloned().ok_or_else(|| crate::value::OpError::Raise(ExcType::KeyError, value::repr(k)))
        }
        Value::List(v) | Value::Tuple(v) => Ok(v[seq_index(k, v.len(), o)?].clone()),
        Value::Str(s) => {
            let chars: Vec<char> = s.chars().collect();
            Ok(Value::str(&chars[seq_index(k, chars.len(), o)?].to_string()))
        }
        other => raise(ExcType::TypeError, format!("'{}' object is not subscriptable", other.type_name())),
    }
}

fn seq_index(k: &Value, len: usize, o: &Value) -> OpResult<usize> {
    let Some(i) = k.as_int() else {
        return raise(ExcType::TypeError, format!("{} indices must be integers", o.type_name()));
    };
    let j = if i < 0 { i + len as i64 } else { i };
    if j < 0 || j >= len as i64 {
        return raise(ExcType::IndexError, format!("{} index out of range", o.type_name()));
    }
    Ok(j as usize)
}

pub(crate) fn local_set_item(o: Value, k: Value, v: Value) -> OpResult<Value> {
    match o {
        Value::Dict(mut d) => {
            dict_set(Arc::make_mut(&mut d), k, v);
            Ok(Value::Dict(d))
        }
        Value::List(mut l) => {
            let i = seq_index(&k, l.len(), &Value::List(l.clone()))?;
            Arc::make_mut(&mut l)[i] = v;
            Ok(Value::List(l))
        }
        other => raise(ExcType::TypeError, format!("'{}' object does not support item assignment", other.type_name())),
    }
}

/// A method of a local value: the receiver after the call, and the result.
pub(crate) fn local_method(recv: Value, name: &str, a: &Args) -> OpResult<(Value, Value)> {
    let arg = |i: usize| a.pos.get(i).cloned().unwrap_or(Value::None);
    match recv {
        Value::Str(ref s) => Ok((recv.clone(), str_method(s, name, a)?)),
        Value::List(mut l) => {
            let r = list_method(Arc::make_mut(&mut l), name, a)?;
            Ok((Value::List(l), r))
        }
        Value::Dict(mut d) => {
            let r = dict_method(Arc::make_mut(&mut d), name, a, arg(0), arg(1))?;
            Ok((Value::Dict(d), r))
        }
        Value::Exc(_)
        | Value::CurrentProcess
        | Value::Int(_)
        | Value::None
        | Value::Bool(_)
        | Value::Tuple(_)
        | Value::Float(_)
        | Value::Func(_)
        | Value::Builtin(_)
        | Value::Obj(_)
        | Value::File(_)
        | Value::Iter(_) => unsupported(format!("'{}' object has no method '{name}' in models", recv.type_name())),
    }
}

fn str_method(s: &str, name: &str, a: &Args) -> OpResult<Value> {
    let sarg = |i: usize| a.pos.get(i).map(value::to_str);
    Ok(match name {
        "upper" => Value::str(&s.to_uppercase()),
        "lower" => Value::str(&s.to_lowercase()),
        "strip" => Value::str(s.trim()),
        "startswith" => Value::Bool(s.starts_with(&sarg(0).unwrap_or_default())),
        "endswith" => Value::Bool(s.ends_with(&sarg(0).unwrap_or_default())),
        "replace" => Value::str(&s.replace(&sarg(0).unwrap_or_default(), &sarg(1).unwrap_or_default())),
        "count" => Value::Int(s.matches(&sarg(0).unwrap_or_default()).count() as i64),
        "split" => {
            let parts: Vec<Value> = match sarg(0) {
                Some(sep) if !sep.is_empty() => s.split(sep.as_str()).map(Value::str).collect(),
                _ => s.split_whitespace().map(Value::str).collect(),
            };
            Value::list(parts)
        }
        "join" => {
            let items = seq_items(a.pos.first().unwrap_or(&Value::None))?;
            let mut out = Vec::with_capacity(items.len());
            for it in &items {
                match it {
                    Value::Str(x) => out.push(x.to_string()),
                    other => {
                        return raise(
                            ExcType::TypeError,
                            format!("sequence item: expected str instance, {} found", other.type_name()),
                        )
                    }
                }
            }
            Value::str(&out.join(s))
        }
        "format" => Value::str(&str_format(s, a)?),
        _ => return unsupported(format!("'str' object has no method '{name}' in models")),
    })
}

/// `'{} {name} {0:>3}'.format(...)`
fn str_format(fmt: &str, a: &Args) -> OpResult<String> {
    let mut out = String::new();
    let mut auto = 0usize;
    let mut rest = fmt;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        let Some(close) = tail.find('}') else {
            return raise(ExcType::ValueError, "Single '{' encountered in format string");
        };
        let field = &tail[1..close];
        let (name, spec) = field.split_once(':').unwrap_or((field, ""));
        let v = if name.is_empty() {
            auto += 1;
            a.pos.get(auto - 1)
        } else if let Ok(i) = name.parse::<usize>() {
            a.pos.get(i)
        } else {
            a.kw.iter().find(|(k, _)| &**k == name).map(|(_, v)| v)
        };
        let Some(v) = v else {
            return raise(ExcType::IndexError, "Replacement index out of range for positional args tuple");
        };
        out.push_str(&format_value(v, Some(spec))?);
        rest = &tail[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn list_method(l: &mut Vec<Value>, name: &str, a: &Args) -> OpResult<Value> {
    let arg0 = a.pos.first().cloned().unwrap_or(Value::None);
    Ok(match name {
        "append" => {
            l.push(arg0);
            Value::None
        }
        "extend" => {
            l.extend(seq_items(&arg0)?);
            Value::None
        }
        "insert" => {
            let i = arg0.as_int().unwrap_or(0);
            let i = if i < 0 { (l.len() as i64 + i).max(0) } else { i.min(l.len() as i64) };
            l.insert(i as usize, a.pos.get(1).cloned().unwrap_or(Value::None));
            Value::None
        }
        "pop" => {
            if l.is_empty() {
                return raise(ExcType::IndexError, "pop from empty list");
            }
            let i = a.pos.first().map_or(Ok(l.len() - 1), |k| seq_index(k, l.len(), &Value::None))?;
            l.remove(i)
        }
        "remove" | "index" => {
            let Some(i) = l.iter().position(|x| value::py_eq(x, &arg0)) else {
                return raise(ExcType::ValueError, format!("list.{name}(x): x not in list"));
            };
            if name == "remove" {
                l.remove(i);
                Value::None
            } else {
                Value::Int(i as i64)
            }
        }
        "count" => Value::Int(l.iter().filter(|x| value::py_eq(x, &arg0)).count() as i64),
        "copy" => Value::list(l.clone()),
        _ => return unsupported(format!("'list' object has no method '{name}' in models")),
    })
}

fn dict_method(d: &mut Vec<(Value, Value)>, name: &str, a: &Args, k: Value, default: Value) -> OpResult<Value> {
    Ok(match name {
        "get" => dict_get(d, &k).cloned().unwrap_or(default),
        "keys" => Value::list(d.iter().map(|(k, _)| k.clone()).collect()),
        "values" => Value::list(d.iter().map(|(_, v)| v.clone()).collect()),
        "items" => Value::list(d.iter().map(|(k, v)| Value::tuple(vec![k.clone(), v.clone()])).collect()),
        "copy" => Value::Dict(Arc::new(d.clone())),
        "setdefault" => match dict_get(d, &k) {
            Some(v) => v.clone(),
            None => {
                dict_set(d, k, default.clone());
                default
            }
        },
        "pop" => match d.iter().position(|(x, _)| value::py_eq(x, &k)) {
            Some(i) => d.remove(i).1,
            None if a.pos.len() > 1 => default,
            None => return raise(ExcType::KeyError, value::repr(&k)),
        },
        "update" => {
            if let Value::Dict(other) = &k {
                for (x, v) in other.iter() {
                    dict_set(d, x.clone(), v.clone());
                }
            }
            for (x, v) in &a.kw {
                dict_set(d, Value::Str(x.clone()), v.clone());
            }
            Value::None
        }
        _ => return unsupported(format!("'dict' object has no method '{name}' in models")),
    })
}
