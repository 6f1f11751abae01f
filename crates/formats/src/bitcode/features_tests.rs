//! Tests of `bitcode::features`.
//!
//! The `.bc` files under `tests/data/features/` were made by `llvm-as-N` from the `.ll` next to
//! them (recipe on each `.ll`'s first line). Records no available `llvm-as` writes (LLVM 20+)
//! are checked on streams built with the bitstream test writer.

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
use crate::ErrorKind;

const FLAGS19: &[u8] = include_bytes!("../../tests/data/features/flags19.bc");
const TYPED14: &[u8] = include_bytes!("../../tests/data/features/typed14.bc");
const DEBUG19: &[u8] = include_bytes!("../../tests/data/features/debug19.bc");

fn names(scan: &FeatureScan) -> Vec<&str> {
    scan.uses.iter().map(|u| u.feature.as_str()).collect()
}

fn pos(scan: &FeatureScan, feature: &str) -> usize {
    names(scan)
        .iter()
        .position(|n| *n == feature)
        .unwrap_or_else(|| panic!("{feature} not found in {:?}", names(scan)))
}

fn get<'a>(scan: &'a FeatureScan, feature: &str) -> &'a FeatureUse {
    &scan.uses[pos(scan, feature)]
}

fn has(scan: &FeatureScan, feature: &str) -> bool {
    names(scan).contains(&feature)
}

#[test]
fn llvm19_flags_and_attributes() {
    let s = scan(FLAGS19).unwrap();
    assert_eq!(s.truncated_by, None);
    assert_eq!(s.identification_producer.as_deref(), Some("LLVM19.1.7"));
    assert_eq!(s.epoch, Some(0));
    assert_eq!(s.module_version, Some(2));
    for f in [
        "flag:cast-nneg",
        "flag:binop-disjoint",
        "flag:cast-trunc-nuw-nsw",
        "flag:gep-flags",
        "type:25",
        "type:26",
        "inst:59",
        "atomicrmw:15",
        "cast:5",
    ] {
        assert!(has(&s, f), "{f} missing from {:?}", names(&s));
    }
    assert!(!has(&s, "flag:icmp-samesign"));
    // memory(none) is the int attribute 86; range(i32 0, 10) is encoding 7, kind 92, and the
    // encoding comes first, as the reader checks it first.
    let memory = get(&s, "attr:86");
    assert_eq!(memory.detail.as_deref(), Some("int"));
    assert_eq!(memory.block_id, 10);
    assert!(pos(&s, "attr-encoding:7") < pos(&s, "attr:92"));
    assert_eq!(get(&s, "attr:92").detail.as_deref(), Some("constant-range"));
    // `nuw` GEP: flags 4 (inbounds alone is written as 3 by LLVM 19 and is not a new flag).
    assert_eq!(
        get(&s, "flag:gep-flags").detail.as_deref(),
        Some("flags 0x4")
    );
    // Offsets point into the file, at the function block.
    let nneg = get(&s, "flag:cast-nneg");
    assert_eq!(nneg.block_id, 12);
    assert!(nneg.byte_offset > 0 && nneg.byte_offset < FLAGS19.len() as u64);
    // Distinct names.
    let mut sorted = names(&s);
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), s.uses.len());
}

#[test]
fn llvm14_typed_pointers() {
    let s = scan(TYPED14).unwrap();
    assert_eq!(s.identification_producer.as_deref(), Some("LLVM14.0.6"));
    assert!(!has(&s, "type:25"), "{:?}", names(&s));
    assert!(has(&s, "type:8"));
    assert!(has(&s, "attr:20")); // readnone, an enum attribute before LLVM 16's memory()
    assert!(!names(&s).iter().any(|n| n.starts_with("flag:")));
    assert!(!names(&s).iter().any(|n| n.starts_with("attr-encoding:")));
}

#[test]
fn reader_order_with_vstoffset() {
    let s = scan(DEBUG19).unwrap();
    // LLVM 19 debug records.
    assert!(has(&s, "inst:64"), "{:?}", names(&s));
    // Top-level blocks first, then the module: attribute/type blocks, metadata kinds and
    // metadata, operand-bundle tags and sync scopes, the first function block header, the
    // forward-declared value symbol table (written after the bodies), then the bodies.
    assert!(pos(&s, "block:23") < pos(&s, "module:1"));
    assert!(pos(&s, "metadata:6") < pos(&s, "metadata:35"));
    assert!(pos(&s, "metadata:35") < pos(&s, "block:26"));
    assert!(pos(&s, "block:26") < pos(&s, "block:12"));
    assert!(pos(&s, "module:13") < pos(&s, "block:14"));
    assert!(pos(&s, "block:12") < pos(&s, "block:14"));
    assert!(pos(&s, "block:14") < pos(&s, "inst:1"));
    let vst = get(&s, "block:14");
    let body = get(&s, "inst:1");
    assert!(
        vst.byte_offset > body.byte_offset,
        "VST is written after the bodies"
    );
}

