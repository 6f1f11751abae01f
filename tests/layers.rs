//! The layering of docs/architecture.md, checked on the source: a module imports only modules
//! below it in the pipeline. Lower layers never name a higher one (not even in a path), and
//! the renderers never run a rule.

mod common;

use std::path::Path;

/// Each layer and the application modules it must not name.
const RULES: &[(&str, &[&str])] = &[
    (
        "src/model",
        &[
            "root",
            "snapshot",
            "probe",
            "inspect",
            "knowledge",
            "diagnose",
            "explain",
            "plan",
            "fix",
            "exec",
            "verify",
            "fleet",
            "report",
            "capture",
            "cli",
        ],
    ),
    (
        "src/root.rs",
        &[
            "snapshot",
            "probe",
            "inspect",
            "knowledge",
            "diagnose",
            "explain",
            "plan",
            "fix",
            "verify",
            "fleet",
            "report",
            "capture",
            "cli",
        ],
    ),
    (
        "src/knowledge",
        &[
            "snapshot", "probe", "diagnose", "explain", "plan", "fix", "verify", "fleet", "report",
            "capture", "cli",
        ],
    ),
    (
        "src/snapshot.rs",
        &[
            "diagnose", "explain", "plan", "fix", "verify", "fleet", "report", "capture", "cli",
        ],
    ),
    (
        "src/probe",
        &[
            "diagnose", "explain", "plan", "fix", "verify", "fleet", "report", "capture", "cli",
        ],
    ),
    (
        "src/inspect",
        &[
            "snapshot", "probe", "diagnose", "explain", "plan", "fix", "verify", "fleet", "report",
            "capture", "cli",
        ],
    ),
    (
        "src/exec",
        &[
            "snapshot",
            "probe",
            "knowledge",
            "diagnose",
            "explain",
            "plan",
            "fix",
            "verify",
            "fleet",
            "report",
            "capture",
            "cli",
        ],
    ),
    (
        "src/diagnose",
        &[
            "explain", "plan", "fix", "fleet", "report", "capture", "cli",
        ],
    ),
    (
        "src/explain",
        &["plan", "fix", "fleet", "report", "capture", "cli"],
    ),
    ("src/plan", &["fix", "fleet", "report", "capture", "cli"]),
    ("src/fix", &["fleet", "report", "capture", "cli"]),
    ("src/fleet", &["report", "capture", "cli"]),
    ("src/fleet.rs", &["report", "capture", "cli"]),
    ("src/capture.rs", &["report", "cli"]),
    ("src/report", &["cli"]),
];

/// The non-test source of `text`: everything before its `#[cfg(test)]` module.
fn code(text: &str) -> &str {
    text.split("#[cfg(test)]").next().unwrap_or(text)
}

fn files(at: &Path) -> Vec<std::path::PathBuf> {
    if at.is_file() {
        return vec![at.to_path_buf()];
    }
    walkdir::WalkDir::new(at)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        .map(walkdir::DirEntry::into_path)
        .collect()
}

#[test]
fn no_module_imports_one_above_it() {
    let mut bad = Vec::new();
    for (layer, forbidden) in RULES {
        for f in files(&common::repo().join(layer)) {
            let text = std::fs::read_to_string(&f).unwrap();
            for (n, line) in code(&text).lines().enumerate() {
                if line.trim_start().starts_with("//") {
                    continue;
                }
                for m in *forbidden {
                    if line.contains(&format!("crate::{m}::"))
                        || line.contains(&format!("crate::{m};"))
                        || line.contains(&format!("crate::{m}}}"))
                        || line.contains(&format!("crate::{m},"))
                    {
                        bad.push(format!(
                            "{}:{}: names {m}: {}",
                            f.display(),
                            n + 1,
                            line.trim()
                        ));
                    }
                }
            }
        }
    }
    assert!(bad.is_empty(), "layering broken:\n{}", bad.join("\n"));
}

#[test]
fn renderers_never_run_a_rule_or_a_plan() {
    let mut bad = Vec::new();
    for f in files(&common::repo().join("src/report")) {
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in code(&text).lines().enumerate() {
            for call in [
                "diagnose::check(",
                "plan::plan(",
                "plan::assess(",
                "explain::explain(",
            ] {
                if line.contains(call) {
                    bad.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(bad.is_empty(), "report computes:\n{}", bad.join("\n"));
}
