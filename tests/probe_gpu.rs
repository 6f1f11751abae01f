//! The GPU probe on each fake machine under tests/fixtures/roots/.

use std::path::PathBuf;

use rocm_doctor::probe::gpu::{probe, Gpu, GpuProbe};
use rocm_doctor::root::Root;
use rocm_doctor::snapshot::Observed;

fn scenario(name: &str) -> (Root, GpuProbe) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/roots")
        .join(name);
    assert!(dir.is_dir(), "{} missing", dir.display());
    let root = Root::new(dir);
    let p = probe(&root);
    // Everything the probe reports must serialize (it goes into `scan --json`).
    serde_json::to_string(&p).expect("serializable");
    (root, p)
}

fn gfx(g: &Gpu) -> &str {
    g.gfx.as_deref().unwrap_or("-")
}

#[test]
fn rx5600xt() {
    let (root, p) = scenario("rx5600xt-rocm702");
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    let nodes = p.kfd.present().unwrap();
    assert_eq!(nodes.len(), 2);
    assert!(
        !nodes[0].is_gpu && nodes[0].gfx.is_none(),
        "node 0 is the CPU"
    );
    assert_eq!(nodes[1].name, Observed::Present("navi10".into()));
    assert_eq!(nodes[1].cu_count, Some(36));
    let [g] = p.gpus.as_slice() else {
        panic!("{:?}", p.gpus)
    };
    assert_eq!(gfx(g), "gfx1010");
    assert_eq!(g.gfx_source.as_deref(), Some("kfd"));
    assert_eq!(g.gfx_target_version, Some(100100));
    assert_eq!((g.device_id, g.revision), (Some(0x731f), Some(0xca)));
    assert_eq!(g.pci_slot.as_deref(), Some("0000:03:00.0"));
    assert_eq!(g.kfd_node.as_deref(), Some("1"));
    assert_eq!(g.card.as_deref(), Some("card0"));
    assert_eq!(g.driver.as_deref(), Some("amdgpu"));
    assert_eq!(g.marketing_name.as_deref(), Some("AMD Radeon RX 5600 XT"));
    assert!(g.marketing.iter().any(|m| m == "AMD Radeon RX 5700 XT"));
    assert_eq!(g.family.as_deref(), Some("RDNA1"));
    assert_eq!(g.chip.as_deref(), Some("Navi 10"));
    assert_eq!(g.is_apu, Some(false));
    assert_eq!(g.drm_render_minor, Some(128));
    // The card was reached through the class symlink, and every read was recorded.
    let rec = root.recorded();
    assert!(rec.iter().any(|r| r == "/sys/class/drm/card0"));
    assert!(rec
        .iter()
        .any(|r| r == "/sys/devices/pci0000:00/0000:03:00.0/vendor"));
    assert!(rec
        .iter()
        .any(|r| r == "/sys/devices/virtual/kfd/kfd/topology/nodes/1/properties"));
}

#[test]
fn rx6700xt_reports_the_real_target_despite_the_override() {
    let (_, p) = scenario("rx6700xt-override");
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    let [g] = p.gpus.as_slice() else {
        panic!("{:?}", p.gpus)
    };
    assert_eq!(gfx(g), "gfx1031");
    assert_eq!(g.device_id, Some(0x73df));
    assert_eq!(g.marketing_name.as_deref(), Some("AMD Radeon RX 6700 XT"));
    assert_eq!(g.family.as_deref(), Some("RDNA2"));
    assert_eq!(g.cu_count, Some(40));
    assert_eq!(g.pci_slot.as_deref(), Some("0000:0b:00.0"));
}

#[test]
fn rx7900xtx() {
    let (_, p) = scenario("rx7900xtx");
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    let [g] = p.gpus.as_slice() else {
        panic!("{:?}", p.gpus)
    };
    assert_eq!(gfx(g), "gfx1100");
    assert_eq!(g.device_id, Some(0x744c));
    assert_eq!(
        g.pci_slot.as_deref(),
        Some("0000:86:00.0"),
        "from location_id 34304"
    );
    assert_eq!(g.marketing_name.as_deref(), Some("AMD Radeon RX 7900 XTX"));
    assert_eq!(
        (g.family.as_deref(), g.chip.as_deref()),
        (Some("RDNA3"), Some("Navi 31"))
    );
    assert_eq!(g.cu_count, Some(96));
    let node = &p.kfd.present().unwrap()[1];
    assert_eq!(node.name, Observed::Present("ip discovery".into()));
    assert_eq!(node.unique_id, Some(11673270660693242239));
    assert_eq!(node.gpu_id, Observed::Present(4672));
}

