//! Python environments and the ROCm they carry: PyTorch wheels bundle their own ROCm
//! (`torch/lib/libamdhip64.so`, rocBLAS, MIOpen, …) and their own list of gfx targets, so a
//! working system ROCm says nothing about whether `import torch` can use the GPU.
//!
//! Where it looks (every path through [`Root`]):
//! - system: `/usr/{lib,lib64}/python3*/{site,dist}-packages` and the same under `/usr/local`;
//! - venvs: a directory holding `pyvenv.cfg` at most [`VENV_DEPTH`] levels under each home
//!   (`/home/*`, `/root`): `~/venv`, `~/.venvs/x`, `~/projects/x/.venv`;
//! - conda: `{miniconda3,anaconda3,miniforge3,mambaforge}` in each home and `/opt`
//!   (`/opt/conda` too), with their `envs/*`.
//!
//! For each site-packages with `torch/`: `torch/version.py` read as text (never run), the
//! ROCm libraries in `torch/lib` with the gfx targets of every shared library that carries GPU
//! code, the gfx names of rocBLAS's and hipBLASLt's kernel files, and the `*.dist-info` of
//! ROCm-related packages (names or versions with rocm, hip, torch or triton). Nothing here
//! fails: a bad file is an [`Observed`] state plus a line in [`PythonProbe::problems`].
//!
//! Limit: looking for venvs takes the metadata of every directory entry down to
//! [`VENV_DEPTH`] under each home (at most [`HOME_ENTRY_BUDGET`] per home), and [`Root`]
//! records those paths.

mod parse;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use parse::{
    parse_metadata, parse_pyvenv_cfg, parse_version_py, python_dir_version, pyvenv_python_version,
    Flavour, TorchVersion,
};

use crate::inspect::analyze::{analyze, kind_of_head, AnalyzeOptions};
use crate::inspect::targets_of;
use crate::inspect::{FileReport, Kind};
use crate::model::gfx::target_order;
use crate::root::Root;
use crate::snapshot::Observed;

/// How deep under a home a venv may sit (`~/projects/x/.venv` is 3).
pub const VENV_DEPTH: usize = 3;
/// Directory entries looked at per home while looking for venvs.
pub const HOME_ENTRY_BUDGET: usize = 5_000;
/// Environments reported at most.
pub const MAX_ENVS: usize = 64;
/// Files of `torch/lib` looked at at most.
pub const MAX_LIB_FILES: usize = 1_000;
/// Shared libraries larger than this are not analyzed (they are mapped, so only the pages the
/// ELF and bundle headers live on are read; the cap only guards against absurd files).
pub const MAX_LIB_SIZE: u64 = 8 << 30;
/// Cap on the small text files (`version.py`, `pyvenv.cfg`, `METADATA`).
const TEXT_CAP: usize = 1 << 20;
/// `*.dist-info` directories read per site-packages at most.
const MAX_DISTS: usize = 200;

const CONDA_DIRS: &[&str] = &["miniconda3", "anaconda3", "miniforge3", "mambaforge"];
/// Hidden directories the venv walk enters (others are skipped).
const HIDDEN_VENV_DIRS: &[&str] = &[".venv", ".venvs", ".virtualenvs", ".env", ".envs"];
/// Directories the venv walk never enters.
const SKIP_DIRS: &[&str] = &["node_modules", "__pycache__", "site-packages", "snap"];

/// Everything the Python probe saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PythonProbe {
    /// Every Python environment found, system ones first, then by prefix.
    pub environments: Vec<PythonEnv>,
    /// What could not be read or does not add up, in plain words.
    pub problems: Vec<String>,
}

/// What kind of environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvKind {
    /// The distribution's or `/usr/local`'s Python.
    System,
    /// A conda installation or one of its `envs/*`.
    Conda,
    /// A venv / virtualenv / uv environment (has `pyvenv.cfg`).
    Venv,
}

