//! `fleet` output: a table of finding codes × nodes and the groups of nodes that share a
//! stack, node lists shortened Slurm-style (`gpu[001-040,042]`); or the merged view as JSON.

use std::io::{self, Write};

use serde::Serialize;

use super::{findings_text, Style};
use crate::fleet::{Fleet, Stack};

/// Layout version of `fleet --json`.
pub const SCHEMA_VERSION: u32 = 1;

/// Node lists in text are cut near this many characters.
const LIST_WIDTH: usize = 72;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: super::inspect_json::Tool,
    #[serde(flatten)]
    fleet: &'a Fleet,
}

/// Writes `fleet --json`.
///
/// Returns an error if writing fails.
pub fn write_json(out: &mut dyn Write, fleet: &Fleet) -> io::Result<()> {
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        tool: super::inspect_json::Tool {
            name: "rocm-doctor",
            version: env!("CARGO_PKG_VERSION"),
        },
        fleet,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// Writes the fleet for people.
///
/// Returns an error if writing fails.
pub fn write_text(out: &mut dyn Write, fleet: &Fleet, style: &Style) -> io::Result<()> {
    let total = fleet.node_count;
    writeln!(
        out,
        "{} {total} nodes, {} stacks, {} files skipped\n",
        style.bold("rocm-doctor fleet:"),
        fleet.groups.len(),
        fleet.skipped.len()
    )?;
    if total > 0 {
        let width = fleet
            .findings
            .iter()
            .map(|r| r.code.len())
            .max()
            .unwrap_or(0)
            .max(12);
        writeln!(out, "{}", style.bold("Findings × nodes, worst first:"))?;
        for r in &fleet.findings {
            writeln!(
                out,
                " {} {:<width$} {:>6}/{total}  {}",
                findings_text::mark(style, r.severity),
                r.code,
                r.count,
                abbreviate(&r.nodes, LIST_WIDTH)
            )?;
        }
        if !fleet.clean.is_empty() {
            writeln!(
                out,
                " {} {:<width$} {:>6}/{total}  {}",
                style.green("✓"),
                "no findings",
                fleet.clean.len(),
                abbreviate(&fleet.clean, LIST_WIDTH)
            )?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            style.bold("Stacks (same GPU targets, ROCm, torch and overrides), most nodes first:")
        )?;
        for (i, g) in fleet.groups.iter().enumerate() {
            let nodes = if g.count == 1 { "node" } else { "nodes" };
            writeln!(
                out,
                " {}. {} {nodes}: {}",
                i + 1,
                g.count,
                describe(&g.stack)
            )?;
            writeln!(out, "    {}", abbreviate(&g.nodes, LIST_WIDTH))?;
            if !g.findings.is_empty() {
                let list: Vec<String> = g
                    .findings
                    .iter()
                    .map(|(c, n)| format!("{c} ({n})"))
                    .collect();
                writeln!(out, "    {} {}", style.dim("findings:"), list.join(", "))?;
            }
        }
    }
    if !fleet.skipped.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", style.bold("Skipped:"))?;
        for s in &fleet.skipped {
            writeln!(out, "  {}: {}", s.file.display(), s.error)?;
        }
    }
    if let Some(first) = fleet.findings.first() {
        writeln!(out)?;
        writeln!(out, "{}", style.bold("Next:"))?;
        let node = first.nodes.first().map_or("", String::as_str);
        writeln!(
            out,
            "  run `rocm-doctor report` on {node} (or any node with {}) for the remedies",
            first.code
        )?;
    }
    Ok(())
}

/// `gfx90a · ROCm 6.4.1 · torch 2.6.0+rocm6.4.1 · no override`.
pub fn describe(s: &Stack) -> String {
    let list = |v: &[String], none: &str| {
        if v.is_empty() {
            none.to_owned()
        } else {
            v.join(", ")
        }
    };
    format!(
        "{} · ROCm {} · torch {} · {}",
        list(&s.gpu_targets, "no GPU"),
        list(&s.rocm_versions, "none"),
        list(&s.torch_versions, "none"),
        list(&s.overrides, "no override")
    )
}

/// A bracket prefix (None for a lone name) and its pieces: (text, nodes it stands for).
type HostItem<'a> = (Option<&'a str>, Vec<(String, usize)>);

