//! The GPU list from `rocm-smi --showproductname` and `amd-smi static`, for pastes that
//! have no rocminfo in them. Only GPUs are listed by these tools, so every agent is a GPU.
//!
//! `rocm-smi --showproductname` prints `GPU[N]<tab>: Key: <tab>value` rows (`Card Series`,
//! `Card Model` = PCI device id, `GFX Version`, `Node ID`); older versions spell the keys
//! `Card series`/`Card model` and their "model" is the subsystem id, so only the capitalised
//! key is read as the device id. Some versions print `gfx11000` for gfx1100 and `gfx11003`
//! for gfx1103 (major, minor, two-digit stepping); those are read back.
//!
//! `amd-smi static` prints `GPU: N` then indented `KEY: value` rows (`MARKET_NAME`,
//! `DEVICE_ID`, `NUM_COMPUTE_UNITS`, `TARGET_GRAPHICS_VERSION`), `N/A` when unknown.

use std::collections::BTreeMap;

use rocm_formats::gfx::gfx_name_from_version;

use super::{finish_agent, lines, new_agent, Agent, DeviceType, Format};

pub(super) struct Smi {
    pub format: Format,
    pub agents: Vec<Agent>,
    pub complete: bool,
}

/// `None` when the text has neither tool's rows.
pub(super) fn parse(text: &str) -> Option<Smi> {
    let mut rocm: BTreeMap<u32, Agent> = BTreeMap::new();
    let mut amd: Vec<Agent> = Vec::new();
    let mut end_marker = false;
    for raw in text.split(['\n', '\r']) {
        let line = lines::clean(raw);
        if line.contains("End of ROCm SMI Log") {
            end_marker = true;
            continue;
        }
        if let Some((n, key, value)) = rocm_smi_row(&line) {
            let agent = rocm.entry(n).or_insert_with(|| new_agent(Some(n)));
            rocm_smi_field(agent, key, value);
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        if key == "GPU" {
            if let Ok(n) = value.parse::<u32>() {
                amd.push(new_agent(Some(n)));
            }
            continue;
        }
        if let Some(agent) = amd.last_mut() {
            amd_smi_field(agent, key, value);
        }
    }
    let (format, agents, complete) = if !rocm.is_empty() {
        (
            Format::RocmSmi,
            rocm.into_values().collect::<Vec<_>>(),
            end_marker,
        )
    } else if !amd.is_empty() {
        (Format::AmdSmi, amd, true)
    } else {
        return None;
    };
    let agents = agents
        .into_iter()
        .map(|mut a| {
            a.device_type = DeviceType::Gpu;
            finish_agent(a)
        })
        .collect();
    Some(Smi {
        format,
        agents,
        complete,
    })
}

/// `GPU[0]  : Card Series:   Radeon RX 7900 XTX` → (0, "Card Series", "Radeon RX 7900 XTX").
fn rocm_smi_row(line: &str) -> Option<(u32, &str, &str)> {
    let rest = line.strip_prefix("GPU[")?;
    let (n, rest) = rest.split_once(']')?;
    let n = n.trim().parse().ok()?;
    let rest = rest.trim_start().strip_prefix(':')?;
    let (key, value) = rest.split_once(':')?;
    Some((n, key.trim(), value.trim()))
}

fn known(value: &str) -> Option<String> {
    (!value.is_empty() && !value.eq_ignore_ascii_case("N/A")).then(|| value.to_owned())
}

fn is_hex_id(value: &str) -> bool {
    value
        .strip_prefix("0x")
        .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
}

fn rocm_smi_field(agent: &mut Agent, key: &str, value: &str) {
    match key {
        "Card Series" | "Card series" if !is_hex_id(value) => agent.marketing_name = known(value),
        "Card Series" if agent.pci_device_id.is_none() => agent.pci_device_id = hex_id(value),
        "Card Model" => agent.pci_device_id = hex_id(value).or(agent.pci_device_id.take()),
        "Card Vendor" | "Card vendor" => agent.vendor = known(value),
        "Node ID" => agent.node = lines::leading_number(value),
        "GFX Version" => agent.name = gfx_version(value),
        _ => {}
    }
}

fn amd_smi_field(agent: &mut Agent, key: &str, value: &str) {
    match key {
        "MARKET_NAME" => agent.marketing_name = known(value),
        "VENDOR_NAME" => agent.vendor = known(value),
        "DEVICE_ID" => agent.pci_device_id = hex_id(value),
        "NUM_COMPUTE_UNITS" => agent.compute_units = lines::leading_number(value),
        "NODE_ID" => agent.node = lines::leading_number(value),
        "TARGET_GRAPHICS_VERSION" => {
            if let Some(v) = known(value) {
                agent.name = gfx_version(&v);
            }
        }
        _ => {}
    }
}

/// `0x744C` → `0x744c`, as rocminfo spells it.
fn hex_id(value: &str) -> Option<String> {
    let lower = value.to_ascii_lowercase();
    is_hex_id(&lower).then_some(lower)
}

/// `gfx1100` as is; the five-digit `gfx11003` of some rocm-smi versions → `gfx1103`.
fn gfx_version(value: &str) -> String {
    let digits = value.strip_prefix("gfx").unwrap_or("");
    if digits.len() == 5 && digits.chars().all(|c| c.is_ascii_digit()) {
        let num = |r: std::ops::Range<usize>| digits.get(r).and_then(|d| d.parse::<u32>().ok());
        if let (Some(major), Some(minor), Some(step)) = (num(0..2), num(2..3), num(3..5)) {
            if let Some(name) = gfx_name_from_version(major, minor, step) {
                return name;
            }
        }
    }
    value.to_owned()
}
