//! The whole program as a transition system: states, actors, steps.

use crate::shared_ptr::{Parts, Shared};
use std::fmt;

use crate::interp::{Ctx, Machine, Proc, StepResult};
use crate::value::{ObjId, Pid};
use crate::world::{Object, Status, Wait, World};
use crate::ModelError;

/// The whole program at a scheduling point. A step changes one process,
/// so the others are shared with the state it came from (`Arc`): a stored
/// state costs little more than the process that moved and the world.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct State {
    pub world: World,
    pub procs: Parts<Proc>,
}

/// Who moves in a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Actor {
    /// A process runs its next visible operation.
    Proc(Pid),
    /// A process's queue feeder thread writes one item into the pipe.
    Feeder(Pid, ObjId),
    /// A pending SIGTERM/SIGKILL reaches the process.
    Signal(Pid),
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Proc(p) => write!(f, "{p}"),
            Actor::Feeder(p, q) => write!(f, "f{p}:{q}"),
            Actor::Signal(p) => write!(f, "k{p}"),
        }
    }
}

impl std::str::FromStr for Actor {
    type Err = String;

    fn from_str(s: &str) -> Result<Actor, String> {
        let bad = || format!("'{s}' is not a step (expected N, fN:Q or kN)");
        let num = |t: &str| t.parse::<u32>().map_err(|_| bad());
        if let Some(rest) = s.strip_prefix('f') {
            let (p, q) = rest.split_once(':').ok_or_else(bad)?;
            Ok(Actor::Feeder(num(p)?, num(q)?))
        } else if let Some(rest) = s.strip_prefix('k') {
            Ok(Actor::Signal(num(rest)?))
        } else {
            Ok(Actor::Proc(num(s)?))
        }
    }
}

/// A schedule as a replay token: actors joined by '.'.
pub fn token(actors: &[Actor]) -> String {
    actors.iter().map(Actor::to_string).collect::<Vec<_>>().join(".")
}

pub fn parse_token(t: &str) -> Result<Vec<Actor>, String> {
    if t.trim().is_empty() {
        return Ok(vec![]);
    }
    t.trim().split('.').map(str::parse).collect()
}

/// What applying an actor did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    Progress,
    Blocked(Wait),
}

/// What a finished run shows: main's printed lines and its exit status.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Outcome {
    pub main_output: Vec<String>,
    pub exit: i64,
}

impl Machine<'_> {
    pub fn initial_state(&self) -> Result<State, ModelError> {
        let (world, main) = self.initial()?;
        Ok(State { world, procs: Shared::new(vec![Shared::new(main)]) })
    }

    /// Actors that may be able to move, in a fixed order. A process among
    /// them may still turn out blocked when applied.
    pub fn actors(&self, s: &State) -> Vec<Actor> {
        self.world_actors(&s.world)
    }

    /// [`Machine::actors`]: they depend on the world's process table and
    /// objects only.
    pub fn world_actors(&self, w: &World) -> Vec<Actor> {
        let mut out = Vec::new();
        for (pid, m) in w.procs.iter().enumerate() {
            let pid = pid as Pid;
            if m.alive() {
                out.push(Actor::Proc(pid));
                if m.pending.is_some() {
                    out.push(Actor::Signal(pid));
                }
            }
        }
        for (qid, o) in w.objects.iter().enumerate() {
            if let Object::Queue(q) = &**o {
                for (p, _) in &q.buffers {
                    if q.feeder_enabled(*p) {
                        out.push(Actor::Feeder(*p, qid as ObjId));
                    }
                }
            }
        }
        out
    }

    /// Applies one actor. On `Blocked` the state is unchanged.
    pub fn apply(&self, s: &mut State, a: Actor, ctx: &mut Ctx) -> Result<Applied, ModelError> {
        match a {
            Actor::Proc(pid) => {
                let State { world, procs } = s;
                if !world.procs.get(pid as usize).is_some_and(|m| m.alive()) {
                    return Ok(Applied::Blocked(Wait::Join(pid)));
                }
                let mut me = Proc::clone(&procs[pid as usize]);
                if let StepResult::Blocked(w) = self.step(world, pid, &mut me, ctx)? {
                    return Ok(Applied::Blocked(w));
                }
                let procs = procs.make_mut();
                procs[pid as usize] = Shared::new(me);
                for (child, mut proc) in std::mem::take(&mut ctx.spawned) {
                    debug_assert_eq!(child as usize, procs.len());
                    self.settle(world, child, &mut proc, ctx)?;
                    procs.push(Shared::new(proc));
                }
            }
            Actor::Feeder(pid, q) => {
                let ready = matches!(s.world.objects.get(q as usize).map(|o| &**o), Some(Object::Queue(queue)) if queue.feeder_enabled(pid));
                let fed = if ready { crate::shared::feed(&mut s.world, pid, q) } else { None };
                let Some(v) = fed else {
                    return Ok(Applied::Blocked(Wait::ExitFlush(q)));
                };
                ctx.effect(|| format!("feeder writes {} into the pipe", crate::value::repr(&v)));
            }
            Actor::Signal(pid) => {
                if !s.world.procs.get(pid as usize).is_some_and(|m| m.alive() && m.pending.is_some()) {
                    return Ok(Applied::Blocked(Wait::Join(pid)));
                }
                self.deliver_signal(&mut s.world, pid, s.procs.part_mut(pid as usize), ctx);
            }
        }
        Ok(Applied::Progress)
    }

    /// Whether `a` would make progress if applied now, without changing
    /// `s`. Cheaper than applying to a clone of the whole state: only the
    /// world and the one process are copied, and children a step would
    /// start are not set up.
    pub fn can_move(&self, s: &State, a: Actor) -> bool {
        match a {
            Actor::Proc(pid) => {
                let Some(proc) = s.procs.get(pid as usize) else { return false };
                if !s.world.procs.get(pid as usize).is_some_and(|m| m.alive()) {
                    return false;
                }
                let (mut world, mut proc) = (s.world.clone(), Proc::clone(proc));
                // a model error counts as moving: applying it reports the error
                !matches!(self.step(&mut world, pid, &mut proc, &mut Ctx::default()), Ok(StepResult::Blocked(_)))
            }
            Actor::Feeder(pid, q) => {
                matches!(s.world.objects.get(q as usize).map(|o| &**o), Some(Object::Queue(queue)) if queue.feeder_enabled(pid))
            }
            Actor::Signal(pid) => s.world.procs.get(pid as usize).is_some_and(|m| m.alive() && m.pending.is_some()),
        }
    }

    /// The program has finished: its main process has exited.
    pub fn finished(&self, s: &State) -> bool {
        self.world_finished(&s.world)
    }

    /// [`Machine::finished`]: it depends on the process table only.
    pub fn world_finished(&self, w: &World) -> bool {
        !w.procs[0].alive()
    }

    pub fn outcome(&self, s: &State) -> Outcome {
        let exit = match s.world.procs[0].status {
            Status::Exited(c) => c,
            Status::Running => -1,
        };
        let main_output = s.procs[0].output.lines().map(str::to_string).collect();
        Outcome { main_output, exit }
    }
}
