//! What one ROCm install holds, found by file names: runtime and math libraries, the kernel
//! files rocBLAS, hipBLASLt and MIOpen carry per gfx target, the device-library bitcode (and
//! the LLVM that produced it), and the LLVM the install ships.
//!
//! Kernel-file names carry the gfx target: rocBLAS/hipBLASLt Tensile files
//! (`TensileLibrary_lazy_gfx1030.dat`, `Kernels.so-000-gfx1030.hsaco`,
//! `TensileLibrary_Type_HH_Contraction_l_Ailk_Bjlk_Cijk_Dijk_gfx90a.co`) and MIOpen kernel
//! databases, named `<gfx>_<CUs>` up to 64 CUs and `<gfx><CUs in hex>` above
//! (`gfx1030_40.kdb`, `gfx90a6e.kdb` = gfx90a with 0x6e = 110 CUs): MIOpen's
//! `Handle::GetDbBasename`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::knowledge::llvm_version::LlvmVersion;
use crate::root::Root;
use crate::snapshot::Observed;

/// Device-library files are read whole up to this size (ocml.bc is a few MiB).
pub const BITCODE_READ_CAP: usize = 8 << 20;
/// Device-library files tried, in order, as the representative one.
const SAMPLE_BITCODE: [&str; 4] = ["ocml.bc", "opencl.bc", "ockl.bc", "hip.bc"];

/// The libraries and kernel files of one install.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Components {
    /// HIP runtime: `libamdhip64.so*` files found (paths).
    pub hip: Observed<Vec<String>>,
    /// HSA runtime: `libhsa-runtime64.so*`.
    pub hsa: Observed<Vec<String>>,
    /// MIOpen: `libMIOpen.so*`.
    pub miopen: Observed<Vec<String>>,
    /// MIOpen's kernel databases (`share/miopen/db`).
    pub miopen_db: Observed<KernelDir>,
    /// rocBLAS: `librocblas.so*`.
    pub rocblas: Observed<Vec<String>>,
    /// rocBLAS's Tensile kernels (`lib/rocblas/library`).
    pub rocblas_kernels: Observed<KernelDir>,
    /// hipBLASLt: `libhipblaslt.so*`.
    pub hipblaslt: Observed<Vec<String>>,
    /// hipBLASLt's kernels (`lib/hipblaslt/library`).
    pub hipblaslt_kernels: Observed<KernelDir>,
}

/// A directory of per-gfx kernel files.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KernelDir {
    /// The directory.
    pub path: String,
    /// Number of entries in it.
    pub files: usize,
    /// Every gfx target named by a file, sorted, without duplicates.
    pub gfx: Vec<String>,
    /// Files per gfx target.
    pub files_per_gfx: BTreeMap<String, usize>,
    /// Names mentioning `gfx` whose target could not be read.
    pub unparsed: Vec<String>,
    /// Index files (`*.dat`, `*.kdb`) that are dangling symbolic links: counted in no target.
    pub broken: Vec<String>,
    /// The raw names of MIOpen databases (`*.kdb`, `*.db`); empty for Tensile directories,
    /// which hold thousands of files.
    pub names: Vec<String>,
}

/// One device-library bitcode directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceLibs {
    /// The directory (as found; several names may lead to it).
    pub path: String,
    /// Number of `.bc` files.
    pub bc_files: usize,
    /// The representative file read (`ocml.bc` if there).
    pub sample: Observed<String>,
    /// Its bitcode producer, e.g. `LLVM20.0.0git`.
    pub producer: Observed<String>,
    /// The producer's LLVM major.
    pub llvm_major: Option<u32>,
}

