//! `interleave report` and `interleave gate`: the Markdown of every small
//! twin (reviewed snapshots), byte-for-byte determinism, what the lost
//! update and the deadlock reports must say, and a gate that fails when a
//! model or its expectation changes.

use std::path::Path;

use interleave::gate::gate;
use interleave::reports::{entries, model_data, report_files};
use interleave::{Limits, Options};

use crate::util::{interleave, root, stdout};

fn opts(threads: usize) -> Options {
    let limits =
        Limits { max_states: 100_000, max_seconds: f64::INFINITY, threads, progress: false, ..Limits::default() };
    Options { limits, ..Options::default() }
}

fn small(name: &str) -> interleave::report::data::ModelData {
    model_data(Path::new(&format!("models/small/{name}.py")), &opts(0))
}

/// Each small twin's Markdown, checked against SCENARIOS.md when accepted:
/// outcome sets, finding kinds, and that traces show the bug.
#[test]
fn markdown_of_every_small_twin_matches_its_snapshot() {
    insta::glob!("../models/small", "*.py", |path| {
        let rel = path.strip_prefix(root()).unwrap();
        let d = model_data(rel, &opts(0));
        let md = interleave::report::render_markdown(&d, &[]);
        insta::assert_snapshot!(md);
    });
}

#[test]
fn lost_update_report_names_its_three_steps_in_a_sequence_diagram() {
    let d = small("manager_counter_nolock");
    let md = interleave::report::render_markdown(&d, &[]);
    let f = &d.findings[0];
    let l = f.lost_update.as_ref().expect("a lost update has its three steps");
    // the three steps are in order and the sentence names each
    assert!(l.stale_read.unwrap() < l.lost_write.unwrap() && l.lost_write.unwrap() < l.overwrite);
    let sentence = md.lines().find(|x| x.starts_with("**Why the update is lost:**")).expect("the sentence");
    for step in [l.stale_read.unwrap(), l.lost_write.unwrap(), l.overwrite] {
        assert!(sentence.contains(&format!("step {}", step + 1)), "{sentence}");
    }
    assert!(md.contains("```mermaid\nsequenceDiagram\n    autonumber\n"), "{md}");
    // one numbered message per step
    let messages = md.lines().filter(|x| x.trim_start().starts_with('p') && x.contains("->>")).count();
    assert_eq!(messages, f.trace.states.len() - 1);
    // the overwritten value shows in the state after the overwrite
    let after = &f.trace.states[l.overwrite + 1].view;
    let dict = after.shared.iter().find(|s| s.kind == "DictProxy").expect("the dict is shown");
    assert_eq!(dict.name, "d");
    assert_eq!(dict.value, "{'num': 99}", "two decrements leave one");
}

#[test]
fn deadlock_report_shows_who_waits_on_whom() {
    let d = small("prodcons_sentinel_1p2c");
    let md = interleave::report::render_markdown(&d, &[]);
    let last = &d.findings[0].trace.states.last().unwrap().view;
    assert!(!last.waits.is_empty());
    // main joins a consumer that waits on the empty queue
    assert!(last.waits.iter().any(|w| w.from == "main" && w.label.starts_with("join()")), "{:?}", last.waits);
    assert!(last.waits.iter().any(|w| w.to == "q" && w.label.starts_with("get(): empty")), "{:?}", last.waits);
    assert!(md.contains("```mermaid\ngraph LR\n"), "{md}");
    assert!(md.contains("- main waits for Process-"), "{md}");
}

#[test]
fn reports_are_the_same_bytes_every_time_and_for_any_thread_count() {
    let paths = [root().join("models/small")];
    let build = |threads| {
        let models: Vec<_> = entries(&paths)
            .unwrap()
            .into_iter()
            .filter(|e| e.rel.starts_with("manager") || e.rel.starts_with("prodcons") || e.rel.starts_with("lock"))
            .map(|e| (e.rel, model_data(&e.file, &opts(threads))))
            .collect();
        report_files(&models, "interleave report models/small --out x").unwrap()
    };
    let a = build(1);
    assert!(a.keys().any(|k| k.ends_with(".svg")), "small models get a state graph");
    assert_eq!(a, build(1));
    assert_eq!(a, build(2));
}

#[test]
fn state_graph_is_whole_for_a_small_model_and_a_neighbourhood_above_the_threshold() {
    let count = |dot: &str| dot.lines().filter(|l| l.contains("[ label=") && !l.contains("->")).count() as u64;
    let d = small("lock_exception_no_finally");
    // the picture is the real state graph: neither symmetry nor the
    // partial-order reduction folds it
    let unreduced = |name: &str| {
        model_data(Path::new(&format!("models/small/{name}.py")), &Options { symmetry: false, por: false, ..opts(0) })
    };
    let unreduced = |name: &str| unreduced(name).states;
    let states = unreduced("lock_exception_no_finally");
    assert!(states <= interleave_explore_threshold());
    let dot = d.graph.as_ref().expect("a small model is drawn");
    assert_eq!(count(dot), states, "every state is drawn: {dot}");
    assert!(
        dot.contains(
            "label=\"models/small/lock_exception_no_finally.py: every state (no symmetry or partial-order reduction);"
        ),
        "{dot}"
    );
    assert!(dot.contains("color=\"#c00000\""), "the interleaving is highlighted");
    let d = small("manager_counter_nolock");
    let states = unreduced("manager_counter_nolock");
    assert!(states > interleave_explore_threshold());
    let dot = d.graph.as_ref().expect("a model with a finding is drawn around it");
    let steps = d.findings[0].trace.states.len() as u64;
    assert!(count(dot) >= steps && count(dot) < states, "{dot}");
    assert!(dot.contains("the states along the interleaving and their successors"), "{dot}");
}

