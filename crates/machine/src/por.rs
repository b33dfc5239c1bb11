//! Partial-order reduction for the tail of a child: its `put()`s into a
//! queue that nobody reads while it lives, its feeder's writes, and its
//! exit.
//!
//! In the tutorial's shape (children `put()` results, main joins them all
//! in a join-all loop and only then drains the queue), every child sits,
//! after its last interesting step, on a `put()`, a feeder write and an
//! exit, each of which the other processes cannot notice until main has
//! joined it. Exploring every order of those steps against everything the
//! other children do multiplies the states several times per child
//! (`ticket_nolock_11`: about 4x per buyer) for nothing. Where it is safe,
//! [`Machine::ample`] names one such step, and the explorer takes it alone
//! (an *ample set* of one transition) instead of every enabled step.
//!
//! # When it is safe
//!
//! [`analyse`] accepts a program, from its code alone, when:
//!
//! - symmetry's conditions hold ([`crate::symmetry::analyse`]): nothing
//!   observes a child's exit but a join, only main starts processes, and
//!   handles live only in variables and in lists iterated by join-all
//!   loops;
//! - main's module code has a join-all loop `for p in L: p.join()` such
//!   that, before leaving that loop, main cannot ask anything of a queue
//!   (no `get`, `get_nowait`, `empty`, `qsize`, `full` on any path from the
//!   start to the loop's exit), puts nothing into one, calls no function,
//!   and appends every process it starts to `L` right next to its
//!   `start()`;
//! - no function reads a queue either (children never do), and no
//!   function's code jumps backwards: children run loop-free code.
//!
//! [`Machine::ample`] then picks, in a state where main has not yet left
//! that loop and every child is in `L`, the first of:
//!
//! - a child's `put()` into an unbounded plain `Queue`: it only bumps the
//!   item count and appends to the child's own feeder buffer. Other puts
//!   commute with it, feeders touch other buffers, and the only steps that
//!   read the count or the pipe are main's, after the loop, so after this
//!   child has exited;
//! - a child's feeder writing into such a queue, when no `get()` result is
//!   ever used ([`crate::symmetry::queue_items_unseen`]). Two feeders'
//!   writes do not commute: the items land in the pipe in another order,
//!   and one may fill the pipe and stop the other. But main only counts
//!   the items, after the loop, and whether some child cannot flush (the
//!   join-before-drain deadlock) depends only on the total size of the
//!   items put, which no feeder order changes (no child reads the queue,
//!   main puts nothing into it, every writer is in `L`, so main waits for
//!   each of them before reading): every order ends the same, or in a
//!   deadlock;
//! - a child's final exit, once its feeders have flushed: only main's
//!   `join()` can see it, and that join cannot happen before it.
//!
//! The step is taken alone only when it makes progress and reports
//! nothing (no finding event); otherwise the state is expanded in full.
//! The *cycle proviso* (no step may be put off forever around a cycle)
//! holds because none of these steps lies on a cycle: each moves a child
//! forward in loop-free code, drains its buffer for good, or ends it.
//!
//! Terminal states (outcomes, deadlocks) and every finding kind stay
//! reachable. A finding's trace may take some of these tail steps earlier
//! than the trace found without the reduction, never more of them: none is
//! needed before a finding, and a trace holds a child's tail only when the
//! finding comes after it. (Main's `start()` commutes with every child's
//! step too, but taking it alone makes main start every child before any
//! moves, and a crash trace then shows starts of children it does not
//! need: 3 to 5 steps longer on the ticket twins. It is not reduced.)

use crate::code::{Code, Compiled, Instr, MODULE};
use crate::interp::{ExitStage, Machine, Proc};
use crate::liveness::successors;
use crate::symmetry::{queue_items_unseen, run_by_main, JoinLoop, Slot};
use crate::system::{Actor, State};
use crate::value::{Iter, ObjId, Pid, Value};
use crate::world::{Object, World};