/// One Python environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PythonEnv {
    /// What kind of environment.
    pub kind: EnvKind,
    /// Its prefix (`/usr`, `/home/user/venv`).
    pub prefix: String,
    /// `pyvenv.cfg`'s keys, for venvs.
    pub pyvenv_cfg: Option<Observed<BTreeMap<String, String>>>,
    /// Python version: `pyvenv.cfg`'s, else the `lib/python3.X` directory's.
    pub python_version: Option<String>,
    /// Its site-packages directories.
    pub site_packages: Vec<SitePackages>,
}

/// One site-packages (or dist-packages) directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SitePackages {
    /// The directory.
    pub path: String,
    /// The version its `lib/python3.X` parent names (`3.12`); for Debian's
    /// `python3/dist-packages`, that of the newest `python3.X` next to it.
    pub python_version: Option<String>,
    /// The torch package in it.
    pub torch: Observed<Torch>,
    /// ROCm-related distributions (`*.dist-info` whose name or version has rocm, hip, torch
    /// or triton), by directory name.
    pub packages: Observed<Vec<Dist>>,
}

/// An installed torch package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Torch {
    /// `…/site-packages/torch`.
    pub dir: String,
    /// `torch/version.py`.
    pub version_py: Observed<TorchVersion>,
    /// ROCm, CUDA or CPU: from `version.py`, else ROCm if `torch/lib` has `libtorch_hip.so`.
    pub flavour: Option<Flavour>,
    /// ROCm libraries in `torch/lib`, and any other shared library there that carries GPU code.
    pub libs: Observed<Vec<TorchLib>>,
    /// Every gfx target of every library in `libs`, sorted.
    pub gpu_targets: Vec<String>,
    /// gfx processors named by the files of `torch/lib/rocblas/library` (Tensile kernels).
    pub rocblas_targets: Observed<Vec<String>>,
    /// gfx processors named by the files of `torch/lib/hipblaslt/library`.
    pub hipblaslt_targets: Observed<Vec<String>>,
}

/// One shared library in `torch/lib`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TorchLib {
    /// File name (`libamdhip64.so`).
    pub name: String,
    /// The ROCm component it is (`hip-runtime`, `hsa-runtime`, `rocblas`, `miopen`,
    /// `hipblaslt`, `torch-hip`, …), `None` for other libraries.
    pub component: Option<String>,
    /// Size in bytes.
    pub size: Option<u64>,
    /// The gfx targets of its fat binary (empty: no GPU code).
    pub targets: Observed<Vec<String>>,
}

/// One `*.dist-info` directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dist {
    /// The directory name (`torch-2.5.1+rocm6.2.dist-info`).
    pub dist_info: String,
    /// `Name:` and `Version:` of its `METADATA`.
    pub metadata: Observed<DistMeta>,
}

/// The header fields of a `METADATA` file the probe keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistMeta {
    /// `Name:`.
    pub name: Option<String>,
    /// `Version:`.
    pub version: Option<String>,
}

/// File-name prefixes of the ROCm libraries wheels bundle, and the component each is.
const COMPONENTS: &[(&str, &str)] = &[
    ("libamdhip64.so", "hip-runtime"),
    ("libhsa-runtime64.so", "hsa-runtime"),
    ("librocblas.so", "rocblas"),
    ("libMIOpen.so", "miopen"),
    ("libhipblaslt.so", "hipblaslt"),
    ("libhipblas.so", "hipblas"),
    ("librccl.so", "rccl"),
    ("librocsolver.so", "rocsolver"),
    ("libhipsolver.so", "hipsolver"),
    ("librocsparse.so", "rocsparse"),
    ("libhipsparse.so", "hipsparse"),
    ("librocfft.so", "rocfft"),
    ("libhipfft.so", "hipfft"),
    ("librocrand.so", "rocrand"),
    ("libhiprand.so", "hiprand"),
    ("libamd_comgr.so", "comgr"),
    ("libhiprtc.so", "hiprtc"),
    ("libroctracer64.so", "roctracer"),
    ("libroctx64.so", "roctx"),
    ("librocm_smi64.so", "rocm-smi"),
    ("libtorch_hip.so", "torch-hip"),
    ("libc10_hip.so", "torch-hip"),
];

