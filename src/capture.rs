//! `capture`: the files a scan read, packed so anyone can replay the machine with `--root`.
//!
//! What goes in is decided from the [`Root`]'s record of the paths the probes looked at, never
//! from a fixed list, so a new probe is captured without touching this file:
//! - regular files the scan read, whole, up to [`FILE_CAP`] (larger ones, such as a 500 MB
//!   `libtorch_hip.so`, go in as empty placeholders: their names still count, and the exact
//!   answers are in the archive's `snapshot.json`);
//! - symlinks as links, with their targets;
//! - the names of directories the scan listed, as empty placeholders, except in home
//!   directories and other broad ones ([`NAMES_ONLY_IF_READ`]), where only what the scan itself
//!   looked at goes in: the names of a user's files are theirs;
//! - device nodes, which neither tar nor git keep faithfully, as `rocm-doctor/devices` lines;
//! - on this machine, the user's ids (`rocm-doctor/user`) and the ROCm variables of the
//!   environment (`rocm-doctor/env`) instead of `/proc/self/status` and the process env.
//!
//! Planning is separate from writing, so `capture` shows the list before anything is written.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use crate::root::Root;
use crate::snapshot::{Observed, Snapshot};

/// Files larger than this go in as placeholders.
pub const FILE_CAP: u64 = 1 << 20;
/// Entries at most, and bytes at most, in one capture.
pub const MAX_ENTRIES: usize = 50_000;
/// Total bytes of copied file contents at most.
pub const MAX_BYTES: u64 = 64 << 20;

/// Directories whose listing stays private: only entries the scan looked at go in. Home
/// directories (`/home/<user>`) are private too.
pub const NAMES_ONLY_IF_READ: [&str; 12] = [
    "/",
    "/home",
    "/root",
    "/etc",
    "/opt",
    "/proc",
    "/usr/bin",
    "/usr/lib",
    "/usr/lib64",
    "/usr/lib/x86_64-linux-gnu",
    "/usr/local/bin",
    "/usr/local/lib",
];

/// One entry of the archive, by the path it has on the scanned machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A directory.
    Dir,
    /// A file copied whole.
    File(Vec<u8>),
    /// An empty stand-in: the original's size and why it was not copied.
    Placeholder {
        /// Size of the original.
        len: u64,
        /// Why only the name went in.
        why: &'static str,
    },
    /// A symlink and its target as written.
    Symlink(String),
    /// A file rocm-doctor writes (devices, user, env, the snapshot): its content.
    Generated(Vec<u8>),
}

/// What a capture will hold.
#[derive(Debug, Default)]
pub struct Plan {
    /// Path on the scanned machine → entry.
    pub items: BTreeMap<String, Item>,
    /// Paths that were dropped, and why (too many entries, size budget).
    pub dropped: Vec<(String, String)>,
}

impl Plan {
    /// Bytes of file contents the archive will carry.
    pub fn bytes(&self) -> u64 {
        self.items
            .values()
            .map(|i| match i {
                Item::File(b) | Item::Generated(b) => b.len() as u64,
                _ => 0,
            })
            .sum()
    }
}

/// Plans the capture of what `scanned` recorded while producing `snapshot`.
pub fn plan(scanned: &Root, snapshot: &Snapshot) -> Plan {
    // A fresh root reads the files again without adding to the scan's record.
    let root = Root::new(scanned.base());
    let recorded: BTreeSet<String> = scanned.recorded().into_iter().collect();
    let listed: BTreeSet<String> = scanned.listed().into_iter().collect();
    let opened: BTreeSet<String> = scanned.opened().into_iter().collect();
    let mut plan = Plan::default();
    let mut devices = String::new();
    for path in &recorded {
        let generated = scanned.is_host() && path.starts_with("/rocm-doctor/");
        if path == "/" || is_process_file(path) || generated {
            continue;
        }
        if in_home(path) && !needed(path, &opened, &listed) {
            // In a home directory only what the scan read goes in, never what it merely
            // looked for: the names of a user's files are theirs.
            continue;
        }
        // What a probe looked for and did not find still tells where it looked: the
        // directories on the way that do exist go in, so a replay misses it the same way.
        add_ancestors(&root, path, &mut plan);
        let Observed::Present(meta) = root.symlink_metadata(path) else {
            continue;
        };
        if !parent_is_real(&root, path) {
            // Asked for through a symlinked directory: the path it led to is recorded too.
            continue;
        }
        match meta.kind.as_str() {
            "symlink" => {
                if let Observed::Present(t) = root.read_link(path) {
                    plan.add(path, Item::Symlink(t));
                }
            }
            "dir" => {
                plan.add(path, Item::Dir);
                let private = NAMES_ONLY_IF_READ.contains(&path.as_str()) || is_home(path);
                if listed.contains(path) && !private {
                    names_of(&root, path, &recorded, &mut plan);
                }
            }
            "file" if path == "/etc/group" => {
                plan.add(path, Item::Generated(groups_of_interest(&root, snapshot)));
            }
            "file" if opened.contains(path) => plan.add(path, file_item(&root, path, meta.len)),
            "file" => plan.add(
                path,
                Item::Placeholder {
                    len: meta.len,
                    why: "name only: the scan looked for it",
                },
            ),
            "char_device" | "block_device" => {
                if let Some(line) = crate::probe::access::device_line(path, &meta) {
                    devices.push_str(&line);
                    devices.push('\n');
                }
            }
            _ => {}
        }
    }
    for (p, m) in crate::probe::access::recorded_devices(scanned) {
        if let Some(line) = crate::probe::access::device_line(&p, &m) {
            if !devices.contains(&format!("{p} ")) {
                devices.push_str(&line);
                devices.push('\n');
            }
        }
    }
    if !devices.is_empty() {
        plan.add(
            "/rocm-doctor/devices",
            Item::Generated(devices.into_bytes()),
        );
    }
    // On this machine the user and the environment come from the process: write them down.
    // A tree already holds its own files for them, copied above.
    if let (true, Some(user)) = (scanned.is_host(), snapshot.access.user.present()) {
        let groups: Vec<String> = user.gids.iter().map(u32::to_string).collect();
        let text = format!("uid={}\ngroups={}\n", user.uid, groups.join(","));
        plan.add("/rocm-doctor/user", Item::Generated(text.into_bytes()));
    }
    if snapshot.env.source == "process" && !snapshot.env.vars.is_empty() {
        let text: String = snapshot
            .env
            .vars
            .iter()
            .map(|(k, v)| format!("{k}={v}\n"))
            .collect();
        plan.add("/rocm-doctor/env", Item::Generated(text.into_bytes()));
    }
    plan
}

