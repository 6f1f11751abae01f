//! Context rules about the system around the GPU: device-node access (host or container),
//! shared libraries and their soname majors, PCIe atomics per GPU family, device enumeration
//! on Windows.

use super::context::Context;
use super::{Hit, Ranked};
use crate::model::Solution;
use crate::model::{Category, Evidence, Layer, Remedy};

/// Codes only these rules emit.
pub(crate) const CODES: &[&str] = &["hip-soname-major-mismatch"];

pub(crate) fn kfd_access(ctx: &Context<'_>, r: &mut Ranked) {
    let f = &mut r.finding;
    if let Some(n) = ctx.container {
        f.evidence.push(ctx.evidence(n));
        f.why.push_str(
            " In a container, above all a rootless one, the host's groups show up under other \
             names or numbers, so the group owning /dev/kfd inside is not the host's.",
        );
        f.remedies = vec![
            Remedy::new(
                "See which group owns /dev/kfd inside the container",
                "Compare it with the groups the container user has.",
            )
            .command("docker run --rm --device=/dev/kfd --device=/dev/dri <image> sh -c 'ls -ln /dev/kfd /dev/dri; id'")
            .source("https://github.com/ollama/ollama/issues/6685"),
            Remedy::new(
                "Add that group to the container",
                "In ollama#6685 /dev/kfd showed up as group daemon in a rootless container; \
                 --group-add daemon made the GPU visible.",
            )
            .command("docker run --device=/dev/kfd --device=/dev/dri --group-add <group owning /dev/kfd inside> <image>")
            .fix(Solution::Container)
            .source("https://github.com/ollama/ollama/issues/6685"),
        ];
    } else {
        f.remedies = vec![
            Remedy::new(
                "See who owns the device nodes and which groups you are in",
                "The nodes are usually group render (kfd and renderD*) or video.",
            )
            .command("ls -l /dev/kfd /dev/dri/renderD*; id")
            .source("https://github.com/pytorch/pytorch/issues/99234"),
            Remedy::new(
                "Join the groups that own the nodes, then log in again",
                "Group changes apply to new logins only.",
            )
            .command("sudo usermod -aG render,video $USER")
            .source("https://github.com/ROCm/legacy-rocm-build/issues/2838"),
        ];
    }
}

/// ROCm's own libraries, by file stem: a missing one is a ROCm install problem.
const ROCM_LIBS: &[&str] = &[
    "libamdhip64",
    "libhiprtc",
    "libhsa-runtime64",
    "libhsakmt",
    "libamd_comgr",
    "librocblas",
    "libhipblas",
    "libhipblaslt",
    "libMIOpen",
    "librccl",
    "librocsolver",
    "libhipsolver",
    "librocfft",
    "libhipfft",
    "librocsparse",
    "libhipsparse",
    "librocrand",
    "libhiprand",
    "libroctx64",
    "libroctracer64",
    "librocm_smi64",
    "libamd_smi",
    "librocprofiler64",
    "libamdocl64",
];

pub(crate) fn shared_lib(hit: &Hit, ctx: &Context<'_>, r: &mut Ranked) {
    let Some(lib) = hit.captures.first() else {
        return;
    };
    let stem = lib.split(".so").next().unwrap_or(lib);
    let f = &mut r.finding;
    for rem in &mut f.remedies {
        rem.command = rem.command.as_ref().map(|c| c.replace("<library>", lib));
    }
    if !ROCM_LIBS.contains(&stem) {
        r.priority = 20;
        f.title = format!("A shared library cannot be loaded: {lib}");
        return;
    }
    f.title = format!("{lib} cannot be found by the dynamic loader");
    let wanted: Option<u32> = lib
        .strip_prefix("libamdhip64.so.")
        .and_then(|v| v.split('.').next()?.parse().ok());
    let Some(want) = wanted else { return };
    let mut have: Vec<(u32, Option<usize>)> =
        ctx.hip_sonames.iter().map(|&(m, l)| (m, Some(l))).collect();
    have.extend(ctx.rocm_majors());
    if have.is_empty() || have.iter().any(|(m, _)| *m == want) {
        return;
    }
    let (got, line) = have[0];
    f.code = "hip-soname-major-mismatch".into();
    f.category = Category::VersionMismatchFrameworkVsRuntime;
    f.title =
        format!("A component built for ROCm {want} asks for {lib}, but this system has ROCm {got}");
    f.why =
        "The HIP runtime's soname major follows the ROCm major (libamdhip64.so.6 in ROCm 6, .so.7 \
             in ROCm 7), so a binary built against one major cannot load with the other."
            .into();
    f.layer = Layer::FrameworkWheel;
    f.other_layers = "Adding library paths cannot help: the wanted major is not installed".into();
    f.evidence.push(match line {
        Some(n) => ctx.evidence(n),
        None => Evidence::new("snapshot", format!("ROCm {got} installed")),
    });
    f.remedies = vec![
        Remedy::new(
            format!("Install the component's build made for ROCm {got}"),
            "The hipEngine maintainer: ROCm 6 needs the older AOTriton build; every native part of \
             the stack must be built for the installed ROCm major.",
        )
        .fix(Solution::Venv)
        .source("https://github.com/shisa-ai/hipEngine/issues/1"),
        Remedy::new(
            format!("Or install ROCm {want} and run the component against it"),
            "Only if the rest of the stack can move to that major too.",
        )
        .fix(Solution::Packages)
        .source("https://github.com/Looong01/pyg-rocm-build/issues/16"),
    ];
    f.sources = vec![
        "https://github.com/shisa-ai/hipEngine/issues/1".into(),
        "https://github.com/Looong01/pyg-rocm-build/issues/16".into(),
    ];
    r.priority = 77;
}

