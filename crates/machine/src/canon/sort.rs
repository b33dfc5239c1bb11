//! Step 2 of the canonical form: alike children sorted by a key that does
//! not name them, and every reference to a child moved with it.

use std::hash::{Hash, Hasher};

use super::Perm;
use crate::interp::Proc;
use crate::shared_ptr::Shared;
use crate::system::State;
use crate::value::{Iter, ObjId, Pid, Value};
use crate::world::{Object, World};

/// Each process's part in the shared objects, as a hash that does not
/// name it: the locks it owns, its feeder buffers, where its items are in
/// the pipes, the read locks it holds, its pending and stale reads.
fn roles(w: &World, n: usize) -> Vec<u64> {
    let mut h = vec![0u64; n];
    let mut note = |p: Pid, fact: u64| {
        if let Some(h) = h.get_mut(p as usize) {
            *h = (h.rotate_left(7) ^ fact).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    };
    for (o, obj) in w.objects.iter().enumerate() {
        match &**obj {
            Object::Lock(Some(p)) => note(*p, fx(&(o, 1u8))),
            Object::RLock { owner: Some(p), count } => note(*p, fx(&(o, 2u8, count))),
            Object::Queue(q) => {
                for (p, items) in &q.buffers {
                    note(*p, fx(&(o, 3u8, items)));
                }
                for (k, item) in q.pipe.iter().enumerate() {
                    note(item.writer, fx(&(o, 4u8, k)));
                }
                if let Some(p) = q.reader {
                    note(p, fx(&(o, 5u8)));
                }
            }
            _ => {}
        }
    }
    for (t, track) in w.track.iter().enumerate() {
        for p in 0..n.min(64) {
            let (pending, stale) = (track.pending >> p & 1, track.stale >> p & 1);
            if pending | stale != 0 {
                note(p as Pid, fx(&(t, 6u8, pending, stale)));
            }
        }
    }
    h
}

fn fx(v: &impl Hash) -> u64 {
    let mut f = rustc_hash::FxHasher::default();
    v.hash(&mut f);
    f.finish()
}

/// A child's sort key: its private state, its part in the shared objects,
/// its status.
type Key = (u128, u64, u64);

/// A class of alike children (ascending) with each member's key.
pub(super) type KeyedClass = (Vec<Pid>, Vec<(Key, Pid)>);

/// For each class of two or more alike children: its members (ascending)
/// and each member's key.
pub(super) fn keyed_classes(s: &State) -> Vec<KeyedClass> {
    let classes: Vec<Vec<Pid>> = classes(s).into_iter().map(|(_, m)| m).filter(|m| m.len() > 1).collect();
    if classes.is_empty() {
        return vec![];
    }
    let roles = roles(&s.world, s.procs.len());
    let key = |c: Pid| {
        let m = &s.world.procs[c as usize];
        let mut h = rustc_hash::FxHasher::default();
        (m.status, m.pending, m.reaped).hash(&mut h);
        (s.procs[c as usize].digest(), roles[c as usize], h.finish())
    };
    classes
        .into_iter()
        .map(|m| {
            let keyed = m.iter().map(|c| (key(*c), *c)).collect();
            (m, keyed)
        })
        .collect()
}

/// Children of main grouped by target function and daemon flag, each
/// class ascending, classes in order of their first member.
pub(crate) fn classes(s: &State) -> Vec<((&Value, bool), Vec<Pid>)> {
    let mut classes: Vec<((&Value, bool), Vec<Pid>)> = vec![];
    for c in 1..s.procs.len() {
        let m = &s.world.procs[c];
        let Some(Object::Process(ph)) = m.handle.map(|h| &*s.world.objects[h as usize]) else { continue };
        if m.parent != Some(0) {
            continue;
        }
        let class = (&ph.target, m.daemon);
        match classes.iter_mut().find(|(k, _)| *k == class) {
            Some((_, members)) => members.push(c as Pid),
            None => classes.push((class, vec![c as Pid])),
        }
    }
    classes
}

/// Step 2 of the module documentation: where each child goes.
pub(super) fn sort_children(s: &State) -> Perm {
    let mut perm: Perm = (0..s.procs.len() as Pid).collect();
    if s.procs.len() < 3 {
        return perm;
    }
    for (members, mut keyed) in keyed_classes(s) {
        keyed.sort_unstable();
        for (slot, (_, c)) in members.iter().zip(keyed) {
            perm[c as usize] = *slot;
        }
    }
    perm
}

/// Moves every process `old` to `perm[old]`, with everything that refers
/// to it; what belongs to a slot stays.
pub(super) fn rename(s: &mut State, perm: &Perm, sym: &crate::symmetry::SymInfo) {
    let n = perm.len();
    let w = &mut s.world;
    // the handle of each moved child goes to the handle of its new slot
    let handles: Vec<(ObjId, ObjId)> = (0..n)
        .filter(|old| perm[*old] as usize != *old)
        .filter_map(|old| Some((w.procs[old].handle?, w.procs[perm[old] as usize].handle?)))
        .collect();
    // the private parts move; the table entries stay with their slots and
    // take the moving process's status
    let mut from = vec![0; n];
    for (old, new) in perm.iter().enumerate() {
        from[*new as usize] = old;
    }
    let mut procs: Vec<Shared<Proc>> = from.iter().map(|old| s.procs[*old].clone()).collect();
    let mut metas = w.procs.to_vec();
    for old in 0..n {
        let new = perm[old] as usize;
        let (from, to) = (&w.procs[old], &mut metas[new]);
        let parent = from.parent.map(|p| perm[p as usize]);
        if (to.status, to.pending, to.reaped, to.parent) != (from.status, from.pending, from.reaped, parent) {
            let to = to.make_mut();
            (to.status, to.pending, to.reaped, to.parent) = (from.status, from.pending, from.reaped, parent);
        }
    }
    w.procs = Shared::new(metas).into();
    let map_pid = |p: Pid| perm.get(p as usize).copied().unwrap_or(p);
    for o in 0..w.objects.len() {
        if object_mentions_moved(&w.objects[o], &map_pid) {
            rename_in_object(w.objects.part_mut(o), &map_pid);
        }
    }
    if !w.track.is_empty() {
        for t in w.track.make_mut() {
            t.pending = permute_bits(t.pending, perm);
            t.stale = permute_bits(t.stale, perm);
        }
    }
    if !handles.is_empty() {
        for (pid, p) in procs.iter_mut().enumerate() {
            // handles are only ever in main's frames and in these globals
            let in_frames =
                pid == 0 && p.frames.iter().any(|f| f.locals.iter().chain(&f.stack).any(|v| mentions(v, &handles)));
            let globals: Vec<usize> = sym
                .handle_globals
                .iter()
                .map(|g| *g as usize)
                .filter(|g| p.globals.get(*g).is_some_and(|v| mentions(v, &handles)))
                .collect();
            if !in_frames && globals.is_empty() {
                continue;
            }
            let p = p.make_mut();
            if in_frames {
                for f in &mut p.frames {
                    f.locals.iter_mut().chain(f.stack.iter_mut()).for_each(|v| *v = rename_handles(v, &handles));
                }
            }
            for g in globals {
                p.globals[g] = rename_handles(&p.globals[g], &handles);
            }
        }
    }
    s.procs = Shared::new(procs);
}

fn permute_bits(bits: u64, perm: &Perm) -> u64 {
    let mut out = 0u64;
    for (old, new) in perm.iter().enumerate().take(64) {
        if bits >> old & 1 != 0 {
            out |= 1 << new;
        }
    }
    out
}

/// Whether an object names a process that moves.
fn object_mentions_moved(o: &Object, map: &impl Fn(Pid) -> Pid) -> bool {
    let moves = |p: &Pid| map(*p) != *p;
    match o {
        Object::Lock(Some(p)) | Object::RLock { owner: Some(p), .. } => moves(p),
        Object::Queue(q) => {
            q.buffers.iter().any(|(p, _)| moves(p))
                || q.pipe.iter().any(|i| moves(&i.writer))
                || q.reader.as_ref().is_some_and(moves)
        }
        _ => false,
    }
}

fn rename_in_object(o: &mut Object, map: &impl Fn(Pid) -> Pid) {
    match o {
        Object::Lock(Some(p)) | Object::RLock { owner: Some(p), .. } => *p = map(*p),
        Object::Queue(q) => {
            q.buffers.iter_mut().for_each(|(p, _)| *p = map(*p));
            q.buffers.sort_by_key(|(p, _)| *p);
            q.pipe.iter_mut().for_each(|i| i.writer = map(i.writer));
            q.reader = q.reader.map(map);
        }
        _ => {}
    }
}

fn mentions(v: &Value, handles: &[(ObjId, ObjId)]) -> bool {
    match v {
        Value::Obj(h) => handles.iter().any(|(from, _)| from == h),
        Value::Tuple(xs) | Value::List(xs) => xs.iter().any(|x| mentions(x, handles)),
        Value::Dict(d) => d.iter().any(|(k, x)| mentions(k, handles) || mentions(x, handles)),
        Value::Iter(it) => matches!(&**it, Iter::Seq(xs, _) if xs.iter().any(|x| mentions(x, handles))),
        _ => false,
    }
}

fn rename_handles(v: &Value, handles: &[(ObjId, ObjId)]) -> Value {
    if !mentions(v, handles) {
        return v.clone();
    }
    let all = |xs: &[Value]| xs.iter().map(|x| rename_handles(x, handles)).collect::<Vec<_>>();
    match v {
        Value::Obj(h) => Value::Obj(handles.iter().find(|(from, _)| from == h).map_or(*h, |(_, to)| *to)),
        Value::Tuple(xs) => Value::tuple(all(xs)),
        Value::List(xs) => Value::list(all(xs)),
        Value::Dict(d) => Value::Dict(std::sync::Arc::new(
            d.iter().map(|(k, x)| (rename_handles(k, handles), rename_handles(x, handles))).collect(),
        )),
        Value::Iter(it) => match &**it {
            Iter::Seq(xs, i) => Value::Iter(std::sync::Arc::new(Iter::Seq(std::sync::Arc::new(all(xs)), *i))),
            Iter::Range(..) => v.clone(),
        },
        other => other.clone(),
    }
}
