//! GPUs as the kernel shows them: KFD topology nodes (`/sys/class/kfd/kfd/topology/nodes/*`),
//! DRM cards (`/sys/class/drm/card*/device`) and AMD display-class PCI functions
//! (`/sys/bus/pci/devices/*`), joined by PCI address and named through
//! [`crate::knowledge::gpus`].
//!
//! KFD is the authority for the gfx target (it is what the ROCm runtime reads); the PCI table
//! only fills in when KFD is missing. Nothing here fails: a missing or unreadable source is an
//! [`Observed`] state plus a line in [`GpuProbe::problems`], and the scan goes on.
//!
//! ref: drivers/gpu/drm/amd/amdkfd/kfd_topology.c (the `properties` file's keys);
//! `location_id` is `bus << 8 | device << 3 | function`, `domain` the PCI segment.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::knowledge::gpus;
use crate::root::Root;
use crate::snapshot::Observed;

const KFD_CLASS: &str = "/sys/class/kfd";
const KFD_NODES: &str = "/sys/class/kfd/kfd/topology/nodes";
const DRM_CLASS: &str = "/sys/class/drm";
const PCI_DEVICES: &str = "/sys/bus/pci/devices";
const AMD_VENDOR: u32 = 0x1002;
/// sysfs values are short; anything longer than this is not a sysfs value.
const SMALL: usize = 64 * 1024;

/// Everything the GPU probe saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GpuProbe {
    /// KFD topology nodes (CPU and GPU), by node number.
    pub kfd: Observed<Vec<KfdNode>>,
    /// DRM cards (`card0`, …; connectors such as `card0-DP-1` are left out).
    pub drm: Observed<Vec<DrmCard>>,
    /// AMD display-class PCI functions, with the driver bound to each.
    pub pci: Observed<Vec<PciFunction>>,
    /// One entry per AMD GPU, joining the three sources and the knowledge table.
    pub gpus: Vec<Gpu>,
    /// What could not be read or does not add up, in plain words.
    pub problems: Vec<String>,
}

/// One KFD topology node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KfdNode {
    /// The node's directory name (`0`, `1`, …).
    pub node: String,
    /// The `name` file (e.g. `navi10`, `ip discovery`; empty on CPU nodes).
    pub name: Observed<String>,
    /// The `gpu_id` file (0 on CPU nodes).
    pub gpu_id: Observed<u64>,
    /// Every `key value` line of `properties`.
    pub properties: Observed<BTreeMap<String, u64>>,
    /// Whether it is a GPU node (`simd_count` > 0).
    pub is_gpu: bool,
    /// `gfx_target_version` (`100100`).
    pub gfx_target_version: Option<u32>,
    /// The gfx target it encodes (`gfx1010`); `None` for CPU nodes and values with no name.
    pub gfx: Option<String>,
    /// `vendor_id` (4098 = 0x1002).
    pub vendor_id: Option<u32>,
    /// `device_id`: the PCI device id.
    pub device_id: Option<u32>,
    /// `simd_count`.
    pub simd_count: Option<u32>,
    /// `array_count`.
    pub array_count: Option<u32>,
    /// Compute units: `simd_count / simd_per_cu`.
    pub cu_count: Option<u32>,
    /// `cpu_cores_count`.
    pub cpu_cores_count: Option<u32>,
    /// `location_id` (PCI bus/device/function).
    pub location_id: Option<u32>,
    /// The PCI address `location_id` and `domain` give (`0000:03:00.0`).
    pub pci_slot: Option<String>,
    /// `drm_render_minor` (128 → `/dev/dri/renderD128`).
    pub drm_render_minor: Option<u32>,
    /// `unique_id`.
    pub unique_id: Option<u64>,
}

