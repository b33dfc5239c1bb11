//! Findings and warnings, and the sentences that explain them. Every
//! engine reports in these types, so their results can be compared.

use serde::{Deserialize, Serialize};

use crate::interp::{Ctx, Event, Machine};
use crate::system::{Actor, Applied, State};
use crate::trace::{Replayed, TraceStep};
use crate::value::{self, Pid};
use crate::world::{Loc, Object, Wait};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Deadlock,
    Hang,
    Assertion,
    Crash,
    LostUpdate,
    Zombie,
    Orphan,
}

impl Kind {
    /// The kind of finding an event shows.
    pub fn of(ev: &Event) -> Kind {
        match ev {
            Event::Uncaught { exc, .. } if exc.ty == crate::ir::ExcType::AssertionError => Kind::Assertion,
            Event::Uncaught { .. } => Kind::Crash,
            Event::LostUpdate { .. } => Kind::LostUpdate,
            Event::Zombie { .. } => Kind::Zombie,
            Event::Orphan { .. } => Kind::Orphan,
        }
    }

    pub const ALL: [Kind; 7] =
        [Kind::Deadlock, Kind::Hang, Kind::Assertion, Kind::Crash, Kind::LostUpdate, Kind::Zombie, Kind::Orphan];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Deadlock => "deadlock",
            Kind::Hang => "hang",
            Kind::Assertion => "assertion",
            Kind::Crash => "crash",
            Kind::LostUpdate => "lost-update",
            Kind::Zombie => "zombie",
            Kind::Orphan => "orphan",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// Warnings do not make a model fail unless its expectation names them.
    pub fn is_warning(self) -> bool {
        matches!(self, Kind::Zombie | Kind::Orphan)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: Kind,
    pub message: String,
    /// Replay token: `interleave replay FILE TOKEN` prints the trace.
    pub replay: String,
    pub trace: Vec<TraceStep>,
}

impl Machine<'_> {
    fn name(&self, s: &State, p: Pid) -> String {
        self.proc_display_name(s, p)
    }

    /// What process `p` waits for in state `s`, if it is blocked.
    pub fn wait_of(&self, s: &State, p: Pid) -> Option<Wait> {
        let mut t = s.clone();
        match self.apply(&mut t, Actor::Proc(p), &mut Ctx::default()) {
            Ok(Applied::Blocked(w)) => Some(w),
            _ => None,
        }
    }

    /// "Process-3 blocked in `num = q.get()` at line 17 (queue empty)".
    pub fn describe_wait(&self, s: &State, p: Pid, w: &Wait) -> String {
        let who = self.name(s, p);
        let line = self.current_line(s, p);
        let at = format!("at line {line} `{}`", self.line_text(line));
        let holder = |h: Option<Pid>| match h {
            Some(h) if s.world.procs[h as usize].alive() => format!("held by {}", self.name(s, h)),
            Some(h) => format!("held by {}, which is dead and never releases it", self.name(s, h)),
            None => "free".to_string(),
        };
        match w {
            Wait::Lock(id) => {
                let owner = match &*s.world.objects[*id as usize] {
                    Object::Lock(o) => *o,
                    Object::RLock { owner, .. } => *owner,
                    _ => None,
                };
                format!("{who} blocked acquiring a lock {at} (lock {})", holder(owner))
            }
            Wait::Semaphore(_) => format!("{who} blocked acquiring a semaphore {at} (value 0)"),
            Wait::Event(_) => format!("{who} blocked in wait() {at} (the event is not set)"),
            Wait::QueueEmpty(_) => format!("{who} blocked in get() {at} (queue empty)"),
            Wait::QueueFull(_) => format!("{who} blocked in put() {at} (queue full)"),
            Wait::QueueReadLock(_, r) => {
                format!("{who} blocked in get() {at} (the queue's read lock is {})", holder(Some(*r)))
            }
            Wait::QueueJoin(q) => {
                let n = match &*s.world.objects[*q as usize] {
                    Object::Queue(q) => q.unfinished,
                    _ => 0,
                };
                format!("{who} blocked in join() {at} ({n} item(s) never marked task_done)")
            }
            Wait::Join(c) => format!("{who} waiting in join() for {} {at}", self.name(s, *c)),
            Wait::ExitChildren(cs) => {
                let names: Vec<_> = cs.iter().map(|c| self.name(s, *c)).collect();
                format!("{who} waiting at exit for {}", names.join(", "))
            }
            Wait::ExitFlush(_) => {
                format!("{who} cannot exit: its queue feeder is blocked writing into a full pipe that nobody reads")
            }
        }
    }

    /// Every blocked process of a deadlocked state, main first.
    pub fn deadlock_message(&self, s: &State) -> String {
        let parts: Vec<String> = (0..s.world.procs.len() as Pid)
            .filter(|p| s.world.procs[*p as usize].alive())
            .filter_map(|p| self.wait_of(s, p).map(|w| self.describe_wait(s, p, &w)))
            .collect();
        parts.join("; ")
    }

