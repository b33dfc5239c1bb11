//! `Shared<T>`: an `Arc` that remembers its hash. A state shares most of
//! its processes and objects with the state it came from; storing a state
//! hashes it, and with `Shared` each process and object is hashed once per
//! version instead of once per state that holds it.

use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

#[derive(Debug)]
struct Inner<T> {
    value: T,
    /// A 128-bit xxh3 digest: also the part this value gives to a state's
    /// fingerprint under hash compaction.
    hash: OnceLock<u128>,
    /// The value's number in an intern table (see [`Shared::interned`]):
    /// the table's tag in the high half, the number in the low half; 0
    /// while not interned.
    id: AtomicU64,
}

impl<T: Clone> Clone for Inner<T> {
    /// A copy is about to change: it keeps neither digest nor number.
    fn clone(&self) -> Inner<T> {
        Inner { value: self.value.clone(), hash: OnceLock::new(), id: AtomicU64::new(0) }
    }
}

#[derive(Clone, Debug)]
pub struct Shared<T>(Arc<Inner<T>>);

impl<T: Hash + Clone> Shared<T> {
    pub fn new(value: T) -> Shared<T> {
        Shared(Arc::new(Inner { value, hash: OnceLock::new(), id: AtomicU64::new(0) }))
    }

    /// The number an intern table with tag `tag` gave this value, if it
    /// did. Every copy a step does not change keeps it, so a table looks up
    /// only the versions a step made.
    pub fn interned(&self, tag: u32) -> Option<u32> {
        let id = self.0.id.load(Ordering::Relaxed);
        (id >> 32 == tag as u64 && tag != 0).then_some(id as u32)
    }

    /// Records the number the table with tag `tag` gives this value's
    /// content (a value is in at most one table at a time that matters:
    /// a later table's number replaces an earlier one's).
    pub fn set_interned(&self, tag: u32, id: u32) {
        self.0.id.store((tag as u64) << 32 | id as u64, Ordering::Relaxed);
    }

    /// The value to change: copied first if another state shares it, and
    /// its remembered hash forgotten.
    pub fn make_mut(&mut self) -> &mut T {
        let inner = Arc::make_mut(&mut self.0);
        inner.hash = OnceLock::new();
        *inner.id.get_mut() = 0;
        &mut inner.value
    }

    /// The value's 128-bit digest, computed once per version.
    pub fn digest(&self) -> u128 {
        self.hash_value()
    }

    fn hash_value(&self) -> u128 {
        *self.0.hash.get_or_init(|| {
            let mut h = xxhash_rust::xxh3::Xxh3::new();
            self.0.value.hash(&mut h);
            h.digest128()
        })
    }
}

impl<T: Hash + Clone + Default> Default for Shared<T> {
    fn default() -> Shared<T> {
        Shared::new(T::default())
    }
}

/// A list of parts shared as a whole: a state that changes none of them
/// shares the list with the state it came from, and a change copies the
/// list (each part shared) before changing the one part.
pub type Parts<T> = Shared<Vec<Shared<T>>>;

impl<T: Hash + Clone> Shared<Vec<Shared<T>>> {
    /// Part `i`, to change: the list is copied first if another state
    /// shares it, then the part.
    pub fn part_mut(&mut self, i: usize) -> &mut T {
        self.make_mut()[i].make_mut()
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0.value
    }
}

impl<T: Hash + Clone> Hash for Shared<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u128(self.hash_value());
    }
}

impl<T: Hash + Clone + Eq> PartialEq for Shared<T> {
    fn eq(&self, other: &Shared<T>) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || (self.hash_value() == other.hash_value() && self.0.value == other.0.value)
    }
}

impl<T: Hash + Clone + Eq> Eq for Shared<T> {}
