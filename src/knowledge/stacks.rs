//! Stacks reported working or failing per gfx target (data/stacks.toml): `plan` offers the
//! good ones, `check` matches an installed stack against the bad ones.

use std::sync::OnceLock;

use serde::Deserialize;

use super::gfx_support;

/// What the report says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StackVerdict {
    /// The tested workload ran.
    Good,
    /// It failed (crash, fault, hang or wrong results).
    Bad,
}

/// One reported combination.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stack {
    /// gfx targets of the cards in the report.
    pub gfx: Vec<String>,
    /// Whether it worked.
    pub verdict: StackVerdict,
    /// Python `major.minor`, or `unknown`.
    pub python: String,
    /// Wheel version (`1.13.1+rocm5.2`) or a description of the build.
    pub torch: String,
    /// ROCm the stack ran on (`5.2`, `6.1.3`), or `unknown`.
    pub rocm: String,
    /// numpy bound (`<2`), or `unknown`.
    pub numpy: String,
    /// Environment (`HSA_OVERRIDE_GFX_VERSION=10.3.0`) and application flags (`--no-half`).
    pub env: Vec<String>,
    /// What was run.
    pub tested: String,
    /// The outcome in one line.
    pub note: String,
    /// The thread.
    pub source: String,
    /// Further sources (e.g. for the numpy bound).
    #[serde(default)]
    pub also: Vec<String>,
}

impl Stack {
    /// The `HSA_OVERRIDE_GFX_VERSION` value the stack used, if any.
    pub fn override_value(&self) -> Option<&str> {
        self.env
            .iter()
            .find_map(|e| e.strip_prefix("HSA_OVERRIDE_GFX_VERSION="))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    stack: Vec<Stack>,
}

/// Every stack row, in file order.
pub fn all() -> &'static [Stack] {
    static DATA: OnceLock<Vec<Stack>> = OnceLock::new();
    DATA.get_or_init(|| {
        let f: File = super::parse_embedded("stacks.toml", include_str!("data/stacks.toml"));
        f.stack
    })
}

/// Stacks reported for a target (features ignored), good ones first, else in file order.
pub fn for_target(gfx: &str) -> Vec<&'static Stack> {
    let p = gfx_support::processor_of(gfx);
    let mut v: Vec<&Stack> = all()
        .iter()
        .filter(|s| s.gfx.iter().any(|g| g == p))
        .collect();
    v.sort_by_key(|s| s.verdict != StackVerdict::Good);
    v
}

#[cfg(test)]
mod tests {
    use super::super::gfx_support::{rocm_line, Support};
    use super::super::wheels;
    use super::*;

    #[test]
    fn rows_are_sourced_unique_and_cross_referenced() {
        assert!(all().len() >= 20);
        for (n, s) in all().iter().enumerate() {
            let id = format!("{} {:?} {}", s.torch, s.gfx, s.source);
            assert!(s.source.starts_with("https://"), "{id}");
            assert!(s.also.iter().all(|u| u.starts_with("https://")), "{id}");
            assert!(!s.gfx.is_empty() && !s.tested.is_empty() && !s.note.is_empty());
            let dup = all()[n + 1..].iter().any(|t| {
                (t.source == s.source && t.torch == s.torch)
                    && (t.env == s.env && t.verdict == s.verdict && t.rocm == s.rocm)
            });
            assert!(!dup, "duplicate {id}");
            for g in &s.gfx {
                assert!(gfx_support::target(g).is_some(), "{id}: {g}");
            }
            assert!(s.rocm == "unknown" || rocm_line(&s.rocm).is_some(), "{id}");
            assert!(s.numpy == "unknown" || s.numpy.starts_with('<'), "{id}");
            for e in &s.env {
                assert!(
                    e.starts_with("--") || e.split_once('=').is_some(),
                    "{id}: {e}"
                );
            }
            if let Some(v) = s.override_value() {
                let n: Vec<u32> = v.split('.').map(|p| p.parse().unwrap()).collect();
                let g = rocm_formats::gfx::gfx_name_from_version(n[0], n[1], n[2]).unwrap();
                assert!(gfx_support::target(&g).is_some(), "{id}: override {v}");
            }
        }
    }

    #[test]
    fn wheel_strings_agree_with_the_wheel_table() {
        for s in all() {
            let Some(ix) = wheels::rocm_index_of(&s.torch) else {
                continue;
            };
            let index = wheels::index(ix).unwrap_or_else(|| panic!("{}: no index", s.torch));
            assert_eq!(rocm_line(&index.rocm), rocm_line(&s.rocm), "{}", s.torch);
            let rel = wheels::torch_release(&s.torch).expect("release row");
            if s.python != "unknown" {
                assert_ne!(
                    wheels::python_ok(rel, &s.python),
                    Support::No,
                    "{}",
                    s.torch
                );
            }
        }
    }

    #[test]
    fn lookups_on_real_strings() {
        for g in [
            "gfx1010", "gfx1012", "gfx1030", "gfx1031", "gfx1032", "gfx1100",
        ] {
            assert!(!for_target(g).is_empty(), "{g} has no stacks");
        }
        let v = for_target("gfx1010:xnack-");
        let first_bad = v
            .iter()
            .position(|s| s.verdict == StackVerdict::Bad)
            .unwrap();
        assert!(
            first_bad > 0
                && v[first_bad..]
                    .iter()
                    .all(|s| s.verdict == StackVerdict::Bad)
        );
        let old = v
            .iter()
            .find(|s| s.torch == "1.13.1+rocm5.2")
            .expect("the 1.13.1 stack");
        assert_eq!(
            (old.verdict, old.numpy.as_str()),
            (StackVerdict::Good, "<2")
        );
        assert_eq!(old.override_value(), Some("10.3.0"));
        assert!(v.iter().any(|s| s.override_value() == Some("10.1.0")));
        assert!(for_target("gfx9999").is_empty());
    }
}
