//! Breadth-first search with a visited set.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use crate::store::{Events, Keyer, StepDone, StepKey, Store, Stored, Taken, Unexpanded};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

use interleave_machine::finding::{dedup_key, Finding, Kind};
use interleave_machine::interp::{Ctx, Event};
use interleave_machine::reads::recording;
use interleave_machine::system::{token, Actor, Applied, Outcome, State};
use interleave_machine::value::Pid;
use interleave_machine::{Machine, ModelError};

/// Bounds on a search (hitting one ends it as incomplete) and how it runs.
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_states: u64,
    pub max_seconds: f64,
    pub max_memory_mb: u64,
    /// Findings kept per kind (symmetric copies are merged before this).
    pub findings_per_kind: usize,
    /// Threads that compute successors (0: one per core). The result does
    /// not depend on it.
    pub threads: usize,
    /// Show a progress bar on standard error (only drawn on a terminal).
    pub progress: bool,
    /// Keep a 128-bit fingerprint of each state instead of its key (see
    /// [`crate::store`]): a tiny chance of missing states, and, over the
    /// collapsed store, no memory saved.
    pub hash_compaction: bool,
    /// Remember what each step did, by the numbers of what it read, and
    /// recall it instead of running the step again (see
    /// [`Keyer::step_key`]); used only where successors are stored as they
    /// are made (no symmetry, no partial-order reduction). The result does
    /// not depend on it.
    pub remember_steps: bool,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_states: 5_000_000,
            max_seconds: 600.0,
            max_memory_mb: 4096,
            findings_per_kind: 3,
            threads: 0,
            progress: false,
            hash_compaction: false,
            remember_steps: true,
        }
    }
}

/// States expanded in parallel before their successors are merged, in
/// order, into the visited set (each batch ends with the threads waiting
/// for one another: 8192 was 2 to 3 % faster than 2048 on the raw
/// counters, and a batch's successors stay a few MB).
const BATCH: usize = 8192;

/// Batches smaller than this are expanded on the calling thread: on a
/// narrow frontier, waking the pool costs more than it saves.
const SMALL_BATCH: usize = 32;

/// One edge of the search graph: an actor's step, possibly followed by a
/// chain of steps the partial-order reduction takes alone (see
/// [`interleave_machine::por`]); the states inside a chain are not stored.
struct Move<S = State> {
    actor: Actor,
    chain: Vec<Actor>,
    /// The chain's states were each made canonical (the rare fallback of
    /// [`through`]); otherwise only its last one is.
    canonical_chain: bool,
    to: S,
    events: Vec<Report>,
}

/// An event a step reported (the `i`th of its events, shared with every
/// step that reported the same: most are not new to the merge, which then
/// copies nothing), with the kind of finding it is and the line that names
/// it, read from the state the step was taken in (at hand where the step
/// is taken, and not loaded again where it is merged).
struct Report {
    events: Arc<[Event]>,
    i: usize,
    kind: Kind,
    line: Option<u32>,
    detail: Detail,
}

impl Report {
    /// The reports of a step's events; `line` gives the line a process
    /// stands at in the state the step was taken in.
    fn all(a: Actor, events: Events, mut line: impl FnMut(Pid) -> u32) -> Vec<Report> {
        let Some(events) = events else { return vec![] };
        (0..events.len()).map(|i| Report::new(a, &events, i, &mut line)).collect()
    }

    fn new(a: Actor, events: &Arc<[Event]>, i: usize, line: &mut impl FnMut(Pid) -> u32) -> Report {
        let ev = &events[i];
        let line = match ev {
            Event::Uncaught { line, .. } => Some(*line),
            Event::LostUpdate { .. } => Some(match a {
                Actor::Proc(p) => line(p),
                _ => 0,
            }),
            Event::Zombie { parent, .. } => Some(line(*parent)),
            Event::Orphan { .. } => None,
        };
        Report { kind: Kind::of(ev), events: events.clone(), i, line, detail: Detail::of(ev) }
    }

    fn ev(&self) -> &Event {
        &self.events[self.i]
    }
}

/// What expanding one state gives, before merging.
enum Expansion<S = State> {
    Finished,
    /// Each actor that moves, with the state it leads to and its events.
    Moves(Vec<Move<S>>),
}