/// Node names as Slurm-style host lists (`node[01-04,07],login1`), cut near `width`
/// characters with the number of nodes left out.
pub fn abbreviate(names: &[String], width: usize) -> String {
    // (prefix, digit count, number, name) for names ending in digits; others stand alone.
    let mut split: Vec<(&str, usize, u64, &str)> = names
        .iter()
        .map(|n| {
            let digits = n.len() - n.trim_end_matches(|c: char| c.is_ascii_digit()).len();
            let (prefix, num) = n.split_at(n.len() - digits);
            match num.parse::<u64>() {
                Ok(v) if digits <= 18 => (prefix, digits, v, n.as_str()),
                _ => (n.as_str(), 0, 0, n.as_str()),
            }
        })
        .collect();
    split.sort();
    split.dedup();
    let mut items: Vec<HostItem> = Vec::new();
    let mut i = 0;
    while i < split.len() {
        let (prefix, w, _, whole) = split[i];
        let mut j = i;
        while w > 0 && j + 1 < split.len() && split[j + 1].0 == prefix && split[j + 1].1 == w {
            j += 1;
        }
        if i == j {
            items.push((None, vec![(whole.to_owned(), 1)]));
            i += 1;
            continue;
        }
        let mut pieces = Vec::new();
        let mut k = i;
        while k <= j {
            let mut e = k;
            while e < j && split[e + 1].2 == split[e].2 + 1 {
                e += 1;
            }
            let (a, b) = (split[k].2, split[e].2);
            pieces.push(match a == b {
                true => (format!("{a:0w$}"), 1),
                false => (format!("{a:0w$}-{b:0w$}"), e - k + 1),
            });
            k = e + 1;
        }
        items.push((Some(prefix), pieces));
        i = j + 1;
    }
    let mut text = String::new();
    let mut shown = 0;
    for (prefix, pieces) in &items {
        if !text.is_empty() {
            if text.len() + pieces[0].0.len() > width {
                return format!("{text} … (+{} more)", split.len() - shown);
            }
            text.push(',');
        }
        if let Some(p) = prefix {
            text.push_str(p);
            text.push('[');
        }
        for (n, (piece, count)) in pieces.iter().enumerate() {
            if n > 0 {
                if text.len() + piece.len() > width {
                    return format!("{text},…] (+{} more)", split.len() - shown);
                }
                text.push(',');
            }
            text.push_str(piece);
            shown += count;
        }
        if prefix.is_some() {
            text.push(']');
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn host_lists_collapse_into_ranges() {
        let n = names(&[
            "gpu003", "gpu001", "gpu002", "gpu007", "login", "gpu010", "gpu2",
        ]);
        assert_eq!(abbreviate(&n, 80), "gpu2,gpu[001-003,007,010],login");
        assert_eq!(abbreviate(&names(&["a1", "a2"]), 80), "a[1-2]");
        assert_eq!(abbreviate(&names(&["solo"]), 80), "solo");
        assert_eq!(abbreviate(&[], 80), "");
    }

    #[test]
    fn long_ranges_are_cut_inside_the_brackets() {
        let n: Vec<String> = (0..1000).map(|i| format!("gpu{:04}", i * 2)).collect();
        let s = abbreviate(&n, 40);
        assert!(s.starts_with("gpu[0000,0002,"), "{s}");
        let shown = s.matches(',').count(); // pieces after the first, plus the one before …
        assert!(s.ends_with(&format!(",…] (+{} more)", 1000 - shown)), "{s}");
        assert!(s.len() < 70, "{s}");
    }

    #[test]
    fn long_lists_are_cut_with_a_count() {
        let n: Vec<String> = (0..50).map(|i| format!("host-{}x", i * 7)).collect();
        let s = abbreviate(&n, 40);
        assert!(s.len() < 70, "{s}");
        let shown = s.split(" … ").next().unwrap().split(',').count();
        assert!(s.ends_with(&format!("(+{} more)", 50 - shown)), "{s}");
    }

    #[test]
    fn stacks_read_plainly() {
        let s = Stack {
            gpu_targets: vec!["gfx90a".into()],
            rocm_versions: vec!["6.4.1".into()],
            ..Stack::default()
        };
        assert_eq!(
            describe(&s),
            "gfx90a · ROCm 6.4.1 · torch none · no override"
        );
    }
}
