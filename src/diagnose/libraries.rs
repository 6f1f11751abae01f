//! Rules: do the GPU libraries in use carry kernels for the GPU's effective (runtime) target:
//! rocBLAS's Tensile files and hipBLASLt's kernels (of the ROCm install and of torch wheels),
//! MIOpen's precompiled kernel database. Also the helpers python.rs and toolchain.rs share.

use super::{Category, Context, Evidence, Finding, Layer, Remedy, Severity};
use crate::knowledge::gfx_support::{self, processor_of, Verdict};
use crate::knowledge::wheels;
use crate::model::Solution;
use crate::probe::python::Torch;
use crate::probe::rocm::{gfx_in_name, KernelDir, RocmInstall};
use crate::snapshot::{GpuView, Observed, Snapshot};

/// Codes these rules emit.
pub const CODES: &[&str] = &[
    "rocblas-lacks-gpu-target",
    "miopen-db-lacks-gpu-target",
    "hipblaslt-lacks-gpu-target",
];

const ROCBLAS_SPLIT: &str = "https://github.com/ROCm/rocBLAS/issues/1267";
const ROCBLAS_ERROR: &str = "https://github.com/ROCm/legacy-rocm-build/issues/3015";
const ROCBLAS_GFX101X: &str = "https://github.com/ROCm/rocBLAS/issues/1331";
const MIOPEN_KDB: &str = "https://rocm.docs.amd.com/projects/MIOpen/en/latest/driver.html";
const MIOPEN_CACHE: &str = "https://rocm.docs.amd.com/projects/MIOpen/en/latest/cache.html";
const TORCH_FALLBACK: &str =
    "https://github.com/pytorch/pytorch/blob/main/aten/src/ATen/Context.cpp";
const TORCH_FALLBACK_MSG: &str = "https://github.com/pytorch/pytorch/issues/138067";
const HIPBLASLT_GFX10: &str = "https://github.com/ROCm/hipBLASLt/issues/648";

/// A target libraries must carry: the GPU's hardware target and what the runtime reports.
pub(super) struct Want<'a> {
    /// The hardware's gfx target, when known.
    pub hw: Option<&'a str>,
    /// What the runtime reports once overrides apply: the code objects it looks for.
    pub rt: &'a str,
    /// The GPU (the first one with this pair).
    pub gpu: &'a GpuView,
}

/// The distinct (hardware, runtime) target pairs of the compute GPUs whose runtime target is
/// known.
pub(super) fn wanted<'a>(ctx: &'a Context) -> Vec<Want<'a>> {
    let mut v: Vec<Want> = Vec::new();
    for g in ctx.compute_gpus() {
        let (Some(rt), hw) = (g.runtime_target.as_deref(), g.gfx_target.as_deref()) else {
            continue;
        };
        if !v.iter().any(|w| w.rt == rt && w.hw == hw) {
            v.push(Want { hw, rt, gpu: g });
        }
    }
    v
}

/// Whether `list` names the processor of `gfx` (features such as `:xnack-` ignored).
pub(super) fn has_gfx(list: &[String], gfx: &str) -> bool {
    list.iter().any(|g| processor_of(g) == processor_of(gfx))
}

/// Where the GPU was seen and, under an override, what made the runtime report another target.
pub(super) fn gpu_evidence(s: &Snapshot, w: &Want) -> Vec<Evidence> {
    let g = w.gpu;
    let source = match (g.source.as_str(), g.node.as_deref()) {
        ("kfd", Some(n)) => format!("/sys/class/kfd/kfd/topology/nodes/{n}/properties"),
        ("rocminfo", _) => "rocminfo text".to_owned(),
        _ => "/sys/bus/pci/devices (PCI id table)".to_owned(),
    };
    let name = g.marketing_name.as_deref().unwrap_or("AMD GPU");
    let hw = w.hw.unwrap_or("target unknown");
    let mut v = vec![Evidence::new(source, format!("{name}: {hw}"))];
    if w.hw != Some(w.rt) {
        for o in &s.env.overrides {
            if o.reports.present().map(String::as_str) == Some(w.rt) {
                let says = format!("{}={}: the runtime reports {}", o.var, o.value, w.rt);
                v.push(Evidence::new(
                    format!("environment ({})", s.env.source),
                    says,
                ));
            }
        }
    }
    v
}

