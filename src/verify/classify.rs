//! Pure classification of one finished smoke case: how it ended plus what it printed → an
//! [`Outcome`] and the evidence behind it (signal, HSA/HIP error, exception class, result line).
//!
//! The formats read here were checked against public reports (see docs/verify.md):
//! - the HIP runtime's queue-abort line, e.g. `... aborting with error :
//!   HSA_STATUS_ERROR_MEMORY_APERTURE_VIOLATION: ... code: 0x29`
//!   (<https://github.com/AUTOMATIC1111/stable-diffusion-webui/issues/9283>);
//! - `hipErrorNoBinaryForGpu: Unable to find code object for all current devices!`
//!   (<https://github.com/pytorch/pytorch/issues/85909>);
//! - PyTorch's `RuntimeError: HIP error: invalid device function`, newer builds adding
//!   ``Search for `hipErrorInvalidDeviceFunction' ...``
//!   (<https://github.com/pytorch/pytorch/issues/164346>).

use super::{hsa_status, Outcome, EXIT_NO_GPU, EXIT_NO_TORCH, RESULT_PREFIX};

/// How the process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// It exited with this code.
    Code(i32),
    /// A signal killed it.
    Signal(i32),
    /// It ran past the timeout and rocm-doctor killed its process group.
    TimedOut,
}

/// The classification of one case and the evidence found.
#[derive(Debug, Clone, PartialEq)]
pub struct Classified {
    /// The verdict.
    pub outcome: Outcome,
    /// The signal that killed the process, e.g. `SIGSEGV`.
    pub signal: Option<String>,
    /// The HSA or HIP error printed, e.g. `0x29 HSA_STATUS_ERROR_MEMORY_APERTURE_VIOLATION`.
    pub hsa_error: Option<String>,
    /// The Python exception class of the last traceback, e.g. `RuntimeError`.
    pub exception: Option<String>,
    /// One human line on why: the smoke script's `detail`, or the exception line.
    pub detail: Option<String>,
    /// The smoke script's own result object, when it printed one.
    pub smoke: Option<serde_json::Value>,
}

/// Classifies a finished case. Precedence: hang, then an HSA/HIP error (whatever the exit),
/// then a signal, then what the smoke script reported, then a Python traceback.
pub fn classify(exit: Exit, stdout: &str, stderr: &str) -> Classified {
    let hsa_error = find_hsa_error(stderr).or_else(|| find_hsa_error(stdout));
    let traceback = last_exception_line(stderr);
    let exception = traceback.as_deref().map(|l| exception_class(l).to_string());
    let smoke = result_line(stdout);
    let status = smoke
        .as_ref()
        .and_then(|v| v.get("status"))
        .and_then(|s| s.as_str());
    let signal = match exit {
        Exit::Signal(n) => Some(signal_name(n)),
        _ => None,
    };
    let outcome = match exit {
        Exit::TimedOut => Outcome::Hang,
        _ if hsa_error.is_some() => Outcome::HsaError,
        Exit::Signal(_) => Outcome::Crash,
        Exit::Code(code) => match (status, code) {
            (Some("no-torch"), _) | (None, EXIT_NO_TORCH) => Outcome::NoTorch,
            (Some("no-gpu"), _) | (None, EXIT_NO_GPU) => Outcome::NoGpu,
            _ if code != 0 && exception.is_some() => Outcome::Exception,
            (Some("pass"), 0) => Outcome::Pass,
            (Some("wrong-result"), _) => Outcome::WrongResult,
            // Exited without a verdict of its own (or with "pass" and a failing code).
            _ => Outcome::Crash,
        },
    };
    let detail = smoke
        .as_ref()
        .and_then(|v| v.get("detail"))
        .and_then(|d| d.as_str())
        .map(str::to_string)
        .or(traceback);
    Classified {
        outcome,
        signal,
        hsa_error,
        exception,
        detail,
        smoke,
    }
}

/// The last `ROCM_DOCTOR_RESULT {json}` line of stdout, parsed.
pub fn result_line(stdout: &str) -> Option<serde_json::Value> {
    stdout
        .lines()
        .rev()
        .filter_map(|l| l.trim_end().strip_prefix(RESULT_PREFIX))
        .find_map(|json| serde_json::from_str::<serde_json::Value>(json.trim()).ok())
        .filter(|v| v.is_object())
}

/// The first HSA status or HIP error named in `text`, formatted for `hsa_error`.
pub fn find_hsa_error(text: &str) -> Option<String> {
    for line in text.lines() {
        if let Some(name) = word_starting(line, "HSA_STATUS_ERROR") {
            return hsa_status::describe(hex_after(line, "code: 0x"), Some(name));
        }
    }
    // The runtime's own enum name is the most precise; PyTorch's prose is the fallback.
    if let Some(name) = text.lines().find_map(|l| word_starting(l, "hipError")) {
        return Some(name.to_string());
    }
    text.lines().find_map(|l| {
        let at = l.find("HIP error: ")?;
        Some(l[at..].trim_end().to_string())
    })
}

