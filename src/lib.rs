//! ztpath: map every path by which one workload authenticates to another, and audit those paths
//! against zero-trust practice for non-human identities.
//!
//! The data flows one way: probes read an estate into an [`ztpath_probes::Inventory`]; the
//! [`analysis`] resolves it ([`resolve`], [`discover`]) into one identity
//! [`graph`] with auth [`paths`] and each credential's [`blast`] radius; the [`rules`] turn that into
//! findings; [`report`] writes the [`ztpath_reports::Report`] that the renderers print.
//! See docs/architecture.md.

pub mod analysis;
pub mod blast;
pub mod cli;
pub mod config;
pub mod dates;
pub mod diff;
pub mod discover;
pub mod gate;
pub mod graph;
pub mod ids;
pub mod intern;
mod kube_cli;
pub mod paths;
#[cfg(feature = "tls-live")]
mod probe_cli;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod timings;
pub mod tls;
#[cfg(feature = "tls-live")]
pub mod tls_targets;

use std::path::PathBuf;

use ztpath_probes::ReadOptions;
use ztpath_reports::Report;

pub use analysis::Options;
use timings::measure;
pub use timings::{Timings, rss_mib};

/// Reads the paths, analyses the estate and returns the report (with phase timings).
pub fn scan(paths: &[PathBuf], options: &Options) -> (Report, Timings) {
    scan_with(paths, &ReadOptions::default(), None, options)
}

/// Like [`scan`], reading the paths with `reading` (confinement and limits) and adding an
/// Inventory collected elsewhere (a live AWS account) to what the paths hold; with no path, that
/// Inventory alone is analysed.
pub fn scan_with(
    paths: &[PathBuf],
    reading: &ReadOptions,
    extra: Option<ztpath_probes::RawInventory>,
    options: &Options,
) -> (Report, Timings) {
    scan_then(paths, reading, extra, options, &mut |_| {})
}

/// Like [`scan_with`], and `after_read` may add to the Inventory once it is read and before it
/// is analysed: what depends on the estate itself (live TLS observations of the endpoints it
/// names, with their diagnostics).
pub fn scan_then(
    paths: &[PathBuf],
    reading: &ReadOptions,
    extra: Option<ztpath_probes::RawInventory>,
    options: &Options,
    after_read: &mut dyn FnMut(&mut ztpath_probes::Inventory),
) -> (Report, Timings) {
    let mut t = Timings::default();
    let (inventory, read) = measure(|| {
        let mut raw = if paths.is_empty() {
            ztpath_probes::RawInventory::default()
        } else {
            ztpath_probes::read_paths_raw(paths, reading)
        };
        if let Some(extra) = extra {
            raw.extend(extra);
        }
        // One finish step for everything read: joins across sources, and an account that is also
        // among the files (an export of it) kept once.
        let mut inventory = ztpath_probes::finish(raw);
        after_read(&mut inventory);
        inventory
    });
    t.read = read;
    t.mark_memory("read");
    let report = analyse(&inventory, options, &mut t);
    if options.skip_teardown {
        // The caller exits next: freeing millions of small allocations one by one would only
        // delay that (a tenth of a second on a large estate); the OS takes the memory back at once.
        std::mem::forget(inventory);
    }
    (report, t)
}

/// Analyses an Inventory already read.
pub fn analyse(inventory: &ztpath_probes::Inventory, options: &Options, t: &mut Timings) -> Report {
    let (analysis, took) = measure(|| analysis::Analysis::new(inventory, options.clone()));
    t.analyse = took;
    t.mark_memory("analyse");
    let (findings, took) = measure(|| rules::run(&analysis));
    t.rules = took;
    t.mark_memory("rules");
    let (mut report, took) = measure(|| report::build(inventory, analysis, findings));
    gate::apply(&mut report, inventory, &options.policy, options.today);
    t.report = took;
    t.mark_memory("report");
    report
}
