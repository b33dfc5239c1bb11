//! End-to-end tests of the `interleave` command and the models it ships.
//! One binary, topic modules (ripgrep's layout).

mod cli;
mod models;
mod python;
mod reductions;
mod reports;
mod runner;
mod util;