/// Finds the libraries in `lib_dirs` and the kernel files under them and `share_dirs`.
pub fn scan(
    root: &Root,
    lib_dirs: &[String],
    share_dirs: &[String],
    problems: &mut Vec<String>,
) -> Components {
    let listings: Vec<(String, Observed<Vec<String>>)> = lib_dirs
        .iter()
        .map(|d| (d.clone(), root.read_dir(d)))
        .collect();
    for (d, l) in &listings {
        if let Some(r) = l.reason() {
            problems.push(format!("{d}: {r}"));
        }
    }
    let lib = |prefix: &str, problems: &mut Vec<String>| libs(root, &listings, prefix, problems);
    let mut c = Components {
        hip: lib("libamdhip64.so", problems),
        hsa: lib("libhsa-runtime64.so", problems),
        miopen: lib("libMIOpen.so", problems),
        rocblas: lib("librocblas.so", problems),
        hipblaslt: lib("libhipblaslt.so", problems),
        miopen_db: Observed::Absent,
        rocblas_kernels: Observed::Absent,
        hipblaslt_kernels: Observed::Absent,
    };
    let mut rocblas_dirs = Vec::new();
    let mut hipblaslt_dirs = Vec::new();
    for d in lib_dirs {
        rocblas_dirs.push(format!("{d}/rocblas/library"));
        // Debian: /usr/lib/<triplet>/rocblas/<version>/library.
        for v in root.names(&format!("{d}/rocblas")) {
            if v != "library" {
                rocblas_dirs.push(format!("{d}/rocblas/{v}/library"));
            }
        }
        hipblaslt_dirs.push(format!("{d}/hipblaslt/library"));
    }
    let db_dirs: Vec<String> = share_dirs
        .iter()
        .map(|s| format!("{s}/miopen/db"))
        .collect();
    c.rocblas_kernels = kernel_dir(root, &rocblas_dirs, false, problems);
    c.hipblaslt_kernels = kernel_dir(root, &hipblaslt_dirs, false, problems);
    c.miopen_db = kernel_dir(root, &db_dirs, true, problems);
    c
}

/// Files starting with `prefix` in the listed directories; dangling links are problems.
fn libs(
    root: &Root,
    listings: &[(String, Observed<Vec<String>>)],
    prefix: &str,
    problems: &mut Vec<String>,
) -> Observed<Vec<String>> {
    let mut found = Vec::new();
    let mut unreadable = None;
    for (dir, l) in listings {
        match l {
            Observed::Present(ns) => {
                for n in ns.iter().filter(|n| n.starts_with(prefix)) {
                    let p = format!("{dir}/{n}");
                    if !root.exists(&p) {
                        problems.push(format!("{p} is a dangling symbolic link"));
                    }
                    found.push(p);
                }
            }
            Observed::Unreadable(r) | Observed::Malformed(r) => unreadable = Some(r.clone()),
            Observed::Absent => {}
        }
    }
    match (found.is_empty(), unreadable) {
        (false, _) => Observed::Present(found),
        (true, Some(r)) => Observed::Unreadable(r),
        (true, None) => Observed::Absent,
    }
}

/// The first existing directory of `candidates`, with its files sorted by gfx target.
fn kernel_dir(
    root: &Root,
    candidates: &[String],
    keep_names: bool,
    problems: &mut Vec<String>,
) -> Observed<KernelDir> {
    let mut result = Observed::Absent;
    for dir in candidates {
        match root.read_dir(dir) {
            Observed::Absent => continue,
            Observed::Present(ns) => {
                return Observed::Present(classify(root, dir, &ns, keep_names, problems))
            }
            other => {
                let r = other.reason().unwrap_or_default().to_string();
                problems.push(format!("{dir}: {r}"));
                result = Observed::Unreadable(r);
            }
        }
    }
    result
}

fn classify(
    root: &Root,
    dir: &str,
    ns: &[String],
    keep_names: bool,
    problems: &mut Vec<String>,
) -> KernelDir {
    let mut k = KernelDir {
        path: dir.to_string(),
        files: ns.len(),
        ..KernelDir::default()
    };
    for n in ns {
        let index = n.ends_with(".dat") || n.ends_with(".kdb");
        if keep_names && (index || n.ends_with(".db") || n.contains(".fdb")) {
            k.names.push(n.clone());
        }
        if !n.contains("gfx") {
            continue;
        }
        // Only index files are checked one by one: a Tensile directory holds thousands.
        if index {
            let p = format!("{dir}/{n}");
            if !root.exists(&p) {
                problems.push(format!("{p} is a dangling symbolic link"));
                k.broken.push(n.clone());
                continue;
            }
        }
        match gfx_in_name(n) {
            Some(g) => *k.files_per_gfx.entry(g).or_default() += 1,
            None => k.unparsed.push(n.clone()),
        }
    }
    k.gfx = k.files_per_gfx.keys().cloned().collect();
    k
}

