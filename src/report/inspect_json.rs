//! `inspect --json`: wire types, kept apart from the internal model so that the contract
//! (docs/json.md) changes only on purpose. Bump [`SCHEMA_VERSION`] on any breaking change.

use std::io::Write;

use rocm_formats::bitcode::BitcodeInfo;
use rocm_formats::bundle::Compression;
use rocm_formats::code_object::CodeObject;
use serde::Serialize;

use crate::inspect::model::{BundleReport, EntryContent, FileReport, InspectResult};

/// Version of the JSON document layout.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole document.
#[derive(Serialize)]
pub struct Document {
    /// Layout version.
    pub schema_version: u32,
    /// Tool name and version that wrote it.
    pub tool: Tool,
    /// One entry per file.
    pub files: Vec<File>,
    /// Command-line paths that do not exist.
    pub missing: Vec<String>,
    /// Files not listed.
    pub skipped: Skipped,
}

/// Tool identification.
#[derive(Serialize)]
pub struct Tool {
    /// Always `rocm-doctor`.
    pub name: &'static str,
    /// Cargo package version.
    pub version: &'static str,
}

/// Counts of files not listed.
#[derive(Serialize)]
pub struct Skipped {
    /// Files of unknown kind met in directory walks (see `--all`).
    pub unknown: u64,
    /// Files reached a second time through links.
    pub duplicates: u64,
}

/// One file.
#[derive(Serialize)]
pub struct File {
    /// Path as walked (lossy UTF-8).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// `bitcode`, `elf`, `offload-bundle`, `code-object` or `unknown`.
    pub kind: &'static str,
    /// Why reading stopped, or null.
    pub error: Option<String>,
    /// Bitcode facts, or null.
    pub bitcode: Option<Bitcode>,
    /// Sections holding bundles (ELF only), or null.
    pub elf: Option<Elf>,
    /// Every bundle, in file order.
    pub bundles: Vec<Bundle>,
    /// Every GPU target found in the bundles, sorted, without duplicates.
    pub targets: Vec<String>,
    /// Code-object facts (standalone code objects), or null.
    pub code_object: Option<CodeObjectWire>,
}

/// Bitcode facts.
#[derive(Serialize)]
pub struct Bitcode {
    /// IDENTIFICATION producer, e.g. `LLVM15.0.5`.
    pub producer: Option<String>,
    /// IDENTIFICATION epoch.
    pub epoch: Option<u64>,
    /// MODULE target triple.
    pub triple: Option<String>,
    /// MODULE datalayout.
    pub datalayout: Option<String>,
    /// MODULE_CODE_VERSION.
    pub module_version: Option<u64>,
    /// Whether the 0x0B17C0DE wrapper header is present.
    pub wrapped: bool,
    /// Which LLVM readers load the file (empty with `--readers none` and for bitcode inside
    /// bundles).
    pub readers: Vec<ReaderVerdict>,
    /// The version-dependent features the module uses, in the order a reader meets them.
    pub features: Vec<FeatureWire>,
}

/// One reader's verdict.
#[derive(Serialize)]
pub struct ReaderVerdict {
    /// The reader's LLVM major.
    pub llvm: u32,
    /// true, false, or null when unknown.
    pub loads: Option<bool>,
    /// The deciding feature (first failing, or first of unknown support), or null.
    pub feature: Option<String>,
    /// What that feature is.
    pub feature_what: Option<String>,
    /// The message class the reader prints, or null when it loads or is unknown.
    pub message: Option<String>,
}

/// One feature the module uses.
#[derive(Serialize)]
pub struct FeatureWire {
    /// Feature name (`attr:86`, `flag:cast-nneg`, `type:25`).
    pub name: String,
    /// First LLVM major that reads it, or null when unknown.
    pub first_llvm: Option<u32>,
}

/// ELF facts.
#[derive(Serialize)]
pub struct Elf {
    /// `e_machine`.
    pub machine: u16,
    /// Sections holding bundles.
    pub bundle_sections: Vec<Section>,
}

/// A section holding bundles.
#[derive(Serialize)]
pub struct Section {
    /// Name, e.g. `.hip_fatbin`.
    pub name: String,
    /// File offset.
    pub offset: u64,
    /// Size in bytes.
    pub size: u64,
    /// Number of bundles in it.
    pub bundles: usize,
    /// Bytes after the last bundle.
    pub trailing_bytes: u64,
}

/// One bundle.
#[derive(Serialize)]
pub struct Bundle {
    /// Section name, or null for a bundle file.
    pub section: Option<String>,
    /// File offset of the bundle.
    pub offset: u64,
    /// Bytes the bundle occupies in the file.
    pub size: u64,
    /// `zlib`, `zstd` or null (plain).
    pub compression: Option<&'static str>,
    /// CCOB header version, or null (plain).
    pub ccob_version: Option<u16>,
    /// Size of the bundle once decompressed (CCOB header), or null.
    pub uncompressed_size: Option<u64>,
    /// CCOB header hash as 16 hex digits, or null.
    pub hash: Option<String>,
    /// Entries in table order.
    pub entries: Vec<Entry>,
}

