//! `explain` on the corpus of real failure logs (tests/fixtures/logs, cases-a.toml and
//! cases-b.toml): the primary finding's category must be the one the thread settled on for at
//! least 90% of the cases, no remedy may repeat what a thread showed harmful, every code must
//! be documented in `codes()`, and evidence must quote lines that exist. Prints the table.
//! Run with `cargo test --test explain_corpus -- --nocapture` to see it.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use rocm_doctor::diagnose::Finding;
use rocm_doctor::explain::{codes, explain};
use serde::Deserialize;

#[derive(Deserialize)]
struct Index {
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
}

fn logs() -> PathBuf {
    common::repo().join("tests/fixtures/logs")
}

fn cases() -> Vec<Case> {
    let mut all = Vec::new();
    for index in ["cases-a.toml", "cases-b.toml"] {
        let text = std::fs::read_to_string(logs().join(index)).expect(index);
        let i: Index = toml::from_str(&text).expect(index);
        all.extend(i.case);
    }
    all
}

fn run(case: &Case) -> (String, Vec<Finding>) {
    let bytes = std::fs::read(logs().join(&case.file)).expect(&case.file);
    let log = String::from_utf8_lossy(&bytes).into_owned();
    let findings = explain(&log, None);
    (log, findings)
}

#[test]
fn primary_category_matches_the_threads() {
    let cases = cases();
    assert_eq!(cases.len(), 53, "the corpus has 53 cases");
    let mut right = 0;
    let mut table = String::from("file | expected | got (code)\n");
    for case in &cases {
        let (_, findings) = run(case);
        let got = findings
            .first()
            .map(|f| (f.category.as_str(), f.code.as_str()))
            .unwrap_or(("(nothing)", "-"));
        let ok = got.0 == case.category;
        right += usize::from(ok);
        table.push_str(&format!(
            "{} {} | {} | {} ({})\n",
            if ok { " " } else { "✗" },
            case.file,
            case.category,
            got.0,
            got.1
        ));
    }
    let share = right as f64 / cases.len() as f64;
    println!(
        "{table}primary category right: {right}/{} = {:.1}%",
        cases.len(),
        share * 100.0
    );
    assert!(
        share >= 0.90,
        "only {right}/{} right:\n{table}",
        cases.len()
    );
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
                        "{}: remedy {:?} of {} contains harmful {bad:?}",
                        case.file,
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
        for f in &findings {
            assert!(
                known.contains(&f.code.as_str()),
                "{}: unknown code {}",
                case.file,
                f.code
            );
            assert!(
                !f.remedies.is_empty() || f.severity.as_str() == "info",
                "{}: {} has no remedy",
                case.file,
                f.code
            );
            for e in &f.evidence {
                if let Some(n) = e.source.strip_prefix("log line ") {
                    let n: usize = n.parse().expect("line number");
                    assert!(
                        (1..=count).contains(&n),
                        "{}: {} cites line {n} of {count}",
                        case.file,
                        f.code
                    );
                    let line = log.lines().nth(n - 1).unwrap().trim();
                    let quoted = e.says.trim_end_matches('…');
                    assert!(
                        line.starts_with(quoted) || e.says.starts_with("and "),
                        "{}: line {n} is {line:?}, evidence says {:?}",
                        case.file,
                        e.says
                    );
                }
            }
            for u in f
                .sources
                .iter()
                .chain(f.remedies.iter().flat_map(|r| &r.sources))
            {
                assert!(
                    u.starts_with("https://"),
                    "{}: {} source {u}",
                    case.file,
                    f.code
                );
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
    assert!(text.contains("no known signature found"), "{text}");
    assert!(text.contains("missing-kernels-for-arch"), "{text}");

    let out = doctor_stdin(&["explain", "-"], "hipErrorNoBinaryForGpu\n");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("[hip-no-binary-for-gpu]"), "{text}");
    assert!(text.contains("log line 1:"), "{text}");

    let out = common::doctor(&["explain", "/nonexistent/rocm-doctor.log"]);
    assert_eq!(out.status.code(), Some(2));
}
