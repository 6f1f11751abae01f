//! `verify`'s runner and classifier on fixtures/verify/* (scripts that end the way real smoke
//! cases do: see its README), and the embedded smoke script on this machine's python3.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rocm_doctor::verify::{self, run_all, run_case, Case, Launcher, Outcome, Report};

fn fixture(name: &str) -> Launcher {
    Launcher::Fixture(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/verify")
            .join(name),
    )
}

fn seed() -> Case {
    verify::matrix().remove(0)
}

fn run(name: &str, timeout_secs: u64) -> verify::CaseResult {
    run_case(&fixture(name), &seed(), Duration::from_secs(timeout_secs))
}

#[test]
fn pass_and_wrong_result_come_from_the_result_line() {
    let r = run("pass.py", 30);
    assert_eq!(r.outcome, Outcome::Pass, "{r:?}");
    assert_eq!(r.exit_code, Some(0));
    let smoke = r.smoke.expect("result line parsed");
    assert_eq!(
        smoke["case"], "seed-fp32-fwd",
        "the case name reaches the script"
    );

    let r = run("wrong.py", 30);
    assert_eq!(r.outcome, Outcome::WrongResult, "{r:?}");
    assert_eq!(r.exit_code, Some(verify::EXIT_WRONG_RESULT));
    assert!(r.detail.unwrap().contains("exceeds"));
}

#[test]
fn exception_names_the_python_class() {
    let r = run("exception.py", 30);
    assert_eq!(r.outcome, Outcome::Exception, "{r:?}");
    assert_eq!(r.exception.as_deref(), Some("RuntimeError"));
    assert_eq!(r.signal, None);
    assert!(r.stderr_tail.contains("Traceback (most recent call last):"));
}

#[test]
fn signals_are_crashes_with_their_names() {
    let r = run("segfault.py", 30);
    assert_eq!(r.outcome, Outcome::Crash, "{r:?}");
    assert_eq!(r.signal.as_deref(), Some("SIGSEGV"));
    assert_eq!(r.exit_code, None);
    assert!(r.stderr_tail.contains("about to segfault"));

    let r = run("abort.py", 30);
    assert_eq!(r.outcome, Outcome::Crash, "{r:?}");
    assert_eq!(r.signal.as_deref(), Some("SIGABRT"));
    assert_eq!(r.hsa_error, None);
}

#[test]
fn hsa_queue_abort_is_an_hsa_error_with_code_and_name() {
    let r = run("hsa_error.py", 30);
    assert_eq!(r.outcome, Outcome::HsaError, "{r:?}");
    assert_eq!(
        r.hsa_error.as_deref(),
        Some("0x29 HSA_STATUS_ERROR_MEMORY_APERTURE_VIOLATION")
    );
    assert_eq!(r.signal.as_deref(), Some("SIGABRT"));
}

/// Alive means present in /proc and not a zombie (a killed orphan may wait to be reaped).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => false,
        Ok(stat) => {
            let state = stat
                .rsplit(')')
                .next()
                .and_then(|s| s.split_whitespace().next());
            state != Some("Z") && state != Some("X")
        }
    }
}

fn gone_soon(pid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if !alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn hang_is_killed_with_its_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pids");
    // Only hang.py reads this variable; setting it here is harmless to the other tests.
    std::env::set_var("ROCM_DOCTOR_FIXTURE_PIDFILE", &pidfile);
    let t0 = Instant::now();
    let r = run("hang.py", 2);
    assert!(t0.elapsed() < Duration::from_secs(8), "{:?}", t0.elapsed());
    assert_eq!(r.outcome, Outcome::Hang, "{r:?}");
    assert!(r.seconds >= 2.0, "{}", r.seconds);

    let pids: Vec<u32> = std::fs::read_to_string(&pidfile)
        .expect("hang.py wrote its pids before the timeout")
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    assert_eq!(pids.len(), 2);
    for pid in pids {
        assert!(gone_soon(pid), "pid {pid} survived the timeout");
    }
}

#[test]
fn stderr_flood_is_drained_and_capped() {
    let t0 = Instant::now();
    let r = run("flood.py", 120);
    assert_eq!(r.outcome, Outcome::Pass, "{:?}", r.detail);
    assert!(t0.elapsed() < Duration::from_secs(60), "{:?}", t0.elapsed());
    assert!(r.stderr_tail.len() <= verify::STDERR_TAIL_BYTES);
    assert!(r.stderr_tail.len() > verify::STDERR_TAIL_BYTES / 2);
    assert!(r.stderr_tail.ends_with("fixture: flood done\n"));
}

#[test]
fn no_torch_stops_the_run_after_the_first_case() {
    let cases = verify::matrix();
    let mut seen = 0;
    let report = run_all(
        &fixture("no_torch.py"),
        &cases,
        Duration::from_secs(30),
        |_| seen += 1,
    )
    .unwrap();
    assert_eq!(report.cases.len(), 1);
    assert_eq!(seen, 1);
    assert_eq!(report.cases[0].outcome, Outcome::NoTorch);
    let why = report.stopped_early.expect("says why it stopped");
    assert!(why.contains("torch cannot be imported"), "{why}");
    assert!(why.contains(&format!("{} cases", cases.len() - 1)), "{why}");
}

#[test]
fn passing_run_covers_every_case_and_round_trips_as_json() {
    let cases: Vec<Case> = verify::matrix().into_iter().take(3).collect();
    let report = run_all(&fixture("pass.py"), &cases, Duration::from_secs(30), |_| {}).unwrap();
    assert_eq!(report.stopped_early, None);
    let names: Vec<_> = report.cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["seed-fp32-fwd", "seed-fp32-bwd", "seed-fp16-fwd"]);

    let json: serde_json::Value = serde_json::to_value(&report).unwrap();
    assert_eq!(json["schema_version"], 1);
    let case = &json["cases"][0];
    for key in [
        "name",
        "signal",
        "hsa_error",
        "exception",
        "seconds",
        "stderr_tail",
    ] {
        assert!(case.get(key).is_some(), "missing {key}");
    }
    assert_eq!(case["outcome"], "pass");
    let back: Report = serde_json::from_value(json).unwrap();
    assert_eq!(back, report);
}

#[test]
fn missing_interpreter_is_a_tool_failure_not_a_case_result() {
    let launcher = Launcher::Python(PathBuf::from("/nonexistent/bin/python3"));
    assert!(launcher.check().is_err());
    assert!(run_all(&launcher, &verify::matrix(), Duration::from_secs(5), |_| {}).is_err());
}

fn system_python_has_torch() -> Option<bool> {
    let out = std::process::Command::new("python3")
        .args(["-c", "import torch"])
        .output()
        .ok()?;
    Some(out.status.success())
}

#[test]
fn embedded_smoke_script_reports_no_torch_on_this_machine() {
    match system_python_has_torch() {
        None => return eprintln!("SKIPPED: no python3 on PATH"),
        Some(true) => return eprintln!("SKIPPED: python3 has torch here"),
        Some(false) => {}
    }
    let launcher = Launcher::Python(Path::new("python3").to_path_buf());
    launcher.check().unwrap();
    let r = run_case(&launcher, &seed(), Duration::from_secs(60));
    assert_eq!(r.outcome, Outcome::NoTorch, "{r:?}");
    assert_eq!(r.exit_code, Some(verify::EXIT_NO_TORCH));
    assert!(r.detail.unwrap().contains("No module named 'torch'"));
    assert_eq!(r.smoke.unwrap()["status"], "no-torch");
}
