//! The library, framework, Python and toolchain rules on the fixture machines, and on saved
//! snapshots with one fact changed: each test flips one input and checks that the finding
//! appears or goes away, so a rule that ignored its input would fail.

mod common;

use rocm_doctor::diagnose::{check, Category, Finding, Severity};
use rocm_doctor::root::Root;
use serde_json::{json, Value};

/// Findings for a fixture root, scanned as a live machine would be.
fn scan(name: &str) -> Vec<Finding> {
    let root = Root::new(common::repo().join("tests/fixtures/roots").join(name));
    check(&rocm_doctor::probe::take(&root, &Default::default()))
}

/// A committed scenario snapshot, as JSON to edit.
fn saved(name: &str) -> Value {
    let path = common::repo().join(format!("tests/snapshots/{name}.scan.json"));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["snapshot"].clone()
}

fn run(v: &Value) -> Vec<Finding> {
    check(&rocm_doctor::snapshot::from_json(&v.to_string()).unwrap())
}

fn with<'a>(fs: &'a [Finding], code: &str) -> Vec<&'a Finding> {
    fs.iter().filter(|f| f.code == code).collect()
}

fn one<'a>(fs: &'a [Finding], code: &str) -> &'a Finding {
    let v = with(fs, code);
    assert_eq!(
        v.len(),
        1,
        "{code}: {:#?}",
        fs.iter().map(|f| &f.title).collect::<Vec<_>>()
    );
    v[0]
}

/// Whether some evidence line comes from a source containing `source` and says `says`.
fn says(f: &Finding, source: &str, says: &str) -> bool {
    f.evidence
        .iter()
        .any(|e| e.source.contains(source) && e.says.contains(says))
}

/// Every finding of these rules carries evidence, reasons and sourced remedies.
fn well_formed(fs: &[Finding]) {
    for f in fs.iter().filter(|f| MINE.contains(&f.code.as_str())) {
        assert!(!f.evidence.is_empty() && !f.why.is_empty(), "{}", f.code);
        assert!(
            !f.other_layers.is_empty() && !f.sources.is_empty(),
            "{}",
            f.code
        );
        assert!(
            f.sources.iter().all(|s| s.starts_with("https://")),
            "{}",
            f.code
        );
        for r in &f.remedies {
            assert!(
                r.sources.iter().all(|s| s.starts_with("https://")),
                "{}",
                f.code
            );
        }
    }
}

const MINE: &[&str] = &[
    "torch-lacks-gpu-target",
    "rocblas-lacks-gpu-target",
    "miopen-db-lacks-gpu-target",
    "hipblaslt-lacks-gpu-target",
    "framework-rocm-differs-from-system",
    "rocm-releases-mixed",
    "python-too-new-for-wheels",
    "bitcode-newer-than-toolchain",
    "no-toolchain-for-source-build",
];

#[test]
fn the_codes_are_registered() {
    let codes = rocm_doctor::diagnose::codes();
    for c in MINE {
        assert!(codes.contains(c), "{c}");
    }
}

#[test]
fn demo_machine() {
    let fs = scan("rx5600xt-rocm702");
    well_formed(&fs);
    // torch 2.5.1+rocm6.2 carries gfx1030, not gfx1010: it loads only under the override,
    // whose verdict for gfx1010 is "unsafe", so this is a warning, not info.
    let t = one(&fs, "torch-lacks-gpu-target");
    assert_eq!(
        (t.severity, t.category),
        (Severity::Warning, Category::MissingKernelsForArch)
    );
    assert!(says(t, "libtorch_hip.so", "gfx1030") || says(t, "torch/lib", "gfx1030"));
    assert!(says(t, "topology/nodes/1", "gfx1010"));
    assert!(says(t, "environment", "HSA_OVERRIDE_GFX_VERSION=10.3.0"));
    // rocBLAS and MIOpen of 7.0.2 carry gfx1030 (the runtime target); hipBLASLt does not.
    assert!(with(&fs, "rocblas-lacks-gpu-target").is_empty());
    assert!(with(&fs, "miopen-db-lacks-gpu-target").is_empty());
    let h = one(&fs, "hipblaslt-lacks-gpu-target");
    assert_eq!(h.severity, Severity::Info);
    assert!(says(
        h,
        "/opt/rocm-7.0.2/lib/hipblaslt/library",
        "none for gfx1030"
    ));
    let d = one(&fs, "framework-rocm-differs-from-system");
    assert_eq!(
        (d.severity, d.category),
        (Severity::Info, Category::VersionMismatchFrameworkVsRuntime)
    );
    assert!(says(d, "torch/version.py", "6.2.41133") && says(d, "/opt/rocm-7.0.2", "7.0"));
    let p = one(&fs, "python-too-new-for-wheels");
    assert_eq!(p.severity, Severity::Warning);
    assert!(says(p, "/home/user/venv", "3.12") && says(p, "knowledge", "1.13.1+rocm5.2"));
    assert!(p.remedies[0]
        .command
        .as_deref()
        .unwrap()
        .contains("--python 3.10"));
    let b = one(&fs, "bitcode-newer-than-toolchain");
    assert_eq!(
        (b.severity, b.category),
        (Severity::Warning, Category::BitcodeVersionSkew)
    );
    assert!(says(b, "/opt/rocm-7.0.2/amdgcn/bitcode", "LLVM20.0.0git"));
    assert!(says(b, "/usr/lib/llvm-16", "cannot read"));
    assert!(says(b, "/opt/rocm/llvm", "reads them (same major)"));
    assert_eq!(b.remedies[0].fix.map(|s| s.as_str()), Some("source-build"));
    assert!(b.remedies[0]
        .command
        .as_deref()
        .unwrap()
        .contains("/opt/rocm/llvm/bin/clang++"));
    // ROCm's own LLVM 20 is installed: a source build has its toolchain.
    assert!(with(&fs, "no-toolchain-for-source-build").is_empty());
    assert!(with(&fs, "rocm-releases-mixed").is_empty());
}

