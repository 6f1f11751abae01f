//! `rocminfo` output, as a user pastes it into a bug report: the agents (CPUs, GPUs, NPUs)
//! the HSA runtime saw, their gfx targets, and what looks wrong about them.
//!
//! The parser is pure and never fails: it takes whatever text it is given (rocminfo from
//! ROCm 4.x to 7.x, padded or not, CRLF, inside markdown fences, quoted with `>`, prefixed
//! with timestamps, cut short, filtered through `grep`) and keeps what it can read. What it
//! could not read, and what looks off (a name that `HSA_OVERRIDE_GFX_VERSION` rewrote, a
//! truncated paste), goes to [`RocminfoReport::warnings`]. Text from `rocm-smi
//! --showproductname` and `amd-smi static` is read too when no rocminfo agent is found.
//!
//! Note that rocminfo prints the *overridden* name: with `HSA_OVERRIDE_GFX_VERSION=10.3.0`
//! an RX 6600 (gfx1032) shows up as `gfx1030`, ISA and all. The PCI id (`Chip ID`) and the
//! marketing name are what give it away.

use rocm_formats::gfx::{FeatureSetting, GfxTarget};
use serde::{Deserialize, Serialize};

mod checks;
mod ids;
mod lines;
mod smi;
#[cfg(test)]
mod tests;

/// What kind of agent: rocminfo's `Device Type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceType {
    /// `CPU`.
    Cpu,
    /// `GPU`.
    Gpu,
    /// Anything else, as printed (`DSP` for the Ryzen AI NPU), or `unknown` when the text
    /// gave no clue.
    Other(String),
}

/// One HSA agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    /// `N` of the `Agent N` header; `None` in filtered output that lost the headers.
    pub number: Option<u32>,
    /// `Name`: `gfx1030` for a GPU, the processor model for a CPU.
    pub name: String,
    /// `Marketing Name`, when printed and not empty.
    pub marketing_name: Option<String>,
    /// `Vendor Name` (`AMD`, or `CPU` for CPU agents).
    pub vendor: Option<String>,
    /// `Device Type`, or inferred from the name and vendor when the line is missing.
    pub device_type: DeviceType,
    /// The gfx processor: from `Name` (`gfx1030`, `gfx90a:sramecc+:xnack-`) or else from the
    /// first non-generic ISA. As reported, so possibly overridden.
    pub gfx_target: Option<String>,
    /// ISA names, as printed (`amdgcn-amd-amdhsa--gfx1030`, `amdgcn-amd-amdhsa--gfx11-generic`).
    pub isa: Vec<String>,
    /// `Some(true)` for `:xnack+`, `Some(false)` for `:xnack-` in the name or first ISA.
    pub xnack: Option<bool>,
    /// `Some(true)` for `:sramecc+`, `Some(false)` for `:sramecc-`.
    pub sramecc: Option<bool>,
    /// `Compute Unit`.
    pub compute_units: Option<u32>,
    /// `Uuid` (`GPU-XX` when the GPU has none, `CPU-XX` for CPUs).
    pub uuid: Option<String>,
    /// PCI device id from `Chip ID: 29631(0x73bf)`, as `0x73bf`; `None` for 0 (CPUs).
    pub pci_device_id: Option<String>,
    /// `Node`: the KFD topology node.
    pub node: Option<u32>,
    /// `Size` of each memory pool, in KB, in the order printed.
    pub pool_sizes_kb: Vec<u64>,
}

/// Where the agents came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// `rocminfo`.
    Rocminfo,
    /// `rocm-smi --showproductname`.
    RocmSmi,
    /// `amd-smi static`.
    AmdSmi,
    /// Nothing recognisable.
    Unknown,
}

/// Everything read from one paste.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RocminfoReport {
    /// Which tool's output this was.
    pub format: Format,
    /// `ROCk module version 6.8.5 is loaded` → `6.8.5`; `ROCk module is loaded` → `loaded`.
    pub kfd_module: Option<String>,
    /// `Runtime Version` (HSA runtime, e.g. `1.14`).
    pub runtime_version: Option<String>,
    /// `Runtime Ext Version` (ROCm 6.1 and later).
    pub runtime_ext_version: Option<String>,
    /// `XNACK enabled` from the system attributes (ROCm 6.2 and later).
    pub xnack_enabled: Option<bool>,
    /// Whether the closing `*** Done ***` was seen: `false` means cut short or filtered.
    pub complete: bool,
    /// The agents, in the order printed.
    pub agents: Vec<Agent>,
    /// Failures rocminfo itself printed (`Unable to open /dev/kfd read-write`, `hsa api
    /// call failure`, `ROCk module is NOT loaded`), verbatim.
    pub errors: Vec<String>,
    /// What the parser could not make sense of, and what looks off.
    pub warnings: Vec<String>,
}

