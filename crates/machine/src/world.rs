//! The shared part of a state: objects every process can reach (locks,
//! queues, Manager proxies, `Value`s, process handles), the file system and
//! the process table.
//!
//! Every engine uses these semantics. An operation that cannot proceed
//! answers [`Poll::Blocked`] with what it waits for: the explorer treats
//! that as "this process is not enabled", a threaded engine waits and
//! retries. Nothing here ever blocks for real.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::reads::Tracked;
use crate::shared_ptr::Shared;

use crate::interp::Event;
use crate::ir::ExcType;
use crate::value::{ObjId, Pid, Value};

/// Bytes a pipe holds before a writer blocks (Linux default).
pub const PIPE_CAPACITY: u32 = 64 * 1024;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Poll<T> {
    Done(T),
    /// The operation changed the world but must run again (a `get()` that
    /// took the queue's read lock and now waits for data).
    Again,
    Blocked(Wait),
}

/// What a blocked process waits for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Wait {
    Lock(ObjId),
    Semaphore(ObjId),
    Event(ObjId),
    QueueEmpty(ObjId),
    QueueFull(ObjId),
    /// Another process holds the queue's read lock (it is inside `get()`).
    QueueReadLock(ObjId, Pid),
    QueueJoin(ObjId),
    Join(Pid),
    /// At exit, for these children to end.
    ExitChildren(Vec<Pid>),
    /// At exit, for its queue feeder to push items into a full pipe.
    ExitFlush(ObjId),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Object {
    /// `multiprocessing.Lock`: a semaphore of one; any process may release
    /// it, a killed holder keeps it.
    Lock(Option<Pid>),
    RLock {
        owner: Option<Pid>,
        count: u32,
    },
    Semaphore {
        value: u32,
        bound: Option<u32>,
    },
    Event(bool),
    Queue(Box<Queue>),
    /// `Manager().dict()`: each proxy call is one atomic step.
    Dict(Arc<Vec<(Value, Value)>>),
    /// `Manager().list()`
    List(Arc<Vec<Value>>),
    /// `multiprocessing.Value` with its own RLock (`get_lock()`).
    Value {
        typecode: Arc<str>,
        value: Value,
        lock: ObjId,
    },
    Process(Box<ProcHandle>),
    Manager,
}

impl Object {
    pub fn kind_name(&self) -> &'static str {
        match self {
            Object::Lock(_) => "Lock",
            Object::RLock { .. } => "RLock",
            Object::Semaphore { .. } => "Semaphore",
            Object::Event(_) => "Event",
            Object::Queue(q) if q.joinable => "JoinableQueue",
            Object::Queue(_) => "Queue",
            Object::Dict(_) => "DictProxy",
            Object::List(_) => "ListProxy",
            Object::Value { .. } => "Value",
            Object::Process(_) => "Process",
            Object::Manager => "SyncManager",
        }
    }
}

/// `multiprocessing.Queue`: a bounded semaphore counting items put and not
/// yet got, one feeder buffer per putting process, and the pipe.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Queue {
    /// 0 means unbounded.
    pub maxsize: u32,
    pub joinable: bool,
    /// Items put and not yet got (what `qsize()` reports).
    pub count: u32,
    /// `JoinableQueue`: items put and not yet marked `task_done()`.
    pub unfinished: u32,
    /// Items in the pipe, oldest first, with their size and writer.
    pub pipe: VecDeque<PipeItem>,
    /// Feeder buffers: items put but not yet written to the pipe.
    pub buffers: Vec<(Pid, VecDeque<Value>)>,
    /// Holder of the read lock (a process inside a blocking `get()`).
    pub reader: Option<Pid>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PipeItem {
    pub value: Value,
    pub size: u32,
    pub writer: Pid,
}

impl Queue {
    pub fn new(maxsize: u32, joinable: bool) -> Queue {
        Queue { maxsize, joinable, count: 0, unfinished: 0, pipe: VecDeque::new(), buffers: vec![], reader: None }
    }

    pub fn pipe_bytes(&self) -> u32 {
        self.pipe.iter().map(|i| i.size).fold(0u32, u32::saturating_add)
    }

    pub fn buffer_of(&self, p: Pid) -> Option<&VecDeque<Value>> {
        self.buffers.iter().find(|(q, _)| *q == p).map(|(_, b)| b)
    }

