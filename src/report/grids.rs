//! The tables the Markdown and HTML reports share, computed once from a snapshot: which
//! library carries code for which GPU, which LLVM can read which device libraries, and a
//! summary of what the scan read. Rendering stays in `markdown.rs` and `html.rs`.

use crate::knowledge::gfx_support::processor_of;
use crate::probe::python::EnvKind;
use crate::snapshot::{Observed, Snapshot};

/// One cell: has code / can read, has not / cannot, or not known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// Green: the library has code for the target, or the reader loads the bitcode.
    Yes,
    /// Red: it has not, or the reader refuses it.
    No,
    /// Grey: the scan could not tell.
    Unknown,
}

/// One row: what it is, where it was seen, one cell per column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The library or device-library directory.
    pub label: String,
    /// A path or producer, for the reader of the report to check.
    pub detail: String,
    /// One cell per column.
    pub cells: Vec<Cell>,
}

/// A matrix with labelled columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    /// The header of the row-label column.
    pub corner: &'static str,
    /// The header of the detail column.
    pub detail: &'static str,
    /// Column labels.
    pub columns: Vec<String>,
    /// Rows, in scan order.
    pub rows: Vec<Row>,
    /// What a green cell means, for the legend.
    pub yes: &'static str,
    /// What a red cell means, for the legend.
    pub no: &'static str,
    /// Why the grid would be empty, said when it is.
    pub empty_reason: &'static str,
}

/// The LLVM majors the reader grid always shows: those ROCm releases have shipped and the
/// ones around them.
pub const READER_MAJORS: std::ops::RangeInclusive<u32> = 14..=22;

/// Libraries × GPU targets: whether each library's kernel files (or fat binary) name the GPU's
/// own target and, under an override, the target the runtime reports. Libraries the scan did not find have no row; ones it could
/// not read have grey cells.
pub fn coverage(s: &Snapshot) -> Grid {
    // Under an override a GPU gets two columns: its own target (what a build for it must
    // carry) and the one the runtime reports (what loads now), so the grid shows both the
    // stand-in code that runs and the GPU's own code that is missing.
    let mut gpus: Vec<(String, Option<String>)> = Vec::new();
    for g in s.gpus() {
        let name = g.marketing_name.as_deref().unwrap_or("AMD GPU");
        let hw = g.gfx_target.as_deref().unwrap_or("gfx?");
        let mut cols = vec![(format!("{name} {hw}"), g.gfx_target.clone())];
        if let Some(rt) = g.runtime_target.as_deref().filter(|rt| *rt != hw) {
            cols[0].0 = format!("{name} {hw} (own code)");
            cols.push((
                format!("{name} as {rt} (runtime, override)"),
                Some(rt.to_owned()),
            ));
        }
        for c in cols {
            if !gpus.iter().any(|(l, _)| *l == c.0) {
                gpus.push(c);
            }
        }
    }
    let targets: Vec<Option<&str>> = gpus.iter().map(|(_, rt)| rt.as_deref()).collect();
    let row = |label: String, detail: String, list: Observed<&Vec<String>>| Row {
        label,
        detail,
        cells: targets
            .iter()
            .map(|rt| match (&list, rt) {
                (Observed::Present(l), Some(rt)) => {
                    if l.iter().any(|g| processor_of(g) == processor_of(rt)) {
                        Cell::Yes
                    } else {
                        Cell::No
                    }
                }
                _ => Cell::Unknown,
            })
            .collect(),
    };
    let mut rows = Vec::new();
    for inst in &s.rocm.installs {
        let version = inst.version.present().map_or("?", String::as_str);
        let c = &inst.components;
        for (lib, dir) in [
            ("rocBLAS (Tensile)", &c.rocblas_kernels),
            ("MIOpen kernel db", &c.miopen_db),
            ("hipBLASLt", &c.hipblaslt_kernels),
        ] {
            let detail = match dir {
                Observed::Absent => continue,
                Observed::Present(k) => k.path.clone(),
                other => format!("{}: {}", other.state(), other.reason().unwrap_or("")),
            };
            let gfx = dir.as_ref().map(|k| &k.gfx);
            rows.push(row(format!("ROCm {version}: {lib}"), detail, gfx));
        }
    }
    for sp in s.python.environments.iter().flat_map(|e| &e.site_packages) {
        let Some(t) = sp.torch.present() else {
            continue;
        };
        let version = t.version_py.present().map_or("?", |v| v.version.as_str());
        match &t.libs {
            Observed::Present(libs) => {
                for l in libs {
                    // Host-only libraries (the HIP runtime itself) carry no GPU code to judge.
                    if l.targets.present().is_some_and(Vec::is_empty) {
                        continue;
                    }
                    let detail = format!("{}/lib/{}", t.dir, l.name);
                    let label = format!("torch {version}: {}", l.name);
                    rows.push(row(label, detail, l.targets.as_ref()));
                }
            }
            Observed::Absent => {}
            other => {
                let detail = format!("{}/lib: {}", t.dir, other.state());
                rows.push(row(
                    format!("torch {version}: libraries"),
                    detail,
                    Observed::Absent,
                ));
            }
        }
        for (lib, sub, list) in [
            ("rocBLAS (Tensile)", "rocblas", &t.rocblas_targets),
            ("hipBLASLt", "hipblaslt", &t.hipblaslt_targets),
        ] {
            if !list.is_absent() {
                let detail = format!("{}/lib/{sub}/library", t.dir);
                rows.push(row(
                    format!("torch {version}: {lib}"),
                    detail,
                    list.as_ref(),
                ));
            }
        }
    }
    Grid {
        corner: "library",
        detail: "where",
        columns: gpus.into_iter().map(|(l, _)| l).collect(),
        rows,
        yes: "has code for the target",
        no: "no code for the target",
        empty_reason: "no AMD GPU or no library with GPU code was found",
    }
}

