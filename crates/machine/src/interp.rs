//! The step interpreter: runs one process against the [`World`].
//!
//! A *step* performs one visible operation (on a shared object, a process,
//! a file, or `time.sleep`) and then the local work up to the next visible
//! operation, where the process stops. So every stored state has each
//! process right before a visible operation, and local work never becomes
//! a scheduling point.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::code::{Compiled, MODULE};
use crate::ir::{ExcType, Program, Span};
use crate::value::{Exception, OpError, Pid, Value};
use crate::world::{Loc, Poll, Status, TrackOp, Wait, World};
use crate::ModelError;

/// Instructions a process may run between two visible operations before
/// the model is rejected as spinning without a scheduling point.
pub const LOCAL_BUDGET: u32 = 200_000;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Frame {
    pub func: u32,
    pub pc: u32,
    pub locals: Vec<Value>,
    pub stack: Vec<Value>,
    /// Active `SetupExcept` blocks: handler pc and stack depth.
    pub blocks: Vec<(u32, u32)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FileHandle {
    pub path: Arc<str>,
    pub writable: bool,
    pub append: bool,
    pub pos: u32,
    /// Text written and not yet flushed (it lands at close or flush).
    pub buf: String,
    pub closed: bool,
}

/// The stages a process goes through after its code ends (CPython's
/// `multiprocessing.util._exit_function`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExitStage {
    /// Send SIGTERM to daemon children.
    Daemons,
    /// Join every child.
    Children,
    /// Wait for its queue feeders to flush, then exit.
    Flush,
}

/// The private part of a process: where it is and what it holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Proc {
    pub frames: Vec<Frame>,
    pub globals: Vec<Value>,
    pub files: Vec<FileHandle>,
    /// Standard output (kept for the main process only).
    pub output: String,
    pub exit: Option<ExitStage>,
    pub exit_code: i64,
    /// Processes and managers created so far (names the next one).
    pub counter: u32,
    /// It started a process: only then can the process table hold a child
    /// of it. Finding its children reads every entry of the table, so a
    /// process that never started one does not look (an exit would
    /// otherwise read every other process's entry, and a step remembered
    /// by what it read would be learned again for each of their states).
    pub started: Started,
}

impl Proc {
    /// The children of this process, process `me` of `w`: none, and the
    /// process table not read, when it never started one (see
    /// [`Proc::started`]).
    fn children(&self, w: &World, me: Pid) -> Vec<Pid> {
        if self.started.0 {
            w.children(me).collect()
        } else {
            vec![]
        }
    }
}

/// Whether a process started another (see [`Proc::started`]). It hashes
/// nothing while false: symmetry orders interchangeable children by their
/// hash, and as most processes never start one, the flag leaves that order,
/// and the shortest traces it picks, as they were without it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Started(pub bool);

impl Hash for Started {
    fn hash<H: Hasher>(&self, h: &mut H) {
        if self.0 {
            true.hash(h);
        }
    }
}

/// Something an engine must know about a step.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// `writer` overwrote another process's write to `loc` without seeing
    /// it, after reading `loc` before (the trace names that write).
    LostUpdate { loc: Loc, writer: Pid },
    /// `parent` slept while its exited child was not reaped.
    Zombie { child: Pid, parent: Pid },
    /// `child` still ran when its parent was killed.
    Orphan { child: Pid, parent: Pid },
    /// An exception nobody caught ended the process.
    Uncaught { pid: Pid, exc: Exception, line: u32 },
}

impl Event {
    /// The same event with its processes renamed (`to[p]` for `p`).
    pub fn with_pids(&self, to: &[Pid]) -> Event {
        let m = |p: &Pid| to.get(*p as usize).copied().unwrap_or(*p);
        match self {
            Event::LostUpdate { loc, writer } => Event::LostUpdate { loc: loc.clone(), writer: m(writer) },
            Event::Zombie { child, parent } => Event::Zombie { child: m(child), parent: m(parent) },
            Event::Orphan { child, parent } => Event::Orphan { child: m(child), parent: m(parent) },
            Event::Uncaught { pid, exc, line } => Event::Uncaught { pid: m(pid), exc: exc.clone(), line: *line },
        }
    }
}

