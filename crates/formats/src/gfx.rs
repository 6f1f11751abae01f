//! GPU targets: `gfx1030`, `gfx90a:xnack-`, from names, KFD versions and ELF `e_flags`.
//!
//! A *target ID* is a processor name followed by zero or more feature settings, each
//! `:feature+` or `:feature-`. Only `sramecc` and `xnack` exist; a feature that is absent
//! means "any" (the code runs with the feature on or off). The canonical spelling lists the
//! features in alphabetical order, as clang prints them: `gfx90a:sramecc+:xnack-`.

/// A target feature's setting in a target ID (`xnack`, `sramecc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FeatureSetting {
    /// The processor does not have the feature.
    Unsupported,
    /// Code runs whether the feature is on or off (no suffix in the target ID).
    Any,
    /// Code needs the feature off (`:xnack-`).
    Off,
    /// Code needs the feature on (`:xnack+`).
    On,
}

impl FeatureSetting {
    /// `"unsupported"`, `"any"`, `"off"` or `"on"`. Never fails.
    pub fn as_str(&self) -> &'static str {
        match self {
            FeatureSetting::Unsupported => "unsupported",
            FeatureSetting::Any => "any",
            FeatureSetting::Off => "off",
            FeatureSetting::On => "on",
        }
    }

    /// The target-ID suffix character: `Some('+')` for [`On`](Self::On), `Some('-')` for
    /// [`Off`](Self::Off), `None` otherwise (the feature is not written).
    pub fn suffix(&self) -> Option<char> {
        match self {
            FeatureSetting::On => Some('+'),
            FeatureSetting::Off => Some('-'),
            FeatureSetting::Any | FeatureSetting::Unsupported => None,
        }
    }
}

/// A target ID: processor plus feature settings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GfxTarget {
    /// Processor name, e.g. `gfx90a`.
    pub processor: String,
    /// `sramecc` setting.
    pub sramecc: FeatureSetting,
    /// `xnack` setting.
    pub xnack: FeatureSetting,
}

/// Longest processor name [`GfxTarget::parse`] accepts.
const MAX_PROCESSOR_LEN: usize = 32;

impl GfxTarget {
    /// Parses a target ID such as `gfx90a`, `gfx90a:xnack-` or `gfx90a:sramecc+:xnack-`
    /// (features in either order). A leading offload triple is accepted and dropped:
    /// everything up to the last `--`, so `amdgcn-amd-amdhsa--gfx90a:xnack-` and the bundle
    /// entry ID `hipv4-amdgcn-amd-amdhsa--gfx1030` parse too.
    ///
    /// The processor must start with `gfx` and hold only ASCII lowercase letters, digits
    /// and `-` (so future processors parse); it need not be in [`mach_to_processor`]'s table.
    /// A feature left out is [`FeatureSetting::Any`] when the processor supports it (or is
    /// unknown), [`FeatureSetting::Unsupported`] when it is a known processor without it.
    ///
    /// Returns `None` for: an empty or malformed processor; a feature other than `sramecc`
    /// or `xnack` (clang rejects those too, so they are not kept); a feature without a
    /// `+`/`-` suffix; a feature given twice; or a feature a known processor lacks
    /// (`gfx1030:xnack+`).
    pub fn parse(target_id: &str) -> Option<GfxTarget> {
        let id = match target_id.rfind("--") {
            Some(at) => target_id.get(at.checked_add(2)?..)?,
            None => target_id,
        };
        let mut parts = id.split(':');
        let processor = parts.next()?;
        if !is_processor_name(processor) {
            return None;
        }
        let known = processor_to_mach(processor).is_some();
        let mut sramecc = None;
        let mut xnack = None;
        for part in parts {
            let (name, setting) = if let Some(name) = part.strip_suffix('+') {
                (name, FeatureSetting::On)
            } else if let Some(name) = part.strip_suffix('-') {
                (name, FeatureSetting::Off)
            } else {
                return None;
            };
            let (slot, supported) = match name {
                "sramecc" => (&mut sramecc, supports_sramecc(processor)),
                "xnack" => (&mut xnack, supports_xnack(processor)),
                _ => return None,
            };
            if slot.is_some() || (known && !supported) {
                return None;
            }
            *slot = Some(setting);
        }
        let default = |supported: bool| {
            if supported || !known {
                FeatureSetting::Any
            } else {
                FeatureSetting::Unsupported
            }
        };
        Some(GfxTarget {
            processor: processor.to_owned(),
            sramecc: sramecc.unwrap_or_else(|| default(supports_sramecc(processor))),
            xnack: xnack.unwrap_or_else(|| default(supports_xnack(processor))),
        })
    }

