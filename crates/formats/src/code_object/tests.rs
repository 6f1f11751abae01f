//! Tests of `code_object`.

use super::*;
use crate::elf::tests::{build_elf64, note_bytes};
use crate::elf::SHT_NOTE;
use FeatureSetting::*;

fn mp_str(s: &str) -> Vec<u8> {
    let mut v = if s.len() < 32 {
        vec![0xa0 | s.len() as u8]
    } else {
        vec![0xd9, s.len() as u8]
    };
    v.extend_from_slice(s.as_bytes());
    v
}

/// Metadata shaped like LLVM's: a map with a version array, a kernel list, the target.
fn metadata(target: &str) -> Vec<u8> {
    let mut m = vec![0x83];
    m.extend(mp_str("amdhsa.kernels"));
    m.extend([0x91, 0x82]);
    m.extend(mp_str(".name"));
    m.extend(mp_str("k"));
    m.extend(mp_str(".args"));
    m.extend([
        0xdc, 0x00, 0x02, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0, 0xc7, 0x02, 0x05, 0xaa, 0xbb,
    ]);
    m.extend(mp_str("amdhsa.version"));
    m.extend([0x92, 0x01, 0x02]);
    m.extend(mp_str("amdhsa.target"));
    m.extend(mp_str(target));
    m
}

fn code_object(abi_version: u8, flags: u32, notes: &[u8]) -> Vec<u8> {
    build_elf64(
        EM_AMDGPU,
        ELFOSABI_AMDGPU_HSA,
        abi_version,
        flags,
        &[(".note", SHT_NOTE, notes), (".text", 1, b"\0\0\0\0")],
    )
}

#[test]
fn v5_gfx90a_xnack_off() {
    let notes = note_bytes(b"AMDGPU", 32, &metadata("amdgcn-amd-amdhsa--gfx90a:xnack-"));
    // mach 0x3f, xnack off (0x200), sramecc any (0x400).
    let data = code_object(3, 0x63f, &notes);
    assert!(is_amdgpu(&data));
    let co = parse(&data).unwrap();
    assert_eq!(co.processor.as_deref(), Some("gfx90a"));
    assert_eq!(co.code_object_version, Some(5));
    assert_eq!((co.xnack, co.sramecc), (Off, Any));
    assert_eq!(co.target.unwrap().target_id(), "gfx90a:xnack-");
    assert_eq!(
        co.metadata_target.as_deref(),
        Some("amdgcn-amd-amdhsa--gfx90a:xnack-")
    );
    assert_eq!(co.metadata_error, None);
    assert_eq!(co.generic_version, None);
}

#[test]
fn v3_bits_and_v6_generic() {
    // v3 gfx906 with sramecc bit only: xnack off, sramecc on.
    let co = parse(&code_object(1, 0x22f, &[])).unwrap();
    assert_eq!(
        (co.code_object_version, co.xnack, co.sramecc),
        (Some(3), Off, On)
    );
    // v3 gfx1030: neither feature.
    let co = parse(&code_object(1, 0x36, &[])).unwrap();
    assert_eq!((co.xnack, co.sramecc), (Unsupported, Unsupported));
    // v6 gfx10-3-generic, generic version 1.
    let co = parse(&code_object(4, 0x0100_0053, &[])).unwrap();
    assert_eq!(co.processor.as_deref(), Some("gfx10-3-generic"));
    assert_eq!(
        (co.code_object_version, co.generic_version),
        (Some(6), Some(1))
    );
    assert_eq!(co.metadata_target, None);
    // Unknown mach.
    let co = parse(&code_object(2, 0x7e, &[])).unwrap();
    assert_eq!((co.processor, co.target, co.mach), (None, None, 0x7e));
}

#[test]
fn v2_isa_note() {
    let mut desc = Vec::new();
    desc.extend(4u16.to_le_bytes());
    desc.extend(7u16.to_le_bytes());
    desc.extend(9u32.to_le_bytes());
    desc.extend(0u32.to_le_bytes());
    desc.extend(6u32.to_le_bytes());
    desc.extend(b"AMD\0AMDGPU\0");
    let co = parse(&code_object(0, XNACK_V2, &note_bytes(b"AMD", 3, &desc))).unwrap();
    assert_eq!(co.code_object_version, Some(2));
    assert_eq!(co.processor.as_deref(), Some("gfx906"));
    assert_eq!((co.xnack, co.sramecc), (On, Any));
}

#[test]
fn not_amdgpu() {
    let data = build_elf64(62, 0, 0, 0, &[]);
    assert!(!is_amdgpu(&data));
    assert!(matches!(
        parse(&data).unwrap_err().kind,
        ErrorKind::Malformed(_)
    ));
    assert!(!is_amdgpu(b"\x7fELF"));
}

#[test]
fn malformed_metadata_is_reported_not_fatal() {
    for bad in [
        &[0x91, 0x01][..],                         // not a map
        &[0x81, 0xdb, 0xff, 0xff, 0xff, 0xff][..], // huge key
        &[0xdf, 0xff, 0xff, 0xff, 0xff][..],       // huge map, no data
        &[0x81, 0xa1, b'a', 0xc1][..],             // reserved byte
    ] {
        let data = code_object(2, 0x36, &note_bytes(b"AMDGPU", 32, bad));
        let co = parse(&data).unwrap();
        assert_eq!(co.metadata_target, None);
        assert!(co.metadata_error.is_some(), "{bad:?}");
    }
    // Deep nesting under a skipped key stops at the depth cap.
    let mut deep = vec![0x81, 0xa1, b'a'];
    deep.extend(std::iter::repeat_n(0x91, 100));
    deep.push(0xc0);
    let err = find_target(&deep).unwrap_err();
    assert!(matches!(err.kind, ErrorKind::LimitExceeded { .. }));
}

#[test]
fn random_corruption_never_panics() {
    let notes = note_bytes(b"AMDGPU", 32, &metadata("amdgcn-amd-amdhsa--gfx90a:xnack-"));
    let good = code_object(3, 0x63f, &notes);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..20_000 {
        let mut d = good.clone();
        for _ in 0..(next() % 4 + 1) {
            let at = (next() % d.len() as u64) as usize;
            d[at] = next() as u8;
        }
        if let Ok(co) = parse(&d) {
            let _ = co.target.map(|t| t.target_id());
        }
        let _ = find_target(&d[(next() % d.len() as u64) as usize..]);
    }
}

#[test]
fn every_truncated_metadata_errors_without_panic() {
    let m = metadata("amdgcn-amd-amdhsa--gfx1100");
    assert_eq!(
        find_target(&m).unwrap().as_deref(),
        Some("amdgcn-amd-amdhsa--gfx1100")
    );
    for len in 0..m.len() {
        assert!(find_target(&m[..len]).is_err(), "len {len}");
    }
}
