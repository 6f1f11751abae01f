//! `rocm-doctor scan` on the scenario roots (tests/fixtures/roots/*, each with a README saying
//! where its files come from) and on pasted rocminfo output (fixtures/rocminfo, with URLs).

mod common;

use serde_json::Value;

fn scan(args: &[&str]) -> Value {
    let mut all = vec!["scan", "--json"];
    all.extend_from_slice(args);
    let out = common::doctor(&all);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn root(name: &str) -> String {
    common::repo()
        .join("tests/fixtures/roots")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn rx6700xt_with_the_override_reports_gfx1030_at_runtime() {
    let d = scan(&["--root", &root("rx6700xt-override")]);
    assert_eq!(d["schema_version"], 1);
    let gpus = d["gpus"].as_array().unwrap();
    assert_eq!(gpus.len(), 1);
    assert_eq!(gpus[0]["gfx_target"], "gfx1031");
    assert_eq!(gpus[0]["runtime_target"], "gfx1030");
    assert_eq!(gpus[0]["pci_device_id"], "0x73df");
    assert_eq!(gpus[0]["source"], "kfd");
    assert_eq!(gpus[0]["family"], "RDNA2");
    assert_eq!(d["overrides"][0]["var"], "HSA_OVERRIDE_GFX_VERSION");
    assert_eq!(d["overrides"][0]["reports"], "gfx1030");
    assert_eq!(d["snapshot"]["env"]["source"], "/etc/environment");
}

#[test]
fn apu_and_dgpu_are_both_listed() {
    let d = scan(&["--root", &root("apu-dgpu")]);
    let gpus = d["gpus"].as_array().unwrap();
    let targets: Vec<&str> = gpus
        .iter()
        .map(|g| g["gfx_target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, ["gfx1030", "gfx1036"]);
    assert_eq!(gpus[1]["is_apu"], true);
    assert_eq!(
        gpus[0]["runtime_target"], "gfx1030",
        "no override: runtime = hardware"
    );
}

#[test]
fn no_driver_still_names_the_card_and_says_why() {
    let d = scan(&["--root", &root("no-driver")]);
    assert_eq!(d["gpus"][0]["gfx_target"], "gfx1030");
    assert_eq!(d["gpus"][0]["source"], "pci-table");
    let problems: Vec<&str> = d["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("kfd") && p.contains("absent")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("no driver")),
        "{problems:?}"
    );
}

#[test]
fn an_empty_tree_is_honest() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::doctor(&["scan", "--root", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no AMD GPU found"));
    let d = scan(&["--root", dir.path().to_str().unwrap()]);
    assert_eq!(d["gpus"].as_array().unwrap().len(), 0);
    assert_eq!(d["snapshot"]["gpu"]["kfd"]["state"], "absent");
}

#[test]
fn pasted_rocminfo_shows_hardware_and_runtime_targets() {
    let dir = tempfile::tempdir().unwrap();
    let paste = common::repo()
        .join("fixtures/rocminfo/gfx1032-rx6600m-igpu-overridden-gfx1030-rocm5.7.1.txt");
    let d = scan(&[
        "--root",
        dir.path().to_str().unwrap(),
        "--rocminfo",
        paste.to_str().unwrap(),
    ]);
    let gpus = d["gpus"].as_array().unwrap();
    assert_eq!(gpus.len(), 2);
    assert_eq!(gpus[0]["source"], "rocminfo");
    assert_eq!(gpus[0]["gfx_target"], "gfx1032", "from the PCI id 0x73ff");
    assert_eq!(
        gpus[0]["runtime_target"], "gfx1030",
        "what rocminfo printed"
    );
    assert_eq!(gpus[0]["compute_units"], 28);
    assert_eq!(
        gpus[1]["family"], "GCN5",
        "the iGPU's family follows its hardware target gfx90c"
    );
}

#[test]
fn bad_root_is_a_tool_failure() {
    let out = common::doctor(&["scan", "--root", "/no/such/dir"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn rx5600xt_machine_has_no_gfx1010_kernels_anywhere() {
    let d = scan(&["--root", &root("rx5600xt-rocm702")]);
    assert_eq!(d["gpus"][0]["gfx_target"], "gfx1010");
    let rocm = &d["snapshot"]["rocm"]["installs"][0];
    assert_eq!(rocm["version"]["value"], "7.0.2-56");
    let rocblas: Vec<&str> = rocm["components"]["rocblas_kernels"]["value"]["gfx"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap())
        .collect();
    assert!(
        rocblas.contains(&"gfx1030") && !rocblas.contains(&"gfx1010"),
        "{rocblas:?}"
    );
    let out = common::doctor(&["scan", "--root", &root("rx5600xt-rocm702")]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("PyTorch 2.5.1+rocm6.2"), "{text}");
    assert!(text.contains("producer LLVM20.0.0git"), "{text}");
    assert!(
        !text
            .lines()
            .any(|l| l.contains("carry") && l.contains("gfx1010")),
        "{text}"
    );
}

#[test]
fn kfd_the_user_cannot_open_is_a_problem() {
    let d = scan(&["--root", &root("kfd-no-permission")]);
    let access = &d["snapshot"]["access"];
    assert_eq!(access["user"]["value"]["uid"], 1000);
    assert_eq!(access["devices"][0]["path"], "/dev/kfd");
    assert_eq!(access["devices"][0]["user_can_open"], false);
    assert_eq!(
        access["amdgpu_loaded"], true,
        "KFD is there, so the driver is loaded"
    );
    let problems = d["problems"].as_array().unwrap();
    let p = problems
        .iter()
        .filter_map(|p| p.as_str())
        .find(|p| p.starts_with("/dev/kfd"))
        .unwrap();
    assert!(
        !p.contains("usermod -aG root"),
        "never advise joining the root group: {p}"
    );
}

#[test]
fn render_group_gets_the_usermod_advice() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    std::fs::create_dir_all(r.join("dev")).unwrap();
    std::fs::create_dir_all(r.join("etc")).unwrap();
    std::fs::create_dir_all(r.join("rocm-doctor")).unwrap();
    let kfd = r.join("dev/kfd");
    std::fs::write(&kfd, "").unwrap();
    std::fs::set_permissions(&kfd, std::os::unix::fs::PermissionsExt::from_mode(0o660)).unwrap();
    // Name the file's actual group "render" in the tree's /etc/group.
    let gid = std::os::unix::fs::MetadataExt::gid(&std::fs::metadata(&kfd).unwrap());
    let owner = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&kfd).unwrap());
    std::fs::write(r.join("etc/group"), format!("render:x:{gid}:\n")).unwrap();
    let other = if owner == 4242 { 4243 } else { 4242 };
    std::fs::write(
        r.join("rocm-doctor/user"),
        format!("uid={other}\ngid={other}\n"),
    )
    .unwrap();
    let d = scan(&["--root", r.to_str().unwrap()]);
    assert_eq!(d["snapshot"]["access"]["devices"][0]["group"], "render");
    assert_eq!(
        d["snapshot"]["access"]["devices"][0]["user_can_open"],
        false
    );
    let problems: Vec<&str> = d["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str())
        .collect();
    assert!(
        problems.iter().any(|p| p.contains("usermod -aG render")),
        "{problems:?}"
    );
    std::fs::write(
        r.join("rocm-doctor/user"),
        format!("uid={other}\ngid={other}\ngroups={gid}\n"),
    )
    .unwrap();
    let d = scan(&["--root", r.to_str().unwrap()]);
    assert_eq!(d["snapshot"]["access"]["devices"][0]["user_can_open"], true);
}
