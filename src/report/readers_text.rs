//! Bitcode reader verdicts for humans: a line per file, or for many files one matrix of
//! files × readers, files with the same producer and verdicts grouped into one row.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::Style;
use crate::inspect::model::FileReport;
use crate::inspect::readers::Verdict;

/// Past this many bitcode files, walks show the matrix instead of a block per file.
pub const MATRIX_MIN_FILES: usize = 6;

/// `loads with 15-22; fails with 14: <message> (<feature>)`, one line per distinct outcome.
pub fn write_file_verdicts(
    out: &mut dyn Write,
    verdicts: &[Verdict],
    style: &Style,
) -> io::Result<()> {
    if verdicts.is_empty() {
        return Ok(());
    }
    let loads: Vec<u32> = verdicts
        .iter()
        .filter(|v| v.loads == Some(true))
        .map(|v| v.llvm)
        .collect();
    if !loads.is_empty() {
        writeln!(
            out,
            "  {} LLVM {}",
            style.green("loads with"),
            majors(&loads)
        )?;
    }
    for ((message, feature), list) in grouped(verdicts, Some(false)) {
        writeln!(
            out,
            "  {} LLVM {}: {}{}",
            style.red("fails with"),
            majors(&list),
            message.unwrap_or("(message unknown)"),
            feature.map(|f| format!("  [{f}]")).unwrap_or_default()
        )?;
    }
    for ((_, feature), list) in grouped(verdicts, None) {
        writeln!(
            out,
            "  unknown for LLVM {}{}",
            majors(&list),
            feature
                .map(|f| format!(": no source says when {f} became readable"))
                .unwrap_or_default()
        )?;
    }
    Ok(())
}

/// A message and the feature behind it.
type Outcome<'a> = (Option<&'a str>, Option<String>);

/// Groups verdicts with outcome `loads` by (message, feature description), oldest reader first.
fn grouped(verdicts: &[Verdict], loads: Option<bool>) -> Vec<(Outcome<'_>, Vec<u32>)> {
    let mut m: BTreeMap<Outcome<'_>, Vec<u32>> = BTreeMap::new();
    for v in verdicts.iter().filter(|v| v.loads == loads) {
        m.entry((v.message.as_deref(), describe(v)))
            .or_default()
            .push(v.llvm);
    }
    let mut groups: Vec<_> = m.into_iter().collect();
    groups.sort_by_key(|(_, majors)| majors.first().copied());
    groups
}

fn describe(v: &Verdict) -> Option<String> {
    match (&v.feature, &v.what) {
        (Some(f), Some(w)) => Some(format!("{f}: {w}")),
        (Some(f), None) => Some(f.clone()),
        _ => None,
    }
}

/// `14, 16-19`: consecutive majors as ranges.
fn majors(list: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < list.len() {
        let mut j = i;
        while j + 1 < list.len() && list[j + 1] == list[j] + 1 {
            j += 1;
        }
        parts.push(if j > i + 1 {
            format!("{}-{}", list[i], list[j])
        } else if j == i + 1 {
            format!("{}, {}", list[i], list[j])
        } else {
            list[i].to_string()
        });
        i = j + 1;
    }
    parts.join(", ")
}

/// A matrix row: producer, one verdict per reader, the files that share them.
type Row<'a> = (String, Vec<Option<bool>>, Vec<&'a FileReport>);

/// The files × readers matrix. `installed` marks the readers present on this machine.
pub fn write_matrix(
    out: &mut dyn Write,
    files: &[&FileReport],
    installed: &[u32],
    style: &Style,
) -> io::Result<()> {
    let Some(first) = files.iter().find(|f| !f.readers.is_empty()) else {
        return Ok(());
    };
    let columns: Vec<u32> = first.readers.iter().map(|v| v.llvm).collect();
    // Group rows by producer and verdict vector, keeping first-seen order.
    let mut groups: Vec<Row> = Vec::new();
    for f in files {
        let producer = f
            .bitcode
            .as_ref()
            .and_then(|b| b.producer.clone())
            .unwrap_or_else(|| "?".into());
        let cells: Vec<Option<bool>> = f.readers.iter().map(|v| v.loads).collect();
        match groups
            .iter_mut()
            .find(|(p, c, _)| *p == producer && *c == cells)
        {
            Some(g) => g.2.push(f),
            None => groups.push((producer, cells, vec![f])),
        }
    }
    let label = |g: &Row| {
        let name = |f: &FileReport| {
            f.path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        match g.2.as_slice() {
            [one] => name(one),
            [a, .., b] => format!("{} files: {} … {}", g.2.len(), name(a), name(b)),
            [] => String::new(),
        }
    };
    let width = groups
        .iter()
        .map(|g| label(g).chars().count() + g.0.len() + 2)
        .max()
        .unwrap_or(0)
        .max(24);
    let mut header = format!("{:<width$}", "bitcode × LLVM reader");
    for c in &columns {
        let mark = if installed.contains(c) { "*" } else { " " };
        header.push_str(&format!(" {c:>3}{mark}"));
    }
    writeln!(out, "{}", style.bold(&header))?;
    for g in &groups {
        let mut row = format!("{:<width$}", format!("{}  {}", label(g), g.0));
        for cell in &g.1 {
            let mark = match cell {
                Some(true) => style.green("  ✓ "),
                Some(false) => style.red("  ✗ "),
                None => "  ? ".to_owned(),
            };
            row.push(' ');
            row.push_str(&mark);
        }
        writeln!(out, "{row}")?;
        // Why, for the first file of the group (its verdicts stand for the whole row).
        for ((message, feature), list) in grouped(&g.2[0].readers, Some(false)) {
            writeln!(
                out,
                "    ✗ {}: {}{}",
                majors(&list),
                message.unwrap_or("(message unknown)"),
                feature.map(|f| format!("  [{f}]")).unwrap_or_default()
            )?;
        }
    }
    writeln!(
        out,
        "{}",
        style.dim("✓ loads  ✗ fails  ? unknown   * installed here")
    )
}

#[cfg(test)]
mod tests {
    use super::majors;

    #[test]
    fn majors_collapse_into_ranges() {
        assert_eq!(majors(&[14, 15, 16, 17, 19, 20, 22]), "14-17, 19, 20, 22");
        assert_eq!(majors(&[14]), "14");
        assert_eq!(majors(&[]), "");
    }
}
