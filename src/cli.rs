//! The command line: `scan`, `rules`, `explain`. Reports go to stdout (or `--output`),
//! diagnostics to stderr. Exit codes are [`Exit`]: 0 no finding at or above `--fail-on`, 1
//! findings at or above it, 2 usage error or nothing readable.
#![allow(clippy::print_stdout, clippy::print_stderr, reason = "the command line is where output goes")]

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use ztpath_probes::ReadOptions;
use ztpath_reports::{Format, Severity, text};

use crate::rules::{self, RULES};
use crate::{Options, scan_with, timings};

#[derive(Parser)]
#[command(
    name = "ztpath",
    version,
    about = "Map workload-to-workload auth paths and audit them against zero-trust practice for non-human identities"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per run: the size of the scan variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Scan manifests (files and directories) and report auth paths, blast radius and findings.
    Scan(Box<ScanArgs>),
    /// Compare two states (JSON reports, or paths to scan): findings added and resolved, auth paths
    /// added, removed, weakened and strengthened, credentials whose blast radius grew.
    Diff(Box<DiffArgs>),
    /// List the rule catalogue with its OWASP NHI and NIST SP 800-207 mappings.
    Rules(RulesArgs),
    /// Explain one rule: what it detects, why it matters, how to fix it.
    Explain {
        /// Rule id (e.g. ZT001) or name.
        rule: String,
    },
    /// Probe live endpoints: `ztpath probe tls HOST:PORT...`.
    #[cfg(feature = "tls-live")]
    #[command(subcommand)]
    Probe(ProbeCommand),
    /// Print a shell completion script (e.g. `ztpath completions bash > /etc/bash_completion.d/ztpath`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// What `ztpath probe` probes.
#[cfg(feature = "tls-live")]
#[derive(Subcommand)]
enum ProbeCommand {
    /// TLS handshakes: does each endpoint speak TLS, which version, cipher and ALPN, its
    /// certificate chain (verified against the system roots or --tls-ca), and whether it asks for
    /// a client certificate and lets a client without one in (`required`, `optional`,
    /// `not-requested`). Read-only: no application data is sent beyond one `GET /` over HTTP/1.1
    /// to see whether a client without a certificate is let in.
    Tls(Box<ProbeTlsArgs>),
}

#[cfg(feature = "tls-live")]
#[derive(clap::Args)]
struct ProbeTlsArgs {
    /// Endpoints: `host:port`, `host:port=SNI` (`[v6]:port` for IPv6).
    #[arg(value_name = "TARGET")]
    endpoints: Vec<String>,
    #[command(flatten)]
    probe: crate::probe_cli::TlsProbeArgs,
    /// Output format (default: table on a terminal, json otherwise).
    #[arg(long, short)]
    format: Option<ProbeFormatArg>,
    /// Write the report to this file instead of stdout.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Exit 1 when a finding of this severity or above exists.
    #[arg(long, default_value = "high")]
    fail_on: FailOn,
    /// Reference date of certificate checks (YYYY-MM-DD, UTC). Default: today.
    #[arg(long, value_parser = parse_date)]
    now: Option<i64>,
    #[command(flatten)]
    certs: CertArgs,
}

#[cfg(feature = "tls-live")]
#[derive(Clone, Copy, ValueEnum)]
enum ProbeFormatArg {
    Table,
    Json,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
}

/// Thresholds of the certificate rules (probe tls, scan --tls).
#[derive(clap::Args, Clone, Debug)]
struct CertArgs {
    /// A certificate expiring within this many days of the reference date is reported.
    #[arg(long, default_value_t = 30)]
    cert_expiry_days: i64,
    /// A workload certificate (a SPIFFE URI SAN) living longer than this many hours is reported
    /// (NHI7).
    #[arg(long, default_value_t = 24)]
    max_workload_cert_hours: i64,
}

