//! loom and shuttle on the small models: same findings and outcomes as the
//! explorer, and shuttle's schedules replay.

use std::collections::BTreeSet;
use std::sync::Arc;

use interleave_machine::finding::Kind;
use interleave_stateless::*;

fn model(path: &str) -> Arc<Model> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let program = interleave_lang::load(&root.join(path)).unwrap();
    let code = interleave_machine::compile::compile(&program).unwrap();
    Arc::new(Model { program, code })
}

fn last_lines(r: &EngineRun) -> BTreeSet<String> {
    r.outcomes.iter().map(|o| o.main_output.last().cloned().unwrap_or_default()).collect()
}

#[test]
fn loom_reaches_every_outcome_of_the_unlocked_counter() {
    let r = run_loom(model("models/small/manager_counter_nolock.py"), &LoomOptions::default()).unwrap();
    assert_eq!(last_lines(&r), ["97", "98", "99"].map(String::from).into());
    assert!(r.kinds().contains(&Kind::LostUpdate));
    let locked = run_loom(model("models/small/manager_counter_locked.py"), &LoomOptions::default()).unwrap();
    assert_eq!(last_lines(&locked), ["97"].map(String::from).into());
    assert!(locked.kinds().is_empty());
}

#[test]
fn shuttle_finds_the_sentinel_deadlock_and_names_the_consumer() {
    let r = run_shuttle(model("models/small/prodcons_sentinel_1p2c.py"), &ShuttleOptions::default()).unwrap();
    let f = r.findings.iter().find(|f| f.kind == Kind::Deadlock).expect("a deadlock");
    assert!(f.message.contains("blocked in get()"), "{}", f.message);
    assert!(r.outcomes.is_empty(), "the program never finishes");
}

#[test]
fn loom_finds_the_sentinel_deadlock_within_its_thread_cap() {
    let r = run_loom(model("models/small/prodcons_sentinel_1p2c.py"), &LoomOptions::default()).unwrap();
    let f = r.findings.iter().find(|f| f.kind == Kind::Deadlock).expect("a deadlock");
    assert!(f.message.contains("blocked in get()"), "{}", f.message);
}

#[test]
fn a_shuttle_schedule_replays_to_the_same_finding() {
    let m = model("models/small/manager_counter_nolock.py");
    let r = run_shuttle(m.clone(), &ShuttleOptions::default()).unwrap();
    let f = r.findings.iter().find(|f| f.kind == Kind::LostUpdate).expect("a lost update");
    assert!(f.replay.starts_with("shuttle:lost-update:"), "{}", f.replay);
    let again = replay_shuttle(m, &f.replay).unwrap();
    assert_eq!(again.kind, f.kind);
    assert_eq!(again.message, f.message);
    assert_eq!(again.trace, f.trace);
}

#[test]
fn too_many_threads_for_loom_is_out_of_reach_not_pass() {
    let r = run_loom(
        model("models/small/ticket_tutorial.py"),
        &LoomOptions { max_executions: 2000, ..LoomOptions::default() },
    )
    .unwrap();
    assert!(!r.exhaustive);
    assert!(r.note.as_deref().unwrap_or("").contains("out of reach"), "{:?}", r.note);
}