/// The ROCm installs a process is likely to load: the only one, or those a setting points at
/// plus distro and pip layouts (on the loader's default path, or loaded by their wheel).
pub(super) fn installs_in_use(s: &Snapshot) -> Vec<&RocmInstall> {
    let r = &s.rocm;
    let pointed = |i: &RocmInstall| r.env.iter().any(|e| e.install.as_deref() == Some(&i.path));
    let many = r.installs.len() > 1;
    r.installs
        .iter()
        .filter(|i| !many || i.layout != "opt" || pointed(i))
        .collect()
}

/// A finding with the given head and nothing else yet.
pub(super) fn finding(
    code: &str,
    (category, severity, layer): (Category, Severity, Layer),
    title: String,
) -> Finding {
    Finding {
        code: code.to_owned(),
        category,
        severity,
        title,
        evidence: Vec::new(),
        why: String::new(),
        layer,
        other_layers: String::new(),
        remedies: Vec::new(),
        sources: Vec::new(),
    }
}

/// A remedy; `fix` and `source` may be empty.
pub(super) fn remedy(
    title: impl Into<String>,
    detail: &str,
    fix: Option<Solution>,
    source: &str,
) -> Remedy {
    let mut r = Remedy::new(title, detail);
    r.fix = fix;
    if !source.is_empty() {
        r = r.source(source);
    }
    r
}

/// Builds outside AMD's releases that carry the hardware target, then running on the CPU.
pub(super) fn native_and_cpu_remedies(hw: Option<&str>) -> Vec<Remedy> {
    let mut v = Vec::new();
    if let Some(t) = hw.and_then(gfx_support::target) {
        for b in &t.native_builds {
            let title = format!("Use a build that carries {} code: {}", t.gfx, b.name);
            let detail = "Built outside AMD's releases for this exact target: no override.";
            v.push(remedy(
                title,
                detail,
                Some(Solution::NativeBuild),
                &b.source,
            ));
        }
    }
    let cpu = "Slow, but nothing on the GPU side can fail.";
    v.push(remedy(
        "Run on the CPU meanwhile",
        cpu,
        Some(Solution::CpuFallback),
        "",
    ));
    v
}

/// The stand-in override, when it is reported to work and `available` has its target.
pub(super) fn stand_in_remedy(hw: Option<&str>, rt: &str, available: &[String]) -> Option<Remedy> {
    let o = gfx_support::target(hw?)?.stand_in.as_ref()?;
    let usable = o.verdict == Verdict::Works && o.stands_in != rt;
    (usable && has_gfx(available, &o.stands_in)).then(|| {
        let title = format!("Set HSA_OVERRIDE_GFX_VERSION={}", o.value);
        remedy(title, &o.detail, Some(Solution::Env), &o.source)
            .command(format!("export HSA_OVERRIDE_GFX_VERSION={}", o.value))
    })
}

/// The newest official PyTorch wheel index whose torch carries `rt`.
pub(super) fn wheel_remedy(rt: &str) -> Option<Remedy> {
    let i = wheels::indexes_with(rt).into_iter().last()?;
    let title = format!("Install PyTorch from {} (it carries {rt})", i.name);
    let detail = "In a fresh venv, so the current install stays as it is.";
    Some(
        remedy(title, detail, Some(Solution::Venv), &i.source)
            .command(format!("pip install torch --index-url {}", i.url)),
    )
}

/// A directory of per-target kernel files, of a system install or of a torch wheel.
struct Files<'a> {
    path: String,
    gfx: &'a [String],
    /// The install, or `None` for a torch wheel's bundled copy.
    install: Option<&'a RocmInstall>,
    owner: String,
    /// For a torch wheel, its own kernels' targets: where those lack the target,
    /// torch-lacks-gpu-target says so already and this directory is not judged.
    torch_targets: Option<&'a [String]>,
}

impl<'a> Files<'a> {
    fn of_install(inst: &'a RocmInstall, kd: &'a KernelDir) -> Files<'a> {
        let (path, gfx, owner) = (kd.path.clone(), &kd.gfx[..], inst.path.clone());
        Files {
            path,
            gfx,
            install: Some(inst),
            owner,
            torch_targets: None,
        }
    }

    fn of_torch(t: &'a Torch, sub: &str, gfx: &'a Observed<Vec<String>>) -> Option<Files<'a>> {
        let path = format!("{}/lib/{sub}/library", t.dir);
        let owner = format!("the torch wheel at {}", t.dir);
        let torch_targets = Some(&t.gpu_targets[..]);
        Some(Files {
            path,
            gfx: gfx.present()?,
            install: None,
            owner,
            torch_targets,
        })
    }

    /// Whether the directory should carry `rt` and does not.
    fn lacks(&self, rt: &str) -> bool {
        let torch_has = self
            .torch_targets
            .is_none_or(|t| t.is_empty() || has_gfx(t, rt));
        torch_has && !has_gfx(self.gfx, rt)
    }

    fn evidence(&self, what: &str, rt: &str) -> Evidence {
        let listed = if self.gfx.is_empty() {
            "no target".to_owned()
        } else {
            self.gfx.join(", ")
        };
        Evidence::new(&self.path, format!("{what} for {listed}; none for {rt}"))
    }
}

