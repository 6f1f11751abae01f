//! The solutions `plan` weighs and `fix` renders: one enum for the CLI argument, the JSON, the
//! knowledge rows that name a solution, and the order ties keep when ranking.

use serde::{Deserialize, Serialize};

/// One way to get the GPU working. The declaration order is the order ties keep in `plan`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Solution {
    /// Environment variables only (an override that works, visible devices).
    Env,
    /// A pinned PyTorch wheel in a new virtual environment.
    Venv,
    /// A container image with the GPU devices passed in.
    Container,
    /// AMD's packages of a ROCm release that lists the target.
    Packages,
    /// Prebuilt libraries built for the GPU's own target (TheRock, community builders).
    NativeBuild,
    /// Building the failing libraries for the exact target.
    SourceBuild,
    /// Running the failing operations on the CPU (opt-in).
    CpuFallback,
    /// Patching binaries (always declined).
    #[value(skip)]
    BinaryPatch,
}

impl Solution {
    /// Every solution, in declaration order.
    pub const ALL: [Solution; 8] = [
        Solution::Env,
        Solution::Venv,
        Solution::Container,
        Solution::Packages,
        Solution::NativeBuild,
        Solution::SourceBuild,
        Solution::CpuFallback,
        Solution::BinaryPatch,
    ];

    /// The kebab-case name, as on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Solution::Env => "env",
            Solution::Venv => "venv",
            Solution::Container => "container",
            Solution::Packages => "packages",
            Solution::NativeBuild => "native-build",
            Solution::SourceBuild => "source-build",
            Solution::CpuFallback => "cpu-fallback",
            Solution::BinaryPatch => "binary-patch",
        }
    }

    /// The solution named `s`.
    pub fn parse(s: &str) -> Option<Solution> {
        Solution::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether `rocm-doctor fix` can write it (every solution but the declined binary patch).
    pub fn has_fix(self) -> bool {
        self != Solution::BinaryPatch
    }
}

impl std::fmt::Display for Solution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_text_json_and_clap() {
        use clap::ValueEnum;
        for s in Solution::ALL {
            assert_eq!(Solution::parse(s.as_str()), Some(s));
            let j = serde_json::to_string(&s).unwrap();
            assert_eq!(j, format!("\"{}\"", s.as_str()));
            assert_eq!(serde_json::from_str::<Solution>(&j).unwrap(), s);
            let v = s.to_possible_value();
            assert_eq!(v.is_some(), s.has_fix(), "{s}");
            if let Some(v) = v {
                assert_eq!(v.get_name(), s.as_str());
            }
        }
        assert!(Solution::Env < Solution::BinaryPatch);
    }
}
