//! `Queue` and `JoinableQueue`: the semaphore count, feeder buffers, the pipe.

use super::{done, Args, OpPoll};
use crate::interp::Run;
use crate::ir::ExcType;
use crate::value::{self, raise, ObjId, Pid, Value};
use crate::world::{Object, Poll, Wait};
use crate::world::{PipeItem, Queue, World};

impl Run<'_, '_> {
    pub(crate) fn queue_method(&mut self, id: ObjId, name: &str, a: &Args) -> OpPoll {
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

    pub(crate) fn queue_put(&mut self, id: ObjId, v: Value, block: bool) -> OpPoll {
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

    pub(crate) fn queue_get(&mut self, id: ObjId, block: bool) -> OpPoll {
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

    pub(crate) fn task_done(&mut self, id: ObjId) -> OpPoll {
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
}

/// Removes the feeder buffers of a killed process.
pub fn drop_feeders(w: &mut World, p: Pid) {
    for o in 0..w.objects.len() {
        if matches!(&*w.objects[o], Object::Queue(q) if q.buffers.iter().any(|(b, _)| *b == p)) {
            if let Object::Queue(q) = w.objects.part_mut(o) {
                q.buffers.retain(|(q, _)| *q != p);
            }
        }
    }
}

/// A queue into which `p` put items not yet fully written to the pipe.
pub fn unflushed_queue(w: &World, p: Pid) -> Option<ObjId> {
    w.objects.iter().position(|o| matches!(&**o, Object::Queue(q) if !q.flushed_by(p))).map(|i| i as ObjId)
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
