//! Partial-order reduction for main's `start()`s and for the tail of a
//! child: its `put()`s into a queue that nobody reads while it lives, its
//! feeder's writes, and its exit.
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
//!   `join()` can see it, and that join cannot happen before it;
//! - main's `start()` of a child: nothing a child does touches main's
//!   variables, the new process or the process table in a way a start
//!   changes (children start, join and inspect no process).
//!
//! The step is taken alone only when it makes progress and reports
//! nothing (no finding event); otherwise the state is expanded in full.
//! The *cycle proviso* (no step may be put off forever around a cycle)
//! holds because none of these steps lies on a cycle: each moves a child
//! forward in loop-free code, drains its buffer for good, ends a child, or
//! adds one.
//!
//! Terminal states (outcomes, deadlocks) and every finding kind stay
//! reachable. A finding's trace may take some tail steps earlier than the
//! trace found without the reduction, never more of them: a trace holds a
//! child's tail only when the finding comes after it. Main's starts are
//! different: taken alone, main starts every child before any moves, and
//! a crash that needs two buyers would show the starts of all ten.
//! [`Machine::fewer_starts`] shortens such a trace again: the children that
//! move are renamed to the first of their twins, main's later starts are
//! dropped, and the shorter schedule is kept when its replay shows the same
//! finding.

use crate::code::{Code, Compiled, Instr, MODULE};
use crate::finding::Finding;
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

/// A variable of main's module code that `i` loads.
fn loaded(i: &Instr) -> Option<Slot> {
    crate::symmetry::loaded(MODULE, i)
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
        let mut out = self.actors(s);
        out.retain(|a| match *a {
            Actor::Proc(0) => self.starts_child(&s.world, main),
            Actor::Proc(p) => self.tail_step(&s.world, &s.procs[p as usize]),
            Actor::Feeder(p, q) => p != 0 && info.items_unseen && plain_queue(&s.world, q),
            Actor::Signal(_) => false,
        });
        if out.is_empty() {
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
        (in_list.len() + 1 == s.world.procs.len()).then_some(out)
    }

    /// Main about to start a child: no other process can see it before it
    /// happens (only main starts, joins or looks at processes).
    fn starts_child(&self, w: &World, main: &Proc) -> bool {
        let Some(f) = main.frames.last() else { return false };
        match &self.code.code(f.func).instrs[f.pc as usize] {
            Instr::CallMethod { name, nargs: 0, kw } if &**name == "start" && kw.is_empty() => {
                matches!(f.stack.last(), Some(Value::Obj(id)) if matches!(w.objects.get(*id as usize).map(|o| &**o), Some(Object::Process(ph)) if ph.pid.is_none()))
            }
            _ => false,
        }
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

/// `Process-3` and `step 12` with the numbers taken out: a finding's
/// message names processes and steps, which renaming and dropping steps
/// change.
fn without_numbers(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while !rest.is_empty() {
        let tag = ["Process-", "step "].into_iter().find(|t| rest.starts_with(t));
        if let Some(t) = tag {
            out.push_str(t);
            out.push('#');
            rest = rest[t.len()..].trim_start_matches(|c: char| c.is_ascii_digit());
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

impl Machine<'_> {
    /// A shorter schedule for a finding found with the reduction: main
    /// takes its `start()`s alone, so it starts every child before any
    /// moves, and a finding that needs two children shows the starts of
    /// all. The children that move are renamed to the first of their twins
    /// (same function, same daemon flag) in start order, main's starts
    /// after the last child still needed are dropped, and the result is
    /// kept when its replay (on this machine) shows the same finding at its
    /// last step.
    pub fn fewer_starts(&self, path: &[Actor], f: &Finding) -> Option<Finding> {
        let mut procs = vec![];
        let end = self.replay_observed(path, |s| procs.push(s.procs.len() as Pid)).ok()?.state;
        let n = *procs.last()? as usize;
        let moves = |c: Pid| {
            path.iter().any(|a| matches!(*a, Actor::Proc(p) | Actor::Feeder(p, _) | Actor::Signal(p) if p == c))
        };
        // each class's moving children go to its first slots, in order
        let mut to: Vec<Pid> = (0..n as Pid).collect();
        for (_, members) in crate::canon::classes(&end) {
            let (moving, idle): (Vec<Pid>, Vec<Pid>) = members.iter().partition(|d| moves(**d));
            for (slot, d) in members.iter().zip(moving.iter().chain(&idle)) {
                to[*d as usize] = *slot;
            }
        }
        let needed = (1..n as Pid).filter(|c| moves(*c)).map(|c| to[c as usize]).max().unwrap_or(0);
        // main's steps that start only children after the last one needed
        let keep: Vec<bool> = path
            .iter()
            .enumerate()
            .map(|(i, a)| *a != Actor::Proc(0) || procs[i] == procs[i + 1] || procs[i] <= needed)
            .collect();
        if keep.iter().all(|k| *k) {
            return None;
        }
        let rename = |p: Pid| to[p as usize];
        let short: Vec<Actor> = path
            .iter()
            .zip(&keep)
            .filter(|(_, k)| **k)
            .map(|(a, _)| match *a {
                Actor::Proc(p) => Actor::Proc(rename(p)),
                Actor::Feeder(p, q) => Actor::Feeder(rename(p), q),
                Actor::Signal(p) => Actor::Signal(rename(p)),
            })
            .collect();
        let r = self.replay(&short).ok()?;
        let last = short.len() - 1;
        let want = without_numbers(&f.message);
        r.events
            .iter()
            .filter(|(i, _)| *i == last)
            .map(|(_, ev)| self.event_finding(&r, ev, crate::system::token(&short)))
            .find(|g| g.kind == f.kind && without_numbers(&g.message) == want)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_in_names_and_steps_are_taken_out() {
        assert_eq!(
            super::without_numbers("Process-10 read it at step 12, Process-2 wrote at step 3 (line 21)"),
            "Process-# read it at step #, Process-# wrote at step # (line 21)"
        );
    }
}
