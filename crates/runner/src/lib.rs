//! The runner: the same model file executed many times as real OS
//! processes, and what reality showed held against the model.
//!
//! A model is only useful if reality cannot do something it says is
//! impossible. [`run_many`] runs a model `N` times with one of two
//! backends and counts what each run ended with ([`Tally`]); [`compare`]
//! then marks each observed outcome as predicted by the model's outcome
//! set or **unexplained**, and lists the predicted outcomes never seen.
//!
//! - [`Backend::Cpython`]: the file itself under `python3`, through a small
//!   harness that sends the children's stdout elsewhere, so main's output
//!   is compared alone.
//! - [`Backend::Native`]: each model process is a real OS process running
//!   the model with interleave's own interpreter, over real IPC: POSIX
//!   semaphores, pipes, a manager server on a Unix socket, real files,
//!   real signals (see [`native`]).
//!
//! ```no_run
//! use interleave_runner::{run_many, compare, Backend, ModelSide, RunOptions};
//! let opts = RunOptions::new(Backend::Cpython, 50);
//! let tally = run_many(std::path::Path::new("models/small/manager_counter_nolock.py"), &opts, |_| {}).unwrap();
//! let model = ModelSide::default(); // from the explorer, in practice
//! print!("{}", compare(&tally, &model).render_text("manager_counter_nolock.py"));
//! ```
//!
//! Each run is a process group of its own with its own temp folder (its
//! working directory); whatever way the run ends (success, failure,
//! timeout, Ctrl-C), every process left in the group is killed and reaped
//! and the folder is removed. Processes are only ever killed through the
//! process groups started here.
//!
//! # Limitations
//! - A model outcome may never show in reality: timing makes some
//!   interleavings very rare (`--jitter` helps). Only an observed outcome
//!   the model lacks is evidence of anything.
//! - A run that takes longer than the timeout counts as a hang.
//! - CPython runs use the fork start method, which is what interleave
//!   models.

mod compare;
pub mod cpython;
mod group;
pub mod native;
mod tally;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub use compare::{compare, Comparison, CrashRow, ModelSide, ModelSummary, Row, Status, Unexplained};
pub use group::{install_interrupt_handler, interrupted};
pub use tally::{RunEnd, RunRecord, Tally, NATIVE_ERROR};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Real processes running interleave's interpreter over real IPC.
    Native,
    /// The file itself under `python3`.
    Cpython,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Native => "native",
            Backend::Cpython => "cpython",
        }
    }
}

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub backend: Backend,
    pub runs: usize,
    pub timeout: Duration,
    /// Seed of the random pauses at visible operations; run `i` uses
    /// `seed + i`.
    pub jitter: Option<u64>,
    pub python: String,
    /// The native backend's worker: a program and its first arguments; the
    /// model path is appended (normally `interleave __native-worker`).
    pub worker: Vec<OsString>,
}

impl RunOptions {
    pub fn new(backend: Backend, runs: usize) -> RunOptions {
        RunOptions {
            backend,
            runs,
            timeout: Duration::from_secs(10),
            jitter: None,
            python: "python3".into(),
            worker: vec![],
        }
    }
}

/// Why runs could not be made at all.
#[derive(Debug)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The model file cannot be read.
    Model,
    /// The backend cannot be started (python3 missing, no worker program,
    /// no temp folder).
    Setup,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

fn setup(message: String) -> Error {
    Error { kind: ErrorKind::Setup, message }
}

/// Runs the model `opts.runs` times, one run after the other; `on_run` is
/// called after each. Stops early (with `interrupted` set) on Ctrl-C once
/// [`install_interrupt_handler`] is installed.
pub fn run_many(model: &Path, opts: &RunOptions, mut on_run: impl FnMut(&RunRecord)) -> Result<Tally, Error> {
    let model = model.canonicalize().map_err(|e| Error {
        kind: ErrorKind::Model,
        message: format!("cannot read model '{}': {e}", model.display()),
    })?;
    if opts.backend == Backend::Native && opts.worker.is_empty() {
        return Err(setup("the native backend needs the worker program (interleave __native-worker)".into()));
    }
    let start = Instant::now();
    let mut tally = Tally::default();
    for i in 0..opts.runs {
        if interrupted() {
            tally.interrupted = true;
            break;
        }
        let rec = match run_once(&model, opts, i as u64)? {
            Some(rec) => rec,
            None => {
                tally.interrupted = true;
                break;
            }
        };
        tally.add(&rec);
        on_run(&rec);
    }
    tally.seconds = start.elapsed().as_secs_f64();
    Ok(tally)
}

/// One run in its own folder; `None` when Ctrl-C cut it short.
fn run_once(model: &Path, opts: &RunOptions, i: u64) -> Result<Option<RunRecord>, Error> {
    let dir = tempfile::Builder::new()
        .prefix("interleave-run-")
        .tempdir()
        .map_err(|e| setup(format!("cannot create a temp folder for a run: {e}")))?;
    let jitter = opts.jitter.map(|s| s.wrapping_add(i));
    let tag = native::run_tag(i);
    let cmd = match opts.backend {
        Backend::Cpython => cpython::command(&opts.python, model, dir.path(), jitter),
        Backend::Native => native_command(opts, model, dir.path(), jitter, &tag),
    };
    let program = cmd.get_program().to_string_lossy().into_owned();
    let finished = group::run_in_group(cmd, opts.timeout);
    native::sweep_semaphores(&tag);
    let finished = finished.map_err(|e| setup(format!("cannot start '{program}': {e}")))?;
    dir.close().map_err(|e| setup(format!("cannot remove a run's temp folder: {e}")))?;
    if finished.interrupted {
        return Ok(None);
    }
    Ok(Some(RunRecord::of(&finished)))
}

fn native_command(opts: &RunOptions, model: &Path, dir: &Path, jitter: Option<u64>, tag: &str) -> Command {
    let mut cmd = Command::new(&opts.worker[0]);
    cmd.args(&opts.worker[1..]).arg(model).current_dir(dir);
    cmd.env(native::TAG_ENV, tag).env("TMPDIR", dir);
    match jitter {
        Some(seed) => cmd.env(native::JITTER_ENV, seed.to_string()),
        None => cmd.env_remove(native::JITTER_ENV),
    };
    cmd
}

/// The native backend's worker command for the `interleave` binary at `exe`:
/// `exe __native-worker` (the model path is appended per run).
pub fn worker_for(exe: PathBuf) -> Vec<OsString> {
    vec![exe.into_os_string(), "__native-worker".into()]
}