    /// What each live process does in a state from which the program can
    /// never finish.
    pub fn hang_message(&self, s: &State) -> String {
        let parts: Vec<String> = (0..s.world.procs.len() as Pid)
            .filter(|p| s.world.procs[*p as usize].alive())
            .map(|p| match self.wait_of(s, p) {
                Some(w) => self.describe_wait(s, p, &w),
                None => {
                    let line = self.current_line(s, p);
                    format!("{} keeps running at line {line} `{}`", self.name(s, p), self.line_text(line))
                }
            })
            .collect();
        format!("the program can never finish: {}", parts.join("; "))
    }

    pub fn crash_message(&self, s: &State, pid: Pid, exc: &value::Exception, line: u32) -> String {
        format!("{} died at line {line} `{}`: {}: {}", self.name(s, pid), self.line_text(line), exc.ty.name(), exc.msg)
    }

    /// The three steps of a lost update that the last step of `r` (step
    /// index `step`) completed, found from the trace's accesses to `loc`.
    pub fn lost_update_steps(&self, r: &Replayed, step: usize, loc: &Loc, writer: Pid) -> LostUpdateSteps {
        let before = |p: Pid, write: bool, until: usize| {
            r.accesses.iter().rev().find(|(i, q, l, w)| *i < until && *q == p && l == loc && *w == write).map(|a| a.0)
        };
        // the overwritten write: the last one by another process
        let last_other = r.accesses.iter().rev().find(|(i, q, l, w)| *i < step && *q != writer && l == loc && *w);
        let (lost_write, lost) = match last_other {
            Some((i, q, _, _)) => (Some(*i), *q),
            None => (None, writer),
        };
        let stale_read = lost_write.and_then(|lw| before(writer, false, lw)).or_else(|| before(writer, false, step));
        LostUpdateSteps {
            location: loc_label(&r.state, loc),
            writer: self.name(&r.state, writer),
            lost_writer: self.name(&r.state, lost),
            stale_read,
            lost_write,
            overwrite: step,
        }
    }

    /// One sentence naming the stale read, the lost write and the
    /// overwriting write, with their step numbers (1-based).
    pub fn lost_update_message(&self, r: &Replayed, step: usize, loc: &Loc, writer: Pid) -> String {
        let l = self.lost_update_steps(r, step, loc, writer);
        let at = |i: Option<usize>| match i {
            Some(i) => format!("step {} (line {}: `{}`)", i + 1, r.steps[i].line, r.steps[i].op),
            None => "an earlier step".to_string(),
        };
        format!(
            "lost update of {}: {w} read it at {}, {} wrote it at {}, then {w} overwrote that write at {} without having read it",
            l.location,
            at(l.stale_read),
            l.lost_writer,
            at(l.lost_write),
            at(Some(l.overwrite)),
            w = l.writer,
        )
    }

    /// The finding for an event of the last step of `r`.
    pub fn event_finding(&self, r: &Replayed, ev: &Event, token: String) -> Finding {
        let step = r.steps.len().saturating_sub(1);
        let (kind, message) = match ev {
            Event::Uncaught { pid, exc, line } => (Kind::of(ev), self.crash_message(&r.state, *pid, exc, *line)),
            Event::LostUpdate { loc, writer } => (Kind::LostUpdate, self.lost_update_message(r, step, loc, *writer)),
            Event::Zombie { child, parent } => (
                Kind::Zombie,
                format!(
                    "{} exited and stays a zombie while {} sleeps at line {} without reaping it (join(), is_alive() or active_children() would)",
                    self.name(&r.state, *child),
                    self.name(&r.state, *parent),
                    r.steps[step].line
                ),
            ),
            Event::Orphan { child, parent } => (
                Kind::Orphan,
                format!(
                    "{} is an orphan: its parent {} was killed while it still ran",
                    self.name(&r.state, *child),
                    self.name(&r.state, *parent)
                ),
            ),
        };
        Finding { kind, message, replay: token, trace: r.steps.clone() }
    }
}

fn loc_label(s: &State, loc: &Loc) -> String {
    match loc {
        Loc::Key(_, k) => format!("the Manager dict's [{}]", value::repr(k)),
        Loc::Item(_, i) => format!("the Manager list's [{i}]"),
        Loc::Val(_) => "a Value's .value".to_string(),
        Loc::File(p) => {
            let _ = s;
            format!("file '{p}'")
        }
    }
}

/// The steps of a lost update (0-based indices into the trace).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LostUpdateSteps {
    /// "the Manager dict's ['num']"
    pub location: String,
    /// The process whose write overwrote the other's.
    pub writer: String,
    /// The process whose write was lost.
    pub lost_writer: String,
    /// The writer's read of the value it later wrote back, stale by then.
    pub stale_read: Option<usize>,
    pub lost_write: Option<usize>,
    pub overwrite: usize,
}

/// A key that tells findings of one kind apart without naming processes
/// (so that symmetric copies of one bug are reported once).
pub fn dedup_key(kind: Kind, ev: Option<&Event>, lines: &[u32]) -> String {
    match ev {
        Some(Event::Uncaught { exc, line, .. }) => format!("{}:{}:{line}", kind.name(), exc.ty.name()),
        Some(Event::LostUpdate { loc, .. }) => format!("{}:{:?}:{lines:?}", kind.name(), std::mem::discriminant(loc)),
        _ => format!("{}:{lines:?}", kind.name()),
    }
}
