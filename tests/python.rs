//! Every model is real Python: `python3` runs it unchanged. A model
//! expected to deadlock or hang must still be running at the timeout; any
//! other must finish by itself. Each run has its own process group and
//! temp folder, and the whole group is killed at the timeout.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

/// How long a model expected to deadlock or hang is watched before it
/// counts as stuck.
const STUCK_AFTER: Duration = Duration::from_secs(6);
/// How long a model expected to end may take: generous, since the test
/// shares the machine with the runner's tests and a run that ends early
/// costs nothing.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Runs a model under python3: `Some(exit code)` if it ended in `limit`.
fn run_python(model: &Path, limit: Duration) -> Option<i32> {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new("python3")
        .arg(crate::util::root().join(model))
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("python3 runs");
    let pgid = Pid::from_raw(child.id() as i32);
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s.code().unwrap_or(-1));
        }
        if start.elapsed() > limit {
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // the group is ours: main and every child it started
    let _ = killpg(pgid, Signal::SIGKILL);
    let _ = child.wait();
    status
}

#[test]
fn every_model_runs_under_python3() {
    let files = crate::util::model_files();
    let results: Vec<(String, Option<i32>, bool, bool)> = std::thread::scope(|s| {
        let chunks: Vec<_> = files.chunks(files.len().div_ceil(4)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|f| {
                            let exp = crate::util::expected(f);
                            let stuck = exp.iter().any(|k| k == "deadlock" || k == "hang");
                            // a model that can also fail an assertion or crash may end either way
                            let either = stuck && exp.iter().any(|k| k == "assertion" || k == "crash");
                            let limit = if stuck { STUCK_AFTER } else { TIMEOUT };
                            (f.display().to_string(), run_python(f, limit), stuck, either)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let mut wrong = vec![];
    for (f, code, stuck, either) in &results {
        match (code, stuck) {
            _ if *either => {}
            (None, false) => wrong.push(format!("{f}: did not finish in {TIMEOUT:?}")),
            (Some(c), true) => wrong.push(format!("{f}: expected to deadlock or hang, but exited with {c}")),
            (Some(c), false) if *c != 0 && *c != 1 => wrong.push(format!("{f}: exit code {c}")),
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "models that are not the Python they claim:\n{}", wrong.join("\n"));
    assert!(results.len() >= 60, "only {} models found", results.len());
}
