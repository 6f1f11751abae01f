//! `fleet`: many nodes' `check --json`, `report --format json` or `scan --json` outputs merged
//! into one view: which finding codes appear on which nodes, and which nodes share a stack
//! (GPU targets, ROCm versions, torch versions, overrides). Files are read and parsed in
//! parallel; a file that is not one of those documents is skipped with the reason, never
//! guessed at.
//!
//! The stack comes from the `areas` of the check document, for scan files from the areas
//! computed here, so a node grouped from its scan and one from its check agree.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::model::Severity;

mod read;

pub use read::{inputs, load, parse_node};

/// What a node's file was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Input {
    /// `check --json`.
    Check,
    /// `report --format json` (check plus the scan).
    Report,
    /// `scan --json` or a bare snapshot, diagnosed here.
    Scan,
}

pub use crate::snapshot::Stack;

/// One finding on one node.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NodeFinding {
    /// Stable code.
    pub code: String,
    /// How bad.
    pub severity: Severity,
    /// The node's title for it.
    pub title: String,
}

/// One node, read.
#[derive(Debug, Clone)]
pub struct Node {
    /// `hostname` of the document, else the file stem.
    pub name: String,
    /// The file it came from.
    pub file: PathBuf,
    /// What the file was.
    pub input: Input,
    /// Its stack.
    pub stack: Stack,
    /// Its findings, worst first.
    pub findings: Vec<NodeFinding>,
}

/// A file that was not used, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The file (or missing path).
    pub file: PathBuf,
    /// Why.
    pub error: String,
}

/// One finding code across the fleet.
#[derive(Debug, Serialize)]
pub struct CodeRow {
    /// Stable code.
    pub code: String,
    /// The worst severity any node gave it.
    pub severity: Severity,
    /// The title on the first node (titles name a node's own GPU and paths).
    pub title: String,
    /// How many nodes have it.
    pub count: usize,
    /// Which, sorted.
    pub nodes: Vec<String>,
}

/// Nodes with one stack.
#[derive(Debug, Serialize)]
pub struct Group {
    /// The stack.
    pub stack: Stack,
    /// How many nodes.
    pub count: usize,
    /// Which, sorted.
    pub nodes: Vec<String>,
    /// Finding code → nodes of the group that have it.
    pub findings: BTreeMap<String, usize>,
}

/// One node in the merged view.
#[derive(Debug, Serialize)]
pub struct NodeRow {
    /// Its name (made unique: a repeated name becomes the file's path).
    pub name: String,
    /// Its file.
    pub file: PathBuf,
    /// What the file was.
    pub input: Input,
    /// `ok`, or the severity of its worst finding.
    pub worst: &'static str,
    /// Index into `groups`.
    pub group: usize,
}

/// The merged fleet.
#[derive(Debug, Serialize)]
pub struct Fleet {
    /// Nodes read.
    pub node_count: usize,
    /// Finding codes, worst first, then most nodes first.
    pub findings: Vec<CodeRow>,
    /// Nodes without findings.
    pub clean: Vec<String>,
    /// Stacks, most nodes first.
    pub groups: Vec<Group>,
    /// Every node, sorted by name.
    pub nodes: Vec<NodeRow>,
    /// Files not used.
    pub skipped: Vec<Skipped>,
}

