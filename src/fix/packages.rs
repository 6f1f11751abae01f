//! `packages`: AMD's apt repository (repo.radeon.com) for the newest ROCm release that supports
//! the GPU (officially, or through an override stand-in rated `works`), pinned as AMD's Ubuntu
//! guide pins it, then the `rocm` meta package. The distribution is detected when the script
//! runs (`/etc/os-release`); only Ubuntu and its derivatives with `UBUNTU_CODENAME` are handled.

use super::shell::StepScript;
use super::{Ctx, Draft, FileOut, Step};
use crate::knowledge::gfx_support;

/// AMD's Ubuntu native-install guide: key, repository line, pin file, install, uninstall.
const GUIDE: &str = "https://github.com/ROCm/rocm-install-on-linux/blob/001dde257a623be99ecc1e0edc1f2340fffd4ef6/docs/how-to/native-install/ubuntu.rst";
const KEY_URL: &str = "https://repo.radeon.com/rocm/rocm.gpg.key";
/// The key's SHA-1 as the guide gives it (it warns the key may change).
const KEY_SHA1: &str = "73f5d8100de6048aa38a8b84cd9a87f05177d208";

/// The packages solution.
pub(crate) fn draft(ctx: &Ctx) -> anyhow::Result<Draft> {
    let summary = "AMD's apt repository for a ROCm release that supports this GPU, pinned, and the rocm package";
    let st = ctx.setup;
    let gfx = st.gfx.as_str();
    let Some(version) = st.rocm_release.clone() else {
        return Ok(Draft::not_applicable(
            summary,
            vec!["The plan chose no ROCm release for this GPU.".into()],
            vec![GUIDE.to_owned()],
        ));
    };
    let needs_override = st.override_value.clone();
    // The guide's URLs use the version as released; x.y.0 directories are named x.y.
    let repo_version = version.strip_suffix(".0").unwrap_or(&version).to_owned();
    let mut sources = vec![GUIDE.to_owned()];
    if let Some(t) = gfx_support::target(gfx) {
        sources.extend(t.official_sources.iter().cloned());
    }
    let vars = [
        ("ROCM_VERSION", repo_version.clone()),
        ("KEY_URL", KEY_URL.to_owned()),
        ("KEY_SHA1", KEY_SHA1.to_owned()),
        ("KEYRING", "/etc/apt/keyrings/rocm.gpg".to_owned()),
        ("LIST", "/etc/apt/sources.list.d/rocm.list".to_owned()),
        ("PIN", "/etc/apt/preferences.d/rocm-pin-600".to_owned()),
    ];
    let repo = StepScript {
        title: "add AMD's ROCm apt repository (pinned)",
        about: &[format!(
            "ROCm {version}: the newest release the knowledge base lists as supporting {gfx}."
        )],
        sources: &sources,
        vars: &vars,
        body: &format!("{OS_FN}{REPO_BODY}"),
    }
    .render();
    let install = StepScript {
        title: "install the rocm meta package",
        about: &["Refuses when another ROCm version is installed: remove that one first.".into()],
        sources: &sources,
        vars: &[("ROCM_VERSION", repo_version.clone())],
        body: INSTALL_BODY,
    }
    .render();
    let mut readme = vec![
        format!("ROCm {version} is the newest release the knowledge base lists as supporting {gfx}{}.", match &needs_override {
            Some(v) => format!(" through `HSA_OVERRIDE_GFX_VERSION={v}` (set it with `rocm-doctor fix env`)"),
            None => " officially".to_owned(),
        }),
        format!("`add-rocm-repo.sh` follows AMD's Ubuntu guide: it reads `/etc/os-release` for the Ubuntu codename, checks that <https://repo.radeon.com/rocm/apt/{repo_version}> has that codename, installs the signing key into `/etc/apt/keyrings/rocm.gpg`, writes `/etc/apt/sources.list.d/rocm.list` and the pin `/etc/apt/preferences.d/rocm-pin-600` (`Pin: release o=repo.radeon.com`, priority 600, so AMD's packages win over the distribution's), then runs `apt-get update`. Existing files are backed up first."),
        "`install-rocm.sh` installs the `rocm` meta package (several GB). It stops if another ROCm version is installed.".into(),
        "The way back: `rollback.sh --apply` restores the repository files as they were, runs `apt-get update`, and removes the `rocm` package when this directory installed it. AMD's guide's own uninstall is `sudo apt autoremove rocm` and `sudo apt autoremove rocm-core`.".into(),
    ];
    let mut caveats = vec![
        "Only Ubuntu (and derivatives that set UBUNTU_CODENAME) is handled; other distributions have their own pages in AMD's install guide.".to_owned(),
        "The kernel driver is not touched: the distribution's amdgpu module is used. AMD's guide also offers amdgpu-dkms from repo.radeon.com/amdgpu.".to_owned(),
    ];
    for i in &ctx.snapshot.rocm.installs {
        if i.layout == "debian" || i.layout == "fedora" {
            caveats.push(format!("The scan found a distribution-packaged ROCm at `{}`; AMD's packages and the distribution's can conflict: remove one.", i.path));
        }
    }
    if ctx.snapshot.access.amdgpu_loaded != Some(true) {
        readme.push("The scan did not see the amdgpu kernel driver loaded: ROCm's packages cannot help until the kernel drives the GPU (`/dev/kfd`).".into());
    }
    let undo = vec![
        "if [[ -n \"$rd_rolled\" ]]; then rd_do \"refresh apt's package lists\" rd_as_root apt-get update; fi".to_owned(),
        "if [[ -f \"$here/state/rocm-installed\" ]]; then rd_do \"remove the rocm package install-rocm.sh installed\" rd_as_root apt-get autoremove -y rocm; rd_do \"forget it\" mv -- \"$here/state/rocm-installed\" \"$here/state/rocm-removed\"; fi".to_owned(),
    ];
    Ok(Draft {
        applicable: true,
        summary: summary.to_owned(),
        files: vec![
            FileOut {
                name: "add-rocm-repo.sh".into(),
                text: repo,
                exec: true,
            },
            FileOut {
                name: "install-rocm.sh".into(),
                text: install,
                exec: true,
            },
        ],
        steps: vec![
            Step {
                script: "add-rocm-repo.sh".into(),
                title: "add AMD's ROCm apt repository (pinned)".into(),
                root: true,
                timeout_secs: super::STEP_TIMEOUT_SECS,
            },
            Step {
                script: "install-rocm.sh".into(),
                title: "install the rocm meta package".into(),
                root: true,
                timeout_secs: super::STEP_TIMEOUT_SECS,
            },
        ],
        readme,
        caveats,
        sources,
        undo,
        outside: true,
    })
}

