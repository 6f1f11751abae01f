//! `venv`: a virtual environment inside the output directory with a pinned PyTorch ROCm wheel
//! from the download.pytorch.org index whose arch list carries the GPU (or its working
//! override stand-in), created with the exact Python that wheel supports.

use super::shell::StepScript;
use super::{override_lines, safe_override, Ctx, Draft, FileOut, Step};
use crate::knowledge::gfx_support::{self, Support};
use crate::knowledge::stacks::{self, StackVerdict};
use crate::knowledge::wheels::{self, WheelIndex};

/// The stack chosen for the venv.
pub(crate) struct Choice {
    pub python: String,
    /// Full wheel version, `2.5.1+rocm6.2`.
    pub torch: String,
    pub index: &'static WheelIndex,
    /// numpy bound (`<2`), when a report gives one.
    pub numpy: Option<String>,
    /// The override value, only a `works` one.
    pub override_value: Option<String>,
    pub why: String,
    pub sources: Vec<String>,
}

/// Picks a wheel for `gfx`: a reported-good stack with a real wheel first, else the newest
/// release on an index that carries the target (or its working stand-in), skipping
/// combinations reported bad for this target.
pub(crate) fn choose(gfx: &str, pythons: &[String]) -> Option<Choice> {
    let safe = safe_override(gfx);
    let carries = |ix: &WheelIndex| -> Option<Option<String>> {
        let arches = ix.arches.as_ref()?;
        if arches.iter().any(|a| a == gfx) {
            Some(None)
        } else {
            let o = safe?;
            arches.contains(&o.stands_in).then(|| Some(o.value.clone()))
        }
    };
    let reported = stacks::for_target(gfx);
    for s in reported.iter().filter(|s| s.verdict == StackVerdict::Good) {
        let Some(index) = wheels::rocm_index_of(&s.torch).and_then(wheels::index) else {
            continue;
        };
        // A report that needed an override we do not vouch for is no report for us.
        if s.override_value().is_some() && s.override_value() != safe.map(|o| o.value.as_str()) {
            continue;
        }
        let rel = wheels::torch_release(&s.torch)?;
        let python = if s.python == "unknown" {
            pick_python(rel, pythons)?
        } else {
            s.python.clone()
        };
        return Some(Choice {
            python,
            torch: s.torch.clone(),
            index,
            numpy: (s.numpy != "unknown").then(|| s.numpy.clone()),
            override_value: s.override_value().map(str::to_owned),
            why: format!("reported working on {gfx}: {} ({})", s.tested, s.note),
            sources: [vec![s.source.clone(), index.source.clone()], s.also.clone()].concat(),
        });
    }
    let bad = |wheel: &str| {
        reported
            .iter()
            .any(|s| s.verdict == StackVerdict::Bad && s.torch == wheel)
    };
    for rel in wheels::releases().iter().rev() {
        for p in rel.indexes.iter().rev() {
            let (Some(_), Some(index)) = (wheels::rocm_index_of(&p.wheel), wheels::index(&p.index))
            else {
                continue;
            };
            let Some(ov) = carries(index) else { continue };
            if bad(&p.wheel) {
                continue;
            }
            let mut sources = vec![p.source.clone(), index.source.clone(), rel.source.clone()];
            if let Some(o) = safe.filter(|_| ov.is_some()) {
                sources.push(o.source.clone());
            }
            let how = match &ov {
                None => format!("its torch carries {gfx} code"),
                Some(v) => format!(
                    "its torch carries {} code, which {gfx} runs with HSA_OVERRIDE_GFX_VERSION={v}",
                    safe.map_or("", |o| o.stands_in.as_str())
                ),
            };
            return Some(Choice {
                python: pick_python(rel, pythons)?,
                torch: p.wheel.clone(),
                index,
                numpy: None,
                override_value: ov,
                why: format!("the newest wheel on the {} index, and {how}", index.name),
                sources,
            });
        }
    }
    None
}

/// A Python the release supports: one the machine already has if possible, else the newest.
fn pick_python(rel: &wheels::TorchRelease, have: &[String]) -> Option<String> {
    let mm = |v: &str| v.split('.').take(2).collect::<Vec<_>>().join(".");
    have.iter()
        .map(|v| mm(v))
        .find(|v| wheels::python_ok(rel, v) == Support::Yes)
        .or_else(|| {
            (wheels::python_ok(rel, &rel.python_max) == Support::Yes)
                .then(|| rel.python_max.clone())
        })
}

