//! Rules: access.

use super::{Context, Finding};

/// Codes these rules emit.
pub const CODES: &[&str] = &[];

/// Adds this area's findings.
pub(super) fn rules(_ctx: &Context, _out: &mut Vec<Finding>) {}
