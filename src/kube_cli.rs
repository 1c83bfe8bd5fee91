//! `scan --kube`: the flags that read a live Kubernetes cluster, and the progress shown on stderr
//! while it is read (docs/kube.md).
#![allow(clippy::print_stderr, reason = "progress and errors of the live read go to stderr")]

use std::path::PathBuf;

use clap::ValueEnum;

/// `scan` options for a live Kubernetes cluster.
#[derive(clap::Args, Clone, Default)]
pub(crate) struct KubeArgs {
    /// Also read a live Kubernetes cluster through its API (read-only `get`/`list`), with the
    /// credentials kubectl would use; merged with the paths and --aws, if given.
    #[arg(long)]
    pub(crate) kube: bool,
    /// Kubeconfig file (with --kube; default: KUBECONFIG, else ~/.kube/config, else the pod's
    /// service account).
    #[arg(long, value_name = "FILE", requires = "kube")]
    pub(crate) kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (with --kube; default: the current context).
    #[arg(long, value_name = "NAME", requires = "kube")]
    pub(crate) context: Option<String>,
    /// Read namespaced kinds in this namespace only (with --kube; repeatable). Cluster-scoped
    /// kinds (ClusterRoles, bindings, Namespaces) are still read.
    #[arg(long, value_name = "NS", requires = "kube", value_parser = crate::resolve::estate::parse_namespace)]
    pub(crate) kube_namespace: Vec<String>,
    /// How Secrets are read (with --kube): `values` (fingerprinted as read, never kept) or
    /// `metadata` (no value leaves the API server; reuse detection of Secret values is then off).
    #[arg(long, value_name = "MODE", requires = "kube", default_value = "values")]
    pub(crate) kube_secrets: KubeSecretsArg,
    /// Seconds allowed for the whole read (with --kube).
    #[arg(long, value_name = "SECONDS", requires = "kube", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub(crate) kube_deadline: u64,
    /// Seconds allowed for one request (with --kube).
    #[arg(long, value_name = "SECONDS", requires = "kube", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub(crate) kube_timeout: u64,
    /// Objects per list page (with --kube).
    #[arg(long, value_name = "N", requires = "kube", default_value_t = 500, hide = true,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(crate) kube_page_size: u32,
    /// Objects read from the cluster at most (with --kube); past it the lists still running are
    /// reported unread.
    #[arg(long, value_name = "N", requires = "kube", default_value_t = 5_000_000, hide = true)]
    pub(crate) kube_max_objects: usize,
    /// The longest API answer read, in bytes (with --kube); a page over it is asked for again
    /// with half the objects.
    #[arg(long, value_name = "BYTES", requires = "kube", default_value_t = ztpath_probes::kube_live::MAX_BODY_BYTES,
          hide = true, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1024..=(1 << 30)))]
    pub(crate) kube_max_answer_bytes: usize,
}

/// How Secrets are read.
#[derive(Clone, Copy, Default, ValueEnum)]
pub(crate) enum KubeSecretsArg {
    /// Whole Secrets: values fingerprinted as read, never kept.
    #[default]
    Values,
    /// Metadata only.
    Metadata,
}

/// What a live read gave: the raw inventory and the input line of the report.
pub(crate) struct KubeCollected {
    pub(crate) inventory: ztpath_probes::RawInventory,
    pub(crate) input: String,
}

/// Reads the cluster when --kube is given: `Ok(None)` without it, `Err(message)` when nothing
/// could be read.
#[cfg(feature = "kube-live")]
pub(crate) fn collect(args: &KubeArgs) -> Result<Option<KubeCollected>, String> {
    use std::sync::Arc;
    use std::time::Duration;
    use ztpath_probes::kube_live::{self, KubeOptions, SecretsMode};
    if !args.kube {
        return Ok(None);
    }
    let progress = Arc::new(Bar::new());
    let options = KubeOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        namespaces: args.kube_namespace.clone(),
        secrets: match args.kube_secrets {
            KubeSecretsArg::Values => SecretsMode::Values,
            KubeSecretsArg::Metadata => SecretsMode::Metadata,
        },
        // Each at least 1: the flags' ranges say so.
        deadline: Duration::from_secs(args.kube_deadline),
        request_timeout: Duration::from_secs(args.kube_timeout),
        page_size: args.kube_page_size,
        max_objects: args.kube_max_objects,
        max_answer_bytes: args.kube_max_answer_bytes,
        progress: Some(Arc::clone(&progress) as Arc<dyn kube_live::Progress>),
        ..KubeOptions::default()
    };
    let read = kube_live::read_cluster(&options).map_err(|e| e.to_string());
    progress.finish();
    let read = read?;
    eprintln!(
        "ztpath: kube: read {} object(s) in {} list(s) from context {}{}",
        read.inventory.objects_read,
        read.lists,
        ztpath_reports::text::escape(&read.context),
        match read.inventory.unread_kinds.len() {
            0 => String::new(),
            n => format!("; {n} kind(s) not read in full (see the report's summary)"),
        }
    );
    Ok(Some(KubeCollected {
        input: format!("Kubernetes cluster {} (live)", read.context),
        inventory: read.inventory,
    }))
}

#[cfg(not(feature = "kube-live"))]
pub(crate) fn collect(args: &KubeArgs) -> Result<Option<KubeCollected>, String> {
    if !args.kube {
        return Ok(None);
    }
    Err("--kube needs a build with the `kube-live` feature".to_owned())
}

/// A progress bar on stderr (lists done of lists planned, objects read), drawn only when stderr
/// is a terminal.
#[cfg(feature = "kube-live")]
struct Bar {
    bar: Option<indicatif::ProgressBar>,
    objects: std::sync::atomic::AtomicUsize,
}

#[cfg(feature = "kube-live")]
impl Bar {
    fn new() -> Self {
        use std::io::IsTerminal;
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar =
                indicatif::ProgressBar::with_draw_target(Some(0), indicatif::ProgressDrawTarget::stderr());
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "reading the cluster {bar:30} {pos}/{len} lists {msg}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Bar { bar, objects: std::sync::atomic::AtomicUsize::new(0) }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(feature = "kube-live")]
impl ztpath_probes::kube_live::Progress for Bar {
    fn planned(&self, lists: usize) {
        if let Some(bar) = &self.bar {
            bar.set_length(u64::try_from(lists).unwrap_or(u64::MAX));
        }
    }

    fn listed(&self, kind: &str, _namespace: Option<&str>, objects: usize) {
        let total = self.objects.fetch_add(objects, std::sync::atomic::Ordering::Relaxed) + objects;
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(format!("({total} objects; last: {kind})"));
        }
    }
}