    /// The canonical target ID: the processor, then `:sramecc±`, then `:xnack±`; settings
    /// that are [`Any`](FeatureSetting::Any) or [`Unsupported`](FeatureSetting::Unsupported)
    /// are left out. Never fails.
    pub fn target_id(&self) -> String {
        let mut out = self.processor.clone();
        for (name, setting) in [("sramecc", self.sramecc), ("xnack", self.xnack)] {
            if let Some(sign) = setting.suffix() {
                out.push(':');
                out.push_str(name);
                out.push(sign);
            }
        }
        out
    }
}

impl std::fmt::Display for GfxTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.target_id())
    }
}

fn is_processor_name(name: &str) -> bool {
    name.len() > 3
        && name.len() <= MAX_PROCESSOR_LEN
        && name.starts_with("gfx")
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// One AMDGCN processor: its `EF_AMDGPU_MACH` value, name, and whether it has the `xnack`
/// and `sramecc` target features.
struct Processor {
    mach: u32,
    name: &'static str,
    xnack: bool,
    sramecc: bool,
}

const fn p(mach: u32, name: &'static str, xnack: bool, sramecc: bool) -> Processor {
    Processor {
        mach,
        name,
        xnack,
        sramecc,
    }
}

// Source: https://github.com/llvm/llvm-project/blob/main/llvm/include/llvm/BinaryFormat/ELF.h
//   (EF_AMDGPU_MACH_AMDGCN_* values) and
//   https://llvm.org/docs/AMDGPUUsage.html#amdgpu-elf-header-e-flags-v4-table (same values).
//   Values newer than the ELF.h snapshot read here (gfx1154 0x57, gfx1170-1172 0x5d/0x5e/0x5c,
//   gfx1250 0x49, gfx1251 0x5a, gfx12-5-generic 0x5b, gfx1310 0x50, gfx11-7-generic 0x62,
//   gfx13-generic 0x63) are from LLVM main's test
//   https://github.com/llvm/llvm-project/blob/main/llvm/test/CodeGen/AMDGPU/elf-header-flags-mach.ll
// Source (xnack / sramecc columns): FEATURE_XNACK / FEATURE_SRAMECC in
//   https://github.com/llvm/llvm-project/blob/main/llvm/include/llvm/TargetParser/AMDGPUTargetParser.def
//   and the "Target Features" column of https://llvm.org/docs/AMDGPUUsage.html#processors.
//   gfx11-7-generic and gfx13-generic are not in that file yet; their families (gfx117x,
//   gfx1310) have neither feature, so neither is recorded.
// R600 processors (mach 0x01-0x10) are left out: they never carry an amdhsa code object.
const PROCESSORS: &[Processor] = &[
    p(0x20, "gfx600", false, false),
    p(0x21, "gfx601", false, false),
    p(0x3a, "gfx602", false, false),
    p(0x22, "gfx700", false, false),
    p(0x23, "gfx701", false, false),
    p(0x24, "gfx702", false, false),
    p(0x25, "gfx703", false, false),
    p(0x26, "gfx704", false, false),
    p(0x3b, "gfx705", false, false),
    p(0x28, "gfx801", true, false),
    p(0x29, "gfx802", false, false),
    p(0x2a, "gfx803", false, false),
    p(0x3c, "gfx805", false, false),
    p(0x2b, "gfx810", true, false),
    p(0x2c, "gfx900", true, false),
    p(0x2d, "gfx902", true, false),
    p(0x2e, "gfx904", true, false),
    p(0x2f, "gfx906", true, true),
    p(0x30, "gfx908", true, true),
    p(0x31, "gfx909", true, false),
    p(0x3f, "gfx90a", true, true),
    p(0x32, "gfx90c", true, false),
    p(0x4c, "gfx942", true, true),
    p(0x4f, "gfx950", true, true),
    p(0x33, "gfx1010", true, false),
    p(0x34, "gfx1011", true, false),
    p(0x35, "gfx1012", true, false),
    p(0x42, "gfx1013", true, false),
    p(0x36, "gfx1030", false, false),
    p(0x37, "gfx1031", false, false),
    p(0x38, "gfx1032", false, false),
    p(0x39, "gfx1033", false, false),
    p(0x3e, "gfx1034", false, false),
    p(0x3d, "gfx1035", false, false),
    p(0x45, "gfx1036", false, false),
    p(0x41, "gfx1100", false, false),
    p(0x46, "gfx1101", false, false),
    p(0x47, "gfx1102", false, false),
    p(0x44, "gfx1103", false, false),
    p(0x43, "gfx1150", false, false),
    p(0x4a, "gfx1151", false, false),
    p(0x55, "gfx1152", false, false),
    p(0x58, "gfx1153", false, false),
    p(0x57, "gfx1154", false, false),
    p(0x5d, "gfx1170", false, false),
    p(0x5e, "gfx1171", false, false),
    p(0x5c, "gfx1172", false, false),
    p(0x48, "gfx1200", false, false),
    p(0x4e, "gfx1201", false, false),
    p(0x49, "gfx1250", true, true),
    p(0x5a, "gfx1251", true, true),
    p(0x50, "gfx1310", false, false),
    p(0x51, "gfx9-generic", true, false),
    p(0x5f, "gfx9-4-generic", true, true),
    p(0x52, "gfx10-1-generic", true, false),
    p(0x53, "gfx10-3-generic", false, false),
    p(0x54, "gfx11-generic", false, false),
    p(0x62, "gfx11-7-generic", false, false),
    p(0x59, "gfx12-generic", false, false),
    p(0x5b, "gfx12-5-generic", true, false),
    p(0x63, "gfx13-generic", false, false),
];

/// Mask of the processor field (`EF_AMDGPU_MACH`) in an AMDGPU ELF `e_flags`.
pub const EF_AMDGPU_MACH: u32 = 0xff;

fn by_name(name: &str) -> Option<&'static Processor> {
    PROCESSORS.iter().find(|p| p.name == name)
}