/// A batch of expanded states: the index of its first, and each one's
/// expansion.
type Expanded = (usize, Vec<Result<Expansion<Stored>, ModelError>>);

impl Expansion {
    /// The successors made ready to store, on the thread that made them.
    fn stored(self, keyer: &Keyer) -> Expansion<Stored> {
        match self {
            Expansion::Finished => Expansion::Finished,
            Expansion::Moves(moves) => Expansion::Moves(
                moves
                    .into_iter()
                    .map(|Move { actor, chain, canonical_chain, to, events }| Move {
                        actor,
                        chain,
                        canonical_chain,
                        to: keyer.stored(to),
                        events,
                    })
                    .collect(),
            ),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StopReason {
    MaxStates,
    MaxSeconds,
    MaxMemory,
}

impl StopReason {
    pub fn describe(&self, l: &Limits) -> String {
        match self {
            StopReason::MaxStates => format!("--max-states {}", l.max_states),
            StopReason::MaxSeconds => format!("--max-seconds {}", l.max_seconds),
            StopReason::MaxMemory => format!("--max-memory {} MiB", l.max_memory_mb),
        }
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    pub states: u64,
    pub transitions: u64,
    /// Depth (steps from the start) of the deepest state reached.
    pub depth: u32,
    pub seconds: f64,
    /// Peak resident memory of this process so far, in MiB.
    pub peak_memory_mb: u64,
    /// Executions run, for the stateless engines (loom, shuttle).
    #[serde(skip_serializing_if = "is_zero")]
    pub executions: u64,
    /// States were stored as fingerprints (`--hash-compaction`): a state
    /// may have been missed, with a tiny probability.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub hash_compaction: bool,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What a search found.
#[derive(Clone, Debug)]
pub struct Explored {
    pub exhaustive: bool,
    pub stopped_by: Option<StopReason>,
    pub findings: Vec<Finding>,
    pub warnings: Vec<Finding>,
    pub outcomes: BTreeSet<Outcome>,
    pub stats: Stats,
}

/// What, besides its kind and line, tells an event's finding apart (see
/// `dedup_key`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Detail {
    None,
    Exc(interleave_machine::ir::ExcType),
    Loc(std::mem::Discriminant<interleave_machine::world::Loc>),
}

impl Detail {
    fn of(ev: &Event) -> Detail {
        match ev {
            Event::Uncaught { exc, .. } => Detail::Exc(exc.ty),
            Event::LostUpdate { loc, .. } => Detail::Loc(std::mem::discriminant(loc)),
            _ => Detail::None,
        }
    }
}

/// A finding seen during the search, turned into a trace at the end.
struct Seen {
    kind: Kind,
    /// State the finding shows in (deadlock, hang), or the source state of
    /// the step that shows it (with that step's actor and event).
    state: u32,
    step: Option<(Actor, Event)>,
}

struct Search<'a, 'p> {
    m: &'a Machine<'p>,
    limits: &'a Limits,
    states: Store,
    /// Parent index and actor of every state but the first.
    parent: Vec<(u32, Actor)>,
    /// The steps taken alone after that actor's, for the states reached
    /// through such a chain.
    /// Whether its states were each made canonical (see [`Move`]).
    chains: FxHashMap<u32, (Vec<Actor>, bool)>,
    depth: Vec<u32>,
    edges: Vec<(u32, u32)>,
    /// Some edge leads to a state no deeper than its source: without one
    /// the graph has no cycle, so every state reaches one that has no
    /// successor (finished or deadlocked) and none can hang.
    backward: bool,
    finished: Vec<u32>,
    deadlocked: Vec<u32>,
    outcomes: BTreeSet<Outcome>,
    seen: Vec<(String, Seen)>,
    /// The events noted so far, by what their keys tell apart.
    noted: FxHashSet<(Kind, Option<u32>, Detail)>,
    start: Instant,
}

pub fn explore(m: &Machine<'_>, limits: &Limits) -> Result<Explored, ModelError> {
    reset_peak_memory();
    let mut s = Search {
        m,
        limits,
        // a search without reductions over the full store takes its steps
        // by number (see `Steps::stored_successors`): its keys name each
        // process
        states: Store::new(limits.hash_compaction, raw_by_number(m, limits)),
        parent: vec![(0, Actor::Proc(0))],
        chains: FxHashMap::default(),
        depth: vec![0],
        edges: vec![],
        backward: false,
        finished: vec![],
        deadlocked: vec![],
        outcomes: BTreeSet::new(),
        seen: vec![],
        noted: FxHashSet::default(),
        start: Instant::now(),
    };
    let mut first = m.initial_state()?;
    if m.symmetry {
        m.canonicalize(&mut first, &mut Ctx::default())?;
    }
    s.states.insert(first);
    let hash_compaction = s.states.compact();
    let stopped_by = s.run()?;
    let exhaustive = stopped_by.is_none();
    if exhaustive && s.backward {
        if let Some(h) = crate::hang::first_hang(s.states.len(), &s.edges, &s.finished, &s.deadlocked) {
            s.note(format!("hang:{h}"), Seen { kind: Kind::Hang, state: h, step: None });
        }
    }
    let (findings, warnings) = s.findings()?;
    let stats = Stats {
        states: s.states.len() as u64,
        transitions: s.edges.len() as u64,
        depth: s.depth.iter().copied().max().unwrap_or(0),
        seconds: s.start.elapsed().as_secs_f64(),
        peak_memory_mb: peak_memory_mb(),
        executions: 0,
        hash_compaction,
    };
    Ok(Explored { exhaustive, stopped_by, findings, warnings, outcomes: s.outcomes, stats })
}

/// Each actor that can move in `s` and the state it leads to; none when
/// the program has finished.
pub fn moves(m: &Machine<'_>, s: &State) -> Result<Vec<(Actor, State)>, ModelError> {
    Ok(match (Steps { m, cache: None }).successors(s, false)? {
        Expansion::Finished => vec![],
        Expansion::Moves(v) => v.into_iter().map(|mv| (mv.actor, mv.to)).collect(),
    })
}

/// Whether steps are remembered: only where each successor is stored as it
/// is made. Under symmetry or the partial-order reduction most of the work
/// is in making it canonical and in chains, and remembering raw successors
/// cost more time and memory than it saved.
fn remembers_steps(m: &Machine<'_>, limits: &Limits) -> bool {
    limits.remember_steps && !m.symmetry && !m.por
}

/// Whether the search takes steps by number (see
/// [`Steps::stored_successors`]): steps remembered, over the full store.
fn raw_by_number(m: &Machine<'_>, limits: &Limits) -> bool {
    remembers_steps(m, limits) && !limits.hash_compaction
}

/// A step that moves: recalled (what it read, and what it did), or run.
enum Next<'a> {
    Recalled(&'a Keyer, StepKey, Arc<StepDone>),
    Ran(State, Ctx),
}

/// Takes steps: the machine, and the tables that remember steps already
/// done (see [`Keyer::step_key`]); a step from a state whose parts are
/// numbered is done once and then recalled.
#[derive(Clone, Copy)]
struct Steps<'a, 'p> {
    m: &'a Machine<'p>,
    cache: Option<&'a Keyer>,
}

impl<'a> Steps<'a, '_> {
    /// Runs `a`'s step from `s`, remembering what it did under `key`;
    /// `None` when it is blocked.
    fn run(self, s: &State, a: Actor, key: Option<(&Keyer, StepKey)>) -> Result<Option<(State, Ctx)>, ModelError> {
        let mut t = s.clone();
        let mut ctx = if key.is_some() { Ctx::keeping_track_ops() } else { Ctx::default() };
        let moved = self.m.apply(&mut t, a, &mut ctx)? == Applied::Progress;
        if let Some((c, k)) = key {
            let ops = ctx.track_ops.take().unwrap_or_default();
            c.remember(k, s.procs.len(), moved.then_some((&t, &ctx.events[..], ops)));
        }
        Ok(moved.then_some((t, ctx)))
    }

    /// What `a`'s step from `s` reads, if steps are remembered and its
    /// parts are numbered.
    fn key(self, s: &State, a: Actor) -> Option<(&'a Keyer, StepKey)> {
        self.cache.and_then(|c| Some((c, c.step_key(s, a)?)))
    }

    /// `a`'s step from `s`: recalled when it was remembered, run (and
    /// remembered) otherwise; `None` when it is blocked.
    fn next(self, s: &State, a: Actor) -> Result<Option<Next<'a>>, ModelError> {
        let key = self.key(s, a);
        Ok(match key.and_then(|(c, k)| Some((c, k, c.recalled(&k)?))) {
            Some((_, _, None)) => None,
            Some((c, k, Some(done))) => Some(Next::Recalled(c, k, done)),
            None => self.run(s, a, key)?.map(|(t, ctx)| Next::Ran(t, ctx)),
        })
    }

    /// One step of `a` from `s`, canonical under symmetry when `canonical`,
    /// or `None` when it is blocked.
    fn step_to(self, s: &State, a: Actor, canonical: bool) -> Result<Option<(State, Vec<Event>)>, ModelError> {
        let m = self.m;
        let (mut t, mut ctx) = match self.next(s, a)? {
            None => return Ok(None),
            Some(Next::Recalled(c, k, done)) => {
                let (t, events) = c.replay(s, &k, &done);
                (t, Ctx { events, ..Ctx::default() })
            }
            Some(Next::Ran(t, ctx)) => (t, ctx),
        };
        if canonical && m.symmetry {
            m.canonicalize(&mut t, &mut ctx)?;
        }
        Ok(Some((t, ctx.events)))
    }

    /// The successors of stored state `u` ready to store, for a search
    /// without reductions over the full store: a recalled step gives the
    /// numbers of the state it makes, and the state itself is never made;
    /// `u` itself is made only if one of its steps must run.
    fn stored_successors(self, c: &Keyer, u: &Unexpanded) -> Result<Expansion<Stored>, ModelError> {
        c.mine(|mine| {
            let n = c.numbers(u, mine);
            let Some(actors) = c.actors(self.m, &n, mine) else { return Ok(Expansion::Finished) };
            let mut state = None;
            let mut moves = Vec::with_capacity(actors.len());
            for &actor in actors.iter() {
                let (to, events) = match c.take(&n, actor, mine) {
                    Taken::Blocked => continue,
                    Taken::Moved(to, events) => (to, events),
                    Taken::Unknown => {
                        let s: &State = state.get_or_insert_with(|| c.load(u));
                        let mut t = s.clone();
                        let mut ctx = Ctx::keeping_track_ops();
                        let (applied, read) = recording(|| self.m.apply(&mut t, actor, &mut ctx));
                        let moved = applied? == Applied::Progress;
                        let ops = ctx.track_ops.take().unwrap_or_default();
                        match c.learn(&n, actor, read, moved.then_some((&t, &ctx.events[..], ops)), mine) {
                            None => continue,
                            Some(done) => c.replay_numbers(&n, actor, &done, mine),
                        }
                    }
                };
                let events = Report::all(actor, events, |p| c.line(self.m, &n, p, mine));
                moves.push(Move { actor, chain: vec![], canonical_chain: false, to, events });
            }
            Ok(Expansion::Moves(moves))
        })
    }

    /// A step the partial-order reduction takes alone in `s`: one that moves
    /// and reports nothing.
    fn ample_step(self, s: &State, canonical: bool) -> Result<Option<(Actor, State)>, ModelError> {
        for a in self.m.ample(s) {
            if let Some((t, events)) = self.step_to(s, a, canonical)? {
                if events.is_empty() {
                    return Ok(Some((a, t)));
                }
            }
        }
        Ok(None)
    }

    /// The steps taken alone from `s`, one after the other (each state made
    /// canonical when `canonical`), and the state they end in; `None` when
    /// `s` has none.
    fn chain_from(self, s: &State, canonical: bool) -> Result<Option<(Vec<Actor>, State)>, ModelError> {
        let Some((a, mut t)) = self.ample_step(s, canonical)? else { return Ok(None) };
        let mut chain = vec![a];
        while let Some((a, u)) = self.ample_step(&t, canonical)? {
            chain.push(a);
            t = u;
        }
        Ok(Some((chain, t)))
    }

    /// Passes a move through the steps taken alone after it. The states inside
    /// the chain are real states, not canonical ones: only the last is made
    /// canonical, and the chain's actors name processes as they are there (see
    /// [`Machine::realize`]). If making the last canonical reports something
    /// (main's passed joins raised), the chain is taken again with every
    /// state canonical, as the steps were before.
    fn through(self, mut mv: Move) -> Result<Move, ModelError> {
        let m = self.m;
        let Some((mut chain, mut t)) = self.chain_from(&mv.to, false)? else { return Ok(mv) };
        let mut ctx = Ctx::default();
        if m.symmetry {
            m.canonicalize(&mut t, &mut ctx)?;
        }
        if !ctx.events.is_empty() {
            mv.canonical_chain = true;
            let Some(canonical) = self.chain_from(&mv.to, true)? else { return Ok(mv) };
            (chain, t) = canonical;
        }
        (mv.chain, mv.to) = (chain, t);
        Ok(mv)
    }

    /// The successors of one state; runs on any thread. With `reduce`, every
    /// successor that has an ample step is passed through it, and through the
    /// ample steps after that, to the first state without one: only that state
    /// is stored.
    fn successors(self, s: &State, reduce: bool) -> Result<Expansion, ModelError> {
        let m = self.m;
        if m.finished(s) {
            return Ok(Expansion::Finished);
        }
        let mut moves = vec![];
        // only the first state can have an ample step itself
        if let Some((actor, to)) = if reduce { self.ample_step(s, true)? } else { None } {
            let mv = self.through(Move { actor, chain: vec![], canonical_chain: false, to, events: vec![] })?;
            return Ok(Expansion::Moves(vec![mv]));
        }
        for actor in m.actors(s) {
            if let Some((to, events)) = self.step_to(s, actor, true)? {
                let events = (!events.is_empty()).then(|| events.into());
                let events = Report::all(actor, events, |p| m.current_line(s, p));
                let mv = Move { actor, chain: vec![], canonical_chain: false, to, events };
                moves.push(if reduce { self.through(mv)? } else { mv });
            }
        }
        Ok(Expansion::Moves(moves))
    }
}

impl Search<'_, '_> {
    /// Expands states in batches: successors are computed in parallel,
    /// then merged one state after the other in index order, exactly as a
    /// sequential search would, so results never depend on the threads.
    fn run(&mut self) -> Result<Option<StopReason>, ModelError> {
        // started at the first batch worth it: a small model never needs it
        let mut pool: Option<rayon::ThreadPool> = None;
        let bar = crate::progress::Bar::new(self.limits.progress);
        let m = self.m;
        // the next state to expand, and a batch expanded but not yet merged
        let mut i = 0usize;
        let mut pending: Option<Expanded> = None;
        let keyer = self.states.keyer();
        let remember = remembers_steps(m, self.limits);
        let steps = Steps { m, cache: remember.then_some(&keyer) };
        // without reductions a successor is stored as it is made, so,
        // over the full store, a recalled one need not be made at all
        let keys_only = raw_by_number(m, self.limits);
        let expand = |u: &Unexpanded| {
            if keys_only {
                steps.stored_successors(&keyer, u)
            } else {
                steps.successors(&keyer.load(u), true).map(|e| e.stored(&keyer))
            }
        };
        loop {
            // the states stored so far beyond those expanded: expanded
            // while the pending batch is merged (their successors do not
            // depend on the merge, and merging stays in index order); of
            // a few, a quarter is left for the next batch, to expand while
            // this one is merged (else the merge, a third of the work on a
            // small model, would run alone: 10 % faster on ticket_nolock 4)
            let waiting = self.states.len() - i;
            let keep_back = if (4 * SMALL_BATCH..2 * BATCH).contains(&waiting) { waiting / 4 } else { 0 };
            let end = i + (waiting - keep_back).min(BATCH);
            // rebuilt from their keys where they are expanded
            let batch: Vec<Unexpanded> = (i..end).map(|k| self.states.unexpanded(k)).collect();
            if batch.is_empty() && pending.is_none() {
                break;
            }
            let (expanded, stop) = if batch.len() < SMALL_BATCH {
                // a small batch is not worth waking the pool for (the result
                // is the same either way)
                let stop = self.merge_batch(pending.take(), &bar)?;
                (batch.iter().map(expand).collect(), stop)
            } else {
                let pool = match &mut pool {
                    Some(p) => p,
                    None => {
                        pool.insert(rayon::ThreadPoolBuilder::new().num_threads(self.limits.threads).build().map_err(
                            |e| ModelError::new(Default::default(), &format!("cannot start search threads: {e}")),
                        )?)
                    }
                };
                let pending = pending.take();
                let (expanded, stop) = pool.install(|| {
                    rayon::join(|| batch.par_iter().map(expand).collect(), || self.merge_batch(pending, &bar))
                });
                (expanded, stop?)
            };
            if let Some(stop) = stop {
                bar.finish();
                return Ok(Some(stop));
            }
            if !batch.is_empty() {
                pending = Some((i, expanded));
                i = end;
            }
        }
        bar.finish();
        Ok(None)
    }

    /// Merges an expanded batch that starts at state `first`, in index
    /// order; stops where a bound is hit.
    fn merge_batch(
        &mut self,
        batch: Option<Expanded>,
        bar: &crate::progress::Bar,
    ) -> Result<Option<StopReason>, ModelError> {
        let Some((first, mut expanded)) = batch else { return Ok(None) };
        let end = first + expanded.len();
        for (k, at) in (first..end).zip(0..) {
            if let Some(stop) = self.check_limits(k) {
                return Ok(Some(stop));
            }
            self.prefetch(&expanded, at);
            let e = std::mem::replace(&mut expanded[at], Ok(Expansion::Finished));
            self.merge(k as u32, e?);
        }
        self.states.expanded(end);
        bar.update(self.states.len(), end, self.depth[end - 1], self.start.elapsed().as_secs_f64());
        Ok(None)
    }

    /// Asks for the memory the merge of the batch's states after the `at`th
    /// reads, ahead of time (a hint: see [`crate::store::prefetch`]): the
    /// moves of the fourth state on, and where the visited set keeps the
    /// successors of the second state on (whose moves were asked for
    /// before), so that the cache misses of several states overlap.
    fn prefetch(&self, expanded: &[Result<Expansion<Stored>, ModelError>], at: usize) {
        if let Some(Ok(Expansion::Moves(moves))) = expanded.get(at + 4) {
            // a cache line at a time
            let bytes = std::mem::size_of_val(&moves[..]);
            for offset in (0..bytes).step_by(64) {
                crate::store::prefetch(moves.as_ptr().cast::<u8>().wrapping_add(offset));
            }
        }
        if let Some(Ok(Expansion::Moves(moves))) = expanded.get(at + 2) {
            for mv in moves {
                self.states.prefetch(&mv.to);
            }
        }
    }

    fn check_limits(&self, i: usize) -> Option<StopReason> {
        if self.states.len() as u64 > self.limits.max_states {
            return Some(StopReason::MaxStates);
        }
        if i.is_multiple_of(1024) {
            if self.start.elapsed().as_secs_f64() > self.limits.max_seconds {
                return Some(StopReason::MaxSeconds);
            }
            if i.is_multiple_of(8192) && current_memory_mb() > self.limits.max_memory_mb {
                return Some(StopReason::MaxMemory);
            }
        }
        None
    }

    fn merge(&mut self, i: u32, e: Expansion<Stored>) {
        let moves = match e {
            Expansion::Finished => {
                self.outcomes.insert(self.m.outcome(&self.states.get(i as usize)));
                self.finished.push(i);
                return;
            }
            Expansion::Moves(moves) => moves,
        };
        if moves.is_empty() {
            self.deadlocked.push(i);
            let lines = self.blocked_lines(&self.states.get(i as usize));
            self.note(format!("deadlock:{lines:?}"), Seen { kind: Kind::Deadlock, state: i, step: None });
            return;
        }
        for Move { actor: a, chain, canonical_chain, to, events } in moves {
            for r in events {
                self.note_event(i, a, r);
            }
            let (j, new) = self.states.insert_stored(to);
            if new {
                self.parent.push((i, a));
                self.depth.push(self.depth[i as usize] + 1 + chain.len() as u32);
                if !chain.is_empty() {
                    self.chains.insert(j as u32, (chain, canonical_chain));
                }
            } else if self.depth[j] <= self.depth[i as usize] {
                self.backward = true;
            }
            self.edges.push((i, j as u32));
        }
    }

    fn blocked_lines(&self, s: &State) -> Vec<u32> {
        let mut lines: Vec<u32> = (0..s.procs.len() as u32)
            .filter(|p| s.world.procs[*p as usize].alive())
            .map(|p| self.m.current_line(s, p))
            .collect();
        lines.sort_unstable();
        lines
    }

    fn note_event(&mut self, i: u32, a: Actor, r: Report) {
        let (kind, line) = (r.kind, r.line);
        // an event like one already noted changes nothing, so its key is
        // not made again (and the event not read)
        if !self.noted.insert((kind, line, r.detail)) {
            return;
        }
        let ev = r.ev();
        let key = dedup_key(kind, Some(ev), line.as_slice());
        self.note(key, Seen { kind, state: i, step: Some((a, ev.clone())) });
    }

    /// As many findings of `kind` are kept as there may be.
    fn kind_full(&self, kind: Kind) -> bool {
        self.seen.iter().filter(|(_, s)| s.kind == kind).count() >= self.limits.findings_per_kind
    }

    /// Keeps the first (shallowest) occurrence of each distinct finding.
    fn note(&mut self, key: String, seen: Seen) {
        if !self.kind_full(seen.kind) && !self.seen.iter().any(|(k, _)| *k == key) {
            self.seen.push((key, seen));
        }
    }

    /// The steps from the first state to state `i`, each with whether the
    /// state it leads to was made canonical.
    fn path_to(&self, mut i: u32) -> Vec<(Actor, bool)> {
        let mut path = vec![];
        while i != 0 {
            let (p, a) = self.parent[i as usize];
            if let Some((chain, all_canonical)) = self.chains.get(&i) {
                let last = chain.len() - 1;
                path.extend(chain.iter().enumerate().rev().map(|(k, c)| (*c, *all_canonical || k == last)));
            }
            path.push((a, true));
            i = p;
        }
        path.reverse();
        path
    }

    /// Turns every noted finding into a replayed trace with its message.
    fn findings(&self) -> Result<(Vec<Finding>, Vec<Finding>), ModelError> {
        let mut out: Vec<Finding> = vec![];
        // traces show what the program really does: a child's output too
        let faithful = Machine { symmetry: false, ..*self.m };
        for (_, seen) in &self.seen {
            let mut path = self.path_to(seen.state);
            if let Some((a, _)) = &seen.step {
                path.push((*a, true));
            }
            // under symmetry the path names processes of canonical states
            let after_joins = matches!(&seen.step, None | Some((_, Event::Uncaught { pid: 0, .. })));
            let (path, to_real) = self.m.realize(&path, after_joins)?;
            let r = faithful.replay(&path).map_err(|e| match e {
                interleave_machine::trace::ReplayError::Model(e) => e,
                other => {
                    ModelError::new(Default::default(), &format!("internal: a found path does not replay: {other}"))
                }
            })?;
            let tok = token(&path);
            let f = match &seen.step {
                Some((_, ev)) => {
                    let f = self.m.event_finding(&r, &ev.with_pids(&to_real), tok);
                    // under the reduction main starts every child first
                    let shorter = if self.m.por { faithful.fewer_starts(&path, &f) } else { None };
                    shorter.unwrap_or(f)
                }
                None => {
                    let message = match seen.kind {
                        Kind::Hang => self.m.hang_message(&r.state),
                        _ => self.m.deadlock_message(&r.state),
                    };
                    Finding { kind: seen.kind, message, replay: tok, trace: r.steps }
                }
            };
            out.push(f);
        }
        out.sort_by(|a, b| (a.kind, a.trace.len(), &a.message).cmp(&(b.kind, b.trace.len(), &b.message)));
        Ok(out.into_iter().partition(|f| !f.kind.is_warning()))
    }
}

fn status_field_mb(field: &str) -> u64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/status") else { return 0 };
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

/// Starts a new peak-memory measurement (Linux: writing 5 to
/// `/proc/self/clear_refs` resets VmHWM), so each model reports its own peak.
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub(crate) fn current_memory_mb() -> u64 {
    status_field_mb("VmRSS:")
}

fn peak_memory_mb() -> u64 {
    status_field_mb("VmHWM:")
}
