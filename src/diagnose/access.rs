//! Rules: is there an AMD GPU, is its driver loaded, is KFD there, may the user open it, and is
//! an integrated GPU enumerated beside the discrete one.

use super::{Category, Context, Evidence, Finding, Layer, Remedy, Severity};
use crate::model::Solution;
use crate::snapshot::Observed;

/// Codes these rules emit.
pub const CODES: &[&str] = &[
    "no-amd-gpu",
    "amdgpu-driver-not-loaded",
    "kfd-missing",
    "kfd-not-accessible",
    "igpu-beside-dgpu",
    "gpu-skipped-by-kfd",
];

/// rocminfo's own pre-check opens /dev/kfd read-write and checks the owning group.
const ROCMINFO_SRC: &str = "https://github.com/ROCm/rocminfo/blob/amd-staging/rocminfo.cc";
/// AMD's install guide: the user must be in `render` and `video`.
const GROUPS_SRC: &str =
    "https://rocm.docs.amd.com/projects/install-on-linux/en/latest/install/prerequisites.html";
/// amdgpu-install docs: ROCm does not support integrated graphics and may crash with one.
const IGPU_SRC: &str = "https://rocm.docs.amd.com/projects/install-on-linux/en/docs-6.3.1/install/install-methods/amdgpu-installer/amdgpu-installer-ol.html";

/// Adds this area's findings.
pub(super) fn rules(ctx: &Context, out: &mut Vec<Finding>) {
    let s = ctx.snapshot;
    if ctx.gpus.is_empty() {
        out.push(no_gpu(ctx));
        return;
    }
    let driver_missing = s
        .gpu
        .gpus
        .iter()
        .find(|g| g.driver.as_deref().is_some_and(|d| d != "amdgpu") || g.driver.is_none());
    if s.access.amdgpu_loaded == Some(false)
        || (driver_missing.is_some() && !s.gpu.kfd.is_present())
    {
        out.push(driver_not_loaded(ctx, driver_missing));
        return;
    }
    let kfd_node = s.access.devices.iter().find(|d| d.path == "/dev/kfd");
    let kfd_absent = kfd_node.is_none_or(|d| d.meta.is_absent());
    // Only for GPUs seen in sysfs: a pasted rocminfo says nothing about this tree's /dev.
    if kfd_absent && !s.gpu.gpus.is_empty() {
        out.push(kfd_missing(ctx));
    }
    skipped_by_kfd(ctx, out);
    if let Some(d) = s
        .access
        .devices
        .iter()
        .find(|d| d.user_can_open == Some(false))
    {
        out.push(not_accessible(ctx, d));
    }
    igpu(ctx, out);
}

fn no_gpu(ctx: &Context) -> Finding {
    let s = ctx.snapshot;
    let mut evidence = vec![Evidence::new(
        "/sys/bus/pci/devices",
        match &s.gpu.pci {
            Observed::Present(v) if v.is_empty() => "no AMD display-class PCI device".to_owned(),
            Observed::Present(v) => format!("{} AMD PCI functions, none a known GPU", v.len()),
            o => format!("{} ({})", o.state(), o.reason().unwrap_or("")),
        },
    )];
    evidence.push(Evidence::new(
        "/sys/class/kfd/kfd/topology/nodes",
        format!("KFD topology {}", s.gpu.kfd.state()),
    ));
    let in_container = !s.access.container.is_empty();
    let mut remedies = Vec::new();
    if in_container {
        remedies.push(
            Remedy::new(
                "Start the container with the GPU passed through",
                "a container sees the GPU only through the devices and sysfs it is given",
            )
            .command("docker run --device=/dev/kfd --device=/dev/dri --group-add video --group-add render ...")
            .fix(Solution::Container),
        );
    }
    remedies.push(Remedy::new(
        "Run rocm-doctor on the machine that has the AMD GPU, or replay a capture of it",
        "rocm-doctor capture OUT.tar.gz on that machine, then rocm-doctor check --root DIR here",
    ));
    Finding {
        code: "no-amd-gpu".into(),
        category: Category::DeviceVisibility,
        severity: Severity::Info,
        title: "No AMD GPU found on this machine".into(),
        evidence,
        why: "Nothing can run on an AMD GPU here. What follows is what was found of the software stack (toolchains, device libraries, Python environments).".into(),
        layer: Layer::Hardware,
        other_layers: "No software setting creates a GPU; inside a container the host must pass it through".into(),
        remedies,
        sources: vec![ROCMINFO_SRC.into()],
    }
}

