//! The `env` and `container` candidates, and the knowledge-row helpers every candidate shares.
//! Each candidate says why it cannot work when it cannot; none offers an override the
//! knowledge base calls unsafe or unreported.

use super::machine::Machine;
use super::{Candidate, Effort, Estimate, Evidence, Level, Speed, Stability};
use crate::knowledge::gfx_support::{Override, Verdict};
use crate::knowledge::images::{self, Route};
use crate::knowledge::seed;
use crate::model::Solution;

/// PyTorch's ROCm wheels carry their own ROCm libraries.
pub(super) const WHEELS_BUNDLE: &str = "https://github.com/pytorch/pytorch/issues/118457";
/// AMD's `docker run` flags for the rocm/pytorch images.
const DOCKER_RUN: &str = "https://github.com/ROCm/rocm-install-on-linux/blob/c3325cba8483d34623b394b2785eff8148644efe/docs/install/3rd-party/pytorch-install.rst";

/// The rows saying which ROCm lines list the target.
pub(super) fn official_evidence(m: &Machine) -> Vec<Evidence> {
    let Some(row) = m.row else { return Vec::new() };
    let lines = if row.official.is_empty() {
        "in no official list read".to_owned()
    } else {
        format!("official in ROCm {}", row.official.join(", "))
    };
    row.official_sources
        .iter()
        .enumerate()
        .map(|(i, src)| {
            let says = if i == 0 {
                format!("{lines}; {}", row.official_note)
            } else {
                "another support list read for this row".to_owned()
            };
            Evidence::new(format!("gfx_support {}", row.gfx), says, src.clone())
        })
        .collect()
}

/// The row about the override stand-in.
pub(super) fn stand_in_evidence(m: &Machine, o: &Override) -> Evidence {
    Evidence::new(
        format!("override {} on {} (as {})", o.value, m.gfx, o.stands_in),
        format!("{}: {}", verdict_word(o.verdict), o.detail),
        o.source.clone(),
    )
}

/// The audit of a seed claim: its verdict and evidence on the first source, the rest listed.
pub(super) fn claim_evidence(id: &str) -> Vec<Evidence> {
    let Some(claim) = seed::claim(id) else {
        return Vec::new();
    };
    let verdict = match claim.verdict {
        seed::ClaimVerdict::Supported => "supported",
        seed::ClaimVerdict::Contradicted => "contradicted",
        seed::ClaimVerdict::Unproven => "unproven",
    };
    claim
        .sources
        .iter()
        .enumerate()
        .map(|(i, src)| {
            let says = if i == 0 {
                format!("{verdict}: {}", claim.evidence)
            } else {
                "another source of this claim's audit".to_owned()
            };
            Evidence::new(format!("seed claim {id}"), says, src.clone())
        })
        .collect()
}

/// The knowledge base's word for an override verdict.
pub(super) fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Works => "works",
        Verdict::Unsafe => "unsafe",
        Verdict::Unknown => "unknown",
    }
}

pub(super) use crate::knowledge::gfx_support::newest_official;

/// Why a target has no usable override, for not-viable reasons.
pub(super) fn no_override_reason(m: &Machine) -> String {
    let has_own = m
        .row
        .is_some_and(|r| !r.official.is_empty() || !r.in_torch_wheels.is_empty());
    match m.stand_in() {
        Some(o) if o.verdict == Verdict::Unsafe => format!(
            "the only other route, HSA_OVERRIDE_GFX_VERSION={} ({} code), is reported unsafe on {}",
            o.value, o.stands_in, m.gfx
        ),
        Some(o) if o.verdict == Verdict::Unknown => format!(
            "no report that HSA_OVERRIDE_GFX_VERSION={} works on {} was read",
            o.value, m.gfx
        ),
        Some(o) => format!("neither carries its stand-in {} either", o.stands_in),
        None if has_own => format!(
            "{} has code of its own in official builds, so no override applies: install libraries that carry it",
            m.gfx
        ),
        None => format!("no override stand-in is known for {}", m.gfx),
    }
}

