//! `interleave gate`: a fresh report folder held against the committed one.
//!
//! A model fails the gate when its verdict, its finding kinds or its
//! outcome set differ from its committed `<model>.json`, or when any of its
//! report files is not what a fresh run writes (a stale report). Files in
//! the committed folder that no model writes any more are stale too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use similar::TextDiff;

use interleave_machine::system::Outcome;
use interleave_report::data::ModelData;

/// The gate's judgement of one model.
#[derive(Debug)]
pub struct ModelGate {
    pub rel: String,
    pub model: String,
    /// What differs, one readable paragraph each; empty when it passes.
    pub problems: Vec<String>,
}

#[derive(Debug)]
pub struct GateResult {
    pub models: Vec<ModelGate>,
    /// Problems not of one model: a stale index, leftover files.
    pub other: Vec<String>,
    /// What was not compared, and why (not a failure).
    pub notes: Vec<String>,
}

impl GateResult {
    pub fn passed(&self) -> bool {
        self.other.is_empty() && self.models.iter().all(|m| m.problems.is_empty())
    }

    /// The readable account: one block per failing model.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for m in self.models.iter().filter(|m| !m.problems.is_empty()) {
            out.push_str(&format!("FAIL {} ({})\n", m.model, m.rel));
            for p in &m.problems {
                for line in p.lines() {
                    out.push_str(&format!("  {line}\n"));
                }
            }
        }
        for p in &self.other {
            out.push_str(&format!("FAIL {p}\n"));
        }
        for n in &self.notes {
            out.push_str(&format!("note: {n}\n"));
        }
        let failed = self.models.iter().filter(|m| !m.problems.is_empty()).count();
        out.push_str(&format!(
            "gate: {} model(s), {} differ from the committed reports{}\n",
            self.models.len(),
            failed,
            if self.other.is_empty() { String::new() } else { format!(", {} other problem(s)", self.other.len()) }
        ));
        out
    }

    /// JUnit XML: one test case per model.
    pub fn junit(&self) -> String {
        let mut suite = TestSuite::new("interleave gate");
        for m in &self.models {
            let status = if m.problems.is_empty() {
                TestCaseStatus::success()
            } else {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(format!("{} differs from the committed report", m.model));
                s.set_description(m.problems.join("\n"));
                s
            };
            let mut case = TestCase::new(m.rel.clone(), status);
            case.set_classname("interleave.gate");
            suite.add_test_case(case);
        }
        if !self.other.is_empty() {
            suite.set_system_err(self.other.join("\n"));
        }
        let mut report = Report::new("interleave");
        report.add_test_suite(suite);
        report.to_string().unwrap_or_else(|e| format!("<!-- cannot write JUnit XML: {e} -->\n"))
    }
}

/// Holds a fresh report folder (`models` and the `files` they render to)
/// against the committed folder `baseline`.
pub fn gate(models: &[(String, ModelData)], files: &BTreeMap<String, Vec<u8>>, baseline: &Path) -> GateResult {
    let mut result = GateResult { models: vec![], other: vec![], notes: vec![] };
    for (rel, fresh) in models {
        let mut problems = vec![];
        let json = baseline.join(format!("{rel}.json"));
        match std::fs::read_to_string(&json) {
            Err(_) => problems.push(format!(
                "no committed report '{}': a new model? write the reports with `interleave report`",
                json.display()
            )),
            Ok(text) => match serde_json::from_str::<ModelData>(&text) {
                Err(e) => problems.push(format!("cannot read '{}': {e}", json.display())),
                Ok(old) => problems.extend(semantic_diff(&old, fresh)),
            },
        }
        // the diff of the most readable stale file; the others by name
        let mut stale_files: Vec<(&String, &Vec<u8>)> = files.iter().filter(|(f, _)| belongs_to(f, rel)).collect();
        stale_files.sort_by_key(|(f, _)| READABLE.iter().position(|x| f.ends_with(x)).unwrap_or(READABLE.len()));
        let mut shown = false;
        for (name, bytes) in stale_files {
            if let Some(why) = other_graphviz(baseline, name, bytes) {
                result.notes.push(why);
                continue;
            }
            match stale(baseline, name, bytes) {
                Some(p) if !shown => {
                    problems.push(p);
                    shown = true;
                }
                Some(_) => problems.push(format!("'{}' is stale too", baseline.join(name).display())),
                None => {}
            }
        }
        result.models.push(ModelGate { rel: rel.clone(), model: fresh.model.clone(), problems });
    }
    for (name, bytes) in files.iter().filter(|(f, _)| !models.iter().any(|(rel, _)| belongs_to(f, rel))) {
        result.other.extend(stale(baseline, name, bytes));
    }
    for extra in leftovers(baseline, files) {
        result.other.push(format!("'{extra}' is in the committed reports but no model writes it: delete it"));
    }
    result
}

