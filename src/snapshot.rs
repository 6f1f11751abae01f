//! What a scan saw, as data: the [`Snapshot`] and its views. Each fact is [`Observed`]
//! (present, absent, unreadable, malformed).

use serde::{Deserialize, Serialize};

pub use crate::model::Observed;

/// Version of the snapshot's JSON layout (docs/json.md, `scan`).
pub const SCHEMA_VERSION: u32 = 1;

/// Everything a scan read off a machine or a captured tree.
#[derive(Debug, Serialize, Deserialize)]
pub struct Snapshot {
    /// Layout version.
    pub schema_version: u32,
    /// The root scanned (`/` for this machine).
    pub root: String,
    /// GPUs from KFD topology, DRM and PCI sysfs.
    pub gpu: crate::probe::gpu::GpuProbe,
    /// The kernel, the amdgpu module, and whether the user can open the GPU's device nodes.
    pub access: crate::probe::access::AccessProbe,
    /// GPUs from pasted rocminfo-style text (`--rocminfo FILE`).
    pub rocminfo: Option<crate::probe::rocminfo::RocminfoReport>,
    /// The environment variables that steer ROCm, and what overrides make the runtime report.
    pub env: crate::probe::env::EnvProbe,
    /// ROCm installs, their components and kernels per gfx, and what the environment selects.
    pub rocm: crate::probe::rocm::RocmProbe,
    /// Python environments, and the PyTorch (with the ROCm it bundles) in each.
    pub python: crate::probe::python::PythonProbe,
    /// LLVM toolchains found by layout.
    pub toolchains: Vec<crate::probe::toolchain::Toolchain>,
}

/// Reads a saved snapshot: the `scan --json` document (its `snapshot` member) or a bare
/// snapshot, as `capture` stores it.
///
/// Returns an error when the text is not JSON, has another `schema_version`, or does not hold
/// a snapshot.
pub fn from_json(text: &str) -> anyhow::Result<Snapshot> {
    let mut v: serde_json::Value = serde_json::from_str(text)?;
    if let Some(inner) = v.get_mut("snapshot") {
        v = inner.take();
    }
    let version = v.get("schema_version").and_then(serde_json::Value::as_u64);
    if version != Some(u64::from(SCHEMA_VERSION)) {
        anyhow::bail!(
            "snapshot schema_version {} is not {SCHEMA_VERSION}, the one this rocm-doctor reads",
            version.map_or_else(|| "missing".to_owned(), |n| n.to_string())
        );
    }
    Ok(serde_json::from_value(v)?)
}

/// One GPU as the rules see it: hardware target, runtime target, where it was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GpuView {
    /// The hardware's gfx target (KFD, else the PCI table, else rocminfo's name).
    pub gfx_target: Option<String>,
    /// What the runtime reports once overrides apply.
    pub runtime_target: Option<String>,
    /// Marketing name, when known.
    pub marketing_name: Option<String>,
    /// PCI device id, `0x73bf`.
    pub pci_device_id: Option<String>,
    /// Compute units.
    pub compute_units: Option<u32>,
    /// `kfd`, `pci-table` or `rocminfo`.
    pub source: String,
    /// Family of the hardware target.
    pub family: Option<String>,
    /// Integrated GPU, when known.
    pub is_apu: Option<bool>,
    /// KFD node, when known.
    pub node: Option<String>,
}

