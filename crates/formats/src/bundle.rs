//! Clang offload bundles. (stub: being filled in)
