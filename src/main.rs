//! The `interleave` command: parse arguments, call the library, map the
//! results to exit codes (0 pass, 1 finding mismatch, 2 usage or model
//! error, 3 a bound stopped a search).

mod report_cmd;
mod run;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// The search allocates and frees many small states; mimalloc does that
/// about twice as fast as glibc's allocator here.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use interleave::report::{render_json, render_text, render_trace};
use interleave::{Engine, Limits, LoomOptions, Options, ShuttleMode, ShuttleOptions};

/// No transparent huge pages for this process: a search's tables grow and
/// its batches come and go, and with huge pages the kernel zeroed 2 MiB for
/// each fresh page touched (a tenth of a raw search's time in `perf`, and
/// more peak memory). Where the call is refused nothing changes.
fn no_huge_pages() {
    // SAFETY: PR_SET_THP_DISABLE only sets a flag of this process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[derive(Parser)]
#[command(name = "interleave", version, about = "Explores every interleaving of a Python multiprocessing program")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum EngineArg {
    Explore,
    Loom,
    Shuttle,
    All,
}

#[derive(Clone, Copy, ValueEnum)]
enum ShuttleArg {
    Random,
    Pct,
    Dfs,
}

/// How loom and shuttle run (with `--engine loom|shuttle|all`).
#[derive(clap::Args)]
struct EngineFlags {
    /// Which engine explores: the own stateful explorer, loom, shuttle, or
    /// all three (explore's verdict, with whether the others agree).
    #[arg(long, value_enum, default_value = "explore")]
    engine: EngineArg,
    /// shuttle's scheduler.
    #[arg(long, value_enum, default_value = "pct")]
    shuttle: ShuttleArg,
    /// shuttle's iterations (schedules tried; for dfs, at most this many).
    #[arg(long, default_value_t = 2000)]
    iterations: usize,
    /// shuttle's PCT bug depth.
    #[arg(long, default_value_t = 3)]
    pct_depth: usize,
    /// shuttle's random seed (random and pct).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// loom's preemption bound; 0 means none (every schedule).
    #[arg(long, default_value_t = 2)]
    loom_preemptions: usize,
    /// loom's bound on executions (loom stops quietly there: reported incomplete).
    #[arg(long, default_value_t = 200_000)]
    loom_executions: usize,
}

/// The explorer's bounds (`check`, and `run` for the model's outcome set).
#[derive(clap::Args, Clone, Copy)]
struct BoundFlags {
    /// Stop (as incomplete) after this many distinct states.
    #[arg(long, default_value_t = 5_000_000)]
    max_states: u64,
    /// Stop (as incomplete) after this many seconds per model.
    #[arg(long, default_value_t = 60.0, allow_negative_numbers = true)]
    max_seconds: f64,
    /// Stop (as incomplete) when the process uses more memory than this (MiB).
    #[arg(long, default_value_t = 4096)]
    max_memory: u64,
}

