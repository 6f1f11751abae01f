//! AMDGPU code objects: gfx target, xnack/sramecc, code-object version, metadata target.
//!
//! A code object is an ELF file with `e_machine == EM_AMDGPU`. What it was built for is in
//! three places: the processor in `e_flags & 0xff` (`EF_AMDGPU_MACH`), the xnack/sramecc
//! settings in other `e_flags` bits whose layout depends on the code-object version (from
//! `EI_ABIVERSION`), and, from v3 on, the `amdhsa.target` string of the MessagePack
//! metadata note (`NT_AMDGPU_METADATA`, owner `AMDGPU`). Code object v2 names its processor
//! in an `NT_AMD_HSA_ISA_VERSION` note instead.
//!
//! Source for every constant here: <https://llvm.org/docs/AMDGPUUsage.html> ("ELF Header",
//! "Note Records") and
//! <https://github.com/llvm/llvm-project/blob/main/llvm/include/llvm/BinaryFormat/ELF.h>.
//! `EI_ABIVERSION` 0/1/2/3/4 are `ELFABIVERSION_AMDGPU_HSA_V2`..`_V6` there.

use crate::elf::{self, EM_AMDGPU};
use crate::gfx::{self, FeatureSetting, GfxTarget, EF_AMDGPU_MACH};
use crate::{Error, ErrorKind, Format, Result};

/// `EI_OSABI` of code objects for the HSA runtime (ROCm).
pub const ELFOSABI_AMDGPU_HSA: u8 = 64;
/// `EI_OSABI` of code objects for PAL (graphics drivers).
pub const ELFOSABI_AMDGPU_PAL: u8 = 65;
/// `EI_OSABI` of code objects for Mesa.
pub const ELFOSABI_AMDGPU_MESA3D: u8 = 66;

/// Note type of the v3+ MessagePack metadata (owner `AMDGPU`).
pub const NT_AMDGPU_METADATA: u32 = 32;
/// Note type of the v2 ISA version record (owner `AMD`).
pub const NT_AMD_HSA_ISA_VERSION: u32 = 3;

// e_flags feature bits. Source: ELF.h EF_AMDGPU_FEATURE_* (see module docs).
const XNACK_V2: u32 = 0x01;
const XNACK_V3: u32 = 0x100;
const SRAMECC_V3: u32 = 0x200;
const XNACK_V4_MASK: u32 = 0x300;
const SRAMECC_V4_MASK: u32 = 0xc00;
const GENERIC_VERSION_SHIFT: u32 = 24;

/// Deepest MessagePack nesting the metadata walker follows.
const MAX_MSGPACK_DEPTH: u32 = 32;
/// Most MessagePack values the metadata walker visits.
const MAX_MSGPACK_VALUES: u64 = 1_000_000;
/// Longest `amdhsa.target` string kept.
const MAX_TARGET_LEN: usize = 256;

/// What an AMDGPU code object says about the GPU it was built for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeObject {
    /// Processor name (`gfx90a`); `None` if the mach value is unknown (and, for v2, the ISA
    /// note gives none either).
    pub processor: Option<String>,
    /// `e_flags & EF_AMDGPU_MACH`.
    pub mach: u32,
    /// Processor plus xnack/sramecc as a target ID; `None` when `processor` is.
    pub target: Option<GfxTarget>,
    /// `xnack` setting from `e_flags`.
    pub xnack: FeatureSetting,
    /// `sramecc` setting from `e_flags`.
    pub sramecc: FeatureSetting,
    /// Code-object version 2-6 for `ELFOSABI_AMDGPU_HSA` (`EI_ABIVERSION` 0-4);
    /// `None` for other OS ABIs and for ABI versions this crate does not know.
    pub code_object_version: Option<u32>,
    /// `EI_OSABI` (64 HSA, 65 PAL, 66 Mesa).
    pub os_abi: u8,
    /// `EI_ABIVERSION`.
    pub abi_version: u8,
    /// The whole `e_flags`.
    pub e_flags: u32,
    /// `amdhsa.target` of the metadata note, e.g. `amdgcn-amd-amdhsa--gfx90a:xnack-`.
    pub metadata_target: Option<String>,
    /// Why the metadata note could not be read, if it is there but malformed. The rest
    /// of the record is still valid.
    pub metadata_error: Option<Error>,
    /// Generic-target version (v6+, `e_flags >> 24`), `None` when 0 or before v6.
    pub generic_version: Option<u32>,
}