#[test]
fn not_bitcode_is_an_error_and_truncation_keeps_what_was_found() {
    assert_eq!(
        scan(b"\x7fELF\x02\x01\x01\0").unwrap_err().kind,
        ErrorKind::BadMagic
    );
    let full = scan(FLAGS19).unwrap();
    let cut = &FLAGS19[..FLAGS19.len() * 2 / 3];
    let s = scan(cut).unwrap();
    let err = s.truncated_by.clone().expect("truncated");
    assert!(err.offset <= cut.len() as u64, "{err:?}");
    assert!(!s.uses.is_empty());
    // What was found is a subset of the full scan, with the same details.
    for u in &s.uses {
        assert!(full.uses.contains(u), "{u:?}");
    }
}

#[test]
fn wrapped_bitcode_offsets_are_file_offsets() {
    let mut data = crate::sniff::BITCODE_WRAPPER_MAGIC.to_vec();
    for v in [0u32, 20, FLAGS19.len() as u32, 0] {
        data.extend_from_slice(&v.to_le_bytes());
    }
    data.extend_from_slice(FLAGS19);
    let raw = scan(FLAGS19).unwrap();
    let wrapped = scan(&data).unwrap();
    assert_eq!(names(&raw), names(&wrapped));
    for (a, b) in raw.uses.iter().zip(&wrapped.uses) {
        assert_eq!(a.byte_offset + 20, b.byte_offset);
    }
}

// Synthetic streams: magic, identification, a module with the given body.

fn stream(body: impl FnOnce(&mut Writer)) -> Vec<u8> {
    let mut w = Writer::new();
    for b in crate::sniff::BITCODE_MAGIC {
        w.fixed(u64::from(b), 8);
    }
    w.enter(IDENTIFICATION_BLOCK_ID, 5);
    w.define(&[W::Lit(IDENTIFICATION_CODE_STRING), W::Array, W::Char6]);
    w.abbrev_id(4);
    w.char6_array("LLVM20.1.0");
    w.unabbrev(IDENTIFICATION_CODE_EPOCH, &[0]);
    w.end();
    w.enter(MODULE_BLOCK_ID, 3);
    w.unabbrev(MODULE_CODE_VERSION, &[2]);
    body(&mut w);
    w.end();
    w.finish()
}

fn function(w: &mut Writer, records: &[(u64, &[u64])]) {
    w.enter(FUNCTION_BLOCK_ID, 4);
    w.unabbrev(1, &[1]); // DECLAREBLOCKS
    for (code, ops) in records {
        w.unabbrev(*code, ops);
    }
    w.end();
}

#[test]
fn llvm20_and_later_flags() {
    let data = stream(|w| {
        function(
            w,
            &[
                // fcmp with fast-math flags: not a new flag.
                (FUNC_CODE_INST_CMP2, &[1, 2, 1, 0x80]),
                // fpext with fast-math flags.
                (FUNC_CODE_INST_CAST, &[1, 3, CAST_FPEXT, 0x2]),
                // icmp samesign, first operand a forward reference (relative id 0, then type).
                (FUNC_CODE_INST_CMP2, &[0, 5, 2, 32, 1]),
                // cast to ptrtoaddr (opcode 13).
                (FUNC_CODE_INST_CAST, &[1, 3, 13]),
                // atomicrmw usub_sat with a forward-referenced value operand.
                (
                    FUNC_CODE_INST_ATOMICRMW,
                    &[2, 0xFFFF_FFFF, 4, 18, 0, 6, 1, 3],
                ),
            ],
        );
    });
    let s = scan(&data).unwrap();
    assert_eq!(s.truncated_by, None, "{:?}", s.truncated_by);
    assert_eq!(s.identification_producer.as_deref(), Some("LLVM20.1.0"));
    assert_eq!(
        get(&s, "flag:icmp-samesign").detail.as_deref(),
        Some("predicate 32, flags 0x1")
    );
    assert!(has(&s, "flag:cast-fmf"));
    assert!(has(&s, "cast:13"));
    assert!(has(&s, "atomicrmw:18"));
    assert!(pos(&s, "inst:28") < pos(&s, "inst:3"));
    assert!(pos(&s, "cast:8") < pos(&s, "flag:cast-fmf"));
    assert!(pos(&s, "flag:cast-fmf") < pos(&s, "flag:icmp-samesign"));
}

