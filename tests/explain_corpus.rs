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

/// SHA-256 (FIPS 180-4), enough for the split; no crate needed.
fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bits.to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 64];
        for i in 0..16 {
            w[i] = u32::from_be_bytes(block[4 * i..4 * i + 4].try_into().unwrap());
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let mut v = h;
        for i in 0..64 {
            let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
            let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
            let t1 = v[7]
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
            let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            let t2 = s0.wrapping_add(maj);
            v = [
                t1.wrapping_add(t2),
                v[0],
                v[1],
                v[2],
                v[3].wrapping_add(t1),
                v[4],
                v[5],
                v[6],
            ];
        }
        for i in 0..8 {
            h[i] = h[i].wrapping_add(v[i]);
        }
    }
    let mut out = [0u8; 32];
    for i in 0..8 {
        out[4 * i..4 * i + 4].copy_from_slice(&h[i].to_be_bytes());
    }
    out
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
