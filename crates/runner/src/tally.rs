//! What one run showed, and the counts over many runs.

use std::collections::BTreeMap;

use interleave_machine::system::Outcome;

use crate::group::Finished;

/// The stderr line by which the native worker reports a failure of its own
/// (not of the model): such a run is a crash, never an outcome.
pub const NATIVE_ERROR: &str = "interleave-native: error: ";

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RunEnd {
    /// The main process ended by itself: what it printed and its exit code.
    Outcome(Outcome),
    /// The timeout passed first.
    Hang,
    /// No outcome: the main process was killed by a signal, or the runner
    /// itself failed; the reason says which.
    Crash(String),
}

#[derive(Clone, Debug)]
pub struct RunRecord {
    pub end: RunEnd,
    /// Some process of the run died of an uncaught exception (a traceback
    /// on stderr).
    pub exception: bool,
}

impl RunRecord {
    pub(crate) fn of(f: &Finished) -> RunRecord {
        let stderr = String::from_utf8_lossy(&f.stderr);
        let exception = stderr.contains("Traceback (most recent call last)");
        let end = match f.status {
            None => RunEnd::Hang,
            Some(_) if stderr.contains(NATIVE_ERROR) => {
                let line = stderr.lines().find(|l| l.contains(NATIVE_ERROR)).unwrap_or_default();
                RunEnd::Crash(line.trim().to_string())
            }
            Some(s) => match s.code() {
                Some(code) => RunEnd::Outcome(Outcome {
                    main_output: String::from_utf8_lossy(&f.stdout).lines().map(str::to_string).collect(),
                    exit: code as i64,
                }),
                None => {
                    use std::os::unix::process::ExitStatusExt;
                    let sig = s.signal().unwrap_or(0);
                    RunEnd::Crash(format!("the main process was killed by signal {sig}"))
                }
            },
        };
        RunRecord { end, exception }
    }
}

/// Counts over the runs so far.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub runs: usize,
    pub outcomes: BTreeMap<Outcome, usize>,
    pub hangs: usize,
    /// Crash reasons and how often each happened.
    pub crashes: BTreeMap<String, usize>,
    /// Runs in which some process died of an uncaught exception.
    pub exceptions: usize,
    /// Ctrl-C stopped the runs early: `runs` is how many finished.
    pub interrupted: bool,
    pub seconds: f64,
}

impl Tally {
    pub fn add(&mut self, r: &RunRecord) {
        self.runs += 1;
        self.exceptions += usize::from(r.exception);
        match &r.end {
            RunEnd::Outcome(o) => *self.outcomes.entry(o.clone()).or_default() += 1,
            RunEnd::Hang => self.hangs += 1,
            RunEnd::Crash(why) => *self.crashes.entry(why.clone()).or_default() += 1,
        }
    }
}
