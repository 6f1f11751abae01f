//! LLVM bitstream cursor. (stub: being filled in)
