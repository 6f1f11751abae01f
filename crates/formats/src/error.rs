//! The one error type of this crate: which format, where, and what went wrong.

use std::fmt;

/// Result alias used by every parser in this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// The format a parser was reading when it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// LLVM bitstream container or bitcode module.
    Bitcode,
    /// Clang offload bundle, plain or compressed.
    Bundle,
    /// ELF container (host binary or code object).
    Elf,
    /// AMDGPU code object specifics (flags, notes).
    CodeObject,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Bitcode => "bitcode",
            Format::Bundle => "offload bundle",
            Format::Elf => "ELF",
            Format::CodeObject => "code object",
        })
    }
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The data ends before a structure it announces.
    Truncated {
        /// Bytes the structure needs from its offset.
        needed: u64,
        /// Bytes that were left.
        available: u64,
    },
    /// The magic bytes are not those of this format.
    BadMagic,
    /// A field holds a value the format does not allow.
    Malformed(&'static str),
    /// A size, count or depth is beyond what this crate will process.
    LimitExceeded {
        /// What was limited.
        what: &'static str,
        /// The limit.
        limit: u64,
    },
    /// Valid input this crate does not understand (e.g. a new CCOB version).
    Unsupported(String),
    /// The decompressor rejected the data.
    Decompress(String),
}

/// A parse error: format, byte offset (within the slice the parser was given), and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Format being parsed.
    pub format: Format,
    /// Byte offset at which the problem was found.
    pub offset: u64,
    /// What went wrong.
    pub kind: ErrorKind,
}

impl Error {
    /// Builds an error.
    pub fn new(format: Format, offset: u64, kind: ErrorKind) -> Self {
        Error {
            format,
            offset,
            kind,
        }
    }

    /// Same error, with its offset moved by `base` (for a parser run on a sub-slice).
    pub fn rebased(mut self, base: u64) -> Self {
        self.offset = self.offset.saturating_add(base);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {:#x}: ", self.format, self.offset)?;
        match &self.kind {
            ErrorKind::Truncated { needed, available } => {
                write!(f, "truncated (needs {needed} bytes, {available} left)")
            }
            ErrorKind::BadMagic => f.write_str("bad magic"),
            ErrorKind::Malformed(what) => write!(f, "malformed: {what}"),
            ErrorKind::LimitExceeded { what, limit } => {
                write!(f, "{what} exceeds the limit of {limit}")
            }
            ErrorKind::Unsupported(what) => write!(f, "unsupported: {what}"),
            ErrorKind::Decompress(what) => write!(f, "decompression failed: {what}"),
        }
    }
}

impl std::error::Error for Error {}
