//! `inspect` on the small committed fixtures (fixtures/build.sh made them with Debian's
//! clang-16/19), checked against the real tools: `llvm-readelf-19` for code objects,
//! `clang-offload-bundler-16/19` for bundles, `llvm-bcanalyzer-19` for bitcode. And `--deep`
//! on the real corpus: every code object's `e_flags` against `llvm-readelf-19`.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn fixtures(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(common::repo().join("fixtures").join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v
}

/// (e_flags, ABI version, amdhsa.target) as llvm-readelf-19 prints them.
fn readelf_facts(readelf: &Path, file: &Path) -> (u32, u64, Option<String>) {
    let (ok, out, err) = common::run(readelf, &["-h", "--notes", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    let field = |name: &str| {
        out.lines()
            .find(|l| l.trim_start().starts_with(name))
            .map(|l| l.split_once(':').unwrap().1.trim().to_owned())
    };
    let flags = field("Flags").unwrap();
    let hex = flags.split(',').next().unwrap().trim_start_matches("0x");
    let abi = field("ABI Version").unwrap().parse().unwrap();
    let target = field("amdhsa.target").map(|t| t.trim_matches('\'').to_owned());
    (u32::from_str_radix(hex, 16).unwrap(), abi, target)
}

#[test]
fn code_objects_match_readelf() {
    let Some(readelf) = common::tool("llvm-readelf-19") else {
        return;
    };
    let files = fixtures("hip/co", "co");
    assert!(files.len() >= 10);
    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let doc = common::inspect_json(&paths);
    for (path, f) in files.iter().zip(doc["files"].as_array().unwrap()) {
        assert_eq!(f["kind"], "code-object", "{}", path.display());
        let co = &f["code_object"];
        let (flags, abi, target) = readelf_facts(&readelf, path);
        assert_eq!(
            co["e_flags"].as_u64(),
            Some(u64::from(flags)),
            "{}",
            path.display()
        );
        // HSA ABI versions 1..4 are code-object versions 3..6.
        assert_eq!(
            co["code_object_version"].as_u64(),
            Some(abi + 2),
            "{}",
            path.display()
        );
        assert_eq!(
            co["metadata_target"].as_str(),
            target.as_deref(),
            "{}",
            path.display()
        );
        if let Some(t) = target {
            // The note's target ID and ours, from e_flags, must agree.
            assert_eq!(
                co["target_id"].as_str(),
                t.rsplit("--").next(),
                "{}",
                path.display()
            );
        }
        // The file name says what clang was asked for: k19-gfx90a_xnack-.co → gfx90a:xnack-,
        // k19-gfx1030-v4.co → gfx1030.
        let name = path.file_stem().unwrap().to_str().unwrap();
        let arch = name.split_once('-').unwrap().1;
        let arch = match arch.rsplit_once("-v") {
            Some((a, v)) if v.parse::<u8>().is_ok() => a,
            _ => arch,
        };
        let asked = arch.replace('_', ":");
        if !name.contains("generic") && !name.contains("unbundled") {
            assert_eq!(co["target_id"].as_str(), Some(asked.as_str()), "{name}");
        }
    }
}

#[test]
fn bundle_files_match_clang_offload_bundler() {
    let mut checked = 0;
    for major in ["16", "19"] {
        let Some(bundler) = common::tool(&format!("clang-offload-bundler-{major}")) else {
            return;
        };
        let mut files = fixtures("hip", "hipfb");
        files.extend(fixtures("hip", "ccob"));
        for path in files {
            let doc = common::inspect_json(&[&path]);
            let f = &doc["files"][0];
            assert_eq!(f["error"], Value::Null);
            let (ok, real, err) = common::bundler_list(&bundler, &path);
            let first = &f["bundles"][0];
            let compressed = !first["compression"].is_null();
            // LLVM 16 cannot read compressed bundles at all; LLVM 19 reads CCOB v2 only.
            if compressed && (major == "16" || first["ccob_version"] != 2) {
                assert!(
                    !ok || real.is_empty(),
                    "{major} listed {}: {real:?}",
                    path.display()
                );
                continue;
            }
            assert!(ok, "{}: {err}", path.display());
            let ours = common::entry_ids(first);
            assert_eq!(ours, real, "bundler-{major} on {}", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 6, "{checked}");
}

#[test]
fn bitcode_matches_bcanalyzer() {
    let Some(bcanalyzer) = common::tool("llvm-bcanalyzer-19") else {
        return;
    };
    let files = fixtures("bitcode", "bc");
    assert!(files.len() >= 6);
    for path in files {
        let doc = common::inspect_json(&[&path]);
        let bc = &doc["files"][0]["bitcode"];
        let (ok, dump, err) = common::run(&bcanalyzer, &["-dump", path.to_str().unwrap()]);
        assert!(ok, "{err}");
        let p = path.display();
        assert_eq!(
            bc["producer"].as_str(),
            common::record_string(&dump, "<STRING").as_deref(),
            "{p}"
        );
        assert_eq!(
            bc["triple"].as_str(),
            common::record_string(&dump, "<TRIPLE").as_deref(),
            "{p}"
        );
        assert_eq!(
            bc["epoch"].as_u64(),
            common::record_op0(&dump, "<EPOCH"),
            "{p}"
        );
        let wrapped = std::fs::read(&path)
            .unwrap()
            .starts_with(&[0xDE, 0xC0, 0x17, 0x0B]);
        assert_eq!(bc["wrapped"], wrapped, "{p}");
        // The file name says which llvm-as wrote it: add-llvm16.bc → LLVM16.
        let name = path.file_name().unwrap().to_str().unwrap();
        if let Some(v) = name.split("llvm").nth(1).and_then(|s| s.get(..2)) {
            assert!(
                bc["producer"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("LLVM{v}")),
                "{p}"
            );
        }
    }
}

/// `--deep` over fat binaries of the corpus: each device entry holds a code object whose
/// target agrees with the entry's ID. For a sample, the oracle cuts (and decompresses) the
/// bundle, the real `clang-offload-bundler-19 --unbundle` extracts the entry, and
/// `llvm-readelf-19` reads its `e_flags`, which must be ours.
#[test]
fn deep_code_objects_agree_with_ids_and_readelf() {
    let Some(readelf) = common::tool("llvm-readelf-19") else {
        return;
    };
    let Some(bundler) = common::tool("clang-offload-bundler-19") else {
        return;
    };
    let Some(jax) = common::corpus_file("pypi/jax-rocm7-plugin/jax_rocm7_plugin") else {
        return;
    };
    let Some(cupy) = common::corpus_file("pypi/cupy-rocm-5-0/cupy/cuda") else {
        return;
    };
    let doc = common::inspect_json(&[Path::new("--deep"), &jax, &cupy]);
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    let mut seen_targets = BTreeSet::new();
    for (n, f) in doc["files"].as_array().unwrap().iter().enumerate() {
        let bundles = f["bundles"].as_array().unwrap();
        for b in bundles {
            for e in b["entries"].as_array().unwrap() {
                let Some(target) = e["target"].as_str() else {
                    continue;
                };
                assert_eq!(
                    e["code_object"]["target_id"].as_str(),
                    Some(target),
                    "{}",
                    e["triple"]
                );
                seen_targets.insert(target.to_owned());
            }
        }
        let Some(first) = bundles.first() else {
            continue;
        };
        let dump = dir.path().join(format!("d{n}"));
        let out = std::process::Command::new("python3")
            .arg(common::repo().join("fixtures/oracle_bundles.py"))
            .args([
                "--summary",
                "--dump-dir",
                dump.to_str().unwrap(),
                f["path"].as_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The first bundle as a plain bundle file the real bundler can read.
        // The first bundle as a plain bundle file the real bundler can read: the decompressed
        // payload for CCOB, the bundle itself otherwise.
        let dumped: Vec<PathBuf> = std::fs::read_dir(&dump)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        let plain = dumped
            .iter()
            .find(|p| p.to_string_lossy().ends_with(".000.decompressed.hipfb"))
            .or_else(|| {
                dumped
                    .iter()
                    .find(|p| p.to_string_lossy().contains(".000."))
            })
            .unwrap()
            .clone();
        let entries = first["entries"].as_array().unwrap();
        for e in entries.iter().filter(|e| !e["target"].is_null()).step_by(4) {
            let id = e["triple"].as_str().unwrap();
            let co = dir.path().join(format!("co{compared}"));
            let (ok, _, err) = common::run(
                &bundler,
                &[
                    "--unbundle",
                    "--type=o",
                    &format!("--input={}", plain.display()),
                    &format!("--targets={id}"),
                    &format!("--output={}", co.display()),
                ],
            );
            assert!(ok, "unbundle {id} from {}: {err}", plain.display());
            let (flags, _, _) = readelf_facts(&readelf, &co);
            assert_eq!(
                e["code_object"]["e_flags"].as_u64(),
                Some(u64::from(flags)),
                "{id}"
            );
            compared += 1;
        }
    }
    assert!(
        compared >= 10,
        "compared {compared} code objects with readelf"
    );
    for t in ["gfx950", "gfx1153", "gfx1010", "gfx1036", "gfx1201"] {
        assert!(seen_targets.contains(t), "{t} not seen in {seen_targets:?}");
    }
}
