//! The visited set of the search: every state, exactly (collapsed), or,
//! with hash compaction, only a 128-bit fingerprint of each state, the
//! states themselves kept only until they are expanded.
//!
//! **Collapsed** (the default), as SPIN's `-DCOLLAPSE`: each part of a
//! state (a process's private part, its process-table entry, a shared
//! object, the files with the lost-update bookkeeping) is interned once in
//! a table of its kind, and a state is stored as the list of its parts'
//! numbers. A step changes one or two parts, so most parts are shared by
//! many states and stored once; comparing two states compares a few
//! numbers. A part a step did not change carries its number (see
//! [`Shared::interned`]), so only the parts a step made are looked up.
//!
//! **Hash compaction** trades certainty for memory: two different states
//! with the same fingerprint are taken for one, so a state may be missed.
//! With n states the chance of any such collision is below n²/2^129 (about
//! 10^-25 for a billion states); the report says the run used it.

use std::collections::VecDeque;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicU32, Ordering};

use hashbrown::hash_table::{Entry, HashTable};
use rustc_hash::{FxBuildHasher, FxHashMap};

use interleave_machine::interp::Proc;
use interleave_machine::shared_ptr::Shared;
use interleave_machine::system::State;
use interleave_machine::world::{File, LocTrack, Object, ProcMeta, World};

pub enum Store {
    Full(Box<Collapsed>),
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
            Store::Full(Box::default())
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Store::Full(c) => c.ends.len(),
            Store::Compact { seen, .. } => seen.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The index of `s`, and whether it is new.
    pub fn insert(&mut self, s: State) -> (usize, bool) {
        match self {
            Store::Full(c) => c.insert(&s),
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
    pub fn get(&self, i: usize) -> State {
        match self {
            Store::Full(c) => c.state(i),
            Store::Compact { queue, base, .. } => queue[i - *base].clone(),
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

/// Gives each intern table its own tag, so a number one table gave is
/// never taken for another's.
static NEXT_TAG: AtomicU32 = AtomicU32::new(1);

/// One copy of each distinct version of a part, numbered in order.
struct Table<T> {
    tag: u32,
    items: Vec<Shared<T>>,
    index: HashTable<u32>,
}

impl<T> Default for Table<T> {
    fn default() -> Table<T> {
        Table { tag: NEXT_TAG.fetch_add(1, Ordering::Relaxed), items: vec![], index: HashTable::new() }
    }
}

impl<T: Hash + Clone + Eq> Table<T> {
    fn intern(&mut self, x: &Shared<T>) -> u32 {
        if let Some(id) = x.interned(self.tag) {
            return id;
        }
        let d = x.digest();
        let items = &self.items;
        let found = match self.index.entry(
            d as u64,
            |&i| {
                let y = &items[i as usize];
                y.digest() == d && y == x
            },
            |&i| items[i as usize].digest() as u64,
        ) {
            Entry::Occupied(e) => Some(*e.get()),
            Entry::Vacant(e) => {
                e.insert(items.len() as u32);
                None
            }
        };
        let id = found.unwrap_or_else(|| {
            self.items.push(x.clone());
            (self.items.len() - 1) as u32
        });
        x.set_interned(self.tag, id);
        id
    }
}

/// The world's parts that are not [`Shared`]: the files and the
/// lost-update bookkeeping, interned together by content.
#[derive(Default)]
struct Rests {
    items: Vec<(Vec<File>, Vec<LocTrack>)>,
    index: HashTable<u32>,
}

impl Rests {
    fn intern(&mut self, w: &World) -> u32 {
        let h = FxBuildHasher.hash_one((&w.files, &w.track));
        let items = &mut self.items;
        match self.index.entry(
            h,
            |&i| {
                let (f, t) = &items[i as usize];
                *f == w.files && *t == w.track
            },
            |&i| {
                let (f, t) = &items[i as usize];
                FxBuildHasher.hash_one((f, t))
            },
        ) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                let id = items.len() as u32;
                e.insert(id);
                items.push((w.files.clone(), w.track.clone()));
                id
            }
        }
    }
}

/// The exact visited set, collapsed: see the module documentation.
#[derive(Default)]
pub struct Collapsed {
    objects: Table<Object>,
    metas: Table<ProcMeta>,
    procs: Table<Proc>,
    rests: Rests,
    /// Each state's part numbers, one state after the other:
    /// `[rest, number of objects, objects.., process entries.., processes..]`.
    data: Vec<u32>,
    /// Where each state's numbers end in `data`.
    ends: Vec<usize>,
    /// State indices, by the hash of their numbers.
    set: HashTable<u32>,
}

impl Collapsed {
    fn key(&self, k: usize) -> &[u32] {
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        &self.data[start..self.ends[k]]
    }

    fn insert(&mut self, s: &State) -> (usize, bool) {
        let start = self.data.len();
        let rest = self.rests.intern(&s.world);
        self.data.push(rest);
        self.data.push(s.world.objects.len() as u32);
        for o in &s.world.objects {
            let id = self.objects.intern(o);
            self.data.push(id);
        }
        for m in &s.world.procs {
            let id = self.metas.intern(m);
            self.data.push(id);
        }
        for p in &s.procs {
            let id = self.procs.intern(p);
            self.data.push(id);
        }
        let n = self.ends.len();
        let (data, ends) = (&self.data, &self.ends);
        let key_of = |k: u32| {
            let k = k as usize;
            &data[if k == 0 { 0 } else { ends[k - 1] }..ends[k]]
        };
        let key = &data[start..];
        let found = match self.set.entry(FxBuildHasher.hash_one(key), |&k| key_of(k) == key, |&k| {
            FxBuildHasher.hash_one(key_of(k))
        }) {
            Entry::Occupied(e) => Some(*e.get() as usize),
            Entry::Vacant(e) => {
                e.insert(n as u32);
                None
            }
        };
        match found {
            Some(k) => {
                self.data.truncate(start);
                (k, false)
            }
            None => {
                self.ends.push(self.data.len());
                (n, true)
            }
        }
    }

    /// State `k`, rebuilt from its parts (each part shared, not copied).
    fn state(&self, k: usize) -> State {
        let key = self.key(k);
        let (files, track) = &self.rests.items[key[0] as usize];
        let n_objects = key[1] as usize;
        let (objects, procs) = key[2..].split_at(n_objects);
        let (metas, procs) = procs.split_at(procs.len() / 2);
        State {
            world: World {
                objects: objects.iter().map(|&i| self.objects.items[i as usize].clone()).collect(),
                procs: metas.iter().map(|&i| self.metas.items[i as usize].clone()).collect(),
                files: files.clone(),
                track: track.clone(),
            },
            procs: procs.iter().map(|&i| self.procs.items[i as usize].clone()).collect(),
        }
    }
}