/// Whether `data` starts like an AMDGPU ELF: `\x7fELF`, little-endian, `e_machine` 224.
/// Reads 20 bytes; never fails.
pub fn is_amdgpu(data: &[u8]) -> bool {
    match data.get(..20) {
        Some([0x7f, b'E', b'L', b'F', _, 1, .., m0, m1]) => {
            u16::from_le_bytes([*m0, *m1]) == EM_AMDGPU
        }
        _ => false,
    }
}

fn co_err(offset: u64, kind: ErrorKind) -> Error {
    Error::new(Format::CodeObject, offset, kind)
}

/// Reads what an AMDGPU code object was built for.
///
/// # Errors
/// - Any [`elf::parse`] error (format [`Format::Elf`]).
/// - [`ErrorKind::Malformed`] (format [`Format::CodeObject`]) if `e_machine` is not
///   [`EM_AMDGPU`].
///
/// A malformed metadata note is not an error: it is reported in
/// [`CodeObject::metadata_error`].
pub fn parse(data: &[u8]) -> Result<CodeObject> {
    let elf = elf::parse(data)?;
    if elf.machine != EM_AMDGPU {
        return Err(co_err(
            18,
            ErrorKind::Malformed("e_machine is not EM_AMDGPU"),
        ));
    }
    let hsa = elf.os_abi == ELFOSABI_AMDGPU_HSA;
    let code_object_version = match (hsa, elf.abi_version) {
        (true, v @ 0..=4) => Some(u32::from(v).saturating_add(2)),
        _ => None,
    };
    let mach = elf.flags & EF_AMDGPU_MACH;
    let notes = elf.notes();

    let mut metadata_target = None;
    let mut metadata_error = None;
    let mut isa_note_name = None;
    for note in notes.iter().flatten() {
        match (note.name, note.n_type) {
            (b"AMDGPU", NT_AMDGPU_METADATA) if metadata_target.is_none() => {
                match find_target(note.desc) {
                    Ok(t) => metadata_target = t,
                    Err(e) => metadata_error = Some(e),
                }
            }
            (b"AMD", NT_AMD_HSA_ISA_VERSION) if isa_note_name.is_none() => {
                isa_note_name = isa_version_name(note.desc)
            }
            _ => {}
        }
    }

    let processor = gfx::mach_to_processor(mach)
        .map(str::to_owned)
        .or(isa_note_name);
    let supports = |f: fn(&str) -> bool| processor.as_deref().is_some_and(f);
    let (xnack_ok, sramecc_ok) = (
        supports(gfx::supports_xnack),
        supports(gfx::supports_sramecc),
    );
    let flags = elf.flags;
    let (xnack, sramecc) = match code_object_version {
        Some(2) => (v2_xnack(flags, xnack_ok), not_stated(sramecc_ok)),
        Some(3) => (
            v3_bit(flags, XNACK_V3, xnack_ok),
            v3_bit(flags, SRAMECC_V3, sramecc_ok),
        ),
        Some(_) => (
            v4_field(flags & XNACK_V4_MASK, 8),
            v4_field(flags & SRAMECC_V4_MASK, 10),
        ),
        None => (not_stated(xnack_ok), not_stated(sramecc_ok)),
    };
    let generic_version = match code_object_version {
        Some(v) if v >= 6 => Some(flags >> GENERIC_VERSION_SHIFT).filter(|&g| g != 0),
        _ => None,
    };
    let target = processor.clone().map(|processor| GfxTarget {
        processor,
        sramecc,
        xnack,
    });
    Ok(CodeObject {
        processor,
        mach,
        target,
        xnack,
        sramecc,
        code_object_version,
        os_abi: elf.os_abi,
        abi_version: elf.abi_version,
        e_flags: flags,
        metadata_target,
        metadata_error,
        generic_version,
    })
}

