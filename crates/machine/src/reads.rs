//! What a step reads of the world: which shared objects, which
//! process-table entries, how many of each there are, and whether the
//! files. The world's objects and process table are [`Tracked`] lists: every
//! access to them notes what it read, on the thread that runs the step, so
//! the reads of a step are known without the interpreter naming them (see
//! [`recording`]). A search that remembers steps keys each by what it read
//! (LTSmin's read sets, found as the step runs): two steps of the same
//! process from the same private part that read the same parts do the same.
//!
//! Writes are not noted: a step that changes a part reads it first (through
//! [`Tracked::part_mut`]), and what it changed is found by comparing the
//! world before and after.

use std::cell::Cell;
use std::hash::{Hash, Hasher};
use std::ops::Index;

use crate::shared_ptr::{Parts, Shared};
use crate::world::{Object, ProcMeta};

/// The parts of the world a step read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Reads {
    /// Object `i` (bit `i`), for the first 128 objects.
    pub objects: u128,
    /// Process-table entry `i` (bit `i`).
    pub metas: u64,
    /// [`Reads::OBJECT_COUNT`] and the other flags.
    pub flags: u8,
}

impl Reads {
    /// How many objects there are (an allocation reads it: the new
    /// object's number is the count).
    pub const OBJECT_COUNT: u8 = 1;
    /// How many processes there are (starting one reads it).
    pub const META_COUNT: u8 = 2;
    /// The files.
    pub const FILES: u8 = 4;
    /// Every object (one beyond the first 128 was read).
    pub const ALL_OBJECTS: u8 = 8;
    /// Every process-table entry (one beyond the first 64 was read).
    pub const ALL_METAS: u8 = 16;

    pub const NONE: Reads = Reads { objects: 0, metas: 0, flags: 0 };

    pub fn union(self, o: Reads) -> Reads {
        Reads { objects: self.objects | o.objects, metas: self.metas | o.metas, flags: self.flags | o.flags }
    }

    /// Everything `o` reads, this reads.
    pub fn covers(self, o: Reads) -> bool {
        self.union(o) == self
    }

    pub fn has(self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    fn with_object(self, i: usize) -> Reads {
        match u32::try_from(i).ok().and_then(|i| 1u128.checked_shl(i)) {
            Some(bit) => Reads { objects: self.objects | bit, ..self },
            None => Reads { flags: self.flags | Self::ALL_OBJECTS, ..self },
        }
    }

    fn with_meta(self, i: usize) -> Reads {
        match u32::try_from(i).ok().and_then(|i| 1u64.checked_shl(i)) {
            Some(bit) => Reads { metas: self.metas | bit, ..self },
            None => Reads { flags: self.flags | Self::ALL_METAS, ..self },
        }
    }

    fn with_flag(self, flag: u8) -> Reads {
        Reads { flags: self.flags | flag, ..self }
    }
}

thread_local! {
    /// What this thread read since [`recording`] last reset it.
    static READ: Cell<Reads> = const { Cell::new(Reads::NONE) };
}

fn note(f: impl FnOnce(Reads) -> Reads) {
    READ.with(|r| r.set(f(r.get())));
}

/// Runs `f` and gives what it read of the world (of every world it
/// touched: run one step at a time).
pub fn recording<R>(f: impl FnOnce() -> R) -> (R, Reads) {
    READ.with(|r| r.set(Reads::NONE));
    let out = f();
    (out, READ.with(|r| r.replace(Reads::NONE)))
}

/// Notes a read of the files (see [`crate::world::World::file`]).
pub(crate) fn note_files() {
    note(|r| r.with_flag(Reads::FILES));
}

/// A part kind whose lists are tracked: how a read of entry `i`, of the
/// count and of everything is noted.
pub trait Logged: Hash + Clone + Eq {
    fn entry(r: Reads, i: usize) -> Reads;
    const COUNT: u8;
    const ALL: u8;
}

impl Logged for Object {
    fn entry(r: Reads, i: usize) -> Reads {
        r.with_object(i)
    }
    const COUNT: u8 = Reads::OBJECT_COUNT;
    const ALL: u8 = Reads::ALL_OBJECTS;
}

impl Logged for ProcMeta {
    fn entry(r: Reads, i: usize) -> Reads {
        r.with_meta(i)
    }
    const COUNT: u8 = Reads::META_COUNT;
    const ALL: u8 = Reads::ALL_METAS;
}

/// A list of parts of the world whose every access is noted (see the
/// module documentation). Hashing and comparing it (storing a state) is not
/// a read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tracked<T: Logged>(Parts<T>);

impl<T: Logged> Default for Tracked<T> {
    fn default() -> Tracked<T> {
        Tracked(Shared::new(vec![]))
    }
}

impl<T: Logged> Hash for Tracked<T> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.0.hash(h)
    }
}

impl<T: Logged> From<Parts<T>> for Tracked<T> {
    fn from(p: Parts<T>) -> Tracked<T> {
        Tracked(p)
    }
}

impl<T: Logged> Tracked<T> {
    pub fn get(&self, i: usize) -> Option<&Shared<T>> {
        note(|r| T::entry(r, i));
        self.0.get(i)
    }

    pub fn len(&self) -> usize {
        note(|r| r.with_flag(T::COUNT));
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every part: a read of all of them.
    pub fn iter(&self) -> std::slice::Iter<'_, Shared<T>> {
        note(|r| r.with_flag(T::COUNT | T::ALL));
        self.0.iter()
    }

    /// A copy of the list (each part shared): a read of all of them.
    pub fn to_vec(&self) -> Vec<Shared<T>> {
        self.iter().cloned().collect()
    }

    /// Part `i`, to change (a read of it).
    pub fn part_mut(&mut self, i: usize) -> &mut T {
        note(|r| T::entry(r, i));
        self.0.part_mut(i)
    }

    /// Adds a part at the end (a read of the count).
    pub fn push(&mut self, x: T) {
        note(|r| r.with_flag(T::COUNT));
        self.0.make_mut().push(Shared::new(x));
    }

    /// The list itself, not noted: for what stores states, never for a step.
    pub fn untracked(&self) -> &Parts<T> {
        &self.0
    }
}

impl<T: Logged> Index<usize> for Tracked<T> {
    type Output = Shared<T>;

    fn index(&self, i: usize) -> &Shared<T> {
        note(|r| T::entry(r, i));
        &self.0[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::World;

    #[test]
    fn accesses_are_noted_as_reads() {
        let mut w = World::default();
        let ((), r) = recording(|| {
            w.alloc(Object::Event(false));
        });
        assert_eq!(r, Reads { flags: Reads::OBJECT_COUNT, ..Reads::NONE });
        let (_, r) = recording(|| matches!(&*w.objects[0], Object::Event(_)));
        assert_eq!(r.objects, 1);
        let (_, r) = recording(|| w.objects.get(200).is_none());
        assert!(r.has(Reads::ALL_OBJECTS), "an entry beyond the bits reads all");
        let (_, r) = recording(|| w.procs.iter().count());
        assert!(r.has(Reads::ALL_METAS) && r.has(Reads::META_COUNT));
        let (_, r) = recording(|| w.file("x").is_none());
        assert_eq!(r, Reads { flags: Reads::FILES, ..Reads::NONE });
        assert!(r.union(Reads { metas: 2, ..Reads::NONE }).covers(r));
        assert!(!r.covers(Reads { metas: 2, ..Reads::NONE }));
    }
}
