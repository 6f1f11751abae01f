//! The embedded knowledge base: facts the rules need, as data files under `data/` that are
//! compiled in with `include_str!` and parsed once. Every row carries the URL it came from;
//! what is not known says `unknown`.
//!
//! - [`rocm`]: which LLVM each ROCm release ships.
//! - [`bitcode`]: which LLVM major first reads each bitcode feature, and how older readers fail.
//! - [`llvm_version`]: reading producer strings such as `LLVM20.0.0git`.
//! - [`gfx_support`]: per gfx target: first LLVM, official ROCm support, override stand-in.
//! - [`wheels`]: PyTorch ROCm wheel indexes, their gfx lists, and Python ranges per release.
//! - [`images`]: rocm/pytorch Docker images and the choice of images for a GPU.
//! - [`stacks`]: stacks reported working or failing per gfx target.
//! - [`seed`]: the audit of the seed document's claims.
//! - [`signatures`]: log lines of known failures, for `explain`, with their remedies.
//! - [`therock`]: TheRock's wheel index, its docs and the targets it marks ready.

pub mod bitcode;
pub mod errors;
pub mod gfx_support;
pub mod gpus;
pub mod images;
pub mod llvm_version;
pub mod rocm;
pub mod seed;
pub mod signatures;
pub mod stacks;
pub mod therock;
pub mod wheels;

/// Parses an embedded TOML file. Panics only if the data compiled into the binary is
/// malformed, which the knowledge tests catch before any release.
fn parse_embedded<T: serde::de::DeserializeOwned>(name: &str, text: &str) -> T {
    match toml::from_str(text) {
        Ok(v) => v,
        Err(e) => panic!("embedded knowledge file {name} is malformed: {e}"),
    }
}
