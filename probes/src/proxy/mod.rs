//! Proxies read from their own configuration files: Envoy (bootstrap and xDS dumps), nginx and
//! HAProxy, and what they share (addresses, identity headers).

pub mod address;
pub mod envoy;
pub mod haproxy;
pub(crate) mod headers;
pub mod nginx;
