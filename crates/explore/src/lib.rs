//! The exhaustive, stateful explorer.
//!
//! Breadth-first search over the states of a model, each state stored once
//! (a visited set), so the first time a bug shows up it shows up at the
//! smallest depth: every finding comes with a shortest interleaving.
//!
//! ```no_run
//! # fn demo(program: &interleave_machine::ir::Program) {
//! use interleave_explore::{explore, Limits};
//! let code = interleave_machine::compile::compile(program).unwrap();
//! let m = interleave_machine::Machine::new(program, &code);
//! let result = explore(&m, &Limits::default()).unwrap();
//! println!("{} states, exhaustive: {}", result.stats.states, result.exhaustive);
//! # }
//! ```
//!
//! After the search, the state graph goes to petgraph to find hangs: states
//! from which neither the end of the program nor a deadlock is reachable.
//!
//! Successors are computed on all cores (rayon) in batches and merged in
//! index order, so the result is the same byte for byte for any number of
//! threads. States are smaller than the program's history: dead variables
//! are cleared after each step ([`interleave_machine::liveness`]) and the
//! lost-update check keeps only who has a pending, possibly stale read.
//! With `Machine::symmetry`, every state is stored in its canonical form
//! ([`interleave_machine::canon`]): alike children sorted, main's joins of
//! exited children passed. A finding's path is then realized as a schedule
//! of the real program before it is replayed into a trace.
//!
//! # Limitations
//! - Every state is kept in memory with its parent and every edge is kept
//!   for the hang analysis; no partial-order reduction, and symmetry only
//!   where the program cannot tell its children apart, so some 10-process
//!   models (`ticket_nolock_11`) still run into the limits.
//! - When a limit stops the search, hangs are not looked for (they need the
//!   whole graph) and the result is `incomplete`.

mod bfs;
pub mod graph;
mod hang;
mod progress;
pub mod store;

pub use bfs::{explore, moves, Explored, Limits, Stats, StopReason};
