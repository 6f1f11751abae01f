//! Feature scan: every version-dependent bitcode feature a module uses, in the order an LLVM
//! reader meets them.
//!
//! An LLVM bitcode reader stops at the first thing it does not understand (an unknown attribute
//! kind, type code, instruction code, a record with an operand it does not expect…). To predict
//! which reader versions load a file, and which feature stops the others, [`scan`] walks the
//! *whole* file (every block, nested ones included) and lists each distinct feature once, at its
//! first occurrence, in reader order. Mapping features to LLVM versions is not done here.
//!
//! # Feature names
//!
//! | name | meaning |
//! |---|---|
//! | `block:<ID>` | a block with this id, anywhere (e.g. `block:26` sync-scope names, `block:21` operand-bundle tags) |
//! | `module:<C>` | a `MODULE_BLOCK` (8) record code |
//! | `attr-encoding:<E>` | first use of attribute encoding `E` ≥ 5 in a `PARAMATTR_GROUP_BLOCK` (10) entry (5, 6: type; 7: constant range; 8: constant-range list) |
//! | `attr:<N>` | attribute kind `N` with encoding 0 (enum), 1 (int), 5/6 (type), 7, 8; `detail` is the encoding name. String attributes are not features |
//! | `type:<C>` | a `TYPE_BLOCK_ID_NEW` (17) record code (25 opaque pointer, 26 target extension type…) |
//! | `const:<C>` | a `CONSTANTS_BLOCK` (11) record code |
//! | `metadata:<C>` | a record code of `METADATA_BLOCK` (15), `METADATA_ATTACHMENT` (16) or `METADATA_KIND_BLOCK` (22) (one code space) |
//! | `inst:<C>` | a `FUNCTION_BLOCK` (12) record code (61-65: debug records of LLVM 19) |
//! | `cast:<OP>` | a cast opcode (`CAST_*`: 13 is `ptrtoaddr`) in an instruction or a constant expression |
//! | `atomicrmw:<OP>` | an `atomicrmw` operation (`RMW_*`: 13+ are fmax, fmin, uinc_wrap…) |
//! | `flag:<name>` | an instruction flag carried by an operand old readers do not expect; see below |
//!
//! Flags decoded (operand positions as the writer lays them out in
//! `ModuleBitcodeWriter::writeInstruction`, values from `getOptimizationFlags`; abbreviated and
//! unabbreviated records hold the same operands):
//!
//! - `flag:cast-nneg`: `FUNC_CODE_INST_CAST` `[val, ty?, destty, opc, flags]`, `zext` or `uitofp`
//!   with bit `PNNI_NON_NEG` (0) of `flags`.
//! - `flag:cast-trunc-nuw-nsw`: same record, `trunc` with bit `TIO_NO_UNSIGNED_WRAP` (0) or
//!   `TIO_NO_SIGNED_WRAP` (1).
//! - `flag:cast-fmf`: same record, fast-math flags on a floating-point cast (`fptrunc`, `fpext`,
//!   `sitofp`: the whole `flags`; `uitofp`: `flags >> 1`, bit 0 being `nneg`).
//! - `flag:cast-flags-other`: a flags operand on any other cast (no writer emits one).
//! - `flag:binop-disjoint`: `FUNC_CODE_INST_BINOP` `[lhs, ty?, rhs, opc, flags]`, `or` with bit
//!   `PDI_DISJOINT` (0).
//! - `flag:gep-flags`: `FUNC_CODE_INST_GEP` `[flags, srcty, ptr, ty?, idx…]`: operand 0 was a
//!   0/1 `inbounds` before LLVM 19 and is now `GEP_INBOUNDS` (0) | `GEP_NUSW` (1) | `GEP_NUW` (2);
//!   since `inbounds` implies `nusw`, 0, 1 and 3 mean what they always meant and any other value
//!   uses the new flags.
//! - `flag:icmp-samesign`: `FUNC_CODE_INST_CMP2` (or `CMP`) `[lhs, ty?, rhs, pred, flags]` with
//!   an integer predicate (32-41) and a `flags` operand (bit `ICMP_SAME_SIGN`, 0). Readers before
//!   the flag rejected an `icmp` record with an operand after the predicate.
//! - `flag:dilocation-atoms`: `METADATA_LOCATION` with more than 6 operands (`atomGroup`,
//!   `atomRank` of key instructions); older metadata loaders accept only 5 or 6.
//! - `flag:memory-attr-v<V>`: the `memory` int attribute (kind 86) whose value carries encoding
//!   version `V` ≥ 1 in its top byte (new memory locations); older readers read it as version 0.
//!
//! `ty?` is the type id that `pushValueAndType` adds after a value operand only for a forward
//! reference. With relative value ids (module version ≥ 1) the value operand is `InstID - ValID`
//! as a 32-bit unsigned number, so a forward reference is exactly 0 or ≥ 2³¹ (for modules with
//! fewer than 2³¹ values). For absolute ids (module version 0, LLVM < 3.3) flags are not decoded.
//!
//! # Reader order
//!
//! From `BitcodeReader.cpp` (`getBitcodeFileContents`, `BitcodeModule::getModuleImpl`,
//! `parseModule`, `materializeModule`) for a whole-module load as `llvm-dis` does it
//! (`getLazyModule` without lazy metadata, then `materializeAll`; `parseBitcodeFile` does the
//! same):
//!
//! 1. The top level is scanned first: identification, module (skipped by length), string table
//!    and symbol table blocks, in file order. Their block ids come first.
//! 2. For each module in file order: its `IDENTIFICATION` block, then `parseModule` reads the
//!    module block in file order (attribute groups, types, module records, constants, metadata
//!    kinds, metadata: with lazy metadata off, `METADATA_BLOCK` is parsed where it is met,
//!    operand-bundle tags, sync-scope names) up to the first `FUNCTION_BLOCK`.
//! 3. At the first function block (`SeenFirstFunctionBody`): if a `VSTOFFSET` record was seen,
//!    the module-level value symbol table is parsed *now*, by jumping to it (it is written after
//!    the function blocks); then the function body is remembered and skipped and, the symbol table
//!    having been seen, `parseModule` returns. `materializeModule` then parses every function body
//!    in module order (the order of the function records, which is the order the writer emits the
//!    bodies in), and finally resumes `parseModule` after the last function block for the rest
//!    of the module (the symbol table is skipped then, the rest read in file order).
//!    The same happens when the symbol table block itself came before the first function block
//!    (files older than `VSTOFFSET`), without the jump.
//! 4. Otherwise (no `VSTOFFSET`, no symbol table yet) `parseModule` skips the function bodies and
//!    reads everything else in the module to its end; the bodies are parsed afterwards.
//!
//! So: top-level block ids; then per module: identification, module entries before the first
//! function block, [forward-declared symbol table, function bodies, rest of the module] or [rest
//! of the module, function bodies]. Inside a block, entries are in file order. Function bodies
//! are taken in file order (a hand-made file whose symbol table lists bodies out of order would
//! differ).
//!
//! The scan itself reads the stream once, in file order, and sorts what it finds into those
//! segments. On malformed input it stops, keeps what it found (in reader order) and sets
//! [`FeatureScan::truncated_by`].

