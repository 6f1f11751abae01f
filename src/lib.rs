//! rocm-doctor: finds out why an AMD GPU compute stack fails, and what to do about it.
//!
//! Data flows one way (see docs/architecture.md): files → [`inspect`] (through the pure parsers
//! of `rocm-formats`) → plain data → [`report`] renders it. Nothing before `report` prints.

pub mod capture;
pub mod cli;
pub mod demo;
pub mod diagnose;
pub mod exec;
pub mod explain;
pub mod fix;
pub mod fleet;
pub mod inspect;
pub mod knowledge;
pub mod model;
pub mod plan;
pub mod probe;
pub mod report;
pub mod root;
pub mod snapshot;
pub mod verify;
