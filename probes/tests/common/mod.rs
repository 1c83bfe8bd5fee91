//! Helpers shared by the probe crate's corpus tests.
#![allow(clippy::print_stderr, reason = "a test says on stderr what it skips or found, as tests do")]
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use ztpath_probes::{Inventory, read_paths};

/// A folder or file of `shared/corpora`, or `None` (with a note) when it is absent: the corpus
/// tests then skip instead of failing, except under CI (see [`in_ci`]), where this panics.
pub(crate) fn corpus(relative: &str) -> Option<PathBuf> {
    corpus_in(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora"), relative, in_ci())
}

/// [`corpus`] under the corpora folder `root`, with `ci` saying whether a missing corpus must
/// fail the test.
pub(crate) fn corpus_in(root: &Path, relative: &str, ci: bool) -> Option<PathBuf> {
    let path = root.join(relative);
    if path.exists() {
        return Some(path);
    }
    let missing = format!("corpus {} not found", path.display());
    assert!(!ci, "{missing}; CI is set, so the corpus tests fail instead of skipping");
    eprintln!("skipping: {missing}");
    None
}

/// Whether the tests run under CI: the variable `CI` is set to anything but "", "false" or "0".
pub(crate) fn in_ci() -> bool {
    ci_value(std::env::var_os("CI").as_deref())
}

/// [`in_ci`] for a given value of `CI`.
pub(crate) fn ci_value(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Reads a corpus folder or file, when present.
pub(crate) fn read(relative: &str) -> Option<Inventory> {
    corpus(relative).map(|p| read_paths(&[p]))
}
