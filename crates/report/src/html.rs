//! `<model>.html`: one self-contained page that steps through a finding's
//! interleaving, forward and back, showing where each process stands in
//! the source and the shared state after each step.
//!
//! The page needs nothing but itself: CSS and JavaScript are inline, and
//! the report data is embedded as JSON (`<script type="application/json"
//! id="model-data">`), so it opens from a `file://` URL, an artifact store
//! or a mail attachment alike. What does not change while stepping (the
//! verdict, the outcome set, the source) is plain HTML and reads without
//! JavaScript; the stepper (`html/viewer.js`) draws the rest from the JSON.
//!
//! The DOM the viewer keeps (tests and people's scripts rely on it):
//! `#finding` (a select of the findings, then the warnings), `#message`,
//! `#prev`/`#next` (disabled at the ends; also ←/→ keys), `#position`
//! ("initial state", "step 3 of 6"), `#steps` with rows `tr#step-N`
//! (1-based; the shown one has class `current` and `aria-current="step"`;
//! lost-update steps have class `stale-read`, `lost-write`, `overwrite`),
//! `#source` with lines `[data-line=N]` and a `.badge` per live process on
//! its current line, and `#state`: `#processes` (rows `[data-name]` with
//! `td.line`, `td.status`), `#shared` (rows `[data-name]` with `td.value`;
//! class `changed` when the step changed it), `#output`, `#waits`.
//!
//! The bytes depend on the data only (no dates, no generated ids).

use std::fmt::Write as _;

use crate::data::{FindingData, ModelData};

const CSS: &str = include_str!("html/viewer.css");
const JS: &str = include_str!("html/viewer.js");

/// The page of one model's report.
pub fn render_html(d: &ModelData) -> String {
    let mut out = String::with_capacity(16 * 1024);
    head(&mut out, d);
    out.push_str("<body>\n<main>\n");
    header(&mut out, d);
    out.push_str("<div class=\"top\">\n");
    facts(&mut out, d);
    outcomes(&mut out, d);
    out.push_str("</div>\n");
    viewer(&mut out, d);
    out.push_str("</main>\n");
    embedded_data(&mut out, d);
    let _ = write!(out, "<script>\n{JS}</script>\n</body>\n</html>\n");
    out
}

/// Text made safe for HTML element content and attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn head(out: &mut String, d: &ModelData) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} – interleave report</title>\n<style>\n{CSS}</style>\n</head>\n",
        escape(&d.name)
    );
}

fn header(out: &mut String, d: &ModelData) {
    let verdict = d.verdict.name();
    let _ = writeln!(
        out,
        "<header>\n<h1>{} <span class=\"verdict verdict-{verdict}\">{verdict}</span></h1>\n<p class=\"path\"><code>{}</code></p>",
        escape(&d.name),
        escape(&d.model)
    );
    if !d.summary.is_empty() {
        let _ = writeln!(out, "<p class=\"summary\">{}</p>", escape(&d.summary));
    }
    out.push_str("</header>\n");
}

fn kinds(ks: &[interleave_machine::finding::Kind]) -> String {
    if ks.is_empty() {
        return "none".to_string();
    }
    ks.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
}

fn facts(out: &mut String, d: &ModelData) {
    let exhaustive = match (&d.stopped_by, d.exhaustive) {
        (_, true) => "yes".to_string(),
        (Some(by), false) => format!("no: stopped by {by}"),
        (None, false) => "no".to_string(),
    };
    let mut rows = vec![
        ("verdict", d.verdict.name().to_string()),
        ("engine", d.engine.clone()),
        ("exhaustive", exhaustive),
        ("bounds", d.bounds.clone()),
        ("states", d.states.to_string()),
        ("transitions", d.transitions.to_string()),
        ("depth", d.depth.to_string()),
        ("expected", kinds(&d.expected)),
        ("found", kinds(&d.found)),
    ];
    if d.hash_compaction {
        rows.push(("hash compaction", "on (a state may be missed, with tiny probability)".to_string()));
    }
    if let Some(m) = &d.mismatch {
        rows.push(("mismatch", m.clone()));
    }
    out.push_str("<section aria-labelledby=\"h-verdict\">\n<h2 id=\"h-verdict\">Verdict</h2>\n<table id=\"facts\">\n");
    for (k, v) in rows {
        let _ = writeln!(out, "<tr><th scope=\"row\">{k}</th><td>{}</td></tr>", escape(&v));
    }
    out.push_str("</table>\n");
    if let Some(e) = &d.error {
        let _ = writeln!(out, "<pre id=\"error\">{}</pre>", escape(e));
    }
    out.push_str("</section>\n");
}

