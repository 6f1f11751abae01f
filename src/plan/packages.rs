//! `packages`: AMD's packages of the newest ROCm release whose Linux support list names the
//! target (or, for a stand-in reported to work, its stand-in), with the commands of AMD's
//! install docs for the distribution family the snapshot shows.

use super::candidates::{
    newest_official, no_override_reason, official_evidence, stand_in_evidence, WHEELS_BUNDLE,
};
use super::machine::{Distro, Machine};
use super::{Candidate, Effort, Estimate, Evidence, Level, Speed, Stability};
use crate::knowledge::gfx_support::Verdict;
use crate::knowledge::images::Route;
use crate::model::Solution;

/// AMD's Ubuntu package instructions (repository, pin, `apt install rocm`).
const APT_DOC: &str = "https://github.com/ROCm/rocm-install-on-linux/blob/c3325cba8483d34623b394b2785eff8148644efe/docs/install/native-install/ubuntu.rst";
/// AMD's RHEL package instructions.
const RHEL_DOC: &str = "https://github.com/ROCm/rocm-install-on-linux/blob/c3325cba8483d34623b394b2785eff8148644efe/docs/install/native-install/rhel.rst";

/// `packages`: AMD's packages of the newest release that lists the target (or its stand-in).
pub(super) fn packages(m: &Machine) -> Candidate {
    let title = "Pinned ROCm packages";
    let native = newest_official(&m.gfx);
    let stand = m
        .stand_in()
        .filter(|o| o.verdict == Verdict::Works)
        .and_then(|o| Some((o, newest_official(&o.stands_in)?)));
    let (rel, version, route) = match (native, stand) {
        (Some((r, v)), _) => (r, v, Route::Native),
        (None, Some((_, (r, v)))) => (r, v, Route::Override),
        (None, None) => {
            let unread = m
                .row
                .map(|r| r.official_unknown.join(", "))
                .unwrap_or_default();
            let why = format!("no ROCm release's Linux support list read names {} (lines whose lists were not read: {unread}); {}", m.gfx, no_override_reason(m));
            return Candidate::not_viable(Solution::Packages, title, why, official_evidence(m));
        }
    };
    // Never a downgrade, and never a reinstall of the same release, of a ROCm that is there:
    // older packages cannot add support the installed release has, and a healthy stack is
    // left as it is.
    let key = |v: &str| -> Vec<u32> { v.split('.').filter_map(|p| p.parse().ok()).collect() };
    if let Some(newer) = m
        .installs
        .iter()
        .filter(|i| i.layout != "pip")
        .filter_map(|i| i.version.as_deref())
        .find(|have| key(have) >= key(version))
    {
        let why = format!(
            "ROCm {newer} is installed, and {version} is the newest release the knowledge base lists for {} (lines not read: {}): installing it would {} the system ROCm, which cannot add support the installed release lacks",
            m.gfx,
            m.row.map(|r| r.official_unknown.join(", ")).filter(|s| !s.is_empty()).unwrap_or_else(|| "none".into()),
            if key(newer) > key(version) { "downgrade" } else { "reinstall" }
        );
        return Candidate::not_viable(Solution::Packages, title, why, official_evidence(m));
    }
    // Replacing an installed ROCm of unknown or other version is a removal: only an error
    // finding at a layer the packages change justifies it.
    let existing: Vec<String> = m
        .installs
        .iter()
        .filter(|i| i.layout != "pip")
        .map(|i| {
            format!(
                "{} ({})",
                i.path,
                i.version.as_deref().unwrap_or("version unknown")
            )
        })
        .collect();
    if !existing.is_empty() && m.rocm_error.is_none() {
        let why = format!(
            "ROCm is installed ({}) and no error finding at the runtime, library or toolchain layer calls for replacing it; a working stack is left as it is",
            existing.join(", ")
        );
        return Candidate::not_viable(Solution::Packages, title, why, official_evidence(m));
    }
    let mut c = Candidate::new(
        Solution::Packages,
        format!("ROCm {version} packages (release line {})", rel.rocm),
    );
    c.setup.rocm_release = Some(version.to_string());
    c.changes.push(if existing.is_empty() {
        format!("System ROCm {version} from repo.radeon.com, pinned.")
    } else {
        format!(
            "System ROCm {version} from repo.radeon.com, pinned, replacing {}.",
            existing.join(", ")
        )
    });
    c.changes
        .extend(m.override_cleanup().filter(|_| route == Route::Native));
    c.evidence.extend(official_evidence(m));
    c.evidence.push(Evidence::new(
        format!("ROCm {}", rel.rocm),
        format!("ships LLVM {}", rel.llvm),
        rel.source.clone(),
    ));
    if route == Route::Override {
        let o = m.stand_in().expect("override route has a stand-in");
        c.env.push(format!("HSA_OVERRIDE_GFX_VERSION={}", o.value));
        c.evidence.push(stand_in_evidence(m, o));
        (c.gpu_speed, c.stability, c.stability_why) = (
            Speed::StandIn,
            Stability::Reported,
            format!("ROCm {version} lists {}; {}", o.stands_in, o.detail),
        );
    } else {
        (c.gpu_speed, c.stability, c.stability_why) = (
            Speed::Native,
            Stability::Official,
            format!("ROCm {} lists {}", rel.rocm, m.gfx),
        );
    }
    match m.distro {
        Distro::Fedora(basis) => {
            c.steps.push(format!("AMD's package docs cover RHEL, SLES and Ubuntu; Fedora ships its own ROCm builds. For RHEL follow {RHEL_DOC} with ROCm {version}."));
            c.notes
                .push(format!("Distribution: Fedora family ({basis})."));
            c.evidence.push(Evidence::new(
                "RHEL install",
                "repository and dnf steps",
                RHEL_DOC,
            ));
            c.complexity = Level::High;
        }
        ref d => {
            c.steps = vec![
                "sudo mkdir --parents --mode=0755 /etc/apt/keyrings".into(),
                "wget https://repo.radeon.com/rocm/rocm.gpg.key -O - | gpg --dearmor | sudo tee /etc/apt/keyrings/rocm.gpg > /dev/null".into(),
                format!("echo \"deb [arch=amd64 signed-by=/etc/apt/keyrings/rocm.gpg] https://repo.radeon.com/rocm/apt/{version} $(. /etc/os-release && echo $VERSION_CODENAME) main\" | sudo tee /etc/apt/sources.list.d/rocm.list"),
                "echo -e 'Package: *\\nPin: release o=repo.radeon.com\\nPin-Priority: 600' | sudo tee /etc/apt/preferences.d/rocm-pin-600".into(),
                "sudo apt update && sudo apt install rocm".into(),
                "rocm-doctor verify".into(),
            ];
            c.notes.push(match d {
                Distro::Debian(basis) => format!("Distribution: Debian family ({basis}): apt."),
                _ => "The distribution is not recorded in the snapshot; the commands are Ubuntu's."
                    .into(),
            });
            c.notes.push("Packages exist per Ubuntu release; if yours has none for this ROCm, apt update fails (the seed's ROCm 5.7 debs on Ubuntu 24.04 did).".into());
            c.evidence.push(Evidence::new(
                "Ubuntu install",
                "repository, pin 600, apt install rocm; amdgpu-dkms only to replace the driver",
                APT_DOC,
            ));
            c.complexity = Level::Medium;
        }
    }
    c.notes.push(format!(
        "A PyTorch wheel uses its own bundled ROCm, not these packages ({WHEELS_BUNDLE})."
    ));
    c.time = Estimate::of(
        Effort::Download,
        "the package manager downloads the packages; their size is not recorded here",
    );
    c.risk = if existing.is_empty() {
        Level::Low
    } else {
        Level::Medium
    };
    c.risk_why = if existing.is_empty() {
        "adds a system ROCm".into()
    } else {
        "replaces the system ROCm; programs built against it may need rebuilding".into()
    };
    c.needs_root = true;
    c
}

