//! LLVM bitcode modules: who produced them and for which target.
//!
//! [`parse`] reads the little a diagnosis needs from a bitcode file: the optional wrapper
//! header, the `IDENTIFICATION` block (producer string such as `LLVM15.0.5`, and the bitcode
//! epoch), then the start of the first `MODULE` block (version, target triple, data layout,
//! source file name). It reads only as far as needed: sub-blocks of the module (types,
//! constants, functions, metadata…) are skipped by their length word, except `BLOCKINFO`,
//! which is interpreted so that the abbreviation table stays right for whatever follows.
//!
//! Notes on the format (from LLVM's `BitcodeReader.cpp` and `BitcodeWriter.cpp`):
//! - `IDENTIFICATION` (block 13) exists since LLVM 3.8 and precedes each module; older files
//!   have none, and [`BitcodeInfo::producer`] is then `None`.
//! - LLVM writes `TRIPLE` and `DATALAYOUT` unabbreviated and `SOURCE_FILENAME` with an
//!   abbreviation defined in the module block itself; none of them uses a `BLOCKINFO`
//!   abbreviation, and `BLOCKINFO` does not apply to the module block that contains it anyway
//!   (a block takes `BLOCKINFO` abbreviations when it is entered). The cursor handles all three
//!   cases regardless.
//! - The module's info records come after the type and attribute blocks, and before the first
//!   global variable or function record; the reader stops at the first of those.
//! - A file may hold several modules back to back (`llvm-cat -b`); the first one is reported.

use crate::bitstream::{BitstreamCursor, Entry, Record, BLOCKINFO_BLOCK_ID};
use crate::bytes::{slice_at, Cursor};
use crate::sniff::{BITCODE_MAGIC, BITCODE_WRAPPER_MAGIC};
use crate::{Error, ErrorKind, Format, Result};

/// Block id of `MODULE_BLOCK`.
pub const MODULE_BLOCK_ID: u64 = 8;
/// Block id of `IDENTIFICATION_BLOCK`.
pub const IDENTIFICATION_BLOCK_ID: u64 = 13;

/// `IDENTIFICATION` record: producer string.
const IDENTIFICATION_CODE_STRING: u64 = 1;
/// `IDENTIFICATION` record: bitcode epoch.
const IDENTIFICATION_CODE_EPOCH: u64 = 2;

/// `MODULE` record codes read or used as a stop mark.
const MODULE_CODE_VERSION: u64 = 1;
const MODULE_CODE_TRIPLE: u64 = 2;
const MODULE_CODE_DATALAYOUT: u64 = 3;
const MODULE_CODE_GLOBALVAR: u64 = 7;
const MODULE_CODE_FUNCTION: u64 = 8;
const MODULE_CODE_ALIAS_OLD: u64 = 9;
const MODULE_CODE_VSTOFFSET: u64 = 13;
const MODULE_CODE_ALIAS: u64 = 14;
const MODULE_CODE_SOURCE_FILENAME: u64 = 16;
const MODULE_CODE_IFUNC: u64 = 18;

/// Size of the wrapper header: magic, version, offset, size, CPU type (five `u32`s).
const WRAPPER_HEADER_LEN: usize = 20;

/// The optional header that wraps bitcode (Darwin style, also used by some embedders).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrapperHeader {
    /// Wrapper version (0 in every file seen so far).
    pub version: u32,
    /// Offset of the bitcode from the start of the file.
    pub offset: u32,
    /// Size of the bitcode in bytes.
    pub size: u32,
    /// Mach-O CPU type of the target, or 0.
    pub cpu_type: u32,
}

