//! ROCm installs under a root, found by layout, never by running anything:
//! - `/opt/rocm-X.Y.Z` and `/opt/rocm` (a link to one of them, or a directory of its own as
//!   Arch's packages install it);
//! - Debian/Ubuntu's distro packages (`/usr/lib/<triplet>/libamdhip64.so.N`,
//!   `/usr/lib/<triplet>/amdgcn/bitcode`);
//! - Fedora's (`/usr/lib64/libamdhip64.so.N`, `/usr/lib64/rocm`);
//! - pip's ROCm SDK wheels (`_rocm_sdk_core`, `_rocm_sdk_libraries_*` in site-packages).
//!
//! Versions come from `.info/version*` (or a wheel's `.dist-info` name); a distro install only
//! shows its HIP soname major, and no full version is made up from it. The environment
//! (`ROCM_PATH`, `HIP_PATH`, `LD_LIBRARY_PATH`, `/etc/ld.so.conf.d`) is mapped to the installs
//! it points at, so two releases loaded into one process show up. Nothing here fails: what
//! cannot be read is an [`Observed`] state plus a line in [`RocmProbe::problems`].

mod components;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use components::{gfx_in_name, llvm_majors, Components, DeviceLibs, KernelDir};

use crate::root::Root;
use crate::snapshot::Observed;

/// Version files are one short line.
const SMALL: usize = 4096;
/// Site-packages directories looked at by [`probe`] (globs on `python3*` expanded).
const SITE_PACKAGES: [(&str, &str); 4] = [
    ("/usr/lib", "site-packages"),
    ("/usr/lib64", "site-packages"),
    ("/usr/local/lib", "dist-packages"),
    ("/usr/lib", "dist-packages"),
];

/// Everything the ROCm probe saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RocmProbe {
    /// Where `/opt/rocm` leads (`/opt/rocm-7.0.2`); itself if it is a directory;
    /// [`Observed::Malformed`] for a dangling link.
    pub opt_rocm: Observed<String>,
    /// Every install found, by path.
    pub installs: Vec<RocmInstall>,
    /// Environment and loader settings that point at ROCm, and where each leads.
    pub env: Vec<EnvRef>,
    /// The installs `/opt/rocm` and the environment lead to, when more than one: two ROCm
    /// releases mixed in one process or build.
    pub mixed: Vec<String>,
    /// What could not be read or does not add up, in plain words.
    pub problems: Vec<String>,
}

/// One ROCm install.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RocmInstall {
    /// Its directory, with links resolved (`/opt/rocm-7.0.2`; the library directory for
    /// distro layouts, `/usr/lib/x86_64-linux-gnu`; the `_rocm_sdk_core` directory for pip).
    pub path: String,
    /// Other names leading to it (`/opt/rocm`).
    pub aliases: Vec<String>,
    /// `opt`, `debian`, `fedora` or `pip`.
    pub layout: String,
    /// `.info/version` (`7.0.2-56`), or the version in a wheel's `.dist-info` name.
    pub version: Observed<String>,
    /// `.info/version-dev`.
    pub version_dev: Observed<String>,
    /// `.info/version-hip-libraries`.
    pub version_hip_libraries: Observed<String>,
    /// The `N` of `libamdhip64.so.N`: all a distro layout tells of its version.
    pub hip_soname_major: Option<u32>,
    /// Libraries and per-gfx kernel files.
    pub components: Components,
    /// Device-library bitcode directories.
    pub device_libs: Vec<DeviceLibs>,
    /// LLVM majors the install ships (`llvm/lib/clang/<N>`).
    pub llvm_majors: Vec<u32>,
}

/// One setting that points at ROCm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvRef {
    /// `ROCM_PATH`, `HIP_PATH`, `LD_LIBRARY_PATH`, `/opt/rocm` or an `/etc/ld.so.conf.d` file.
    pub source: String,
    /// The path as written.
    pub path: String,
    /// Where it leads inside the root.
    pub resolved: Observed<String>,
    /// The install it points into, if any.
    pub install: Option<String>,
}

