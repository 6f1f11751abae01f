//! `container`: a Dockerfile on a rocm/pytorch image that serves the GPU (natively, or through
//! an override stand-in rated `works`), a step that builds it, and `run.sh`, which starts it
//! with the GPU device nodes and the user's project mounted. The image, the override and the
//! TheRock layer (for targets no image serves) are the plan's choice; this renders them.

use super::apply::basis_hash;
use super::native_build::THEROCK_RELEASES;
use super::shell::{header, quote, quote_path, StepScript};
use super::{safe_override, Ctx, Draft, FileOut, Step};
use crate::knowledge::images::{self, Confidence};

/// ROCm's container guide: `--device /dev/kfd --device /dev/dri --security-opt seccomp=unconfined`.
const DOCKER_GUIDE: &str = "https://github.com/ROCm/rocm-install-on-linux/blob/55c77b97878799b0789aedfa1b43bd914dbc2391/docs/how-to/docker.rst";
/// ROCm's PyTorch guide: `--group-add video --ipc=host` for rocm/pytorch images.
const PYTORCH_GUIDE: &str = "https://github.com/ROCm/rocm-install-on-linux/blob/cb434032f4973256226aa41b7f46a5161452bc12/docs/how-to/3rd-party/pytorch-install.rst";
/// ROCm's prerequisites: GPU access needs the `render` and `video` groups.
const GROUPS_GUIDE: &str = "https://github.com/ROCm/rocm-install-on-linux/blob/a744d726940b3a5367ad1c92d56c584611c2bd64/docs/how-to/prerequisites.rst";