fn driver_not_loaded(ctx: &Context, gpu: Option<&crate::probe::gpu::Gpu>) -> Finding {
    let s = ctx.snapshot;
    let mut evidence = vec![Evidence::new(
        "/sys/module/amdgpu",
        match s.access.amdgpu_loaded {
            Some(false) => "absent: the amdgpu module is not loaded",
            Some(true) => "present",
            None => "unknown (no /sys/module in the tree)",
        },
    )];
    if let Some(g) = gpu {
        evidence.push(Evidence::new(
            format!(
                "/sys/bus/pci/devices/{}",
                g.pci_slot.as_deref().unwrap_or("?")
            ),
            format!(
                "{} bound to driver {}",
                g.marketing_name.as_deref().unwrap_or("AMD GPU"),
                g.driver.as_deref().unwrap_or("none")
            ),
        ));
    }
    for p in &s.access.cmdline_amdgpu {
        evidence.push(Evidence::new("/proc/cmdline", p.clone()));
    }
    Finding {
        code: "amdgpu-driver-not-loaded".into(),
        category: Category::DriverKfdAccess,
        severity: Severity::Error,
        title: "The GPU is there but the amdgpu driver does not drive it".into(),
        evidence,
        why: "ROCm talks to the GPU only through amdgpu's KFD interface (/dev/kfd); without the driver no ROCm program sees a GPU.".into(),
        layer: Layer::Driver,
        other_layers: "Runtime, library or environment changes cannot help until the kernel driver is bound to the card".into(),
        remedies: vec![
            Remedy::new(
                "Load the in-kernel amdgpu driver",
                "distribution kernels ship amdgpu; a blacklist, nomodeset or a failed DKMS build keeps it from binding (check dmesg)",
            )
            .command("sudo modprobe amdgpu && sudo dmesg | grep -i amdgpu | tail -n 20"),
            Remedy::new(
                "If amdgpu-dkms failed to build for this kernel, install ROCm's userspace only",
                "the in-tree driver serves ROCm on recent kernels; amdgpu-install --no-dkms skips the module build",
            )
            .command("sudo amdgpu-install --usecase=rocm --no-dkms"),
        ],
        sources: vec!["https://rocm.docs.amd.com/projects/install-on-linux/en/latest/install/amdgpu-install.html".into()],
    }
}

fn kfd_missing(ctx: &Context) -> Finding {
    let s = ctx.snapshot;
    let in_container = !s.access.container.is_empty();
    let mut remedies = Vec::new();
    if in_container {
        remedies.push(
            Remedy::new(
                "Pass /dev/kfd and /dev/dri into the container",
                "containers see device nodes only when given them",
            )
            .command("docker run --device=/dev/kfd --device=/dev/dri --group-add video --group-add render ...")
            .fix(Solution::Container),
        );
    }
    remedies.push(Remedy::new(
        "Check that the kernel was built with KFD (CONFIG_HSA_AMD) and amdgpu initialised the GPU",
        "dmesg shows why KFD did not come up (e.g. 'kfd not supported on this ASIC')",
    ).command("sudo dmesg | grep -iE 'kfd|amdgpu' | tail -n 30"));
    Finding {
        code: "kfd-missing".into(),
        category: Category::DriverKfdAccess,
        severity: Severity::Error,
        title: "/dev/kfd is missing".into(),
        evidence: vec![
            Evidence::new("/dev/kfd", "absent"),
            Evidence::new(
                "container",
                if in_container { s.access.container.join(", ") } else { "no container hints".into() },
            ),
        ],
        why: "The ROCm runtime opens /dev/kfd to create GPU queues; without it rocminfo and PyTorch report no GPU.".into(),
        layer: if in_container { Layer::Environment } else { Layer::Driver },
        other_layers: "Libraries and environment variables act only after the runtime has opened /dev/kfd".into(),
        remedies,
        sources: vec![ROCMINFO_SRC.into()],
    }
}

