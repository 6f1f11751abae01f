//! `inspect` for humans: one block per file, targets sorted, identical bundles grouped.

use std::io::{self, Write};

use rocm_formats::bundle::Compression;
use rocm_formats::code_object::CodeObject;

use super::{human_size, readers_text, target_order, targets_of, Style};
use crate::inspect::model::{BundleReport, FileReport, InspectResult, Kind};

/// Writes the text report.
///
/// Returns an error if writing fails.
pub fn write(out: &mut dyn Write, result: &InspectResult, style: &Style) -> io::Result<()> {
    let judged: Vec<&FileReport> = result
        .files
        .iter()
        .filter(|f| !f.readers.is_empty())
        .collect();
    let matrix = judged.len() >= readers_text::MATRIX_MIN_FILES;
    for f in &result.files {
        // Many judged bitcode files read best as one matrix; list them one by one only on -v.
        if matrix && !style.verbose && !f.readers.is_empty() && f.error.is_none() {
            continue;
        }
        write_file(out, f, style, !matrix)?;
    }
    if matrix {
        readers_text::write_matrix(out, &judged, &result.installed_llvm, style)?;
    }
    for p in &result.missing {
        writeln!(
            out,
            "{}  {}",
            p.display(),
            style.red("no such file or directory")
        )?;
    }
    write_footer(out, result, style.verbose)
}

fn write_file(
    out: &mut dyn Write,
    f: &FileReport,
    style: &Style,
    verdicts: bool,
) -> io::Result<()> {
    // Walks meet many host libraries without GPU code; list them only when asked.
    if !f.explicit && !style.verbose && is_plain_host_elf(f) {
        return Ok(());
    }
    let kind = match f.kind {
        Kind::Bitcode => "bitcode",
        Kind::Elf => "ELF",
        Kind::OffloadBundle => "offload bundle",
        Kind::CodeObject => "code object",
        Kind::Unknown => "unknown",
    };
    let mut head = format!(
        "{}  {}  {}",
        style.bold(&f.path.display().to_string()),
        kind,
        human_size(f.size)
    );
    if is_plain_host_elf(f) {
        head.push_str(&style.dim("  (no GPU code)"));
    }
    writeln!(out, "{head}")?;
    if let Some(bc) = &f.bitcode {
        let mut line = format!(
            "  producer {}",
            bc.producer
                .as_deref()
                .unwrap_or("(none: no IDENTIFICATION block)")
        );
        if let Some(epoch) = bc.epoch {
            line.push_str(&format!(" (epoch {epoch})"));
        }
        line.push_str(&format!(
            ", triple {}",
            bc.triple.as_deref().unwrap_or("(none)")
        ));
        if bc.wrapper.is_some() {
            line.push_str(", wrapped");
        }
        writeln!(out, "{line}")?;
        if style.verbose {
            if let Some(dl) = &bc.datalayout {
                writeln!(out, "  datalayout {dl}")?;
            }
        }
        if verdicts {
            readers_text::write_file_verdicts(out, &f.readers, style)?;
        }
    }
    if let Some(co) = &f.code_object {
        writeln!(out, "  {}", code_object_line(co))?;
    }
    if let Some(elf) = &f.elf {
        for s in &elf.bundle_sections {
            let mut line = format!(
                "  {} @ {:#x}, {}: {} bundle{}",
                s.name,
                s.offset,
                human_size(s.size),
                s.bundles,
                if s.bundles == 1 { "" } else { "s" }
            );
            if s.trailing_bytes > 0 {
                line.push_str(&format!(", {} trailing byte(s)", s.trailing_bytes));
            }
            writeln!(out, "{line}")?;
        }
    }
    if !f.bundles.is_empty() {
        let targets = targets_of(f);
        writeln!(
            out,
            "  targets ({}): {}",
            targets.len(),
            style.green(&targets.join(" "))
        )?;
        if style.verbose {
            for (i, b) in f.bundles.iter().enumerate() {
                write_bundle(out, i, b)?;
            }
        } else {
            write_bundle_groups(out, &f.bundles)?;
        }
    }
    if let Some(e) = &f.error {
        writeln!(out, "  {} {e}", style.red("error:"))?;
    }
    Ok(())
}

