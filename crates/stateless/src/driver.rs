//! One execution of a model under a threaded runtime.
//!
//! Every actor of the model (a process, a queue feeder of a process, the
//! delivery of a pending signal) is a thread of the runtime. Before a step
//! a thread takes one engine mutex per key of the step's footprint (each
//! shared object, the process table, each file), then applies its actor
//! with the same [`Machine::apply`] the explorer uses. So each step is a
//! scheduling point of the engine, and steps on different objects are
//! independent to loom's partial-order reduction. A blocked actor waits on
//! the condition variable of the key it waits for; the thread that finds
//! no actor able to move reports the deadlock itself, with who waits on
//! what.

use std::sync::{Arc, Mutex, MutexGuard};

use interleave_machine::footprint::Key;
use interleave_machine::interp::Ctx;
use interleave_machine::system::{Actor, Applied, State};
use interleave_machine::world::Object;
use interleave_machine::Machine;

use crate::collect::{Collector, Model};
use crate::runtime::Runtime;

/// Bounds of one execution.
#[derive(Clone, Copy, Debug)]
pub struct ExecLimits {
    /// Threads the runtime may spawn besides its main thread.
    pub max_spawned: usize,
    /// Steps after which an execution is abandoned (a livelock, or a very
    /// long run).
    pub max_steps: usize,
    /// Run every queue feeder and signal delivery on one shared "kernel"
    /// thread instead of a thread each (loom's thread cap is small). When
    /// two of them could move at once, only one order is then tried.
    pub shared_aux: bool,
}

#[derive(PartialEq, Eq)]
enum Status {
    Running,
    Done,
}

/// The program's state. loom and shuttle never see this lock: it is taken
/// only between their own operations, never across one, so it never
/// blocks (one engine thread runs at a time).
struct Inner {
    state: State,
    log: Vec<Actor>,
    /// Actors that have a thread.
    threads: Vec<Actor>,
    /// The shared thread of feeders and signals runs (with `shared_aux`).
    kernel: bool,
    status: Status,
    /// The actors that can move in `state`, recomputed after every step:
    /// every thread consults it instead of trying steps on copies.
    movable: Vec<Actor>,
}

impl Inner {
    fn refresh(&mut self, m: &Machine<'_>) {
        let s = &self.state;
        self.movable = m.actors(s).into_iter().filter(|a| m.can_move(s, *a)).collect();
    }

    fn can_move(&self, a: Actor) -> bool {
        self.movable.contains(&a)
    }

    fn aux_can_move(&self) -> bool {
        self.movable.iter().any(|a| !matches!(a, Actor::Proc(_)))
    }
}

/// The engine's mutex and condition variable standing for one key.
struct Slot<R: Runtime> {
    key: Key,
    lock: R::Mutex<()>,
    cv: R::Condvar,
}

struct Exec<R: Runtime> {
    model: Arc<Model>,
    sink: Arc<Mutex<Collector>>,
    limits: ExecLimits,
    data: Mutex<Inner>,
    slots: Mutex<Vec<Arc<Slot<R>>>>,
    /// Where the kernel thread waits for a feeder or signal to be able to move.
    kernel: Arc<Slot<R>>,
}

/// Runs one execution from the initial state; results go to `sink`.
pub fn execution<R: Runtime>(model: Arc<Model>, sink: Arc<Mutex<Collector>>, limits: ExecLimits) {
    let m = Machine::new(&model.program, &model.code);
    let state = match m.initial_state() {
        Ok(s) => s,
        Err(e) => return Collector::lock(&sink).model_error(e),
    };
    let mut inner = Inner {
        state,
        log: vec![],
        threads: vec![Actor::Proc(0)],
        kernel: false,
        status: Status::Running,
        movable: vec![],
    };
    inner.refresh(&m);
    let kernel = Arc::new(Slot { key: Key::Procs, lock: R::mutex(()), cv: R::condvar() });
    let data = Mutex::new(inner);
    let ex = Arc::new(Exec::<R> { model: model.clone(), sink, limits, data, slots: Mutex::new(vec![]), kernel });
    actor_loop(ex, Actor::Proc(0));
}

