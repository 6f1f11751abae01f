//! `verify`: run the conv2d smoke matrix on the GPU, one subprocess per case, and classify how
//! each case ended (pass, wrong result, exception, crash, HSA/HIP error, hang, no torch, no GPU).
//!
//! Each case runs the embedded `smoke.py` (`python3 -c <script> <case>`) in a chosen
//! interpreter or container image, under a timeout, in its own process group (see `runner`).
//! Classification is pure (see [`classify`]). docs/verify.md describes the matrix and the JSON.

pub mod classify;
pub mod hsa_status;
mod runner;

pub use runner::Launcher;

use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use classify::{classify, Exit};

/// The smoke script run for every case (`python3 -c SMOKE_SCRIPT <case>`).
pub const SMOKE_SCRIPT: &str = include_str!("smoke.py");
/// The prefix of the smoke script's machine-readable result line on stdout.
pub const RESULT_PREFIX: &str = "ROCM_DOCTOR_RESULT ";
/// The smoke script's exit code when `import torch` fails.
pub const EXIT_NO_TORCH: i32 = 3;
/// The smoke script's exit code when torch sees no GPU.
pub const EXIT_NO_GPU: i32 = 4;
/// The smoke script's exit code when the GPU result differs from the CPU's.
pub const EXIT_WRONG_RESULT: i32 = 5;
/// The version of the JSON report's shape.
pub const SCHEMA_VERSION: u32 = 1;
/// The most bytes of stderr a [`CaseResult`] keeps (its tail).
pub const STDERR_TAIL_BYTES: usize = 4096;
/// The most bytes of each stream kept for classification.
const KEEP_BYTES: usize = 256 * 1024;

/// Numeric precision of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dtype {
    /// float32.
    Fp32,
    /// float16.
    Fp16,
}

/// Which pass a case checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// The forward convolution (its output).
    Forward,
    /// The backward pass (input and weight gradients).
    Backward,
}

/// The convolution shape of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Geometry {
    /// The reported seed: `Conv2d(1, 32, (64, 1))` on input `(16, 1, 64, 256)`.
    Seed,
    /// `Conv2d(16, 32, 3, padding=1)` on input `(4, 16, size, size)`.
    Conv3x3 {
        /// Height and width of the input.
        size: u32,
    },
}

/// One smoke case; `name` is what the smoke script takes as its argument.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// e.g. `seed-fp32-fwd`, `conv3x3-224-fp16-bwd`.
    pub name: String,
    /// The convolution.
    pub geometry: Geometry,
    /// The precision.
    pub dtype: Dtype,
    /// Forward or backward.
    pub direction: Direction,
}

impl Case {
    /// One human line on what the case runs.
    pub fn describe(&self) -> String {
        let conv = match self.geometry {
            Geometry::Seed => "Conv2d(1, 32, (64, 1)) on (16, 1, 64, 256)".to_string(),
            Geometry::Conv3x3 { size } => {
                format!("Conv2d(16, 32, 3, padding=1) on (4, 16, {size}, {size})")
            }
        };
        let dtype = match self.dtype {
            Dtype::Fp32 => "fp32",
            Dtype::Fp16 => "fp16",
        };
        let dir = match self.direction {
            Direction::Forward => "forward",
            Direction::Backward => "backward",
        };
        format!("{conv}, {dtype}, {dir}")
    }
}

/// The sizes of the 3×3 cases; 224×224 is where hangs on RDNA1 were reported.
pub const CONV3X3_SIZES: [u32; 4] = [32, 64, 128, 224];

