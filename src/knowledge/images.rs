//! rocm/pytorch Docker images (data/docker_images.toml) and the choice of images for a GPU.
//!
//! An image is only offered for a target its ROCm supports officially, or for a target whose
//! override stand-in (`HSA_OVERRIDE_GFX_VERSION`) is reported to work and is itself official
//! in that ROCm: the images carry code for the official targets only.

use std::cmp::Ordering;
use std::sync::OnceLock;

use serde::Deserialize;

use super::gfx_support::{self, Support, Verdict};

/// How sure the row is that the tag exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Linked from AMD's image support matrix or compatibility page.
    Documented,
    /// Used in a public Dockerfile; not checked on Docker Hub.
    Seen,
}

/// One `rocm/pytorch` image.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Image {
    /// The tag (`rocm6.2_ubuntu22.04_py3.10_pytorch_release_2.3.0`).
    pub tag: String,
    /// ROCm inside (`6.2.1`).
    pub rocm: String,
    /// PyTorch inside (`2.3.0`).
    pub torch: String,
    /// Python `major.minor` inside.
    pub python: String,
    /// Distribution (`ubuntu`).
    pub distro: String,
    /// Its version (`22.04`).
    pub distro_version: String,
    /// How sure the row is.
    pub confidence: Confidence,
    /// Where the tag is listed.
    pub source: String,
}

impl Image {
    /// The reference for `docker pull` / `FROM`.
    pub fn reference(&self) -> String {
        format!("rocm/pytorch:{}", self.tag)
    }
}

/// The fields a tag encodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagParts {
    /// ROCm version.
    pub rocm: String,
    /// Distribution name.
    pub distro: String,
    /// Distribution version.
    pub distro_version: String,
    /// Python version.
    pub python: String,
    /// PyTorch version.
    pub torch: String,
    /// Whether the tag says `pytorch_release_`.
    pub release: bool,
}

/// How an image serves a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// The image's ROCm supports the target officially.
    Native,
    /// Through `HSA_OVERRIDE_GFX_VERSION` (value in the target's gfx_support row).
    Override,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    image: Vec<Image>,
}

/// Every image row, in file order.
pub fn all() -> &'static [Image] {
    static DATA: OnceLock<Vec<Image>> = OnceLock::new();
    DATA.get_or_init(|| {
        let f: File = super::parse_embedded(
            "docker_images.toml",
            include_str!("data/docker_images.toml"),
        );
        f.image
    })
}