use std::collections::HashSet;

use super::{unwrap, IDENTIFICATION_BLOCK_ID, MODULE_BLOCK_ID};
use crate::bitstream::{BitstreamCursor, EntryRef, Record};
use crate::sniff::BITCODE_MAGIC;
use crate::{Error, ErrorKind, Format, Result};

/// A version-dependent bitcode feature, named by a stable string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureUse {
    /// Stable name, e.g. `attr:86`, `inst:61`, `flag:cast-nneg` (see the module documentation).
    pub feature: String,
    /// Id of the block holding the record (or, for `block:<ID>`, of the block itself).
    pub block_id: u64,
    /// Byte offset in the input of the record or block header, rounded down.
    pub byte_offset: u64,
    /// Extra information on the first occurrence (attribute encoding, flag value…).
    pub detail: Option<String>,
}

/// What [`scan`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeatureScan {
    /// Distinct features, each at its first occurrence, in the order a reader meets them.
    pub uses: Vec<FeatureUse>,
    /// Bitcode epoch from the first `IDENTIFICATION` block.
    pub epoch: Option<u64>,
    /// Producer string from the first `IDENTIFICATION` block, e.g. `LLVM19.1.7`.
    pub identification_producer: Option<String>,
    /// `MODULE_CODE_VERSION` of the first module.
    pub module_version: Option<u64>,
    /// The error that stopped the walk early on malformed input, if any.
    pub truncated_by: Option<Error>,
}

