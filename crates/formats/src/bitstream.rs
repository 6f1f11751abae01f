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

use crate::Result;

mod reader;

pub use reader::BitReader;
use reader::{limit, malformed};

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

/// One step of a walk, as [`BitstreamCursor::advance_ref`] returns it: like [`Entry`], but a
/// record is borrowed from the cursor, whose operand buffer is reused from record to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryRef<'c, 'a> {
    /// A sub-block starts (see [`Entry::SubBlock`]).
    SubBlock {
        /// Block id.
        block_id: u64,
        /// Length of the block's body in 32-bit words, as stated by the stream.
        length_words: u32,
    },
    /// The current block ended; the cursor is back in its parent.
    EndBlock {
        /// Id of the block that ended.
        block_id: u64,
    },
    /// A record of the current block, valid until the cursor moves on.
    Record(&'c Record<'a>),
    /// No bits are left and no block is open.
    EndOfStream,
}

/// What one step of the cursor read; a record is left in `BitstreamCursor::record`.
#[derive(Debug, Clone, Copy)]
enum Step {
    SubBlock { block_id: u64, length_words: u32 },
    EndBlock { block_id: u64 },
    Record,
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
    /// The last record read; its operand buffer is reused.
    record: Record<'a>,
    /// An empty abbreviation list, shared by blocks that `BLOCKINFO` gave nothing.
    no_abbrevs: Arc<[Abbrev]>,
}

