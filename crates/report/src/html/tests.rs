use interleave_machine::finding::{Kind, LostUpdateSteps};
use interleave_machine::system::Outcome;
use interleave_machine::trace::TraceStep;
use interleave_machine::view::{ProcView, SharedView, StateView};

use super::render_html;
use crate::data::{FindingData, ModelData, Trace, SCHEMA_VERSION};
use crate::Verdict;

fn view(lines: [u32; 2], num: i32) -> StateView {
    let proc = |name: &str, line| ProcView { name: name.into(), line, status: "running".into() };
    StateView {
        processes: vec![proc("main", lines[0]), proc("Process-1", lines[1])],
        shared: vec![SharedView { name: "d".into(), kind: "DictProxy".into(), value: format!("{{'num': {num}}}") }],
        output: vec!["</script><script>alert(1)</script>".into()],
        waits: vec![],
    }
}

fn step(op: &str) -> TraceStep {
    TraceStep { process: "Process-1".into(), line: 3, op: op.into(), effect: "a & b <i>".into() }
}

/// A small model whose text tries to end the data script early.
fn model() -> ModelData {
    let trace = Trace::new(
        "m.py",
        "lost-update: x",
        vec![step("temp = d['num']"), step("d['num'] = temp")],
        vec![view([5, 2], 1), view([5, 3], 1), view([5, 0], 0)],
    );
    ModelData {
        schema_version: SCHEMA_VERSION,
        model: "models/m.py".into(),
        name: "m<b>".into(),
        summary: "a </script> in the summary".into(),
        verdict: Verdict::Pass,
        engine: "explore".into(),
        exhaustive: true,
        stopped_by: None,
        bounds: "at most 10 states".into(),
        states: 7,
        transitions: 9,
        depth: 3,
        hash_compaction: false,
        expected: vec![Kind::LostUpdate],
        found: vec![Kind::LostUpdate],
        mismatch: None,
        outcomes: vec![Outcome { main_output: vec!["0".into()], exit: 0 }],
        runs: None,
        findings: vec![FindingData {
            kind: Kind::LostUpdate,
            message: "lost <!-- update".into(),
            replay: "0.1".into(),
            lost_update: Some(LostUpdateSteps {
                location: "d['num']".into(),
                writer: "Process-1".into(),
                lost_writer: "Process-2".into(),
                stale_read: Some(0),
                lost_write: None,
                overwrite: 1,
            }),
            trace,
        }],
        warnings: vec![],
        error: None,
        source: vec!["# m".into(), "x = '</script>'".into(), "d['num'] = temp".into()],
        graph: None,
    }
}

fn embedded_json(html: &str) -> &str {
    let open = "<script type=\"application/json\" id=\"model-data\">";
    let start = html.find(open).expect("the page embeds its data") + open.len();
    let len = html[start..].find("</script>").expect("the data script ends");
    &html[start..start + len]
}

#[test]
fn embedded_json_parses_back_to_the_same_data() {
    let d = model();
    let back: ModelData = serde_json::from_str(embedded_json(&render_html(&d))).unwrap();
    assert_eq!(back, d);
}

#[test]
fn script_end_in_model_text_is_escaped() {
    let html = render_html(&model());
    let json = embedded_json(&html);
    assert!(!json.contains('<'), "raw '<' in the embedded data: {json}");
    assert!(json.contains("\\u003c/script>"));
    // in HTML text: escaped, never live markup
    assert!(html.contains("<title>m&lt;b&gt; – interleave report</title>"));
    assert!(html.contains("<code>x = &#39;&lt;/script&gt;&#39;</code>"));
    assert!(!html.contains("<b>"));
    // one data script and one code script, nothing else
    assert_eq!(html.matches("<script").count(), 2);
    assert_eq!(html.matches("</script>").count(), 2);
}

#[test]
fn no_external_resources() {
    let html = render_html(&model());
    for attr in ["src=", "href=", "<link", "url(", "@import", "fetch(", "XMLHttpRequest"] {
        assert!(!html.contains(attr), "the page loads something ({attr}): it must be self-contained");
    }
    // the only address is the ITF format's, inside the data
    let outside = html.replace(embedded_json(&html), "");
    assert!(!outside.contains("http://") && !outside.contains("https://"));
}

#[test]
fn rendering_is_deterministic() {
    assert_eq!(render_html(&model()), render_html(&model()));
}

#[test]
fn stepper_controls_and_source_lines_are_there() {
    let html = render_html(&model());
    for id in
        ["finding", "prev", "next", "position", "steps", "source", "state", "processes", "shared", "output", "waits"]
    {
        assert!(html.contains(&format!("id=\"{id}\"")), "no #{id}");
    }
    assert!(html.contains("data-line=\"3\""));
    assert!(html.contains("<option value=\"0\" selected>finding 1: lost-update (2 steps)</option>"));
}

#[test]
fn a_model_without_findings_says_there_is_nothing_to_step() {
    let mut d = model();
    d.findings.clear();
    let html = render_html(&d);
    assert!(html.contains("there is no interleaving to step through"));
    assert!(!html.contains("id=\"next\""));
    assert!(html.contains("<td><pre>0</pre></td><td>0</td>"), "the outcome set is shown");
}
