//! TheRock (AMD's open build of ROCm) as `plan` and `fix` use it: where its multi-arch wheel
//! index is, where that is documented, and which Linux targets its support table marks ready.
//! Pinned to the TheRock commit read; one place, so plan and the scripts fix writes agree.

/// The multi-arch Python package index (per-target `[device-gfx…]` extras).
pub const INDEX: &str = "https://rocm.nightlies.amd.com/whl-multi-arch/";
/// Where the index, the extras and their install commands are documented.
pub const RELEASES: &str =
    "https://github.com/ROCm/TheRock/blob/89553ce3746eda74ade42557470d25e37c91b6f0/RELEASES.md";
/// Per-target build and test status.
pub const SUPPORTED: &str =
    "https://github.com/ROCm/TheRock/blob/89553ce3746eda74ade42557470d25e37c91b6f0/SUPPORTED_GPUS.md";
/// The Python versions its wheels are built for (3.10 to 3.14).
pub const PYTHONS: &str = "https://github.com/ROCm/TheRock/blob/89553ce3746eda74ade42557470d25e37c91b6f0/docs/packaging/legacy_per_family_releases.md";

/// Linux targets [`SUPPORTED`] marks build passing, sanity tested and release ready.
pub const READY: &[&str] = &[
    "gfx942", "gfx1201", "gfx1200", "gfx1152", "gfx1151", "gfx1150", "gfx1103", "gfx1102",
    "gfx1101", "gfx1100", "gfx1036", "gfx1035", "gfx1034", "gfx1033", "gfx1032", "gfx1031",
    "gfx1030", "gfx1012", "gfx1011", "gfx1010",
];

use super::gfx_support::{self, NativeBuild};

/// The knowledge base's TheRock row for `gfx` and the pip extra it names (`device-gfx1010`).
pub fn extra(gfx: &str) -> Option<(&'static NativeBuild, String)> {
    let t = gfx_support::target(gfx)?;
    t.native_builds.iter().find_map(|b| {
        if !b.name.starts_with("TheRock ") {
            return None;
        }
        let rest = b.name.split("pip extra ").nth(1)?;
        let extra: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        (extra.starts_with("device-gfx")).then_some((b, extra))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extras_come_from_the_knowledge_rows() {
        assert_eq!(extra("gfx1010").unwrap().1, "device-gfx1010");
        assert_eq!(extra("gfx1031:xnack-").unwrap().1, "device-gfx1031");
        assert_eq!(extra("gfx942").unwrap().1, "device-gfx942");
        assert!(extra("gfx1013").is_none(), "no TheRock row");
    }
}
