//! The Inventory: what the probes read from an estate, with the source of every item.
//!
//! This is the contract between probes and the engine, in one module tree that imports no
//! reader: the shared types here, and one module per family ([`kubernetes`], [`mesh`],
//! [`proxy`], [`aws`]). It holds facts, not judgements: no field here says "insecure". Secret
//! values never enter it in clear: Secret data is reduced to a [`Fingerprint`], and literal
//! values that the engine must inspect (env values, ConfigMap entries) are wrapped in
//! [`Sensitive`], which neither prints nor serialises its content.
//!
//! Readers fill a [`RawInventory`] (this Inventory plus the items that can only be joined once
//! every file is read); `crate::finish` turns it into an Inventory, the one place where items are
//! joined and de-duplicated.

pub mod aws;
pub mod kubernetes;
pub mod mesh;
pub mod proxy;
pub mod raw;
pub mod root;
pub mod shared;
pub mod string_map;
pub mod wire;

pub use aws::*;
pub use kubernetes::*;
pub use mesh::*;
pub use proxy::*;
pub use raw::*;
pub use root::{Inventory, UnreadKind};
pub use shared::*;
pub use wire::*;