/// Whether an actor's thread has nothing left to do.
fn retired(s: &State, a: Actor) -> bool {
    let alive = |p: u32| s.world.procs.get(p as usize).is_some_and(|m| m.alive());
    match a {
        Actor::Proc(p) => !alive(p),
        Actor::Signal(p) => !alive(p) || s.world.procs[p as usize].pending.is_none(),
        Actor::Feeder(p, q) => match &*s.world.objects[q as usize] {
            Object::Queue(queue) => !alive(p) && queue.buffer_of(p).is_none_or(|b| b.is_empty()),
            _ => true,
        },
    }
}

/// What a thread does after looking at the state under `data`.
enum Next {
    Stop,
    /// Take these keys, then try the step.
    Take(Vec<Key>),
}

/// A thread of the execution: one actor, or the kernel (feeders and
/// signals, with `shared_aux`).
#[derive(Clone, Copy)]
enum Thread {
    Actor(Actor),
    Kernel,
}

fn spawn<R: Runtime>(ex: &Arc<Exec<R>>, t: Thread) {
    let ex = ex.clone();
    match t {
        Thread::Actor(a) => R::spawn(move || actor_loop(ex, a)),
        Thread::Kernel => R::spawn(move || kernel_loop(ex)),
    }
}

#[derive(PartialEq, Eq)]
enum Flow {
    Continue,
    /// The actor is done, or the execution is over.
    Stop,
    /// The actor is blocked (the kernel picks again instead of waiting).
    Blocked,
}

fn actor_loop<R: Runtime>(ex: Arc<Exec<R>>, actor: Actor) {
    let model = ex.model.clone();
    let m = Machine::new(&model.program, &model.code);
    while step_once(&ex, &m, actor, true) != Flow::Stop {}
}

fn kernel_loop<R: Runtime>(ex: Arc<Exec<R>>) {
    let model = ex.model.clone();
    let m = Machine::new(&model.program, &model.code);
    loop {
        match ex.next_aux(&m) {
            None => return,
            Some(Some(a)) => {
                if step_once(&ex, &m, a, false) == Flow::Stop && ex.is_done() {
                    return;
                }
            }
            Some(None) => {
                let g = R::lock(&ex.kernel.lock);
                if matches!(ex.next_aux(&m), Some(None)) {
                    drop(R::wait(&ex.kernel.cv, g));
                }
            }
        }
    }
}

/// Takes the keys of the actor's next step and tries it once.
fn step_once<R: Runtime>(ex: &Arc<Exec<R>>, m: &Machine<'_>, actor: Actor, may_wait: bool) -> Flow {
    let keys = match ex.plan(m, actor) {
        Next::Stop => return Flow::Stop,
        Next::Take(keys) => keys,
    };
    if keys.is_empty() {
        // a step that touches nothing shared still lets others run
        R::yield_now();
    }
    let slots: Vec<Arc<Slot<R>>> = keys.iter().map(|k| ex.slot(k)).collect();
    // the engine's scheduling points: one per key the step touches
    let mut guards: Vec<_> = slots.iter().map(|s| R::lock(&s.lock)).collect();
    match ex.attempt(m, actor, &keys) {
        Attempt::Retry => Flow::Continue,
        Attempt::Moved(fresh, wake, kick, exited) => {
            if wake {
                slots.iter().for_each(|s| R::notify_all(&s.cv));
            }
            drop(guards);
            if wake && exited && !keys.contains(&Key::Procs) {
                // a child that exits with its last operation (the exit
                // merge) changes the process table without having taken
                // it: wake who waits there too
                let slot = ex.slot(&Key::Procs);
                let g = R::lock(&slot.lock);
                R::notify_all(&slot.cv);
                drop(g);
            }
            if kick {
                let g = R::lock(&ex.kernel.lock);
                R::notify_all(&ex.kernel.cv);
                drop(g);
            }
            fresh.into_iter().for_each(|t| spawn(ex, t));
            Flow::Continue
        }
        Attempt::Gone => Flow::Stop,
        Attempt::Ended => {
            drop(guards);
            ex.wake_all();
            Flow::Stop
        }
        Attempt::Wait(_) if !may_wait => Flow::Blocked,
        Attempt::Wait(key) => {
            match slots.iter().position(|s| s.key == key) {
                Some(i) => {
                    let g = guards.swap_remove(i);
                    drop(guards);
                    drop(R::wait(&slots[i].cv, g));
                }
                None => {
                    drop(guards);
                    let slot = ex.slot(&key);
                    let g = R::lock(&slot.lock);
                    if ex.still_blocked(actor) {
                        drop(R::wait(&slot.cv, g));
                    }
                }
            }
            Flow::Continue
        }
    }
}