/// `env`: an override, only where it is reported to work and the libraries carry its stand-in.
pub(super) fn env(m: &Machine) -> Candidate {
    let title = "Environment only";
    if m.carries(&m.gfx) {
        let Some(clean) = m.override_cleanup() else {
            if let Some(d) = &m.visible_devices {
                let mut c = Candidate::new(
                    Solution::Env,
                    format!("ROCR_VISIBLE_DEVICES={d}: keep the integrated GPU out of ROCm"),
                );
                c.changes.push(format!("One line in the login profile: ROCR_VISIBLE_DEVICES={d} (this user's sessions only)."));
                c.steps = vec![
                    format!(
                        "rocm-doctor fix env --out {}",
                        super::default_out(Solution::Env)
                    ),
                    "rocm-doctor verify".into(),
                ];
                c.time = Estimate::of(Effort::Edit, "one line to add, nothing to download");
                (c.complexity, c.gpu_speed, c.risk) = (Level::Low, Speed::Native, Level::Low);
                c.stability = Stability::Unverified;
                c.stability_why = format!("the libraries here carry {} code; hiding the iGPU removes a second agent from the runtime", m.gfx);
                c.risk_why = "a variable; the iGPU stays usable outside ROCm".into();
                return c;
            }
            let why = format!(
                "not needed: the libraries here already carry {} code",
                m.gfx
            );
            return Candidate::not_viable(Solution::Env, title, why, Vec::new());
        };
        let src = m.set_override.as_ref().map_or("", |o| o.source.as_str());
        let mut c = Candidate::new(
            Solution::Env,
            format!("Remove the override: the libraries carry {} code", m.gfx),
        );
        c.changes.push(clean);
        c.steps = vec![
            format!("Delete the HSA_OVERRIDE_GFX_VERSION line from {src}, then log in again"),
            "rocm-doctor verify".into(),
        ];
        c.time = Estimate::of(Effort::Edit, "one line to delete, nothing to download");
        (c.complexity, c.gpu_speed, c.risk) = (Level::Low, Speed::Native, Level::Low);
        c.stability = Stability::Unverified;
        c.stability_why = format!(
            "the installed libraries carry {} code; no report on this stack was read",
            m.gfx
        );
        c.risk_why = "a setting returns to its default".into();
        c.needs_root = src.starts_with("/etc");
        return c;
    }
    let Some(o) = m.stand_in() else {
        if let Some(c) = remove_override(m) {
            return c;
        }
        return Candidate::not_viable(
            Solution::Env,
            title,
            no_override_reason(m),
            official_evidence(m),
        );
    };
    let ev = vec![stand_in_evidence(m, o)];
    if o.verdict != Verdict::Works {
        if let Some(mut c) = remove_override(m) {
            c.evidence = ev;
            return c;
        }
        let why = format!("{}: {}", no_override_reason(m), o.detail);
        return Candidate::not_viable(Solution::Env, title, why, ev);
    }
    if !m.carries(&o.stands_in) {
        let why = format!(
            "the override is reported to work, but the libraries here carry no {} code either: pair it with a venv or container that does",
            o.stands_in
        );
        return Candidate::not_viable(Solution::Env, title, why, ev);
    }
    let var = format!("HSA_OVERRIDE_GFX_VERSION={}", o.value);
    let mut c = Candidate::new(
        Solution::Env,
        format!("{var}: run the installed {} code on {}", o.stands_in, m.gfx),
    );
    c.env.push(var.clone());
    c.evidence = ev;
    match &m.set_override {
        Some(s) if s.value == o.value => {
            c.changes
                .push(format!("Nothing: {var} is already set ({}).", s.source));
            c.steps.push("rocm-doctor verify".into());
            c.time = Estimate {
                kind: Effort::InPlace,
                value: Some("none".into()),
                basis: format!("already set in {}", s.source),
                source: None,
            };
        }
        _ => {
            c.changes.push(format!(
                "One line in ~/.profile: export {var} (this user's sessions only)."
            ));
            c.steps = vec![
                format!("echo 'export {var}' >> ~/.profile"),
                "Log out and in again".into(),
                "rocm-doctor verify".into(),
            ];
            c.time = Estimate::of(Effort::Edit, "one line to add, nothing to download");
        }
    }
    (c.complexity, c.gpu_speed, c.risk) = (Level::Low, Speed::StandIn, Level::Low);
    c.stability = Stability::Reported;
    c.stability_why = o.detail.clone();
    c.risk_why = "a variable; it applies to every GPU of the session".into();
    let carrier = match m.torches.iter().find(|t| t.targets.contains(&o.stands_in)) {
        Some(t) => format!("PyTorch {}", t.version),
        None => "system rocBLAS".to_owned(),
    };
    c.notes.push(format!(
        "The installed {carrier} carries {} code, which the override makes the runtime load.",
        o.stands_in
    ));
    c
}

