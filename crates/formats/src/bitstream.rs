//! LLVM bitstream reader: the container format under LLVM bitcode.
//!
//! A bitstream is a sequence of little-endian 32-bit words read as a stream of bits, least
//! significant bit first. Its content is a tree of *blocks*, each holding *records* (a code and
//! a list of integer operands, plus an optional blob of bytes). Every entry starts with an
//! *abbreviation id* of the current block's width: 0 ends the block, 1 opens a sub-block,
//! 2 defines an abbreviation, 3 is a record spelled out in VBR6 fields, and 4 and up are records
//! laid out by a previously defined abbreviation. The `BLOCKINFO` block (id 0) defines
//! abbreviations on behalf of other block ids.
//!
//! This module has two layers:
//!
//! - [`BitReader`]: fixed-width and variable-width (VBR) reads, 32-bit alignment, jumps.
//!   A VBR value with more than 64 significant bits is an error, not a silent wrap.
//! - [`BitstreamCursor`]: walks entries ([`Entry`]) with an explicit scope stack, so a hostile
//!   stream of a million nested `ENTER_SUBBLOCK`s fails at [`MAX_DEPTH`] without recursion.
//!   Sub-blocks can be skipped by their length word without being read.
//!
//! Every count read from the stream is checked against a limit ([`MAX_ABBREV_OPS`],
//! [`MAX_ABBREVS_PER_BLOCK`], [`MAX_RECORD_OPS`]) and against the bits left before anything is
//! allocated for it. Errors carry the byte offset (within the slice given to the reader) at
//! which the failing read started.
//!
//! Reference: LLVM's `docs/BitCodeFormat.rst` and `llvm/include/llvm/Bitstream/BitCodeEnums.h`.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::{Error, ErrorKind, Format, Result};

/// Abbreviation id that ends the current block.
pub const END_BLOCK: u32 = 0;
/// Abbreviation id that opens a sub-block.
pub const ENTER_SUBBLOCK: u32 = 1;
/// Abbreviation id that defines an abbreviation for the current block.
pub const DEFINE_ABBREV: u32 = 2;
/// Abbreviation id of a record written without an abbreviation (all fields VBR6).
pub const UNABBREV_RECORD: u32 = 3;
/// The first abbreviation id that names a defined abbreviation.
pub const FIRST_APPLICATION_ABBREV: u32 = 4;

/// Block id of `BLOCKINFO`, which defines abbreviations for other blocks.
pub const BLOCKINFO_BLOCK_ID: u64 = 0;
/// `BLOCKINFO` record: the block id later `DEFINE_ABBREV`s apply to.
pub const BLOCKINFO_CODE_SETBID: u64 = 1;
/// `BLOCKINFO` record: a block's name (informational).
pub const BLOCKINFO_CODE_BLOCKNAME: u64 = 2;
/// `BLOCKINFO` record: a record's name (informational).
pub const BLOCKINFO_CODE_SETRECORDNAME: u64 = 3;

/// Deepest block nesting accepted.
pub const MAX_DEPTH: usize = 64;
/// Most operands one abbreviation definition may have.
pub const MAX_ABBREV_OPS: usize = 1024;
/// Most abbreviations one block (or one block id in `BLOCKINFO`) may define.
pub const MAX_ABBREVS_PER_BLOCK: usize = 65_536;
/// Most operands one record may have (array elements included, blob bytes excluded).
pub const MAX_RECORD_OPS: usize = 1 << 20;
/// Widest abbreviation id accepted when entering a block.
pub const MAX_ABBREV_ID_WIDTH: u32 = 32;
/// Widest fixed or VBR field accepted.
pub const MAX_FIELD_WIDTH: u32 = 64;

/// Width of the abbreviation ids at the top level of a stream.
const TOP_LEVEL_ABBREV_WIDTH: u32 = 2;
/// Capacity reserved up front for operand lists, whatever the stream announces.
const PREALLOC_OPS: usize = 64;

fn error_at(bit: u64, kind: ErrorKind) -> Error {
    Error::new(Format::Bitcode, bit >> 3, kind)
}

fn malformed(bit: u64, what: &'static str) -> Error {
    error_at(bit, ErrorKind::Malformed(what))
}

fn limit(bit: u64, what: &'static str, limit: usize) -> Error {
    let limit = u64::try_from(limit).unwrap_or(u64::MAX);
    error_at(bit, ErrorKind::LimitExceeded { what, limit })
}

/// The low `width` bits set (`width` up to 64).
fn low_mask(width: u32) -> u64 {
    1u64.checked_shl(width)
        .map_or(u64::MAX, |v| v.wrapping_sub(1))
}

/// Reads bits from a byte slice, least significant bit of each little-endian word first.
///
/// Positions are in bits from the start of the slice. No read can go past the end: each one
/// checks first and returns [`ErrorKind::Truncated`].
#[derive(Debug, Clone)]
pub struct BitReader<'a> {
    data: &'a [u8],
    pos: u64,
    len_bits: u64,
}

