//! AMDGPU code objects. (stub: being filled in)
