//! Reading node files for `fleet`: which files, parsed in parallel, and the stack each node
//! names. Only the fields `fleet` needs are parsed; evidence, remedies and a report's scan
//! are skipped unparsed, which keeps 10,000 files well under a second.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rayon::prelude::*;
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::{Input, Node, NodeFinding, Skipped, Stack};
use crate::diagnose;

/// The files to read: files as given, directories walked for `*.json`, in path order.
pub fn inputs(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Skipped>) {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = walkdir::WalkDir::new(p)
                .follow_links(true)
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file())
                .map(walkdir::DirEntry::into_path)
                .filter(|f| f.extension().is_some_and(|x| x == "json"))
                .collect();
            found.sort();
            files.extend(found);
        } else if p.exists() {
            files.push(p.clone());
        } else {
            let error = "no such file or directory".to_owned();
            skipped.push(Skipped {
                file: p.clone(),
                error,
            });
        }
    }
    (files, skipped)
}

/// Reads and parses `files` in parallel, in their order.
pub fn load(files: &[PathBuf]) -> (Vec<Node>, Vec<Skipped>) {
    let results: Vec<Result<Node, Skipped>> = files
        .par_iter()
        .map(|f| {
            std::fs::read_to_string(f)
                .map_err(anyhow::Error::from)
                .and_then(|text| parse_node(f, &text))
                .map_err(|e| Skipped {
                    file: f.clone(),
                    error: format!("{e:#}"),
                })
        })
        .collect();
    let mut nodes = Vec::with_capacity(results.len());
    let mut skipped = Vec::new();
    for r in results {
        match r {
            Ok(n) => nodes.push(n),
            Err(s) => skipped.push(s),
        }
    }
    (nodes, skipped)
}

/// The fields of a check or report document that `fleet` needs; the rest is skipped unparsed.
#[derive(Deserialize)]
struct Doc {
    schema_version: Option<u64>,
    hostname: Option<String>,
    areas: Option<Vec<AreaIn>>,
    findings: Option<Vec<NodeFinding>>,
    scan: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct AreaIn {
    name: String,
    summary: String,
}

/// One node from the text of its file.
///
/// Returns an error when the text is not a check, report or scan document of a layout this
/// rocm-doctor reads.
pub fn parse_node(file: &Path, text: &str) -> anyhow::Result<Node> {
    let doc: Doc = serde_json::from_str(text).context("not a rocm-doctor JSON document")?;
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned());
    let name = doc
        .hostname
        .filter(|h| !h.trim().is_empty())
        .or(stem)
        .unwrap_or_default();
    let (input, stack, findings) = match (doc.areas, doc.findings) {
        (Some(areas), Some(findings)) => {
            if doc.schema_version != Some(1) {
                anyhow::bail!("check schema_version {:?} is not 1", doc.schema_version);
            }
            let input = if doc.scan.is_some() {
                Input::Report
            } else {
                Input::Check
            };
            let pairs: Vec<(&str, &str)> = areas
                .iter()
                .map(|a| (a.name.as_str(), a.summary.as_str()))
                .collect();
            (input, stack_from_areas(&pairs), findings)
        }
        _ => {
            let snap = crate::snapshot::from_json(text)
                .context("neither a check/report document (areas, findings) nor a scan")?;
            let found = diagnose::check(&snap);
            let areas = crate::report::check::areas(&snap, &found);
            let pairs: Vec<(&str, &str)> =
                areas.iter().map(|a| (a.name, a.summary.as_str())).collect();
            let findings = found
                .into_iter()
                .map(|f| NodeFinding {
                    code: f.code,
                    severity: f.severity,
                    title: f.title,
                })
                .collect();
            (Input::Scan, stack_from_areas(&pairs), findings)
        }
    };
    Ok(Node {
        name,
        file: file.to_path_buf(),
        input,
        stack,
        findings,
    })
}

