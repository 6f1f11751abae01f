//! GPU targets: `gfx1030`, `gfx90a:xnack-`, from names, KFD versions and ELF `e_flags`.
//! (stub: being filled in)

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