/// The smoke matrix: the seed, then 3×3 convs by size; each fp32/fp16 × forward/backward.
pub fn matrix() -> Vec<Case> {
    let mut geometries = vec![Geometry::Seed];
    geometries.extend(CONV3X3_SIZES.map(|size| Geometry::Conv3x3 { size }));
    let mut cases = Vec::new();
    for geometry in geometries {
        for dtype in [Dtype::Fp32, Dtype::Fp16] {
            for direction in [Direction::Forward, Direction::Backward] {
                let head = match geometry {
                    Geometry::Seed => "seed".to_string(),
                    Geometry::Conv3x3 { size } => format!("conv3x3-{size}"),
                };
                let d = if dtype == Dtype::Fp32 { "fp32" } else { "fp16" };
                let r = if direction == Direction::Forward {
                    "fwd"
                } else {
                    "bwd"
                };
                cases.push(Case {
                    name: format!("{head}-{d}-{r}"),
                    geometry,
                    dtype,
                    direction,
                });
            }
        }
    }
    cases
}

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The GPU result matched the CPU's.
    Pass,
    /// The GPU ran but its result differs from the CPU's.
    WrongResult,
    /// Python raised (see `exception`).
    Exception,
    /// The process died by a signal, or exited without a verdict.
    Crash,
    /// The HSA or HIP runtime reported an error (see `hsa_error`).
    HsaError,
    /// Still running at the timeout; its whole process group was killed.
    Hang,
    /// `import torch` failed.
    NoTorch,
    /// torch imported but sees no GPU.
    NoGpu,
}

impl Outcome {
    /// The JSON spelling, e.g. `wrong-result`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::WrongResult => "wrong-result",
            Outcome::Exception => "exception",
            Outcome::Crash => "crash",
            Outcome::HsaError => "hsa-error",
            Outcome::Hang => "hang",
            Outcome::NoTorch => "no-torch",
            Outcome::NoGpu => "no-gpu",
        }
    }
}

/// The result of one case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    /// The case name.
    pub name: String,
    /// The verdict.
    pub outcome: Outcome,
    /// The signal that killed the interpreter, e.g. `SIGSEGV`.
    pub signal: Option<String>,
    /// The HSA/HIP error, e.g. `0x29 HSA_STATUS_ERROR_MEMORY_APERTURE_VIOLATION`.
    pub hsa_error: Option<String>,
    /// The Python exception class, e.g. `RuntimeError`.
    pub exception: Option<String>,
    /// The exit code, when the process exited rather than being killed.
    pub exit_code: Option<i32>,
    /// Wall time of the case, seconds.
    pub seconds: f64,
    /// One human line on why (the smoke script's detail or the exception line).
    pub detail: Option<String>,
    /// The smoke script's result object (errors, tolerance, device), when it printed one.
    pub smoke: Option<serde_json::Value>,
    /// The last [`STDERR_TAIL_BYTES`] bytes of stderr.
    pub stderr_tail: String,
}

/// The JSON document of `verify --json` and `--out`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// What ran the cases, e.g. `python /usr/bin/python3`.
    pub launcher: String,
    /// Why the run stopped before the last case (no torch, no GPU), if it did.
    pub stopped_early: Option<String>,
    /// One result per case run, in order.
    pub cases: Vec<CaseResult>,
}

/// Exit code of `docker run` / `podman run` when the engine itself failed.
const ENGINE_FAILED: i32 = 125;

/// Runs one case and classifies it. A launcher that cannot start is reported as a crash
/// whose `stderr_tail` says why; use [`try_run_case`] to get that as an error instead.
pub fn run_case(launcher: &Launcher, case: &Case, timeout: Duration) -> CaseResult {
    try_run_case(launcher, case, timeout).unwrap_or_else(|e| CaseResult {
        name: case.name.clone(),
        outcome: Outcome::Crash,
        signal: None,
        hsa_error: None,
        exception: None,
        exit_code: None,
        seconds: 0.0,
        detail: Some(format!("could not start {}: {e}", launcher.describe())),
        smoke: None,
        stderr_tail: String::new(),
    })
}

