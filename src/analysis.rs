//! The Analysis: every phase run once, in order, each a function of the results before it —
//! resolve the Inventory ([`crate::resolve`]), discover calls and credentials
//! ([`crate::discover`]), build the identity graph ([`crate::graph::build`]), walk the auth paths
//! in the cluster and through proxies ([`crate::paths`]), and measure each credential's blast
//! radius ([`crate::blast`]). Rules get a finished, read-only [`Analysis`] and ask it questions;
//! they never re-derive what a phase decided.

use ztpath_probes::Inventory;
use ztpath_reports::{AuthPath, BlastRadius, PathId};

use crate::discover::calls::{Calls, HeldCredential, Holder, Role};
use crate::graph::AuthGraph;
use crate::paths::cluster::WorkloadInbound;
use crate::paths::proxies::{ProxyPath, ProxyPaths};
use crate::paths::set::PathSet;
use crate::resolve::aws::AwsModel;
use crate::resolve::estate::{Estate, WorkloadView};
use crate::resolve::mesh::MeshIndex;
use crate::resolve::placement::Unplaced;
use crate::resolve::rbac::Rbac;

/// Settings of an analysis.
#[derive(Clone, Debug)]
pub struct Options {
    /// Blast-radius score above which ZT009 fires.
    pub blast_radius_threshold: u64,
    /// Projected token lifetime (seconds) above which ZT006 fires.
    pub max_token_seconds: i64,
    /// Put the graph (nodes, edges) and the auth paths in the Report. The table view shows
    /// neither, so the CLI leaves them out for it; JSON and DOT carry them.
    pub graph_in_report: bool,
    /// Today, as days since 1970-01-01 (UTC): the reference for key ages. Set it (`--now`) for
    /// reproducible reports.
    pub today: i64,
    /// Access-key age in days above which ZT202 fires.
    pub max_key_age_days: i64,
    /// Days without use after which ZT203 fires for an active access key.
    pub max_key_unused_days: i64,
    /// Do not free the inventory and the analysis when done: for a process that exits right
    /// after reporting (the CLI). Library users keep the default, `false`.
    pub skip_teardown: bool,
    /// The gate's policy: rules off, severity overrides, suppressions, baseline.
    pub policy: crate::gate::Policy,
    /// Live TLS: a certificate expiring within this many days is reported (ZT303).
    pub cert_expiry_days: i64,
    /// Live TLS: a workload certificate living longer than this many hours is reported (ZT305).
    pub max_workload_cert_hours: i64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            blast_radius_threshold: 30,
            max_token_seconds: 86_400,
            graph_in_report: true,
            today: crate::dates::today(),
            max_key_age_days: 90,
            max_key_unused_days: 90,
            skip_teardown: false,
            policy: crate::gate::Policy::new(),
            cert_expiry_days: 30,
            max_workload_cert_hours: 24,
        }
    }
}

/// Everything the rules read: the results of every phase, immutable once built.
pub struct Analysis<'a> {
    estate: Estate<'a>,
    mesh: MeshIndex<'a>,
    rbac: Rbac<'a>,
    unplaced: Unplaced,
    aws: AwsModel<'a>,
    calls: Calls,
    graph: AuthGraph,
    inbound: Vec<Option<WorkloadInbound>>,
    paths: PathSet,
    proxies: ProxyPaths,
    wire: Vec<crate::paths::wire::WireTarget>,
    blast: Vec<BlastRadius>,
    options: Options,
}

impl<'a> Analysis<'a> {
    pub fn new(inv: &'a Inventory, options: Options) -> Analysis<'a> {
        let mut clock = crate::timings::Laps::new("analyse");
        let estate = Estate::new(inv);
        clock.lap("estate");
        let mesh = MeshIndex::new(&estate);
        let rbac = Rbac::new(inv);
        let unplaced = Unplaced::find(&estate, &rbac);
        let aws = AwsModel::new(&estate);
        clock.lap("mesh+rbac");
        let calls = Calls::discover(&estate);
        clock.lap("calls");
        let mut graph = crate::graph::build::identity_graph(&estate, &rbac, &calls, &aws);
        clock.lap("graph");
        let (inbound, mut paths) = crate::paths::cluster::in_cluster(&estate, &mesh, &calls, &mut graph);
        let mut proxies =
            crate::paths::proxies::through_proxies(&estate, &mesh, &calls, &mut graph, &mut paths);
        let mut calls = calls;
        calls.leaks.append(&mut proxies.leaks);
        let wire = crate::paths::wire::attach(&estate, &proxies, &mut paths);
        paths.seal();
        graph.seal();
        clock.lap("paths");
        let blast = crate::blast::blast_radius(&graph, &estate, &calls, &aws);
        clock.lap("blast");
        Analysis {
            estate,
            mesh,
            rbac,
            unplaced,
            aws,
            calls,
            graph,
            inbound,
            paths,
            proxies,
            wire,
            blast,
            options,
        }
    }

    /// The estate: workloads, Services, namespaces and the indexes over them.
    pub fn estate(&self) -> &Estate<'a> {
        &self.estate
    }

