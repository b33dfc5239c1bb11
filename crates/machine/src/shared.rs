//! Operations on shared objects: locks, semaphores, events, queues,
//! Manager proxies, `Value`s, process handles and files.

use std::sync::Arc;

use crate::exec::Exec;
use crate::interp::{Event, FileHandle, Proc, Run};
use crate::ir::{Builtin, ExcType};
use crate::value::{self, raise, unsupported, ObjId, OpError, OpResult, Pid, Value};
use crate::world::{released_too_many, Loc, Object, PipeItem, Poll, ProcHandle, ProcMeta, Queue, Status, Wait, World, MAX_PROCS};

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

fn done(v: Value) -> OpPoll {
    Ok(Poll::Done(v))
}

/// Removes the feeder buffers of a killed process.
pub fn drop_feeders(w: &mut World, p: Pid) {
    for o in &mut w.objects {
        if let Object::Queue(q) = o {
            q.buffers.retain(|(q, _)| *q != p);
        }
    }
}

/// A queue into which `p` put items not yet fully written to the pipe.
pub fn unflushed_queue(w: &World, p: Pid) -> Option<ObjId> {
    w.objects.iter().position(|o| matches!(o, Object::Queue(q) if !q.flushed_by(p))).map(|i| i as ObjId)
}

/// Moves the oldest item of `p`'s feeder buffer for queue `q` into the pipe.
pub fn feed(w: &mut World, p: Pid, q: ObjId) -> Option<Value> {
    let queue = w.queue(q);
    let i = queue.buffers.iter().position(|(b, _)| *b == p)?;
    let v = queue.buffers[i].1.pop_front()?;
    if queue.buffers[i].1.is_empty() {
        queue.buffers.remove(i);
    }
    let size = value::pickled_size(&v);
    queue.pipe.push_back(PipeItem { value: v.clone(), size, writer: p });
    Some(v)
}

impl Run<'_, '_> {
    fn obj(&self, id: ObjId) -> &Object {
        &self.w.objects[id as usize]
    }

    fn obj_mut(&mut self, id: ObjId) -> &mut Object {
        &mut self.w.objects[id as usize]
    }

    pub(crate) fn method_is_visible(&self, recv: &Value, name: &str) -> bool {
        match recv {
            Value::Obj(id) => match self.obj(*id) {
                Object::Manager => false,
                Object::Value { .. } => false,
                Object::Process(_) => matches!(name, "start" | "join" | "terminate" | "kill" | "is_alive"),
                Object::Queue(_) => !matches!(name, "close" | "join_thread"),
                _ => true,
            },
            Value::File(i) => match name {
                "write" => false,
                "close" => self.p.files.get(*i as usize).is_some_and(|f| !f.buf.is_empty()),
                _ => true,
            },
            _ => false,
        }
    }

    pub(crate) fn attr_is_visible(&self, recv: &Value, name: &str) -> bool {
        match recv {
            Value::Obj(id) => matches!(
                (self.obj(*id), name),
                (Object::Value { .. }, "value") | (Object::Process(_), "exitcode")
            ),
            _ => false,
        }
    }

    pub(crate) fn with_is_visible(&self, ctx: &Value, _exit: bool) -> bool {
        match ctx {
            Value::Obj(id) => matches!(self.obj(*id), Object::Lock(_) | Object::RLock { .. } | Object::Semaphore { .. }),
            Value::File(i) => _exit && self.p.files.get(*i as usize).is_some_and(|f| !f.buf.is_empty()),
            _ => false,
        }
    }

    pub(crate) fn builtin_is_visible(&self, b: Builtin, nargs: usize) -> bool {
        match b {
            Builtin::Sleep | Builtin::Open | Builtin::ActiveChildren => true,
            Builtin::Process | Builtin::Value => false,
            _ => (0..nargs).any(|i| self.is_proxy(self.peek(i))),
        }
    }

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