fn not_accessible(ctx: &Context, d: &crate::probe::access::Device) -> Finding {
    let s = ctx.snapshot;
    let group = d.group.clone().unwrap_or_else(|| "render".into());
    let mode = d
        .meta
        .present()
        .and_then(|m| m.mode)
        .map_or_else(|| "?".into(), |m| format!("{m:o}"));
    let user = s.access.user.present().map_or_else(
        || "unknown".into(),
        |u| format!("uid {} in groups {:?}", u.uid, u.gids),
    );
    let in_container = !s.access.container.is_empty();
    let mut remedies = Vec::new();
    if group == "render" || group == "video" {
        remedies.push(
            Remedy::new(
                format!("Add the user to the {group} and video groups, then log in again"),
                "group membership is read at login; AMD's install guide asks for both",
            )
            .command("sudo usermod -aG render,video \"$USER\"")
            .source(GROUPS_SRC),
        );
    }
    if in_container {
        remedies.push(Remedy::new(
            "In a container, add the host's numeric group ids",
            "group names differ between host and image: pass the gid that owns the device on the host",
        ).command("docker run --group-add \"$(stat -c %g /dev/kfd)\" --group-add \"$(stat -c %g /dev/dri/renderD128)\" ..."));
    }
    Finding {
        code: "kfd-not-accessible".into(),
        category: Category::DriverKfdAccess,
        severity: Severity::Error,
        title: format!("{} cannot be opened read-write by this user", d.path),
        evidence: vec![
            Evidence::new(d.path.clone(), format!("mode {mode}, group {group}")),
            Evidence::new("user", user),
        ],
        why: "The runtime must open /dev/kfd and the render node read-write; otherwise PyTorch says torch.cuda.is_available() is False and rocminfo fails.".into(),
        layer: Layer::Environment,
        other_layers: "Reinstalling ROCm or PyTorch does not change who may open the device node".into(),
        remedies,
        sources: vec![ROCMINFO_SRC.into(), "https://github.com/pytorch/pytorch/issues/99234".into()],
    }
}

/// A GPU amdgpu drives but KFD left out of its topology while listing others: KFD skips a
/// device it cannot serve, most often one that needs PCIe atomics the platform lacks (gfx8
/// and, with 2021 firmware, Navi: https://github.com/ROCm/legacy-rocm-build/issues/1214,
/// https://github.com/xuhuisheng/rocm-build/issues/18).
fn skipped_by_kfd(ctx: &Context, out: &mut Vec<Finding>) {
    let s = ctx.snapshot;
    let Observed::Present(nodes) = &s.gpu.kfd else {
        return;
    };
    for g in s.gpu.gpus.iter().filter(|g| {
        g.driver.as_deref() == Some("amdgpu") && g.kfd_node.is_none() && g.is_apu != Some(true)
    }) {
        // Our tables start at gfx9; an unknown target is most likely an older GCN card, the
        // generation that cannot run without PCIe atomics.
        let old = g.gfx.is_none();
        let name = g.marketing_name.as_deref().unwrap_or("AMD GPU");
        let id = g
            .device_id
            .map_or_else(|| "?".to_owned(), |d| format!("{d:#06x}"));
        out.push(Finding {
            code: "gpu-skipped-by-kfd".into(),
            category: if old { Category::PcieAtomics } else { Category::DriverKfdAccess },
            severity: Severity::Error,
            title: format!("{name} (PCI {id}) is driven by amdgpu but missing from KFD: ROCm cannot use it"),
            evidence: vec![
                Evidence::new(
                    format!("/sys/bus/pci/devices/{}", g.pci_slot.as_deref().unwrap_or("?")),
                    format!("{name}, PCI {id}, driver amdgpu"),
                ),
                Evidence::new(
                    "/sys/class/kfd/kfd/topology/nodes",
                    format!("{} nodes, none for this device", nodes.len()),
                ),
            ],
            why: "KFD skips a GPU it cannot serve and says why in the kernel log. The commonest reason in reports is a platform without PCIe atomics (older CPUs and boards, or a slot behind a switch) under a GPU that needs them: gfx8 (Polaris, Fiji) always, Navi with 2021 firmware.".into(),
            layer: Layer::Hardware,
            other_layers: "No ROCm release, library or variable brings back a device KFD refused; the platform (CPU, board, slot), the GPU, or newer firmware must change".into(),
            remedies: vec![
                Remedy::new(
                    "Read why KFD skipped it",
                    "look for \"skipped device\" and \"PCI rejects atomics\"",
                )
                .command("sudo dmesg | grep -iE 'kfd|atomic'"),
                Remedy::new(
                    "If atomics are the reason: move the card to a CPU-attached slot, update the BIOS, or use a platform with PCIe 3.0 AtomicOps",
                    "AMD staff confirmed the only fixes are another platform or a GPU that does not need atomics",
                )
                .source("https://github.com/ROCm/legacy-rocm-build/issues/1214"),
            ],
            sources: vec![
                "https://github.com/torvalds/linux/blob/master/drivers/gpu/drm/amd/amdkfd/kfd_topology.c".into(),
                "https://github.com/ROCm/legacy-rocm-build/issues/1218".into(),
            ],
        });
    }
}

