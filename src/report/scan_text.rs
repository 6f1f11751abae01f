//! `scan` for humans: GPUs (hardware target, and what the runtime reports under overrides),
//! toolchains, and what could not be read.

use std::io::{self, Write};

use super::scan_json::{document, Document};
use super::Style;
use crate::snapshot::Snapshot;

/// Writes the text report.
///
/// Returns an error if writing fails.
pub fn write(out: &mut dyn Write, s: &Snapshot, style: &Style) -> io::Result<()> {
    let d: Document<'_> = document(s);
    if d.root != "/" {
        writeln!(out, "{} {}", style.dim("root"), d.root)?;
    }
    if d.gpus.is_empty() {
        writeln!(out, "{}", style.bold("no AMD GPU found"))?;
    } else {
        writeln!(
            out,
            "{}",
            style.bold(&format!("AMD GPUs ({})", d.gpus.len()))
        )?;
    }
    for g in &d.gpus {
        let target = g.gfx_target.as_deref().unwrap_or("gfx?");
        let mut line = format!("  {}", style.green(target));
        if let Some(n) = &g.marketing_name {
            line.push_str(&format!("  {n}"));
        }
        let mut facts = Vec::new();
        facts.extend(g.family.clone());
        if g.is_apu == Some(true) {
            facts.push("integrated".into());
        }
        facts.extend(g.pci_device_id.as_ref().map(|p| format!("PCI {p}")));
        facts.extend(g.compute_units.map(|c| format!("{c} CUs")));
        facts.extend(g.node.as_ref().map(|n| format!("node {n}")));
        facts.push(format!("from {}", g.source));
        line.push_str(&style.dim(&format!("  ({})", facts.join(", "))));
        writeln!(out, "{line}")?;
        if g.runtime_target != g.gfx_target {
            if let Some(rt) = &g.runtime_target {
                writeln!(out, "    the runtime reports {} (override)", style.bold(rt))?;
            }
        }
    }
    for o in &d.overrides {
        match (&o.reports, &o.error) {
            (Some(t), _) => writeln!(out, "  {}={} → runtime reports {t}", o.var, o.value)?,
            (None, Some(e)) => writeln!(out, "  {}={}: {}", o.var, o.value, style.red(e))?,
            (None, None) => {}
        }
    }
    write_access(out, s)?;
    write_rocm(out, s, style)?;
    write_python(out, s)?;
    if d.toolchains.is_empty() {
        writeln!(out, "LLVM toolchains: none found")?;
    } else {
        let list: Vec<String> = d
            .toolchains
            .iter()
            .map(|t| format!("{} ({})", t.major, t.path.display()))
            .collect();
        writeln!(out, "LLVM toolchains: {}", list.join(", "))?;
    }
    if !d.problems.is_empty() {
        writeln!(out, "{}", style.bold("Problems"))?;
        for p in &d.problems {
            writeln!(out, "  - {p}")?;
        }
    }
    Ok(())
}

/// One block per ROCm install: version, layout, what `/opt/rocm` and the environment select,
/// device-lib producer, and the gfx targets its kernel libraries carry.
fn write_rocm(out: &mut dyn Write, s: &Snapshot, style: &Style) -> io::Result<()> {
    let r = &s.rocm;
    if r.installs.is_empty() {
        return writeln!(out, "ROCm: none found");
    }
    writeln!(
        out,
        "{}",
        style.bold(&format!("ROCm installs ({})", r.installs.len()))
    )?;
    for i in &r.installs {
        let version = i
            .version
            .present()
            .cloned()
            .or_else(|| i.hip_soname_major.map(|m| format!("HIP {m} (distro)")))
            .unwrap_or_else(|| "version unknown".into());
        let mut line = format!("  {}  {version}  ({})", i.path, i.layout);
        if !i.aliases.is_empty() {
            line.push_str(&format!("  ← {}", i.aliases.join(", ")));
        }
        writeln!(out, "{line}")?;
        for libs in &i.device_libs {
            if let Some(p) = libs.producer.present() {
                writeln!(
                    out,
                    "    device libs: {} files, producer {p}",
                    libs.bc_files
                )?;
            }
        }
        for (name, dir) in [
            ("rocBLAS kernels", &i.components.rocblas_kernels),
            ("MIOpen kernel db", &i.components.miopen_db),
            ("hipBLASLt kernels", &i.components.hipblaslt_kernels),
        ] {
            if let Some(k) = dir.present() {
                let mut gfx: Vec<&str> = k.gfx.iter().map(String::as_str).collect();
                gfx.sort_by_key(|g| super::target_order(g));
                writeln!(out, "    {name}: {}", gfx.join(" "))?;
            }
        }
    }
    for m in &r.mixed {
        writeln!(out, "  {} {m}", style.red("mixed:"))?;
    }
    Ok(())
}

/// Each PyTorch found, with its version, the ROCm it was built for, and the gfx targets its
/// bundled libraries carry.
fn write_python(out: &mut dyn Write, s: &Snapshot) -> io::Result<()> {
    for env in &s.python.environments {
        for sp in &env.site_packages {
            let Some(torch) = sp.torch.present() else {
                continue;
            };
            let version = torch
                .version_py
                .present()
                .map(|v| v.version.clone())
                .unwrap_or_else(|| "version unreadable".into());
            writeln!(out, "PyTorch {version} in {}", sp.path)?;
            if !torch.gpu_targets.is_empty() {
                let mut t: Vec<&str> = torch.gpu_targets.iter().map(String::as_str).collect();
                t.sort_by_key(|g| super::target_order(g));
                writeln!(out, "    its libraries carry: {}", t.join(" "))?;
            }
        }
    }
    Ok(())
}

/// Kernel, driver, container, and device access in one or two lines.
fn write_access(out: &mut dyn Write, s: &Snapshot) -> io::Result<()> {
    let a = &s.access;
    let mut parts = Vec::new();
    if let Some(k) = a.kernel.present() {
        parts.push(k.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    }
    parts.push(
        match a.amdgpu_loaded {
            Some(true) => "amdgpu loaded",
            Some(false) => "amdgpu not loaded",
            None => "amdgpu: unknown",
        }
        .into(),
    );
    if let Some(v) = a.amdgpu_version.present() {
        parts.push(format!("amdgpu {v} (DKMS)"));
    }
    parts.extend(a.container.iter().map(|c| format!("container: {c}")));
    writeln!(out, "Kernel: {}", parts.join(", "))?;
    for d in &a.devices {
        let access = match d.user_can_open {
            Some(true) => "the user can open it",
            Some(false) => "the user CANNOT open it",
            None => "access unknown",
        };
        if d.meta.is_present() {
            writeln!(
                out,
                "  {} (group {}): {access}",
                d.path,
                d.group.as_deref().unwrap_or("?")
            )?;
        }
    }
    Ok(())
}
