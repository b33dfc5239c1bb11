//! Every run is cleaned up: no process, semaphore, socket or temp file of
//! it is left, after timeouts and after Ctrl-C.
//!
//! This is a test binary of its own, with one test, because it makes
//! itself the subreaper of what it starts and then asserts that it has no
//! child left at all (`waitpid(-1)` answers ECHILD): other tests running
//! beside it would have children of their own.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use interleave_runner::{run_many, Backend, RunOptions, Tally};
use nix::errno::Errno;
use nix::sys::wait::{waitpid, WaitPidFlag};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn runs(model: &Path, backend: Backend, n: usize, timeout: Duration) -> Tally {
    let mut o = RunOptions::new(backend, n);
    o.timeout = timeout;
    o.worker = interleave_runner::worker_for(env!("CARGO_BIN_EXE_interleave").into());
    run_many(model, &o, |_| {}).unwrap()
}

/// Processes whose command line names `needle` (a live process of a run
/// names its model file; a zombie would be our child and fail the
/// `waitpid` check instead).
fn processes_naming(needle: &str) -> Vec<String> {
    let mut found = vec![];
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let pid = e.file_name().to_string_lossy().to_string();
        if pid.parse::<u32>().is_err() || pid == std::process::id().to_string() {
            continue;
        }
        let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if cmd.contains(needle) {
            found.push(format!("{pid}: {cmd}"));
        }
    }
    found
}

fn assert_nothing_left(model: &Path, tmp: &Path) {
    assert_eq!(waitpid(None, Some(WaitPidFlag::WNOHANG | WaitPidFlag::__WALL)), Err(Errno::ECHILD), "a child is left");
    let procs = processes_naming(&model.display().to_string());
    assert!(procs.is_empty(), "processes left: {procs:#?}");
    let files: Vec<_> = std::fs::read_dir(tmp).unwrap().flatten().map(|e| e.path()).collect();
    assert!(files.is_empty(), "temp files left: {files:?}");
    let prefix = format!("sem.il{}-", std::process::id());
    let sems: Vec<_> = std::fs::read_dir("/dev/shm")
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().to_string()).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|n| n.starts_with(&prefix))
        .collect();
    assert!(sems.is_empty(), "semaphores left: {sems:?}");
}

#[test]
fn deadlocked_runs_leave_no_process_and_no_ipc_object() {
    // a copy of the model under a unique name, and a TMPDIR of our own for
    // the runs' folders (with the manager's socket and CPython's pymp-*)
    let mine = tempfile::tempdir().unwrap();
    let model = mine.path().join("prodcons_sentinel_1p2c_hygiene.py");
    std::fs::copy(root().join("models/small/prodcons_sentinel_1p2c.py"), &model).unwrap();
    let tmp = mine.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    std::env::set_var("TMPDIR", &tmp);
    interleave_runner::install_interrupt_handler();

    for backend in [Backend::Native, Backend::Cpython] {
        let t = runs(&model, backend, 20, Duration::from_millis(500));
        assert_eq!((t.runs, t.hangs), (20, 20), "{backend:?}: {t:?}");
        assert_nothing_left(&model, &tmp);
    }

    // Ctrl-C in the middle of a run that would otherwise wait 60 s
    let me = nix::unistd::getpid();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        let _ = nix::sys::signal::kill(me, nix::sys::signal::Signal::SIGINT);
    });
    let start = Instant::now();
    let t = runs(&model, Backend::Native, 3, Duration::from_secs(60));
    assert!(t.interrupted, "{t:?}");
    assert!(start.elapsed() < Duration::from_secs(20), "Ctrl-C took {:?}", start.elapsed());
    assert_nothing_left(&model, &tmp);
}
