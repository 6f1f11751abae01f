//! Reading node files for `fleet`: which files, parsed in parallel, and the stack each node
//! names. Only the fields `fleet` needs are parsed; evidence, remedies and a report's scan
//! are skipped unparsed, which keeps 10,000 files well under a second.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rayon::prelude::*;
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::{Input, Node, NodeFinding, Skipped, Stack};

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
    stack: Option<Stack>,
    findings: Option<Vec<NodeFinding>>,
    scan: Option<IgnoredAny>,
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
    let (input, stack, findings) = match (doc.stack, doc.findings) {
        (Some(stack), Some(findings)) => {
            if doc.schema_version != Some(1) {
                anyhow::bail!("check schema_version {:?} is not 1", doc.schema_version);
            }
            let input = if doc.scan.is_some() {
                Input::Report
            } else {
                Input::Check
            };
            (input, stack, findings)
        }
        _ => {
            let snap = crate::snapshot::from_json(text)
                .context("neither a check/report document (stack, findings) nor a scan")?;
            let found = crate::plan::assess(&snap, Vec::new()).findings;
            let findings = found
                .into_iter()
                .map(|f| NodeFinding {
                    code: f.code,
                    severity: f.severity,
                    title: f.title,
                })
                .collect();
            (Input::Scan, snap.stack(), findings)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_json_and_scan_json_give_the_same_typed_stack() {
        let s = crate::demo::snapshot();
        let st = s.stack();
        assert_eq!(st.gpu_targets, ["gfx1010"]);
        assert_eq!(st.rocm_versions, ["7.0.2-56"]);
        assert_eq!(st.torch_versions, ["2.5.1+rocm6.2"]);
        assert_eq!(st.overrides, ["HSA_OVERRIDE_GFX_VERSION=10.3.0"]);
        let mut check = Vec::new();
        let f = crate::plan::assess(&s, Vec::new()).findings;
        crate::report::check::write_json(&mut check, &s, &f, "").unwrap();
        let from_check = parse_node(Path::new("a.json"), std::str::from_utf8(&check).unwrap());
        let scan = serde_json::to_string(&s).unwrap();
        let from_scan = parse_node(Path::new("a.json"), &scan);
        assert_eq!(from_check.unwrap().stack, st);
        assert_eq!(from_scan.unwrap().stack, st);
    }

    #[test]
    fn bad_documents_say_why() {
        let p = Path::new("n.json");
        assert!(parse_node(p, "{").is_err());
        let e = parse_node(p, "{}").unwrap_err();
        assert!(format!("{e:#}").contains("neither a check"), "{e:#}");
        let e = parse_node(p, r#"{"schema_version":9,"stack":{"gpu_targets":[],"rocm_versions":[],"torch_versions":[],"overrides":[]},"findings":[]}"#).unwrap_err();
        assert!(format!("{e:#}").contains("schema_version"), "{e:#}");
        let n = parse_node(
            p,
            r#"{"schema_version":1,"hostname":"gpu07","stack":{"gpu_targets":[],"rocm_versions":[],"torch_versions":[],"overrides":[]},"findings":[]}"#,
        )
        .unwrap();
        assert_eq!((n.name.as_str(), n.input), ("gpu07", Input::Check));
    }
}
