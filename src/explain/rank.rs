//! Orders the findings of a log and says how sure the verdict is.
//!
//! Evidence adds up per category (the strongest finding plus a share of the others), so
//! several weak hits for one cause can outweigh one strong hit for another. The primary
//! finding is the best of the best category; the best finding of each other category follows
//! in order (the alternatives), then the rest. Red herrings (messages healthy runs print too)
//! are named as such and come last; they are primary only when nothing else is in the log.
//! Every finding gets three evidence rows: its confidence, what would settle it, and the next
//! command to run.

use super::Ranked;
use crate::diagnose::{Category, Evidence, Finding};
use crate::knowledge::signatures::Signature;

/// Share of a further finding's score added to its category's best.
const CATEGORY_SHARE: f64 = 0.35;
/// At most this much is added to a category's best score.
const CATEGORY_CAP: f64 = 30.0;
/// Findings that only say "a ROCm error happened": never high confidence.
const GENERIC: &[&str] = &["rocm-status-error", "rocm-failure-unclassified"];

/// Evidence sources of the rows added here.
pub(crate) const CONFIDENCE: &str = "explain: confidence";
pub(crate) const SETTLE: &str = "explain: would settle it";
pub(crate) const NEXT: &str = "explain: next command";
pub(crate) const RED_HERRING: &str = "explain: red herring";

/// What would settle a verdict of `c`, and the command that shows it.
fn settle_and_next(c: Category) -> (&'static str, &'static str) {
    match c {
        Category::ArchOverrideNeeded => (
            "Whether one run with the stand-in override succeeds (and the GPU's own target)",
            "HSA_OVERRIDE_GFX_VERSION=<stand-in, e.g. 10.3.0> <the failing command>; rocminfo | grep -E 'Name: +gfx'",
        ),
        Category::MissingKernelsForArch => (
            "The GPU's gfx target next to the targets the failing library or wheel was built for",
            "rocminfo | grep -E 'Name: +gfx'; rocm-doctor inspect /path/to/the/failing/library.so",
        ),
        Category::ArchOverrideWrong => (
            "The GPU's own target (rocminfo's Marketing Name) next to the HSA_OVERRIDE_GFX_VERSION in effect",
            "env | grep HSA_OVERRIDE; rocminfo | grep -E 'Name: +gfx|Marketing Name'",
        ),
        Category::GpuMemoryFault => (
            "Whether the fault follows one kernel or solver, or any workload; the page-fault lines of dmesg",
            "sudo dmesg | grep -iE 'amdgpu|page fault|gcvm' | tail -40",
        ),
        Category::DriverKfdAccess => (
            "Who owns /dev/kfd and /dev/dri/renderD*, the user's groups, and whether amdgpu is loaded",
            "ls -l /dev/kfd /dev/dri; id; lsmod | grep amdgpu",
        ),
        Category::PcieAtomics => (
            "The kfd line of dmesg and the AtomicOps capabilities of the PCIe path",
            "sudo dmesg | grep -i kfd; sudo lspci -vvv | grep -i atomicops",
        ),
        Category::RuntimeLibraryMissing => (
            "Which library the loader cannot load and where the installed ROCm keeps it",
            "ldconfig -p | grep -E 'amdhip64|hsa-runtime64|rocblas'; rocm-doctor check",
        ),
        Category::VersionMismatchFrameworkVsRuntime => (
            "The ROCm the framework was built for next to the ROCm installed",
            "python -c 'import torch; print(torch.__version__, torch.version.hip)'; ls -d /opt/rocm*",
        ),
        Category::BitcodeVersionSkew => (
            "The LLVM that wrote the bitcode next to the LLVM that reads it",
            "llvm-bcanalyzer -dump FILE.bc | grep -m1 -A3 IDENTIFICATION",
        ),
        Category::DeviceLibMissing => (
            "Where the compiler looks for the device libraries, and whether they are there",
            "ls /opt/rocm/amdgcn/bitcode /opt/rocm/lib/llvm/lib/clang/*/lib/amdgcn/bitcode 2>&1 | head",
        ),
        Category::CompilerError => (
            "The full compiler command, its version and the target",
            "/opt/rocm/llvm/bin/clang --version",
        ),
        Category::MiopenFailure => (
            "MIOpen's log of the failing solver or kernel build",
            "MIOPEN_ENABLE_LOGGING=1 MIOPEN_LOG_LEVEL=6 <the failing command>",
        ),
        Category::OutOfMemory => (
            "The GPU's VRAM/GTT size and what else holds GPU memory",
            "rocm-smi --showmeminfo vram gtt",
        ),
        Category::HangTimeout => (
            "dmesg around the hang (ring timeouts, resets, MES) with the kernel and firmware versions",
            "sudo dmesg | grep -iE 'amdgpu|timeout|reset|mes' | tail -60; uname -r",
        ),
        Category::InstallPackageConflict => (
            "The package manager's first error and the package sources in use",
            "apt-cache policy rocm-core amdgpu-dkms; dpkg -l | grep -E 'rocm|hip|amdgpu'",
        ),
        Category::DeviceVisibility => (
            "Which GPUs the runtime lists and the *_VISIBLE_DEVICES in effect",
            "rocminfo | grep -E 'Name: +gfx|Marketing Name'; env | grep VISIBLE_DEVICES",
        ),
        Category::Other => (
            "A check of the machine the log came from",
            "rocm-doctor check",
        ),
    }
}

