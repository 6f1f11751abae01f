//! Reading facts off a machine, or a captured copy of one: every path is taken relative to a
//! root directory (`/` for this machine), so tests and bug reports can replay a tree.

pub mod gpu;
pub mod rocminfo;
pub mod toolchain;