impl<'a> BitReader<'a> {
    /// A reader at bit 0 of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        let len_bits = u64::try_from(data.len())
            .unwrap_or(u64::MAX)
            .saturating_mul(8);
        BitReader {
            data,
            pos: 0,
            len_bits,
        }
    }

    /// The slice being read.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Current position, in bits from the start of the slice.
    pub fn bit_pos(&self) -> u64 {
        self.pos
    }

    /// Length of the slice, in bits.
    pub fn bit_len(&self) -> u64 {
        self.len_bits
    }

    /// Bits left after the current position.
    pub fn remaining_bits(&self) -> u64 {
        self.len_bits.saturating_sub(self.pos)
    }

    /// Whether every bit has been read.
    pub fn at_end(&self) -> bool {
        self.pos >= self.len_bits
    }

    /// Moves to bit `pos`.
    ///
    /// # Errors
    /// [`ErrorKind::Truncated`] if `pos` is past the end of the slice (the position is unchanged).
    pub fn jump_to_bit(&mut self, pos: u64) -> Result<()> {
        if pos > self.len_bits {
            return Err(self.truncated(pos.saturating_sub(self.pos)));
        }
        self.pos = pos;
        Ok(())
    }

    /// Moves forward to the next multiple of 32 bits (no move if already there).
    ///
    /// # Errors
    /// [`ErrorKind::Truncated`] if that boundary is past the end of the slice.
    pub fn align32(&mut self) -> Result<()> {
        let aligned = crate::bytes::align_up(self.pos, 32)
            .ok_or_else(|| malformed(self.pos, "bit position overflows"))?;
        self.jump_to_bit(aligned)
    }

    /// Reads a `width`-bit unsigned field (`width` from 0 to 64; 0 reads nothing and gives 0).
    ///
    /// # Errors
    /// [`ErrorKind::Malformed`] if `width` is over 64; [`ErrorKind::Truncated`] if fewer than
    /// `width` bits are left (the position is then unchanged).
    pub fn read_fixed(&mut self, width: u32) -> Result<u64> {
        if width > MAX_FIELD_WIDTH {
            return Err(malformed(self.pos, "fixed field wider than 64 bits"));
        }
        if u64::from(width) > self.remaining_bits() {
            return Err(self.truncated(u64::from(width)));
        }
        let low_width = width.min(32);
        let low = self.read_small(low_width);
        let high_width = width.saturating_sub(32);
        let high = self.read_small(high_width);
        Ok(low | high.checked_shl(32).unwrap_or(0))
    }

    /// Reads a variable-width (VBR) field of `width`-bit chunks (`width` from 2 to 64): each
    /// chunk holds `width - 1` value bits, low chunks first, and a high bit set when another
    /// chunk follows.
    ///
    /// # Errors
    /// [`ErrorKind::Malformed`] if `width` is outside 2..=64; [`ErrorKind::LimitExceeded`] if
    /// the value has more than 64 significant bits or a chunk would start at bit 64 or later;
    /// [`ErrorKind::Truncated`] if the stream ends inside the value. On error the position is
    /// where the value started.
    pub fn read_vbr(&mut self, width: u32) -> Result<u64> {
        if !(2..=MAX_FIELD_WIDTH).contains(&width) {
            return Err(malformed(self.pos, "VBR chunk width outside 2..=64"));
        }
        let start = self.pos;
        let result = self.read_vbr_chunks(width);
        if result.is_err() {
            self.pos = start;
        }
        result.map_err(|e| Error {
            offset: start >> 3,
            ..e
        })
    }

    fn read_vbr_chunks(&mut self, width: u32) -> Result<u64> {
        let data_bits = width.saturating_sub(1);
        let data_mask = low_mask(data_bits);
        let mut value = 0u64;
        let mut shift = 0u32;
        loop {
            if shift >= 64 {
                return Err(limit(self.pos, "VBR value bits", 64));
            }
            let chunk = self.read_fixed(width)?;
            let piece = chunk & data_mask;
            // Value bits that would land at bit 64 or above make the value too wide.
            let kept_bits = 64u32.saturating_sub(shift);
            if kept_bits < 64 && piece.checked_shr(kept_bits).unwrap_or(0) != 0 {
                return Err(limit(self.pos, "VBR value bits", 64));
            }
            value |= piece.checked_shl(shift).unwrap_or(0);
            if chunk.checked_shr(data_bits).unwrap_or(0) & 1 == 0 {
                return Ok(value);
            }
            shift = shift.saturating_add(data_bits);
        }
    }

    /// Reads up to 32 bits; the caller has checked they are there.
    fn read_small(&mut self, width: u32) -> u64 {
        if width == 0 {
            return 0;
        }
        let byte = usize::try_from(self.pos >> 3).unwrap_or(usize::MAX);
        let mut buf = [0u8; 8];
        for (dst, src) in buf.iter_mut().zip(self.data.get(byte..).unwrap_or(&[])) {
            *dst = *src;
        }
        let word = u64::from_le_bytes(buf);
        // Bit offset within the byte is below 8, so at least 56 valid bits remain after it.
        let shifted = word
            .checked_shr(u32::try_from(self.pos & 7).unwrap_or(0))
            .unwrap_or(0);
        self.pos = self.pos.saturating_add(u64::from(width));
        shifted & low_mask(width)
    }

    fn truncated(&self, needed_bits: u64) -> Error {
        let byte = self.pos >> 3;
        let within = self.pos & 7;
        let needed = needed_bits.saturating_add(within).saturating_add(7) >> 3;
        let available = (self.len_bits >> 3).saturating_sub(byte);
        error_at(self.pos, ErrorKind::Truncated { needed, available })
    }
}

/// Decodes a 6-bit character (`a-z`, `A-Z`, `0-9`, `.`, `_`) to its ASCII byte.
///
/// Returns `None` for values of 64 and up.
pub fn decode_char6(v: u64) -> Option<u8> {
    const CHAR6: &[u8; 64] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._";
    CHAR6.get(usize::try_from(v).ok()?).copied()
}

/// One operand of an abbreviation definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbbrevOp {
    /// A constant: takes no bits in records.
    Literal(u64),
    /// A fixed-width field of 1 to 64 bits (width 0 is stored as `Literal(0)`, as LLVM does).
    Fixed(u32),
    /// A VBR field of 2 to 64-bit chunks (width 0 is stored as `Literal(0)`).
    Vbr(u32),
    /// A VBR6 element count, then that many elements encoded as the next (last) operand.
    Array,
    /// A 6-bit character (decoded to ASCII in records).
    Char6,
    /// A VBR6 byte count, alignment to 32 bits, the bytes, alignment to 32 bits. Last operand.
    Blob,
}

impl AbbrevOp {
    /// Fewest bits one value of this operand takes (0 for literals, arrays and blobs).
    fn min_bits(self) -> u64 {
        match self {
            AbbrevOp::Fixed(w) | AbbrevOp::Vbr(w) => u64::from(w),
            AbbrevOp::Char6 => 6,
            AbbrevOp::Literal(_) | AbbrevOp::Array | AbbrevOp::Blob => 0,
        }
    }

    fn is_scalar_encoding(self) -> bool {
        matches!(
            self,
            AbbrevOp::Fixed(_) | AbbrevOp::Vbr(_) | AbbrevOp::Char6
        )
    }
}

/// A validated abbreviation: how the fields of a record are laid out.
///
/// Guarantees: at least one operand; the first is a literal or a scalar encoding (it gives the
/// record code); an [`AbbrevOp::Array`] is second to last and followed by a fixed, VBR or char6
/// element operand; an [`AbbrevOp::Blob`] is last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Abbrev {
    ops: Vec<AbbrevOp>,
}

impl Abbrev {
    /// The operands, in order; the first gives the record code.
    pub fn ops(&self) -> &[AbbrevOp] {
        &self.ops
    }

    /// Reads a `DEFINE_ABBREV` body (after its abbreviation id) and validates it.
    fn read(bits: &mut BitReader<'_>) -> Result<Abbrev> {
        let start = bits.bit_pos();
        let count = bits.read_vbr(5)?;
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        if count > MAX_ABBREV_OPS {
            return Err(limit(start, "operands in one abbreviation", MAX_ABBREV_OPS));
        }
        if count == 0 {
            return Err(malformed(start, "abbreviation with no operands"));
        }
        let mut ops = Vec::with_capacity(count.min(PREALLOC_OPS));
        for _ in 0..count {
            ops.push(Self::read_op(bits)?);
        }
        Self::validate(&ops).map_err(|what| malformed(start, what))?;
        Ok(Abbrev { ops })
    }

