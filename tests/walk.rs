//! Directory walks: unknown files, symlink loops, dangling links, missing paths, exit codes.

mod common;

use std::os::unix::fs::symlink;

use common::{doctor, plain_bundle};

#[test]
fn walk_goes_on_past_loops_and_dangling_links() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("sub")).unwrap();
    std::fs::write(
        root.join("sub/a.hipfb"),
        plain_bundle(&[("host-x86_64-unknown-linux-gnu-", b"")]),
    )
    .unwrap();
    std::fs::write(root.join("notes.txt"), "not an artefact").unwrap();
    symlink(root, root.join("sub/loop")).unwrap();
    symlink(root.join("nowhere"), root.join("dangling")).unwrap();

    let out = doctor(&["inspect", "--json", root.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "errors in the walk give exit 1");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = doc["files"].as_array().unwrap();
    let bundle = files
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("a.hipfb"))
        .unwrap();
    assert_eq!(bundle["kind"], "offload-bundle");
    assert_eq!(
        bundle["bundles"][0]["entries"][0]["triple"],
        "host-x86_64-unknown-linux-gnu-"
    );
    let errors: Vec<&str> = files.iter().filter_map(|f| f["error"].as_str()).collect();
    assert!(
        errors.iter().any(|e| e.contains("loop")),
        "loop reported: {errors:?}"
    );
    assert!(errors.len() >= 2, "dangling link reported too: {errors:?}");
    assert_eq!(
        doc["skipped"]["unknown"], 1,
        "notes.txt is skipped, not listed"
    );

    let all = doctor(&["inspect", "--json", "--all", root.to_str().unwrap()]);
    let doc: serde_json::Value = serde_json::from_slice(&all.stdout).unwrap();
    assert!(doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["kind"] == "unknown" && f["path"].as_str().unwrap().ends_with("notes.txt")));
}

#[test]
fn missing_paths() {
    let out = doctor(&["inspect", "/no/such/path/anywhere"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "nothing to inspect is a tool failure"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.hipfb"), plain_bundle(&[])).unwrap();
    let out = doctor(&["inspect", dir.path().to_str().unwrap(), "/no/such/path"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no such file or directory"));
}

#[test]
fn explicit_unknown_file_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("plain.txt");
    std::fs::write(&p, "hello").unwrap();
    let out = doctor(&["inspect", "--json", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["files"][0]["kind"], "unknown");
    assert_eq!(doc["files"][0]["error"], serde_json::Value::Null);
}