// Block ids (LLVMBitCodes.h, `BlockIDs`).
const PARAMATTR_GROUP_BLOCK_ID: u64 = 10;
const CONSTANTS_BLOCK_ID: u64 = 11;
const FUNCTION_BLOCK_ID: u64 = 12;
const VALUE_SYMTAB_BLOCK_ID: u64 = 14;
const METADATA_BLOCK_ID: u64 = 15;
const METADATA_ATTACHMENT_ID: u64 = 16;
const TYPE_BLOCK_ID_NEW: u64 = 17;
const METADATA_KIND_BLOCK_ID: u64 = 22;

// Record codes.
const IDENTIFICATION_CODE_STRING: u64 = 1;
const IDENTIFICATION_CODE_EPOCH: u64 = 2;
const MODULE_CODE_VERSION: u64 = 1;
const MODULE_CODE_VSTOFFSET: u64 = 13;
const PARAMATTR_GRP_CODE_ENTRY: u64 = 3;
const CST_CODE_CE_CAST: u64 = 11;
const METADATA_LOCATION: u64 = 7;
const FUNC_CODE_INST_BINOP: u64 = 2;
const FUNC_CODE_INST_ALLOCA: u64 = 19;
const FUNC_CODE_INST_CAST: u64 = 3;
const FUNC_CODE_INST_CMP: u64 = 9;
const FUNC_CODE_INST_CMP2: u64 = 28;
const FUNC_CODE_INST_ATOMICRMW_OLD: u64 = 38;
const FUNC_CODE_INST_GEP: u64 = 43;
const FUNC_CODE_INST_ATOMICRMW: u64 = 59;

// Operand values.
const CAST_TRUNC: u64 = 0;
const CAST_ZEXT: u64 = 1;
const CAST_UITOFP: u64 = 5;
const CAST_SITOFP: u64 = 6;
const CAST_FPTRUNC: u64 = 7;
const CAST_FPEXT: u64 = 8;
const BINOP_OR: u64 = 11;
const ICMP_FIRST: u64 = 32;
const ICMP_LAST: u64 = 41;
const ATTR_KIND_MEMORY: u64 = 86;
/// `uwtable`: an enum attribute until LLVM 15 made it an int (`uwtable(sync)`).
const ATTR_KIND_UW_TABLE: u64 = 33;

/// A feature while scanning: cheap to hash, turned into its string name at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Block(u64),
    Module(u64),
    AttrEncoding(u64),
    Attr(u64),
    Type(u64),
    Const(u64),
    Metadata(u64),
    Inst(u64),
    Cast(u64),
    AtomicRmw(u64),
    Flag(&'static str),
    MemoryAttrVersion(u64),
}

impl Key {
    /// Index of the kind and the number, for keys kept in a [`SeenSet`] bitmap.
    fn small(self) -> Option<(usize, u64)> {
        let (kind, v) = match self {
            Key::Block(v) => (0, v),
            Key::Module(v) => (1, v),
            Key::AttrEncoding(v) => (2, v),
            Key::Attr(v) => (3, v),
            Key::Type(v) => (4, v),
            Key::Const(v) => (5, v),
            Key::Metadata(v) => (6, v),
            Key::Inst(v) => (7, v),
            Key::Cast(v) => (8, v),
            Key::AtomicRmw(v) => (9, v),
            Key::Flag(_) | Key::MemoryAttrVersion(_) => return None,
        };
        (v < SMALL_LIMIT).then_some((kind, v))
    }

    fn name(self) -> String {
        match self {
            Key::Block(v) => format!("block:{v}"),
            Key::Module(v) => format!("module:{v}"),
            Key::AttrEncoding(v) => format!("attr-encoding:{v}"),
            Key::Attr(v) => format!("attr:{v}"),
            Key::Type(v) => format!("type:{v}"),
            Key::Const(v) => format!("const:{v}"),
            Key::Metadata(v) => format!("metadata:{v}"),
            Key::Inst(v) => format!("inst:{v}"),
            Key::Cast(v) => format!("cast:{v}"),
            Key::AtomicRmw(v) => format!("atomicrmw:{v}"),
            Key::Flag(f) => format!("flag:{f}"),
            Key::MemoryAttrVersion(v) => format!("flag:memory-attr-v{v}"),
        }
    }
}

/// Numbers below this are kept in a bitmap (one per key kind) rather than hashed.
const SMALL_LIMIT: u64 = 256;
const SMALL_KINDS: usize = 10;
const SMALL_WORDS: usize = SMALL_KINDS * 4;