    /// A feeder may write its next item while the pipe has room.
    pub fn feeder_enabled(&self, p: Pid) -> bool {
        self.buffer_of(p).is_some_and(|b| !b.is_empty()) && self.pipe_bytes() < PIPE_CAPACITY
    }

    /// Whether every item `p` put has been written completely (a process
    /// cannot exit before that).
    pub fn flushed_by(&self, p: Pid) -> bool {
        if self.buffer_of(p).is_some_and(|b| !b.is_empty()) {
            return false;
        }
        let mut end = 0u32;
        for item in &self.pipe {
            end = end.saturating_add(item.size);
            if item.writer == p && end > PIPE_CAPACITY {
                return false;
            }
        }
        true
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProcHandle {
    pub target: Value,
    pub args: Vec<Value>,
    pub name: Arc<str>,
    /// CPython's `_identity`, joined by ':' ("2", "1:1"); names children.
    pub identity: Arc<str>,
    pub daemon: bool,
    /// Set by `start()`.
    pub pid: Option<Pid>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    Running,
    Exited(i64),
}

/// What the process table knows of a process.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProcMeta {
    pub name: Arc<str>,
    pub parent: Option<Pid>,
    pub daemon: bool,
    pub status: Status,
    /// A signal sent by `terminate()`/`kill()` and not yet delivered.
    pub pending: Option<i64>,
    /// Its parent has collected its exit status (no longer a zombie).
    pub reaped: bool,
    /// The `Process` object the parent holds.
    pub handle: Option<ObjId>,
    /// `_identity` of CPython: "" for main, "1", "1:2", ... (names the
    /// processes this one creates). Kept here, with the slot, and not in
    /// the process's private part, which symmetry moves between slots.
    pub identity: Arc<str>,
}

impl ProcMeta {
    pub fn alive(&self) -> bool {
        self.status == Status::Running
    }
}

/// A shared location whose writes are checked for lost updates.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Loc {
    Key(ObjId, Value),
    Item(ObjId, i64),
    Val(ObjId),
    File(Arc<str>),
}