/// Device-library directories × LLVM readers, judged by major: a reader loads bitcode its
/// own or an older release wrote and refuses a newer one's (the rule of
/// `bitcode-newer-than-toolchain`). Columns of installed LLVMs end in `*`.
pub fn readers(s: &Snapshot) -> Grid {
    let installed: Vec<u32> = s.toolchains.iter().map(|t| t.major).collect();
    let mut majors: Vec<u32> = READER_MAJORS.chain(installed.iter().copied()).collect();
    majors.sort_unstable();
    majors.dedup();
    let mut rows = Vec::new();
    for inst in &s.rocm.installs {
        let version = inst.version.present().map_or("?", String::as_str);
        for dl in &inst.device_libs {
            let producer = dl
                .producer
                .present()
                .map_or("producer unknown", String::as_str);
            rows.push(Row {
                label: format!("ROCm {version}: {}", dl.path),
                detail: format!("{producer}, {} .bc files", dl.bc_files),
                cells: majors
                    .iter()
                    .map(|&r| match dl.llvm_major {
                        Some(p) if crate::knowledge::bitcode::reads_by_major(r, p) => Cell::Yes,
                        Some(_) => Cell::No,
                        None => Cell::Unknown,
                    })
                    .collect(),
            });
        }
    }
    Grid {
        corner: "device libraries",
        detail: "producer",
        columns: majors
            .iter()
            .map(|m| {
                let star = if installed.contains(m) { "*" } else { "" };
                format!("LLVM {m}{star}")
            })
            .collect(),
        rows,
        yes: "reader loads it",
        no: "reader refuses it",
        empty_reason: "no ROCm device libraries were found",
    }
}

