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

#[test]
fn never_silent_on_a_rocm_failure() {
    // One line each: an HSA status, a HIP error, a /dev/kfd failure, a dmesg amdgpu/kfd
    // failure, a loader failure on a ROCm library. None may get "nothing known".
    let lines = [
        "HSA_STATUS_ERROR_OUT_OF_REGISTERS",
        "error code 0x1016",
        "hip error: hipErrorRuntimeOther",
        "RuntimeError: HIP error: unspecified launch failure",
        "Failed to open /dev/kfd: Invalid argument",
        "hsaKmtOpenKFD failed",
        "[  12.3] amdgpu 0000:03:00.0: amdgpu: GPU reset begin!",
        "[  2.1] kfd kfd: amdgpu: VEGA10  not supported in kfd",
        "[  5.0] amdgpu: Fatal error during GPU init",
        "ImportError: libhipblas.so.2: cannot open shared object file: No such file or directory",
        "OSError: libamdhip64.so: cannot enable executable stack as shared object requires: Invalid argument",
        "rocblas_status_internal_error",
        "miopenStatusUnknownError",
        "ggml_cuda_compute_forward: ROCm error: something new",
    ];
    for l in lines {
        let f = explain(l, None);
        assert!(!f.is_empty(), "nothing for {l:?}");
        let conf = f[0]
            .evidence
            .iter()
            .find(|e| e.source == "explain: confidence")
            .unwrap_or_else(|| panic!("no confidence for {l:?}"));
        assert!(
            ["high", "medium", "low"]
                .iter()
                .any(|c| conf.says.starts_with(c)),
            "{}",
            conf.says
        );
        assert!(f[0]
            .evidence
            .iter()
            .any(|e| e.source == "explain: next command"));
        assert!(f[0]
            .evidence
            .iter()
            .any(|e| e.source == "explain: would settle it"));
    }
    for clean in [
        "all good",
        "make: Nothing to be done for 'all'.",
        "hip hip hooray",
    ] {
        assert!(explain(clean, None).is_empty(), "{clean}");
    }
}

#[test]
fn red_herrings_are_named_and_never_primary() {
    let log = "amdgpu.ids: No such file or directory\n\
               Memory access fault by GPU node-1 (Agent handle: 0x1) on address 0x7f. Reason: Page not present or supervisor privilege.";
    let f = explain(log, None);
    assert_ne!(f[0].code, "amdgpu-ids-missing");
    let ids = f
        .iter()
        .find(|f| f.code == "amdgpu-ids-missing")
        .expect("named");
    assert!(ids
        .evidence
        .iter()
        .any(|e| e.source == "explain: red herring"));
    // Alone, it is the only thing to say, and says it is harmless.
    let f = explain("amdgpu.ids: No such file or directory", None);
    assert_eq!(f[0].code, "amdgpu-ids-missing");
}

#[test]
fn time_is_linear_in_the_log() {
    // Many literals on one long line, and many lines: both finish quickly (no per-rule rescans).
    let dense =
        "hipError rocblas_status_ HSA_STATUS_ERROR error fail kfd /dev/kfd amdgpu ".repeat(50_000);
    let t = std::time::Instant::now();
    let _ = explain(&dense, None);
    let lines = "amdgpu: ring gfx_0.0.0 timeout, signaled seq=1, emitted seq=2\n".repeat(100_000);
    let _ = explain(&lines, None);
    assert!(
        t.elapsed() < std::time::Duration::from_secs(20),
        "took {:?}",
        t.elapsed()
    );
}
