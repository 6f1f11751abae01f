//! Tests of `bitcode`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    clippy::panic
)]

use super::*;
use crate::bitstream::tests::{Writer, W};
use crate::bitstream::{BLOCKINFO_CODE_SETBID, UNABBREV_RECORD};

fn chars(s: &str) -> Vec<u64> {
    s.bytes().map(u64::from).collect()
}

fn identification(w: &mut Writer, producer: &str) {
    w.enter(IDENTIFICATION_BLOCK_ID, 5);
    w.define(&[W::Lit(IDENTIFICATION_CODE_STRING), W::Array, W::Char6]);
    w.define(&[W::Lit(IDENTIFICATION_CODE_EPOCH), W::Vbr(6)]);
    w.abbrev_id(4);
    w.char6_array(producer);
    w.abbrev_id(5);
    w.vbr(0, 6);
    w.end();
}

/// A module laid out as LLVM writes it, followed by a record that would fail if read.
fn module(w: &mut Writer, triple: &str) {
    w.enter(MODULE_BLOCK_ID, 3);
    w.unabbrev(MODULE_CODE_VERSION, &[2]);
    w.enter(BLOCKINFO_BLOCK_ID, 2);
    w.unabbrev(BLOCKINFO_CODE_SETBID, &[14]);
    w.define(&[W::Fixed(3), W::Vbr(8), W::Array, W::Fixed(8)]);
    w.end();
    w.enter(17, 4); // TYPE_BLOCK_ID_NEW, skipped
    w.unabbrev(1, &[6]);
    w.abbrev_id(9); // would be an error if the block were read
    w.end();
    w.unabbrev(MODULE_CODE_TRIPLE, &chars(triple));
    w.unabbrev(MODULE_CODE_DATALAYOUT, &chars("e-p:64:64-S32-A5-G1"));
    w.define(&[W::Lit(MODULE_CODE_SOURCE_FILENAME), W::Array, W::Fixed(8)]);
    w.abbrev_id(4);
    w.vbr(9, 6);
    for b in b"llvm-link" {
        w.fixed(u64::from(*b), 8);
    }
    w.unabbrev(MODULE_CODE_GLOBALVAR, &[0, 1, 2]);
    w.abbrev_id(7); // undefined: parsing must have stopped before
    w.end();
}

fn sample() -> Vec<u8> {
    let mut w = Writer::new();
    for b in BITCODE_MAGIC {
        w.fixed(u64::from(b), 8);
    }
    identification(&mut w, "LLVM15.0.5");
    module(&mut w, "amdgcn-amd-amdhsa");
    w.finish()
}

fn wrap(bitcode: &[u8], offset: u32, size: u32) -> Vec<u8> {
    let mut out = BITCODE_WRAPPER_MAGIC.to_vec();
    for v in [0u32, offset, size, 7] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.resize(offset as usize, 0);
    out.extend_from_slice(bitcode);
    out.extend_from_slice(&[0; 12]);
    out
}

fn expected() -> BitcodeInfo {
    BitcodeInfo {
        wrapper: None,
        producer: Some("LLVM15.0.5".into()),
        epoch: Some(0),
        module_version: Some(2),
        triple: Some("amdgcn-amd-amdhsa".into()),
        datalayout: Some("e-p:64:64-S32-A5-G1".into()),
        source_filename: Some("llvm-link".into()),
    }
}

#[test]
fn reads_identification_and_module_info() {
    assert_eq!(parse(&sample()).unwrap(), expected());
}

#[test]
fn reads_wrapped_bitcode() {
    let bc = sample();
    let data = wrap(&bc, 20, bc.len() as u32);
    let info = parse(&data).unwrap();
    let header = WrapperHeader {
        version: 0,
        offset: 20,
        size: bc.len() as u32,
        cpu_type: 7,
    };
    assert_eq!(
        info,
        BitcodeInfo {
            wrapper: Some(header),
            ..expected()
        }
    );
    // Offsets inside wrapped bitcode are relative to the file.
    let e = parse(&wrap(&bc[..8], 32, 8)).unwrap_err();
    assert!(e.offset >= 32, "{e:?}");
}

#[test]
fn wrapper_bounds_are_checked() {
    let bc = sample();
    let mut data = wrap(&bc, 20, bc.len() as u32);
    assert!(matches!(
        parse(&data[..19]).unwrap_err().kind,
        ErrorKind::Truncated { .. }
    ));
    let len = data.len() as u32;
    data[12..16].copy_from_slice(&len.to_le_bytes());
    assert!(matches!(
        parse(&data).unwrap_err().kind,
        ErrorKind::Truncated { .. }
    ));
    data[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(
        parse(&data).unwrap_err().kind,
        ErrorKind::Truncated { .. }
    ));
    // A wrapper around something that is not bitcode.
    let data = wrap(b"ELF!....", 20, 8);
    assert_eq!(parse(&data).unwrap_err().kind, ErrorKind::BadMagic);
    assert_eq!(parse(b"\x7fELF").unwrap_err().kind, ErrorKind::BadMagic);
    assert_eq!(parse(b"").unwrap_err().kind, ErrorKind::BadMagic);
}

#[test]
fn old_bitcode_without_identification() {
    let mut w = Writer::new();
    for b in BITCODE_MAGIC {
        w.fixed(u64::from(b), 8);
    }
    module(&mut w, "x86_64-pc-linux-gnu");
    let info = parse(&w.finish()).unwrap();
    assert_eq!(info.producer, None);
    assert_eq!(info.epoch, None);
    assert_eq!(info.triple.as_deref(), Some("x86_64-pc-linux-gnu"));
}