pub(crate) fn pcie_atomics(hit: &Hit, ctx: &Context<'_>, r: &mut Ranked) {
    let line = ctx.lines[hit.lines[0] - 1];
    let id = line
        .split("1002:")
        .nth(1)
        .and_then(|s| u16::from_str_radix(s.get(..4)?, 16).ok());
    let Some(row) = id.and_then(|i| crate::knowledge::gpus::lookup(i, None)) else {
        return;
    };
    let f = &mut r.finding;
    f.evidence.push(Evidence::new(
        "knowledge: gpus.toml",
        format!(
            "1002:{:04x} is {} ({}, {})",
            id.unwrap_or(0),
            row.chip,
            row.gfx,
            row.family
        ),
    ));
    if row.family == "RDNA1" || row.family == "RDNA2" {
        f.remedies.insert(
            0,
            Remedy::new(
                "Update linux-firmware and the kernel first",
                "For RDNA1/RDNA2 newer amdgpu firmware lifted the atomics requirement (the rocm-build \
                 author in legacy-rocm-build#2021), so on a current system this line may not recur.",
            )
            .fix(Solution::Packages)
            .source("https://github.com/ROCm/legacy-rocm-build/issues/2021"),
        );
    }
}

pub(crate) fn no_device(ctx: &Context<'_>, r: &mut Ranked) {
    let f = &mut r.finding;
    if let Some(n) = ctx.windows {
        f.evidence.push(ctx.evidence(n));
        f.remedies.insert(
            0,
            Remedy::new(
                "On Windows, try the previous HIP SDK release",
                "In hip#3899 HIP SDK 7.1.1 enumerated no RX 6800 XT while 6.4 on the same driver \
                 did; a fix was submitted upstream.",
            )
            .fix(Solution::Packages)
            .source("https://github.com/ROCm/hip/issues/3899"),
        );
    } else {
        f.remedies.insert(
            0,
            Remedy::new(
                "Check that the runtime itself sees the GPU",
                "No GPU agent in rocminfo points at the driver or /dev/kfd access; a GPU there but \
                 not in HIP points at the visibility variables or the HIP build.",
            )
            .command("rocminfo | grep -E 'Name: +gfx'; ls -l /dev/kfd")
            .source("https://github.com/pytorch/pytorch/issues/99234"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::explain;

    fn commands(log: &str) -> String {
        explain(log, None)[0]
            .remedies
            .iter()
            .filter_map(|r| r.command.clone())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn kfd_access_remedies_depend_on_where_it_ran() {
        let denied = "Unable to open /dev/kfd read-write: Permission denied";
        let host = commands(denied);
        assert!(host.contains("usermod -aG render"), "{host}");
        let inside = commands(&format!("$ docker exec -it ollama rocminfo\n{denied}"));
        assert!(
            inside.contains("--group-add") && !inside.contains("usermod"),
            "{inside}"
        );
    }

    #[test]
    fn only_a_different_rocm_major_is_a_soname_mismatch() {
        let missing =
            "OSError: libamdhip64.so.7: cannot open shared object file: No such file or directory";
        let f = explain(
            &format!("/opt/rocm-6.4.1/lib/libamdhip64.so.6\n{missing}"),
            None,
        );
        assert_eq!(f[0].code, "hip-soname-major-mismatch");
        let f = explain(&format!("/opt/rocm-7.0.2/lib\n{missing}"), None);
        assert_eq!(f[0].code, "rocm-library-not-found");
        let f = explain(missing, None);
        assert_eq!(f[0].code, "rocm-library-not-found");
        assert!(f[0].title.starts_with("libamdhip64.so.7"));
    }
}
