//! `<model>.md`: a report GitHub renders, with each finding's interleaving
//! drawn as a mermaid sequence diagram and listed as a step table.

use std::fmt::Write as _;

use interleave_machine::finding::Kind;
use interleave_machine::view::{StateView, WaitEdge};

use crate::data::{FindingData, ModelData, Trace};
use crate::Verdict;

/// The Markdown report of one model. `links` names the sibling files to
/// link to (`name.html`, `name.json`, `name.svg`) that exist.
pub fn render_markdown(d: &ModelData, links: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", d.name);
    if !d.summary.is_empty() {
        let _ = writeln!(out, "> {}\n", text(&d.summary));
    }
    let _ = writeln!(out, "Model: `{}` · verdict: **{}**\n", d.model, d.verdict.name().to_uppercase());
    if let Some(e) = &d.error {
        let _ = writeln!(out, "The model could not be explored:\n\n```text\n{}\n```", e.trim_end());
        return out;
    }
    let _ = writeln!(out, "| engine | exhaustive | states | transitions | depth | bound |");
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    let exhaustive = match (&d.stopped_by, d.exhaustive, d.hash_compaction) {
        (_, true, false) => "yes".to_string(),
        (_, true, true) => "yes (hash compaction)".to_string(),
        (Some(by), false, _) => format!("**no**: stopped by `{by}`"),
        (None, false, _) => "**no**".to_string(),
    };
    let _ = writeln!(
        out,
        "| {} | {exhaustive} | {} | {} | {} | {} |\n",
        d.engine, d.states, d.transitions, d.depth, d.bounds
    );
    let _ = writeln!(out, "Expected: {} · found: {}\n", kinds(&d.expected), kinds(&d.found));
    if let Some(m) = &d.mismatch {
        let _ = writeln!(out, "**Mismatch:** {}\n", text(m));
    }
    if d.verdict == Verdict::Incomplete {
        let _ = writeln!(
            out,
            "The search stopped before it covered every interleaving: the findings below are real \
             (each replays), but the absence of others and the outcome set are not proven.\n"
        );
    }
    if !links.is_empty() {
        let l: Vec<String> = links.iter().map(|f| format!("[{f}]({f})")).collect();
        let _ = writeln!(out, "Also: {}\n", l.join(" · "));
    }
    outcomes(&mut out, d);
    for (i, f) in d.findings.iter().enumerate() {
        finding(&mut out, &format!("Finding {}", i + 1), f, d);
    }
    for (i, w) in d.warnings.iter().enumerate() {
        finding(&mut out, &format!("Warning {}", i + 1), w, d);
    }
    out
}

fn kinds(ks: &[Kind]) -> String {
    if ks.is_empty() {
        "none".to_string()
    } else {
        ks.iter().map(|k| format!("`{}`", k.name())).collect::<Vec<_>>().join(", ")
    }
}

fn outcomes(out: &mut String, d: &ModelData) {
    let what =
        if d.exhaustive { "every outcome the program can have" } else { "outcomes seen before the search stopped" };
    if d.outcomes.is_empty() && d.runs.is_none() {
        let why = if d.exhaustive { "no interleaving ends" } else { "no interleaving ended before the search stopped" };
        let _ = writeln!(out, "## Outcomes\n\nNone: {why}.\n");
        return;
    }
    let _ = writeln!(out, "## Outcomes\n\n{} ({what}: main's printed lines and exit status).\n", d.outcomes.len());
    match &d.runs {
        None => {
            let _ = writeln!(out, "| main prints | exit |\n|---|---|");
            for o in &d.outcomes {
                let _ = writeln!(out, "| {} | {} |", printed(&o.main_output), o.exit);
            }
        }
        Some(r) => {
            let _ =
                writeln!(out, "| main prints | exit | predicted | real runs ({} × {}) | status |", r.runs, r.backend);
            let _ = writeln!(out, "|---|---|---|---|---|");
            for o in &d.outcomes {
                let row = r.rows.iter().find(|x| x.main_output == o.main_output && x.exit == o.exit);
                let n = row.map_or(0, |x| x.count);
                let _ = writeln!(out, "| {} | {} | yes | {n} | predicted |", printed(&o.main_output), o.exit);
            }
            for x in
                r.rows.iter().filter(|x| !d.outcomes.iter().any(|o| o.main_output == x.main_output && o.exit == x.exit))
            {
                let _ =
                    writeln!(out, "| {} | {} | no | {} | **{}** |", printed(&x.main_output), x.exit, x.count, x.status);
            }
            if r.hangs > 0 {
                let predicted = if r.hangs_status == "predicted" { "yes" } else { "no" };
                let _ =
                    writeln!(out, "| (timed out: never ended) | - | {predicted} | {} | {} |", r.hangs, r.hangs_status);
            }
            if r.unexplained > 0 {
                let _ = writeln!(
                    out,
                    "\n**{} unexplained**: reality did what the model says is impossible.",
                    r.unexplained
                );
            }
        }
    }
    out.push('\n');
}

fn printed(lines: &[String]) -> String {
    if lines.is_empty() {
        return "(nothing)".to_string();
    }
    lines.iter().map(|l| format!("`{}`", cell(l).replace('`', "'"))).collect::<Vec<_>>().join("<br>")
}