/// The ROCm component a `torch/lib` file name is, if any.
pub fn component_of(name: &str) -> Option<&'static str> {
    COMPONENTS
        .iter()
        .find(|(p, _)| name.starts_with(p))
        .map(|(_, c)| *c)
}

/// Looks at every Python environment under `root`.
pub fn probe(root: &Root) -> PythonProbe {
    let mut p = PythonProbe {
        environments: Vec::new(),
        problems: Vec::new(),
    };
    let mut seen = BTreeSet::new();

    for prefix in ["/usr", "/usr/local"] {
        let sites = site_dirs(root, &[format!("{prefix}/lib"), format!("{prefix}/lib64")]);
        add_env(
            root,
            &mut p,
            &mut seen,
            EnvKind::System,
            prefix,
            None,
            sites,
        );
    }

    let mut homes = vec!["/root".to_string()];
    match root.read_dir("/home") {
        Observed::Present(names) => homes.extend(names.iter().map(|n| format!("/home/{n}"))),
        Observed::Absent => {}
        o => p
            .problems
            .push(format!("/home: {}", o.reason().unwrap_or(o.state()))),
    }
    homes.retain(|h| is_dir(root, h));

    let mut conda_bases: Vec<String> = vec!["/opt/conda".to_string()];
    for base in std::iter::once("/opt").chain(homes.iter().map(String::as_str)) {
        conda_bases.extend(CONDA_DIRS.iter().map(|c| format!("{base}/{c}")));
    }
    for base in conda_bases {
        if !is_dir(root, &base) {
            continue;
        }
        let mut prefixes = vec![base.clone()];
        if let Observed::Present(envs) = root.read_dir(&format!("{base}/envs")) {
            prefixes.extend(envs.iter().map(|e| format!("{base}/envs/{e}")));
        }
        for prefix in prefixes {
            let sites = site_dirs(root, &[format!("{prefix}/lib")]);
            add_env(
                root,
                &mut p,
                &mut seen,
                EnvKind::Conda,
                &prefix,
                None,
                sites,
            );
        }
    }

    for home in &homes {
        for venv in find_venvs(root, home, &mut p.problems) {
            let cfg = root
                .read_to_string_capped(&format!("{venv}/pyvenv.cfg"), TEXT_CAP)
                .map(|t| parse_pyvenv_cfg(&t));
            if let Some(r) = cfg.reason() {
                p.problems.push(format!("{venv}/pyvenv.cfg: {r}"));
            }
            let sites = site_dirs(root, &[format!("{venv}/lib")]);
            add_env(
                root,
                &mut p,
                &mut seen,
                EnvKind::Venv,
                &venv,
                Some(cfg),
                sites,
            );
        }
    }
    p
}

fn is_dir(root: &Root, p: &str) -> bool {
    root.metadata(p).present().is_some_and(|m| m.kind == "dir")
}

/// `<lib>/python3*/{site,dist}-packages` that exist, with the version the directory names.
fn site_dirs(root: &Root, libs: &[String]) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for lib in libs {
        let names = root.names_where(lib, |n| n.starts_with("python3"));
        // Debian's `python3/dist-packages` serves the default `python3.X`, whose standard
        // library is the `python3.X` next to it: the highest one names the version.
        let newest = names
            .iter()
            .filter_map(|n| python_dir_version(n))
            .filter(|v| v.contains('.'))
            .max_by_key(|v| version_key(v));
        for n in names.iter().filter(|n| n.starts_with("python3")) {
            let version = match python_dir_version(n) {
                Some(v) if v == "3" => newest.clone().or(Some(v)),
                v => v,
            };
            for sp in ["site-packages", "dist-packages"] {
                let path = format!("{lib}/{n}/{sp}");
                if is_dir(root, &path) {
                    out.push((path, version.clone()));
                }
            }
        }
    }
    out
}