/// Collects what a step did. `effects` is only filled when tracing.
#[derive(Debug, Default)]
pub struct Ctx {
    pub events: Vec<Event>,
    pub spawned: Vec<(Pid, Proc)>,
    pub tracing: bool,
    pub effects: Vec<String>,
    /// Line of the visible operation the step performed.
    pub line: u32,
    /// Reads (`false`) and writes (`true`) of tracked locations, by process;
    /// only filled when tracing.
    pub accesses: Vec<(Pid, Loc, bool)>,
    /// The step's changes to the lost-update bookkeeping, in order; only
    /// kept when `Some` (see [`crate::world::redo_track`]).
    pub track_ops: Option<Vec<TrackOp>>,
}

impl Ctx {
    pub fn tracing() -> Ctx {
        Ctx { tracing: true, ..Ctx::default() }
    }

    pub fn effect(&mut self, f: impl FnOnce() -> String) {
        if self.tracing {
            self.effects.push(f());
        }
    }

    /// A step that keeps its changes to the bookkeeping.
    pub fn keeping_track_ops() -> Ctx {
        Ctx { track_ops: Some(vec![]), ..Ctx::default() }
    }

    fn track_op(&mut self, op: impl FnOnce(&[Event]) -> TrackOp) {
        if let Some(ops) = &mut self.track_ops {
            ops.push(op(&self.events));
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepResult {
    Progress,
    Blocked(Wait),
}

/// How a run of instructions ended.
enum Stop {
    /// Right before a visible operation.
    Visible,
    Blocked(Wait),
    /// The code returned from its outermost frame.
    Done,
}

#[derive(Clone, Copy)]
pub struct Machine<'p> {
    pub program: &'p Program,
    pub code: &'p Compiled,
    /// Clear the variables a process will never read again after each of
    /// its steps (see [`crate::liveness`]); on by default.
    pub dead_reset: bool,
    /// A child whose code has ended exits in that same step when it has
    /// nothing to flush, and counts as reaped at once. On only when the
    /// program cannot tell the difference ([`Compiled::exit_unobservable`]): it never
    /// asks whether a process is alive or how it ended, never signals one,
    /// no parent sleeps (zombie warnings), and only main starts processes.
    pub exit_merge: bool,
    /// Children started from one function are interchangeable: the
    /// explorer stores one state for all that differ only in which is
    /// which ([`crate::canon`]), and a value that can only reach a child's
    /// output is dropped (see [`crate::symmetry`]). Off by default: a real
    /// run prints what a child prints. On only where
    /// [`crate::symmetry::analyse`] allows it, and with the exit merge.
    pub symmetry: bool,
    /// Take a child's unnoticeable tail steps alone, where the program
    /// allows it ([`crate::por`]). Off by default.
    pub por: bool,
}

pub(crate) struct Run<'a, 'p> {
    pub m: &'a Machine<'p>,
    pub w: &'a mut World,
    pub me: Pid,
    pub p: &'a mut Proc,
    pub ctx: &'a mut Ctx,
    /// Whether the visible operation of this step has been performed.
    pub spent: bool,
}

impl<'p> Machine<'p> {
    pub fn new(program: &'p Program, code: &'p Compiled) -> Machine<'p> {
        Machine { program, code, dead_reset: true, exit_merge: code.exit_unobservable, symmetry: false, por: false }
    }

    pub fn with_dead_reset(self, on: bool) -> Machine<'p> {
        Machine { dead_reset: on, ..self }
    }

