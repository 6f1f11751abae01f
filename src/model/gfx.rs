//! Orders gfx target ids the way people read them (by generation).

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
