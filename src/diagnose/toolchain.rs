//! Rules: ROCm releases side by side. ROCm's device libraries (`ocml.bc`, …) are LLVM bitcode
//! written by the release's own LLVM: an older LLVM cannot read them, and AMD keeps them in
//! step with its own compiler, so a source build should use the LLVM that wrote them. And the
//! settings that pick a release (`/opt/rocm`, ROCM_PATH, LD_LIBRARY_PATH, ld.so.conf.d) should
//! agree on one.
//!
//! The snapshot holds each bitcode directory's producer string, not the records its files use,
//! so readers are judged by LLVM major here (LLVM reads bitcode of older releases; an older
//! reader refuses records newer than itself). `rocm-doctor inspect --readers` judges the
//! records of a file.

use std::cmp::Ordering;
use std::path::Path;

use super::libraries::{finding, installs_in_use, remedy, wanted};
use super::{Category, Context, Evidence, Finding, Layer, Severity};
use crate::knowledge::bitcode::reads_by_major;
use crate::knowledge::gfx_support::{self, Support};
use crate::model::Solution;
use crate::probe::rocm::{DeviceLibs, RocmInstall};
use crate::probe::toolchain::Toolchain;
use crate::snapshot::Snapshot;

/// Codes these rules emit.
pub const CODES: &[&str] = &[
    "bitcode-newer-than-toolchain",
    "no-toolchain-for-source-build",
    "rocm-releases-mixed",
];

const READ_ERROR: &str = "https://github.com/llvm/llvm-project/issues/84479";
const BACKWARD: &str = "https://llvm.org/docs/DeveloperPolicy.html#ir-backwards-compatibility";
const MUST_MATCH: &str = "https://github.com/ROCm/ROCm-Device-Libs/issues/96";
const CLANG18_FAILS: &str = "https://github.com/ROCm/ROCm-Device-Libs/issues/108";
const LLVM22_FAILS: &str = "https://github.com/ROCm/llvm-project/issues/1517";
const DEVICE_LIB_PATH: &str = "https://reviews.llvm.org/D97340";
const DEBIAN_LLVM: &str = "https://packages.debian.org/it/source/sid/rocm-llvm";
const FEDORA_LLVM: &str = "https://packages.fedoraproject.org/pkgs/rocm-compilersupport";
const POST_INSTALL: &str =
    "https://rocm.docs.amd.com/projects/install-on-linux/en/docs-6.2.2/install/post-install.html";
const MULTI_VERSION: &str = "https://rocm.docs.amd.com/projects/install-on-linux/en/latest/install/native-install/multi-version-install.html";
const MIXED_LIBS: &str = "https://github.com/ROCm/pytorch/issues/1340";

/// Adds this area's findings.
pub(super) fn rules(ctx: &Context, out: &mut Vec<Finding>) {
    let s = ctx.snapshot;
    for inst in &s.rocm.installs {
        for dl in &inst.device_libs {
            if let Some(p) = dl.llvm_major {
                newer_than_toolchain(s, inst, dl, p, out);
            }
        }
    }
    let mut hws: Vec<&str> = wanted(ctx).iter().filter_map(|w| w.hw).collect();
    hws.sort_unstable();
    hws.dedup();
    for inst in installs_in_use(s) {
        let dl = inst.device_libs.iter().find(|d| d.llvm_major.is_some());
        if let Some((dl, p)) = dl.and_then(|d| Some((d, d.llvm_major?))) {
            source_build(s, inst, dl, p, &hws, out);
        }
    }
    mixed(s, out);
}

/// The install's own LLVM (`/opt/rocm-7.0.2/llvm`, or reached through `/opt/rocm`).
fn own(t: &Toolchain, inst: &RocmInstall) -> bool {
    let mut roots = std::iter::once(&inst.path).chain(&inst.aliases);
    t.flavor == "rocm" && roots.any(|p| t.path.starts_with(Path::new(p)))
}

fn label(t: &Toolchain, inst: &RocmInstall) -> String {
    let whose = if own(t, inst) {
        ", this ROCm's own"
    } else {
        ""
    };
    format!("LLVM {} ({}{whose})", t.major, t.flavor)
}

fn sample(dl: &DeviceLibs) -> String {
    dl.sample
        .present()
        .cloned()
        .unwrap_or_else(|| dl.path.clone())
}

fn producer(dl: &DeviceLibs) -> &str {
    dl.producer
        .present()
        .map_or("an unknown producer", String::as_str)
}

