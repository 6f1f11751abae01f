//! The environment variables that steer the ROCm runtime, and what `HSA_OVERRIDE_GFX_VERSION`
//! makes the runtime report.
//!
//! On this machine they come from the process environment. A captured tree has no process:
//! there they come from `rocm-doctor/env` inside the tree (`KEY=VALUE` lines, as `capture`
//! will write them), else from its `/etc/environment`, else nowhere.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::root::Root;
use crate::snapshot::Observed;

/// Prefixes and names of the variables that matter to a ROCm stack.
const RELEVANT: &[&str] = &[
    "HSA_",
    "HIP_",
    "ROCM_",
    "ROCR_",
    "HCC_",
    "MIOPEN_",
    "PYTORCH_",
    "TORCH_",
    "AMD_",
    "GPU_",
    "LD_LIBRARY_PATH",
    "CUDA_VISIBLE_DEVICES",
    "OMP_DEFAULT_DEVICE",
];

/// What the environment says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnvProbe {
    /// `process`, `rocm-doctor/env` or `/etc/environment` (in the root), or `none`.
    pub source: String,
    /// The relevant variables and their values.
    pub vars: BTreeMap<String, String>,
    /// Each `HSA_OVERRIDE_GFX_VERSION[_<node>]` and the target it makes the runtime report.
    pub overrides: Vec<Override>,
}

/// One override variable.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Override {
    /// The variable's name.
    pub var: String,
    /// The KFD node it applies to (`HSA_OVERRIDE_GFX_VERSION_<n>`), or `None` for all GPUs.
    pub node: Option<u32>,
    /// Its value as written.
    pub value: String,
    /// The gfx target the runtime will report, or why the value is not one.
    pub reports: Observed<String>,
}

/// Reads the environment: the process's when `root` is the host, else the tree's
/// `rocm-doctor/env` or `/etc/environment`.
pub fn probe(root: &Root) -> EnvProbe {
    let (source, all): (&str, Vec<(String, String)>) = if root.is_host() {
        ("process", std::env::vars().collect())
    } else {
        // The process environment `capture` saved, else the machine-wide one.
        match (
            root.read_to_string("/rocm-doctor/env"),
            root.read_to_string("/etc/environment"),
        ) {
            (Observed::Present(text), _) => ("rocm-doctor/env", parse_env_file(&text)),
            (_, Observed::Present(text)) => ("/etc/environment", parse_env_file(&text)),
            _ => ("none", Vec::new()),
        }
    };
    from_vars(source, all)
}

/// The probe for a given list of variables (`source` says where they came from).
pub fn from_vars(source: &str, all: impl IntoIterator<Item = (String, String)>) -> EnvProbe {
    let vars: BTreeMap<String, String> = all
        .into_iter()
        .filter(|(k, _)| {
            RELEVANT
                .iter()
                .any(|r| k == r || (r.ends_with('_') && k.starts_with(r)))
        })
        .collect();
    let overrides = vars
        .iter()
        .filter_map(|(k, v)| {
            let rest = k.strip_prefix("HSA_OVERRIDE_GFX_VERSION")?;
            let node = match rest {
                "" => None,
                r => Some(r.strip_prefix('_')?.parse().ok()?),
            };
            Some(Override {
                var: k.clone(),
                node,
                value: v.clone(),
                reports: override_target(v),
            })
        })
        .collect();
    EnvProbe {
        source: source.to_owned(),
        vars,
        overrides,
    }
}

impl EnvProbe {
    /// What the runtime reports for a GPU on KFD node `node` whose hardware target is `gfx`:
    /// the node's own override if set, else the global one, else `gfx`. A malformed override
    /// changes nothing here (the probe records why it is malformed).
    pub fn runtime_target(&self, node: Option<&str>, gfx: Option<&str>) -> Option<String> {
        let node: Option<u32> = node.and_then(|n| n.parse().ok());
        let pick = |want: Option<u32>| {
            self.overrides
                .iter()
                .find(|o| o.node == want)
                .and_then(|o| o.reports.present().cloned())
        };
        node.and_then(|n| pick(Some(n)))
            .or_else(|| pick(None))
            .or_else(|| gfx.map(str::to_owned))
    }
}

/// `KEY=VALUE` lines; blank lines and `#` comments skipped.
fn parse_env_file(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let (k, v) = l.strip_prefix("export ").unwrap_or(l).split_once('=')?;
            Some((k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
        })
        .collect()
}

