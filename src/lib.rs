//! ztpath: map every path by which one workload authenticates to another, and audit those paths
//! against zero-trust practice for non-human identities.
//!
//! The data flows one way: probes read an estate into an [`ztpath_probes::Inventory`]; the
//! [`engine`] resolves it ([`estate`], [`mesh`], [`rbac`], [`calls`]) into one identity
//! [`graph`] with auth [`paths`] and each credential's [`blast`] radius; the [`rules`] turn that into
//! findings; [`report`] writes the [`ztpath_reports::Report`] that the renderers print.
//! See docs/architecture.md.

pub mod aws;
pub mod blast;
pub mod calls;
pub mod cli;
pub mod engine;
pub mod estate;
pub mod graph;
pub mod mesh;
pub mod paths;
pub mod placement;
pub mod port_tls;
pub mod proxies;
pub mod rbac;
pub mod report;
pub mod rules;
pub mod servers;
pub mod values;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ztpath_probes::ReadOptions;
use ztpath_reports::Report;

pub use engine::Options;

/// Time spent in each phase of a scan.
#[derive(Debug, Default, Clone)]
pub struct Timings {
    pub read: Duration,
    pub analyse: Duration,
    pub rules: Duration,
    pub report: Duration,
    /// Resident memory (MiB) after each phase, when the platform tells.
    pub rss_mib: Vec<(&'static str, u64)>,
}

/// Resident set size of this process in MiB (Linux; `None` elsewhere).
pub fn rss_mib() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096 / (1024 * 1024))
}

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
    let mut t = Timings::default();
    let start = Instant::now();
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
    let inventory = ztpath_probes::finish(raw);
    t.read = start.elapsed();
    t.rss_mib.extend(rss_mib().map(|m| ("read", m)));
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
    let start = Instant::now();
    let analysis = engine::Analysis::new(inventory, options.clone());
    t.analyse = start.elapsed();
    t.rss_mib.extend(rss_mib().map(|m| ("analyse", m)));
    let start = Instant::now();
    let findings = rules::run(&analysis);
    t.rules = start.elapsed();
    t.rss_mib.extend(rss_mib().map(|m| ("rules", m)));
    let start = Instant::now();
    let report = report::build(inventory, analysis, findings);
    t.report = start.elapsed();
    t.rss_mib.extend(rss_mib().map(|m| ("report", m)));
    report
}
