//! One integration binary: the conformance suite on every store, the real binary on a local root,
//! and the on-store files against their JSON Schemas.

mod architecture;
mod breakage;
mod cli;
mod cli_ux;
mod cloud;
mod conformance;
mod delta;
mod edges;
mod gates;
mod golden;
mod html;
mod keyed;
mod ks_fixtures;
mod lifecycle;
mod notify;
mod operators;
mod partitions;
mod readme;
mod reliability;
mod rules;
mod schemas;
mod sliced;
mod spec;
mod util;