/// A set of keys: a bitmap for the common small ones (record codes), a hash set for the rest.
#[derive(Debug)]
struct SeenSet {
    bits: [u64; SMALL_WORDS],
    other: HashSet<Key>,
}

impl Default for SeenSet {
    fn default() -> Self {
        SeenSet {
            bits: [0; SMALL_WORDS],
            other: HashSet::new(),
        }
    }
}

impl SeenSet {
    /// Adds `key`; true if it was not there.
    fn insert(&mut self, key: Key) -> bool {
        let Some((kind, v)) = key.small() else {
            return self.other.insert(key);
        };
        let word = kind
            .checked_mul(4)
            .and_then(|w| w.checked_add(usize::try_from(v >> 6).ok()?));
        match word.and_then(|w| self.bits.get_mut(w)) {
            Some(bits) => {
                let mask = 1u64 << (v & 63);
                let new = *bits & mask == 0;
                *bits |= mask;
                new
            }
            None => self.other.insert(key),
        }
    }
}

/// A first occurrence within one segment.
#[derive(Debug, Clone)]
struct Found {
    key: Key,
    block_id: u64,
    byte_offset: u64,
    detail: Option<String>,
}

/// Features of one stretch of reader order, deduplicated within it.
#[derive(Debug, Default)]
struct Segment {
    found: Vec<Found>,
    seen: SeenSet,
}

impl Segment {
    fn note(
        &mut self,
        key: Key,
        block_id: u64,
        byte_offset: u64,
        detail: impl FnOnce() -> Option<String>,
    ) {
        if self.seen.insert(key) {
            self.found.push(Found {
                key,
                block_id,
                byte_offset,
                detail: detail(),
            });
        }
    }
}

/// Where in reader order an entry of a module falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seg {
    /// Top-level blocks and anything outside a module.
    TopLevel,
    /// The identification block before the module.
    Ident,
    /// Module entries before the first function block.
    Pre,
    /// Module-level value symbol table read early through `VSTOFFSET`.
    Vst,
    /// Function bodies.
    Funcs,
    /// Module entries after the first function block.
    Post,
}

/// Segments of one module.
#[derive(Debug, Default)]
struct ModuleSegments {
    ident: Segment,
    pre: Segment,
    vst: Segment,
    funcs: Segment,
    post: Segment,
    seen_first_function: bool,
    /// `parseModule` returns at the first function block (VSTOFFSET or VST seen before it).
    returns_at_first_function: bool,
    vstoffset: bool,
    relative_ids: bool,
}

impl ModuleSegments {
    /// Segments in reader order.
    fn in_reader_order(self) -> Vec<Segment> {
        if self.returns_at_first_function {
            vec![self.ident, self.pre, self.vst, self.funcs, self.post]
        } else {
            vec![self.ident, self.pre, self.vst, self.post, self.funcs]
        }
    }
}

/// State of the walk.
#[derive(Debug, Default)]
struct Scanner {
    top: Segment,
    modules: Vec<ModuleSegments>,
    /// Identification block content waiting for its module.
    pending_ident: Option<Segment>,
    /// Open blocks: id and segment.
    stack: Vec<(u64, Seg)>,
    base: u64,
    epoch: Option<u64>,
    producer: Option<String>,
    module_version: Option<u64>,
}

/// Walks `data` (raw bitcode or bitcode in a wrapper) and lists its version-dependent features
/// in reader order (see the module documentation).
///
/// # Errors
/// Only when `data` is not bitcode at all: [`ErrorKind::BadMagic`] for a missing magic,
/// [`ErrorKind::Truncated`] for a wrapper header that points past the end. Anything malformed
/// after the magic stops the walk and is reported in [`FeatureScan::truncated_by`].
pub fn scan(data: &[u8]) -> Result<FeatureScan> {
    let (_, bitcode, base) = unwrap(data)?;
    if !bitcode.starts_with(&BITCODE_MAGIC) {
        return Err(Error::new(Format::Bitcode, base, ErrorKind::BadMagic));
    }
    let mut scanner = Scanner {
        base,
        ..Scanner::default()
    };
    let truncated_by = scanner.walk(bitcode).err().map(|e| e.rebased(base));
    Ok(scanner.finish(truncated_by))
}

