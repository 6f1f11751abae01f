//! `venv`: a virtual environment inside the output directory with the PyTorch wheel the plan
//! pinned (index, version, numpy bound), created with the exact Python the plan chose, and an
//! `env.sh` that sets the plan's environment (override scoped to this venv, visible devices).

use super::shell::StepScript;
use super::{env_lines, Ctx, Draft, FileOut, Step};

/// The venv solution, as the plan decided it.
pub(crate) fn draft(ctx: &Ctx) -> anyhow::Result<Draft> {
    let summary = "a Python virtual environment here with a pinned PyTorch ROCm wheel for this GPU";
    let st = ctx.setup;
    let (Some(python), Some(torch), Some(index_url)) = (&st.python, &st.torch, &st.index_url)
    else {
        return Ok(Draft::not_applicable(
            summary,
            vec!["The plan pinned no wheel for this GPU.".into()],
            Vec::new(),
        ));
    };
    let gfx = st.gfx.as_str();
    let c = Choice {
        python: python.clone(),
        torch: torch.clone(),
        index_url: index_url.clone(),
        numpy: st.numpy.clone(),
        override_value: st.override_value.clone(),
        why: format!("`rocm-doctor plan` pinned it for {gfx}"),
        sources: Vec::new(),
    };
    let numpy_below = c
        .numpy
        .as_deref()
        .and_then(|b| b.strip_prefix('<'))
        .unwrap_or("")
        .to_owned();
    let vars = [
        ("PY_VERSION", c.python.clone()),
        ("INDEX_URL", c.index_url.clone()),
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
        env_lines(st),
        super::shell::env_activate("venv", "setup-venv.sh") + super::shell::ENV_EXEC_TAIL
    ));
    let mut readme = vec![
        format!("Chosen stack: Python {}, `torch=={}` from <{}>. Why: {}.", c.python, c.torch, c.index_url, c.why),
        format!(
            "`setup-venv.sh` checks that `python{0}` exists (it never substitutes another version; get it with `uv python install {0}`, `pyenv install {0}` or your distribution, or point `PYTHON=` at one), creates `./venv`, and installs the pinned wheel{1}.",
            c.python,
            c.numpy.as_ref().map(|b| format!(" and `numpy{b}`")).unwrap_or_default()
        ),
        "`env.sh` activates the venv and sets (or clears) `HSA_OVERRIDE_GFX_VERSION` for this GPU, for this venv only.".into(),
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
            timeout_secs: super::STEP_TIMEOUT_SECS,
        }],
        readme,
        caveats,
        sources: c.sources.clone(),
        undo: Vec::new(),
        outside: false,
    })
}

/// The stack the plan chose, as the scripts need it.
struct Choice {
    python: String,
    torch: String,
    index_url: String,
    numpy: Option<String>,
    override_value: Option<String>,
    why: String,
    sources: Vec<String>,
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