    fn read_op(bits: &mut BitReader<'_>) -> Result<AbbrevOp> {
        let at = bits.bit_pos();
        if bits.read_fixed(1)? == 1 {
            return Ok(AbbrevOp::Literal(bits.read_vbr(8)?));
        }
        let encoding = bits.read_fixed(3)?;
        Ok(match encoding {
            1 | 2 => {
                let width = bits.read_vbr(5)?;
                if width == 0 {
                    // A zero-width field reads as zero: LLVM stores it as a literal 0.
                    return Ok(AbbrevOp::Literal(0));
                }
                let width = u32::try_from(width)
                    .ok()
                    .filter(|w| *w <= MAX_FIELD_WIDTH)
                    .ok_or_else(|| malformed(at, "fixed or VBR operand wider than 64 bits"))?;
                if encoding == 1 {
                    AbbrevOp::Fixed(width)
                } else if width < 2 {
                    return Err(malformed(at, "VBR operand with 1-bit chunks"));
                } else {
                    AbbrevOp::Vbr(width)
                }
            }
            3 => AbbrevOp::Array,
            4 => AbbrevOp::Char6,
            5 => AbbrevOp::Blob,
            _ => return Err(malformed(at, "invalid abbreviation operand encoding")),
        })
    }

    fn validate(ops: &[AbbrevOp]) -> std::result::Result<(), &'static str> {
        match ops.first() {
            Some(AbbrevOp::Array | AbbrevOp::Blob) => {
                return Err("abbreviation starts with an array or a blob")
            }
            None => return Err("abbreviation with no operands"),
            Some(_) => {}
        }
        let mut iter = ops.iter().peekable();
        while let Some(op) = iter.next() {
            match op {
                AbbrevOp::Array => {
                    let elt = iter
                        .next()
                        .ok_or("array is the last abbreviation operand")?;
                    if !elt.is_scalar_encoding() {
                        return Err("array element is not a fixed, VBR or char6 operand");
                    }
                    if iter.peek().is_some() {
                        return Err("array is not second to last in its abbreviation");
                    }
                }
                AbbrevOp::Blob if iter.peek().is_some() => {
                    return Err("blob is not the last abbreviation operand")
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// A record read from the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    /// Abbreviation id it was read with ([`UNABBREV_RECORD`] or a defined one, 4 and up).
    pub abbrev_id: u32,
    /// Record code (its meaning depends on the enclosing block).
    pub code: u64,
    /// Operands after the code. Char6 fields are decoded to ASCII; a blob is not included.
    pub ops: Vec<u64>,
    /// The blob field, borrowed from the input, if the abbreviation has one.
    pub blob: Option<&'a [u8]>,
}

impl Record<'_> {
    /// Operands from index `from` on, as bytes (LLVM's way of storing strings in records).
    ///
    /// Returns `None` if any of them is above 255. An empty list (or `from` past the end) gives
    /// an empty vector.
    pub fn ops_as_bytes(&self, from: usize) -> Option<Vec<u8>> {
        self.ops
            .get(from..)
            .unwrap_or(&[])
            .iter()
            .map(|v| u8::try_from(*v).ok())
            .collect()
    }
}

/// One step of a walk through a bitstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry<'a> {
    /// A sub-block starts. Follow with [`BitstreamCursor::enter_block`] or
    /// [`BitstreamCursor::skip_block`]; calling [`BitstreamCursor::advance`] instead enters it.
    SubBlock {
        /// Block id (for bitcode: see `LLVMBitCodes.h`, e.g. 8 for `MODULE_BLOCK`).
        block_id: u64,
        /// Length of the block's body in 32-bit words, as stated by the stream.
        length_words: u32,
    },
    /// The current block ended; the cursor is back in its parent.
    EndBlock {
        /// Id of the block that ended.
        block_id: u64,
    },
    /// A record of the current block.
    Record(Record<'a>),
    /// No bits are left and no block is open.
    EndOfStream,
}

/// Abbreviations usable in one block: those `BLOCKINFO` gave its id when it was entered, then
/// its own.
#[derive(Debug, Clone)]
struct AbbrevSet {
    inherited: Arc<[Abbrev]>,
    local: Vec<Abbrev>,
}

impl AbbrevSet {
    fn new(inherited: Arc<[Abbrev]>) -> Self {
        AbbrevSet {
            inherited,
            local: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.inherited.len().saturating_add(self.local.len())
    }

    fn get(&self, abbrev_id: u32) -> Option<&Abbrev> {
        let index = usize::try_from(abbrev_id.checked_sub(FIRST_APPLICATION_ABBREV)?).ok()?;
        match self.inherited.get(index) {
            Some(a) => Some(a),
            None => self.local.get(index.checked_sub(self.inherited.len())?),
        }
    }
}

/// State of an enclosing block, saved while a sub-block is open.
#[derive(Debug, Clone)]
struct Scope {
    block_id: u64,
    outer_width: u32,
    outer_abbrevs: AbbrevSet,
}

/// A sub-block header that has been read but neither entered nor skipped.
#[derive(Debug, Clone, Copy)]
struct PendingBlock {
    block_id: u64,
    abbrev_width: u64,
    length_words: u32,
    header_bit: u64,
    body_bit: u64,
}

/// Abbreviations collected while inside a `BLOCKINFO` block.
#[derive(Debug, Clone, Default)]
struct BlockInfoBuilder {
    current: Option<u64>,
    abbrevs: BTreeMap<u64, Vec<Abbrev>>,
}

/// Walks the entries of a bitstream: blocks, records, abbreviation definitions.
///
/// The cursor keeps an explicit stack of open blocks (at most [`MAX_DEPTH`]) and never recurses.
/// `DEFINE_ABBREV` entries are consumed internally; the `BLOCKINFO` block is interpreted when
/// entered (its `SETBID` and name records are still returned), and the abbreviations it defines
/// replace the previous `BLOCKINFO` table when it ends. As in LLVM, a block gets the `BLOCKINFO`
/// abbreviations for its id at the moment it is entered: a block already open (e.g. the module
/// block that contains the `BLOCKINFO`) does not gain them.
///
/// After an error the cursor's position is unspecified; further calls stay safe but are not
/// meaningful.
#[derive(Debug, Clone)]
pub struct BitstreamCursor<'a> {
    bits: BitReader<'a>,
    width: u32,
    abbrevs: AbbrevSet,
    scopes: Vec<Scope>,
    block_info: BTreeMap<u64, Arc<[Abbrev]>>,
    builder: Option<BlockInfoBuilder>,
    pending: Option<PendingBlock>,
}

impl<'a> BitstreamCursor<'a> {
    /// A cursor at the start of `data`, at the top level (2-bit abbreviation ids).
    pub fn new(data: &'a [u8]) -> Self {
        BitstreamCursor {
            bits: BitReader::new(data),
            width: TOP_LEVEL_ABBREV_WIDTH,
            abbrevs: AbbrevSet::new(Arc::from(Vec::new())),
            scopes: Vec::new(),
            block_info: BTreeMap::new(),
            builder: None,
            pending: None,
        }
    }

    /// A cursor at bit `bit` of `data` (e.g. 32, after the 4-byte bitcode magic).
    ///
    /// # Errors
    /// [`ErrorKind::Truncated`] if `bit` is past the end of `data`.
    pub fn at_bit(data: &'a [u8], bit: u64) -> Result<Self> {
        let mut cursor = Self::new(data);
        cursor.bits.jump_to_bit(bit)?;
        Ok(cursor)
    }

    /// Current position in bits from the start of the slice.
    pub fn bit_pos(&self) -> u64 {
        self.bits.bit_pos()
    }

    /// Id of the innermost open block; `None` at the top level.
    pub fn block_id(&self) -> Option<u64> {
        self.scopes.last().map(|s| s.block_id)
    }

    /// Number of open blocks.
    pub fn depth(&self) -> usize {
        self.scopes.len()
    }

    /// Width of abbreviation ids in the current block.
    pub fn abbrev_width(&self) -> u32 {
        self.width
    }

    /// Abbreviations usable by records of the current block, in id order from 4.
    pub fn abbrevs(&self) -> impl Iterator<Item = &Abbrev> {
        self.abbrevs
            .inherited
            .iter()
            .chain(self.abbrevs.local.iter())
    }

    /// Abbreviations the last complete `BLOCKINFO` block defined for `block_id`.
    pub fn block_info_abbrevs(&self, block_id: u64) -> &[Abbrev] {
        self.block_info.get(&block_id).map_or(&[], |a| a)
    }

    /// Reads the next entry.
    ///
    /// If the previous entry was a [`Entry::SubBlock`] that was neither entered nor skipped, it
    /// is entered first. `DEFINE_ABBREV` entries are processed and never returned.
    ///
    /// # Errors
    /// [`ErrorKind::Truncated`] if the data ends inside an entry or inside an open block;
    /// [`ErrorKind::Malformed`] for an undefined abbreviation id, an invalid abbreviation
    /// definition, `END_BLOCK` at the top level, a `BLOCKINFO` `DEFINE_ABBREV` before any
    /// `SETBID`, or a bad sub-block header when entering; [`ErrorKind::LimitExceeded`] when a
    /// VBR value, the nesting depth, an abbreviation count or a record's operand count passes
    /// its limit.
    pub fn advance(&mut self) -> Result<Entry<'a>> {
        if self.pending.is_some() {
            self.enter_block()?;
        }
        loop {
            if self.scopes.is_empty() && self.bits.at_end() {
                return Ok(Entry::EndOfStream);
            }
            let at = self.bits.bit_pos();
            let id = self.bits.read_fixed(self.width)?;
            let id = u32::try_from(id).map_err(|_| malformed(at, "abbreviation id too wide"))?;
            match id {
                END_BLOCK => return self.end_block(at),
                ENTER_SUBBLOCK => return self.read_block_header(),
                DEFINE_ABBREV => self.define_abbrev(at)?,
                _ => {
                    let record = self.read_record(id, at)?;
                    self.note_block_info_record(&record, at)?;
                    return Ok(Entry::Record(record));
                }
            }
        }
    }

    /// Enters the sub-block that [`advance`](Self::advance) just returned.
    ///
    /// # Errors
    /// [`ErrorKind::Malformed`] if no sub-block is pending, if its abbreviation id width is 0 or
    /// above [`MAX_ABBREV_ID_WIDTH`], or for a `BLOCKINFO` inside a `BLOCKINFO`;
    /// [`ErrorKind::LimitExceeded`] if [`MAX_DEPTH`] blocks are already open.
    pub fn enter_block(&mut self) -> Result<()> {
        let here = self.bits.bit_pos();
        let p = self
            .pending
            .take()
            .ok_or_else(|| malformed(here, "no sub-block to enter"))?;
        if self.scopes.len() >= MAX_DEPTH {
            return Err(limit(p.header_bit, "block nesting depth", MAX_DEPTH));
        }
        let width = u32::try_from(p.abbrev_width)
            .ok()
            .filter(|w| (1..=MAX_ABBREV_ID_WIDTH).contains(w))
            .ok_or_else(|| malformed(p.header_bit, "block abbreviation id width not in 1..=32"))?;
        if p.block_id == BLOCKINFO_BLOCK_ID {
            if self.builder.is_some() {
                return Err(malformed(
                    p.header_bit,
                    "BLOCKINFO block inside a BLOCKINFO block",
                ));
            }
            self.builder = Some(BlockInfoBuilder::default());
        }
        let inherited = match self.block_info.get(&p.block_id) {
            Some(a) => Arc::clone(a),
            None => Arc::from(Vec::new()),
        };
        let outer_abbrevs = std::mem::replace(&mut self.abbrevs, AbbrevSet::new(inherited));
        self.scopes.push(Scope {
            block_id: p.block_id,
            outer_width: self.width,
            outer_abbrevs,
        });
        self.width = width;
        Ok(())
    }

    /// Skips the sub-block that [`advance`](Self::advance) just returned, using its length word
    /// (its content is not read, so its abbreviations and any `BLOCKINFO` in it have no effect).
    ///
    /// # Errors
    /// [`ErrorKind::Malformed`] if no sub-block is pending; [`ErrorKind::Truncated`] if the
    /// block's stated end is past the end of the data.
    pub fn skip_block(&mut self) -> Result<()> {
        let here = self.bits.bit_pos();
        let p = self
            .pending
            .take()
            .ok_or_else(|| malformed(here, "no sub-block to skip"))?;
        let end = u64::from(p.length_words)
            .checked_mul(32)
            .and_then(|len| p.body_bit.checked_add(len))
            .ok_or_else(|| malformed(p.header_bit, "block length overflows"))?;
        self.bits.jump_to_bit(end)
    }

    fn read_block_header(&mut self) -> Result<Entry<'a>> {
        let header_bit = self.bits.bit_pos();
        let block_id = self.bits.read_vbr(8)?;
        let abbrev_width = self.bits.read_vbr(4)?;
        self.bits.align32()?;
        let length = self.bits.read_fixed(32)?;
        let length_words =
            u32::try_from(length).map_err(|_| malformed(header_bit, "block length too wide"))?;
        let body_bit = self.bits.bit_pos();
        self.pending = Some(PendingBlock {
            block_id,
            abbrev_width,
            length_words,
            header_bit,
            body_bit,
        });
        Ok(Entry::SubBlock {
            block_id,
            length_words,
        })
    }

