//! Runtime values and the Python behaviour of the local operations on them
//! (arithmetic, comparison, `str`/`repr`, truth).
//!
//! Containers local to a process (`list`, `dict`, `tuple`) have value
//! semantics behind an `Arc`: copying is cheap and a state hashes by
//! content. Process arguments are pickled copies in CPython, so across
//! processes this is exact; within a process, aliasing of one list by two
//! names is not modelled (see the crate's Limitations).

use std::fmt::Write as _;
use std::sync::Arc;

use crate::ir::{BinOp, Builtin, CmpOp, ExcType};

/// Index of a shared object in the [`crate::world::World`].
pub type ObjId = u32;
/// Index of a process (0 is the main process).
pub type Pid = u32;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(u64),
    Str(Arc<str>),
    Tuple(Arc<Vec<Value>>),
    List(Arc<Vec<Value>>),
    /// Insertion-ordered, as Python's dict.
    Dict(Arc<Vec<(Value, Value)>>),
    Func(u32),
    Builtin(Builtin),
    /// A shared object: lock, queue, manager proxy, `Value`, process handle.
    Obj(ObjId),
    /// An open file of the running process (index in its file table).
    File(u32),
    /// `multiprocessing.current_process()`.
    CurrentProcess,
    /// An exception instance.
    Exc(Arc<Exception>),
    /// A `for` loop's iterator.
    Iter(Arc<Iter>),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Exception {
    pub ty: ExcType,
    /// The message as `str(e)` gives it.
    pub msg: Arc<str>,
    /// `sys.exit(n)` carries the exit code.
    pub code: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Iter {
    Seq(Arc<Vec<Value>>, u32),
    Range(i64, i64, i64),
}

/// An error in a local operation: a Python exception to raise, or a use of
/// Python the model does not support (reported as a model error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpError {
    Raise(ExcType, String),
    Unsupported(String),
}

pub type OpResult<T> = Result<T, OpError>;

pub fn raise<T>(ty: ExcType, msg: impl Into<String>) -> OpResult<T> {
    Err(OpError::Raise(ty, msg.into()))
}

pub fn unsupported<T>(msg: impl Into<String>) -> OpResult<T> {
    Err(OpError::Unsupported(msg.into()))
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Str(Arc::from(s))
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Arc::new(items))
    }

    pub fn tuple(items: Vec<Value>) -> Value {
        Value::Tuple(Arc::new(items))
    }

    pub fn exc(ty: ExcType, msg: &str) -> Value {
        Value::Exc(Arc::new(Exception { ty, msg: Arc::from(msg), code: 1 }))
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Tuple(_) => "tuple",
            Value::List(_) => "list",
            Value::Dict(_) => "dict",
            Value::Func(_) => "function",
            Value::Builtin(_) => "builtin_function_or_method",
            Value::Obj(_) => "object",
            Value::File(_) => "TextIOWrapper",
            Value::CurrentProcess => "Process",
            Value::Exc(_) => "Exception",
            Value::Iter(_) => "iterator",
        }
    }

    pub fn truthy(&self) -> bool {
        match self {
            Value::None => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => f64::from_bits(*f) != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::Tuple(v) | Value::List(v) => !v.is_empty(),
            Value::Dict(d) => !d.is_empty(),
            _ => true,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(*b as i64),
            _ => None,
        }
    }

    /// Items of a local sequence (`for`, `list()`, `len()`...).
    pub fn items(&self) -> OpResult<Arc<Vec<Value>>> {
        match self {
            Value::Tuple(v) | Value::List(v) => Ok(v.clone()),
            Value::Dict(d) => Ok(Arc::new(d.iter().map(|(k, _)| k.clone()).collect())),
            Value::Str(s) => Ok(Arc::new(s.chars().map(|c| Value::str(&c.to_string())).collect())),
            other => raise(ExcType::TypeError, format!("'{}' object is not iterable", other.type_name())),
        }
    }
}

