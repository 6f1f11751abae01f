//! Every fixture root's `scan --json` against its committed snapshot in tests/snapshots/, so a
//! change in what a scan reports shows up in review as a diff of that file. Run with
//! `UPDATE_SNAPSHOTS=1` to rewrite them after an intended change. Also: each snapshot replays
//! through `--snapshot` unchanged, and the embedded demo equals a fresh scan of its tree.

mod common;

use std::path::PathBuf;

use serde_json::Value;

fn scenarios() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(common::repo().join("tests/fixtures/roots"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn root(name: &str) -> String {
    format!("tests/fixtures/roots/{name}")
}

/// The scan document without the tool's version (which changes with every release).
fn scan(args: &[&str]) -> Value {
    let mut full = vec!["scan", "--json"];
    full.extend_from_slice(args);
    let out = common::doctor(&full);
    assert_eq!(out.status.code(), Some(0), "{:?}", out);
    let mut v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_object_mut().unwrap().remove("tool");
    v
}

#[test]
fn every_scenario_matches_its_committed_snapshot() {
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let dir = common::repo().join("tests/snapshots");
    let mut stale = Vec::new();
    for name in scenarios() {
        let got = scan(&["--root", &root(&name)]);
        let path: PathBuf = dir.join(format!("{name}.scan.json"));
        let text = serde_json::to_string_pretty(&got).unwrap() + "\n";
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(want) if serde_json::from_str::<Value>(&want).unwrap() == got => {}
            _ => stale.push(name),
        }
    }
    assert!(
        stale.is_empty(),
        "scan output changed for {stale:?}: review, then run UPDATE_SNAPSHOTS=1 cargo test --test scenario_snapshots"
    );
}

#[test]
fn saved_snapshots_replay_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    for name in scenarios() {
        let live = scan(&["--root", &root(&name)]);
        let file = tmp.path().join(format!("{name}.json"));
        std::fs::write(&file, serde_json::to_vec(&live).unwrap()).unwrap();
        let replayed = scan(&["--snapshot", file.to_str().unwrap()]);
        assert_eq!(replayed, live, "{name}");
    }
}

#[test]
fn a_snapshot_of_another_schema_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("old.json");
    std::fs::write(&file, r#"{"schema_version": 999, "root": "/"}"#).unwrap();
    let out = common::doctor(&["scan", "--snapshot", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("schema_version 999"));
}

#[test]
fn the_embedded_demo_is_a_fresh_scan_of_its_tree() {
    let mut live = scan(&["--root", &root("rx5600xt-rocm702")])["snapshot"].clone();
    live["root"] = Value::from("demo:rx5600xt-rocm702");
    let demo = scan(&["--demo"])["snapshot"].clone();
    assert_eq!(
        demo, live,
        "src/demo/snapshot.json is stale: run scripts/update-demo.sh"
    );
}
