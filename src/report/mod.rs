//! Rendering: the only place that writes to the user.

pub mod check;
pub mod findings_json;
pub mod findings_text;
pub mod fleet_text;
pub mod grids;
pub mod html;
pub mod inspect_json;
pub mod inspect_text;
pub mod markdown;
pub mod plan_text;
pub mod progress;
pub mod readers_text;
pub mod scan_json;
pub mod scan_text;

/// How to render text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// Use ANSI colors.
    pub color: bool,
    /// Show every item, not only the grouped summary.
    pub verbose: bool,
}

impl Style {
    /// `text` in bold (when colors are on).
    pub fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }
    /// `text` dimmed (when colors are on).
    pub fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }
    /// `text` in red (when colors are on).
    pub fn red(&self, text: &str) -> String {
        self.paint("31", text)
    }
    /// `text` in green (when colors are on).
    pub fn green(&self, text: &str) -> String {
        self.paint("32", text)
    }
    /// `text` in yellow (when colors are on).
    pub fn paint_yellow(&self, text: &str) -> String {
        self.paint("33", text)
    }
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

pub use crate::inspect::targets_of;
pub use crate::model::gfx::target_order;
pub use crate::model::size::human_size;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_escape_codes_without_color() {
        let plain = Style::default();
        assert_eq!(plain.red("x"), "x");
        let colored = Style {
            color: true,
            ..Style::default()
        };
        assert!(colored.red("x").contains("\x1b[31m"));
    }
}