/// Runs one case and classifies it; fails only when the launcher cannot be started.
pub fn try_run_case(launcher: &Launcher, case: &Case, timeout: Duration) -> io::Result<CaseResult> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let container = format!(
        "rocm-doctor-verify-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    );
    let out = crate::exec::run(launcher.command(case, &container), timeout, KEEP_BYTES)?;
    let mut exit = match out.status {
        None => Exit::TimedOut,
        Some(s) => match s.signal() {
            Some(sig) => Exit::Signal(sig),
            None => Exit::Code(s.code().unwrap_or(-1)),
        },
    };
    if let Launcher::Image { engine, .. } = launcher {
        match exit {
            // The engine reports a signal death inside the container as 128 + signal.
            Exit::Code(c @ 129..=159) => exit = Exit::Signal(c - 128),
            // Killing the engine client leaves the container running: stop it by name.
            Exit::TimedOut => {
                let mut kill = Command::new(engine);
                kill.args(["kill", &container]);
                let _ = crate::exec::run(kill, Duration::from_secs(30), 4096);
            }
            _ => {}
        }
    }
    let stdout = String::from_utf8_lossy(&out.stdout.tail);
    let stderr = String::from_utf8_lossy(&out.stderr.tail);
    let c = classify(exit, &stdout, &stderr);
    Ok(CaseResult {
        name: case.name.clone(),
        outcome: c.outcome,
        signal: c.signal,
        hsa_error: c.hsa_error,
        exception: c.exception,
        exit_code: match exit {
            Exit::Code(code) => Some(code),
            _ => None,
        },
        seconds: (out.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
        detail: c.detail,
        smoke: c.smoke,
        stderr_tail: tail_text(&out.stderr.tail, STDERR_TAIL_BYTES),
    })
}

/// The last `max` bytes of `bytes` as text, starting on a UTF-8 character boundary.
fn tail_text(bytes: &[u8], max: usize) -> String {
    let mut tail = &bytes[bytes.len().saturating_sub(max)..];
    while let Some((&b, rest)) = tail.split_first() {
        if b & 0xC0 != 0x80 {
            break;
        }
        tail = rest;
    }
    String::from_utf8_lossy(tail).into_owned()
}

/// Runs `cases` in order, calling `on_result` after each. Stops after the first case that
/// finds no torch or no GPU (every later case would say the same).
///
/// Returns an error when the launcher cannot be started or the container engine cannot run
/// the image: the tool failed, the stack was not tested.
pub fn run_all(
    launcher: &Launcher,
    cases: &[Case],
    timeout: Duration,
    mut on_result: impl FnMut(&CaseResult),
) -> anyhow::Result<Report> {
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        launcher: launcher.describe(),
        stopped_early: None,
        cases: Vec::new(),
    };
    for (i, case) in cases.iter().enumerate() {
        let r = try_run_case(launcher, case, timeout)
            .map_err(|e| anyhow::anyhow!("could not start {}: {e}", launcher.describe()))?;
        if matches!(launcher, Launcher::Image { .. }) && r.exit_code == Some(ENGINE_FAILED) {
            anyhow::bail!(
                "{} could not run the container (exit {ENGINE_FAILED}): {}",
                launcher.describe(),
                r.stderr_tail.trim()
            );
        }
        on_result(&r);
        let left = cases.len() - i - 1;
        let why = match r.outcome {
            Outcome::NoTorch => Some("torch cannot be imported"),
            Outcome::NoGpu => Some("torch sees no GPU"),
            _ => None,
        };
        report.cases.push(r);
        if let Some(why) = why.filter(|_| left > 0) {
            report.stopped_early = Some(format!(
                "{why} in {}; skipped the other {left} cases, which would say the same",
                launcher.describe()
            ));
            break;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_has_the_seed_first_and_224_last_with_unique_names() {
        let m = matrix();
        assert_eq!(m.len(), 4 * (1 + CONV3X3_SIZES.len()));
        assert_eq!(m[0].name, "seed-fp32-fwd");
        assert_eq!(m.last().unwrap().name, "conv3x3-224-fp16-bwd");
        let mut names: Vec<_> = m.iter().map(|c| c.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), m.len());
    }

    #[test]
    fn outcome_json_spelling_matches_as_str() {
        for o in [
            Outcome::Pass,
            Outcome::WrongResult,
            Outcome::HsaError,
            Outcome::NoGpu,
        ] {
            let json = serde_json::to_string(&o).unwrap();
            assert_eq!(json, format!("\"{}\"", o.as_str()));
        }
    }

    #[test]
    fn tail_text_never_splits_a_character() {
        let s = "ééé".as_bytes();
        assert_eq!(tail_text(s, 3), "é");
        assert_eq!(tail_text(b"abc", 10), "abc");
    }
}
