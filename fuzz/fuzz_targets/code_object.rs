//! See `code_object_target` in ../harness.rs for what this target checks.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../harness.rs"]
#[allow(dead_code)]
mod harness;

fuzz_target!(|data: &[u8]| harness::code_object_target(data));
