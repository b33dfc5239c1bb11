//! The `native` backend: each model process is a real OS process that runs
//! the model with interleave's own interpreter, and every visible
//! operation goes to real IPC that behaves like CPython's.
//!
//! The worker (`interleave __native-worker FILE`) is the model's main
//! process. `p.start()` is a real `fork()` (the fork start method, as the
//! model assumes; like CPython, the child drops its parent's feeder
//! threads). Before each step the worker looks at what the step touches
//! (the interpreter's footprint) and makes the real operation happen:
//!
//! | model object | real thing |
//! |---|---|
//! | `Lock`, `RLock`, `Semaphore` | a POSIX named semaphore (unlinked at once, as CPython does under fork); an RLock's owner and count live in its holder, as in CPython; a killed holder keeps it |
//! | `Event` | a POSIX semaphore as the flag and one as the condition's lock |
//! | `Queue`, `JoinableQueue` | a pipe, a semaphore of free places, read and write locks, one feeder thread per putting process; `get()` waits holding the read lock |
//! | Manager `dict`/`list`, `Value` | a manager server process on a Unix socket in the run's folder; each call atomic |
//! | files | real files in the run's folder: truncated at `open`, written at flush or close at the handle's offset |
//! | `join()`, `is_alive()`, `exitcode` | `waitid` on the real child; a zombie stays until the model reaps it, then `waitpid` |
//! | `terminate()`, `kill()`, daemons at exit | real SIGTERM / SIGKILL |
//! | `time.sleep(s)` | a real sleep |
//!
//! The interpreter still computes the values: before a step the worker
//! writes what reality says (the semaphore's state, the item read from the
//! pipe, the file's bytes, the dict's content) into its local copy of the
//! world, applies the step there, and carries the step's effect back to
//! reality (posts, writes, new contents). So a model and a native run can
//! differ only where the interpreter's semantics and real IPC differ:
//! which is what the comparison looks for.

mod codec;
mod ops;
mod queue;
mod sem;
mod store;
mod worker;

pub use worker::worker_main;

/// Environment variable naming the run's semaphores (`il<pid>-<run>`).
pub const TAG_ENV: &str = "INTERLEAVE_RUN_TAG";
/// Environment variable with the jitter seed of the run.
pub const JITTER_ENV: &str = "INTERLEAVE_JITTER";

/// The prefix of every semaphore name of run `i` of this process.
pub fn run_tag(i: u64) -> String {
    format!("il{}-{i}", std::process::id())
}

/// Removes semaphores of a run that are still named (a process killed
/// between `sem_open` and `sem_unlink`). Only names with this run's own
/// prefix are touched.
pub fn sweep_semaphores(tag: &str) {
    let Ok(entries) = std::fs::read_dir("/dev/shm") else { return };
    let prefix = format!("sem.{tag}-");
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}
