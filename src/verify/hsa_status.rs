//! HSA runtime status codes (`hsa_status_t`), to decode the `code: 0x..` that the HIP runtime
//! prints next to an HSA error name, and the name when only a code is printed.
//!
//! Values transcribed from ROCm/ROCR-Runtime at commit
//! c7785a6da1c10c25bc8d527c00b1fe79bfbd84c9 (branch amd-staging):
//! - the standard codes: `enum hsa_status_t` in
//!   <https://github.com/ROCm/ROCR-Runtime/blob/c7785a6da1c10c25bc8d527c00b1fe79bfbd84c9/runtime/hsa-runtime/inc/hsa.h>
//! - AMD's additions (the "Enumeration constants added to ::hsa_status_t" block, decimal 40–46
//!   in the header) in
//!   <https://github.com/ROCm/ROCR-Runtime/blob/c7785a6da1c10c25bc8d527c00b1fe79bfbd84c9/runtime/hsa-runtime/inc/hsa_ext_amd.h>
//!
//! So `0x29` (41) is `HSA_STATUS_ERROR_MEMORY_APERTURE_VIOLATION` and `0x2b` (43) is
//! `HSA_STATUS_ERROR_MEMORY_FAULT`, as the headers define them.

/// Every `hsa_status_t` value of the two headers cited in the module doc, as (code, name).
pub const HSA_STATUS: &[(u32, &str)] = &[
    // hsa.h
    (0x0, "HSA_STATUS_SUCCESS"),
    (0x1, "HSA_STATUS_INFO_BREAK"),
    (0x1000, "HSA_STATUS_ERROR"),
    (0x1001, "HSA_STATUS_ERROR_INVALID_ARGUMENT"),
    (0x1002, "HSA_STATUS_ERROR_INVALID_QUEUE_CREATION"),
    (0x1003, "HSA_STATUS_ERROR_INVALID_ALLOCATION"),
    (0x1004, "HSA_STATUS_ERROR_INVALID_AGENT"),
    (0x1005, "HSA_STATUS_ERROR_INVALID_REGION"),
    (0x1006, "HSA_STATUS_ERROR_INVALID_SIGNAL"),
    (0x1007, "HSA_STATUS_ERROR_INVALID_QUEUE"),
    (0x1008, "HSA_STATUS_ERROR_OUT_OF_RESOURCES"),
    (0x1009, "HSA_STATUS_ERROR_INVALID_PACKET_FORMAT"),
    (0x100A, "HSA_STATUS_ERROR_RESOURCE_FREE"),
    (0x100B, "HSA_STATUS_ERROR_NOT_INITIALIZED"),
    (0x100C, "HSA_STATUS_ERROR_REFCOUNT_OVERFLOW"),
    (0x100D, "HSA_STATUS_ERROR_INCOMPATIBLE_ARGUMENTS"),
    (0x100E, "HSA_STATUS_ERROR_INVALID_INDEX"),
    (0x100F, "HSA_STATUS_ERROR_INVALID_ISA"),
    (0x1010, "HSA_STATUS_ERROR_INVALID_CODE_OBJECT"),
    (0x1011, "HSA_STATUS_ERROR_INVALID_EXECUTABLE"),
    (0x1012, "HSA_STATUS_ERROR_FROZEN_EXECUTABLE"),
    (0x1013, "HSA_STATUS_ERROR_INVALID_SYMBOL_NAME"),
    (0x1014, "HSA_STATUS_ERROR_VARIABLE_ALREADY_DEFINED"),
    (0x1015, "HSA_STATUS_ERROR_VARIABLE_UNDEFINED"),
    (0x1016, "HSA_STATUS_ERROR_EXCEPTION"),
    (0x1017, "HSA_STATUS_ERROR_INVALID_ISA_NAME"),
    (0x1018, "HSA_STATUS_ERROR_INVALID_CODE_SYMBOL"),
    (0x1019, "HSA_STATUS_ERROR_INVALID_EXECUTABLE_SYMBOL"),
    (0x1020, "HSA_STATUS_ERROR_INVALID_FILE"),
    (0x1021, "HSA_STATUS_ERROR_INVALID_CODE_OBJECT_READER"),
    (0x1022, "HSA_STATUS_ERROR_INVALID_CACHE"),
    (0x1023, "HSA_STATUS_ERROR_INVALID_WAVEFRONT"),
    (0x1024, "HSA_STATUS_ERROR_INVALID_SIGNAL_GROUP"),
    (0x1025, "HSA_STATUS_ERROR_INVALID_RUNTIME_STATE"),
    (0x1026, "HSA_STATUS_ERROR_FATAL"),
    // hsa_ext_amd.h (written in decimal there: 40..=46)
    (0x28, "HSA_STATUS_ERROR_INVALID_MEMORY_POOL"),
    (0x29, "HSA_STATUS_ERROR_MEMORY_APERTURE_VIOLATION"),
    (0x2A, "HSA_STATUS_ERROR_ILLEGAL_INSTRUCTION"),
    (0x2B, "HSA_STATUS_ERROR_MEMORY_FAULT"),
    (0x2C, "HSA_STATUS_CU_MASK_REDUCED"),
    (0x2D, "HSA_STATUS_ERROR_OUT_OF_REGISTERS"),
    (0x2E, "HSA_STATUS_ERROR_RESOURCE_BUSY"),
];

