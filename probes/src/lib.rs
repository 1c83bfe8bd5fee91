//! ztpath-probes: read an estate into an [`Inventory`].
//!
//! Every source is read offline from files by default. A probe module turns one parsed object
//! (a [`yaml::Node`] with lines) into typed inventory items that keep their [`Source`]. This crate
//! knows nothing of the engine or the reports.
//!
//! Modules:
//! - [`yaml`]: the located YAML/JSON reader (alias and size guards, per-document recovery);
//! - [`files`]: walking files and directories, dispatching documents by `kind`;
//! - [`k8s`]: core Kubernetes kinds; [`istio`], [`linkerd`]: service-mesh policy.

pub mod address;
pub mod aws;
#[cfg(feature = "aws-live")]
pub mod aws_live;
pub mod confine;
pub mod edge;
pub mod envoy;
pub mod files;
pub mod finish;
pub mod haproxy;
pub mod iam;
pub mod inventory;
pub mod istio;
pub mod k8s;
pub mod linkerd;
pub mod nginx;
pub mod urls;
pub mod yaml;

mod common;
mod config_items;

pub use confine::{ReadLimits, ReadOptions};
pub use files::{read_paths, read_paths_raw, read_paths_with, read_text, read_text_raw};
pub use finish::finish;
pub use inventory::*;