#[test]
fn apu_and_dgpu() {
    let (_, p) = scenario("apu-dgpu");
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    let gpus: Vec<_> = p
        .gpus
        .iter()
        .map(|g| (gfx(g), g.device_id, g.is_apu, g.card.as_deref()))
        .collect();
    assert_eq!(
        gpus,
        [
            ("gfx1030", Some(0x73bf), Some(false), Some("card0")),
            ("gfx1036", Some(0x164e), Some(true), Some("card1")),
        ]
    );
    let igpu = &p.gpus[1];
    assert_eq!(igpu.marketing_name.as_deref(), Some("AMD Radeon 610M"));
    assert_eq!(igpu.family.as_deref(), Some("RDNA2"));
    assert_eq!(igpu.drm_render_minor, Some(129));
    assert_eq!(igpu.kfd_node.as_deref(), Some("2"));
    assert_eq!(
        p.gpus[0].marketing_name.as_deref(),
        Some("AMD Radeon RX 6800 XT")
    );
}

#[test]
fn mi210_pair() {
    let (_, p) = scenario("mi210-pair");
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(p.gpus.len(), 2);
    for (g, slot) in p.gpus.iter().zip(["0000:63:00.0", "0000:83:00.0"]) {
        assert_eq!(gfx(g), "gfx90a");
        assert_eq!(g.gfx_target_version, Some(90010));
        assert_eq!(g.pci_slot.as_deref(), Some(slot));
        assert_eq!(g.marketing_name.as_deref(), Some("AMD Instinct MI210"));
        assert_eq!(
            (g.family.as_deref(), g.chip.as_deref()),
            (Some("CDNA2"), Some("Aldebaran"))
        );
        assert_eq!(g.cu_count, Some(104));
    }
    let nodes = p.kfd.present().unwrap();
    assert_ne!(nodes[1].unique_id, nodes[2].unique_id);
}

#[test]
fn no_driver_is_recorded_and_the_scan_goes_on() {
    let (_, p) = scenario("no-driver");
    assert_eq!(p.kfd, Observed::Absent);
    assert!(
        p.problems
            .iter()
            .any(|m| m.contains("/sys/class/kfd is absent")),
        "{:?}",
        p.problems
    );
    let cards = p.drm.present().unwrap();
    assert_eq!(cards.len(), 1);
    assert_eq!(
        (cards[0].vendor, cards[0].driver.as_deref()),
        (Some(0x1002), None)
    );
    let pci = p.pci.present().unwrap();
    assert_eq!(pci.len(), 1);
    assert_eq!(pci[0].driver, None);
    let [g] = p.gpus.as_slice() else {
        panic!("{:?}", p.gpus)
    };
    // No KFD: the gfx target comes from the PCI table, and says so.
    assert_eq!(gfx(g), "gfx1030");
    assert_eq!(g.gfx_source.as_deref(), Some("pci-table"));
    assert_eq!(g.kfd_node, None);
    assert_eq!(g.marketing_name.as_deref(), Some("AMD Radeon RX 6800"));
    assert!(
        p.problems
            .iter()
            .any(|m| m.contains("0000:03:00.0") && m.contains("no driver bound")),
        "{:?}",
        p.problems
    );
}

#[test]
fn kfd_present_without_permission_still_probes() {
    let (root, p) = scenario("kfd-no-permission");
    assert!(p.kfd.is_present());
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    let [g] = p.gpus.as_slice() else {
        panic!("{:?}", p.gpus)
    };
    assert_eq!(gfx(g), "gfx1030");
    assert!(root.exists("/dev/kfd"));
}

