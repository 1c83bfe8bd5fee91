//! nginx configuration (placeholder: the parser is being written).

use std::path::{Path, PathBuf};

use crate::model::Inventory;

/// Is this file one for the nginx reader? Directories are walked for `.conf` files; a file
/// named on the command line is taken when it is called `nginx.conf` or ends in `.conf`.
pub(crate) fn is_candidate(_path: &Path, name: &str, ext: &str, _explicit: bool) -> bool {
    ext == "conf" || name == "nginx.conf"
}

/// Reads nginx configuration files (roots and the files they include).
pub(crate) fn read_files(_paths: &[PathBuf]) -> Inventory {
    Inventory::default()
}