    /// Turns the exit merge off (it is on when the program cannot observe
    /// it); it can never be turned on where the program could.
    pub fn with_exit_merge(self, on: bool) -> Machine<'p> {
        let exit_merge = on && self.code.exit_unobservable;
        Machine { exit_merge, symmetry: self.symmetry && exit_merge, ..self }
    }

    /// Turns symmetry on where the program allows it (and the exit merge
    /// is on), or off.
    pub fn with_symmetry(self, on: bool) -> Machine<'p> {
        Machine { symmetry: on && self.exit_merge && self.code.sym.eligible, ..self }
    }

    /// Turns the partial-order reduction on where the program allows it
    /// (see [`crate::por`]), or off.
    pub fn with_por(self, on: bool) -> Machine<'p> {
        Machine { por: on && self.code.por.eligible, ..self }
    }

    /// The initial state: the main process before its first visible step.
    pub fn initial(&self) -> Result<(World, Proc), ModelError> {
        let mut w = World::default();
        w.procs.push(crate::world::ProcMeta {
            name: Arc::from("MainProcess"),
            parent: None,
            daemon: false,
            status: Status::Running,
            pending: None,
            reaped: false,
            handle: None,
            identity: Arc::from(""),
        });
        let mut p = Proc {
            frames: vec![self.frame(MODULE, vec![])],
            globals: vec![Value::None; self.code.nglobals as usize],
            ..Proc::default()
        };
        self.settle(&mut w, 0, &mut p, &mut Ctx::default())?;
        Ok((w, p))
    }

    pub fn frame(&self, func: u32, args: Vec<Value>) -> Frame {
        let code = self.code.code(func);
        let mut locals = args;
        locals.resize(code.nlocals as usize, Value::None);
        Frame { func, pc: 0, locals, stack: vec![], blocks: vec![] }
    }

    /// One step of process `me`: its next visible operation and the local
    /// work after it. On `Blocked` nothing has changed.
    pub fn step(&self, w: &mut World, me: Pid, p: &mut Proc, ctx: &mut Ctx) -> Result<StepResult, ModelError> {
        let mut run = Run { m: self, w, me, p, ctx, spent: false };
        if let Some(stage) = run.p.exit {
            if let Poll::Blocked(wait) = run.exit_step(stage) {
                return Ok(StepResult::Blocked(wait));
            }
        } else if let Stop::Blocked(wait) = run.run()? {
            return Ok(StepResult::Blocked(wait));
        }
        run.spent = true;
        run.finish()?;
        Ok(StepResult::Progress)
    }

    /// Runs local work only, up to the first visible operation.
    pub fn settle(&self, w: &mut World, me: Pid, p: &mut Proc, ctx: &mut Ctx) -> Result<(), ModelError> {
        let mut run = Run { m: self, w, me, p, ctx, spent: true };
        run.finish()
    }

    /// Delivers a pending signal: the process dies at once. Its locks stay
    /// held, its unflushed queue items are lost, its children are orphans.
    pub fn deliver_signal(&self, w: &mut World, me: Pid, p: &mut Proc, ctx: &mut Ctx) {
        let sig = w.procs.part_mut(me as usize).pending.take().unwrap_or(-15);
        for child in p.children(w, me) {
            if w.procs[child as usize].alive() {
                ctx.events.push(Event::Orphan { child, parent: me });
            }
        }
        crate::shared::drop_feeders(w, me);
        w.procs.part_mut(me as usize).status = Status::Exited(sig);
        w.forget_reads(me);
        ctx.track_op(|_| TrackOp::Forget(me));
        ctx.effect(|| format!("killed by signal {}: exit code {sig}", -sig));
        *p = Proc { exit_code: sig, ..Proc::default() };
    }
}

impl Run<'_, '_> {
    /// After the visible operation: local work until the next one, then the
    /// exit stages that need no scheduling point.
    fn finish(&mut self) -> Result<(), ModelError> {
        if self.p.exit.is_none() && !self.p.frames.is_empty() {
            self.spent = true;
            if let Stop::Blocked(_) = self.run()? {
                unreachable!("local work never blocks");
            }
        }
        self.advance_exit();
        if self.m.dead_reset {
            self.reset_dead();
        }
        Ok(())
    }

    /// Clears every variable of this process that no path reads again.
    fn reset_dead(&mut self) {
        let (live, symmetry) = (&self.m.code.live, self.m.symmetry);
        for f in &mut self.p.frames {
            for (i, v) in f.locals.iter_mut().enumerate() {
                if !matches!(v, Value::None) && !live.keep_local(f.func, f.pc, &f.blocks, i as u32, v, symmetry) {
                    *v = Value::None;
                }
            }
        }
        let module = self.p.frames.first().filter(|f| f.func == MODULE).map(|f| (f.pc, &f.blocks[..]));
        for (i, v) in self.p.globals.iter_mut().enumerate() {
            if !matches!(v, Value::None) && !live.global_live(module, i as u32) {
                *v = Value::None;
            }
        }
    }

