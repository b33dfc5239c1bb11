//! One reviewed snapshot per model: verdict, findings with their messages
//! and replay tokens, the outcome set, and every trace. Each snapshot was
//! checked against SCENARIOS.md before it was accepted.
//!
//! The tutorial-size models are explored with a state bound so the test
//! stays fast; their snapshots pin how far the bounded search gets.

use interleave::report::{render_text, Verdict};
use interleave::{Limits, Options};

/// Bound for the snapshot run: every model in models/small/ and the
/// tutorial-size lock models are below it.
const MAX_STATES: u64 = 100_000;

#[test]
fn every_model_matches_its_snapshot() {
    insta::glob!("../models", "**/*.py", |path| {
        let rel = path.strip_prefix(crate::util::root()).unwrap();
        let limits = Limits { max_states: MAX_STATES, ..Limits::default() };
        let report = interleave::check_file(rel, &Options { limits, ..Options::default() });
        if rel.starts_with("models/small") {
            assert!(report.exhaustive, "{} must be explored exhaustively", rel.display());
            assert_eq!(report.verdict, Verdict::Pass, "{}", render_text(std::slice::from_ref(&report)));
        }
        insta::assert_snapshot!(render_text(&[report]));
    });
}