impl Scanner {
    fn walk(&mut self, data: &[u8]) -> Result<()> {
        let mut cursor = BitstreamCursor::at_bit(data, 32)?;
        loop {
            let at = cursor.bit_pos() >> 3;
            match cursor.advance_ref()? {
                EntryRef::SubBlock { block_id, .. } => {
                    self.enter(block_id, at);
                    cursor.enter_block()?;
                }
                EntryRef::EndBlock { .. } => {
                    self.stack.pop();
                }
                EntryRef::Record(record) => self.record(record, at),
                EntryRef::EndOfStream => return Ok(()),
            }
        }
    }

    fn offset(&self, byte: u64) -> u64 {
        byte.saturating_add(self.base)
    }

    fn segment(&mut self, seg: Seg) -> &mut Segment {
        let module = match seg {
            Seg::TopLevel => return &mut self.top,
            Seg::Ident => return self.pending_ident.get_or_insert_with(Segment::default),
            _ => match self.modules.last_mut() {
                Some(m) => m,
                None => return &mut self.top,
            },
        };
        match seg {
            Seg::Pre => &mut module.pre,
            Seg::Vst => &mut module.vst,
            Seg::Funcs => &mut module.funcs,
            Seg::Post => &mut module.post,
            Seg::TopLevel | Seg::Ident => &mut module.ident,
        }
    }

    /// Segment of entries directly inside the current module block.
    fn module_level_seg(&self) -> Seg {
        match self.modules.last() {
            Some(m) if m.seen_first_function => Seg::Post,
            _ => Seg::Pre,
        }
    }

    /// A sub-block header at byte `at`: notes `block:<id>` and opens its segment.
    fn enter(&mut self, block_id: u64, at: u64) {
        let offset = self.offset(at);
        let parent = self.stack.last().copied();
        let (note_in, inner) = match parent {
            None => {
                let inner = match block_id {
                    MODULE_BLOCK_ID => {
                        let mut module = ModuleSegments::default();
                        if let Some(ident) = self.pending_ident.take() {
                            module.ident = ident;
                        }
                        self.modules.push(module);
                        Seg::Pre
                    }
                    IDENTIFICATION_BLOCK_ID => {
                        self.pending_ident = Some(Segment::default());
                        Seg::Ident
                    }
                    _ => Seg::TopLevel,
                };
                (Seg::TopLevel, inner)
            }
            Some((MODULE_BLOCK_ID, _)) => {
                let here = self.module_level_seg();
                match (block_id, self.modules.last_mut()) {
                    (FUNCTION_BLOCK_ID, Some(m)) => {
                        if !m.seen_first_function {
                            m.seen_first_function = true;
                            m.returns_at_first_function |= m.vstoffset;
                        }
                        (here, Seg::Funcs)
                    }
                    (VALUE_SYMTAB_BLOCK_ID, Some(m)) => {
                        if !m.seen_first_function {
                            // parseModule will return at the first function block.
                            m.returns_at_first_function = true;
                            (here, here)
                        } else if m.vstoffset {
                            (Seg::Vst, Seg::Vst)
                        } else {
                            (here, here)
                        }
                    }
                    _ => (here, here),
                }
            }
            Some((_, seg)) => (seg, seg),
        };
        self.segment(note_in)
            .note(Key::Block(block_id), block_id, offset, || None);
        self.stack.push((block_id, inner));
    }

