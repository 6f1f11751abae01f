//! Helpers shared by the integration tests: where the real corpus is, which real tools exist,
//! and running the built binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where `fixtures/fetch.sh` puts the large real inputs.
pub fn corpus() -> PathBuf {
    std::env::var_os("ROCM_DOCTOR_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("fixtures/downloads"))
}

/// True when `scripts/test.sh` asked for every real input and tool to be present.
pub fn required() -> bool {
    std::env::var_os("ROCM_DOCTOR_REQUIRE_CORPUS").is_some_and(|v| v == "1")
}

/// Returns true if `ok`; otherwise fails the test when inputs are required, or prints why the
/// test is skipped and returns false.
pub fn have(ok: bool, what: &str) -> bool {
    if !ok {
        assert!(
            !required(),
            "required input missing: {what} (run fixtures/fetch.sh and .ci/install.sh)"
        );
        eprintln!("SKIPPED: {what} is missing (run scripts/test.sh to get it)");
    }
    ok
}

/// A real corpus file, if present (or fails when required).
pub fn corpus_file(rel: &str) -> Option<PathBuf> {
    let p = corpus().join(rel);
    have(p.exists(), &p.display().to_string()).then_some(p)
}

/// Path of a real tool (`llvm-dis-16`, `clang-offload-bundler` of LLVM 19, ...), if installed.
pub fn tool(name: &str) -> Option<PathBuf> {
    let candidates = [PathBuf::from("/usr/bin").join(name)];
    let found = candidates.iter().find(|p| p.exists()).cloned().or_else(|| {
        // clang-tools-N installs the bundler without a suffix under /usr/lib/llvm-N/bin.
        let (base, major) = name.rsplit_once('-')?;
        let p = PathBuf::from(format!("/usr/lib/llvm-{major}/bin/{base}"));
        p.exists().then_some(p)
    });
    have(found.is_some(), name).then(|| found.unwrap())
}

/// Runs the built `rocm-doctor` with `args`.
pub fn doctor(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rocm-doctor"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run rocm-doctor")
}

/// Runs `rocm-doctor inspect --json ARGS...` and parses the document (any exit code but 2).
pub fn inspect_json(args: &[&Path]) -> serde_json::Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rocm-doctor"));
    cmd.arg("inspect").arg("--json").args(args);
    let out = cmd.output().expect("run rocm-doctor");
    assert_ne!(
        out.status.code(),
        Some(2),
        "tool failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// Runs a real tool and returns (success, stdout, stderr).
pub fn run(tool: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(tool).args(args).output().expect("run tool");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A plain `__CLANG_OFFLOAD_BUNDLE__` holding `entries` (ID, bytes), entry data 8-aligned.
pub fn plain_bundle(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut header = b"__CLANG_OFFLOAD_BUNDLE__".to_vec();
    header.extend((entries.len() as u64).to_le_bytes());
    let table_len: usize = entries.iter().map(|(id, _)| 24 + id.len()).sum();
    let mut offset = (header.len() + table_len).next_multiple_of(8) as u64;
    let mut data = Vec::new();
    for (id, bytes) in entries {
        header.extend(offset.to_le_bytes());
        header.extend((bytes.len() as u64).to_le_bytes());
        header.extend((id.len() as u64).to_le_bytes());
        header.extend(id.as_bytes());
        offset += (bytes.len() as u64).next_multiple_of(8);
    }
    header.resize(header.len().next_multiple_of(8), 0);
    for (_, bytes) in entries {
        data.extend(*bytes);
        data.resize(data.len().next_multiple_of(8), 0);
    }
    header.extend(data);
    header
}

/// The string of the first dump line starting with `tag`: bcanalyzer prints
/// `record string = '...'` for abbreviated records and only `opN=<char code>` for the others.
pub fn record_string(dump: &str, tag: &str) -> Option<String> {
    let line = dump.lines().find(|l| l.trim_start().starts_with(tag))?;
    if let Some(s) = line.split("record string = '").nth(1) {
        return Some(s.strip_suffix('\'').unwrap_or(s).to_owned());
    }
    let chars: Option<Vec<u8>> = line
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("op"))
        .map(|w| w.split_once('=')?.1.trim_end_matches("/>").parse().ok())
        .collect();
    String::from_utf8(chars?).ok()
}

/// op0 of the first dump line starting with `tag`.
pub fn record_op0(dump: &str, tag: &str) -> Option<u64> {
    let line = dump.lines().find(|l| l.trim_start().starts_with(tag))?;
    let v = line.split("op0=").nth(1)?;
    v.trim_end_matches(|c: char| !c.is_ascii_digit())
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// `clang-offload-bundler --list --type=o` on a bundle file: (success, entry IDs, stderr).
/// The bundler prints IDs in hash-map order, so they come back as a set.
pub fn bundler_list(
    bundler: &Path,
    file: &Path,
) -> (bool, std::collections::BTreeSet<String>, String) {
    let (ok, out, err) = run(
        bundler,
        &["--list", "--type=o", &format!("--input={}", file.display())],
    );
    (ok, out.lines().map(str::to_owned).collect(), err)
}

/// The entry IDs of one bundle of our JSON, as a set.
pub fn entry_ids(bundle: &serde_json::Value) -> std::collections::BTreeSet<String> {
    bundle["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["triple"].as_str().expect("triple").to_owned())
        .collect()
}

/// A plan candidate's `setup` as docs/plan.md documents it, written apart from the tool's own
/// type; shared by the contract tests of `plan --json`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupWire {
    pub gfx: String,
    pub runtime_target: String,
    pub override_value: Option<String>,
    pub visible_devices: Option<String>,
    pub python: Option<String>,
    pub pip: Vec<String>,
    pub index_url: Option<String>,
    pub torch: Option<String>,
    pub numpy: Option<String>,
    pub venv_dir: Option<String>,
    pub image: Option<String>,
    pub rocm_release: Option<String>,
}
