//! Helpers shared by the probe crate's corpus tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use ztpath_probes::{Inventory, read_paths};

/// A folder or file of `shared/corpora`, or `None` (with a note) when the corpora are absent:
/// the corpus tests then skip instead of failing.
pub fn corpus(relative: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora").join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipping: corpus {} not found", path.display());
        None
    }
}

/// Reads a corpus folder or file, when present.
pub fn read(relative: &str) -> Option<Inventory> {
    corpus(relative).map(|p| read_paths(&[p]))
}
