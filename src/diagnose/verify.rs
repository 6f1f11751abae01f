//! Findings from a saved `verify` run (`verify --out FILE`, then `check --verify FILE`): what the
//! conv2d smoke matrix actually did on the GPU outranks what the files suggest.

use super::{Category, Evidence, Finding, Layer, Remedy, Severity};
use crate::verify::{CaseResult, Outcome, Report};

/// Codes these findings use.
pub const CODES: &[&str] = &[
    "verify-passed",
    "verify-hsa-error",
    "verify-crash",
    "verify-hang",
    "verify-wrong-result",
    "verify-exception",
    "verify-no-torch",
    "verify-no-gpu",
];

/// One finding per kind of failure in `report` (or one `verify-passed` when all passed).
pub fn findings(report: &Report, file: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let failed: Vec<&CaseResult> = report
        .cases
        .iter()
        .filter(|c| c.outcome != Outcome::Pass)
        .collect();
    if failed.is_empty() && !report.cases.is_empty() {
        out.push(finding(
            "verify-passed",
            Category::Other,
            Severity::Info,
            format!("conv2d smoke test passed ({} cases)", report.cases.len()),
            Vec::new(),
            file,
            "The GPU ran every convolution of the matrix and matched the CPU.",
        ));
        return out;
    }
    for outcome in [
        Outcome::NoGpu,
        Outcome::NoTorch,
        Outcome::HsaError,
        Outcome::Crash,
        Outcome::Hang,
        Outcome::WrongResult,
        Outcome::Exception,
    ] {
        let cases: Vec<&CaseResult> = failed
            .iter()
            .copied()
            .filter(|c| c.outcome == outcome)
            .collect();
        if cases.is_empty() {
            continue;
        }
        let (code, category, severity, why) = match outcome {
            Outcome::NoGpu => ("verify-no-gpu", Category::DriverKfdAccess, Severity::Error, "PyTorch imported but saw no GPU: torch.cuda.is_available() is False (device access, a CPU-only wheel, or a runtime that found no supported agent)."),
            Outcome::NoTorch => ("verify-no-torch", Category::RuntimeLibraryMissing, Severity::Warning, "The interpreter used has no torch: nothing was tested on the GPU."),
            Outcome::HsaError => ("verify-hsa-error", Category::GpuMemoryFault, Severity::Error, "The ROCm runtime aborted the GPU queue; an aperture violation or memory fault means a kernel touched memory it may not."),
            Outcome::Crash => ("verify-crash", Category::GpuMemoryFault, Severity::Error, "The process died from a signal during the convolution."),
            Outcome::Hang => ("verify-hang", Category::HangTimeout, Severity::Error, "The convolution did not finish before the timeout; the process group was killed."),
            Outcome::WrongResult => ("verify-wrong-result", Category::Other, Severity::Error, "The GPU returned results that differ from the CPU's beyond the tolerance: silent corruption, worse than a crash."),
            Outcome::Exception | Outcome::Pass => ("verify-exception", Category::Other, Severity::Error, "Python raised an exception in the convolution."),
        };
        let evidence = cases
            .iter()
            .take(4)
            .map(|c| {
                let mut says = c.outcome.as_str().to_owned();
                for extra in [&c.hsa_error, &c.signal, &c.exception, &c.detail]
                    .into_iter()
                    .flatten()
                {
                    says.push_str(&format!(": {extra}"));
                }
                Evidence::new(format!("verify: {}", c.name), says)
            })
            .collect();
        let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
        out.push(finding(
            code,
            category,
            severity,
            format!(
                "conv2d smoke test: {} in {} of {} cases ({})",
                outcome.as_str(),
                cases.len(),
                report.cases.len(),
                names.join(", ")
            ),
            evidence,
            file,
            why,
        ));
    }
    out
}

fn finding(
    code: &str,
    category: Category,
    severity: Severity,
    title: String,
    mut evidence: Vec<Evidence>,
    file: &str,
    why: &str,
) -> Finding {
    evidence.insert(0, Evidence::new(file, "saved rocm-doctor verify run"));
    let remedies = if severity == Severity::Info {
        Vec::new()
    } else {
        vec![
            Remedy::new(
                "Explain the failing case's output",
                "the stderr tail names the runtime error; explain maps it to a cause",
            )
            .command("rocm-doctor verify --case <name> 2>&1 | rocm-doctor explain -"),
            Remedy::new("See the ranked solutions", "").command("rocm-doctor plan"),
        ]
    };
    Finding {
        code: code.into(),
        category,
        severity,
        title,
        evidence,
        why: why.into(),
        layer: Layer::Runtime,
        other_layers: "The smoke test observes; which layer to fix follows from the other findings and explain's reading of the error".into(),
        remedies,
        sources: Vec::new(),
    }
}
