//! Traces: a schedule replayed step by step with what each step did.

use serde::{Deserialize, Serialize};

use crate::interp::{Ctx, Event, Machine};
use crate::system::{Actor, Applied, State};
use crate::value::Pid;
use crate::world::Loc;

/// One step of an interleaving, as a person reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceStep {
    pub process: String,
    /// Source line of the operation (0 for steps with no line: exit
    /// stages, feeder threads).
    pub line: u32,
    pub op: String,
    pub effect: String,
}

/// A schedule replayed: its steps, the events of each step, the end state.
pub struct Replayed {
    pub steps: Vec<TraceStep>,
    pub events: Vec<(usize, Event)>,
    /// Tracked reads and writes: step, process, location, is-write.
    pub accesses: Vec<(usize, Pid, Loc, bool)>,
    pub state: State,
}

/// Why a schedule could not be replayed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplayError {
    /// Step `at` names an actor that cannot move there.
    NotEnabled {
        at: usize,
        actor: Actor,
    },
    Model(crate::ModelError),
}

impl std::fmt::Display for ReplayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplayError::NotEnabled { at, actor } => write!(
                f,
                "step {} ('{actor}') cannot happen there: the token does not belong to this model or the model changed",
                at + 1
            ),
            ReplayError::Model(e) => write!(f, "{e}"),
        }
    }
}

impl Machine<'_> {
    /// Source text of a line, trimmed.
    pub fn line_text(&self, line: u32) -> String {
        if line == 0 {
            return String::new();
        }
        self.program.source.lines().nth(line as usize - 1).unwrap_or("").trim().to_string()
    }

    pub fn proc_display_name(&self, s: &State, p: Pid) -> String {
        let n = &s.world.procs[p as usize].name;
        if p == 0 {
            "main".to_string()
        } else {
            n.to_string()
        }
    }

    /// The line a process stands at (its next visible operation).
    pub fn current_line(&self, s: &State, p: Pid) -> u32 {
        self.proc_line(&s.procs[p as usize])
    }

    /// The line a process with private part `p` stands at.
    pub fn proc_line(&self, p: &crate::interp::Proc) -> u32 {
        let Some(f) = p.frames.last() else { return 0 };
        self.code.code(f.func).lines.get(f.pc as usize).copied().unwrap_or(0)
    }

    /// Applies one actor with tracing on and describes the step.
    pub fn traced_step(&self, s: &mut State, a: Actor) -> Result<(TraceStep, Ctx), ReplayError> {
        let at_line = match a {
            Actor::Proc(p) | Actor::Signal(p) if (p as usize) < s.procs.len() => self.current_line(s, p),
            _ => 0,
        };
        let pid = match a {
            Actor::Proc(p) | Actor::Signal(p) | Actor::Feeder(p, _) => p,
        };
        if pid as usize >= s.procs.len() {
            return Err(ReplayError::NotEnabled { at: 0, actor: a });
        }
        let name = self.proc_display_name(s, pid);
        let mut ctx = Ctx::tracing();
        match self.apply(s, a, &mut ctx).map_err(ReplayError::Model)? {
            Applied::Blocked(_) => return Err(ReplayError::NotEnabled { at: 0, actor: a }),
            Applied::Progress => {}
        }
        let (process, line, op) = match a {
            Actor::Proc(_) if ctx.line == 0 && at_line == 0 => (name, 0, "(exit)".to_string()),
            Actor::Proc(_) => {
                let line = if ctx.line != 0 { ctx.line } else { at_line };
                (name, line, self.line_text(line))
            }
            Actor::Feeder(..) => (format!("{name} (feeder)"), 0, "(queue feeder thread)".to_string()),
            Actor::Signal(_) => (name, at_line, "(signal arrives)".to_string()),
        };
        let effect = ctx.effects.join("; ");
        Ok((TraceStep { process, line, op, effect }, ctx))
    }

    /// Replays a schedule from the initial state.
    pub fn replay(&self, actors: &[Actor]) -> Result<Replayed, ReplayError> {
        self.replay_observed(actors, |_| {})
    }

    /// [`Machine::replay`], showing `observe` the initial state and the
    /// state after every step.
    pub fn replay_observed(&self, actors: &[Actor], mut observe: impl FnMut(&State)) -> Result<Replayed, ReplayError> {
        let mut state = self.initial_state().map_err(ReplayError::Model)?;
        observe(&state);
        let mut steps = Vec::with_capacity(actors.len());
        let (mut events, mut accesses) = (vec![], vec![]);
        for (i, a) in actors.iter().enumerate() {
            let (step, ctx) = self.traced_step(&mut state, *a).map_err(|e| match e {
                ReplayError::NotEnabled { actor, .. } => ReplayError::NotEnabled { at: i, actor },
                other => other,
            })?;
            steps.push(step);
            events.extend(ctx.events.into_iter().map(|e| (i, e)));
            accesses.extend(ctx.accesses.into_iter().map(|(p, l, w)| (i, p, l, w)));
            observe(&state);
        }
        Ok(Replayed { steps, events, accesses, state })
    }

    /// Runs a replay `f` of a token from any run: a token from a run with
    /// the exit merge off has the exits as steps of their own, so it is
    /// tried that way when it does not fit this machine.
    pub fn replay_any_run<T>(&self, f: impl Fn(&Machine<'_>) -> Result<T, ReplayError>) -> Result<T, ReplayError> {
        f(self).or_else(|e| match e {
            ReplayError::Model(_) => Err(e),
            _ if self.exit_merge => f(&self.with_exit_merge(false)),
            _ => Err(e),
        })
    }
}