    fn proxy_get(&mut self, id: ObjId, k: &Value) -> OpResult<Value> {
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

    fn proxy_set(&mut self, id: ObjId, k: Value, v: Value) -> OpResult<()> {
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
            o => return raise(ExcType::TypeError, format!("'{}' object does not support item assignment", o.kind_name())),
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

    pub(crate) fn get_attr(&mut self, name: &str) -> Exec {
        let o = self.peek(0).clone();
        let v = match &o {
            Value::Obj(id) => self.obj_attr(*id, name)?,
            Value::CurrentProcess => {
                let me = self.me;
                self.proc_attr(me, name)?
            }
            Value::Exc(e) if name == "args" => Value::tuple(vec![Value::Str(e.msg.clone())]),
            other => return raise(ExcType::TypeError, format!("'{}' object has no attribute '{name}'", other.type_name())),
        };
        self.pop();
        self.push(v);
        Ok(Poll::Done(()))
    }

    fn proc_attr(&self, pid: Pid, name: &str) -> OpResult<Value> {
        let m = &self.w.procs[pid as usize];
        Ok(match name {
            "name" => Value::Str(m.name.clone()),
            "pid" | "ident" => Value::Int(fake_pid(pid)),
            "daemon" => Value::Bool(m.daemon),
            _ => return raise(ExcType::TypeError, format!("current_process() has no attribute '{name}' in models")),
        })
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

    fn handle_attr(&mut self, h: &ProcHandle, name: &str) -> OpResult<Value> {
        Ok(match name {
            "name" => Value::Str(h.name.clone()),
            "daemon" => Value::Bool(h.daemon),
            "pid" | "ident" => h.pid.map_or(Value::None, |p| Value::Int(fake_pid(p))),
            "exitcode" => match h.pid.map(|p| (p, self.w.procs[p as usize].status)) {
                Some((p, Status::Exited(code))) => {
                    self.w.procs[p as usize].reaped = true;
                    self.ctx.effect(|| format!("{} has exit code {code}", h.name));
                    Value::Int(code)
                }
                _ => {
                    self.ctx.effect(|| format!("{} has no exit code yet", h.name));
                    Value::None
                }
            },
            _ => return raise(ExcType::TypeError, format!("'Process' object has no attribute '{name}'")),
        })
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
            (o, _) => return raise(ExcType::TypeError, format!("cannot set attribute '{name}' of '{}'", o.kind_name())),
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

    pub(crate) fn acquire(&mut self, id: ObjId, block: bool) -> OpPoll {
        let me = self.me;
        let got = match self.obj_mut(id) {
            Object::Lock(owner @ None) => {
                *owner = Some(me);
                true
            }
            Object::RLock { owner, count } if owner.is_none() || *owner == Some(me) => {
                *owner = Some(me);
                *count += 1;
                true
            }
            Object::Semaphore { value, .. } if *value > 0 => {
                *value -= 1;
                true
            }
            _ => false,
        };
        if got {
            self.ctx.effect(|| "acquired".into());
            return done(Value::Bool(true));
        }
        if block {
            let wait = if matches!(self.obj(id), Object::Semaphore { .. }) { Wait::Semaphore(id) } else { Wait::Lock(id) };
            return Ok(Poll::Blocked(wait));
        }
        self.ctx.effect(|| "not acquired (busy)".into());
        done(Value::Bool(false))
    }

    pub(crate) fn release(&mut self, id: ObjId) -> OpResult<()> {
        let me = self.me;
        match self.obj_mut(id) {
            Object::Lock(owner) => {
                if owner.take().is_none() {
                    let (t, m) = released_too_many();
                    return raise(t, m);
                }
            }
            Object::RLock { owner, count } => {
                if *owner != Some(me) {
                    return raise(ExcType::AssertionError, "attempt to release recursive lock not owned by thread");
                }
                *count -= 1;
                if *count == 0 {
                    *owner = None;
                }
            }
            Object::Semaphore { value, bound } => {
                if bound.is_some_and(|b| *value >= b) {
                    let (t, m) = released_too_many();
                    return raise(t, m);
                }
                *value += 1;
            }
            o => return raise(ExcType::TypeError, format!("'{}' object has no method 'release'", o.kind_name())),
        }
        self.ctx.effect(|| "released".into());
        Ok(())
    }

    fn lock_method(&mut self, id: ObjId, name: &str, a: &Args) -> OpPoll {
        match name {
            "acquire" => self.acquire(id, a.blocking(0)),
            "release" => self.release(id).map(|()| Poll::Done(Value::None)),
            _ => raise(ExcType::TypeError, format!("'{}' object has no method '{name}'", self.obj(id).kind_name())),
        }
    }

    fn event_method(&mut self, id: ObjId, name: &str, a: &Args) -> OpPoll {
        let Object::Event(flag) = self.obj_mut(id) else { unreachable!() };
        let was = *flag;
        match name {
            "set" => *flag = true,
            "clear" => *flag = false,
            "is_set" => {}
            "wait" if !was && a.get(0, &["timeout"]).is_none_or(|t| *t == Value::None) => {
                return Ok(Poll::Blocked(Wait::Event(id)))
            }
            "wait" => {}
            _ => return raise(ExcType::TypeError, format!("'Event' object has no method '{name}'")),
        }
        self.ctx.effect(|| match name {
            "set" | "clear" => format!("event {name}"),
            _ => format!("event is {}", if was { "set" } else { "not set" }),
        });
        done(if matches!(name, "set" | "clear") { Value::None } else { Value::Bool(was) })
    }

    fn queue_method(&mut self, id: ObjId, name: &str, a: &Args) -> OpPoll {
        match name {
            "put" | "put_nowait" => {
                let v = a.get(0, &["obj", "item"]).cloned().unwrap_or(Value::None);
                self.queue_put(id, v, name == "put" && a.blocking(1))
            }
            "get" | "get_nowait" => self.queue_get(id, name == "get" && a.blocking(0)),
            "qsize" | "empty" | "full" => {
                let q = self.w.queue(id);
                let v = match name {
                    "qsize" => Value::Int(q.count as i64),
                    "empty" => Value::Bool(q.pipe.is_empty()),
                    _ => Value::Bool(q.maxsize > 0 && q.count >= q.maxsize),
                };
                self.ctx.effect(|| format!("{name}() = {}", value::repr(&v)));
                done(v)
            }
            "task_done" => self.task_done(id),
            "join" => {
                let q = self.w.queue(id);
                if !q.joinable {
                    return raise(ExcType::TypeError, "'Queue' object has no method 'join'; use JoinableQueue");
                }
                if q.unfinished > 0 {
                    return Ok(Poll::Blocked(Wait::QueueJoin(id)));
                }
                self.ctx.effect(|| "every item is done".into());
                done(Value::None)
            }
            "close" | "join_thread" => done(Value::None),
            _ => raise(ExcType::TypeError, format!("'Queue' object has no method '{name}'")),
        }
    }

    fn queue_put(&mut self, id: ObjId, v: Value, block: bool) -> OpPoll {
        let me = self.me;
        let q = self.w.queue(id);
        if q.maxsize > 0 && q.count >= q.maxsize {
            return if block { Ok(Poll::Blocked(Wait::QueueFull(id))) } else { raise(ExcType::Full, "") };
        }
        q.count += 1;
        if q.joinable {
            q.unfinished += 1;
        }
        match q.buffers.iter_mut().find(|(p, _)| *p == me) {
            Some((_, b)) => b.push_back(v.clone()),
            None => {
                q.buffers.push((me, [v.clone()].into()));
                q.buffers.sort_by_key(|(p, _)| *p);
            }
        }
        let n = q.count;
        self.ctx.effect(|| format!("puts {} (qsize {n})", value::repr(&v)));
        done(Value::None)
    }

    fn queue_get(&mut self, id: ObjId, block: bool) -> OpPoll {
        let me = self.me;
        let q: &mut Queue = self.w.queue(id);
        match q.reader {
            Some(r) if r != me => {
                return if block { Ok(Poll::Blocked(Wait::QueueReadLock(id, r))) } else { raise(ExcType::Empty, "") };
            }
            _ => {}
        }
        if let Some(item) = q.pipe.pop_front() {
            q.count -= 1;
            q.reader = None;
            self.ctx.effect(|| format!("gets {}", value::repr(&item.value)));
            return done(item.value);
        }
        if !block {
            q.reader = None;
            return raise(ExcType::Empty, "");
        }
        if q.reader == Some(me) {
            return Ok(Poll::Blocked(Wait::QueueEmpty(id)));
        }
        q.reader = Some(me);
        self.ctx.effect(|| "queue empty: waits, holding the queue's read lock".into());
        Ok(Poll::Again)
    }

    fn task_done(&mut self, id: ObjId) -> OpPoll {
        let q = self.w.queue(id);
        if !q.joinable {
            return raise(ExcType::TypeError, "'Queue' object has no method 'task_done'; use JoinableQueue");
        }
        if q.unfinished == 0 {
            return raise(ExcType::ValueError, "task_done() called too many times");
        }
        q.unfinished -= 1;
        let n = q.unfinished;
        self.ctx.effect(|| format!("task done ({n} unfinished)"));
        done(Value::None)
    }

    fn proxy_method(&mut self, id: ObjId, name: &str, a: &Args) -> OpResult<Value> {
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

    fn proxy_value_quiet(&self, id: ObjId) -> Value {
        match self.obj(id) {
            Object::Dict(d) => Value::Dict(d.clone()),
            Object::List(l) => Value::List(l.clone()),
            _ => Value::None,
        }
    }

    /// Reads and writes of a proxy method call, for the lost-update check.
    fn track_proxy_call(&mut self, id: ObjId, name: &str, a: &Args, changed: bool) {
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

    fn manager_method(&mut self, name: &str, a: &Args) -> OpResult<Value> {
        let init = a.get(0, &[]).cloned();
        let o = match name {
            "dict" => {
                let d = match init {
                    None => vec![],
                    Some(v) => match v {
                        Value::Dict(d) => d.to_vec(),
                        other => return raise(ExcType::TypeError, format!("dict() of '{}' is not supported", other.type_name())),
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

    fn process_method(&mut self, id: ObjId, name: &str, a: &Args) -> OpPoll {
        let Object::Process(h) = self.obj(id).clone() else { unreachable!() };
        match (name, h.pid) {
            ("start", None) => self.start(id, &h).map(Poll::Done),
            ("start", Some(_)) => raise(ExcType::AssertionError, "cannot start a process twice"),
            ("is_alive", None) => done(Value::Bool(false)),
            (_, None) => raise(ExcType::AssertionError, format!("can only {name} a started process")),
            ("join", Some(p)) => {
                let timed = a.get(0, &["timeout"]).is_some_and(|t| *t != Value::None);
                if self.w.procs[p as usize].alive() {
                    if timed {
                        self.ctx.effect(|| format!("join timed out: {} still runs", h.name));
                        return done(Value::None);
                    }
                    return Ok(Poll::Blocked(Wait::Join(p)));
                }
                self.w.procs[p as usize].reaped = true;
                self.ctx.effect(|| format!("joined {}", h.name));
                done(Value::None)
            }
            ("is_alive", Some(p)) => {
                let alive = self.w.procs[p as usize].alive();
                if !alive {
                    self.w.procs[p as usize].reaped = true;
                }
                self.ctx.effect(|| format!("{} is {}", h.name, if alive { "alive" } else { "dead" }));
                done(Value::Bool(alive))
            }
            ("terminate" | "kill", Some(p)) => {
                let sig = if name == "kill" { -9 } else { -15 };
                let m = &mut self.w.procs[p as usize];
                if m.alive() && m.pending != Some(-9) {
                    m.pending = Some(sig);
                }
                self.ctx.effect(|| format!("sends SIG{} to {}", if sig == -9 { "KILL" } else { "TERM" }, h.name));
                done(Value::None)
            }
            _ => raise(ExcType::TypeError, format!("'Process' object has no method '{name}'")),
        }
    }

    /// `p.start()`: a new process, forked from this one.
    fn start(&mut self, id: ObjId, h: &ProcHandle) -> OpResult<Value> {
        let pid = self.w.procs.len() as Pid;
        if pid as usize >= MAX_PROCS {
            return unsupported(format!("a model may start at most {} processes", MAX_PROCS - 1));
        }
        if self.w.procs[self.me as usize].daemon {
            return raise(ExcType::AssertionError, "daemonic processes are not allowed to have children");
        }
        let Value::Func(f) = h.target else {
            return unsupported("Process(target=...) must be a function defined in the model file");
        };
        self.reap_children();
        self.w.procs.push(ProcMeta {
            name: h.name.clone(),
            parent: Some(self.me),
            daemon: h.daemon,
            status: Status::Running,
            pending: None,
            reaped: false,
            handle: Some(id),
        });
        if let Object::Process(hm) = self.obj_mut(id) {
            hm.pid = Some(pid);
        }
        let mut child = Proc { globals: self.p.globals.clone(), identity: h.identity.clone(), ..Proc::default() };
        let mut run_child = Run { m: self.m, w: &mut *self.w, me: pid, p: &mut child, ctx: &mut *self.ctx, spent: true };
        run_child.call_function(f, h.args.clone()).map_err(|e| match e {
            OpError::Raise(_, m) => OpError::Unsupported(format!("cannot start {}: {m}", h.name)),
            u => u,
        })?;
        self.ctx.effect(|| format!("starts {}", h.name));
        self.ctx.spawned.push((pid, child));
        Ok(Value::None)
    }

    pub(crate) fn new_process(&mut self, a: &Args) -> OpResult<Value> {
        let target = a.get(usize::MAX, &["target"]).cloned().unwrap_or(Value::None);
        let args = match a.get(usize::MAX, &["args"]) {
            None => vec![],
            Some(v) => self.local_items(v)?.to_vec(),
        };
        if a.get(usize::MAX, &["kwargs"]).is_some() || !a.pos.is_empty() {
            return unsupported("Process() takes target=, args=, name= and daemon= as keywords; kwargs= is not modelled");
        }
        self.p.counter += 1;
        let identity = if self.p.identity.is_empty() {
            format!("{}", self.p.counter)
        } else {
            format!("{}:{}", self.p.identity, self.p.counter)
        };
        let name = match a.get(usize::MAX, &["name"]) {
            Some(n) => Arc::from(value::to_str(n).as_str()),
            None => Arc::from(format!("Process-{identity}").as_str()),
        };
        let daemon = a.get(usize::MAX, &["daemon"]).is_some_and(|d| d.truthy());
        let identity = Arc::from(identity.as_str());
        let h = ProcHandle { target, args, name, identity, daemon, pid: None };
        Ok(Value::Obj(self.w.alloc(Object::Process(Box::new(h)))))
    }

    pub(crate) fn active_children(&mut self) -> Value {
        self.reap_children();
        let me = self.me;
        let handles: Vec<Value> = self
            .w
            .children(me)
            .filter(|c| self.w.procs[*c as usize].alive())
            .filter_map(|c| self.w.procs[c as usize].handle.map(Value::Obj))
            .collect();
        Value::list(handles)
    }

    /// `time.sleep`: no effect on what can happen, but a zombie child
    /// that stays unreaped while its parent sleeps is worth a warning.
    pub(crate) fn sleep(&mut self) {
        let me = self.me;
        for c in self.w.children(me).collect::<Vec<_>>() {
            let m = &self.w.procs[c as usize];
            if !m.alive() && !m.reaped {
                self.ctx.events.push(Event::Zombie { child: c, parent: me });
            }
        }
        self.ctx.effect(|| "sleeps".into());
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
                o => return raise(ExcType::TypeError, format!("'{}' object does not support the context manager protocol", o.kind_name())),
            },
            Value::File(_) => ctx.clone(),
            other => return raise(ExcType::TypeError, format!("'{}' object does not support the context manager protocol", other.type_name())),
        };
        self.pop();
        self.push(entered);
        Ok(Poll::Done(()))
    }

    pub(crate) fn with_exit(&mut self) -> Exec {
        let ctx = self.peek(0).clone();
        match &ctx {
            Value::Obj(id) => {
                if !matches!(self.obj(*id), Object::Manager) {
                    self.release(*id)?;
                }
            }
            Value::File(i) => self.file_close(*i)?,
            _ => {}
        }
        self.pop();
        Ok(Poll::Done(()))
    }

    pub(crate) fn open(&mut self, a: &Args) -> OpResult<Value> {
        let path = match a.get(0, &["file"]) {
            Some(Value::Str(s)) => s.clone(),
            _ => return unsupported("open() needs a file path string"),
        };
        let mode = a.get(1, &["mode"]).map_or("r".to_string(), value::to_str);
        let (writable, append) = match mode.replace('t', "").as_str() {
            "r" => (false, false),
            "w" => (true, false),
            "a" => (true, true),
            m => return unsupported(format!("open() mode '{m}' is not modelled; use 'r', 'w' or 'a'")),
        };
        if !writable && self.w.file(&path).is_none() {
            return raise(ExcType::FileNotFoundError, format!("[Errno 2] No such file or directory: '{path}'"));
        }
        if writable && !append {
            let f = self.w.file_mut(&path);
            let was = f.content.len();
            f.content = Arc::new(vec![]);
            self.write(Loc::File(path.clone()));
            self.ctx.effect(|| format!("truncates '{path}' ({was} bytes -> 0)"));
        } else if append {
            self.w.file_mut(&path);
        } else {
            self.ctx.effect(|| format!("opens '{path}' for reading"));
        }
        self.p.files.push(FileHandle { path, writable, append, pos: 0, buf: String::new(), closed: false });
        Ok(Value::File(self.p.files.len() as u32 - 1))
    }

    fn file_method(&mut self, i: u32, name: &str, a: &Args) -> OpResult<Value> {
        let f = self.p.files[i as usize].clone();
        if f.closed {
            return raise(ExcType::ValueError, "I/O operation on closed file.");
        }
        match name {
            "write" if f.writable => {
                let s = value::to_str(a.get(0, &[]).unwrap_or(&Value::None));
                let n = s.chars().count();
                self.p.files[i as usize].buf.push_str(&s);
                Ok(Value::Int(n as i64))
            }
            "read" | "readline" if !f.writable => {
                let content = self.w.file(&f.path).map(|x| x.content.clone()).unwrap_or_default();
                let rest = &content[(f.pos as usize).min(content.len())..];
                let text = String::from_utf8_lossy(rest).to_string();
                let text = if name == "readline" {
                    text.split_inclusive('\n').next().unwrap_or("").to_string()
                } else {
                    text
                };
                self.p.files[i as usize].pos += text.len() as u32;
                self.read(Loc::File(f.path.clone()));
                self.ctx.effect(|| format!("reads {} from '{}'", value::repr(&Value::str(&text)), f.path));
                Ok(Value::str(&text))
            }
            "flush" => {
                self.file_flush(i);
                Ok(Value::None)
            }
            "close" => self.file_close(i).map(|()| Value::None),
            _ => raise(ExcType::ValueError, format!("file not open for '{name}'")),
        }
    }

    fn file_close(&mut self, i: u32) -> OpResult<()> {
        self.file_flush(i);
        self.p.files[i as usize].closed = true;
        Ok(())
    }

    /// Buffered text lands in the file at the handle's own offset.
    fn file_flush(&mut self, i: u32) {
        let f = &mut self.p.files[i as usize];
        if f.buf.is_empty() {
            return;
        }
        let buf = std::mem::take(&mut f.buf);
        let (path, append, pos) = (f.path.clone(), f.append, f.pos);
        let file = self.w.file_mut(&path);
        let content = Arc::make_mut(&mut file.content);
        let at = if append { content.len() } else { (pos as usize).min(content.len()) };
        let end = at + buf.len();
        if content.len() < end {
            content.resize(end, 0);
        }
        content[at..end].copy_from_slice(buf.as_bytes());
        let now = String::from_utf8_lossy(content).to_string();
        self.p.files[i as usize].pos = end as u32;
        self.write(Loc::File(path.clone()));
        self.ctx.effect(|| format!("writes {} at offset {at}: '{path}' is now {}", value::repr(&Value::str(&buf)), value::repr(&Value::str(&now))));
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

/// The fake pid printed for process `p`: stable across runs.
pub fn fake_pid(p: Pid) -> i64 {
    1000 + p as i64
}

fn index_of(k: &Value, len: usize) -> OpResult<usize> {
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
