//! `interleave report` and `interleave gate`: report folders, written and
//! held against the committed ones.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use interleave::gate::gate;
use interleave::machine::finding::Kind;
use interleave::report::data::{ModelData, RunRow, Runs};
use interleave::reports::{entries, model_data, report_files};
use interleave::{Limits, Options};
use interleave_runner::{compare, run_many, ModelSide, RunOptions};

/// Bounds of a report's search. Reports must be the same bytes on every
/// machine, so only the state bound applies (no time bound).
#[derive(clap::Args, Clone, Copy)]
pub struct ReportBounds {
    /// Stop (as incomplete) after this many distinct states.
    #[arg(long, default_value_t = 1_000_000)]
    max_states: u64,
    /// Threads computing successors (0: one per core); reports are the same for any number.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(clap::Args)]
pub struct ReportArgs {
    /// Model files, or folders searched for *.py.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The folder the reports are written to.
    #[arg(long, default_value = "reports")]
    out: PathBuf,
    #[command(flatten)]
    bounds: ReportBounds,
    /// Also run each model N times as real processes and show the outcome
    /// histogram beside the outcome set (real runs vary: not for reports
    /// that are committed and gated).
    #[arg(long, default_value_t = 0)]
    runs: usize,
    /// The backend of `--runs`.
    #[arg(long, value_enum, default_value = "cpython")]
    backend: super::run::BackendArg,
    /// Seconds after which a real run counts as a hang.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
}

fn options(b: &ReportBounds) -> Result<Options, String> {
    if b.max_states == 0 {
        return Err("--max-states must be at least 1".into());
    }
    let limits = Limits {
        max_states: b.max_states,
        max_seconds: f64::INFINITY,
        threads: b.threads,
        progress: !b.quiet,
        ..Limits::default()
    };
    Ok(Options { limits, ..Options::default() })
}

type Files = std::collections::BTreeMap<String, Vec<u8>>;

/// Checks every model and renders its report files.
fn build(
    paths: &[PathBuf],
    out: &Path,
    b: &ReportBounds,
    runs: Option<&RunOptions>,
) -> Result<(Vec<(String, ModelData)>, Files), String> {
    let opts = options(b)?;
    let mut models = vec![];
    for e in entries(paths)? {
        eprintln!("report: {}", e.file.display());
        let mut d = model_data(&e.file, &opts);
        if let Some(r) = runs.filter(|_| d.error.is_none()) {
            d.runs = Some(real_runs(&e.file, &d, r)?);
        }
        models.push((e.rel, d));
    }
    let files = report_files(&models, &command(paths, out))?;
    Ok((models, files))
}

/// The command that writes a report folder, as the index quotes it.
fn command(paths: &[PathBuf], out: &Path) -> String {
    let p: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    format!("interleave report {} --out {}", p.join(" "), out.display())
}

pub fn report(a: ReportArgs) -> ExitCode {
    let runs = match super::run::run_options(a.backend, a.runs, a.timeout) {
        Ok(o) => (a.runs > 0).then_some(o),
        Err(e) => return super::usage(&e),
    };
    if runs.is_some() {
        interleave_runner::install_interrupt_handler();
    }
    let (_, files) = match build(&a.paths, &a.out, &a.bounds, runs.as_ref()) {
        Ok(f) => f,
        Err(e) => return super::usage(&e),
    };
    match write(&a.out, &files) {
        Ok(()) => {
            eprintln!("wrote {} file(s) to {}", files.len(), a.out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Runs a model as real processes and holds the outcomes against `d`'s.
fn real_runs(file: &Path, d: &ModelData, o: &RunOptions) -> Result<Runs, String> {
    let tally = run_many(file, o, |_| {}).map_err(|e| format!("{}: {e}", file.display()))?;
    let model = ModelSide {
        outcomes: d.outcomes.iter().cloned().collect(),
        exhaustive: d.exhaustive,
        can_hang: d.findings.iter().any(|f| matches!(f.kind, Kind::Deadlock | Kind::Hang)),
        stopped_by: d.stopped_by.clone(),
    };
    let c = compare(&tally, &model);
    let rows = c
        .observed
        .iter()
        .map(|r| RunRow {
            main_output: r.main_output.clone(),
            exit: r.exit,
            count: r.count,
            status: r.status.label().to_string(),
        })
        .collect();
    Ok(Runs {
        runs: c.runs,
        backend: o.backend.name().to_string(),
        rows,
        hangs: c.hangs,
        hangs_status: c.hangs_status.map(|s| s.label().to_string()).unwrap_or_default(),
        unexplained: c.unexplained.len(),
    })
}

fn write(out: &Path, files: &Files) -> Result<(), String> {
    for (rel, bytes) in files {
        let path = out.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create '{}': {e}", dir.display()))?;
        }
        std::fs::write(&path, bytes).map_err(|e| format!("cannot write '{}': {e}", path.display()))?;
    }
    Ok(())
}

#[derive(clap::Args)]
pub struct GateArgs {
    /// Model files, or folders searched for *.py (as given to `report`).
    #[arg(default_value = "models")]
    paths: Vec<PathBuf>,
    /// The committed report folder to hold the models against.
    #[arg(long, default_value = "reports")]
    baseline: PathBuf,
    /// Also write the result as JUnit XML, one test case per model.
    #[arg(long)]
    junit: Option<PathBuf>,
    #[command(flatten)]
    bounds: ReportBounds,
}

/// Exit 0 when every model matches its committed report, 1 when one does
/// not (with what differs), 2 on a usage error.
pub fn gate_cmd(a: GateArgs) -> ExitCode {
    if !a.baseline.is_dir() {
        return super::usage(&format!(
            "'{}' is not a folder: write the reports first with `interleave report {} --out {}`",
            a.baseline.display(),
            a.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" "),
            a.baseline.display()
        ));
    }
    let (models, files) = match build(&a.paths, &a.baseline, &a.bounds, None) {
        Ok(f) => f,
        Err(e) => return super::usage(&e),
    };
    let result = gate(&models, &files, &a.baseline);
    print!("{}", result.render());
    if let Some(path) = &a.junit {
        if let Err(e) = std::fs::write(path, result.junit()) {
            eprintln!("error: cannot write '{}': {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if result.passed() {
        ExitCode::SUCCESS
    } else {
        println!(
            "(if the change is intended: interleave report {} --out {}, then commit)",
            a.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" "),
            a.baseline.display()
        );
        ExitCode::from(1)
    }
}
