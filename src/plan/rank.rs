//! Scores, what each candidate fixes, and the recommendation (the weights are in the module
//! doc of [`super`]).

use super::machine::Machine;
use super::{Candidate, Effort, Level, Speed, Stability, Verdict};
use crate::model::Solution;
use crate::model::{Category, Finding, Layer, Severity};

/// The layers of the stack a solution changes; a finding at one of them is addressed.
fn layers(solution: Solution) -> &'static [Layer] {
    use Layer::*;
    match solution {
        Solution::Env => &[Environment],
        // Wheels and images bring their own ROCm libraries and runtime.
        Solution::Venv | Solution::NativeBuild => {
            &[FrameworkWheel, LibraryBuild, Runtime, Environment]
        }
        Solution::Container => &[
            FrameworkWheel,
            LibraryBuild,
            Runtime,
            CompilerToolchain,
            Environment,
        ],
        Solution::Packages => &[Runtime, LibraryBuild, CompilerToolchain, Environment],
        Solution::SourceBuild => &[LibraryBuild, CompilerToolchain, Environment],
        _ => &[],
    }
}

/// Whether a candidate addresses a finding. Driver and hardware problems are nobody's here.
fn addresses(c: &Candidate, m: &Machine, f: &Finding) -> bool {
    if matches!(f.layer, Layer::Driver | Layer::Hardware) {
        return false;
    }
    // Override findings are settled by what a candidate does with the variable, not its layer.
    match f.category {
        Category::ArchOverrideWrong => {
            return c.solution == Solution::Env
                || m.override_cleanup().is_some_and(|l| c.changes.contains(&l));
        }
        // Another GPU in the runtime is settled only by keeping it out.
        Category::DeviceVisibility if f.layer == Layer::Environment => {
            return c.setup.visible_devices.is_some();
        }
        Category::ArchOverrideNeeded => {
            return c.gpu_speed == Speed::Native
                || c.env
                    .iter()
                    .any(|e| e.starts_with("HSA_OVERRIDE_GFX_VERSION="));
        }
        _ => {}
    }
    match c.solution {
        // An override makes the runtime load code the libraries already carry.
        Solution::Env => {
            f.category == Category::MissingKernelsForArch || f.layer == Layer::Environment
        }
        // It side-steps GPU convolutions rather than fixing them.
        Solution::CpuFallback => matches!(
            f.category,
            Category::GpuMemoryFault | Category::MiopenFailure | Category::HangTimeout
        ),
        s => layers(s).contains(&f.layer),
    }
}

/// Candidates that only serve PyTorch users.
fn pytorch_only(solution: Solution) -> bool {
    matches!(
        solution,
        Solution::Venv | Solution::Container | Solution::NativeBuild
    )
}

/// The score of an offered candidate (0 for the others).
pub(super) fn score(c: &Candidate, m: &Machine, findings: &[Finding]) -> i32 {
    if !c.is_offered() {
        return 0;
    }
    let stability = match c.stability {
        Stability::Official => 40,
        Stability::Tested | Stability::Reported => 30,
        Stability::Unverified => 10,
        Stability::Unknown => 5,
        Stability::Failing => 0,
    };
    let speed = match c.gpu_speed {
        Speed::Native => 20,
        Speed::StandIn => 10,
        Speed::Unknown => 5,
        Speed::Cpu => 0,
    };
    let time = match c.time.kind {
        Effort::InPlace => 20,
        Effort::Edit => 15,
        Effort::Download => 10,
        Effort::Unknown => 5,
        Effort::Build => 0,
    };
    let complexity = match c.complexity {
        Level::Low => 0,
        Level::Medium => -5,
        Level::High => -10,
    };
    let risk = match c.risk {
        Level::Low => 0,
        Level::Medium => -5,
        Level::High => -15,
    };
    let access = -5 * (i32::from(c.needs_root) + i32::from(c.needs_reboot));
    let fixed: i32 = findings
        .iter()
        .filter(|f| c.fixes.contains(&f.code))
        .map(|f| match f.severity {
            Severity::Error => 2,
            Severity::Warning => 1,
            Severity::Info => 0,
        })
        .sum();
    // A machine with a system ROCm and no PyTorch is likely not a PyTorch machine.
    let fit = match (m.uses_pytorch(), m.system_rocm()) {
        (false, true) if c.solution == Solution::Packages => 10,
        (false, true) if pytorch_only(c.solution) => -15,
        _ => 0,
    };
    stability + speed + time + complexity + risk + access + fixed + fit
}

/// Fills `fixes` / `does_not_fix` and the scores, and sorts: offered first, best score first,
/// the opt-in CPU fallback last of them; ties and the rest keep their order.
pub(super) fn score_all(cands: &mut [Candidate], m: &Machine, findings: &[Finding]) {
    let relevant: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .collect();
    for c in cands.iter_mut() {
        if c.is_offered() {
            let (yes, no): (Vec<&&Finding>, Vec<&&Finding>) =
                relevant.iter().partition(|f| addresses(c, m, f));
            c.fixes = yes.iter().map(|f| f.code.clone()).collect();
            c.does_not_fix = no.iter().map(|f| f.code.clone()).collect();
        }
        c.score = score(c, m, findings);
    }
    // The opt-in CPU fallback goes after every other offered candidate.
    cands.sort_by_key(|c| {
        (
            !c.is_offered(),
            c.solution == Solution::CpuFallback,
            -c.score,
        )
    });
}

/// Marks the best offered candidate recommended; the CPU fallback is opt-in, never chosen.
pub(super) fn recommend(cands: &mut [Candidate]) -> Option<Solution> {
    let best = cands
        .iter_mut()
        .find(|c| c.is_offered() && c.solution != Solution::CpuFallback)?;
    best.verdict = Verdict::Recommended;
    Some(best.solution)
}

