//! One run = one process group. The group is started, watched until its
//! main process ends or the timeout passes, then every process left in it
//! is killed and reaped, whatever happened (ripgrep's `cli/process.rs`
//! reads a child's pipes the same way: on threads, so a full pipe never
//! blocks the child).

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{killpg, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag};
use nix::unistd::Pid;

/// Most bytes kept of a run's stdout or stderr (the rest is read and dropped).
const KEEP: usize = 1 << 20;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_interrupt(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Ctrl-C (SIGINT) and SIGTERM only set a flag: the run in progress is
/// killed and cleaned up by the loop that watches it, then the caller
/// stops. A run's processes are in their own group, so the terminal's
/// Ctrl-C never reaches them directly.
pub fn install_interrupt_handler() {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet};
    let act = SigAction::new(SigHandler::Handler(on_interrupt), SaFlags::SA_RESTART, SigSet::empty());
    // SAFETY: the handler only stores to an atomic.
    unsafe {
        let _ = sigaction(Signal::SIGINT, &act);
        let _ = sigaction(Signal::SIGTERM, &act);
    }
    // Orphans of a run (a child whose parent died) are re-parented to us,
    // not to init, so that we can reap them too.
    let _ = nix::sys::prctl::set_child_subreaper(true);
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// How a run's group ended.
#[derive(Debug)]
pub struct Finished {
    /// The main process's status; `None` when the timeout passed first.
    pub status: Option<ExitStatus>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Ctrl-C arrived during the run (the run is then not counted).
    pub interrupted: bool,
}

/// A thread that reads `r` to its end into a shared buffer.
struct Reader {
    kept: Arc<Mutex<Vec<u8>>>,
    thread: JoinHandle<()>,
}

fn reader(mut r: impl Read + Send + 'static) -> Reader {
    let kept = Arc::new(Mutex::new(Vec::new()));
    let sink = kept.clone();
    let thread = std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = r.read(&mut buf) {
            if n == 0 {
                break;
            }
            let mut kept = sink.lock().unwrap_or_else(|p| p.into_inner());
            let room = KEEP.saturating_sub(kept.len());
            kept.extend_from_slice(&buf[..n.min(room)]);
        }
    });
    Reader { kept, thread }
}

impl Reader {
    /// What was read, once the pipe is closed, or after `patience` if some
    /// process outside the group still holds it open (the thread is then
    /// left to end with that process).
    fn finish(self, patience: Duration) -> Vec<u8> {
        let deadline = Instant::now() + patience;
        while !self.thread.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.clone()
    }
}

/// Runs `cmd` as the leader of a new process group, with piped output,
/// until it ends or `timeout` passes; then kills and reaps the whole group.
pub fn run_in_group(mut cmd: Command, timeout: Duration) -> std::io::Result<Finished> {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
    let mut child = cmd.spawn()?;
    let pgid = Pid::from_raw(child.id() as i32);
    let out = reader(child.stdout.take().expect("piped stdout"));
    let err = reader(child.stderr.take().expect("piped stderr"));
    let (status, interrupted) = watch(&mut child, timeout);
    let status = kill_group(&mut child, pgid, status);
    let patience = Duration::from_secs(2);
    Ok(Finished { status, stdout: out.finish(patience), stderr: err.finish(patience), interrupted })
}

/// Waits for the main process, the timeout or Ctrl-C.
fn watch(child: &mut Child, timeout: Duration) -> (Option<ExitStatus>, bool) {
    let start = Instant::now();
    let mut nap = Duration::from_micros(500);
    loop {
        if let Ok(Some(s)) = child.try_wait() {
            return (Some(s), false);
        }
        if interrupted() {
            return (None, true);
        }
        if start.elapsed() >= timeout {
            return (None, false);
        }
        std::thread::sleep(nap);
        nap = (nap * 2).min(Duration::from_millis(5));
    }
}

/// Kills every process left in the group and reaps each one (the main
/// process through `child`, the others through the subreaper). Answers
/// the main process's status if it had ended by itself.
fn kill_group(child: &mut Child, pgid: Pid, ended: Option<ExitStatus>) -> Option<ExitStatus> {
    let _ = killpg(pgid, Signal::SIGKILL);
    if ended.is_none() {
        let _ = child.wait();
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        reap_group(pgid, deadline);
        // signal 0: does any process of the group still exist?
        match killpg(pgid, None) {
            Err(Errno::ESRCH) => break,
            _ if Instant::now() > deadline => break,
            _ => {
                let _ = killpg(pgid, Signal::SIGKILL);
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }
    ended
}

/// Reaps the group's processes that are (now) our children.
fn reap_group(pgid: Pid, deadline: Instant) {
    let any_in_group = Pid::from_raw(-pgid.as_raw());
    loop {
        match waitpid(any_in_group, Some(WaitPidFlag::WNOHANG | WaitPidFlag::__WALL)) {
            Ok(nix::sys::wait::WaitStatus::StillAlive) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_micros(200))
            }
            Ok(nix::sys::wait::WaitStatus::StillAlive) => return,
            Ok(_) => {}
            Err(Errno::EINTR) => {}
            Err(_) => return,
        }
    }
}