struct Entry {
    finding: Finding,
    score: f64,
    first_line: usize,
    red_herring: bool,
    sig: &'static Signature,
}

/// Orders `ranked` (finding, only red herrings pointed at it, its signature) and adds the
/// confidence, settle and next-command rows.
pub(crate) fn order(ranked: Vec<(Ranked, bool, &'static Signature)>) -> Vec<Finding> {
    // One finding per code: the best score, all evidence.
    let mut entries: Vec<Entry> = Vec::new();
    for (r, red, sig) in ranked {
        match entries
            .iter_mut()
            .find(|e| e.finding.code == r.finding.code)
        {
            Some(e) => {
                e.finding.evidence.extend(r.finding.evidence);
                e.score = e.score.max(f64::from(r.priority));
                e.first_line = e.first_line.min(r.first_line);
                e.red_herring &= red;
            }
            None => entries.push(Entry {
                score: f64::from(r.priority),
                first_line: r.first_line,
                red_herring: red,
                finding: r.finding,
                sig,
            }),
        }
    }
    // A generic finding whose every line a specific finding explains adds nothing.
    let lines_of = |f: &Finding| -> Vec<String> {
        f.evidence
            .iter()
            .filter(|e| e.source.starts_with("log line "))
            .map(|e| e.source.clone())
            .collect()
    };
    let specific: Vec<String> = entries
        .iter()
        .filter(|e| !e.red_herring && !GENERIC.contains(&e.finding.code.as_str()))
        .flat_map(|e| lines_of(&e.finding))
        .collect();
    let any_specific = entries
        .iter()
        .any(|e| !e.red_herring && !GENERIC.contains(&e.finding.code.as_str()));
    entries.retain(|e| {
        !GENERIC.contains(&e.finding.code.as_str())
            || !any_specific
            || (e.finding.code != "rocm-failure-unclassified"
                && !lines_of(&e.finding).iter().all(|l| specific.contains(l)))
    });
    // Category scores over the findings that are not red herrings.
    let mut cats: Vec<(Category, f64)> = Vec::new();
    for c in Category::ALL {
        let mut scores: Vec<f64> = entries
            .iter()
            .filter(|e| !e.red_herring && e.finding.category == c)
            .map(|e| e.score)
            .collect();
        if scores.is_empty() {
            continue;
        }
        scores.sort_by(|a, b| b.total_cmp(a));
        let rest: f64 = scores[1..].iter().sum();
        cats.push((c, scores[0] + (rest * CATEGORY_SHARE).min(CATEGORY_CAP)));
    }
    let cat_score = |c: Category| cats.iter().find(|x| x.0 == c).map_or(0.0, |x| x.1);
    entries.sort_by(|a, b| {
        a.red_herring
            .cmp(&b.red_herring)
            .then(cat_score(b.finding.category).total_cmp(&cat_score(a.finding.category)))
            .then(b.score.total_cmp(&a.score))
            .then(a.first_line.cmp(&b.first_line))
    });
    // The best of each category first, in category order; then the rest.
    let mut firsts: Vec<Entry> = Vec::new();
    let mut rest: Vec<Entry> = Vec::new();
    for e in entries {
        let new = !e.red_herring
            && !firsts
                .iter()
                .any(|f| f.finding.category == e.finding.category);
        if new {
            firsts.push(e)
        } else {
            rest.push(e)
        }
    }
    firsts.extend(rest);
    let top = firsts
        .first()
        .filter(|e| !e.red_herring)
        .map_or(0.0, |e| cat_score(e.finding.category));
    let primary_cat = firsts.first().map(|e| e.finding.category);
    let runner_up = firsts
        .iter()
        .filter(|e| !e.red_herring && Some(e.finding.category) != primary_cat)
        .map(|e| {
            (
                e.finding.category,
                e.finding.code.clone(),
                cat_score(e.finding.category),
            )
        })
        .next();
    let mut out = Vec::new();
    for (i, mut e) in firsts.into_iter().enumerate() {
        let f = &mut e.finding;
        let score = cat_score(f.category);
        let generic = GENERIC.contains(&f.code.as_str());
        let confidence = if e.red_herring {
            f.evidence.push(Evidence::new(
                RED_HERRING,
                "healthy runs print this too: it is not the cause of a failure",
            ));
            "low".to_owned()
        } else if i == 0 {
            let margin = runner_up.as_ref().map_or(top, |r| top - r.2);
            let level = if generic || top < 25.0 {
                "low"
            } else if top >= 55.0 && margin >= 15.0 {
                "high"
            } else {
                "medium"
            };
            match &runner_up {
                Some((c, code, s)) => format!(
                    "{level}: evidence {top:.0} for {}, next most likely {} ({code}, {s:.0})",
                    f.category.as_str(),
                    c.as_str()
                ),
                None => format!("{level}: evidence {top:.0}, no other cause in the log"),
            }
        } else if Some(f.category) == primary_cat {
            format!(
                "{}: supports the primary finding (same category, evidence {score:.0})",
                if generic { "low" } else { "medium" }
            )
        } else {
            let level = if !generic && score >= 0.75 * top {
                "medium"
            } else {
                "low"
            };
            format!("{level}: an alternative (evidence {score:.0} against {top:.0} for the primary finding)")
        };
        f.evidence.push(Evidence::new(CONFIDENCE, confidence));
        let (settle, next) = if f.code == e.sig.code {
            let (s, n) = settle_and_next(f.category);
            (
                e.sig.settle.clone().unwrap_or_else(|| s.to_owned()),
                e.sig.next.clone().unwrap_or_else(|| n.to_owned()),
            )
        } else {
            let (s, n) = settle_and_next(f.category);
            (s.to_owned(), n.to_owned())
        };
        if !e.red_herring {
            f.evidence.push(Evidence::new(SETTLE, settle));
            f.evidence.push(Evidence::new(NEXT, next));
        }
        // Rules may quote a line a signature already quoted.
        let mut seen: Vec<(String, String)> = Vec::new();
        f.evidence.retain(|ev| {
            let key = (ev.source.clone(), ev.says.clone());
            let fresh = !seen.contains(&key);
            seen.push(key);
            fresh
        });
        out.push(e.finding);
    }
    out
}