fn igpu(ctx: &Context, out: &mut Vec<Finding>) {
    let apus: Vec<_> = ctx.gpus.iter().filter(|g| g.is_apu == Some(true)).collect();
    let dgpus: Vec<_> = ctx
        .gpus
        .iter()
        .filter(|g| g.is_apu == Some(false))
        .collect();
    if apus.is_empty() || dgpus.is_empty() {
        return;
    }
    let masked = [
        "HIP_VISIBLE_DEVICES",
        "ROCR_VISIBLE_DEVICES",
        "CUDA_VISIBLE_DEVICES",
    ]
    .iter()
    .find_map(|v| ctx.snapshot.env.vars.get(*v).map(|x| format!("{v}={x}")));
    let name = |g: &crate::snapshot::GpuView| {
        format!(
            "{} ({}, node {})",
            g.marketing_name.as_deref().unwrap_or("GPU"),
            g.gfx_target.as_deref().unwrap_or("?"),
            g.node.as_deref().unwrap_or("?")
        )
    };
    let mut evidence: Vec<Evidence> = apus
        .iter()
        .map(|g| Evidence::new("KFD topology", format!("integrated: {}", name(g))))
        .collect();
    evidence.extend(
        dgpus
            .iter()
            .map(|g| Evidence::new("KFD topology", format!("discrete: {}", name(g)))),
    );
    if let Some(m) = &masked {
        evidence.push(Evidence::new(ctx.snapshot.env.source.clone(), m.clone()));
    }
    out.push(Finding {
        code: "igpu-beside-dgpu".into(),
        category: Category::DeviceVisibility,
        severity: if masked.is_some() { Severity::Info } else { Severity::Warning },
        title: "An integrated GPU is enumerated beside the discrete one".into(),
        evidence,
        why: "Programs may pick the integrated GPU (device 0), and a global HSA_OVERRIDE_GFX_VERSION applies to it too; AMD's installer notes warn the runtime may crash with integrated graphics present.".into(),
        layer: Layer::Environment,
        other_layers: "Library builds cannot choose the device; the runtime's visibility mask or the BIOS must".into(),
        remedies: vec![
            Remedy::new(
                "Hide the integrated GPU from ROCm",
                "ROCR_VISIBLE_DEVICES takes the runtime's device index or UUID; check the order with rocminfo",
            )
            .command("export ROCR_VISIBLE_DEVICES=0  # the discrete GPU's index in rocminfo")
            .fix(Solution::Env)
            .source("https://github.com/pytorch/pytorch/issues/131901"),
            Remedy::new(
                "Or disable the integrated GPU in the BIOS",
                "removes it from every program's view",
            ),
        ],
        sources: vec![IGPU_SRC.into(), "https://github.com/ROCm/TheRock/issues/3392".into()],
    });
}
