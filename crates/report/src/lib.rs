//! What `interleave check` says about each model, and how it is printed:
//! plain text for people, JSON for machines.
//!
//! Both renderings are deterministic: the same model gives the same bytes,
//! except the JSON fields `stats.seconds` and `stats.peak_memory_mb`, which
//! measure the run. The text form leaves them out.
//!
//! # Limitations
//! - The per-model report (`data::ModelData`) renders to Markdown, JSON and
//!   a self-contained HTML stepper; the state graph's SVG is drawn by the
//!   caller (Graphviz).

pub mod data;
mod html;
mod index;
mod markdown;
mod text;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use interleave_machine::finding::{Finding, Kind};
use interleave_machine::system::Outcome;

pub use interleave_explore::Stats;

pub use html::render_html;
pub use index::render_index;
pub use markdown::render_markdown;
pub use text::{render_text, render_trace};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Explored exhaustively and the findings match the expectation.
    Pass,
    /// A finding nobody expected, or an expected one that cannot happen.
    Fail,
    /// A limit stopped the search before it could tell.
    Incomplete,
    /// The model could not be read, parsed or run.
    Error,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Incomplete => "incomplete",
            Verdict::Error => "error",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Warning {
    pub kind: Kind,
    pub message: String,
    pub replay: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ModelReport {
    pub path: String,
    pub verdict: Verdict,
    pub exhaustive: bool,
    /// The bound that stopped the search, when it did not finish.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_by: Option<String>,
    pub expected: Vec<Kind>,
    pub matches_expectation: bool,
    /// Why the findings do not match the expectation, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mismatch: Option<String>,
    pub findings: Vec<Finding>,
    pub warnings: Vec<Warning>,
    pub outcomes: Vec<Outcome>,
    pub stats: Stats,
    /// The error, rendered, when the verdict is `error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// With `--engine all`: what each engine made of the model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engines: Option<BTreeMap<String, EngineSummary>>,
    /// With `--engine all`: whether loom and shuttle agree with explore.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agree: Option<bool>,
    /// What differs, in a sentence, when they do not agree.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disagreement: Option<String>,
}

/// One engine's result on a model, for comparing engines.
#[derive(Clone, Debug, Serialize)]
pub struct EngineSummary {
    pub verdict: Verdict,
    pub exhaustive: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub settings: String,
    /// Finding and warning kinds found.
    pub findings: Vec<Kind>,
    pub outcomes: Vec<Outcome>,
    pub stats: Stats,
}

impl EngineSummary {
    pub fn of(r: &ModelReport, settings: String) -> EngineSummary {
        let mut findings: Vec<Kind> =
            r.findings.iter().map(|f| f.kind).chain(r.warnings.iter().map(|w| w.kind)).collect();
        findings.sort();
        findings.dedup();
        EngineSummary {
            verdict: r.verdict,
            exhaustive: r.exhaustive,
            note: r.stopped_by.clone(),
            settings,
            findings,
            outcomes: r.outcomes.clone(),
            stats: r.stats.clone(),
        }
    }
}

impl ModelReport {
    pub fn error(path: &str, message: String) -> ModelReport {
        ModelReport {
            path: path.to_string(),
            verdict: Verdict::Error,
            exhaustive: false,
            stopped_by: None,
            expected: vec![],
            matches_expectation: false,
            mismatch: None,
            findings: vec![],
            warnings: vec![],
            outcomes: vec![],
            stats: Stats::default(),
            error: Some(message),
            engines: None,
            agree: None,
            disagreement: None,
        }
    }
}

#[derive(Serialize)]
struct JsonOut<'a> {
    models: &'a [ModelReport],
}

pub fn render_json(models: &[ModelReport]) -> String {
    let mut s = serde_json::to_string_pretty(&JsonOut { models }).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}

/// `<model>.json` of a report: [`data::ModelData`], pretty-printed.
pub fn render_model_json(d: &data::ModelData) -> String {
    let mut s = serde_json::to_string_pretty(d).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}
