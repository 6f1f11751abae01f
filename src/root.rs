//! [`Root`]: every file access of a scan goes through it, so a scan of this machine (`/`) and a
//! replay of a captured tree (`tests/fixtures/roots/<scenario>`, a bug report) run the same code.
//!
//! Paths given to a `Root` are absolute paths *of the scanned machine* (`/sys/class/kfd`); a
//! leading `/` is optional. They are resolved one component at a time, inside the root:
//! - an absolute symlink target restarts at the root's base, never at the host's `/`;
//! - `..` stops at the base, as it does at `/`;
//! - at most [`MAX_SYMLINK_HOPS`] symlinks are followed per lookup (the kernel's limit), so a
//!   loop ends as "too many levels of symbolic links".
//!
//! Reads are capped ([`DEFAULT_READ_CAP`] unless told), and every path read is recorded so a
//! later `capture` can copy exactly what the scan looked at.
//!
//! Limit: resolution and the final open are separate steps, so a tree that changes while it is
//! scanned could swap a checked component for a symlink in between. Captured trees do not
//! change; the live `/` has nothing outside it to escape to.

use std::collections::{BTreeSet, VecDeque};
use std::ffi::OsString;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::model::Observed;

/// Default cap of [`Root::read_to_string`]: 1 MiB.
pub const DEFAULT_READ_CAP: usize = 1 << 20;
/// Symlinks followed per lookup before giving up (Linux's `MAXSYMLINKS`).
pub const MAX_SYMLINK_HOPS: usize = 40;
/// Directory entries [`Root::read_dir`] returns at most.
pub const MAX_DIR_ENTRIES: usize = 100_000;

/// The tree a scan reads: `/` or a captured copy of one.
#[derive(Debug)]
pub struct Root {
    base: PathBuf,
    read: Mutex<BTreeSet<String>>,
    listed: Mutex<BTreeSet<String>>,
    opened: Mutex<BTreeSet<String>>,
}

/// What [`Root::metadata`] reports about a path (after following symlinks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// `file`, `dir`, `symlink` (only from [`Root::symlink_metadata`]), `char_device`,
    /// `block_device`, `fifo`, `socket` or `other`.
    pub kind: String,
    /// Size in bytes (sysfs files report 4096 whatever they hold).
    pub len: u64,
    /// Permission bits (`0o660`), on Unix.
    pub mode: Option<u32>,
    /// Owner user id, on Unix.
    pub uid: Option<u32>,
    /// Owner group id, on Unix.
    pub gid: Option<u32>,
}

/// Why a path could not be resolved inside the root.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ResolveError {
    /// A component does not exist.
    NotFound,
    /// More than [`MAX_SYMLINK_HOPS`] symlinks.
    Loop,
    /// Any other I/O error while looking at a component.
    Io(String),
}

impl<T> From<ResolveError> for Observed<T> {
    fn from(e: ResolveError) -> Self {
        match e {
            ResolveError::NotFound => Observed::Absent,
            ResolveError::Loop => Observed::Unreadable(format!(
                "too many levels of symbolic links (more than {MAX_SYMLINK_HOPS})"
            )),
            ResolveError::Io(m) => Observed::Unreadable(m),
        }
    }
}

impl Root {
    /// A root at `base`: `Root::new("/")` for this machine, or a captured tree's directory.
    /// Nothing is checked here; a missing base makes every lookup [`Observed::Absent`].
    pub fn new(base: impl Into<PathBuf>) -> Root {
        Root {
            base: base.into(),
            read: Mutex::new(BTreeSet::new()),
            listed: Mutex::new(BTreeSet::new()),
            opened: Mutex::new(BTreeSet::new()),
        }
    }

    /// The directory this root reads from.
    pub fn base(&self) -> &Path {
        &self.base
    }

    /// Whether this root is the running machine's `/`.
    pub fn is_host(&self) -> bool {
        self.base == Path::new("/")
    }

    /// Every path looked at so far, as paths of the scanned machine (`/sys/...`), sorted:
    /// the paths asked for, every symlink passed on the way, and where they led.
    pub fn recorded(&self) -> Vec<String> {
        snapshot_of(&self.read)
    }

    /// The directories listed so far (as paths of the scanned machine, after symlinks), sorted.
    pub fn listed(&self) -> Vec<String> {
        snapshot_of(&self.listed)
    }

    /// The files whose contents were read so far (after symlinks), sorted.
    pub fn opened(&self) -> Vec<String> {
        snapshot_of(&self.opened)
    }

