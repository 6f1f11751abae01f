//! LLVM bitcode modules. (stub: being filled in)