/// One bundle entry.
#[derive(Serialize)]
pub struct Entry {
    /// The entry ID verbatim, e.g. `hipv4-amdgcn-amd-amdhsa--gfx90a:xnack-`.
    pub triple: String,
    /// Offload kind: `hipv4`, `hip`, `openmp`, `host`, ...
    pub offload_kind: String,
    /// The target triple part of the ID.
    pub target_triple: String,
    /// Target ID (`gfx90a:xnack-`), or null for host entries.
    pub target: Option<String>,
    /// Offset inside the (decompressed) bundle.
    pub offset: u64,
    /// Size in bytes.
    pub size: u64,
    /// With `--deep`: the code object the entry holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_object: Option<CodeObjectWire>,
    /// With `--deep`: the bitcode the entry holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bitcode: Option<Bitcode>,
    /// With `--deep`: why the entry could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Code-object facts.
#[derive(Serialize)]
pub struct CodeObjectWire {
    /// Processor, e.g. `gfx90a`; null if `e_flags` names no known processor.
    pub target: Option<String>,
    /// Full target ID, e.g. `gfx90a:xnack-`.
    pub target_id: Option<String>,
    /// `any`, `on`, `off` or `unsupported`.
    pub xnack: &'static str,
    /// `any`, `on`, `off` or `unsupported`.
    pub sramecc: &'static str,
    /// Code-object version (2-6), from the ELF ABI version byte.
    pub code_object_version: Option<u32>,
    /// Raw `e_flags`.
    pub e_flags: u32,
    /// `amdhsa.target` from the metadata note, or null.
    pub metadata_target: Option<String>,
    /// Generic code-object version (v6 generic targets), or null.
    pub generic_version: Option<u32>,
}

/// Writes `result` as one JSON document followed by a newline.
///
/// Returns an error if writing fails.
pub fn write(out: &mut dyn Write, result: &InspectResult) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &document(result))?;
    writeln!(out)
}

/// The wire document for `result`.
pub fn document(result: &InspectResult) -> Document {
    Document {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "rocm-doctor",
            version: env!("CARGO_PKG_VERSION"),
        },
        files: result.files.iter().map(file).collect(),
        missing: result
            .missing
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        skipped: Skipped {
            unknown: result.skipped_unknown,
            duplicates: result.skipped_duplicates,
        },
    }
}

fn file(f: &FileReport) -> File {
    File {
        path: f.path.display().to_string(),
        size: f.size,
        kind: f.kind.as_str(),
        error: f.error.clone(),
        bitcode: f.bitcode.as_ref().map(|b| with_readers(bitcode(b), f)),
        elf: f.elf.as_ref().map(|e| Elf {
            machine: e.machine,
            bundle_sections: e
                .bundle_sections
                .iter()
                .map(|s| Section {
                    name: s.name.clone(),
                    offset: s.offset,
                    size: s.size,
                    bundles: s.bundles,
                    trailing_bytes: s.trailing_bytes,
                })
                .collect(),
        }),
        bundles: f.bundles.iter().map(bundle).collect(),
        targets: super::targets_of(f),
        code_object: f.code_object.as_ref().map(code_object),
    }
}

fn bitcode(b: &BitcodeInfo) -> Bitcode {
    Bitcode {
        producer: b.producer.clone(),
        epoch: b.epoch,
        triple: b.triple.clone(),
        datalayout: b.datalayout.clone(),
        module_version: b.module_version,
        wrapped: b.wrapper.is_some(),
        readers: Vec::new(),
        features: Vec::new(),
    }
}

fn with_readers(mut b: Bitcode, f: &FileReport) -> Bitcode {
    use crate::knowledge::bitcode::{table, FirstLlvm};
    b.readers = f
        .readers
        .iter()
        .map(|v| ReaderVerdict {
            llvm: v.llvm,
            loads: v.loads,
            feature: v.feature.clone(),
            feature_what: v.what.clone(),
            message: v.message.clone(),
        })
        .collect();
    if let Some(scan) = &f.bitcode_features {
        b.features = scan
            .uses
            .iter()
            .map(|u| FeatureWire {
                name: u.feature.clone(),
                first_llvm: match table().first_llvm(&u.feature) {
                    FirstLlvm::Major(m) | FirstLlvm::AtMost(m) => Some(m),
                    FirstLlvm::Never(_) | FirstLlvm::Unknown => None,
                },
            })
            .collect();
    }
    b
}

fn bundle(r: &BundleReport) -> Bundle {
    let b = &r.bundle;
    let empty = EntryContent::default();
    Bundle {
        section: r.section.clone(),
        offset: r.file_offset,
        size: b.size,
        compression: b.compression.map(|c| match c {
            Compression::Zlib => "zlib",
            Compression::Zstd => "zstd",
        }),
        ccob_version: b.ccob_version,
        uncompressed_size: b.uncompressed_size,
        hash: b.hash.map(|h| format!("{h:016x}")),
        entries: b
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let deep = r.deep.get(i).unwrap_or(&empty);
                Entry {
                    triple: e.id.clone(),
                    offload_kind: e.kind.clone(),
                    target_triple: e.triple.clone(),
                    target: e.target_id.clone(),
                    offset: e.offset,
                    size: e.size,
                    code_object: deep.code_object.as_ref().map(code_object),
                    bitcode: deep.bitcode.as_ref().map(bitcode),
                    error: deep.error.clone(),
                }
            })
            .collect(),
    }
}

fn code_object(c: &CodeObject) -> CodeObjectWire {
    CodeObjectWire {
        target: c.processor.clone(),
        target_id: c.target.as_ref().map(|t| t.target_id()),
        xnack: c.xnack.as_str(),
        sramecc: c.sramecc.as_str(),
        code_object_version: c.code_object_version,
        e_flags: c.e_flags,
        metadata_target: c.metadata_target.clone(),
        generic_version: c.generic_version,
    }
}