    fn record(&mut self, record: &Record<'_>, at: u64) {
        let Some(&(block_id, seg)) = self.stack.last() else {
            return;
        };
        let offset = self.offset(at);
        match block_id {
            IDENTIFICATION_BLOCK_ID => self.identification(record),
            MODULE_BLOCK_ID => {
                if record.code == MODULE_CODE_VERSION {
                    let version = record.ops.first().copied();
                    if self.modules.len() == 1 && self.module_version.is_none() {
                        self.module_version = version;
                    }
                    if let Some(m) = self.modules.last_mut() {
                        m.relative_ids = version.is_some_and(|v| v >= 1);
                    }
                }
                if record.code == MODULE_CODE_VSTOFFSET {
                    if let Some(m) = self.modules.last_mut() {
                        // The reader uses the offset only if `Record[0] - 1 > 0`.
                        if !m.seen_first_function && record.ops.first().is_some_and(|v| *v > 1) {
                            m.vstoffset = true;
                        }
                    }
                }
                self.segment(seg)
                    .note(Key::Module(record.code), block_id, offset, || None);
            }
            PARAMATTR_GROUP_BLOCK_ID if record.code == PARAMATTR_GRP_CODE_ENTRY => {
                attribute_group(self.segment(seg), record, offset);
            }
            TYPE_BLOCK_ID_NEW => {
                self.segment(seg)
                    .note(Key::Type(record.code), block_id, offset, || None);
            }
            CONSTANTS_BLOCK_ID => {
                let s = self.segment(seg);
                s.note(Key::Const(record.code), block_id, offset, || None);
                if record.code == CST_CODE_CE_CAST {
                    // CE_CAST: [opcode, opty, opval] (writeConstants).
                    if let Some(&opc) = record.ops.first() {
                        s.note(Key::Cast(opc), block_id, offset, || None);
                    }
                }
            }
            METADATA_BLOCK_ID | METADATA_ATTACHMENT_ID | METADATA_KIND_BLOCK_ID => {
                let s = self.segment(seg);
                s.note(Key::Metadata(record.code), block_id, offset, || None);
                // writeDILocation: [distinct, line, col, scope, inlinedAt, implicit, atomGroup,
                // atomRank]; readers before key instructions accept 5 or 6 operands only.
                if block_id == METADATA_BLOCK_ID
                    && record.code == METADATA_LOCATION
                    && record.ops.len() > 6
                {
                    s.note(Key::Flag("dilocation-atoms"), block_id, offset, || {
                        Some(format!("{} operands", record.ops.len()))
                    });
                }
            }
            FUNCTION_BLOCK_ID => {
                let relative = self.modules.last().is_some_and(|m| m.relative_ids);
                instruction(self.segment(seg), record, offset, relative);
            }
            _ => {}
        }
    }

    fn identification(&mut self, record: &Record<'_>) {
        if !self.modules.is_empty() {
            // Only the identification of the first module is reported.
            return;
        }
        match record.code {
            IDENTIFICATION_CODE_STRING if self.producer.is_none() => {
                let bytes = match record.blob {
                    Some(blob) if record.ops.is_empty() => Some(blob.to_vec()),
                    _ => record.ops_as_bytes(0),
                };
                if let Some(bytes) = bytes {
                    self.producer = Some(String::from_utf8_lossy(&bytes).into_owned());
                }
            }
            IDENTIFICATION_CODE_EPOCH if self.epoch.is_none() => {
                self.epoch = record.ops.first().copied();
            }
            _ => {}
        }
    }

    fn finish(self, truncated_by: Option<Error>) -> FeatureScan {
        let mut segments = vec![self.top];
        for module in self.modules {
            segments.extend(module.in_reader_order());
        }
        if let Some(ident) = self.pending_ident {
            segments.push(ident);
        }
        let mut seen = SeenSet::default();
        let mut uses = Vec::new();
        for found in segments.into_iter().flat_map(|s| s.found) {
            if seen.insert(found.key) {
                uses.push(FeatureUse {
                    feature: found.key.name(),
                    block_id: found.block_id,
                    byte_offset: found.byte_offset,
                    detail: found.detail,
                });
            }
        }
        FeatureScan {
            uses,
            epoch: self.epoch,
            identification_producer: self.producer,
            module_version: self.module_version,
            truncated_by,
        }
    }
}

/// Decodes a `PARAMATTR_GRP_CODE_ENTRY` record `[grpid, idx, attr…]` the way
/// `BitcodeReader::parseAttributeGroupBlock` does: for each attribute, the encoding is checked
/// first (an unknown one is "Invalid attribute group entry"), then the kind ("Unknown attribute
/// kind"). Layouts (`writeAttributeGroupTable`): 0 `[0, kind]`; 1 `[1, kind, value]`;
/// 3 `[3, key…, 0]`; 4 `[4, key…, 0, value…, 0]`; 5 `[5, kind]`; 6 `[6, kind, type]`;
/// 7 `[7, kind, bitwidth, range]`; 8 `[8, kind, count, bitwidth, count × range]`, where a range
/// is `[lower, upper]` for bit widths up to 64, else `[words, lower words…, upper words…]` with
/// the word counts packed as `lower | upper << 32`. Stops at anything it cannot step over.
fn attribute_group(seg: &mut Segment, record: &Record<'_>, offset: u64) {
    let block = PARAMATTR_GROUP_BLOCK_ID;
    let ops = &record.ops;
    let mut i: usize = 2;
    while let Some(&encoding) = ops.get(i) {
        let name = match encoding {
            0 => "enum",
            1 => "int",
            3 | 4 => {
                let Some(next) = skip_string_attr(ops, i, encoding == 4) else {
                    return;
                };
                i = next;
                continue;
            }
            5 | 6 => "type",
            7 => "constant-range",
            8 => "constant-range-list",
            _ => {
                seg.note(Key::AttrEncoding(encoding), block, offset, || {
                    Some("unknown".to_owned())
                });
                return;
            }
        };
        if encoding >= 5 {
            seg.note(Key::AttrEncoding(encoding), block, offset, || {
                Some(name.to_owned())
            });
        }
        let Some(kind_at) = i.checked_add(1) else {
            return;
        };
        let Some(&kind) = ops.get(kind_at) else {
            return;
        };
        seg.note(Key::Attr(kind), block, offset, || Some(name.to_owned()));
        let after_kind = kind_at.saturating_add(1);
        if encoding == 1 && kind == ATTR_KIND_UW_TABLE {
            // Readers before 15 accept uwtable only as an enum: "Not an int attribute".
            seg.note(Key::Flag("uwtable-kind"), block, offset, || {
                Some("uwtable(sync|async)".into())
            });
        }
        if encoding == 1 && kind == ATTR_KIND_MEMORY {
            if let Some(version) = ops.get(after_kind).map(|v| v >> 56) {
                if version != 0 {
                    seg.note(Key::MemoryAttrVersion(version), block, offset, || {
                        Some(format!("memory encoding version {version}"))
                    });
                }
            }
        }
        let next = attr_end(ops, encoding, after_kind);
        match next {
            Some(n) => i = n,
            None => return,
        }
    }
}

