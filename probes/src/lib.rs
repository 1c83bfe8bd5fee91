//! ztpath-probes: read an estate into an [`Inventory`].
//!
//! Every source is read offline from files by default. A probe module turns one parsed object
//! (a [`yaml::Node`] with lines) into typed inventory items that keep their [`Source`]. This crate
//! knows nothing of the engine or the reports.
//!
//! Modules:
//! - [`inventory`]: the schema, which imports no reader; readers fill a [`RawInventory`] and
//!   [`finish()`] joins and de-duplicates it, once, whatever the sources;
//! - readers by family: [`kubernetes`] (core kinds and the edge), [`mesh`] (Istio, Linkerd),
//!   [`proxy`] (Envoy, nginx, HAProxy), [`aws`] (ELBv2, IAM, Config envelopes, live collection);
//! - shared infrastructure: [`yaml`] (the located YAML/JSON reader with its guards), [`files`]
//!   (walking files and dispatching documents by `kind`), [`confine`] (what may be opened),
//!   [`urls`] (credentials in URLs).

// The Inventory: the contract with the engine.
pub mod inventory;

// Readers, by family.
pub mod aws;
pub mod kubernetes;
pub mod mesh;
pub mod proxy;
#[cfg(feature = "tls-live")]
pub mod tls;

// Shared infrastructure: reading files within bounds, YAML, URLs, and the finish step.
mod common;
pub mod confine;
pub mod files;
pub mod finish;
pub mod urls;
pub mod wire_record;
pub mod yaml;

// The readers' former paths, kept for callers.
#[cfg(feature = "aws-live")]
pub use aws::live as aws_live;
pub use aws::{elb, iam};
#[cfg(feature = "kube-live")]
pub use kubernetes::live as kube_live;
pub use kubernetes::{edge, objects as k8s};
pub use mesh::{istio, linkerd};
pub use proxy::{address, envoy, haproxy, nginx};

pub use confine::{ReadLimits, ReadOptions};
pub use files::{
    STDIN_NAME, STDIN_PATH, read_paths, read_paths_raw, read_paths_with, read_text, read_text_raw,
};
pub use finish::finish;
pub use inventory::*;