#[test]
fn first_of_several_modules_and_missing_module() {
    let mut w = Writer::new();
    for b in BITCODE_MAGIC {
        w.fixed(u64::from(b), 8);
    }
    identification(&mut w, "LLVM20.0.0git");
    module(&mut w, "first");
    identification(&mut w, "LLVM14.0.6");
    module(&mut w, "second");
    let info = parse(&w.finish()).unwrap();
    assert_eq!(info.producer.as_deref(), Some("LLVM20.0.0git"));
    assert_eq!(info.triple.as_deref(), Some("first"));

    let mut w = Writer::new();
    for b in BITCODE_MAGIC {
        w.fixed(u64::from(b), 8);
    }
    identification(&mut w, "LLVM15.0.5");
    let e = parse(&w.finish()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Malformed("no MODULE block in bitcode"));
}

#[test]
fn strings_in_char6_and_wide_values() {
    let mut w = Writer::new();
    for b in BITCODE_MAGIC {
        w.fixed(u64::from(b), 8);
    }
    w.enter(MODULE_BLOCK_ID, 3);
    w.define(&[W::Lit(MODULE_CODE_TRIPLE), W::Array, W::Char6]);
    w.abbrev_id(4);
    w.char6_array("amdgcn");
    w.abbrev_id(UNABBREV_RECORD);
    w.vbr(MODULE_CODE_DATALAYOUT, 6);
    w.vbr(2, 6);
    w.vbr(u64::from(b'e'), 6);
    w.vbr(300, 6);
    w.end();
    let e = parse(&w.finish()).unwrap_err();
    assert_eq!(
        e.kind,
        ErrorKind::Malformed("string record holds a value above 255")
    );

    // Module block ends before the triple: fields stay None.
    let mut w = Writer::new();
    for b in BITCODE_MAGIC {
        w.fixed(u64::from(b), 8);
    }
    w.enter(MODULE_BLOCK_ID, 3);
    w.define(&[W::Lit(MODULE_CODE_TRIPLE), W::Array, W::Char6]);
    w.abbrev_id(4);
    w.char6_array("amdgcn");
    w.end();
    let info = parse(&w.finish()).unwrap();
    assert_eq!(info.triple.as_deref(), Some("amdgcn"));
    assert_eq!(info.datalayout, None);
}

#[test]
fn every_truncation_and_bit_flip_of_a_module() {
    let data = sample();
    for len in 0..data.len() {
        assert!(parse(&data[..len]).is_err() || len > 8, "len {len}");
    }
    for bit in 0..data.len() * 8 {
        let mut d = data.clone();
        d[bit / 8] ^= 1 << (bit % 8);
        let _ = parse(&d);
    }
    let wrapped = wrap(&data, 20, data.len() as u32);
    for len in 0..wrapped.len() {
        let _ = parse(&wrapped[..len]);
    }
}

fn fixture(rel: &str) -> Option<Vec<u8>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    std::fs::read(root.join(rel)).ok()
}

/// The small fixtures of `fixtures/bitcode` (see its README), cross-checked against
/// `llvm-bcanalyzer-19 -dump`.
#[test]
fn real_fixtures() {
    let cases = [
        ("add-llvm14.bc", "LLVM14.0.6", None, false),
        ("add-llvm15.bc", "LLVM15.0.6", None, false),
        ("add-llvm16.bc", "LLVM16.0.6", None, false),
        ("add-llvm19.bc", "LLVM19.1.7", None, false),
        (
            "amdgcn-llvm15.bc",
            "LLVM15.0.6",
            Some("amdgcn-amd-amdhsa"),
            false,
        ),
        (
            "amdgcn-llvm19.bc",
            "LLVM19.1.7",
            Some("amdgcn-amd-amdhsa"),
            false,
        ),
        (
            "hip-device-gfx1030-clang19.bc",
            "LLVM19.1.7",
            Some("amdgcn-amd-amdhsa"),
            false,
        ),
        (
            "add-darwin-wrapper-llvm19.bc",
            "LLVM19.1.7",
            Some("x86_64-apple-macosx10.15.0"),
            true,
        ),
    ];
    let mut seen = 0;
    for (name, producer, triple, wrapped) in cases {
        let Some(data) = fixture(&format!("bitcode/{name}")) else {
            continue;
        };
        let info = parse(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(info.producer.as_deref(), Some(producer), "{name}");
        assert_eq!(info.epoch, Some(0), "{name}");
        assert_eq!(info.module_version, Some(2), "{name}");
        assert_eq!(info.triple.as_deref(), triple, "{name}");
        assert_eq!(info.wrapper.is_some(), wrapped, "{name}");
        // Only clang output carries a data layout; the .ll fixtures have none.
        assert_eq!(
            info.datalayout.is_some(),
            name.starts_with("hip-"),
            "{name}"
        );
        for len in (0..data.len()).step_by(3) {
            let _ = parse(&data[..len]);
        }
        seen += 1;
    }
    eprintln!("checked {seen} fixtures of fixtures/bitcode");
}

/// Debian's rocm-device-libs (built by LLVM 15.0.5), when `fixtures/fetch.sh` has run.
#[test]
fn real_device_libs() {
    let dir = "downloads/debian/rocm-device-libs/usr/lib/x86_64-linux-gnu/amdgcn/bitcode";
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
        return;
    };
    let mut seen = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let info = parse(&data).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            info.producer.as_deref(),
            Some("LLVM15.0.5"),
            "{}",
            path.display()
        );
        assert_eq!(info.epoch, Some(0));
        assert_eq!(info.triple.as_deref(), Some("amdgcn-amd-amdhsa"));
        assert!(info
            .datalayout
            .as_deref()
            .is_some_and(|d| d.starts_with("e-p:64:64")));
        seen += 1;
    }
    eprintln!("checked {seen} device libraries");
}