/// `3.10` > `3.9`.
fn version_key(v: &str) -> Vec<u32> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

fn add_env(
    root: &Root,
    p: &mut PythonProbe,
    seen: &mut BTreeSet<String>,
    kind: EnvKind,
    prefix: &str,
    pyvenv_cfg: Option<Observed<BTreeMap<String, String>>>,
    sites: Vec<(String, Option<String>)>,
) {
    // The same directory reached twice (`lib64 -> lib`, a venv inside a scanned prefix).
    let sites: Vec<_> = sites
        .into_iter()
        .filter(|(path, _)| {
            let key = root
                .canonicalize(path)
                .into_present()
                .unwrap_or_else(|| path.clone());
            seen.insert(key)
        })
        .collect();
    if sites.is_empty() && kind != EnvKind::Venv {
        return;
    }
    if p.environments.len() >= MAX_ENVS {
        let msg = format!("more than {MAX_ENVS} Python environments: the rest are not looked at");
        if !p.problems.contains(&msg) {
            p.problems.push(msg);
        }
        return;
    }
    let site_packages: Vec<SitePackages> = sites
        .into_iter()
        .map(|(path, v)| probe_site(root, &path, v, &mut p.problems))
        .collect();
    let python_version = pyvenv_cfg
        .as_ref()
        .and_then(|c| c.present())
        .and_then(pyvenv_python_version)
        .or_else(|| {
            site_packages
                .iter()
                .filter_map(|s| s.python_version.clone())
                .max_by_key(|v| version_key(v))
        });
    p.environments.push(PythonEnv {
        kind,
        prefix: prefix.to_string(),
        pyvenv_cfg,
        python_version,
        site_packages,
    });
}

/// Directories holding `pyvenv.cfg` at most [`VENV_DEPTH`] under `home`.
fn find_venvs(root: &Root, home: &str, problems: &mut Vec<String>) -> Vec<String> {
    let mut found = Vec::new();
    let mut budget = HOME_ENTRY_BUDGET;
    let mut todo = vec![(home.to_string(), 0usize)];
    while let Some((dir, depth)) = todo.pop() {
        if depth > 0 && root.exists(&format!("{dir}/pyvenv.cfg")) {
            found.push(dir);
            continue;
        }
        if depth >= VENV_DEPTH {
            continue;
        }
        let names = match root.read_dir(&dir) {
            Observed::Present(n) => n,
            Observed::Absent => continue,
            o => {
                if depth == 0 {
                    problems.push(format!("{dir}: {}", o.reason().unwrap_or(o.state())));
                }
                continue;
            }
        };
        for n in names {
            if SKIP_DIRS.contains(&n.as_str())
                || (depth == 0 && CONDA_DIRS.contains(&n.as_str()))
                || (n.starts_with('.') && !HIDDEN_VENV_DIRS.contains(&n.as_str()))
            {
                continue;
            }
            if budget == 0 {
                problems.push(format!(
                    "{home}: stopped looking for venvs after {HOME_ENTRY_BUDGET} entries"
                ));
                todo.clear();
                break;
            }
            budget -= 1;
            let child = format!("{dir}/{n}");
            // Directory symlinks are not followed: they lead to places seen anyway, or loop.
            if root
                .symlink_metadata(&child)
                .present()
                .is_some_and(|m| m.kind == "dir")
            {
                todo.push((child, depth + 1));
            }
        }
    }
    found.sort();
    found
}

