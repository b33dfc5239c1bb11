//! shuttle prints each failing schedule and its panic to stderr. When we
//! make it fail on purpose (to learn the schedule of a finding), that text
//! is noise: stderr is pointed at /dev/null for the duration.

use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

const STDERR: i32 = 2;

pub struct Stderr {
    saved: Option<OwnedFd>,
}

impl Stderr {
    pub fn silence() -> Stderr {
        let saved = (|| {
            let saved = std::io::stderr().as_fd().try_clone_to_owned().ok()?;
            let null = File::create("/dev/null").ok()?;
            nix::unistd::dup2(null.as_raw_fd(), STDERR).ok()?;
            Some(saved)
        })();
        Stderr { saved }
    }
}

impl Drop for Stderr {
    fn drop(&mut self) {
        if let Some(saved) = self.saved.take() {
            let _ = nix::unistd::dup2(saved.as_raw_fd(), STDERR);
        }
    }
}
