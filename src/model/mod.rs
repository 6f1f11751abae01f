//! The shared vocabulary every layer above uses: findings and their parts (severity, category,
//! layer, evidence, remedies), observed facts, and the solutions. It imports nothing of the
//! application; gfx targets are `rocm_formats::gfx::GfxTarget`.

pub mod finding;
pub mod gfx;
pub mod observed;
pub mod size;
pub mod solution;

pub use finding::{Category, Evidence, Finding, Layer, Remedy, Severity};
pub use observed::Observed;
pub use solution::Solution;