#[cfg(test)]
mod tests {
    use super::super::{plan, Candidate, Level, Plan, Verdict};

    fn snap(name: &str) -> crate::snapshot::Snapshot {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/roots");
        let root = crate::root::Root::new(dir.join(name));
        crate::probe::take(&root, &Default::default())
    }

    /// The plan for a scenario whose installed ROCm an error finding condemns.
    fn at(name: &str) -> Plan {
        let broken = crate::model::Finding {
            code: "rocm-lacks-gpu-target".into(),
            category: crate::model::Category::MissingKernelsForArch,
            severity: crate::model::Severity::Error,
            title: "t".into(),
            evidence: Vec::new(),
            why: String::new(),
            layer: crate::model::Layer::Runtime,
            other_layers: String::new(),
            remedies: Vec::new(),
            sources: Vec::new(),
        };
        plan(&snap(name), &[broken])
    }

    #[test]
    fn an_installed_rocm_is_replaced_only_when_an_error_calls_for_it() {
        for name in ["rx7900xtx", "rx6700xt-override", "mi210-pair"] {
            let p = plan(&snap(name), &[]);
            let c = packages(&p);
            assert!(!c.is_offered(), "{name}");
            assert!(
                c.verdict.reason().unwrap().contains("left as it is"),
                "{name}"
            );
            assert!(packages(&at(name)).is_offered(), "{name}");
        }
    }

    fn packages(p: &Plan) -> &Candidate {
        p.candidates
            .iter()
            .find(|c| c.solution == crate::model::Solution::Packages)
            .unwrap()
    }

    #[test]
    fn fedora_gets_the_docs_not_apt() {
        let p = at("mi210-pair");
        let c = packages(&p);
        assert!(c.steps.iter().all(|s| !s.contains("apt")), "{:?}", c.steps);
        assert!(c.steps[0].contains("rhel.rst") && c.complexity == Level::High);
        assert!(c.env.is_empty(), "gfx90a is listed itself: no override");
    }

    #[test]
    fn debian_gets_apt_pinned_to_the_stand_in_release() {
        let p = at("rx6700xt-override");
        let c = packages(&p);
        assert!(c
            .steps
            .iter()
            .any(|s| s.contains("repo.radeon.com/rocm/apt/7.2.4")));
        assert_eq!(c.env, ["HSA_OVERRIDE_GFX_VERSION=10.3.0"]);
        assert!(c.notes.iter().any(|n| n.contains("Debian family")));
    }

    #[test]
    fn a_target_no_release_lists_is_not_viable() {
        let p = plan(&crate::demo::snapshot(), &[]);
        let reason = packages(&p).verdict.reason().unwrap().to_owned();
        assert!(matches!(packages(&p).verdict, Verdict::NotViable(_)));
        assert!(reason.contains("no ROCm release's Linux support list read names gfx1010"));
    }
}
