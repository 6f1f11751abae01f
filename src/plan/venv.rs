//! `venv`: a pinned PyTorch wheel in a new virtual environment, from a reported-good stack
//! whose override (if any) is safe here, else from the newest official wheel index that
//! carries the target's code (native first, then AMD-listed, then an override that works).

use super::candidates::{no_override_reason, official_evidence, stand_in_evidence, WHEELS_BUNDLE};
use super::machine::Machine;
use super::{Candidate, Effort, Estimate, Evidence, Level, Speed, Stability};
use crate::knowledge::gfx_support::{self, Support, Verdict};
use crate::knowledge::images::Route;
use crate::knowledge::{stacks, wheels};
use crate::model::Solution;

/// A pinned wheel: from a reported-good stack, or an official index that carries the code.
struct Pick {
    wheel: String,
    index: &'static wheels::WheelIndex,
    release: &'static wheels::TorchRelease,
    route: Route,
    numpy: Option<String>,
    /// The override the wheel runs with.
    override_value: Option<String>,
    /// The Python the report used, when it says.
    python: Option<String>,
    stability: Stability,
    why: String,
    evidence: Vec<Evidence>,
}

/// A reported-good stack for this very target, with a wheel on an index. Its override, if
/// any, is part of what was reported working (old builds run a stand-in that newer ones
/// crash on), so the venv scopes it to itself: `env.sh` sets it, nothing global does.
fn from_stacks(m: &Machine) -> Option<Pick> {
    let s = stacks::for_target(&m.gfx).into_iter().find(|s| {
        s.verdict == stacks::StackVerdict::Good
            && wheels::rocm_index_of(&s.torch).is_some()
            && wheels::torch_release(&s.torch).is_some()
    })?;
    let mut evidence = vec![Evidence::new(
        format!("stack {}", s.torch),
        format!("good: {}; {}", s.tested, s.note),
        s.source.clone(),
    )];
    evidence.extend(
        s.also
            .iter()
            .map(|u| Evidence::new(format!("stack {}", s.torch), "further source", u.clone())),
    );
    Some(Pick {
        wheel: s.torch.clone(),
        index: wheels::index(&s.torch)?,
        release: wheels::torch_release(&s.torch)?,
        route: if s.override_value().is_some() {
            Route::Override
        } else {
            Route::Native
        },
        numpy: (s.numpy != "unknown").then(|| s.numpy.clone()),
        override_value: s.override_value().map(str::to_owned),
        python: (s.python != "unknown").then(|| s.python.clone()),
        stability: Stability::Reported,
        why: format!("reported working: {}", s.note),
        evidence,
    })
}

fn from_indexes(m: &Machine) -> Option<Pick> {
    let bad: Vec<&str> = stacks::for_target(&m.gfx)
        .iter()
        .filter(|s| s.verdict == stacks::StackVerdict::Bad)
        .map(|s| s.torch.as_str())
        .collect();
    let works = m.stand_in().filter(|o| o.verdict == Verdict::Works);
    let mut found: Vec<(u8, Pick)> = Vec::new();
    for r in wheels::releases().iter().rev() {
        for p in r.indexes.iter().filter(|p| {
            wheels::rocm_index_of(&p.wheel).is_some() && !bad.contains(&p.wheel.as_str())
        }) {
            let Some(ix) = wheels::index(&p.index) else {
                continue;
            };
            let arches = ix.arches.as_deref().unwrap_or_default();
            let (route, host) = if arches.contains(&m.gfx) {
                (Route::Native, m.gfx.as_str())
            } else if let Some(o) = works.filter(|o| arches.contains(&o.stands_in)) {
                (Route::Override, o.stands_in.as_str())
            } else {
                continue;
            };
            let official =
                gfx_support::target(host).is_some_and(|t| t.official_in(&ix.rocm) == Support::Yes);
            let (stability, why) = match (route, official) {
                (Route::Native, true) => (
                    Stability::Official,
                    format!(
                        "the wheel carries {} code and ROCm {} lists it",
                        m.gfx, ix.rocm
                    ),
                ),
                (Route::Native, false) => (
                    Stability::Unverified,
                    format!(
                        "the wheel carries {} code; no AMD list or report for it was read",
                        m.gfx
                    ),
                ),
                (Route::Override, _) => (
                    Stability::Reported,
                    format!("the override to {host} is reported to work"),
                ),
            };
            let rank = u8::from(route == Route::Override) * 2 + u8::from(!official);
            let evidence = vec![
                Evidence::new(
                    format!("wheel index {}", ix.name),
                    format!("its torch carries {}", arches.join(" ")),
                    ix.source.clone(),
                ),
                Evidence::new(
                    format!("torch {}", p.wheel),
                    format!("published on {}", ix.name),
                    p.source.clone(),
                ),
                Evidence::new(
                    format!("torch {}", r.torch),
                    format!("Python {} to {}", r.python_min, r.python_max),
                    r.source.clone(),
                ),
            ];
            found.push((
                rank,
                Pick {
                    wheel: p.wheel.clone(),
                    index: ix,
                    release: r,
                    route,
                    numpy: None,
                    override_value: (route == Route::Override)
                        .then(|| works.map(|o| o.value.clone()))
                        .flatten(),
                    python: None,
                    stability,
                    why,
                    evidence,
                },
            ));
        }
    }
    // Native before override, official before not, then newest (the order releases came in).
    found.sort_by_key(|(rank, _)| *rank);
    found.into_iter().next().map(|(_, p)| p)
}