enum Attempt {
    /// The footprint changed since the keys were taken.
    Retry,
    /// The step ran; these threads are new; with `true` it enabled an
    /// actor that was blocked (so waiters must look again); and whether a
    /// feeder or signal became able to move (the kernel must look again);
    /// and whether a process exited in it.
    Moved(Vec<Thread>, bool, bool, bool),
    /// A signal that has nothing to deliver any more.
    Gone,
    /// The actor is blocked on this key.
    Wait(Key),
    /// The execution is over (finished, deadlocked, cut, or out of reach).
    Ended,
}

/// The other threads' actors that cannot move now. Waking threads only
/// when one of these becomes able to move keeps loom from exploring
/// useless wake-ups.
fn blocked_others(d: &Inner, me: Actor) -> Vec<Actor> {
    d.threads.iter().copied().filter(|a| *a != me && !d.can_move(*a)).collect()
}

impl<R: Runtime> Exec<R> {
    fn data(&self) -> MutexGuard<'_, Inner> {
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn slot(&self, key: &Key) -> Arc<Slot<R>> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = slots.iter().find(|s| s.key == *key) {
            return s.clone();
        }
        let s = Arc::new(Slot { key: key.clone(), lock: R::mutex(()), cv: R::condvar() });
        slots.push(s.clone());
        s
    }

    fn is_done(&self) -> bool {
        self.data().status == Status::Done
    }

    /// For the kernel: `None` when the execution is over, else the first
    /// feeder or signal that can move, if any.
    fn next_aux(&self, m: &Machine<'_>) -> Option<Option<Actor>> {
        let d = self.data();
        if d.status == Status::Done {
            return None;
        }
        Some(m.actors(&d.state).into_iter().find(|a| !matches!(a, Actor::Proc(_)) && d.can_move(*a)))
    }

    /// Wakes every waiting thread so that it sees the execution is over.
    fn wake_all(&self) {
        let mut slots: Vec<_> = self.slots.lock().unwrap_or_else(|p| p.into_inner()).clone();
        slots.push(self.kernel.clone());
        for s in slots {
            let g = R::lock(&s.lock);
            R::notify_all(&s.cv);
            drop(g);
        }
    }

    fn plan(&self, m: &Machine<'_>, actor: Actor) -> Next {
        let d = self.data();
        if d.status == Status::Done || retired(&d.state, actor) {
            return Next::Stop;
        }
        Next::Take(m.footprint(&d.state, actor))
    }

    fn still_blocked(&self, actor: Actor) -> bool {
        let d = self.data();
        d.status == Status::Running && !d.can_move(actor)
    }

    fn end(&self, d: &mut Inner) -> Attempt {
        d.status = Status::Done;
        Attempt::Ended
    }

    /// Tries the step while holding the keys of its footprint.
    fn attempt(&self, m: &Machine<'_>, actor: Actor, keys: &[Key]) -> Attempt {
        let mut d = self.data();
        if d.status == Status::Done || retired(&d.state, actor) {
            return Attempt::Ended;
        }
        if m.footprint(&d.state, actor).iter().any(|k| !keys.contains(k)) {
            return Attempt::Retry;
        }
        let blocked = blocked_others(&d, actor);
        let aux_before = self.limits.shared_aux && d.aux_can_move();
        let mut ctx = Ctx::default();
        let alive = |d: &Inner| d.state.world.procs.iter().filter(|p| p.alive()).count();
        let alive_before = alive(&d);
        match m.apply(&mut d.state, actor, &mut ctx) {
            Err(e) => {
                Collector::lock(&self.sink).model_error(e);
                self.end(&mut d)
            }
            Ok(Applied::Blocked(_)) if matches!(actor, Actor::Signal(_)) => Attempt::Gone,
            Ok(Applied::Blocked(w)) => {
                if !d.movable.is_empty() {
                    return Attempt::Wait(Key::of_wait(&w));
                }
                Collector::lock(&self.sink).deadlock(m, &d.log);
                self.end(&mut d)
            }
            Ok(Applied::Progress) => {
                d.log.push(actor);
                d.refresh(m);
                let wake = blocked.iter().any(|a| d.can_move(*a));
                let kick = self.limits.shared_aux && !aux_before && d.aux_can_move();
                let exited = alive(&d) < alive_before;
                match self.after_step(m, &mut d, ctx) {
                    Attempt::Moved(fresh, ..) => Attempt::Moved(fresh, wake, kick, exited),
                    other => other,
                }
            }
        }
    }

    fn after_step(&self, m: &Machine<'_>, d: &mut Inner, ctx: Ctx) -> Attempt {
        {
            let mut sink = Collector::lock(&self.sink);
            for ev in ctx.events {
                sink.event(m, &d.log, ev);
            }
        }
        if m.finished(&d.state) {
            Collector::lock(&self.sink).outcome(m.outcome(&d.state));
            return self.end(d);
        }
        if d.movable.is_empty() {
            // the step led into a deadlock: nobody else will try again
            Collector::lock(&self.sink).deadlock(m, &d.log);
            return self.end(d);
        }
        if d.log.len() >= self.limits.max_steps {
            Collector::lock(&self.sink).step_limit(self.limits.max_steps);
            return self.end(d);
        }
        let mut fresh: Vec<Thread> = new_actors(d)
            .into_iter()
            .filter(|a| !self.limits.shared_aux || matches!(a, Actor::Proc(_)))
            .map(Thread::Actor)
            .collect();
        if self.limits.shared_aux && !d.kernel && has_aux(&d.state) {
            fresh.push(Thread::Kernel);
        }
        let running = d.threads.len() + usize::from(d.kernel);
        if running + fresh.len() > self.limits.max_spawned.saturating_add(1) {
            let needed = running + fresh.len();
            Collector::lock(&self.sink).out_of_reach(needed, self.limits.max_spawned.saturating_add(1));
            return self.end(d);
        }
        for t in &fresh {
            match t {
                Thread::Actor(a) => d.threads.push(*a),
                Thread::Kernel => d.kernel = true,
            }
        }
        Attempt::Moved(fresh, false, false, false)
    }
}

/// Whether any feeder has items to write or any signal is pending.
fn has_aux(s: &State) -> bool {
    s.world.procs.iter().any(|p| p.alive() && p.pending.is_some())
        || s.world.objects.iter().any(|o| matches!(&**o, Object::Queue(q) if !q.buffers.is_empty()))
}

/// Processes, feeders and pending signals that have no thread yet.
fn new_actors(g: &Inner) -> Vec<Actor> {
    let s = &g.state;
    let mut out = vec![];
    for (p, meta) in s.world.procs.iter().enumerate() {
        let p = p as u32;
        if meta.alive() {
            out.push(Actor::Proc(p));
            if meta.pending.is_some() {
                out.push(Actor::Signal(p));
            }
        }
    }
    for (q, o) in s.world.objects.iter().enumerate() {
        if let Object::Queue(queue) = &**o {
            out.extend(queue.buffers.iter().map(|(p, _)| Actor::Feeder(*p, q as u32)));
        }
    }
    out.retain(|a| !g.threads.contains(a));
    out
}