    fn end_block(&mut self, at: u64) -> Result<Entry<'a>> {
        if self.scopes.is_empty() {
            return Err(malformed(at, "END_BLOCK outside any block"));
        }
        self.bits.align32()?;
        let scope = self
            .scopes
            .pop()
            .ok_or_else(|| malformed(at, "END_BLOCK outside any block"))?;
        if scope.block_id == BLOCKINFO_BLOCK_ID {
            if let Some(builder) = self.builder.take() {
                self.block_info = builder
                    .abbrevs
                    .into_iter()
                    .map(|(id, list)| (id, Arc::from(list)))
                    .collect();
            }
        }
        self.width = scope.outer_width;
        self.abbrevs = scope.outer_abbrevs;
        Ok(Entry::EndBlock {
            block_id: scope.block_id,
        })
    }

    fn in_block_info(&self) -> bool {
        self.builder.is_some() && self.block_id() == Some(BLOCKINFO_BLOCK_ID)
    }

    fn define_abbrev(&mut self, at: u64) -> Result<()> {
        let abbrev = Abbrev::read(&mut self.bits)?;
        if self.in_block_info() {
            let builder = self
                .builder
                .as_mut()
                .ok_or_else(|| malformed(at, "no BLOCKINFO"))?;
            let bid = builder
                .current
                .ok_or_else(|| malformed(at, "BLOCKINFO abbreviation before any SETBID"))?;
            let list = builder.abbrevs.entry(bid).or_default();
            if list.len() >= MAX_ABBREVS_PER_BLOCK {
                return Err(limit(
                    at,
                    "abbreviations for one block id",
                    MAX_ABBREVS_PER_BLOCK,
                ));
            }
            list.push(abbrev);
        } else {
            if self.abbrevs.len() >= MAX_ABBREVS_PER_BLOCK {
                return Err(limit(
                    at,
                    "abbreviations in one block",
                    MAX_ABBREVS_PER_BLOCK,
                ));
            }
            self.abbrevs.local.push(abbrev);
        }
        Ok(())
    }

    fn note_block_info_record(&mut self, record: &Record<'a>, at: u64) -> Result<()> {
        if record.code != BLOCKINFO_CODE_SETBID || !self.in_block_info() {
            return Ok(());
        }
        let bid = *record
            .ops
            .first()
            .ok_or_else(|| malformed(at, "SETBID without a block id"))?;
        if let Some(builder) = self.builder.as_mut() {
            builder.current = Some(bid);
        }
        Ok(())
    }

    fn read_record(&mut self, abbrev_id: u32, at: u64) -> Result<Record<'a>> {
        let bits = &mut self.bits;
        if abbrev_id == UNABBREV_RECORD {
            let code = bits.read_vbr(6)?;
            let count_at = bits.bit_pos();
            let count = bits.read_vbr(6)?;
            let ops = read_array(bits, AbbrevOp::Vbr(6), count, count_at, 0)?;
            return Ok(Record {
                abbrev_id,
                code,
                ops,
                blob: None,
            });
        }
        let abbrev = self
            .abbrevs
            .get(abbrev_id)
            .ok_or_else(|| malformed(at, "undefined abbreviation id"))?;
        read_abbreviated(bits, abbrev, abbrev_id, at)
    }
}

