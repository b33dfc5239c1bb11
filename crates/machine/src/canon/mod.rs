//! Canonical states: symmetry reduction for the explorer.
//!
//! Where [`crate::symmetry::analyse`] allows it, the explorer stores each
//! state in a canonical form, one for all states that differ only in which
//! of several alike children is which:
//!
//! 1. **Finished joins are passed.** When main stands at `join()` of a child
//!    that has exited, it joins it and runs on to its next visible
//!    operation at once ([`Machine::pass_joins`]). Such a step reads only
//!    the exited child's status, which never changes again, and writes only
//!    main's private state and the child's `reaped` flag, which no eligible
//!    program reads (only a sleeping parent's zombie warning does, and main
//!    never sleeps): it commutes with every other step and shows nothing,
//!    so taking it at once keeps every outcome, finding and deadlock (a
//!    state where it is possible is not a deadlock anyway).
//! 2. **Alike children are sorted.** Children of main with the same target
//!    function and daemon flag form a class; within a class, each child's
//!    private state and its part in the shared objects (locks it owns,
//!    its queue items, its pending reads) is hashed, and the children are
//!    moved to the class's slots in the order of these keys. Every
//!    reference to a child moves with it: its status, lock and queue
//!    read-lock ownership, feeder buffers and pipe items, lost-update
//!    bits, and the handles main holds. What belongs to the slot stays:
//!    the name, the fake pid, the `Process` object (with its arguments,
//!    read only at `start()`), the identity. The program cannot observe
//!    those, so the renamed state behaves exactly like the original one
//!    with the children renamed (a symmetry of the transition system).
//!    Ties between equal keys are broken by slot: any permutation within a
//!    class is a symmetry, so a tie (or a hash collision) can only cost
//!    reduction, never soundness.
//! 3. **Handle lists are sorted.** A list only appended to and iterated by
//!    join-all loops is sorted by handle; in a join-all loop, main's own
//!    copy of the list becomes: the exited children, then the running
//!    ones, with main at the first running one (see [`crate::symmetry`]).
//! 4. Every exited child counts as reaped and as having exited with code 0:
//!    an eligible program never reads either (only a sleeping parent's
//!    zombie warning reads `reaped`, and only `exitcode` the code); a crash
//!    is reported by the step that raised.
//! 5. An item in a queue's pipe that lies within the pipe's first 64 KiB
//!    forgets who wrote it: only whether a process's items are all that
//!    far in decides anything (whether it may exit), and items only move
//!    forward in a pipe.
//!
//! States found this way are canonical; schedules are not: an actor stored
//! with a state names a process of the canonical parent. [`Machine::realize`]
//! turns a canonical path back into a schedule of the real program, which
//! is what replay tokens hold.

use crate::code::Instr;
use crate::interp::{Ctx, Machine};
use crate::symmetry::Slot;
use crate::system::{Actor, Applied, State};
use crate::value::{Iter, ObjId, Pid, Value};
use crate::world::{Object, Status, World, PIPE_CAPACITY};

mod sort;
use crate::ModelError;
pub(crate) use sort::classes;
use sort::{keyed_classes, rename, sort_children};

/// The writer of a pipe item nobody needs to know the writer of.
const NOBODY: Pid = Pid::MAX;

/// More joins passed at once than this means a loop joins an exited child
/// again and again; the rest is left to the search (still sound).
const MAX_PASSED_JOINS: usize = 4096;

/// `perm[old] = new`: where each process of a state went.
pub type Perm = Vec<Pid>;

