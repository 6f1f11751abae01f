//! `native-build`: PyTorch built by TheRock (AMD's open build of ROCm) for this GPU, installed
//! into a venv inside the output directory from TheRock's documented multi-arch index with
//! the target's `[device-gfx…]` extra, as the plan chose them. TheRock's per-family indexes do
//! not cover RDNA1/RDNA2; the multi-arch index does, per target.

use super::shell::StepScript;
use super::{env_lines, Ctx, Draft, FileOut, Step};

pub(crate) use crate::knowledge::therock::{INDEX as THEROCK_INDEX, RELEASES as THEROCK_RELEASES};
use crate::knowledge::therock::{PYTHONS as THEROCK_PYTHONS, SUPPORTED as THEROCK_SUPPORTED};

/// The native-build solution.
pub(crate) fn draft(ctx: &Ctx) -> anyhow::Result<Draft> {
    let summary = "PyTorch built by TheRock for this GPU, in a venv here";
    let st = ctx.setup;
    let gfx = st.gfx.as_str();
    let (Some(spec), Some(index), Some(venv)) = (st.pip.first(), &st.index_url, &st.venv_dir)
    else {
        return Ok(Draft::not_applicable(
            summary,
            vec!["The plan chose no TheRock wheel for this GPU.".into()],
            vec![THEROCK_RELEASES.to_owned()],
        ));
    };
    let Some((row, extra)) = crate::knowledge::therock::extra(gfx) else {
        return Ok(Draft::not_applicable(
            summary,
            vec![format!(
                "The knowledge base lists no TheRock build for {gfx}."
            )],
            vec![THEROCK_RELEASES.to_owned()],
        ));
    };
    let sources = vec![
        THEROCK_RELEASES.to_owned(),
        row.source.clone(),
        THEROCK_SUPPORTED.to_owned(),
        THEROCK_PYTHONS.to_owned(),
    ];
    let vars = [
        ("INDEX_URL", index.clone()),
        ("TORCH_SPEC", spec.clone()),
        ("VENV_DIR", venv.clone()),
    ];
    let title = format!("create ./{venv} with TheRock's {spec}");
    let setup = StepScript {
        title: &title,
        about: &[
            format!("Knowledge base row: {}.", row.name),
            "Set PYTHON=/path/to/python to choose the interpreter (3.10 to 3.14).".into(),
        ],
        sources: &sources,
        vars: &vars,
        body: SETUP_BODY,
    }
    .render();
    let mut env_sh = super::shell::header(
        "TheRock venv's environment: `source env.sh`, or `./env.sh COMMAND...`",
        &[
            "Options are set only when run as a command, so sourcing it leaves your shell alone."
                .into(),
        ],
        &sources,
    );
    env_sh.push_str(&format!(
        "if [[ \"${{BASH_SOURCE[0]}}\" == \"$0\" ]]; then set -euo pipefail; fi\n{}{}",
        env_lines(st),
        super::shell::env_activate(venv, "setup-therock.sh") + super::shell::ENV_EXEC_TAIL
    ));
    let readme = vec![
        format!("TheRock publishes ROCm and PyTorch wheels per GPU target on one index, <{THEROCK_INDEX}>; the `[{extra}]` extra pulls the device code for {gfx} (knowledge base: {}).", row.name),
        format!("`setup-therock.sh` checks for a Python 3.10 to 3.14, creates `./{venv}`, runs `pip install --index-url {index} \"{spec}\"` and records `pip freeze` in `therock-freeze.txt` so the exact nightly can be reinstalled."),
        format!("`env.sh` activates the venv and clears `HSA_OVERRIDE_GFX_VERSION`: these wheels carry {gfx} code, so no override is needed (and a stale one would load another GPU's code)."),
        format!("For torchvision, the same index serves `\"torchvision[{extra}]\"`."),
    ];
    let caveats = vec![
        "These are nightly builds: they change daily and may break; `therock-freeze.txt` pins what was installed.".to_owned(),
        format!("A target that installs is not necessarily tested: check the Sanity Tested column for {gfx} in SUPPORTED_GPUS.md."),
        "The wheels bring their own ROCm userspace; only the kernel driver (amdgpu, /dev/kfd) is needed from the system.".to_owned(),
    ];
    Ok(Draft {
        applicable: true,
        summary: summary.to_owned(),
        files: vec![
            FileOut {
                name: "setup-therock.sh".into(),
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
            script: "setup-therock.sh".into(),
            title,
            root: false,
            timeout_secs: super::STEP_TIMEOUT_SECS,
        }],
        readme,
        caveats,
        sources,
        undo: Vec::new(),
        outside: false,
    })
}

const SETUP_BODY: &str = r#"rd_venv="$here/$VENV_DIR"
rd_py="${PYTHON:-python3}"
rd_stamp="$rd_venv/.rocm-doctor-installed"

# Whether $rd_py exists and is a Python from 3.10 to 3.14.
rd_base_ok() {
  command -v "$rd_py" >/dev/null 2>&1 &&
    "$rd_py" -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 14) else 1)' 2>/dev/null
}

rd_done() {
  [[ -x "$rd_venv/bin/python" ]] && rd_has "$rd_stamp" "$TORCH_SPEC" &&
    "$rd_venv/bin/python" -c 'from importlib import metadata; metadata.version("torch")' >/dev/null 2>&1
}

rd_plan() {
  if rd_base_ok; then
    rd_say "would use $rd_py ($(command -v "$rd_py"))"
  else
    rd_say "no Python 3.10-3.14 as $rd_py: install one (uv python install 3.12, pyenv install 3.12) and set PYTHON="
  fi
  [[ -x "$rd_venv/bin/python" ]] || rd_say "would create the venv $rd_venv"
  rd_say "would run: $rd_venv/bin/python -m pip install --index-url $INDEX_URL $TORCH_SPEC"
}

rd_act() {
  if [[ ! -x "$rd_venv/bin/python" ]]; then
    rd_base_ok || rd_die "no Python 3.10-3.14 as $rd_py (set PYTHON=/path/to/python)"
    "$rd_py" -m venv "$rd_venv"
  fi
  "$rd_venv/bin/python" -m pip install --index-url "$INDEX_URL" "$TORCH_SPEC"
  "$rd_venv/bin/python" -m pip freeze >"$here/therock-freeze.txt"
  printf '%s\n' "$TORCH_SPEC" >"$rd_stamp"
}"#;
