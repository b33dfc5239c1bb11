//! The visited set of the search: every state, exactly (collapsed), or,
//! with hash compaction, only a 128-bit fingerprint of each state.
//!
//! **Collapsed** (the default), as SPIN's `-DCOLLAPSE`, on two levels:
//! each part of a state (a process's private part, its process-table
//! entry, a shared object) is interned once in a table of its kind; so is
//! each list of parts (a state's objects, entries, processes: lists of
//! numbers), and the files and the lost-update bookkeeping; a state is
//! stored as five numbers, or, with wide keys (see [`Store::new`]), as
//! four (files, bookkeeping, the lists of objects and of process-table
//! entries) and one per process. A step changes one or two parts, so most
//! parts and lists are shared by many states and stored once; comparing
//! two states compares their numbers. A part or list a step did not change
//! carries its number (see [`Shared::interned`]), so only what a step made
//! is looked up.
//!
//! The tables are shared by every search thread (each split into
//! [`SHARDS`] shards behind a lock): the thread that makes a state also
//! numbers its parts ([`Keyer::stored`]), and only the set of keys is kept
//! by the thread that merges, in order. A number stands for
//! one content for the whole search, whatever thread gave it, so which
//! states are equal, and so every result, does not depend on the threads.
//!
//! **Remembered steps**: the numbers also name what a step reads, so what
//! a step did is kept, by number, in a table beside the others and
//! recalled instead of running the step again. Over narrow keys a step is
//! kept by the whole world (see [`StepKey`]); over wide ones, which the
//! search without reductions uses, by the parts of the world it read, found
//! as it runs (see [`ReadSteps`]), and as changes to them (see [`Delta`]),
//! so that one step recalled serves every state that agrees on what it
//! read; that search then works on numbers alone (see
//! [`Keyer::replay_numbers`]).
//!
//! **Hash compaction** keeps a 128-bit fingerprint per state instead of
//! its key (and the key only until the state is expanded): two different
//! states with the same fingerprint are taken for one, so a state may be
//! missed. With n states the chance of any such collision is below
//! n²/2^129 (about 10^-25 for a billion states); the report says the run
//! used it. Over whole states it saved most of the memory; over collapsed
//! ones it saves none, since the tables of parts dominate.

use std::borrow::Borrow;
use std::collections::VecDeque;
use std::hash::{BuildHasher, Hash};
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use hashbrown::hash_table::{Entry, HashTable};
use rustc_hash::{FxBuildHasher, FxHashMap};
use smallvec::SmallVec;

use interleave_machine::interp::{Event, Machine, Proc};
use interleave_machine::reads::Reads;
use interleave_machine::shared_ptr::{Parts, Shared};
use interleave_machine::system::{Actor, State};
use interleave_machine::value::Pid;
use interleave_machine::world::{redo_track, File, LocTrack, Object, ProcMeta, TrackOp, World};

/// A state's key: the numbers of its files and lost-update bookkeeping, of
/// its objects' list and its process-table entries' list; then of its
/// processes' list (narrow keys) or of each process (wide keys, see
/// [`Store::new`]).
pub type Key = SmallVec<[u32; 12]>;

/// A state ready to be stored, made on the thread that made the state.
pub enum Stored {
    /// The numbers of its parts (the state itself is not needed), and
    /// their hash, computed where the state was made rather than where it
    /// is merged.
    Key(Key, u32),
    /// Under hash compaction: its fingerprint, and its key until it is
    /// expanded (boxed: the search without reductions, which moves the
    /// most states, never uses it).
    Kept(Box<(u128, Key)>),
}

impl Stored {
    fn key(key: Key) -> Stored {
        let hash = Slot::hash(&key);
        Stored::Key(key, hash)
    }
}

pub struct Store {
    tables: Arc<Tables>,
    kind: Kind,
    wide: bool,
}

enum Kind {
    Full {
        /// Every state's key, one after the other, in index order.
        words: Vec<u32>,
        /// Where each state's key ends in `words`.
        ends: Vec<usize>,
        /// Each state's key (where it is in `words`), by its hash.
        set: Visited,
    },
    Compact {
        seen: FxHashMap<u128, u32>,
        /// The keys of states `base..` (not yet expanded), in index order.
        queue: VecDeque<Key>,
        base: usize,
    },
}

fn fingerprint(s: &State) -> u128 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    s.hash(&mut h);
    h.digest128()
}

/// A state in the visited set: where its key is among the keys and its
/// length (in one word, the length in the top byte; `LONG` there for a key
/// too long for it, whose length `ends` gives), its index and its key's
/// 32-bit hash. Finding a state reads this and its key, and growing the set
/// reads no key.
#[derive(Clone, Copy)]
struct Slot {
    at: u64,
    index: u32,
    hash: u32,
}

impl Slot {
    const LONG: usize = 255;
    /// The index of an empty slot (see [`Visited`]).
    const EMPTY: u32 = u32::MAX;
    const START: u64 = (1 << 56) - 1;

    fn new(start: usize, len: usize, index: usize, hash: u32) -> Slot {
        let start = u64::try_from(start).ok().filter(|s| *s <= Self::START).expect("fewer than 2^56 key words");
        let index = u32::try_from(index).ok().filter(|i| *i != Self::EMPTY).expect("fewer than 2^32 - 1 states");
        Slot { at: start | (len.min(Self::LONG) as u64) << 56, index, hash }
    }

    fn start(&self) -> usize {
        (self.at & Self::START) as usize
    }

    fn len(&self, ends: &[usize]) -> usize {
        match (self.at >> 56) as usize {
            Self::LONG => ends[self.index as usize] - self.start(),
            len => len,
        }
    }

    fn hash(key: &[u32]) -> u32 {
        (FxBuildHasher.hash_one(key) >> 32) as u32
    }

    /// The 32-bit hash spread over 64 bits, as the table uses them (its
    /// low bits pick the bucket, its high ones tell entries apart).
    fn spread(hash: u32) -> u64 {
        (hash as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }

    fn key<'w>(&self, words: &'w [u32], ends: &[usize]) -> &'w [u32] {
        &words[self.start()..self.start() + self.len(ends)]
    }
}

/// The visited set's table of [`Slot`]s: open addressing with linear
/// probing, at most three quarters full. Written here for the one thing
/// hashbrown's tables do not offer: the merge knows the hashes of the
/// states it looks up next and asks for their slots ahead of time
/// ([`Visited::prefetch`]), so the cache misses of several lookups overlap
/// (in a search of millions of states each lookup misses the cache).
struct Visited {
    /// A power of two of them; an empty one has [`Slot::EMPTY`] as index.
    slots: Vec<Slot>,
    len: usize,
    /// 64 minus the bits of a slot's position.
    shift: u32,
}

