//! Hangs: states from which the program can neither finish nor deadlock,
//! although something can still move (a livelock, a non-daemon child that
//! loops for ever). Found on the state graph: every state that reaches a
//! finished or deadlocked state walking the edges backwards is fine, the
//! rest hang.

use petgraph::graph::DiGraph;
use petgraph::visit::{Bfs, Reversed, Visitable, Walker};

/// The first (shallowest, as states are numbered breadth-first) hanging
/// state, if any.
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
        let n = petgraph::graph::NodeIndex::new(end as usize);
        if !bfs.discovered.put(n.index()) {
            bfs.stack.push_back(n);
        }
    }
    for n in bfs.iter(reversed) {
        can_end[n.index()] = true;
    }
    can_end.iter().position(|ok| !ok).map(|i| i as u32)
}

#[cfg(test)]
mod tests {
    use super::first_hang;

    #[test]
    fn a_cycle_that_cannot_reach_the_end_hangs() {
        // 0 -> 1 -> 2 (end); 0 -> 3 <-> 4
        let edges = [(0, 1), (1, 2), (0, 3), (3, 4), (4, 3)];
        assert_eq!(first_hang(5, &edges, &[2], &[]), Some(3));
    }

    #[test]
    fn a_cycle_with_a_way_out_does_not_hang() {
        let edges = [(0, 1), (1, 0), (1, 2)];
        assert_eq!(first_hang(3, &edges, &[2], &[]), None);
    }
}
