//! The data of `interleave report`: a model checked, each finding's trace
//! replayed with a view of every state, lost updates split into their
//! three steps.

use std::collections::BTreeMap;
use std::path::Path;

use interleave_machine::finding::{Kind, LostUpdateSteps};
use interleave_machine::interp::Event;
use interleave_machine::system::parse_token;
use interleave_machine::trace::{Replayed, TraceStep};
use interleave_machine::view::StateView;
use interleave_machine::Machine;
use interleave_report::data::{FindingData, ModelData, Trace, SCHEMA_VERSION};
use interleave_report::{render_index, render_markdown};

use crate::{check_model, Options};

/// Checks a model and gathers everything its report shows.
pub fn model_data(path: &Path, opts: &Options) -> ModelData {
    let (r, model) = check_model(path, opts);
    let source: Vec<String> =
        model.as_ref().map(|m| m.program.source.lines().map(str::to_string).collect()).unwrap_or_default();
    let (mut findings, mut warnings, mut graph) = (vec![], vec![], None);
    if let Some(model) = &model {
        let m =
            Machine::new(&model.program, &model.code).with_dead_reset(opts.dead_reset).with_exit_merge(opts.exit_merge);
        findings =
            r.findings.iter().map(|f| finding_data(&m, &r.path, f.kind, &f.message, &f.replay, &f.trace)).collect();
        warnings = r.warnings.iter().map(|w| finding_data(&m, &r.path, w.kind, &w.message, &w.replay, &[])).collect();
        let first = r.findings.first().map(|f| &f.replay).or(r.warnings.first().map(|w| &w.replay));
        graph = state_graph(&m, first.map(String::as_str), &r.path);
    }
    let mut found: Vec<Kind> = r.findings.iter().map(|f| f.kind).chain(r.warnings.iter().map(|w| w.kind)).collect();
    found.sort();
    found.dedup();
    ModelData {
        schema_version: SCHEMA_VERSION,
        name: path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
        summary: summary(&source),
        model: r.path.clone(),
        verdict: r.verdict,
        engine: "explore".to_string(),
        exhaustive: r.exhaustive,
        stopped_by: r.stopped_by.clone(),
        bounds: bounds(opts),
        states: r.stats.states,
        transitions: r.stats.transitions,
        depth: r.stats.depth,
        hash_compaction: r.stats.hash_compaction,
        expected: r.expected.clone(),
        found,
        mismatch: r.mismatch.clone(),
        outcomes: r.outcomes.clone(),
        runs: None,
        findings,
        warnings,
        error: r.error.clone(),
        source,
        graph,
    }
}

/// The DOT of the model's state graph around the first finding's trace
/// (`token`), or of the whole graph when it is small; `None` for a large
/// model without a finding.
fn state_graph(m: &Machine<'_>, token: Option<&str>, title: &str) -> Option<String> {
    let path = match token.map(parse_token) {
        Some(Ok(p)) => p,
        _ => vec![],
    };
    let g = interleave_explore::graph::state_graph(m, &path).ok()?;
    (g.whole || !path.is_empty()).then(|| g.to_dot(title))
}

fn bounds(opts: &Options) -> String {
    let l = &opts.limits;
    let mut parts = vec![format!("at most {} states", l.max_states)];
    if l.max_seconds.is_finite() {
        parts.push(format!("{} s", l.max_seconds));
    }
    parts.join(", ")
}

/// The model's leading comment, without its `# expect:` lines.
fn summary(source: &[String]) -> String {
    let lines: Vec<&str> = source
        .iter()
        .map(|l| l.trim())
        .take_while(|l| l.starts_with('#'))
        .filter(|l| !l.starts_with("# expect:"))
        .map(|l| l.trim_start_matches('#').trim())
        .collect();
    lines.join(" ")
}