impl Visited {
    const FIRST_BITS: u32 = 10;

    fn new() -> Visited {
        Visited::with_bits(Self::FIRST_BITS)
    }

    fn with_bits(bits: u32) -> Visited {
        let empty = Slot { at: 0, index: Slot::EMPTY, hash: 0 };
        Visited { slots: vec![empty; 1 << bits], len: 0, shift: 64 - bits }
    }

    /// Where a state of hash `hash` is looked for first.
    fn home(&self, hash: u32) -> usize {
        (Slot::spread(hash) >> self.shift) as usize
    }

    /// The index of the state of hash `hash` that `same` accepts, or the
    /// empty slot where it would go.
    fn find(&self, hash: u32, same: impl Fn(&Slot) -> bool) -> Result<u32, usize> {
        let mask = self.slots.len() - 1;
        let mut at = self.home(hash);
        loop {
            let x = &self.slots[at];
            if x.index == Slot::EMPTY {
                return Err(at);
            }
            if x.hash == hash && same(x) {
                return Ok(x.index);
            }
            at = (at + 1) & mask;
        }
    }

    /// Puts `slot` in the empty slot `at` that [`Visited::find`] gave.
    fn put(&mut self, at: usize, slot: Slot) {
        self.slots[at] = slot;
        self.len += 1;
        if self.len * 4 > self.slots.len() * 3 {
            let bits = 64 - self.shift + 1;
            let old = std::mem::replace(self, Visited::with_bits(bits));
            for x in old.slots.into_iter().filter(|x| x.index != Slot::EMPTY) {
                let Err(at) = self.find(x.hash, |_| false) else { unreachable!("the new table is empty") };
                self.slots[at] = x;
            }
            self.len = old.len;
        }
    }

    /// Asks for the slot a state of hash `hash` is looked for first in.
    fn prefetch(&self, hash: u32) {
        prefetch(&self.slots[self.home(hash)]);
    }
}

/// Asks the processor for the memory at `p` ahead of its use: a hint, with
/// no effect on what the program does (nothing on other processors).
pub(crate) fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing the program sees and cannot fault,
    // whatever the address
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// A stored state to expand: its key, to rebuild it where it is expanded.
pub struct Unexpanded(Key);

/// Makes states ready to store, and rebuilds stored ones; shared by every
/// search thread.
#[derive(Clone)]
pub struct Keyer {
    tables: Arc<Tables>,
    compact: bool,
    wide: bool,
}

impl Keyer {
    pub fn load(&self, u: &Unexpanded) -> State {
        self.tables.state(&u.0, self.wide)
    }

    pub fn stored(&self, s: State) -> Stored {
        let key = self.tables.key(&s, self.wide);
        if self.compact {
            Stored::Kept(Box::new((fingerprint(&s), key)))
        } else {
            Stored::key(key)
        }
    }

    /// What `a`'s step from `s` reads, by number, when every part it reads
    /// has one (a stored state's have).
    pub fn step_key(&self, s: &State, a: Actor) -> Option<StepKey> {
        let t = &*self.tables;
        let proc = match a {
            Actor::Proc(p) | Actor::Signal(p) => s.procs.get(p as usize)?.interned(t.procs.tag)?,
            Actor::Feeder(..) => u32::MAX,
        };
        let world = [
            s.world.files.interned(t.files.tag)?,
            s.world.objects.untracked().interned(t.object_lists.tag)?,
            s.world.procs.untracked().interned(t.meta_lists.tag)?,
        ];
        Some(StepKey { actor: a, proc, world })
    }

    /// The step read `k` did before, if one did: `Some(None)` when it was
    /// blocked.
    pub fn recalled(&self, k: &StepKey) -> Option<Option<Arc<StepDone>>> {
        self.tables.steps.get(k)
    }

    /// Remembers what the step that read `k` did: `after` is the state it
    /// made from a state of `before` processes, what it reported and its
    /// changes to the lost-update bookkeeping, or `None` when it was
    /// blocked.
    pub fn remember(&self, k: StepKey, before: usize, after: Option<(&State, &[Event], Vec<TrackOp>)>) {
        let t = &*self.tables;
        let done = after.map(|(s, events, ops)| {
            let (proc, spawned) = match k.actor {
                Actor::Proc(p) | Actor::Signal(p) => (
                    t.procs.intern(&s.procs[p as usize]),
                    s.procs[before..].iter().map(|x| t.procs.intern(x)).collect(),
                ),
                Actor::Feeder(..) => (u32::MAX, vec![]),
            };
            Arc::new(StepDone {
                proc,
                world: t.world_key(&s.world),
                ops: t.ops_numbered(ops),
                more: Tables::more(spawned, events),
            })
        });
        t.steps.insert(k, done);
    }

    /// The state a step that did `d` makes from `s` (which read `k`).
    pub fn replay(&self, s: &State, k: &StepKey, d: &StepDone) -> (State, Vec<Event>) {
        let t = &*self.tables;
        let procs = match self.moved_procs(|| self.proc_numbers(s), k, d) {
            Some(ids) => t.proc_lists.get(t.proc_lists.intern_numbers(&t.procs, &ids)),
            None => s.procs.clone(),
        };
        let w = &s.world;
        let from = t.track.intern(&w.track);
        let (track, events) =
            self.mine(|mine| t.track_after(&mut mine.after.track, from, || w.track.clone(), &d.ops, d.others()));
        let events = events.as_deref().map_or_else(Vec::new, <[Event]>::to_vec);
        // a part the step did not change is the parent's own
        let [files, objects, metas] = d.world;
        let world = World {
            files: if files == k.world[0] { w.files.clone() } else { t.files.get(files) },
            track: if track == from { w.track.clone() } else { t.track.get(track) },
            objects: if objects == k.world[1] { w.objects.clone() } else { t.object_lists.get(objects).into() },
            procs: if metas == k.world[2] { w.procs.clone() } else { t.meta_lists.get(metas).into() },
        };
        (State { world, procs }, events)
    }

    /// The numbers of the processes after a step that did `d` from a state
    /// whose processes' numbers `before` gives (which read `k`); `None`
    /// when they are the same.
    fn moved_procs(&self, before: impl FnOnce() -> Vec<u32>, k: &StepKey, d: &StepDone) -> Option<Vec<u32>> {
        match k.actor {
            Actor::Proc(p) | Actor::Signal(p) if d.proc != k.proc || !d.spawned().is_empty() => {
                let mut ids = before();
                ids[p as usize] = d.proc;
                ids.extend_from_slice(d.spawned());
                Some(ids)
            }
            _ => None,
        }
    }

