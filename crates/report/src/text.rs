//! The plain-text report.

use std::fmt::Write as _;

use interleave_machine::trace::TraceStep;

use crate::{ModelReport, Verdict};

/// The report of every model, then a one-line summary.
pub fn render_text(models: &[ModelReport]) -> String {
    let mut out = String::new();
    for m in models {
        model(&mut out, m);
        out.push('\n');
    }
    let count = |v: Verdict| models.iter().filter(|m| m.verdict == v).count();
    let _ = writeln!(
        out,
        "{} model(s): {} pass, {} fail, {} incomplete, {} error",
        models.len(),
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::Incomplete),
        count(Verdict::Error)
    );
    out
}

fn kinds(ks: &[interleave_machine::finding::Kind]) -> String {
    if ks.is_empty() {
        "none".into()
    } else {
        ks.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
    }
}

fn model(out: &mut String, m: &ModelReport) {
    let _ = writeln!(out, "== {}: {}", m.path, m.verdict.name().to_uppercase());
    if let Some(e) = &m.error {
        let _ = writeln!(out, "{e}");
        return;
    }
    let how = if m.exhaustive && m.stats.hash_compaction {
        "exhaustive (hash compaction: a state may be missed, chance below states²/2^129)".to_string()
    } else if m.exhaustive {
        "exhaustive".to_string()
    } else {
        format!("INCOMPLETE: stopped by {}", m.stopped_by.as_deref().unwrap_or("a limit"))
    };
    let _ = writeln!(
        out,
        "   {how}: {} states, {} transitions, depth {}",
        m.stats.states, m.stats.transitions, m.stats.depth
    );
    let mut found: Vec<_> = m.findings.iter().map(|f| f.kind).collect();
    found.extend(m.warnings.iter().map(|w| w.kind));
    found.sort();
    found.dedup();
    let _ = writeln!(out, "   expected: {}; found: {}", kinds(&m.expected), kinds(&found));
    if let Some(why) = &m.mismatch {
        let _ = writeln!(out, "   MISMATCH: {why}");
    }
    let _ = writeln!(out, "   outcomes ({}):", m.outcomes.len());
    for o in &m.outcomes {
        let _ = writeln!(out, "     {:?} exit {}", o.main_output, o.exit);
    }
    for w in &m.warnings {
        let _ = writeln!(out, "   warning [{}]: {}", w.kind.name(), w.message);
    }
    for (i, f) in m.findings.iter().enumerate() {
        let _ = writeln!(out, "   finding {} [{}]: {}", i + 1, f.kind.name(), f.message);
        let _ = writeln!(out, "   replay: interleave replay {} {}", m.path, f.replay);
        out.push_str(&render_trace(&f.trace, "     "));
    }
}

/// A trace as an aligned table.
pub fn render_trace(steps: &[TraceStep], indent: &str) -> String {
    let mut out = String::new();
    let pw = steps.iter().map(|s| s.process.len()).max().unwrap_or(7).max(7);
    let ow = steps.iter().map(|s| s.op.chars().count()).max().unwrap_or(9).clamp(9, 48);
    let _ = writeln!(out, "{indent}{:>4}  {:<pw$}  {:>4}  {:<ow$}  effect", "step", "process", "line", "operation");
    for (i, s) in steps.iter().enumerate() {
        let line = if s.line == 0 { "-".to_string() } else { s.line.to_string() };
        let op: String = if s.op.chars().count() > ow {
            s.op.chars().take(ow - 3).collect::<String>() + "..."
        } else {
            s.op.clone()
        };
        let _ = writeln!(out, "{indent}{:>4}  {:<pw$}  {:>4}  {:<ow$}  {}", i + 1, s.process, line, op, s.effect);
    }
    out
}