fn is_plain_host_elf(f: &FileReport) -> bool {
    f.kind == Kind::Elf && f.bundles.is_empty() && f.error.is_none()
}

fn code_object_line(co: &CodeObject) -> String {
    let target = co
        .target
        .as_ref()
        .map(|t| t.target_id())
        .or_else(|| co.processor.clone())
        .unwrap_or_else(|| format!("unknown processor (mach {:#x})", co.mach));
    let mut line = format!(
        "{target}  xnack {}, sramecc {}, code object {}",
        co.xnack.as_str(),
        co.sramecc.as_str(),
        co.code_object_version
            .map_or("unknown".to_owned(), |v| format!("v{v}"))
    );
    if let Some(t) = &co.metadata_target {
        line.push_str(&format!(", amdhsa.target {t}"));
    }
    line
}

fn compression_label(b: &BundleReport) -> String {
    let b = &b.bundle;
    match (b.compression, b.ccob_version) {
        (None, _) => format!("plain, {}", human_size(b.size)),
        (Some(c), v) => {
            let method = match c {
                Compression::Zlib => "zlib",
                Compression::Zstd => "zstd",
            };
            let ratio = b
                .uncompressed_size
                .map(|u| format!(", {} → {}", human_size(b.size), human_size(u)))
                .unwrap_or_else(|| format!(", {}", human_size(b.size)));
            format!("CCOB v{} {method}{ratio}", v.unwrap_or(0))
        }
    }
}

/// Consecutive bundles with the same entry IDs and compression share one line.
fn write_bundle_groups(out: &mut dyn Write, bundles: &[BundleReport]) -> io::Result<()> {
    fn signature(b: &BundleReport) -> (Vec<&str>, String) {
        let mut ids: Vec<&str> = b.bundle.entries.iter().map(|e| e.id.as_str()).collect();
        ids.sort_by_key(|id| target_order(id));
        (ids, compression_label_kind(b))
    }
    let mut start = 0;
    while start < bundles.len() {
        let sig = signature(&bundles[start]);
        let mut end = start + 1;
        while end < bundles.len() && signature(&bundles[end]) == sig {
            end += 1;
        }
        let group = &bundles[start..end];
        let bytes: u64 = group.iter().map(|b| b.bundle.size).sum();
        let label = if group.len() == 1 {
            format!("bundle #{start} @ {:#x}", group[0].file_offset)
        } else {
            format!("bundles #{start}-#{} ({})", end - 1, group.len())
        };
        let hosts = group[0]
            .bundle
            .entries
            .iter()
            .filter(|e| e.target_id.is_none())
            .count();
        let devices = group[0].bundle.entries.len() - hosts;
        let compression = if group.len() == 1 {
            compression_label(&group[0])
        } else {
            format!(
                "{}, {} in all",
                compression_label_kind(&group[0]),
                human_size(bytes)
            )
        };
        writeln!(
            out,
            "  {label}: {compression}, {devices} device + {hosts} host entr{}",
            if hosts + devices == 1 { "y" } else { "ies" }
        )?;
        write_deep_summary(out, group)?;
        start = end;
    }
    Ok(())
}

/// `plain`, or `CCOB v3 zstd`: what identical bundles share.
fn compression_label_kind(b: &BundleReport) -> String {
    let method = match b.bundle.compression {
        None => return "plain".to_owned(),
        Some(Compression::Zlib) => "zlib",
        Some(Compression::Zstd) => "zstd",
    };
    format!("CCOB v{} {method}", b.bundle.ccob_version.unwrap_or(0))
}

