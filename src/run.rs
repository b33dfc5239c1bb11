//! `interleave run`: the model executed as real processes many times, and
//! what reality showed held against the model's outcome set.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use interleave::machine::finding::Kind;
use interleave::report::Verdict;
use interleave::{Limits, Options};
use interleave_runner::{compare, run_many, Backend, Comparison, ModelSide, RunOptions};

#[derive(Clone, Copy, ValueEnum)]
pub enum BackendArg {
    /// Real processes running interleave's interpreter over real IPC.
    Native,
    /// The file itself under python3.
    Cpython,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum RunFormat {
    Text,
    Json,
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// The model file.
    file: PathBuf,
    /// How many times to run it.
    #[arg(long, default_value_t = 100)]
    runs: usize,
    #[arg(long, value_enum, default_value = "cpython")]
    backend: BackendArg,
    /// Seconds after which a run counts as a hang (its processes are killed).
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Seed of random short pauses at visible operations (run i uses SEED+i).
    #[arg(long)]
    jitter: Option<u64>,
    #[arg(long, value_enum, default_value = "text")]
    format: RunFormat,
    /// The Python interpreter of the cpython backend.
    #[arg(long, default_value = "python3")]
    python: String,
    /// Bounds of the exploration that gives the model's outcome set.
    #[command(flatten)]
    bounds: super::BoundFlags,
}

pub fn run(a: RunArgs) -> ExitCode {
    let limits = match super::limits(&a.bounds) {
        Ok(l) => l,
        Err(e) => return super::usage(&e),
    };
    if a.runs == 0 {
        return super::usage("--runs must be at least 1");
    }
    let opts = match options(&a) {
        Ok(o) => o,
        Err(e) => return super::usage(&e),
    };
    let model = match model_side(&a, limits) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    interleave_runner::install_interrupt_handler();
    let bar = progress(a.runs);
    let tally = run_many(&a.file, &opts, |_| bar.inc(1));
    bar.finish_and_clear();
    let tally = match tally {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let c = compare(&tally, &model);
    let out = match a.format {
        RunFormat::Text => render_text(&a, &c, tally.seconds),
        RunFormat::Json => render_json(&a, &c),
    };
    let _ = std::io::stdout().write_all(out.as_bytes());
    if tally.interrupted {
        return ExitCode::from(130);
    }
    ExitCode::from(c.exit_code())
}

/// The model's outcome set, from the explorer.
fn model_side(a: &RunArgs, limits: Limits) -> Result<ModelSide, String> {
    if std::io::stderr().is_terminal() {
        eprintln!("exploring {} for its outcome set...", a.file.display());
    }
    let report = interleave::check_file(&a.file, &Options { limits, ..Options::default() });
    if report.verdict == Verdict::Error {
        return Err(report.error.unwrap_or_else(|| "error: the model cannot be explored".into()));
    }
    let can_hang = report.findings.iter().any(|f| matches!(f.kind, Kind::Deadlock | Kind::Hang));
    Ok(ModelSide {
        outcomes: report.outcomes.iter().cloned().collect(),
        exhaustive: report.exhaustive,
        can_hang,
        stopped_by: report.stopped_by.clone(),
    })
}

/// Runs of one backend with a timeout (checked) in seconds; the native
/// backend's worker is this binary.
pub fn run_options(backend: BackendArg, runs: usize, timeout: f64) -> Result<RunOptions, String> {
    if !(timeout.is_finite() && timeout > 0.0 && timeout <= 86_400.0) {
        return Err(format!("--timeout is in seconds, more than 0 and at most 86400, not {timeout}"));
    }
    let backend = match backend {
        BackendArg::Native => Backend::Native,
        BackendArg::Cpython => Backend::Cpython,
    };
    let mut o = RunOptions::new(backend, runs);
    o.timeout = Duration::from_secs_f64(timeout);
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("interleave"));
    o.worker = interleave_runner::worker_for(exe);
    Ok(o)
}

fn options(a: &RunArgs) -> Result<RunOptions, String> {
    let mut o = run_options(a.backend, a.runs, a.timeout)?;
    o.jitter = a.jitter;
    o.python = a.python.clone();
    Ok(o)
}

/// A progress bar on a terminal; hidden otherwise.
fn progress(runs: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(Some(runs as u64), ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::new(runs as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} runs {elapsed} (eta {eta})") {
        bar.set_style(style);
    }
    bar
}

fn settings(a: &RunArgs) -> String {
    let backend = match a.backend {
        BackendArg::Native => "native",
        BackendArg::Cpython => "cpython",
    };
    let jitter = a.jitter.map_or("no jitter".to_string(), |s| format!("jitter seed {s}"));
    format!("backend {backend}, timeout {} s, {jitter}", a.timeout)
}

fn render_text(a: &RunArgs, c: &Comparison, seconds: f64) -> String {
    let title = format!("{}: {} runs, {} ({seconds:.1} s)", a.file.display(), c.runs, settings(a));
    c.render_text(&title)
}

fn render_json(a: &RunArgs, c: &Comparison) -> String {
    let mut v = serde_json::to_value(c).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("path".into(), a.file.display().to_string().into());
        let backend = match a.backend {
            BackendArg::Native => Backend::Native,
            BackendArg::Cpython => Backend::Cpython,
        };
        o.insert("backend".into(), backend.name().into());
        o.insert("timeout".into(), a.timeout.into());
        o.insert("jitter".into(), a.jitter.into());
    }
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}
