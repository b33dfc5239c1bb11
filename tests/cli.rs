//! The command line: exit codes, bad input, JSON, replay, determinism.

use std::path::Path;

use crate::util::{interleave, stderr, stdout};

fn json(args: &[&str]) -> (i32, serde_json::Value) {
    let o = interleave(args);
    let v =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", stdout(&o), stderr(&o)));
    (o.status.code().unwrap_or(-1), v)
}

fn write_model(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// Exit 2, a message naming `file:line:col`, no panic or backtrace.
fn assert_usage_error(o: &std::process::Output, needles: &[&str]) {
    let all = format!("{}{}", stdout(o), stderr(o));
    assert_eq!(o.status.code(), Some(2), "{all}");
    for n in needles {
        assert!(all.contains(n), "missing {n:?} in:\n{all}");
    }
    assert!(!all.contains("panicked") && !all.contains("RUST_BACKTRACE"), "{all}");
}

#[test]
fn small_models_all_pass_as_json() {
    let (code, v) = json(&["check", "models/small", "--format", "json"]);
    let models = v["models"].as_array().unwrap();
    assert!(models.len() >= 30);
    for m in models {
        assert_eq!(m["verdict"], "pass", "{m}");
        assert_eq!(m["exhaustive"], true, "{m}");
        assert_eq!(m["matches_expectation"], true, "{m}");
        assert!(m["stats"]["states"].as_u64().unwrap() > 0);
    }
    assert_eq!(code, 0);
}

fn model<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    v["models"].as_array().unwrap().iter().find(|m| m["path"].as_str().unwrap().ends_with(name)).unwrap()
}

fn outputs(m: &serde_json::Value) -> Vec<String> {
    m["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["main_output"].as_array().unwrap().last().unwrap().as_str().unwrap().to_string())
        .collect()
}

#[test]
fn unlocked_counter_loses_updates_and_locked_counter_does_not() {
    let (_, v) = json(&[
        "check",
        "models/small/manager_counter_nolock.py",
        "models/small/manager_counter_locked.py",
        "--format",
        "json",
    ]);
    let nolock = model(&v, "manager_counter_nolock.py");
    assert_eq!(outputs(nolock), ["97", "98", "99"]);
    let f = &nolock["findings"][0];
    assert_eq!(f["kind"], "lost-update");
    let msg = f["message"].as_str().unwrap();
    let procs: std::collections::BTreeSet<&str> =
        msg.split_whitespace().filter(|w| w.starts_with("Process-")).collect();
    assert_eq!(procs.len(), 2, "the message names two processes: {msg}");
    let locked = model(&v, "manager_counter_locked.py");
    assert_eq!(outputs(locked), ["97"]);
    assert_eq!(locked["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn ticket_models_show_the_reader_crash_and_the_oversell() {
    let (_, v) =
        json(&["check", "models/small/ticket_tutorial.py", "models/small/ticket_nolock.py", "--format", "json"]);
    let tutorial = model(&v, "ticket_tutorial.py");
    assert!(outputs(tutorial).iter().all(|o| o == "1"), "every outcome has one winner");
    let crash = tutorial["findings"].as_array().unwrap().iter().find(|f| f["kind"] == "crash").unwrap();
    assert!(crash["message"].as_str().unwrap().contains("SyntaxError"));
    let nolock = model(&v, "ticket_nolock.py");
    let assertion = nolock["findings"].as_array().unwrap().iter().find(|f| f["kind"] == "assertion").unwrap();
    let trace = assertion["trace"].as_array().unwrap();
    let saw_ticket = trace.iter().filter(|s| s["effect"].as_str().unwrap().contains("reads \"{'ticket': 1}\"")).count();
    assert!(saw_ticket >= 2, "two buyers both see the ticket: {assertion}");
}

#[test]
fn sentinel_deadlock_names_the_blocked_consumer() {
    let (code, v) = json(&["check", "models/small/prodcons_sentinel_1p2c.py", "--format", "json"]);
    let f = &model(&v, "prodcons_sentinel_1p2c.py")["findings"][0];
    assert_eq!(f["kind"], "deadlock");
    let msg = f["message"].as_str().unwrap();
    assert!(msg.contains("blocked in get()") && msg.contains("q.get()") && msg.contains("main"), "{msg}");
    assert_eq!(code, 0, "the deadlock is expected");
}

#[test]
fn every_replay_token_replays_to_its_trace() {
    let (_, v) = json(&["check", "models/small", "--format", "json"]);
    let mut n = 0;
    for m in v["models"].as_array().unwrap() {
        let path = m["path"].as_str().unwrap();
        for f in m["findings"].as_array().unwrap() {
            let (code, trace) = json(&["replay", path, f["replay"].as_str().unwrap(), "--format", "json"]);
            assert_eq!(code, 0);
            assert_eq!(trace, f["trace"], "{path}: {}", f["replay"]);
            n += 1;
        }
    }
    assert!(n >= 20, "only {n} findings replayed");
}

#[test]
fn output_is_identical_across_runs() {
    let a = interleave(&["check", "models/small"]);
    let b = interleave(&["check", "models/small"]);
    assert_eq!(stdout(&a), stdout(&b));
    let strip = |mut v: serde_json::Value| {
        for m in v["models"].as_array_mut().unwrap() {
            m["stats"]["seconds"] = serde_json::Value::Null;
            m["stats"]["peak_memory_mb"] = serde_json::Value::Null;
        }
        v
    };
    let (_, ja) = json(&["check", "models/small", "--format", "json"]);
    let (_, jb) = json(&["check", "models/small", "--format", "json"]);
    assert_eq!(strip(ja), strip(jb));
}

#[test]
fn a_bound_ends_the_search_as_incomplete_with_exit_3() {
    let (code, v) =
        json(&["check", "models/small/manager_counter_nolock.py", "--max-states", "20", "--format", "json"]);
    let m = &v["models"][0];
    assert_eq!(m["verdict"], "incomplete");
    assert_eq!(m["exhaustive"], false);
    assert!(m["stopped_by"].as_str().unwrap().contains("--max-states 20"));
    assert_eq!(code, 3);
}

#[test]
fn a_changed_expectation_fails_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read_to_string(crate::util::root().join("models/small/manager_counter_locked.py")).unwrap();
    let p = write_model(dir.path(), "m.py", &src.replace("# expect: none", "# expect: deadlock"));
    let o = interleave(&["check", &p]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("expected deadlock cannot happen"), "{}", stdout(&o));
}

#[test]
fn unsupported_construct_is_exit_2_with_position() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_model(dir.path(), "bad.py", "from multiprocessing import Process\n\nf = lambda x: x\n");
    let o = interleave(&["check", &p]);
    assert_usage_error(&o, &["bad.py:3:5", "lambda", "help"]);
}

#[test]
fn syntax_error_is_exit_2_with_position() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_model(dir.path(), "syn.py", "def f(:\n    pass\n");
    let o = interleave(&["check", &p]);
    assert_usage_error(&o, &["syn.py:1:"]);
}

