//! Process handles: start, join, terminate, names and pids.

use std::sync::Arc;

use super::{done, Args, OpPoll};
use crate::interp::Run;
use crate::interp::{Event, Proc};
use crate::ir::ExcType;
use crate::value::{self, raise, unsupported, ObjId, OpError, OpResult, Pid, Value};
use crate::world::{Object, Poll, Wait};
use crate::world::{ProcHandle, ProcMeta, Status, MAX_PROCS};

impl Run<'_, '_> {
    pub(crate) fn proc_attr(&self, pid: Pid, name: &str) -> OpResult<Value> {
        let m = &self.w.procs[pid as usize];
        Ok(match name {
            "name" => Value::Str(m.name.clone()),
            "pid" | "ident" => Value::Int(fake_pid(pid)),
            "daemon" => Value::Bool(m.daemon),
            _ => return raise(ExcType::TypeError, format!("current_process() has no attribute '{name}' in models")),
        })
    }

    pub(crate) fn handle_attr(&mut self, h: &ProcHandle, name: &str) -> OpResult<Value> {
        Ok(match name {
            "name" => Value::Str(h.name.clone()),
            "daemon" => Value::Bool(h.daemon),
            "pid" | "ident" => h.pid.map_or(Value::None, |p| Value::Int(fake_pid(p))),
            "exitcode" => match h.pid.map(|p| (p, self.w.procs[p as usize].status)) {
                Some((p, Status::Exited(code))) => {
                    self.w.reap(p);
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

    pub(crate) fn process_method(&mut self, id: ObjId, name: &str, a: &Args) -> OpPoll {
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
                self.w.reap(p);
                self.ctx.effect(|| format!("joined {}", h.name));
                done(Value::None)
            }
            ("is_alive", Some(p)) => {
                let alive = self.w.procs[p as usize].alive();
                if !alive {
                    self.w.reap(p);
                }
                self.ctx.effect(|| format!("{} is {}", h.name, if alive { "alive" } else { "dead" }));
                done(Value::Bool(alive))
            }
            ("terminate" | "kill", Some(p)) => {
                let sig = if name == "kill" { -9 } else { -15 };
                let m = &self.w.procs[p as usize];
                if m.alive() && m.pending != Some(-9) {
                    self.w.procs.part_mut(p as usize).pending = Some(sig);
                }
                self.ctx.effect(|| format!("sends SIG{} to {}", if sig == -9 { "KILL" } else { "TERM" }, h.name));
                done(Value::None)
            }
            _ => raise(ExcType::TypeError, format!("'Process' object has no method '{name}'")),
        }
    }

    /// `p.start()`: a new process, forked from this one.
    pub(crate) fn start(&mut self, id: ObjId, h: &ProcHandle) -> OpResult<Value> {
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
        self.p.started = crate::interp::Started(true);
        self.w.procs.push(ProcMeta {
            name: h.name.clone(),
            parent: Some(self.me),
            daemon: h.daemon,
            status: Status::Running,
            pending: None,
            reaped: false,
            handle: Some(id),
            identity: h.identity.clone(),
        });
        if let Object::Process(hm) = self.obj_mut(id) {
            hm.pid = Some(pid);
        }
        let mut child = Proc { globals: self.p.globals.clone(), ..Proc::default() };
        let mut run_child =
            Run { m: self.m, w: &mut *self.w, me: pid, p: &mut child, ctx: &mut *self.ctx, spent: true };
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
            return unsupported(
                "Process() takes target=, args=, name= and daemon= as keywords; kwargs= is not modelled",
            );
        }
        self.p.counter += 1;
        let mine = &self.w.procs[self.me as usize].identity;
        let identity =
            if mine.is_empty() { format!("{}", self.p.counter) } else { format!("{mine}:{}", self.p.counter) };
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
        let handles: Vec<Value> = self
            .children()
            .into_iter()
            .filter(|c| self.w.procs[*c as usize].alive())
            .filter_map(|c| self.w.procs[c as usize].handle.map(Value::Obj))
            .collect();
        Value::list(handles)
    }

    /// `time.sleep`: no effect on what can happen, but a zombie child
    /// that stays unreaped while its parent sleeps is worth a warning.
    pub(crate) fn sleep(&mut self) {
        let me = self.me;
        for c in self.children() {
            let m = &self.w.procs[c as usize];
            if !m.alive() && !m.reaped {
                self.ctx.events.push(Event::Zombie { child: c, parent: me });
            }
        }
        self.ctx.effect(|| "sleeps".into());
    }
}

/// The fake pid printed for process `p`: stable across runs.
pub fn fake_pid(p: Pid) -> i64 {
    1000 + p as i64
}
