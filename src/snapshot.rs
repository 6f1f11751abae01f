//! What a scan saw, as data: [`Observed`] says for each fact whether it was there, missing,
//! unreadable or malformed, so rules can tell "no KFD node" from "permission denied on the KFD
//! node" from "the KFD node said something we could not parse".

use serde::{Deserialize, Serialize};

/// One observed fact. Serialized with an explicit state tag:
/// `{"state":"present","value":…}`, `{"state":"absent"}`,
/// `{"state":"unreadable","value":"permission denied"}`,
/// `{"state":"malformed","value":"not UTF-8"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "value", rename_all = "snake_case")]
pub enum Observed<T> {
    /// The thing exists and was read.
    Present(T),
    /// The thing does not exist (no such file or directory).
    Absent,
    /// The thing exists (or may) but could not be read; the reason says why.
    Unreadable(String),
    /// The thing was read but its content is not what it should be; the reason says how.
    Malformed(String),
}

impl<T> Observed<T> {
    /// The value, if present.
    pub fn present(&self) -> Option<&T> {
        match self {
            Observed::Present(v) => Some(v),
            _ => None,
        }
    }

    /// The value, if present, by value.
    pub fn into_present(self) -> Option<T> {
        match self {
            Observed::Present(v) => Some(v),
            _ => None,
        }
    }

    /// Whether the value is present.
    pub fn is_present(&self) -> bool {
        matches!(self, Observed::Present(_))
    }

    /// Whether the thing was absent.
    pub fn is_absent(&self) -> bool {
        matches!(self, Observed::Absent)
    }

    /// Converts the present value; other states carry over unchanged.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Observed<U> {
        match self {
            Observed::Present(v) => Observed::Present(f(v)),
            Observed::Absent => Observed::Absent,
            Observed::Unreadable(r) => Observed::Unreadable(r),
            Observed::Malformed(r) => Observed::Malformed(r),
        }
    }

    /// Chains a step that can itself fail (e.g. parsing what was read).
    pub fn and_then<U>(self, f: impl FnOnce(T) -> Observed<U>) -> Observed<U> {
        match self {
            Observed::Present(v) => f(v),
            Observed::Absent => Observed::Absent,
            Observed::Unreadable(r) => Observed::Unreadable(r),
            Observed::Malformed(r) => Observed::Malformed(r),
        }
    }

    /// Borrows the value.
    pub fn as_ref(&self) -> Observed<&T> {
        match self {
            Observed::Present(v) => Observed::Present(v),
            Observed::Absent => Observed::Absent,
            Observed::Unreadable(r) => Observed::Unreadable(r.clone()),
            Observed::Malformed(r) => Observed::Malformed(r.clone()),
        }
    }

    /// `"present"`, `"absent"`, `"unreadable"` or `"malformed"`, as in the JSON tag.
    pub fn state(&self) -> &'static str {
        match self {
            Observed::Present(_) => "present",
            Observed::Absent => "absent",
            Observed::Unreadable(_) => "unreadable",
            Observed::Malformed(_) => "malformed",
        }
    }

    /// The reason of an unreadable or malformed observation, `None` otherwise.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Observed::Unreadable(r) | Observed::Malformed(r) => Some(r),
            _ => None,
        }
    }
}

impl<T> From<std::io::Error> for Observed<T> {
    /// `NotFound` (and `NotADirectory` on a path through a file) is [`Observed::Absent`];
    /// every other error is [`Observed::Unreadable`] with the error's text.
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory => Observed::Absent,
            std::io::ErrorKind::PermissionDenied => {
                Observed::Unreadable("permission denied".to_string())
            }
            _ => Observed::Unreadable(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_with_a_state_tag() {
        let p: Observed<u32> = Observed::Present(7);
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"state":"present","value":7}"#
        );
        let a: Observed<u32> = Observed::Absent;
        assert_eq!(serde_json::to_string(&a).unwrap(), r#"{"state":"absent"}"#);
        let u: Observed<u32> = Observed::Unreadable("permission denied".into());
        assert_eq!(
            serde_json::to_string(&u).unwrap(),
            r#"{"state":"unreadable","value":"permission denied"}"#
        );
        for o in [p, a, u, Observed::Malformed("x".into())] {
            let back: Observed<u32> =
                serde_json::from_str(&serde_json::to_string(&o).unwrap()).unwrap();
            assert_eq!(back, o);
        }
    }

    #[test]
    fn helpers() {
        let p = Observed::Present(2).map(|v| v * 10);
        assert_eq!(p.present(), Some(&20));
        assert!(p.is_present());
        let m: Observed<u32> = Observed::Present("x").and_then(|s| match s.parse() {
            Ok(v) => Observed::Present(v),
            Err(_) => Observed::Malformed(format!("not a number: {s}")),
        });
        assert_eq!(m.reason(), Some("not a number: x"));
        assert_eq!(m.state(), "malformed");
        let e: Observed<()> = std::io::Error::from(std::io::ErrorKind::NotFound).into();
        assert!(e.is_absent());
    }
}

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
