//! `README.md` of a report folder: one row per model.

use std::fmt::Write as _;

use crate::data::ModelData;

/// The index of a report folder. `command` is the command that writes the
/// folder; `links(rel)` the report files of a model, relative to the folder.
pub fn render_index(models: &[(String, ModelData)], command: &str, links: impl Fn(&str) -> Vec<String>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Interleaving reports\n");
    let _ = writeln!(
        out,
        "Written by `{command}`. Do not edit: `interleave gate` fails when a verdict, a finding kind or an \
         outcome set differs from these files, or when they are not what a fresh run writes.\n"
    );
    let count = |v: crate::Verdict| models.iter().filter(|(_, d)| d.verdict == v).count();
    let _ = writeln!(
        out,
        "{} model(s): {} pass, {} fail, {} incomplete, {} error.\n",
        models.len(),
        count(crate::Verdict::Pass),
        count(crate::Verdict::Fail),
        count(crate::Verdict::Incomplete),
        count(crate::Verdict::Error)
    );
    let _ = writeln!(out, "| model | verdict | exhaustive | states | findings | outcomes | report |");
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    for (rel, d) in models {
        let found: Vec<&str> = d.found.iter().map(|k| k.name()).collect();
        let found = if found.is_empty() { "none".to_string() } else { found.join(", ") };
        let files: Vec<String> =
            links(rel).iter().map(|f| format!("[{}]({f})", f.rsplit('.').next().unwrap_or(f))).collect();
        let _ = writeln!(
            out,
            "| `{rel}` | {} | {} | {} | {found} | {} | {} |",
            d.verdict.name(),
            if d.exhaustive { "yes" } else { "**no**" },
            d.states,
            d.outcomes.len(),
            files.join(" · ")
        );
    }
    out
}
