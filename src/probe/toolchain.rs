//! LLVM toolchains installed under a root: found from directory layouts, never by running
//! them (a captured tree has no binaries that could run).

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::root::Root;

/// An LLVM installation and the major version its layout shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Toolchain {
    /// LLVM major version.
    pub major: u32,
    /// Its directory (relative to the root, written as an absolute path).
    pub path: PathBuf,
    /// Whose it is: `debian` (`/usr/lib/llvm-N`), `fedora` (`/usr/lib64/llvmN`), `rocm`
    /// (`/opt/rocm*/llvm`).
    pub flavor: String,
}

/// Every LLVM toolchain found under `root`, by layout:
/// - `/usr/lib/llvm-N` (Debian, Ubuntu, apt.llvm.org),
/// - `/usr/lib64/llvmN` and `/usr/lib/llvmN` (Fedora, Arch's llvmN packages),
/// - `/opt/rocm*/llvm`, whose major is the name of `lib/clang/<N or N.x.y>`.
///
/// Unreadable directories are skipped: a missing toolchain is an answer, not an error.
pub fn installed(root: &Root) -> Vec<Toolchain> {
    let mut found = Vec::new();
    for (dir, prefix, flavor) in [
        ("/usr/lib", "llvm-", "debian"),
        ("/usr/lib64", "llvm", "fedora"),
        ("/usr/lib", "llvm", "fedora"),
    ] {
        for name in root.names_where(dir, |n| n.starts_with(prefix)) {
            let Some(rest) = name.strip_prefix(prefix) else {
                continue;
            };
            let path = format!("{dir}/{name}");
            match rest.parse::<u32>() {
                Ok(major) if root.exists(&format!("{path}/bin")) => {
                    found.push(Toolchain {
                        major,
                        path: PathBuf::from(path),
                        flavor: flavor.to_string(),
                    });
                }
                _ => {}
            }
        }
    }
    for name in root.names_where("/opt", |n| n.starts_with("rocm")) {
        let llvm = format!("/opt/{name}/llvm");
        let majors = super::rocm::llvm_majors(root, &[format!("{llvm}/lib/clang")]);
        if let Some(&major) = majors.last() {
            found.push(Toolchain {
                major,
                path: PathBuf::from(llvm),
                flavor: "rocm".to_string(),
            });
        }
    }
    // /opt/rocm is usually a link to /opt/rocm-X.Y.Z: keep one entry per real directory.
    let mut unique = BTreeMap::new();
    for t in found {
        let key = root
            .canonicalize(&t.path.to_string_lossy())
            .present()
            .cloned();
        unique
            .entry(key.unwrap_or_else(|| t.path.display().to_string()))
            .or_insert(t);
    }
    let mut v: Vec<Toolchain> = unique.into_values().collect();
    v.sort_by(|a, b| (a.major, &a.path).cmp(&(b.major, &b.path)));
    v
}

/// The majors of [`installed`], sorted, without duplicates.
pub fn installed_majors(root: &Root) -> Vec<u32> {
    let mut v: Vec<u32> = installed(root).iter().map(|t| t.major).collect();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_layout_in_a_fake_root() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        for p in [
            "usr/lib/llvm-16/bin",
            "usr/lib/llvm-19/bin",
            "usr/lib/llvm-foo/bin",
            "usr/lib64/llvm18/bin",
            "opt/rocm-7.0.2/llvm/lib/clang/20",
            "opt/rocm-5.2.3/llvm/lib/clang/14.0.0",
        ] {
            std::fs::create_dir_all(r.join(p)).unwrap();
        }
        std::os::unix::fs::symlink(r.join("opt/rocm-7.0.2"), r.join("opt/rocm")).unwrap();
        let root = Root::new(r);
        let found = installed(&root);
        let summary: Vec<(u32, &str)> =
            found.iter().map(|t| (t.major, t.flavor.as_str())).collect();
        assert_eq!(
            summary,
            [
                (14, "rocm"),
                (16, "debian"),
                (18, "fedora"),
                (19, "debian"),
                (20, "rocm")
            ]
        );
        assert_eq!(found[0].path, PathBuf::from("/opt/rocm-5.2.3/llvm"));
        assert_eq!(installed_majors(&root), [14, 16, 18, 19, 20]);
        assert!(installed(&Root::new(r.join("nothing-here"))).is_empty());
    }
}