#[test]
fn typo_in_a_method_name_suggests_the_right_one() {
    let dir = tempfile::tempdir().unwrap();
    let src = "from multiprocessing import Lock\n\nif __name__ == '__main__':\n    l = Lock()\n    l.aquire()\n";
    let p = write_model(dir.path(), "typo.py", src);
    let o = interleave(&["check", &p]);
    assert_usage_error(&o, &["typo.py:5:", "acquire"]);
}

#[test]
fn model_error_at_run_time_is_exit_2_with_position() {
    let dir = tempfile::tempdir().unwrap();
    let src = "if __name__ == '__main__':\n    x = 1\n    while True:\n        x = 1 - x\n";
    let p = write_model(dir.path(), "spin.py", src);
    let o = interleave(&["check", &p]);
    assert_usage_error(&o, &["spin.py:", "without a visible operation"]);
}

#[test]
fn missing_file_is_exit_2() {
    let o = interleave(&["check", "models/no_such_model.py"]);
    assert_usage_error(&o, &["no_such_model.py", "does not exist"]);
}

#[test]
fn empty_folder_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let o = interleave(&["check", &dir.path().display().to_string()]);
    assert_usage_error(&o, &["no *.py model files"]);
}

#[test]
fn absurd_limits_are_exit_2() {
    assert_usage_error(&interleave(&["check", "models/small", "--max-states", "0"]), &["--max-states"]);
    assert_usage_error(&interleave(&["check", "models/small", "--max-seconds", "-1"]), &["--max-seconds"]);
    assert_usage_error(&interleave(&["check", "models/small", "--max-memory", "1"]), &["--max-memory"]);
    assert_usage_error(&interleave(&["check", "models/small", "--max-states", "lots"]), &["--max-states"]);
}

#[test]
fn a_bad_replay_token_is_exit_2() {
    let o = interleave(&["replay", "models/small/lock_with.py", "9.9.9"]);
    assert_usage_error(&o, &["cannot happen there"]);
    let o = interleave(&["replay", "models/small/lock_with.py", "x!"]);
    assert_usage_error(&o, &["bad replay token"]);
}

#[test]
fn all_three_engines_agree_on_every_small_model() {
    let (code, v) = json(&[
        "check",
        "models/small",
        "--engine",
        "all",
        "--loom-executions",
        "3000",
        "--max-seconds",
        "5",
        "--iterations",
        "300",
        "--format",
        "json",
    ]);
    let models = v["models"].as_array().unwrap();
    assert!(models.len() >= 30);
    for m in models {
        assert_eq!(m["agree"], true, "{}: {}", m["path"], m["disagreement"]);
        for engine in ["explore", "loom", "shuttle"] {
            assert!(m["engines"][engine]["verdict"].is_string(), "{}: no {engine} entry", m["path"]);
        }
    }
    assert_eq!(code, 0);
}
