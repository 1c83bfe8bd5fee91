//! HAProxy configuration (placeholder: the parser is being written).

use std::path::{Path, PathBuf};

use crate::model::Inventory;

/// Is this file one for the HAProxy reader (`haproxy.cfg`, `*.cfg`)?
pub(crate) fn is_candidate(_path: &Path, name: &str, ext: &str, _explicit: bool) -> bool {
    ext == "cfg" || name.starts_with("haproxy")
}

/// Reads HAProxy configuration files.
pub(crate) fn read_files(_paths: &[PathBuf]) -> Inventory {
    Inventory::default()
}
