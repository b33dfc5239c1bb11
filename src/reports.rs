//! The data of `interleave report`: a model checked, each finding's trace
//! replayed with a view of every state, lost updates split into their
//! three steps.

use std::path::Path;

use interleave_machine::finding::Kind;
use interleave_machine::interp::Event;
use interleave_machine::system::{parse_token, Actor};
use interleave_machine::trace::TraceStep;
use interleave_machine::view::StateView;
use interleave_machine::Machine;
use interleave_report::data::{FindingData, ModelData, Trace, SCHEMA_VERSION};

use crate::{check_model, Options};

/// Checks a model and gathers everything its report shows.
pub fn model_data(path: &Path, opts: &Options) -> ModelData {
    let (r, model) = check_model(path, opts);
    let source: Vec<String> = model.as_ref().map(|m| m.program.source.lines().map(str::to_string).collect()).unwrap_or_default();
    let (findings, warnings) = match &model {
        Some(model) => {
            let m = Machine::new(&model.program, &model.code)
                .with_dead_reset(opts.dead_reset)
                .with_exit_merge(opts.exit_merge);
            let findings = r.findings.iter().map(|f| finding_data(&m, &r.path, f.kind, &f.message, &f.replay, &f.trace)).collect();
            let warnings = r.warnings.iter().map(|w| finding_data(&m, &r.path, w.kind, &w.message, &w.replay, &[])).collect();
            (findings, warnings)
        }
        None => (vec![], vec![]),
    };
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
    }
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

fn finding_data(m: &Machine<'_>, model: &str, kind: Kind, message: &str, token: &str, trace: &[TraceStep]) -> FindingData {
    let description = format!("{}: {message}", kind.name());
    let actors = parse_token(token).unwrap_or_default();
    // a token that needs the exit merge off (see `replay_file`)
    let alt = (*m).with_exit_merge(false);
    let machine = if m.replay(&actors).is_ok() { m } else { &alt };
    let (steps, views) = match machine.replay_views(&actors) {
        Ok(sv) => sv,
        // not a token of this explorer (a shuttle schedule): steps only
        Err(_) => (trace.to_vec(), vec![empty_view(); trace.len() + 1]),
    };
    let lost_update = (kind == Kind::LostUpdate).then(|| lost_update(machine, &actors)).flatten();
    FindingData {
        kind,
        message: message.to_string(),
        replay: token.to_string(),
        lost_update,
        trace: Trace::new(model, &description, steps, views),
    }
}

fn lost_update(m: &Machine<'_>, actors: &[Actor]) -> Option<interleave_machine::finding::LostUpdateSteps> {
    let r = m.replay(actors).ok()?;
    let last = r.steps.len().checked_sub(1)?;
    r.events.iter().rev().find_map(|(i, e)| match e {
        Event::LostUpdate { loc, writer } if *i == last => Some(m.lost_update_steps(&r, last, loc, *writer)),
        _ => None,
    })
}

fn empty_view() -> StateView {
    StateView { processes: vec![], shared: vec![], output: vec![], waits: vec![] }
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
            let rel = if p.is_dir() { file.strip_prefix(p).unwrap_or(&file) } else { Path::new(file.file_name().unwrap_or_default()) };
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
/// `<rel>.json`, `<rel>.md`, `<rel>.html`, and the index `README.md`.
pub fn report_files(models: &[(String, ModelData)]) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    for (rel, d) in models {
        files.insert(format!("{rel}.json"), interleave_report::render_model_json(d).into_bytes());
        files.insert(format!("{rel}.html"), interleave_report::render_html(d).into_bytes());
    }
    files
}
