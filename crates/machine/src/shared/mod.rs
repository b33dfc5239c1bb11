//! Operations on shared objects: locks, semaphores, events, queues,
//! Manager proxies, `Value`s, process handles and files. This module
//! dispatches on the receiver; each kind of object has its own file.

mod file;
mod process;
mod proxy;
mod queue;
mod sync;

pub use process::fake_pid;
pub use queue::{drop_feeders, feed, unflushed_queue};

use std::sync::Arc;

use crate::exec::Exec;
use crate::interp::Run;
use crate::ir::ExcType;
use crate::value::{self, raise, ObjId, OpResult, Value};
use crate::world::{Loc, Object, Poll};

/// Positional and keyword arguments of a call.
pub(crate) struct Args {
    pub pos: Vec<Value>,
    pub kw: Vec<(Arc<str>, Value)>,
}

impl Args {
    /// Argument by position or keyword name.
    pub fn get(&self, i: usize, names: &[&str]) -> Option<&Value> {
        self.pos.get(i).or_else(|| self.kw.iter().find(|(k, _)| names.contains(&&**k)).map(|(_, v)| v))
    }

    /// The `block` flag and whether a `timeout` was given (a timed wait is
    /// modelled as "returns at some point", i.e. never blocks for ever).
    pub fn blocking(&self, block_at: usize) -> bool {
        let block = self.get(block_at, &["block", "blocking"]).is_none_or(|v| v.truthy());
        let timeout = self.get(block_at + 1, &["timeout"]).is_some_and(|v| *v != Value::None);
        block && !timeout
    }
}

pub(crate) type OpPoll = OpResult<Poll<Value>>;

pub(crate) fn done(v: Value) -> OpPoll {
    Ok(Poll::Done(v))
}

impl Run<'_, '_> {
    fn obj(&self, id: ObjId) -> &Object {
        &self.w.objects[id as usize]
    }

    fn obj_mut(&mut self, id: ObjId) -> &mut Object {
        self.w.objects.part_mut(id as usize)
    }

    pub(crate) fn get_item(&mut self) -> Exec {
        let (o, k) = (self.peek(1).clone(), self.peek(0).clone());
        let v = match &o {
            Value::Obj(id) => self.proxy_get(*id, &k)?,
            _ => crate::builtins::local_get_item(&o, &k)?,
        };
        self.pop_n(2);
        self.push(v);
        Ok(Poll::Done(()))
    }

    pub(crate) fn set_item(&mut self, write_back: bool) -> Exec {
        let (v, o, k) = (self.peek(2).clone(), self.peek(1).clone(), self.peek(0).clone());
        let o2 = match &o {
            Value::Obj(_) if write_back => o.clone(),
            Value::Obj(id) => {
                self.proxy_set(*id, k, v)?;
                o.clone()
            }
            _ => crate::builtins::local_set_item(o, k, v)?,
        };
        self.pop_n(3);
        self.push(o2);
        Ok(Poll::Done(()))
    }

    pub(crate) fn get_attr(&mut self, name: &str) -> Exec {
        let o = self.peek(0).clone();
        let v = match &o {
            Value::Obj(id) => self.obj_attr(*id, name)?,
            Value::CurrentProcess => {
                let me = self.me;
                self.proc_attr(me, name)?
            }
            Value::Exc(e) if name == "args" => Value::tuple(vec![Value::Str(e.msg.clone())]),
            other => {
                return raise(ExcType::TypeError, format!("'{}' object has no attribute '{name}'", other.type_name()))
            }
        };
        self.pop();
        self.push(v);
        Ok(Poll::Done(()))
    }

    fn obj_attr(&mut self, id: ObjId, name: &str) -> OpResult<Value> {
        match (self.obj(id).clone(), name) {
            (Object::Value { value, .. }, "value") => {
                self.read(Loc::Val(id));
                self.ctx.effect(|| format!("reads value = {}", value::repr(&value)));
                Ok(value)
            }
            (Object::Process(h), _) => self.handle_attr(&h, name),
            (o, _) => raise(ExcType::TypeError, format!("'{}' object has no attribute '{name}'", o.kind_name())),
        }
    }

