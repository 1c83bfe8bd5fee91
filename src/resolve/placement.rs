//! Manifests without namespaces: where their workloads probably run.
//!
//! Manifests meant for `kubectl apply -n NS` (kustomize bases, rendered charts) often leave
//! `metadata.namespace` out, while their ClusterRoleBindings must name the namespace of each
//! service-account subject. Read as they are, without `--namespace`, the workloads land in
//! `default` and the bound accounts in a namespace that nothing else mentions, so the accounts
//! look unused and the workloads look unprivileged. This module finds that situation so that a
//! diagnostic can suggest `--namespace` and the rules that count an account's workloads do not
//! draw conclusions from it. Given `--namespace`, the user has said where such workloads run.

use std::collections::{BTreeMap, BTreeSet};

use ztpath_probes::{Diagnostic, Source};

use crate::resolve::estate::{Estate, is_namespace_name};
use crate::resolve::rbac::Rbac;

/// Binding subjects in namespaces the input does not declare, whose names workloads without a
/// namespace run as. Empty when the scan was given `--namespace`: the user said where those
/// workloads run.
#[derive(Debug, Default)]
pub struct Unplaced {
    /// By namespace named in the subjects.
    by_ns: BTreeMap<String, UnplacedNamespace>,
    /// Every workload counted in some namespace (index into `Estate::workloads`).
    workloads: BTreeSet<usize>,
}

#[derive(Debug)]
struct UnplacedNamespace {
    /// The first subject naming the namespace (in file and line order).
    evidence: Source,
    /// Service-account name → workloads without a namespace that run as an account of that name.
    accounts: BTreeMap<String, Vec<usize>>,
}

impl Unplaced {
    /// Finds the subjects of `rbac` that name a service account in a namespace that no object of
    /// the input declares (no Namespace object, no object that writes it), while workloads that
    /// carry no namespace of their own (and got `default` for want of `--namespace`) run as an
    /// account of the same name. Namespaces that are not valid names are left out (no workload can
    /// be in them), and so is `default`, where those workloads already are.
    pub fn find(estate: &Estate<'_>, rbac: &Rbac<'_>) -> Unplaced {
        let mut out = Unplaced::default();
        let mut unnamespaced: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, w) in estate.workloads.iter().enumerate() {
            if w.meta().namespace_defaulted {
                unnamespaced.entry(w.sa.as_str()).or_default().push(i);
            }
        }
        if unnamespaced.is_empty() {
            return out;
        }
        for ((ns, sa), bindings) in &rbac.named_subjects {
            if estate.declared_namespaces.contains(ns.as_str()) || !is_namespace_name(ns) {
                continue;
            }
            let Some(ws) = unnamespaced.get(sa.as_str()).filter(|_| ns != "default") else { continue };
            let Some(first) = bindings
                .iter()
                .map(|(b, line)| b.meta.source.at(*line))
                .min_by(|x, y| (&x.file, x.line).cmp(&(&y.file, y.line)))
            else {
                continue;
            };
            out.workloads.extend(ws.iter().copied());
            let entry = out
                .by_ns
                .entry(ns.clone())
                .or_insert_with(|| UnplacedNamespace { evidence: first.clone(), accounts: BTreeMap::new() });
            if (&first.file, first.line) < (&entry.evidence.file, entry.evidence.line) {
                entry.evidence = first;
            }
            entry.accounts.insert(sa.clone(), ws.clone());
        }
        out
    }

    /// The workloads without a namespace that run as an account named `sa`, when bindings name
    /// `ns/sa` and the input does not declare `ns`; empty otherwise.
    pub fn workloads_of(&self, ns: &str, sa: &str) -> &[usize] {
        self.by_ns.get(ns).and_then(|n| n.accounts.get(sa)).map_or(&[], Vec::as_slice)
    }

    /// True when workload `wi` runs as an account whose name bindings give in an undeclared
    /// namespace: where it runs, and so what its account is granted, is not known.
    pub fn is_unplaced(&self, wi: usize) -> bool {
        self.workloads.contains(&wi)
    }

    /// One diagnostic per namespace, at the first subject that names it. It names the namespace
    /// (a valid name, checked) and counts; nothing else from the input.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        self.by_ns
            .iter()
            .map(|(ns, n)| {
                let workloads: BTreeSet<usize> = n.accounts.values().flatten().copied().collect();
                Diagnostic {
                    source: n.evidence.clone(),
                    reason: format!(
                        "bindings grant permissions to {} service account(s) in namespace `{ns}`, which no object \
in the input declares, while {} workload(s) without a namespace run as service accounts of the same names; if \
these manifests are applied with `kubectl apply -n {ns}`, scan them with `--namespace {ns}`",
                        n.accounts.len(),
                        workloads.len()
                    ),
                }
            })
            .collect()
    }
}