/// `scan --tls`: probe endpoints and compare the wire with the configuration.
#[cfg(feature = "tls-live")]
#[derive(clap::Args, Default)]
struct ScanTlsArgs {
    /// Probe the endpoints the estate names (proxy, load balancer, Ingress and Gateway listeners
    /// by their addresses and host names) and the `--tls-target`s with live TLS handshakes, and
    /// compare what the wire says with what the configuration says. The estate chooses where
    /// ztpath connects: on untrusted input, add --tls-no-discover.
    #[arg(long)]
    tls: bool,
    /// Probe only the `--tls-target`s (and `--targets` file), none of the endpoints the estate
    /// names.
    #[arg(long, requires = "tls")]
    tls_no_discover: bool,
    /// Also probe every Service with a selector by its cluster DNS name (`name.namespace.svc`).
    /// Default: when ztpath runs in a pod (KUBERNETES_SERVICE_HOST is set).
    #[arg(long, requires = "tls")]
    tls_cluster_services: bool,
    /// Probe at most this many endpoints found in the estate (the `--tls-target`s always); the
    /// report says when some were left out.
    #[arg(long, default_value_t = 1024, value_name = "N", requires = "tls")]
    tls_max_targets: usize,
    /// An endpoint and the estate object it belongs to: `host:port[=SNI]=Kind/ns/name`
    /// (`Deployment/shop/api`, `Service/shop/api`, `NginxConfig/edge`; repeatable).
    #[arg(long, value_name = "HOST:PORT=KIND/NS/NAME", requires = "tls")]
    tls_target: Vec<String>,
    #[command(flatten)]
    probe: crate::probe_cli::TlsProbeArgs,
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Files or directories (recursive; .yaml, .yml, .json). Defaults to the current directory,
    /// unless --aws or --kube is given.
    paths: Vec<PathBuf>,
    #[command(flatten)]
    aws: AwsArgs,
    #[command(flatten)]
    kube: crate::kube_cli::KubeArgs,
    /// Output format (default: table on a terminal, json otherwise).
    #[arg(long, short)]
    format: Option<FormatArg>,
    /// Write the report to this file instead of stdout.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Exit 1 when a finding of this severity or above exists (not suppressed; with --baseline,
    /// new). Default: `fail-on` of the configuration file, else high.
    #[arg(long)]
    fail_on: Option<FailOn>,
    /// A previous JSON report: its findings are existing, the others new, and only new findings
    /// fail the run.
    #[arg(long, value_name = "OLD.json")]
    baseline: Option<PathBuf>,
    #[command(flatten)]
    analysis: AnalysisArgs,
    #[cfg(feature = "tls-live")]
    #[command(flatten)]
    tls: ScanTlsArgs,
}

/// What scan and diff share: thresholds, the configuration file, the reference date, how files
/// are read, and the fingerprint key.
#[derive(clap::Args, Clone)]
struct AnalysisArgs {
    /// Blast-radius score above which ZT009 fires [default: 30].
    #[arg(long)]
    blast_radius_threshold: Option<u64>,
    /// Projected token lifetime in seconds above which ZT006 fires [default: 86400].
    #[arg(long)]
    max_token_seconds: Option<i64>,
    /// Configuration file (default: the nearest .ztpath.toml at or above the scanned root).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Do not read a configuration file, even if one is found.
    #[arg(long, conflicts_with = "config")]
    no_config: bool,
    /// Ignore `ztpath.dev/ignore` annotations (for manifests whose authors are not trusted to
    /// accept their own findings).
    #[arg(long)]
    no_inline_ignores: bool,
    /// Reference date for credential ages (YYYY-MM-DD, UTC). Default: today. Set it for
    /// reproducible reports.
    #[arg(long, value_parser = parse_date)]
    now: Option<i64>,
    /// Follow symbolic links that point outside the scanned paths. Off by default: a link in a
    /// scanned repository must not make ztpath read the machine's own files. References that
    /// leave the paths as written (`include ../../x`) are never followed.
    #[arg(long)]
    follow_outside_symlinks: bool,
    /// Namespace of the objects that carry none, as `kubectl apply -n NS` would place them
    /// (default: `default`). Objects that name their namespace keep it.
    #[arg(long, short = 'n', value_name = "NS", value_parser = crate::resolve::estate::parse_namespace)]
    namespace: Option<String>,
    /// Access-key age in days above which ZT202 fires [default: 90].
    #[arg(long)]
    max_key_age_days: Option<i64>,
    /// Days without use after which ZT203 fires for an active access key [default: 90].
    #[arg(long)]
    max_key_unused_days: Option<i64>,
    /// Key of the fingerprints of secret values (any text; or set ZTPATH_FINGERPRINT_KEY, which
    /// process listings do not show). Without it each scan draws a random key, and fingerprints
    /// compare within one report only. Give the same key to scans whose reports are compared
    /// (baselines, diffs), and keep it as secret as the values.
    #[arg(long, value_name = "KEY")]
    fingerprint_key: Option<String>,
    #[command(flatten)]
    certs: CertArgs,
}

/// The environment variable that fixes the fingerprint key when `--fingerprint-key` is not given.
pub const FINGERPRINT_KEY_ENV: &str = "ZTPATH_FINGERPRINT_KEY";

/// Sets the key of this process's fingerprints: `--fingerprint-key`, else the environment
/// variable, else a random key. The key itself is never printed.
fn init_fingerprint_key(flag: Option<&str>) -> Result<(), String> {
    let key = match flag {
        Some(k) => Some((k.to_owned(), "--fingerprint-key")),
        None => match std::env::var(FINGERPRINT_KEY_ENV) {
            Ok(k) => Some((k, FINGERPRINT_KEY_ENV)),
            Err(std::env::VarError::NotPresent) => None,
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(format!("{FINGERPRINT_KEY_ENV} is not valid UTF-8"));
            }
        },
    };
    match key {
        Some((k, from)) if k.is_empty() => {
            Err(format!("{from} is empty: give a key, or unset it for a random one"))
        }
        Some((k, _)) => ztpath_probes::set_fingerprint_key(&k).map_err(|e| e.to_string()),
        None => ztpath_probes::init_random_fingerprint_key().map_err(|e| e.to_string()),
    }
}

