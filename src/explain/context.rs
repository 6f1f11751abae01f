//! What a log (and, when given, the machine it came from) says about the stack: which GPU,
//! which override, which ROCm, whether it ran in a container or on Windows. The rules in
//! `refine` read this to turn a symptom into a diagnosis.

use std::sync::OnceLock;

use regex::Regex;

use crate::diagnose::Evidence;
use crate::snapshot::Snapshot;

/// How a gfx name is used on its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GfxRole {
    /// Names a GPU (rocminfo, a device list, an error about the running GPU).
    Device,
    /// Names a build target (`PYTORCH_ROCM_ARCH=`, `GPU_TARGETS=`, `--offload-arch=`).
    Build,
    /// Part of a file name (`TensileLibrary_lazy_gfx1030.dat`, `gfx908_metadata.tn.model`).
    File,
}

/// One gfx name seen in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GfxMention {
    /// The processor, `gfx1031`.
    pub gfx: String,
    /// 1-based log line.
    pub line: usize,
    /// How it is used.
    pub role: GfxRole,
}

/// An `HSA_OVERRIDE_GFX_VERSION` seen in the log or the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideSeen {
    /// The value as written, `10.3.0`.
    pub value: String,
    /// The target it makes the runtime report, when the value names one.
    pub target: Option<String>,
    /// 1-based log line, `None` when it comes from the snapshot.
    pub line: Option<usize>,
}

/// A device listed by an application (`Device 1: AMD Radeon 780M, ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedDevice {
    /// Its index.
    pub index: u32,
    /// Its name as printed.
    pub name: String,
    /// 1-based log line.
    pub line: usize,
}

/// Everything the rules read besides the matched lines.
pub struct Context<'a> {
    /// The log's lines (index 0 = line 1), without trailing `\r`.
    pub lines: Vec<&'a str>,
    /// gfx names in the log.
    pub gfx: Vec<GfxMention>,
    /// Hardware targets of the snapshot's GPUs.
    pub machine_gfx: Vec<String>,
    /// Overrides, the log's first.
    pub overrides: Vec<OverrideSeen>,
    /// ROCm versions (`6.4.1`, `7.0`), with their log line (`None` = snapshot).
    pub rocm: Vec<(String, Option<usize>)>,
    /// `libamdhip64.so.N` majors named in the log outside "cannot open" lines.
    pub hip_sonames: Vec<(u32, usize)>,
    /// A line showing a container (docker/podman run or exec, `--group-add`).
    pub container: Option<usize>,
    /// A line showing Windows (drive paths, `.dll`, `.exe`).
    pub windows: Option<usize>,
    /// A line showing MIOpen at work.
    pub miopen: Option<usize>,
    /// Devices an application listed.
    pub devices: Vec<ListedDevice>,
    /// The device an error names as current.
    pub current_device: Option<(u32, usize)>,
    /// LLVM toolchains of the snapshot: (major, path).
    pub toolchains: Vec<(u32, String)>,
    /// A line naming HSA_OVERRIDE_GFX_VERSION at all (with or without a value read).
    pub override_named: Option<usize>,
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("context regex"))
}

macro_rules! regex {
    ($p:expr) => {{
        static CELL: OnceLock<Regex> = OnceLock::new();
        re(&CELL, $p)
    }};
}