    /// The numbers of a state's processes.
    fn proc_numbers(&self, s: &State) -> Vec<u32> {
        let t = &*self.tables;
        match s.procs.interned(t.proc_lists.tag) {
            Some(list) => t.proc_lists.numbers_of(list),
            None => s.procs.iter().map(|x| t.procs.intern(x)).collect(),
        }
    }

    /// A stored state by number (with a wide key): enough to take the
    /// steps it has taken before (see [`Keyer::replay_numbers`]) without
    /// making the state.
    pub fn numbers<'u>(&self, u: &'u Unexpanded, mine: &mut Mine) -> Numbers<'u> {
        assert!(self.wide, "states are taken by number over wide keys only");
        let t = &*self.tables;
        let objects = Mine::list(&mut mine.objects, u.0[2], |l| t.object_lists.with(l, |(_, ids)| (&ids[..]).into()));
        let metas = Mine::list(&mut mine.metas, u.0[3], |l| t.meta_lists.with(l, |(_, ids)| (&ids[..]).into()));
        Numbers { key: &u.0, objects, metas }
    }

    /// `f` with this thread's copy of what it used of the tables (see
    /// [`Mine`]), to take steps by number.
    pub fn mine<R>(&self, f: impl FnOnce(&mut Mine) -> R) -> R {
        Mine::with(self.tables.read_steps.id, f)
    }

    /// The actors that can move in the state numbered `n`, `None` when it
    /// has finished; they depend on its objects and process table only, so
    /// they are found once for each content of those.
    pub fn actors(&self, m: &Machine<'_>, n: &Numbers<'_>, mine: &mut Mine) -> Option<Rc<[Actor]>> {
        let t = &*self.tables;
        let world = n.world();
        if let Some(a) = mine.actors.get(&world) {
            return a.clone();
        }
        let actors = t.actors.get(&world).unwrap_or_else(|| {
            let w = World {
                objects: t.object_lists.get(world.0).into(),
                procs: t.meta_lists.get(world.1).into(),
                ..World::default()
            };
            let actors = (!m.world_finished(&w)).then(|| m.world_actors(&w).into());
            t.actors.insert(world, actors.clone());
            actors
        });
        let actors: Option<Rc<[Actor]>> = actors.as_deref().map(Rc::from);
        mine.actors.insert(world, actors.clone());
        actors
    }

    /// The line process `p` of the state numbered `n` stands at.
    pub fn line(&self, m: &Machine<'_>, n: &Numbers<'_>, p: Pid, mine: &mut Mine) -> u32 {
        let proc = n.procs()[p as usize];
        *mine.lines.entry(proc).or_insert_with(|| self.tables.procs.with(proc, |(x, _)| m.proc_line(x)))
    }

    /// `a`'s step from the state numbered `n`, when it was done before
    /// (found by the numbers of what it may read, see [`ReadSteps`]): the
    /// state it makes, ready to store, and its events.
    pub fn take(&self, n: &Numbers<'_>, a: Actor, mine: &mut Mine) -> Taken {
        let Mine { known, after, .. } = mine;
        match self.tables.read_steps.recall(known, (a, n.proc_of(a)), |r| read_numbers(n, r)) {
            None => Taken::Unknown,
            Some(None) => Taken::Blocked,
            Some(Some(d)) => {
                let (to, events) = self.replay_in(n, a, d, after);
                Taken::Moved(to, events)
            }
        }
    }

    /// Remembers what `a`'s step from the state numbered `n` did, run
    /// after [`Keyer::take`] gave `Unknown`: it read `read`, and `after`
    /// is the state it made, what it reported and its changes to the
    /// lost-update bookkeeping, or `None` when it was blocked. Gives what it
    /// did, by number.
    pub fn learn(
        &self,
        n: &Numbers<'_>,
        a: Actor,
        read: Reads,
        after: Option<(&State, &[Event], Vec<TrackOp>)>,
        mine: &mut Mine,
    ) -> Option<Arc<Delta>> {
        let t = &*self.tables;
        let done = after.map(|(s, events, ops)| Arc::new(t.delta(n, a, s, events, ops)));
        t.read_steps.learn(&mut mine.known, (a, n.proc_of(a)), read, |r| read_numbers(n, r), done.clone());
        done
    }

    /// The state a step that did `d` makes from the state numbered `n`,
    /// ready to store, without making the state: its numbers, and the
    /// step's events.
    pub fn replay_numbers(&self, n: &Numbers<'_>, a: Actor, d: &Delta, mine: &mut Mine) -> (Stored, Events) {
        self.replay_in(n, a, d, &mut mine.after)
    }

    /// [`Keyer::replay_numbers`] with this thread's tables of results
    /// after changes.
    fn replay_in(&self, n: &Numbers<'_>, a: Actor, d: &Delta, after: &mut After) -> (Stored, Events) {
        let t = &*self.tables;
        let from = n.key[1];
        let (track, events) = t.track_after(&mut after.track, from, || t.track.get(from), &d.ops, d.others());
        let (objects, metas) = n.world();
        let objects = list_after(
            &mut after.objects,
            (&t.object_lists, &t.objects, &t.object_steps),
            objects,
            n.objects(),
            &d.objects,
        );
        let metas = list_after(&mut after.metas, (&t.meta_lists, &t.metas, &t.meta_steps), metas, n.metas(), &d.metas);
        let spawned = d.spawned();
        let mut key: Key = SmallVec::from_slice(&[d.files.unwrap_or(n.key[0]), track, objects, metas]);
        key.extend_from_slice(n.procs());
        if let Actor::Proc(p) | Actor::Signal(p) = a {
            key[Numbers::PROCS + p as usize] = d.proc;
            key.extend_from_slice(spawned);
        }
        (Stored::key(key), events)
    }
}

/// The shared tables of one kind of list (objects or process-table
/// entries): the lists, their parts, and the lists after changes.
type ListTables<'t, T> = (&'t Lists<T>, &'t Table<T>, &'t Memo<(u32, u32), u32>);