fn is_version(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Reads `rocm<ROCm>_<distro><ver>_py<ver>_pytorch_[release_]<torch>` (an optional
/// `rocm/pytorch:` prefix is dropped). `None` for anything else.
pub fn parse_tag(tag: &str) -> Option<TagParts> {
    let tag = tag.strip_prefix("rocm/pytorch:").unwrap_or(tag);
    let (rocm, rest) = tag.strip_prefix("rocm")?.split_once('_')?;
    let (os, rest) = rest.split_once('_')?;
    let (python, rest) = rest.strip_prefix("py")?.split_once('_')?;
    let rest = rest.strip_prefix("pytorch_")?;
    let (release, torch) = match rest.strip_prefix("release_") {
        Some(t) => (true, t),
        None => (false, rest),
    };
    let split = os.find(|c: char| c.is_ascii_digit())?;
    let (distro, distro_version) = os.split_at(split);
    let ok = [rocm, distro_version, python, torch]
        .iter()
        .all(|v| is_version(v))
        && !distro.is_empty()
        && distro.bytes().all(|b| b.is_ascii_lowercase());
    ok.then(|| TagParts {
        rocm: rocm.to_owned(),
        distro: distro.to_owned(),
        distro_version: distro_version.to_owned(),
        python: python.to_owned(),
        torch: torch.to_owned(),
        release,
    })
}

/// Whether and how an image serves a target (`None`: it does not).
pub fn route(image: &Image, gfx: &str) -> Option<Route> {
    let t = gfx_support::target(gfx)?;
    if t.official_in(&image.rocm) == Support::Yes {
        return Some(Route::Native);
    }
    let o = t.stand_in.as_ref()?;
    let host = gfx_support::target(&o.stands_in)?;
    (o.verdict == Verdict::Works && host.official_in(&image.rocm) == Support::Yes)
        .then_some(Route::Override)
}

fn version_cmp(a: &str, b: &str) -> Ordering {
    let n = |s: &str| -> Vec<u32> { s.split('.').filter_map(|p| p.parse().ok()).collect() };
    n(a).cmp(&n(b))
}

/// Images that serve a target, best first: documented before seen, then newer ROCm, then
/// newer PyTorch. Empty for targets without official support or a working override.
pub fn for_target(gfx: &str) -> Vec<&'static Image> {
    let mut v: Vec<&Image> = all().iter().filter(|i| route(i, gfx).is_some()).collect();
    v.sort_by(|a, b| {
        a.confidence
            .cmp(&b.confidence)
            .then_with(|| version_cmp(&b.rocm, &a.rocm))
            .then_with(|| version_cmp(&b.torch, &a.torch))
    });
    v
}

/// The newest documented rocm/pytorch image with Python 3.10 or newer (TheRock's minimum).
pub fn python_base() -> Option<&'static Image> {
    let py = |i: &Image| -> (u32, u32) {
        let mut it = i.python.split('.').filter_map(|p| p.parse().ok());
        (it.next().unwrap_or(0), it.next().unwrap_or(0))
    };
    all()
        .iter()
        .filter(|i| i.confidence == Confidence::Documented && py(i) >= (3, 10))
        .max_by_key(|i| {
            (
                i.rocm
                    .split('.')
                    .filter_map(|p| p.parse::<u32>().ok())
                    .collect::<Vec<_>>(),
                py(i),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::super::wheels;
    use super::*;

    #[test]
    fn every_tag_agrees_with_its_row() {
        assert!(all().len() >= 20);
        for (n, i) in all().iter().enumerate() {
            assert!(i.source.starts_with("https://"), "{}", i.tag);
            assert!(
                all()[n + 1..].iter().all(|j| j.tag != i.tag),
                "duplicate {}",
                i.tag
            );
            let p = parse_tag(&i.tag).unwrap_or_else(|| panic!("tag {} off the scheme", i.tag));
            let row = (&i.rocm, &i.distro, &i.distro_version, &i.python, &i.torch);
            assert_eq!(
                row,
                (&p.rocm, &p.distro, &p.distro_version, &p.python, &p.torch)
            );
            assert!(gfx_support::rocm_line(&i.rocm).is_some(), "{}", i.tag);
            let rel = wheels::torch_release(&i.torch).unwrap_or_else(|| panic!("{}", i.tag));
            assert_ne!(wheels::python_ok(rel, &i.python), Support::No, "{}", i.tag);
        }
    }

    #[test]
    fn tag_scheme() {
        let p = parse_tag("rocm/pytorch:rocm6.2_ubuntu22.04_py3.10_pytorch_release_2.3.0");
        let p = p.expect("parses");
        assert_eq!(
            (p.rocm.as_str(), p.torch.as_str(), p.release),
            ("6.2", "2.3.0", true)
        );
        assert_eq!(
            (p.distro.as_str(), p.distro_version.as_str()),
            ("ubuntu", "22.04")
        );
        let p = parse_tag("rocm5.7_ubuntu20.04_py3.9_pytorch_2.0.1").unwrap();
        assert!(!p.release && p.python == "3.9");
        for bad in [
            "rocm5.7_ubuntu20.04_py3.9_pytorch_staging",
            "latest",
            "rocm6.1.2_ubuntu22.04_py3.10_pytorch_release-2.1.2",
            "rocm5.7_20.04_py3.9_pytorch_2.0.1",
        ] {
            assert!(parse_tag(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn choosing_images_for_a_gpu() {
        let native = for_target("gfx1030");
        assert!(!native.is_empty());
        assert!(native
            .iter()
            .all(|i| route(i, "gfx1030") == Some(Route::Native)));
        // Best first: documented ones lead, and within them ROCm never goes up.
        let first_seen = native.iter().position(|i| i.confidence == Confidence::Seen);
        let documented = &native[..first_seen.unwrap_or(native.len())];
        assert!(documented
            .iter()
            .all(|i| i.confidence == Confidence::Documented));
        assert!(documented
            .windows(2)
            .all(|w| version_cmp(&w[0].rocm, &w[1].rocm) != Ordering::Less));
        assert_eq!(native[0].rocm, "6.3.3");
        let via = for_target("gfx1031:xnack-");
        assert_eq!(via.len(), native.len());
        assert!(via
            .iter()
            .all(|i| route(i, "gfx1031") == Some(Route::Override)));
        assert!(
            for_target("gfx1010").is_empty(),
            "the 10.3.0 override is unsafe on RDNA1"
        );
        let rdna3 = for_target("gfx1100");
        assert!(!rdna3.is_empty() && rdna3.iter().all(|i| !i.rocm.starts_with("5.")));
        assert!(for_target("gfx9999").is_empty());
        assert!(native[0].reference().starts_with("rocm/pytorch:rocm6.3.3_"));
    }
}