/// With `--deep`: code-object versions and entries whose code object disagrees with its ID.
fn write_deep_summary(out: &mut dyn Write, group: &[BundleReport]) -> io::Result<()> {
    let mut versions = std::collections::BTreeMap::<String, usize>::new();
    let mut problems = Vec::new();
    for b in group {
        for (e, d) in b.bundle.entries.iter().zip(&b.deep) {
            if let Some(co) = &d.code_object {
                let v = co
                    .code_object_version
                    .map_or("v?".to_owned(), |v| format!("v{v}"));
                *versions.entry(v).or_default() += 1;
                let found = co.target.as_ref().map(|t| t.target_id());
                if e.target_id.is_some() && found != e.target_id {
                    problems.push(format!(
                        "{}: code object says {}",
                        e.id,
                        found.as_deref().unwrap_or("unknown")
                    ));
                }
            }
            if let Some(err) = &d.error {
                problems.push(format!("{}: {err}", e.id));
            }
        }
    }
    if !versions.is_empty() {
        let list: Vec<String> = versions.iter().map(|(v, n)| format!("{n} × {v}")).collect();
        writeln!(out, "    code objects: {}", list.join(", "))?;
    }
    for p in problems.iter().take(5) {
        writeln!(out, "    ! {p}")?;
    }
    if problems.len() > 5 {
        writeln!(out, "    ! … and {} more", problems.len() - 5)?;
    }
    Ok(())
}

fn write_bundle(out: &mut dyn Write, index: usize, b: &BundleReport) -> io::Result<()> {
    writeln!(
        out,
        "  bundle #{index} @ {:#x}: {}",
        b.file_offset,
        compression_label(b)
    )?;
    let mut rows: Vec<(usize, &rocm_formats::bundle::Entry)> =
        b.bundle.entries.iter().enumerate().collect();
    rows.sort_by(|x, y| {
        let key = |e: &rocm_formats::bundle::Entry| e.target_id.clone().unwrap_or_default();
        target_order(&key(x.1)).cmp(&target_order(&key(y.1)))
    });
    for (i, e) in rows {
        let mut line = format!(
            "    {:<24} {:>10}  {}",
            e.target_id.as_deref().unwrap_or("(host)"),
            human_size(e.size),
            e.id
        );
        if let Some(d) = b.deep.get(i) {
            if let Some(co) = &d.code_object {
                line.push_str(&format!("  [{}]", code_object_line(co)));
            }
            if let Some(bc) = &d.bitcode {
                line.push_str(&format!(
                    "  [bitcode {}]",
                    bc.producer.as_deref().unwrap_or("no producer")
                ));
            }
            if let Some(err) = &d.error {
                line.push_str(&format!("  [error: {err}]"));
            }
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn write_footer(out: &mut dyn Write, result: &InspectResult, verbose: bool) -> io::Result<()> {
    let count = |k: Kind| result.files.iter().filter(|f| f.kind == k).count();
    let with_code = result
        .files
        .iter()
        .filter(|f| f.kind == Kind::Elf && !f.bundles.is_empty())
        .count();
    let errors = result.files.iter().filter(|f| f.error.is_some()).count();
    let mut parts = vec![format!(
        "{} file{}",
        result.files.len(),
        if result.files.len() == 1 { "" } else { "s" }
    )];
    for (k, name) in [
        (Kind::Bitcode, "bitcode"),
        (Kind::OffloadBundle, "bundle files"),
        (Kind::CodeObject, "code objects"),
    ] {
        let n = count(k);
        if n > 0 {
            parts.push(format!("{n} {name}"));
        }
    }
    let elf = count(Kind::Elf);
    if elf > 0 {
        parts.push(format!("{elf} ELF ({with_code} with GPU code)"));
        let hidden = result
            .files
            .iter()
            .filter(|f| !f.explicit && is_plain_host_elf(f))
            .count();
        if hidden > 0 && !verbose {
            parts.push(format!(
                "{hidden} ELF without GPU code not shown (-v lists them)"
            ));
        }
    }
    if errors > 0 {
        parts.push(format!("{errors} with errors"));
    }
    if result.skipped_unknown > 0 {
        parts.push(format!(
            "{} other files skipped (--all lists them)",
            result.skipped_unknown
        ));
    }
    if result.files.len() + result.missing.len() > 1 || result.skipped_unknown > 0 {
        writeln!(out, "{}", parts.join(", "))?;
    }
    Ok(())
}
