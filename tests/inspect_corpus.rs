//! `inspect` on the real corpus (Debian ROCm packages, PyPI ROCm wheels), checked against the
//! real tools: `llvm-bcanalyzer-19` for bitcode, `clang-offload-bundler` for plain bundles, and
//! for what the real tools cannot read (many bundles per section, CCOB v3 zstd) the
//! hand-splitting, hand-decompressing ground truth in fixtures/oracle_bundles.py.
//! Inputs come from fixtures/fetch.sh; each test skips (or, under scripts/test.sh, fails) when
//! they are missing.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const DEVICE_LIBS: &str = "debian/rocm-device-libs/usr/lib/x86_64-linux-gnu/amdgcn/bitcode";
const ROCSPARSE: &str = "debian/librocsparse0/usr/lib/x86_64-linux-gnu/librocsparse.so.0.1";
const ROCRAND: &str = "debian/librocrand1/usr/lib/x86_64-linux-gnu/librocrand.so.1.1";

/// The oracle's JSON for one file.
fn oracle(file: &Path) -> Value {
    let out = Command::new("python3")
        .arg(common::repo().join("fixtures/oracle_bundles.py"))
        .arg(file)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A bundle as both sides see it: (file offset, compression, CCOB version, entry id → size).
type BundleFacts = (u64, Option<String>, Option<u64>, BTreeMap<String, u64>);

/// Each bundle's facts, from our JSON.
fn ours(file: &Value) -> Vec<BundleFacts> {
    file["bundles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let entries = b["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    (
                        e["triple"].as_str().unwrap().to_owned(),
                        e["size"].as_u64().unwrap(),
                    )
                })
                .collect();
            (
                b["offset"].as_u64().unwrap(),
                b["compression"].as_str().map(str::to_owned),
                b["ccob_version"].as_u64(),
                entries,
            )
        })
        .collect()
}

/// The same tuple, from the oracle.
fn theirs(o: &Value) -> Vec<BundleFacts> {
    o["bundles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let (entries, compression, version) = match b["kind"].as_str().unwrap() {
                "compressed" => (
                    &b["inner"]["entries"],
                    b["ccob"]["method_name"].as_str().map(str::to_owned),
                    b["ccob"]["version"].as_u64(),
                ),
                _ => (&b["entries"], None, None),
            };
            let entries = entries
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    (
                        e["id"].as_str().unwrap().to_owned(),
                        e["size"].as_u64().unwrap(),
                    )
                })
                .collect();
            (
                b["file_offset"].as_u64().unwrap(),
                compression,
                version,
                entries,
            )
        })
        .collect()
}

