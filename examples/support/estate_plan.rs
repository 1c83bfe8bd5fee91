//! The plan of a generated estate, shared by the generators: deterministic randomness and what
//! exists in the cluster (namespaces, workloads, their service accounts), decided before anything
//! is written. examples/gen_estate.rs writes it out; examples/gen_iam.rs names its service
//! accounts in IAM trust policies, so both must draw the same plan from the same seed.
//!
//! Included by each example with `#[path]`, so every item is `pub` and some go unused in one of
//! them.
#![allow(dead_code)]

use std::ops::Range;

// ---------------------------------------------------------------------------------------------
// Deterministic randomness
// ---------------------------------------------------------------------------------------------

/// A xorshift64 generator: tiny, fast and the same on every platform.
pub(crate) struct Rng(u64);

impl Rng {
    /// Seeds the generator; the seed is scrambled (splitmix64) so that nearby seeds give
    /// unrelated streams and 0 is usable.
    pub(crate) fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng(z.max(1))
    }

    /// An independent generator for part `index` of the estate (a namespace, say), so that one
    /// part's output does not depend on how much randomness the others used.
    pub(crate) fn fork(seed: u64, index: usize) -> Rng {
        Rng::new(seed.rotate_left(17) ^ (index as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `p` (0.0–1.0).
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// Random `[A-Za-z0-9]` text.
    pub(crate) fn token(&mut self, len: usize) -> String {
        const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..len).map(|_| self.pick(ALNUM) as char).collect()
    }

    /// Random lowercase hex.
    pub(crate) fn hex(&mut self, len: usize) -> String {
        (0..len).map(|_| char::from_digit(self.below(16) as u32, 16).unwrap()).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// The plan: what exists in the estate, decided before anything is written
// ---------------------------------------------------------------------------------------------

/// Application roles; a workload's name is its role and its estate-wide number.
pub(crate) const ROLES: &[&str] = &[
    "api",
    "web",
    "worker",
    "orders",
    "payments",
    "cart",
    "catalog",
    "search",
    "auth",
    "users",
    "billing",
    "notify",
    "gateway",
    "inventory",
    "shipping",
    "reports",
    "ledger",
    "pricing",
    "recs",
    "media",
    "profile",
    "checkout",
    "fraud",
    "audit",
];
pub(crate) const TEAMS: &[&str] =
    &["core", "growth", "payments", "platform", "data", "identity", "commerce", "ops"];
/// The ServiceAccount that ~10% of workloads share with their namespace neighbours.
pub(crate) const SHARED_SA: &str = "shared-runner";

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Mesh {
    Istio,
    Linkerd,
    Plain,
}

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    Deployment,
    StatefulSet,
    DaemonSet,
    CronJob,
}

impl Kind {
    pub(crate) fn api_version(self) -> &'static str {
        if self == Kind::CronJob { "batch/v1" } else { "apps/v1" }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Deployment => "Deployment",
            Kind::StatefulSet => "StatefulSet",
            Kind::DaemonSet => "DaemonSet",
            Kind::CronJob => "CronJob",
        }
    }
}

/// Which ServiceAccount a workload runs as.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Account {
    Own,
    Default,
    Shared,
}

pub(crate) struct NamespacePlan {
    pub name: String,
    pub mesh: Mesh,
    pub team: &'static str,
    /// Indices into [`Plan::workloads`].
    pub workloads: Range<usize>,
}

pub(crate) struct WorkloadPlan {
    pub name: String,
    pub role: &'static str,
    /// Index into [`Plan::namespaces`].
    pub ns: usize,
    pub kind: Kind,
    pub account: Account,
    /// Serves gRPC on 9090 instead of HTTP on 8080.
    pub grpc: bool,
}

impl WorkloadPlan {
    pub(crate) fn service_account(&self) -> &str {
        match self.account {
            Account::Own => &self.name,
            Account::Default => "default",
            Account::Shared => SHARED_SA,
        }
    }

    pub(crate) fn has_service(&self) -> bool {
        self.kind != Kind::CronJob
    }

    pub(crate) fn port(&self) -> u16 {
        if self.grpc { 9090 } else { 8080 }
    }

    pub(crate) fn port_name(&self) -> &'static str {
        if self.grpc { "grpc" } else { "http" }
    }
}

pub(crate) struct Plan {
    pub seed: u64,
    pub namespaces: Vec<NamespacePlan>,
    pub workloads: Vec<WorkloadPlan>,
    /// Secret values reused across unrelated Secrets on purpose (a copied database password, a
    /// partner API key pasted into several places).
    pub shared_values: Vec<String>,
}

impl Plan {
    pub(crate) fn new(total: usize, seed: u64) -> Plan {
        let mut rng = Rng::new(seed);
        let mut namespaces = Vec::new();
        let mut workloads = Vec::with_capacity(total);
        while workloads.len() < total {
            let left = total - workloads.len();
            let size = rng.between(40, 60);
            // Do not leave a tiny last namespace behind: fold the remainder into this one.
            let size = if left < size + 20 { left } else { size };
            let ns = namespaces.len();
            let start = workloads.len();
            for _ in 0..size {
                workloads.push(plan_workload(&mut rng, workloads.len() + 1, ns));
            }
            let mesh = match rng.below(4) {
                0 | 1 => Mesh::Istio,
                2 => Mesh::Linkerd,
                _ => Mesh::Plain,
            };
            namespaces.push(NamespacePlan {
                name: format!("ns-{:04}", ns + 1),
                mesh,
                team: rng.pick(TEAMS),
                workloads: start..workloads.len(),
            });
        }
        // 1% of generated secret values come from this pool: each value lands in ~4 Secrets.
        let shared_values = (0..(total / 250).max(4)).map(|_| rng.token(24)).collect();
        Plan { seed, namespaces, workloads, shared_values }
    }

    /// A workload with a Service for `from` to call: ~80% in the same namespace.
    pub(crate) fn pick_target<'p>(&'p self, rng: &mut Rng, from: &'p WorkloadPlan) -> &'p WorkloadPlan {
        let same_ns = rng.chance(0.8);
        for _ in 0..8 {
            let index = if same_ns {
                let range = &self.namespaces[from.ns].workloads;
                rng.between(range.start, range.end - 1)
            } else {
                rng.below(self.workloads.len())
            };
            let target = &self.workloads[index];
            if target.has_service() && target.name != from.name {
                return target;
            }
        }
        // Tiny estates: take anything with a Service, else ourselves.
        self.workloads.iter().find(|w| w.has_service()).unwrap_or(from)
    }
}

pub(crate) fn plan_workload(rng: &mut Rng, number: usize, ns: usize) -> WorkloadPlan {
    let role = rng.pick(ROLES);
    let kind = match rng.below(100) {
        0..80 => Kind::Deployment,
        80..90 => Kind::StatefulSet,
        90..95 => Kind::DaemonSet,
        _ => Kind::CronJob,
    };
    let account = match rng.below(100) {
        0..80 => Account::Own,
        80..90 => Account::Default,
        _ => Account::Shared,
    };
    WorkloadPlan { name: format!("{role}-{number:05}"), role, ns, kind, account, grpc: rng.chance(0.2) }
}