/// Index after the operands that follow the kind (at `after_kind`) of an attribute.
fn attr_end(ops: &[u64], encoding: u64, after_kind: usize) -> Option<usize> {
    match encoding {
        0 | 5 => Some(after_kind),
        1 | 6 => after_kind.checked_add(1),
        7 => skip_range(ops, after_kind.checked_add(1)?, *ops.get(after_kind)?),
        8 => {
            let count = *ops.get(after_kind)?;
            let bw_at = after_kind.checked_add(1)?;
            let bw = *ops.get(bw_at)?;
            let mut at = bw_at.checked_add(1)?;
            for _ in 0..count {
                at = skip_range(ops, at, bw)?;
            }
            Some(at)
        }
        _ => None,
    }
}

/// Index after a string attribute starting at `i` (its encoding), or `None` if unterminated.
fn skip_string_attr(ops: &[u64], i: usize, has_value: bool) -> Option<usize> {
    let after_key = skip_cstring(ops, i.checked_add(1)?)?;
    if has_value {
        skip_cstring(ops, after_key)
    } else {
        Some(after_key)
    }
}

/// Index after the 0 that ends the string starting at `from`.
fn skip_cstring(ops: &[u64], from: usize) -> Option<usize> {
    let rest = ops.get(from..)?;
    let len = rest.iter().position(|v| *v == 0)?;
    from.checked_add(len)?.checked_add(1)
}

/// Index after a constant range of width `bw` starting at `at`.
fn skip_range(ops: &[u64], at: usize, bw: u64) -> Option<usize> {
    if bw > 64 {
        let words = *ops.get(at)?;
        let lower = usize::try_from(words & 0xFFFF_FFFF).ok()?;
        let upper = usize::try_from(words >> 32).ok()?;
        let end = at.checked_add(1)?.checked_add(lower)?.checked_add(upper)?;
        (end <= ops.len()).then_some(end)
    } else {
        let end = at.checked_add(2)?;
        (end <= ops.len()).then_some(end)
    }
}

/// Operands a value operand written by `pushValueAndType` takes at `i`: 2 for a forward
/// reference (relative id 0 or negative as a 32-bit number, followed by a type id), else 1.
/// `None` when ids are absolute (the width then depends on the value numbering).
fn value_width(ops: &[u64], i: usize, relative: bool) -> Option<usize> {
    if !relative {
        return None;
    }
    let rel = ops.get(i)? & 0xFFFF_FFFF;
    Some(if rel == 0 || rel >= 0x8000_0000 { 2 } else { 1 })
}