/// Whether `line` contains `needle`, ignoring ASCII case, without allocating.
fn has_ci(line: &str, needle: &[u8]) -> bool {
    line.as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

impl<'a> Context<'a> {
    /// Reads `log`, then adds what `machine` says (its GPUs, overrides, ROCm, toolchains).
    pub fn new(log: &'a str, machine: Option<&Snapshot>) -> Context<'a> {
        let lines: Vec<&str> = log.lines().map(|l| l.trim_end_matches('\r')).collect();
        let mut c = Context {
            lines,
            gfx: Vec::new(),
            machine_gfx: Vec::new(),
            overrides: Vec::new(),
            rocm: Vec::new(),
            hip_sonames: Vec::new(),
            container: None,
            windows: None,
            miopen: None,
            devices: Vec::new(),
            current_device: None,
            toolchains: Vec::new(),
            override_named: None,
        };
        for i in 0..c.lines.len() {
            c.read_line(i + 1, c.lines[i]);
        }
        if let Some(s) = machine {
            c.add_machine(s);
        }
        c
    }

    fn read_line(&mut self, n: usize, line: &str) {
        // Cheap substring guards first: a log may have a million lines.
        if line.contains("gfx") {
            super::names::gfx_mentions(n, line, &mut self.gfx);
        }
        // rocminfo's marketing name and PCI ids name the hardware even under an override.
        let marketing = line
            .trim()
            .strip_prefix("Marketing Name:")
            .and_then(|m| super::names::gfx_of_marketing(m.trim()));
        let pci = line
            .contains("1002:")
            .then(|| super::names::gfx_of_pci(line))
            .flatten();
        for gfx in marketing.into_iter().chain(pci) {
            self.gfx.push(GfxMention {
                gfx,
                line: n,
                role: GfxRole::Device,
            });
        }
        if self.override_named.is_none() && line.contains("HSA_OVERRIDE_GFX_VERSION") {
            self.override_named = Some(n);
        }
        let ov = regex!(r#"HSA_OVERRIDE_GFX_VERSION(?:_\d+)?\s*[=:]\s*["']?(\d+\.\d+\.\d+)"#);
        if let Some(v) = line
            .contains("HSA_OVERRIDE")
            .then(|| ov.captures(line))
            .flatten()
            .and_then(|c| c.get(1))
        {
            let value = v.as_str().to_owned();
            if !self.overrides.iter().any(|o| o.value == value) {
                let target = crate::probe::env::override_target(&value).into_present();
                self.overrides.push(OverrideSeen {
                    value,
                    target,
                    line: Some(n),
                });
            }
        }
        let rocm = regex!(r"(?i)\brocm(?:[-_ ]|\s+version:?\s*)?v?(\d+\.\d+(?:\.\d+)?)");
        let hip = regex!(r"(?i)\bhip(?:-runtime-amd-|\s+version:?\s*)(\d+\.\d+)");
        if has_ci(line, b"rocm") || has_ci(line, b"hip") {
            for c in rocm.captures_iter(line).chain(hip.captures_iter(line)) {
                self.rocm.push((c[1].to_owned(), Some(n)));
            }
        }
        if line.contains("libamdhip64.so.") && !line.contains("cannot open shared object") {
            for c in regex!(r"libamdhip64\.so\.(\d+)").captures_iter(line) {
                if let Ok(m) = c[1].parse() {
                    self.hip_sonames.push((m, n));
                }
            }
        }
        let flag = |slot: &mut Option<usize>, re: &Regex| {
            if slot.is_none() && re.is_match(line) {
                *slot = Some(n);
            }
        };
        flag(
            &mut self.container,
            regex!(
                r"(?i)\b(?:docker|podman)\s+(?:run|exec)\b|--group-add|\brootless\b|/\.dockerenv"
            ),
        );
        flag(
            &mut self.windows,
            regex!(r"(?i)\b[a-z]:\\|\.dll\b|\.exe\b|\bwindows\b"),
        );
        flag(
            &mut self.miopen,
            regex!(r"MIOpen|MIOPEN_|GemmBwdRest|GemmFwdRest|ConvOcl\w+|ConvBinWinograd"),
        );
        let device = line
            .contains("Device ")
            .then(|| regex!(r"\bDevice (\d+): ([^,]+),").captures(line));
        if let Some(c) = device.flatten() {
            if let Ok(index) = c[1].parse() {
                self.devices.push(ListedDevice {
                    index,
                    name: c[2].trim().to_owned(),
                    line: n,
                });
            }
        }
        let current = line
            .contains("current device")
            .then(|| regex!(r"current device: (\d+)").captures(line));
        if let Some(c) = current.flatten() {
            if let Ok(i) = c[1].parse() {
                self.current_device.get_or_insert((i, n));
            }
        }
    }

    fn add_machine(&mut self, s: &Snapshot) {
        for g in s.gpus() {
            if let Some(t) = g.gfx_target {
                if !self.machine_gfx.contains(&t) {
                    self.machine_gfx.push(t);
                }
            }
        }
        for o in &s.env.overrides {
            if !self.overrides.iter().any(|x| x.value == o.value) {
                self.overrides.push(OverrideSeen {
                    value: o.value.clone(),
                    target: o.reports.present().cloned(),
                    line: None,
                });
            }
        }
        for i in &s.rocm.installs {
            if let Some(v) = i.version.present() {
                self.rocm.push((v.clone(), None));
            }
        }
        self.toolchains = s
            .toolchains
            .iter()
            .map(|t| (t.major, t.path.display().to_string()))
            .collect();
    }

    /// Whether suggesting HSA_OVERRIDE_GFX_VERSION is out: the log names the variable already
    /// (a leftover may be the cause), or it comes from Windows, where the HIP SDK does not run
    /// on ROCr and ignores the variable.
    pub fn override_unusable(&self) -> bool {
        self.override_named.is_some() || self.windows.is_some()
    }

    /// The first override (the log's before the snapshot's).
    pub fn the_override(&self) -> Option<&OverrideSeen> {
        self.overrides.first()
    }

    /// The GPU's hardware target and where it was seen: the snapshot's first GPU, else the
    /// first GPU name in the log that is not the override's target (which is what the runtime
    /// reports under an override, not what the hardware is).
    pub fn hardware_gfx(&self) -> Option<(String, Evidence)> {
        if let Some(g) = self.machine_gfx.first() {
            return Some((g.clone(), Evidence::new("snapshot", format!("GPU {g}"))));
        }
        let ov_target = self.the_override().and_then(|o| o.target.as_deref());
        self.gfx
            .iter()
            .find(|m| m.role == GfxRole::Device && Some(m.gfx.as_str()) != ov_target)
            .map(|m| (m.gfx.clone(), self.evidence(m.line)))
    }

    /// The log line where `gfx` is named as a build target, if any.
    pub fn built_for(&self, gfx: &str) -> Option<usize> {
        self.gfx
            .iter()
            .find(|m| m.role == GfxRole::Build && m.gfx == gfx)
            .map(|m| m.line)
    }

    /// Majors of the ROCm versions seen (deduplicated, in order).
    pub fn rocm_majors(&self) -> Vec<(u32, Option<usize>)> {
        let mut out: Vec<(u32, Option<usize>)> = Vec::new();
        for (v, l) in &self.rocm {
            if let Some(m) = v.split('.').next().and_then(|m| m.parse().ok()) {
                if !out.iter().any(|(x, _)| *x == m) {
                    out.push((m, *l));
                }
            }
        }
        out
    }

    /// Evidence quoting log line `n` (1-based), cut to 240 characters.
    pub fn evidence(&self, n: usize) -> Evidence {
        let text = self.lines.get(n - 1).copied().unwrap_or("").trim();
        let says = match text.char_indices().nth(240) {
            Some((at, _)) => format!("{}…", &text[..at]),
            None => text.to_owned(),
        };
        Evidence::new(format!("log line {n}"), says)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gfx_roles_and_override() {
        let log = "Hardware: AMD Radeon RX 6800M (gfx1031)\n\
                   Framework: PyTorch (built with PYTORCH_ROCM_ARCH=gfx1031)\n\
                   rocBLAS error: Could not load /opt/rocm-6.0.0/lib/rocblas/library/TensileLibrary_lazy_gfx1030.dat\n\
                   MIOPEN_FIND_ENFORCE=3 HSA_OVERRIDE_GFX_VERSION=10.3.0 MIOpenDriver conv\n\
                   amdgcn-amd-amdhsa--gfx1151 gfx11-generic gfx_v12_0";
        let c = Context::new(log, None);
        let roles: Vec<(&str, GfxRole)> = c.gfx.iter().map(|m| (m.gfx.as_str(), m.role)).collect();
        assert_eq!(
            roles,
            [
                ("gfx1031", GfxRole::Device),
                ("gfx1031", GfxRole::Build),
                ("gfx1030", GfxRole::File),
                ("gfx1151", GfxRole::Device),
            ]
        );
        let o = c.the_override().unwrap();
        assert_eq!(
            (o.value.as_str(), o.target.as_deref(), o.line),
            ("10.3.0", Some("gfx1030"), Some(4))
        );
        assert_eq!(c.hardware_gfx().unwrap().0, "gfx1031");
        assert_eq!(c.built_for("gfx1031"), Some(2));
        assert_eq!(c.rocm_majors(), [(6, Some(3))]);
        assert_eq!(c.miopen, Some(4));
        assert_eq!(c.evidence(1).source, "log line 1");
    }

    #[test]
    fn versions_devices_and_places() {
        let log = "# hip-runtime-amd-6.4.43483.60401-83.el9.x86_64\n\
                   /opt/rocm-6.4.1/lib/libamdhip64.so.6\n\
                   OSError: libamdhip64.so.7: cannot open shared object file\n\
                   Device 1: AMD Radeon 780M, compute capability 11.0, VMM: no\n\
                   current device: 1, in function stream\n\
                   docker run --group-add daemon rocm/pytorch\n\
                   & \"C:\\Program Files\\AMD\\ROCm\\7.1\\bin\\hipInfo.exe\"";
        let c = Context::new(log, None);
        assert_eq!(c.rocm_majors(), [(6, Some(1))]);
        assert_eq!(c.hip_sonames, [(6, 2)]);
        assert_eq!(c.devices[0].name, "AMD Radeon 780M");
        assert_eq!(c.current_device, Some((1, 5)));
        assert_eq!((c.container, c.windows), (Some(6), Some(7)));
    }

    #[test]
    fn rocminfo_names_the_hardware_under_an_override() {
        let log = "HSA_OVERRIDE_GFX_VERSION=10.3.0\n  Name:                    gfx1030\n  \
                   Marketing Name:          AMD Radeon RX 5500 XT\n";
        let c = Context::new(log, None);
        let hw = c.hardware_gfx().map(|h| h.0);
        assert_eq!(
            hw.as_deref(),
            super::super::names::gfx_of_marketing("AMD Radeon RX 5500 XT").as_deref()
        );
        assert_ne!(hw.as_deref(), Some("gfx1030"));
        assert_eq!(
            super::super::names::gfx_of_pci("skipped device 1002:7340, PCI").as_deref(),
            Some("gfx1012")
        );
    }

    #[test]
    fn the_snapshot_adds_the_machine() {
        let demo = crate::demo::snapshot();
        let c = Context::new("nothing here", Some(&demo));
        assert_eq!(c.hardware_gfx().unwrap().0, "gfx1010");
        assert_eq!(c.the_override().unwrap().value, "10.3.0");
        assert!(c.toolchains.iter().any(|(m, _)| *m == 16));
        assert_eq!(c.rocm_majors().first().map(|r| r.0), Some(7));
    }
}