impl Snapshot {
    /// Every AMD GPU seen, from sysfs and then from pasted rocminfo text, with the target the
    /// runtime will report once overrides apply.
    pub fn gpus(&self) -> Vec<GpuView> {
        let s = self;
        let mut v: Vec<GpuView> = s
            .gpu
            .gpus
            .iter()
            .map(|g| GpuView {
                gfx_target: g.gfx.clone(),
                runtime_target: s
                    .env
                    .runtime_target(g.kfd_node.as_deref(), g.gfx.as_deref()),
                marketing_name: g.marketing_name.clone(),
                pci_device_id: g.device_id.map(|d| format!("{d:#06x}")),
                compute_units: g.cu_count,
                source: g.gfx_source.clone().unwrap_or_else(|| "pci".into()),
                family: g.family.clone(),
                is_apu: g.is_apu,
                node: g.kfd_node.clone(),
            })
            .collect();
        let first_rocminfo = v.len();
        if let Some(r) = &s.rocminfo {
            // rocminfo prints what the runtime reports (overrides applied): that is its target.
            v.extend(
                r.agents
                    .iter()
                    .filter(|a| a.device_type == crate::probe::rocminfo::DeviceType::Gpu)
                    .map(|a| GpuView {
                        // The hardware's target from its PCI id when the table knows it; else the name
                        // rocminfo printed (the parser warns when the two disagree).
                        gfx_target: a
                            .pci_device_id
                            .as_deref()
                            .and_then(|id| {
                                u16::from_str_radix(id.trim_start_matches("0x"), 16).ok()
                            })
                            .and_then(|id| crate::knowledge::gpus::lookup(id, None))
                            .map(|row| row.gfx.clone())
                            .filter(|g| g != "unknown")
                            .or_else(|| a.gfx_target.clone()),
                        runtime_target: a.gfx_target.clone(),
                        marketing_name: a.marketing_name.clone(),
                        pci_device_id: a.pci_device_id.clone(),
                        compute_units: a.compute_units,
                        source: "rocminfo".into(),
                        family: None,
                        is_apu: None,
                        node: a.node.map(|n| n.to_string()),
                    }),
            );
        }
        // The family follows the hardware target, not what an override makes the runtime say.
        for g in &mut v[first_rocminfo..] {
            g.family = g
                .gfx_target
                .as_deref()
                .and_then(crate::knowledge::gpus::family_of_gfx)
                .map(str::to_owned);
        }
        v
    }
}

/// What makes two machines alike, computed once from the facts and carried in `check --json`
/// (`stack`) so that `fleet` reads it typed: each list sorted, without duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stack {
    /// Hardware gfx targets of the GPUs the driver exposes to compute (KFD lists them;
    /// `gfx?` when unknown). A GPU without a loaded driver has none.
    pub gpu_targets: Vec<String>,
    /// ROCm install versions (`?` when unknown).
    pub rocm_versions: Vec<String>,
    /// torch `__version__`s (`?` when unknown).
    pub torch_versions: Vec<String>,
    /// `VAR=value` of each GPU-target override.
    pub overrides: Vec<String>,
}

impl Snapshot {
    /// The machine's [`Stack`].
    pub fn stack(&self) -> Stack {
        let set = |mut v: Vec<String>| {
            v.sort();
            v.dedup();
            v
        };
        let gpu_targets = self
            .gpus()
            .into_iter()
            .filter(|g| g.node.is_some() || g.source == "rocminfo")
            .map(|g| g.gfx_target.unwrap_or_else(|| "gfx?".into()))
            .collect();
        let rocm_versions = self
            .rocm
            .installs
            .iter()
            .map(|i| i.version.present().cloned().unwrap_or_else(|| "?".into()))
            .collect();
        let torch_versions = self
            .python
            .environments
            .iter()
            .flat_map(|e| &e.site_packages)
            .filter_map(|sp| sp.torch.present())
            .map(|t| {
                t.version_py
                    .present()
                    .map(|v| v.version.clone())
                    .unwrap_or_else(|| "?".into())
            })
            .collect();
        let overrides = self
            .env
            .overrides
            .iter()
            .map(|o| format!("{}={}", o.var, o.value))
            .collect();
        Stack {
            gpu_targets: set(gpu_targets),
            rocm_versions: set(rocm_versions),
            torch_versions: set(torch_versions),
            overrides: set(overrides),
        }
    }
}
