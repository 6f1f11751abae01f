//! The candidates that build or bypass GPU code: `native-build` (TheRock's per-GPU wheels, or
//! lamikr's whole-stack builder), `source-build` (rocBLAS and MIOpen for the exact target with
//! the LLVM that wrote the device libraries), `cpu-fallback` (opt-in) and `binary-patch`
//! (always declined).

use super::candidates::{claim_evidence, stand_in_evidence};
use super::machine::Machine;
use super::{Candidate, Effort, Estimate, Evidence, Level, Speed, Stability, Verdict};
use crate::knowledge::gfx_support::{rocm_line, Support};
use crate::knowledge::{rocm, stacks, therock};
use crate::model::Solution;

const THEROCK_MIOPEN_NO_CK: &str = "https://github.com/ROCm/TheRock/blob/89553ce3746eda74ade42557470d25e37c91b6f0/ml-libs/CMakeLists.txt";
const LAMIKR_README: &str = "https://github.com/lamikr/rocm_sdk_builder/blob/a8d8dc06ba90b5128a33c3d9cc2795a8e228ba10/README.md";
const ROCBLAS_CMAKE: &str = "https://github.com/ROCm/rocm-libraries/blob/05ecf2875ac3720a9f32fa7f741809efdd644019/projects/rocblas/CMakeLists.txt";
/// rocBLAS's `TARGET_LIST_ROCM_7.0`, the targets its CMake accepts for ROCm 7.0.
const ROCBLAS_TARGETS: &[&str] = &[
    "gfx900", "gfx906", "gfx908", "gfx90a", "gfx942", "gfx950", "gfx1010", "gfx1012", "gfx1030",
    "gfx1100", "gfx1101", "gfx1102", "gfx1150", "gfx1151", "gfx1200", "gfx1201",
];
const MIOPEN_INSTALL: &str = "https://github.com/ROCm/MIOpen/blob/2d1fd997a6fcf801ac4ca7a63e0656ef1cb9f488/docs/install/install.rst";
/// AMD's own script cloning ROCm/rocBLAS at the `rocm-7.0.2` tag.
const ROCBLAS_TAG: &str = "https://github.com/AMD-AGI/Primus-SaFE/blob/50556d7b5b0b2f3126a8c20de3a1e7a46f93d5f8/Bench/preflight/install/install_roc_blas.sh";