#[cfg(test)]
mod tests {
    use super::super::{machine, plan, Status};
    use super::*;
    use crate::model::Remedy;

    fn finding(code: &str, category: Category, layer: Layer, severity: Severity) -> Finding {
        Finding {
            code: code.into(),
            category,
            severity,
            title: code.into(),
            evidence: Vec::new(),
            why: String::new(),
            layer,
            other_layers: String::new(),
            remedies: vec![Remedy::new("x", "y")],
            sources: Vec::new(),
        }
    }

    #[test]
    fn demo_recommends_a_build_that_carries_gfx1010() {
        let p = plan(&crate::demo::snapshot(), &[]);
        assert_eq!(p.gpu.as_deref(), Some("gfx1010"));
        assert_eq!(p.status, Status::Change);
        assert_eq!(p.recommended, Some(Solution::NativeBuild));
        assert_eq!(p.candidates[0].verdict, Verdict::Recommended);
        let offered: Vec<&Candidate> = p.candidates.iter().filter(|c| c.is_offered()).collect();
        assert_eq!(
            offered.last().unwrap().solution,
            Solution::CpuFallback,
            "opt-in goes last"
        );
        let ranked = &offered[..offered.len() - 1];
        assert!(ranked.windows(2).all(|w| w[0].score >= w[1].score));
        // 10.3.0 crashes gfx1010 with every build but the old one reported working with it:
        // only that venv sets it (scoped to itself), nothing else does.
        for c in &offered {
            let sets = c.env.iter().any(|e| e.contains("10.3.0"));
            assert_eq!(
                sets,
                c.solution == Solution::Venv,
                "{}: {:?}",
                c.solution,
                c.env
            );
        }
        let venv = p
            .candidates
            .iter()
            .find(|c| c.solution == Solution::Venv)
            .unwrap();
        assert_eq!(venv.setup.torch.as_deref(), Some("1.13.1+rocm5.2"));
        assert_eq!(venv.stability, Stability::Reported);
        let env = p
            .candidates
            .iter()
            .find(|c| c.solution == Solution::Env)
            .unwrap();
        assert!(
            env.is_offered() && env.setup.override_value.is_none(),
            "env only removes it"
        );
        let pk = p
            .candidates
            .iter()
            .find(|c| c.solution == Solution::Packages)
            .unwrap();
        assert!(
            matches!(pk.verdict, Verdict::NotViable(_)),
            "{:?}",
            pk.verdict
        );
        let native = &p.candidates[0];
        assert!(native
            .changes
            .iter()
            .any(|l| l.contains("Remove HSA_OVERRIDE_GFX_VERSION=10.3.0")));
    }

    #[test]
    fn findings_fill_fixes_and_blockers() {
        let snap = crate::demo::snapshot();
        let f = vec![
            finding(
                "torch-lacks-gpu-target",
                Category::MissingKernelsForArch,
                Layer::FrameworkWheel,
                Severity::Error,
            ),
            finding(
                "bitcode-newer-than-toolchain",
                Category::BitcodeVersionSkew,
                Layer::CompilerToolchain,
                Severity::Warning,
            ),
            finding(
                "kfd-not-accessible",
                Category::DriverKfdAccess,
                Layer::Driver,
                Severity::Error,
            ),
        ];
        let p = plan(&snap, &f);
        let get = |s: &str| {
            p.candidates
                .iter()
                .find(|c| c.solution.as_str() == s)
                .unwrap()
        };
        assert_eq!(get("native-build").fixes, ["torch-lacks-gpu-target"]);
        assert_eq!(get("source-build").fixes, ["bitcode-newer-than-toolchain"]);
        assert!(get("source-build")
            .does_not_fix
            .contains(&"torch-lacks-gpu-target".to_owned()));
        assert!(p
            .candidates
            .iter()
            .all(|c| !c.fixes.contains(&"kfd-not-accessible".to_owned())));
        assert!(p.blockers.iter().any(|b| b.contains("kfd-not-accessible")));
        // Not-viable candidates claim nothing.
        assert!(!get("packages").is_offered());
        assert!(get("packages").fixes.is_empty() && get("packages").does_not_fix.is_empty());
    }

    #[test]
    fn scores_follow_the_table() {
        let snap = crate::demo::snapshot();
        let machine::Subject::Gpu(m) = machine::read(&snap, &[]) else {
            panic!("demo has a GPU")
        };
        let p = plan(&snap, &[]);
        let native = p
            .candidates
            .iter()
            .find(|c| c.solution == Solution::NativeBuild)
            .unwrap();
        // tested 30 + native 20 + download 10 + low 0 + medium risk -5, no root.
        assert_eq!(score(native, &m, &[]), 55);
        let mut worse = native.clone();
        worse.needs_root = true;
        worse.risk = Level::High;
        assert_eq!(score(&worse, &m, &[]), 55 - 5 - 10);
        worse.verdict = Verdict::Declined("no".into());
        assert_eq!(score(&worse, &m, &[]), 0);
        let patch = p
            .candidates
            .iter()
            .find(|c| c.solution == Solution::BinaryPatch)
            .unwrap();
        assert!(matches!(patch.verdict, Verdict::Declined(_)) && patch.score == 0);
    }

    #[test]
    fn cpu_fallback_is_never_recommended() {
        let snap = crate::demo::snapshot();
        let mut p = plan(&snap, &[]);
        for c in &mut p.candidates {
            if c.solution != Solution::CpuFallback {
                c.verdict = Verdict::NotViable("test".into());
            } else {
                c.verdict = Verdict::Viable;
            }
        }
        assert_eq!(recommend(&mut p.candidates), None);
    }
}
