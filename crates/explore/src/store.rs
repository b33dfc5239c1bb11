//! The visited set of the search: every state, exactly (collapsed), or,
//! with hash compaction, only a 128-bit fingerprint of each state, the
//! states themselves kept only until they are expanded.
//!
//! **Collapsed** (the default), as SPIN's `-DCOLLAPSE`, on two levels:
//! each part of a state (a process's private part, its process-table
//! entry, a shared object) is interned once in a table of its kind; so is
//! each list of parts (a state's objects, entries, processes: lists of
//! numbers), and the files and the lost-update bookkeeping; a state is
//! stored as five numbers. A step changes one or two parts, so most parts
//! and lists are shared by many states and stored once; comparing two
//! states compares five numbers. A part or list a step did not change
//! carries its number (see [`Shared::interned`]), so only what a step made
//! is looked up.
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
use interleave_machine::shared_ptr::{Parts, Shared};
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
            Store::Full(c) => c.keys.len(),
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

/// Lists of parts (a state's objects, process-table entries or
/// processes), each interned once: a list is known by its parts' numbers,
/// and the stored copy holds the tables' own parts.
struct Lists<T> {
    tag: u32,
    items: Vec<Parts<T>>,
    index: HashTable<u32>,
    /// The parts' numbers of the list being looked up.
    ids: Vec<u32>,
}

impl<T> Default for Lists<T> {
    fn default() -> Lists<T> {
        Lists { tag: NEXT_TAG.fetch_add(1, Ordering::Relaxed), items: vec![], index: HashTable::new(), ids: vec![] }
    }
}

impl<T: Hash + Clone + Eq> Lists<T> {
    fn intern(&mut self, parts: &mut Table<T>, l: &Parts<T>) -> u32 {
        if let Some(id) = l.interned(self.tag) {
            return id;
        }
        self.ids.clear();
        for x in l.iter() {
            self.ids.push(parts.intern(x));
        }
        let tag = parts.tag;
        let (ids, items) = (&self.ids, &self.items);
        let found = match self.index.entry(
            FxBuildHasher.hash_one(ids),
            |&i| {
                let y = &items[i as usize];
                y.len() == ids.len() && numbers(y, tag).eq(ids.iter().copied())
            },
            |&i| FxBuildHasher.hash_one(numbers(&items[i as usize], tag).collect::<Vec<u32>>()),
        ) {
            Entry::Occupied(e) => Some(*e.get()),
            Entry::Vacant(e) => {
                e.insert(items.len() as u32);
                None
            }
        };
        let id = found.unwrap_or_else(|| {
            // the stored copy holds the tables' parts, each with its number
            let own: Vec<Shared<T>> = self.ids.iter().map(|&i| parts.items[i as usize].clone()).collect();
            let own = Shared::new(own);
            own.set_interned(self.tag, self.items.len() as u32);
            self.items.push(own);
            (self.items.len() - 1) as u32
        });
        l.set_interned(self.tag, id);
        id
    }
}

/// The numbers of a stored list's parts (each has one; `u32::MAX`, which
/// matches nothing, if a later table took it over).
fn numbers<T: Hash + Clone>(l: &Parts<T>, tag: u32) -> impl Iterator<Item = u32> + '_ {
    l.iter().map(move |x| x.interned(tag).unwrap_or(u32::MAX))
}

/// The exact visited set, collapsed: see the module documentation.
#[derive(Default)]
pub struct Collapsed {
    objects: Table<Object>,
    metas: Table<ProcMeta>,
    procs: Table<Proc>,
    object_lists: Lists<Object>,
    meta_lists: Lists<ProcMeta>,
    proc_lists: Lists<Proc>,
    files: Table<Vec<File>>,
    track: Table<Vec<LocTrack>>,
    /// Each state as the numbers of its parts: files, lost-update
    /// bookkeeping, objects, process-table entries, processes.
    keys: Vec<[u32; 5]>,
    /// State indices, by the hash of their numbers.
    set: HashTable<u32>,
}

impl Collapsed {
    fn insert(&mut self, s: &State) -> (usize, bool) {
        let key = [
            self.files.intern(&s.world.files),
            self.track.intern(&s.world.track),
            self.object_lists.intern(&mut self.objects, &s.world.objects),
            self.meta_lists.intern(&mut self.metas, &s.world.procs),
            self.proc_lists.intern(&mut self.procs, &s.procs),
        ];
        let n = self.keys.len();
        let keys = &self.keys;
        match self.set.entry(
            FxBuildHasher.hash_one(key),
            |&k| keys[k as usize] == key,
            |&k| FxBuildHasher.hash_one(keys[k as usize]),
        ) {
            Entry::Occupied(e) => (*e.get() as usize, false),
            Entry::Vacant(e) => {
                e.insert(n as u32);
                self.keys.push(key);
                (n, true)
            }
        }
    }

    /// State `k`, rebuilt from its parts (each list shared, not copied).
    fn state(&self, k: usize) -> State {
        let [files, track, objects, metas, procs] = self.keys[k];
        State {
            world: World {
                objects: self.object_lists.items[objects as usize].clone(),
                procs: self.meta_lists.items[metas as usize].clone(),
                files: self.files.items[files as usize].clone(),
                track: self.track.items[track as usize].clone(),
            },
            procs: self.proc_lists.items[procs as usize].clone(),
        }
    }
}
