//! `capture`: the archive replays to the same scan, holds nothing the scan did not read, keeps
//! home directories private, and is written only when asked.

mod common;

use std::path::Path;

use serde_json::Value;

fn scan_root(root: &Path) -> Value {
    let out = common::doctor(&["scan", "--json", "--root", root.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let mut v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_object_mut().unwrap().remove("tool");
    v.as_object_mut().unwrap().remove("root");
    v["snapshot"].as_object_mut().unwrap().remove("root");
    v
}

/// Captures `root` into a temp dir, unpacks it, and returns (temp dir, unpacked root).
fn capture(root: &Path) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("cap.tar.gz");
    let out = common::doctor(&[
        "capture",
        archive.to_str().unwrap(),
        "--root",
        root.to_str().unwrap(),
        "--yes",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let file = std::fs::File::open(&archive).unwrap();
    tar::Archive::new(flate2::read::GzDecoder::new(file))
        .unpack(tmp.path())
        .unwrap();
    let unpacked = tmp.path().join("rocm-doctor-capture/root");
    (tmp, unpacked)
}

#[test]
fn every_scenario_replays_to_the_same_scan() {
    let roots = common::repo().join("tests/fixtures/roots");
    let mut n = 0;
    for e in std::fs::read_dir(&roots).unwrap() {
        let dir = e.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let (_tmp, unpacked) = capture(&dir);
        assert_eq!(scan_root(&unpacked), scan_root(&dir), "{}", dir.display());
        n += 1;
    }
    assert!(n >= 8);
}

#[test]
fn the_archive_carries_its_snapshot_and_manifest() {
    let dir = common::repo().join("tests/fixtures/roots/rx5600xt-rocm702");
    let (tmp, _) = capture(&dir);
    let top = tmp.path().join("rocm-doctor-capture");
    let snap = std::fs::read_to_string(top.join("snapshot.json")).unwrap();
    let out = common::doctor(&[
        "scan",
        "--json",
        "--snapshot",
        top.join("snapshot.json").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{snap}");
    let manifest = std::fs::read_to_string(top.join("MANIFEST.txt")).unwrap();
    assert!(
        manifest.contains("/sys/class/kfd/kfd/topology/nodes/1/properties")
            || manifest.contains("/sys/devices/virtual/kfd/kfd/topology/nodes/1/properties")
    );
}

#[test]
fn home_directories_stay_private_and_big_files_become_names() {
    let tmp = tempfile::tempdir().unwrap();
    let r = tmp.path().join("machine");
    let venv = r.join("home/alice/venv");
    std::fs::create_dir_all(venv.join("lib/python3.12/site-packages")).unwrap();
    std::fs::write(
        venv.join("pyvenv.cfg"),
        "home = /usr/bin\nversion = 3.12.3\n",
    )
    .unwrap();
    std::fs::create_dir_all(r.join("home/alice/Documents")).unwrap();
    std::fs::write(r.join("home/alice/Documents/diary.txt"), "secret").unwrap();
    std::fs::write(r.join("home/alice/passwords.txt"), "secret").unwrap();
    let bc = r.join("opt/rocm-7.0.2/amdgcn/bitcode");
    std::fs::create_dir_all(&bc).unwrap();
    std::fs::create_dir_all(r.join("opt/rocm-7.0.2/.info")).unwrap();
    std::fs::write(r.join("opt/rocm-7.0.2/.info/version"), "7.0.2-56\n").unwrap();
    std::fs::write(bc.join("big.bc"), vec![0u8; 2 << 20]).unwrap();
    std::fs::create_dir_all(r.join("etc")).unwrap();
    std::fs::write(
        r.join("etc/group"),
        "render:x:110:alice,bob\nsecretproject:x:5000:carol\n",
    )
    .unwrap();
    std::fs::create_dir_all(r.join("rocm-doctor")).unwrap();
    std::fs::write(
        r.join("rocm-doctor/devices"),
        "/dev/kfd char_device 660 0 110\n",
    )
    .unwrap();

    let archive = tmp.path().join("cap.tar.gz");
    let out = common::doctor(&[
        "capture",
        archive.to_str().unwrap(),
        "--root",
        r.to_str().unwrap(),
        "--yes",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
    let file = std::fs::File::open(&archive).unwrap();
    let mut names = Vec::new();
    let mut group = String::new();
    let mut big_len = None;
    for e in tar::Archive::new(flate2::read::GzDecoder::new(file))
        .entries()
        .unwrap()
    {
        let mut e = e.unwrap();
        let p = e.path().unwrap().display().to_string();
        if p.ends_with("/etc/group") {
            std::io::Read::read_to_string(&mut e, &mut group).unwrap();
        }
        if p.ends_with("big.bc") {
            big_len = Some(e.header().size().unwrap());
        }
        names.push(p);
    }
    let all = names.join("\n");
    assert!(all.contains("home/alice/venv/pyvenv.cfg"), "{all}");
    assert!(
        !all.contains("Documents") && !all.contains("passwords"),
        "{all}"
    );
    assert_eq!(
        big_len,
        Some(0),
        "a 2 MiB file goes in as an empty stand-in: {all}"
    );
    assert!(
        listing.contains("big.bc") && listing.contains("larger than 1 MiB"),
        "{listing}"
    );
    assert_eq!(
        group, "render:x:110:\n",
        "only the device group, without members"
    );
}

#[test]
fn without_yes_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("cap.tar.gz");
    let root = common::repo().join("tests/fixtures/roots/no-driver");
    let out = common::doctor(&[
        "capture",
        archive.to_str().unwrap(),
        "--root",
        root.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Dry run"), "{text}");
    assert!(!archive.exists());
}