/// The number of the list numbered `from` (its parts' numbers `before`)
/// after changes `c` (`from` itself for none): from this thread's table
/// `mine`, or from the shared `steps`, or made (a list of `parts`, in
/// `lists`) and kept in both.
fn list_after<T: Hash + Clone + Eq>(
    mine: &mut FxHashMap<(u32, u32), u32>,
    (lists, parts, steps): ListTables<'_, T>,
    from: u32,
    before: &[u32],
    c: &Option<Changes>,
) -> u32 {
    let Some(c) = c else { return from };
    let key = (from, c.number);
    if let Some(to) = Mine::local_or(mine, key, |k| steps.get(k)) {
        return to;
    }
    // changed parts take their new numbers, added ones come last
    let mut ids: SmallVec<[u32; 16]> = SmallVec::from_slice(before);
    for &(i, x) in &c.parts {
        match ids.get_mut(i as usize) {
            Some(slot) => *slot = x,
            None => ids.push(x),
        }
    }
    let to = lists.intern_numbers(parts, &ids);
    steps.insert(key, to);
    mine.insert(key, to);
    to
}

/// A stored state by number, from its wide key (files, bookkeeping, the
/// list of objects, that of process-table entries, then each process's
/// number) and the numbers of the parts in its two lists.
pub struct Numbers<'u> {
    key: &'u [u32],
    objects: Rc<[u32]>,
    metas: Rc<[u32]>,
}

impl<'u> Numbers<'u> {
    /// Where the processes' numbers start in a wide key.
    const PROCS: usize = 4;

    fn objects(&self) -> &[u32] {
        &self.objects
    }

    fn metas(&self) -> &[u32] {
        &self.metas
    }

    fn procs(&self) -> &'u [u32] {
        &self.key[Self::PROCS..]
    }

    /// The numbers of the list of objects and of the process table.
    pub fn world(&self) -> (u32, u32) {
        (self.key[2], self.key[3])
    }

    /// The number of the lost-update bookkeeping.
    pub fn track(&self) -> u32 {
        self.key[1]
    }

    /// The number of the private part of the process `a` moves
    /// (`u32::MAX` for a feeder, which moves none).
    pub fn proc_of(&self, a: Actor) -> u32 {
        match a {
            Actor::Proc(p) | Actor::Signal(p) => self.procs()[p as usize],
            Actor::Feeder(..) => u32::MAX,
        }
    }
}

/// What [`Keyer::take`] knows of a step.
pub enum Taken {
    Blocked,
    /// The state it makes, ready to store, and its events.
    Moved(Stored, Events),
    /// Not known: run it, then [`Keyer::learn`] what it did.
    Unknown,
}

/// The numbers of the parts `reads` names in the state numbered `n`: the
/// files, the counts, the objects and process-table entries (`u32::MAX`
/// for one the state does not have, such as an object not made yet).
fn read_numbers(n: &Numbers<'_>, reads: Reads) -> Values {
    let mut out = SmallVec::new();
    if reads.has(Reads::FILES) {
        out.push(n.key[0]);
    }
    let mut some = |all: bool, count: bool, mut bits: u128, parts: &[u32]| {
        if all || count {
            out.push(parts.len() as u32);
        }
        if all {
            out.extend_from_slice(parts);
            return;
        }
        while bits != 0 {
            out.push(parts.get(bits.trailing_zeros() as usize).copied().unwrap_or(u32::MAX));
            bits &= bits - 1;
        }
    };
    some(reads.has(Reads::ALL_OBJECTS), reads.has(Reads::OBJECT_COUNT), reads.objects, n.objects());
    some(reads.has(Reads::ALL_METAS), reads.has(Reads::META_COUNT), reads.metas as u128, n.metas());
    out
}

/// The numbers of the parts a step may read (see [`read_numbers`]). Kept
/// inline up to 14: on the counters and tickets at 6 to 8 processes most
/// lookups have 1 to 4 numbers, but a quarter to two fifths have 9 to 13
/// (main's steps read the whole process table), which with room for 8
/// went to the heap on every recall (one thread, three runs each: counter_unlocked 6
/// 0.93-1.06 s to 0.80-0.89 s, counter_locked 8 1.75-1.80 s to
/// 1.60-1.73 s; two threads within the noise; same peak memory).
type Values = SmallVec<[u32; 14]>;

/// Steps done so far by number, by what they read (LTSmin's read sets,
/// found as each step runs: see [`interleave_machine::reads`]). For each
/// actor and private part of the moving process (a step's *origin*), the
/// parts of the world its steps from there have read so far (its shape);
/// each step is kept by its origin, the shape it was kept under and the
/// numbers of the shape's parts in the state it was taken from. A step
/// depends on nothing else but the lost-update bookkeeping, whose changes
/// are kept and made again (see [`StepKey`]), so a step from a state that
/// agrees on a shape's parts with one kept under that shape does what it
/// did. Any shape is sound, so each thread keeps a copy of the shapes and
/// steps it used (see [`Mine`]): a copy older than the shared one only
/// finds fewer steps.
struct ReadSteps {
    /// The shape of each origin.
    shapes: Memo<(Actor, u32), Reads>,
    done: Memo<ReadKey, Option<Arc<Delta>>>,
    /// Names these tables in each thread's copy (see [`Mine`]).
    id: u64,
}

/// A step kept by [`ReadSteps`]: its origin, a shape and the numbers of its
/// parts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct ReadKey {
    from: (Actor, u32),
    shape: Reads,
    values: Values,
}

/// Numbers the tables of [`ReadSteps`] for the threads' copies of shapes.
static NEXT_READ_STEPS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

thread_local! {
    /// This thread's copy of what it used of one store's tables (by the id
    /// of its [`ReadSteps`]).
    static MINE: std::cell::RefCell<Mine> = std::cell::RefCell::new(Mine::default());
}

/// A thread's copy of what it used of the tables of one store (see
/// [`ReadSteps`], the numbers in the lists of objects and process-table
/// entries, the actors, and [`After`]): found here, a step costs no lock.
/// A step found here is used where it is kept, not copied out, so no
/// count of references changes (threads that recall the same step would
/// otherwise pass its count between their caches; 2 threads, 3 runs each:
/// 0-10 % faster, nothing with one thread). What only this thread holds is
/// counted by `Rc`.
#[derive(Default)]
pub struct Mine {
    id: u64,
    actors: FxHashMap<(u32, u32), Option<Rc<[Actor]>>>,
    /// The line of each private part (see [`Keyer::line`]).
    lines: FxHashMap<u32, u32>,
    known: Known,
    after: After,
    objects: FxHashMap<u32, Rc<[u32]>>,
    metas: FxHashMap<u32, Rc<[u32]>>,
}

/// A thread's copy of the steps of [`ReadSteps`] it used.
#[derive(Default)]
struct Known {
    origins: FxHashMap<(Actor, u32), Origin>,
    /// Steps kept in `origins`.
    steps: usize,
}