/// `venv`: a pinned PyTorch wheel in a new virtual environment.
pub(super) fn venv(m: &Machine) -> Candidate {
    let Some(p) = from_stacks(m).or_else(|| from_indexes(m)) else {
        let why = format!(
            "no official wheel carries {} code and no reported-good pinned stack is safe here; {}",
            m.gfx,
            no_override_reason(m)
        );
        let mut ev: Vec<Evidence> = m
            .stand_in()
            .map(|o| stand_in_evidence(m, o))
            .into_iter()
            .collect();
        ev.extend(stacks::for_target(&m.gfx).iter().take(3).map(|s| {
            Evidence::new(
                format!("stack {}", s.torch),
                format!(
                    "{}: {}",
                    if s.verdict == stacks::StackVerdict::Good {
                        "good"
                    } else {
                        "bad"
                    },
                    s.note
                ),
                s.source.clone(),
            )
        }));
        return Candidate::not_viable(Solution::Venv, "Pinned PyTorch in a venv", why, ev);
    };
    let mut c = Candidate::new(Solution::Venv, format!("torch {} in a new venv", p.wheel));
    let (min, max) = (&p.release.python_min, &p.release.python_max);
    let python = match (&p.python, m.python.as_deref()) {
        (Some(py), _) => py.clone(),
        (None, Some(py)) if wheels::python_ok(p.release, py) == Support::Yes => py.to_owned(),
        (None, Some(py)) => {
            c.notes.push(format!("This machine's Python {py} is outside torch {}'s {min} to {max}: install Python {max} first.", p.release.torch));
            max.clone()
        }
        (None, None) => max.clone(),
    };
    if m.python.as_deref().is_some_and(|have| have != python) {
        c.notes.push(format!(
            "The venv needs Python {python} (`uv python install {python}` or your distribution's python{python}); the machine's own Python stays as it is."
        ));
    }
    let out = super::default_out(Solution::Venv);
    c.changes.push(format!("A new venv {out}/venv with Python {python}; the wheel brings its own ROCm libraries, so nothing system-wide changes."));
    c.changes.extend(m.override_cleanup());
    let mut pip = vec![format!("torch=={}", p.wheel)];
    if let Some(n) = &p.numpy {
        pip.push(format!("numpy{n}"));
    }
    c.steps = vec![
        format!("rocm-doctor fix venv --out {out}   (writes setup-venv.sh and env.sh; --apply runs them)"),
        format!("python{python} -m venv {out}/venv"),
        format!("{out}/venv/bin/pip install --index-url {} {}", p.index.url, pip.join(" ")),
    ];
    if let Some(v) = &p.override_value {
        let o = m.stand_in().filter(|o| &o.value == v);
        c.env.push(format!("HSA_OVERRIDE_GFX_VERSION={v}"));
        c.steps.push(format!(
            ". {out}/env.sh   (sets HSA_OVERRIDE_GFX_VERSION={v} for this venv only)"
        ));
        c.notes.push(format!("The override {v} is scoped to this venv: it was reported working with this old wheel, while newer builds crash with it, so it must not be set globally."));
        if let Some(o) = o {
            c.evidence.push(stand_in_evidence(m, o));
        }
    }
    c.setup.python = Some(python);
    c.setup.pip = pip;
    c.setup.index_url = Some(p.index.url.clone());
    c.setup.torch = Some(p.wheel.clone());
    c.setup.numpy = p.numpy.clone();
    c.setup.venv_dir = Some("venv".into());
    c.steps
        .push(format!("rocm-doctor verify --python {out}/venv/bin/python"));
    c.evidence.extend(p.evidence);
    c.evidence.push(Evidence::new(
        "PyTorch ROCm wheels",
        "bundle their own ROCm libraries",
        WHEELS_BUNDLE,
    ));
    if p.stability == Stability::Official {
        c.evidence.extend(official_evidence(m));
    }
    c.time = Estimate::of(Effort::Download, "pip downloads the wheel; its size is not recorded here, so the time depends on it and the bandwidth");
    (c.complexity, c.risk) = (Level::Low, Level::Low);
    c.gpu_speed = if p.route == Route::Native {
        Speed::Native
    } else {
        Speed::StandIn
    };
    (c.stability, c.stability_why) = (p.stability, p.why);
    c.risk_why = "a separate venv; the system's packages stay as they are".into();
    c
}