/// `container`: a rocm/pytorch image, native route before override route.
/// `env` on a machine whose override must go although no setting makes the GPU work: taking
/// the unsafe value out is a step of its own (the GPU then needs code built for it).
fn remove_override(m: &Machine) -> Option<Candidate> {
    let clean = m.override_cleanup()?;
    let set = m.set_override.as_ref()?;
    let mut c = Candidate::new(
        Solution::Env,
        format!(
            "Remove HSA_OVERRIDE_GFX_VERSION={}: it makes {} run another GPU's code",
            set.value, m.gfx
        ),
    );
    c.changes.push(clean);
    c.steps = vec![
        format!(
            "rocm-doctor fix env --out {}",
            super::default_out(Solution::Env)
        ),
        "Log out and in again".into(),
    ];
    c.time = Estimate::of(Effort::Edit, "one line to remove, nothing to download");
    (c.complexity, c.gpu_speed, c.risk) = (Level::Low, Speed::Unknown, Level::Low);
    c.stability = Stability::Unverified;
    c.stability_why = format!(
        "removes a cause of crashes; the GPU still needs libraries built for {} (another candidate)",
        m.gfx
    );
    c.risk_why = "a setting returns to its default".into();
    c.needs_root = set.source.starts_with("/etc");
    c.notes.push("Pair it with a candidate that brings code for this GPU: on its own it stops the crashes, not the missing kernels.".into());
    Some(c)
}

pub(super) fn container(m: &Machine) -> Candidate {
    let all = images::for_target(&m.gfx);
    let pick = all
        .iter()
        .find(|i| images::route(i, &m.gfx) == Some(Route::Native))
        .or(all.first());
    let Some(img) = pick else {
        return therock_container(m);
    };
    let route = images::route(img, &m.gfx).unwrap_or(Route::Override);
    let r = img.reference();
    let out = super::default_out(Solution::Container);
    let mut c = Candidate::new(
        Solution::Container,
        format!(
            "{r} (ROCm {}, torch {}, Python {})",
            img.rocm, img.torch, img.python
        ),
    );
    c.evidence.push(Evidence::new(
        format!("image {r}"),
        format!(
            "{} in AMD's image list",
            match img.confidence {
                images::Confidence::Documented => "documented",
                images::Confidence::Seen => "seen in a public Dockerfile, not",
            }
        ),
        img.source.clone(),
    ));
    c.evidence.push(Evidence::new(
        "docker run flags",
        "AMD's flags for rocm/pytorch",
        DOCKER_RUN,
    ));
    let mut run = "docker run -it --cap-add=SYS_PTRACE --security-opt seccomp=unconfined --device=/dev/kfd --device=/dev/dri --group-add video --ipc=host --shm-size 8G".to_owned();
    if route == Route::Native {
        (c.gpu_speed, c.stability) = (Speed::Native, Stability::Official);
        c.stability_why = format!("ROCm {} lists {}", img.rocm, m.gfx);
        c.evidence.extend(official_evidence(m));
    } else if let Some(o) = m.stand_in() {
        (c.gpu_speed, c.stability) = (Speed::StandIn, Stability::Reported);
        c.stability_why = format!("the image carries {} code; {}", o.stands_in, o.detail);
        c.env.push(format!("HSA_OVERRIDE_GFX_VERSION={}", o.value));
        run.push_str(&format!(" -e HSA_OVERRIDE_GFX_VERSION={}", o.value));
        c.evidence.push(stand_in_evidence(m, o));
    }
    if !m.container_engine {
        c.steps.push("Install Docker (your distribution's docker package) and add yourself to the docker group".into());
        c.changes
            .push("Docker, which is not installed here.".into());
    }
    c.changes.push(format!("The image {r} (its size is not recorded here); the host's ROCm and Python stay as they are."));
    c.steps.push(format!(
        "rocm-doctor fix container --out {out}   (writes the Dockerfile, build-image.sh and run.sh)"
    ));
    c.steps.push(format!("docker pull {r}"));
    c.steps.push(format!("{run} {r}"));
    c.steps.push(format!("rocm-doctor verify --image {r}"));
    c.setup.image = Some(r.clone());
    c.notes
        .push("The container shares the host's kernel driver: it isolates user space only.".into());
    c.evidence
        .extend(claim_evidence("container-isolates-host-rocm"));
    c.time = Estimate::of(
        Effort::Download,
        "the image must be pulled; its size is not recorded here",
    );
    (c.complexity, c.risk) = (Level::Medium, Level::Low);
    c.risk_why = "the host changes only by the container engine".into();
    c.needs_root = !m.container_engine;
    c
}