    /// The host path of the file `p` leads to inside the root, for readers that need the file
    /// itself (mmap); recorded as opened.
    pub fn open_path(&self, p: &str) -> Observed<PathBuf> {
        match self.resolve(p, true) {
            Ok(l) => {
                insert(&self.opened, display(&l));
                Observed::Present(self.host_path(&l))
            }
            Err(e) => e.into(),
        }
    }

    fn record(&self, logical: &[OsString]) {
        insert(&self.read, display(logical));
    }

    /// Splits `p` into its normal components, treating it as absolute in the scanned machine.
    /// `.` is dropped; `..` is kept for [`Self::resolve`] to apply.
    fn components(p: &str) -> VecDeque<OsString> {
        Path::new(p)
            .components()
            .filter_map(|c| match c {
                Component::Normal(n) => Some(n.to_os_string()),
                Component::ParentDir => Some(OsString::from("..")),
                Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
            })
            .collect()
    }

    fn host_path(&self, logical: &[OsString]) -> PathBuf {
        let mut p = self.base.clone();
        p.extend(logical);
        p
    }

    /// Resolves `p` to the logical path it names inside the root (components under the base),
    /// following symlinks inside the root. The last component is followed only if
    /// `follow_last`. Every path looked at is recorded.
    fn resolve(&self, p: &str, follow_last: bool) -> Result<Vec<OsString>, ResolveError> {
        let mut todo = Self::components(p);
        self.record(&todo.iter().cloned().collect::<Vec<_>>());
        let mut done: Vec<OsString> = Vec::new();
        let mut hops = 0usize;
        while let Some(c) = todo.pop_front() {
            if c == ".." {
                done.pop();
                continue;
            }
            done.push(c);
            let is_last = todo.is_empty();
            let host = self.host_path(&done);
            let meta = match std::fs::symlink_metadata(&host) {
                Ok(m) => m,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(ResolveError::NotFound)
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {
                    return Err(ResolveError::NotFound)
                }
                Err(e) => return Err(ResolveError::Io(e.to_string())),
            };
            if !meta.file_type().is_symlink() || (is_last && !follow_last) {
                continue;
            }
            hops += 1;
            if hops > MAX_SYMLINK_HOPS {
                return Err(ResolveError::Loop);
            }
            self.record(&done);
            let target = std::fs::read_link(&host).map_err(|e| ResolveError::Io(e.to_string()))?;
            done.pop();
            if target.is_absolute() {
                done.clear();
            }
            let target = target.to_string_lossy().into_owned();
            for c in Self::components(&target).into_iter().rev() {
                todo.push_front(c);
            }
        }
        self.record(&done);
        Ok(done)
    }

    /// Where `p` leads inside the root, as a path of the scanned machine (`/sys/devices/...`),
    /// with every symlink followed. [`Observed::Absent`] if any component is missing.
    pub fn canonicalize(&self, p: &str) -> Observed<String> {
        match self.resolve(p, true) {
            Ok(l) => Observed::Present(display(&l)),
            Err(e) => e.into(),
        }
    }

    /// Reads a text file of at most `cap` bytes.
    ///
    /// [`Observed::Absent`] if it does not exist; [`Observed::Unreadable`] if it cannot be
    /// opened or read, is a directory, or is longer than `cap` (nothing is returned then, so a
    /// truncated value is never mistaken for a whole one); [`Observed::Malformed`] if it is not
    /// UTF-8.
    pub fn read_to_string_capped(&self, p: &str, cap: usize) -> Observed<String> {
        self.read_bytes_capped(p, cap)
            .and_then(|buf| match String::from_utf8(buf) {
                Ok(s) => Observed::Present(s),
                Err(_) => Observed::Malformed("not UTF-8".to_string()),
            })
    }

    /// The bytes of the file `p` leads to (inside the root), if it holds at most `cap` bytes.
    ///
    /// [`Observed::Absent`] if it does not exist; [`Observed::Unreadable`] if it cannot be
    /// opened or read, is a directory, or is longer than `cap` (nothing is returned then).
    pub fn read_bytes_capped(&self, p: &str, cap: usize) -> Observed<Vec<u8>> {
        let host = match self.open_path(p) {
            Observed::Present(h) => h,
            o => return o.map(|_| Vec::new()),
        };
        let file = match std::fs::File::open(&host) {
            Ok(f) => f,
            Err(e) => return e.into(),
        };
        let mut buf = Vec::new();
        let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
        if let Err(e) = file.take(limit).read_to_end(&mut buf) {
            return e.into();
        }
        if buf.len() > cap {
            return Observed::Unreadable(format!("larger than the read cap of {cap} bytes"));
        }
        Observed::Present(buf)
    }