    pub fn frame(&mut self) -> &mut Frame {
        self.p.frames.last_mut().expect("a running process has a frame")
    }

    pub fn push(&mut self, v: Value) {
        self.frame().stack.push(v);
    }

    pub fn pop(&mut self) -> Value {
        self.frame().stack.pop().expect("stack underflow")
    }

    pub fn pop_n(&mut self, n: usize) -> Vec<Value> {
        let st = &mut self.frame().stack;
        st.split_off(st.len() - n)
    }

    pub fn peek(&self, depth: usize) -> &Value {
        let st = &self.p.frames.last().expect("frame").stack;
        &st[st.len() - 1 - depth]
    }

    pub fn line(&self) -> u32 {
        let f = self.p.frames.last().expect("frame");
        let code = self.m.code.code(f.func);
        code.lines.get(f.pc as usize).copied().unwrap_or(0)
    }

    pub fn span(&self) -> Span {
        Span { line: self.line(), col: 1, ..Span::default() }
    }

    pub fn model_error(&self, msg: impl Into<String>) -> ModelError {
        ModelError::new(self.span(), &msg.into())
    }

    /// Runs instructions until the next visible operation (performing at
    /// most one, when `spent` is false), a block, or the end of the code.
    fn run(&mut self) -> Result<Stop, ModelError> {
        let mut budget = LOCAL_BUDGET;
        loop {
            if self.p.frames.is_empty() {
                return Ok(Stop::Done);
            }
            budget -= 1;
            if budget == 0 {
                return Err(self.model_error(format!(
                    "{} ran {LOCAL_BUDGET} instructions without a visible operation; \
                     an endless loop needs a time.sleep() or a shared operation in its body",
                    self.w.procs[self.me as usize].name
                )));
            }
            let f = self.p.frames.last().expect("frame");
            let instr = self.m.code.code(f.func).instrs[f.pc as usize].clone();
            if self.is_visible(&instr) {
                if self.spent {
                    return Ok(Stop::Visible);
                }
                self.spent = true;
                self.ctx.line = self.line();
            }
            match self.exec(&instr) {
                Ok(Poll::Done(())) => {}
                Ok(Poll::Again) => return Ok(Stop::Visible),
                Ok(Poll::Blocked(w)) => return Ok(Stop::Blocked(w)),
                Err(OpError::Raise(ty, msg)) => {
                    let code = if ty == ExcType::SystemExit { msg.parse().unwrap_or(1) } else { 1 };
                    let exc = Exception { ty, msg: Arc::from(msg.as_str()), code };
                    self.raise(exc)?;
                }
                Err(OpError::Unsupported(msg)) => return Err(self.model_error(msg)),
            }
        }
    }

    /// Unwinds to the innermost handler; with none left the process ends.
    pub fn raise(&mut self, exc: Exception) -> Result<(), ModelError> {
        let line = self.line();
        while let Some(f) = self.p.frames.last_mut() {
            if let Some((handler, depth)) = f.blocks.pop() {
                f.stack.truncate(depth as usize);
                f.stack.push(Value::Exc(Arc::new(exc)));
                f.pc = handler;
                return Ok(());
            }
            self.p.frames.pop();
        }
        self.uncaught(exc, line);
        Ok(())
    }

    fn uncaught(&mut self, exc: Exception, line: u32) {
        self.p.exit_code = if exc.ty == ExcType::SystemExit { exc.code } else { 1 };
        let name: Arc<str> = if self.me == 0 { Arc::from("main") } else { self.w.procs[self.me as usize].name.clone() };
        if exc.ty != ExcType::SystemExit {
            self.ctx.effect(|| format!("{name} dies: {}: {}", exc.ty.name(), exc.msg));
            self.ctx.events.push(Event::Uncaught { pid: self.me, exc, line });
        }
        self.p.exit = Some(ExitStage::Daemons);
    }

