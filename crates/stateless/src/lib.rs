//! loom and shuttle explore the same models through the same interpreter.
//!
//! Each actor of a model (a process, a queue feeder thread of a process,
//! the delivery of a pending signal) runs as a thread of the engine; the
//! program's whole state sits behind one engine mutex and every visible
//! step is one acquisition of it, so the engine's scheduler decides the
//! interleaving. Process semantics that threads lack (signals, daemon kill
//! at exit, exit codes, zombies) stay in the interpreter, so a result means
//! the same as the explorer's.
//!
//! - **loom** enumerates every order of those acquisitions: exhaustive, but
//!   only for models that need at most [`LOOM_THREADS`] threads (processes +
//!   feeders + signal deliveries, main included). Beyond that the result
//!   says "out of reach", never `pass`.
//! - **shuttle** samples schedules (`random`, `pct`) or enumerates them
//!   (`dfs`). A finding comes with shuttle's schedule string and the
//!   command that replays it.
//!
//! Both give findings and outcome sets in the explorer's types, so the
//! three engines check each other ([`agreement`]).
//!
//! # Limitations
//! - No state is stored: loom and shuttle re-run the program from the start
//!   for each schedule, so they reach only small models.
//! - A livelock never ends an execution: it is cut at a step bound and the
//!   run is reported incomplete; `hang` is only found by the explorer.
//! - loom stops quietly at `max_permutations` / `max_duration`; the run is
//!   then reported incomplete (executions are counted here).

mod collect;
mod driver;
mod engines;
mod quiet;
mod runtime;

pub use collect::{Collector, Model, PANIC_PREFIX};
pub use engines::{replay_shuttle, run_loom, run_shuttle, LoomOptions, ShuttleMode, ShuttleOptions};

use std::collections::BTreeSet;

use interleave_machine::finding::{Finding, Kind};
use interleave_machine::system::Outcome;
use serde::Serialize;

/// loom's thread cap (its `MAX_THREADS`), the main thread included.
pub const LOOM_THREADS: usize = loom::MAX_THREADS;

/// What one engine made of a model.
#[derive(Clone, Debug, Serialize)]
pub struct EngineRun {
    pub engine: String,
    /// Every schedule was tried (loom within its limits, shuttle's DFS).
    pub exhaustive: bool,
    /// Why not exhaustive: a bound, the thread cap, sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub findings: Vec<Finding>,
    pub outcomes: BTreeSet<Outcome>,
    pub executions: u64,
    pub seconds: f64,
    /// How the run was configured (shuttle's mode, iterations, seed...).
    pub settings: String,
}

impl EngineRun {
    pub fn kinds(&self) -> BTreeSet<Kind> {
        self.findings.iter().map(|f| f.kind).filter(|k| !k.is_warning()).collect()
    }
}

/// Compares an engine's run with the explorer's. loom, when exhaustive,
/// must reach the same outcomes and finding kinds; a sampling engine only
/// a subset of them. `Err` is a plain sentence saying what differs.
pub fn agreement(
    explore_outcomes: &BTreeSet<Outcome>,
    explore_kinds: &BTreeSet<Kind>,
    other: &EngineRun,
) -> Result<(), String> {
    let name = &other.engine;
    if let Some(o) = other.outcomes.difference(explore_outcomes).next() {
        return Err(format!("{name} reached outcome {:?} (exit {}) that explore did not", o.main_output, o.exit));
    }
    if let Some(k) = other.kinds().difference(explore_kinds).next() {
        return Err(format!("{name} found {} that explore did not", k.name()));
    }
    if other.exhaustive {
        if let Some(o) = explore_outcomes.difference(&other.outcomes).next() {
            return Err(format!("explore reached outcome {:?} (exit {}) that {name} did not", o.main_output, o.exit));
        }
        if let Some(k) = explore_kinds.difference(&other.kinds()).next() {
            return Err(format!("explore found {} that {name} did not", k.name()));
        }
    }
    Ok(())
}
