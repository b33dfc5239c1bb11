//! What `interleave check` says about each model, and how it is printed:
//! plain text for people, JSON for machines.
//!
//! Both renderings are deterministic: the same model gives the same bytes,
//! except the JSON fields `stats.seconds` and `stats.peak_memory_mb`, which
//! measure the run. The text form leaves them out.
//!
//! # Limitations
//! - Text and JSON only; Markdown, HTML and graphs are planned.

mod text;

use serde::Serialize;

use interleave_machine::finding::{Finding, Kind};
use interleave_machine::system::Outcome;

pub use interleave_explore::Stats;

pub use text::{render_text, render_trace};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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