/// The gfx target a kernel-file name names: `TensileLibrary_lazy_gfx1030.dat` → `gfx1030`,
/// `gfx90a6e.kdb` → `gfx90a`, `Kernels.so-000-gfx90a-xnack-.hsaco` → `gfx90a`.
/// Known processor names win (longest first); unknown ones follow the naming rule (`gfx1` +
/// 3 characters for gfx10-12, 3 characters otherwise) when the name ends there.
pub fn gfx_in_name(name: &str) -> Option<String> {
    let at = name.rfind("gfx")?;
    let token: String = name[at..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let known = rocm_formats::gfx::known_processors()
        .filter(|p| p.len() > 3 && !p.contains('-') && token.starts_with(p))
        .max_by_key(|p| p.len());
    if let Some(p) = known {
        return Some(p.to_string());
    }
    let digits = &token[3..];
    let len = if digits.starts_with('1') && digits.get(1..)?.starts_with(['0', '1', '2']) {
        4
    } else {
        3
    };
    let ok = digits.len() == len
        && digits.starts_with(|c: char| c.is_ascii_digit())
        && digits.chars().all(|c| c.is_ascii_hexdigit());
    ok.then_some(token)
}

/// Device-library directories of an install, each with the producer of one sample file.
/// Directories reached through several names (`amdgcn` is a link into `lib/llvm` since
/// ROCm 6) are listed once.
pub fn device_libs(
    root: &Root,
    candidates: &[String],
    problems: &mut Vec<String>,
) -> Vec<DeviceLibs> {
    let mut seen = BTreeMap::new();
    for dir in candidates {
        let Some(real) = root.canonicalize(dir).into_present() else {
            continue;
        };
        if seen.contains_key(&real) {
            continue;
        }
        let ns = match root.read_dir(dir) {
            Observed::Present(ns) => ns,
            Observed::Absent => continue,
            other => {
                problems.push(format!("{dir}: {}", other.reason().unwrap_or_default()));
                continue;
            }
        };
        let bc: Vec<&String> = ns.iter().filter(|n| n.ends_with(".bc")).collect();
        let sample = SAMPLE_BITCODE
            .iter()
            .find(|s| bc.iter().any(|n| n == s))
            .map(|s| s.to_string())
            .or_else(|| bc.first().map(|s| s.to_string()));
        let (sample, producer) = match sample {
            None => (Observed::Absent, Observed::Absent),
            Some(s) => {
                let p = format!("{dir}/{s}");
                let producer = root.read_bytes_capped(&p, BITCODE_READ_CAP).and_then(|b| {
                    match rocm_formats::bitcode::parse(&b) {
                        Ok(info) => match info.producer {
                            Some(p) => Observed::Present(p),
                            None => Observed::Malformed("no producer in the bitcode".into()),
                        },
                        Err(e) => Observed::Malformed(e.to_string()),
                    }
                });
                if let Some(r) = producer.reason() {
                    problems.push(format!("{p}: {r}"));
                }
                (Observed::Present(p), producer)
            }
        };
        let llvm_major = producer
            .present()
            .and_then(|p| LlvmVersion::parse(p))
            .map(|v| v.major);
        seen.insert(
            real,
            DeviceLibs {
                path: dir.clone(),
                bc_files: bc.len(),
                sample,
                producer,
                llvm_major,
            },
        );
    }
    seen.into_values().collect()
}

/// LLVM majors named by `lib/clang/<N or N.x.y>` under the given clang directories.
pub fn llvm_majors(root: &Root, clang_dirs: &[String]) -> Vec<u32> {
    let mut v: Vec<u32> = clang_dirs
        .iter()
        .flat_map(|d| root.names(d))
        .filter_map(|n| n.split('.').next()?.parse().ok())
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gfx_from_kernel_file_names() {
        for (n, g) in [
            ("TensileLibrary_lazy_gfx1030.dat", Some("gfx1030")),
            ("Kernels.so-000-gfx1030.hsaco", Some("gfx1030")),
            ("Kernels.so-000-gfx90a-xnack-.hsaco", Some("gfx90a")),
            (
                "TensileLibrary_Type_HH_Contraction_l_Ailk_Bjlk_Cijk_Dijk_gfx942.co",
                Some("gfx942"),
            ),
            ("gfx1030_30.kdb", Some("gfx1030")),
            ("gfx90a6e.kdb", Some("gfx90a")),
            ("gfx90878.kdb", Some("gfx908")),
            ("gfx942130.kdb", Some("gfx942")),
            ("gfx1151.dat", Some("gfx1151")),
            ("TensileLibrary_lazy_gfx1299.dat", Some("gfx1299")),
            ("gfx.dat", None),
            ("gfxzz.dat", None),
            ("TensileManifest.txt", None),
        ] {
            assert_eq!(gfx_in_name(n).as_deref(), g, "{n}");
        }
    }
}