fn probe_site(
    root: &Root,
    path: &str,
    python_version: Option<String>,
    problems: &mut Vec<String>,
) -> SitePackages {
    let torch_dir = format!("{path}/torch");
    let torch = if is_dir(root, &torch_dir) {
        Observed::Present(probe_torch(root, &torch_dir, problems))
    } else {
        Observed::Absent
    };
    let packages = match root.read_dir(path) {
        Observed::Present(names) => Observed::Present(dists(root, path, &names, problems)),
        o => {
            problems.push(format!("{path}: {}", o.reason().unwrap_or(o.state())));
            o.map(|_| Vec::new())
        }
    };
    SitePackages {
        path: path.to_string(),
        python_version,
        torch,
        packages,
    }
}

/// Whether a `*.dist-info` directory name is ROCm-related.
fn rocm_related(dist_info: &str) -> bool {
    let stem = dist_info
        .trim_end_matches(".dist-info")
        .to_ascii_lowercase();
    let (name, version) = stem.split_once('-').unwrap_or((&stem, ""));
    version.contains("rocm")
        || name.split(['_', '-', '.']).any(|t| {
            ["rocm", "hip", "torch", "triton"]
                .iter()
                .any(|k| t.starts_with(k))
        })
}

fn dists(root: &Root, site: &str, names: &[String], problems: &mut Vec<String>) -> Vec<Dist> {
    let mut out = Vec::new();
    for n in names
        .iter()
        .filter(|n| n.ends_with(".dist-info") && rocm_related(n))
    {
        if out.len() >= MAX_DISTS {
            problems.push(format!(
                "{site}: more than {MAX_DISTS} ROCm-related packages"
            ));
            break;
        }
        let file = format!("{site}/{n}/METADATA");
        let metadata =
            root.read_to_string_capped(&file, TEXT_CAP)
                .and_then(|t| match parse_metadata(&t) {
                    (None, None) => Observed::Malformed("no Name: or Version: header".to_string()),
                    (name, version) => Observed::Present(DistMeta { name, version }),
                });
        if let Some(r) = metadata.reason() {
            problems.push(format!("{file}: {r}"));
        }
        out.push(Dist {
            dist_info: n.clone(),
            metadata,
        });
    }
    out
}

fn probe_torch(root: &Root, dir: &str, problems: &mut Vec<String>) -> Torch {
    let vfile = format!("{dir}/version.py");
    let version_py = root
        .read_to_string_capped(&vfile, TEXT_CAP)
        .and_then(|t| parse_version_py(&t));
    match &version_py {
        Observed::Absent => problems.push(format!("{vfile}: missing")),
        o => {
            if let Some(r) = o.reason() {
                problems.push(format!("{vfile}: {} ({r})", o.state()));
            }
        }
    }
    let lib_dir = format!("{dir}/lib");
    let libs = match root.read_dir(&lib_dir) {
        Observed::Present(names) => Observed::Present(torch_libs(root, &lib_dir, &names, problems)),
        o => {
            if let Some(r) = o.reason() {
                problems.push(format!("{lib_dir}: {r}"));
            }
            o.map(|_| Vec::new())
        }
    };
    let mut gpu_targets: Vec<String> = libs
        .present()
        .into_iter()
        .flatten()
        .filter_map(|l| l.targets.present())
        .flatten()
        .cloned()
        .collect();
    sort_targets(&mut gpu_targets);
    let flavour = version_py.present().map(TorchVersion::flavour).or_else(|| {
        libs.present()
            .is_some_and(|l| {
                l.iter()
                    .any(|l| l.component == Some("torch-hip".to_string()))
            })
            .then_some(Flavour::Rocm)
    });
    Torch {
        dir: dir.to_string(),
        version_py,
        flavour,
        libs,
        gpu_targets,
        rocblas_targets: kernel_dir_targets(root, &format!("{lib_dir}/rocblas/library")),
        hipblaslt_targets: kernel_dir_targets(root, &format!("{lib_dir}/hipblaslt/library")),
    }
}

fn sort_targets(t: &mut Vec<String>) {
    t.sort_by(|a, b| target_order(a).cmp(&target_order(b)));
    t.dedup();
}