/// Where an install keeps things.
struct Layout {
    path: String,
    layout: &'static str,
    info: Option<String>,
    lib_dirs: Vec<String>,
    share_dirs: Vec<String>,
    bitcode_dirs: Vec<String>,
    clang_dirs: Vec<String>,
    version: Option<Observed<String>>,
}

/// Finds every ROCm install under `root`; `env` is the scanned process's environment.
pub fn probe(root: &Root, env: &BTreeMap<String, String>) -> RocmProbe {
    let mut sp = Vec::new();
    for (base, leaf) in SITE_PACKAGES {
        for py in root.names(base) {
            if py.starts_with("python3") {
                sp.push(format!("{base}/{py}/{leaf}"));
            }
        }
    }
    probe_with_site_packages(root, env, &sp)
}

/// [`probe`], also looking for pip's ROCm SDK in `site_packages` (e.g. a venv's).
pub fn probe_with_site_packages(
    root: &Root,
    env: &BTreeMap<String, String>,
    site_packages: &[String],
) -> RocmProbe {
    let mut problems = Vec::new();
    let opt_rocm = match root.symlink_metadata("/opt/rocm") {
        Observed::Present(m) if m.kind == "symlink" => match root.canonicalize("/opt/rocm") {
            Observed::Absent => {
                let t = root
                    .read_link("/opt/rocm")
                    .into_present()
                    .unwrap_or_default();
                problems.push(format!("/opt/rocm is a dangling symbolic link to {t}"));
                Observed::Malformed(format!("dangling symbolic link to {t}"))
            }
            other => other,
        },
        Observed::Present(_) => Observed::Present("/opt/rocm".to_string()),
        other => other.map(|_| String::new()),
    };
    let mut layouts: BTreeMap<String, (Layout, Vec<String>)> = BTreeMap::new();
    let mut add = |l: Layout, alias: Option<String>| {
        let e = layouts
            .entry(l.path.clone())
            .or_insert_with(|| (l, Vec::new()));
        e.1.extend(alias);
    };
    for name in root.names("/opt") {
        if name != "rocm" && !name.starts_with("rocm-") {
            continue;
        }
        let named = format!("/opt/{name}");
        let Some(real) = root.canonicalize(&named).into_present() else {
            continue;
        };
        if root
            .metadata(&real)
            .present()
            .is_none_or(|m| m.kind != "dir")
        {
            continue;
        }
        let alias = (real != named).then_some(named);
        add(opt_layout(&real), alias);
    }
    for l in distro_layouts(root) {
        add(l, None);
    }
    for sp in site_packages {
        if let Some(l) = pip_layout(root, sp) {
            add(l, None);
        }
    }
    let installs: Vec<RocmInstall> = layouts
        .into_values()
        .map(|(l, aliases)| install(root, l, aliases, &mut problems))
        .collect();
    let env_refs = env_refs(root, env, &opt_rocm, &installs, &mut problems);
    let mut mixed = BTreeSet::new();
    for r in &env_refs {
        mixed.extend(r.install.clone());
    }
    let mixed: Vec<String> = if mixed.len() > 1 {
        let desc: Vec<String> = env_refs
            .iter()
            .filter_map(|r| {
                let i = installs
                    .iter()
                    .find(|i| Some(&i.path) == r.install.as_ref())?;
                let v = i
                    .version
                    .present()
                    .map_or("version unknown", |v| v.as_str());
                Some(format!("{} {} → {} ({v})", r.source, r.path, i.path))
            })
            .collect();
        problems.push(format!(
            "settings point at different ROCm installs: {}",
            desc.join("; ")
        ));
        mixed.into_iter().collect()
    } else {
        Vec::new()
    };
    RocmProbe {
        opt_rocm,
        installs,
        env: env_refs,
        mixed,
        problems,
    }
}

fn opt_layout(p: &str) -> Layout {
    Layout {
        path: p.to_string(),
        layout: "opt",
        info: Some(format!("{p}/.info")),
        lib_dirs: vec![format!("{p}/lib")],
        share_dirs: vec![format!("{p}/share")],
        bitcode_dirs: vec![
            format!("{p}/amdgcn/bitcode"),
            format!("{p}/lib/llvm/lib/clang/*/lib/amdgcn/bitcode"),
            format!("{p}/llvm/lib/clang/*/lib/amdgcn/bitcode"),
        ],
        clang_dirs: vec![
            format!("{p}/llvm/lib/clang"),
            format!("{p}/lib/llvm/lib/clang"),
        ],
        version: None,
    }
}

