//! Phase 2: who calls whom with which credential. [`calls`] reads each workload's environment,
//! arguments and mounts for peers and credentials; [`servers`] finds the side that accepts a
//! credential; [`values`] judges the values themselves; [`shapes`] names what gives a leaked value
//! away.

pub mod calls;
pub mod credentials;
pub mod images;
pub mod names;
pub mod servers;
pub mod shapes;
pub mod values;
