//! `check`: the one-screen diagnosis, on the demo, on the scenario trees, and on this machine
//! (which has no AMD GPU: that must be said, never replaced by the demo).

mod common;

use serde_json::Value;

fn check_json(args: &[&str]) -> Value {
    let mut full = vec!["check", "--json"];
    full.extend_from_slice(args);
    let out = common::doctor(&full);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn codes(d: &Value) -> Vec<String> {
    d["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

fn root(name: &str) -> String {
    format!("tests/fixtures/roots/{name}")
}

#[test]
fn the_demo_names_the_unsafe_override_first_and_never_recommends_it() {
    let d = check_json(&["--demo"]);
    assert_eq!(d["schema_version"], 1);
    let f = &d["findings"][0];
    assert_eq!(f["code"], "override-unsafe", "{d:#}");
    assert_eq!(f["category"], "arch-override-wrong");
    assert_eq!(f["severity"], "error");
    let text = serde_json::to_string(&d["findings"]).unwrap();
    for f in d["findings"].as_array().unwrap() {
        for r in f["remedies"].as_array().unwrap() {
            let cmd = r["command"].as_str().unwrap_or("");
            assert!(!cmd.contains("HSA_OVERRIDE_GFX_VERSION=10.3.0"), "{text}");
        }
    }
    let areas: Vec<&str> = d["areas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        areas,
        ["gpu", "environment", "rocm", "pytorch", "toolchain"]
    );
    assert_eq!(d["areas"][1]["status"], "error");
    assert!(d["next"][0].as_str().unwrap().contains("--demo"));
}

#[test]
fn each_scenario_gets_its_finding() {
    for (scenario, code) in [
        ("kfd-no-permission", "kfd-not-accessible"),
        ("no-driver", "amdgpu-driver-not-loaded"),
        ("apu-dgpu", "igpu-beside-dgpu"),
        ("two-rocms", "no-amd-gpu"),
    ] {
        let d = check_json(&["--root", &root(scenario)]);
        assert!(
            codes(&d).contains(&code.to_owned()),
            "{scenario}: {:?}",
            codes(&d)
        );
    }
}

#[test]
fn a_working_override_on_rdna2_is_not_flagged() {
    let d = check_json(&["--root", &root("rx6700xt-override")]);
    assert!(
        !codes(&d).iter().any(|c| c.starts_with("override")),
        "10.3.0 on gfx1031 is the reported working setup: {:?}",
        codes(&d)
    );
}

#[test]
fn fail_on_sets_the_exit_code() {
    let out = common::doctor(&["check", "--demo", "--fail-on", "error"]);
    assert_eq!(out.status.code(), Some(1));
    let out = common::doctor(&["check", "--root", &root("mi210-pair"), "--fail-on", "error"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = common::doctor(&["check", "--demo"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "by default check reports and exits 0"
    );
}

#[test]
fn this_machine_is_reported_honestly() {
    // The build machines have no AMD GPU: bare `rocm-doctor` must say so, not show the demo.
    let out = common::doctor(&[]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("rocm-doctor check: this machine"),
        "{text}"
    );
    if !std::path::Path::new("/sys/class/kfd/kfd/topology/nodes").exists() {
        assert!(text.contains("no AMD GPU found"), "{text}");
    }
    assert!(!text.contains("RX 5600 XT"), "{text}");
}

#[test]
fn text_shows_areas_findings_and_next_steps() {
    let out = common::doctor(&["check", "--demo", "--color", "never"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("✗ environment"), "{text}");
    assert!(text.contains("[override-unsafe]"), "{text}");
    assert!(text.contains("Why:") && text.contains("Fix at:"), "{text}");
    assert!(text.contains("Next:\n  rocm-doctor plan --demo"), "{text}");
    // The fix suggested writes where the plan's steps say, and no smoke test is suggested for a
    // machine that is not this one.
    assert!(
        text.contains("rocm-doctor fix native-build --out ./rocm-doctor-native-build --demo"),
        "{text}"
    );
    assert!(!text.contains("rocm-doctor verify"), "{text}");
    assert!(!text.contains('\u{1b}'), "no colors with --color never");
}

/// Copies a scenario tree and removes the GPU's KFD node, as KFD does with a card it skips.
fn tree_without_gpu_node(device_id: Option<&str>) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let src = common::repo().join("tests/fixtures/roots/rx5600xt-rocm702");
    let ok = std::process::Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", src.display()))
        .arg(tmp.path())
        .status()
        .unwrap();
    assert!(ok.success());
    std::fs::remove_dir_all(
        tmp.path()
            .join("sys/devices/virtual/kfd/kfd/topology/nodes/1"),
    )
    .unwrap();
    if let Some(id) = device_id {
        std::fs::write(
            tmp.path()
                .join("sys/devices/pci0000:00/0000:03:00.0/device"),
            format!("{id}\n"),
        )
        .unwrap();
    }
    tmp
}

/// The `gpu-skipped-by-kfd` finding of a check document.
fn skipped_finding(d: &Value) -> Value {
    d["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "gpu-skipped-by-kfd")
        .cloned()
        .unwrap_or_else(|| panic!("{d:#}"))
}

#[test]
fn a_gpu_kfd_skipped_is_reported_and_old_cards_point_at_pcie_atomics() {
    let known = tree_without_gpu_node(None);
    let d = check_json(&["--root", known.path().to_str().unwrap()]);
    let f = skipped_finding(&d);
    assert_eq!(f["category"], "driver-kfd-access");
    // 0x67df (RX 470/480/570/580, gfx803) is not in the tables, which start at gfx9.
    let polaris = tree_without_gpu_node(Some("0x67df"));
    let d = check_json(&["--root", polaris.path().to_str().unwrap()]);
    let f = skipped_finding(&d);
    assert_eq!(f["category"], "pcie-atomics");
    let intact = check_json(&["--root", "tests/fixtures/roots/rx5600xt-rocm702"]);
    assert!(!codes(&intact).contains(&"gpu-skipped-by-kfd".to_owned()));
}
