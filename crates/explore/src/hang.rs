//! Hangs: states from which the program can neither finish nor deadlock,
//! although something can still move (a livelock, a non-daemon child that
//! loops for ever). Found on the state graph: every state that reaches a
//! finished or deadlocked state walking the edges backwards is fine, the
//! rest hang.

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Bfs, Reversed, Visitable, Walker};

/// A hanging state on a cycle, the shallowest such (states are numbered
/// breadth-first), if the program can hang at all.
pub fn first_hang(nstates: usize, edges: &[(u32, u32)], finished: &[u32], deadlocked: &[u32]) -> Option<u32> {
    let mut g: DiGraph<(), (), u32> = DiGraph::with_capacity(nstates, edges.len());
    for _ in 0..nstates {
        g.add_node(());
    }
    g.extend_with_edges(edges.iter().copied());
    let mut can_end = vec![false; nstates];
    let reversed = Reversed(&g);
    let mut bfs = Bfs { stack: Default::default(), discovered: reversed.visit_map() };
    for &end in finished.iter().chain(deadlocked) {
        let n = NodeIndex::new(end as usize);
        if !bfs.discovered.put(n.index()) {
            bfs.stack.push_back(n);
        }
    }
    for n in bfs.iter(reversed) {
        can_end[n.index()] = true;
    }
    if can_end.iter().all(|ok| *ok) {
        return None;
    }
    // The hanging states are closed under successors, so some of their
    // strongly connected components are bottom ones: cycles the program
    // never leaves. Show the shallowest state of one: there everything
    // that can still stop has stopped and the livelock is plain.
    let sccs = petgraph::algo::kosaraju_scc(&g);
    let mut comp = vec![usize::MAX; nstates];
    for (c, scc) in sccs.iter().enumerate() {
        scc.iter().for_each(|n| comp[n.index()] = c);
    }
    let leaves = |scc: &Vec<NodeIndex>| scc.iter().any(|n| g.neighbors(*n).any(|m| comp[m.index()] != comp[n.index()]));
    sccs.iter()
        .filter(|scc| !can_end[scc[0].index()] && !leaves(scc))
        .filter_map(|scc| scc.iter().map(|n| n.index() as u32).min())
        .min()
}

#[cfg(test)]
mod tests {
    use super::first_hang;

    #[test]
    fn a_cycle_that_cannot_reach_the_end_hangs() {
        // 0 -> 1 -> 2 (end); 0 -> 3 -> 4 <-> 5
        let edges = [(0, 1), (1, 2), (0, 3), (3, 4), (4, 5), (5, 4)];
        assert_eq!(first_hang(6, &edges, &[2], &[]), Some(4));
    }

    #[test]
    fn a_cycle_with_a_way_out_does_not_hang() {
        let edges = [(0, 1), (1, 0), (1, 2)];
        assert_eq!(first_hang(3, &edges, &[2], &[]), None);
    }
}
