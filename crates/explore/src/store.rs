//! The visited set of the search: every state, exactly (collapsed), or,
//! with hash compaction, only a 128-bit fingerprint of each state.
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
//! The tables are shared by every search thread (each split into
//! [`SHARDS`] shards behind a lock): the thread that makes a state also
//! numbers its parts ([`Store::stored`]), and only the set of five-number
//! keys is kept by the thread that merges, in order. A number stands for
//! one content for the whole search, whatever thread gave it, so which
//! states are equal, and so every result, does not depend on the threads.
//!
//! **Hash compaction** keeps a 128-bit fingerprint per state instead of
//! its key (and the key only until the state is expanded): two different
//! states with the same fingerprint are taken for one, so a state may be
//! missed. With n states the chance of any such collision is below
//! n²/2^129 (about 10^-25 for a billion states); the report says the run
//! used it. Over whole states it saved most of the memory; over collapsed
//! ones it saves none, since the tables of parts dominate.

use std::collections::VecDeque;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use hashbrown::hash_table::{Entry, HashTable};
use rustc_hash::{FxBuildHasher, FxHashMap};

use interleave_machine::interp::Proc;
use interleave_machine::shared_ptr::{Parts, Shared};
use interleave_machine::system::State;
use interleave_machine::world::{File, LocTrack, Object, ProcMeta, World};

/// A state ready to be stored, made on the thread that made the state.
pub enum Stored {
    /// The numbers of its parts (the state itself is not needed).
    Key([u32; 5]),
    /// Under hash compaction: its fingerprint, and its key until it is
    /// expanded.
    Kept(u128, [u32; 5]),
}

pub struct Store {
    tables: Arc<Tables>,
    kind: Kind,
}

enum Kind {
    Full {
        /// Each state's key, in index order.
        keys: Vec<[u32; 5]>,
        /// State indices, by the hash of their keys.
        set: HashTable<u32>,
    },
    Compact {
        seen: FxHashMap<u128, u32>,
        /// The keys of states `base..` (not yet expanded), in index order.
        queue: VecDeque<[u32; 5]>,
        base: usize,
    },
}

fn fingerprint(s: &State) -> u128 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    s.hash(&mut h);
    h.digest128()
}

/// A stored state to expand: its key, to rebuild it where it is expanded.
pub struct Unexpanded([u32; 5]);

/// Makes states ready to store, and rebuilds stored ones; shared by every
/// search thread.
#[derive(Clone)]
pub struct Keyer {
    tables: Arc<Tables>,
    compact: bool,
}

impl Keyer {
    pub fn load(&self, u: &Unexpanded) -> State {
        self.tables.state(u.0)
    }

    pub fn stored(&self, s: State) -> Stored {
        if self.compact {
            Stored::Kept(fingerprint(&s), self.tables.key(&s))
        } else {
            Stored::Key(self.tables.key(&s))
        }
    }
}

impl Store {
    pub fn new(compact: bool) -> Store {
        let kind = if compact {
            Kind::Compact { seen: FxHashMap::default(), queue: VecDeque::new(), base: 0 }
        } else {
            Kind::Full { keys: vec![], set: HashTable::new() }
        };
        Store { tables: Arc::default(), kind }
    }

    /// What the search threads use to make states ready to store.
    pub fn keyer(&self) -> Keyer {
        Keyer { tables: self.tables.clone(), compact: self.compact() }
    }