impl Machine<'_> {
    /// Whether main stands at a `join()` of a started child that has exited.
    pub fn passable_join(&self, s: &State) -> bool {
        let main = &s.procs[0];
        if !s.world.procs[0].alive() || main.exit.is_some() {
            return false;
        }
        let Some(f) = main.frames.last() else { return false };
        let is_join = matches!(&self.code.code(f.func).instrs[f.pc as usize],
            Instr::CallMethod { name, nargs: 0, kw } if &**name == "join" && kw.is_empty());
        is_join && matches!(f.stack.last(), Some(Value::Obj(h)) if exited_child(&s.world, *h).is_some())
    }

    /// Passes every join of an exited child main stands at, adding what
    /// its local work raised to `ctx`.
    pub fn pass_joins(&self, s: &mut State, ctx: &mut Ctx) -> Result<usize, ModelError> {
        let line = ctx.line;
        let mut n = 0;
        while n < MAX_PASSED_JOINS && self.passable_join(s) {
            if let Applied::Blocked(_) = self.apply(s, Actor::Proc(0), ctx)? {
                break;
            }
            n += 1;
        }
        ctx.line = line;
        Ok(n)
    }

    /// Turns `s` into its canonical form (see the module documentation);
    /// events of main's passed joins go to `ctx`. Answers where each
    /// process went.
    pub fn canonicalize(&self, s: &mut State, ctx: &mut Ctx) -> Result<Perm, ModelError> {
        self.pass_joins(s, ctx)?;
        forget_how_children_ended(s);
        forget_flushed_writers(s);
        let perm = sort_children(s);
        if perm.iter().enumerate().any(|(i, p)| *p as usize != i) {
            rename(s, &perm, &self.code.sym);
        }
        self.sort_handle_lists(s);
        Ok(perm)
    }

    /// The schedule of the real program that a path of the canonical
    /// search stands for, and, for its last step, where the processes of
    /// the canonical state it starts from are in the real one (to name the
    /// processes of that step's events). Each step of `path` says whether
    /// the state it leads to was made canonical: the partial-order
    /// reduction's chains run on real states, made canonical only at their
    /// end, and name processes as they are there. Main's passed joins
    /// become steps of their own, taken just before main's next step from
    /// a canonical state, and at the end when `join_at_end` (a deadlock or
    /// hang is a state with every join that can be passed passed; so is an
    /// exception raised after them).
    pub fn realize(&self, path: &[(Actor, bool)], join_at_end: bool) -> Result<(Vec<Actor>, Perm), ModelError> {
        if !self.symmetry {
            // no renaming: an empty map leaves every pid as it is
            return Ok((path.iter().map(|(a, _)| *a).collect(), vec![]));
        }
        let mut canon = self.initial_state()?;
        self.canonicalize(&mut canon, &mut Ctx::default())?;
        let mut real = self.initial_state()?;
        let mut to_real: Perm = (0..real.procs.len() as Pid).collect();
        let mut before_last = to_real.clone();
        let mut out = vec![];
        // whether `canon` is canonical (its joins passed)
        let mut canonical = true;
        for &(a, canonical_after) in path {
            // a twin gives the same state only when that state is made canonical
            let a = if canonical_after { self.latest_joined(&canon, &real, a, &to_real) } else { a };
            let b = map_actor(a, &to_real);
            if b == Actor::Proc(0) && canonical {
                self.join_steps(&mut real, &mut out)?;
            }
            self.must_apply(&mut real, b)?;
            out.push(b);
            self.must_apply(&mut canon, a)?;
            before_last = to_real.clone();
            to_real.extend(to_real.len() as Pid..canon.procs.len() as Pid);
            canonical = canonical_after;
            if canonical_after {
                let perm = self.canonicalize(&mut canon, &mut Ctx::default())?;
                let mut next = to_real.clone();
                for (old, new) in perm.iter().enumerate() {
                    next[*new as usize] = to_real[old];
                }
                to_real = next;
            }
        }
        if join_at_end {
            self.join_steps(&mut real, &mut out)?;
        }
        Ok((out, before_last))
    }

    /// Among the children alike to the one `a` moves in the canonical
    /// state (any of them gives the same canonical successor), the one main
    /// will join last: a child that moves on ahead of its twins is then
    /// one main need not join before it blocks, which keeps traces short.
    fn latest_joined(&self, canon: &State, real: &State, a: Actor, to_real: &[Pid]) -> Actor {
        let Actor::Proc(x) = a else { return a };
        let classes = keyed_classes(canon);
        let Some(keys) = classes.iter().map(|(_, k)| k).find(|k| k.iter().any(|(_, c)| *c == x)) else { return a };
        let Some(kx) = keys.iter().find(|(_, c)| *c == x).map(|(k, _)| *k) else { return a };
        let order = join_order(&self.code.sym, real);
        let rank = |c: Pid| {
            let real_pid = to_real[c as usize];
            let h = real.world.procs[real_pid as usize].handle;
            (order.iter().position(|o| Some(*o) == h).unwrap_or(0), real_pid)
        };
        let twins = keys.iter().filter(|(k, _)| *k == kx).map(|(_, c)| *c);
        Actor::Proc(twins.max_by_key(|c| rank(*c)).unwrap_or(x))
    }

    fn join_steps(&self, real: &mut State, out: &mut Vec<Actor>) -> Result<(), ModelError> {
        let mut n = 0;
        while n < MAX_PASSED_JOINS && self.passable_join(real) {
            self.must_apply(real, Actor::Proc(0))?;
            out.push(Actor::Proc(0));
            n += 1;
        }
        Ok(())
    }

    fn must_apply(&self, s: &mut State, a: Actor) -> Result<(), ModelError> {
        match self.apply(s, a, &mut Ctx::default())? {
            Applied::Progress => Ok(()),
            Applied::Blocked(_) => Err(ModelError::new(
                Default::default(),
                &format!("internal: step '{a}' of a path found under symmetry cannot happen"),
            )),
        }
    }

    /// Step 3 of the module documentation.
    fn sort_handle_lists(&self, s: &mut State) {
        let sym = &self.code.sym;
        if sym.free_lists.is_empty() {
            return;
        }
        let n = s.procs.len();
        for pid in 0..n {
            let globals = sym.free_lists.iter().filter_map(|l| match l {
                Slot::Global(g) => Some(*g as usize),
                Slot::Local(..) => None,
            });
            let sorted: Vec<(usize, Value)> = globals
                .filter_map(|g| sorted_handles(&s.world, s.procs[pid].globals.get(g)?).map(|v| (g, v)))
                .collect();
            if !sorted.is_empty() {
                let p = s.procs.part_mut(pid);
                for (g, v) in sorted {
                    p.globals[g] = v;
                }
            }
        }
        self.sort_local_lists(s);
        self.sort_join_loop(s);
    }

    fn sort_local_lists(&self, s: &mut State) {
        let sym = &self.code.sym;
        let mut changes = vec![];
        for (k, f) in s.procs[0].frames.iter().enumerate() {
            for l in &sym.free_lists {
                if let Slot::Local(func, i) = *l {
                    if func == f.func {
                        if let Some(v) = f.locals.get(i as usize).and_then(|v| sorted_handles(&s.world, v)) {
                            changes.push((k, i as usize, v));
                        }
                    }
                }
            }
        }
        if !changes.is_empty() {
            let main = s.procs.part_mut(0);
            for (k, i, v) in changes {
                main.frames[k].locals[i] = v;
            }
        }
    }

    /// Main in a join-all loop: its copy of the list as the exited
    /// children, then the running ones, each sorted, and main at the first
    /// running one.
    fn sort_join_loop(&self, s: &mut State) {
        let Some(f) = s.procs[0].frames.last() else { return };
        let Some(jl) = self.code.sym.join_loops.iter().find(|l| l.func == f.func && l.join_pc == f.pc) else {
            return;
        };
        let k = f.stack.len();
        let (Some(Value::Iter(it)), Some(Value::Obj(target))) = (k.checked_sub(2).map(|i| &f.stack[i]), f.stack.last())
        else {
            return;
        };
        let Iter::Seq(items, at) = &**it else { return };
        let w = &s.world;
        if exited_child(w, *target).is_some() || in_join_order(w, items, *at, *target) {
            return;
        }
        let Some(ids) = items.iter().map(|v| handle_of(w, v)).collect::<Option<Vec<ObjId>>>() else { return };
        let (mut done, mut running): (Vec<ObjId>, Vec<ObjId>) =
            ids.iter().partition(|h| exited_child(w, **h).is_some());
        done.sort_unstable();
        running.sort_unstable();
        let new_target = running[0];
        let next = done.len() as u32 + 1;
        let list: Vec<Value> = done.into_iter().chain(running).map(Value::Obj).collect();
        let new_it = Value::Iter(std::sync::Arc::new(Iter::Seq(std::sync::Arc::new(list), next)));
        if f.stack[k - 2] == new_it && new_target == *target {
            return;
        }
        let old_target = *target;
        let main = s.procs.part_mut(0);
        let f = main.frames.last_mut().expect("frame");
        f.stack[k - 2] = new_it;
        f.stack[k - 1] = Value::Obj(new_target);
        let var = match jl.var {
            Slot::Global(g) => main.globals.get_mut(g as usize),
            Slot::Local(_, l) => main.frames.last_mut().and_then(|f| f.locals.get_mut(l as usize)),
        };
        if let Some(v) = var.filter(|v| **v == Value::Obj(old_target)) {
            *v = Value::Obj(new_target);
        }
    }
}

