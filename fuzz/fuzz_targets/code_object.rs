//! ELF and code-object parsing on any input: sections, notes, e_flags, metadata.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(elf) = rocm_formats::elf::parse(data) {
        for s in elf.sections() {
            let _ = s;
        }
    }
    let _ = rocm_formats::code_object::parse(data);
});