/// Python's `==` on local values.
pub fn py_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(_) | Value::Bool(_), Value::Int(_) | Value::Bool(_)) => a.as_int() == b.as_int(),
        (Value::Tuple(x), Value::Tuple(y)) | (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| py_eq(p, q))
        }
        (Value::Dict(x), Value::Dict(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| dict_get(y, k).is_some_and(|w| py_eq(v, w)))
        }
        (Value::Float(x), Value::Float(y)) => f64::from_bits(*x) == f64::from_bits(*y),
        _ => a == b,
    }
}

pub fn dict_get<'a>(d: &'a [(Value, Value)], k: &Value) -> Option<&'a Value> {
    d.iter().find(|(key, _)| py_eq(key, k)).map(|(_, v)| v)
}

pub fn dict_set(d: &mut Vec<(Value, Value)>, k: Value, v: Value) {
    match d.iter_mut().find(|(key, _)| py_eq(key, &k)) {
        Some(slot) => slot.1 = v,
        None => d.push((k, v)),
    }
}

/// Python's ordering (`<`) for ints, strings and sequences of them.
pub fn py_cmp(a: &Value, b: &Value) -> OpResult<std::cmp::Ordering> {
    match (a, b) {
        (Value::Int(_) | Value::Bool(_), Value::Int(_) | Value::Bool(_)) => Ok(a.as_int().cmp(&b.as_int())),
        (Value::Str(x), Value::Str(y)) => Ok(x.cmp(y)),
        (Value::Tuple(x), Value::Tuple(y)) | (Value::List(x), Value::List(y)) => {
            for (p, q) in x.iter().zip(y.iter()) {
                let o = py_cmp(p, q)?;
                if o != std::cmp::Ordering::Equal {
                    return Ok(o);
                }
            }
            Ok(x.len().cmp(&y.len()))
        }
        _ => raise(
            ExcType::TypeError,
            format!("'<' not supported between instances of '{}' and '{}'", a.type_name(), b.type_name()),
        ),
    }
}

pub fn compare(op: CmpOp, a: &Value, b: &Value) -> OpResult<bool> {
    use std::cmp::Ordering::*;
    Ok(match op {
        CmpOp::Eq => py_eq(a, b),
        CmpOp::Ne => !py_eq(a, b),
        CmpOp::Is => a == b,
        CmpOp::IsNot => a != b,
        CmpOp::Lt => py_cmp(a, b)? == Less,
        CmpOp::Le => py_cmp(a, b)? != Greater,
        CmpOp::Gt => py_cmp(a, b)? == Greater,
        CmpOp::Ge => py_cmp(a, b)? != Less,
        CmpOp::In => contains(b, a)?,
        CmpOp::NotIn => !contains(b, a)?,
    })
}

fn contains(container: &Value, item: &Value) -> OpResult<bool> {
    match (container, item) {
        (Value::Str(s), Value::Str(sub)) => Ok(s.contains(&**sub)),
        (Value::Dict(d), _) => Ok(dict_get(d, item).is_some()),
        (Value::List(v) | Value::Tuple(v), _) => Ok(v.iter().any(|x| py_eq(x, item))),
        _ => raise(ExcType::TypeError, format!("argument of type '{}' is not iterable", container.type_name())),
    }
}

fn overflow<T>() -> OpResult<T> {
    unsupported("integer overflow: the model's integers must fit in 64 bits")
}