#[test]
fn other_machines() {
    let fs = scan("rx6700xt-override");
    well_formed(&fs);
    // gfx1031 under 10.3.0: the stand-in is reported to work, so only a note.
    assert_eq!(one(&fs, "torch-lacks-gpu-target").severity, Severity::Info);
    let n = one(&fs, "no-toolchain-for-source-build");
    assert!(n.title.contains("LLVM 15") && says(n, "amdgcn/bitcode", "LLVM15.0.5"));
    assert!(n.remedies[0].title.contains("clang-15"));
    let fs = scan("two-rocms");
    let b = one(&fs, "bitcode-newer-than-toolchain");
    assert!(b.title.contains("LLVM 18") && b.title.contains("/opt/rocm-7.0.2"));
    // LLVM 18 can still build against 6.2.4's own LLVM 18 device libraries.
    assert!(b.remedies.iter().any(|r| r
        .command
        .as_deref()
        .is_some_and(|c| c.contains("--rocm-device-lib-path=/opt/rocm-6.2.4/amdgcn/bitcode"))));
    for name in ["mi210-pair", "no-driver", "kfd-no-permission", "apu-dgpu"] {
        let fs = scan(name);
        let mine: Vec<&str> = fs
            .iter()
            .map(|f| f.code.as_str())
            .filter(|c| MINE.contains(c))
            .collect();
        assert!(mine.is_empty(), "{name}: {mine:?}");
    }
}

/// The demo snapshot's venv torch.
fn torch(v: &mut Value) -> &mut Value {
    &mut v["python"]["environments"][1]["site_packages"][0]["torch"]["value"]
}

fn install(v: &mut Value) -> &mut Value {
    &mut v["rocm"]["installs"][0]
}

#[test]
fn without_the_override_torch_and_rocblas_lack_gfx1010() {
    let mut v = saved("rx5600xt-rocm702");
    assert!(with(&run(&v), "rocblas-lacks-gpu-target").is_empty());
    v["env"]["overrides"] = json!([]);
    v["env"]["vars"] = json!({});
    let fs = run(&v);
    let t = one(&fs, "torch-lacks-gpu-target");
    assert_eq!(t.severity, Severity::Error);
    assert!(t.title.contains("gfx1010"));
    let r = one(&fs, "rocblas-lacks-gpu-target");
    assert_eq!(
        (r.severity, r.category),
        (Severity::Error, Category::MissingKernelsForArch)
    );
    assert!(says(
        r,
        "/opt/rocm-7.0.2/lib/rocblas/library",
        "none for gfx1010"
    ));
}

#[test]
fn torch_without_the_runtime_target_is_an_error() {
    let mut v = saved("rx5600xt-rocm702");
    torch(&mut v)["gpu_targets"] = json!(["gfx900", "gfx1100"]);
    let t = run(&v);
    let t = one(&t, "torch-lacks-gpu-target");
    assert_eq!(t.severity, Severity::Error);
    assert!(t.title.contains("gfx1030"));
    // A CPU build has no GPU code at all.
    torch(&mut v)["flavour"] = json!("cpu");
    let fs = run(&v);
    assert!(one(&fs, "torch-lacks-gpu-target")
        .title
        .contains("CPU-only"));
    // No targets read at all is unknown, not missing.
    torch(&mut v)["flavour"] = json!("rocm");
    torch(&mut v)["gpu_targets"] = json!([]);
    assert!(with(&run(&v), "torch-lacks-gpu-target").is_empty());
}