fn distro_layouts(root: &Root) -> Vec<Layout> {
    let mut out = Vec::new();
    let has_hip = |d: &str| {
        !root
            .names_where(d, |n| n.starts_with("libamdhip64.so"))
            .is_empty()
    };
    for t in root.names_where("/usr/lib", |n| n.ends_with("-linux-gnu")) {
        let lib = format!("/usr/lib/{t}");
        let bitcode = format!("{lib}/amdgcn/bitcode");
        if has_hip(&lib) || root.exists(&bitcode) {
            out.push(Layout {
                path: lib.clone(),
                layout: "debian",
                info: None,
                lib_dirs: vec![lib],
                share_dirs: vec!["/usr/share".into()],
                bitcode_dirs: vec![bitcode],
                clang_dirs: Vec::new(),
                version: None,
            });
        }
    }
    if has_hip("/usr/lib64") || root.exists("/usr/lib64/rocm") {
        out.push(Layout {
            path: "/usr/lib64".into(),
            layout: "fedora",
            info: None,
            lib_dirs: vec!["/usr/lib64".into()],
            share_dirs: vec!["/usr/share".into()],
            bitcode_dirs: vec![
                "/usr/lib/clang/*/amdgcn/bitcode".into(),
                "/usr/lib64/clang/*/amdgcn/bitcode".into(),
            ],
            clang_dirs: Vec::new(),
            version: None,
        });
    }
    out
}

fn pip_layout(root: &Root, sp: &str) -> Option<Layout> {
    let entries = root.names(sp);
    let core = format!("{sp}/_rocm_sdk_core");
    if !entries.iter().any(|n| n == "_rocm_sdk_core") {
        return None;
    }
    let version = entries
        .iter()
        .find_map(|n| n.strip_prefix("rocm_sdk_core-")?.strip_suffix(".dist-info"))
        .map_or(Observed::Absent, |v| Observed::Present(v.to_string()));
    let mut pkgs = vec![core.clone()];
    pkgs.extend(
        entries
            .iter()
            .filter(|n| n.starts_with("_rocm_sdk_libraries_") || *n == "_rocm_sdk_devel")
            .map(|n| format!("{sp}/{n}")),
    );
    Some(Layout {
        path: root.canonicalize(&core).into_present().unwrap_or(core),
        layout: "pip",
        info: None,
        lib_dirs: pkgs.iter().map(|p| format!("{p}/lib")).collect(),
        share_dirs: pkgs.iter().map(|p| format!("{p}/share")).collect(),
        bitcode_dirs: pkgs
            .iter()
            .flat_map(|p| {
                [
                    format!("{p}/amdgcn/bitcode"),
                    format!("{p}/lib/llvm/lib/clang/*/lib/amdgcn/bitcode"),
                ]
            })
            .collect(),
        clang_dirs: pkgs
            .iter()
            .map(|p| format!("{p}/lib/llvm/lib/clang"))
            .collect(),
        version: Some(version),
    })
}

fn install(
    root: &Root,
    l: Layout,
    aliases: Vec<String>,
    problems: &mut Vec<String>,
) -> RocmInstall {
    let info = |file: &str, problems: &mut Vec<String>| match &l.info {
        Some(dir) => version_file(root, &format!("{dir}/{file}"), problems),
        None => Observed::Absent,
    };
    let version = match &l.version {
        Some(v) => v.clone(),
        None => info("version", problems),
    };
    let version_dev = info("version-dev", problems);
    let version_hip_libraries = info("version-hip-libraries", problems);
    let components = components::scan(root, &l.lib_dirs, &l.share_dirs, problems);
    let hip_soname_major = components.hip.present().and_then(|files| {
        files
            .iter()
            .filter_map(|f| {
                f.rsplit_once("libamdhip64.so.")?
                    .1
                    .split('.')
                    .next()?
                    .parse()
                    .ok()
            })
            .min()
    });
    let bitcode_dirs: Vec<String> = l
        .bitcode_dirs
        .iter()
        .flat_map(|d| expand(root, d))
        .collect();
    let device_libs = components::device_libs(root, &bitcode_dirs, problems);
    RocmInstall {
        llvm_majors: components::llvm_majors(root, &l.clang_dirs),
        path: l.path,
        aliases,
        layout: l.layout.to_string(),
        version,
        version_dev,
        version_hip_libraries,
        hip_soname_major,
        components,
        device_libs,
    }
}