/// One DRM card and its PCI device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrmCard {
    /// `card0`, …
    pub card: String,
    /// `device/vendor`.
    pub vendor: Option<u16>,
    /// `device/device`.
    pub device: Option<u16>,
    /// `device/revision`.
    pub revision: Option<u8>,
    /// `device/subsystem_vendor`.
    pub subsystem_vendor: Option<u16>,
    /// `device/subsystem_device`.
    pub subsystem_device: Option<u16>,
    /// `PCI_SLOT_NAME` of `device/uevent`.
    pub pci_slot: Option<String>,
    /// Name of the driver `device/driver` links to; `None` if no driver is bound.
    pub driver: Option<String>,
}

/// One AMD display-class PCI function (class 0x03xxxx).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PciFunction {
    /// The PCI address (`0000:03:00.0`).
    pub slot: String,
    /// Device id.
    pub device: Option<u16>,
    /// Revision.
    pub revision: Option<u8>,
    /// Class code (`0x030000`).
    pub class: Option<u32>,
    /// Bound driver, `None` if none.
    pub driver: Option<String>,
}

/// One AMD GPU, from every source that knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gpu {
    /// PCI address, when known.
    pub pci_slot: Option<String>,
    /// KFD node directory, when KFD lists it.
    pub kfd_node: Option<String>,
    /// DRM card, when there is one.
    pub card: Option<String>,
    /// PCI device id.
    pub device_id: Option<u16>,
    /// PCI revision.
    pub revision: Option<u8>,
    /// gfx target.
    pub gfx: Option<String>,
    /// Where `gfx` came from: `kfd` or `pci-table`.
    pub gfx_source: Option<String>,
    /// KFD's `gfx_target_version`.
    pub gfx_target_version: Option<u32>,
    /// Chip codename from the table.
    pub chip: Option<String>,
    /// Family from the table (or from the gfx target).
    pub family: Option<String>,
    /// The marketing name, when the table narrows it to one.
    pub marketing_name: Option<String>,
    /// Every marketing name the table has for the id.
    pub marketing: Vec<String>,
    /// Integrated GPU; `None` where not known.
    pub is_apu: Option<bool>,
    /// Compute units (KFD).
    pub cu_count: Option<u32>,
    /// `drm_render_minor` (KFD).
    pub drm_render_minor: Option<u32>,
    /// Bound driver.
    pub driver: Option<String>,
    /// The knowledge row's source URL.
    pub knowledge_source: Option<String>,
}

/// Reads KFD, DRM and PCI under `root` and joins them. Never fails; see the module doc.
pub fn probe(root: &Root) -> GpuProbe {
    let mut problems = Vec::new();
    let kfd = probe_kfd(root, &mut problems);
    let drm = probe_drm(root, &mut problems);
    let pci = probe_pci(root);
    let gpus = join(&kfd, &drm, &pci, &mut problems);
    GpuProbe {
        kfd,
        drm,
        pci,
        gpus,
        problems,
    }
}

fn small(root: &Root, p: &str) -> Observed<String> {
    root.read_to_string_capped(p, SMALL)
}

fn parse_int(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

fn hex_file<T: TryFrom<u64>>(root: &Root, p: &str) -> Option<T> {
    small(root, p)
        .into_present()
        .and_then(|s| parse_int(&s))
        .and_then(|v| T::try_from(v).ok())
}

fn probe_kfd(root: &Root, problems: &mut Vec<String>) -> Observed<Vec<KfdNode>> {
    if !root.exists(KFD_CLASS) {
        problems.push(format!(
            "{KFD_CLASS} is absent: the kernel's KFD (compute) interface is not there, so \
             ROCm can see no GPU"
        ));
        return Observed::Absent;
    }
    let names = match root.read_dir(KFD_NODES) {
        Observed::Present(n) => n,
        other => {
            let o = other.map(|_| Vec::new());
            problems.push(format!(
                "cannot list {KFD_NODES}: {}",
                o.reason().unwrap_or("absent")
            ));
            return o;
        }
    };
    let mut nums: Vec<(u32, String)> = names
        .into_iter()
        .filter_map(|n| Some((n.parse().ok()?, n)))
        .collect();
    nums.sort();
    Observed::Present(
        nums.into_iter()
            .map(|(_, n)| kfd_node(root, n, problems))
            .collect(),
    )
}

fn parse_properties(text: &str) -> Result<BTreeMap<String, u64>, String> {
    let mut map = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut it = line.split_whitespace();
        let (Some(k), Some(v), None) = (it.next(), it.next(), it.next()) else {
            return Err(format!("line {line:?} is not `key value`"));
        };
        let v = v
            .parse()
            .map_err(|_| format!("line {line:?}: value is not an unsigned integer"))?;
        map.insert(k.to_string(), v);
    }
    if map.is_empty() {
        return Err("no properties".to_string());
    }
    Ok(map)
}

