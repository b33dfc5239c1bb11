//! The HTML viewer in a real browser: headless Chromium, driven over
//! WebDriver by Debian's `chromedriver`, loads a report page from a
//! `file://` URL; pressing "next" and "previous" must show the step and
//! the state the report's JSON says.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs
//! them); without them this test fails and says so, it never passes
//! silently. It is a test binary of its own so that its processes (the
//! driver and the browser, killed and reaped by `webdriver::Driver`) do
//! not mix with other tests' children.

#[path = "browser/webdriver.rs"]
mod webdriver;

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use interleave::report::data::ModelData;
use webdriver::{which, Driver, Session, PACKAGES};

const MODEL: &str = "models/small/manager_counter_nolock.py";

/// WebDriver's codes for the arrow keys.
const ARROW_LEFT: &str = "\u{E012}";
const ARROW_RIGHT: &str = "\u{E014}";

/// What the page shows, read in one script: the position, the current
/// step row(s), the process and shared-object rows, the buttons.
const READ_PAGE: &str = r##"
const all = (css) => Array.from(document.querySelectorAll(css));
const text = (el, css) => el.querySelector(css).textContent;
return {
  position: document.getElementById("position").textContent,
  current: all("#steps tbody tr.current").map((tr) => ({
    id: tr.id, aria: tr.getAttribute("aria-current"), process: text(tr, ".process"), op: text(tr, ".op") })),
  processes: all("#processes tbody tr").map((tr) => ({
    name: tr.dataset.name, line: text(tr, "td.line"), status: text(tr, "td.status") })),
  shared: all("#shared tbody tr").map((tr) => ({
    name: tr.dataset.name, value: text(tr, "td.value"), changed: tr.classList.contains("changed") })),
  marks: ["stale-read", "lost-write", "overwrite"].map((c) => all("#steps tr." + c).map((tr) => tr.id)),
  badges: all("#source .badge").map((b) => [b.closest("[data-line]").dataset.line, b.textContent]),
  prev_disabled: document.getElementById("prev").disabled,
  next_disabled: document.getElementById("next").disabled,
};
"##;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The report of the lost-update model, and its page written to `dir`.
fn page(dir: &Path) -> (ModelData, String) {
    let d = interleave::reports::model_data(&root().join(MODEL), &interleave::Options::default());
    assert!(!d.findings.is_empty(), "{MODEL} has no finding to step through: {:?}", d.error);
    let file = dir.join("manager_counter_nolock.html");
    std::fs::write(&file, interleave::report::render_html(&d)).unwrap();
    (d, format!("file://{}", file.display()))
}

/// The browser parts, or a failure that says what to install.
fn browser_parts() -> (PathBuf, PathBuf) {
    let driver = which("chromedriver").unwrap_or_else(|| panic!("chromedriver is not on PATH: {PACKAGES}"));
    let chromium = which("chromium").unwrap_or_else(|| panic!("chromium is not on PATH: {PACKAGES}"));
    (driver, chromium)
}

/// What the page should show at step `n` (0: the initial state), from the
/// report's JSON.
fn expected_at(d: &ModelData, n: usize) -> Value {
    let trace = &d.findings[0].trace;
    let s = &trace.states[n];
    let step = s
        .step
        .as_ref()
        .map(|st| json!({"id": format!("step-{n}"), "aria": "step", "process": st.process, "op": st.op}));
    let line = |l: u32| if l == 0 { String::new() } else { l.to_string() };
    let changed = |name: &str, value: &str| {
        n > 0 && trace.states[n - 1].view.shared.iter().find(|o| o.name == name).is_none_or(|o| o.value != value)
    };
    json!({
        "position": if n == 0 { "initial state".to_string() } else { format!("step {n} of {}", trace.states.len() - 1) },
        "current": step.into_iter().collect::<Vec<_>>(),
        "processes": s.view.processes.iter()
            .map(|p| json!({"name": p.name, "line": line(p.line), "status": p.status})).collect::<Vec<_>>(),
        "shared": s.view.shared.iter()
            .map(|o| json!({"name": o.name, "value": o.value, "changed": changed(&o.name, &o.value)})).collect::<Vec<_>>(),
    })
}

/// The step rows of the stale read, the lost write and the overwrite.
fn lost_update_rows(d: &ModelData) -> Value {
    let lu = d.findings[0].lost_update.as_ref().expect("a lost update names its steps");
    let row = |i: Option<usize>| i.map(|i| format!("step-{}", i + 1)).into_iter().collect::<Vec<_>>();
    json!([row(lu.stale_read), row(lu.lost_write), row(Some(lu.overwrite))])
}

/// `[line, name]` of each live process at step `n`: its source badge.
fn badges_at(d: &ModelData, n: usize) -> Vec<Value> {
    let procs = d.findings[0].trace.states[n].view.processes.iter();
    let live = procs.filter(|p| p.line > 0 && !p.status.starts_with("exited"));
    sorted(live.map(|p| json!([p.line.to_string(), p.name])).collect())
}

fn sorted(mut v: Vec<Value>) -> Vec<Value> {
    v.sort_by_key(|b| b.to_string());
    v
}

/// Reads the page and compares it with step `n` of the JSON.
fn assert_shows(session: &Session, d: &ModelData, n: usize, after: &str) -> Value {
    let mut shown = session.script(READ_PAGE).unwrap();
    let mut want = expected_at(d, n);
    for key in ["position", "current", "processes", "shared"] {
        assert_eq!(shown[key], want[key].take(), "after {after}: {key} should show step {n} of the report's trace");
    }
    let last = d.findings[0].trace.states.len() - 1;
    assert_eq!(shown["prev_disabled"], json!(n == 0), "after {after}: #prev disabled only at the start");
    assert_eq!(shown["next_disabled"], json!(n == last), "after {after}: #next disabled only at the end");
    shown["badges"].take()
}

#[test]
fn stepping_forward_and_back_shows_each_step_and_its_state() {
    let (chromedriver, chromium) = browser_parts();
    let tmp = tempfile::tempdir().unwrap();
    let (d, url) = page(tmp.path());
    let driver = Driver::start(&chromedriver, tmp.path()).unwrap_or_else(|e| panic!("{e}\n({PACKAGES})"));
    let profile = tmp.path().join("profile");
    let session = driver.session(&chromium, &profile).unwrap_or_else(|e| panic!("{e}\n({PACKAGES})"));
    session.goto(&url).unwrap();
    assert_shows(&session, &d, 0, "loading the page");
    for _ in 0..3 {
        session.click("#next").unwrap();
    }
    let badges = assert_shows(&session, &d, 3, "pressing next three times");
    let badges = sorted(badges.as_array().cloned().unwrap_or_default());
    assert_eq!(badges, badges_at(&d, 3), "the source marks each live process's line");
    session.click("#prev").unwrap();
    assert_shows(&session, &d, 2, "pressing previous once");
    for _ in 0..3 {
        session.press(ARROW_RIGHT).unwrap();
    }
    // step 5 is the lost write: the dict's value changes and is highlighted
    assert_shows(&session, &d, 5, "pressing → three times");
    let shown = session.script(READ_PAGE).unwrap();
    assert!(
        shown["shared"].as_array().unwrap().iter().any(|o| o["changed"] == json!(true)),
        "no change marked: {shown}"
    );
    assert_eq!(shown["marks"], lost_update_rows(&d), "the lost update's three steps are marked");
    session.press(ARROW_LEFT).unwrap();
    assert_shows(&session, &d, 4, "pressing ← once");
}
