//! The little of ELF this crate needs. (stub: being filled in)
