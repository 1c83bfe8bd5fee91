//! Phase timings. With `ZTPATH_TIMINGS` set, a scan prints to stderr how long each phase took
//! (`ztpath timings:   analyse/graph 0.012s`, one line per step as it ends), then one summary
//! line (`ztpath timings: read …s (…%), analyse …`) and the resident memory after each phase.
//! `scripts/bench.sh` reads these lines: keep their form.
//!
//! Every timer of the scan goes through this module, so there is one switch and one format.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "phase timings go to stderr when ZTPATH_TIMINGS asks for them"
)]

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The environment variable that turns timings on.
pub const ENV: &str = "ZTPATH_TIMINGS";

/// Whether timings are printed (read once per process).
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os(ENV).is_some())
}

/// Prints the time of one step (`analyse/graph`, `rules/ZT001`, `render`) when timings are on.
pub fn step(label: &str, took: Duration) {
    if enabled() {
        eprintln!("ztpath timings:   {label} {:.3}s", took.as_secs_f64());
    }
}

/// Runs `f` and returns its result with the time it took.
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

/// Consecutive steps of one phase: each [`Laps::lap`] prints the time since the previous one.
pub struct Laps {
    phase: &'static str,
    last: Instant,
}

impl Laps {
    /// Starts timing the steps of `phase` (`analyse`).
    pub fn new(phase: &'static str) -> Laps {
        Laps { phase, last: Instant::now() }
    }

    /// Ends the step `what` (printed as `<phase>/<what>`) and starts the next.
    pub fn lap(&mut self, what: &str) {
        if enabled() {
            let rss = rss_mib().map(|m| format!(" (resident {m} MiB)")).unwrap_or_default();
            step(&format!("{}/{what}{rss}", self.phase), self.last.elapsed());
        }
        self.last = Instant::now();
    }
}

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

impl Timings {
    /// Records the resident memory after `phase`.
    pub fn mark_memory(&mut self, phase: &'static str) {
        self.rss_mib.extend(rss_mib().map(|m| (phase, m)));
    }

    /// Prints the summary line and the memory line, when timings are on.
    pub fn print_summary(&self) {
        if !enabled() {
            return;
        }
        let total = self.read + self.analyse + self.rules + self.report;
        let pct = |d: Duration| 100.0 * d.as_secs_f64() / total.as_secs_f64().max(1e-9);
        eprintln!(
            "ztpath timings: read {:.3}s ({:.0}%), analyse {:.3}s ({:.0}%), rules {:.3}s ({:.0}%), report+render {:.3}s ({:.0}%), total {:.3}s",
            self.read.as_secs_f64(),
            pct(self.read),
            self.analyse.as_secs_f64(),
            pct(self.analyse),
            self.rules.as_secs_f64(),
            pct(self.rules),
            self.report.as_secs_f64(),
            pct(self.report),
            total.as_secs_f64()
        );
        let rss: Vec<String> = self.rss_mib.iter().map(|(p, m)| format!("{p} {m} MiB")).collect();
        eprintln!("ztpath memory (resident after each phase): {}", rss.join(", "));
    }
}

/// Resident set size of this process in MiB (Linux; `None` elsewhere).
pub fn rss_mib() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096 / (1024 * 1024))
}
