//! `rocm-doctor plan` on the demo machine and the scenario roots (tests/fixtures/roots/*):
//! the recommendation per machine, the rules every plan keeps (no unsafe override offered,
//! binary patching declined, every evidence row sourced), the text table and the JSON shape.

mod common;

use std::collections::BTreeSet;

use rocm_doctor::knowledge::gfx_support::{self, Verdict};
use serde::Deserialize;
use serde_json::Value;

fn root(name: &str) -> String {
    common::repo()
        .join("tests/fixtures/roots")
        .join(name)
        .display()
        .to_string()
}

/// Runs `plan --json` on a machine, checks the rules every plan keeps, returns the document.
fn plan(machine: &[&str]) -> Value {
    let mut args = vec!["plan", "--json"];
    args.extend_from_slice(machine);
    let out = common::doctor(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let d: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    invariants(&d);
    d
}

fn candidates(d: &Value) -> &Vec<Value> {
    d["candidates"].as_array().expect("candidates array")
}

fn candidate<'a>(d: &'a Value, solution: &str) -> &'a Value {
    candidates(d)
        .iter()
        .find(|c| c["solution"] == solution)
        .unwrap_or_else(|| panic!("no {solution} candidate"))
}

fn offered(c: &Value) -> bool {
    matches!(
        c["verdict"]["kind"].as_str(),
        Some("recommended" | "viable")
    )
}

