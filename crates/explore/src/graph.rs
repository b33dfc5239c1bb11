//! The state graph as a picture: every state of a small model, or the
//! states along one interleaving and their immediate successors, as a
//! petgraph graph rendered to Graphviz DOT.
//!
//! It draws the states of the machine it is given; the report gives it the
//! machine without symmetry reduction, so that every state is a real one
//! (a picture may have more states than the reduced search stored).

use std::collections::HashMap;

use petgraph::dot::{Config, Dot};
use petgraph::graph::{DiGraph, NodeIndex};

use interleave_machine::system::{Actor, State};
use interleave_machine::{Machine, ModelError};

/// Models with at most this many states are drawn whole; larger ones only
/// around the interleaving.
pub const FULL_GRAPH_STATES: usize = 80;

#[derive(Clone, Debug)]
pub struct Node {
    /// Where each process stands: "main 21 | Process-2 10 | Process-3 done".
    pub label: String,
    pub on_path: bool,
    pub initial: bool,
    pub finished: bool,
    /// No move and not finished.
    pub stuck: bool,
}

#[derive(Clone, Debug)]
pub struct Edge {
    /// Who moved, from which line: "Process-2 @10".
    pub label: String,
    pub on_path: bool,
}

pub struct StateGraph {
    pub graph: DiGraph<Node, Edge>,
    /// Every reachable state is drawn (otherwise: the path and its
    /// neighbours only).
    pub whole: bool,
}

/// The graph of a model with `path` (a schedule from the initial state,
/// possibly empty) highlighted.
pub fn state_graph(m: &Machine<'_>, path: &[Actor]) -> Result<StateGraph, ModelError> {
    let mut g = Builder { m, graph: DiGraph::new(), index: HashMap::new() };
    let init = m.initial_state()?;
    let whole = g.whole(&init)?;
    if !whole {
        g = Builder { m, graph: DiGraph::new(), index: HashMap::new() };
        g.around(&init, path)?;
    }
    g.mark(&init, path)?;
    Ok(StateGraph { graph: g.graph, whole })
}

struct Builder<'a, 'p> {
    m: &'a Machine<'p>,
    graph: DiGraph<Node, Edge>,
    index: HashMap<State, NodeIndex>,
}

impl Builder<'_, '_> {
    fn node(&mut self, s: &State) -> (NodeIndex, bool) {
        if let Some(i) = self.index.get(s) {
            return (*i, false);
        }
        let i = self.graph.add_node(Node {
            label: self.label(s),
            on_path: false,
            initial: self.graph.node_count() == 0,
            finished: self.m.finished(s),
            stuck: false,
        });
        self.index.insert(s.clone(), i);
        (i, true)
    }

    fn label(&self, s: &State) -> String {
        let parts: Vec<String> = (0..s.world.procs.len())
            .map(|p| {
                let name = self.m.proc_display_name(s, p as u32);
                if s.world.procs[p].alive() {
                    format!("{name} {}", self.m.current_line(s, p as u32))
                } else {
                    format!("{name} done")
                }
            })
            .collect();
        parts.join("\n")
    }

    fn edge_label(&self, s: &State, a: Actor) -> String {
        match a {
            Actor::Proc(p) => format!("{} @{}", self.m.proc_display_name(s, p), self.m.current_line(s, p)),
            Actor::Signal(p) => format!("signal to {}", self.m.proc_display_name(s, p)),
            Actor::Feeder(p, _) => format!("{} feeder", self.m.proc_display_name(s, p)),
        }
    }

    /// Adds `s`'s successors; whether it has any.
    fn expand(&mut self, s: &State) -> Result<Vec<State>, ModelError> {
        let (from, _) = self.node(s);
        let moves = crate::bfs::moves(self.m, s)?;
        if moves.is_empty() && !self.graph[from].finished {
            self.graph[from].stuck = true;
        }
        let mut new = vec![];
        for (a, t) in moves {
            let label = self.edge_label(s, a);
            let (to, fresh) = self.node(&t);
            if self.graph.find_edge(from, to).is_none() {
                self.graph.add_edge(from, to, Edge { label, on_path: false });
            }
            if fresh {
                new.push(t);
            }
        }
        Ok(new)
    }

    /// Every state, unless there are more than [`FULL_GRAPH_STATES`].
    fn whole(&mut self, init: &State) -> Result<bool, ModelError> {
        let mut todo = std::collections::VecDeque::from([init.clone()]);
        self.node(init);
        while let Some(s) = todo.pop_front() {
            todo.extend(self.expand(&s)?);
            if self.graph.node_count() > FULL_GRAPH_STATES {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The states of `path` and every successor of each.
    fn around(&mut self, init: &State, path: &[Actor]) -> Result<(), ModelError> {
        let mut s = init.clone();
        self.node(&s);
        for a in path {
            self.expand(&s)?;
            self.m.apply(&mut s, *a, &mut Default::default())?;
        }
        self.expand(&s)?;
        Ok(())
    }

    fn mark(&mut self, init: &State, path: &[Actor]) -> Result<(), ModelError> {
        let mut s = init.clone();
        let (mut at, _) = self.node(&s);
        self.graph[at].on_path = true;
        for a in path {
            self.m.apply(&mut s, *a, &mut Default::default())?;
            let (next, _) = self.node(&s);
            self.graph[next].on_path = true;
            if let Some(e) = self.graph.find_edge(at, next) {
                self.graph[e].on_path = true;
            }
            at = next;
        }
        Ok(())
    }
}

impl StateGraph {
    /// Graphviz DOT: the path in red, finished states with a double
    /// border, stuck states filled.
    pub fn to_dot(&self, title: &str) -> String {
        let quote = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
        let node = |_, (_, n): (NodeIndex, &Node)| {
            let mut a =
                vec![format!("label=\"{}\"", quote(&n.label)), "shape=box".to_string(), "fontsize=10".to_string()];
            if n.on_path {
                a.push("color=\"#c00000\" penwidth=2".to_string());
            }
            if n.finished {
                a.push("peripheries=2".to_string());
            }
            if n.stuck {
                a.push("style=filled fillcolor=\"#f4cccc\"".to_string());
            }
            if n.initial {
                a.push("style=bold".to_string());
            }
            a.join(" ")
        };
        let edge = |_, e: petgraph::graph::EdgeReference<'_, Edge>| {
            let e = e.weight();
            let mut a = vec![format!("label=\"{}\"", quote(&e.label)), "fontsize=9".to_string()];
            if e.on_path {
                a.push("color=\"#c00000\" penwidth=2 fontcolor=\"#c00000\"".to_string());
            }
            a.join(" ")
        };
        let dot = Dot::with_attr_getters(&self.graph, &[Config::NodeNoLabel, Config::EdgeNoLabel], &edge, &node);
        let legend = if self.whole {
            "every state (no symmetry or partial-order reduction)"
        } else {
            "the states along the interleaving and their successors"
        };
        let title =
            format!("{title}: {legend}; red: the first finding's interleaving; double border: finished; filled: stuck");
        let head = format!("digraph {{\n    labelloc=t fontsize=11 label=\"{}\"\n", quote(&title));
        format!("{dot:?}").replacen("digraph {\n", &head, 1)
    }
}