/// The stack named by `check`'s area summaries (`report::check::areas` writes them).
pub fn stack_from_areas(areas: &[(&str, &str)]) -> Stack {
    let summary = |name: &str| {
        areas
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, s)| s)
    };
    let set = |mut v: Vec<String>| {
        v.sort();
        v.dedup();
        v
    };
    // `Name (gfx1030, RDNA2); Name (gfx?)`: the target opens the last parenthesis.
    let gpu_targets = summary("gpu")
        .split("; ")
        .filter_map(|g| g.rsplit_once(" (").map(|(_, t)| t))
        .filter_map(|t| t.split([',', ')']).next())
        .filter(|t| t.starts_with("gfx"))
        .map(str::to_owned)
        .collect();
    // `VAR=value (source), …`, or `no HSA_OVERRIDE_GFX_VERSION`.
    let overrides = summary("environment")
        .split(", ")
        .filter(|o| o.contains('=') && !o.starts_with("no "))
        .map(|o| o.rsplit_once(" (").map_or(o, |(v, _)| v).to_owned())
        .collect();
    // `/opt/rocm-7.0.2 7.0.2-56, /usr (version unknown)`, or `no ROCm install found`.
    let rocm = summary("rocm");
    let rocm_versions = if rocm.starts_with("no ROCm") || rocm.is_empty() {
        Vec::new()
    } else {
        rocm.split(", ")
            .map(|i| match i.rsplit_once(' ') {
                _ if i.ends_with("(version unknown)") => "?".to_owned(),
                Some((_, v)) => v.to_owned(),
                None => "?".to_owned(),
            })
            .collect()
    };
    // `torch 2.5.1+rocm6.2 in /venv/…, torch ? in …`.
    let torch_versions = summary("pytorch")
        .split(", ")
        .filter_map(|t| t.strip_prefix("torch "))
        .filter_map(|t| t.split(' ').next())
        .map(str::to_owned)
        .collect();
    Stack {
        gpu_targets: set(gpu_targets),
        rocm_versions: set(rocm_versions),
        torch_versions: set(torch_versions),
        overrides: set(overrides),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacks_read_from_areas_match_the_snapshot() {
        let s = crate::demo::snapshot();
        let f = diagnose::check(&s);
        let areas = crate::report::check::areas(&s, &f);
        let pairs: Vec<(&str, &str)> = areas.iter().map(|a| (a.name, a.summary.as_str())).collect();
        let st = stack_from_areas(&pairs);
        assert_eq!(st.gpu_targets, ["gfx1010"]);
        assert_eq!(st.rocm_versions, ["7.0.2-56"]);
        assert_eq!(st.torch_versions, ["2.5.1+rocm6.2"]);
        assert_eq!(st.overrides, ["HSA_OVERRIDE_GFX_VERSION=10.3.0"]);
        let none = stack_from_areas(&[
            ("gpu", "no AMD GPU found"),
            ("environment", "no HSA_OVERRIDE_GFX_VERSION"),
            ("rocm", "no ROCm install found"),
            ("pytorch", "no PyTorch found in 2 Python environments"),
        ]);
        assert_eq!(none, Stack::default());
        let odd = stack_from_areas(&[
            (
                "gpu",
                "AMD Radeon (TM) Graphics (gfx1036, RDNA2); X (gfx1100)",
            ),
            ("rocm", "/usr (version unknown), /opt/rocm-6.4.1 6.4.1"),
        ]);
        assert_eq!(odd.gpu_targets, ["gfx1036", "gfx1100"]);
        assert_eq!(odd.rocm_versions, ["6.4.1", "?"]);
    }

    #[test]
    fn bad_documents_say_why() {
        let p = Path::new("n.json");
        assert!(parse_node(p, "{").is_err());
        let e = parse_node(p, "{}").unwrap_err();
        assert!(format!("{e:#}").contains("neither a check"), "{e:#}");
        let e = parse_node(p, r#"{"schema_version":9,"areas":[],"findings":[]}"#).unwrap_err();
        assert!(format!("{e:#}").contains("schema_version"), "{e:#}");
        let n = parse_node(
            p,
            r#"{"schema_version":1,"hostname":"gpu07","areas":[],"findings":[]}"#,
        )
        .unwrap();
        assert_eq!((n.name.as_str(), n.input), ("gpu07", Input::Check));
    }
}
