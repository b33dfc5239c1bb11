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
//!                                     &interleave::Options::default());
//! println!("{}", interleave::report::render_text(&[report]));
//! ```

use std::path::{Path, PathBuf};

pub use interleave_explore as explore;
pub use interleave_explore::Limits;
pub use interleave_lang as lang;
pub use interleave_machine as machine;
pub use interleave_report as report;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use interleave_machine::finding::{Finding, Kind};
use interleave_machine::ir::Program;
use interleave_machine::system::Outcome;
use interleave_machine::trace::TraceStep;
use interleave_machine::{compile, Machine, ModelError};
use interleave_report::{EngineSummary, ModelReport, Stats, Verdict, Warning};
use interleave_stateless::{agreement, run_loom, run_shuttle, EngineRun, Model};

pub use interleave_stateless::{LoomOptions, ShuttleMode, ShuttleOptions};

pub mod gate;
pub mod reports;

/// The `.py` files named by `paths`: files as given, folders searched
/// recursively, each folder's files in sorted order.
pub fn collect_models(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = vec![];
    for p in paths {
        if p.is_dir() {
            let found = files_under(p, &["py"]).map_err(|e| format!("cannot read folder '{}': {e}", p.display()))?;
            if found.is_empty() {
                return Err(format!("no *.py model files under '{}'", p.display()));
            }
            out.extend(found);
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(format!("'{}' does not exist: name a model file or a folder of models", p.display()));
        }
    }
    Ok(out)
}

/// The files under `dir` whose extension is one of `exts`, recursively:
/// each folder's files in sorted order, then its subfolders.
pub fn files_under(dir: &Path, exts: &[&str]) -> std::io::Result<Vec<PathBuf>> {
    fn walk(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
        entries.sort();
        let (dirs, files): (Vec<_>, Vec<_>) = entries.into_iter().partition(|p| p.is_dir());
        out.extend(files.into_iter().filter(|p| p.extension().is_some_and(|e| exts.iter().any(|x| e == *x))));
        for d in dirs {
            walk(&d, exts, out)?;
        }
        Ok(())
    }
    let mut out = vec![];
    walk(dir, exts, &mut out)?;
    Ok(out)
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

/// Which engines `check` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Explore,
    Loom,
    Shuttle,
    /// All three; the report is explore's, with the others beside it and
    /// whether they agree.
    All,
}

/// Everything `check` needs to know besides the model.
#[derive(Clone, Debug)]
pub struct Options {
    pub engine: Engine,
    pub limits: Limits,
    /// Clear variables that are never read again after each step (the
    /// explorer's dead-variable reset; `--no-dead-reset` turns it off).
    pub dead_reset: bool,
    /// Let a child exit in the step that ends its code, where the program
    /// cannot tell (`--no-exit-merge` turns it off).
    pub exit_merge: bool,
    /// Store one state for all that differ only in which of several alike
    /// children is which, where the program cannot tell (`--no-symmetry`
    /// turns it off).
    pub symmetry: bool,
    /// Take a child's unnoticeable tail steps (`put()` into a queue read
    /// only after joining it, its feeder, its exit) alone, where the
    /// program allows it (partial-order reduction; `--no-por` turns it
    /// off).
    pub por: bool,
    pub loom: LoomOptions,
    pub shuttle: ShuttleOptions,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            engine: Engine::Explore,
            limits: Limits::default(),
            dead_reset: true,
            exit_merge: true,
            symmetry: true,
            por: true,
            loom: LoomOptions::default(),
            shuttle: ShuttleOptions::default(),
        }
    }
}

/// One engine's raw result, before it is judged against the expectation.
struct Run {
    exhaustive: bool,
    stopped_by: Option<String>,
    findings: Vec<Finding>,
    warnings: Vec<Finding>,
    outcomes: Vec<Outcome>,
    stats: Stats,
}

fn explore_run(m: &Machine<'_>, limits: &Limits) -> Result<Run, ModelError> {
    let ex = interleave_explore::explore(m, limits);
    release_memory();
    let ex = ex?;
    Ok(Run {
        exhaustive: ex.exhaustive,
        stopped_by: ex.stopped_by.map(|s| s.describe(limits)),
        findings: ex.findings,
        warnings: ex.warnings,
        outcomes: ex.outcomes.into_iter().collect(),
        stats: Stats { seconds: tenth_ms(ex.stats.seconds), ..ex.stats },
    })
}

/// Seconds to a tenth of a millisecond (a small model's whole search takes
/// about one).
fn tenth_ms(s: f64) -> f64 {
    (s * 10_000.0).round() / 10_000.0
}

/// Gives the memory a finished search freed back to the system. mimalloc
/// (the binary's allocator) keeps freed pages for reuse otherwise, and the
/// next model's peak memory would start from this one's.
fn release_memory() {
    // SAFETY: mi_collect only walks mimalloc's own heaps; it is a no-op
    // for memory mimalloc does not manage (tests use the system allocator).
    unsafe { libmimalloc_sys::mi_collect(true) }
}