/// A setting the flags do not state: `Any` if the processor has the feature.
fn not_stated(supported: bool) -> FeatureSetting {
    if supported {
        FeatureSetting::Any
    } else {
        FeatureSetting::Unsupported
    }
}

/// v2: bit 0x01 means xnack on; clear means off on processors that have it.
fn v2_xnack(flags: u32, supported: bool) -> FeatureSetting {
    v3_bit(flags, XNACK_V2, supported)
}

/// v3: one bit per feature, set = on, clear = off (or unsupported).
fn v3_bit(flags: u32, bit: u32, supported: bool) -> FeatureSetting {
    if flags & bit != 0 {
        FeatureSetting::On
    } else if supported {
        FeatureSetting::Off
    } else {
        FeatureSetting::Unsupported
    }
}

/// v4+: a 2-bit field, 0 unsupported, 1 any, 2 off, 3 on.
fn v4_field(masked: u32, shift: u32) -> FeatureSetting {
    match masked >> shift {
        1 => FeatureSetting::Any,
        2 => FeatureSetting::Off,
        3 => FeatureSetting::On,
        _ => FeatureSetting::Unsupported,
    }
}

/// The processor of a v2 `NT_AMD_HSA_ISA_VERSION` descriptor: u16 vendor name size,
/// u16 architecture name size, u32 major, u32 minor, u32 stepping, then the names.
fn isa_version_name(desc: &[u8]) -> Option<String> {
    let mut c = crate::bytes::Cursor::new(desc);
    let _vendor_len = c.u16_le()?;
    let _arch_len = c.u16_le()?;
    let (major, minor, stepping) = (c.u32_le()?, c.u32_le()?, c.u32_le()?);
    gfx::gfx_name_from_version(major, minor, stepping)
}

/// `amdhsa.target` from the MessagePack metadata: the top level must be a map; the value
/// for that key must be a string. `Ok(None)` if the key is absent or not a string.
fn find_target(desc: &[u8]) -> Result<Option<String>> {
    let mut mp = MsgPack {
        data: desc,
        pos: 0,
        visited: 0,
    };
    let head = mp.head()?;
    let Head::Map(pairs) = head else {
        return Err(mp.malformed("metadata is not a MessagePack map"));
    };
    for _ in 0..pairs {
        let key = mp.head()?;
        let is_target = matches!(key, Head::Str(len) if mp.peek(len)? == b"amdhsa.target");
        mp.skip_body(key, 0)?;
        let value = mp.head()?;
        if is_target {
            if let Head::Str(len) = value {
                let bytes = mp.take(len)?;
                if bytes.len() > MAX_TARGET_LEN {
                    return Err(co_err(
                        mp.pos as u64,
                        ErrorKind::LimitExceeded {
                            what: "amdhsa.target length",
                            limit: MAX_TARGET_LEN as u64,
                        },
                    ));
                }
                return std::str::from_utf8(bytes)
                    .map(|s| Some(s.to_owned()))
                    .map_err(|_| mp.malformed("amdhsa.target is not UTF-8"));
            }
            return Ok(None);
        }
        mp.skip_body(value, 0)?;
    }
    Ok(None)
}

/// A MessagePack value's header: what follows it.
#[derive(Debug, Clone, Copy)]
enum Head {
    /// No payload follows (nil, bool, ints, floats: their bytes are already consumed).
    Scalar,
    /// `n` bytes of string data.
    Str(u64),
    /// `n` bytes of binary or extension data.
    Bytes(u64),
    /// `n` values.
    Array(u64),
    /// `n` key/value pairs.
    Map(u64),
}

/// A bounded MessagePack reader over a note descriptor. Never allocates.
struct MsgPack<'a> {
    data: &'a [u8],
    pos: usize,
    visited: u64,
}