fn newer_than_toolchain(
    s: &Snapshot,
    inst: &RocmInstall,
    dl: &DeviceLibs,
    p: u32,
    out: &mut Vec<Finding>,
) {
    let tcs = &s.toolchains;
    let cannot: Vec<&Toolchain> = tcs
        .iter()
        .filter(|t| !own(t, inst) && !reads_by_major(t.major, p))
        .collect();
    if cannot.is_empty() {
        return;
    }
    let any_reads = tcs.iter().any(|t| reads_by_major(t.major, p));
    let severity = if any_reads {
        Severity::Warning
    } else {
        Severity::Error
    };
    let head = (
        Category::BitcodeVersionSkew,
        severity,
        Layer::CompilerToolchain,
    );
    let majors: Vec<String> = cannot.iter().map(|t| t.major.to_string()).collect();
    let title = format!(
        "LLVM {} cannot read the LLVM {p} device libraries of {}",
        majors.join(", "),
        inst.path
    );
    let mut f = finding("bitcode-newer-than-toolchain", head, title);
    let says = format!(
        "{} .bc files written by {} ({})",
        dl.bc_files,
        producer(dl),
        sample(dl)
    );
    f.evidence.push(Evidence::new(&dl.path, says));
    for t in tcs {
        let verdict = match t.major.cmp(&p) {
            Ordering::Less => "cannot read them (older major)",
            Ordering::Equal => "reads them (same major)",
            Ordering::Greater => "reads them (newer major), but is not their compiler",
        };
        let says = format!("{}: {verdict}", label(t, inst));
        f.evidence
            .push(Evidence::new(t.path.display().to_string(), says));
    }
    let mut all: Vec<u32> = tcs.iter().map(|t| t.major).chain([p]).collect();
    all.sort_unstable();
    all.dedup();
    let all: Vec<String> = all.iter().map(u32::to_string).collect();
    f.why = format!(
        "Compiling HIP code from source (MIOpen, rocBLAS, a PyTorch extension) links these device \
         libraries into every kernel. An LLVM older than the one that wrote them stops at the \
         first record it does not know (\"Unknown attribute kind\", \"Invalid attribute group \
         entry\"). This verdict compares LLVM majors only; `rocm-doctor inspect --readers {} {}` \
         judges the records the file uses. Prebuilt libraries and running programs are not \
         affected.",
        all.join(","),
        sample(dl)
    );
    if !any_reads {
        f.why.push_str(" No LLVM installed here can read them.");
    }
    f.other_layers = "The bitcode format is fixed when the device libraries are built: no \
                      environment variable, driver or framework changes which LLVM reads it. \
                      Compiler and device libraries have to come from one release."
        .into();
    let matching = tcs
        .iter()
        .filter(|t| t.major == p)
        .min_by_key(|t| !own(t, inst));
    f.remedies.push(match matching {
        Some(t) => {
            let title = format!("Build with {}: {}", t.path.display(), label(t, inst));
            let detail = "The compiler that wrote the device libraries reads and matches them.";
            let cmd = format!(
                "cmake -DCMAKE_C_COMPILER={0}/bin/clang -DCMAKE_CXX_COMPILER={0}/bin/clang++ …",
                t.path.display()
            );
            remedy(title, detail, Some(Solution::SourceBuild), MUST_MATCH).command(cmd)
        }
        None => {
            let title = format!("Install the LLVM {p} that ships with {}", inst.path);
            let detail = "Then build with it (see no-toolchain-for-source-build).";
            remedy(title, detail, Some(Solution::Packages), MUST_MATCH)
        }
    });
    // An older toolchain can still build against the device libraries of its own release.
    for t in &cannot {
        for other in &s.rocm.installs {
            let Some(d) = other
                .device_libs
                .iter()
                .find(|d| d.llvm_major == Some(t.major))
            else {
                continue;
            };
            let title = format!(
                "Or use LLVM {0} with the LLVM {0} release in {1}",
                t.major, other.path
            );
            let detail = "Only with that release's headers and runtime as well (--rocm-path).";
            let cmd = format!(
                "{}/bin/clang++ --rocm-path={} --rocm-device-lib-path={} …",
                t.path.display(),
                other.path,
                d.path
            );
            f.remedies.push(
                remedy(title, detail, Some(Solution::SourceBuild), DEVICE_LIB_PATH).command(cmd),
            );
        }
    }
    f.sources = vec![
        READ_ERROR.into(),
        BACKWARD.into(),
        MUST_MATCH.into(),
        CLANG18_FAILS.into(),
    ];
    out.push(f);
}