    /// [`Self::read_to_string_capped`] with [`DEFAULT_READ_CAP`].
    pub fn read_to_string(&self, p: &str) -> Observed<String> {
        self.read_to_string_capped(p, DEFAULT_READ_CAP)
    }

    /// Names in a directory, sorted (non-UTF-8 names are converted lossily).
    /// [`Observed::Absent`] if it does not exist; [`Observed::Unreadable`] if it cannot be
    /// listed or holds more than [`MAX_DIR_ENTRIES`] entries.
    pub fn read_dir(&self, p: &str) -> Observed<Vec<String>> {
        let host = match self.resolve(p, true) {
            Ok(l) => {
                insert(&self.listed, display(&l));
                self.host_path(&l)
            }
            Err(e) => return e.into(),
        };
        let rd = match std::fs::read_dir(&host) {
            Ok(rd) => rd,
            Err(e) => return e.into(),
        };
        let mut names = Vec::new();
        for entry in rd {
            match entry {
                Ok(e) => names.push(e.file_name().to_string_lossy().into_owned()),
                Err(e) => return e.into(),
            }
            if names.len() > MAX_DIR_ENTRIES {
                return Observed::Unreadable(format!("more than {MAX_DIR_ENTRIES} entries"));
            }
        }
        names.sort();
        Observed::Present(names)
    }

    /// The names in directory `p`, sorted; none when it is absent or unreadable (for probes
    /// that only look for what is there; use [`Self::read_dir`] to tell why not).
    pub fn names(&self, p: &str) -> Vec<String> {
        self.read_dir(p).into_present().unwrap_or_default()
    }

    /// The names in directory `p` that `keep` accepts, sorted. Each kept name is recorded as
    /// looked at, so `capture` carries the names a probe chose out of a large listing.
    pub fn names_where(&self, p: &str, keep: impl Fn(&str) -> bool) -> Vec<String> {
        let names: Vec<String> = self.names(p).into_iter().filter(|n| keep(n)).collect();
        for n in &names {
            let mut c: Vec<OsString> = Self::components(p).into_iter().collect();
            c.push(OsString::from(n));
            self.record(&c);
        }
        names
    }

    /// Metadata of what `p` leads to (symlinks followed).
    pub fn metadata(&self, p: &str) -> Observed<Meta> {
        self.meta(p, true)
    }

    /// Metadata of `p` itself (a final symlink is not followed).
    pub fn symlink_metadata(&self, p: &str) -> Observed<Meta> {
        self.meta(p, false)
    }

    fn meta(&self, p: &str, follow: bool) -> Observed<Meta> {
        let host = match self.resolve(p, follow) {
            Ok(l) => self.host_path(&l),
            Err(e) => return e.into(),
        };
        match std::fs::symlink_metadata(&host) {
            Ok(m) => Observed::Present(meta_of(&m)),
            Err(e) => e.into(),
        }
    }

    /// Whether `p` exists (symlinks followed; a dangling link does not exist).
    pub fn exists(&self, p: &str) -> bool {
        self.metadata(p).is_present()
    }

    /// The target of the symlink `p`, as written in the link (not resolved).
    /// [`Observed::Absent`] if `p` does not exist; [`Observed::Malformed`] if it is not a
    /// symlink.
    pub fn read_link(&self, p: &str) -> Observed<String> {
        let host = match self.resolve(p, false) {
            Ok(l) => self.host_path(&l),
            Err(e) => return e.into(),
        };
        match std::fs::symlink_metadata(&host) {
            Ok(m) if !m.file_type().is_symlink() => {
                return Observed::Malformed("not a symbolic link".to_string())
            }
            Ok(_) => {}
            Err(e) => return e.into(),
        }
        match std::fs::read_link(&host) {
            Ok(t) => Observed::Present(t.to_string_lossy().into_owned()),
            Err(e) => e.into(),
        }
    }

    /// The last component of the symlink `p`'s target, e.g. `amdgpu` for a
    /// `device/driver -> ../../../bus/pci/drivers/amdgpu` link.
    pub fn link_name(&self, p: &str) -> Observed<String> {
        self.read_link(p)
            .and_then(|t| match Path::new(&t).file_name() {
                Some(n) => Observed::Present(n.to_string_lossy().into_owned()),
                None => Observed::Malformed(format!("link target {t:?} has no file name")),
            })
    }
}

