//! interleave: explores every interleaving of a Python `multiprocessing`
//! program and reports lost updates, deadlocks, hangs, crashes and failed
//! assertions, each with its shortest interleaving.
//!
//! This facade ties the crates together: [`check_file`] reads a model,
//! explores it and compares the findings with the model's expectation;
//! [`replay_file`] replays a token.
//!
//! ```no_run
//! let report = interleave::check_file(std::path::Path::new("models/small/manager_counter_nolock.py"),
//!                                     &interleave::Limits::default());
//! println!("{}", interleave::report::render_text(&[report]));
//! ```

use std::path::{Path, PathBuf};

pub use interleave_explore::Limits;
pub use interleave_lang as lang;
pub use interleave_machine as machine;
pub use interleave_report as report;

use interleave_machine::finding::Kind;
use interleave_machine::ir::Program;
use interleave_machine::trace::TraceStep;
use interleave_machine::{compile, Machine, ModelError};
use interleave_report::{ModelReport, Stats, Verdict, Warning};

/// The `.py` files named by `paths`: files as given, folders searched
/// recursively, each folder's files in sorted order.
pub fn collect_models(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = vec![];
    for p in paths {
        if p.is_dir() {
            let before = out.len();
            walk(p, &mut out).map_err(|e| format!("cannot read folder '{}': {e}", p.display()))?;
            if out.len() == before {
                return Err(format!("no *.py model files under '{}'", p.display()));
            }
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(format!("'{}' does not exist: name a model file or a folder of models", p.display()));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    entries.sort();
    let (dirs, files): (Vec<_>, Vec<_>) = entries.into_iter().partition(|p| p.is_dir());
    out.extend(files.into_iter().filter(|p| p.extension().is_some_and(|e| e == "py")));
    for d in dirs {
        walk(&d, out)?;
    }
    Ok(())
}

/// Renders a model error at its place in the source.
fn model_error(program: &Program, e: &ModelError) -> String {
    let span = if e.span.line == 0 { interleave_machine::ir::Span { line: 1, col: 1, ..e.span } } else { e.span };
    lang::render_at(program, span, "model error", &e.message, Some("see README.md, section \"Supported Python\""))
}

/// Expected kinds of a program's `# expect:` header.
fn expected_kinds(p: &Program) -> Vec<Kind> {
    let mut ks: Vec<Kind> = p.expect.iter().filter_map(|s| Kind::parse(s)).collect();
    ks.sort();
    ks.dedup();
    ks
}

/// Reads, explores and judges one model.
pub fn check_file(path: &Path, limits: &Limits) -> ModelReport {
    let shown = path.display().to_string();
    let program = match lang::load(path) {
        Ok(p) => p,
        Err(d) => return ModelReport::error(&shown, d.render()),
    };
    let code = match compile::compile(&program) {
        Ok(c) => c,
        Err(e) => return ModelReport::error(&shown, model_error(&program, &e)),
    };
    let m = Machine::new(&program, &code);
    let ex = match interleave_explore::explore(&m, limits) {
        Ok(x) => x,
        Err(e) => return ModelReport::error(&shown, model_error(&program, &e)),
    };
    judge(&shown, expected_kinds(&program), ex, limits)
}

fn judge(path: &str, expected: Vec<Kind>, ex: interleave_explore::Explored, limits: &Limits) -> ModelReport {
    let mut found: Vec<Kind> = ex.findings.iter().map(|f| f.kind).collect();
    found.dedup();
    let warned: Vec<Kind> = ex.warnings.iter().map(|w| w.kind).collect();
    let want: Vec<Kind> = expected.iter().copied().filter(|k| !k.is_warning()).collect();
    let unexpected: Vec<&str> = found.iter().filter(|k| !want.contains(k)).map(|k| k.name()).collect();
    let missing: Vec<&str> = expected
        .iter()
        .filter(|k| if k.is_warning() { !warned.contains(k) } else { !found.contains(k) })
        .map(|k| k.name())
        .collect();
    let matches = unexpected.is_empty() && missing.is_empty();
    let mut why = vec![];
    if !unexpected.is_empty() {
        why.push(format!("found {} but the model does not expect it", unexpected.join(", ")));
    }
    if !missing.is_empty() {
        let how = if ex.exhaustive { "cannot happen" } else { "was not found before the search stopped" };
        why.push(format!("expected {} {how}", missing.join(", ")));
    }
    let verdict = match (ex.exhaustive, matches) {
        (_, false) if !unexpected.is_empty() => Verdict::Fail,
        (true, true) => Verdict::Pass,
        (true, false) => Verdict::Fail,
        (false, _) => Verdict::Incomplete,
    };
    let warnings =
        ex.warnings.into_iter().map(|w| Warning { kind: w.kind, message: w.message, replay: w.replay }).collect();
    ModelReport {
        path: path.to_string(),
        verdict,
        exhaustive: ex.exhaustive,
        stopped_by: ex.stopped_by.map(|s| s.describe(limits)),
        expected,
        matches_expectation: matches,
        mismatch: (!why.is_empty()).then(|| why.join("; ")),
        findings: ex.findings,
        warnings,
        outcomes: ex.outcomes.into_iter().collect(),
        stats: Stats { seconds: (ex.stats.seconds * 1000.0).round() / 1000.0, ..ex.stats },
        error: None,
    }
}

/// Replays a token on a model: the steps, or an error to show the user.
pub fn replay_file(path: &Path, token: &str) -> Result<Vec<TraceStep>, String> {
    let program = lang::load(path).map_err(|d| d.render())?;
    let code = compile::compile(&program).map_err(|e| model_error(&program, &e))?;
    let actors = interleave_machine::system::parse_token(token).map_err(|e| format!("error: bad replay token: {e}"))?;
    let m = Machine::new(&program, &code);
    m.replay(&actors).map(|r| r.steps).map_err(|e| match e {
        interleave_machine::trace::ReplayError::Model(e) => model_error(&program, &e),
        other => format!("error: cannot replay on {}: {other}", path.display()),
    })
}

/// The process exit code for a set of reports: 2 if any errored, else 1 if
/// any failed, else 3 if any was incomplete, else 0.
pub fn exit_code(reports: &[ModelReport]) -> u8 {
    let has = |v: Verdict| reports.iter().any(|r| r.verdict == v);
    if has(Verdict::Error) {
        2
    } else if has(Verdict::Fail) {
        1
    } else if has(Verdict::Incomplete) {
        3
    } else {
        0
    }
}