/// How the explorer searches.
#[derive(clap::Args)]
struct SearchFlags {
    /// Threads computing successors (0: one per core); results are the
    /// same for any number.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Keep variables that are never read again (dead-variable reset off).
    #[arg(long)]
    no_dead_reset: bool,
    /// Store a 128-bit fingerprint per state instead of its key, at a tiny
    /// chance of missing a state. Since states are stored collapsed this
    /// saves no memory (the parts' tables dominate); kept for comparison.
    #[arg(long)]
    hash_compaction: bool,
    /// A child exits in a step of its own even where the program cannot
    /// tell it from exiting with its last operation.
    #[arg(long)]
    no_exit_merge: bool,
    /// Do not treat children started from one function as interchangeable
    /// (symmetry reduction, with main's joins of exited children passed at
    /// once and values that only reach a child's output dropped).
    #[arg(long)]
    no_symmetry: bool,
    /// Expand every state in full: do not take a child's unnoticeable tail
    /// steps (a `put()` into a queue main reads only after joining every
    /// child, its feeder's write, its exit) alone (partial-order
    /// reduction).
    #[arg(long)]
    no_por: bool,
    /// Turn every state-space reduction off.
    #[arg(long)]
    no_reduction: bool,
    /// No progress bar (it is only drawn on a terminal anyway).
    #[arg(long)]
    quiet: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Explore every interleaving of each model and compare the findings
    /// with its `# expect:` header.
    Check {
        /// Model files, or folders searched for *.py.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        #[command(flatten)]
        bounds: BoundFlags,
        #[command(flatten)]
        engines: EngineFlags,
        #[command(flatten)]
        search: SearchFlags,
    },
    /// Write each model's report (Markdown, JSON, HTML) and an index.
    Report(report_cmd::ReportArgs),
    /// Recompute every model's report and fail when a verdict, a finding
    /// kind or an outcome set differs from the committed reports, or when
    /// a committed report is stale.
    Gate(report_cmd::GateArgs),
    /// Run the model as real processes many times and compare what
    /// happened with the model's outcome set.
    Run(run::RunArgs),
    /// The native backend's worker: runs FILE as the model's main process.
    #[command(name = "__native-worker", hide = true)]
    NativeWorker { file: PathBuf },
    /// Print the interleaving a replay token stands for.
    Replay {
        file: PathBuf,
        token: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
}

fn main() -> ExitCode {
    no_huge_pages();
    let cli = Cli::parse();
    match cli.command {
        Command::Check { paths, format, bounds, engines, search } => {
            let limits = match limits(&bounds) {
                Ok(l) => Limits {
                    threads: search.threads,
                    progress: !search.quiet,
                    hash_compaction: search.hash_compaction,
                    ..l
                },
                Err(e) => return usage(&e),
            };
            if search.threads > 1024 {
                return usage(&format!("--threads must be at most 1024, not {}", search.threads));
            }
            let mut opts = match options(limits, &engines) {
                Ok(o) => o,
                Err(e) => return usage(&e),
            };
            opts.dead_reset = !(search.no_dead_reset || search.no_reduction);
            opts.exit_merge = !(search.no_exit_merge || search.no_reduction);
            opts.symmetry = !(search.no_symmetry || search.no_reduction);
            opts.por = !(search.no_por || search.no_reduction);
            check(&paths, format, &opts)
        }
        Command::Replay { file, token, format } => replay(&file, &token, format),
        Command::Run(args) => run::run(args),
        Command::Report(args) => report_cmd::report(args),
        Command::Gate(args) => report_cmd::gate_cmd(args),
        Command::NativeWorker { file } => interleave_runner::native::worker_main(&file),
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

fn limits(b: &BoundFlags) -> Result<Limits, String> {
    let BoundFlags { max_states, max_seconds, max_memory } = *b;
    if max_states == 0 {
        return Err("--max-states must be at least 1".into());
    }
    if !(max_seconds.is_finite() && max_seconds > 0.0 && max_seconds <= 86_400.0 * 7.0) {
        return Err(format!("--max-seconds must be more than 0 and at most a week (604800), not {max_seconds}"));
    }
    if !(16..=1 << 30).contains(&max_memory) {
        return Err(format!("--max-memory is in MiB and must be from 16 to 1073741824, not {max_memory}"));
    }
    Ok(Limits { max_states, max_seconds, max_memory_mb: max_memory, ..Limits::default() })
}

fn options(limits: Limits, e: &EngineFlags) -> Result<Options, String> {
    if e.iterations == 0 || e.loom_executions == 0 {
        return Err("--iterations and --loom-executions must be at least 1".into());
    }
    if e.pct_depth == 0 {
        return Err("--pct-depth must be at least 1 (depth 1 means no priority change)".into());
    }
    let engine = match e.engine {
        EngineArg::Explore => Engine::Explore,
        EngineArg::Loom => Engine::Loom,
        EngineArg::Shuttle => Engine::Shuttle,
        EngineArg::All => Engine::All,
    };
    let mode = match e.shuttle {
        ShuttleArg::Random => ShuttleMode::Random,
        ShuttleArg::Pct => ShuttleMode::Pct,
        ShuttleArg::Dfs => ShuttleMode::Dfs,
    };
    let shuttle = ShuttleOptions { mode, iterations: e.iterations, depth: e.pct_depth, seed: e.seed };
    let preemptions = (e.loom_preemptions > 0).then_some(e.loom_preemptions);
    let loom = LoomOptions { max_executions: e.loom_executions, max_seconds: limits.max_seconds, preemptions };
    Ok(Options { engine, limits, loom, shuttle, dead_reset: true, exit_merge: true, symmetry: true, por: true })
}

fn check(paths: &[PathBuf], format: Format, opts: &Options) -> ExitCode {
    let files = match interleave::collect_models(paths) {
        Ok(f) => f,
        Err(e) => return usage(&e),
    };
    let reports: Vec<_> = files.iter().map(|f| interleave::check_file(f, opts)).collect();
    let out = match format {
        Format::Text => render_text(&reports),
        Format::Json => render_json(&reports),
    };
    let _ = std::io::stdout().write_all(out.as_bytes());
    ExitCode::from(interleave::exit_code(&reports))
}

fn replay(file: &std::path::Path, token: &str, format: Format) -> ExitCode {
    match interleave::replay_file(file, token) {
        Ok(steps) => {
            let out = match format {
                Format::Text => render_trace(&steps, ""),
                Format::Json => serde_json::to_string_pretty(&steps).unwrap_or_default() + "\n",
            };
            let _ = std::io::stdout().write_all(out.as_bytes());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