fn kfd_node(root: &Root, node: String, problems: &mut Vec<String>) -> KfdNode {
    let dir = format!("{KFD_NODES}/{node}");
    let name = small(root, &format!("{dir}/name")).map(|s| s.trim_end().to_string());
    let gpu_id = small(root, &format!("{dir}/gpu_id")).and_then(|s| match parse_int(&s) {
        Some(v) => Observed::Present(v),
        None => Observed::Malformed(format!("gpu_id {:?} is not a number", s.trim())),
    });
    let properties =
        small(root, &format!("{dir}/properties")).and_then(|s| match parse_properties(&s) {
            Ok(m) => Observed::Present(m),
            Err(e) => Observed::Malformed(e),
        });
    if let Some(r) = properties.reason() {
        problems.push(format!("{dir}/properties is {}: {r}", properties.state()));
    }
    let get = |k: &str| properties.present().and_then(|m| m.get(k).copied());
    let get32 = |k: &str| get(k).and_then(|v| u32::try_from(v).ok());
    let simd_count = get32("simd_count");
    let is_gpu = simd_count.is_some_and(|s| s > 0);
    let gfx_target_version = get32("gfx_target_version");
    let gfx = gfx_target_version
        .filter(|v| *v != 0)
        .and_then(rocm_formats::gfx::from_kfd_gfx_target_version);
    if is_gpu && gfx.is_none() {
        problems.push(format!(
            "KFD node {node} is a GPU but its gfx_target_version {} names no gfx target",
            gfx_target_version.map_or("(missing)".to_string(), |v| v.to_string())
        ));
    }
    let cu_count = match (simd_count, get32("simd_per_cu")) {
        (Some(s), Some(p)) if p > 0 => Some(s / p),
        _ => None,
    };
    let location_id = get32("location_id");
    let pci_slot = match (is_gpu, location_id) {
        (true, Some(l)) => Some(format!(
            "{:04x}:{:02x}:{:02x}.{:x}",
            get32("domain").unwrap_or(0),
            (l >> 8) & 0xff,
            (l >> 3) & 0x1f,
            l & 0x7
        )),
        _ => None,
    };
    KfdNode {
        node,
        name,
        gpu_id,
        is_gpu,
        gfx_target_version,
        gfx,
        vendor_id: get32("vendor_id"),
        device_id: get32("device_id"),
        simd_count,
        array_count: get32("array_count"),
        cu_count,
        cpu_cores_count: get32("cpu_cores_count"),
        location_id,
        pci_slot,
        drm_render_minor: get32("drm_render_minor"),
        unique_id: get("unique_id"),
        properties,
    }
}

