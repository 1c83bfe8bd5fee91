//! `ztpath probe tls` and the live TLS options of `ztpath scan --tls`: targets from the command
//! line, a file and (for scan) the estate, the prober's settings, and a progress bar on stderr.
#![allow(clippy::print_stderr, reason = "the command line is where output goes")]

use std::path::PathBuf;

use ztpath_probes::TlsObservation;

/// What `probe tls` and `scan --tls` share: how to reach and judge endpoints.
#[derive(clap::Args, Clone, Debug, Default)]
pub(crate) struct TlsProbeArgs {
    /// Read targets from this file, one per line (`host:port[=SNI][=Kind/ns/name]`; `#` starts a
    /// comment).
    #[arg(long, value_name = "FILE")]
    pub(crate) targets: Option<PathBuf>,
    /// Connect to ADDR for HOST:PORT, as curl's `--resolve` (repeatable).
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    pub(crate) tls_resolve: Vec<String>,
    /// Verify server chains against the CA certificates of this PEM file instead of the system's
    /// roots (repeatable).
    #[arg(long, value_name = "FILE")]
    pub(crate) tls_ca: Vec<PathBuf>,
    /// A client certificate chain (PEM) to confirm mutual TLS with; needs --tls-client-key.
    #[arg(long, value_name = "FILE", requires = "tls_client_key")]
    pub(crate) tls_client_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-client-cert. Never printed.
    #[arg(long, value_name = "FILE", requires = "tls_client_cert")]
    pub(crate) tls_client_key: Option<PathBuf>,
    /// Handshakes in flight at once.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub(crate) concurrency: u32,
    /// Seconds allowed for one connection and handshake.
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    pub(crate) tls_timeout: f64,
    /// Seconds allowed for the whole run; endpoints not done by then are reported as such.
    #[arg(long, default_value_t = 300.0, value_name = "SECONDS")]
    pub(crate) tls_deadline: f64,
    /// Milliseconds to wait, after a TLS 1.3 handshake that asked for a client certificate, for
    /// the server to refuse a client without one (a session ticket ends the wait sooner).
    #[arg(long, default_value_t = 300, value_name = "MS")]
    pub(crate) tls_refusal_wait_ms: u64,
}

/// The targets of the command line and of `--targets`, parsed; errors name the argument or the
/// file and line, never their text.
pub(crate) fn targets(
    given: &[String],
    args: &TlsProbeArgs,
) -> Result<Vec<ztpath_probes_tls::TlsTarget>, String> {
    let mut out = Vec::new();
    for (i, t) in given.iter().enumerate() {
        out.push(ztpath_probes_tls::TlsTarget::parse(t).map_err(|e| format!("target {}: {e}", i + 1))?);
    }
    if let Some(file) = &args.targets {
        let shown = ztpath_reports::text::escape_file(&file.display().to_string()).into_owned();
        let text =
            std::fs::read_to_string(file).map_err(|e| format!("{shown}: cannot read: {}", e.kind()))?;
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            out.push(
                ztpath_probes_tls::TlsTarget::parse(line).map_err(|e| format!("{shown}:{}: {e}", n + 1))?,
            );
        }
    }
    Ok(out)
}

/// The prober's options from the arguments; `now` is the reference day.
pub(crate) fn options(args: &TlsProbeArgs, today: i64) -> Result<ztpath_probes_tls::TlsProbeOptions, String> {
    let seconds = |s: f64, what: &str| {
        if s.is_finite() && s > 0.0 && s < 86_400.0 {
            Ok(std::time::Duration::from_secs_f64(s))
        } else {
            Err(format!("{what} must be a number of seconds above 0 and below a day"))
        }
    };
    let mut resolve = std::collections::BTreeMap::new();
    for (i, r) in args.tls_resolve.iter().enumerate() {
        let (key, addr) =
            ztpath_probes_tls::parse_resolve(r).map_err(|e| format!("--tls-resolve {}: {e}", i + 1))?;
        resolve.insert(key, addr);
    }
    let client_identity = match (&args.tls_client_cert, &args.tls_client_key) {
        (Some(cert), Some(key)) => Some(ztpath_probes_tls::ClientIdentity::load(cert, key)?),
        _ => None,
    };
    Ok(ztpath_probes_tls::TlsProbeOptions {
        concurrency: usize::try_from(args.concurrency).unwrap_or(64),
        timeout: seconds(args.tls_timeout, "--tls-timeout")?,
        refusal_wait: std::time::Duration::from_millis(args.tls_refusal_wait_ms.min(60_000)),
        deadline: seconds(args.tls_deadline, "--tls-deadline")?,
        now: today.saturating_mul(crate::tls::DAY),
        roots: if args.tls_ca.is_empty() {
            ztpath_probes_tls::Roots::System
        } else {
            ztpath_probes_tls::Roots::Files(args.tls_ca.clone())
        },
        resolve,
        client_identity,
    })
}

/// Probes the targets, with a progress bar on stderr when it is a terminal and the run is long.
pub(crate) fn probe(
    targets: &[ztpath_probes_tls::TlsTarget],
    options: &ztpath_probes_tls::TlsProbeOptions,
) -> Result<Vec<TlsObservation>, String> {
    use std::io::IsTerminal;
    let bar = (targets.len() >= 20 && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(u64::try_from(targets.len()).unwrap_or(u64::MAX)),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "probing TLS {bar:40} {pos}/{len} endpoints ({per_sec}, {eta} left)",
        ) {
            bar.set_style(style);
        }
        bar
    });
    let progress = |done: usize, _total: usize| {
        if let Some(bar) = &bar {
            bar.set_position(u64::try_from(done).unwrap_or(u64::MAX));
        }
    };
    let observed = ztpath_probes_tls::probe_all(targets, options, &progress);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    observed
}

use ztpath_probes::tls as ztpath_probes_tls;

/// `scan --tls`: what to probe once the estate is read, and the probe's error if it could not
/// run at all.
pub(crate) struct WirePlan {
    /// The `--tls-target`s and `--targets` file, probed whatever the estate says.
    pub(crate) given: Vec<ztpath_probes_tls::TlsTarget>,
    pub(crate) options: ztpath_probes_tls::TlsProbeOptions,
    /// Add the endpoints the estate names.
    pub(crate) discover: bool,
    pub(crate) discovery: crate::tls_targets::Discovery,
    /// At most this many endpoints from the estate.
    pub(crate) max_discovered: usize,
    pub(crate) error: Option<String>,
}

impl WirePlan {
    /// Probes the given targets and (unless told not to) the endpoints the estate names, and adds
    /// the observations to the Inventory, with a diagnostic when the cap left some out.
    pub(crate) fn observe(&mut self, inventory: &mut ztpath_probes::Inventory) {
        let mut discovered = if self.discover {
            crate::tls_targets::from_estate(inventory, self.discovery)
        } else {
            Vec::new()
        };
        let found = discovered.len();
        if found > self.max_discovered {
            discovered.truncate(self.max_discovered);
            inventory.diagnostics.push(ztpath_probes::Diagnostic {
                source: ztpath_probes::Source { file: "tls://estate".into(), line: 0 },
                reason: format!(
                    "the estate names {found} TLS endpoints; the first {} were probed (raise --tls-max-targets)",
                    self.max_discovered
                ),
            });
        }
        let targets = crate::tls_targets::merge(std::mem::take(&mut self.given), discovered);
        match probe(&targets, &self.options) {
            Ok(observed) => {
                inventory.objects_read += observed.len();
                inventory.tls.extend(observed);
            }
            Err(e) => self.error = Some(e),
        }
    }
}
