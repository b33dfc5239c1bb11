//! Just enough of W3C WebDriver to drive headless Chromium through Debian's
//! `chromedriver`: start it, open a session, load a page, click, press a
//! key, run a script. Every process it starts is killed and reaped in
//! `Drop`, on a failed assertion too: the test process becomes a
//! subreaper, so that Chromium's helpers (the crash handler double-forks
//! into a session of its own) are re-parented to it, not to init.
//!
//! Why not a WebDriver crate: fantoccini (the well-kept one), even with
//! `default-features = false` (no TLS), brings tokio, hyper, url, cookie and
//! the ICU crates: 128 crates, measured at 2 min 40 s (1 min 34 s of CPU)
//! for a release build on this project's 2-core machine, for a test that
//! sends six kinds of command to a server on the loopback, and it does not
//! start or stop the driver (most of this file). The commands are W3C
//! WebDriver's JSON over HTTP; the HTTP is ureq's (blocking, no TLS).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{kill, killpg, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use serde_json::{json, Value};

/// What to install when a browser part is missing.
pub const PACKAGES: &str = "install Debian's packages: apt-get install -y chromium chromium-driver";

/// The key WebDriver names an element reference by.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Chromium's flags: no sandbox (root in a container), no GPU, no
/// `/dev/shm` (small in containers), a window large enough for the page.
const CHROMIUM_ARGS: [&str; 5] =
    ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"];

/// An executable on `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// A running `chromedriver` in its own process group (Chromium starts in
/// it too), with its log in `dir`.
pub struct Driver {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Driver {
    pub fn start(chromedriver: &Path, dir: &Path) -> Result<Driver, String> {
        nix::sys::prctl::set_child_subreaper(true).map_err(|e| format!("cannot become a subreaper: {e}"))?;
        let log = dir.join("chromedriver.log");
        let out = std::fs::File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        // port 0: the system picks a free one, and the driver logs which
        let child = Command::new(chromedriver)
            .arg("--port=0")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}; {PACKAGES}", chromedriver.display()))?;
        let mut d = Driver { child, port: 0, log };
        d.wait_ready(Duration::from_secs(30))?;
        Ok(d)
    }

    /// Waits for the driver to log its port, then polls `/status` until it
    /// takes sessions.
    fn wait_ready(&mut self, limit: Duration) -> Result<(), String> {
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("chromedriver exited ({status}) before it was ready:\n{}", self.log_text()));
            }
            if self.port == 0 {
                self.port = logged_port(&self.log_text()).unwrap_or(0);
            }
            if self.port != 0 && request(self.port, "GET", "/status", None).is_ok_and(|v| v["ready"] == json!(true)) {
                return Ok(());
            }
            if start.elapsed() > limit {
                return Err(format!("chromedriver not ready after {limit:?}:\n{}", self.log_text()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Opens headless Chromium (`binary`) with its profile in `profile`.
    pub fn session(&self, binary: &Path, profile: &Path) -> Result<Session, String> {
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": binary, "args": args},
        }}});
        let v = request(self.port, "POST", "/session", Some(&caps))
            .map_err(|e| format!("cannot open a Chromium session: {e}\nchromedriver log:\n{}", self.log_text()))?;
        let id = v["sessionId"].as_str().ok_or_else(|| format!("no session id in {v}"))?;
        Ok(Session { port: self.port, id: id.to_string() })
    }
}

impl Drop for Driver {
    /// Kills the whole group (chromedriver and any Chromium left), reaps
    /// chromedriver, then every orphan re-parented to us.
    fn drop(&mut self) {
        let group = Pid::from_raw(self.child.id() as i32);
        let _ = killpg(group, Signal::SIGKILL);
        let _ = self.child.wait();
        reap_orphans(Duration::from_secs(10));
    }
}

