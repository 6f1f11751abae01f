// What each fuzz target does with its input, shared with the regression test
// (crates/formats/tests/fuzz_regressions.rs includes this file with `#[path]`), so a crash
// input found here replays through exactly the same calls there.
//
// Each function must return normally on any input; a panic, a hang (over the fuzzer's
// -timeout) or an allocation over -rss_limit_mb is a bug in the parser. The `assert!`s are
// properties the parsers promise beyond "no panic".
//
// Only `rocm_formats` is used, and no indexing, so this compiles under the crate's lints.

use rocm_formats::bitstream::{BitstreamCursor, Entry};
use rocm_formats::bundle::{self, Limits};
use rocm_formats::gfx::GfxTarget;
use rocm_formats::sniff::{sniff, FileKind, BUNDLE_MAGIC, CCOB_MAGIC};

/// Bundle limits for fuzzing: small caps so the fuzzer explores structure, not allocation
/// sizes.
pub fn fuzz_limits() -> Limits {
    Limits {
        max_header_bytes: 1 << 16,
        max_decompressed: 1 << 20,
        ..Limits::default()
    }
}

/// `sniff`: any bytes give a kind, and the kind agrees with the magic prefix.
pub fn sniff_target(data: &[u8]) {
    let kind = sniff(data);
    let expected = if data.starts_with(b"BC\xC0\xDE") {
        FileKind::Bitcode
    } else if data.starts_with(&[0xDE, 0xC0, 0x17, 0x0B]) {
        FileKind::BitcodeWrapper
    } else if data.starts_with(b"\x7fELF") {
        FileKind::Elf
    } else if data.starts_with(BUNDLE_MAGIC) {
        FileKind::OffloadBundle
    } else if data.starts_with(&CCOB_MAGIC) {
        FileKind::CompressedBundle
    } else {
        FileKind::Unknown
    };
    assert_eq!(kind, expected);
}

/// `bitcode`: the bitcode parser and the feature scan return Ok or Err, and a full walk of
/// the bitstream (every block entered, every record read) ends, each entry consuming at least
/// one bit.
pub fn bitcode_target(data: &[u8]) {
    let _ = rocm_formats::bitcode::parse(data);
    // The whole-module feature scan walks every block and decodes records of many kinds.
    let _ = rocm_formats::bitcode::features::scan(data);
    // The raw walk starts after the 4-byte magic, whatever it is, so that the cursor's
    // abbreviation/BLOCKINFO/array/blob machinery is reached without the magic gate.
    let Ok(mut cursor) = BitstreamCursor::at_bit(data, 32) else {
        return;
    };
    let mut last = cursor.bit_pos();
    loop {
        match cursor.advance() {
            Ok(Entry::EndOfStream) | Err(_) => break,
            Ok(_) => {}
        }
        let now = cursor.bit_pos();
        assert!(now > last, "bitstream entry consumed no bits");
        last = now;
    }
}

/// A target ID `parse` accepted is printed back to one that parses to the same target.
fn check_target_id(t: &GfxTarget) {
    let id = t.target_id();
    assert_eq!(GfxTarget::parse(&id).as_ref(), Some(t), "target ID {id:?}");
}

/// `bundle`: section scanning, bounded decompression and entry slicing on any input.
pub fn bundle_target(data: &[u8]) {
    let limits = fuzz_limits();
    let scan = bundle::scan_section(data, &limits);
    for b in &scan.bundles {
        if let Some(raw) = rocm_formats::bytes::slice_at(data, b.offset, b.size) {
            if let Ok(plain) = bundle::decompressed(raw, &limits) {
                for e in &b.entries {
                    let _ = bundle::entry_bytes(&plain, e);
                }
            }
        }
        for e in &b.entries {
            if let Some(t) = e.target_id.as_deref().and_then(GfxTarget::parse) {
                check_target_id(&t);
            }
        }
    }
}

/// `code_object`: ELF parsing (header, every section, notes, lookup by name) and the
/// code-object reading on any input.
pub fn code_object_target(data: &[u8]) {
    if let Ok(elf) = rocm_formats::elf::parse(data) {
        for s in elf.sections() {
            let _ = s;
        }
        let _ = elf.notes();
        let _ = elf.section_by_name(b".hip_fatbin");
    }
    if let Ok(co) = rocm_formats::code_object::parse(data) {
        // Not checked against `parse`: e_flags may state a feature the processor lacks.
        let _ = co.target.as_ref().map(GfxTarget::target_id);
        if let Some(t) = co.metadata_target.as_deref().and_then(GfxTarget::parse) {
            check_target_id(&t);
        }
    }
}
