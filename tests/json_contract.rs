//! The JSON contract (docs/json.md), checked from the outside: real output of each command is
//! deserialized into structs written here, separately from the tool's own types, that deny
//! unknown fields, so a field added, renamed or dropped without updating the contract fails.
//! The committed samples in docs/samples/ must equal today's output (`UPDATE_SNAPSHOTS=1`
//! rewrites them after an intended change).

mod common;

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Tool {
    name: String,
    version: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Evidence {
    source: String,
    says: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Remedy {
    title: String,
    command: Option<String>,
    detail: String,
    fix: Option<String>,
    sources: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Finding {
    code: String,
    category: String,
    severity: String,
    title: String,
    evidence: Vec<Evidence>,
    why: String,
    layer: String,
    other_layers: String,
    remedies: Vec<Remedy>,
    sources: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Area {
    name: String,
    status: String,
    summary: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Check {
    schema_version: u32,
    tool: Tool,
    root: String,
    areas: Vec<Area>,
    stack: FleetStack,
    findings: Vec<Finding>,
    next: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Explain {
    schema_version: u32,
    findings: Vec<Finding>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Gpu {
    gfx_target: Option<String>,
    runtime_target: Option<String>,
    marketing_name: Option<String>,
    pci_device_id: Option<String>,
    compute_units: Option<u32>,
    source: String,
    family: Option<String>,
    is_apu: Option<bool>,
    node: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Override {
    var: String,
    value: String,
    reports: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Toolchain {
    major: u32,
    path: String,
    flavor: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Scan {
    schema_version: u32,
    tool: Tool,
    root: String,
    gpus: Vec<Gpu>,
    overrides: Vec<Override>,
    toolchains: Vec<Toolchain>,
    problems: Vec<String>,
    snapshot: Snapshot,
}

/// The snapshot's first levels, written apart from the tool's own types; `Value` marks the
/// leaves whose shape docs/json.md gives as `Observed` tags.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Snapshot {
    schema_version: u32,
    root: String,
    gpu: SnapGpu,
    access: SnapAccess,
    rocminfo: Value,
    env: SnapEnv,
    rocm: SnapRocm,
    python: SnapPython,
    toolchains: Vec<SnapToolchain>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct SnapGpu {
    kfd: Value,
    drm: Value,
    pci: Value,
    gpus: Vec<SnapGpuRecord>,
    problems: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct SnapGpuRecord {
    pci_slot: Option<String>,
    kfd_node: Option<String>,
    card: Option<String>,
    device_id: Option<u32>,
    revision: Option<u32>,
    gfx: Option<String>,
    gfx_source: Option<String>,
    gfx_target_version: Option<u64>,
    chip: Option<String>,
    family: Option<String>,
    marketing_name: Option<String>,
    marketing: Vec<String>,
    is_apu: Option<bool>,
    cu_count: Option<u32>,
    drm_render_minor: Option<u32>,
    driver: Option<String>,
    knowledge_source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct SnapAccess {
    kernel: Value,
    amdgpu_version: Value,
    amdgpu_loaded: Option<bool>,
    amdgpu_parameters: BTreeMap<String, Value>,
    cmdline_amdgpu: Vec<Value>,
    user: Value,
    devices: Vec<Value>,
    container: Vec<Value>,
    container_engines: Vec<Value>,
    problems: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct SnapEnv {
    source: String,
    vars: BTreeMap<String, String>,
    overrides: Vec<SnapOverride>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct SnapOverride {
    var: String,
    node: Option<u32>,
    value: String,
    reports: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct SnapRocm {
    opt_rocm: Value,
    installs: Vec<SnapInstall>,
    env: Value,
    mixed: Value,
    problems: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct SnapInstall {
    path: String,
    aliases: Vec<String>,
    layout: String,
    version: Value,
    version_dev: Value,
    version_hip_libraries: Value,
    hip_soname_major: Option<u32>,
    components: BTreeMap<String, Value>,
    device_libs: Vec<Value>,
    llvm_majors: Vec<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct SnapPython {
    environments: Vec<SnapPythonEnv>,
    problems: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct SnapPythonEnv {
    kind: String,
    prefix: String,
    pyvenv_cfg: Value,
    python_version: Option<String>,
    site_packages: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct SnapToolchain {
    major: u32,
    path: String,
    flavor: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Plan {
    schema_version: u32,
    tool: Tool,
    root: String,
    status: String,
    summary: String,
    gpu: Option<String>,
    gpu_name: Option<String>,
    blockers: Vec<String>,
    notes: Vec<String>,
    candidates: Vec<Candidate>,
    recommended: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Candidate {
    solution: String,
    title: String,
    setup: common::SetupWire,
    changes: Vec<String>,
    steps: Vec<String>,
    env: Vec<String>,
    time: Estimate,
    complexity: String,
    gpu_speed: String,
    stability: String,
    stability_why: String,
    risk: String,
    risk_why: String,
    needs_root: bool,
    needs_reboot: bool,
    fixes: Vec<String>,
    does_not_fix: Vec<String>,
    evidence: Vec<CandidateEvidence>,
    notes: Vec<String>,
    verdict: CandidateVerdict,
    score: i32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Estimate {
    kind: String,
    value: Option<String>,
    basis: String,
    #[serde(default)]
    source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct CandidateEvidence {
    entry: String,
    says: String,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct CandidateVerdict {
    kind: String,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Fleet {
    schema_version: u32,
    tool: Tool,
    node_count: usize,
    clean: Vec<String>,
    findings: Vec<FleetFinding>,
    groups: Vec<FleetGroup>,
    nodes: Vec<FleetNode>,
    skipped: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct FleetFinding {
    code: String,
    severity: String,
    title: String,
    count: usize,
    nodes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct FleetGroup {
    stack: FleetStack,
    count: usize,
    nodes: Vec<String>,
    findings: BTreeMap<String, usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct FleetStack {
    gpu_targets: Vec<String>,
    rocm_versions: Vec<String>,
    torch_versions: Vec<String>,
    overrides: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct FleetNode {
    name: String,
    file: String,
    input: String,
    worst: Option<String>,
    group: usize,
}

fn run_json(args: &[&str]) -> Value {
    let out = common::doctor(args);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{args:?}: {out:?}"
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// Compares `v` with docs/samples/`name` (tool version ignored), or rewrites it.
fn sample(name: &str, v: &Value) {
    let path = common::repo().join("docs/samples").join(name);
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(o) = v.as_object_mut() {
            o.remove("tool");
        }
        v
    };
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(v).unwrap() + "\n").unwrap();
        return;
    }
    let committed: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        strip(&committed),
        strip(v),
        "docs/samples/{name} is stale: run UPDATE_SNAPSHOTS=1 cargo test --test json_contract"
    );
}

#[test]
fn check_output_follows_the_contract() {
    for root in ["rx5600xt-rocm702", "mi210-pair", "no-driver", "apu-dgpu"] {
        let v = run_json(&[
            "check",
            "--json",
            "--root",
            &format!("tests/fixtures/roots/{root}"),
        ]);
        let d: Check = serde_json::from_value(v).unwrap_or_else(|e| panic!("{root}: {e}"));
        assert_eq!(d.schema_version, 1);
        assert_eq!(d.areas.len(), 5);
    }
    let v = run_json(&["check", "--json", "--demo"]);
    let _: Check = serde_json::from_value(v.clone()).unwrap();
    sample("check-demo.json", &v);
}

#[test]
fn scan_output_follows_the_contract() {
    for root in ["apu-dgpu", "mi210-pair", "no-driver", "two-rocms"] {
        let v = run_json(&[
            "scan",
            "--json",
            "--root",
            &format!("tests/fixtures/roots/{root}"),
        ]);
        let _: Scan = serde_json::from_value(v).unwrap_or_else(|e| panic!("{root}: {e}"));
    }
    let v = run_json(&["scan", "--json", "--demo"]);
    let d: Scan = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(d.gpus.len(), 1);
    sample("scan-demo.json", &v);
}

#[test]
fn explain_output_follows_the_contract() {
    let file = "tests/fixtures/logs/bitcode-version-skew/llvm-dis-16-on-LLVM19.1.7.log";
    let v = run_json(&["explain", "--json", file]);
    let d: Explain = serde_json::from_value(v.clone()).unwrap();
    assert!(!d.findings.is_empty());
    sample("explain-bitcode.json", &v);
}

#[test]
fn plan_and_fleet_outputs_follow_the_contract() {
    let v = run_json(&["plan", "--json", "--demo"]);
    let p: Plan = serde_json::from_value(v.clone()).unwrap();
    assert!(p.recommended.is_some());
    sample("plan-demo.json", &v);

    let tmp = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for root in ["rx5600xt-rocm702", "mi210-pair"] {
        let v = run_json(&[
            "check",
            "--json",
            "--root",
            &format!("tests/fixtures/roots/{root}"),
        ]);
        let f = tmp.path().join(format!("{root}.json"));
        std::fs::write(&f, serde_json::to_vec(&v).unwrap()).unwrap();
        files.push(f.display().to_string());
    }
    let mut args = vec!["fleet", "--json"];
    args.extend(files.iter().map(String::as_str));
    let d: Fleet = serde_json::from_value(run_json(&args)).unwrap();
    assert_eq!(d.node_count, 2);
    assert_eq!(d.nodes.len(), 2);
}