/// A thread's copy of the results after changes it used: of the lists of
/// objects and of process-table entries ([`Tables::object_steps`],
/// [`Tables::meta_steps`]) and of the bookkeeping
/// ([`Tables::track_steps`]).
#[derive(Default)]
struct After {
    objects: FxHashMap<(u32, u32), u32>,
    metas: FxHashMap<(u32, u32), u32>,
    track: FxHashMap<(u32, u32), TrackDone>,
}

/// A thread's copy of the steps from one origin: their shape, and each by
/// the numbers of its parts.
#[derive(Default)]
struct Origin {
    shape: Reads,
    done: FxHashMap<Values, Option<Arc<Delta>>>,
}

impl Mine {
    /// Steps a thread keeps a copy of, at most (then it starts again).
    const MAX_STEPS: usize = 1 << 20;

    /// The value for `k` in one of this thread's tables, or what `shared`
    /// finds for it (then kept in the thread's table too).
    fn local_or<K: Hash + Eq + Copy, V: Clone>(
        table: &mut FxHashMap<K, V>,
        k: K,
        shared: impl FnOnce(&K) -> Option<V>,
    ) -> Option<V> {
        if let Some(v) = table.get(&k) {
            return Some(v.clone());
        }
        let v = shared(&k)?;
        table.insert(k, v.clone());
        Some(v)
    }

    /// The numbers of the parts in the list numbered `l`, from one of this
    /// thread's tables, or from what `shared` gives.
    fn list(table: &mut FxHashMap<u32, Rc<[u32]>>, l: u32, shared: impl FnOnce(u32) -> Rc<[u32]>) -> Rc<[u32]> {
        table.entry(l).or_insert_with(|| shared(l)).clone()
    }

    /// `f` on this thread's copy for the store of tables `id`.
    fn with<R>(id: u64, f: impl FnOnce(&mut Mine) -> R) -> R {
        MINE.with(|c| {
            let mine = &mut *c.borrow_mut();
            if mine.id != id {
                *mine = Mine { id, ..Mine::default() };
            }
            f(mine)
        })
    }
}

impl Default for ReadSteps {
    fn default() -> ReadSteps {
        let id = NEXT_READ_STEPS.fetch_add(1, Ordering::Relaxed);
        ReadSteps { shapes: Memo::default(), done: Memo::default(), id }
    }
}

impl ReadSteps {
    /// What the step from `from` did from a state whose numbers for a shape
    /// `values` gives (`Some(None)`: it was blocked), from this thread's
    /// copy, or the shared one; `None` when it is not known.
    fn recall<'k>(
        &self,
        known: &'k mut Known,
        from: (Actor, u32),
        values: impl Fn(Reads) -> Values,
    ) -> Option<&'k Option<Arc<Delta>>> {
        if known.steps >= Mine::MAX_STEPS {
            known.origins.clear();
            known.steps = 0;
        }
        let Known { origins, steps } = known;
        let origin = match origins.entry(from) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            // an origin not seen yet is looked up again next time
            std::collections::hash_map::Entry::Vacant(o) => {
                o.insert(Origin { shape: self.shapes.get(&from)?, done: FxHashMap::default() })
            }
        };
        match origin.done.entry(values(origin.shape)) {
            std::collections::hash_map::Entry::Occupied(d) => Some(d.into_mut()),
            std::collections::hash_map::Entry::Vacant(d) => {
                let key = ReadKey { from, shape: origin.shape, values: d.key().clone() };
                let done = self.done.get(&key)?;
                *steps += 1;
                Some(d.insert(done))
            }
        }
    }

    /// Keeps what the step from `from` did (`None`: it was blocked), from a
    /// state whose numbers for a shape `values` gives, where it read `read`.
    fn learn(
        &self,
        known: &mut Known,
        from: (Actor, u32),
        read: Reads,
        values: impl FnOnce(Reads) -> Values,
        done: Option<Arc<Delta>>,
    ) {
        let shape = self.shapes.update(from, |old| old.unwrap_or_default().union(read));
        let origin = known.origins.entry(from).or_default();
        if origin.shape != shape {
            known.steps -= origin.done.len();
            *origin = Origin { shape, done: FxHashMap::default() };
        }
        let values = values(shape);
        // the thread that learned it recalls it without the shared table
        origin.done.insert(values.clone(), done.clone());
        known.steps += 1;
        self.done.insert(ReadKey { from, shape, values }, done);
    }
}

/// What a step did, by number, as changes: the moving process's new
/// private part, the files when it changed them, the objects and
/// process-table entries it changed or added (see [`Changes`]), its
/// changes to the lost-update bookkeeping, and (rarely) the processes it
/// started and what it reported besides lost updates.
#[derive(Debug)]
pub struct Delta {
    proc: u32,
    files: Option<u32>,
    objects: Option<Changes>,
    metas: Option<Changes>,
    ops: (u32, Box<[TrackOp]>),
    more: Option<Box<More>>,
}

/// A step's changes to a list of parts (objects or process-table
/// entries): each part it changed or added, by index and number, in index
/// order; numbered by content, to name them in [`Tables::object_steps`] or
/// [`Tables::meta_steps`].
#[derive(Debug)]
struct Changes {
    number: u32,
    parts: SmallVec<[(u32, u32); 2]>,
}

impl Delta {
    fn spawned(&self) -> &[u32] {
        More::spawned(&self.more)
    }

    fn others(&self) -> &Events {
        More::others(&self.more)
    }
}

/// What a step reads, by number: the actor, the private part of the
/// process that moves (`u32::MAX` for a feeder, which moves none), and
/// the world's files, objects and process table. A step depends on nothing
/// else (the machine is the same for the whole search), so two steps that
/// read the same numbers do the same; the lost-update bookkeeping only
/// records what the step reads and writes, so the step's changes to it
/// are kept and made again on the bookkeeping of the state it is recalled
/// in (see [`TrackOp`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StepKey {
    actor: Actor,
    proc: u32,
    world: [u32; 3],
}

/// What a step did, by number: the moving process's new private part, the
/// world after it (files, objects, process table), its changes to the
/// lost-update bookkeeping, and (rarely) the processes it started and what
/// it reported besides lost updates.
#[derive(Debug)]
pub struct StepDone {
    proc: u32,
    world: [u32; 3],
    /// Numbered (when there are any) to name them in [`Tables::track_steps`].
    ops: (u32, Box<[TrackOp]>),
    more: Option<Box<More>>,
}

/// What a step did besides its changes, rarely: the processes it started
/// and what it reported besides lost updates (which are made again from
/// the bookkeeping).
#[derive(Debug)]
struct More {
    spawned: Vec<u32>,
    others: Events,
}

