//! `explain` on the corpus of real failure logs (tests/fixtures/logs/cases-*.toml).
//!
//! The corpus is split once and for all: every case of cases-a.toml and cases-b.toml is
//! development; any other case is held-out iff the first byte of
//! sha256("rocm-doctor-heldout-2026-12-07:" + url) is < 103 (scripts/corpus-split.py lists the
//! development files; held-out logs are never read while writing signatures or mappings).
//! The test prints, for both sets, how often the primary finding's category (top-1) and any of
//! the first three (top-3) is the category the thread settled on, and how many logs got no
//! finding at all. Only development rows are printed one by one; held-out results are counts.
//! No remedy may repeat what a thread showed harmful, every code must be in `codes()`, and
//! evidence must quote lines that exist.
//! Run with `cargo test --release --test explain_corpus -- --nocapture` to see the figures.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use rocm_doctor::diagnose::Finding;
use rocm_doctor::explain::{codes, explain};
use serde::Deserialize;

#[derive(Deserialize)]
struct Index {
    #[serde(default)]
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Case {
    file: String,
    url: String,
    category: String,
    diagnosis: String,
    context: String,
    harmful: Vec<String>,
    #[serde(skip)]
    heldout: bool,
}

const SALT: &str = "rocm-doctor-heldout-2026-12-07:";
const HELDOUT_BELOW: u8 = 103;

/// SHA-256, as `scripts/corpus-split.py` computes it.
fn sha256(data: &[u8]) -> [u8; 32] {
    rocm_doctor::knowledge::errors::sha256(data)
}

/// The fixed split: parts a and b are development; any other case is held-out when the first
/// byte of sha256(SALT + url) is below 103 (about 40%).
fn is_heldout(index: &str, url: &str) -> bool {
    if index == "cases-a.toml" || index == "cases-b.toml" {
        return false;
    }
    sha256(format!("{SALT}{url}").as_bytes())[0] < HELDOUT_BELOW
}

#[test]
fn sha256_and_split_are_the_committed_ones() {
    let hex: String = sha256(b"abc").iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let long: String = sha256(&[b'a'; 1000])
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        long,
        "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"
    );
    assert!(!is_heldout("cases-a.toml", "https://x"));
}

fn logs() -> PathBuf {
    common::repo().join("tests/fixtures/logs")
}

fn cases() -> Vec<Case> {
    let mut names: Vec<String> = std::fs::read_dir(logs())
        .expect("tests/fixtures/logs")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("cases-") && n.ends_with(".toml"))
        .collect();
    names.sort();
    let mut all: Vec<Case> = Vec::new();
    for index in names {
        let text = std::fs::read_to_string(logs().join(&index)).expect(&index);
        let i: Index = toml::from_str(&text).expect(&index);
        for mut c in i.case {
            if all.iter().any(|x| x.url == c.url) {
                continue; // one case per thread
            }
            c.heldout = is_heldout(&index, &c.url);
            all.push(c);
        }
    }
    all
}

fn run(case: &Case) -> (String, Vec<Finding>) {
    let bytes = std::fs::read(logs().join(&case.file)).expect("a case's log");
    let log = String::from_utf8_lossy(&bytes).into_owned();
    let findings = explain(&log, None);
    (log, findings)
}

/// Names a case in a failure message without revealing a held-out one.
fn name(case: &Case) -> &str {
    if case.heldout {
        "(a held-out case)"
    } else {
        &case.file
    }
}

#[derive(Default)]
struct Score {
    n: usize,
    top1: usize,
    top3: usize,
    silent: usize,
}

impl Score {
    fn pct(k: usize, n: usize) -> f64 {
        if n == 0 {
            0.0
        } else {
            k as f64 * 100.0 / n as f64
        }
    }
    fn line(&self, set: &str) -> String {
        format!(
            "{set}: {} logs, top-1 {}/{} = {:.1}%, top-3 {}/{} = {:.1}%, ROCm failure left without a finding: {}",
            self.n,
            self.top1,
            self.n,
            Self::pct(self.top1, self.n),
            self.top3,
            self.n,
            Self::pct(self.top3, self.n),
            self.silent
        )
    }
}

/// Honest floors, a little under the figures measured when they were set (every case in the
/// corpus is a real ROCm-stack failure). On 2026-12-07, with 179 development and 78 held-out
/// cases: development top-1 78.8%, top-3 87.2%, none silent; held-out top-1 50.0%, top-3
/// 59.0%, 7 silent. The target (held-out >= 90% top-1, >= 97% top-3, none silent) is
/// NOT met; raise these as the matcher improves, never lower them to pass.
const DEV_TOP1: f64 = 0.75;
const DEV_TOP3: f64 = 0.84;
const HELDOUT_TOP1: f64 = 0.48;
const HELDOUT_TOP3: f64 = 0.56;
/// Below this many held-out logs the held-out floors are not asserted (figures still print).
const HELDOUT_MIN: usize = 20;