/// The processes that read a location and have not written it back yet
/// (`pending`), and those of them that another process's write has made
/// stale since (`stale`): a write by a stale reader is a lost update. Only
/// this is kept, not who wrote last, so that states differing only in
/// history stay one state; the finding names the overwritten write from
/// its trace.
impl Loc {
    /// A total order on locations (values have none of their own).
    fn order_key(&self) -> (u8, ObjId, String) {
        match self {
            Loc::Key(o, v) => (0, *o, crate::value::repr(v)),
            Loc::Item(o, i) => (1, *o, format!("{i:020}")),
            Loc::Val(o) => (2, *o, String::new()),
            Loc::File(f) => (3, 0, f.to_string()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LocTrack {
    pub loc: Loc,
    pub pending: u64,
    pub stale: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct File {
    pub path: Arc<str>,
    pub content: Arc<Vec<u8>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct World {
    /// Shared with the state a step came from until the step changes it;
    /// every access is noted (see [`crate::reads`]).
    pub objects: Tracked<Object>,
    /// Shared with the state a step came from until the step changes an
    /// entry; every access is noted.
    pub procs: Tracked<ProcMeta>,
    /// Shared with the state a step came from until the step changes it.
    /// A step reads it only through [`World::file`] and [`World::file_mut`],
    /// which note the read.
    pub files: Shared<Vec<File>>,
    pub track: Shared<Vec<LocTrack>>,
}

/// Most processes a model may start: the lost-update check keeps one bit
/// per process.
pub const MAX_PROCS: usize = 64;

impl World {
    pub fn alloc(&mut self, o: Object) -> ObjId {
        self.objects.push(o);
        (self.objects.len() - 1) as ObjId
    }

    pub fn file(&self, path: &str) -> Option<&File> {
        crate::reads::note_files();
        self.files.iter().find(|f| &*f.path == path)
    }

    pub fn file_mut(&mut self, path: &str) -> &mut File {
        crate::reads::note_files();
        let i = match self.files.binary_search_by(|f| (*f.path).cmp(path)) {
            Ok(i) => i,
            Err(i) => {
                self.files.make_mut().insert(i, File { path: Arc::from(path), content: Arc::new(vec![]) });
                i
            }
        };
        &mut self.files.make_mut()[i]
    }

    pub fn children(&self, p: Pid) -> impl Iterator<Item = Pid> + '_ {
        (0..self.procs.len() as Pid).filter(move |c| self.procs[*c as usize].parent == Some(p))
    }

    /// Records a read of `loc` by `me`: it now holds the latest write.
    pub fn track_read(&mut self, me: Pid, loc: Loc) {
        track_read(&mut self.track, me, loc)
    }

    /// Records a write of `loc` by `me`; `true` when `me` read the location
    /// and another process wrote it since (a lost update). Every other
    /// pending reader becomes stale.
    pub fn track_write(&mut self, me: Pid, loc: &Loc) -> bool {
        track_write(&mut self.track, me, loc)
    }

    /// Marks an exited process as reaped (its parent has its exit status),
    /// sharing its entry with the states before when nothing changes.
    pub fn reap(&mut self, p: Pid) {
        let m = &self.procs[p as usize];
        if !m.alive() && !m.reaped {
            self.procs.part_mut(p as usize).reaped = true;
        }
    }

    /// A process that ended will never write back what it read.
    pub fn forget_reads(&mut self, p: Pid) {
        forget_reads(&mut self.track, p)
    }

    pub fn queue(&mut self, id: ObjId) -> &mut Queue {
        match self.objects.part_mut(id as usize) {
            Object::Queue(q) => q,
            _ => unreachable!("object {id} is not a queue"),
        }
    }
}

/// The exception a lock raises when released too often.
pub fn released_too_many() -> (ExcType, &'static str) {
    (ExcType::ValueError, "semaphore or lock released too many times")
}

/// The lost-update bookkeeping alone: see [`World::track_read`].
fn track_read(track: &mut Shared<Vec<LocTrack>>, me: Pid, loc: Loc) {
    let bit = 1u64 << me;
    let track = track.make_mut();
    let i = match track.iter().position(|t| t.loc == loc) {
        Some(i) => i,
        None => {
            // kept in a fixed order, so that the order of first reads
            // does not split states
            let key = loc.order_key();
            let i = track.partition_point(|t| t.loc.order_key() < key);
            track.insert(i, LocTrack { loc, pending: 0, stale: 0 });
            i
        }
    };
    track[i].pending |= bit;
    track[i].stale &= !bit;
}

/// See [`World::track_write`].
fn track_write(track: &mut Shared<Vec<LocTrack>>, me: Pid, loc: &Loc) -> bool {
    let bit = 1u64 << me;
    let Some(i) = track.iter().position(|t| t.loc == *loc) else { return false };
    let track = track.make_mut();
    let t = &mut track[i];
    let lost = t.stale & bit != 0;
    t.pending &= !bit;
    t.stale = t.pending;
    if t.pending == 0 {
        track.remove(i);
    }
    lost
}

/// See [`World::forget_reads`].
fn forget_reads(track: &mut Shared<Vec<LocTrack>>, p: Pid) {
    let bit = 1u64 << p;
    if track.iter().all(|t| (t.pending | t.stale) & bit == 0 && t.pending != 0) {
        return;
    }
    let track = track.make_mut();
    for t in track.iter_mut() {
        t.pending &= !bit;
        t.stale &= !bit;
    }
    track.retain(|t| t.pending != 0);
}

/// One change a step made to the lost-update bookkeeping. Nothing a step
/// does depends on the bookkeeping but its own changes and the lost updates
/// they report, so a step's changes, kept in order, can be made again on
/// other bookkeeping (see [`redo_track`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TrackOp {
    Read(Pid, Loc),
    /// A write, after `n` events of the step that were not lost updates.
    Write(Pid, Loc, u32),
    Forget(Pid),
}

/// Makes a step's changes `ops` on `track`, and gives the step's events:
/// `others` (those that are not lost updates) with the lost updates the
/// writes now report, in the order the step made them.
pub fn redo_track(track: &mut Shared<Vec<LocTrack>>, ops: &[TrackOp], others: &[Event]) -> Vec<Event> {
    let mut events = Vec::with_capacity(others.len());
    // how many of `others` are in `events`
    let mut taken = 0;
    for op in ops {
        match op {
            TrackOp::Read(me, loc) => track_read(track, *me, loc.clone()),
            TrackOp::Write(me, loc, n) => {
                let upto = (*n as usize).clamp(taken, others.len());
                events.extend_from_slice(&others[taken..upto]);
                taken = upto;
                if track_write(track, *me, loc) {
                    events.push(Event::LostUpdate { loc: loc.clone(), writer: *me });
                }
            }
            TrackOp::Forget(p) => forget_reads(track, *p),
        }
    }
    events.extend_from_slice(&others[taken..]);
    events
}
