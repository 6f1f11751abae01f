//! Rules over a [`Snapshot`] and the embedded knowledge: the few [`Finding`]s that matter,
//! worst first. One file per area of rules; each adds findings to a list and prints nothing.
//! Every finding code is documented in docs/findings.md (a test keeps the two in step).

mod access;
mod libraries;
mod python;
mod target;
mod toolchain;
pub mod verify;

pub use crate::model::{Category, Evidence, Finding, Layer, Remedy, Severity};

use crate::snapshot::{GpuView, Snapshot};

/// What the rules look at: the snapshot and the GPUs in it, computed once.
pub struct Context<'a> {
    /// The machine.
    pub snapshot: &'a Snapshot,
    /// Its AMD GPUs (sysfs first, then pasted rocminfo), with runtime targets.
    pub gpus: Vec<GpuView>,
}

impl<'a> Context<'a> {
    /// The context for `snapshot`.
    pub fn new(snapshot: &'a Snapshot) -> Context<'a> {
        Context {
            snapshot,
            gpus: snapshot.gpus(),
        }
    }

    /// The discrete GPUs (APUs left out when a discrete one exists), the ones compute is
    /// meant for.
    pub fn compute_gpus(&self) -> Vec<&GpuView> {
        let discrete: Vec<&GpuView> = self
            .gpus
            .iter()
            .filter(|g| g.is_apu != Some(true))
            .collect();
        if discrete.is_empty() {
            self.gpus.iter().collect()
        } else {
            discrete
        }
    }
}

/// Every finding for `snapshot`, worst first.
pub fn check(snapshot: &Snapshot) -> Vec<Finding> {
    let ctx = Context::new(snapshot);
    let mut out = Vec::new();
    access::rules(&ctx, &mut out);
    target::rules(&ctx, &mut out);
    libraries::rules(&ctx, &mut out);
    python::rules(&ctx, &mut out);
    toolchain::rules(&ctx, &mut out);
    Finding::sort(&mut out);
    out
}

/// Every finding code the rules and the log signatures can emit, for docs/findings.md's test.
pub fn codes() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Vec::new();
    v.extend_from_slice(access::CODES);
    v.extend_from_slice(target::CODES);
    v.extend_from_slice(libraries::CODES);
    v.extend_from_slice(python::CODES);
    v.extend_from_slice(toolchain::CODES);
    v.extend_from_slice(verify::CODES);
    v.sort_unstable();
    v.dedup();
    v
}
