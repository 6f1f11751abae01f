//! What `inspect` learns about each file: plain data, rendered by `report::inspect_*`.

use std::path::PathBuf;

use rocm_formats::bitcode::features::FeatureScan;
use rocm_formats::{bitcode::BitcodeInfo, bundle::Bundle, code_object::CodeObject};

use super::readers::Verdict;

/// The outcome of inspecting a set of paths.
#[derive(Debug, Default)]
pub struct InspectResult {
    /// One report per file, sorted by path.
    pub files: Vec<FileReport>,
    /// Paths given on the command line that do not exist.
    pub missing: Vec<PathBuf>,
    /// Files met in directory walks that are none of the known kinds (not listed unless asked).
    pub skipped_unknown: u64,
    /// Files reached twice through links (inspected once).
    pub skipped_duplicates: u64,
    /// LLVM majors installed on this machine (marks the matrix's columns).
    pub installed_llvm: Vec<u32>,
}

/// What a file turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// LLVM bitcode (raw or wrapped).
    Bitcode,
    /// An ELF file that is not an AMDGPU code object (host binary, shared library).
    Elf,
    /// A standalone clang offload bundle file (plain or compressed).
    OffloadBundle,
    /// A standalone AMDGPU code object.
    CodeObject,
    /// None of the above, or unreadable.
    Unknown,
}

impl Kind {
    /// The name used in JSON and text output.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Bitcode => "bitcode",
            Kind::Elf => "elf",
            Kind::OffloadBundle => "offload-bundle",
            Kind::CodeObject => "code-object",
            Kind::Unknown => "unknown",
        }
    }
}

/// Everything learned about one file.
#[derive(Debug)]
pub struct FileReport {
    /// The path as walked (relative paths stay relative).
    pub path: PathBuf,
    /// File size in bytes.
    pub size: u64,
    /// What the file is.
    pub kind: Kind,
    /// Why reading or parsing stopped, if it did; what was read before stays reported.
    pub error: Option<String>,
    /// Bitcode facts, for bitcode files.
    pub bitcode: Option<BitcodeInfo>,
    /// The version-dependent features the bitcode uses, in reader order (with `--readers`).
    pub bitcode_features: Option<FeatureScan>,
    /// Which LLVM readers load the bitcode (with `--readers`).
    pub readers: Vec<Verdict>,
    /// ELF facts, for ELF files.
    pub elf: Option<ElfInfo>,
    /// Every offload bundle found in the file, in file order.
    pub bundles: Vec<BundleReport>,
    /// Code-object facts, for standalone code objects.
    pub code_object: Option<CodeObject>,
    /// Named on the command line (not found by a directory walk).
    pub explicit: bool,
}

impl FileReport {
    /// A report with only path, size and kind filled in.
    pub fn new(path: PathBuf, size: u64, kind: Kind) -> Self {
        FileReport {
            path,
            size,
            kind,
            error: None,
            bitcode: None,
            bitcode_features: None,
            readers: Vec::new(),
            elf: None,
            bundles: Vec::new(),
            code_object: None,
            explicit: false,
        }
    }
}

/// ELF facts that matter for GPU code.
#[derive(Debug, Default)]
pub struct ElfInfo {
    /// `e_machine`.
    pub machine: u16,
    /// Sections that hold offload bundles.
    pub bundle_sections: Vec<SectionInfo>,
}

/// A section holding offload bundles.
#[derive(Debug)]
pub struct SectionInfo {
    /// Section name (lossy UTF-8).
    pub name: String,
    /// File offset of the section.
    pub offset: u64,
    /// Section size in bytes.
    pub size: u64,
    /// Number of bundles found in it.
    pub bundles: usize,
    /// Bytes after the last bundle (ROCm 5 toolchains leave one NUL).
    pub trailing_bytes: u64,
}

/// One bundle, located in the file.
#[derive(Debug)]
pub struct BundleReport {
    /// Section the bundle sits in, for ELF files.
    pub section: Option<String>,
    /// File offset of the bundle's first byte.
    pub file_offset: u64,
    /// The parsed bundle (offsets inside are relative to the bundle).
    pub bundle: Bundle,
    /// With `--deep`: what each entry holds, index-aligned with `bundle.entries`.
    pub deep: Vec<EntryContent>,
}

/// What a bundle entry holds (from `--deep`).
#[derive(Debug, Default)]
pub struct EntryContent {
    /// The entry is an AMDGPU code object.
    pub code_object: Option<CodeObject>,
    /// The entry is LLVM bitcode (e.g. `-fgpu-rdc` objects).
    pub bitcode: Option<BitcodeInfo>,
    /// Why the entry could not be read.
    pub error: Option<String>,
}

/// Every GPU target in a file's bundles (and its code object), sorted in natural order.
pub fn targets_of(f: &FileReport) -> Vec<String> {
    let mut targets: Vec<String> = f
        .bundles
        .iter()
        .flat_map(|b| b.bundle.entries.iter())
        .filter_map(|e| e.target_id.clone())
        .chain(
            f.code_object
                .iter()
                .filter_map(|c| c.target.as_ref().map(|t| t.target_id())),
        )
        .collect();
    targets.sort_by(|a, b| {
        crate::model::gfx::target_order(a).cmp(&crate::model::gfx::target_order(b))
    });
    targets.dedup();
    targets
}
