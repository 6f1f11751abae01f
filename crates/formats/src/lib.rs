//! Panic-free parsers for the artefacts a ROCm stack is made of.
//!
//! Every parser takes `&[u8]` and returns a typed [`Error`] on bad input: no I/O, no `unsafe`,
//! no indexing that can panic, no allocation sized by an unchecked length field. The crate's
//! lints (see `Cargo.toml`) enforce this; `fuzz/` exercises it.
//!
//! - [`sniff`]: what kind of file this is, from its first bytes.
//! - [`bitstream`] and [`bitcode`]: LLVM bitcode (producer, epoch, triple, datalayout).
//! - [`bundle`]: clang offload bundles, plain (`__CLANG_OFFLOAD_BUNDLE__`) and compressed
//!   (`CCOB` v1-v3, zlib or zstd), one or many back to back.
//! - [`elf`]: the little of ELF we need (sections, notes), for host binaries and code objects.
//! - [`code_object`]: AMDGPU code objects: gfx target, xnack/sramecc, code-object version.
//! - [`gfx`]: gfx target names and their feature suffixes (`gfx90a:xnack-`).

pub mod bitcode;
pub mod bitstream;
pub mod bundle;
pub mod bytes;
pub mod code_object;
pub mod elf;
mod error;
pub mod gfx;
pub mod sniff;

pub use error::{Error, ErrorKind, Format, Result};