/// Every ELF in the fetched wheels and packages that has a `.hip_fatbin` section.
fn fat_binaries() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for root in ["debian", "pypi"] {
        for e in walkdir::WalkDir::new(common::corpus().join(root))
            .into_iter()
            .flatten()
        {
            let p = e.path();
            if !e.file_type().is_file() || !p.to_string_lossy().contains(".so") {
                continue;
            }
            let Ok(bytes) = std::fs::read(p) else {
                continue;
            };
            if bytes.starts_with(b"\x7fELF") && bytes.windows(11).any(|w| w == b".hip_fatbin") {
                out.push(p.to_path_buf());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_bundle_of_every_fat_binary_matches_the_ground_truth() {
    if !common::have(common::corpus().join("pypi").exists(), "fetched corpus") {
        return;
    }
    let files = fat_binaries();
    assert!(
        files.len() >= 8,
        "expected the corpus' fat binaries, found {}",
        files.len()
    );
    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let doc = common::inspect_json(&paths);
    let mut compressed_v3 = 0;
    let mut bundles = 0;
    for (path, ours_file) in files.iter().zip(doc["files"].as_array().unwrap()) {
        assert_eq!(ours_file["path"].as_str().unwrap(), path.to_str().unwrap());
        assert_eq!(ours_file["error"], Value::Null, "{}", path.display());
        let truth = theirs(&oracle(path));
        let got = ours(ours_file);
        assert_eq!(got, truth, "{}", path.display());
        bundles += got.len();
        compressed_v3 += got.iter().filter(|b| b.2 == Some(3)).count();
    }
    assert!(compressed_v3 >= 2, "the jax wheel holds CCOB v3 bundles");
    assert!(
        bundles >= 111 + 1 + 3,
        "rocsparse alone has 111 bundles, got {bundles} in all"
    );
}

#[test]
fn rocsparse_has_111_bundles_and_a_trailing_nul() {
    let Some(path) = common::corpus_file(ROCSPARSE) else {
        return;
    };
    let doc = common::inspect_json(&[&path]);
    let f = &doc["files"][0];
    assert_eq!(f["kind"], "elf");
    assert_eq!(f["bundles"].as_array().unwrap().len(), 111);
    let section = &f["elf"]["bundle_sections"][0];
    assert_eq!(section["name"], ".hip_fatbin");
    assert_eq!(section["bundles"], 111);
    assert_eq!(section["trailing_bytes"], 1);
    for b in f["bundles"].as_array().unwrap() {
        let rel = b["offset"].as_u64().unwrap() - section["offset"].as_u64().unwrap();
        assert_eq!(rel % 4096, 0, "bundles start 4096-aligned in the section");
    }
}

/// `clang-offload-bundler --list` on bundles cut out by hand agrees with us (as sets: it
/// prints in hash-map order). Checks the first, a middle and the last bundle of rocsparse,
/// rocrand's, and the plain bundles of the cupy wheels.
#[test]
fn plain_bundles_match_clang_offload_bundler() {
    let Some(bundler) = common::tool("clang-offload-bundler-19") else {
        return;
    };
    if !common::have(common::corpus().join("pypi").exists(), "fetched corpus") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for path in fat_binaries() {
        let doc = common::inspect_json(&[&path]);
        let bundles = doc["files"][0]["bundles"].as_array().unwrap().clone();
        let bytes = std::fs::read(&path).unwrap();
        let n = bundles.len();
        let picks: BTreeSet<usize> = [0, n / 2, n.saturating_sub(1)].into_iter().collect();
        for i in picks {
            let b = &bundles[i];
            if !b["compression"].is_null() {
                continue;
            }
            let (off, size) = (
                b["offset"].as_u64().unwrap() as usize,
                b["size"].as_u64().unwrap() as usize,
            );
            let cut = dir.path().join(format!("b{checked}"));
            std::fs::write(&cut, &bytes[off..off + size]).unwrap();
            let (ok, real, stderr) = common::bundler_list(&bundler, &cut);
            assert!(ok, "{}: bundler failed: {stderr}", path.display());
            let ours = common::entry_ids(b);
            assert_eq!(ours, real, "{} bundle #{i}", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 6, "checked {checked} bundles");
}

/// LLVM 19's bundler cannot list CCOB v3 zstd bundles; we can, and the oracle (which
/// decompresses with the zstd tool) agrees with us (previous test). Here: the real tool's
/// failure, so the README's claim stays true.
#[test]
fn real_bundler_fails_on_ccob_v3() {
    let Some(bundler) = common::tool("clang-offload-bundler-19") else {
        return;
    };
    let Some(solver) = common::corpus_file("pypi/jax-rocm7-plugin/jax_rocm7_plugin/_solver.so")
    else {
        return;
    };
    let doc = common::inspect_json(&[&solver]);
    let b = &doc["files"][0]["bundles"];
    assert_eq!(
        b.as_array().unwrap().len(),
        2,
        "_solver.so holds 2 compressed bundles"
    );
    assert_eq!(b[0]["ccob_version"], 3);
    assert_eq!(b[0]["compression"], "zstd");
    let bytes = std::fs::read(&solver).unwrap();
    let (off, size) = (
        b[0]["offset"].as_u64().unwrap() as usize,
        b[0]["size"].as_u64().unwrap() as usize,
    );
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("b0");
    std::fs::write(&cut, &bytes[off..off + size]).unwrap();
    let (ok, _, stderr) = common::bundler_list(&bundler, &cut);
    assert!(!ok, "LLVM 19's bundler was expected to fail on CCOB v3");
    assert!(
        stderr.contains("frame descriptor") || stderr.contains("ompress"),
        "{stderr}"
    );
}

/// Producer, epoch and triple of Debian's 51 device libraries, against llvm-bcanalyzer-19.
#[test]
fn device_libs_match_bcanalyzer() {
    let Some(bcanalyzer) = common::tool("llvm-bcanalyzer-19") else {
        return;
    };
    let Some(dir) = common::corpus_file(DEVICE_LIBS) else {
        return;
    };
    let doc = common::inspect_json(&[&dir]);
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 51);
    for f in files {
        let path = f["path"].as_str().unwrap();
        let (ok, dump, err) = common::run(&bcanalyzer, &["-dump", path]);
        assert!(ok, "{path}: {err}");
        let bc = &f["bitcode"];
        assert_eq!(
            bc["producer"].as_str(),
            common::record_string(&dump, "<STRING").as_deref(),
            "{path}"
        );
        assert_eq!(
            bc["triple"].as_str(),
            common::record_string(&dump, "<TRIPLE").as_deref(),
            "{path}"
        );
        assert_eq!(
            bc["datalayout"].as_str(),
            common::record_string(&dump, "<DATALAYOUT").as_deref(),
            "{path}"
        );
        assert_eq!(
            bc["epoch"].as_u64(),
            common::record_op0(&dump, "<EPOCH"),
            "{path}"
        );
        assert_eq!(bc["producer"], "LLVM15.0.5");
        assert_eq!(bc["triple"], "amdgcn-amd-amdhsa");
    }
}

#[test]
fn rocrand_has_one_bundle() {
    let Some(path) = common::corpus_file(ROCRAND) else {
        return;
    };
    let doc = common::inspect_json(&[&path]);
    let f = &doc["files"][0];
    assert_eq!(f["bundles"].as_array().unwrap().len(), 1);
    let targets: Vec<&str> = f["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(
        targets.contains(&"gfx1030") && targets.contains(&"gfx90a:xnack+"),
        "{targets:?}"
    );
}
