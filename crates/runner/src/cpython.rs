//! The `cpython` backend: the model file itself under `python3`, through a
//! small harness that keeps the children's prints out of main's stdout.

use std::path::Path;
use std::process::Command;

/// The harness, run with `python3 -c`.
pub const HARNESS: &str = include_str!("harness.py");

/// Where the children's stdout goes, inside the run's folder.
pub const CHILD_STDOUT: &str = ".interleave-children.out";

/// The command of one run: `model` must be absolute, `dir` is the run's
/// own folder (its working directory and its TMPDIR, so that the
/// Manager's socket folder is removed with it).
pub fn command(python: &str, model: &Path, dir: &Path, jitter: Option<u64>) -> Command {
    let mut cmd = Command::new(python);
    cmd.arg("-c").arg(HARNESS).arg(model).current_dir(dir);
    cmd.env("INTERLEAVE_CHILD_STDOUT", dir.join(CHILD_STDOUT)).env("TMPDIR", dir);
    cmd.env("PYTHONDONTWRITEBYTECODE", "1").env("PYTHONUNBUFFERED", "0").env_remove("PYTHONSTARTUP");
    match jitter {
        Some(seed) => cmd.env("INTERLEAVE_JITTER", seed.to_string()),
        None => cmd.env_remove("INTERLEAVE_JITTER"),
    };
    cmd
}
