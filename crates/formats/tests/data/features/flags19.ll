; Features of LLVM 18-19 in one module. Recipe: llvm-as-19 flags19.ll -o flags19.bc
target triple = "amdgcn-amd-amdhsa"

@g = global i32 0

define i64 @nneg(i32 %x) {
  %r = zext nneg i32 %x to i64
  ret i64 %r
}

define float @uitofp_nneg(i32 %x) {
  %r = uitofp nneg i32 %x to float
  ret float %r
}

define i32 @disjoint(i32 %a, i32 %b) {
  %r = or disjoint i32 %a, %b
  ret i32 %r
}

define i8 @trunc_flags(i32 %x) {
  %r = trunc nuw nsw i32 %x to i8
  ret i8 %r
}

define ptr @gep_flags(ptr %p, i64 %i) {
  %q = getelementptr nuw i8, ptr %p, i64 %i
  %r = getelementptr nusw i8, ptr %q, i64 1
  ret ptr %r
}

define ptr @gep_inbounds(ptr %p, i64 %i) {
  %r = getelementptr inbounds i8, ptr %p, i64 %i
  ret ptr %r
}

define i32 @rmw(ptr %p) {
  %r = atomicrmw uinc_wrap ptr %p, i32 1 seq_cst
  ret i32 %r
}

define range(i32 0, 10) i32 @ranged(i32 %x) memory(none) {
  %r = and i32 %x, 7
  ret i32 %r
}

define void @texture(target("amdgcn.test", i32) %t) {
  ret void
}