/// At most this many "could not read line" warnings; the rest are counted in one more.
const MAX_LINE_WARNINGS: usize = 20;

/// Keys printed inside an agent block: seen before any agent, the paste starts mid-agent.
const AGENT_KEYS: &[&str] = &[
    "Uuid",
    "Marketing Name",
    "Vendor Name",
    "Feature",
    "Features",
    "Profile",
    "Device Type",
    "Compute Unit",
    "Chip ID",
    "Node",
    "Pool Info",
    "ISA Info",
    "Segment",
    "Size",
    "Allocatable",
    "Alloc Granule",
    "Alloc Alignment",
    "Accessible by all",
    "Cache Info",
];

/// Parses pasted text. Never fails: unknown lines become warnings.
pub fn parse(text: &str) -> RocminfoReport {
    let mut p = Parser::default();
    for raw in text.split(['\n', '\r']) {
        p.line(raw);
    }
    let mut report = p.finish();
    if report.agents.is_empty() {
        if let Some(smi) = smi::parse(text) {
            report.format = smi.format;
            report.agents = smi.agents;
            report.warnings.retain(|w| !w.starts_with("could not read"));
            report.complete = smi.complete;
        }
    }
    checks::check(&mut report);
    report
}

/// [`parse`] for bytes that may not be UTF-8 (invalid sequences become U+FFFD).
pub fn parse_bytes(bytes: &[u8]) -> RocminfoReport {
    parse(&String::from_utf8_lossy(bytes))
}

#[derive(Default)]
struct Parser {
    report: Option<RocminfoReport>,
    agents: Vec<Agent>,
    current: Option<Agent>,
    section: Section,
    saw_rocminfo: bool,
    orphan_fields: bool,
    unread: Vec<String>,
    unread_count: usize,
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Section {
    #[default]
    Agent,
    Pools,
    Isa,
}

fn empty_report() -> RocminfoReport {
    RocminfoReport {
        format: Format::Unknown,
        kfd_module: None,
        runtime_version: None,
        runtime_ext_version: None,
        xnack_enabled: None,
        complete: false,
        agents: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
    }
}

fn new_agent(number: Option<u32>) -> Agent {
    Agent {
        number,
        name: String::new(),
        marketing_name: None,
        vendor: None,
        device_type: DeviceType::Other("unknown".to_owned()),
        gfx_target: None,
        isa: Vec::new(),
        xnack: None,
        sramecc: None,
        compute_units: None,
        uuid: None,
        pci_device_id: None,
        node: None,
        pool_sizes_kb: Vec::new(),
    }
}

impl Parser {
    fn report(&mut self) -> &mut RocminfoReport {
        self.report.get_or_insert_with(empty_report)
    }

    fn start_agent(&mut self, number: Option<u32>) {
        if let Some(done) = self.current.take() {
            self.agents.push(done);
        }
        self.current = Some(new_agent(number));
        self.section = Section::Agent;
        self.saw_rocminfo = true;
    }

    fn line(&mut self, raw: &str) {
        let cleaned = lines::clean(raw);
        let line = cleaned.as_ref();
        match lines::classify(line) {
            lines::Kind::Skip => {}
            lines::Kind::Done => {
                self.saw_rocminfo = true;
                self.report().complete = true;
            }
            lines::Kind::Header => self.saw_rocminfo = true,
            lines::Kind::KfdModule(v) => {
                self.saw_rocminfo = true;
                self.report().kfd_module = Some(v);
            }
            lines::Kind::Error => self.report().errors.push(line.to_owned()),
            lines::Kind::AgentHeader(n) => self.start_agent(Some(n)),
            lines::Kind::PoolHeader => self.section = Section::Pools,
            lines::Kind::IsaHeader => self.section = Section::Isa,
            lines::Kind::Field(key, value) => self.field(key, value),
            lines::Kind::Unread => self.unread(line),
        }
    }

    fn field(&mut self, key: &str, value: &str) {
        if key == "Name" {
            if value.starts_with("amdgcn-") {
                match self.current.as_mut() {
                    Some(agent) => agent.isa.push(value.to_owned()),
                    None => self.orphan_fields = true,
                }
                return;
            }
            let named = self.current.as_ref().is_some_and(|a| !a.name.is_empty());
            if named || self.current.is_none() {
                self.start_agent(None);
            }
            if let Some(agent) = self.current.as_mut() {
                agent.name = value.to_owned();
            }
            return;
        }
        let Some(agent) = self.current.as_mut() else {
            self.system_field(key, value);
            return;
        };
        let text = || (!value.is_empty()).then(|| value.to_owned());
        match key {
            "Uuid" => agent.uuid = text(),
            "Marketing Name" => agent.marketing_name = text(),
            "Vendor Name" => agent.vendor = text(),
            "Device Type" => agent.device_type = device_type(value),
            "Compute Unit" => agent.compute_units = lines::leading_number(value),
            "Node" => agent.node = lines::leading_number(value),
            "Chip ID" => agent.pci_device_id = lines::chip_id(value),
            "Pool Info" => self.section = Section::Pools,
            "ISA Info" => self.section = Section::Isa,
            "Size" if self.section == Section::Pools => {
                if let Some(kb) = lines::leading_number(value) {
                    agent.pool_sizes_kb.push(kb);
                }
            }
            _ => {}
        }
    }

