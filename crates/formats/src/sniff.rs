//! What kind of file this is, from its first bytes.

/// File kinds the parsers of this crate handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// Raw LLVM bitcode (`BC 0xC0DE`).
    Bitcode,
    /// LLVM bitcode inside the `0x0B17C0DE` wrapper header (Darwin-style).
    BitcodeWrapper,
    /// An ELF file (host binary, shared library or AMDGPU code object).
    Elf,
    /// A plain clang offload bundle (`__CLANG_OFFLOAD_BUNDLE__`).
    OffloadBundle,
    /// A compressed clang offload bundle (`CCOB`).
    CompressedBundle,
    /// Anything else.
    Unknown,
}

/// Magic of a raw bitcode file: 'B' 'C' then 0x0DEC0 as nibbles (0xC0DE read as a bitstream).
pub const BITCODE_MAGIC: [u8; 4] = *b"BC\xC0\xDE";
/// Magic of the bitcode wrapper header, little-endian 0x0B17C0DE.
pub const BITCODE_WRAPPER_MAGIC: [u8; 4] = [0xDE, 0xC0, 0x17, 0x0B];
/// Magic of ELF files.
pub const ELF_MAGIC: [u8; 4] = *b"\x7fELF";
/// Magic of a plain offload bundle.
pub const BUNDLE_MAGIC: &[u8; 24] = b"__CLANG_OFFLOAD_BUNDLE__";
/// Magic of a compressed offload bundle.
pub const CCOB_MAGIC: [u8; 4] = *b"CCOB";

/// How many leading bytes [`sniff`] looks at.
pub const SNIFF_LEN: usize = 24;

/// Classifies `head`, the first bytes of a file (at least [`SNIFF_LEN`] when the file has them).
pub fn sniff(head: &[u8]) -> FileKind {
    if head.starts_with(&BITCODE_MAGIC) {
        FileKind::Bitcode
    } else if head.starts_with(&BITCODE_WRAPPER_MAGIC) {
        FileKind::BitcodeWrapper
    } else if head.starts_with(&ELF_MAGIC) {
        FileKind::Elf
    } else if head.starts_with(BUNDLE_MAGIC) {
        FileKind::OffloadBundle
    } else if head.starts_with(&CCOB_MAGIC) {
        FileKind::CompressedBundle
    } else {
        FileKind::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_each_magic() {
        assert_eq!(sniff(b"BC\xC0\xDE\x35\x14"), FileKind::Bitcode);
        assert_eq!(
            sniff(&[0xDE, 0xC0, 0x17, 0x0B, 0, 0]),
            FileKind::BitcodeWrapper
        );
        assert_eq!(sniff(b"\x7fELF\x02\x01"), FileKind::Elf);
        assert_eq!(
            sniff(b"__CLANG_OFFLOAD_BUNDLE__\x02"),
            FileKind::OffloadBundle
        );
        assert_eq!(sniff(b"CCOB\x03\x00"), FileKind::CompressedBundle);
        assert_eq!(sniff(b"__CLANG_OFFLOAD_BUNDLE"), FileKind::Unknown);
        assert_eq!(sniff(b""), FileKind::Unknown);
    }
}
