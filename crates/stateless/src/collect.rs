//! What the executions of one engine run add up to: outcomes, the first
//! instance of each finding with the schedule that led to it, and whether
//! anything stopped the run short.

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard};

use interleave_machine::code::Compiled;
use interleave_machine::finding::{dedup_key, Finding, Kind};
use interleave_machine::interp::Event;
use interleave_machine::ir::Program;
use interleave_machine::system::{token, Actor, Outcome};
use interleave_machine::{Machine, ModelError};

/// A compiled model shared by every thread of every execution.
pub struct Model {
    pub program: Program,
    pub code: Compiled,
}

/// A finding seen in some execution, with that execution's schedule.
#[derive(Clone, Debug)]
pub struct Seen {
    pub key: String,
    pub finding: Finding,
}

#[derive(Debug, Default)]
pub struct Collector {
    pub executions: u64,
    pub outcomes: BTreeSet<Outcome>,
    pub seen: Vec<Seen>,
    pub model_error: Option<ModelError>,
    /// Executions abandoned at the step bound.
    pub step_limited: u64,
    /// Set when a model needs more threads than the runtime allows.
    pub out_of_reach: Option<String>,
    /// With `Some(kind)`, the first finding of that kind panics (so that
    /// shuttle records the failing schedule).
    pub panic_on: Option<Kind>,
}

/// The panic message a finding raises to make shuttle keep its schedule.
pub const PANIC_PREFIX: &str = "interleave finding";

impl Collector {
    pub fn lock(c: &Mutex<Collector>) -> MutexGuard<'_, Collector> {
        c.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn outcome(&mut self, o: Outcome) {
        self.outcomes.insert(o);
    }

    pub fn model_error(&mut self, e: ModelError) {
        self.model_error.get_or_insert(e);
    }

    pub fn step_limit(&mut self, _n: usize) {
        self.step_limited += 1;
    }

    pub fn out_of_reach(&mut self, needed: usize, cap: usize) {
        self.out_of_reach.get_or_insert(format!(
            "out of reach: the model needs {needed} or more threads, the engine models at most {cap}"
        ));
    }

    /// A finding shown by the last step of `log`.
    pub fn event(&mut self, m: &Machine<'_>, log: &[Actor], ev: Event) {
        let kind = Kind::of(&ev);
        let key = dedup_key(kind, Some(&ev), &[]);
        if self.known(&key) {
            return;
        }
        let Ok(r) = m.replay(log) else { return };
        let finding = m.event_finding(&r, &ev, token(log));
        self.add(Seen { key, finding });
    }

    /// No actor can move after `log`.
    pub fn deadlock(&mut self, m: &Machine<'_>, log: &[Actor]) {
        let Ok(r) = m.replay(log) else { return };
        let message = m.deadlock_message(&r.state);
        let key = format!("deadlock:{message}");
        if self.known(&key) {
            return;
        }
        let finding = Finding { kind: Kind::Deadlock, message, replay: token(log), trace: r.steps };
        self.add(Seen { key, finding });
    }

    fn known(&self, key: &str) -> bool {
        self.seen.iter().any(|s| s.key == key)
    }

    fn add(&mut self, seen: Seen) {
        let kind = seen.finding.kind;
        let message = seen.finding.message.clone();
        self.seen.push(seen);
        if self.panic_on == Some(kind) {
            panic!("{PANIC_PREFIX} [{}]: {message}", kind.name());
        }
    }

    /// The findings, one per distinct key, most important kinds first.
    pub fn findings(&self) -> Vec<Finding> {
        let mut out: Vec<Finding> = self.seen.iter().map(|s| s.finding.clone()).collect();
        out.sort_by(|a, b| (a.kind, a.trace.len(), &a.message).cmp(&(b.kind, b.trace.len(), &b.message)));
        out
    }
}