/// The target an override value makes the runtime report. The runtime reads
/// `major.minor.stepping` in decimal, each within 63/255/255 (ROCm's
/// rocm_agent_enumerator, https://github.com/ROCm/rocminfo/blob/amd-staging/rocm_agent_enumerator)
/// and names the target like KFD's `gfx_target_version`: `10.3.0` → gfx1030, `9.0.10` → gfx90a.
pub fn override_target(value: &str) -> Observed<String> {
    let parts: Vec<&str> = value.trim().split('.').collect();
    let [major, minor, stepping] = parts.as_slice() else {
        return Observed::Malformed(format!(
            "{value:?} is not major.minor.stepping (e.g. 10.3.0)"
        ));
    };
    let (Ok(major), Ok(minor), Ok(stepping)) = (
        major.parse::<u32>(),
        minor.parse::<u32>(),
        stepping.parse::<u32>(),
    ) else {
        return Observed::Malformed(format!("{value:?} has a part that is not a decimal number"));
    };
    if major > 63 || minor > 255 || stepping > 255 {
        return Observed::Malformed(format!(
            "{value:?} is beyond the runtime's limits 63.255.255"
        ));
    }
    let version = major * 10_000 + minor * 100 + stepping;
    match rocm_formats::gfx::from_kfd_gfx_target_version(version) {
        Some(name) => Observed::Present(name),
        None => Observed::Malformed(format!("{value:?} names no gfx target")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_values() {
        assert_eq!(
            override_target("10.3.0"),
            Observed::Present("gfx1030".into())
        );
        assert_eq!(
            override_target("11.0.0"),
            Observed::Present("gfx1100".into())
        );
        assert_eq!(
            override_target("9.0.10"),
            Observed::Present("gfx90a".into())
        );
        assert_eq!(
            override_target(" 10.1.0 "),
            Observed::Present("gfx1010".into())
        );
        assert!(matches!(override_target("10.3"), Observed::Malformed(_)));
        assert!(matches!(override_target("gfx1030"), Observed::Malformed(_)));
        assert!(matches!(override_target("10.3.x"), Observed::Malformed(_)));
        assert!(matches!(override_target("64.0.0"), Observed::Malformed(_)));
    }

    #[test]
    fn picks_relevant_variables_and_per_node_overrides() {
        let p = from_vars(
            "test",
            [
                ("HSA_OVERRIDE_GFX_VERSION", "10.3.0"),
                ("HSA_OVERRIDE_GFX_VERSION_1", "11.0.0"),
                ("HSA_OVERRIDE_GFX_VERSION_X", "1.2.3"),
                ("HOME", "/root"),
                ("ROCR_VISIBLE_DEVICES", "0"),
                ("LD_LIBRARY_PATH", "/opt/rocm/lib"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        assert!(!p.vars.contains_key("HOME"));
        assert!(
            p.vars.contains_key("ROCR_VISIBLE_DEVICES") && p.vars.contains_key("LD_LIBRARY_PATH")
        );
        let o: Vec<(Option<u32>, &Observed<String>)> =
            p.overrides.iter().map(|o| (o.node, &o.reports)).collect();
        assert_eq!(
            o,
            [
                (None, &Observed::Present("gfx1030".into())),
                (Some(1), &Observed::Present("gfx1100".into()))
            ]
        );
    }

    #[test]
    fn node_override_wins_over_the_global_one() {
        let p = from_vars(
            "test",
            [
                ("HSA_OVERRIDE_GFX_VERSION", "10.3.0"),
                ("HSA_OVERRIDE_GFX_VERSION_2", "11.0.0"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        assert_eq!(
            p.runtime_target(Some("1"), Some("gfx1031")).as_deref(),
            Some("gfx1030")
        );
        assert_eq!(
            p.runtime_target(Some("2"), Some("gfx1103")).as_deref(),
            Some("gfx1100")
        );
        let none = from_vars("test", Vec::new());
        assert_eq!(
            none.runtime_target(Some("1"), Some("gfx1031")).as_deref(),
            Some("gfx1031")
        );
        let bad = from_vars(
            "test",
            [("HSA_OVERRIDE_GFX_VERSION".to_owned(), "10.3".to_owned())],
        );
        assert_eq!(
            bad.runtime_target(None, Some("gfx1031")).as_deref(),
            Some("gfx1031")
        );
    }

    #[test]
    fn env_files_of_captured_trees() {
        let vars = parse_env_file(
            "# captured\nexport HSA_OVERRIDE_GFX_VERSION=\"10.3.0\"\n\nPATH=/usr/bin\n",
        );
        assert_eq!(
            vars[0],
            ("HSA_OVERRIDE_GFX_VERSION".to_owned(), "10.3.0".to_owned())
        );
        assert_eq!(vars.len(), 2);
    }
}