/// Adds this area's findings.
pub(super) fn rules(ctx: &Context, out: &mut Vec<Finding>) {
    let s = ctx.snapshot;
    let wants = wanted(ctx);
    let (mut blas, mut lt) = (Vec::new(), Vec::new());
    for inst in installs_in_use(s) {
        let c = &inst.components;
        let (k, l) = (c.rocblas_kernels.present(), c.hipblaslt_kernels.present());
        blas.extend(k.map(|k| Files::of_install(inst, k)));
        lt.extend(l.map(|l| Files::of_install(inst, l)));
        if c.miopen.present().is_some_and(|v| !v.is_empty()) {
            for w in &wants {
                miopen(ctx, inst, w, out);
            }
        }
    }
    let sps = s.python.environments.iter().flat_map(|e| &e.site_packages);
    for t in sps.filter_map(|sp| sp.torch.present()) {
        blas.extend(Files::of_torch(t, "rocblas", &t.rocblas_targets));
        lt.extend(Files::of_torch(t, "hipblaslt", &t.hipblaslt_targets));
    }
    for w in &wants {
        blas.iter().for_each(|f| rocblas(ctx, f, w, out));
        lt.iter().for_each(|f| hipblaslt(ctx, f, w, out));
    }
}

fn rocblas(ctx: &Context, files: &Files, w: &Want, out: &mut Vec<Finding>) {
    if !files.lacks(w.rt) {
        return;
    }
    let head = (
        Category::MissingKernelsForArch,
        Severity::Error,
        Layer::LibraryBuild,
    );
    let title = format!(
        "rocBLAS of {} has no Tensile kernels for {}",
        files.owner, w.rt
    );
    let mut f = finding("rocblas-lacks-gpu-target", head, title);
    f.evidence = gpu_evidence(ctx.snapshot, w);
    f.evidence.push(files.evidence("Tensile files", w.rt));
    f.why = format!(
        "rocBLAS loads one Tensile library per GPU target (TensileLibrary_<gfx>.dat and its code \
         objects). With none for {rt}, the first matrix multiply aborts with \"rocBLAS error: \
         Cannot read …/TensileLibrary.dat: No such file or directory for GPU arch : {rt}\".",
        rt = w.rt
    );
    if let Some(hw) = w.hw.filter(|h| *h != w.rt && has_gfx(files.gfx, h)) {
        let note = " The override causes the miss: files for the hardware's own {hw} are here.";
        f.why.push_str(&note.replace("{hw}", hw));
    }
    f.other_layers = "The kernels are compiled into the library's files: no environment \
                      variable, driver or framework setting adds them. Only another rocBLAS \
                      build, or another target reported by the runtime, changes this."
        .into();
    match files.install {
        Some(inst) => {
            for other in &ctx.snapshot.rocm.installs {
                let k = other.components.rocblas_kernels.present();
                if other.path != inst.path && k.is_some_and(|k| has_gfx(&k.gfx, w.rt)) {
                    let title =
                        format!("Load the ROCm of {} (its rocBLAS has {})", other.path, w.rt);
                    let detail = "Every ROCm library then comes from that one release.";
                    let cmd = format!("export LD_LIBRARY_PATH={}/lib", other.path);
                    f.remedies
                        .push(remedy(title, detail, Some(Solution::Env), "").command(cmd));
                }
            }
        }
        None => f.remedies.extend(wheel_remedy(w.rt)),
    }
    f.remedies.extend(stand_in_remedy(w.hw, w.rt, files.gfx));
    let title = format!("Build rocBLAS (Tensile) for {}", w.hw.unwrap_or(w.rt));
    let detail = "rocBLAS's install script takes the target list (-a); expect hours.";
    f.remedies.push(remedy(
        title,
        detail,
        Some(Solution::SourceBuild),
        ROCBLAS_GFX101X,
    ));
    f.remedies.extend(native_and_cpu_remedies(w.hw));
    f.sources = vec![
        ROCBLAS_SPLIT.into(),
        ROCBLAS_ERROR.into(),
        ROCBLAS_GFX101X.into(),
    ];
    out.push(f);
}