fn display(logical: &[OsString]) -> String {
    let mut s = String::new();
    for c in logical {
        s.push('/');
        s.push_str(&c.to_string_lossy());
    }
    if s.is_empty() {
        s.push('/');
    }
    s
}

fn meta_of(m: &std::fs::Metadata) -> Meta {
    let ft = m.file_type();
    #[cfg(unix)]
    let special = {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_char_device() {
            Some("char_device")
        } else if ft.is_block_device() {
            Some("block_device")
        } else if ft.is_fifo() {
            Some("fifo")
        } else if ft.is_socket() {
            Some("socket")
        } else {
            None
        }
    };
    #[cfg(not(unix))]
    let special: Option<&str> = None;
    let kind = if ft.is_symlink() {
        "symlink"
    } else if ft.is_dir() {
        "dir"
    } else if ft.is_file() {
        "file"
    } else {
        special.unwrap_or("other")
    };
    #[cfg(unix)]
    let (mode, uid, gid) = {
        use std::os::unix::fs::MetadataExt;
        (Some(m.mode() & 0o7777), Some(m.uid()), Some(m.gid()))
    };
    #[cfg(not(unix))]
    let (mode, uid, gid) = (None, None, None);
    Meta {
        kind: kind.to_string(),
        len: m.len(),
        mode,
        uid,
        gid,
    }
}

/// Adds to a record (a poisoned lock still records: the set stays valid).
fn insert(set: &Mutex<BTreeSet<String>>, s: String) {
    match set.lock() {
        Ok(mut g) => g.insert(s),
        Err(p) => p.into_inner().insert(s),
    };
}