/// `native-build`: TheRock's wheels for the target, else lamikr's builder.
pub(super) fn native_build(m: &Machine) -> Candidate {
    let builds = m
        .row
        .map(|r| r.native_builds.as_slice())
        .unwrap_or_default();
    let mut ev: Vec<Evidence> = builds
        .iter()
        .map(|b| {
            Evidence::new(
                b.name.clone(),
                format!("builds {}", m.gfx),
                b.source.clone(),
            )
        })
        .collect();
    let lamikr = builds.iter().find(|b| b.name.starts_with("lamikr"));
    if builds.iter().any(|b| b.name.starts_with("TheRock")) {
        let g = &m.gfx;
        let mut c = Candidate::new(
            Solution::NativeBuild,
            format!("TheRock's torch with the device-{g} extra, in a new venv"),
        );
        let ready = therock::READY.contains(&g.as_str());
        ev.push(Evidence::new(
            "TheRock SUPPORTED_GPUS.md",
            if ready {
                format!("{g} on Linux: build passing, sanity tested, release ready")
            } else {
                format!("{g} on Linux: not marked sanity tested and release ready")
            },
            therock::SUPPORTED,
        ));
        ev.push(Evidence::new("TheRock RELEASES.md", format!("pip install \"torch[device-{g}]\" from the multi-arch index; nightly packages may be unstable"), therock::RELEASES));
        c.evidence = ev;
        (c.stability, c.stability_why) = if ready {
            (
                Stability::Tested,
                format!(
                    "TheRock marks {g} build passing, sanity tested and release ready on Linux"
                ),
            )
        } else {
            (Stability::Unverified, format!("TheRock marks {g} only build passing, which it says does not mean the runtime works"))
        };
        let out = super::default_out(Solution::NativeBuild);
        let spec = therock::extra(g)
            .map(|(_, e)| format!("torch[{e}]"))
            .unwrap_or_else(|| format!("torch[device-{g}]"));
        c.changes.push(format!("A new venv {out}/venv-therock with TheRock's torch and ROCm wheels; no system package changes."));
        c.changes.extend(m.override_cleanup());
        c.steps = vec![
            format!("rocm-doctor fix native-build --out {out}   (writes setup-therock.sh and env.sh; --apply runs them)"),
            format!("python3 -m venv {out}/venv-therock   (Python 3.10 to 3.14)"),
            format!("{out}/venv-therock/bin/pip install --index-url {} \"{spec}\"", therock::INDEX),
            format!("rocm-doctor verify --python {out}/venv-therock/bin/python"),
        ];
        c.setup.pip = vec![spec];
        c.setup.index_url = Some(therock::INDEX.to_owned());
        c.setup.venv_dir = Some("venv-therock".into());
        c.time = Estimate::of(Effort::Download, "pip downloads torch and the per-GPU device packages; their sizes are not recorded here");
        (c.complexity, c.gpu_speed, c.risk) = (Level::Low, Speed::Native, Level::Medium);
        c.risk_why = "nightly packages that TheRock says may be unstable; some libraries are left out for some targets".into();
        if let Some(l) = lamikr {
            c.notes.push(format!("Alternative: {} builds the whole stack for {g}; its README says a build usually takes 5-10 hours ({LAMIKR_README}).", l.name));
        }
        return c;
    }
    let Some(l) = lamikr else {
        let why = format!("no native build read (TheRock, lamikr) lists {}", m.gfx);
        return Candidate::not_viable(Solution::NativeBuild, "Native build", why, ev);
    };
    let mut c = Candidate::new(
        Solution::NativeBuild,
        format!("lamikr/rocm_sdk_builder for {}", m.gfx),
    );
    c.evidence = ev;
    c.evidence.push(Evidence::new(
        "lamikr README",
        "usually 5-10 hours to build from scratch",
        LAMIKR_README,
    ));
    (c.stability, c.stability_why) = if l.name.contains("tested") {
        (
            Stability::Tested,
            format!("its README lists {} cards as tested", m.gfx),
        )
    } else {
        (
            Stability::Unverified,
            format!("its README lists {} cards, not as tested", m.gfx),
        )
    };
    c.changes.push(
        "The whole ROCm stack and PyTorch built into /opt/rocm_sdk_612, beside the system ROCm."
            .into(),
    );
    c.changes.extend(m.override_cleanup());
    c.steps = vec![
        "git clone https://github.com/lamikr/rocm_sdk_builder.git && cd rocm_sdk_builder".into(),
        "git checkout releases/rocm_sdk_builder_612".into(),
        "./install_deps.sh".into(),
        format!(
            "./babs.sh -c   # select {} only: every extra target adds build time",
            m.gfx
        ),
        "./babs.sh -i && ./babs.sh -b".into(),
        "source /opt/rocm_sdk_612/bin/env_rocm.sh && rocm-doctor verify".into(),
    ];
    c.time = Estimate {
        kind: Effort::Build,
        value: Some("5-10 h".into()),
        basis: "the README: usually 5-10 hours from scratch, depending on the machine".into(),
        source: Some(LAMIKR_README.into()),
    };
    (c.complexity, c.gpu_speed, c.risk) = (Level::High, Speed::Native, Level::Medium);
    c.risk_why = "a long build that can fail part-way; installs beside the system ROCm".into();
    c.needs_root = true;
    c
}

