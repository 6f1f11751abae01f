//! `env`: the environment variables this GPU needs (and those it must not have) in
//! `rocm-doctor.env`, a step that hooks the file into the login profile, and, when the scan saw
//! an override the knowledge base does not vouch for, a root step that comments it out of
//! `/etc/environment`.

use super::shell::StepScript;
use super::{refused_override, safe_override, Ctx, Draft, FileOut, Step};

const BEGIN: &str = "# >>> rocm-doctor env >>>";
const END: &str = "# <<< rocm-doctor env <<<";

/// The env solution.
pub(crate) fn draft(ctx: &Ctx) -> anyhow::Result<Draft> {
    let summary =
        "set the variables this GPU needs in every login shell, and clear an unsafe override";
    let st = ctx.setup;
    let gfx = st.gfx.as_str();
    // The plan decided the override: set only the value it chose, clear every other.
    let safe =
        safe_override(gfx).filter(|o| st.override_value.as_deref() == Some(o.value.as_str()));
    let refused = refused_override(gfx);
    let mut sources = Vec::new();
    let mut readme = Vec::new();
    let mut caveats = Vec::new();
    let mut env_lines = String::new();
    match (safe, refused) {
        (Some(o), _) => {
            env_lines.push_str(&format!("HSA_OVERRIDE_GFX_VERSION={}\n", o.value));
            readme.push(format!(
                "{gfx} has no code objects of its own in AMD's builds. `HSA_OVERRIDE_GFX_VERSION={}` makes the ROCm runtime load {}'s code instead, and reports say that works on this card: {}.",
                o.value, o.stands_in, o.detail
            ));
            sources.push(o.source.clone());
            sources.extend(o.also.iter().cloned());
        }
        (None, Some(o)) => {
            readme.push(format!(
                "No override is set for {gfx}. The usual `HSA_OVERRIDE_GFX_VERSION={}` (load {}'s code) is rated `{}` in the knowledge base: {}. The profile hook clears it instead.",
                o.value, o.stands_in, format!("{:?}", o.verdict).to_lowercase(), o.detail
            ));
            sources.push(o.source.clone());
            sources.extend(o.also.iter().cloned());
        }
        (None, None) => readme.push(format!(
            "{gfx} needs no override: builds that support it carry its code. The profile hook clears `HSA_OVERRIDE_GFX_VERSION` so a stale value cannot make the runtime load another GPU's code."
        )),
    }
    if let Some(d) = &st.visible_devices {
        env_lines.push_str(&format!("ROCR_VISIBLE_DEVICES={d}\n"));
        readme.push(format!(
            "`ROCR_VISIBLE_DEVICES={d}` keeps only {} in the ROCm runtime: another GPU (the integrated one) beside it can crash or slow the runtime.",
            ctx.gpu_name
        ));
    }
    let env_path = ctx.dir.join("rocm-doctor.env");
    let env_q = super::shell::quote_path(&env_path)?;
    let mut block = format!(
        "{BEGIN}\n# Added by rocm-doctor fix env; rollback.sh or deleting this block undoes it.\n"
    );
    if safe.is_none() {
        block.push_str("unset HSA_OVERRIDE_GFX_VERSION\n");
    }
    block.push_str(&format!(
        "if [ -r {env_q} ]; then set -a; . {env_q}; set +a; fi\n{END}"
    ));
    let env_file = format!(
        "# Variables for {} (one KEY=VALUE a line; the profile hook reads it with `set -a; .`).\n# Also usable as `docker run --env-file` or a systemd environment.d file.\n{}",
        ctx.gpu_name,
        if env_lines.is_empty() { "# (none needed)\n".to_owned() } else { env_lines }
    );
    let vars = [
        ("BLOCK", block.clone()),
        ("BEGIN", BEGIN.to_owned()),
        ("END", END.to_owned()),
    ];
    let install = StepScript {
        title: "hook rocm-doctor.env into the login profile",
        about: &["Edits ~/.bash_profile when it exists, else ~/.profile (backed up first).".into()],
        sources: &sources,
        vars: &vars,
        body: INSTALL_BODY,
    }
    .render();
    let mut files = vec![
        FileOut {
            name: "rocm-doctor.env".into(),
            text: env_file,
            exec: false,
        },
        FileOut {
            name: "install-env.sh".into(),
            text: install,
            exec: true,
        },
    ];
    let mut steps = vec![Step {
        script: "install-env.sh".into(),
        title: "hook rocm-doctor.env into the login profile".into(),
        root: false,
        timeout_secs: super::STEP_TIMEOUT_SECS,
    }];
    readme.push(format!(
        "`install-env.sh` adds a marked block to your login profile that reads `rocm-doctor.env`. It takes effect in new login shells; to use it in this shell now, run `set -a; . {env_q}; set +a`."
    ));
    let unwanted: Vec<String> = ctx
        .snapshot
        .env
        .overrides
        .iter()
        .filter(|o| Some(o.value.as_str()) != safe.map(|s| s.value.as_str()))
        .map(|o| format!("{}={}", o.var, o.value))
        .collect();
    if !unwanted.is_empty() {
        let title = "comment HSA_OVERRIDE_GFX_VERSION out of /etc/environment";
        let script = StepScript {
            title,
            about: &[format!(
                "The scan saw {} ({}); this value should not be set for {gfx}.",
                unwanted.join(", "),
                ctx.snapshot.env.source
            )],
            sources: &sources,
            vars: &[("ETC_ENV", "/etc/environment".to_owned())],
            body: ETC_BODY,
        }
        .render();
        files.push(FileOut {
            name: "fix-etc-environment.sh".into(),
            text: script,
            exec: true,
        });
        steps.push(Step {
            script: "fix-etc-environment.sh".into(),
            title: title.into(),
            root: true,
            timeout_secs: super::STEP_TIMEOUT_SECS,
        });
        readme.push(format!(
            "The scan saw {} (read from `{}`). `fix-etc-environment.sh` comments such lines out of `/etc/environment` (as root, after a backup). If the variable comes from elsewhere (`~/.bashrc`, `/etc/profile.d/`), remove it there: `grep -rn HSA_OVERRIDE_GFX_VERSION ~/.bashrc ~/.profile /etc/profile.d /etc/environment`.",
            unwanted.join(", "),
            ctx.snapshot.env.source
        ));
        caveats.push("Programs started before the change (and desktop sessions) keep the old environment until you log in again.".into());
    }
    caveats.push("The profile hook covers login shells; services and cron jobs do not read it: give them `rocm-doctor.env` (systemd `EnvironmentFile=`, `docker --env-file`).".into());
    Ok(Draft {
        applicable: true,
        summary: summary.to_owned(),
        files,
        steps,
        readme,
        caveats,
        sources,
        undo: Vec::new(),
        outside: true,
    })
}