/// What [`parse`] found in a bitcode file. `None` fields are records the file does not have.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BitcodeInfo {
    /// The wrapper header, if the bitcode was wrapped.
    pub wrapper: Option<WrapperHeader>,
    /// Producer from the `IDENTIFICATION` block, e.g. `LLVM15.0.5` or `LLVM20.0.0git`
    /// (`None` for bitcode older than LLVM 3.8).
    pub producer: Option<String>,
    /// Bitcode epoch from the `IDENTIFICATION` block (0 for every LLVM release so far).
    pub epoch: Option<u64>,
    /// `MODULE_CODE_VERSION`: 0, 1 or 2 (2 since LLVM 5: names in a string table).
    pub module_version: Option<u64>,
    /// Target triple, e.g. `amdgcn-amd-amdhsa`.
    pub triple: Option<String>,
    /// Data layout string.
    pub datalayout: Option<String>,
    /// Source file name, when it comes before the first global or function record.
    pub source_filename: Option<String>,
}

/// Reads the producer, epoch, triple and data layout of the first module in `data`.
///
/// `data` is a whole file: raw bitcode (`BC 0xC0DE`) or bitcode in a wrapper header
/// (`0x0B17C0DE`). Error offsets are relative to the start of `data`.
///
/// # Errors
/// - [`ErrorKind::BadMagic`] if `data` starts with neither magic (or the wrapped bitcode lacks
///   the raw magic).
/// - [`ErrorKind::Truncated`] if the wrapper header, the bitcode it points to, or a block read
///   before the module's info records are complete, runs past the end.
/// - [`ErrorKind::Malformed`] for inconsistent bitstream structure, a string record holding a
///   value above 255, or a stream with no `MODULE` block.
/// - [`ErrorKind::LimitExceeded`] when a bitstream limit of [`crate::bitstream`] is reached.
pub fn parse(data: &[u8]) -> Result<BitcodeInfo> {
    let (wrapper, bitcode, base) = unwrap(data)?;
    let mut info = parse_raw(bitcode).map_err(|e| e.rebased(base))?;
    info.wrapper = wrapper;
    Ok(info)
}

/// Splits off the wrapper header, if any; returns it, the raw bitcode and its offset.
fn unwrap(data: &[u8]) -> Result<(Option<WrapperHeader>, &[u8], u64)> {
    if !data.starts_with(&BITCODE_WRAPPER_MAGIC) {
        return Ok((None, data, 0));
    }
    let mut c = Cursor::new(data);
    let header = (|| {
        c.skip(4)?;
        Some(WrapperHeader {
            version: c.u32_le()?,
            offset: c.u32_le()?,
            size: c.u32_le()?,
            cpu_type: c.u32_le()?,
        })
    })()
    .ok_or_else(|| {
        let available = u64::try_from(data.len()).unwrap_or(u64::MAX);
        let needed = u64::try_from(WRAPPER_HEADER_LEN).unwrap_or(u64::MAX);
        Error::new(
            Format::Bitcode,
            0,
            ErrorKind::Truncated { needed, available },
        )
    })?;
    let offset = u64::from(header.offset);
    let size = u64::from(header.size);
    let bitcode = slice_at(data, offset, size).ok_or_else(|| {
        let available = u64::try_from(data.len())
            .unwrap_or(u64::MAX)
            .saturating_sub(offset);
        Error::new(
            Format::Bitcode,
            offset,
            ErrorKind::Truncated {
                needed: size,
                available,
            },
        )
    })?;
    Ok((Some(header), bitcode, offset))
}

fn parse_raw(data: &[u8]) -> Result<BitcodeInfo> {
    if !data.starts_with(&BITCODE_MAGIC) {
        return Err(Error::new(Format::Bitcode, 0, ErrorKind::BadMagic));
    }
    let mut cursor = BitstreamCursor::at_bit(data, 32)?;
    let mut info = BitcodeInfo::default();
    loop {
        let at = cursor.bit_pos() >> 3;
        match cursor.advance()? {
            Entry::SubBlock {
                block_id: IDENTIFICATION_BLOCK_ID,
                ..
            } => {
                cursor.enter_block()?;
                read_identification(&mut cursor, &mut info)?;
            }
            Entry::SubBlock {
                block_id: MODULE_BLOCK_ID,
                ..
            } => {
                cursor.enter_block()?;
                read_module(&mut cursor, &mut info)?;
                return Ok(info);
            }
            Entry::SubBlock {
                block_id: BLOCKINFO_BLOCK_ID,
                ..
            } => cursor.enter_block()?,
            Entry::SubBlock { .. } => cursor.skip_block()?,
            Entry::EndBlock { .. } | Entry::Record(_) => {}
            Entry::EndOfStream => {
                return Err(Error::new(
                    Format::Bitcode,
                    at,
                    ErrorKind::Malformed("no MODULE block in bitcode"),
                ))
            }
        }
    }
}