/// A step's events, `None` for none; shared, since most steps recalled
/// report what they reported before.
pub type Events = Option<Arc<[Event]>>;

impl More {
    /// The processes a step started.
    fn spawned(more: &Option<Box<More>>) -> &[u32] {
        more.as_deref().map_or(&[][..], |m| &m.spawned[..])
    }

    /// What a step reported besides lost updates.
    fn others(more: &Option<Box<More>>) -> &Events {
        more.as_deref().map_or(&None, |m| &m.others)
    }
}

impl StepDone {
    fn spawned(&self) -> &[u32] {
        More::spawned(&self.more)
    }

    fn others(&self) -> &Events {
        More::others(&self.more)
    }
}

impl Store {
    /// A store of whole keys, or of fingerprints (`compact`). `wide` keys
    /// hold each process's number instead of their list's: a step that
    /// changes one process then changes one number of the key, where a
    /// narrow key needs the number of the new list (a lookup per step, and
    /// a new list interned for most new states); a step recalled by what it
    /// read (see [`Keyer::take`]) is made on them by number. Narrow keys
    /// are smaller and faster to make from a whole state, which is what the
    /// reductions give.
    pub fn new(compact: bool, wide: bool) -> Store {
        let kind = if compact {
            Kind::Compact { seen: FxHashMap::default(), queue: VecDeque::new(), base: 0 }
        } else {
            Kind::Full { words: vec![], ends: vec![], set: Visited::new() }
        };
        Store { tables: Arc::default(), kind, wide }
    }

    /// What the search threads use to make states ready to store.
    pub fn keyer(&self) -> Keyer {
        Keyer { tables: self.tables.clone(), compact: self.compact(), wide: self.wide }
    }

    pub fn len(&self) -> usize {
        match &self.kind {
            Kind::Full { ends, .. } => ends.len(),
            Kind::Compact { seen, .. } => seen.len(),
        }
    }