const INSTALL_BODY: &str = r#"rd_profile() {
  if [[ -f "$HOME/.bash_profile" ]]; then
    printf '%s\n' "$HOME/.bash_profile"
  else
    printf '%s\n' "$HOME/.profile"
  fi
}

# The profile without our block (awk -v would expand backslashes: pass the markers as env).
rd_without_block() {
  B="$BEGIN" E="$END" awk '$0 == ENVIRON["B"] {f = 1} !f {print} $0 == ENVIRON["E"] {f = 0}' "$1"
}

rd_block_of() {
  B="$BEGIN" E="$END" awk '$0 == ENVIRON["B"] {f = 1} f {print} $0 == ENVIRON["E"] {f = 0}' "$1"
}

rd_done() {
  local p
  p="$(rd_profile)"
  [[ -r "$p" ]] && [[ "$(rd_block_of "$p")" == "$BLOCK" ]]
}

rd_plan() {
  local p
  p="$(rd_profile)"
  rd_say "would back up $p and add (or refresh) this block in it:"
  printf '%s\n' "$BLOCK"
}

rd_act() {
  local p text=""
  p="$(rd_profile)"
  if [[ -r "$p" ]]; then text="$(rd_without_block "$p")"; fi
  [[ -z "$text" ]] || text+=$'\n'
  rd_write "$p" "$text$BLOCK"
}"#;

const ETC_BODY: &str = r#"rd_pattern='^[[:space:]]*(export[[:space:]]+)?HSA_OVERRIDE_GFX_VERSION(_[0-9]+)?='

rd_done() {
  [[ ! -r "$ETC_ENV" ]] || ! grep -Eq "$rd_pattern" "$ETC_ENV"
}

rd_plan() {
  rd_say "would back up $ETC_ENV and comment out (as root) these lines:"
  grep -En "$rd_pattern" "$ETC_ENV" || true
}

rd_act() {
  local text
  text="$(sed -E "s/($rd_pattern)/# disabled by rocm-doctor: \\1/" "$ETC_ENV")"
  rd_write "$ETC_ENV" "$text" root
}"#;