/// Main's output lines and exit status, one line per outcome.
fn outcome_cells(lines: &[String], exit: i64) -> String {
    let text = if lines.is_empty() { "(no output)".to_string() } else { lines.join("\n") };
    format!("<td><pre>{}</pre></td><td>{exit}</td>", escape(&text))
}

fn outcomes(out: &mut String, d: &ModelData) {
    let _ = writeln!(
        out,
        "<section aria-labelledby=\"h-outcomes\">\n<h2 id=\"h-outcomes\">Outcome set ({} outcome{})</h2>",
        d.outcomes.len(),
        if d.outcomes.len() == 1 { "" } else { "s" }
    );
    out.push_str("<p>What main can print, and its exit status, over every interleaving explored.</p>\n");
    out.push_str("<table id=\"outcomes\">\n<tr><th scope=\"col\">main prints</th><th scope=\"col\">exit</th></tr>\n");
    for o in &d.outcomes {
        let _ = writeln!(out, "<tr>{}</tr>", outcome_cells(&o.main_output, o.exit));
    }
    if d.outcomes.is_empty() {
        out.push_str("<tr><td colspan=\"2\">none: no interleaving explored ends</td></tr>\n");
    }
    out.push_str("</table>\n");
    runs(out, d);
    out.push_str("</section>\n");
}

/// Real runs beside the outcome set, when the report was made with them.
fn runs(out: &mut String, d: &ModelData) {
    let Some(r) = &d.runs else { return };
    let _ = writeln!(
        out,
        "<h3>{} real run(s) ({}): {} hang(s), {} unexplained</h3>",
        r.runs,
        escape(&r.backend),
        r.hangs,
        r.unexplained
    );
    out.push_str("<table id=\"runs\">\n<tr><th scope=\"col\">main prints</th><th scope=\"col\">exit</th><th scope=\"col\">runs</th><th scope=\"col\">status</th></tr>\n");
    for row in &r.rows {
        let _ = writeln!(
            out,
            "<tr>{}<td>{}</td><td>{}</td></tr>",
            outcome_cells(&row.main_output, row.exit),
            row.count,
            escape(&row.status)
        );
    }
    out.push_str("</table>\n");
}

/// The findings, then the warnings, as the viewer numbers them.
fn traces(d: &ModelData) -> impl Iterator<Item = (&'static str, usize, &FindingData)> {
    let f = d.findings.iter().enumerate().map(|(i, f)| ("finding", i + 1, f));
    f.chain(d.warnings.iter().enumerate().map(|(i, w)| ("warning", i + 1, w)))
}

