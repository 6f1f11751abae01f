//! What the plan needs from a snapshot, read once: the GPU planned for, the override that is
//! set, what the installed PyTorch and ROCm carry, the Python and toolchains there are, the
//! distribution family, and what blocks every candidate (driver, device access).

use crate::diagnose::Context;
use crate::knowledge::gfx_support::{self, GfxSupport, Override, Verdict};
use crate::model::{Finding, Layer, Severity};
use crate::probe::python::EnvKind;
use crate::snapshot::Snapshot;

/// Where ROCm's installer docs warn that an iGPU can crash the runtime even when hidden.
const IGPU_WARNING: &str = "https://rocm.docs.amd.com/projects/install-on-linux/en/docs-6.3.1/install/install-methods/amdgpu-installer/amdgpu-installer-ol.html";

/// The machine as the plan sees it, or why there is nothing to plan for.
pub(super) enum Subject {
    NoGpu,
    UnknownTarget(Option<String>),
    Gpu(Box<Machine>),
}

/// An `HSA_OVERRIDE_GFX_VERSION` in effect for the planned GPU.
pub(super) struct SetOverride {
    pub value: String,
    /// The file or source that sets it.
    pub source: String,
    /// The target the runtime then reports.
    pub reports: Option<String>,
}

/// A PyTorch seen, and the gfx code its libraries carry.
pub(super) struct TorchSeen {
    pub version: String,
    pub targets: Vec<String>,
}

/// A ROCm install seen.
pub(super) struct InstallSeen {
    pub path: String,
    /// `7.0.2` (the build number dropped), when known.
    pub version: Option<String>,
    /// `opt`, `debian`, `fedora`, `pip`.
    pub layout: String,
    pub rocblas_gfx: Vec<String>,
    /// LLVM major and producer string of its device libraries.
    pub device_libs: Option<(u32, String, String)>,
}

