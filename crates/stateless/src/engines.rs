//! Running a model under loom and under shuttle's schedulers.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use interleave_machine::finding::{Finding, Kind};
use shuttle::scheduler::{DfsScheduler, PctScheduler, RandomScheduler, ReplayScheduler, Scheduler};
use shuttle::{Config, FailurePersistence, MaxSteps, Runner};

use crate::collect::{Collector, Model};
use crate::driver::{execution, ExecLimits};
use crate::runtime::{Loom, Shuttle};
use crate::{EngineRun, LOOM_THREADS};

/// Steps after which one execution is abandoned.
const MAX_STEPS: usize = 20_000;

#[derive(Clone, Debug)]
pub struct LoomOptions {
    /// loom's `max_permutations`: executions before giving up (incomplete).
    pub max_executions: usize,
    pub max_seconds: f64,
    /// loom's preemption bound (`None`: every schedule).
    pub preemptions: Option<usize>,
}

impl Default for LoomOptions {
    fn default() -> LoomOptions {
        LoomOptions { max_executions: 200_000, max_seconds: 60.0, preemptions: Some(2) }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShuttleMode {
    Random,
    Pct,
    Dfs,
}

impl ShuttleMode {
    pub fn name(self) -> &'static str {
        match self {
            ShuttleMode::Random => "random",
            ShuttleMode::Pct => "pct",
            ShuttleMode::Dfs => "dfs",
        }
    }
}

#[derive(Clone, Debug)]
pub struct ShuttleOptions {
    pub mode: ShuttleMode,
    pub iterations: usize,
    /// PCT's bug depth.
    pub depth: usize,
    pub seed: u64,
}

impl Default for ShuttleOptions {
    fn default() -> ShuttleOptions {
        ShuttleOptions { mode: ShuttleMode::Pct, iterations: 2000, depth: 3, seed: 0 }
    }
}

impl ShuttleOptions {
    pub fn describe(&self) -> String {
        match self.mode {
            ShuttleMode::Pct => {
                format!("shuttle pct: {} iterations, depth {}, seed {}", self.iterations, self.depth, self.seed)
            }
            ShuttleMode::Random => format!("shuttle random: {} iterations, seed {}", self.iterations, self.seed),
            ShuttleMode::Dfs => format!("shuttle dfs: at most {} iterations", self.iterations),
        }
    }

    fn scheduler(&self) -> Box<dyn Scheduler + Send> {
        match self.mode {
            ShuttleMode::Random => Box::new(RandomScheduler::new_from_seed(self.seed, self.iterations)),
            ShuttleMode::Pct => Box::new(PctScheduler::new_from_seed(self.seed, self.depth, self.iterations)),
            ShuttleMode::Dfs => Box::new(DfsScheduler::new(Some(self.iterations), false)),
        }
    }
}

/// Set while loom runs: loom unwinds the threads of each execution with
/// panics of its own, which are no news to the user.
static LOOM_RUNNING: AtomicBool = AtomicBool::new(false);

/// Installs a panic hook in front of shuttle's (which prints every panic
/// and, when it fails on purpose, the schedule): quiet while loom runs,
/// shuttle's own otherwise.
fn quiet_finding_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // let shuttle install its hook first, so that ours comes in front
        shuttle::check_random(|| {}, 1);
        let shuttles = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !LOOM_RUNNING.load(Ordering::Relaxed) {
                shuttles(info);
            }
        }));
    });
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
}

fn finish(
    engine: &str,
    c: Collector,
    exhaustive: bool,
    note: Option<String>,
    start: Instant,
    settings: String,
) -> EngineRun {
    let note = c.out_of_reach.clone().or(note).or_else(|| {
        (c.step_limited > 0).then(|| {
            format!("{} execution(s) cut at {MAX_STEPS} steps (a livelock or a very long run)", c.step_limited)
        })
    });
    let exhaustive = exhaustive && c.out_of_reach.is_none() && c.step_limited == 0;
    EngineRun {
        engine: engine.to_string(),
        exhaustive,
        note,
        findings: c.findings(),
        outcomes: c.outcomes.clone(),
        executions: c.executions,
        seconds: start.elapsed().as_secs_f64(),
        settings,
    }
}

/// Runs every schedule loom can enumerate.
pub fn run_loom(model: Arc<Model>, opts: &LoomOptions) -> Result<EngineRun, interleave_machine::ModelError> {
    quiet_finding_panics();
    let sink = Arc::new(Mutex::new(Collector::default()));
    let limits = ExecLimits { max_spawned: LOOM_THREADS - 1, max_steps: MAX_STEPS, shared_aux: true };
    let mut b = loom::model::Builder::new();
    b.max_permutations = Some(opts.max_executions);
    b.max_duration = Some(Duration::from_secs_f64(opts.max_seconds));
    b.max_branches = 100_000;
    b.preemption_bound = opts.preemptions;
    // loom looks at its bounds only every `checkpoint_interval` executions
    b.checkpoint_interval = 1;
    let start = Instant::now();
    let (m2, s2) = (model.clone(), sink.clone());
    LOOM_RUNNING.store(true, Ordering::Relaxed);
    let r = catch_unwind(AssertUnwindSafe(|| {
        b.check(move || {
            Collector::lock(&s2).executions += 1;
            execution::<Loom>(m2.clone(), s2.clone(), limits);
        })
    }));
    LOOM_RUNNING.store(false, Ordering::Relaxed);
    let c = std::mem::take(&mut *Collector::lock(&sink));
    if let Some(e) = c.model_error.clone() {
        return Err(e);
    }
    let stopped = c.executions as usize + 1 >= opts.max_executions || start.elapsed().as_secs_f64() >= opts.max_seconds;
    let (exhaustive, note) = match r {
        Err(p) => (false, Some(format!("loom stopped: {}", panic_message(&*p)))),
        Ok(()) if stopped => (
            false,
            Some(format!(
                "loom stopped at {} executions / {:.0} s (its bound) before trying every schedule",
                c.executions, opts.max_seconds
            )),
        ),
        Ok(()) if opts.preemptions.is_some() => (
            false,
            Some(format!(
                "every schedule with at most {} preemptions (loom's bound): compared as a sample",
                opts.preemptions.unwrap_or(0)
            )),
        ),
        Ok(()) => (true, None),
    };
    let bound = opts
        .preemptions
        .map_or("every schedule".to_string(), |p| format!("every schedule with at most {p} preemptions"));
    let settings = format!("loom: {bound}, at most {LOOM_THREADS} threads, at most {} executions", opts.max_executions);
    Ok(finish("loom", c, exhaustive, note, start, settings))
}

