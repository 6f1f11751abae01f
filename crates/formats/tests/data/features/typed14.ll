; Typed pointers, written by LLVM 14. Recipe: llvm-as-14 typed14.ll -o typed14.bc
target triple = "amdgcn-amd-amdhsa"

define i32 @load(i32 addrspace(1)* %p) #0 {
  %v = load i32, i32 addrspace(1)* %p
  %w = zext i32 %v to i64
  %t = trunc i64 %w to i32
  ret i32 %t
}

attributes #0 = { readnone nounwind }
