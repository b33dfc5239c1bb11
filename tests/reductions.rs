//! The soundness guard of the explorer's reductions (dead-variable reset,
//! exit merge, symmetry, partial-order reduction, hash compaction): each one, turned off,
//! must give the same verdict, outcome set and finding kinds on every small
//! model, and the traces found with it on must replay. The search's
//! threads must not change a single byte of the result.

use std::collections::BTreeSet;

use interleave::report::{render_json, ModelReport};
use interleave::{Limits, Options};

fn run(path: &std::path::Path, dead_reset: bool, threads: usize) -> ModelReport {
    run_with(path, dead_reset, true, Limits { threads, ..Limits::default() })
}

fn run_with(path: &std::path::Path, dead_reset: bool, exit_merge: bool, limits: Limits) -> ModelReport {
    interleave::check_file(path, &Options { limits, dead_reset, exit_merge, ..Options::default() })
}

fn run_symmetry(path: &std::path::Path, symmetry: bool, threads: usize) -> ModelReport {
    let limits = Limits { threads, ..Limits::default() };
    interleave::check_file(path, &Options { limits, symmetry, ..Options::default() })
}

fn run_por(path: &std::path::Path, por: bool) -> ModelReport {
    let limits = Limits { threads: 1, ..Limits::default() };
    interleave::check_file(path, &Options { limits, por, ..Options::default() })
}

/// Turning a reduction off must keep the verdict, outcomes and finding
/// kinds, and every trace found with it on must replay.
fn same_meaning(path: &std::path::Path, on: &ModelReport, off: &ModelReport) {
    let name = path.display();
    assert!(on.exhaustive && off.exhaustive, "{name}");
    assert_eq!(on.verdict, off.verdict, "{name}");
    assert_eq!(on.outcomes, off.outcomes, "{name}: outcome sets differ");
    assert_eq!(kinds(on), kinds(off), "{name}: finding kinds differ");
    assert!(on.stats.states <= off.stats.states, "{name}: the reduction added states");
    for f in &on.findings {
        let steps = interleave::replay_file(path, &f.replay)
            .unwrap_or_else(|e| panic!("{name}: {} does not replay: {e}", f.replay));
        assert_eq!(steps, f.trace, "{name}: the replay of {} differs from its trace", f.replay);
    }
    for w in &on.warnings {
        interleave::replay_file(path, &w.replay)
            .unwrap_or_else(|e| panic!("{name}: warning {} does not replay: {e}", w.replay));
    }
}

/// The JSON of a report without what varies from run to run.
fn stable_json(mut r: ModelReport) -> String {
    r.stats.seconds = 0.0;
    r.stats.peak_memory_mb = 0;
    r.stats.hash_compaction = false;
    render_json(&[r])
}

fn kinds(r: &ModelReport) -> BTreeSet<String> {
    r.findings.iter().map(|f| f.kind.name().to_string()).collect()
}

fn small_models() -> Vec<std::path::PathBuf> {
    let root = crate::util::root();
    let mut files = interleave::collect_models(&[root.join("models/small")]).unwrap();
    files.sort();
    assert!(files.len() >= 30, "models/small has {} models", files.len());
    files
}

/// Runs every small model with a reduction on and off (`run(path, on)`),
/// checks [`same_meaning`] and what `also` checks, and names the models
/// the reduction made smaller.
fn on_and_off(
    run: impl Fn(&std::path::Path, bool) -> ModelReport,
    mut also: impl FnMut(&std::path::Path, &ModelReport, &ModelReport),
) -> Vec<String> {
    let mut smaller = vec![];
    for path in small_models() {
        let (on, off) = (run(&path, true), run(&path, false));
        same_meaning(&path, &on, &off);
        also(&path, &on, &off);
        if on.stats.states < off.stats.states {
            smaller.push(path.file_stem().unwrap().to_string_lossy().to_string());
        }
    }
    smaller
}

#[test]
fn dead_variable_reset_keeps_outcomes_and_findings() {
    let smaller = on_and_off(|path, on| run(path, on, 1), |_, _, _| {}).len();
    // the reduction must do something, or this test proves nothing (today
    // it shrinks the three producer/consumer sentinel models by 17-27%)
    assert!(smaller >= 3, "the reset made only {smaller} models smaller");
}