/// The container solution.
pub(crate) fn draft(ctx: &Ctx) -> anyhow::Result<Draft> {
    let summary =
        "a Docker/Podman image that serves this GPU, and run.sh to start it with your project";
    let st = ctx.setup;
    let gfx = st.gfx.as_str();
    let Some(img) = st
        .image
        .as_deref()
        .and_then(|r| images::all().iter().find(|i| i.reference() == r))
    else {
        return Ok(Draft::not_applicable(
            summary,
            vec!["The plan chose no image for this GPU.".into()],
            Vec::new(),
        ));
    };
    let mut sources = vec![
        DOCKER_GUIDE.to_owned(),
        PYTORCH_GUIDE.to_owned(),
        GROUPS_GUIDE.to_owned(),
    ];
    let mut readme = Vec::new();
    let mut caveats = Vec::new();
    let override_env = st
        .override_value
        .as_ref()
        .map(|v| format!("HSA_OVERRIDE_GFX_VERSION={v}"))
        .unwrap_or_default();
    let visible_env = st
        .visible_devices
        .as_ref()
        .map(|d| format!("ROCR_VISIBLE_DEVICES={d}"))
        .unwrap_or_default();
    sources.push(img.source.clone());
    let described = format!(
        "`{}`: ROCm {}, PyTorch {}, Python {}, {} {} ({} in AMD's lists)",
        img.reference(),
        img.rocm,
        img.torch,
        img.python,
        img.distro,
        img.distro_version,
        if img.confidence == Confidence::Documented {
            "documented"
        } else {
            "seen in public Dockerfiles, not"
        }
    );
    let dockerfile_body = match (st.pip.first(), &st.index_url) {
        (Some(spec), Some(index)) => {
            sources.push(THEROCK_RELEASES.to_owned());
            readme.push(format!(
                "No rocm/pytorch image carries {gfx} code, so the base image {described} only gives the Python; TheRock's PyTorch for {gfx} (`{spec}` from <{index}>) goes into `/opt/rocm-doctor-venv`, first on PATH."
            ));
            caveats.push("The base image's own PyTorch cannot run on this GPU; use the venv's python (the default on PATH).".into());
            caveats.push(
                "TheRock wheels are nightly builds; rebuilding the image may fetch a different one."
                    .into(),
            );
            format!(
                "FROM {}\nRUN python3 -m venv /opt/rocm-doctor-venv \\\n && /opt/rocm-doctor-venv/bin/python -m pip install --index-url {index} \"{spec}\"\nENV PATH=/opt/rocm-doctor-venv/bin:$PATH\nWORKDIR /workspace\n",
                img.reference()
            )
        }
        _ => {
            readme.push(format!("Base image {described}."));
            match (&st.override_value, safe_override(gfx)) {
                (Some(v), Some(o)) if &o.value == v => {
                    readme.push(format!(
                        "The image has no {gfx} code; run.sh passes `{override_env}` so the runtime loads {}'s code, which reports say works on this card: {}.",
                        o.stands_in, o.detail
                    ));
                    sources.push(o.source.clone());
                }
                (Some(_), _) => readme.push(format!(
                    "run.sh passes `{override_env}`, the stand-in the plan chose for {gfx}."
                )),
                (None, _) => readme.push(format!(
                    "The image's ROCm supports {gfx} officially: no override is set."
                )),
            }
            format!("FROM {}\nWORKDIR /workspace\n", img.reference())
        }
    };
    if !visible_env.is_empty() {
        readme.push(format!("run.sh passes `{visible_env}`: only the planned GPU is visible in the container, not the integrated one."));
    }
    let dockerfile = format!(
        "# syntax=docker/dockerfile:1\n# Generated by rocm-doctor {} for {}.\n# Sources: {}\n{dockerfile_body}",
        env!("CARGO_PKG_VERSION"),
        ctx.gpu_name,
        sources.join(" ")
    );
    let tag = basis_hash(&serde_json::Value::String(dockerfile.clone()));
    let image = format!("rocm-doctor/{gfx}:{}", &tag[tag.len() - 12..]);
    let project = match &ctx.project {
        Some(p) => quote_path(p)?,
        None => "''".into(),
    };
    let build = StepScript {
        title: "build the container image",
        about: &[format!("Builds {image} from the Dockerfile here (docker, else podman; CONTAINER_ENGINE= chooses).")],
        sources: &sources,
        vars: &[("IMAGE", image.clone())],
        body: BUILD_BODY,
    }
    .render();
    let mut run = header(
        "Start the container with the GPU and the project mounted at /workspace",
        &["Usage: run.sh [--print] [--project DIR] [COMMAND...] (default project: the current directory).".into()],
        &sources,
    );
    run.push_str(&format!(
        "set -euo pipefail\nIMAGE={}\nPROJECT={project}\nOVERRIDE_ENV={}\nVISIBLE_ENV={}\n{ENGINE_FN}{RUN_BODY}",
        quote(&image),
        quote(&override_env),
        quote(&visible_env)
    ));
    let compose = compose_yaml(&image, &[&override_env, &visible_env], ctx)?;
    readme.push("`build-image.sh` builds the image (a dry run without arguments). `run.sh` then starts it: `--device=/dev/kfd --device=/dev/dri` give it the GPU, `--group-add video --group-add render` the groups that may open those nodes (passed as the host's group ids, since the names may not exist in the image), `--security-opt seccomp=unconfined` and `--ipc=host` (shared memory for data loaders) what ROCm's container and PyTorch guides use. Your project (the current directory, or `--project DIR`) is mounted at `/workspace`.".into());
    readme
        .push("`compose.yaml` describes the same container for `docker compose run rocm`.".into());
    caveats
        .push("Images are large (tens of GB unpacked); building needs that much free disk.".into());
    caveats.push("The container shares the host's kernel driver: the amdgpu module and /dev/kfd must work on the host.".into());
    let undo = vec![format!(
        "e=\"${{CONTAINER_ENGINE:-$(command -v docker || command -v podman || true)}}\"\nif [[ -n \"$e\" ]] && \"$e\" image inspect {0} >/dev/null 2>&1; then rd_do \"remove the image {1}\" \"$e\" image rm {0}; fi",
        quote(&image),
        image
    )];
    Ok(Draft {
        applicable: true,
        summary: summary.to_owned(),
        files: vec![
            FileOut {
                name: "Dockerfile".into(),
                text: dockerfile,
                exec: false,
            },
            FileOut {
                name: "build-image.sh".into(),
                text: build,
                exec: true,
            },
            FileOut {
                name: "run.sh".into(),
                text: run,
                exec: true,
            },
            FileOut {
                name: "compose.yaml".into(),
                text: compose,
                exec: false,
            },
        ],
        steps: vec![Step {
            script: "build-image.sh".into(),
            title: "build the container image".into(),
            root: false,
            timeout_secs: super::STEP_TIMEOUT_SECS,
        }],
        readme,
        caveats,
        sources,
        undo,
        outside: true,
    })
}