fn kernel_dir_targets(root: &Root, dir: &str) -> Observed<Vec<String>> {
    root.read_dir(dir).map(|names| {
        let mut t: Vec<String> = names
            .iter()
            .filter_map(|n| crate::probe::rocm::gfx_in_name(n))
            .collect();
        sort_targets(&mut t);
        t
    })
}

fn is_shared_lib(name: &str) -> bool {
    name.ends_with(".so") || name.contains(".so.")
}

fn torch_libs(
    root: &Root,
    dir: &str,
    names: &[String],
    problems: &mut Vec<String>,
) -> Vec<TorchLib> {
    let mut out = Vec::new();
    let libs: Vec<&String> = names.iter().filter(|n| is_shared_lib(n)).collect();
    if libs.len() > MAX_LIB_FILES {
        problems.push(format!(
            "{dir}: {} shared libraries, only the first {MAX_LIB_FILES} looked at",
            libs.len()
        ));
    }
    for name in libs.into_iter().take(MAX_LIB_FILES) {
        let path = format!("{dir}/{name}");
        let meta = root.metadata(&path);
        let size = meta.present().map(|m| m.len);
        let targets = match &meta {
            Observed::Present(m) if m.kind == "file" => lib_targets(root, &path, m.len),
            Observed::Present(m) => Observed::Unreadable(format!("a {}, not a file", m.kind)),
            o => o.as_ref().map(|_| Vec::new()),
        };
        if let Some(r) = targets.reason() {
            problems.push(format!("{path}: {r}"));
        }
        let component = component_of(name).map(str::to_string);
        let gpu_code = targets.present().is_some_and(|t| !t.is_empty());
        if component.is_some() || gpu_code || !targets.is_present() {
            out.push(TorchLib {
                name: name.clone(),
                component,
                size,
                targets,
            });
        }
    }
    out
}

/// The gfx targets of the fat binary in the shared library at `path` (in-root), read through
/// the root's resolution and then mapped from the host path it leads to.
fn lib_targets(root: &Root, path: &str, len: u64) -> Observed<Vec<String>> {
    if len > MAX_LIB_SIZE {
        return Observed::Unreadable(format!(
            "too large to read in a scan ({len} bytes, cap {MAX_LIB_SIZE})"
        ));
    }
    let host = match root.open_path(path) {
        Observed::Present(p) => p,
        o => return o.map(|_| Vec::new()),
    };
    let opened = match crate::inspect::input::open(&host) {
        Ok(o) => o,
        Err(e) => return e.into(),
    };
    if kind_of_head(&opened.head) != Some(Kind::Elf) {
        return Observed::Malformed("not an ELF file".to_string());
    }
    let size = opened.size;
    let data = match opened.contents() {
        Ok(d) => d,
        Err(e) => return e.into(),
    };
    let mut report = FileReport::new(host, size, Kind::Elf);
    analyze(&data, &mut report, &AnalyzeOptions::default());
    let targets = targets_of(&report);
    match report.error {
        Some(e) if targets.is_empty() => Observed::Malformed(e),
        _ => Observed::Present(targets),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_and_related_names() {
        assert_eq!(component_of("libamdhip64.so"), Some("hip-runtime"));
        assert_eq!(component_of("libMIOpen.so.1"), Some("miopen"));
        assert_eq!(component_of("libgomp.so.1"), None);
        assert!(rocm_related("torch-2.5.1+rocm6.2.dist-info"));
        assert!(rocm_related("pytorch_triton_rocm-3.1.0.dist-info"));
        assert!(rocm_related("jax_rocm7_plugin-0.6.0.dist-info"));
        assert!(rocm_related("vllm-0.6.3+rocm624.dist-info"));
        assert!(rocm_related("rocm_sdk_core-7.9.0.dist-info"));
        assert!(!rocm_related("numpy-2.1.0.dist-info"));
        assert!(!rocm_related("chipwhisperer-5.7.0.dist-info"));
    }
}