impl<'a> BitstreamCursor<'a> {
    /// A cursor at the start of `data`, at the top level (2-bit abbreviation ids).
    pub fn new(data: &'a [u8]) -> Self {
        let no_abbrevs: Arc<[Abbrev]> = Arc::from(Vec::new());
        BitstreamCursor {
            bits: BitReader::new(data),
            width: TOP_LEVEL_ABBREV_WIDTH,
            abbrevs: AbbrevSet::new(Arc::clone(&no_abbrevs)),
            scopes: Vec::new(),
            block_info: BTreeMap::new(),
            builder: None,
            pending: None,
            record: Record {
                abbrev_id: UNABBREV_RECORD,
                code: 0,
                ops: Vec::new(),
                blob: None,
            },
            no_abbrevs,
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
        Ok(match self.step()? {
            Step::SubBlock {
                block_id,
                length_words,
            } => Entry::SubBlock {
                block_id,
                length_words,
            },
            Step::EndBlock { block_id } => Entry::EndBlock { block_id },
            Step::Record => Entry::Record(self.record.clone()),
            Step::EndOfStream => Entry::EndOfStream,
        })
    }

    /// Reads the next entry, as [`advance`](Self::advance) does, but lends a record instead of
    /// returning an owned copy: a full walk then allocates nothing per record.
    ///
    /// # Errors
    /// As [`advance`](Self::advance).
    pub fn advance_ref(&mut self) -> Result<EntryRef<'_, 'a>> {
        Ok(match self.step()? {
            Step::SubBlock {
                block_id,
                length_words,
            } => EntryRef::SubBlock {
                block_id,
                length_words,
            },
            Step::EndBlock { block_id } => EntryRef::EndBlock { block_id },
            Step::Record => EntryRef::Record(&self.record),
            Step::EndOfStream => EntryRef::EndOfStream,
        })
    }

    fn step(&mut self) -> Result<Step> {
        if self.pending.is_some() {
            self.enter_block()?;
        }
        loop {
            if self.scopes.is_empty() && self.bits.at_end() {
                return Ok(Step::EndOfStream);
            }
            let at = self.bits.bit_pos();
            let id = self.bits.read_fixed(self.width)?;
            let id = u32::try_from(id).map_err(|_| malformed(at, "abbreviation id too wide"))?;
            match id {
                END_BLOCK => return self.end_block(at),
                ENTER_SUBBLOCK => return self.read_block_header(),
                DEFINE_ABBREV => self.define_abbrev(at)?,
                _ => {
                    self.read_record(id, at)?;
                    self.note_block_info_record(at)?;
                    return Ok(Step::Record);
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
            None => Arc::clone(&self.no_abbrevs),
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

    fn read_block_header(&mut self) -> Result<Step> {
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
        Ok(Step::SubBlock {
            block_id,
            length_words,
        })
    }

    fn end_block(&mut self, at: u64) -> Result<Step> {
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
        Ok(Step::EndBlock {
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

    fn note_block_info_record(&mut self, at: u64) -> Result<()> {
        if self.record.code != BLOCKINFO_CODE_SETBID || !self.in_block_info() {
            return Ok(());
        }
        let bid = *self
            .record
            .ops
            .first()
            .ok_or_else(|| malformed(at, "SETBID without a block id"))?;
        if let Some(builder) = self.builder.as_mut() {
            builder.current = Some(bid);
        }
        Ok(())
    }

    /// Reads a record into `self.record`, reusing its operand buffer.
    fn read_record(&mut self, abbrev_id: u32, at: u64) -> Result<()> {
        let bits = &mut self.bits;
        let record = &mut self.record;
        record.abbrev_id = abbrev_id;
        record.ops.clear();
        record.blob = None;
        if abbrev_id == UNABBREV_RECORD {
            record.code = bits.read_vbr(6)?;
            let count_at = bits.bit_pos();
            let count = bits.read_vbr(6)?;
            return read_array(bits, AbbrevOp::Vbr(6), count, count_at, &mut record.ops);
        }
        let abbrev = self
            .abbrevs
            .get(abbrev_id)
            .ok_or_else(|| malformed(at, "undefined abbreviation id"))?;
        read_abbreviated(bits, abbrev, at, record)
    }
}

/// Reads one fixed, VBR or char6 field.
#[inline(always)]
fn read_scalar(bits: &mut BitReader<'_>, op: AbbrevOp) -> Result<u64> {
    match op {
        AbbrevOp::Fixed(w) => bits.read_fixed(w),
        AbbrevOp::Vbr(w) => bits.read_vbr(w),
        AbbrevOp::Char6 => read_char6(bits),
        AbbrevOp::Literal(v) => Ok(v),
        AbbrevOp::Array | AbbrevOp::Blob => {
            Err(malformed(bits.bit_pos(), "array or blob used as a field"))
        }
    }
}

/// Reads a char6 field, decoded to ASCII.
#[inline]
fn read_char6(bits: &mut BitReader<'_>) -> Result<u64> {
    let at = bits.bit_pos();
    let v = bits.read_fixed(6)?;
    decode_char6(v)
        .map(u64::from)
        .ok_or_else(|| malformed(at, "char6 out of range"))
}

/// Reads `count` fields encoded as `elt` onto `out`, checking the count against
/// [`MAX_RECORD_OPS`] (with the operands already in `out`) and against the bits left before
/// reserving room.
#[inline]
fn read_array(
    bits: &mut BitReader<'_>,
    elt: AbbrevOp,
    count: u64,
    count_at: u64,
    out: &mut Vec<u64>,
) -> Result<()> {
    let room = MAX_RECORD_OPS.saturating_sub(out.len());
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
    out.reserve(count.min(PREALLOC_OPS));
    match elt {
        AbbrevOp::Vbr(w) => bits.read_vbr_into(w, count, out)?,
        AbbrevOp::Fixed(w) => {
            for _ in 0..count {
                out.push(bits.read_fixed(w)?);
            }
        }
        AbbrevOp::Char6 => {
            for _ in 0..count {
                out.push(read_char6(bits)?);
            }
        }
        _ => {
            for _ in 0..count {
                out.push(read_scalar(bits, elt)?);
            }
        }
    }
    Ok(())
}

/// Reads a record laid out by `abbrev` into `record` (whose operands are empty).
fn read_abbreviated<'a>(
    bits: &mut BitReader<'a>,
    abbrev: &Abbrev,
    at: u64,
    record: &mut Record<'a>,
) -> Result<()> {
    let (first, rest) = abbrev
        .ops
        .split_first()
        .ok_or_else(|| malformed(at, "abbreviation with no operands"))?;
    record.code = read_scalar(bits, *first)?;
    let ops = &mut record.ops;
    ops.reserve(rest.len().min(PREALLOC_OPS));
    let mut iter = rest.iter();
    while let Some(&op) = iter.next() {
        match op {
            AbbrevOp::Array => {
                let elt = *iter
                    .next()
                    .ok_or_else(|| malformed(at, "array without element"))?;
                let count_at = bits.bit_pos();
                let count = bits.read_vbr(6)?;
                read_array(bits, elt, count, count_at, ops)?;
            }
            AbbrevOp::Blob => record.blob = Some(read_blob(bits)?),
            scalar => {
                if ops.len() >= MAX_RECORD_OPS {
                    return Err(limit(at, "operands in one record", MAX_RECORD_OPS));
                }
                ops.push(read_scalar(bits, scalar)?);
            }
        }
    }
    Ok(())
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
pub(crate) mod tests;