    pub(crate) fn set_attr(&mut self, name: &str) -> Exec {
        let (v, o) = (self.peek(1).clone(), self.peek(0).clone());
        let Value::Obj(id) = o else {
            return raise(ExcType::TypeError, format!("cannot set attribute '{name}' of '{}'", o.type_name()));
        };
        match (self.obj_mut(id), name) {
            (Object::Value { value, .. }, "value") => {
                let old = std::mem::replace(value, v.clone());
                self.write(Loc::Val(id));
                self.ctx.effect(|| format!("value: {} -> {}", value::repr(&old), value::repr(&v)));
            }
            (Object::Process(h), "daemon") if h.pid.is_none() => h.daemon = v.truthy(),
            (Object::Process(h), "name") => h.name = Arc::from(value::to_str(&v).as_str()),
            (Object::Process(_), "daemon") => return raise(ExcType::AssertionError, "process has already started"),
            (o, _) => {
                return raise(ExcType::TypeError, format!("cannot set attribute '{name}' of '{}'", o.kind_name()))
            }
        }
        self.pop_n(2);
        self.push(Value::Obj(id));
        Ok(Poll::Done(()))
    }

    pub(crate) fn call_method(&mut self, name: &str, nargs: usize, kw: &[Arc<str>]) -> Exec {
        let total = nargs + kw.len();
        let recv = self.peek(total).clone();
        let vals: Vec<Value> = (0..total).rev().map(|i| self.peek(i).clone()).collect();
        let mut pos = vals;
        let kwv = pos.split_off(nargs);
        let args = Args { pos, kw: kw.iter().cloned().zip(kwv).collect() };
        let (recv2, result) = match &recv {
            Value::Obj(id) => match self.object_method(*id, name, &args)? {
                Poll::Done(v) => (recv.clone(), v),
                Poll::Again => return Ok(Poll::Again),
                Poll::Blocked(w) => return Ok(Poll::Blocked(w)),
            },
            Value::File(i) => (recv.clone(), self.file_method(*i, name, &args)?),
            _ => crate::builtins::local_method(recv.clone(), name, &args)?,
        };
        self.pop_n(total + 1);
        self.push(recv2);
        self.push(result);
        Ok(Poll::Done(()))
    }

    fn object_method(&mut self, id: ObjId, name: &str, a: &Args) -> OpPoll {
        match self.obj(id) {
            Object::Lock(_) | Object::RLock { .. } | Object::Semaphore { .. } => self.lock_method(id, name, a),
            Object::Event(_) => self.event_method(id, name, a),
            Object::Queue(_) => self.queue_method(id, name, a),
            Object::Dict(_) | Object::List(_) => self.proxy_method(id, name, a).map(Poll::Done),
            Object::Value { lock, .. } if name == "get_lock" => done(Value::Obj(*lock)),
            Object::Process(_) => self.process_method(id, name, a),
            Object::Manager => self.manager_method(name, a).map(Poll::Done),
            o => raise(ExcType::TypeError, format!("'{}' object has no method '{name}'", o.kind_name())),
        }
    }

    pub(crate) fn with_enter(&mut self) -> Exec {
        let ctx = self.peek(0).clone();
        let entered = match &ctx {
            Value::Obj(id) => match self.obj(*id) {
                Object::Lock(_) | Object::RLock { .. } | Object::Semaphore { .. } => match self.acquire(*id, true)? {
                    Poll::Done(_) => ctx.clone(),
                    other => return Ok(other.map_unit()),
                },
                Object::Manager => ctx.clone(),
                o => {
                    return raise(
                        ExcType::TypeError,
                        format!("'{}' object does not support the context manager protocol", o.kind_name()),
                    )
                }
            },
            Value::File(_) => ctx.clone(),
            other => {
                return raise(
                    ExcType::TypeError,
                    format!("'{}' object does not support the context manager protocol", other.type_name()),
                )
            }
        };
        self.pop();
        self.push(entered);
        Ok(Poll::Done(()))
    }

    pub(crate) fn with_exit(&mut self) -> Exec {
        let ctx = self.peek(0).clone();
        match &ctx {
            Value::Obj(id) if !matches!(self.obj(*id), Object::Manager) => {
                self.release(*id)?;
            }
            Value::File(i) => self.file_close(*i)?,
            _ => {}
        }
        self.pop();
        Ok(Poll::Done(()))
    }
}

impl<T> Poll<T> {
    pub fn map_unit(self) -> Poll<()> {
        match self {
            Poll::Done(_) => Poll::Done(()),
            Poll::Again => Poll::Again,
            Poll::Blocked(w) => Poll::Blocked(w),
        }
    }
}
