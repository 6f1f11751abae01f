//! What `check` and `explain` report: a [`Finding`] says what is wrong, the evidence (which file
//! or log line said what), why it matters, which layer of the stack a fix must touch and why
//! fixes elsewhere cannot work, and the remedies in order.

use serde::{Deserialize, Serialize};

use super::Solution;

/// How bad a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Worth knowing; nothing fails because of it.
    Info,
    /// Something is likely to fail or to be slow, or a setting is risky.
    Warning,
    /// GPU compute fails on this machine until it is fixed.
    Error,
}

impl Severity {
    /// The word used in text output and in `--fail-on`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// The kind of failure, shared by `check` and `explain` (the categories of docs/findings.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Libraries carry no code objects for the GPU's (effective) target.
    MissingKernelsForArch,
    /// The GPU's target is not built anywhere, but a compatible ISA is: an override would help.
    ArchOverrideNeeded,
    /// An override is set but wrong, unsafe or unneeded.
    ArchOverrideWrong,
    /// The GPU faulted on memory (aperture violation, page not present).
    GpuMemoryFault,
    /// The kernel driver, KFD or the device nodes are missing or not accessible.
    DriverKfdAccess,
    /// The platform lacks PCIe atomics the runtime needs.
    PcieAtomics,
    /// A ROCm shared library is missing or cannot be loaded.
    RuntimeLibraryMissing,
    /// A framework (PyTorch) built for another ROCm than the one it meets.
    VersionMismatchFrameworkVsRuntime,
    /// LLVM bitcode written by a newer LLVM than the reader.
    BitcodeVersionSkew,
    /// Device libraries (ocml.bc, ...) not found by the compiler.
    DeviceLibMissing,
    /// A compiler or linker error that is not one of the above.
    CompilerError,
    /// MIOpen fails (solver, database, compile).
    MiopenFailure,
    /// GPU or host memory exhausted.
    OutOfMemory,
    /// A GPU job hangs or times out.
    HangTimeout,
    /// Package manager or installer conflicts.
    InstallPackageConflict,
    /// The wrong GPU is used, or a GPU is not seen.
    DeviceVisibility,
    /// Anything else.
    Other,
}

impl Category {
    /// Every category, in documentation order.
    pub const ALL: [Category; 17] = [
        Category::MissingKernelsForArch,
        Category::ArchOverrideNeeded,
        Category::ArchOverrideWrong,
        Category::GpuMemoryFault,
        Category::DriverKfdAccess,
        Category::PcieAtomics,
        Category::RuntimeLibraryMissing,
        Category::VersionMismatchFrameworkVsRuntime,
        Category::BitcodeVersionSkew,
        Category::DeviceLibMissing,
        Category::CompilerError,
        Category::MiopenFailure,
        Category::OutOfMemory,
        Category::HangTimeout,
        Category::InstallPackageConflict,
        Category::DeviceVisibility,
        Category::Other,
    ];

    /// The kebab-case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::MissingKernelsForArch => "missing-kernels-for-arch",
            Category::ArchOverrideNeeded => "arch-override-needed",
            Category::ArchOverrideWrong => "arch-override-wrong",
            Category::GpuMemoryFault => "gpu-memory-fault",
            Category::DriverKfdAccess => "driver-kfd-access",
            Category::PcieAtomics => "pcie-atomics",
            Category::RuntimeLibraryMissing => "runtime-library-missing",
            Category::VersionMismatchFrameworkVsRuntime => "version-mismatch-framework-vs-runtime",
            Category::BitcodeVersionSkew => "bitcode-version-skew",
            Category::DeviceLibMissing => "device-lib-missing",
            Category::CompilerError => "compiler-error",
            Category::MiopenFailure => "miopen-failure",
            Category::OutOfMemory => "out-of-memory",
            Category::HangTimeout => "hang-timeout",
            Category::InstallPackageConflict => "install-package-conflict",
            Category::DeviceVisibility => "device-visibility",
            Category::Other => "other",
        }
    }

    /// Parses the kebab-case name.
    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The layer of the stack a fix has to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layer {
    /// The card, the board, the BIOS (PCIe atomics, power).
    Hardware,
    /// The kernel driver (amdgpu, KFD), its firmware and device nodes.
    Driver,
    /// The ROCm runtime (HSA/ROCr, HIP/clr).
    Runtime,
    /// Libraries' GPU code (rocBLAS/Tensile, MIOpen, hipBLASLt): what targets they were built for.
    LibraryBuild,
    /// The framework wheel (PyTorch) and the ROCm it bundles.
    FrameworkWheel,
    /// Environment variables, groups, container flags.
    Environment,
    /// The compiler toolchain (clang, LLVM, device libraries).
    CompilerToolchain,
}