pub fn binary(op: BinOp, a: &Value, b: &Value) -> OpResult<Value> {
    if let (Some(x), Some(y)) = (a.as_int(), b.as_int()) {
        return int_binary(op, x, y);
    }
    match (op, a, b) {
        (BinOp::Add, Value::Str(x), Value::Str(y)) => Ok(Value::str(&format!("{x}{y}"))),
        (BinOp::Add, Value::List(x), Value::List(y)) => Ok(Value::list(x.iter().chain(y.iter()).cloned().collect())),
        (BinOp::Add, Value::Tuple(x), Value::Tuple(y)) => Ok(Value::tuple(x.iter().chain(y.iter()).cloned().collect())),
        (BinOp::Mul, Value::Str(s), n) | (BinOp::Mul, n, Value::Str(s)) if n.as_int().is_some() => {
            let n = n.as_int().unwrap_or(0).max(0) as usize;
            if s.len().saturating_mul(n) > 16 << 20 {
                return unsupported("string repetition larger than 16 MiB");
            }
            Ok(Value::str(&s.repeat(n)))
        }
        (BinOp::Mul, Value::List(v), n) if n.as_int().is_some() => {
            let n = n.as_int().unwrap_or(0).max(0) as usize;
            if v.len().saturating_mul(n) > 1 << 20 {
                return unsupported("list repetition larger than a million items");
            }
            Ok(Value::list(v.iter().cloned().cycle().take(v.len() * n).collect()))
        }
        (BinOp::Mod, Value::Str(fmt), args) => percent_format(fmt, args),
        (_, Value::Float(_), _) | (_, _, Value::Float(_)) => {
            unsupported("arithmetic on floats is not modelled; floats may only be durations such as time.sleep(0.5)")
        }
        _ => raise(
            ExcType::TypeError,
            format!("unsupported operand type(s) for {}: '{}' and '{}'", op_symbol(op), a.type_name(), b.type_name()),
        ),
    }
}

fn op_symbol(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::FloorDiv => "//",
        BinOp::Div => "/",
        BinOp::Mod => "%",
        BinOp::Pow => "**",
    }
}

fn int_binary(op: BinOp, x: i64, y: i64) -> OpResult<Value> {
    let zero = || raise(ExcType::ZeroDivisionError, "integer division or modulo by zero");
    let r = match op {
        BinOp::Add => x.checked_add(y),
        BinOp::Sub => x.checked_sub(y),
        BinOp::Mul => x.checked_mul(y),
        BinOp::FloorDiv => {
            if y == 0 {
                return zero();
            }
            Some(x.div_euclid(y) - if (x.rem_euclid(y) != 0) && (y < 0) { 1 } else { 0 })
        }
        BinOp::Mod => {
            if y == 0 {
                return zero();
            }
            let m = x.rem_euclid(y);
            Some(if m != 0 && y < 0 { m + y } else { m })
        }
        BinOp::Div => {
            if y == 0 {
                return raise(ExcType::ZeroDivisionError, "division by zero");
            }
            if x % y != 0 {
                return unsupported(format!("{x} / {y} is not a whole number; floats are not modelled, use //"));
            }
            Some(x / y)
        }
        BinOp::Pow => {
            if y < 0 {
                return unsupported("negative powers give floats, which are not modelled");
            }
            u32::try_from(y).ok().and_then(|e| x.checked_pow(e))
        }
    };
    r.map(Value::Int).map_or_else(overflow, Ok)
}

/// `fmt % args` with `%s`, `%d`, `%r` and `%%`.
fn percent_format(fmt: &str, args: &Value) -> OpResult<Value> {
    let args: Vec<Value> = match args {
        Value::Tuple(v) => v.to_vec(),
        other => vec![other.clone()],
    };
    let mut out = String::new();
    let mut next = args.iter();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let spec = chars.next();
        if spec == Some('%') {
            out.push('%');
            continue;
        }
        let Some(arg) = next.next() else {
            return raise(ExcType::TypeError, "not enough arguments for format string");
        };
        match spec {
            Some('s') => out.push_str(&to_str(arg)),
            Some('r') => out.push_str(&repr(arg)),
            Some('d') | Some('i') => match arg.as_int() {
                Some(i) => write!(out, "{i}").unwrap_or(()),
                None => {
                    return raise(
                        ExcType::TypeError,
                        format!("%d format: a real number is required, not {}", arg.type_name()),
                    )
                }
            },
            _ => return unsupported("only %s, %d, %r and %% are supported in %-formatting"),
        }
    }
    if next.next().is_some() {
        return raise(ExcType::TypeError, "not all arguments converted during string formatting");
    }
    Ok(Value::str(&out))
}

