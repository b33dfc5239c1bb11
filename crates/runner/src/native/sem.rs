//! POSIX named semaphores, the way CPython's fork start method uses them:
//! `sem_open` with a fresh name, then `sem_unlink` at once, so the object
//! lives exactly as long as a process maps it (children inherit it through
//! fork) and nothing is left in /dev/shm when the run's processes die.

use std::ffi::CString;
use std::io;
use std::sync::atomic::{AtomicU32, Ordering};

pub struct Sem(*mut libc::sem_t);

// SAFETY: a POSIX semaphore is made to be used from any thread and process.
unsafe impl Send for Sem {}
unsafe impl Sync for Sem {}

static NEXT: AtomicU32 = AtomicU32::new(0);

impl Sem {
    /// A new semaphore of `value`; `tag` names the run (for the sweep).
    pub fn new(tag: &str, value: u32) -> io::Result<Sem> {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("/{tag}-{}-{n}", std::process::id());
        let c = CString::new(name).map_err(io::Error::other)?;
        let flags = libc::O_CREAT | libc::O_EXCL;
        // SAFETY: a valid C string; mode and value as sem_open(3) wants.
        let s = unsafe { libc::sem_open(c.as_ptr(), flags, 0o600 as libc::c_uint, value as libc::c_uint) };
        if s == libc::SEM_FAILED {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the name was just created by us.
        unsafe { libc::sem_unlink(c.as_ptr()) };
        Ok(Sem(s))
    }

    /// Blocks until the value can be decremented.
    pub fn wait(&self) {
        // SAFETY: a live semaphore (never closed while the process lives).
        while unsafe { libc::sem_wait(self.0) } != 0 {
            let e = io::Error::last_os_error();
            assert_eq!(e.raw_os_error(), Some(libc::EINTR), "sem_wait failed: {e}");
        }
    }

    /// Decrements the value if it is positive.
    pub fn try_wait(&self) -> bool {
        loop {
            // SAFETY: as above.
            if unsafe { libc::sem_trywait(self.0) } == 0 {
                return true;
            }
            if io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
                return false;
            }
        }
    }

    pub fn post(&self) {
        // SAFETY: as above.
        unsafe { libc::sem_post(self.0) };
    }

    pub fn value(&self) -> u32 {
        let mut v: libc::c_int = 0;
        // SAFETY: as above.
        unsafe { libc::sem_getvalue(self.0, &mut v) };
        v.max(0) as u32
    }
}