/// The identifier in `line` that starts with `prefix` (letters, digits, `_`).
fn word_starting<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let start = line.find(prefix)?;
    let rest = &line[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// The hex number right after `marker` in `line`.
fn hex_after(line: &str, marker: &str) -> Option<u32> {
    let rest = &line[line.find(marker)? + marker.len()..];
    let end = rest
        .find(|c: char| !c.is_ascii_hexdigit())
        .unwrap_or(rest.len());
    u32::from_str_radix(&rest[..end], 16).ok()
}

/// The exception line (`Class: message` or `Class`) closing the last Python traceback.
fn last_exception_line(stderr: &str) -> Option<String> {
    let header = "Traceback (most recent call last):";
    let at = stderr.rfind(header)?;
    stderr[at + header.len()..]
        .lines()
        // Frames and source lines are indented; the exception line starts at column 0.
        .filter(|l| !l.is_empty() && !l.starts_with(char::is_whitespace))
        .find(|l| is_dotted_ident(exception_class(l)))
        .map(|l| l.trim_end().to_string())
}

/// `torch.OutOfMemoryError: HIP out of memory` → `torch.OutOfMemoryError`.
fn exception_class(line: &str) -> &str {
    line.split(':').next().unwrap_or(line).trim()
}

fn is_dotted_ident(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// The Linux name of a signal number (x86 and ARM numbering, signal(7):
/// <https://man7.org/linux/man-pages/man7/signal.7.html>).
pub fn signal_name(n: i32) -> String {
    const NAMES: &str = "SIGHUP SIGINT SIGQUIT SIGILL SIGTRAP SIGABRT SIGBUS SIGFPE SIGKILL \
        SIGUSR1 SIGSEGV SIGUSR2 SIGPIPE SIGALRM SIGTERM SIGSTKFLT SIGCHLD SIGCONT SIGSTOP SIGTSTP \
        SIGTTIN SIGTTOU SIGURG SIGXCPU SIGXFSZ SIGVTALRM SIGPROF SIGWINCH SIGIO SIGPWR SIGSYS";
    usize::try_from(n)
        .ok()
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| NAMES.split_whitespace().nth(i))
        .map_or_else(|| format!("signal {n}"), |s| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    // The older clr format, as posted for an RX 5500 XT in the AUTOMATIC1111 issue cited above.
    const OLD_CLR: &str = ":0:rocdevice.cpp            :2673: 1263352162 us: 21870: [tid:0x7f64e3eff640] Device::callbackQueue aborting with error : HSA_STATUS_ERROR_MEMORY_APERTURE_VIOLATION: The agent attempted to access memory beyond the largest legal address. code: 0x29";

    #[test]
    fn queue_abort_line_gives_code_and_name_even_when_killed_by_sigabrt() {
        let c = classify(Exit::Signal(6), "", OLD_CLR);
        assert_eq!(c.outcome, Outcome::HsaError);
        assert_eq!(c.signal.as_deref(), Some("SIGABRT"));
        assert_eq!(
            c.hsa_error.as_deref(),
            Some("0x29 HSA_STATUS_ERROR_MEMORY_APERTURE_VIOLATION")
        );
    }

    #[test]
    fn hip_errors_prefer_the_enum_name_over_prose() {
        let newer = "torch.AcceleratorError: HIP error: invalid device function\nSearch for `hipErrorInvalidDeviceFunction' in https://docs.nvidia.com/...\n";
        assert_eq!(
            find_hsa_error(newer).as_deref(),
            Some("hipErrorInvalidDeviceFunction")
        );
        let older = "RuntimeError: HIP error: invalid device function\n";
        assert_eq!(
            find_hsa_error(older).as_deref(),
            Some("HIP error: invalid device function")
        );
        assert_eq!(find_hsa_error("all fine\n"), None);
    }

    #[test]
    fn exception_class_comes_from_the_last_traceback() {
        let stderr = "Traceback (most recent call last):\n  File \"x\", line 1\nValueError: first\n\nDuring handling of the above exception, another exception occurred:\n\nTraceback (most recent call last):\n  File \"<string>\", line 3, in <module>\n    y = conv(x)\n        ^^^^^^^\ntorch.OutOfMemoryError: HIP out of memory. Tried to allocate 2.00 GiB\n";
        let c = classify(Exit::Code(1), "", stderr);
        assert_eq!(c.outcome, Outcome::Exception);
        assert_eq!(c.exception.as_deref(), Some("torch.OutOfMemoryError"));
        assert!(c.detail.unwrap().contains("Tried to allocate"));
    }

    #[test]
    fn result_line_decides_pass_wrong_and_missing_torch() {
        let line =
            |s: &str| format!("noise\n{RESULT_PREFIX}{{\"case\":\"c\",\"status\":\"{s}\"}}\n");
        assert_eq!(
            classify(Exit::Code(0), &line("pass"), "").outcome,
            Outcome::Pass
        );
        assert_eq!(
            classify(Exit::Code(5), &line("wrong-result"), "").outcome,
            Outcome::WrongResult
        );
        assert_eq!(
            classify(Exit::Code(3), &line("no-torch"), "").outcome,
            Outcome::NoTorch
        );
        // Exit codes alone still say no-torch / no-gpu when stdout was lost.
        assert_eq!(
            classify(Exit::Code(EXIT_NO_GPU), "", "").outcome,
            Outcome::NoGpu
        );
        // "pass" with a failing exit code is not a pass.
        assert_eq!(
            classify(Exit::Code(1), &line("pass"), "").outcome,
            Outcome::Crash
        );
        assert_eq!(
            classify(Exit::Code(0), "no verdict\n", "").outcome,
            Outcome::Crash
        );
    }

    #[test]
    fn timeout_beats_everything_and_signals_are_named() {
        assert_eq!(classify(Exit::TimedOut, "", OLD_CLR).outcome, Outcome::Hang);
        let c = classify(Exit::Signal(11), "", "");
        assert_eq!(
            (c.outcome, c.signal.as_deref()),
            (Outcome::Crash, Some("SIGSEGV"))
        );
        assert_eq!(signal_name(0), "signal 0");
        assert_eq!(signal_name(64), "signal 64");
    }
}