fn finding(out: &mut String, title: &str, f: &FindingData, d: &ModelData) {
    let _ = writeln!(out, "## {title}: {}\n", f.kind.name());
    let _ = writeln!(out, "{}\n", text(&f.message));
    if let Some(l) = &f.lost_update {
        let step = |i: Option<usize>| i.map_or("an earlier step".to_string(), |i| format!("step {}", i + 1));
        let _ = writeln!(
            out,
            "**Why the update is lost:** {} read {} at {} (the stale read), {} wrote it at {} (the lost \
             write), and {} overwrote that write at {} without having read it (the overwriting write), so {}'s update is lost.\n",
            l.writer,
            text(&l.location),
            step(l.stale_read),
            l.lost_writer,
            step(l.lost_write),
            l.writer,
            step(Some(l.overwrite)),
            l.lost_writer
        );
    }
    let last = f.trace.states.last().map(|s| &s.view);
    if matches!(f.kind, Kind::Deadlock | Kind::Hang) {
        if let Some(v) = last.filter(|v| !v.waits.is_empty()) {
            waits(out, v);
        }
    }
    let _ = writeln!(out, "Shortest interleaving ({} steps); replay it with", f.trace.states.len().saturating_sub(1));
    let _ = writeln!(out, "`interleave replay {} {}`.\n", d.model, f.replay);
    sequence(out, &f.trace);
    table(out, &f.trace, f);
}

/// Who waits on whom at the end of the trace, as a graph and a list.
fn waits(out: &mut String, v: &StateView) {
    let _ = writeln!(out, "**Who waits on whom** at the end:\n\n```mermaid\ngraph LR");
    let mut nodes: Vec<&str> = vec![];
    for e in &v.waits {
        for n in [&e.from, &e.to] {
            if !nodes.contains(&n.as_str()) {
                nodes.push(n);
            }
        }
    }
    for (i, n) in nodes.iter().enumerate() {
        let is_proc = v.processes.iter().any(|p| p.name == *n);
        let (open, close) = if is_proc { ("[", "]") } else { ("[(", ")]") };
        let _ = writeln!(out, "    n{i}{open}\"{}\"{close}", mermaid(n));
    }
    let id = |n: &str| nodes.iter().position(|x| *x == n).unwrap_or(0);
    for WaitEdge { from, to, label } in &v.waits {
        let _ = writeln!(out, "    n{} -->|\"{}\"| n{}", id(from), mermaid(label), id(to));
    }
    let _ = writeln!(out, "```\n");
    for WaitEdge { from, to, label } in &v.waits {
        let _ = writeln!(out, "- {} waits for {}: {}", from, to, text(label));
    }
    out.push('\n');
}

/// The interleaving as a mermaid sequence diagram: one participant per
/// process, one numbered message per step, a note where shared state
/// changed.
fn sequence(out: &mut String, t: &Trace) {
    let mut parts: Vec<String> = vec![];
    for (_, s, _) in t.steps() {
        if !parts.contains(&s.process) {
            parts.push(s.process.clone());
        }
    }
    let _ = writeln!(out, "```mermaid\nsequenceDiagram\n    autonumber");
    for (i, p) in parts.iter().enumerate() {
        let _ = writeln!(out, "    participant p{i} as {}", mermaid(p));
    }
    let mut before = t.states.first().map(|s| &s.view);
    for (_, s, view) in t.steps() {
        let i = parts.iter().position(|p| *p == s.process).unwrap_or(0);
        let op = if s.line == 0 { s.op.clone() } else { format!("{}: {}", s.line, s.op) };
        let msg = if s.effect.is_empty() { op } else { format!("{op} → {}", s.effect) };
        let _ = writeln!(out, "    p{i}->>p{i}: {}", mermaid(&msg));
        let changed: Vec<String> = view
            .shared
            .iter()
            .filter(|x| before.is_none_or(|b| !b.shared.iter().any(|y| y.name == x.name && y.value == x.value)))
            .map(|x| format!("{} = {}", x.name, x.value))
            .collect();
        if !changed.is_empty() {
            let _ = writeln!(out, "    Note right of p{i}: {}", mermaid(&changed.join(", ")));
        }
        before = Some(view);
    }
    let _ = writeln!(out, "```\n");
}

fn table(out: &mut String, t: &Trace, f: &FindingData) {
    let mark = |i: usize| -> &'static str {
        match &f.lost_update {
            Some(l) if l.stale_read == Some(i) => " (stale read)",
            Some(l) if l.lost_write == Some(i) => " (lost write)",
            Some(l) if l.overwrite == i => " (overwriting write)",
            _ => "",
        }
    };
    let _ = writeln!(out, "| step | process | line | operation | effect |\n|---|---|---|---|---|");
    for (n, s, _) in t.steps() {
        let line = if s.line == 0 { "-".to_string() } else { s.line.to_string() };
        let op = if s.op.is_empty() { String::new() } else { format!("`{}`", cell(&s.op).replace('`', "'")) };
        let _ = writeln!(out, "| {n}{} | {} | {line} | {op} | {} |", mark(n - 1), cell(&s.process), cell(&s.effect));
    }
    out.push('\n');
}

/// Text for a table cell: pipes escaped, no line breaks.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Running text: Markdown's active characters escaped, except inside the
/// `code spans` that messages quote source with (escapes would show there).
fn text(s: &str) -> String {
    s.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                part.to_string()
            } else {
                part.replace('<', "&lt;").replace('>', "&gt;").replace('*', "\\*").replace('_', "\\_")
            }
        })
        .collect::<Vec<_>>()
        .join("`")
}

/// Text inside a mermaid statement: its entity codes for the characters
/// that would end or break the statement.
fn mermaid(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
