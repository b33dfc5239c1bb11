//! Manager dict and list proxies: each call one atomic step.

use std::sync::Arc;

use super::Args;
use crate::interp::Run;
use crate::ir::ExcType;
use crate::value::{self, raise, unsupported, ObjId, OpError, OpResult, Value};
use crate::world::{Loc, Object};

impl Run<'_, '_> {
    /// Snapshot of a Manager dict (its keys) or list, read through the proxy.
    pub(crate) fn proxy_snapshot(&mut self, id: ObjId) -> OpResult<Arc<Vec<Value>>> {
        match self.obj(id).clone() {
            Object::Dict(d) => {
                for (k, _) in d.iter() {
                    self.read(Loc::Key(id, k.clone()));
                }
                Ok(Arc::new(d.iter().map(|(k, _)| k.clone()).collect()))
            }
            Object::List(l) => Ok(l),
            o => raise(ExcType::TypeError, format!("'{}' object is not iterable", o.kind_name())),
        }
    }

    /// The referent of a proxy as a local value (`print(d)`, `dict(d)`).
    pub(crate) fn proxy_value(&mut self, id: ObjId) -> Value {
        match self.obj(id).clone() {
            Object::Dict(d) => {
                for (k, _) in d.iter() {
                    self.read(Loc::Key(id, k.clone()));
                }
                self.ctx.effect(|| format!("reads {}", value::repr(&Value::Dict(d.clone()))));
                Value::Dict(d)
            }
            Object::List(l) => Value::List(l),
            _ => Value::Obj(id),
        }
    }

    pub(crate) fn proxy_contains(&mut self, id: ObjId, k: &Value) -> OpResult<bool> {
        match self.obj(id).clone() {
            Object::Dict(d) => {
                self.read(Loc::Key(id, k.clone()));
                Ok(value::dict_get(&d, k).is_some())
            }
            Object::List(l) => Ok(l.iter().any(|x| value::py_eq(x, k))),
            o => raise(ExcType::TypeError, format!("argument of type '{}' is not iterable", o.kind_name())),
        }
    }

    pub(crate) fn proxy_get(&mut self, id: ObjId, k: &Value) -> OpResult<Value> {
        match self.obj(id).clone() {
            Object::Dict(d) => {
                self.read(Loc::Key(id, k.clone()));
                let v = value::dict_get(&d, k).cloned();
                let v = v.ok_or_else(|| OpError::Raise(ExcType::KeyError, value::repr(k)))?;
                self.ctx.effect(|| format!("reads [{}] = {}", value::repr(k), value::repr(&v)));
                Ok(v)
            }
            Object::List(l) => {
                let i = index_of(k, l.len())?;
                self.read(Loc::Item(id, i as i64));
                self.ctx.effect(|| format!("reads [{i}] = {}", value::repr(&l[i])));
                Ok(l[i].clone())
            }
            o => raise(ExcType::TypeError, format!("'{}' object is not subscriptable", o.kind_name())),
        }
    }

    pub(crate) fn proxy_set(&mut self, id: ObjId, k: Value, v: Value) -> OpResult<()> {
        let old = match self.obj_mut(id) {
            Object::Dict(d) => {
                let d = Arc::make_mut(d);
                let old = value::dict_get(d, &k).cloned();
                value::dict_set(d, k.clone(), v.clone());
                old
            }
            Object::List(l) => {
                let i = index_of(&k, l.len())?;
                let l = Arc::make_mut(l);
                Some(std::mem::replace(&mut l[i], v.clone()))
            }
            o => {
                return raise(
                    ExcType::TypeError,
                    format!("'{}' object does not support item assignment", o.kind_name()),
                )
            }
        };
        let loc = match self.obj(id) {
            Object::List(_) => Loc::Item(id, k.as_int().unwrap_or(0)),
            _ => Loc::Key(id, k.clone()),
        };
        self.write(loc);
        self.ctx.effect(|| {
            let old = old.as_ref().map_or("(new)".to_string(), value::repr);
            format!("{}: {} -> {}", key_label(&k), old, value::repr(&v))
        });
        Ok(())
    }

    pub(crate) fn proxy_method(&mut self, id: ObjId, name: &str, a: &Args) -> OpResult<Value> {
        let local = self.proxy_value_quiet(id);
        let (new, result) = crate::builtins::local_method(local.clone(), name, a)?;
        let changed = new != local;
        match (self.obj_mut(id), new) {
            (Object::Dict(d), Value::Dict(n)) => *d = n,
            (Object::List(l), Value::List(n)) => *l = n,
            _ => {}
        }
        self.track_proxy_call(id, name, a, changed);
        self.ctx.effect(|| format!("{name}() = {}", value::repr(&result)));
        Ok(result)
    }

    pub(crate) fn proxy_value_quiet(&self, id: ObjId) -> Value {
        match self.obj(id) {
            Object::Dict(d) => Value::Dict(d.clone()),
            Object::List(l) => Value::List(l.clone()),
            _ => Value::None,
        }
    }

    /// Reads and writes of a proxy method call, for the lost-update check.
    pub(crate) fn track_proxy_call(&mut self, id: ObjId, name: &str, a: &Args, changed: bool) {
        let is_dict = matches!(self.obj(id), Object::Dict(_));
        let key = a.pos.first().cloned();
        match (is_dict, name, key) {
            (true, "get" | "setdefault" | "pop", Some(k)) => {
                self.read(Loc::Key(id, k.clone()));
                if changed {
                    self.write(Loc::Key(id, k));
                }
            }
            (true, "update", _) if changed => {
                if let Some(Value::Dict(d)) = a.pos.first() {
                    for (k, _) in d.iter() {
                        self.write(Loc::Key(id, k.clone()));
                    }
                }
            }
            _ => {}
        }
    }

    pub(crate) fn manager_method(&mut self, name: &str, a: &Args) -> OpResult<Value> {
        let init = a.get(0, &[]).cloned();
        let o = match name {
            "dict" => {
                let d = match init {
                    None => vec![],
                    Some(v) => match v {
                        Value::Dict(d) => d.to_vec(),
                        other => {
                            return raise(
                                ExcType::TypeError,
                                format!("dict() of '{}' is not supported", other.type_name()),
                            )
                        }
                    },
                };
                let mut d = d;
                for (k, v) in &a.kw {
                    value::dict_set(&mut d, Value::Str(k.clone()), v.clone());
                }
                Object::Dict(Arc::new(d))
            }
            "list" => Object::List(match init {
                None => Arc::new(vec![]),
                Some(v) => self.local_items(&v)?,
            }),
            "shutdown" => return Ok(Value::None),
            "Lock" | "RLock" | "Queue" | "Value" | "Event" | "Semaphore" => {
                return unsupported(format!("m.{name}() is not modelled; use multiprocessing.{name}() instead"))
            }
            _ => return raise(ExcType::TypeError, format!("'SyncManager' object has no method '{name}'")),
        };
        Ok(Value::Obj(self.w.alloc(o)))
    }
}

pub(crate) fn index_of(k: &Value, len: usize) -> OpResult<usize> {
    let Some(i) = k.as_int() else {
        return raise(ExcType::TypeError, "list indices must be integers");
    };
    let j = if i < 0 { i + len as i64 } else { i };
    if j < 0 || j >= len as i64 {
        return raise(ExcType::IndexError, "list index out of range");
    }
    Ok(j as usize)
}

fn key_label(k: &Value) -> String {
    match k {
        Value::Str(s) => s.to_string(),
        other => value::repr(other),
    }
}