/// The name of an HSA status code, if the headers define it.
pub fn name(code: u32) -> Option<&'static str> {
    HSA_STATUS.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// The code of an HSA status name, if the headers define it.
pub fn code(name: &str) -> Option<u32> {
    HSA_STATUS.iter().find(|(_, n)| *n == name).map(|(c, _)| *c)
}

/// Formats a status the way `CaseResult::hsa_error` carries it: `0x29 HSA_STATUS_ERROR_...`.
///
/// When both are printed and disagree with the table, the printed name wins: it is what the
/// runtime on that machine said, and newer runtimes may add codes this table lacks.
pub fn describe(code: Option<u32>, name: Option<&str>) -> Option<String> {
    match (code, name) {
        (Some(c), Some(n)) => Some(format!("{c:#x} {n}")),
        (Some(c), None) => Some(match self::name(c) {
            Some(n) => format!("{c:#x} {n}"),
            None => format!("{c:#x}"),
        }),
        (None, Some(n)) => Some(match self::code(n) {
            Some(c) => format!("{c:#x} {n}"),
            None => n.to_string(),
        }),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aperture_violation_is_0x29_and_memory_fault_0x2b() {
        assert_eq!(
            name(0x29),
            Some("HSA_STATUS_ERROR_MEMORY_APERTURE_VIOLATION")
        );
        assert_eq!(name(0x2b), Some("HSA_STATUS_ERROR_MEMORY_FAULT"));
        assert_eq!(code("HSA_STATUS_ERROR_INVALID_ISA_NAME"), Some(0x1017));
        assert_eq!(name(0x2f), None);
    }

    #[test]
    fn table_has_no_duplicate_codes_or_names() {
        for (i, (c, n)) in HSA_STATUS.iter().enumerate() {
            for (c2, n2) in &HSA_STATUS[i + 1..] {
                assert_ne!(c, c2, "{n} and {n2} share a code");
                assert_ne!(n, n2);
            }
        }
    }

    #[test]
    fn describe_fills_in_the_missing_half() {
        assert_eq!(
            describe(Some(0x29), None).as_deref(),
            Some("0x29 HSA_STATUS_ERROR_MEMORY_APERTURE_VIOLATION")
        );
        assert_eq!(
            describe(None, Some("HSA_STATUS_ERROR_MEMORY_FAULT")).as_deref(),
            Some("0x2b HSA_STATUS_ERROR_MEMORY_FAULT")
        );
        assert_eq!(describe(Some(0x99), None).as_deref(), Some("0x99"));
        assert_eq!(describe(None, None), None);
    }
}