    /// The key of state `i`.
    fn key(&self, i: usize) -> &[u32] {
        match &self.kind {
            Kind::Full { words, ends, .. } => &words[if i == 0 { 0 } else { ends[i - 1] }..ends[i]],
            Kind::Compact { queue, base, .. } => &queue[i - *base],
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
            (Kind::Full { words, ends, set }, Stored::Key(key, hash)) => {
                let n = ends.len();
                match set.find(hash, |x| x.key(words, ends) == &key[..]) {
                    Ok(index) => (index as usize, false),
                    Err(at) => {
                        set.put(at, Slot::new(words.len(), key.len(), n, hash));
                        words.extend_from_slice(&key);
                        ends.push(words.len());
                        (n, true)
                    }
                }
            }
            (Kind::Compact { seen, queue, .. }, Stored::Kept(kept)) => {
                let (fp, key) = *kept;
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

    /// Asks for the memory where `s` would be found, ahead of
    /// [`Store::insert_stored`] (a hint: see [`Visited`]).
    pub fn prefetch(&self, s: &Stored) {
        if let (Kind::Full { set, .. }, Stored::Key(_, hash)) = (&self.kind, s) {
            set.prefetch(*hash);
        }
    }

    /// A state not yet forgotten: with compaction, one not yet expanded.
    pub fn get(&self, i: usize) -> State {
        self.tables.state(self.key(i), self.wide)
    }

    /// State `i`, to expand (see [`Keyer::load`]).
    pub fn unexpanded(&self, i: usize) -> Unexpanded {
        Unexpanded(SmallVec::from_slice(self.key(i)))
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

/// One shard of a table: its items (each a value and what is kept beside
/// it), and their indices by hash.
struct Shard<V, X> {
    items: Vec<(Shared<V>, X)>,
    index: HashTable<u32>,
}

impl<V, X> Default for Shard<V, X> {
    fn default() -> Shard<V, X> {
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
/// locked shards, under a tag of its own; each kept with an `X` of its
/// own (a list's numbers).
struct Numbered<V, X = ()> {
    tag: u32,
    shards: Vec<Mutex<Shard<V, X>>>,
}

impl<V, X> Default for Numbered<V, X> {
    fn default() -> Numbered<V, X> {
        Numbered {
            tag: NEXT_TAG.fetch_add(1, Ordering::Relaxed),
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }
}

impl<V: Hash + Clone, X> Numbered<V, X> {
    /// The number of a content: that of the stored value `same` finds
    /// among those with hash `hash` (`hash_of` gives a stored value's), or,
    /// when there is none, a new number for the copy `keep` makes.
    fn number(
        &self,
        hash: u64,
        same: impl Fn(&(Shared<V>, X)) -> bool,
        hash_of: impl Fn(&(Shared<V>, X)) -> u64,
        keep: impl FnOnce() -> (Shared<V>, X),
    ) -> u32 {
        let shard = (hash >> 48) as usize % SHARDS;
        let mut guard = lock(&self.shards[shard]);
        let Shard { items, index } = &mut *guard;
        match index.entry(hash, |&i| same(&items[i as usize]), |&i| hash_of(&items[i as usize])) {
            Entry::Occupied(e) => number(*e.get() as usize, shard),
            Entry::Vacant(e) => {
                e.insert(items.len() as u32);
                // numbered before any other thread can find it
                let own = keep();
                let id = number(items.len(), shard);
                own.0.set_interned(self.tag, id);
                items.push(own);
                id
            }
        }
    }

    /// The item numbered `id`, through `f`.
    fn with<R>(&self, id: u32, f: impl FnOnce(&(Shared<V>, X)) -> R) -> R {
        let (local, shard) = (id as usize / SHARDS, id as usize % SHARDS);
        f(&lock(&self.shards[shard]).items[local])
    }

    fn get(&self, id: u32) -> Shared<V> {
        self.with(id, |(v, _)| v.clone())
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
        let id =
            self.number(d as u64, |(y, _)| y.digest() == d && y == x, |(y, _)| y.digest() as u64, || (x.clone(), ()));
        x.set_interned(self.tag, id);
        id
    }
}

/// Lists of parts (a state's objects, process-table entries or
/// processes), each interned once: a list is known by its parts' numbers,
/// kept beside it (so finding a list reads one array, not its parts), and
/// the stored copy holds the tables' own parts.
type Lists<T> = Numbered<Vec<Shared<T>>, Box<[u32]>>;

impl<T: Hash + Clone + Eq> Lists<T> {
    fn intern_list(&self, parts: &Table<T>, l: &Parts<T>) -> u32 {
        if let Some(id) = l.interned(self.tag) {
            return id;
        }
        let ids: Vec<u32> = l.iter().map(|x| parts.intern(x)).collect();
        let id = self.intern_numbers(parts, &ids);
        l.set_interned(self.tag, id);
        id
    }

    /// The number of the list of the parts numbered `ids`.
    fn intern_numbers(&self, parts: &Table<T>, ids: &[u32]) -> u32 {
        self.number(
            FxBuildHasher.hash_one(ids),
            |(_, y)| **y == *ids,
            |(_, y)| FxBuildHasher.hash_one(&y[..]),
            // the stored copy holds the tables' parts (a part table is
            // never locked while waiting for a list shard, so taking its
            // lock here cannot deadlock)
            || (Shared::new(ids.iter().map(|&i| parts.get(i)).collect()), ids.into()),
        )
    }

    /// The numbers of the parts of the list numbered `id`.
    fn numbers_of(&self, id: u32) -> Vec<u32> {
        self.with(id, |(_, ids)| ids.to_vec())
    }
}

/// Results by key, shared by every search thread (in locked shards, as
/// the tables): what is found once is looked up after that. Two threads
/// that find the same result meanwhile found the same: the first is kept.
struct Memo<K, V> {
    shards: Vec<Mutex<HashTable<(K, V)>>>,
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Memo<K, V> {
        Memo { shards: (0..SHARDS).map(|_| Mutex::default()).collect() }
    }
}

impl<K: Hash + Eq, V: Clone> Memo<K, V> {
    fn hash<Q: Hash + ?Sized>(k: &Q) -> (u64, usize) {
        let h = FxBuildHasher.hash_one(k);
        (h, (h >> 48) as usize % SHARDS)
    }

    fn get<Q>(&self, k: &Q) -> Option<V>
    where
        Q: Hash + Eq + ?Sized,
        K: Borrow<Q>,
    {
        let (hash, shard) = Self::hash(k);
        lock(&self.shards[shard]).find(hash, |(x, _)| x.borrow() == k).map(|(_, v)| v.clone())
    }

    /// Sets the result for `k` to what `f` makes of the one kept (if any),
    /// and gives it.
    fn update(&self, k: K, f: impl FnOnce(Option<V>) -> V) -> V {
        let (hash, shard) = Self::hash(&k);
        let mut table = lock(&self.shards[shard]);
        match table.entry(hash, |(x, _)| *x == k, |(x, _)| Self::hash(x).0) {
            Entry::Occupied(mut e) => {
                let v = &mut e.get_mut().1;
                *v = f(Some(v.clone()));
                v.clone()
            }
            Entry::Vacant(e) => e.insert((k, f(None))).get().1.clone(),
        }
    }

    /// The result for `k`, found or made by `make` (and kept).
    fn get_or_insert_with<Q>(&self, k: &Q, make: impl FnOnce() -> V) -> V
    where
        Q: Hash + Eq + ?Sized,
        K: Borrow<Q> + for<'q> From<&'q Q>,
    {
        let (hash, shard) = Self::hash(k);
        let mut table = lock(&self.shards[shard]);
        match table.entry(hash, |(x, _)| x.borrow() == k, |(x, _)| Self::hash(x).0) {
            Entry::Occupied(e) => e.get().1.clone(),
            Entry::Vacant(e) => e.insert((K::from(k), make())).get().1.clone(),
        }
    }

    fn insert(&self, k: K, v: V) {
        let (hash, shard) = Self::hash(&k);
        let mut table = lock(&self.shards[shard]);
        if let Entry::Vacant(e) = table.entry(hash, |(x, _)| *x == k, |(x, _)| Self::hash(x).0) {
            e.insert((k, v));
        }
    }
}

/// Numbers for lists of changes (to the bookkeeping, to the objects and
/// process table), one per content.
struct ByContent<T> {
    numbers: Memo<Box<[T]>, u32>,
    next: AtomicU32,
}

impl<T> Default for ByContent<T> {
    fn default() -> ByContent<T> {
        ByContent { numbers: Memo::default(), next: AtomicU32::new(0) }
    }
}

impl<T: Hash + Eq + Clone> ByContent<T> {
    fn number(&self, changes: &[T]) -> u32 {
        self.numbers.get_or_insert_with(changes, || self.next.fetch_add(1, Ordering::Relaxed))
    }
}

/// The number of the bookkeeping after a step's changes, and the step's
/// events when it lost an update.
type TrackDone = (u32, Option<Arc<[Event]>>);

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
    /// Steps done so far, by what they read (see [`StepKey`]): what each
    /// did, `None` when it was blocked.
    steps: Memo<StepKey, Option<Arc<StepDone>>>,
    /// Numbers the steps' changes to the bookkeeping by content: steps from
    /// different states often make the same changes, and the bookkeeping
    /// after them is remembered by that number.
    ops: ByContent<TrackOp>,
    /// The bookkeeping after a step's changes (by their number) are made on
    /// bookkeeping (by its number), and the step's events when it lost an
    /// update (all of them, in order).
    track_steps: Memo<(u32, u32), TrackDone>,
    /// The actors that can move, by the numbers of the list of objects and
    /// of the process table (see [`Keyer::actors`]).
    actors: Memo<(u32, u32), Option<Arc<[Actor]>>>,
    /// The list of objects after a step's changes to it (by their number,
    /// see [`Changes`]) are made on the list numbered so.
    object_steps: Memo<(u32, u32), u32>,
    /// The same for the process table.
    meta_steps: Memo<(u32, u32), u32>,
    /// Numbers a step's changes to a list by content (see [`Changes`]):
    /// steps from different states often make the same changes.
    changes: ByContent<(u32, u32)>,
    /// Steps done so far by number, by what they read.
    read_steps: ReadSteps,
}

impl Tables {
    /// A state's key (see [`Key`]).
    fn key(&self, s: &State, wide: bool) -> Key {
        let w = &s.world;
        let track = self.track.intern(&w.track);
        let [files, objects, metas] = self.world_key(w);
        let mut key = SmallVec::from_slice(&[files, track, objects, metas]);
        if wide {
            assert_eq!(w.procs.untracked().len(), s.procs.len(), "one process-table entry per process");
            key.extend(s.procs.iter().map(|p| self.procs.intern(p)));
        } else {
            key.push(self.proc_lists.intern_list(&self.procs, &s.procs));
        }
        key
    }

    /// The list of the parts numbered `ids`.
    fn parts<T: Hash + Clone + Eq>(&self, table: &Table<T>, ids: &[u32]) -> Parts<T> {
        Parts::new(ids.iter().map(|&i| table.get(i)).collect())
    }

    /// What a step from the state numbered `n` did, as changes to it:
    /// `a`'s step made `s`, reported `events` and changed the bookkeeping
    /// by `ops`.
    fn delta(&self, n: &Numbers<'_>, a: Actor, s: &State, events: &[Event], ops: Vec<TrackOp>) -> Delta {
        // parts the step did not change carry their numbers
        fn changes<T: Hash + Clone + Eq>(
            numbers: &ByContent<(u32, u32)>,
            table: &Table<T>,
            after: &Parts<T>,
            before: &[u32],
        ) -> Option<Changes> {
            let mut parts = SmallVec::new();
            for (i, x) in after.iter().enumerate() {
                let id = table.intern(x);
                if before.get(i) != Some(&id) {
                    parts.push((i as u32, id));
                }
            }
            (!parts.is_empty()).then(|| Changes { number: numbers.number(&parts), parts })
        }
        let w = &s.world;
        let files = self.files.intern(&w.files);
        let (proc, spawned) = match a {
            Actor::Proc(p) | Actor::Signal(p) => (
                self.procs.intern(&s.procs[p as usize]),
                s.procs[n.procs().len()..].iter().map(|x| self.procs.intern(x)).collect(),
            ),
            Actor::Feeder(..) => (u32::MAX, vec![]),
        };
        Delta {
            proc,
            files: (files != n.key[0]).then_some(files),
            objects: changes(&self.changes, &self.objects, w.objects.untracked(), n.objects()),
            metas: changes(&self.changes, &self.metas, w.procs.untracked(), n.metas()),
            ops: self.ops_numbered(ops),
            more: Self::more(spawned, events),
        }
    }

    /// What a step keeps besides its changes (see [`StepDone`]): the
    /// processes it started and its events but lost updates (made again
    /// from the bookkeeping), when there are any.
    fn more(spawned: Vec<u32>, events: &[Event]) -> Option<Box<More>> {
        let others: Vec<Event> = events.iter().filter(|e| !matches!(e, Event::LostUpdate { .. })).cloned().collect();
        (!spawned.is_empty() || !others.is_empty())
            .then(|| Box::new(More { spawned, others: (!others.is_empty()).then(|| others.into()) }))
    }

    /// A step's changes to the bookkeeping, with their number (0 for none).
    fn ops_numbered(&self, ops: Vec<TrackOp>) -> (u32, Box<[TrackOp]>) {
        let ops: Box<[TrackOp]> = ops.into();
        (if ops.is_empty() { 0 } else { self.ops.number(&ops) }, ops)
    }

    /// The numbers of the world's files, objects and process-table
    /// entries: all of it a step reads (see [`StepKey`]).
    fn world_key(&self, w: &World) -> [u32; 3] {
        [
            self.files.intern(&w.files),
            self.object_lists.intern_list(&self.objects, w.objects.untracked()),
            self.meta_lists.intern_list(&self.metas, w.procs.untracked()),
        ]
    }

    /// The number of the bookkeeping after a step that did `d` from `s`,
    /// and the step's events.
    fn track_after(
        &self,
        mine: &mut FxHashMap<(u32, u32), TrackDone>,
        from: u32,
        track: impl FnOnce() -> Shared<Vec<LocTrack>>,
        (number, ops): &(u32, Box<[TrackOp]>),
        others: &Events,
    ) -> (u32, Events) {
        if ops.is_empty() {
            return (from, others.clone());
        }
        let key = (from, *number);
        if let Some((to, lost)) = Mine::local_or(mine, key, |k| self.track_steps.get(k)) {
            return (to, lost.or_else(|| others.clone()));
        }
        let mut track = track();
        let others_list = others.as_deref().unwrap_or_default();
        let events = redo_track(&mut track, ops, others_list);
        let to = self.track.intern(&track);
        let lost: Events = (events.len() != others_list.len()).then(|| events.into());
        self.track_steps.insert(key, (to, lost.clone()));
        (to, lost.or_else(|| others.clone()))
    }

    /// The state with this key, rebuilt from its parts (each list shared,
    /// not copied).
    fn state(&self, key: &[u32], wide: bool) -> State {
        let world = World {
            files: self.files.get(key[0]),
            track: self.track.get(key[1]),
            objects: self.object_lists.get(key[2]).into(),
            procs: self.meta_lists.get(key[3]).into(),
        };
        let procs = &key[Numbers::PROCS..];
        let procs = if wide { self.parts(&self.procs, procs) } else { self.proc_lists.get(procs[0]) };
        State { world, procs }
    }
}

#[cfg(test)]
mod tests {
    use super::{Slot, Visited};

    #[test]
    fn the_visited_table_finds_every_key_through_collisions_and_growth() {
        // keys of one word, 0..5000; hashes collide in groups of 7 (so
        // probes run long), and the table grows from 1024 slots to 8192
        let hash = |k: u32| (k % 715).wrapping_mul(0x2545_f491);
        let mut t = Visited::new();
        let mut words: Vec<u32> = vec![];
        let mut ends = vec![];
        for round in 0..2 {
            for k in 0..5000u32 {
                let found = t.find(hash(k), |x| x.key(&words, &ends) == [k]);
                match (round, found) {
                    (0, Err(at)) => {
                        t.put(at, Slot::new(words.len(), 1, ends.len(), hash(k)));
                        words.push(k);
                        ends.push(words.len());
                    }
                    (1, Ok(index)) => assert_eq!(words[index as usize], k, "key {k} found at another index"),
                    _ => panic!("key {k}, round {round}: {found:?}"),
                }
            }
        }
        assert_eq!((t.len, t.slots.len()), (5000, 8192));
        assert!(t.find(hash(5000), |x| x.key(&words, &ends) == [5000]).is_err(), "a key never put is not found");
    }

    #[test]
    fn a_slot_gives_back_its_key_short_or_long() {
        // three keys one after the other: 5 words, 300 (too long for the
        // length byte), 1
        let lens = [5usize, 300, 1];
        let mut words = vec![];
        let mut ends = vec![];
        let mut slots = vec![];
        for (i, &len) in lens.iter().enumerate() {
            let start = words.len();
            words.extend((0..len as u32).map(|w| w * 7 + i as u32));
            ends.push(words.len());
            slots.push(Slot::new(start, len, i, 0));
        }
        for (i, slot) in slots.iter().enumerate() {
            let start = if i == 0 { 0 } else { ends[i - 1] };
            assert_eq!(slot.key(&words, &ends), &words[start..ends[i]], "key {i}");
        }
    }
}