/// Reads one fixed, VBR or char6 field.
fn read_scalar(bits: &mut BitReader<'_>, op: AbbrevOp) -> Result<u64> {
    let at = bits.bit_pos();
    match op {
        AbbrevOp::Fixed(w) => bits.read_fixed(w),
        AbbrevOp::Vbr(w) => bits.read_vbr(w),
        AbbrevOp::Char6 => {
            let v = bits.read_fixed(6)?;
            decode_char6(v)
                .map(u64::from)
                .ok_or_else(|| malformed(at, "char6 out of range"))
        }
        AbbrevOp::Literal(v) => Ok(v),
        AbbrevOp::Array | AbbrevOp::Blob => Err(malformed(at, "array or blob used as a field")),
    }
}

/// Reads `count` fields encoded as `elt`, checking the count against [`MAX_RECORD_OPS`] (with
/// `already` operands read) and against the bits left before allocating.
fn read_array(
    bits: &mut BitReader<'_>,
    elt: AbbrevOp,
    count: u64,
    count_at: u64,
    already: usize,
) -> Result<Vec<u64>> {
    let room = MAX_RECORD_OPS.saturating_sub(already);
    let count = usize::try_from(count)
        .ok()
        .filter(|c| *c <= room)
        .ok_or_else(|| limit(count_at, "operands in one record", MAX_RECORD_OPS))?;
    let needed = u64::try_from(count)
        .unwrap_or(u64::MAX)
        .saturating_mul(elt.min_bits());
    if needed > bits.remaining_bits() {
        return Err(bits.truncated(needed));
    }
    let mut out = Vec::with_capacity(count.min(PREALLOC_OPS));
    for _ in 0..count {
        out.push(read_scalar(bits, elt)?);
    }
    Ok(out)
}

/// Reads a record laid out by `abbrev`.
fn read_abbreviated<'a>(
    bits: &mut BitReader<'a>,
    abbrev: &Abbrev,
    abbrev_id: u32,
    at: u64,
) -> Result<Record<'a>> {
    let (first, rest) = abbrev
        .ops
        .split_first()
        .ok_or_else(|| malformed(at, "abbreviation with no operands"))?;
    let code = read_scalar(bits, *first)?;
    let mut ops = Vec::with_capacity(rest.len().min(PREALLOC_OPS));
    let mut blob = None;
    let mut iter = rest.iter();
    while let Some(&op) = iter.next() {
        match op {
            AbbrevOp::Array => {
                let elt = *iter
                    .next()
                    .ok_or_else(|| malformed(at, "array without element"))?;
                let count_at = bits.bit_pos();
                let count = bits.read_vbr(6)?;
                let mut elements = read_array(bits, elt, count, count_at, ops.len())?;
                ops.append(&mut elements);
            }
            AbbrevOp::Blob => blob = Some(read_blob(bits)?),
            scalar => {
                if ops.len() >= MAX_RECORD_OPS {
                    return Err(limit(at, "operands in one record", MAX_RECORD_OPS));
                }
                ops.push(read_scalar(bits, scalar)?);
            }
        }
    }
    Ok(Record {
        abbrev_id,
        code,
        ops,
        blob,
    })
}

