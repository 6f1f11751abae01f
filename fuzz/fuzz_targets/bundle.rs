//! Bundle parsing, section scanning and bounded decompression on any input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rocm_formats::bundle::{self, Limits};

fuzz_target!(|data: &[u8]| {
    // Small caps so the fuzzer explores structure, not allocation sizes.
    let limits = Limits {
        max_header_bytes: 1 << 16,
        max_decompressed: 1 << 20,
        ..Limits::default()
    };
    let scan = bundle::scan_section(data, &limits);
    for b in &scan.bundles {
        if let Some(raw) = rocm_formats::bytes::slice_at(data, b.offset, b.size) {
            if let Ok(plain) = bundle::decompressed(raw, &limits) {
                for e in &b.entries {
                    let _ = bundle::entry_bytes(&plain, e);
                }
            }
        }
    }
});