impl Layer {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Hardware => "hardware",
            Layer::Driver => "driver",
            Layer::Runtime => "runtime",
            Layer::LibraryBuild => "library-build",
            Layer::FrameworkWheel => "framework-wheel",
            Layer::Environment => "environment",
            Layer::CompilerToolchain => "compiler-toolchain",
        }
    }
}

/// One piece of evidence: where it was seen and what it said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// A path of the scanned machine, `log line N`, `knowledge: <file>`, or `verify: <case>`.
    pub source: String,
    /// What it says, in a few words or a quoted line.
    pub says: String,
}

/// One remedy, in the order they should be tried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remedy {
    /// What to do, imperative, one line.
    pub title: String,
    /// A command or setting to run or write, when there is one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub command: Option<String>,
    /// Why this works, or what it costs.
    pub detail: String,
    /// The `rocm-doctor fix` solution that generates it, when there is one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub fix: Option<Solution>,
    /// Where the remedy is documented or was shown to work.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub sources: Vec<String>,
}

/// A diagnosis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable kebab-case code, documented in docs/findings.md.
    pub code: String,
    /// The kind of failure.
    pub category: Category,
    /// How bad it is.
    pub severity: Severity,
    /// One line: what is wrong.
    pub title: String,
    /// Which file or log line said what.
    pub evidence: Vec<Evidence>,
    /// Why it matters, in plain words.
    pub why: String,
    /// The layer a fix must touch.
    pub layer: Layer,
    /// Why fixes at other layers cannot work (the seed's "why can't we override", per finding).
    pub other_layers: String,
    /// What to do, best first.
    pub remedies: Vec<Remedy>,
    /// Where the facts behind the finding come from.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub sources: Vec<String>,
}

impl Finding {
    /// The finding's sources and its remedies', each once, in order.
    pub fn all_sources(&self) -> Vec<&String> {
        let mut v: Vec<&String> = Vec::new();
        for u in self
            .sources
            .iter()
            .chain(self.remedies.iter().flat_map(|r| &r.sources))
        {
            if !v.contains(&u) {
                v.push(u);
            }
        }
        v
    }

    /// Orders findings worst first; ties keep the order the rules produced them in.
    pub fn sort(findings: &mut [Finding]) {
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    }
}

impl Evidence {
    /// Evidence from `source` saying `says`.
    pub fn new(source: impl Into<String>, says: impl Into<String>) -> Evidence {
        Evidence {
            source: source.into(),
            says: says.into(),
        }
    }
}

impl Remedy {
    /// A remedy with no command, fix or sources yet.
    pub fn new(title: impl Into<String>, detail: impl Into<String>) -> Remedy {
        Remedy {
            title: title.into(),
            command: None,
            detail: detail.into(),
            fix: None,
            sources: Vec::new(),
        }
    }

    /// Sets the command.
    pub fn command(mut self, c: impl Into<String>) -> Remedy {
        self.command = Some(c.into());
        self
    }

    /// Names the `rocm-doctor fix` solution that writes it.
    pub fn fix(mut self, solution: Solution) -> Remedy {
        self.fix = Some(solution);
        self
    }

    /// Adds a source URL.
    pub fn source(mut self, url: impl Into<String>) -> Remedy {
        self.sources.push(url.into());
        self
    }
}