fn parse_date(text: &str) -> Result<i64, String> {
    match crate::dates::parse_day(text) {
        Some(d) if text.trim().len() == 10 => Ok(d),
        _ => Err(format!("`{text}` is not a date of the form YYYY-MM-DD")),
    }
}

/// The default of `--now`: today (UTC), or the day `ZTPATH_TODAY=YYYY-MM-DD` names. That variable
/// is a test hook (tests/date_independence.rs makes the binary believe today is another day, to
/// show that a pinned `--now` gives the same report on any day); it is read here only, so `--now`
/// always wins over it. Unset or empty, it is ignored; `None`, after saying so, when it holds
/// anything but such a date.
fn default_today() -> Option<i64> {
    match std::env::var_os("ZTPATH_TODAY") {
        Some(value) if !value.is_empty() => {
            let day = value.to_str().and_then(|v| parse_date(v).ok());
            if day.is_none() {
                eprintln!("ztpath: ZTPATH_TODAY is set but is not a date of the form YYYY-MM-DD");
            }
            day
        }
        _ => Some(crate::dates::today()),
    }
}

#[derive(clap::Args)]
struct RulesArgs {
    /// Output format.
    #[arg(long, short, default_value = "table")]
    format: RulesFormat,
    /// Write one Markdown page per rule (docs/rules/<ID>.md) into this directory.
    #[arg(long)]
    write_docs: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Table,
    Json,
    Dot,
    /// SARIF 2.1.0 for code scanning (GitHub, GitLab).
    Sarif,
    /// One self-contained HTML page: summary, compliance matrix, findings, graph.
    Html,
    /// GitHub-flavoured Markdown: summary, compliance matrix, findings by rule.
    Markdown,
}

#[derive(Clone, Copy, ValueEnum)]
enum RulesFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Critical => Some(Severity::Critical),
            FailOn::High => Some(Severity::High),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::Low => Some(Severity::Low),
            FailOn::Never => None,
        }
    }
}

/// How a run ends: the process exit status, the one place its numbers are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: done, and no finding at or above `--fail-on` (also `--help`, `--version`).
    Clean,
    /// 1: a finding at or above `--fail-on`.
    Findings,
    /// 2: a usage error, nothing readable, or an input or output error.
    Error,
}

impl Exit {
    /// The exit status.
    pub fn code(self) -> u8 {
        match self {
            Exit::Clean => 0,
            Exit::Findings => 1,
            Exit::Error => 2,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

/// Runs the CLI and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let exit = if e.use_stderr() { Exit::Error } else { Exit::Clean };
            let _ = e.print();
            return exit.into();
        }
    };
    let result = match cli.command {
        Command::Scan(args) => run_scan(*args),
        Command::Diff(args) => run_diff(&args),
        Command::Rules(args) => run_rules(&args),
        #[cfg(feature = "tls-live")]
        Command::Probe(ProbeCommand::Tls(args)) => run_probe_tls(&args),
        Command::Explain { rule } => match rules::find(&rule) {
            Some(r) => write_stdout(rules::doc_page(r).as_bytes()).map(|()| Exit::Clean),
            None => {
                eprintln!("ztpath: unknown rule `{}`; `ztpath rules` lists them", text::escape(&rule));
                Ok(Exit::Error)
            }
        },
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "ztpath",
                &mut script,
            );
            write_stdout(&script).map(|()| Exit::Clean)
        }
    };
    match result {
        Ok(exit) => exit.into(),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::Clean.into(),
        Err(e) => {
            eprintln!("ztpath: {}", text::escape(&e.to_string()));
            Exit::Error.into()
        }
    }
}

fn write_stdout(bytes: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()
}

