//! `explain` reads whatever is pasted: garbage, binary, a megabyte on one line, thousands of
//! matching lines. It must answer (possibly "nothing known") without panicking.

use rocm_doctor::explain::explain;

/// Deterministic bytes (xorshift), so a failure reproduces.
fn noise(n: usize, mut x: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn garbage_and_binary_do_not_panic() {
    for seed in 1..40u64 {
        let bytes = noise(4096, seed * 0x9E37_79B9_7F4A_7C15);
        let text = String::from_utf8_lossy(&bytes);
        let _ = explain(&text, None);
    }
    let _ = explain("", None);
    let _ = explain("\0\0\0\n\r\n\u{feff}", None);
}

#[test]
fn huge_lines_and_many_matches_are_handled() {
    let long = "x".repeat(1 << 20) + " HSA_STATUS_ERROR_MEMORY_APERTURE_VIOLATION";
    let f = explain(&long, None);
    assert!(
        !f.is_empty(),
        "the signature at the end of a 1 MiB line is still found"
    );
    let many = "Memory access fault by GPU node-1 (Agent handle: 0x1) on address 0x7f. Reason: Page not present or supervisor privilege.\n".repeat(20_000);
    let f = explain(&many, None);
    assert!(!f.is_empty());
    assert!(
        f.len() < 50,
        "repeated lines collapse into few findings, got {}",
        f.len()
    );
    let versions = "gfx1010 gfx1031 gfx90a rocm7.0.2 2.5.1+rocm6.2 HSA_OVERRIDE_GFX_VERSION=99.99.99 (Producer: 'LLVM99999.0.0git' Reader: 'LLVM 0.0.0')\n".repeat(1000);
    let _ = explain(&versions, None);
}
