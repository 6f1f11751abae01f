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

/// A byte count for humans: `512 B`, `4.0 KiB`, `1.25 GiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else if value >= 100.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(1_300_000_000), "1.2 GiB");
        assert_eq!(human_size(150 * 1024 * 1024), "150 MiB");
    }

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

/// Every GPU target in a file's bundles (and its code object), sorted in natural order.
pub fn targets_of(f: &crate::inspect::FileReport) -> Vec<String> {
    let mut targets: Vec<String> = f
        .bundles
        .iter()
        .flat_map(|b| b.bundle.entries.iter())
        .filter_map(|e| e.target_id.clone())
        .chain(
            f.code_object
                .iter()
                .filter_map(|c| c.target.as_ref().map(|t| t.target_id())),
        )
        .collect();
    targets.sort_by(|a, b| target_order(a).cmp(&target_order(b)));
    targets.dedup();
    targets
}

/// Sort key putting `gfx803 < gfx900 < gfx90a < gfx1010 < gfx1030`: shorter processor names
/// first (older generations), then by text, then by feature suffix.
pub fn target_order(target: &str) -> (usize, &str, &str) {
    let (processor, features) = target.split_once(':').unwrap_or((target, ""));
    (processor.len(), processor, features)
}

#[cfg(test)]
mod order_tests {
    use super::target_order;

    #[test]
    fn targets_sort_by_generation() {
        let mut t = vec![
            "gfx1030",
            "gfx90a:xnack+",
            "gfx803",
            "gfx90a:xnack-",
            "gfx1100",
            "gfx908",
        ];
        t.sort_by_key(|s| target_order(s));
        assert_eq!(
            t,
            [
                "gfx803",
                "gfx908",
                "gfx90a:xnack+",
                "gfx90a:xnack-",
                "gfx1030",
                "gfx1100"
            ]
        );
    }
}
