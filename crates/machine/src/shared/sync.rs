//! Locks, RLocks, semaphores and events.

use super::{done, Args, OpPoll};
use crate::interp::Run;
use crate::ir::ExcType;
use crate::value::{raise, ObjId, OpResult, Value};
use crate::world::released_too_many;
use crate::world::{Object, Poll, Wait};

impl Run<'_, '_> {
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
            let wait =
                if matches!(self.obj(id), Object::Semaphore { .. }) { Wait::Semaphore(id) } else { Wait::Lock(id) };
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

    pub(crate) fn lock_method(&mut self, id: ObjId, name: &str, a: &Args) -> OpPoll {
        match name {
            "acquire" => self.acquire(id, a.blocking(0)),
            "release" => self.release(id).map(|()| Poll::Done(Value::None)),
            _ => raise(ExcType::TypeError, format!("'{}' object has no method '{name}'", self.obj(id).kind_name())),
        }
    }

    pub(crate) fn event_method(&mut self, id: ObjId, name: &str, a: &Args) -> OpPoll {
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
}
