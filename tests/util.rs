//! Shared helpers: run the binary, locate the repository.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `interleave ARGS` from the repository root.
pub fn interleave(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_interleave"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the interleave binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every model file under `models/`, sorted, relative to the root.
pub fn model_files() -> Vec<PathBuf> {
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(d).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for e in entries {
            if e.is_dir() {
                walk(&e, out);
            } else if e.extension().is_some_and(|x| x == "py") {
                out.push(e.strip_prefix(root()).unwrap().to_path_buf());
            }
        }
    }
    let mut out = vec![];
    walk(&root().join("models"), &mut out);
    out
}

/// The `# expect:` kinds of a model file.
pub fn expected(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("# expect:"))
        .flat_map(|k| k.split(',').map(|s| s.trim().to_string()).collect::<Vec<_>>())
        .filter(|k| !k.is_empty() && k != "none")
        .collect()
}