    /// The code has returned: start the exit stages.
    pub fn code_done(&mut self) {
        self.p.exit_code = 0;
        self.p.exit = Some(ExitStage::Daemons);
    }

    /// Skips exit stages that have nothing to do.
    fn advance_exit(&mut self) {
        loop {
            match self.p.exit {
                Some(ExitStage::Daemons) if self.daemons_to_kill().is_empty() => {
                    self.p.exit = Some(ExitStage::Children)
                }
                Some(ExitStage::Children) if self.running_children().is_empty() => {
                    self.reap_children();
                    self.p.exit = Some(ExitStage::Flush);
                }
                Some(ExitStage::Flush)
                    if self.m.exit_merge
                        && self.me != 0
                        && crate::shared::unflushed_queue(self.w, self.me).is_none() =>
                {
                    // nobody can tell this exit from one a step later
                    // (see `Machine::exit_merge`): it ends this step
                    let _ = self.exit_step(ExitStage::Flush);
                    self.w.reap(self.me);
                    return;
                }
                _ => return,
            }
        }
    }

    /// This process's children (see [`Proc::children`]).
    pub(crate) fn children(&self) -> Vec<Pid> {
        self.p.children(self.w, self.me)
    }

    fn daemons_to_kill(&self) -> Vec<Pid> {
        let w = &*self.w;
        self.children()
            .into_iter()
            .filter(|c| {
                let m = &w.procs[*c as usize];
                m.daemon && m.alive() && m.pending.is_none()
            })
            .collect()
    }

    fn running_children(&self) -> Vec<Pid> {
        self.children().into_iter().filter(|c| self.w.procs[*c as usize].alive()).collect()
    }

    pub fn reap_children(&mut self) {
        for c in self.children() {
            self.w.reap(c);
        }
    }

    fn exit_step(&mut self, stage: ExitStage) -> Poll<()> {
        match stage {
            ExitStage::Daemons => {
                let ds = self.daemons_to_kill();
                for d in &ds {
                    self.w.procs.part_mut(*d as usize).pending = Some(-15);
                }
                let names: Vec<_> = ds.iter().map(|d| self.w.procs[*d as usize].name.to_string()).collect();
                self.ctx.effect(|| format!("at exit: terminate daemon {}", names.join(", ")));
                self.p.exit = Some(ExitStage::Children);
                Poll::Done(())
            }
            ExitStage::Children => {
                let running = self.running_children();
                if running.is_empty() {
                    self.reap_children();
                    self.p.exit = Some(ExitStage::Flush);
                    Poll::Done(())
                } else {
                    Poll::Blocked(Wait::ExitChildren(running))
                }
            }
            ExitStage::Flush => {
                if let Some(q) = crate::shared::unflushed_queue(self.w, self.me) {
                    return Poll::Blocked(Wait::ExitFlush(q));
                }
                let code = self.p.exit_code;
                self.w.procs.part_mut(self.me as usize).status = Status::Exited(code);
                self.w.forget_reads(self.me);
                let me = self.me;
                self.ctx.track_op(|_| TrackOp::Forget(me));
                self.ctx.effect(|| format!("exits with code {code}"));
                let keep_output = std::mem::take(&mut self.p.output);
                *self.p = Proc { exit_code: code, exit: None, output: keep_output, ..Proc::default() };
                Poll::Done(())
            }
        }
    }

    pub fn read(&mut self, loc: Loc) {
        if self.ctx.tracing {
            self.ctx.accesses.push((self.me, loc.clone(), false));
        }
        let me = self.me;
        self.ctx.track_op(|_| TrackOp::Read(me, loc.clone()));
        self.w.track_read(self.me, loc);
    }

    pub fn write(&mut self, loc: Loc) {
        if self.ctx.tracing {
            self.ctx.accesses.push((self.me, loc.clone(), true));
        }
        let me = self.me;
        self.ctx.track_op(|events| {
            let others = events.iter().filter(|e| !matches!(e, Event::LostUpdate { .. })).count();
            TrackOp::Write(me, loc.clone(), others as u32)
        });
        if self.w.track_write(self.me, &loc) {
            self.ctx.events.push(Event::LostUpdate { loc, writer: self.me });
        }
    }
}
