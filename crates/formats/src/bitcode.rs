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

pub mod features;

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
mod tests;