    /// The raw Inventory, for facts no phase decides (a Secret's type, a key's dates).
    pub fn inventory(&self) -> &'a Inventory {
        self.estate.inv
    }

    /// The workloads of the estate, by index.
    pub fn workloads(&self) -> &[WorkloadView<'a>] {
        &self.estate.workloads
    }

    pub fn mesh(&self) -> &MeshIndex<'a> {
        &self.mesh
    }

    pub fn rbac(&self) -> &Rbac<'a> {
        &self.rbac
    }

    /// Service accounts bound in a namespace the input does not declare.
    pub fn unplaced(&self) -> &Unplaced {
        &self.unplaced
    }

    /// AWS IAM: principals, capabilities, keys, trust and the ways into each role.
    pub fn aws(&self) -> &AwsModel<'a> {
        &self.aws
    }

    /// Calls, credentials and leaked values found in workloads.
    pub fn calls(&self) -> &Calls {
        &self.calls
    }

    pub fn graph(&self) -> &AuthGraph {
        &self.graph
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The inbound verdict of workload `wi` (serving workloads only).
    pub fn inbound(&self, wi: usize) -> Option<&WorkloadInbound> {
        self.inbound.get(wi).and_then(Option::as_ref)
    }

    /// Every auth path.
    pub fn paths(&self) -> &PathSet {
        &self.paths
    }

    pub fn path(&self, id: &PathId) -> Option<&AuthPath> {
        self.paths.get(id)
    }

    /// Position of a path in [`Analysis::paths`].
    pub fn path_position(&self, id: &PathId) -> Option<usize> {
        self.paths.position(id)
    }

    /// The paths ending at workload `wi`.
    pub fn paths_into(&self, wi: usize) -> impl Iterator<Item = &AuthPath> {
        self.paths.into_workload(wi).iter().map(|&i| &self.paths[i])
    }

    /// The ids of the paths ending at the workloads `wis`.
    pub fn path_ids_into(&self, wis: impl IntoIterator<Item = usize>) -> Vec<PathId> {
        wis.into_iter().flat_map(|wi| self.paths_into(wi).map(|p| p.id.clone())).collect()
    }

    /// Credentials ranked by blast radius, widest first.
    pub fn blast(&self) -> &[BlastRadius] {
        &self.blast
    }

    /// What each live TLS observation reached (in the Inventory's order), with its paths.
    pub fn wire(&self) -> &[crate::paths::wire::WireTarget] {
        &self.wire
    }

    /// Paths through proxies and load balancers, with the facts the proxy rules read.
    pub fn proxy_paths(&self) -> &[ProxyPath] {
        &self.proxies.paths
    }

    /// The proxies workload `wi` runs (indexes into the Inventory's proxies).
    pub fn proxies_run_by(&self, wi: usize) -> &[usize] {
        self.proxies.run_by.get(&wi).map_or(&[], Vec::as_slice)
    }

    /// The callers holding a credential that workload credential `c` accepts, each with the
    /// credential it holds.
    pub fn holders_of<'s>(
        &'s self,
        c: &'s HeldCredential,
    ) -> impl Iterator<Item = (&'s Holder, &'s HeldCredential)> {
        let holders: &[Holder] = match &c.role {
            Role::Accepts { holders, .. } => holders,
            _ => &[],
        };
        holders.iter().map(|h| (h, &self.calls.credentials[h.credential]))
    }

    /// The paths and blast radius, moved out for the report once the rules have run.
    pub fn take_outputs(&mut self) -> (Vec<AuthPath>, Vec<BlastRadius>) {
        (self.paths.take(), std::mem::take(&mut self.blast))
    }
}
