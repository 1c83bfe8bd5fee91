//! Placeholder for the json renderer.

use std::io::{self, Write};

use crate::Report;

/// Renders the report.
pub fn render(_report: &Report, _out: &mut dyn Write) -> io::Result<()> {
    Ok(())
}
