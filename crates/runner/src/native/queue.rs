//! `multiprocessing.Queue` as CPython builds it: a pipe, a bounded
//! semaphore of free places, a read lock and a write lock, and one feeder
//! thread per putting process that writes the items into the pipe. So a
//! `get()` holds the read lock while it waits (a process killed there keeps
//! it), `empty()` looks at the pipe only, and a process cannot exit before
//! its feeder has written everything (a full pipe blocks it).

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use super::sem::Sem;

/// The free-places count of an unbounded queue (CPython uses
/// `SEM_VALUE_MAX`).
const UNBOUNDED: u32 = 1 << 30;

pub struct RealQueue {
    read: File,
    write: File,
    pub maxsize: u32,
    /// Free places: `put` takes one, `get` gives one back.
    pub free: Sem,
    pub rlock: Sem,
    wlock: Sem,
    /// `JoinableQueue`: items put and not yet `task_done()`.
    pub unfinished: Sem,
    /// `JoinableQueue`: the condition's lock around task_done.
    pub cond: Sem,
}

impl RealQueue {
    pub fn new(tag: &str, maxsize: u32) -> std::io::Result<RealQueue> {
        let (r, w) = nix::unistd::pipe()?;
        let places = if maxsize == 0 { UNBOUNDED } else { maxsize };
        Ok(RealQueue {
            read: File::from(r),
            write: File::from(w),
            maxsize,
            free: Sem::new(tag, places)?,
            rlock: Sem::new(tag, 1)?,
            wlock: Sem::new(tag, 1)?,
            unfinished: Sem::new(tag, 0)?,
            cond: Sem::new(tag, 1)?,
        })
    }

    /// `qsize()`: places taken.
    pub fn taken(&self) -> u32 {
        let places = if self.maxsize == 0 { UNBOUNDED } else { self.maxsize };
        places.saturating_sub(self.free.value())
    }

    /// Whether the pipe holds data now (`not empty()`).
    pub fn readable(&self) -> bool {
        let mut fds = [PollFd::new(self.read.as_fd(), PollFlags::POLLIN)];
        matches!(poll(&mut fds, PollTimeout::ZERO), Ok(n) if n > 0)
    }

    /// Reads one message, blocking until it is there (the caller holds the
    /// read lock).
    pub fn recv(&self) -> std::io::Result<Vec<u8>> {
        let mut len = [0u8; 4];
        (&self.read).read_exact(&mut len)?;
        let mut msg = vec![0u8; u32::from_le_bytes(len) as usize];
        (&self.read).read_exact(&mut msg)?;
        Ok(msg)
    }

    /// Writes one message under the write lock (the feeder thread does).
    fn send(&self, msg: &[u8]) -> std::io::Result<()> {
        self.wlock.wait();
        let mut framed = (msg.len() as u32).to_le_bytes().to_vec();
        framed.extend_from_slice(msg);
        let r = (&self.write).write_all(&framed);
        self.wlock.post();
        r
    }
}

/// One process's feeder threads, one per queue it has put into.
#[derive(Default)]
pub struct Feeders {
    threads: Vec<(usize, Sender<Vec<u8>>, JoinHandle<()>)>,
}

impl Feeders {
    /// Hands an item to the process's feeder of `q` (`key` names the queue).
    pub fn push(&mut self, key: usize, q: &Arc<RealQueue>, msg: Vec<u8>) {
        if let Some((_, tx, _)) = self.threads.iter().find(|(k, _, _)| *k == key) {
            let _ = tx.send(msg);
            return;
        }
        let (tx, rx) = channel::<Vec<u8>>();
        let q = q.clone();
        let h = std::thread::spawn(move || {
            for m in rx {
                if q.send(&m).is_err() {
                    return;
                }
            }
        });
        let _ = tx.send(msg);
        self.threads.push((key, tx, h));
    }

    /// Waits until every item has been written into its pipe (a process's
    /// last act before it exits).
    pub fn flush(&mut self) {
        for (_, tx, h) in self.threads.drain(..) {
            drop(tx);
            let _ = h.join();
        }
    }

    /// After a fork: the parent's feeder threads do not exist in the child;
    /// their buffers are the parent's business (CPython resets them too).
    pub fn forget_after_fork(&mut self) {
        std::mem::forget(std::mem::take(&mut self.threads));
    }
}
