//! Every model shipped in `models/` lowers without a diagnostic.

use std::path::{Path, PathBuf};

fn model_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            model_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "py") {
            out.push(path);
        }
    }
}

#[test]
fn every_shipped_model_lowers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let mut files = Vec::new();
    model_files(&root, &mut files);
    files.sort();
    let failures: Vec<String> =
        files.iter().filter_map(|f| interleave_lang::load(f).err().map(|d| d.render())).collect();
    assert!(failures.is_empty(), "{} of {} models fail:\n{}", failures.len(), files.len(), failures.join("\n"));
}