/// Python's `str(v)`.
pub fn to_str(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        Value::Exc(e) => e.msg.to_string(),
        other => repr(other),
    }
}

/// Python's `repr(v)`.
pub fn repr(v: &Value) -> String {
    let mut out = String::new();
    write_repr(&mut out, v);
    out
}

fn write_seq(out: &mut String, open: &str, close: &str, items: &[Value]) {
    out.push_str(open);
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_repr(out, x);
    }
    out.push_str(close);
}

fn write_repr(out: &mut String, v: &Value) {
    match v {
        Value::None => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Int(i) => write!(out, "{i}").unwrap_or(()),
        Value::Float(f) => write_float(out, f64::from_bits(*f)),
        Value::Str(s) => write_str_repr(out, s),
        Value::Tuple(t) if t.len() == 1 => {
            out.push('(');
            write_repr(out, &t[0]);
            out.push_str(",)");
        }
        Value::Tuple(t) => write_seq(out, "(", ")", t),
        Value::List(l) => write_seq(out, "[", "]", l),
        Value::Dict(d) => {
            out.push('{');
            for (i, (k, x)) in d.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(out, k);
                out.push_str(": ");
                write_repr(out, x);
            }
            out.push('}');
        }
        Value::Exc(e) => write!(out, "{}('{}')", e.ty.name(), e.msg).unwrap_or(()),
        Value::Func(f) => write!(out, "<function #{f}>").unwrap_or(()),
        Value::Builtin(b) => write!(out, "<built-in {b:?}>").unwrap_or(()),
        Value::Obj(id) => write!(out, "<object #{id}>").unwrap_or(()),
        Value::File(_) => out.push_str("<_io.TextIOWrapper>"),
        Value::CurrentProcess => out.push_str("<current process>"),
        Value::Iter(_) => out.push_str("<iterator>"),
    }
}

fn write_float(out: &mut String, f: f64) {
    if f.fract() == 0.0 && f.abs() < 1e16 {
        write!(out, "{f:.1}").unwrap_or(());
    } else {
        write!(out, "{f}").unwrap_or(());
    }
}

fn write_str_repr(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => write!(out, "\\x{:02x}", c as u32).unwrap_or(()),
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// Approximate size in bytes of a value once pickled and framed for a pipe;
/// only its order of magnitude matters (does an item fit the 64 KiB pipe).
pub fn pickled_size(v: &Value) -> u32 {
    let inner: u64 = match v {
        Value::Str(s) => s.len() as u64 + 5,
        Value::Tuple(t) | Value::List(t) => t.iter().map(|x| pickled_size(x) as u64).sum::<u64>() + 4,
        Value::Dict(d) => d.iter().map(|(k, x)| pickled_size(k) as u64 + pickled_size(x) as u64).sum::<u64>() + 4,
        _ => 9,
    };
    (inner + 16).min(u32::MAX as u64) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repr_matches_python_for_a_ticket_dict() {
        let d = Value::Dict(Arc::new(vec![(Value::str("ticket"), Value::Int(0))]));
        assert_eq!(repr(&d), "{'ticket': 0}");
        assert_eq!(repr(&Value::str("it's")), "\"it's\"");
        assert_eq!(repr(&Value::tuple(vec![Value::Int(1)])), "(1,)");
    }

    #[test]
    fn floor_division_and_modulo_round_like_python() {
        assert_eq!(int_binary(BinOp::FloorDiv, -7, 2), Ok(Value::Int(-4)));
        assert_eq!(int_binary(BinOp::Mod, -7, 2), Ok(Value::Int(1)));
        assert_eq!(int_binary(BinOp::Mod, 7, -2), Ok(Value::Int(-1)));
    }

    #[test]
    fn percent_format_fills_s_and_d() {
        let r = binary(BinOp::Mod, &Value::str("%s got %d"), &Value::tuple(vec![Value::str("a"), Value::Int(3)]));
        assert_eq!(r, Ok(Value::str("a got 3")));
    }
}