fn run_scan(args: ScanArgs) -> std::io::Result<Exit> {
    if let Err(e) = init_fingerprint_key(args.analysis.fingerprint_key.as_deref()) {
        eprintln!("ztpath: {e}");
        return Ok(Exit::Error);
    }
    let Some(today) = args.analysis.now.or_else(default_today) else { return Ok(Exit::Error) };
    let mut live = match collect_aws(&args.aws) {
        Ok(live) => live,
        Err(exit) => return Ok(exit),
    };
    let from_aws = live.is_some();
    let kube_input = match crate::kube_cli::collect(&args.kube) {
        Ok(None) => None,
        Ok(Some(read)) => {
            match &mut live {
                Some(inventory) => inventory.extend(read.inventory),
                None => live = Some(read.inventory),
            }
            Some(read.input)
        }
        Err(e) => {
            eprintln!("ztpath: kube: {}", text::escape(&e));
            return Ok(Exit::Error);
        }
    };
    #[cfg(feature = "tls-live")]
    let mut wire = if args.tls.tls {
        let planned = crate::probe_cli::targets(&args.tls.tls_target, &args.tls.probe)
            .and_then(|t| crate::probe_cli::options(&args.tls.probe, today).map(|o| (t, o)));
        match planned {
            Ok((given, options)) => Some(crate::probe_cli::WirePlan {
                given,
                options,
                discover: !args.tls.tls_no_discover,
                discovery: crate::tls_targets::Discovery {
                    cluster_services: args.tls.tls_cluster_services
                        || std::env::var_os("KUBERNETES_SERVICE_HOST").is_some_and(|v| !v.is_empty()),
                },
                max_discovered: args.tls.tls_max_targets,
                error: None,
            }),
            Err(e) => {
                eprintln!("ztpath: tls: {}", text::escape(&e));
                return Ok(Exit::Error);
            }
        }
    } else {
        None
    };
    #[cfg(feature = "tls-live")]
    let only_wire = wire.is_some();
    #[cfg(not(feature = "tls-live"))]
    let only_wire = false;
    let paths = if args.paths.is_empty() && live.is_none() && !only_wire {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let format = match args.format {
        Some(FormatArg::Table) => Format::Table,
        Some(FormatArg::Json) => Format::Json,
        Some(FormatArg::Dot) => Format::Dot,
        Some(FormatArg::Sarif) => Format::Sarif,
        Some(FormatArg::Html) => Format::Html,
        Some(FormatArg::Markdown) => Format::Markdown,
        None if args.output.is_none() && std::io::stdout().is_terminal() => Format::Table,
        None => Format::Json,
    };
    let settings =
        match scan_settings(&args, &paths, today, !matches!(format, Format::Table | Format::Markdown)) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("ztpath: {}", text::escape(&e));
                return Ok(Exit::Error);
            }
        };
    let ScanSettings { root, fail_on, options, reading } = settings;
    #[cfg(feature = "tls-live")]
    let (report, mut timings) = match &mut wire {
        Some(plan) => {
            let scanned = crate::scan_then(&paths, &reading, live, &options, &mut |inv| plan.observe(inv));
            if let Some(e) = plan.error.take() {
                eprintln!("ztpath: tls: {}", text::escape(&e));
                return Ok(Exit::Error);
            }
            scanned
        }
        None => scan_with(&paths, &reading, live, &options),
    };
    #[cfg(not(feature = "tls-live"))]
    let (report, mut timings) = scan_with(&paths, &reading, live, &options);
    // Escaped: file names and messages come from the input, and must not write to the terminal
    // or start a line of their own.
    for d in &report.diagnostics {
        eprintln!("{}", text::diagnostic_line(&d.file, d.line, &d.message));
    }
    if report.summary.objects == 0 {
        eprintln!(
            "ztpath: nothing readable in {}: no Kubernetes object or proxy configuration found ({} file(s) read)",
            paths
                .iter()
                .map(|p| shown_path(p))
                .chain(from_aws.then(|| "the AWS account".to_owned()))
                // The context's name comes from the kubeconfig.
                .chain(kube_input.as_deref().map(|k| text::escape(k).into_owned()))
                .collect::<Vec<_>>()
                .join(", "),
            report.summary.files
        );
        return Ok(Exit::Error);
    }
    // The report goes to its writer as it is rendered, not through a copy of it in memory.
    // Colour only for a person at a terminal, and never when NO_COLOR is set (no-color.org).
    let colour = format == Format::Table
        && args.output.is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut inputs: Vec<String> = args
        .paths
        .iter()
        .map(|p| {
            if p.as_os_str() == ztpath_probes::STDIN_PATH {
                "standard input".to_owned()
            } else {
                p.display().to_string()
            }
        })
        .collect();
    if from_aws {
        inputs.push("AWS account (live)".to_owned());
    }
    if let Some(input) = kube_input {
        inputs.push(input);
    }
    if only_wire {
        inputs.push("live TLS endpoints".to_owned());
    } else if inputs.is_empty() {
        inputs.push(".".to_owned());
    }
    let document = ztpath_reports::DocumentOptions { now: Some(crate::dates::format_day(today)), inputs };
    let how = Rendering { format, root, colour, document };
    let (written, render) = timings::measure(|| match &args.output {
        Some(path) => write_report_file(&report, &how, path),
        None => {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            how.render(&report, &mut out).and_then(|()| out.flush())
        }
    });
    written?;
    timings.report += render;
    timings::step("render", render);
    timings.print_summary();
    let failing = fail_on.is_some_and(|t| report.findings.iter().any(|f| f.gates() && f.severity <= t));
    // Exiting next: let the OS take the report's memory back instead of freeing it piece by piece.
    std::mem::forget(report);
    Ok(if failing { Exit::Findings } else { Exit::Clean })
}

/// What a scan of some paths runs with: the configuration found for them (or given), with the
/// command line on top.
struct ScanSettings {
    /// The scanned root (SARIF locations are relative to it; the configuration is looked up there).
    root: Option<PathBuf>,
    /// `--fail-on`, else the configuration's, else high.
    fail_on: Option<Severity>,
    options: Options,
    reading: ReadOptions,
}