/// Report files by how well a diff of them reads.
const READABLE: [&str; 4] = [".md", ".json", ".html", ".svg"];

/// `small/lock_with.md` belongs to the model `small/lock_with`.
fn belongs_to(file: &str, rel: &str) -> bool {
    file.strip_prefix(rel).is_some_and(|rest| rest.starts_with('.') && !rest[1..].contains('/'))
}

/// Verdict, finding kinds and outcome set, old against new.
fn semantic_diff(old: &ModelData, new: &ModelData) -> Vec<String> {
    let mut out = vec![];
    if old.verdict != new.verdict {
        out.push(format!("verdict: {} -> {}", old.verdict.name(), new.verdict.name()));
    }
    if old.expected != new.expected {
        let names =
            |ks: &[interleave_machine::finding::Kind]| ks.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ");
        out.push(format!("expectation: [{}] -> [{}]", names(&old.expected), names(&new.expected)));
    }
    let (a, b): (BTreeSet<_>, BTreeSet<_>) = (old.found.iter().collect(), new.found.iter().collect());
    if a != b {
        let plus: Vec<&str> = b.difference(&a).map(|k| k.name()).collect();
        let minus: Vec<&str> = a.difference(&b).map(|k| k.name()).collect();
        out.push(format!("finding kinds: now also [{}], no longer [{}]", plus.join(", "), minus.join(", ")));
    }
    let (a, b): (BTreeSet<&Outcome>, BTreeSet<&Outcome>) =
        (old.outcomes.iter().collect(), new.outcomes.iter().collect());
    if a != b {
        let show = |o: &&Outcome| format!("{:?} exit {}", o.main_output, o.exit);
        let mut s = format!("outcome set: {} -> {} outcome(s)", a.len(), b.len());
        for o in b.difference(&a) {
            s.push_str(&format!("\n+ {}", show(o)));
        }
        for o in a.difference(&b) {
            s.push_str(&format!("\n- {}", show(o)));
        }
        out.push(s);
    }
    out
}

/// Graphviz lays graphs out differently from version to version: an SVG
/// drawn by another version than the committed one is not compared (what it
/// draws, the states and the first finding's trace, is compared through the
/// model's `.json` and `.md`); the gate says so in a note.
fn other_graphviz(baseline: &Path, name: &str, fresh: &[u8]) -> Option<String> {
    if !name.ends_with(".svg") {
        return None;
    }
    let version = |b: &[u8]| {
        let text = String::from_utf8_lossy(&b[..b.len().min(512)]).into_owned();
        text.lines().find_map(|l| {
            l.trim().strip_prefix("<!-- Generated by ").map(|v| v.trim_end_matches("-->").trim().to_string())
        })
    };
    let old = std::fs::read(baseline.join(name)).ok()?;
    let (a, b) = (version(&old)?, version(fresh)?);
    (a != b).then(|| format!("{name} not compared: the committed one was drawn by {a}, this machine has {b}"))
}

/// Lines of diff shown for one stale file, at most.
const DIFF_LINES: usize = 24;

/// Whether a committed file differs from what a fresh run writes, with
/// the start of the difference.
fn stale(baseline: &Path, name: &str, fresh: &[u8]) -> Option<String> {
    let path = baseline.join(name);
    let old = match std::fs::read(&path) {
        Ok(old) if old == fresh => return None,
        Ok(old) => old,
        Err(_) => return Some(format!("'{}' is missing: write the reports with `interleave report`", path.display())),
    };
    let (old, new) = (String::from_utf8_lossy(&old), String::from_utf8_lossy(fresh));
    let diff = TextDiff::from_lines(old.as_ref(), new.as_ref());
    let text = diff.unified_diff().context_radius(1).header("committed", "fresh").to_string();
    let mut lines: Vec<&str> = text.lines().collect();
    let more = lines.len().saturating_sub(DIFF_LINES);
    lines.truncate(DIFF_LINES);
    let mut s = format!("'{}' is stale (not what a fresh run writes):\n{}", path.display(), lines.join("\n"));
    if more > 0 {
        s.push_str(&format!("\n... {more} more diff line(s)"));
    }
    Some(s)
}

/// Report files in `baseline` that the fresh run does not write.
fn leftovers(baseline: &Path, files: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let found = crate::files_under(baseline, &["md", "json", "html", "svg"]).unwrap_or_default();
    let mut out: Vec<String> = found
        .iter()
        .filter_map(|p| p.strip_prefix(baseline).ok())
        .map(|rel| rel.to_string_lossy().replace('\\', "/"))
        .filter(|f| !files.contains_key(f))
        .collect();
    out.sort();
    out
}