/// Reads the `IDENTIFICATION` block (already entered) to its end.
fn read_identification(cursor: &mut BitstreamCursor<'_>, info: &mut BitcodeInfo) -> Result<()> {
    let depth = cursor.depth();
    loop {
        let at = cursor.bit_pos();
        match cursor.advance()? {
            // Records of a nested BLOCKINFO come through too: only read the block's own.
            Entry::Record(_) if cursor.depth() != depth => {}
            Entry::Record(r) if r.code == IDENTIFICATION_CODE_STRING => {
                info.producer = Some(record_string(&r, at)?);
            }
            Entry::Record(r) if r.code == IDENTIFICATION_CODE_EPOCH => {
                info.epoch = r.ops.first().copied();
            }
            Entry::SubBlock { block_id, .. } if block_id != BLOCKINFO_BLOCK_ID => {
                cursor.skip_block()?;
            }
            Entry::EndBlock { .. } if cursor.depth() < depth => return Ok(()),
            Entry::EndOfStream => return Err(end_inside_block(at)),
            _ => {}
        }
    }
}

/// Reads the start of a `MODULE` block (already entered) until the info records are known.
fn read_module(cursor: &mut BitstreamCursor<'_>, info: &mut BitcodeInfo) -> Result<()> {
    let depth = cursor.depth();
    loop {
        if info.triple.is_some() && info.datalayout.is_some() && info.source_filename.is_some() {
            return Ok(());
        }
        let at = cursor.bit_pos();
        match cursor.advance()? {
            // Records of a nested BLOCKINFO come through too: only read the block's own.
            Entry::Record(_) if cursor.depth() != depth => {}
            Entry::Record(r) => match r.code {
                MODULE_CODE_VERSION => info.module_version = r.ops.first().copied(),
                MODULE_CODE_TRIPLE => info.triple = Some(record_string(&r, at)?),
                MODULE_CODE_DATALAYOUT => info.datalayout = Some(record_string(&r, at)?),
                MODULE_CODE_SOURCE_FILENAME => {
                    info.source_filename = Some(record_string(&r, at)?);
                }
                MODULE_CODE_GLOBALVAR
                | MODULE_CODE_FUNCTION
                | MODULE_CODE_ALIAS_OLD
                | MODULE_CODE_ALIAS
                | MODULE_CODE_IFUNC
                | MODULE_CODE_VSTOFFSET => return Ok(()),
                _ => {}
            },
            // BLOCKINFO is entered (by the next `advance`) so its abbreviations are known;
            // everything else is skipped by its length.
            Entry::SubBlock { block_id, .. } if block_id != BLOCKINFO_BLOCK_ID => {
                cursor.skip_block()?;
            }
            Entry::EndBlock { .. } if cursor.depth() < depth => return Ok(()),
            Entry::EndOfStream => return Err(end_inside_block(at)),
            _ => {}
        }
    }
}

fn end_inside_block(bit: u64) -> Error {
    Error::new(
        Format::Bitcode,
        bit >> 3,
        ErrorKind::Malformed("stream ends inside a block"),
    )
}

/// A string record: its operands as bytes (or its blob), lossily decoded as UTF-8.
fn record_string(record: &Record<'_>, bit: u64) -> Result<String> {
    let bytes = match record.blob {
        Some(blob) if record.ops.is_empty() => blob.to_vec(),
        _ => record.ops_as_bytes(0).ok_or_else(|| {
            Error::new(
                Format::Bitcode,
                bit >> 3,
                ErrorKind::Malformed("string record holds a value above 255"),
            )
        })?,
    };
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

#[cfg(test)]
mod tests {
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
}