/// What the reduction may rely on, from the code.
#[derive(Clone, Debug, Default)]
pub struct PorInfo {
    pub eligible: bool,
    /// The list main's join-all loop iterates.
    list: Option<Slot>,
    /// For each pc of main's module code: whether main can be there before
    /// it has left the join-all loop.
    before_exit: Vec<bool>,
    /// Feeder writes may be reordered (no `get()` result is used).
    items_unseen: bool,
    /// The pcs where the loop's iterator is on main's stack.
    loop_body: std::ops::Range<u32>,
}

const READS: &[&str] = &["get", "get_nowait", "empty", "qsize", "full"];
const PUTS: &[&str] = &["put", "put_nowait"];

fn calls(i: &Instr, names: &[&str]) -> bool {
    matches!(i, Instr::CallMethod { name, .. } if names.contains(&&**name))
}

fn jumps_back(code: &Code) -> bool {
    code.instrs.iter().enumerate().any(|(pc, i)| successors(pc, i).iter().any(|t| *t <= pc))
}

fn loaded(i: &Instr) -> Option<Slot> {
    match i {
        Instr::LoadLocal(l) => Some(Slot::Local(MODULE, *l)),
        Instr::LoadGlobal(g) => Some(Slot::Global(*g)),
        _ => None,
    }
}

/// Module pcs main can reach from its start without leaving the loop.
fn reachable_before(code: &Code, jl: &JoinLoop) -> Vec<bool> {
    let for_iter = jl.join_pc as usize - 3;
    let mut seen = vec![false; code.instrs.len()];
    let mut todo = vec![0usize];
    while let Some(pc) = todo.pop() {
        if pc >= seen.len() || seen[pc] {
            continue;
        }
        seen[pc] = true;
        let mut next = successors(pc, &code.instrs[pc]);
        if pc == for_iter {
            next.retain(|t| *t == pc + 1);
        }
        todo.extend(next);
    }
    seen
}

/// Whether each `start()` in the region is next to `L.append(h)` of the
/// same handle, with no jump between them.
fn starts_appended(code: &Code, region: &[bool], list: Slot) -> bool {
    let ins = &code.instrs;
    (0..ins.len()).filter(|pc| region[*pc] && calls(&ins[*pc], &["start"])).all(|pc| {
        let Some(h) = pc.checked_sub(1).and_then(|p| loaded(&ins[p])) else { return false };
        let straight =
            |r: std::ops::Range<usize>| r.clone().all(|k| k < ins.len() && successors(k, &ins[k]) == [k + 1]);
        let appends_at = |k: usize| {
            k + 2 < ins.len()
                && loaded(&ins[k]) == Some(list)
                && loaded(&ins[k + 1]) == Some(h)
                && matches!(&ins[k + 2], Instr::CallMethod { name, nargs: 1, .. } if &**name == "append")
        };
        let lo = pc.saturating_sub(8);
        (lo..pc.saturating_sub(3)).any(|k| appends_at(k) && straight(k..pc))
            || (pc + 1..pc + 8).any(|k| appends_at(k) && straight(pc..k + 3))
    })
}

/// Decides whether the reduction applies (see the module documentation).
pub fn analyse(c: &Compiled) -> PorInfo {
    if !c.sym.eligible {
        return PorInfo::default();
    }
    if c.funcs.iter().any(|f| jumps_back(f) || f.instrs.iter().any(|i| calls(i, READS) || calls(i, &["start"]))) {
        return PorInfo::default();
    }
    let by_main = run_by_main(c);
    if c.funcs.iter().zip(&by_main).any(|(f, main)| *main && f.instrs.iter().any(|i| calls(i, PUTS))) {
        return PorInfo::default();
    }
    let code = &c.module;
    for jl in c.sym.join_loops.iter().filter(|j| j.func == MODULE) {
        let Some(list) = loaded(&code.instrs[jl.join_pc as usize - 5]) else { continue };
        let before = reachable_before(code, jl);
        let bad = |i: &Instr| calls(i, READS) || calls(i, PUTS) || matches!(i, Instr::CallFunc(..));
        let clean = code.instrs.iter().zip(&before).all(|(i, b)| !b || !bad(i));
        if clean && c.sym.free_lists.contains(&list) && starts_appended(code, &before, list) {
            let loop_body = jl.join_pc - 3..jl.join_pc + 5;
            return PorInfo {
                eligible: true,
                list: Some(list),
                before_exit: before,
                items_unseen: queue_items_unseen(c),
                loop_body,
            };
        }
    }
    PorInfo::default()
}