fn finding_data(
    m: &Machine<'_>,
    model: &str,
    kind: Kind,
    message: &str,
    token: &str,
    trace: &[TraceStep],
) -> FindingData {
    let description = format!("{}: {message}", kind.name());
    let actors = parse_token(token).unwrap_or_default();
    let (steps, views, lost_update) = match m.replay_any_run(|m| m.replay_views(&actors)) {
        Ok((r, views)) => {
            let lost_update = (kind == Kind::LostUpdate).then(|| lost_update(m, &r)).flatten();
            (r.steps, views, lost_update)
        }
        // not a token of this explorer (a shuttle schedule): steps only
        Err(_) => (trace.to_vec(), vec![StateView::default(); trace.len() + 1], None),
    };
    FindingData {
        kind,
        message: message.to_string(),
        replay: token.to_string(),
        lost_update,
        trace: Trace::new(model, &description, steps, views),
    }
}

/// The three steps of the lost update the replay's last step completed.
fn lost_update(m: &Machine<'_>, r: &Replayed) -> Option<LostUpdateSteps> {
    let last = r.steps.len().checked_sub(1)?;
    r.events.iter().rev().find_map(|(i, e)| match e {
        Event::LostUpdate { loc, writer } if *i == last => Some(m.lost_update_steps(r, last, loc, *writer)),
        _ => None,
    })
}

/// A model file and where its report goes: `rel` is its path relative to
/// the folder named on the command line, without `.py` (`small/lock_with`).
pub struct Entry {
    pub file: std::path::PathBuf,
    pub rel: String,
}

/// The models under `paths`, each with its report name. Two models with
/// one name (a file named twice) are an error.
pub fn entries(paths: &[std::path::PathBuf]) -> Result<Vec<Entry>, String> {
    let mut out: Vec<Entry> = vec![];
    for p in paths {
        for file in crate::collect_models(std::slice::from_ref(p))? {
            let rel = if p.is_dir() {
                file.strip_prefix(p).unwrap_or(&file)
            } else {
                Path::new(file.file_name().unwrap_or_default())
            };
            let rel = rel.with_extension("").to_string_lossy().replace('\\', "/");
            if let Some(e) = out.iter().find(|e| e.rel == rel) {
                return Err(format!(
                    "'{}' and '{}' would both be reported as '{rel}': name them from one folder",
                    e.file.display(),
                    file.display()
                ));
            }
            out.push(Entry { file, rel });
        }
    }
    Ok(out)
}

/// Every file of a report folder, by path relative to it: per model
/// `<rel>.json`, `<rel>.md`, `<rel>.html`, `<rel>.svg` when it has a
/// graph, and the index `README.md`. `command` is the command that writes
/// the folder, quoted in the index. Fails when Graphviz cannot draw.
pub fn report_files(models: &[(String, ModelData)], command: &str) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let mut files = BTreeMap::new();
    for (rel, d) in models {
        if let Some(dot) = &d.graph {
            files.insert(format!("{rel}.svg"), svg(dot)?);
        }
        files.insert(format!("{rel}.json"), interleave_report::render_model_json(d).into_bytes());
        files.insert(format!("{rel}.html"), interleave_report::render_html(d).into_bytes());
        let base = rel.rsplit('/').next().unwrap_or(rel);
        let siblings: Vec<String> = formats(d).iter().skip(1).map(|x| format!("{base}.{x}")).collect();
        files.insert(format!("{rel}.md"), render_markdown(d, &siblings).into_bytes());
    }
    let links = |rel: &str| match models.iter().find(|(r, _)| r == rel) {
        Some((_, d)) => formats(d).iter().map(|x| format!("{rel}.{x}")).collect(),
        None => vec![],
    };
    files.insert("README.md".to_string(), render_index(models, command, links).into_bytes());
    Ok(files)
}

/// The files a model's report has, by extension, the Markdown first.
fn formats(d: &ModelData) -> Vec<&'static str> {
    let mut f = vec!["md", "html", "json"];
    if d.graph.is_some() {
        f.push("svg");
    }
    f
}

/// Graphviz's `dot -Tsvg` of a DOT text.
fn svg(dot: &str) -> Result<Vec<u8>, String> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let missing = |e: std::io::Error| {
        format!("cannot run Graphviz's `dot` ({e}); the .svg reports need it: apt-get install -y graphviz")
    };
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(missing)?;
    let mut stdin = child.stdin.take().ok_or("dot: no stdin")?;
    // write from a thread: dot may fill its stdout before reading all input
    let input = dot.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().map_err(missing)?;
    let _ = writer.join();
    if !out.status.success() {
        return Err(format!("dot failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(out.stdout)
}