    pub fn len(&self) -> usize {
        match &self.kind {
            Kind::Full { keys, .. } => keys.len(),
            Kind::Compact { seen, .. } => seen.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The index of `s`, and whether it is new.
    pub fn insert(&mut self, s: State) -> (usize, bool) {
        let stored = self.keyer().stored(s);
        self.insert_stored(stored)
    }

    /// The index of a state made ready by [`Keyer::stored`], and whether
    /// it is new.
    pub fn insert_stored(&mut self, s: Stored) -> (usize, bool) {
        match (&mut self.kind, s) {
            (Kind::Full { keys, set }, Stored::Key(key)) => {
                let n = keys.len();
                let k = &*keys;
                match set.entry(
                    FxBuildHasher.hash_one(key),
                    |&i| k[i as usize] == key,
                    |&i| FxBuildHasher.hash_one(k[i as usize]),
                ) {
                    Entry::Occupied(e) => (*e.get() as usize, false),
                    Entry::Vacant(e) => {
                        e.insert(n as u32);
                        keys.push(key);
                        (n, true)
                    }
                }
            }
            (Kind::Compact { seen, queue, .. }, Stored::Kept(fp, key)) => {
                let n = seen.len() as u32;
                match seen.entry(fp) {
                    std::collections::hash_map::Entry::Occupied(e) => (*e.get() as usize, false),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(n);
                        queue.push_back(key);
                        (n as usize, true)
                    }
                }
            }
            _ => unreachable!("a state made ready for another kind of store"),
        }
    }

    /// A state not yet forgotten: with compaction, one not yet expanded.
    pub fn get(&self, i: usize) -> State {
        match &self.kind {
            Kind::Full { keys, .. } => self.tables.state(keys[i]),
            Kind::Compact { queue, base, .. } => self.tables.state(queue[i - *base]),
        }
    }

    /// State `i`, to expand (see [`Keyer::load`]).
    pub fn unexpanded(&self, i: usize) -> Unexpanded {
        match &self.kind {
            Kind::Full { keys, .. } => Unexpanded(keys[i]),
            Kind::Compact { queue, base, .. } => Unexpanded(queue[i - *base]),
        }
    }

    /// States before `end` are expanded: compaction forgets them.
    pub fn expanded(&mut self, end: usize) {
        if let Kind::Compact { queue, base, .. } = &mut self.kind {
            while *base < end {
                queue.pop_front();
                *base += 1;
            }
        }
    }

    pub fn compact(&self) -> bool {
        matches!(self.kind, Kind::Compact { .. })
    }
}

/// Gives each intern table its own tag, so a number one table gave is
/// never taken for another's.
static NEXT_TAG: AtomicU32 = AtomicU32::new(1);

/// Shards per table: threads that number different parts rarely wait for
/// one another.
pub const SHARDS: usize = 16;

/// One shard of a table: its items, and their indices by hash.
struct Shard<T> {
    items: Vec<T>,
    index: HashTable<u32>,
}

impl<T> Default for Shard<T> {
    fn default() -> Shard<T> {
        Shard { items: vec![], index: HashTable::new() }
    }
}

/// The number of item `local` of shard `shard`.
fn number(local: usize, shard: usize) -> u32 {
    u32::try_from(local * SHARDS + shard).expect("fewer than 2^32 distinct parts")
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // a panic elsewhere never leaves a shard half-changed: each change is
    // one push and one insert
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Shared values numbered by content: each distinct content once, in
/// locked shards, under a tag of its own.
struct Numbered<V> {
    tag: u32,
    shards: Vec<Mutex<Shard<Shared<V>>>>,
}

impl<V> Default for Numbered<V> {
    fn default() -> Numbered<V> {
        Numbered {
            tag: NEXT_TAG.fetch_add(1, Ordering::Relaxed),
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }
}

impl<V: Hash + Clone> Numbered<V> {
    /// The number of `x`'s content: that of the stored value `same` finds
    /// among those with hash `hash` (`hash_of` gives a stored value's), or,
    /// when there is none, a new number for the copy `keep` makes.
    fn number(
        &self,
        x: &Shared<V>,
        hash: u64,
        same: impl Fn(&Shared<V>) -> bool,
        hash_of: impl Fn(&Shared<V>) -> u64,
        keep: impl FnOnce() -> Shared<V>,
    ) -> u32 {
        let shard = (hash >> 48) as usize % SHARDS;
        let mut guard = lock(&self.shards[shard]);
        let Shard { items, index } = &mut *guard;
        let found = match index.entry(hash, |&i| same(&items[i as usize]), |&i| hash_of(&items[i as usize])) {
            Entry::Occupied(e) => Some(*e.get()),
            Entry::Vacant(e) => {
                e.insert(items.len() as u32);
                None
            }
        };
        let id = match found {
            Some(local) => number(local as usize, shard),
            None => {
                // numbered before any other thread can find it
                let own = keep();
                let id = number(items.len(), shard);
                own.set_interned(self.tag, id);
                items.push(own);
                id
            }
        };
        drop(guard);
        x.set_interned(self.tag, id);
        id
    }

    fn get(&self, id: u32) -> Shared<V> {
        let (local, shard) = (id as usize / SHARDS, id as usize % SHARDS);
        lock(&self.shards[shard]).items[local].clone()
    }
}

/// One copy of each distinct version of a part, numbered.
type Table<T> = Numbered<T>;

impl<T: Hash + Clone + Eq> Table<T> {
    fn intern(&self, x: &Shared<T>) -> u32 {
        if let Some(id) = x.interned(self.tag) {
            return id;
        }
        let d = x.digest();
        self.number(x, d as u64, |y| y.digest() == d && y == x, |y| y.digest() as u64, || x.clone())
    }
}

/// Lists of parts (a state's objects, process-table entries or
/// processes), each interned once: a list is known by its parts' numbers,
/// and the stored copy holds the tables' own parts.
type Lists<T> = Numbered<Vec<Shared<T>>>;

/// The numbers of a stored list's parts (each has one; `u32::MAX`, which
/// matches nothing, if a later table took it over).
fn numbers<T: Hash + Clone>(l: &Parts<T>, tag: u32) -> impl Iterator<Item = u32> + '_ {
    l.iter().map(move |x| x.interned(tag).unwrap_or(u32::MAX))
}

impl<T: Hash + Clone + Eq> Lists<T> {
    fn intern_list(&self, parts: &Table<T>, l: &Parts<T>) -> u32 {
        if let Some(id) = l.interned(self.tag) {
            return id;
        }
        let ids: Vec<u32> = l.iter().map(|x| parts.intern(x)).collect();
        let tag = parts.tag;
        self.number(
            l,
            FxBuildHasher.hash_one(&ids),
            |y| y.len() == ids.len() && numbers(y, tag).eq(ids.iter().copied()),
            |y| FxBuildHasher.hash_one(numbers(y, tag).collect::<Vec<u32>>()),
            // the stored copy holds the tables' parts, each with its number
            // (a part table is never locked while waiting for a list shard,
            // so taking its lock here cannot deadlock)
            || Shared::new(ids.iter().map(|&i| parts.get(i)).collect()),
        )
    }
}

/// Every table of the collapsed store: see the module documentation.
#[derive(Default)]
struct Tables {
    objects: Table<Object>,
    metas: Table<ProcMeta>,
    procs: Table<Proc>,
    object_lists: Lists<Object>,
    meta_lists: Lists<ProcMeta>,
    proc_lists: Lists<Proc>,
    files: Table<Vec<File>>,
    track: Table<Vec<LocTrack>>,
}

impl Tables {
    /// The numbers of a state's parts: files, lost-update bookkeeping,
    /// objects, process-table entries, processes.
    fn key(&self, s: &State) -> [u32; 5] {
        [
            self.files.intern(&s.world.files),
            self.track.intern(&s.world.track),
            self.object_lists.intern_list(&self.objects, &s.world.objects),
            self.meta_lists.intern_list(&self.metas, &s.world.procs),
            self.proc_lists.intern_list(&self.procs, &s.procs),
        ]
    }

    /// The state with this key, rebuilt from its parts (each list shared,
    /// not copied).
    fn state(&self, [files, track, objects, metas, procs]: [u32; 5]) -> State {
        State {
            world: World {
                objects: self.object_lists.get(objects),
                procs: self.meta_lists.get(metas),
                files: self.files.get(files),
                track: self.track.get(track),
            },
            procs: self.proc_lists.get(procs),
        }
    }
}