impl Plan {
    fn add(&mut self, path: &str, item: Item) {
        if self.items.contains_key(path) {
            return;
        }
        if self.items.len() >= MAX_ENTRIES {
            self.dropped
                .push((path.to_owned(), format!("more than {MAX_ENTRIES} entries")));
            return;
        }
        let item = match item {
            Item::File(b) if self.bytes() + b.len() as u64 > MAX_BYTES => Item::Placeholder {
                len: b.len() as u64,
                why: "over the capture's size budget",
            },
            other => other,
        };
        self.items.insert(path.to_owned(), item);
    }
}

/// Whether `path`'s directory is itself, not reached through a symlink (a tar entry under a
/// symlinked directory cannot be unpacked).
fn parent_is_real(root: &Root, path: &str) -> bool {
    match path.rsplit_once('/') {
        Some(("", _)) | None => true,
        Some((parent, _)) => {
            root.canonicalize(parent).present().map(String::as_str) == Some(parent)
        }
    }
}

/// `/etc/group` cut down to the groups that own the GPU's device nodes and the user's own,
/// without member lists: the probes need gid → name, not who else is in which group.
fn groups_of_interest(root: &Root, snapshot: &Snapshot) -> Vec<u8> {
    let mut gids: BTreeSet<u32> = snapshot
        .access
        .devices
        .iter()
        .filter_map(|d| d.meta.present().and_then(|m| m.gid))
        .collect();
    if let Some(u) = snapshot.access.user.present() {
        gids.extend(u.gids.iter().copied());
    }
    let text = root
        .read_to_string("/etc/group")
        .into_present()
        .unwrap_or_default();
    let mut out = String::new();
    for line in text.lines() {
        let mut f = line.split(':');
        let (Some(name), Some(_), Some(gid)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if gid.parse().is_ok_and(|g| gids.contains(&g)) {
            out.push_str(&format!("{name}:x:{gid}:\n"));
        }
    }
    out.into_bytes()
}

fn add_ancestors(root: &Root, path: &str, plan: &mut Plan) {
    let mut dir = path;
    while let Some((parent, _)) = dir.rsplit_once('/') {
        if parent.is_empty() {
            break;
        }
        let real = root.canonicalize(parent).present().map(String::as_str) == Some(parent);
        if real
            && root
                .metadata(parent)
                .present()
                .is_some_and(|m| m.kind == "dir")
        {
            plan.add(parent, Item::Dir);
        }
        dir = parent;
    }
}

/// `/proc/self/...` and `/proc/<pid>/...` of the scanning process: `rocm-doctor/user` stands
/// in for them. `/proc/1/cgroup` (the container hint) stays.
fn is_process_file(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/proc/") else {
        return false;
    };
    let first = rest.split('/').next().unwrap_or("");
    first == "self"
        || (first != "1" && !first.is_empty() && first.bytes().all(|b| b.is_ascii_digit()))
}

/// Under `/home/<user>/` or `/root/`.
fn in_home(path: &str) -> bool {
    path.starts_with("/root/")
        || path
            .strip_prefix("/home/")
            .is_some_and(|rest| rest.contains('/'))
}

