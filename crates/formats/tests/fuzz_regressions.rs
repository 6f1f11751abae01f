//! Replays fuzz inputs through the fuzz targets' own code (`fuzz/harness.rs`): every seed in
//! `fuzz/seeds/<target>/` and every crash, timeout or OOM input kept in
//! `tests/regressions/<target>/`. Each input must return normally (no panic, no failed
//! property) within [`PER_INPUT`]. Runs on stable, without cargo-fuzz.
//!
//! To add a regression: minimise the artifact (`cargo fuzz tmin <target> <file>`), copy it to
//! `crates/formats/tests/regressions/<target>/`, fix the parser, and run
//! `cargo test -p rocm-formats --test fuzz_regressions`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../../fuzz/harness.rs"]
mod harness;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// How long one input may take (debug build, all four targets) before it counts as a hang.
const PER_INPUT: Duration = Duration::from_secs(60);

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 4] = [
    ("sniff", harness::sniff_target),
    ("bitcode", harness::bitcode_target),
    ("bundle", harness::bundle_target),
    ("code_object", harness::code_object_target),
];

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = rd
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    out.sort();
    out
}

fn seeds_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds")
        .join(target)
}

fn regressions_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/regressions")
        .join(target)
}

/// One input for one target, named for the failure message.
struct Job {
    label: String,
    target: Target,
    data: Vec<u8>,
}

fn job(name: &str, target: Target, path: &Path) -> Job {
    Job {
        label: format!("{name} <- {}", path.display()),
        target,
        data: std::fs::read(path).unwrap(),
    }
}

/// Runs the jobs on a worker thread; fails on any panic, or on an input that takes longer
/// than [`PER_INPUT`] (the stuck thread is then left behind).
fn replay(jobs: Vec<Job>) -> usize {
    let n = jobs.len();
    let labels: Vec<String> = jobs.iter().map(|j| j.label.clone()).collect();
    let (tx, rx) = mpsc::channel::<Result<(), String>>();
    std::thread::spawn(move || {
        for j in jobs {
            let r = catch_unwind(AssertUnwindSafe(|| (j.target)(&j.data))).map_err(|e| {
                e.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_string()))
                    .unwrap_or_default()
            });
            if tx.send(r).is_err() {
                return;
            }
        }
    });
    let mut failures = Vec::new();
    for label in &labels {
        match rx.recv_timeout(PER_INPUT) {
            Ok(Ok(())) => {}
            Ok(Err(msg)) => failures.push(format!("{label}: panicked: {msg}")),
            Err(_) => panic!("{label}: over {PER_INPUT:?} (hang); failures before: {failures:#?}"),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing inputs:\n{}",
        failures.len(),
        failures.join("\n")
    );
    n
}

/// Each target's seeds and regressions, through that target.
#[test]
fn each_target_on_its_own_inputs() {
    let mut jobs = Vec::new();
    for (name, f) in TARGETS {
        let seeds = files_in(&seeds_dir(name));
        assert!(
            !seeds.is_empty(),
            "no seeds in {}",
            seeds_dir(name).display()
        );
        for p in seeds.iter().chain(&files_in(&regressions_dir(name))) {
            jobs.push(job(name, f, p));
        }
    }
    let n = replay(jobs);
    eprintln!("{n} inputs replayed");
}

/// Every input through every target: a bundle seed is also hostile bitcode, and so on.
#[test]
fn every_target_on_every_input() {
    let mut all = Vec::new();
    for (name, _) in TARGETS {
        all.extend(files_in(&seeds_dir(name)));
        all.extend(files_in(&regressions_dir(name)));
    }
    let jobs = all
        .iter()
        .flat_map(|p| TARGETS.iter().map(move |(name, f)| job(name, *f, p)))
        .collect();
    replay(jobs);
}

/// Prefixes of every seed through its target: cheap cover for truncation paths without the
/// fuzzer.
#[test]
fn truncated_seeds() {
    let mut jobs = Vec::new();
    for (name, f) in TARGETS {
        for p in files_in(&seeds_dir(name)) {
            let whole = job(name, f, &p);
            let len = whole.data.len();
            for cut in [len / 2, len.saturating_sub(1), 64.min(len), 31.min(len)] {
                jobs.push(Job {
                    label: format!("{} [..{cut}]", whole.label),
                    target: f,
                    data: whole.data.get(..cut).unwrap().to_vec(),
                });
            }
        }
    }
    replay(jobs);
}