fn scan_settings(
    args: &ScanArgs,
    paths: &[PathBuf],
    today: i64,
    graph_in_report: bool,
) -> Result<ScanSettings, String> {
    let root = scanned_root(paths);
    let config = gate_config(args, root.as_deref())?;
    let defaults = Options::default();
    let fail_on = args.fail_on.map(FailOn::threshold).or(config.fail_on).unwrap_or(Some(Severity::High));
    let options = Options {
        blast_radius_threshold: args
            .analysis
            .blast_radius_threshold
            .or(config.blast_radius_threshold)
            .unwrap_or(defaults.blast_radius_threshold),
        max_token_seconds: args
            .analysis
            .max_token_seconds
            .or(config.max_token_seconds)
            .unwrap_or(defaults.max_token_seconds),
        graph_in_report,
        today,
        max_key_age_days: args
            .analysis
            .max_key_age_days
            .or(config.max_key_age_days)
            .unwrap_or(defaults.max_key_age_days),
        max_key_unused_days: args
            .analysis
            .max_key_unused_days
            .or(config.max_key_unused_days)
            .unwrap_or(defaults.max_key_unused_days),
        skip_teardown: true,
        policy: config.policy,
        cert_expiry_days: args.analysis.certs.cert_expiry_days,
        max_workload_cert_hours: args.analysis.certs.max_workload_cert_hours,
    };
    let reading = ReadOptions {
        follow_outside_symlinks: args.analysis.follow_outside_symlinks,
        default_namespace: args.analysis.namespace.clone(),
        ..ReadOptions::default()
    };
    Ok(ScanSettings { root, fail_on, options, reading })
}

/// A path argument as messages show it (`-` is standard input).
fn shown_path(p: &std::path::Path) -> String {
    if p.as_os_str() == ztpath_probes::STDIN_PATH {
        "standard input".to_owned()
    } else {
        text::escape_file(&p.display().to_string()).into_owned()
    }
}

/// The configuration file (found or given) with the command line's policy flags and the
/// baseline on top. Errors name the file and never quote it.
fn gate_config(args: &ScanArgs, root: Option<&std::path::Path>) -> Result<crate::config::Config, String> {
    let known: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    let mut config =
        match (args.analysis.no_config, crate::config::locate(args.analysis.config.as_deref(), root)) {
            (false, Some(path)) => crate::config::load(&path, &known)?,
            _ => crate::config::Config { policy: crate::gate::Policy::new(), ..Default::default() },
        };
    if args.analysis.no_inline_ignores {
        config.policy.inline_ignores = false;
    }
    if let Some(path) = &args.baseline {
        config.policy.baseline = Some(baseline_ids(path)?);
    }
    Ok(config)
}

/// The finding ids of a JSON report of this schema's major version.
fn baseline_ids(path: &std::path::Path) -> Result<std::collections::BTreeSet<String>, String> {
    #[derive(serde::Deserialize)]
    struct Old {
        schema_version: String,
        findings: Vec<OldFinding>,
    }
    #[derive(serde::Deserialize)]
    struct OldFinding {
        id: String,
    }
    let shown = text::escape_file(&path.display().to_string()).into_owned();
    let file = std::fs::File::open(path).map_err(|e| format!("{shown}: cannot read the baseline: {e}"))?;
    let old: Old = serde_json::from_reader(std::io::BufReader::new(file)).map_err(|e| {
        format!(
            "{shown}:{}: not a ztpath JSON report (make the baseline with `ztpath scan --format json`)",
            e.line()
        )
    })?;
    let major = |v: &str| v.split('.').next().map(str::to_owned);
    if major(&old.schema_version) != major(ztpath_reports::SCHEMA_VERSION) {
        return Err(format!(
            "{shown}: the baseline is a report of another schema major version than this ztpath writes ({}); make it again with this version",
            ztpath_reports::SCHEMA_VERSION
        ));
    }
    Ok(old.findings.into_iter().map(|f| f.id).collect())
}

/// A format and what it needs beyond the report.
struct Rendering {
    format: Format,
    /// The scanned root, which SARIF locations are relative to.
    root: Option<PathBuf>,
    /// Severities in colour (table on a terminal).
    colour: bool,
    /// What the HTML and Markdown documents say of the scan (reference date, inputs).
    document: ztpath_reports::DocumentOptions,
}

impl Rendering {
    fn render(&self, report: &ztpath_reports::Report, out: &mut dyn Write) -> std::io::Result<()> {
        if self.format == Format::Table {
            return ztpath_reports::table::render_styled(report, self.colour, out);
        }
        if self.format == Format::Html {
            return ztpath_reports::html::render(report, &self.document, out);
        }
        if self.format == Format::Markdown {
            return ztpath_reports::markdown::render(report, &self.document, out);
        }
        if self.format != Format::Sarif {
            return ztpath_reports::render(report, self.format, out);
        }
        let options = ztpath_reports::sarif::SarifOptions { root: self.root.clone() };
        let summary = ztpath_reports::sarif::render(report, &options, out)?;
        if summary.omitted > 0 {
            eprintln!(
                "ztpath: SARIF: {} findings, of which the {} most severe are written (code scanning takes {} results per run); the JSON report has them all",
                summary.results + summary.omitted,
                summary.results,
                ztpath_reports::sarif::MAX_RESULTS
            );
        }
        Ok(())
    }
}

