//! Bad input: each case gives a clear error for that file, no panic, no hang, bounded memory.
//! Runs the whole analysis (sniff → ELF/bundle/bitcode/code object, `--deep`) in process, and
//! the binary for the "walk goes on" property.

mod common;

use std::path::PathBuf;

use rocm_doctor::inspect::analyze::{analyze, AnalyzeOptions};
use rocm_doctor::inspect::{FileReport, Kind};

fn run(bytes: &[u8]) -> FileReport {
    let mut r = FileReport::new(PathBuf::from("x"), bytes.len() as u64, Kind::Unknown);
    analyze(
        bytes,
        &mut r,
        &AnalyzeOptions {
            deep: true,
            ..Default::default()
        },
    );
    r
}

fn ccob(version: u16, method: u16, sizes: &[u64], payload: &[u8]) -> Vec<u8> {
    let mut v = b"CCOB".to_vec();
    v.extend(version.to_le_bytes());
    v.extend(method.to_le_bytes());
    for s in sizes {
        if version >= 3 {
            v.extend(s.to_le_bytes());
        } else {
            v.extend((*s as u32).to_le_bytes());
        }
    }
    v.extend(0x1122334455667788u64.to_le_bytes());
    v.extend(payload);
    v
}

#[test]
fn ccob_claiming_2_pow_63_bytes() {
    let data = ccob(
        3,
        1,
        &[1 << 63, 1 << 63],
        &[0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0],
    );
    let r = run(&data);
    assert_eq!(r.kind, Kind::OffloadBundle);
    assert!(r.error.is_some(), "a lying size must be an error");
}

#[test]
fn bundle_count_2_pow_40() {
    let mut data = b"__CLANG_OFFLOAD_BUNDLE__".to_vec();
    data.extend((1u64 << 40).to_le_bytes());
    data.extend([0u8; 64]);
    let r = run(&data);
    assert!(r.error.is_some());
    assert!(r.bundles.is_empty());
}

#[test]
fn id_length_2_pow_60() {
    let mut data = b"__CLANG_OFFLOAD_BUNDLE__".to_vec();
    data.extend(1u64.to_le_bytes());
    data.extend(64u64.to_le_bytes());
    data.extend(0u64.to_le_bytes());
    data.extend((1u64 << 60).to_le_bytes());
    data.extend(b"hipv4-amdgcn-amd-amdhsa--gfx1030");
    assert!(run(&data).error.is_some());
}

/// A bitstream of a million nested blocks, each with a consistent length word.
#[test]
fn bitcode_nested_a_million_deep() {
    const LEVELS: u32 = 1_000_000;
    let mut data = b"BC\xC0\xDE".to_vec();
    // abbrev id ENTER_SUBBLOCK (1, width 2) | block id 8 (vbr8) << 2 | abbrev width 2 (vbr4) << 10
    let enter: u32 = 1 | (8 << 2) | (2 << 10);
    for level in 0..LEVELS {
        data.extend(enter.to_le_bytes());
        data.extend((2 * (LEVELS - 1 - level)).to_le_bytes());
    }
    let start = std::time::Instant::now();
    let r = run(&data);
    assert_eq!(r.kind, Kind::Bitcode);
    assert!(r.error.is_some(), "nesting past the cap is an error");
    // Not a timing test: a generous bound that only a hang or quadratic walk would break.
    assert!(start.elapsed().as_secs() < 20);
}

#[test]
fn every_truncation_and_bit_flip_of_a_bundle() {
    let entry = vec![0xAB; 100];
    let good = common::plain_bundle(&[
        ("host-x86_64-unknown-linux-gnu-", b""),
        ("hipv4-amdgcn-amd-amdhsa--gfx1030", &entry),
        ("hipv4-amdgcn-amd-amdhsa--gfx90a:xnack-", &entry),
    ]);
    let full = run(&good);
    assert_eq!(full.error, None);
    assert_eq!(full.bundles[0].bundle.entries.len(), 3);
    for len in 0..good.len() {
        let _ = run(&good[..len]);
    }
    let mut flipped = good.clone();
    for bit in 0..good.len() * 8 {
        flipped[bit / 8] ^= 1 << (bit % 8);
        let _ = run(&flipped);
        flipped[bit / 8] ^= 1 << (bit % 8);
    }
}

#[test]
fn real_fixtures_truncated_and_flipped() {
    // Every committed fixture, cut at many lengths and with bits flipped: must not panic.
    let dir = common::repo().join("fixtures");
    let mut seen = 0;
    for entry in walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(Result::ok)
    {
        let p = entry.path();
        if p.starts_with(dir.join("downloads")) || !entry.file_type().is_file() {
            continue;
        }
        let Ok(bytes) = std::fs::read(p) else {
            continue;
        };
        if bytes.len() > 1 << 20 || Kind::Unknown == run(&bytes).kind {
            continue;
        }
        seen += 1;
        let step = (bytes.len() / 257).max(1);
        for len in (0..bytes.len()).step_by(step) {
            let _ = run(&bytes[..len]);
        }
        let mut rng = 0x9E3779B97F4A7C15u64;
        let mut m = bytes.clone();
        for _ in 0..300 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let i = (rng as usize) % m.len();
            m[i] ^= 1 << (rng >> 61);
            let _ = run(&m);
        }
    }
    assert!(
        seen >= 3,
        "expected committed fixtures to mutate, found {seen}"
    );
}

#[test]
fn bad_file_does_not_stop_the_walk() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a-bad.hipfb"),
        ccob(3, 1, &[1 << 63, 1 << 63], &[0; 8]),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b-good.hipfb"),
        common::plain_bundle(&[("hipv4-amdgcn-amd-amdhsa--gfx1010", &[1, 2, 3])]),
    )
    .unwrap();
    let out = common::doctor(&["inspect", "--json", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert!(files[0]["error"].is_string());
    assert_eq!(files[1]["targets"][0], "gfx1010");
}