/// `source-build`: rocBLAS and MIOpen for the exact target, compiled with the LLVM that wrote
/// the installed device libraries (the seed's LLVM conflict: an older reader cannot load them).
pub(super) fn source_build(m: &Machine) -> Candidate {
    let g = m.gfx.as_str();
    let title = format!("rocBLAS and MIOpen built for {g}");
    let Some(inst) = m
        .installs
        .iter()
        .find(|i| i.layout != "pip" && i.device_libs.is_some())
        .or_else(|| m.installs.iter().find(|i| i.layout != "pip"))
    else {
        return Candidate::not_viable(
            Solution::SourceBuild,
            title,
            "no system ROCm to build against: packages (or a native build) come first",
            Vec::new(),
        );
    };
    let release = inst
        .version
        .as_deref()
        .and_then(rocm_line)
        .and_then(|l| rocm::releases().iter().find(|r| r.rocm == l));
    let llvm = inst
        .device_libs
        .as_ref()
        .map(|d| d.0)
        .or(release.map(|r| r.llvm));
    let (Some(llvm), Some(version)) = (llvm, inst.version.as_deref()) else {
        return Candidate::not_viable(Solution::SourceBuild, title, format!("the version or device-library LLVM of {} is unknown, so the compiler to use is too", inst.path), Vec::new());
    };
    if m.row
        .is_some_and(|r| r.first_llvm.accepted_by(llvm) == Support::No)
    {
        return Candidate::not_viable(
            Solution::SourceBuild,
            title,
            format!(
                "LLVM {llvm}, the one {} needs, does not accept {g}",
                inst.path
            ),
            Vec::new(),
        );
    }
    let mut c = Candidate::new(Solution::SourceBuild, title);
    let tc = m
        .toolchains
        .iter()
        .filter(|t| t.0 == llvm)
        .max_by_key(|t| t.2 == "rocm");
    let cxx = match tc {
        Some(t) => format!("{}/bin/clang++", t.1),
        None => {
            c.notes.push(format!("No LLVM {llvm} toolchain was seen: install ROCm {version}'s own LLVM (the rocm-llvm package) first."));
            format!("{}/llvm/bin/clang++", inst.path)
        }
    };
    let producer = inst.device_libs.as_ref().map_or_else(
        || format!("LLVM {llvm} (by release)"),
        |d| format!("{} in {}", d.1, d.2),
    );
    c.stability_why =
        format!("build with {cxx}: LLVM {llvm} wrote the device libraries ({producer})");
    for (major, path, _) in m.toolchains.iter().filter(|t| t.0 < llvm) {
        c.notes.push(format!(
            "Not {path}: LLVM {major} cannot read LLVM {llvm} bitcode."
        ));
    }
    let prefix = format!("$HOME/rocm-{g}");
    let no_ck = m
        .row
        .is_some_and(|r| r.family == "RDNA1" || r.family == "RDNA2");
    c.steps = vec![
        format!("export CXX={cxx}"),
        format!("git clone --depth 1 --branch rocm-{version} https://github.com/ROCm/rocBLAS.git"),
        format!("cmake -S rocBLAS -B build-rocblas -DCMAKE_CXX_COMPILER=$CXX -DCMAKE_PREFIX_PATH={} -DGPU_TARGETS={g} -DCMAKE_INSTALL_PREFIX={prefix}", inst.path),
        "cmake --build build-rocblas && cmake --install build-rocblas".into(),
        format!("git clone https://github.com/ROCm/MIOpen.git   # then check out ROCm {version}'s tag (its name is not verified here)"),
        format!("cmake -S MIOpen -B build-miopen -DMIOPEN_BACKEND=HIP -DCMAKE_CXX_COMPILER=$CXX -DCMAKE_PREFIX_PATH=\"{};{prefix}\"{} -DCMAKE_INSTALL_PREFIX={prefix}", inst.path, if no_ck { " -DMIOPEN_USE_COMPOSABLEKERNEL=OFF" } else { "" }),
        "cmake --build build-miopen && cmake --install build-miopen".into(),
        format!("export LD_LIBRARY_PATH={prefix}/lib:$LD_LIBRARY_PATH"),
    ];
    c.env.push(format!("LD_LIBRARY_PATH={prefix}/lib"));
    c.changes.push(format!(
        "rocBLAS and MIOpen for {g} in {prefix}; {} stays as it is.",
        inst.path
    ));
    c.changes.extend(m.override_cleanup());
    c.evidence.push(Evidence::new("rocBLAS CMakeLists", format!("GPU_TARGETS selects the targets (AMDGPU_TARGETS is deprecated); ROCm 7.0's list {} {g}", if ROCBLAS_TARGETS.contains(&g) { "has" } else { "lacks" }), ROCBLAS_CMAKE));
    c.evidence.push(Evidence::new(
        "MIOpen install docs",
        "export CXX=/opt/rocm/llvm/bin/clang++; cmake -DMIOPEN_BACKEND=HIP",
        MIOPEN_INSTALL,
    ));
    c.evidence.push(Evidence::new(
        "rocBLAS tag",
        "AMD's script clones ROCm/rocBLAS at rocm-7.0.2",
        ROCBLAS_TAG,
    ));
    if let Some(r) = release {
        c.evidence.push(Evidence::new(
            format!("ROCm {}", r.rocm),
            format!("ships LLVM {} ({})", r.llvm, r.producer),
            r.source.clone(),
        ));
    }
    c.evidence
        .extend(claim_evidence("llvm-16-cannot-read-llvm-20-bitcode"));
    if no_ck {
        c.evidence.push(Evidence::new(
            "TheRock MIOpen build",
            "MIOPEN_USE_COMPOSABLEKERNEL=OFF where composable_kernel lacks the target",
            THEROCK_MIOPEN_NO_CK,
        ));
    }
    (c.stability, c.stability_why) = if ROCBLAS_TARGETS.contains(&g) {
        (
            Stability::Unverified,
            format!(
                "rocBLAS's CMake accepts {g}, but no run report of such a build was read; {}",
                c.stability_why
            ),
        )
    } else {
        (
            Stability::Unknown,
            format!("rocBLAS's CMake list lacks {g}; {}", c.stability_why),
        )
    };
    if let Some(bad) = stacks::for_target(g)
        .into_iter()
        .find(|s| s.verdict == stacks::StackVerdict::Bad && s.torch.contains("from source"))
    {
        c.notes.push(format!("PyTorch wheels load their own bundled libraries, so this build serves programs linked against {}; a PyTorch built from source for {g} was reported to fail ({}).", inst.path, bad.source));
        c.evidence.push(Evidence::new(
            format!("stack {}", bad.torch),
            format!("bad: {}", bad.note),
            bad.source.clone(),
        ));
    } else {
        c.notes.push(format!("PyTorch wheels load their own bundled libraries, so this build serves programs linked against {}.", inst.path));
    }
    c.notes
        .push("Assumes cmake, git, python3 and a host C++ toolchain are installed.".into());
    c.time = Estimate {
        kind: Effort::Build,
        value: None,
        basis:
            "no build time for rocBLAS or MIOpen alone was read; lamikr's whole stack takes 5-10 h"
                .into(),
        source: Some(LAMIKR_README.into()),
    };
    (c.complexity, c.gpu_speed, c.risk) = (Level::High, Speed::Native, Level::Medium);
    c.risk_why = format!("programs must be pointed at {prefix}; a build can fail part-way");
    c
}

