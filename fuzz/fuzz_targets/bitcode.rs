//! The bitcode parser returns Ok or Err on any input: no panic, no hang, bounded memory.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = rocm_formats::bitcode::parse(data);
});