/// The distribution family, and what says so.
pub(super) enum Distro {
    Debian(&'static str),
    Fedora(&'static str),
    Unknown,
}

pub(super) struct Machine {
    /// Processor name of the planned GPU (`gfx1010`).
    pub gfx: String,
    pub name: Option<String>,
    pub row: Option<&'static GfxSupport>,
    pub set_override: Option<SetOverride>,
    pub torches: Vec<TorchSeen>,
    pub installs: Vec<InstallSeen>,
    /// `major.minor` of the Python holding PyTorch, else of the system Python.
    pub python: Option<String>,
    /// LLVM toolchains: major, path, flavor.
    pub toolchains: Vec<(u32, String, String)>,
    pub container_engine: bool,
    pub distro: Distro,
    pub blockers: Vec<String>,
    pub notes: Vec<String>,
    /// `ROCR_VISIBLE_DEVICES` that keeps only the planned GPU in the runtime, when another GPU
    /// (an iGPU) sits beside it.
    pub visible_devices: Option<String>,
    /// An error finding at a layer system packages change (runtime, libraries, toolchain):
    /// only then may a plan replace the installed ROCm.
    pub rocm_error: Option<String>,
}

fn major_minor(v: &str) -> String {
    v.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// Reads the snapshot (findings add driver-level blockers).
pub(super) fn read(snapshot: &Snapshot, findings: &[Finding]) -> Subject {
    let ctx = Context::new(snapshot);
    let gpus = ctx.compute_gpus();
    let Some(first) = gpus.first() else {
        return Subject::NoGpu;
    };
    let Some(gfx) = first.gfx_target.as_deref() else {
        return Subject::UnknownTarget(first.marketing_name.clone());
    };
    let gfx = gfx_support::processor_of(gfx).to_owned();
    let node: Option<u32> = first.node.as_deref().and_then(|n| n.parse().ok());
    let env = &snapshot.env;
    let set_override = env
        .overrides
        .iter()
        .find(|o| o.node.is_some() && o.node == node)
        .or_else(|| env.overrides.iter().find(|o| o.node.is_none()))
        .map(|o| SetOverride {
            value: o.value.clone(),
            source: env.source.clone(),
            reports: o.reports.present().cloned(),
        });

    let mut torches = Vec::new();
    let mut python = None;
    for e in &snapshot.python.environments {
        for sp in &e.site_packages {
            let Some(t) = sp.torch.present() else {
                continue;
            };
            let version = t.version_py.present().map(|v| v.version.clone());
            torches.push(TorchSeen {
                version: version.unwrap_or_else(|| "unknown".into()),
                targets: t.gpu_targets.clone(),
            });
            python = python.or(sp.python_version.clone().or(e.python_version.clone()));
        }
    }
    let system_python = snapshot
        .python
        .environments
        .iter()
        .find(|e| e.kind == EnvKind::System)
        .and_then(|e| e.python_version.clone());
    let python = python.or(system_python).map(|v| major_minor(&v));

    let installs: Vec<InstallSeen> = snapshot
        .rocm
        .installs
        .iter()
        .map(|i| InstallSeen {
            path: i.path.clone(),
            version: i
                .version
                .present()
                .map(|v| v.split('-').next().unwrap_or(v).to_owned()),
            layout: i.layout.clone(),
            rocblas_gfx: i
                .components
                .rocblas_kernels
                .present()
                .map(|k| k.gfx.clone())
                .unwrap_or_default(),
            device_libs: i
                .device_libs
                .iter()
                .find_map(|d| Some((d.llvm_major?, d.producer.present()?.clone(), d.path.clone()))),
        })
        .collect();

    let deb_python = snapshot.python.environments.iter().any(|e| {
        e.site_packages
            .iter()
            .any(|s| s.path.contains("/dist-packages"))
    });
    let distro = if installs.iter().any(|i| i.layout == "debian") {
        Distro::Debian("ROCm libraries in Debian's multiarch directory")
    } else if installs.iter().any(|i| i.layout == "fedora") {
        Distro::Fedora("ROCm libraries in /usr/lib64, Fedora's layout")
    } else if deb_python {
        Distro::Debian("Python's Debian-only dist-packages directory")
    } else {
        Distro::Unknown
    };

    // Problems that no candidate changes: the driver, KFD and device access.
    let mut blockers: Vec<String> = snapshot
        .gpu
        .problems
        .iter()
        .chain(&snapshot.access.problems)
        .filter(|p| {
            let l = p.to_ascii_lowercase();
            l.contains("kfd") || l.contains("driver") || l.contains("/dev/dri")
        })
        .cloned()
        .collect();
    for f in findings {
        if f.severity == Severity::Error && matches!(f.layer, Layer::Driver | Layer::Hardware) {
            blockers.push(format!("{} [{}]", f.title, f.code));
        }
    }
    blockers.dedup();

    let mut notes = Vec::new();
    if let Some(o) = &set_override {
        notes.push(format!(
            "HSA_OVERRIDE_GFX_VERSION={} is set ({}): the runtime reports {}.",
            o.value,
            o.source,
            o.reports.as_deref().unwrap_or("an unreadable target")
        ));
    }
    for g in ctx
        .gpus
        .iter()
        .filter(|g| g.node != first.node || g.source != first.source)
    {
        let other = g.gfx_target.as_deref().unwrap_or("an unknown target");
        let apu = if g.is_apu == Some(true) {
            ", integrated"
        } else {
            ""
        };
        notes.push(format!(
            "Also seen: {other} ({}{apu}). The plan is for {gfx}; a global HSA_OVERRIDE_GFX_VERSION applies to every GPU, and ROCm's installer docs warn an iGPU can crash the runtime even when hidden ({IGPU_WARNING}).",
            g.marketing_name.as_deref().unwrap_or("no name")
        ));
    }

    // ROCr numbers GPU agents in KFD node order; the planned GPU's index among them keeps it
    // alone in the runtime.
    let mut nodes: Vec<u32> = ctx
        .gpus
        .iter()
        .filter_map(|g| g.node.as_deref()?.parse().ok())
        .collect();
    nodes.sort_unstable();
    nodes.dedup();
    let other_apu = ctx
        .gpus
        .iter()
        .any(|g| g.node != first.node && g.is_apu == Some(true));
    let visible_devices = match node {
        Some(n) if other_apu && first.is_apu != Some(true) && nodes.len() > 1 => {
            nodes.iter().position(|&x| x == n).map(|i| i.to_string())
        }
        _ => None,
    };

    let rocm_error = findings
        .iter()
        .find(|f| {
            f.severity == Severity::Error
                && matches!(
                    f.layer,
                    Layer::Runtime | Layer::LibraryBuild | Layer::CompilerToolchain
                )
        })
        .map(|f| f.code.clone());

    Subject::Gpu(Box::new(Machine {
        visible_devices,
        rocm_error,
        row: gfx_support::target(&gfx),
        gfx,
        name: first.marketing_name.clone(),
        set_override,
        torches,
        installs,
        python,
        toolchains: snapshot
            .toolchains
            .iter()
            .map(|t| (t.major, t.path.display().to_string(), t.flavor.clone()))
            .collect(),
        container_engine: !snapshot.access.container_engines.is_empty(),
        distro,
        blockers,
        notes,
    }))
}

impl Machine {
    /// Fills what every candidate's setup shares: the GPU, the runtime target under its
    /// override, and the visible-devices setting that keeps an iGPU out (for the candidates
    /// that set an environment).
    pub fn complete(&self, c: &mut super::Candidate) {
        use crate::model::Solution;
        c.setup.gfx = self.gfx.clone();
        c.setup.override_value = c
            .env
            .iter()
            .find_map(|e| e.strip_prefix("HSA_OVERRIDE_GFX_VERSION="))
            .map(str::to_owned);
        c.setup.runtime_target = c
            .setup
            .override_value
            .as_deref()
            .and_then(|v| crate::probe::env::override_target(v).into_present())
            .unwrap_or_else(|| self.gfx.clone());
        let sets_env = matches!(
            c.solution,
            Solution::Env | Solution::Venv | Solution::Container | Solution::NativeBuild
        );
        if let (true, true, Some(d)) = (sets_env, c.is_offered(), &self.visible_devices) {
            c.setup.visible_devices = Some(d.clone());
            let var = format!("ROCR_VISIBLE_DEVICES={d}");
            if !c.env.contains(&var) {
                c.env.push(var);
            }
        }
    }

    /// Whether the code PyTorch (or, without PyTorch, the system rocBLAS) loads carries `gfx`.
    pub fn carries(&self, gfx: &str) -> bool {
        if self.torches.is_empty() {
            self.installs
                .iter()
                .any(|i| i.rocblas_gfx.iter().any(|g| g == gfx))
        } else {
            self.torches
                .iter()
                .any(|t| t.targets.iter().any(|g| g == gfx))
        }
    }

    /// The override stand-in the knowledge base has for this target.
    pub fn stand_in(&self) -> Option<&'static Override> {
        self.row.and_then(|r| r.stand_in.as_ref())
    }

    /// The verdict on the override that is set, when it is this target's known stand-in.
    pub fn set_override_verdict(&self) -> Option<Verdict> {
        let (set, known) = (self.set_override.as_ref()?, self.stand_in()?);
        (set.value == known.value).then_some(known.verdict)
    }

    /// Whether PyTorch was seen anywhere.
    pub fn uses_pytorch(&self) -> bool {
        !self.torches.is_empty()
    }

    /// Whether a ROCm outside pip wheels is installed.
    pub fn system_rocm(&self) -> bool {
        self.installs.iter().any(|i| i.layout != "pip")
    }

    /// The change that removes an override this GPU should not run with, if one is set.
    pub fn override_cleanup(&self) -> Option<String> {
        let o = self.set_override.as_ref()?;
        if o.reports.as_deref() == Some(self.gfx.as_str()) {
            return None;
        }
        let why = match (self.set_override_verdict(), self.stand_in()) {
            (Some(Verdict::Unsafe), Some(s)) => {
                format!("reported unsafe on {} ({})", self.gfx, s.source)
            }
            _ => format!("not needed with code built for {}", self.gfx),
        };
        Some(format!(
            "Remove HSA_OVERRIDE_GFX_VERSION={} from {}: {why}.",
            o.value, o.source
        ))
    }

    /// Nothing to change: own target carried, no override to another, no blocker or error.
    pub fn ready(&self, findings: &[Finding]) -> bool {
        let own_target = self
            .set_override
            .as_ref()
            .is_none_or(|o| o.reports.as_deref() == Some(self.gfx.as_str()));
        // Scan problems (a dangling link) count only when a rule made an error of them.
        self.carries(&self.gfx)
            && own_target
            && self.blockers.is_empty()
            && !findings.iter().any(|f| f.severity == Severity::Error)
    }
}