/// The root SARIF locations are relative to: the one directory scanned (a file's directory), or
/// the deepest directory that holds every path given; the working directory for standard input
/// alone.
fn scanned_root(paths: &[PathBuf]) -> Option<PathBuf> {
    if !paths.is_empty() && paths.iter().all(|p| p.as_os_str() == ztpath_probes::STDIN_PATH) {
        return Some(PathBuf::from("."));
    }
    let dirs: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.as_os_str() != ztpath_probes::STDIN_PATH)
        .map(|p| if p.is_dir() { p.clone() } else { p.parent().map(PathBuf::from).unwrap_or_default() })
        .collect();
    let first = dirs.first()?;
    let mut common: Vec<std::path::Component<'_>> = first.components().collect();
    for d in &dirs[1..] {
        let n = common.iter().zip(d.components()).take_while(|(a, b)| **a == *b).count();
        common.truncate(n);
    }
    let root: PathBuf = common.iter().collect();
    Some(if root.as_os_str().is_empty() { PathBuf::from(".") } else { root })
}

/// Renders the report into `--output`. A regular file that a failed write left incomplete is
/// removed, so that no half report passes for a whole one.
fn write_report_file(
    report: &ztpath_reports::Report,
    how: &Rendering,
    path: &std::path::Path,
) -> std::io::Result<()> {
    let cannot =
        |e: std::io::Error| std::io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display()));
    let file = std::fs::File::create(path).map_err(cannot)?;
    let regular = file.metadata().is_ok_and(|m| m.is_file());
    let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
    let written = how.render(report, &mut out).and_then(|()| out.flush());
    if let Err(e) = written {
        drop(out);
        if regular {
            let _ = std::fs::remove_file(path);
        }
        return Err(cannot(e));
    }
    Ok(())
}

fn run_rules(args: &RulesArgs) -> std::io::Result<Exit> {
    if let Some(dir) = &args.write_docs {
        std::fs::create_dir_all(dir)?;
        for r in RULES {
            std::fs::write(dir.join(format!("{}.md", r.id)), rules::doc_page(r))?;
        }
        std::fs::write(dir.join("README.md"), rules_index())?;
        eprintln!("wrote {} rule pages to {}", RULES.len(), dir.display());
        return Ok(Exit::Clean);
    }
    let text = match args.format {
        RulesFormat::Json => {
            let infos: Vec<_> = RULES.iter().map(|r| rules::info(r)).collect();
            let mut s = serde_json::to_string_pretty(&infos).map_err(std::io::Error::other)?;
            s.push('\n');
            s
        }
        RulesFormat::Markdown => rules_index(),
        RulesFormat::Table => {
            let mut t = comfy_table::Table::new();
            t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
            t.set_header(["Rule", "Name", "Severity", "OWASP NHI", "NIST 800-207", "Title"]);
            for r in RULES {
                t.add_row([
                    r.id,
                    r.name,
                    r.severity.as_str(),
                    &join(r.owasp_nhi),
                    &join(r.nist_800_207),
                    r.title,
                ]);
            }
            format!("{t}\n")
        }
    };
    write_stdout(text.as_bytes())?;
    Ok(Exit::Clean)
}