/// compose.yaml; strings are JSON-quoted (valid YAML) with `$` doubled for compose.
fn compose_yaml(image: &str, env: &[&str], ctx: &Ctx) -> anyhow::Result<String> {
    let q = |s: &str| serde_json::to_string(&s.replace('$', "$$")).unwrap_or_default();
    let project = match &ctx.project {
        Some(p) => q(&format!("{}:/workspace", p.to_string_lossy())),
        None => "\"${PWD}:/workspace\"".to_owned(),
    };
    let mut s = format!(
        "# Generated by rocm-doctor {}: `docker compose build` (or run build-image.sh), then `docker compose run --rm rocm`.\nservices:\n  rocm:\n    image: {}\n    build: .\n    devices: [\"/dev/kfd\", \"/dev/dri\"]\n    group_add: [\"video\", \"render\"]\n    security_opt: [\"seccomp=unconfined\"]\n    ipc: host\n    stdin_open: true\n    tty: true\n    working_dir: /workspace\n    volumes:\n      - {project}\n",
        env!("CARGO_PKG_VERSION"),
        q(image)
    );
    let vars: Vec<(&str, &str)> = env.iter().filter_map(|e| e.split_once('=')).collect();
    if !vars.is_empty() {
        s.push_str("    environment:\n");
        for (k, v) in vars {
            s.push_str(&format!("      {k}: {}\n", q(v)));
        }
    }
    Ok(s)
}

const ENGINE_FN: &str = r#"# docker, else podman (CONTAINER_ENGINE= overrides).
rd_engine() {
  if [[ -n "${CONTAINER_ENGINE:-}" ]]; then printf '%s\n' "$CONTAINER_ENGINE"; return 0; fi
  if command -v docker >/dev/null 2>&1; then echo docker; return 0; fi
  if command -v podman >/dev/null 2>&1; then echo podman; return 0; fi
  return 1
}
"#;

const BUILD_BODY: &str = r#"rd_engine() {
  if [[ -n "${CONTAINER_ENGINE:-}" ]]; then printf '%s\n' "$CONTAINER_ENGINE"; return 0; fi
  if command -v docker >/dev/null 2>&1; then echo docker; return 0; fi
  if command -v podman >/dev/null 2>&1; then echo podman; return 0; fi
  return 1
}

rd_done() {
  local e
  e="$(rd_engine)" || return 1
  "$e" image inspect "$IMAGE" >/dev/null 2>&1
}

rd_plan() {
  local e
  e="$(rd_engine)" || { rd_say "neither docker nor podman is on PATH: install one first"; return 0; }
  rd_say "would run: $e build -t $IMAGE $here"
}

rd_act() {
  local e
  e="$(rd_engine)" || rd_die "neither docker nor podman is on PATH"
  "$e" build -t "$IMAGE" "$here"
}"#;

const RUN_BODY: &str = r#"
print=""
if [[ "${1:-}" == "--print" ]]; then print=1; shift; fi
project="${PROJECT:-$PWD}"
if [[ "${1:-}" == "--project" ]]; then
  [[ $# -ge 2 ]] || { echo "run.sh: --project needs a directory" >&2; exit 2; }
  project="$2"
  shift 2
fi
engine="$(rd_engine)" || engine=""
if [[ -z "$engine" && -z "$print" ]]; then
  echo "run.sh: neither docker nor podman is on PATH" >&2
  exit 1
fi

# The host's group ids: names may not exist inside the image.
gid_of() { getent group "$1" | cut -d: -f3 | grep . || printf '%s\n' "$1"; }

args=(run --rm -i --device=/dev/kfd --device=/dev/dri
  --group-add "$(gid_of video)" --group-add "$(gid_of render)"
  --security-opt seccomp=unconfined --ipc=host
  -v "$project:/workspace" -w /workspace)
if [[ -t 0 ]]; then args+=(-t); fi
if [[ -n "$OVERRIDE_ENV" ]]; then args+=(--env "$OVERRIDE_ENV"); fi
if [[ -n "$VISIBLE_ENV" ]]; then args+=(--env "$VISIBLE_ENV"); fi
args+=("$IMAGE")
if [[ $# -gt 0 ]]; then args+=("$@"); else args+=(bash); fi

if [[ -n "$print" ]]; then
  printf '%q ' "${engine:-docker}" "${args[@]}"
  printf '\n'
  exit 0
fi
if ! "$engine" image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "run.sh: image $IMAGE is not built yet: run build-image.sh --apply first" >&2
  exit 1
fi
exec "$engine" "${args[@]}"
"#;
