//! The data of one model's report: what `<model>.json` holds, and what
//! the Markdown, HTML and SVG renderings are made from.
//!
//! It is deterministic by construction: no wall times, pids or hashes,
//! only what the model and the bounds decide. Traces are in an ITF-like
//! shape (Apalache's Informal Trace Format: `#meta`, `vars`, `states`),
//! with one state before the first step and one after each step.

use serde::{Deserialize, Serialize};

use interleave_machine::finding::{Kind, LostUpdateSteps};
use interleave_machine::system::Outcome;
use interleave_machine::trace::TraceStep;
use interleave_machine::view::StateView;

use crate::Verdict;

/// Bumped whenever a field changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelData {
    pub schema_version: u32,
    /// The model's path as given (`models/manager_counter_nolock.py`).
    pub model: String,
    /// File name without `.py`: names the report's files.
    pub name: String,
    /// The model's first comment line(s), as a title.
    pub summary: String,
    pub verdict: Verdict,
    pub engine: String,
    pub exhaustive: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_by: Option<String>,
    /// The bound the search ran under, in words.
    pub bounds: String,
    pub states: u64,
    pub transitions: u64,
    pub depth: u32,
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub hash_compaction: bool,
    pub expected: Vec<Kind>,
    /// Finding and warning kinds found, sorted.
    pub found: Vec<Kind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mismatch: Option<String>,
    pub outcomes: Vec<Outcome>,
    /// Real runs beside the outcome set (`report --runs N`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runs: Option<Runs>,
    pub findings: Vec<FindingData>,
    pub warnings: Vec<FindingData>,
    /// The rendered error, when the verdict is `error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The model's source, line by line (the HTML viewer shows it).
    pub source: Vec<String>,
    /// The state graph in Graphviz DOT (rendered to `<model>.svg`): every
    /// state when there are few, else the first finding's interleaving and
    /// the states around it. Not part of the JSON.
    #[serde(skip)]
    pub graph: Option<String>,
}

/// A finding or warning with its shortest interleaving.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FindingData {
    pub kind: Kind,
    pub message: String,
    /// `interleave replay MODEL TOKEN` prints the trace again.
    pub replay: String,
    /// For a lost update: the stale read, the lost write and the
    /// overwriting write (0-based step indices; step numbers shown to
    /// people are these plus one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lost_update: Option<LostUpdateSteps>,
    pub trace: Trace,
}

/// An ITF-like trace: `states[0]` is the initial state, `states[i]` the
/// state after step `i` (with that step in `step`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    #[serde(rename = "#meta")]
    pub meta: TraceMeta,
    pub vars: Vec<String>,
    pub states: Vec<TraceState>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceMeta {
    pub format: String,
    #[serde(rename = "format-description")]
    pub format_description: String,
    pub source: String,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceState {
    #[serde(rename = "#meta")]
    pub meta: StateMeta,
    /// The step that led here; `None` in the initial state.
    pub step: Option<TraceStep>,
    #[serde(flatten)]
    pub view: StateView,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StateMeta {
    pub index: usize,
}

impl Trace {
    /// The variables every state carries, in the order ITF lists them.
    pub const VARS: [&'static str; 5] = ["step", "processes", "shared", "output", "waits"];

    pub fn new(model: &str, description: &str, steps: Vec<TraceStep>, views: Vec<StateView>) -> Trace {
        let steps = std::iter::once(None).chain(steps.into_iter().map(Some));
        let states = steps
            .zip(views)
            .enumerate()
            .map(|(index, (step, view))| TraceState { meta: StateMeta { index }, step, view })
            .collect();
        Trace {
            meta: TraceMeta {
                format: "ITF".to_string(),
                format_description: "https://apalache-mc.org/docs/adr/015adr-trace.html (values as strings)"
                    .to_string(),
                source: model.to_string(),
                description: description.to_string(),
            },
            vars: Self::VARS.iter().map(|s| s.to_string()).collect(),
            states,
        }
    }

    /// The steps, without the initial state.
    pub fn steps(&self) -> impl Iterator<Item = (usize, &TraceStep, &StateView)> {
        self.states.iter().filter_map(|s| s.step.as_ref().map(|st| (s.meta.index, st, &s.view)))
    }
}

/// Real runs of the model and how they compare with its outcome set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Runs {
    pub runs: usize,
    pub backend: String,
    pub rows: Vec<RunRow>,
    /// Runs stopped by the timeout.
    pub hangs: usize,
    /// How the model judges those: `predicted` when it has a deadlock or
    /// hang finding, else `UNEXPLAINED` or `not seen by the incomplete search`.
    pub hangs_status: String,
    /// Observed outcomes (and hangs) the exhaustive model says cannot happen.
    pub unexplained: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRow {
    pub main_output: Vec<String>,
    pub exit: i64,
    pub count: usize,
    /// `predicted`, `UNEXPLAINED`, or `not seen by the incomplete search`.
    pub status: String,
}