fn viewer(out: &mut String, d: &ModelData) {
    out.push_str("<section id=\"viewer\" aria-labelledby=\"h-viewer\">\n<h2 id=\"h-viewer\">Interleaving</h2>\n");
    if d.findings.is_empty() && d.warnings.is_empty() {
        let scope = if d.exhaustive {
            "The outcome set above is every result this model can have."
        } else {
            "The search was not exhaustive: a finding may hide in what it did not reach."
        };
        let _ = writeln!(
            out,
            "<p id=\"no-trace\">No finding and no warning: there is no interleaving to step through. {scope}</p>"
        );
        source(out, d);
        out.push_str("</section>\n");
        return;
    }
    selector(out, d);
    out.push_str(concat!(
        "<p id=\"message\"></p>\n<p class=\"replay\">Replay: <code id=\"replay\"></code></p>\n",
        "<noscript><p>Stepping needs JavaScript; the Markdown report shows the same interleavings as tables.</p></noscript>\n",
        "<div class=\"controls\">\n",
        "<button id=\"prev\" type=\"button\" aria-keyshortcuts=\"ArrowLeft\"><span aria-hidden=\"true\">← </span>previous step</button>\n",
        "<p id=\"position\" aria-live=\"polite\">initial state</p>\n",
        "<button id=\"next\" type=\"button\" aria-keyshortcuts=\"ArrowRight\">next step<span aria-hidden=\"true\"> →</span></button>\n",
        "<span class=\"hint\">keys: ← → (Home, End)</span>\n",
        "</div>\n<div class=\"panes\">\n<div class=\"pane\">\n<h3>Steps</h3>\n<div class=\"scroll\">\n",
        "<table id=\"steps\">\n<thead><tr><th scope=\"col\">#</th><th scope=\"col\">process</th><th scope=\"col\">line</th>",
        "<th scope=\"col\">operation</th><th scope=\"col\">effect</th></tr></thead>\n<tbody></tbody>\n</table>\n</div>\n</div>\n",
        "<div class=\"pane\">\n<h3>Source</h3>\n",
    ));
    source(out, d);
    out.push_str(concat!(
        "</div>\n<div class=\"pane\" id=\"state\" aria-live=\"off\">\n<h3 id=\"state-title\">State</h3>\n",
        "<h4>Processes</h4>\n<table id=\"processes\">\n<thead><tr><th scope=\"col\">process</th><th scope=\"col\">line</th>",
        "<th scope=\"col\">status</th></tr></thead>\n<tbody></tbody>\n</table>\n",
        "<h4>Shared objects</h4>\n<table id=\"shared\">\n<thead><tr><th scope=\"col\">name</th><th scope=\"col\">kind</th>",
        "<th scope=\"col\">value</th><th scope=\"col\">before this step</th></tr></thead>\n<tbody></tbody>\n</table>\n",
        "<h4>main's output so far</h4>\n<pre id=\"output\"></pre>\n",
        "<div id=\"waits-box\" hidden>\n<h4>Who waits on whom</h4>\n<ul id=\"waits\"></ul>\n</div>\n",
        "</div>\n</div>\n</section>\n",
    ));
}

fn selector(out: &mut String, d: &ModelData) {
    out.push_str("<p><label for=\"finding\">Show</label>\n<select id=\"finding\">\n");
    for (i, (what, n, f)) in traces(d).enumerate() {
        let steps = f.trace.states.len().saturating_sub(1);
        let selected = if i == 0 { " selected" } else { "" };
        let _ = writeln!(out, "<option value=\"{i}\"{selected}>{what} {n}: {} ({steps} steps)</option>", f.kind.name());
    }
    out.push_str("</select></p>\n");
}

/// The model's source, one element per line, for the viewer to mark.
fn source(out: &mut String, d: &ModelData) {
    out.push_str("<div class=\"scroll\">\n<div id=\"source\" class=\"source\">\n");
    for (i, line) in d.source.iter().enumerate() {
        let n = i + 1;
        let _ = writeln!(
            out,
            "<div class=\"src-line\" data-line=\"{n}\"><span class=\"ln\">{n}</span><code>{}</code><span class=\"marks\"></span></div>",
            escape(line)
        );
    }
    out.push_str("</div>\n</div>\n");
}

/// The report data as JSON the viewer reads. `<` is written `\u003c`, so
/// no text of the model (`</script>`, `<!--`) can end the element early.
fn embedded_data(out: &mut String, d: &ModelData) {
    let json = serde_json::to_string(d).unwrap_or_else(|e| format!("{{\"error\":{:?}}}", e.to_string()));
    let _ =
        writeln!(out, "<script type=\"application/json\" id=\"model-data\">{}</script>", json.replace('<', "\\u003c"));
}

#[cfg(test)]
mod tests;