/// Ids of a rule's mappings, comma-separated.
fn join<T: std::fmt::Display>(ids: &[T]) -> String {
    ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// The index page of the rule catalogue (docs/rules/README.md).
pub fn rules_index() -> String {
    let mut s = String::from(
        "# Rules\n\nGenerated by `ztpath rules --write-docs docs/rules`; do not edit by hand.\n\n",
    );
    s.push_str("| Rule | Name | Severity | OWASP NHI (2025) | NIST SP 800-207 | Title |\n|---|---|---|---|---|---|\n");
    for r in RULES {
        s.push_str(&format!(
            "| [{id}]({id}.md) | `{}` | {} | {} | {} | {} |\n",
            r.name,
            r.severity,
            join(r.owasp_nhi),
            join(r.nist_800_207),
            r.title,
            id = r.id
        ));
    }
    s
}

/// `scan` options for live AWS collection.
#[derive(clap::Args)]
struct AwsArgs {
    /// Also collect a live AWS account (AWS Config and IAM APIs, read-only calls) with the standard
    /// credential chain; merged with the paths given, if any.
    #[arg(long)]
    aws: bool,
    /// AWS named profile (with --aws; default: AWS_PROFILE, then `default`).
    #[arg(long, requires = "aws")]
    profile: Option<String>,
    /// AWS region (with --aws; default: AWS_REGION or the profile's).
    #[arg(long, requires = "aws")]
    region: Option<String>,
    /// Endpoint URL for every AWS service (with --aws), for testing against an emulator.
    #[arg(long, requires = "aws", hide = true)]
    aws_endpoint: Option<String>,
    /// Read this AWS Config aggregator instead of the account's own Config (with --aws).
    #[arg(long, requires = "aws")]
    aws_aggregator: Option<String>,
    /// Which AWS APIs to read (with --aws).
    #[arg(long, requires = "aws", default_value = "both")]
    aws_source: AwsSourceArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum AwsSourceArg {
    /// AWS Config only (falls back to IAM when Config is unusable).
    Config,
    /// IAM APIs only.
    Iam,
    /// Both.
    Both,
}

/// Collects the AWS account when --aws is given: `Ok(None)` without it, `Err(Exit::Error)` when
/// nothing could be collected (after saying why).
#[cfg(feature = "aws-live")]
fn collect_aws(args: &AwsArgs) -> Result<Option<ztpath_probes::RawInventory>, Exit> {
    use ztpath_probes::aws_live::{self, AwsOptions, AwsSources};
    if !args.aws {
        return Ok(None);
    }
    let options = AwsOptions {
        profile: args.profile.clone(),
        region: args.region.clone(),
        endpoint_url: args.aws_endpoint.clone(),
        aggregator: args.aws_aggregator.clone(),
        sources: match args.aws_source {
            AwsSourceArg::Config => AwsSources::Config,
            AwsSourceArg::Iam => AwsSources::Iam,
            AwsSourceArg::Both => AwsSources::Both,
        },
        ..AwsOptions::default()
    };
    match aws_live::collect(&options) {
        Ok(inventory) => Ok(Some(inventory)),
        Err(e) => {
            eprintln!("ztpath: aws: {}", text::escape(&e.to_string()));
            Err(Exit::Error)
        }
    }
}

#[cfg(not(feature = "aws-live"))]
fn collect_aws(args: &AwsArgs) -> Result<Option<ztpath_probes::RawInventory>, Exit> {
    if !args.aws {
        return Ok(None);
    }
    let _ = (&args.profile, &args.region, &args.aws_endpoint, &args.aws_aggregator, args.aws_source);
    eprintln!("ztpath: --aws needs a build with the `aws-live` feature");
    Err(Exit::Error)
}

#[derive(clap::Args)]
struct DiffArgs {
    /// The state before the change: a JSON report (`ztpath scan --format json`), or a file or
    /// directory to scan (`-`: standard input).
    old: PathBuf,
    /// The state after the change, likewise.
    new: PathBuf,
    /// Output format (default: table on a terminal, json otherwise).
    #[arg(long, short)]
    format: Option<DiffFormatArg>,
    /// Write the diff to this file instead of stdout.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Exit 1 when the change makes something worse at or above this severity: an added finding
    /// (not suppressed), a weakened path or a grown blast radius (docs/diff.md says how their
    /// severity is set). Default: `fail-on` of the new side's configuration file, else high.
    #[arg(long)]
    fail_on: Option<FailOn>,
    #[command(flatten)]
    analysis: AnalysisArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum DiffFormatArg {
    Table,
    Json,
    /// A pull-request comment.
    Markdown,
}

impl DiffArgs {
    /// The `scan` arguments that scan one side with this diff's options.
    fn scan_args(&self, path: &std::path::Path) -> ScanArgs {
        ScanArgs {
            paths: vec![path.to_path_buf()],
            aws: AwsArgs {
                aws: false,
                profile: None,
                region: None,
                aws_endpoint: None,
                aws_aggregator: None,
                aws_source: AwsSourceArg::Both,
            },
            kube: crate::kube_cli::KubeArgs::default(),
            format: Some(FormatArg::Json),
            output: None,
            fail_on: self.fail_on,
            baseline: None,
            analysis: AnalysisArgs { fingerprint_key: None, ..self.analysis.clone() },
            #[cfg(feature = "tls-live")]
            tls: ScanTlsArgs::default(),
        }
    }
}

/// One side of a diff: its report, how it was had, and (scanned sides) the settings it ran with.
fn diff_side(
    args: &DiffArgs,
    path: &std::path::Path,
    today: i64,
) -> Result<(ztpath_reports::Report, ztpath_reports::diff::Side, Option<ScanSettings>), String> {
    let limit = ReadOptions::default().limits.max_file_bytes;
    let source = path.display().to_string();
    match crate::diff::read_side(path, limit)? {
        crate::diff::SideInput::Report(report) => {
            let side = ztpath_reports::diff::Side { source, kind: "report".to_owned(), ..Default::default() };
            Ok((*report, side, None))
        }
        crate::diff::SideInput::Scan => {
            let scan = args.scan_args(path);
            let settings = scan_settings(&scan, &scan.paths, today, true)?;
            let (report, _) = scan_with(&scan.paths, &settings.reading, None, &settings.options);
            for d in &report.diagnostics {
                eprintln!("{}", text::diagnostic_line(&d.file, d.line, &d.message));
            }
            if report.summary.objects == 0 {
                return Err(format!(
                    "nothing readable in {}: no Kubernetes object or proxy configuration found ({} file(s) read)",
                    shown_path(path),
                    report.summary.files
                ));
            }
            let side = ztpath_reports::diff::Side { source, kind: "scan".to_owned(), ..Default::default() };
            Ok((report, side, Some(settings)))
        }
    }
}

fn run_diff(args: &DiffArgs) -> std::io::Result<Exit> {
    if let Err(e) = init_fingerprint_key(args.analysis.fingerprint_key.as_deref()) {
        eprintln!("ztpath: {e}");
        return Ok(Exit::Error);
    }
    let stdin = ztpath_probes::STDIN_PATH;
    if args.old.as_os_str() == stdin && args.new.as_os_str() == stdin {
        eprintln!("ztpath: diff: only one side can be standard input (`-`)");
        return Ok(Exit::Error);
    }
    let Some(today) = args.analysis.now.or_else(default_today) else { return Ok(Exit::Error) };
    let format = match args.format {
        Some(DiffFormatArg::Table) => ztpath_reports::diff::DiffFormat::Table,
        Some(DiffFormatArg::Json) => ztpath_reports::diff::DiffFormat::Json,
        Some(DiffFormatArg::Markdown) => ztpath_reports::diff::DiffFormat::Markdown,
        None if args.output.is_none() && std::io::stdout().is_terminal() => {
            ztpath_reports::diff::DiffFormat::Table
        }
        None => ztpath_reports::diff::DiffFormat::Json,
    };
    let mut sides = Vec::with_capacity(2);
    for path in [&args.old, &args.new] {
        match diff_side(args, path, today) {
            Ok(side) => sides.push(side),
            Err(e) => {
                eprintln!("ztpath: {}", text::escape(&e));
                return Ok(Exit::Error);
            }
        }
    }
    let (new, new_side, new_settings) = sides.pop().expect("two sides");
    let (old, old_side, _) = sides.pop().expect("two sides");
    let defaults = Options::default();
    let fail_on = match (&new_settings, args.fail_on) {
        (_, Some(f)) => f.threshold(),
        (Some(s), None) => s.fail_on,
        (None, None) => Some(Severity::High),
    };
    let options = crate::diff::DiffOptions {
        fail_on,
        blast_radius_threshold: new_settings
            .as_ref()
            .map(|s| s.options.blast_radius_threshold)
            .or(args.analysis.blast_radius_threshold)
            .unwrap_or(defaults.blast_radius_threshold),
    };
    let diff = crate::diff::compare(&old, &new, old_side, new_side, &options);
    let written = match &args.output {
        Some(path) => std::fs::File::create(path)
            .and_then(|mut f| ztpath_reports::diff::render(&diff, format, &mut f))
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display()))),
        None => ztpath_reports::diff::render(&diff, format, &mut std::io::stdout().lock()),
    };
    written?;
    Ok(if diff.summary.failed { Exit::Findings } else { Exit::Clean })
}