fn shuttle_config(persist: FailurePersistence) -> Config {
    let mut config = Config::new();
    config.failure_persistence = persist;
    config.max_steps = MaxSteps::ContinueAfter(10 * MAX_STEPS);
    config.silence_warnings = true;
    config
}

/// Runs shuttle with the given scheduler; each finding then gets the
/// schedule string that replays it.
pub fn run_shuttle(model: Arc<Model>, opts: &ShuttleOptions) -> Result<EngineRun, interleave_machine::ModelError> {
    quiet_finding_panics();
    let start = Instant::now();
    let (c, r) = shuttle_pass(model.clone(), opts.scheduler(), None, FailurePersistence::None);
    if let Some(e) = c.model_error.clone() {
        return Err(e);
    }
    let exhaustive = opts.mode == ShuttleMode::Dfs && (c.executions as usize) < opts.iterations && r.is_ok();
    let note = match (&r, opts.mode) {
        (Err(msg), _) => Some(format!("shuttle stopped: {msg}")),
        (Ok(()), ShuttleMode::Dfs) if !exhaustive => {
            Some(format!("dfs stopped at {} iterations before trying every schedule", opts.iterations))
        }
        (Ok(()), ShuttleMode::Dfs) => None,
        (Ok(()), _) => Some(format!("sampled {} schedules", c.executions)),
    };
    let mut run = finish("shuttle", c, exhaustive, note, start, opts.describe());
    // one finding per kind: the replayed schedule is that of the kind's first
    run.findings.dedup_by_key(|f| f.kind);
    for f in run.findings.iter_mut() {
        if let Some(s) = schedule_of(model.clone(), opts, f.kind) {
            f.replay = format!("shuttle:{}:{s}", f.kind.name());
        }
    }
    run.seconds = start.elapsed().as_secs_f64();
    Ok(run)
}

/// One shuttle run; with `panic_on`, it stops at the first finding of
/// that kind.
fn shuttle_pass(
    model: Arc<Model>,
    scheduler: Box<dyn Scheduler + Send>,
    panic_on: Option<Kind>,
    persist: FailurePersistence,
) -> (Collector, Result<(), String>) {
    let sink = Arc::new(Mutex::new(Collector { panic_on, ..Collector::default() }));
    let limits = ExecLimits { max_spawned: usize::MAX, max_steps: MAX_STEPS, shared_aux: false };
    let s2 = sink.clone();
    let runner = Runner::new(scheduler, shuttle_config(persist));
    let r = catch_unwind(AssertUnwindSafe(|| {
        runner.run(move || {
            Collector::lock(&s2).executions += 1;
            execution::<Shuttle>(model.clone(), s2.clone(), limits);
        });
    }));
    let c = std::mem::take(&mut *Collector::lock(&sink));
    (c, r.map_err(|p| panic_message(&*p)))
}

/// Re-runs the same schedules until the first finding of `kind` and reads
/// back the schedule shuttle persisted for it.
fn schedule_of(model: Arc<Model>, opts: &ShuttleOptions, kind: Kind) -> Option<String> {
    let dir = std::env::temp_dir().join(format!("interleave-shuttle-{}-{}", std::process::id(), kind.name()));
    std::fs::create_dir_all(&dir).ok()?;
    let silence = crate::quiet::Stderr::silence();
    let _ = shuttle_pass(model, opts.scheduler(), Some(kind), FailurePersistence::File(Some(dir.clone())));
    drop(silence);
    let mut files: Vec<_> = std::fs::read_dir(&dir).ok()?.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    files.sort();
    let text = files.last().and_then(|f| std::fs::read_to_string(f).ok());
    let _ = std::fs::remove_dir_all(&dir);
    text.map(|t| t.trim().trim_matches('"').trim().to_string())
}

/// Replays a shuttle replay token (`shuttle:KIND:SCHEDULE`): the finding
/// of that kind the schedule leads to.
pub fn replay_shuttle(model: Arc<Model>, token: &str) -> Result<Finding, String> {
    quiet_finding_panics();
    let bad = || "a shuttle replay token is shuttle:KIND:SCHEDULE".to_string();
    let rest = token.strip_prefix("shuttle:").ok_or_else(bad)?;
    let (kind, schedule) = rest.split_once(':').ok_or_else(bad)?;
    let kind = Kind::parse(kind).ok_or_else(bad)?;
    let scheduler = catch_unwind(|| ReplayScheduler::new_from_encoded(schedule))
        .map_err(|_| format!("'{schedule}' is not a shuttle schedule string"))?;
    let silence = crate::quiet::Stderr::silence();
    let (c, _) = shuttle_pass(model, Box::new(scheduler), Some(kind), FailurePersistence::None);
    drop(silence);
    c.findings()
        .into_iter()
        .find(|f| f.kind == kind)
        .ok_or_else(|| format!("the schedule replays without a {} finding", kind.name()))
}
