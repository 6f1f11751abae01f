//! Sniffing any bytes gives a kind, and the kind agrees with the magic prefix.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rocm_formats::sniff::{sniff, FileKind};

fuzz_target!(|data: &[u8]| {
    let kind = sniff(data);
    if data.starts_with(b"\x7fELF") {
        assert_eq!(kind, FileKind::Elf);
    }
});