/// `cpu-fallback`: convolutions on the CPU. Opt-in: never recommended.
pub(super) fn cpu_fallback(m: &Machine) -> Candidate {
    let mut c = Candidate::new(
        Solution::CpuFallback,
        "Run convolutions on the CPU (opt-in)",
    );
    c.changes.push("A small shim in your script moves convolution layers to the CPU; nothing on the system changes.".into());
    c.steps = vec![
        "rocm-doctor fix cpu-fallback --out DIR   # writes the shim".into(),
        "Import the shim before the model is built".into(),
    ];
    c.time = Estimate::of(
        Effort::Edit,
        "a few lines in a script; the slowdown of the work itself is unknown until measured",
    );
    (c.complexity, c.gpu_speed, c.risk) = (Level::Low, Speed::Cpu, Level::Low);
    c.stability_why =
        "no report of this shim was read; the CPU convolutions are PyTorch's own".into();
    c.risk_why = "none on the system; the cost is speed, unknown until measured".into();
    c.notes.push(
        "The seed's \"10x slower\" is unproven (docs/seed-audit.md); measure with your own model."
            .into(),
    );
    if let Some(o) = m.stand_in() {
        c.evidence.push(stand_in_evidence(m, o));
    }
    c
}

/// `binary-patch`: declined, always.
pub(super) fn binary_patch() -> Candidate {
    let mut c = Candidate::new(
        Solution::BinaryPatch,
        "Patch the machine code of vendor libraries",
    );
    c.verdict = Verdict::Declined("editing MIOpen's or HIP's binaries cannot be checked, breaks on every update, and the theory it rests on (MIOpen allocating MTYPE_CC memory RDNA cannot handle) is unproven; see docs/seed-audit.md".into());
    for id in [
        "miopen-uses-mtype-cc-from-6.2",
        "rdna1-2-cannot-handle-mtype-cc",
    ] {
        c.evidence.extend(claim_evidence(id));
    }
    c.time = Estimate::unknown("no patch exists to time");
    (c.complexity, c.risk) = (Level::High, Level::High);
    c.risk_why = "corrupt libraries fail in ways no log explains".into();
    c
}