/// Waits for every child we have left (this test binary has no other),
/// killing them once `limit` is half gone.
fn reap_orphans(limit: Duration) {
    let start = Instant::now();
    loop {
        match waitpid(None, Some(WaitPidFlag::WNOHANG | WaitPidFlag::__WALL)) {
            Ok(WaitStatus::StillAlive) if start.elapsed() < limit => {
                if start.elapsed() > limit / 2 {
                    for p in children() {
                        let _ = kill(p, Signal::SIGKILL);
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok(WaitStatus::StillAlive) => return,
            Ok(_) | Err(Errno::EINTR) => {}
            Err(_) => return, // ECHILD: none left
        }
    }
}

/// Our live children, from `/proc/PID/stat` (the parent is field 4, after
/// the command name in parentheses).
fn children() -> Vec<Pid> {
    let me = std::process::id().to_string();
    let Ok(dir) = std::fs::read_dir("/proc") else { return vec![] };
    let stat = |e: std::fs::DirEntry| std::fs::read_to_string(e.path().join("stat")).ok();
    dir.flatten()
        .filter_map(stat)
        .filter_map(|s| {
            let (pid, rest) = s.split_once(" (")?;
            let ppid = rest.rsplit_once(") ")?.1.split_whitespace().nth(1)?;
            let pid: i32 = pid.parse().ok()?;
            (ppid == me).then_some(Pid::from_raw(pid))
        })
        .collect()
}

/// A browser session; dropping it closes the browser.
pub struct Session {
    port: u16,
    id: String,
}

impl Session {
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        request(self.port, method, &format!("/session/{}{path}", self.id), body)
    }

    pub fn goto(&self, url: &str) -> Result<(), String> {
        self.call("POST", "/url", Some(&json!({ "url": url }))).map(drop)
    }

    /// Clicks the element a CSS selector finds, as a user would (the
    /// driver scrolls it into view and refuses a hidden or covered one).
    pub fn click(&self, css: &str) -> Result<(), String> {
        let found = self.call("POST", "/element", Some(&json!({"using": "css selector", "value": css})))?;
        let id = found[ELEMENT].as_str().ok_or_else(|| format!("no element {css}: {found}"))?;
        self.call("POST", &format!("/element/{id}/click"), Some(&json!({}))).map(drop)
    }

    /// Presses and releases a key (a WebDriver key code, e.g. `\u{E014}`
    /// for ArrowRight) on the focused element.
    pub fn press(&self, key: &str) -> Result<(), String> {
        let keys = json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
            {"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]}]});
        self.call("POST", "/actions", Some(&keys)).map(drop)
    }

    /// Runs a function body in the page and returns what it returns.
    pub fn script(&self, body: &str) -> Result<Value, String> {
        self.call("POST", "/execute/sync", Some(&json!({"script": body, "args": []})))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.call("DELETE", "", None);
    }
}

/// The port in "ChromeDriver was started successfully on port 40313."
fn logged_port(log: &str) -> Option<u16> {
    let line = log.lines().find(|l| l.contains("started successfully on port"))?;
    line.trim_end_matches('.').rsplit(' ').next()?.parse().ok()
}

/// One WebDriver command over HTTP (ureq, plain HTTP on the loopback); its
/// `value`, or the driver's error message for a non-2xx status.
fn request(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let url = format!("http://127.0.0.1:{port}{path}");
    let req = ureq::request(method, &url).timeout(Duration::from_secs(60));
    let sent = match body {
        Some(b) => req.set("Content-Type", "application/json; charset=utf-8").send_string(&b.to_string()),
        None => req.call(),
    };
    let (status, resp) = match sent {
        Ok(r) => (r.status(), r),
        Err(ureq::Error::Status(code, r)) => (code, r),
        Err(e) => return Err(format!("{method} {path}: {e}")),
    };
    let text = resp.into_string().map_err(|e| format!("{method} {path}: {e}"))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{method} {path}: {e} in {text:?}"))?;
    match status {
        200..=299 => Ok(v["value"].clone()),
        _ => Err(format!("{method} {path}: HTTP {status}: {}", v["value"]["message"])),
    }
}
