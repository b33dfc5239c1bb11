//! The worker: one model process per OS process, each stepping the
//! interpreter on its own copy of the world, with real IPC behind every
//! visible operation. See the module docs of [`super`].

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use interleave_machine::code::{Compiled, Instr};
use interleave_machine::footprint::Key;
use interleave_machine::interp::{Ctx, Event, ExitStage};
use interleave_machine::ir::Builtin;
use interleave_machine::system::{Actor, Applied, State};
use interleave_machine::value::{Pid, Value};
use interleave_machine::world::{Object, Status};
use interleave_machine::Machine;
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitid, waitpid, Id, WaitPidFlag, WaitStatus};
use nix::unistd::{fork, ForkResult};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::codec::encode;
use super::queue::{Feeders, RealQueue};
use super::sem::Sem;
use super::store::{self, Client};
use crate::tally::NATIVE_ERROR;

/// The owner written into the local world for a lock another process
/// holds: never a real index.
pub(super) const OTHER: Pid = Pid::MAX;

/// The real thing behind each shared object of the local world.
#[derive(Clone)]
pub(super) enum Real {
    /// Process handles and the Manager object: nothing shared.
    Nothing,
    /// Lock, RLock, Semaphore.
    Sync(Arc<Sem>),
    Event {
        flag: Arc<Sem>,
        guard: Arc<Sem>,
    },
    Queue(Arc<RealQueue>),
    /// An object kept by the manager server.
    Stored(u64),
}

pub(super) struct Worker<'m> {
    pub(super) m: &'m Machine<'m>,
    pub(super) state: State,
    pub(super) me: Pid,
    pub(super) dir: PathBuf,
    pub(super) tag: String,
    pub(super) model: String,
    pub(super) reals: Vec<Real>,
    /// Real pid of each process of the local world (this process's
    /// children only).
    pub(super) pids: Vec<Option<nix::unistd::Pid>>,
    pub(super) really_reaped: Vec<bool>,
    pub(super) feeders: Feeders,
    pub(super) store: Client,
    pub(super) jitter: Option<(u64, StdRng)>,
    /// Bytes of main's output already written to stdout.
    pub(super) printed: usize,
}

/// The worker's entry point: runs the model file as its main process.
pub fn worker_main(path: &Path) -> ! {
    let fail = |msg: String| -> ! {
        eprintln!("{NATIVE_ERROR}{msg}");
        std::process::exit(70)
    };
    let program = interleave_lang::load(path).unwrap_or_else(|d| fail(d.render()));
    let code = interleave_machine::compile::compile(&program).unwrap_or_else(|e| fail(e.to_string()));
    let m = Machine::new(&program, &code);
    let state = m.initial_state().unwrap_or_else(|e| fail(e.to_string()));
    let dir = std::env::current_dir().unwrap_or_else(|e| fail(format!("no working folder: {e}")));
    if uses_manager(&code) {
        start_manager(&dir).unwrap_or_else(|e| fail(format!("cannot start the manager server: {e}")));
    }
    let tag = std::env::var(super::TAG_ENV).unwrap_or_else(|_| format!("il{}", std::process::id()));
    let seed = std::env::var(super::JITTER_ENV).ok().and_then(|s| s.parse::<u64>().ok());
    let mut w = Worker {
        m: &m,
        state,
        me: 0,
        store: Client::new(&dir),
        dir,
        tag,
        model: path.display().to_string(),
        reals: vec![],
        pids: vec![None],
        really_reaped: vec![false],
        feeders: Feeders::default(),
        jitter: seed.map(|s| (s, StdRng::seed_from_u64(s))),
        printed: 0,
    };
    if let Err(e) = w.register_new_objects() {
        fail(e)
    }
    w.run()
}

/// Whether the model makes a Manager or a `Value` anywhere.
fn uses_manager(code: &Compiled) -> bool {
    std::iter::once(&code.module)
        .chain(&code.funcs)
        .flat_map(|c| &c.instrs)
        .any(|i| matches!(i, Instr::CallBuiltin(Builtin::Manager | Builtin::Value, ..)))
}

/// Forks the manager server (before any thread exists).
fn start_manager(dir: &Path) -> std::io::Result<()> {
    let listener = store::bind(dir)?;
    std::io::stdout().flush()?;
    // SAFETY: single-threaded here; the child only serves and never returns.
    match unsafe { fork() }? {
        ForkResult::Child => store::serve(listener),
        ForkResult::Parent { .. } => Ok(()),
    }
}