/// `ztpath probe tls`: probes the targets and reports what each endpoint does, with the findings
/// of the certificate and protocol rules.
#[cfg(feature = "tls-live")]
fn run_probe_tls(args: &ProbeTlsArgs) -> std::io::Result<Exit> {
    let Some(today) = args.now.or_else(default_today) else { return Ok(Exit::Error) };
    let prepared = crate::probe_cli::targets(&args.endpoints, &args.probe)
        .and_then(|t| crate::probe_cli::options(&args.probe, today).map(|o| (t, o)));
    let (targets, options) = match prepared {
        Ok(p) => p,
        Err(e) => {
            eprintln!("ztpath: {}", text::escape(&e));
            return Ok(Exit::Error);
        }
    };
    if targets.is_empty() {
        eprintln!("ztpath: probe tls: no target (give host:port arguments or --targets FILE)");
        return Ok(Exit::Error);
    }
    if let Err(e) = ztpath_probes::init_random_fingerprint_key() {
        eprintln!("ztpath: {e}");
        return Ok(Exit::Error);
    }
    let observed = match crate::probe_cli::probe(&targets, &options) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("ztpath: {}", text::escape(&e));
            return Ok(Exit::Error);
        }
    };
    let inventory = ztpath_probes::Inventory { tls: observed, ..Default::default() };
    let options = Options {
        today,
        graph_in_report: false,
        cert_expiry_days: args.certs.cert_expiry_days,
        max_workload_cert_hours: args.certs.max_workload_cert_hours,
        ..Options::default()
    };
    let report = crate::analyse(&inventory, &options, &mut crate::Timings::default());
    let format = match args.format {
        Some(ProbeFormatArg::Table) => Format::Table,
        Some(ProbeFormatArg::Json) => Format::Json,
        Some(ProbeFormatArg::Sarif) => Format::Sarif,
        None if args.output.is_none() && std::io::stdout().is_terminal() => Format::Table,
        None => Format::Json,
    };
    let how = Rendering {
        format,
        root: Some(PathBuf::from(".")),
        colour: false,
        document: ztpath_reports::DocumentOptions::default(),
    };
    match &args.output {
        Some(path) => write_report_file(&report, &how, path)?,
        None => {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            how.render(&report, &mut out)?;
            out.flush()?;
        }
    }
    let failing = args
        .fail_on
        .threshold()
        .is_some_and(|t| report.findings.iter().any(|f| f.gates() && f.severity <= t));
    Ok(if failing { Exit::Findings } else { Exit::Clean })
}
