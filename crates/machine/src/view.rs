//! What a person wants to see of a state while stepping through a trace:
//! where each process stands, and the value of every shared object.
//!
//! Views are for reports; the search never builds them. Objects are named
//! after the main process's module variable that first holds them along the
//! trace (`d`, `lock`, `winners`), since dead-variable reset may clear the
//! variable later; an object never held by one is named by its kind and
//! number (`Lock #3`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::interp::Machine;
use crate::system::{Actor, State};
use crate::trace::{ReplayError, Replayed};
use crate::value::{self, Pid, Value};
use crate::world::{Object, Status, Wait};

/// One process as it stands in a state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcView {
    pub name: String,
    /// The line of its next operation (0 when it has none: exited).
    pub line: u32,
    /// `running`, `blocked`, or `exited N`.
    pub status: String,
}

/// One shared object (or file) and its value, as Python would show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedView {
    pub name: String,
    pub kind: String,
    pub value: String,
}

/// A state as a report shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateView {
    pub processes: Vec<ProcView>,
    pub shared: Vec<SharedView>,
    /// What the main process has printed so far, line by line.
    pub output: Vec<String>,
    /// Who waits on whom or on what: one edge per blocked process (a
    /// process waiting at exit for several children has one per child).
    pub waits: Vec<WaitEdge>,
}

/// A blocked process and what it waits for: a process (the holder of a
/// lock, a child it joins) or a shared object (an empty queue, an event).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitEdge {
    pub from: String,
    pub to: String,
    /// The operation, in a few words: "acquire (line 12)", "get(): empty".
    pub label: String,
}

/// An object's name: main's variable that held it first along the trace,
/// else its kind and number (`Lock #3`).
fn object_name(s: &State, names: &BTreeMap<u32, String>, id: u32) -> String {
    names.get(&id).cloned().unwrap_or_else(|| format!("{} #{id}", s.world.objects[id as usize].kind_name()))
}

/// Longest value a view shows; longer ones are cut (a 100 KB string put
/// into a queue would otherwise fill the report).
pub const MAX_SHOWN: usize = 400;

/// `s`, cut to [`MAX_SHOWN`] characters with the length it had.
pub fn shorten(s: &str) -> String {
    let n = s.chars().count();
    if n <= MAX_SHOWN {
        return s.to_string();
    }
    let head: String = s.chars().take(MAX_SHOWN).collect();
    format!("{head}... ({n} characters)")
}

