//! What the next step of an actor touches: the shared objects, the process
//! table, the files. Two steps with disjoint footprints commute; loom uses
//! footprints to see independent steps, and a partial-order reduction can.
//! A step touches nothing shared (`[]`) when its visible operation is only a
//! scheduling point (`time.sleep`).

use std::sync::Arc;

use crate::code::Instr;
use crate::interp::{ExitStage, Proc};
use crate::ir::{Builtin, CmpOp};
use crate::system::{Actor, State};
use crate::value::{ObjId, Value};
use crate::world::{Object, Wait, World};
use crate::Machine;

/// Something a step reads or writes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// The process table (start, join, exit, signals, `is_alive`).
    Procs,
    Obj(ObjId),
    File(Arc<str>),
}

impl Key {
    /// The key a blocked operation waits on: it can only become enabled
    /// when a step touching that key runs.
    pub fn of_wait(w: &Wait) -> Key {
        match w {
            Wait::Lock(id)
            | Wait::Semaphore(id)
            | Wait::Event(id)
            | Wait::QueueEmpty(id)
            | Wait::QueueFull(id)
            | Wait::QueueReadLock(id, _)
            | Wait::QueueJoin(id)
            | Wait::ExitFlush(id) => Key::Obj(*id),
            Wait::Join(_) | Wait::ExitChildren(_) => Key::Procs,
        }
    }
}

/// A read-only look at one process about to run an instruction.
pub(crate) struct View<'a> {
    pub w: &'a World,
    pub p: &'a Proc,
    pub stack: &'a [Value],
}

impl View<'_> {
    fn peek(&self, depth: usize) -> &Value {
        &self.stack[self.stack.len() - 1 - depth]
    }

    fn obj(&self, v: &Value) -> Option<(ObjId, &Object)> {
        match v {
            Value::Obj(id) => Some((*id, &*self.w.objects[*id as usize])),
            _ => None,
        }
    }

    fn proxy(&self, v: &Value) -> Option<Key> {
        match self.obj(v) {
            Some((id, Object::Dict(_) | Object::List(_))) => Some(Key::Obj(id)),
            _ => None,
        }
    }

    fn file_key(&self, i: u32) -> Key {
        Key::File(self.p.files[i as usize].path.clone())
    }

    fn buffered(&self, i: u32) -> bool {
        self.p.files.get(i as usize).is_some_and(|f| !f.buf.is_empty())
    }

    /// `None` when `instr` is local work; otherwise what it touches.
    pub fn footprint(&self, instr: &Instr) -> Option<Vec<Key>> {
        let one = |k: Option<Key>| k.map(|k| vec![k]);
        match instr {
            Instr::GetItem | Instr::SetItem(false) => one(self.proxy(self.peek(1))),
            Instr::Compare(CmpOp::In | CmpOp::NotIn) | Instr::GetIter => one(self.proxy(self.peek(0))),
            Instr::GetAttr(name) | Instr::SetAttr(name) => one(self.attr(self.peek(0), name)),
            Instr::CallBuiltin(b, n, kw) => self.builtin(*b, *n as usize, kw.len()),
            Instr::CallMethod { name, nargs, kw } => one(self.method(self.peek(*nargs as usize + kw.len()), name)),
            Instr::WithEnter => one(self.with_ctx(self.peek(0), false)),
            Instr::WithExit => one(self.with_ctx(self.peek(0), true)),
            _ => None,
        }
    }

    fn attr(&self, recv: &Value, name: &str) -> Option<Key> {
        match (self.obj(recv), name) {
            (Some((id, Object::Value { .. })), "value") => Some(Key::Obj(id)),
            (Some((_, Object::Process(_))), "exitcode") => Some(Key::Procs),
            _ => None,
        }
    }

    fn builtin(&self, b: Builtin, n: usize, nkw: usize) -> Option<Vec<Key>> {
        match b {
            Builtin::Sleep => Some(vec![]),
            Builtin::ActiveChildren => Some(vec![Key::Procs]),
            Builtin::Open => match self.peek(n + nkw - 1) {
                Value::Str(path) if n > 0 && self.reads_existing(path, n, nkw) => None,
                Value::Str(path) if n > 0 => Some(vec![Key::File(path.clone())]),
                _ => Some(vec![]),
            },
            Builtin::Process | Builtin::Value => None,
            _ => {
                let keys: Vec<Key> = (0..n + nkw).filter_map(|i| self.proxy(self.peek(i))).collect();
                (!keys.is_empty()).then_some(keys)
            }
        }
    }

    /// `open(path)` or `open(path, 'r')` of a file that exists: it only
    /// reads whether the file exists, which no step can undo (files are
    /// never removed), so it commutes with every step and is local work.
    fn reads_existing(&self, path: &str, n: usize, nkw: usize) -> bool {
        let read_mode = match (n, nkw) {
            (1, 0) => true,
            (2, 0) => matches!(self.peek(0), Value::Str(m) if matches!(&**m, "r" | "rt")),
            _ => false,
        };
        read_mode && self.w.file(path).is_some()
    }

    fn method(&self, recv: &Value, name: &str) -> Option<Key> {
        if let Value::File(i) = recv {
            return match name {
                "write" => None,
                "close" if !self.buffered(*i) => None,
                _ => Some(self.file_key(*i)),
            };
        }
        let (id, o) = self.obj(recv)?;
        match o {
            Object::Manager | Object::Value { .. } => None,
            Object::Process(_) => {
                matches!(name, "start" | "join" | "terminate" | "kill" | "is_alive").then_some(Key::Procs)
            }
            Object::Queue(_) if matches!(name, "close" | "join_thread") => None,
            _ => Some(Key::Obj(id)),
        }
    }

    fn with_ctx(&self, ctx: &Value, exit: bool) -> Option<Key> {
        match ctx {
            Value::File(i) if exit && self.buffered(*i) => Some(self.file_key(*i)),
            Value::File(_) => None,
            _ => match self.obj(ctx)? {
                (id, Object::Lock(_) | Object::RLock { .. } | Object::Semaphore { .. }) => Some(Key::Obj(id)),
                _ => None,
            },
        }
    }
}

fn queues(w: &World) -> impl Iterator<Item = Key> + '_ {
    w.objects.iter().enumerate().filter(|(_, o)| matches!(&***o, Object::Queue(_))).map(|(i, _)| Key::Obj(i as ObjId))
}

impl Machine<'_> {
    /// What the next step of `a` in `s` touches, sorted. A process at the
    /// end of its code touches the process table (and, for its final exit,
    /// every queue it may still be flushing).
    pub fn footprint(&self, s: &State, a: Actor) -> Vec<Key> {
        let mut keys = match a {
            Actor::Feeder(_, q) => vec![Key::Obj(q)],
            Actor::Signal(_) => std::iter::once(Key::Procs).chain(queues(&s.world)).collect(),
            Actor::Proc(p) => self.proc_footprint(s, p),
        };
        keys.sort();
        keys.dedup();
        keys
    }

    fn proc_footprint(&self, s: &State, pid: u32) -> Vec<Key> {
        let p = &s.procs[pid as usize];
        match p.exit {
            Some(ExitStage::Flush) => return std::iter::once(Key::Procs).chain(queues(&s.world)).collect(),
            Some(_) => return vec![Key::Procs],
            None => {}
        }
        let Some(f) = p.frames.last() else { return vec![Key::Procs] };
        let instr = &self.code.code(f.func).instrs[f.pc as usize];
        View { w: &s.world, p, stack: &f.stack }.footprint(instr).unwrap_or_default()
    }
}