fn miopen(ctx: &Context, inst: &RocmInstall, w: &Want, out: &mut Vec<Finding>) {
    let db = inst.components.miopen_db.present();
    // A kernel database is `<gfx>_<CUs>.kdb`; a snapshot without names has only targets.
    let has_kdb = db.is_some_and(|kd| match kd.names.is_empty() {
        true => has_gfx(&kd.gfx, w.rt),
        false => kd
            .names
            .iter()
            .any(|n| n.ends_with(".kdb") && gfx_in_name(n).as_deref() == Some(w.rt)),
    });
    if has_kdb {
        return;
    }
    let head = (
        Category::MiopenFailure,
        Severity::Warning,
        Layer::LibraryBuild,
    );
    let title = format!(
        "MIOpen of {} has no precompiled kernels (kdb) for {}",
        inst.path, w.rt
    );
    let mut f = finding("miopen-db-lacks-gpu-target", head, title);
    f.evidence = gpu_evidence(ctx.snapshot, w);
    f.evidence.push(match db {
        Some(kd) => Files::of_install(inst, kd).evidence("MIOpen databases", w.rt),
        None => Evidence::new(
            format!("{}/share/miopen/db", inst.path),
            "no such directory",
        ),
    });
    f.why = format!(
        "MIOpen still works: it compiles each convolution kernel for {} the first time it is \
         needed and caches it in ~/.cache/miopen. First runs of a network are slower (minutes \
         for large ones); later runs are not.",
        w.rt
    );
    f.other_layers = "The kdb only saves compile time; nothing at another layer replaces it, and \
                      nothing is broken without it."
        .into();
    let title = format!(
        "Install MIOpen's kernel package for {}, if one exists",
        w.rt
    );
    let detail = "AMD publishes kdb packages for some targets only.";
    let cmd = format!("sudo apt-get install miopen-hip-{}kdb", w.rt);
    f.remedies
        .push(remedy(title, detail, Some(Solution::Packages), MIOPEN_KDB).command(cmd));
    let title = "Keep ~/.cache/miopen between runs (in containers, as a volume)";
    let detail = "Compiled kernels are reused: the cost is paid once per kernel.";
    f.remedies.push(remedy(title, detail, None, MIOPEN_CACHE));
    f.sources = vec![MIOPEN_KDB.into(), MIOPEN_CACHE.into()];
    out.push(f);
}

fn hipblaslt(ctx: &Context, files: &Files, w: &Want, out: &mut Vec<Finding>) {
    if !files.lacks(w.rt) {
        return;
    }
    let head = (
        Category::MissingKernelsForArch,
        Severity::Info,
        Layer::LibraryBuild,
    );
    let title = format!("hipBLASLt of {} has no kernels for {}", files.owner, w.rt);
    let mut f = finding("hipblaslt-lacks-gpu-target", head, title);
    f.evidence = gpu_evidence(ctx.snapshot, w);
    f.evidence.push(files.evidence("hipBLASLt kernels", w.rt));
    f.why = "hipBLASLt is built for a few targets only. PyTorch checks the GPU before using it \
             and falls back to hipBLAS/rocBLAS (warning \"Attempting to use hipBLASLt on an \
             unsupported architecture! Overriding blas backend to hipblas\"): some matrix \
             shapes run slower, none fail. Programs that call hipBLASLt directly get no kernels."
        .into();
    f.other_layers = "The kernels are compiled into hipBLASLt's files; no setting adds them. \
                      rocBLAS is the path that works here."
        .into();
    let title = "Nothing to do for PyTorch; to skip the attempt and its warning, prefer rocBLAS";
    let detail = "PyTorch then goes straight to hipBLAS/rocBLAS.";
    let r = remedy(title, detail, Some(Solution::Env), TORCH_FALLBACK_MSG);
    f.remedies
        .push(r.command("export TORCH_BLAS_PREFER_HIPBLASLT=0"));
    f.sources = vec![
        TORCH_FALLBACK.into(),
        TORCH_FALLBACK_MSG.into(),
        HIPBLASLT_GFX10.into(),
    ];
    out.push(f);
}