/// Whether the scan read `path` or something inside it; or `path` is a directory it listed
/// in or under Python's packages (whose names are packages', not the user's).
fn needed(path: &str, opened: &BTreeSet<String>, listed: &BTreeSet<String>) -> bool {
    let inside = format!("{path}/");
    let packages = ["/site-packages", "/dist-packages"]
        .iter()
        .any(|d| path.ends_with(d) || path.contains(&format!("{d}/")));
    opened.contains(path)
        || (packages && listed.contains(path))
        || opened
            .range(inside.clone()..)
            .next()
            .is_some_and(|p| p.starts_with(&inside))
}

/// `/home/<user>` itself (its listing is private; what the scan opened inside it is not).
fn is_home(path: &str) -> bool {
    path.strip_prefix("/home/")
        .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
}

fn file_item(root: &Root, path: &str, len: u64) -> Item {
    if path.starts_with("/sys/") || path.starts_with("/proc/") {
        // sysfs and procfs report 4096 or 0 whatever they hold: read to learn the size.
        return match root.read_bytes_capped(path, 64 * 1024) {
            Observed::Present(b) => Item::File(b),
            _ => Item::Placeholder {
                len,
                why: "unreadable or larger than 64 KiB",
            },
        };
    }
    if len > FILE_CAP {
        return Item::Placeholder {
            len,
            why: "larger than 1 MiB",
        };
    }
    match root.read_bytes_capped(path, FILE_CAP as usize) {
        Observed::Present(b) => Item::File(b),
        _ => Item::Placeholder {
            len,
            why: "unreadable",
        },
    }
}

/// Placeholders for the names in a listed directory that the scan did not look at itself.
fn names_of(root: &Root, dir: &str, recorded: &BTreeSet<String>, plan: &mut Plan) {
    for name in root.names(dir) {
        let path = format!("{}/{name}", dir.trim_end_matches('/'));
        if plan.items.contains_key(&path) || recorded.contains(&path) {
            continue;
        }
        let item = match root.symlink_metadata(&path) {
            Observed::Present(m) if m.kind == "symlink" => match root.read_link(&path) {
                Observed::Present(t) => Item::Symlink(t),
                _ => continue,
            },
            Observed::Present(m) if m.kind == "dir" => Item::Dir,
            Observed::Present(m) if m.kind == "file" => Item::Placeholder {
                len: m.len,
                why: "name only: the scan listed it",
            },
            _ => continue,
        };
        plan.add(&path, item);
    }
}

/// Writes `plan` and `snapshot_json` as a gzipped tar: `rocm-doctor-capture/root/<path>`,
/// `rocm-doctor-capture/snapshot.json`, `rocm-doctor-capture/MANIFEST.txt`.
/// Entries get mode 0644/0755 and mtime 0, so the same machine gives the same archive.
///
/// Returns an error when the file cannot be written.
pub fn write(plan: &Plan, snapshot_json: &str, out: &Path) -> std::io::Result<()> {
    let file = std::fs::File::create(out)?;
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let top = "rocm-doctor-capture";
    append(
        &mut tar,
        &format!("{top}/snapshot.json"),
        snapshot_json.as_bytes(),
    )?;
    append(
        &mut tar,
        &format!("{top}/MANIFEST.txt"),
        manifest(plan).as_bytes(),
    )?;
    for (path, item) in &plan.items {
        let name = format!("{top}/root{path}");
        match item {
            Item::Dir => {
                let mut h = header(tar::EntryType::Directory, 0o755, 0);
                tar.append_data(&mut h, &name, std::io::empty())?;
            }
            Item::File(b) | Item::Generated(b) => append(&mut tar, &name, b)?,
            Item::Placeholder { .. } => append(&mut tar, &name, &[])?,
            Item::Symlink(t) => {
                let mut h = header(tar::EntryType::Symlink, 0o777, 0);
                tar.append_link(&mut h, &name, t)?;
            }
        }
    }
    tar.into_inner()?.finish()?.flush()
}

fn header(kind: tar::EntryType, mode: u32, len: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(len);
    h.set_mtime(0);
    h
}

fn append<W: Write>(tar: &mut tar::Builder<W>, name: &str, data: &[u8]) -> std::io::Result<()> {
    let mut h = header(tar::EntryType::Regular, 0o644, data.len() as u64);
    tar.append_data(&mut h, name, data)
}

/// The list shown before writing, and stored in the archive: one line per entry.
pub fn manifest(plan: &Plan) -> String {
    let mut s = String::new();
    for (path, item) in &plan.items {
        let line = match item {
            Item::Dir => format!("dir        {path}/\n"),
            Item::File(b) => format!(
                "file {:>6} {path}\n",
                crate::model::size::human_size(b.len() as u64)
            ),
            Item::Generated(b) => format!(
                "made {:>6} {path}  (written by rocm-doctor)\n",
                crate::model::size::human_size(b.len() as u64)
            ),
            Item::Placeholder { len, why } => format!(
                "name       {path}  (empty stand-in for {}: {why})\n",
                crate::model::size::human_size(*len)
            ),
            Item::Symlink(t) => format!("link       {path} -> {t}\n"),
        };
        s.push_str(&line);
    }
    for (p, why) in &plan.dropped {
        s.push_str(&format!("dropped    {p}  ({why})\n"));
    }
    s
}