/// A record's contents, sorted.
fn snapshot_of(set: &Mutex<BTreeSet<String>>) -> Vec<String> {
    match set.lock() {
        Ok(g) => g.iter().cloned().collect(),
        Err(p) => p.into_inner().iter().cloned().collect(),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn tree() -> (tempfile::TempDir, Root) {
        let outer = tempfile::tempdir().unwrap();
        // A secret next to the root: nothing may reach it.
        std::fs::write(outer.path().join("secret"), "host secret").unwrap();
        let base = outer.path().join("root");
        std::fs::create_dir_all(base.join("sys/devices/pci0000:00/0000:03:00.0/drm/card0"))
            .unwrap();
        std::fs::create_dir_all(base.join("sys/class/drm")).unwrap();
        std::fs::create_dir_all(base.join("sys/bus/pci/drivers/amdgpu")).unwrap();
        std::fs::create_dir_all(base.join("etc")).unwrap();
        std::fs::write(base.join("etc/hostname"), "inside\n").unwrap();
        std::fs::write(base.join("secret"), "root's own secret").unwrap();
        let dev = base.join("sys/devices/pci0000:00/0000:03:00.0");
        std::fs::write(dev.join("vendor"), "0x1002\n").unwrap();
        symlink("../../../bus/pci/drivers/amdgpu", dev.join("driver")).unwrap();
        symlink("../../../0000:03:00.0", dev.join("drm/card0/device")).unwrap();
        symlink(
            "../../devices/pci0000:00/0000:03:00.0/drm/card0",
            base.join("sys/class/drm/card0"),
        )
        .unwrap();
        let root = Root::new(&base);
        (outer, root)
    }

    #[test]
    fn follows_relative_links_inside_the_root() {
        let (_t, root) = tree();
        assert_eq!(
            root.read_to_string("/sys/class/drm/card0/device/vendor"),
            Observed::Present("0x1002\n".into())
        );
        assert_eq!(
            root.link_name("/sys/class/drm/card0/device/driver"),
            Observed::Present("amdgpu".into())
        );
        assert_eq!(
            root.canonicalize("sys/class/drm/card0/device"),
            Observed::Present("/sys/devices/pci0000:00/0000:03:00.0".into())
        );
        assert_eq!(
            root.read_dir("/sys/class/drm"),
            Observed::Present(vec!["card0".into()])
        );
        assert!(root.exists("/sys/class/drm/card0"));
        assert_eq!(
            root.metadata("/sys/class/drm/card0")
                .present()
                .unwrap()
                .kind,
            "dir"
        );
        assert_eq!(
            root.symlink_metadata("/sys/class/drm/card0")
                .present()
                .unwrap()
                .kind,
            "symlink"
        );
    }

    #[test]
    fn absolute_link_targets_point_into_the_root() {
        let (t, root) = tree();
        symlink("/secret", root.base().join("etc/abs")).unwrap();
        symlink("/etc/hostname", root.base().join("etc/abs2")).unwrap();
        assert_eq!(
            root.read_to_string("/etc/abs"),
            Observed::Present("root's own secret".into())
        );
        assert_eq!(
            root.read_to_string("/etc/abs2"),
            Observed::Present("inside\n".into())
        );
        // A link to the host's real location of the outer secret stays inside too.
        let host_secret = t.path().join("secret");
        symlink(&host_secret, root.base().join("etc/host")).unwrap();
        assert_eq!(root.read_to_string("/etc/host"), Observed::Absent);
    }

    #[test]
    fn dotdot_cannot_escape() {
        let (_t, root) = tree();
        symlink("../../../../../../secret", root.base().join("etc/up")).unwrap();
        assert_eq!(
            root.read_to_string("/etc/up"),
            Observed::Present("root's own secret".into())
        );
        assert_eq!(
            root.read_to_string("/../../../secret"),
            Observed::Present("root's own secret".into())
        );
        assert_eq!(
            root.read_to_string("../secret"),
            Observed::Present("root's own secret".into())
        );
        // Through a directory link then up: `..` applies to the link's target, as the
        // kernel does, and still stops at the base.
        assert_eq!(
            root.read_to_string("/sys/class/drm/card0/../../../../../../../secret"),
            Observed::Present("root's own secret".into())
        );
    }

    #[test]
    fn loops_end_and_dangling_links_are_absent() {
        let (_t, root) = tree();
        symlink("b", root.base().join("etc/a")).unwrap();
        symlink("a", root.base().join("etc/b")).unwrap();
        symlink("self", root.base().join("etc/self")).unwrap();
        symlink("nowhere", root.base().join("etc/dangling")).unwrap();
        let r = root.read_to_string("/etc/a");
        assert!(
            matches!(&r, Observed::Unreadable(m) if m.contains("symbolic links")),
            "{r:?}"
        );
        assert!(matches!(
            root.read_dir("/etc/self"),
            Observed::Unreadable(_)
        ));
        assert_eq!(root.read_to_string("/etc/dangling"), Observed::Absent);
        assert!(!root.exists("/etc/dangling"));
        assert_eq!(
            root.read_link("/etc/dangling"),
            Observed::Present("nowhere".into())
        );
        assert!(matches!(
            root.read_link("/etc/hostname"),
            Observed::Malformed(_)
        ));
    }

    #[test]
    fn reads_are_capped_and_checked() {
        let (_t, root) = tree();
        std::fs::write(root.base().join("etc/big"), vec![b'x'; 100]).unwrap();
        assert!(root.read_to_string_capped("/etc/big", 100).is_present());
        let r = root.read_to_string_capped("/etc/big", 99);
        assert!(
            matches!(&r, Observed::Unreadable(m) if m.contains("99")),
            "{r:?}"
        );
        std::fs::write(root.base().join("etc/bin"), [0xff, 0xfe]).unwrap();
        assert!(matches!(
            root.read_to_string("/etc/bin"),
            Observed::Malformed(_)
        ));
        assert!(matches!(
            root.read_to_string("/etc"),
            Observed::Unreadable(_)
        ));
        assert_eq!(root.read_to_string("/etc/missing"), Observed::Absent);
        assert_eq!(root.read_to_string("/etc/hostname/x"), Observed::Absent);
        assert_eq!(root.read_dir("/nope"), Observed::Absent);
    }

    #[test]
    fn records_what_was_read() {
        let (_t, root) = tree();
        let _ = root.read_to_string("/sys/class/drm/card0/device/vendor");
        let _ = root.read_to_string("/etc/missing");
        let rec = root.recorded();
        for p in [
            "/sys/class/drm/card0/device/vendor",
            "/sys/class/drm/card0",
            "/sys/devices/pci0000:00/0000:03:00.0/drm/card0/device",
            "/sys/devices/pci0000:00/0000:03:00.0/vendor",
            "/etc/missing",
        ] {
            assert!(rec.contains(&p.to_string()), "{p} not in {rec:?}");
        }
        assert!(!root.is_host());
        assert!(Root::new("/").is_host());
    }

    #[test]
    fn missing_base_is_absent_everywhere() {
        let root = Root::new("/nonexistent/rocm-doctor/root");
        assert_eq!(root.read_to_string("/etc/hostname"), Observed::Absent);
        assert_eq!(root.read_dir("/"), Observed::Absent);
    }
}