/// The venv solution.
pub(crate) fn draft(ctx: &Ctx) -> anyhow::Result<Draft> {
    let summary = "a Python virtual environment here with a pinned PyTorch ROCm wheel for this GPU";
    let pythons: Vec<String> = ctx
        .snapshot
        .python
        .environments
        .iter()
        .filter_map(|e| e.python_version.clone())
        .collect();
    let Some(gfx) = ctx.gfx.as_deref() else {
        return Ok(Draft::not_applicable(
            summary,
            vec!["The scan saw no AMD GPU with a known gfx target.".into()],
            Vec::new(),
        ));
    };
    let Some(c) = choose(gfx, &pythons) else {
        let mut why = vec![format!(
            "No official PyTorch ROCm wheel index lists {gfx} in its arch list, and no override stand-in for it is rated `works` in the knowledge base, so no pip wheel can run on this GPU."
        )];
        let mut sources = Vec::new();
        if let Some(t) = gfx_support::target(gfx) {
            if let Some(o) = &t.stand_in {
                why.push(format!(
                    "The stand-in `HSA_OVERRIDE_GFX_VERSION={}` is rated `{}`: {}.",
                    o.value,
                    format!("{:?}", o.verdict).to_lowercase(),
                    o.detail
                ));
                sources.push(o.source.clone());
            }
            if !t.native_builds.is_empty() {
                why.push("Try `rocm-doctor fix native-build`: builds outside AMD's releases carry this target.".into());
                sources.extend(t.native_builds.iter().map(|b| b.source.clone()));
            }
        }
        return Ok(Draft::not_applicable(summary, why, sources));
    };
    let numpy_below = c
        .numpy
        .as_deref()
        .and_then(|b| b.strip_prefix('<'))
        .unwrap_or("")
        .to_owned();
    let vars = [
        ("PY_VERSION", c.python.clone()),
        ("INDEX_URL", c.index.url.clone()),
        ("TORCH_VERSION", c.torch.clone()),
        ("TORCH_SPEC", format!("torch=={}", c.torch)),
        (
            "NUMPY_SPEC",
            c.numpy
                .as_ref()
                .map(|b| format!("numpy{b}"))
                .unwrap_or_default(),
        ),
        ("NUMPY_BELOW", numpy_below),
    ];
    let title = format!(
        "create ./venv with Python {} and torch {}",
        c.python, c.torch
    );
    let setup = StepScript {
        title: &title,
        about: &[
            format!("Why this wheel: {}.", c.why),
            "Set PYTHON=/path/to/python to use a given interpreter; its version must still match."
                .into(),
        ],
        sources: &c.sources,
        vars: &vars,
        body: SETUP_BODY,
    }
    .render();
    let mut env_sh = super::shell::header(
        "The venv's environment: `source env.sh`, or `./env.sh COMMAND...` to run one command",
        &[
            "Options are set only when run as a command, so sourcing it leaves your shell alone."
                .into(),
        ],
        &c.sources,
    );
    env_sh.push_str(&format!(
        "if [[ \"${{BASH_SOURCE[0]}}\" == \"$0\" ]]; then set -euo pipefail; fi\n{}{}",
        override_lines(c.override_value.as_deref()),
        super::shell::env_activate("venv", "setup-venv.sh") + super::shell::ENV_EXEC_TAIL
    ));
    let mut readme = vec![
        format!("Chosen stack: Python {}, `torch=={}` from <{}>. Why: {}.", c.python, c.torch, c.index.url, c.why),
        format!(
            "`setup-venv.sh` checks that `python{0}` exists (it never substitutes another version; get it with `uv python install {0}`, `pyenv install {0}` or your distribution, or point `PYTHON=` at one), creates `./venv`, and installs the pinned wheel{1}.",
            c.python,
            c.numpy.as_ref().map(|b| format!(" and `numpy{b}`")).unwrap_or_default()
        ),
        "`env.sh` activates the venv and sets (or clears) `HSA_OVERRIDE_GFX_VERSION` for this GPU.".into(),
    ];
    let mut caveats = vec!["A pip wheel bundles its own ROCm libraries: the system ROCm's version does not matter to it, only the kernel driver does.".to_owned()];
    match &c.override_value {
        Some(v) => caveats.push(format!(
            "The wheel runs {gfx} through HSA_OVERRIDE_GFX_VERSION={v}; env.sh sets it."
        )),
        None => {
            readme.push("`env.sh` clears `HSA_OVERRIDE_GFX_VERSION`: this wheel needs none.".into())
        }
    }
    if c.numpy.is_none() {
        caveats.push("No numpy bound is known for this torch; if it warns about the NumPy ABI, pin the numpy its release notes name.".into());
    }
    Ok(Draft {
        applicable: true,
        summary: summary.to_owned(),
        files: vec![
            FileOut {
                name: "setup-venv.sh".into(),
                text: setup,
                exec: true,
            },
            FileOut {
                name: "env.sh".into(),
                text: env_sh,
                exec: true,
            },
        ],
        steps: vec![Step {
            script: "setup-venv.sh".into(),
            title,
            root: false,
        }],
        readme,
        caveats,
        sources: c.sources.clone(),
        undo: Vec::new(),
        outside: false,
    })
}

