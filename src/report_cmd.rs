//! `interleave report` and `interleave gate`: report folders, written and
//! held against the committed ones.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use interleave::reports::{entries, model_data, report_files};
use interleave::{Limits, Options};

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

/// Checks every model and renders its report files.
fn build(paths: &[PathBuf], b: &ReportBounds) -> Result<std::collections::BTreeMap<String, Vec<u8>>, String> {
    let opts = options(b)?;
    let models: Vec<_> = entries(paths)?
        .into_iter()
        .map(|e| {
            eprintln!("report: {}", e.file.display());
            (e.rel, model_data(&e.file, &opts))
        })
        .collect();
    Ok(report_files(&models))
}

pub fn report(a: ReportArgs) -> ExitCode {
    let files = match build(&a.paths, &a.bounds) {
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

fn write(out: &Path, files: &std::collections::BTreeMap<String, Vec<u8>>) -> Result<(), String> {
    for (rel, bytes) in files {
        let path = out.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create '{}': {e}", dir.display()))?;
        }
        std::fs::write(&path, bytes).map_err(|e| format!("cannot write '{}': {e}", path.display()))?;
    }
    Ok(())
}