/// `container` for a target no rocm/pytorch image serves: the newest image with a Python
/// TheRock supports, with TheRock's wheels for the target layered on.
fn therock_container(m: &Machine) -> Candidate {
    let title = "rocm/pytorch container";
    let (Some((row, extra)), Some(base)) = (
        crate::knowledge::therock::extra(&m.gfx),
        images::python_base(),
    ) else {
        let why = format!(
            "no rocm/pytorch image in the table lists {}, and no TheRock build is known for it; {}",
            m.gfx,
            no_override_reason(m)
        );
        let mut ev = official_evidence(m);
        ev.extend(m.stand_in().map(|o| stand_in_evidence(m, o)));
        return Candidate::not_viable(Solution::Container, title, why, ev);
    };
    let r = base.reference();
    let spec = format!("torch[{extra}]");
    let out = super::default_out(Solution::Container);
    let mut c = Candidate::new(
        Solution::Container,
        format!("{r} with TheRock's {spec} layered on"),
    );
    c.evidence.push(Evidence::new(
        format!("image {r}"),
        "the newest documented rocm/pytorch image with Python 3.10 or newer",
        base.source.clone(),
    ));
    c.evidence.push(Evidence::new(
        row.name.clone(),
        format!("builds {}", m.gfx),
        row.source.clone(),
    ));
    c.changes.push(format!("An image built from {r} with TheRock's {spec} in /opt/rocm-doctor-venv; the host's ROCm and Python stay as they are."));
    c.changes.extend(m.override_cleanup());
    c.steps = vec![
        format!("rocm-doctor fix container --out {out}   (writes the Dockerfile, build-image.sh and run.sh)"),
        format!("{out}/build-image.sh --apply"),
        format!("{out}/run.sh"),
    ];
    c.setup.image = Some(r);
    c.setup.pip = vec![spec];
    c.setup.index_url = Some(crate::knowledge::therock::INDEX.to_owned());
    let ready = crate::knowledge::therock::READY.contains(&m.gfx.as_str());
    (c.stability, c.stability_why) = if ready {
        (
            Stability::Tested,
            format!(
                "TheRock marks {} sanity tested and release ready on Linux",
                m.gfx
            ),
        )
    } else {
        (
            Stability::Unverified,
            format!("TheRock marks {} only build passing", m.gfx),
        )
    };
    c.time = Estimate::of(
        Effort::Download,
        "the base image and TheRock's wheels are downloaded; their sizes are not recorded here",
    );
    (c.complexity, c.gpu_speed, c.risk) = (Level::Medium, Speed::Native, Level::Medium);
    c.risk_why =
        "nightly wheels inside an image; the host changes only by the container engine".into();
    c.needs_root = !m.container_engine;
    c
}