/// Reads a blob field: VBR6 length, alignment, bytes, padding to 32 bits.
fn read_blob<'a>(bits: &mut BitReader<'a>) -> Result<&'a [u8]> {
    let at = bits.bit_pos();
    let len = bits.read_vbr(6)?;
    bits.align32()?;
    let start = bits.bit_pos();
    let padded_bits = crate::bytes::align_up(len, 4)
        .and_then(|b| b.checked_mul(8))
        .ok_or_else(|| malformed(at, "blob length overflows"))?;
    if padded_bits > bits.remaining_bits() {
        return Err(bits.truncated(padded_bits));
    }
    let bytes = crate::bytes::slice_at(bits.data(), start >> 3, len)
        .ok_or_else(|| bits.truncated(padded_bits))?;
    bits.jump_to_bit(start.saturating_add(padded_bits))?;
    Ok(bytes)
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::cast_possible_truncation,
        clippy::panic
    )]

    use super::*;

    /// A minimal bitstream writer for tests.
    #[derive(Default)]
    pub(crate) struct Writer {
        pub(crate) out: Vec<u8>,
        acc: u64,
        n: u32,
        /// (outer abbrev width, byte index of the length word) per open block.
        blocks: Vec<(u32, usize)>,
        pub(crate) width: u32,
    }

    /// An abbreviation operand as the writer spells it.
    #[derive(Clone, Copy)]
    pub(crate) enum W {
        Lit(u64),
        Fixed(u64),
        Vbr(u64),
        Array,
        Char6,
        Blob,
    }

    impl Writer {
        pub(crate) fn new() -> Self {
            Writer {
                width: 2,
                ..Default::default()
            }
        }

        pub(crate) fn bit_len(&self) -> u64 {
            self.out.len() as u64 * 8 + u64::from(self.n)
        }

        pub(crate) fn fixed(&mut self, v: u64, w: u32) {
            for i in 0..w {
                self.acc |= ((v >> i) & 1) << self.n;
                self.n += 1;
                if self.n == 8 {
                    self.out.push(self.acc as u8);
                    self.acc = 0;
                    self.n = 0;
                }
            }
        }

        pub(crate) fn vbr(&mut self, mut v: u64, w: u32) {
            let data = w - 1;
            loop {
                let piece = v & ((1 << data) - 1);
                v >>= data;
                if v == 0 {
                    self.fixed(piece, w);
                    return;
                }
                self.fixed(piece | (1 << data), w);
            }
        }

        pub(crate) fn align32(&mut self) {
            while self.bit_len() % 32 != 0 {
                self.fixed(0, 1);
            }
        }

        pub(crate) fn enter(&mut self, block_id: u64, width: u32) {
            self.fixed(u64::from(ENTER_SUBBLOCK), self.width);
            self.vbr(block_id, 8);
            self.vbr(u64::from(width), 4);
            self.align32();
            self.blocks.push((self.width, self.out.len()));
            self.fixed(0, 32);
            self.width = width;
        }

        pub(crate) fn end(&mut self) {
            self.fixed(u64::from(END_BLOCK), self.width);
            self.align32();
            let (outer, at) = self.blocks.pop().unwrap();
            let words = ((self.out.len() - at - 4) / 4) as u32;
            self.out[at..at + 4].copy_from_slice(&words.to_le_bytes());
            self.width = outer;
        }

        pub(crate) fn define(&mut self, ops: &[W]) {
            self.fixed(u64::from(DEFINE_ABBREV), self.width);
            self.vbr(ops.len() as u64, 5);
            for op in ops {
                match *op {
                    W::Lit(v) => {
                        self.fixed(1, 1);
                        self.vbr(v, 8);
                    }
                    W::Fixed(w) => {
                        self.fixed(0, 1);
                        self.fixed(1, 3);
                        self.vbr(w, 5);
                    }
                    W::Vbr(w) => {
                        self.fixed(0, 1);
                        self.fixed(2, 3);
                        self.vbr(w, 5);
                    }
                    W::Array => {
                        self.fixed(0, 1);
                        self.fixed(3, 3);
                    }
                    W::Char6 => {
                        self.fixed(0, 1);
                        self.fixed(4, 3);
                    }
                    W::Blob => {
                        self.fixed(0, 1);
                        self.fixed(5, 3);
                    }
                }
            }
        }

        pub(crate) fn unabbrev(&mut self, code: u64, ops: &[u64]) {
            self.fixed(u64::from(UNABBREV_RECORD), self.width);
            self.vbr(code, 6);
            self.vbr(ops.len() as u64, 6);
            for v in ops {
                self.vbr(*v, 6);
            }
        }

        pub(crate) fn abbrev_id(&mut self, id: u32) {
            self.fixed(u64::from(id), self.width);
        }

        pub(crate) fn char6_array(&mut self, s: &str) {
            self.vbr(s.len() as u64, 6);
            for b in s.bytes() {
                let v = CHAR6_ENC.iter().position(|c| *c == b).unwrap();
                self.fixed(v as u64, 6);
            }
        }

        pub(crate) fn blob(&mut self, bytes: &[u8]) {
            self.vbr(bytes.len() as u64, 6);
            self.align32();
            for b in bytes {
                self.fixed(u64::from(*b), 8);
            }
            self.align32();
        }

        pub(crate) fn finish(mut self) -> Vec<u8> {
            self.align32();
            self.out
        }
    }

    const CHAR6_ENC: &[u8; 64] =
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._";

    /// Walks a whole stream, entering every block; returns the entries or the first error.
    /// Bounded so a bug cannot loop forever.
    pub(crate) fn walk(data: &[u8]) -> Result<Vec<Entry<'_>>> {
        let mut c = BitstreamCursor::new(data);
        let mut out = Vec::new();
        for _ in 0..1_000_000 {
            let e = c.advance()?;
            let end = e == Entry::EndOfStream;
            out.push(e);
            if end {
                return Ok(out);
            }
        }
        panic!("walk did not terminate");
    }

    fn kind(r: Result<impl std::fmt::Debug>) -> ErrorKind {
        r.expect_err("expected an error").kind
    }

    #[test]
    fn fixed_and_vbr_reads() {
        let mut w = Writer::new();
        w.fixed(5, 3);
        w.fixed(u64::MAX, 64);
        w.vbr(u64::MAX, 6);
        w.vbr(0x1234_5678_9abc, 4);
        w.fixed(0x3f, 7);
        let data = w.finish();
        let mut r = BitReader::new(&data);
        assert_eq!(r.read_fixed(3).unwrap(), 5);
        assert_eq!(r.read_fixed(64).unwrap(), u64::MAX);
        assert_eq!(r.read_vbr(6).unwrap(), u64::MAX);
        assert_eq!(r.read_vbr(4).unwrap(), 0x1234_5678_9abc);
        assert_eq!(r.read_fixed(0).unwrap(), 0);
        assert_eq!(r.read_fixed(7).unwrap(), 0x3f);
        r.align32().unwrap();
        assert!(r.at_end());
        assert!(matches!(kind(r.read_fixed(1)), ErrorKind::Truncated { .. }));
        assert!(matches!(kind(r.read_fixed(65)), ErrorKind::Malformed(_)));
        assert!(matches!(kind(r.read_vbr(1)), ErrorKind::Malformed(_)));
        r.jump_to_bit(3).unwrap();
        assert_eq!(r.bit_pos(), 3);
        assert!(r.jump_to_bit(r.bit_len() + 1).is_err());
    }

    #[test]
    fn vbr_with_70_significant_bits_is_rejected() {
        // 14 chunks of vbr6 carry 70 bits; make the top chunk non-zero.
        let mut w = Writer::new();
        for _ in 0..13 {
            w.fixed(0x3f, 6);
        }
        w.fixed(0x1f, 6);
        let data = w.finish();
        let mut r = BitReader::new(&data);
        let e = r.read_vbr(6).unwrap_err();
        assert!(
            matches!(e.kind, ErrorKind::LimitExceeded { limit: 64, .. }),
            "{e:?}"
        );
        assert_eq!(r.bit_pos(), 0, "position restored on error");

        // 65 significant bits through a wide chunk: one 64-bit chunk then a 1-bit remainder.
        let mut w = Writer::new();
        w.fixed(u64::MAX, 64);
        w.fixed(u64::MAX, 64);
        let data = w.finish();
        assert!(BitReader::new(&data).read_vbr(64).is_err());

        // A run of zero-valued continuation chunks is cut off at 64 bits too.
        let mut w = Writer::new();
        for _ in 0..40 {
            w.fixed(0x20, 6);
        }
        w.fixed(0, 6);
        let data = w.finish();
        assert!(matches!(
            kind(BitReader::new(&data).read_vbr(6)),
            ErrorKind::LimitExceeded { .. }
        ));
    }

    /// A stream using every feature: BLOCKINFO, inherited and local abbrevs, char6 arrays,
    /// fixed arrays, blobs, literals, nested blocks, unabbreviated records.
    pub(crate) fn sample_stream() -> Vec<u8> {
        let mut w = Writer::new();
        w.enter(BLOCKINFO_BLOCK_ID, 2);
        w.unabbrev(BLOCKINFO_CODE_SETBID, &[9]);
        w.define(&[W::Lit(5), W::Array, W::Char6]);
        w.unabbrev(BLOCKINFO_CODE_BLOCKNAME, &[b'n' as u64]);
        w.end();
        w.enter(9, 4);
        w.abbrev_id(4); // inherited: code 5, char6 array
        w.char6_array("hello_world.c");
        w.define(&[W::Fixed(3), W::Vbr(6), W::Array, W::Fixed(8)]);
        w.abbrev_id(5);
        w.fixed(6, 3);
        w.vbr(1000, 6);
        w.vbr(3, 6);
        for b in [200u64, 0, 255] {
            w.fixed(b, 8);
        }
        w.define(&[W::Lit(7), W::Fixed(0), W::Blob]);
        w.abbrev_id(6);
        w.blob(b"blob!");
        w.enter(10, 3);
        w.unabbrev(1, &[1, 2, 3]);
        w.enter(11, 2);
        w.end();
        w.end();
        w.unabbrev(42, &[u64::MAX, 0]);
        w.end();
        w.finish()
    }

    #[test]
    fn walks_every_feature() {
        let data = sample_stream();
        let entries = walk(&data).unwrap();
        fn rec<'a>(
            code: u64,
            ops: &'a [u64],
            blob: Option<&'a [u8]>,
        ) -> impl Fn(&Entry<'_>) -> bool + 'a {
            move |e: &Entry<'_>| match e {
                Entry::Record(r) => r.code == code && r.ops == ops && r.blob == blob,
                _ => false,
            }
        }
        let mut it = entries.iter();
        assert!(matches!(
            it.next(),
            Some(Entry::SubBlock { block_id: 0, .. })
        ));
        assert!(rec(1, &[9], None)(it.next().unwrap()));
        assert!(rec(2, &[b'n' as u64], None)(it.next().unwrap()));
        assert_eq!(it.next(), Some(&Entry::EndBlock { block_id: 0 }));
        assert!(matches!(
            it.next(),
            Some(Entry::SubBlock { block_id: 9, .. })
        ));
        let hello: Vec<u64> = b"hello_world.c".iter().map(|b| u64::from(*b)).collect();
        assert!(rec(5, &hello, None)(it.next().unwrap()));
        assert!(rec(6, &[1000, 200, 0, 255], None)(it.next().unwrap()));
        assert!(rec(7, &[0], Some(b"blob!"))(it.next().unwrap()));
        assert!(matches!(
            it.next(),
            Some(Entry::SubBlock { block_id: 10, .. })
        ));
        assert!(rec(1, &[1, 2, 3], None)(it.next().unwrap()));
        assert!(matches!(
            it.next(),
            Some(Entry::SubBlock {
                block_id: 11,
                length_words: 1
            })
        ));
        assert_eq!(it.next(), Some(&Entry::EndBlock { block_id: 11 }));
        assert_eq!(it.next(), Some(&Entry::EndBlock { block_id: 10 }));
        assert!(rec(42, &[u64::MAX, 0], None)(it.next().unwrap()));
        assert_eq!(it.next(), Some(&Entry::EndBlock { block_id: 9 }));
        assert_eq!(it.next(), Some(&Entry::EndOfStream));
        assert_eq!(it.next(), None);
    }

    #[test]
    fn skip_block_uses_the_length_word() {
        let data = sample_stream();
        let mut c = BitstreamCursor::new(&data);
        assert!(matches!(
            c.advance().unwrap(),
            Entry::SubBlock { block_id: 0, .. }
        ));
        c.enter_block().unwrap();
        while c.advance().unwrap() != (Entry::EndBlock { block_id: 0 }) {}
        assert_eq!(c.block_info_abbrevs(9).len(), 1);
        assert!(matches!(
            c.advance().unwrap(),
            Entry::SubBlock { block_id: 9, .. }
        ));
        c.skip_block().unwrap();
        assert_eq!(c.depth(), 0);
        assert_eq!(c.advance().unwrap(), Entry::EndOfStream);
        // Nothing pending any more.
        assert!(c.skip_block().is_err());
        assert!(c.enter_block().is_err());
    }

    #[test]
    fn every_truncation_and_bit_flip_fails_cleanly() {
        let data = sample_stream();
        for len in 0..data.len() {
            let _ = walk(&data[..len]);
            // Inside a block, running out of data is always an error.
            if len > 4 && len < data.len() {
                let r = walk(&data[..len]);
                if let Ok(entries) = r {
                    // Only possible at a top-level block boundary.
                    assert!(
                        entries
                            .iter()
                            .filter(|e| matches!(e, Entry::SubBlock { .. }))
                            .count()
                            >= 1
                    );
                }
            }
        }
        for bit in 0..data.len() * 8 {
            let mut d = data.clone();
            d[bit / 8] ^= 1 << (bit % 8);
            let _ = walk(&d);
        }
    }

    #[test]
    fn a_million_nested_blocks_fail_fast() {
        let mut w = Writer::new();
        w.enter(8, 2);
        let one: Vec<u8> = w.finish();
        assert_eq!(one.len(), 8);
        let data: Vec<u8> = one.iter().copied().cycle().take(8 * 1_000_000).collect();
        let start = std::time::Instant::now();
        let e = walk(&data).unwrap_err();
        assert!(
            matches!(
                e.kind,
                ErrorKind::LimitExceeded {
                    what: "block nesting depth",
                    limit: 64
                }
            ),
            "{e:?}"
        );
        assert_eq!(e.offset, 64 * 8);
        assert!(start.elapsed().as_secs() < 5);
    }

    #[test]
    fn abbreviation_definitions_are_validated() {
        let check = |ops: &[W]| {
            let mut w = Writer::new();
            w.enter(9, 3);
            w.define(ops);
            w.end();
            walk(&w.finish()).map(|_| ())
        };
        check(&[W::Lit(1), W::Array, W::Fixed(8)]).unwrap();
        check(&[W::Lit(1), W::Fixed(64), W::Vbr(64), W::Blob]).unwrap();
        assert!(check(&[W::Lit(1), W::Array]).is_err(), "array last");
        assert!(check(&[W::Lit(1), W::Array, W::Fixed(8), W::Fixed(8)]).is_err());
        assert!(check(&[W::Lit(1), W::Array, W::Array, W::Fixed(8)]).is_err());
        assert!(check(&[W::Lit(1), W::Array, W::Blob]).is_err());
        assert!(check(&[W::Lit(1), W::Array, W::Lit(3)]).is_err());
        assert!(
            check(&[W::Lit(1), W::Array, W::Fixed(0)]).is_err(),
            "fixed(0) is a literal"
        );
        assert!(
            check(&[W::Lit(1), W::Blob, W::Fixed(8)]).is_err(),
            "blob not last"
        );
        assert!(
            check(&[W::Array, W::Fixed(8)]).is_err(),
            "code from an array"
        );
        assert!(check(&[W::Blob]).is_err());
        assert!(check(&[W::Lit(1), W::Fixed(65)]).is_err());
        assert!(check(&[W::Lit(1), W::Vbr(1)]).is_err());
        assert!(check(&[]).is_err(), "no operands");
        let many = vec![W::Lit(1); MAX_ABBREV_OPS + 1];
        assert!(matches!(
            kind(check(&many)),
            ErrorKind::LimitExceeded { .. }
        ));
        check(&many[..MAX_ABBREV_OPS]).unwrap();
        // Fixed(0) and Vbr(0) read as literal zeros.
        let mut w = Writer::new();
        w.enter(9, 3);
        w.define(&[W::Fixed(0), W::Vbr(0)]);
        w.abbrev_id(4);
        w.end();
        let data = w.finish();
        let entries = walk(&data).unwrap();
        assert!(matches!(&entries[1], Entry::Record(r) if r.code == 0 && r.ops == [0]));
    }

    #[test]
    fn abbreviation_count_is_capped() {
        let mut w = Writer::new();
        w.enter(9, 3);
        for _ in 0..=MAX_ABBREVS_PER_BLOCK {
            w.define(&[W::Lit(1)]);
        }
        w.end();
        let e = walk(&w.finish()).unwrap_err();
        assert!(
            matches!(e.kind, ErrorKind::LimitExceeded { limit: 65_536, .. }),
            "{e:?}"
        );
    }

    #[test]
    fn record_lengths_are_capped_and_checked_before_allocating() {
        // Announces 2^21 operands.
        let mut w = Writer::new();
        w.enter(9, 3);
        w.abbrev_id(UNABBREV_RECORD);
        w.vbr(1, 6);
        w.vbr(1 << 21, 6);
        let e = walk(&w.finish()).unwrap_err();
        assert!(matches!(e.kind, ErrorKind::LimitExceeded { .. }), "{e:?}");
        // Announces 10^6 operands (under the cap) with a few bytes left.
        let mut w = Writer::new();
        w.enter(9, 3);
        w.abbrev_id(UNABBREV_RECORD);
        w.vbr(1, 6);
        w.vbr(1_000_000, 6);
        let e = walk(&w.finish()).unwrap_err();
        assert!(matches!(e.kind, ErrorKind::Truncated { .. }), "{e:?}");
        // Same through an array abbreviation, and a blob running past the end.
        let mut w = Writer::new();
        w.enter(9, 3);
        w.define(&[W::Lit(1), W::Array, W::Char6]);
        w.abbrev_id(4);
        w.vbr(1_000_000, 6);
        assert!(matches!(
            kind(walk(&w.finish())),
            ErrorKind::Truncated { .. }
        ));
        let mut w = Writer::new();
        w.enter(9, 3);
        w.define(&[W::Lit(1), W::Blob]);
        w.abbrev_id(4);
        w.vbr(1_000_000, 6);
        assert!(matches!(
            kind(walk(&w.finish())),
            ErrorKind::Truncated { .. }
        ));
    }

    #[test]
    fn structural_errors() {
        // END_BLOCK at the top level.
        assert!(walk(&[0, 0, 0, 0]).is_err());
        // Undefined abbreviation id.
        let mut w = Writer::new();
        w.enter(9, 3);
        w.abbrev_id(4);
        assert!(matches!(kind(walk(&w.finish())), ErrorKind::Malformed(_)));
        // DEFINE_ABBREV in BLOCKINFO before SETBID.
        let mut w = Writer::new();
        w.enter(0, 2);
        w.define(&[W::Lit(1)]);
        w.end();
        assert!(matches!(kind(walk(&w.finish())), ErrorKind::Malformed(_)));
        // BLOCKINFO inside BLOCKINFO.
        let mut w = Writer::new();
        w.enter(0, 2);
        w.enter(0, 2);
        w.end();
        w.end();
        assert!(walk(&w.finish()).is_err());
        // Abbreviation id width 0 and 33.
        for width in [0, 33] {
            let mut w = Writer::new();
            w.fixed(1, 2);
            w.vbr(9, 8);
            w.vbr(width, 4);
            w.align32();
            w.fixed(0, 32);
            w.fixed(0, 32);
            assert!(walk(&w.finish()).is_err());
        }
        // Skipping a block whose length runs past the end.
        let mut w = Writer::new();
        w.enter(9, 2);
        w.end();
        let mut data = w.finish();
        data[4] = 0xff;
        let mut c = BitstreamCursor::new(&data);
        c.advance().unwrap();
        assert!(matches!(kind(c.skip_block()), ErrorKind::Truncated { .. }));
    }

    #[test]
    fn block_info_applies_to_blocks_entered_later() {
        let mut w = Writer::new();
        w.enter(8, 3);
        w.enter(0, 2);
        w.unabbrev(BLOCKINFO_CODE_SETBID, &[8]);
        w.define(&[W::Lit(77), W::Fixed(4)]);
        w.end();
        w.enter(8, 3);
        w.abbrev_id(4);
        w.fixed(9, 4);
        w.end();
        w.abbrev_id(4); // the outer block 8 did not get the abbreviation
        w.end();
        let data = w.finish();
        let mut c = BitstreamCursor::new(&data);
        let mut records = Vec::new();
        let err = loop {
            match c.advance() {
                Ok(Entry::Record(r)) => records.push((c.block_id(), r.code, r.ops)),
                Ok(Entry::EndOfStream) => panic!("expected an error"),
                Ok(_) => {}
                Err(e) => break e,
            }
        };
        assert_eq!(records, vec![(Some(0), 1, vec![8]), (Some(8), 77, vec![9])]);
        assert_eq!(err.kind, ErrorKind::Malformed("undefined abbreviation id"));
        assert_eq!(c.depth(), 1);
    }

    #[test]
    fn char6_and_ops_as_bytes() {
        assert_eq!(decode_char6(0), Some(b'a'));
        assert_eq!(decode_char6(51), Some(b'Z'));
        assert_eq!(decode_char6(62), Some(b'.'));
        assert_eq!(decode_char6(63), Some(b'_'));
        assert_eq!(decode_char6(64), None);
        let r = Record {
            abbrev_id: 3,
            code: 1,
            ops: vec![104, 105, 256],
            blob: None,
        };
        assert_eq!(r.ops_as_bytes(0), None);
        let r = Record {
            abbrev_id: 3,
            code: 1,
            ops: vec![104, 105],
            blob: None,
        };
        assert_eq!(r.ops_as_bytes(0).unwrap(), b"hi");
        assert_eq!(r.ops_as_bytes(5).unwrap(), b"");
    }
}