impl<'a> MsgPack<'a> {
    fn malformed(&self, what: &'static str) -> Error {
        co_err(self.pos as u64, ErrorKind::Malformed(what))
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8]> {
        let avail = self.data.len().saturating_sub(self.pos);
        let out = usize::try_from(n)
            .ok()
            .and_then(|n| self.pos.checked_add(n))
            .and_then(|end| self.data.get(self.pos..end));
        let out = out.ok_or_else(|| {
            co_err(
                self.pos as u64,
                ErrorKind::Truncated {
                    needed: n,
                    available: avail as u64,
                },
            )
        })?;
        self.pos = self.pos.saturating_add(out.len());
        Ok(out)
    }

    fn peek(&self, n: u64) -> Result<&'a [u8]> {
        let mut copy = MsgPack {
            data: self.data,
            pos: self.pos,
            visited: self.visited,
        };
        copy.take(n)
    }

    fn be(&mut self, n: u64) -> Result<u64> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// Reads one value's header (and a scalar's bytes).
    fn head(&mut self) -> Result<Head> {
        self.visited = self.visited.saturating_add(1);
        if self.visited > MAX_MSGPACK_VALUES {
            return Err(co_err(
                self.pos as u64,
                ErrorKind::LimitExceeded {
                    what: "MessagePack values",
                    limit: MAX_MSGPACK_VALUES,
                },
            ));
        }
        let b = self.be(1)?;
        let low = b & 0x1f;
        Ok(match b {
            0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => Head::Scalar,
            0x80..=0x8f => Head::Map(b & 0x0f),
            0x90..=0x9f => Head::Array(b & 0x0f),
            0xa0..=0xbf => Head::Str(low),
            0xc1 => return Err(self.malformed("MessagePack byte 0xc1 is never used")),
            0xc4 => Head::Bytes(self.be(1)?),
            0xc5 => Head::Bytes(self.be(2)?),
            0xc6 => Head::Bytes(self.be(4)?),
            // ext 8/16/32: length, then a type byte, then the data.
            0xc7 => Head::Bytes(self.be(1)?.saturating_add(1)),
            0xc8 => Head::Bytes(self.be(2)?.saturating_add(1)),
            0xc9 => Head::Bytes(self.be(4)?.saturating_add(1)),
            0xca | 0xce | 0xd2 => {
                self.take(4)?;
                Head::Scalar
            }
            0xcb | 0xcf | 0xd3 => {
                self.take(8)?;
                Head::Scalar
            }
            0xcc | 0xd0 => {
                self.take(1)?;
                Head::Scalar
            }
            0xcd | 0xd1 => {
                self.take(2)?;
                Head::Scalar
            }
            // fixext 1/2/4/8/16: a type byte, then 2^k data bytes.
            0xd4 => Head::Bytes(2),
            0xd5 => Head::Bytes(3),
            0xd6 => Head::Bytes(5),
            0xd7 => Head::Bytes(9),
            0xd8 => Head::Bytes(17),
            0xd9 => Head::Str(self.be(1)?),
            0xda => Head::Str(self.be(2)?),
            0xdb => Head::Str(self.be(4)?),
            0xdc => Head::Array(self.be(2)?),
            0xdd => Head::Array(self.be(4)?),
            0xde => Head::Map(self.be(2)?),
            0xdf => Head::Map(self.be(4)?),
            _ => return Err(self.malformed("MessagePack type byte")),
        })
    }

    /// Skips what follows a header read by [`MsgPack::head`]. Every value costs at least
    /// one byte, so a huge announced count ends in `Truncated`, not a long loop.
    fn skip_body(&mut self, head: Head, depth: u32) -> Result<()> {
        let count = match head {
            Head::Scalar => return Ok(()),
            Head::Str(n) | Head::Bytes(n) => return self.take(n).map(|_| ()),
            Head::Array(n) => n,
            Head::Map(n) => n
                .checked_mul(2)
                .ok_or_else(|| self.malformed("MessagePack map size"))?,
        };
        if depth >= MAX_MSGPACK_DEPTH {
            return Err(co_err(
                self.pos as u64,
                ErrorKind::LimitExceeded {
                    what: "MessagePack nesting",
                    limit: u64::from(MAX_MSGPACK_DEPTH),
                },
            ));
        }
        for _ in 0..count {
            let h = self.head()?;
            self.skip_body(h, depth.saturating_add(1))?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]
mod tests;
