//! Phase 1: the Inventory resolved into indexes the later phases look things up in — the estate's
//! workloads, services and namespaces ([`estate`]), mesh policy ([`mesh`]), Kubernetes RBAC
//! ([`rbac`]), accounts bindings name outside the input ([`placement`]) and AWS IAM ([`aws`]).

pub mod aws;
pub mod builtin;
pub mod estate;
pub mod mesh;
pub mod placement;
pub mod rbac;