fn source_build(
    s: &Snapshot,
    inst: &RocmInstall,
    dl: &DeviceLibs,
    p: u32,
    hws: &[&str],
    out: &mut Vec<Finding>,
) {
    let matching = s.toolchains.iter().any(|t| t.major == p);
    // Targets LLVM `p` is known not to accept, with the page that says which LLVM added them.
    let unknown: Vec<(&str, &str)> = (hws.iter())
        .filter_map(|h| gfx_support::target(h))
        .filter(|g| g.first_llvm.accepted_by(p) == Support::No)
        .map(|g| (g.gfx.as_str(), g.llvm_source.as_str()))
        .collect();
    if matching && unknown.is_empty() {
        return;
    }
    let title = if matching {
        let list: Vec<&str> = unknown.iter().map(|u| u.0).collect();
        format!(
            "LLVM {p} of {} does not know {}",
            inst.path,
            list.join(", ")
        )
    } else {
        format!(
            "No LLVM {p} toolchain is installed for the device libraries of {}",
            inst.path
        )
    };
    let head = (
        Category::CompilerError,
        Severity::Info,
        Layer::CompilerToolchain,
    );
    let mut f = finding("no-toolchain-for-source-build", head, title);
    f.evidence.push(Evidence::new(
        &dl.path,
        format!("written by {}", producer(dl)),
    ));
    if s.toolchains.is_empty() {
        let looked = "/usr/lib/llvm-*, /usr/lib64/llvm*, /opt/rocm*/llvm";
        f.evidence
            .push(Evidence::new(looked, "no LLVM toolchain found"));
    }
    for t in &s.toolchains {
        f.evidence
            .push(Evidence::new(t.path.display().to_string(), label(t, inst)));
    }
    f.why = format!(
        "This matters only for building MIOpen, rocBLAS or extensions from source. Such a build \
         should use the LLVM {p} that wrote these device libraries: AMD keeps the two in step, \
         and other pairs fail (ROCm 6.0.2's device libraries with clang 18, 7.2.0's with LLVM \
         21 and 22)."
    );
    for (gfx, _) in &unknown {
        f.why
            .push_str(&format!(" LLVM {p} does not accept {gfx} as a target."));
    }
    f.other_layers = "Only the compiler matters here: prebuilt libraries, the runtime and the \
                      driver are unaffected."
        .into();
    if !matching {
        let (title, detail, src) = match inst.layout.as_str() {
            "debian" => (
                format!("Install clang-{p} and llvm-{p}"),
                "Debian builds its device libraries with its own clang of that major.",
                DEBIAN_LLVM,
            ),
            "fedora" => (
                "Install rocm-clang and rocm-llvm".to_owned(),
                "Fedora's ROCm compiler packages match its device libraries.",
                FEDORA_LLVM,
            ),
            _ => (
                format!(
                    "Install the LLVM of this ROCm release (into {}/llvm)",
                    inst.path
                ),
                "From the same repository as the rest of that release.",
                MUST_MATCH,
            ),
        };
        f.remedies
            .push(remedy(title, detail, Some(Solution::Packages), src));
    }
    for (gfx, src) in &unknown {
        let title = format!("Build for {gfx} with a ROCm release whose LLVM knows it");
        let detail = "A container of that release keeps this install as it is.";
        f.remedies
            .push(remedy(title, detail, Some(Solution::Container), src));
    }
    f.sources = vec![MUST_MATCH.into(), CLANG18_FAILS.into(), LLVM22_FAILS.into()];
    out.push(f);
}

fn mixed(s: &Snapshot, out: &mut Vec<Finding>) {
    let r = &s.rocm;
    if r.mixed.is_empty() {
        return;
    }
    let head = (
        Category::InstallPackageConflict,
        Severity::Warning,
        Layer::Environment,
    );
    let title = format!(
        "Settings point at {} different ROCm installs",
        r.mixed.len()
    );
    let mut f = finding("rocm-releases-mixed", head, title);
    for e in &r.env {
        let Some(i) = &e.install else { continue };
        let found = r.installs.iter().find(|x| &x.path == i);
        let v = found
            .and_then(|x| x.version.present())
            .map_or("version unknown", |v| v.as_str());
        f.evidence
            .push(Evidence::new(&e.source, format!("{} → {i} ({v})", e.path)));
    }
    f.why = "One process can then load the HIP runtime of one release and rocBLAS, MIOpen or \
             their kernel files of another: missing symbols, \"Could not load \
             TensileLibrary_….dat\" aborts, or crashes that depend on what loads first."
        .into();
    f.other_layers = "Each install is fine by itself; reinstalling either does not help while \
                      the settings name both. The settings are the fix."
        .into();
    let keep = r.opt_rocm.present().unwrap_or(&r.mixed[0]);
    let title = format!("Make every setting name one release ({keep})");
    let detail = "ROCM_PATH, HIP_PATH, LD_LIBRARY_PATH and /etc/ld.so.conf.d/rocm.conf should \
                  all lead to it; run ldconfig after editing the last.";
    f.remedies
        .push(remedy(title, detail, Some(Solution::Env), POST_INSTALL));
    let detail = "With one install left nothing can mix; side-by-side releases stay apart only \
                  when every path is chosen explicitly.";
    f.remedies.push(remedy(
        "Remove the release you do not use",
        detail,
        Some(Solution::Packages),
        MULTI_VERSION,
    ));
    f.sources = vec![POST_INSTALL.into(), MULTI_VERSION.into(), MIXED_LIBS.into()];
    out.push(f);
}