fn is_card(name: &str) -> bool {
    name.strip_prefix("card")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn uevent_value(root: &Root, p: &str, key: &str) -> Option<String> {
    let text = small(root, p).into_present()?;
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
        .map(str::to_string)
}

fn probe_drm(root: &Root, problems: &mut Vec<String>) -> Observed<Vec<DrmCard>> {
    let names = match root.read_dir(DRM_CLASS) {
        Observed::Present(n) => n,
        other => {
            let o = other.map(|_| Vec::new());
            problems.push(format!("{DRM_CLASS} is {}", o.state()));
            return o;
        }
    };
    let mut cards: Vec<DrmCard> = names
        .into_iter()
        .filter(|n| is_card(n))
        .map(|card| {
            let dev = format!("{DRM_CLASS}/{card}/device");
            DrmCard {
                vendor: hex_file(root, &format!("{dev}/vendor")),
                device: hex_file(root, &format!("{dev}/device")),
                revision: hex_file(root, &format!("{dev}/revision")),
                subsystem_vendor: hex_file(root, &format!("{dev}/subsystem_vendor")),
                subsystem_device: hex_file(root, &format!("{dev}/subsystem_device")),
                pci_slot: uevent_value(root, &format!("{dev}/uevent"), "PCI_SLOT_NAME"),
                driver: root.link_name(&format!("{dev}/driver")).into_present(),
                card,
            }
        })
        .collect();
    cards.sort_by_key(|c| c.card[4..].parse::<u32>().unwrap_or(u32::MAX));
    Observed::Present(cards)
}

fn probe_pci(root: &Root) -> Observed<Vec<PciFunction>> {
    root.read_dir(PCI_DEVICES).map(|slots| {
        slots
            .into_iter()
            .filter_map(|slot| {
                let dir = format!("{PCI_DEVICES}/{slot}");
                let vendor: Option<u32> = hex_file(root, &format!("{dir}/vendor"));
                let class: Option<u32> = hex_file(root, &format!("{dir}/class"));
                if vendor != Some(AMD_VENDOR) || class.is_none_or(|c| c >> 16 != 0x03) {
                    return None;
                }
                Some(PciFunction {
                    device: hex_file(root, &format!("{dir}/device")),
                    revision: hex_file(root, &format!("{dir}/revision")),
                    class,
                    driver: root.link_name(&format!("{dir}/driver")).into_present(),
                    slot,
                })
            })
            .collect()
    })
}

/// Joins the sources by PCI address (KFD nodes without one get their own entry).
fn join(
    kfd: &Observed<Vec<KfdNode>>,
    drm: &Observed<Vec<DrmCard>>,
    pci: &Observed<Vec<PciFunction>>,
    problems: &mut Vec<String>,
) -> Vec<Gpu> {
    let mut by_key: BTreeMap<String, Gpu> = BTreeMap::new();
    let empty = |slot: Option<String>| Gpu {
        pci_slot: slot,
        kfd_node: None,
        card: None,
        device_id: None,
        revision: None,
        gfx: None,
        gfx_source: None,
        gfx_target_version: None,
        chip: None,
        family: None,
        marketing_name: None,
        marketing: Vec::new(),
        is_apu: None,
        cu_count: None,
        drm_render_minor: None,
        driver: None,
        knowledge_source: None,
    };
    for f in pci.present().into_iter().flatten() {
        let g = by_key
            .entry(f.slot.clone())
            .or_insert_with(|| empty(Some(f.slot.clone())));
        g.device_id = f.device;
        g.revision = f.revision;
        g.driver = f.driver.clone();
    }
    for c in drm.present().into_iter().flatten() {
        if c.vendor != Some(AMD_VENDOR as u16) {
            continue;
        }
        let key = c
            .pci_slot
            .clone()
            .or_else(|| unique_by_device(&by_key, c.device, |g| g.card.is_none()))
            .unwrap_or_else(|| c.card.clone());
        let g = by_key
            .entry(key)
            .or_insert_with(|| empty(c.pci_slot.clone()));
        g.card = Some(c.card.clone());
        g.device_id = g.device_id.or(c.device);
        g.revision = g.revision.or(c.revision);
        g.driver = g.driver.clone().or_else(|| c.driver.clone());
    }
    for n in kfd.present().into_iter().flatten().filter(|n| n.is_gpu) {
        let device = n.device_id.and_then(|d| u16::try_from(d).ok());
        let key = n
            .pci_slot
            .clone()
            .or_else(|| unique_by_device(&by_key, device, |g| g.kfd_node.is_none()))
            .unwrap_or_else(|| format!("kfd-node-{}", n.node));
        let g = by_key
            .entry(key)
            .or_insert_with(|| empty(n.pci_slot.clone()));
        g.kfd_node = Some(n.node.clone());
        g.device_id = g
            .device_id
            .or_else(|| n.device_id.and_then(|d| u16::try_from(d).ok()));
        g.gfx_target_version = n.gfx_target_version;
        g.gfx = n.gfx.clone();
        g.gfx_source = n.gfx.as_ref().map(|_| "kfd".to_string());
        g.cu_count = n.cu_count;
        g.drm_render_minor = n.drm_render_minor;
        if n.cpu_cores_count.is_some_and(|c| c > 0) {
            g.is_apu = Some(true);
        }
    }
    let mut gpus: Vec<Gpu> = by_key.into_values().collect();
    for g in &mut gpus {
        name_from_table(g, problems);
        let what = describe(g);
        // KFD lists only GPUs amdgpu drives: a node there has its driver, whatever sysfs
        // lacked to say so.
        if g.driver.is_none() && g.kfd_node.is_some() {
            g.driver = Some("amdgpu".into());
        }
        match g.driver.as_deref() {
            None => problems.push(format!("{what} has no driver bound")),
            Some("amdgpu") => {
                if g.kfd_node.is_none() && kfd.is_present() {
                    problems.push(format!(
                        "{what} is driven by amdgpu but KFD lists no node for it"
                    ));
                }
            }
            Some(other) => problems.push(format!("{what} is bound to {other}, not amdgpu")),
        }
    }
    gpus
}

/// The key of the one record with `device` as its PCI device id that `free` still accepts,
/// when exactly one such record exists: a source without a PCI address joins it instead of
/// becoming a second GPU. Two cards of the same model stay apart (no unique match).
fn unique_by_device(
    by_key: &BTreeMap<String, Gpu>,
    device: Option<u16>,
    free: impl Fn(&Gpu) -> bool,
) -> Option<String> {
    let device = device?;
    let mut hits = by_key
        .iter()
        .filter(|(_, g)| g.device_id == Some(device) && free(g));
    let (key, _) = hits.next()?;
    hits.next().is_none().then(|| key.clone())
}

fn name_from_table(g: &mut Gpu, problems: &mut Vec<String>) {
    let Some(row) = g.device_id.and_then(|d| gpus::lookup(d, g.revision)) else {
        if let Some(gfx) = &g.gfx {
            g.family = gpus::family_of_gfx(gfx).map(str::to_string);
        }
        return;
    };
    let table_gfx = (row.gfx != "unknown").then(|| row.gfx.clone());
    match (&g.gfx, &table_gfx) {
        (None, Some(t)) => {
            g.gfx = Some(t.clone());
            g.gfx_source = Some("pci-table".to_string());
        }
        (Some(k), Some(t)) if k != t => problems.push(format!(
            "{}: KFD reports {k} but the PCI table says {t}",
            describe(g)
        )),
        _ => {}
    }
    g.chip = (row.chip != "unknown").then(|| row.chip.clone());
    g.family = Some(row.family.clone());
    g.is_apu = g.is_apu.or(row.apu);
    g.knowledge_source = Some(row.source.clone());
    if row.revision.is_some() || row.marketing.len() == 1 {
        g.marketing_name = row.marketing.first().cloned();
    }
    g.marketing = match gpus::lookup(row.pci_id, None) {
        Some(whole) => whole.marketing.clone(),
        None => row.marketing.clone(),
    };
}

fn describe(g: &Gpu) -> String {
    let id = g
        .device_id
        .map_or("1002:????".to_string(), |d| format!("1002:{d:04x}"));
    match (&g.pci_slot, &g.card, &g.kfd_node) {
        (Some(s), _, _) => format!("GPU {s} ({id})"),
        (None, Some(c), _) => format!("GPU {c} ({id})"),
        (None, None, Some(n)) => format!("GPU at KFD node {n} ({id})"),
        _ => format!("GPU ({id})"),
    }
}