/// Merges nodes into codes × nodes and stack groups.
pub fn merge(mut nodes: Vec<Node>, skipped: Vec<Skipped>) -> Fleet {
    let by_name = |a: &Node, b: &Node| a.name.cmp(&b.name).then_with(|| a.file.cmp(&b.file));
    nodes.sort_by(by_name);
    // Two files naming one host: the first keeps the name, the others go by their path.
    let mut seen: HashSet<String> = HashSet::with_capacity(nodes.len());
    let mut renamed = false;
    for n in &mut nodes {
        if !seen.insert(n.name.clone()) {
            n.name = n.file.display().to_string();
            renamed = true;
        }
    }
    if renamed {
        nodes.sort_by(by_name);
    }
    let mut codes: HashMap<&str, CodeRow> = HashMap::new();
    let mut group_of: HashMap<&Stack, usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut rows = Vec::with_capacity(nodes.len());
    let mut clean = Vec::new();
    for n in &nodes {
        let g = *group_of.entry(&n.stack).or_insert_with(|| {
            groups.push(Group {
                stack: n.stack.clone(),
                count: 0,
                nodes: Vec::new(),
                findings: BTreeMap::new(),
            });
            groups.len() - 1
        });
        groups[g].count += 1;
        groups[g].nodes.push(n.name.clone());
        for (i, f) in n.findings.iter().enumerate() {
            // A code repeated on one node (two GPUs, two installs) counts the node once.
            if n.findings[..i].iter().any(|p| p.code == f.code) {
                continue;
            }
            *groups[g].findings.entry(f.code.clone()).or_default() += 1;
            let row = codes.entry(&f.code).or_insert_with(|| CodeRow {
                code: f.code.clone(),
                severity: f.severity,
                title: f.title.clone(),
                count: 0,
                nodes: Vec::new(),
            });
            row.severity = row.severity.max(f.severity);
            row.count += 1;
            row.nodes.push(n.name.clone());
        }
        let worst = n.findings.iter().map(|f| f.severity).max();
        if worst.is_none() {
            clean.push(n.name.clone());
        }
        rows.push(NodeRow {
            name: n.name.clone(),
            file: n.file.clone(),
            input: n.input,
            worst: worst.map_or("ok", Severity::as_str),
            group: g,
        });
    }
    // Sort groups, then point each node at its group's new place.
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by(|&a, &b| {
        groups[b]
            .count
            .cmp(&groups[a].count)
            .then_with(|| groups[a].stack.cmp(&groups[b].stack))
    });
    let mut new_index = vec![0; groups.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new;
    }
    for r in &mut rows {
        r.group = new_index[r.group];
    }
    let mut slots: Vec<Option<Group>> = groups.into_iter().map(Some).collect();
    let groups = order.iter().filter_map(|&i| slots[i].take()).collect();
    let mut findings: Vec<CodeRow> = codes.into_values().collect();
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.count.cmp(&a.count))
            .then_with(|| a.code.cmp(&b.code))
    });
    Fleet {
        node_count: rows.len(),
        findings,
        clean,
        groups,
        nodes: rows,
        skipped,
    }
}

/// Reads `paths` (files and directories) and merges them.
pub fn run(paths: &[PathBuf]) -> Fleet {
    let (files, mut skipped) = inputs(paths);
    let (nodes, bad) = load(&files);
    skipped.extend(bad);
    merge(nodes, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, file: &str, gfx: &str, codes: &[(&str, Severity)]) -> Node {
        Node {
            name: name.into(),
            file: file.into(),
            input: Input::Check,
            stack: Stack {
                gpu_targets: vec![gfx.into()],
                ..Stack::default()
            },
            findings: codes
                .iter()
                .map(|(c, s)| NodeFinding {
                    code: (*c).into(),
                    severity: *s,
                    title: format!("{c} on {name}"),
                })
                .collect(),
        }
    }

    #[test]
    fn merge_counts_nodes_once_per_code_and_groups_stacks() {
        let e = Severity::Error;
        let w = Severity::Warning;
        let nodes = vec![
            node("b", "b.json", "gfx90a", &[("x", w), ("x", w)]),
            node("a", "a.json", "gfx90a", &[("x", e), ("y", w)]),
            node("c", "c.json", "gfx1100", &[]),
            node("a", "dup/a.json", "gfx1100", &[]),
        ];
        let f = merge(nodes, Vec::new());
        assert_eq!(f.node_count, 4);
        let names: Vec<&str> = f.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c", "dup/a.json"]);
        assert_eq!(f.findings[0].code, "x");
        assert_eq!(f.findings[0].severity, e, "worst severity wins");
        assert_eq!(f.findings[0].count, 2);
        assert_eq!(f.findings[0].nodes, ["a", "b"]);
        assert_eq!(f.clean, ["c", "dup/a.json"]);
        assert_eq!(f.groups.len(), 2);
        assert_eq!(
            f.groups[0].stack.gpu_targets,
            ["gfx1100"],
            "ties sort by stack"
        );
        assert_eq!(f.groups[1].findings.get("x"), Some(&2));
        for n in &f.nodes {
            assert!(f.groups[n.group].nodes.contains(&n.name), "{n:?}");
        }
    }
}