    fn system_field(&mut self, key: &str, value: &str) {
        let text = (!value.is_empty()).then(|| value.to_owned());
        match key {
            "Runtime Version" => self.report().runtime_version = text,
            "Runtime Ext Version" => self.report().runtime_ext_version = text,
            "XNACK enabled" => self.report().xnack_enabled = lines::yes_no(value),
            "System Timestamp Freq."
            | "Sig. Max Wait Duration"
            | "Machine Model"
            | "System Endianness"
            | "Mwaitx"
            | "DMAbuf Support"
            | "VMM Support" => {}
            _ if AGENT_KEYS.contains(&key) => {
                self.orphan_fields = true;
                return;
            }
            _ => {
                self.unread(&format!("{key}: {value}"));
                return;
            }
        }
        self.saw_rocminfo = true;
    }

    fn unread(&mut self, line: &str) {
        self.unread_count = self.unread_count.saturating_add(1);
        if self.unread.len() < MAX_LINE_WARNINGS {
            self.unread.push(lines::excerpt(line));
        }
    }

    fn finish(mut self) -> RocminfoReport {
        if let Some(done) = self.current.take() {
            self.agents.push(done);
        }
        let mut report = self.report.take().unwrap_or_else(empty_report);
        report.agents = self.agents.into_iter().map(finish_agent).collect();
        if self.saw_rocminfo {
            report.format = Format::Rocminfo;
        }
        for line in self.unread {
            report.warnings.push(format!("could not read line: {line}"));
        }
        let more = self.unread_count.saturating_sub(MAX_LINE_WARNINGS);
        if more > 0 {
            report
                .warnings
                .push(format!("could not read {more} more lines"));
        }
        if self.orphan_fields && !report.agents.is_empty() {
            report.warnings.push(
                "the text starts in the middle of an agent: the paste is cut at the start"
                    .to_owned(),
            );
        }
        report
    }
}

fn device_type(value: &str) -> DeviceType {
    match value.to_ascii_uppercase().as_str() {
        "CPU" => DeviceType::Cpu,
        "GPU" => DeviceType::Gpu,
        "" => DeviceType::Other("unknown".to_owned()),
        _ => DeviceType::Other(value.to_owned()),
    }
}

fn setting(s: FeatureSetting) -> Option<bool> {
    match s {
        FeatureSetting::On => Some(true),
        FeatureSetting::Off => Some(false),
        FeatureSetting::Any | FeatureSetting::Unsupported => None,
    }
}

fn looks_like_cpu(name: &str) -> bool {
    [
        "Processor",
        "Ryzen",
        "EPYC",
        "Threadripper",
        "Xeon",
        "Intel(R)",
        "Core(TM)",
    ]
    .iter()
    .any(|w| name.contains(w))
}

/// The target of a `gfx…` name or `amdgcn-amd-amdhsa--gfx…` ISA.
fn target(name: &str) -> Option<GfxTarget> {
    let t = GfxTarget::parse(name)?;
    t.processor.starts_with("gfx").then_some(t)
}

fn finish_agent(mut agent: Agent) -> Agent {
    let from_name = target(&agent.name);
    let from_isa = agent
        .isa
        .iter()
        .filter_map(|i| target(i))
        .find(|t| !t.processor.ends_with("-generic"));
    let chosen = from_name.as_ref().or(from_isa.as_ref());
    agent.gfx_target = chosen.map(|t| t.processor.clone());
    // The ISA carries the features (`gfx1010:xnack-`) even when the name does not.
    let feature = |f: fn(&GfxTarget) -> FeatureSetting| {
        [from_name.as_ref(), from_isa.as_ref()]
            .into_iter()
            .flatten()
            .find_map(|t| setting(f(t)))
    };
    agent.xnack = feature(|t| t.xnack);
    agent.sramecc = feature(|t| t.sramecc);
    if agent.device_type == DeviceType::Other("unknown".to_owned()) {
        if from_name.is_some() {
            agent.device_type = DeviceType::Gpu;
        } else if agent.vendor.as_deref() == Some("CPU") || looks_like_cpu(&agent.name) {
            agent.device_type = DeviceType::Cpu;
        }
    }
    agent
}
