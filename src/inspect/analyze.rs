//! Turns the bytes of one file into a [`FileReport`]. Pure: no I/O, so tests can feed it bytes.
//!
//! Only the bytes the answer needs are touched: ELF headers and section headers, the first
//! page of each section (to spot bundle magic), each bundle's header and entry table. Over a
//! memory map, untouched pages are never read from disk.

use rocm_formats::bundle::{self, Limits};
use rocm_formats::sniff::{self, FileKind};
use rocm_formats::{bitcode, code_object, elf};

use super::model::{BundleReport, ElfInfo, EntryContent, FileReport, Kind, SectionInfo};
use super::readers;

/// The section clang writes HIP fat binaries to.
const HIP_FATBIN: &[u8] = b".hip_fatbin";

/// Analysis options.
#[derive(Debug, Clone, Default)]
pub struct AnalyzeOptions {
    /// Parse the code objects and bitcode inside bundle entries.
    pub deep: bool,
    /// Size and decompression limits for bundles.
    pub limits: Limits,
    /// LLVM reader majors to judge bitcode against (empty: no judgement, no feature scan).
    pub readers: Vec<u32>,
}

/// The kind `sniff` would give these leading bytes, as a report kind.
pub fn kind_of_head(head: &[u8]) -> Option<Kind> {
    match sniff::sniff(head) {
        FileKind::Bitcode | FileKind::BitcodeWrapper => Some(Kind::Bitcode),
        FileKind::OffloadBundle | FileKind::CompressedBundle => Some(Kind::OffloadBundle),
        FileKind::Elf => Some(Kind::Elf),
        _ => None,
    }
}

/// Fills `report` from the whole file's bytes.
pub fn analyze(data: &[u8], report: &mut FileReport, opts: &AnalyzeOptions) {
    match sniff::sniff(data) {
        FileKind::Bitcode | FileKind::BitcodeWrapper => {
            report.kind = Kind::Bitcode;
            match bitcode::parse(data) {
                Ok(info) => report.bitcode = Some(info),
                Err(e) => report.error = Some(e.to_string()),
            }
            if !opts.readers.is_empty() {
                judge_readers(data, report, &opts.readers);
            }
        }
        FileKind::OffloadBundle | FileKind::CompressedBundle => {
            report.kind = Kind::OffloadBundle;
            let (bundles, _, error) = scan_bundles(data, 0, None, opts);
            report.bundles = bundles;
            report.error = error;
        }
        FileKind::Elf => analyze_elf(data, report, opts),
        _ => report.kind = Kind::Unknown,
    }
}

/// Scans the whole module for version-dependent features and judges each reader.
fn judge_readers(data: &[u8], report: &mut FileReport, readers: &[u32]) {
    let scan = match bitcode::features::scan(data) {
        Ok(s) => s,
        Err(e) => {
            report.error.get_or_insert(e.to_string());
            return;
        }
    };
    if let Some(e) = &scan.truncated_by {
        report
            .error
            .get_or_insert(format!("feature scan stopped: {e}"));
    }
    let producer = report.bitcode.as_ref().and_then(|b| b.producer.as_deref());
    report.readers = readers::predict(&scan, producer, readers, crate::knowledge::bitcode::table());
    report.bitcode_features = Some(scan);
}

fn analyze_elf(data: &[u8], report: &mut FileReport, opts: &AnalyzeOptions) {
    report.kind = Kind::Elf;
    let file = match elf::parse(data) {
        Ok(f) => f,
        Err(e) => {
            report.error = Some(e.to_string());
            return;
        }
    };
    if file.machine == elf::EM_AMDGPU {
        report.kind = Kind::CodeObject;
        match code_object::parse(data) {
            Ok(co) => report.code_object = Some(co),
            Err(e) => report.error = Some(e.to_string()),
        }
        return;
    }
    let mut info = ElfInfo {
        machine: file.machine,
        ..ElfInfo::default()
    };
    for section in file.sections() {
        let section = match section {
            Ok(s) => s,
            Err(e) => {
                report.error.get_or_insert(e.to_string());
                continue;
            }
        };
        let Some(bytes) = section.data else { continue };
        // `.hip_fatbin` is where clang puts bundles; any other section starting with bundle
        // magic counts too (e.g. objects made by other drivers).
        let holds_bundles = section.name == HIP_FATBIN
            || bytes.starts_with(sniff::BUNDLE_MAGIC)
            || bytes.starts_with(&sniff::CCOB_MAGIC);
        if !holds_bundles || bytes.is_empty() {
            continue;
        }
        let name = String::from_utf8_lossy(section.name).into_owned();
        let (bundles, trailing, error) =
            scan_bundles(bytes, section.offset, Some(name.as_str()), opts);
        if let Some(e) = error {
            report.error.get_or_insert(format!("section {name}: {e}"));
        }
        info.bundle_sections.push(SectionInfo {
            name,
            offset: section.offset,
            size: section.size,
            bundles: bundles.len(),
            trailing_bytes: trailing,
        });
        report.bundles.extend(bundles);
    }
    report.elf = Some(info);
}

/// Every bundle in `data` (a section, or a whole bundle file that starts at `base`).
fn scan_bundles(
    data: &[u8],
    base: u64,
    section: Option<&str>,
    opts: &AnalyzeOptions,
) -> (Vec<BundleReport>, u64, Option<String>) {
    let scan = bundle::scan_section(data, &opts.limits);
    let reports = scan
        .bundles
        .into_iter()
        .map(|b| {
            let deep = if opts.deep {
                deep_entries(data, &b, &opts.limits)
            } else {
                Vec::new()
            };
            BundleReport {
                section: section.map(str::to_owned),
                file_offset: base.saturating_add(b.offset),
                bundle: b,
                deep,
            }
        })
        .collect();
    (
        reports,
        scan.trailing_bytes,
        scan.error.map(|e| e.rebased(base).to_string()),
    )
}

/// Parses what each entry of bundle `b` (found in `data`) holds.
fn deep_entries(data: &[u8], b: &bundle::Bundle, limits: &Limits) -> Vec<EntryContent> {
    let failed = |msg: String| -> Vec<EntryContent> {
        let one = || EntryContent {
            error: Some(msg.clone()),
            ..Default::default()
        };
        b.entries.iter().map(|_| one()).collect()
    };
    let Some(raw) = rocm_formats::bytes::slice_at(data, b.offset, b.size) else {
        return failed("bundle extends past the end of its section".into());
    };
    let plain = match bundle::decompressed(raw, limits) {
        Ok(p) => p,
        Err(e) => return failed(e.to_string()),
    };
    b.entries
        .iter()
        .map(|entry| entry_content(&plain, entry))
        .collect()
}

fn entry_content(plain: &[u8], entry: &bundle::Entry) -> EntryContent {
    let mut out = EntryContent::default();
    if entry.size == 0 {
        return out; // host entries carry no code
    }
    let Some(bytes) = bundle::entry_bytes(plain, entry) else {
        out.error = Some("entry extends past the end of its bundle".into());
        return out;
    };
    match sniff::sniff(bytes) {
        FileKind::Elf if code_object::is_amdgpu(bytes) => match code_object::parse(bytes) {
            Ok(co) => out.code_object = Some(co),
            Err(e) => out.error = Some(e.to_string()),
        },
        FileKind::Bitcode | FileKind::BitcodeWrapper => match bitcode::parse(bytes) {
            Ok(bc) => out.bitcode = Some(bc),
            Err(e) => out.error = Some(e.to_string()),
        },
        _ => {}
    }
    out
}
