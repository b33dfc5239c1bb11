//! bench/vs_spin's stateright peer: the scenarios of models/ as hand-written
//! stateright models, checked by DFS with symmetry reduction.
//!
//! Usage: vs-spin-stateright SCENARIO N [--no-symmetry]
//! SCENARIO: counter_unlocked | counter_locked | ticket_nolock | ticket_locked
//! Prints one JSON line: states, seconds, max_depth, discoveries.

mod children;
mod counter;
mod ticket;

use stateright::{Checker, Model, Property};
use std::process::ExitCode;
use std::time::Instant;

/// A property that never holds: stateright stops once every property has a
/// discovery, and skips the successors of a state where all have one, so
/// this keeps the search exhaustive, like SPIN's -c0.
pub fn explore_everything<M: Model>() -> Property<M> {
    Property::sometimes("explore everything", |_, _| false)
}

fn run<M>(model: M, symmetry: bool) -> String
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + std::fmt::Debug + std::hash::Hash + PartialEq + Send + Sync + stateright::Representative,
    M::Action: Clone + std::fmt::Debug + PartialEq + Send + Sync,
{
    let start = Instant::now();
    let builder = model.checker();
    let builder = if symmetry { builder.symmetry() } else { builder };
    let checker = builder.spawn_dfs().join();
    let seconds = start.elapsed().as_secs_f64();
    let mut found: Vec<_> = checker.discoveries().into_keys().collect();
    found.sort();
    format!(
        "{{\"states\": {}, \"seconds\": {:.4}, \"max_depth\": {}, \"discoveries\": {:?}}}",
        checker.unique_state_count(),
        seconds,
        checker.max_depth(),
        found
    )
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let symmetry = !args.iter().any(|a| a == "--no-symmetry");
    let pos: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let (Some(scenario), Some(Ok(n))) = (pos.first(), pos.get(1).map(|s| s.parse::<usize>())) else {
        eprintln!("usage: vs-spin-stateright SCENARIO N [--no-symmetry]");
        return ExitCode::from(2);
    };
    let line = match scenario.as_str() {
        "counter_unlocked" => run(counter::Counter { n, locked: false }, symmetry),
        "counter_locked" => run(counter::Counter { n, locked: true }, symmetry),
        "ticket_nolock" => run(ticket::Ticket { readers: 0, buyers: n, locked: false }, symmetry),
        "ticket_locked" => run(ticket::Ticket { readers: n / 2, buyers: n - n / 2, locked: true }, symmetry),
        other => {
            eprintln!("unknown scenario {other:?}: counter_unlocked, counter_locked, ticket_nolock, ticket_locked");
            return ExitCode::from(2);
        }
    };
    println!("{line}");
    ExitCode::SUCCESS
}