const SETUP_BODY: &str = r#"rd_venv="$here/venv"
rd_py="${PYTHON:-python$PY_VERSION}"

# Whether $rd_py exists and is Python $PY_VERSION.
rd_base_ok() {
  command -v "$rd_py" >/dev/null 2>&1 &&
    [[ "$("$rd_py" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" == "$PY_VERSION" ]]
}

rd_get_python() {
  rd_say "Python $PY_VERSION is needed and $rd_py is not it (rocm-doctor never substitutes another version)."
  rd_say "Get it with one of:"
  rd_say "  uv python install $PY_VERSION   then: PYTHON=\"\$(uv python find $PY_VERSION)\" $0 --apply"
  rd_say "  pyenv install $PY_VERSION       then: PYTHON=\"\$(pyenv root)/versions/<$PY_VERSION.x>/bin/python\" $0 --apply"
  rd_say "  your distribution's python$PY_VERSION and python$PY_VERSION-venv packages"
}

rd_done() {
  [[ -x "$rd_venv/bin/python" ]] || return 1
  "$rd_venv/bin/python" -c '
import sys
from importlib import metadata
want, below = sys.argv[1], sys.argv[2]
ok = metadata.version("torch") == want
if below:
    ok = ok and int(metadata.version("numpy").split(".")[0]) < int(below)
sys.exit(0 if ok else 1)' "$TORCH_VERSION" "$NUMPY_BELOW" >/dev/null 2>&1
}

rd_plan() {
  if rd_base_ok; then rd_say "would use $rd_py ($(command -v "$rd_py"))"; else rd_get_python; fi
  [[ -x "$rd_venv/bin/python" ]] || rd_say "would create the venv $rd_venv"
  rd_say "would run: $rd_venv/bin/python -m pip install --index-url $INDEX_URL $TORCH_SPEC"
  [[ -z "$NUMPY_SPEC" ]] || rd_say "would run: $rd_venv/bin/python -m pip install $NUMPY_SPEC"
}

rd_act() {
  if [[ ! -x "$rd_venv/bin/python" ]]; then
    rd_base_ok || { rd_get_python; rd_die "Python $PY_VERSION not found"; }
    "$rd_py" -m venv "$rd_venv"
  fi
  "$rd_venv/bin/python" -m pip install --index-url "$INDEX_URL" "$TORCH_SPEC"
  if [[ -n "$NUMPY_SPEC" ]]; then "$rd_venv/bin/python" -m pip install "$NUMPY_SPEC"; fi
}"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wheels_follow_the_arch_lists_and_the_override_verdicts() {
        assert!(
            choose("gfx1010", &[]).is_none(),
            "no wheel carries gfx1010 and 10.3.0 is unsafe"
        );
        let c = choose("gfx1031", &["3.10.12".into()]).expect("through gfx1030 code");
        assert_eq!(c.override_value.as_deref(), Some("10.3.0"));
        assert_eq!(
            c.python, "3.10",
            "the machine's Python, since the release supports it"
        );
        assert!(c
            .index
            .arches
            .as_ref()
            .unwrap()
            .iter()
            .any(|a| a == "gfx1030"));
        assert_eq!(wheels::rocm_index_of(&c.torch), Some(c.index.name.as_str()));
        let n = choose("gfx1100", &[]).expect("native");
        assert!(n.override_value.is_none());
        let rel = wheels::torch_release(&n.torch).unwrap();
        assert_eq!(wheels::python_ok(rel, &n.python), Support::Yes);
    }
}