/// An unbounded plain `Queue`.
fn plain_queue(w: &World, id: ObjId) -> bool {
    matches!(w.objects.get(id as usize).map(|o| &**o), Some(Object::Queue(q)) if q.maxsize == 0 && !q.joinable)
}

impl Machine<'_> {
    /// The steps that may be taken alone in `s` (see the module
    /// documentation), in actor order. The caller takes the first that
    /// makes progress and reports nothing.
    pub fn ample(&self, s: &State) -> Vec<Actor> {
        self.ample_candidates(s).unwrap_or_default()
    }

    fn ample_candidates(&self, s: &State) -> Option<Vec<Actor>> {
        let info = &self.code.por;
        if !self.por || !info.eligible {
            return None;
        }
        let main = &s.procs[0];
        let frame = main.frames.first()?;
        if main.exit.is_some() || frame.func != MODULE || !*info.before_exit.get(frame.pc as usize)? {
            return None;
        }
        // the list, while main still reads it; inside the loop, its
        // iterator (the variable may be cleared by then: it is dead)
        let list = match info.list? {
            Slot::Global(g) => main.globals.get(g as usize)?,
            Slot::Local(_, l) => frame.locals.get(l as usize)?,
        };
        let in_loop = info.loop_body.contains(&frame.pc);
        let iterated = frame.stack.iter().filter(|_| in_loop).filter_map(|v| match v {
            Value::Iter(it) => match &**it {
                Iter::Seq(items, _) => Some(&**items),
                Iter::Range(..) => None,
            },
            _ => None,
        });
        let listed = match list {
            Value::List(items) => Some(&**items),
            _ => None,
        };
        let mut in_list: Vec<Pid> = listed
            .into_iter()
            .chain(iterated)
            .flatten()
            .filter_map(|h| match h {
                Value::Obj(id) => match s.world.objects.get(*id as usize).map(|o| &**o) {
                    Some(Object::Process(ph)) => ph.pid,
                    _ => None,
                },
                _ => None,
            })
            .collect();
        in_list.sort_unstable();
        in_list.dedup();
        // every child ever started is in the list
        if in_list.len() + 1 != s.world.procs.len() {
            return None;
        }
        let mut out = self.actors(s);
        out.retain(|a| match *a {
            Actor::Proc(p) => p != 0 && self.tail_step(&s.world, &s.procs[p as usize]),
            Actor::Feeder(p, q) => p != 0 && info.items_unseen && plain_queue(&s.world, q),
            Actor::Signal(_) => false,
        });
        Some(out)
    }

    /// A child about to `put()` into an unbounded plain queue, or to exit.
    fn tail_step(&self, w: &World, p: &Proc) -> bool {
        match p.exit {
            Some(ExitStage::Flush) => return true,
            Some(_) => return false,
            None => {}
        }
        let Some(f) = p.frames.last() else { return false };
        match &self.code.code(f.func).instrs[f.pc as usize] {
            Instr::CallMethod { name, nargs, kw } if PUTS.contains(&&**name) => {
                let depth = *nargs as usize + kw.len();
                match f.stack.len().checked_sub(depth + 1).map(|i| &f.stack[i]) {
                    Some(Value::Obj(id)) => plain_queue(w, *id),
                    _ => false,
                }
            }
            _ => false,
        }
    }
}