/// The processor name for an `EF_AMDGPU_MACH_*` value (`e_flags & 0xff`), e.g. `0x3f` →
/// `gfx90a`. `None` for 0, the R600 values and values this table does not know (newer
/// LLVM, or reserved).
pub fn mach_to_processor(mach: u32) -> Option<&'static str> {
    PROCESSORS.iter().find(|p| p.mach == mach).map(|p| p.name)
}

/// The `EF_AMDGPU_MACH_*` value of a processor name (no feature suffixes), e.g. `gfx1030`
/// → `0x36`. `None` if the name is not in the table.
pub fn processor_to_mach(name: &str) -> Option<u32> {
    by_name(name).map(|p| p.mach)
}

/// Whether the processor has the `xnack` target feature (can be built `:xnack±`).
/// `false` for unknown names.
pub fn supports_xnack(processor: &str) -> bool {
    by_name(processor).is_some_and(|p| p.xnack)
}

/// Whether the processor has the `sramecc` target feature (can be built `:sramecc±`).
/// `false` for unknown names.
pub fn supports_sramecc(processor: &str) -> bool {
    by_name(processor).is_some_and(|p| p.sramecc)
}

/// Every processor name in the table, in table order (by generation). Never fails.
pub fn known_processors() -> impl Iterator<Item = &'static str> {
    PROCESSORS.iter().map(|p| p.name)
}

/// `gfx` + decimal major + one hex digit of minor + one hex digit of stepping, the way
/// processor names are built from an ISA version: (9, 0, 10) → `gfx90a`, (11, 5, 1) →
/// `gfx1151`. `None` if major is 0 or minor/stepping do not fit one hex digit.
pub fn gfx_name_from_version(major: u32, minor: u32, stepping: u32) -> Option<String> {
    if major == 0 {
        return None;
    }
    let minor = char::from_digit(minor, 16)?;
    let stepping = char::from_digit(stepping, 16)?;
    Some(format!("gfx{major}{minor}{stepping}"))
}

/// The processor name for a KFD `gfx_target_version` (from
/// `/sys/class/kfd/kfd/topology/nodes/N/properties`): major = v / 10000,
/// minor = (v / 100) % 100, stepping = v % 100. 90010 → `gfx90a`, 100300 → `gfx1030`,
/// 110501 → `gfx1151`, 120001 → `gfx1201`.
///
/// `None` for 0 (a CPU node) and for values whose minor or stepping exceed 15 (no
/// single-hex-digit name exists). The name is built, not looked up, so processors newer
/// than this crate's table still get a name.
pub fn from_kfd_gfx_target_version(v: u32) -> Option<String> {
    let major = v.checked_div(10_000)?;
    let minor = v.checked_div(100)?.checked_rem(100)?;
    let stepping = v.checked_rem(100)?;
    gfx_name_from_version(major, minor, stepping)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests;
