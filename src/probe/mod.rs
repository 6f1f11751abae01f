//! Reading facts off a machine, or a captured copy of one: every path is taken relative to a
//! root directory (`/` for this machine), so tests and bug reports can replay a tree.
//! [`take`] runs every probe and returns the [`Snapshot`].

pub mod access;
pub mod env;
pub mod gpu;
pub mod python;
pub mod rocm;
pub mod rocminfo;
pub mod toolchain;

use crate::root::Root;
use crate::snapshot::{Snapshot, SCHEMA_VERSION};

/// What to scan besides the root.
#[derive(Debug, Default)]
pub struct ScanInputs {
    /// Pasted `rocminfo` / `rocm-smi` / `amd-smi` text, read as another source of GPUs.
    pub rocminfo: Option<String>,
}

/// Runs every probe over `root`. Never fails: what cannot be read is recorded where it was
/// looked for.
pub fn take(root: &Root, inputs: &ScanInputs) -> Snapshot {
    let env = env::probe(root);
    Snapshot {
        schema_version: SCHEMA_VERSION,
        root: root.base().display().to_string(),
        gpu: gpu::probe(root),
        access: access::probe(root),
        rocminfo: inputs.rocminfo.as_deref().map(rocminfo::parse),
        env: env.clone(),
        rocm: rocm::probe(root, &env.vars),
        python: python::probe(root),
        toolchains: toolchain::installed(root),
    }
}
