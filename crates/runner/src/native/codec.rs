//! Values on the wire: what travels through a queue's pipe or to the
//! manager server (CPython pickles them). Only data travels; a lock, a
//! queue, a process handle or a file cannot be sent this way.

use std::sync::Arc;

use interleave_machine::value::Value;
use serde_json::{json, Value as Json};

pub fn encode(v: &Value) -> Result<Json, String> {
    let seq = |items: &[Value]| items.iter().map(encode).collect::<Result<Vec<_>, _>>();
    Ok(match v {
        Value::None => json!(["N"]),
        Value::Bool(b) => json!(["B", b]),
        Value::Int(i) => json!(["I", i]),
        Value::Float(bits) => json!(["F", bits]),
        Value::Str(s) => json!(["S", &**s]),
        Value::Tuple(items) => json!(["T", seq(items)?]),
        Value::List(items) => json!(["L", seq(items)?]),
        Value::Dict(d) => {
            let pairs =
                d.iter().map(|(k, v)| Ok(json!([encode(k)?, encode(v)?]))).collect::<Result<Vec<_>, String>>()?;
            json!(["D", pairs])
        }
        other => {
            return Err(format!(
                "a value of type '{}' cannot be sent between real processes by the native backend",
                other.type_name()
            ))
        }
    })
}

pub fn decode(j: &Json) -> Result<Value, String> {
    let bad = || format!("malformed value on the wire: {j}");
    let tag = j.get(0).and_then(Json::as_str).ok_or_else(bad)?;
    let arg = || j.get(1).ok_or_else(bad);
    let seq = |a: &Json| -> Result<Vec<Value>, String> { a.as_array().ok_or_else(bad)?.iter().map(decode).collect() };
    Ok(match tag {
        "N" => Value::None,
        "B" => Value::Bool(arg()?.as_bool().ok_or_else(bad)?),
        "I" => Value::Int(arg()?.as_i64().ok_or_else(bad)?),
        "F" => Value::Float(arg()?.as_u64().ok_or_else(bad)?),
        "S" => Value::str(arg()?.as_str().ok_or_else(bad)?),
        "T" => Value::tuple(seq(arg()?)?),
        "L" => Value::list(seq(arg()?)?),
        "D" => {
            let mut pairs = vec![];
            for p in arg()?.as_array().ok_or_else(bad)? {
                pairs.push((decode(p.get(0).ok_or_else(bad)?)?, decode(p.get(1).ok_or_else(bad)?)?));
            }
            Value::Dict(Arc::new(pairs))
        }
        _ => return Err(bad()),
    })
}