fn stateless_run(r: EngineRun) -> Run {
    let (warnings, findings) = r.findings.into_iter().partition(|f| f.kind.is_warning());
    Run {
        exhaustive: r.exhaustive,
        stopped_by: r.note,
        findings,
        warnings,
        outcomes: r.outcomes.into_iter().collect(),
        stats: Stats { executions: r.executions, seconds: tenth_ms(r.seconds), ..Stats::default() },
    }
}

/// Reads, explores and judges one model.
pub fn check_file(path: &Path, opts: &Options) -> ModelReport {
    check_model(path, opts).0
}

/// [`check_file`], also giving back the model when it could be read.
fn check_model(path: &Path, opts: &Options) -> (ModelReport, Option<Arc<Model>>) {
    let shown = path.display().to_string();
    let program = match lang::load(path) {
        Ok(p) => p,
        Err(d) => return (ModelReport::error(&shown, d.render()), None),
    };
    let code = match compile::compile(&program) {
        Ok(c) => c,
        Err(e) => return (ModelReport::error(&shown, model_error(&program, &e)), None),
    };
    let expected = expected_kinds(&program);
    let model = Arc::new(Model { program, code });
    let report = match run_engines(&model, opts) {
        Ok((primary, others)) => {
            let mut report = judge(&shown, expected.clone(), primary);
            if opts.engine == Engine::All {
                compare(&mut report, &shown, &expected, others, opts);
            }
            report
        }
        Err(e) => ModelReport::error(&shown, model_error(&model.program, &e)),
    };
    (report, Some(model))
}

fn run_engines(model: &Arc<Model>, opts: &Options) -> Result<(Run, Vec<(String, EngineRun)>), ModelError> {
    let m = Machine::new(&model.program, &model.code)
        .with_dead_reset(opts.dead_reset)
        .with_exit_merge(opts.exit_merge)
        .with_symmetry(opts.symmetry)
        .with_por(opts.por);
    let loom = || run_loom(model.clone(), &opts.loom);
    let shuttle = || run_shuttle(model.clone(), &opts.shuttle);
    Ok(match opts.engine {
        Engine::Explore => (explore_run(&m, &opts.limits)?, vec![]),
        Engine::Loom => (stateless_run(loom()?), vec![]),
        Engine::Shuttle => (stateless_run(shuttle()?), vec![]),
        Engine::All => {
            let others = vec![("loom".to_string(), loom()?), ("shuttle".to_string(), shuttle()?)];
            (explore_run(&m, &opts.limits)?, others)
        }
    })
}

/// Adds the other engines' results to explore's report, and whether they
/// agree with it.
fn compare(report: &mut ModelReport, path: &str, expected: &[Kind], others: Vec<(String, EngineRun)>, opts: &Options) {
    let explore_outcomes: BTreeSet<Outcome> = report.outcomes.iter().cloned().collect();
    let explore_kinds: BTreeSet<Kind> = report.findings.iter().map(|f| f.kind).collect();
    let mut engines = BTreeMap::new();
    let settings = format!("explore: breadth-first, at most {} states", opts.limits.max_states);
    engines.insert("explore".to_string(), EngineSummary::of(report, settings));
    let mut disagreements = vec![];
    for (name, run) in others {
        if report.exhaustive {
            if let Err(why) = agreement(&explore_outcomes, &explore_kinds, &run) {
                disagreements.push(why);
            }
        }
        let settings = run.settings.clone();
        let judged = judge(path, expected.to_vec(), stateless_run(run));
        engines.insert(name, EngineSummary::of(&judged, settings));
    }
    report.agree = Some(disagreements.is_empty());
    report.disagreement = (!disagreements.is_empty()).then(|| disagreements.join("; "));
    report.engines = Some(engines);
}

fn judge(path: &str, expected: Vec<Kind>, ex: Run) -> ModelReport {
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
        stopped_by: ex.stopped_by,
        expected,
        matches_expectation: matches,
        mismatch: (!why.is_empty()).then(|| why.join("; ")),
        findings: ex.findings,
        warnings,
        outcomes: ex.outcomes,
        stats: ex.stats,
        error: None,
        engines: None,
        agree: None,
        disagreement: None,
    }
}

/// Replays a token on a model: the steps, or an error to show the user.
/// A `shuttle:KIND:SCHEDULE` token is replayed by shuttle itself.
pub fn replay_file(path: &Path, token: &str) -> Result<Vec<TraceStep>, String> {
    let program = lang::load(path).map_err(|d| d.render())?;
    let code = compile::compile(&program).map_err(|e| model_error(&program, &e))?;
    if token.starts_with("shuttle:") {
        let model = Arc::new(Model { program, code });
        let f = interleave_stateless::replay_shuttle(model, token).map_err(|e| format!("error: {e}"))?;
        return Ok(f.trace);
    }
    let actors = interleave_machine::system::parse_token(token).map_err(|e| format!("error: bad replay token: {e}"))?;
    // a token from a run with the exit merge off has the exits as steps
    // of their own; try it that way when it does not fit the default
    let r = Machine::new(&program, &code).replay_any_run(|m| m.replay(&actors));
    r.map(|r| r.steps).map_err(|e| match e {
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