#[test]
fn primary_category_matches_the_threads() {
    let cases = cases();
    assert!(cases.len() >= 53, "the corpus has at least parts a and b");
    let (mut dev, mut held) = (Score::default(), Score::default());
    let mut table = String::from("development: file | expected | got (code) | top-3\n");
    for case in &cases {
        let (_, findings) = run(case);
        let top: Vec<&str> = findings
            .iter()
            .take(3)
            .map(|f| f.category.as_str())
            .collect();
        let ok1 = top.first() == Some(&case.category.as_str());
        let ok3 = top.contains(&case.category.as_str());
        let s = if case.heldout { &mut held } else { &mut dev };
        s.n += 1;
        s.top1 += usize::from(ok1);
        s.top3 += usize::from(ok3);
        s.silent += usize::from(findings.is_empty());
        if !case.heldout {
            let got = findings
                .first()
                .map(|f| (f.category.as_str(), f.code.as_str()))
                .unwrap_or(("(nothing)", "-"));
            table.push_str(&format!(
                "{} {} | {} | {} ({}) | {}\n",
                if ok1 {
                    " "
                } else if ok3 {
                    "~"
                } else {
                    "✗"
                },
                case.file,
                case.category,
                got.0,
                got.1,
                top.join(", ")
            ));
        }
    }
    let summary = format!("{}\n{}", dev.line("development"), held.line("held-out"));
    println!("{table}\n{summary}");
    let frac = |k: usize, n: usize| k as f64 / n.max(1) as f64;
    assert!(
        frac(dev.top1, dev.n) >= DEV_TOP1 && frac(dev.top3, dev.n) >= DEV_TOP3,
        "development below the floor:\n{table}\n{summary}"
    );
    assert_eq!(
        dev.silent, 0,
        "development logs without a finding:\n{table}"
    );
    if held.n >= HELDOUT_MIN {
        assert!(
            frac(held.top1, held.n) >= HELDOUT_TOP1 && frac(held.top3, held.n) >= HELDOUT_TOP3,
            "held-out below the floor: {summary}"
        );
    }
}

#[test]
fn no_remedy_repeats_what_a_thread_showed_harmful() {
    for case in cases() {
        let (_, findings) = run(&case);
        for f in &findings {
            for r in &f.remedies {
                let text = [
                    r.title.as_str(),
                    r.command.as_deref().unwrap_or(""),
                    &r.detail,
                ];
                for bad in &case.harmful {
                    assert!(
                        text.iter().all(|t| !t.contains(bad.as_str())),
                        "{}: remedy {:?} of {} contains a harmful substring",
                        name(&case),
                        r.title,
                        f.code
                    );
                }
            }
        }
    }
}

#[test]
fn codes_are_known_and_evidence_quotes_real_lines() {
    let known = codes();
    for case in cases() {
        let (log, findings) = run(&case);
        let count = log.lines().count();
        let file = name(&case);
        for f in &findings {
            assert!(
                known.contains(&f.code.as_str()),
                "{file}: unknown code {}",
                f.code
            );
            assert!(
                !f.remedies.is_empty() || f.severity.as_str() == "info",
                "{file}: {} has no remedy",
                f.code
            );
            for e in &f.evidence {
                if let Some(n) = e.source.strip_prefix("log line ") {
                    let n: usize = n.parse().expect("line number");
                    assert!(
                        (1..=count).contains(&n),
                        "{file}: {} cites line {n} of {count}",
                        f.code
                    );
                    let line = log.lines().nth(n - 1).unwrap().trim();
                    let quoted = e.says.trim_end_matches('…');
                    assert!(
                        line.starts_with(quoted) || e.says.starts_with("and "),
                        "{file}: line {n} does not start with the evidence of {}",
                        f.code
                    );
                }
            }
            for u in f
                .sources
                .iter()
                .chain(f.remedies.iter().flat_map(|r| &r.sources))
            {
                assert!(u.starts_with("https://"), "{file}: {} source {u}", f.code);
            }
        }
    }
}

fn doctor_stdin(args: &[&str], input: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rocm-doctor"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rocm-doctor");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn cli_reads_stdin_and_prints_json() {
    let log =
        std::fs::read_to_string(logs().join("pcie-atomics/rocm-1218-rx580-ivybridge.log")).unwrap();
    let out = doctor_stdin(&["explain", "-", "--json"], &log);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["schema_version"], 1);
    let first = &v["findings"][0];
    assert_eq!(first["category"], "pcie-atomics");
    assert_eq!(first["code"], "pcie-atomics-rejected");
    for key in [
        "severity",
        "title",
        "evidence",
        "why",
        "layer",
        "other_layers",
        "remedies",
        "sources",
    ] {
        assert!(first.get(key).is_some(), "missing {key}");
    }
    assert_eq!(first["evidence"][0]["source"], "log line 5");

    let out = doctor_stdin(&["explain"], "nothing to see here\n");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("No ROCm failure found"), "{text}");
    assert!(text.contains("missing-kernels-for-arch"), "{text}");

    let out = doctor_stdin(&["explain", "-"], "hipErrorNoBinaryForGpu\n");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("[hip-no-binary-for-gpu]"), "{text}");
    assert!(text.contains("log line 1:"), "{text}");

    let out = common::doctor(&["explain", "/nonexistent/rocm-doctor.log"]);
    assert_eq!(out.status.code(), Some(2));
}
