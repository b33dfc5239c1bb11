//! The visited set of the search: every state in full (exact), or, with
//! hash compaction, only a 128-bit fingerprint of each state, the states
//! themselves kept only until they are expanded.
//!
//! Hash compaction trades certainty for memory: two different states with
//! the same fingerprint are taken for one, so a state may be missed. With
//! n states the chance of any such collision is below n²/2^129 (about
//! 10^-25 for a billion states); the report says the run used it.

use std::collections::VecDeque;
use std::hash::Hash;

use indexmap::IndexSet;
use rustc_hash::{FxBuildHasher, FxHashMap};

use interleave_machine::system::State;

pub enum Store {
    Full(IndexSet<State, FxBuildHasher>),
    Compact {
        seen: FxHashMap<u128, u32>,
        /// States `base..` (not yet expanded), in index order.
        queue: VecDeque<State>,
        base: usize,
    },
}

fn fingerprint(s: &State) -> u128 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    s.hash(&mut h);
    h.digest128()
}

impl Store {
    pub fn new(compact: bool) -> Store {
        if compact {
            Store::Compact { seen: FxHashMap::default(), queue: VecDeque::new(), base: 0 }
        } else {
            Store::Full(IndexSet::with_hasher(FxBuildHasher))
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Store::Full(s) => s.len(),
            Store::Compact { seen, .. } => seen.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The index of `s`, and whether it is new.
    pub fn insert(&mut self, s: State) -> (usize, bool) {
        match self {
            Store::Full(set) => set.insert_full(s),
            Store::Compact { seen, queue, .. } => {
                let n = seen.len() as u32;
                match seen.entry(fingerprint(&s)) {
                    std::collections::hash_map::Entry::Occupied(e) => (*e.get() as usize, false),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(n);
                        queue.push_back(s);
                        (n as usize, true)
                    }
                }
            }
        }
    }

    /// A state not yet forgotten: with compaction, one not yet expanded.
    pub fn get(&self, i: usize) -> &State {
        match self {
            Store::Full(set) => &set[i],
            Store::Compact { queue, base, .. } => &queue[i - *base],
        }
    }

    /// States before `end` are expanded: compaction forgets them.
    pub fn expanded(&mut self, end: usize) {
        if let Store::Compact { queue, base, .. } = self {
            while *base < end {
                queue.pop_front();
                *base += 1;
            }
        }
    }

    pub fn compact(&self) -> bool {
        matches!(self, Store::Compact { .. })
    }
}