#[test]
fn rocblas_and_miopen_without_gfx1030() {
    let mut v = saved("rx5600xt-rocm702");
    let c = &mut install(&mut v)["components"];
    c["rocblas_kernels"]["value"]["gfx"] = json!(["gfx1100", "gfx90a"]);
    c["miopen_db"]["value"]["names"] = json!(["gfx1100_48.kdb", "gfx1030_36.db"]);
    let fs = run(&v);
    assert_eq!(
        one(&fs, "rocblas-lacks-gpu-target").severity,
        Severity::Error
    );
    let m = one(&fs, "miopen-db-lacks-gpu-target");
    assert_eq!(
        (m.severity, m.category),
        (Severity::Warning, Category::MiopenFailure)
    );
    assert!(says(m, "share/miopen/db", "none for gfx1030"));
    // The torch wheel's own rocBLAS is checked too.
    torch(&mut v)["rocblas_targets"]["value"] = json!(["gfx1100"]);
    let fs = run(&v);
    let r = with(&fs, "rocblas-lacks-gpu-target");
    assert_eq!(r.len(), 2);
    assert!(r
        .iter()
        .any(|f| says(f, "torch/lib/rocblas/library", "none for gfx1030")));
}

#[test]
fn ld_library_path_makes_the_rocm_difference_matter() {
    let mut v = saved("rx5600xt-rocm702");
    v["rocm"]["env"].as_array_mut().unwrap().push(json!({
        "source": "LD_LIBRARY_PATH", "path": "/opt/rocm/lib",
        "resolved": {"state": "present", "value": "/opt/rocm-7.0.2/lib"},
        "install": "/opt/rocm-7.0.2"
    }));
    let fs = run(&v);
    let d = one(&fs, "framework-rocm-differs-from-system");
    assert_eq!(d.severity, Severity::Warning);
    assert!(says(d, "environment", "LD_LIBRARY_PATH"));
    assert_eq!(d.remedies[0].fix.map(|s| s.as_str()), Some("env"));
    // A torch built for the system's ROCm line raises nothing.
    torch(&mut v)["version_py"]["value"]["hip"] = json!("7.0.51831-a3e329ad8");
    torch(&mut v)["version_py"]["value"]["version"] = json!("2.9.0+rocm7.0");
    assert!(with(&run(&v), "framework-rocm-differs-from-system").is_empty());
}

#[test]
fn mixed_releases() {
    let mut v = saved("two-rocms");
    assert!(with(&run(&v), "rocm-releases-mixed").is_empty());
    v["rocm"]["env"][1]["install"] = json!("/opt/rocm-6.2.4");
    v["rocm"]["mixed"] = json!(["/opt/rocm-6.2.4", "/opt/rocm-7.0.2"]);
    let fs = run(&v);
    let m = one(&fs, "rocm-releases-mixed");
    assert_eq!(
        (m.severity, m.layer.as_str()),
        (Severity::Warning, "environment")
    );
    assert!(says(m, "ld.so.conf.d", "6.2.4-120") && says(m, "/opt/rocm", "7.0.2-56"));
}

#[test]
fn python_that_fits_a_known_good_stack_raises_nothing() {
    let mut v = saved("rx5600xt-rocm702");
    v["python"]["environments"][1]["site_packages"][0]["python_version"] = json!("3.10");
    assert!(with(&run(&v), "python-too-new-for-wheels").is_empty());
}

#[test]
fn toolchains_decide_the_bitcode_findings() {
    let mut v = saved("rx5600xt-rocm702");
    let tcs = v["toolchains"].as_array().unwrap().clone();
    // Only LLVM 16: nothing installed reads the LLVM 20 device libraries.
    v["toolchains"] = json!([tcs[0]]);
    let fs = run(&v);
    assert_eq!(
        one(&fs, "bitcode-newer-than-toolchain").severity,
        Severity::Error
    );
    assert!(one(&fs, "no-toolchain-for-source-build")
        .title
        .contains("LLVM 20"));
    // Only ROCm's own LLVM 20: no skew, and the build has its compiler.
    v["toolchains"] = json!([tcs[1]]);
    let fs = run(&v);
    assert!(with(&fs, "bitcode-newer-than-toolchain").is_empty());
    assert!(with(&fs, "no-toolchain-for-source-build").is_empty());
    // An unreadable producer is unknown: no verdict either way.
    v["toolchains"] = json!(tcs);
    install(&mut v)["device_libs"][0]["llvm_major"] = Value::Null;
    assert!(with(&run(&v), "bitcode-newer-than-toolchain").is_empty());
}