/// Step 4 of the module documentation: an exited child counts as reaped
/// and as having exited with code 0 (no eligible program can ask).
fn forget_how_children_ended(s: &mut State) {
    for c in 1..s.world.procs.len() {
        let m = &s.world.procs[c];
        if let Status::Exited(code) = m.status {
            if code != 0 || !m.reaped {
                let m = s.world.procs.part_mut(c);
                m.reaped = true;
                m.status = Status::Exited(0);
            }
            if s.procs[c].exit_code != 0 {
                s.procs.part_mut(c).exit_code = 0;
            }
        }
    }
}

/// Step 5 of the module documentation.
fn forget_flushed_writers(s: &mut State) {
    for o in 0..s.world.objects.len() {
        let Object::Queue(q) = &*s.world.objects[o] else { continue };
        if q.pipe.iter().all(|i| i.writer == NOBODY) {
            continue;
        }
        let fit = fitting(q);
        if !fit.iter().zip(&q.pipe).any(|(fit, i)| *fit && i.writer != NOBODY) {
            continue;
        }
        let Object::Queue(q) = s.world.objects.part_mut(o) else { continue };
        for (i, fit) in q.pipe.iter_mut().zip(fit) {
            if fit {
                i.writer = NOBODY;
            }
        }
    }
}