#[test]
fn a_missing_root_is_all_absent() {
    let root = Root::new("/nonexistent/rocm-doctor-test-root");
    let p = probe(&root);
    assert_eq!(p.kfd, Observed::Absent);
    assert_eq!(p.drm, Observed::Absent);
    assert_eq!(p.pci, Observed::Absent);
    assert!(p.gpus.is_empty());
    assert_eq!(p.problems.len(), 2, "{:?}", p.problems);
}

#[test]
fn bad_properties_are_malformed_not_fatal() {
    let t = tempfile::tempdir().unwrap();
    let nodes = t.path().join("sys/class/kfd/kfd/topology/nodes");
    std::fs::create_dir_all(nodes.join("0")).unwrap();
    std::fs::create_dir_all(nodes.join("1")).unwrap();
    std::fs::create_dir_all(nodes.join("2/properties")).unwrap();
    std::fs::write(nodes.join("0/properties"), "simd_count zero\n").unwrap();
    std::fs::write(
        nodes.join("1/properties"),
        "simd_count 8\nsimd_per_cu 2\ngfx_target_version 91600\nvendor_id 4098\n",
    )
    .unwrap();
    let p = probe(&Root::new(t.path()));
    let n = p.kfd.present().unwrap();
    assert!(matches!(n[0].properties, Observed::Malformed(_)));
    assert!(n[1].is_gpu && n[1].gfx.is_none());
    assert!(matches!(n[2].properties, Observed::Unreadable(_)));
    let joined = p.problems.join("\n");
    assert!(
        joined.contains("nodes/0/properties is malformed"),
        "{joined}"
    );
    assert!(joined.contains("91600 names no gfx target"), "{joined}");
    assert!(
        joined.contains("nodes/2/properties is unreadable"),
        "{joined}"
    );
    // A KFD GPU with no PCI address still becomes a GPU entry.
    assert_eq!(p.gpus.len(), 1);
    assert_eq!(p.gpus[0].kfd_node.as_deref(), Some("1"));
}

/// A copy of a scenario tree in a temporary directory, symlinks kept.
fn copy_of(name: &str) -> tempfile::TempDir {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/roots")
        .join(name);
    let tmp = tempfile::tempdir().unwrap();
    let ok = std::process::Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", src.display()))
        .arg(tmp.path())
        .status()
        .unwrap()
        .success();
    assert!(ok);
    tmp
}

#[test]
fn one_gpu_seen_by_kfd_drm_and_pci_is_one_record_without_addresses() {
    // Neither KFD (no location_id) nor DRM (no PCI_SLOT_NAME) names the PCI address: the device
    // id, unique on this machine, still joins them to the PCI function.
    let tmp = copy_of("rx5600xt-rocm702");
    let props = tmp
        .path()
        .join("sys/class/kfd/kfd/topology/nodes/1/properties");
    let text = std::fs::read_to_string(&props).unwrap();
    let kept: String = text
        .lines()
        .filter(|l| !l.starts_with("location_id") && !l.starts_with("domain"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&props, kept).unwrap();
    let uevent = tmp
        .path()
        .join("sys/devices/pci0000:00/0000:03:00.0/uevent");
    if let Ok(u) = std::fs::read_to_string(&uevent) {
        let kept: String = u
            .lines()
            .filter(|l| !l.starts_with("PCI_SLOT_NAME"))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(&uevent, kept).unwrap();
    }
    let p = probe(&Root::new(tmp.path()));
    assert_eq!(p.gpus.len(), 1, "{:#?}", p.gpus);
    let g = &p.gpus[0];
    assert!(g.kfd_node.is_some() && g.card.is_some(), "{g:#?}");
    assert_eq!(g.driver.as_deref(), Some("amdgpu"));
    assert!(
        !p.problems.iter().any(|x| x.contains("no driver bound")),
        "{:?}",
        p.problems
    );
    // Without the PCI listing too, KFD alone still names the driver: it only lists amdgpu GPUs.
    std::fs::remove_dir_all(tmp.path().join("sys/bus/pci")).ok();
    let p = probe(&Root::new(tmp.path()));
    assert!(
        !p.problems.iter().any(|x| x.contains("no driver bound")),
        "{:?}",
        p.problems
    );
}