fn invariants(d: &Value) {
    let gpu = d["gpu"].as_str();
    let recommended: Vec<&Value> = candidates(d)
        .iter()
        .filter(|c| c["verdict"]["kind"] == "recommended")
        .collect();
    match d["recommended"].as_str() {
        Some(s) => {
            assert_eq!(recommended.len(), 1);
            assert_eq!(recommended[0]["solution"], s);
            assert_eq!(candidates(d)[0]["solution"], s, "the recommended one leads");
            assert_ne!(s, "cpu-fallback", "the CPU fallback is opt-in");
        }
        None => assert!(recommended.is_empty()),
    }
    for c in candidates(d) {
        let s = c["solution"].as_str().unwrap();
        if s == "binary-patch" {
            assert_eq!(c["verdict"]["kind"], "declined");
            assert!(c["verdict"]["reason"]
                .as_str()
                .unwrap()
                .contains("unproven"));
        }
        if !offered(c) {
            assert!(!c["verdict"]["reason"].as_str().unwrap().is_empty(), "{s}");
        }
        for e in c["evidence"].as_array().unwrap() {
            let src = e["source"].as_str().unwrap();
            assert!(src.starts_with("https://"), "{s}: {src}");
        }
        // An offered override must be the target's stand-in that the knowledge base says works.
        let row = gpu.and_then(gfx_support::target);
        for e in c["env"].as_array().unwrap() {
            let Some(v) = e
                .as_str()
                .unwrap()
                .strip_prefix("HSA_OVERRIDE_GFX_VERSION=")
            else {
                continue;
            };
            if offered(c) {
                let known = row
                    .and_then(|r| r.stand_in.as_ref())
                    .expect("a known stand-in");
                // Either the stand-in works on the target, or a venv pins a stack reported
                // working on it with that very override (scoped to the venv).
                let stack_backed = c["solution"] == "venv"
                    && c["evidence"].as_array().unwrap().iter().any(|e| {
                        e["entry"].as_str().unwrap_or("").starts_with("stack ")
                            && e["says"].as_str().unwrap_or("").starts_with("good")
                    });
                assert!(
                    known.value == v && (known.verdict == Verdict::Works || stack_backed),
                    "{s}: {v}"
                );
            }
        }
    }
    // Offered candidates (the opt-in CPU fallback aside) come best score first.
    let scores: Vec<i64> = candidates(d)
        .iter()
        .filter(|c| offered(c) && c["solution"] != "cpu-fallback")
        .map(|c| c["score"].as_i64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

#[test]
fn demo_recommends_a_native_build_never_the_unsafe_override() {
    let d = plan(&["--demo"]);
    assert_eq!(d["gpu"], "gfx1010");
    assert_eq!(d["status"], "change");
    assert_eq!(d["recommended"], "native-build");
    let n = candidate(&d, "native-build");
    let steps = n["steps"].to_string();
    assert!(steps.contains("torch[device-gfx1010]"), "{steps}");
    assert!(n["changes"]
        .to_string()
        .contains("Remove HSA_OVERRIDE_GFX_VERSION=10.3.0 from /etc/environment"));
    // Only the venv pinning the stack reported working on gfx1010 with 10.3.0 sets it, and
    // scoped to itself; every other candidate leaves it unset.
    for c in candidates(&d).iter().filter(|c| offered(c)) {
        let sets = c["env"].to_string().contains("10.3.0");
        assert_eq!(sets, c["solution"] == "venv", "{}", c["solution"]);
    }
    assert_eq!(candidate(&d, "venv")["setup"]["torch"], "1.13.1+rocm5.2");
    assert_eq!(candidate(&d, "env")["setup"]["override_value"], Value::Null);
    let pk = candidate(&d, "packages");
    assert_eq!(pk["verdict"]["kind"], "not-viable");
    assert!(pk["verdict"]["reason"].as_str().unwrap().contains("unsafe"));
    // The source build names the LLVM that wrote ROCm 7.0.2's device libraries, and the target.
    let sb = candidate(&d, "source-build");
    let steps = sb["steps"].to_string();
    assert!(
        steps.contains("export CXX=/opt/rocm/llvm/bin/clang++"),
        "{steps}"
    );
    assert!(steps.contains("-DGPU_TARGETS=gfx1010") && !steps.contains("llvm-16"));
    assert_eq!(candidate(&d, "cpu-fallback")["gpu_speed"], "cpu");
}

#[test]
fn the_rx5600xt_tree_plans_like_the_demo() {
    let d = plan(&["--root", &root("rx5600xt-rocm702")]);
    assert_eq!(d["recommended"], "native-build");
}

#[test]
fn rx6700xt_keeps_the_override_that_works() {
    let d = plan(&["--root", &root("rx6700xt-override")]);
    assert_eq!(d["gpu"], "gfx1031");
    assert_eq!(d["recommended"], "env");
    let env = candidate(&d, "env");
    assert_eq!(env["time"]["kind"], "in-place");
    assert_eq!(env["env"][0], "HSA_OVERRIDE_GFX_VERSION=10.3.0");
    assert_eq!(env["gpu_speed"], "stand-in");
    // The native build is there as the way to gfx1031's own code.
    assert_eq!(candidate(&d, "native-build")["verdict"]["kind"], "viable");
}

#[test]
fn mi210_needs_nothing_or_packages() {
    let d = plan(&["--root", &root("mi210-pair")]);
    assert_eq!(d["gpu"], "gfx90a");
    match d["recommended"].as_str() {
        None => assert_eq!(d["status"], "ready"),
        Some(s) => assert_eq!(s, "packages"),
    }
    // An officially supported target needs no stand-in anywhere.
    assert!(candidates(&d).iter().all(|c| c["gpu_speed"] != "stand-in"));
}

#[test]
fn a_healthy_rx7900xtx_gets_no_downgrade_and_no_reinstall() {
    // ROCm 6.4.0 lists gfx1100; the only finding is the harmless missing MIOpen kdb.
    let d = plan(&["--root", &root("rx7900xtx")]);
    assert_eq!(d["gpu"], "gfx1100");
    assert_eq!(d["status"], "ready");
    assert_eq!(d["recommended"], Value::Null);
    let p = candidate(&d, "packages");
    assert_eq!(p["verdict"]["kind"], "not-viable");
    assert!(p["verdict"]["reason"]
        .as_str()
        .unwrap()
        .contains("left as it is"));
}

#[test]
fn apu_and_dgpu_plan_for_the_discrete_gpu() {
    let d = plan(&["--root", &root("apu-dgpu")]);
    assert_eq!(d["gpu"], "gfx1030");
    assert_eq!(d["recommended"], "venv");
    assert!(d["notes"].to_string().contains("gfx1036"));
    let v = candidate(&d, "venv");
    assert_eq!(v["stability"], "official");
    assert!(v["steps"]
        .to_string()
        .contains("download.pytorch.org/whl/rocm"));
}

#[test]
fn no_gpu_gets_a_plan_that_says_so() {
    let d = plan(&["--root", &root("two-rocms")]);
    assert_eq!(d["status"], "no-gpu");
    assert!(d["gpu"].is_null() && d["recommended"].is_null());
    assert!(candidates(&d).is_empty());
    let out = common::doctor(&["plan", "--root", &root("two-rocms")]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("No AMD GPU was seen"));
}

#[test]
fn driver_problems_block_every_candidate() {
    let d = plan(&["--root", &root("no-driver")]);
    let blockers = d["blockers"].to_string();
    assert!(blockers.contains("kfd"), "{blockers}");
    let out = common::doctor(&["check", "--json", "--root", &root("no-driver")]);
    let check: Value = serde_json::from_slice(&out.stdout).expect("check --json");
    let findings = check["findings"].as_array().cloned().unwrap_or_default();
    let driver: Vec<&str> = findings
        .iter()
        .filter(|f| f["layer"] == "driver")
        .filter_map(|f| f["code"].as_str())
        .collect();
    for c in candidates(&d) {
        let fixes = c["fixes"].to_string();
        assert!(
            driver.iter().all(|code| !fixes.contains(code)),
            "{}",
            c["solution"]
        );
    }
}

#[test]
fn text_shows_the_table_and_the_fix_command() {
    let out = common::doctor(&["plan", "--demo"]);
    assert_eq!(out.status.code(), Some(0));
    let t = String::from_utf8_lossy(&out.stdout);
    let header = t
        .lines()
        .find(|l| l.contains("solution"))
        .expect("table header");
    for col in [
        "time",
        "complexity",
        "GPU speed",
        "stability",
        "root",
        "verdict",
    ] {
        assert!(header.contains(col), "{header}");
    }
    assert!(t.contains("rocm-doctor fix native-build --out DIR"), "{t}");
    assert!(t.contains("binary-patch (declined)"), "{t}");
}

// The JSON contract of docs/plan.md, written separately from the code: unknown fields fail.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Doc {
    schema_version: u32,
    tool: Tool,
    root: String,
    gpu: Option<String>,
    gpu_name: Option<String>,
    status: String,
    summary: String,
    blockers: Vec<String>,
    notes: Vec<String>,
    candidates: Vec<Cand>,
    recommended: Option<String>,
}

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
struct Cand {
    solution: String,
    title: String,
    setup: common::SetupWire,
    changes: Vec<String>,
    steps: Vec<String>,
    env: Vec<String>,
    time: Time,
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
    evidence: Vec<Ev>,
    notes: Vec<String>,
    verdict: VerdictWire,
    score: i32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Time {
    kind: String,
    value: Option<String>,
    basis: String,
    #[serde(default)]
    source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Ev {
    entry: String,
    says: String,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct VerdictWire {
    kind: String,
    #[serde(default)]
    reason: Option<String>,
}

#[test]
fn json_matches_the_documented_shape() {
    let kinds = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    for machine in [
        vec!["--demo".to_owned()],
        vec!["--root".into(), root("mi210-pair")],
    ] {
        let args: Vec<&str> = machine.iter().map(String::as_str).collect();
        let doc: Doc = serde_json::from_value(plan(&args)).expect("documented shape");
        assert_eq!(
            (doc.schema_version, doc.tool.name.as_str()),
            (1, "rocm-doctor")
        );
        assert!(
            kinds(&["no-gpu", "unknown-target", "ready", "change", "no-gpu-path"])
                .contains(&doc.status)
        );
        let solutions: BTreeSet<String> =
            doc.candidates.iter().map(|c| c.solution.clone()).collect();
        assert_eq!(
            solutions,
            kinds(&rocm_doctor::model::Solution::ALL.map(|s| s.as_str())),
            "one candidate per solution"
        );
        for c in &doc.candidates {
            assert!(
                kinds(&["in-place", "edit", "download", "build", "unknown"]).contains(&c.time.kind)
            );
            assert!(kinds(&["native", "stand-in", "cpu", "unknown"]).contains(&c.gpu_speed));
            assert!(kinds(&[
                "official",
                "tested",
                "reported",
                "unverified",
                "failing",
                "unknown"
            ])
            .contains(&c.stability));
            for l in [&c.complexity, &c.risk] {
                assert!(kinds(&["low", "medium", "high"]).contains(l));
            }
            assert!(kinds(&["recommended", "viable", "not-viable", "declined"])
                .contains(&c.verdict.kind));
            assert_eq!(
                c.verdict.reason.is_some(),
                matches!(c.verdict.kind.as_str(), "not-viable" | "declined")
            );
            // A time value comes with its source (an override already in place needs none).
            assert!(c.time.value.is_none() || c.time.kind == "in-place" || c.time.source.is_some());
        }
    }
}