/// For each item in the pipe, whether it lies within the first 64 KiB.
fn fitting(q: &crate::world::Queue) -> Vec<bool> {
    let mut end = 0u32;
    q.pipe
        .iter()
        .map(|i| {
            end = end.saturating_add(i.size);
            end <= PIPE_CAPACITY
        })
        .collect()
}

/// Whether a join-all loop's list is already as `sort_join_loop` makes it
/// (checked without building it): handles of main's children, the exited
/// ones first, each part ascending, and the loop at the first running
/// one, `target`.
fn in_join_order(w: &World, items: &[Value], at: u32, target: ObjId) -> bool {
    let mut last: Option<(bool, ObjId)> = None;
    let mut done = 0u32;
    for v in items {
        let Some(h) = handle_of(w, v) else { return false };
        let key = (exited_child(w, h).is_none(), h);
        if last.is_some_and(|l| l >= key) {
            return false;
        }
        if !key.0 {
            done += 1;
        } else if last.is_none_or(|l| !l.0) && h != target {
            // the first running child is where the loop stands
            return false;
        }
        last = Some(key);
    }
    at == done + 1 && last.is_some_and(|l| l.0)
}

/// The child a handle stands for, if it has exited.
fn exited_child(w: &World, h: ObjId) -> Option<Pid> {
    match w.objects.get(h as usize).map(|o| &**o) {
        Some(Object::Process(ph)) => ph.pid.filter(|c| !w.procs[*c as usize].alive()),
        _ => None,
    }
}

/// The handle a value is, if it is the handle of a started child of main.
fn handle_of(w: &World, v: &Value) -> Option<ObjId> {
    let Value::Obj(h) = v else { return None };
    match w.objects.get(*h as usize).map(|o| &**o) {
        Some(Object::Process(ph)) if ph.pid.is_some_and(|c| w.procs[c as usize].parent == Some(0)) => Some(*h),
        _ => None,
    }
}

/// A list of started children's handles, sorted; `None` when it is not
/// such a list or is sorted already.
fn sorted_handles(w: &World, v: &Value) -> Option<Value> {
    let Value::List(items) = v else { return None };
    let mut ids = items.iter().map(|v| handle_of(w, v)).collect::<Option<Vec<ObjId>>>()?;
    if ids.is_sorted() {
        return None;
    }
    ids.sort_unstable();
    Some(Value::list(ids.into_iter().map(Value::Obj).collect()))
}

fn map_actor(a: Actor, to: &[Pid]) -> Actor {
    let m = |p: Pid| to.get(p as usize).copied().unwrap_or(p);
    match a {
        Actor::Proc(p) => Actor::Proc(m(p)),
        Actor::Feeder(p, q) => Actor::Feeder(m(p), q),
        Actor::Signal(p) => Actor::Signal(m(p)),
    }
}

/// The handles in main's join order: its join-all loop's list from where
/// it stands, else its first handle list.
fn join_order(sym: &crate::symmetry::SymInfo, s: &State) -> Vec<ObjId> {
    let main = &s.procs[0];
    let Some(f) = main.frames.last() else { return vec![] };
    let ids = |v: &Value| match v {
        Value::List(xs) => xs.iter().filter_map(|x| if let Value::Obj(h) = x { Some(*h) } else { None }).collect(),
        _ => vec![],
    };
    if sym.join_loops.iter().any(|l| l.func == f.func && l.join_pc == f.pc) {
        if let Some(Value::Iter(it)) = f.stack.len().checked_sub(2).map(|i| &f.stack[i]) {
            if let Iter::Seq(xs, i) = &**it {
                return ids(&Value::List(std::sync::Arc::new(
                    xs[(*i as usize).saturating_sub(1).min(xs.len())..].to_vec(),
                )));
            }
        }
    }
    for l in &sym.free_lists {
        let v = match *l {
            Slot::Global(g) => main.globals.get(g as usize),
            Slot::Local(func, i) => {
                main.frames.iter().rev().find(|f| f.func == func).and_then(|f| f.locals.get(i as usize))
            }
        };
        if let Some(v @ Value::List(_)) = v {
            return ids(v);
        }
    }
    vec![]
}
