//! The real side of each kind of shared operation (see [`super`]).

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::time::Duration;

use interleave_machine::footprint::Key;
use interleave_machine::interp::Ctx;
use interleave_machine::system::Applied;
use interleave_machine::value::{ObjId, Value};
use interleave_machine::world::{Object, PipeItem};

use super::codec::{decode, encode};
use super::queue::RealQueue;
use super::sem::Sem;
use super::worker::{Real, Worker, OTHER};

impl Worker<'_> {
    fn obj_mut(&mut self, id: ObjId) -> &mut Object {
        self.state.world.objects.part_mut(id as usize)
    }

    // ---- locks, semaphores ----

    /// Writes into the local object whether a unit is free.
    fn show_free(&mut self, id: ObjId, free: bool) {
        match self.obj_mut(id) {
            Object::Lock(owner) => *owner = if free { None } else { Some(OTHER) },
            Object::RLock { owner, count } => {
                *owner = if free { None } else { Some(OTHER) };
                *count = u32::from(!free);
            }
            Object::Semaphore { value, .. } => *value = u32::from(free),
            _ => {}
        }
    }

    fn held_by_me(&self, id: ObjId) -> bool {
        match &*self.state.world.objects[id as usize] {
            Object::Lock(owner) | Object::RLock { owner, .. } => *owner == Some(self.me),
            Object::Semaphore { value, .. } => *value == 0,
            _ => false,
        }
    }

    /// Units free in the local object (for release).
    fn free_units(&self, id: ObjId) -> u32 {
        match &*self.state.world.objects[id as usize] {
            Object::Lock(owner) | Object::RLock { owner, .. } => u32::from(owner.is_none()),
            Object::Semaphore { value, .. } => *value,
            _ => 0,
        }
    }

    /// acquire/release of a Lock, RLock or Semaphore (also `with`).
    pub(super) fn sync_step(&mut self, id: ObjId, sem: &Sem, ctx: &mut Ctx) -> Result<(), String> {
        let acquire = self.method().as_deref() == Some("acquire");
        let my_rlock =
            matches!(&*self.state.world.objects[id as usize], Object::RLock { owner, .. } if *owner == Some(self.me));
        if my_rlock {
            // re-entry or release by the owner: only its last release is real
            self.apply(ctx)?;
            if self.free_units(id) == 1 {
                sem.post();
            }
            return Ok(());
        }
        if acquire {
            let mut got = sem.try_wait();
            self.show_free(id, got);
            if let Applied::Blocked(_) = self.apply(ctx)? {
                sem.wait();
                got = true;
                self.show_free(id, true);
                self.apply(ctx)?;
            }
            if got && !self.held_by_me(id) {
                sem.post();
            }
            return Ok(());
        }
        if let Object::Semaphore { value, .. } = self.obj_mut(id) {
            *value = sem.value();
        } else if !matches!(&*self.state.world.objects[id as usize], Object::RLock { .. }) {
            self.show_free(id, sem.value() > 0);
        }
        let before = self.free_units(id);
        self.apply(ctx)?;
        if self.free_units(id) > before {
            sem.post();
        }
        Ok(())
    }

    // ---- events ----

    pub(super) fn event_step(&mut self, id: ObjId, flag: &Sem, guard: &Sem, ctx: &mut Ctx) -> Result<(), String> {
        guard.wait();
        let r = loop {
            let was = flag.value() > 0;
            *self.obj_mut(id) = Object::Event(was);
            match self.apply(ctx) {
                Ok(Applied::Blocked(_)) => {
                    guard.post();
                    std::thread::sleep(Duration::from_millis(1));
                    guard.wait();
                }
                Ok(Applied::Progress) => {
                    let now = matches!(&*self.state.world.objects[id as usize], Object::Event(true));
                    if now && !was {
                        flag.post();
                    } else if was && !now {
                        flag.try_wait();
                    }
                    break Ok(());
                }
                Err(e) => break Err(e),
            }
        };
        guard.post();
        r
    }

    // ---- queues ----

    /// Sets the local queue to show reality: `taken` places used, the pipe
    /// holding `item` (or anything, for `empty()`), the read lock free or
    /// held by another process.
    fn show_queue(&mut self, id: ObjId, taken: u32, item: Option<Value>, reader_other: bool, unfinished: u32) {
        let q = self.state.world.queue(id);
        q.count = taken;
        q.unfinished = unfinished;
        q.pipe.clear();
        if let Some(v) = item {
            q.pipe.push_back(PipeItem { value: v, size: 1, writer: OTHER });
        }
        q.buffers.clear();
        q.reader = reader_other.then_some(OTHER);
    }

    fn neutral_queue(&mut self, id: ObjId) {
        self.show_queue(id, 0, None, false, 0);
    }

    pub(super) fn queue_step(&mut self, id: ObjId, q: &Arc<RealQueue>, ctx: &mut Ctx) -> Result<(), String> {
        let joinable = matches!(&*self.state.world.objects[id as usize], Object::Queue(lq) if lq.joinable);
        let r = match self.method().as_deref() {
            Some("put" | "put_nowait") => self.queue_put(id, q, joinable, ctx),
            Some("get" | "get_nowait") => self.queue_get(id, q, ctx),
            Some("task_done") => {
                q.cond.wait();
                let got = q.unfinished.try_wait();
                self.show_queue(id, 0, None, false, u32::from(got));
                let r = self.apply(ctx);
                if got && self.state.world.queue(id).unfinished == 1 {
                    q.unfinished.post();
                }
                q.cond.post();
                r.map(|_| ())
            }
            Some("join") => loop {
                self.show_queue(id, 0, None, false, q.unfinished.value());
                match self.apply(ctx)? {
                    Applied::Blocked(_) => std::thread::sleep(Duration::from_millis(1)),
                    Applied::Progress => break Ok(()),
                }
            },
            _ => {
                // qsize, empty, full: snapshots of the semaphore and the pipe
                let item = q.readable().then_some(Value::None);
                self.show_queue(id, q.taken(), item, false, 0);
                self.apply(ctx).map(|_| ())
            }
        };
        self.neutral_queue(id);
        r
    }

    fn queue_put(&mut self, id: ObjId, q: &Arc<RealQueue>, joinable: bool, ctx: &mut Ctx) -> Result<(), String> {
        let full = q.maxsize.max(1);
        let mut got = q.free.try_wait();
        self.show_queue(id, if got { 0 } else { full }, None, false, 0);
        if let Applied::Blocked(_) = self.apply(ctx)? {
            q.free.wait();
            got = true;
            self.show_queue(id, 0, None, false, 0);
            self.apply(ctx)?;
        }
        let me = self.me;
        let items: Vec<Value> = std::mem::take(&mut self.state.world.queue(id).buffers)
            .into_iter()
            .filter(|(p, _)| *p == me)
            .flat_map(|(_, b)| b)
            .collect();
        if got && items.is_empty() {
            q.free.post();
        }
        for v in items {
            if joinable {
                q.unfinished.post();
            }
            let msg = serde_json::to_vec(&encode(&v)?).map_err(|e| e.to_string())?;
            self.feeders.push(id as usize, q, msg);
        }
        Ok(())
    }

    fn queue_get(&mut self, id: ObjId, q: &Arc<RealQueue>, ctx: &mut Ctx) -> Result<(), String> {
        if !q.rlock.try_wait() {
            self.show_queue(id, 0, None, true, 0);
            match self.apply(ctx)? {
                Applied::Blocked(_) => q.rlock.wait(),
                // get_nowait: Empty
                Applied::Progress => return Ok(()),
            }
        }
        // holding the read lock, as CPython's get() does while it waits
        let r = self.get_holding(id, q, ctx);
        q.rlock.post();
        r
    }

    fn get_holding(&mut self, id: ObjId, q: &Arc<RealQueue>, ctx: &mut Ctx) -> Result<(), String> {
        if !q.readable() {
            self.show_queue(id, 0, None, false, 0);
            self.apply(ctx)?;
            let me = self.me;
            if self.state.world.queue(id).reader != Some(me) {
                // get_nowait on an empty pipe: Empty was raised
                return Ok(());
            }
        }
        let msg = q.recv().map_err(|e| format!("reading a queue's pipe: {e}"))?;
        let json: serde_json::Value = serde_json::from_slice(&msg).map_err(|e| e.to_string())?;
        let item = decode(&json)?;
        let me = self.me;
        let waiting = self.state.world.queue(id).reader == Some(me);
        self.show_queue(id, 1, Some(item), false, 0);
        if waiting {
            self.state.world.queue(id).reader = Some(me);
        }
        self.apply(ctx)?;
        q.free.post();
        Ok(())
    }

    // ---- manager objects ----

    /// A proxy call or `Value.value`: one atomic call at the manager server.
    pub(super) fn store_step(&mut self, keys: &[Key], ctx: &mut Ctx) -> Result<(), String> {
        let mut ids = vec![];
        for k in keys {
            if let Key::Obj(id) = k {
                if let Some(Real::Stored(rid)) = self.reals.get(*id as usize) {
                    ids.push((*id, *rid));
                }
            }
        }
        ids.sort_by_key(|(_, rid)| *rid);
        let rids: Vec<u64> = ids.iter().map(|(_, r)| *r).collect();
        let contents = self.store.take(&rids)?;
        for ((id, _), c) in ids.iter().zip(&contents) {
            let v = decode(c)?;
            match (self.obj_mut(*id), v) {
                (Object::Dict(d), Value::Dict(n)) => *d = n,
                (Object::List(l), Value::List(n)) => *l = n,
                (Object::Value { value, .. }, n) => *value = n,
                _ => return Err("the manager server holds another kind of object".into()),
            }
        }
        let r = self.apply(ctx);
        let mut items = vec![];
        for (id, rid) in &ids {
            let v = match &*self.state.world.objects[*id as usize] {
                Object::Dict(d) => Value::Dict(d.clone()),
                Object::List(l) => Value::List(l.clone()),
                Object::Value { value, .. } => value.clone(),
                _ => Value::None,
            };
            items.push((*rid, encode(&v)?));
        }
        self.store.put(&items)?;
        r.map(|_| ())
    }

    // ---- files ----

    /// open, read, and the flush or close that writes: the local file is
    /// what the disk holds, and the step's writes go to the disk.
    pub(super) fn file_step(&mut self, path: &str, ctx: &mut Ctx) -> Result<(), String> {
        let io = |e: std::io::Error| format!("'{path}': {e}");
        match std::fs::read(path) {
            Ok(bytes) => self.state.world.file_mut(path).content = Arc::new(bytes),
            Err(_) => self.state.world.files.make_mut().retain(|f| &*f.path != path),
        }
        let me = self.me as usize;
        let before = self.state.procs[me].files.clone();
        self.apply(ctx)?;
        let after = self.state.procs[me].files.clone();
        for h in after.iter().skip(before.len()) {
            if h.writable {
                let mut o = OpenOptions::new();
                o.create(true);
                if h.append {
                    o.append(true)
                } else {
                    o.write(true).truncate(true)
                };
                o.open(&*h.path).map_err(io)?;
            }
        }
        for (b, a) in before.iter().zip(&after) {
            if b.buf.is_empty() || !a.buf.is_empty() {
                continue;
            }
            if b.append {
                let mut f = OpenOptions::new().append(true).open(&*b.path).map_err(io)?;
                f.write_all(b.buf.as_bytes()).map_err(io)?;
            } else {
                let f = OpenOptions::new().write(true).open(&*b.path).map_err(io)?;
                f.write_all_at(b.buf.as_bytes(), b.pos as u64).map_err(io)?;
            }
        }
        Ok(())
    }
}