/// What the scan read, as labelled lists of lines.
pub fn summary(s: &Snapshot) -> Vec<(&'static str, Vec<String>)> {
    let gpus = s
        .gpus()
        .iter()
        .map(|g| {
            let mut line = format!(
                "{}: {}",
                g.marketing_name.as_deref().unwrap_or("AMD GPU"),
                g.gfx_target.as_deref().unwrap_or("gfx?")
            );
            if let Some(f) = &g.family {
                line.push_str(&format!(" ({f})"));
            }
            if g.runtime_target != g.gfx_target {
                let rt = g.runtime_target.as_deref().unwrap_or("unknown");
                line.push_str(&format!(", the runtime reports {rt}"));
            }
            line.push_str(&format!(", from {}", g.source));
            if g.is_apu == Some(true) {
                line.push_str(", integrated");
            }
            line
        })
        .collect();
    let overrides = s
        .env
        .overrides
        .iter()
        .map(|o| {
            let effect = match (&o.reports, o.reports.reason()) {
                (Observed::Present(t), _) => format!("reports {t}"),
                (_, Some(why)) => format!("invalid: {why}"),
                _ => "no effect".to_owned(),
            };
            format!("{}={} ({effect}; from {})", o.var, o.value, s.env.source)
        })
        .collect();
    let installs = s
        .rocm
        .installs
        .iter()
        .map(|i| {
            let mut line = format!(
                "{} ({} layout), version {}",
                i.path,
                i.layout,
                i.version.present().map_or("unknown", String::as_str)
            );
            if !i.aliases.is_empty() {
                line.push_str(&format!(", also {}", i.aliases.join(", ")));
            }
            line
        })
        .collect();
    let python = s
        .python
        .environments
        .iter()
        .map(|e| {
            let torches: Vec<String> = e
                .site_packages
                .iter()
                .filter_map(|sp| sp.torch.present())
                .map(|t| {
                    let v = t.version_py.present();
                    let hip = v
                        .and_then(|v| v.hip.as_deref())
                        .map(|h| format!(", HIP {h}"));
                    let v = v.map_or("?", |v| v.version.as_str());
                    format!("torch {v}{}", hip.unwrap_or_default())
                })
                .collect();
            let has = if torches.is_empty() {
                "no torch".to_owned()
            } else {
                torches.join(", ")
            };
            let kind = match e.kind {
                EnvKind::System => "system",
                EnvKind::Conda => "conda",
                EnvKind::Venv => "venv",
            };
            format!("{} ({kind}): {has}", e.prefix)
        })
        .collect();
    let toolchains = s
        .toolchains
        .iter()
        .map(|t| format!("LLVM {} at {} ({})", t.major, t.path.display(), t.flavor))
        .collect();
    let problems = super::scan_json::document(s).problems;
    vec![
        ("Root", vec![s.root.clone()]),
        ("GPUs", gpus),
        ("Overrides", overrides),
        ("ROCm installs", installs),
        ("Python environments", python),
        ("LLVM toolchains", toolchains),
        ("Scan problems", problems),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_grids_follow_the_snapshot() {
        let s = crate::demo::snapshot();
        let c = coverage(&s);
        assert_eq!(
            c.columns,
            [
                "AMD Radeon RX 5600 XT gfx1010 (own code)",
                "AMD Radeon RX 5600 XT as gfx1030 (runtime, override)"
            ]
        );
        let cell = |label: &str, col: usize| {
            c.rows
                .iter()
                .find(|r| r.label.ends_with(label))
                .unwrap()
                .cells[col]
        };
        assert_eq!(cell("hipBLASLt", 1), Cell::No);
        // torch runs gfx1030 code under the override but has none of gfx1010's: the grid shows
        // both, as findings 1 and 2 say.
        assert_eq!(cell("libtorch_hip.so", 1), Cell::Yes);
        assert_eq!(cell("libtorch_hip.so", 0), Cell::No);
        // Host-only libraries have no row.
        assert!(!c.rows.iter().any(|r| r.label.ends_with("libamdhip64.so")));

        let r = readers(&s);
        assert!(
            r.columns.contains(&"LLVM 16*".to_owned()) && r.columns.contains(&"LLVM 14".to_owned())
        );
        let at = |m: &str| {
            r.columns
                .iter()
                .position(|c| c.trim_end_matches('*') == m)
                .unwrap()
        };
        // The demo's device libraries were written by LLVM 20.
        assert_eq!(r.rows[0].cells[at("LLVM 16")], Cell::No);
        assert_eq!(r.rows[0].cells[at("LLVM 20")], Cell::Yes);
        assert_eq!(r.rows[0].cells[at("LLVM 22")], Cell::Yes);
    }

    #[test]
    fn summary_names_every_part() {
        let s = crate::demo::snapshot();
        let labels: Vec<&str> = summary(&s).iter().map(|(l, _)| *l).collect();
        assert_eq!(labels.len(), 7);
        let all = format!("{:?}", summary(&s));
        assert!(
            all.contains("HSA_OVERRIDE_GFX_VERSION=10.3.0 (reports gfx1030"),
            "{all}"
        );
        assert!(all.contains("torch 2.5.1+rocm6.2"), "{all}");
    }
}