/// Notes `inst:<code>` and what the record's operands reveal.
fn instruction(seg: &mut Segment, record: &Record<'_>, offset: u64, relative: bool) {
    let block = FUNCTION_BLOCK_ID;
    let ops = &record.ops;
    seg.note(Key::Inst(record.code), block, offset, || None);
    match record.code {
        // writeInstruction, cast case: [val, ty?, destty, opc, flags?]; flags only when
        // getOptimizationFlags is non-zero.
        FUNC_CODE_INST_CAST => {
            let Some(w) = value_width(ops, 0, relative) else {
                return;
            };
            let opc_at = w.saturating_add(1);
            let Some(&opc) = ops.get(opc_at) else {
                return;
            };
            seg.note(Key::Cast(opc), block, offset, || None);
            let Some(&flags) = ops.get(opc_at.saturating_add(1)) else {
                return;
            };
            let detail = || Some(format!("cast opcode {opc}, flags {flags:#x}"));
            match opc {
                CAST_ZEXT if flags & 1 != 0 => {
                    seg.note(Key::Flag("cast-nneg"), block, offset, detail)
                }
                CAST_UITOFP => {
                    if flags & 1 != 0 {
                        seg.note(Key::Flag("cast-nneg"), block, offset, detail);
                    }
                    if flags >> 1 != 0 {
                        seg.note(Key::Flag("cast-fmf"), block, offset, detail);
                    }
                }
                CAST_TRUNC if flags & 3 != 0 => {
                    seg.note(Key::Flag("cast-trunc-nuw-nsw"), block, offset, detail);
                }
                CAST_SITOFP | CAST_FPTRUNC | CAST_FPEXT if flags != 0 => {
                    seg.note(Key::Flag("cast-fmf"), block, offset, detail);
                }
                _ => seg.note(Key::Flag("cast-flags-other"), block, offset, detail),
            }
        }
        // writeInstruction, binary operator: [lhs, ty?, rhs, opc, flags?].
        FUNC_CODE_INST_BINOP => {
            let Some(w) = value_width(ops, 0, relative) else {
                return;
            };
            let opc_at = w.saturating_add(1);
            if let (Some(&BINOP_OR), Some(&flags)) =
                (ops.get(opc_at), ops.get(opc_at.saturating_add(1)))
            {
                if flags & 1 != 0 {
                    seg.note(Key::Flag("binop-disjoint"), block, offset, || {
                        Some(format!("flags {flags:#x}"))
                    });
                }
            }
        }
        // writeInstruction, GEP: [flags, srcty, ptr, ty?, idx, ty?…].
        FUNC_CODE_INST_GEP => {
            if let Some(&flags) = ops.first() {
                if !matches!(flags, 0 | 1 | 3) {
                    seg.note(Key::Flag("gep-flags"), block, offset, || {
                        Some(format!("flags {flags:#x}"))
                    });
                }
            }
        }
        // writeInstruction, alloca: [instty, opty, op, align, addrspace?]; the address space is
        // written (since LLVM 15) when it differs from the datalayout's alloca address space.
        FUNC_CODE_INST_ALLOCA if ops.len() >= 5 => {
            seg.note(Key::Flag("alloca-addrspace"), block, offset, || {
                ops.get(4).map(|a| format!("addrspace({a})"))
            });
        }
        // writeInstruction, compare: [lhs, ty?, rhs, pred, flags?].
        FUNC_CODE_INST_CMP | FUNC_CODE_INST_CMP2 => {
            let Some(w) = value_width(ops, 0, relative) else {
                return;
            };
            let pred_at = w.saturating_add(1);
            if let (Some(&pred), Some(&flags)) =
                (ops.get(pred_at), ops.get(pred_at.saturating_add(1)))
            {
                if (ICMP_FIRST..=ICMP_LAST).contains(&pred) {
                    seg.note(Key::Flag("icmp-samesign"), block, offset, || {
                        Some(format!("predicate {pred}, flags {flags:#x}"))
                    });
                }
            }
        }
        // writeInstruction, atomicrmw: [ptr, ty?, val, ty?, op, vol, ordering, ssid, align].
        FUNC_CODE_INST_ATOMICRMW => {
            let Some(w0) = value_width(ops, 0, relative) else {
                return;
            };
            let Some(w1) = value_width(ops, w0, relative) else {
                return;
            };
            if let Some(&op) = ops.get(w0.saturating_add(w1)) {
                seg.note(Key::AtomicRmw(op), block, offset, || None);
            }
        }
        // Before LLVM 13: [ptr, ty?, val, op, vol, ordering, ssid].
        FUNC_CODE_INST_ATOMICRMW_OLD => {
            let Some(w0) = value_width(ops, 0, relative) else {
                return;
            };
            if let Some(&op) = ops.get(w0.saturating_add(1)) {
                seg.note(Key::AtomicRmw(op), block, offset, || None);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
#[path = "features_tests.rs"]
mod tests;