/// Expands one `*` path component (e.g. `lib/clang/*/lib`) against the directory listing.
fn expand(root: &Root, pattern: &str) -> Vec<String> {
    match pattern.split_once("/*/") {
        None => vec![pattern.to_string()],
        Some((dir, rest)) => root
            .names(dir)
            .into_iter()
            .map(|n| format!("{dir}/{n}/{rest}"))
            .collect(),
    }
}

/// A `.info/version*` file: one line such as `7.0.2-56`.
fn version_file(root: &Root, p: &str, problems: &mut Vec<String>) -> Observed<String> {
    let v = match root.read_to_string_capped(p, SMALL) {
        Observed::Absent => match root.read_link(p) {
            Observed::Present(t) => Observed::Unreadable(format!("dangling symbolic link to {t}")),
            _ => Observed::Absent,
        },
        Observed::Present(s) => {
            let s = s.trim();
            let ok =
                s.starts_with(|c: char| c.is_ascii_digit()) && !s.contains(char::is_whitespace);
            if ok {
                Observed::Present(s.to_string())
            } else {
                Observed::Malformed(format!("not a version: {s:?}"))
            }
        }
        other => other,
    };
    if let Some(r) = v.reason() {
        problems.push(format!("{p}: {r}"));
    }
    v
}

fn env_refs(
    root: &Root,
    env: &BTreeMap<String, String>,
    opt_rocm: &Observed<String>,
    installs: &[RocmInstall],
    problems: &mut Vec<String>,
) -> Vec<EnvRef> {
    let mut raw: Vec<(String, String)> = Vec::new();
    for var in ["ROCM_PATH", "HIP_PATH"] {
        if let Some(v) = env.get(var).filter(|v| !v.is_empty()) {
            raw.push((var.to_string(), v.clone()));
        }
    }
    for v in env
        .get("LD_LIBRARY_PATH")
        .into_iter()
        .flat_map(|v| v.split(':'))
    {
        if !v.is_empty() {
            raw.push(("LD_LIBRARY_PATH".into(), v.to_string()));
        }
    }
    for f in root.names("/etc/ld.so.conf.d") {
        let p = format!("/etc/ld.so.conf.d/{f}");
        if !f.ends_with(".conf") {
            continue;
        }
        for line in root
            .read_to_string_capped(&p, SMALL * 16)
            .into_present()
            .unwrap_or_default()
            .lines()
        {
            let line = line.trim();
            if line.starts_with('/') {
                raw.push((p.clone(), line.to_string()));
            }
        }
    }
    if opt_rocm.is_present() {
        raw.push(("/opt/rocm".into(), "/opt/rocm".into()));
    }
    let mut out = Vec::new();
    for (source, path) in raw {
        let resolved = root.canonicalize(&path);
        let install = resolved.present().and_then(|r| {
            installs
                .iter()
                .filter(|i| under(r, &i.path))
                .max_by_key(|i| i.path.len())
                .map(|i| i.path.clone())
        });
        let rocmish = install.is_some() || path.contains("rocm") || path.contains("hip");
        if !rocmish {
            continue;
        }
        if install.is_none() {
            problems.push(format!(
                "{source} entry {path} looks like ROCm but leads to no install found ({})",
                resolved.present().map_or(resolved.state(), |s| s.as_str())
            ));
        }
        out.push(EnvRef {
            source,
            path,
            resolved,
            install,
        });
    }
    out
}

/// Whether `p` is `dir` or below it, component-wise.
fn under(p: &str, dir: &str) -> bool {
    p == dir || p.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}
