//! `fleet`: real `check`, `report` and `scan` outputs of the demo and the scenario trees merged
//! into codes × nodes and stack groups; malformed files skipped with their reason; 10,000
//! generated node files merged (the time is printed, not asserted: CI machines vary).

mod common;

use std::path::Path;
use std::time::Instant;

use serde_json::{json, Value};

fn save(dir: &Path, name: &str, args: &[&str]) {
    let out = common::doctor(args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
    std::fs::write(dir.join(name), &out.stdout).unwrap();
}

fn root(name: &str) -> String {
    format!("tests/fixtures/roots/{name}")
}

fn fleet_json(args: &[&str]) -> (Option<i32>, Value) {
    let mut full = vec!["fleet", "--json"];
    full.extend_from_slice(args);
    let out = common::doctor(&full);
    let v =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {out:?}"));
    (out.status.code(), v)
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

#[test]
fn scenario_outputs_group_by_stack_and_count_by_code() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("rack2")).unwrap();
    save(d, "demo-a.json", &["check", "--json", "--demo"]);
    save(
        &d.join("rack2"),
        "demo-b.json",
        &["check", "--json", "--demo"],
    );
    save(d, "demo-r.json", &["report", "--format", "json", "--demo"]);
    save(
        d,
        "mi210.json",
        &["check", "--json", "--root", &root("mi210-pair")],
    );
    save(
        d,
        "mi210-s.json",
        &["scan", "--json", "--root", &root("mi210-pair")],
    );
    save(
        d,
        "override.json",
        &["check", "--json", "--root", &root("rx6700xt-override")],
    );
    save(
        d,
        "nodrv.json",
        &["check", "--json", "--root", &root("no-driver")],
    );
    // A hostname field names the node instead of the file.
    let mut named: Value = serde_json::from_slice(
        &common::doctor(&["check", "--json", "--root", &root("two-rocms")]).stdout,
    )
    .unwrap();
    named["hostname"] = json!("gpu-login-1");
    std::fs::write(d.join("whatever.json"), named.to_string()).unwrap();
    std::fs::write(d.join("notes.txt"), "not JSON and not *.json: never read").unwrap();

    let (code, f) = fleet_json(&[d.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{f:#}");
    assert_eq!(f["schema_version"], 1);
    assert_eq!(f["node_count"], 8, "{f:#}");
    assert!(f["skipped"].as_array().unwrap().is_empty());
    let names: Vec<&str> = f["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "demo-a",
            "demo-b",
            "demo-r",
            "gpu-login-1",
            "mi210",
            "mi210-s",
            "nodrv",
            "override"
        ]
    );
    let input = |n: &str| {
        f["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == n)
            .unwrap()["input"]
            .clone()
    };
    assert_eq!(input("demo-r"), "report");
    assert_eq!(input("mi210-s"), "scan");
    assert_eq!(input("demo-a"), "check");

    let row = |code: &str| {
        f["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["code"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("no row {code}: {f:#}"))
    };
    let unsafe_override = row("override-unsafe");
    assert_eq!(unsafe_override["count"], 3);
    assert_eq!(
        strings(&unsafe_override["nodes"]),
        ["demo-a", "demo-b", "demo-r"]
    );
    assert_eq!(unsafe_override["severity"], "error");
    assert_eq!(
        strings(&row("amdgpu-driver-not-loaded")["nodes"]),
        ["nodrv"]
    );
    assert_eq!(strings(&row("no-amd-gpu")["nodes"]), ["gpu-login-1"]);
    assert_eq!(f["findings"][0]["severity"], "error", "worst first");

    // The three demo files are one stack; the mi210 check and its scan are another.
    let groups = f["groups"].as_array().unwrap();
    assert_eq!(groups[0]["count"], 3, "{f:#}");
    assert_eq!(strings(&groups[0]["nodes"]), ["demo-a", "demo-b", "demo-r"]);
    assert_eq!(strings(&groups[0]["stack"]["gpu_targets"]), ["gfx1010"]);
    assert_eq!(
        strings(&groups[0]["stack"]["overrides"]),
        ["HSA_OVERRIDE_GFX_VERSION=10.3.0"]
    );
    assert_eq!(groups[0]["findings"]["override-unsafe"], 3);
    assert!(
        groups
            .iter()
            .any(|g| strings(&g["nodes"]) == ["mi210", "mi210-s"]),
        "{f:#}"
    );
    assert_eq!(groups.len(), 5);

    let text = common::doctor(&["fleet", d.to_str().unwrap()]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("8 nodes, 5 stacks, 0 files skipped"),
        "{text}"
    );
    assert!(
        text.contains("demo-[a-b]") || text.contains("demo-a,demo-b"),
        "{text}"
    );
}

#[test]
fn malformed_files_are_reported_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    save(d, "good.json", &["check", "--json", "--demo"]);
    std::fs::write(
        d.join("truncated.json"),
        "{\"schema_version\": 1, \"areas\": [",
    )
    .unwrap();
    std::fs::write(d.join("other.json"), "{\"name\": \"package.json\"}").unwrap();
    std::fs::write(
        d.join("future.json"),
        "{\"schema_version\": 2, \"areas\": [], \"findings\": []}",
    )
    .unwrap();
    std::fs::write(d.join("binary.json"), [0xff, 0xfe, 0]).unwrap();
    let (code, f) = fleet_json(&[d.to_str().unwrap(), "/no/such/node.json"]);
    assert_eq!(code, Some(1), "skipped files make exit 1: {f:#}");
    assert_eq!(f["node_count"], 1);
    let skipped = f["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 5, "{f:#}");
    let why = |file: &str| {
        skipped
            .iter()
            .find(|s| s["file"].as_str().unwrap().ends_with(file))
            .unwrap()["error"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(why("truncated.json").contains("not a rocm-doctor JSON document"));
    assert!(why("other.json").contains("neither a check/report document"));
    assert!(why("future.json").contains("schema_version"));
    assert!(why("node.json").contains("no such file"));
    assert!(!why("binary.json").is_empty());

    // Nothing usable at all is a tool failure, with each reason on stderr.
    let out = common::doctor(&["fleet", d.join("other.json").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("other.json") && err.contains("no node file could be read"),
        "{err}"
    );
}

/// A small check document as `check --json` writes it.
fn small_check(i: usize) -> String {
    let (gpu, rocm, finding) = match i % 4 {
        0 => (
            "AMD Instinct MI210 (gfx90a, CDNA2)",
            "/opt/rocm-6.4.1 6.4.1",
            None,
        ),
        1 => (
            "AMD Instinct MI210 (gfx90a, CDNA2)",
            "/opt/rocm-6.4.1 6.4.1",
            Some(("hipblaslt-lacks-gpu-target", "info")),
        ),
        2 => (
            "AMD Instinct MI300X (gfx942, CDNA3)",
            "/opt/rocm-7.0.2 7.0.2-56",
            None,
        ),
        _ => (
            "AMD Radeon RX 7900 XTX (gfx1100, RDNA3)",
            "/opt/rocm-6.4.0 6.4.0",
            Some(("miopen-db-lacks-gpu-target", "warning")),
        ),
    };
    let findings: Vec<Value> = finding
        .into_iter()
        .map(|(code, sev)| json!({"code": code, "category": "missing-kernels-for-arch", "severity": sev,
            "title": format!("{code} on node {i}"), "evidence": [{"source": "/x", "says": "y"}],
            "why": "because", "layer": "library-build", "other_layers": "none", "remedies": [], "sources": []}))
        .collect();
    json!({
        "schema_version": 1,
        "tool": {"name": "rocm-doctor", "version": "0.1.0"},
        "root": "/",
        "areas": [
            {"name": "gpu", "status": "ok", "summary": gpu},
            {"name": "environment", "status": "ok", "summary": "no HSA_OVERRIDE_GFX_VERSION"},
            {"name": "rocm", "status": "ok", "summary": rocm},
            {"name": "pytorch", "status": "ok", "summary": "torch 2.7.1+rocm6.4 in /opt/venv/lib/python3.12/site-packages"},
            {"name": "toolchain", "status": "ok", "summary": "LLVM 19 (/opt/rocm/llvm)"}
        ],
        "stack": {
            "gpu_targets": [gpu.rsplit_once(" (").unwrap().1.split(',').next().unwrap()],
            "rocm_versions": [rocm.rsplit_once(' ').unwrap().1],
            "torch_versions": ["2.7.1+rocm6.4"],
            "overrides": []
        },
        "findings": findings,
        "next": ["rocm-doctor verify"]
    })
    .to_string()
}

#[test]
fn ten_thousand_nodes_merge() {
    const N: usize = 10_000;
    let dir = tempfile::tempdir().unwrap();
    for i in 0..N {
        std::fs::write(dir.path().join(format!("gpu{i:05}.json")), small_check(i)).unwrap();
    }
    let start = Instant::now();
    let f = rocm_doctor::fleet::run(&[dir.path().to_path_buf()]);
    let elapsed = start.elapsed();
    eprintln!(
        "fleet: read and merged {N} node files in {:.0} ms",
        elapsed.as_secs_f64() * 1e3
    );
    assert_eq!(f.node_count, N);
    assert!(f.skipped.is_empty());
    assert_eq!(
        f.groups.len(),
        3,
        "MI210 nodes with and without the finding share a stack"
    );
    assert_eq!(f.groups[0].count, N / 2);
    assert_eq!(f.groups[0].stack.gpu_targets, ["gfx90a"]);
    assert_eq!(
        f.groups[0].findings.get("hipblaslt-lacks-gpu-target"),
        Some(&(N / 4))
    );
    assert_eq!(
        f.findings[0].code, "miopen-db-lacks-gpu-target",
        "warning before info"
    );
    assert_eq!(f.findings[0].count, N / 4);
    assert_eq!(f.clean.len(), N / 2);
    let mut text = Vec::new();
    rocm_doctor::report::fleet_text::write_text(&mut text, &f, &Default::default()).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("gpu[00000-00001,00004-00005,"),
        "host lists are abbreviated: {text}"
    );
    assert!(text.lines().all(|l| l.chars().count() < 200), "{text}");
}