impl Machine<'_> {
    /// Replays a schedule and views the initial state and the state after
    /// every step (`steps.len() + 1` views). Long operations and effects
    /// in the replay's steps are cut, as the views' values are.
    pub fn replay_views(&self, actors: &[Actor]) -> Result<(Replayed, Vec<StateView>), ReplayError> {
        let mut names = BTreeMap::new();
        let mut states = vec![];
        let mut r = self.replay_observed(actors, |s| {
            self.name_objects(s, &mut names);
            states.push(s.clone());
        })?;
        for step in &mut r.steps {
            step.op = shorten(&step.op);
            step.effect = shorten(&step.effect);
        }
        let views = states.iter().map(|s| self.view(s, &names)).collect();
        Ok((r, views))
    }

    /// Records a name for each object a module variable of main holds.
    fn name_objects(&self, s: &State, names: &mut BTreeMap<u32, String>) {
        let Some(main) = s.procs.first() else { return };
        for (slot, v) in main.globals.iter().enumerate() {
            if let (Value::Obj(id), Some(name)) = (v, self.program.globals.get(slot)) {
                names.entry(*id).or_insert_with(|| name.clone());
            }
        }
    }

    fn view(&self, s: &State, names: &BTreeMap<u32, String>) -> StateView {
        // what each live process waits for, asked once per process
        let blocked: Vec<(Pid, Wait)> = (0..s.world.procs.len() as Pid)
            .filter(|p| s.world.procs[*p as usize].alive())
            .filter_map(|p| self.wait_of(s, p).map(|w| (p, w)))
            .collect();
        let processes = (0..s.world.procs.len() as Pid)
            .map(|p| {
                let meta = &s.world.procs[p as usize];
                let status = match meta.status {
                    Status::Exited(code) => format!("exited {code}"),
                    Status::Running if blocked.iter().any(|(q, _)| *q == p) => "blocked".to_string(),
                    Status::Running => "running".to_string(),
                };
                let line = if meta.alive() { self.current_line(s, p) } else { 0 };
                ProcView { name: self.proc_display_name(s, p), line, status }
            })
            .collect();
        let mut shared = vec![];
        for (id, o) in s.world.objects.iter().enumerate() {
            let Some(value) = self.object_value(s, o).map(|v| shorten(&v)) else { continue };
            let (name, kind) = (object_name(s, names, id as u32), o.kind_name().to_string());
            shared.push(SharedView { name, kind, value });
        }
        for f in s.world.files.iter() {
            let text = String::from_utf8_lossy(&f.content);
            shared.push(SharedView {
                name: format!("file '{}'", f.path),
                kind: "file".to_string(),
                value: shorten(&value::repr(&Value::Str(text.as_ref().into()))),
            });
        }
        let output = s.procs.first().map(|m| m.output.lines().map(shorten).collect()).unwrap_or_default();
        let waits = self.wait_edges(s, names, &blocked);
        StateView { processes, shared, output, waits }
    }

    fn wait_edges(&self, s: &State, names: &BTreeMap<u32, String>, blocked: &[(Pid, Wait)]) -> Vec<WaitEdge> {
        let obj = |id: &u32| object_name(s, names, *id);
        let mut edges = vec![];
        for (p, w) in blocked {
            let p = *p;
            let from = self.proc_display_name(s, p);
            let at = format!("line {}", self.current_line(s, p));
            let mut edge = |to: String, label: String| edges.push(WaitEdge { from: from.clone(), to, label });
            match w {
                Wait::Lock(id) => {
                    let owner = match &*s.world.objects[*id as usize] {
                        Object::Lock(o) | Object::RLock { owner: o, .. } => *o,
                        _ => None,
                    };
                    match owner {
                        Some(h) => edge(self.proc_display_name(s, h), format!("acquire {} ({at})", obj(id))),
                        None => edge(obj(id), format!("acquire ({at})")),
                    }
                }
                Wait::Semaphore(id) => edge(obj(id), format!("acquire: value 0 ({at})")),
                Wait::Event(id) => edge(obj(id), format!("wait(): not set ({at})")),
                Wait::QueueEmpty(id) => edge(obj(id), format!("get(): empty ({at})")),
                Wait::QueueFull(id) => edge(obj(id), format!("put(): full ({at})")),
                Wait::QueueReadLock(id, r) => {
                    edge(self.proc_display_name(s, *r), format!("get(): {}'s read lock ({at})", obj(id)))
                }
                Wait::QueueJoin(id) => edge(obj(id), format!("join(): items not marked task_done ({at})")),
                Wait::Join(c) => edge(self.proc_display_name(s, *c), format!("join() ({at})")),
                Wait::ExitChildren(cs) => {
                    for c in cs {
                        edge(self.proc_display_name(s, *c), "waits at exit".to_string());
                    }
                }
                Wait::ExitFlush(id) => edge(obj(id), "exit: feeder blocked on a full pipe".to_string()),
            }
        }
        edges
    }

    /// An object's value in words; `None` for process handles and the
    /// manager, which the process list shows.
    fn object_value(&self, s: &State, o: &Object) -> Option<String> {
        let who = |p: Pid| self.proc_display_name(s, p);
        Some(match o {
            Object::Lock(None) | Object::RLock { owner: None, .. } => "free".to_string(),
            Object::Lock(Some(p)) => format!("held by {}", who(*p)),
            Object::RLock { owner: Some(p), count } => format!("held by {} ({count}x)", who(*p)),
            Object::Semaphore { value, .. } => format!("value {value}"),
            Object::Event(set) => if *set { "set" } else { "not set" }.to_string(),
            Object::Queue(q) => {
                let items: Vec<Value> = q.pipe.iter().map(|i| i.value.clone()).collect();
                let mut text = value::repr(&Value::List(items.into()));
                for (p, buf) in q.buffers.iter().filter(|(_, b)| !b.is_empty()) {
                    let b: Vec<Value> = buf.iter().cloned().collect();
                    text.push_str(&format!(" + {} in {}'s feeder", value::repr(&Value::List(b.into())), who(*p)));
                }
                if q.joinable {
                    text.push_str(&format!(" ({} unfinished)", q.unfinished));
                }
                text
            }
            Object::Dict(d) => value::repr(&Value::Dict(d.clone())),
            Object::List(l) => value::repr(&Value::List(l.clone())),
            Object::Value { value, .. } => value::repr(value),
            Object::Process(_) | Object::Manager => return None,
        })
    }
}
