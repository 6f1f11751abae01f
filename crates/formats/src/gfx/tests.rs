//! Tests of `gfx`.

use super::*;
use FeatureSetting::*;

#[test]
fn mach_table_round_trips_and_has_no_duplicates() {
    for (i, a) in PROCESSORS.iter().enumerate() {
        assert_eq!(mach_to_processor(a.mach), Some(a.name));
        assert_eq!(processor_to_mach(a.name), Some(a.mach));
        for b in PROCESSORS.iter().skip(i + 1) {
            assert_ne!(a.mach, b.mach, "{} and {}", a.name, b.name);
            assert_ne!(a.name, b.name);
        }
    }
    assert_eq!(mach_to_processor(0x4f), Some("gfx950"));
    assert_eq!(mach_to_processor(0x58), Some("gfx1153"));
    assert_eq!(mach_to_processor(0x3f), Some("gfx90a"));
    assert_eq!(mach_to_processor(0x5f), Some("gfx9-4-generic"));
    assert_eq!(mach_to_processor(0), None);
    assert_eq!(mach_to_processor(0x40), None);
    assert_eq!(mach_to_processor(0x100), None);
    assert_eq!(processor_to_mach("gfx1201"), Some(0x4e));
    assert_eq!(processor_to_mach("gfx9000"), None);
}

#[test]
fn feature_support() {
    assert!(supports_xnack("gfx90a") && supports_sramecc("gfx90a"));
    assert!(supports_xnack("gfx900") && !supports_sramecc("gfx900"));
    assert!(!supports_xnack("gfx1030") && !supports_sramecc("gfx1030"));
    assert!(!supports_xnack("gfx1100"));
    assert!(supports_xnack("gfx942") && supports_sramecc("gfx950"));
    assert!(!supports_xnack("nonsense"));
}

#[test]
fn kfd_versions() {
    assert_eq!(
        from_kfd_gfx_target_version(90010).as_deref(),
        Some("gfx90a")
    );
    assert_eq!(
        from_kfd_gfx_target_version(100300).as_deref(),
        Some("gfx1030")
    );
    assert_eq!(
        from_kfd_gfx_target_version(110501).as_deref(),
        Some("gfx1151")
    );
    assert_eq!(
        from_kfd_gfx_target_version(120001).as_deref(),
        Some("gfx1201")
    );
    assert_eq!(
        from_kfd_gfx_target_version(90402).as_deref(),
        Some("gfx942")
    );
    assert_eq!(
        from_kfd_gfx_target_version(90012).as_deref(),
        Some("gfx90c")
    );
    assert_eq!(from_kfd_gfx_target_version(0), None);
    assert_eq!(from_kfd_gfx_target_version(90016), None);
    assert_eq!(from_kfd_gfx_target_version(91600), None);
    assert_eq!(from_kfd_gfx_target_version(99), None);
    assert!(from_kfd_gfx_target_version(u32::MAX).is_none());
}

#[test]
fn target_id_parse_and_format() {
    let t = GfxTarget::parse("gfx90a").unwrap();
    assert_eq!((t.sramecc, t.xnack), (Any, Any));
    assert_eq!(t.target_id(), "gfx90a");

    let t = GfxTarget::parse("gfx90a:xnack-").unwrap();
    assert_eq!((t.sramecc, t.xnack), (Any, Off));
    assert_eq!(t.target_id(), "gfx90a:xnack-");

    let t = GfxTarget::parse("gfx90a:xnack+:sramecc-").unwrap();
    assert_eq!((t.sramecc, t.xnack), (Off, On));
    assert_eq!(t.target_id(), "gfx90a:sramecc-:xnack+");
    assert_eq!(t.to_string(), "gfx90a:sramecc-:xnack+");

    let t = GfxTarget::parse("gfx1030").unwrap();
    assert_eq!((t.sramecc, t.xnack), (Unsupported, Unsupported));
    assert_eq!(t.target_id(), "gfx1030");

    let t = GfxTarget::parse("amdgcn-amd-amdhsa--gfx942:sramecc+:xnack-").unwrap();
    assert_eq!(t.target_id(), "gfx942:sramecc+:xnack-");
    let t = GfxTarget::parse("hipv4-amdgcn-amd-amdhsa--gfx10-3-generic").unwrap();
    assert_eq!(t.processor, "gfx10-3-generic");

    // Unknown processors are kept, with features left at Any.
    let t = GfxTarget::parse("gfx1399:xnack+").unwrap();
    assert_eq!((t.sramecc, t.xnack), (Any, On));

    for bad in [
        "",
        "gfx",
        "sm_80",
        "gfx90a:",
        "gfx90a:xnack",
        "gfx90a:xnack+:xnack-",
        "gfx90a:wavefrontsize64+",
        "gfx1030:xnack+",
        "gfx900:sramecc+",
        "GFX90A",
        "gfx90a:xnack+:",
    ] {
        assert_eq!(GfxTarget::parse(bad), None, "{bad:?}");
    }
}

#[test]
fn feature_setting_strings() {
    assert_eq!(Any.as_str(), "any");
    assert_eq!(On.as_str(), "on");
    assert_eq!(Off.as_str(), "off");
    assert_eq!(Unsupported.as_str(), "unsupported");
}