#[test]
fn attribute_group_layouts() {
    let data = stream(|w| {
        w.enter(PARAMATTR_GROUP_BLOCK_ID, 3);
        w.unabbrev(
            PARAMATTR_GRP_CODE_ENTRY,
            &[
                1,
                0xFFFF_FFFF,
                3, // string key
                b'a'.into(),
                0,
                4, // string key and value
                b'k'.into(),
                0,
                b'v'.into(),
                0,
                7, // constant range, 128 bits: one lower word, one upper word
                92,
                128,
                1 | 1 << 32,
                10,
                20,
                8, // constant-range list: two 32-bit ranges
                94,
                2,
                32,
                0,
                2,
                6,
                8,
                1, // int: memory with encoding version 1
                ATTR_KIND_MEMORY,
                1 << 56 | 0x15,
                6, // type attribute with its type
                70,
                0,
                0, // enum
                20,
            ],
        );
        w.end();
    });
    let s = scan(&data).unwrap();
    let got: Vec<_> = s
        .uses
        .iter()
        .filter(|u| u.block_id == PARAMATTR_GROUP_BLOCK_ID && !u.feature.starts_with("block:"))
        .map(|u| (u.feature.as_str(), u.detail.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        got,
        [
            ("attr-encoding:7", "constant-range"),
            ("attr:92", "constant-range"),
            ("attr-encoding:8", "constant-range-list"),
            ("attr:94", "constant-range-list"),
            ("attr:86", "int"),
            ("flag:memory-attr-v1", "memory encoding version 1"),
            ("attr-encoding:6", "type"),
            ("attr:70", "type"),
            ("attr:20", "enum"),
        ]
    );
}

#[test]
fn unknown_attribute_encoding_stops_the_entry() {
    let data = stream(|w| {
        w.enter(PARAMATTR_GROUP_BLOCK_ID, 3);
        w.unabbrev(PARAMATTR_GRP_CODE_ENTRY, &[1, 0, 9, 5, 0, 20]);
        w.end();
    });
    let s = scan(&data).unwrap();
    assert!(has(&s, "attr-encoding:9"));
    assert!(!has(&s, "attr:20"));
}

#[test]
fn without_vstoffset_module_records_after_bodies_come_first() {
    // No VSTOFFSET: parseModule skips the bodies and reads the rest of the module first.
    let data = stream(|w| {
        function(w, &[(FUNC_CODE_INST_CAST, &[1, 3, 1, 1])]);
        w.enter(METADATA_KIND_BLOCK_ID, 3);
        w.unabbrev(6, &[0, b'x'.into()]);
        w.end();
    });
    let s = scan(&data).unwrap();
    assert!(pos(&s, "block:12") < pos(&s, "block:22"));
    assert!(pos(&s, "metadata:6") < pos(&s, "inst:1"));
    assert!(pos(&s, "metadata:6") < pos(&s, "flag:cast-nneg"));

    // With VSTOFFSET the reader stops at the first body; the bodies come first.
    let data = stream(|w| {
        w.unabbrev(MODULE_CODE_VSTOFFSET, &[100]);
        function(w, &[(FUNC_CODE_INST_CAST, &[1, 3, 1, 1])]);
        w.enter(METADATA_KIND_BLOCK_ID, 3);
        w.unabbrev(6, &[0, b'x'.into()]);
        w.end();
    });
    let s = scan(&data).unwrap();
    assert!(pos(&s, "flag:cast-nneg") < pos(&s, "metadata:6"));
}

#[test]
fn dilocation_with_key_instruction_fields() {
    let data = stream(|w| {
        w.enter(METADATA_BLOCK_ID, 3);
        w.unabbrev(METADATA_LOCATION, &[0, 1, 1, 2, 0]); // LLVM 14 shape
        w.unabbrev(METADATA_LOCATION, &[0, 1, 1, 2, 0, 0, 3, 1]); // LLVM 21 shape
        w.end();
    });
    let s = scan(&data).unwrap();
    assert_eq!(
        get(&s, "flag:dilocation-atoms").detail.as_deref(),
        Some("8 operands")
    );
    assert!(pos(&s, "metadata:7") < pos(&s, "flag:dilocation-atoms"));
}

#[test]
fn garbage_after_magic_is_reported_not_failed() {
    for len in 0..64 {
        let mut data = crate::sniff::BITCODE_MAGIC.to_vec();
        data.extend((0..len).map(|i| (i * 37 + 11) as u8));
        let s = scan(&data).unwrap();
        assert!(s.uses.len() <= len, "{len}: {:?}", s.uses);
    }
    // Every prefix of a real file scans without panicking.
    for cut in (0..FLAGS19.len()).step_by(7) {
        let _ = scan(&FLAGS19[..cut]);
    }
}