const OS_FN: &str = r#"# The Ubuntu codename of this system, or nothing (not Ubuntu).
rd_codename() {
  local id="" ubuntu="" codename=""
  if [[ -r /etc/os-release ]]; then
    id="$(. /etc/os-release && printf '%s' "${ID:-}")"
    ubuntu="$(. /etc/os-release && printf '%s' "${UBUNTU_CODENAME:-}")"
    codename="$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")"
  fi
  if [[ -n "$ubuntu" ]]; then printf '%s\n' "$ubuntu"; elif [[ "$id" == ubuntu ]]; then printf '%s\n' "$codename"; fi
}

rd_line() {
  printf 'deb [arch=amd64 signed-by=%s] https://repo.radeon.com/rocm/apt/%s %s main' "$KEYRING" "$ROCM_VERSION" "$1"
}

rd_pin_text='Package: *
Pin: release o=repo.radeon.com
Pin-Priority: 600'

"#;

const REPO_BODY: &str = r#"rd_done() {
  local c
  c="$(rd_codename)"
  [[ -n "$c" ]] && [[ -s "$KEYRING" ]] && rd_has "$LIST" "$(rd_line "$c")" && rd_has "$PIN" "$rd_pin_text"
}

rd_plan() {
  local c
  c="$(rd_codename)"
  [[ -n "$c" ]] || { rd_say "this is not Ubuntu: follow AMD's guide for your distribution instead"; return 0; }
  rd_say "would check https://repo.radeon.com/rocm/apt/$ROCM_VERSION/dists/$c/Release exists"
  rd_say "would install the key $KEY_URL into $KEYRING (as root, after a backup)"
  rd_say "would write $LIST: $(rd_line "$c")"
  rd_say "would write $PIN:"
  printf '%s\n' "$rd_pin_text"
  rd_say "would run: apt-get update"
}

rd_act() {
  local c tmp sum
  c="$(rd_codename)"
  [[ -n "$c" ]] || rd_die "not Ubuntu (see /etc/os-release): follow AMD's guide for your distribution"
  curl -fsSLI "https://repo.radeon.com/rocm/apt/$ROCM_VERSION/dists/$c/Release" >/dev/null ||
    rd_die "repo.radeon.com has no ROCm $ROCM_VERSION for Ubuntu $c"
  tmp="$(mktemp -d)"
  trap 'rm -rf -- "$tmp"' EXIT
  curl -fsSL "$KEY_URL" -o "$tmp/rocm.gpg.key"
  sum="$(sha1sum "$tmp/rocm.gpg.key" | cut -d' ' -f1)"
  [[ "$sum" == "$KEY_SHA1" ]] || rd_say "warning: the key's SHA-1 is $sum, not $KEY_SHA1 as the guide says; AMD may have rotated it"
  gpg --dearmor <"$tmp/rocm.gpg.key" >"$tmp/rocm.gpg"
  rd_backup "$KEYRING"
  rd_as_root mkdir -p --mode=0755 "$(dirname -- "$KEYRING")"
  rd_as_root install -m 0644 "$tmp/rocm.gpg" "$KEYRING"
  rd_write "$LIST" "$(rd_line "$c")" root
  rd_write "$PIN" "$rd_pin_text" root
  rd_as_root apt-get update
}"#;

const INSTALL_BODY: &str = r#"rd_installed_version() {
  { dpkg-query -W -f='${Status} ${Version}\n' rocm 2>/dev/null || true; } | sed -n 's/^install ok installed //p'
}

rd_done() {
  local v
  v="$(rd_installed_version)"
  [[ -n "$v" && "$v" == "$ROCM_VERSION".* ]]
}

rd_plan() {
  local v
  v="$(rd_installed_version)"
  if [[ -n "$v" ]]; then rd_say "rocm $v is installed: remove it first (sudo apt autoremove rocm)"; return 0; fi
  rd_say "would run: apt-get install -y rocm (ROCm $ROCM_VERSION, as root)"
}

rd_act() {
  local v
  v="$(rd_installed_version)"
  [[ -z "$v" ]] || rd_die "rocm $v is installed; remove it first (sudo apt autoremove rocm), then run this again"
  command -v apt-get >/dev/null 2>&1 || rd_die "apt-get not found: this step is for Ubuntu"
  rd_as_root apt-get install -y rocm
  mkdir -p -- "$here/state"
  : >"$here/state/rocm-installed"
}"#;