#[test]
fn exit_merge_keeps_outcomes_and_findings() {
    let run = |path: &std::path::Path, on| run_with(path, true, on, Limits::default());
    let smaller = on_and_off(run, |path, _, off| {
        // a token found with the merge off replays too: the same schedule,
        // shown with the exits merged where they fit, else as steps of
        // their own
        for f in &off.findings {
            let steps = interleave::replay_file(path, &f.replay)
                .unwrap_or_else(|e| panic!("{}: {} does not replay: {e}", path.display(), f.replay));
            assert_eq!(steps.len(), f.trace.len(), "{}", path.display());
        }
    })
    .len();
    // today: every counter and lock twin and more (models that never ask
    // whether a process is alive and whose main never sleeps)
    assert!(smaller >= 10, "the exit merge made only {smaller} models smaller");
}

#[test]
fn symmetry_keeps_outcomes_and_findings() {
    let smaller = on_and_off(
        |path, on| run_symmetry(path, on, 1),
        |path, on, off| {
            // a trace found under symmetry is a real schedule, and shortest
            // too, but for main's joins of children that have exited (see
            // `interleave_machine::canon`): for each kind, its other steps
            // are never more than in the one found without symmetry
            let steps = |f: &interleave::machine::finding::Finding| {
                f.trace.iter().filter(|s| !(s.process == "main" && s.effect.starts_with("joined "))).count()
            };
            let shortest = |r: &ModelReport, k| r.findings.iter().filter(|f| f.kind == k).map(steps).min();
            for f in &on.findings {
                assert!(shortest(on, f.kind) <= shortest(off, f.kind), "{}: {}", path.display(), f.kind.name());
            }
        },
    )
    .len();
    // the counters, the ticket twins, the locks ...
    assert!(smaller >= 8, "symmetry made only {smaller} models smaller");
}

#[test]
fn partial_order_reduction_keeps_outcomes_and_findings() {
    let smaller = on_and_off(run_por, |path, on, off| {
        // a child's tail steps are never needed before a finding, and the
        // starts of children a trace does not need are dropped again
        // (`fewer_starts`), so no trace grows: for each kind, the shortest
        // found is as short
        let shortest = |r: &ModelReport, k| r.findings.iter().filter(|f| f.kind == k).map(|f| f.trace.len()).min();
        for f in &on.findings {
            assert_eq!(shortest(on, f.kind), shortest(off, f.kind), "{}: {}", path.display(), f.kind.name());
        }
    });
    // the ticket twins without the lock: buyers put their number into a
    // queue main drains after joining them all
    for name in ["ticket_nolock", "ticket_nolock_11"] {
        assert!(smaller.iter().any(|s| s == name), "the reduction did not shrink {name}: {smaller:?}");
    }
}

/// Symmetry on the tutorial-size models it was built for: exhaustive, and
/// the same outcomes as the small twins say (90..99 for the counter).
#[test]
fn symmetry_makes_the_ten_worker_counter_exhaustive() {
    let path = crate::util::root().join("models/manager_counter_nolock.py");
    let r = run_symmetry(&path, true, 0);
    assert!(r.exhaustive, "{:?}", r.stopped_by);
    let last: BTreeSet<String> = r.outcomes.iter().map(|o| o.main_output.join(" ")).collect();
    let want: BTreeSet<String> = (90..=99).map(|n| n.to_string()).collect();
    assert_eq!(last, want);
    assert_eq!(kinds(&r), BTreeSet::from(["lost-update".to_string()]));
}

#[test]
fn threads_do_not_change_a_byte() {
    for path in small_models() {
        let one = run(&path, true, 1);
        let two = run(&path, true, 2);
        assert_eq!(stable_json(one), stable_json(two), "{}", path.display());
        let one = run_symmetry(&path, false, 1);
        let two = run_symmetry(&path, false, 2);
        assert_eq!(stable_json(one), stable_json(two), "{}", path.display());
    }
}

/// Fingerprints instead of states: on models this small a collision is
/// out of the question, so the result must be the very same.
#[test]
fn hash_compaction_finds_the_same_states_and_traces() {
    for path in small_models() {
        let full = run(&path, true, 0);
        let compact = run_with(&path, true, true, Limits { hash_compaction: true, ..Limits::default() });
        assert!(compact.stats.hash_compaction, "{}", path.display());
        assert_eq!(stable_json(full), stable_json(compact), "{}", path.display());
    }
}
