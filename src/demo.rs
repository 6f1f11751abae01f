//! The embedded demo machine behind `--demo`: most people trying the tool have no broken AMD
//! GPU at hand, so the first command of the README shows the real experience on a snapshot of
//! `tests/fixtures/roots/rx5600xt-rocm702` (RX 5600 XT gfx1010, ROCm 7.0.2 in /opt/rocm, system
//! LLVM 16, PyTorch 2.5.1+rocm6.2 in a venv, `HSA_OVERRIDE_GFX_VERSION=10.3.0`). The tree's
//! README says which of its files are real and which synthesized. `tests/demo.rs` checks that
//! the embedded JSON equals a fresh scan of the tree, so the two cannot drift apart.

use crate::snapshot::Snapshot;

/// The root name the demo snapshot carries.
pub const ROOT_NAME: &str = "demo:rx5600xt-rocm702";

/// The embedded JSON, as `scan --root tests/fixtures/roots/rx5600xt-rocm702` writes the
/// snapshot (with `root` renamed to [`ROOT_NAME`]).
pub const SNAPSHOT_JSON: &str = include_str!("demo/snapshot.json");

/// The demo machine's snapshot. Panics only if the embedded file is broken, which the demo
/// test catches before any release.
pub fn snapshot() -> Snapshot {
    match crate::snapshot::from_json(SNAPSHOT_JSON) {
        Ok(s) => s,
        Err(e) => panic!("embedded demo snapshot is malformed: {e}"),
    }
}