fn interleave_explore_threshold() -> u64 {
    interleave::explore::graph::FULL_GRAPH_STATES as u64
}

/// A temp copy of three small models and their committed-style reports.
fn gate_fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir(&models).unwrap();
    for m in ["manager_counter_nolock", "manager_counter_locked", "prodcons_sentinel_1p2c"] {
        std::fs::copy(root().join(format!("models/small/{m}.py")), models.join(format!("{m}.py"))).unwrap();
    }
    let o = run_in(dir.path(), &["report", "models", "--out", "reports", "--quiet"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    dir
}

fn run_in(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_interleave")).args(args).current_dir(dir).output().unwrap()
}

#[test]
fn gate_passes_on_fresh_reports_and_writes_one_junit_case_per_model() {
    let dir = gate_fixture();
    let o = run_in(dir.path(), &["gate", "models", "--quiet", "--junit", "out.xml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let xml = std::fs::read_to_string(dir.path().join("out.xml")).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), 3, "{xml}");
    assert!(xml.contains("failures=\"0\""), "{xml}");
}

#[test]
fn gate_fails_with_a_diff_naming_the_model_when_an_expectation_changes() {
    let dir = gate_fixture();
    let file = dir.path().join("models/manager_counter_nolock.py");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("# expect: lost-update", "# expect: none")).unwrap();
    let o = run_in(dir.path(), &["gate", "models", "--quiet", "--junit", "out.xml"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("FAIL models/manager_counter_nolock.py"), "{out}");
    assert!(out.contains("verdict: pass -> fail"), "{out}");
    assert!(!out.contains("FAIL models/manager_counter_locked.py"), "only the changed model fails: {out}");
    let xml = std::fs::read_to_string(dir.path().join("out.xml")).unwrap();
    assert!(xml.contains("failures=\"1\""), "{xml}");
}

#[test]
fn gate_fails_when_a_model_changes_its_outcomes() {
    let dir = gate_fixture();
    let file = dir.path().join("models/manager_counter_locked.py");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("WORKERS = 3"));
    std::fs::write(&file, text.replace("WORKERS = 3", "WORKERS = 2")).unwrap();
    let o = run_in(dir.path(), &["gate", "models", "--quiet"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("FAIL models/manager_counter_locked.py"), "{out}");
    assert!(out.contains("+ [\"98\"] exit 0") && out.contains("- [\"97\"] exit 0"), "{out}");
}

#[test]
fn gate_fails_on_a_stale_or_leftover_report() {
    let dir = gate_fixture();
    let reports = dir.path().join("reports");
    std::fs::write(reports.join("prodcons_sentinel_1p2c.md"), "edited by hand\n").unwrap();
    std::fs::write(reports.join("gone.json"), "{}").unwrap();
    let models: Vec<_> = entries(&[dir.path().join("models")])
        .unwrap()
        .into_iter()
        .map(|e| (e.rel, model_data(&e.file, &opts(0))))
        .collect();
    let files = report_files(&models, "interleave report models --out reports").unwrap();
    let r = gate(&models, &files, &reports);
    assert!(!r.passed());
    let text = r.render();
    assert!(text.contains("prodcons_sentinel_1p2c.md' is stale"), "{text}");
    assert!(text.contains("'gone.json' is in the committed reports but no model writes it"), "{text}");
}

#[test]
fn gate_without_a_baseline_says_how_to_make_one() {
    let o = interleave(&["gate", "models/small", "--baseline", "no-such-folder", "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    let err = crate::util::stderr(&o);
    assert!(err.contains("'no-such-folder' is not a folder") && err.contains("interleave report"), "{err}");
}

#[test]
fn report_with_real_runs_puts_their_histogram_beside_the_outcome_set() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = interleave(&[
        "report",
        "models/small/manager_counter_nolock.py",
        "--out",
        out.to_str().unwrap(),
        "--runs",
        "6",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", crate::util::stderr(&o));
    let md = std::fs::read_to_string(out.join("manager_counter_nolock.md")).unwrap();
    assert!(md.contains("| main prints | exit | predicted | real runs (6 × cpython) | status |"), "{md}");
    let counted: usize = md
        .lines()
        .filter(|l| l.starts_with("| `9"))
        .map(|l| l.split('|').nth(4).unwrap().trim().parse::<usize>().unwrap())
        .sum();
    assert_eq!(counted, 6, "every run lands on a predicted outcome: {md}");
    assert!(!md.contains("UNEXPLAINED"), "{md}");
}

#[test]
fn gate_does_not_compare_an_svg_drawn_by_another_graphviz_but_says_so() {
    let dir = gate_fixture();
    let svg = dir.path().join("reports/manager_counter_nolock.svg");
    let text = std::fs::read_to_string(&svg).unwrap();
    let version =
        text.lines().find(|l| l.starts_with("<!-- Generated by graphviz version")).expect("dot's banner").to_string();
    std::fs::write(
        &svg,
        text.replace(&version, "<!-- Generated by graphviz version 0.1 (other)").replace("<svg", "<svg data-x=\"1\""),
    )
    .unwrap();
    let o = run_in(dir.path(), &["gate", "models", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("note: manager_counter_nolock.svg not compared"), "{}", stdout(&o));
    // the same change under the same version is a stale report
    std::fs::write(&svg, text.replace("<svg", "<svg data-x=\"1\"")).unwrap();
    let o = run_in(dir.path(), &["gate", "models", "--quiet"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
}