impl Worker<'_> {
    fn run(&mut self) -> ! {
        loop {
            self.pause();
            if let Err(e) = self.step() {
                let who = self.state.world.procs[self.me as usize].name.clone();
                eprintln!("{NATIVE_ERROR}{who}: {e}");
                let _ = std::io::stderr().flush();
                // SAFETY: ends this process only, without running the
                // parent's atexit handlers or flushing inherited buffers.
                unsafe { libc::_exit(70) }
            }
        }
    }

    /// The jitter: a random short pause before a visible operation.
    fn pause(&mut self) {
        if let Some((_, rng)) = &mut self.jitter {
            if rng.gen_bool(0.5) {
                std::thread::sleep(Duration::from_micros(rng.gen_range(0..2000)));
            }
        }
    }

    pub(super) fn apply(&mut self, ctx: &mut Ctx) -> Result<Applied, String> {
        self.m.apply(&mut self.state, Actor::Proc(self.me), ctx).map_err(|e| e.to_string())
    }

    /// The instruction the process is about to run.
    fn instr(&self) -> Option<&Instr> {
        let f = self.state.procs[self.me as usize].frames.last()?;
        self.m.code.code(f.func).instrs.get(f.pc as usize)
    }

    pub(super) fn method(&self) -> Option<Arc<str>> {
        match self.instr()? {
            Instr::CallMethod { name, .. } => Some(name.clone()),
            Instr::WithEnter => Some(Arc::from("acquire")),
            Instr::WithExit => Some(Arc::from("release")),
            _ => None,
        }
    }

    /// One step: the real operation, the interpreter's step, and what the
    /// step started (objects, processes, signals, reaping, the exit).
    fn step(&mut self) -> Result<(), String> {
        let me = self.me as usize;
        let p = &self.state.procs[me];
        let exiting = p.exit.is_some() || p.frames.is_empty();
        if p.exit == Some(ExitStage::Flush) {
            // CPython joins its feeder threads before the process ends
            self.feeders.flush();
        }
        let keys = self.m.footprint(&self.state, Actor::Proc(self.me));
        let procs_before = self.state.world.procs.len();
        let mut ctx = Ctx::default();
        match keys.first() {
            _ if exiting || keys.contains(&Key::Procs) => self.procs_step(&mut ctx)?,
            None => self.plain_step(&mut ctx)?,
            Some(Key::File(path)) => {
                let path = path.clone();
                self.file_step(&path, &mut ctx)?
            }
            Some(Key::Obj(id)) => {
                let id = *id;
                match self.reals.get(id as usize).cloned() {
                    Some(Real::Sync(sem)) => self.sync_step(id, &sem, &mut ctx)?,
                    Some(Real::Event { flag, guard }) => self.event_step(id, &flag, &guard, &mut ctx)?,
                    Some(Real::Queue(q)) => self.queue_step(id, &q, &mut ctx)?,
                    Some(Real::Stored(_)) => self.store_step(&keys, &mut ctx)?,
                    _ => {
                        self.apply(&mut ctx)?;
                    }
                }
            }
            Some(Key::Procs) => unreachable!("handled above"),
        }
        self.report(&ctx);
        self.print_output();
        self.register_new_objects()?;
        self.start_children(procs_before)?;
        self.signals_and_reaping();
        if let Status::Exited(code) = self.state.world.procs[me].status {
            self.exit(code);
        }
        Ok(())
    }

    /// Uncaught exceptions go to stderr as CPython's traceback header does.
    fn report(&self, ctx: &Ctx) {
        for ev in &ctx.events {
            if let Event::Uncaught { pid, exc, line } = ev {
                let header = if *pid == 0 {
                    String::new()
                } else {
                    format!("Process {}:\n", self.state.world.procs[*pid as usize].name)
                };
                eprint!(
                    "{header}Traceback (most recent call last):\n  File \"{}\", line {line}, in <native>\n{}: {}\n",
                    self.model,
                    exc.ty.name(),
                    exc.msg
                );
            }
        }
    }

    fn print_output(&mut self) {
        if self.me != 0 {
            return;
        }
        let out = &self.state.procs[0].output;
        if out.len() > self.printed {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(&out.as_bytes()[self.printed..]);
            let _ = stdout.flush();
            self.printed = out.len();
        }
    }

    fn register_new_objects(&mut self) -> Result<(), String> {
        while self.reals.len() < self.state.world.objects.len() {
            let real = self.real_of(&Object::clone(&self.state.world.objects[self.reals.len()]))?;
            self.reals.push(real);
        }
        Ok(())
    }

    fn real_of(&mut self, o: &Object) -> Result<Real, String> {
        let io = |e: std::io::Error| format!("cannot create a real IPC object: {e}");
        let sem = |v: u32| Sem::new(&self.tag, v).map(Arc::new).map_err(io);
        Ok(match o {
            Object::Lock(_) | Object::RLock { .. } => Real::Sync(sem(1)?),
            Object::Semaphore { value, .. } => Real::Sync(sem(*value)?),
            Object::Event(_) => Real::Event { flag: sem(0)?, guard: sem(1)? },
            Object::Queue(q) => Real::Queue(Arc::new(RealQueue::new(&self.tag, q.maxsize).map_err(io)?)),
            Object::Dict(d) => Real::Stored(self.store.create(encode(&Value::Dict(d.clone()))?)?),
            Object::List(l) => Real::Stored(self.store.create(encode(&Value::List(l.clone()))?)?),
            Object::Value { value, .. } => Real::Stored(self.store.create(encode(value)?)?),
            Object::Process(_) | Object::Manager => Real::Nothing,
        })
    }

    /// `time.sleep(s)` sleeps for real; other steps that touch nothing
    /// shared just run.
    fn plain_step(&mut self, ctx: &mut Ctx) -> Result<(), String> {
        if let Some(Instr::CallBuiltin(Builtin::Sleep, n, kw)) = self.instr() {
            let depth = (*n as usize + kw.len()).max(1);
            let stack = &self.state.procs[self.me as usize].frames.last().expect("frame").stack;
            let secs = match stack.get(stack.len().wrapping_sub(depth)) {
                Some(Value::Float(bits)) => f64::from_bits(*bits),
                Some(Value::Int(i)) => *i as f64,
                _ => 0.0,
            };
            if secs.is_finite() && secs > 0.0 {
                std::thread::sleep(Duration::from_secs_f64(secs.min(3600.0)));
            }
        }
        self.apply(ctx).map(|_| ())
    }

    // ---- processes ----

    /// Start, join, is_alive, exitcode, terminate, kill, active_children
    /// and the exit stages: the local process table is brought up to date
    /// with the real children first, and a blocked join waits for real.
    fn procs_step(&mut self, ctx: &mut Ctx) -> Result<(), String> {
        loop {
            self.refresh_children();
            match self.apply(ctx)? {
                Applied::Progress => return Ok(()),
                Applied::Blocked(interleave_machine::world::Wait::Join(p)) => self.wait_exit(p),
                Applied::Blocked(interleave_machine::world::Wait::ExitChildren(ps)) => self.wait_exit(ps[0]),
                Applied::Blocked(w) => return Err(format!("blocked at a process step on {w:?}")),
            }
        }
    }

    fn my_children(&self) -> Vec<(usize, nix::unistd::Pid)> {
        let w = &self.state.world;
        (0..w.procs.len())
            .filter(|&c| w.procs[c].parent == Some(self.me))
            .filter_map(|c| self.pids.get(c).copied().flatten().map(|p| (c, p)))
            .collect()
    }

    /// Exit statuses of children that ended, without reaping them (a
    /// zombie stays a zombie until the model reaps it).
    fn refresh_children(&mut self) {
        for (c, pid) in self.my_children() {
            if !self.state.world.procs[c].alive() {
                continue;
            }
            let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
            if let Some(code) = exit_code(waitid(Id::Pid(pid), flags)) {
                self.state.world.procs.part_mut(c).status = Status::Exited(code);
            }
        }
    }

    /// Blocks until child `c` has ended (without reaping it).
    fn wait_exit(&mut self, c: Pid) {
        let Some(Some(pid)) = self.pids.get(c as usize).copied() else { return };
        loop {
            match waitid(Id::Pid(pid), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT) {
                Err(nix::errno::Errno::EINTR) => continue,
                _ => return,
            }
        }
    }

    /// Forks the processes the step started: the child goes on as that
    /// process, in this same loop.
    fn start_children(&mut self, before: usize) -> Result<(), String> {
        for c in before..self.state.world.procs.len() {
            let _ = std::io::stdout().flush();
            // SAFETY: the child only runs this worker's code; threads of the
            // parent (feeders) are dropped without touching their state.
            match unsafe { fork() }.map_err(|e| format!("fork failed: {e}"))? {
                ForkResult::Child => {
                    self.become_child(c as Pid);
                    return Ok(());
                }
                ForkResult::Parent { child } => {
                    self.pids.resize(self.state.world.procs.len(), None);
                    self.really_reaped.resize(self.state.world.procs.len(), false);
                    self.pids[c] = Some(child);
                }
            }
        }
        Ok(())
    }

    fn become_child(&mut self, c: Pid) {
        self.me = c;
        self.feeders.forget_after_fork();
        self.store = Client::new(&self.dir);
        self.pids = vec![None; self.state.world.procs.len()];
        self.really_reaped = vec![false; self.state.world.procs.len()];
        if let Some((seed, rng)) = &mut self.jitter {
            *rng = StdRng::seed_from_u64(seed.wrapping_mul(1_000_003).wrapping_add(c as u64));
        }
    }

    /// Sends the signals the step asked for and reaps the children the
    /// model has reaped.
    fn signals_and_reaping(&mut self) {
        for (c, pid) in self.my_children() {
            let sig = self.state.world.procs[c].pending.and_then(|_| self.state.world.procs.part_mut(c).pending.take());
            if let Some(sig) = sig {
                let _ = kill(pid, if sig == -9 { Signal::SIGKILL } else { Signal::SIGTERM });
            }
            let meta = &self.state.world.procs[c];
            if meta.reaped && !meta.alive() && !self.really_reaped[c] {
                let _ = waitpid(pid, None);
                self.really_reaped[c] = true;
            }
        }
    }

    fn exit(&mut self, code: i64) -> ! {
        self.print_output();
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
        // SAFETY: ends this process; its feeders were flushed at the Flush
        // stage, its children joined by the model's exit stages.
        unsafe { libc::_exit(code as i32 & 0xff) }
    }
}

fn exit_code(s: nix::Result<WaitStatus>) -> Option<i64> {
    match s {
        Ok(WaitStatus::Exited(_, code)) => Some(code as i64),
        Ok(WaitStatus::Signaled(_, sig, _)) => Some(-(sig as i64)),
        _ => None,
    }
}
