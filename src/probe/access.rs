//! Can this user open the GPU? `/dev/kfd` and `/dev/dri/renderD*`: their modes and groups,
//! the user's groups, and whether we run in a container. Plus the kernel side: the running
//! kernel, the amdgpu module and its parameters.
//!
//! rocminfo's own pre-check does the same (opens `/dev/kfd` read-write and checks membership
//! of the group that owns it): https://github.com/ROCm/rocminfo (rocminfo.cc, CheckInitialState).
//! On this machine the user is this process's (`/proc/self/status`); in a captured tree it is
//! the one `rocm-doctor/user` names (`uid=`, `gid=`, `groups=` lines), or unknown.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::root::{Meta, Root};
use crate::snapshot::Observed;

/// What the access and kernel probes found.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessProbe {
    /// `/proc/version`.
    pub kernel: Observed<String>,
    /// `/sys/module/amdgpu/version` (present for DKMS builds only).
    pub amdgpu_version: Observed<String>,
    /// Whether the amdgpu driver is loaded: `/sys/module/amdgpu` or KFD present says yes;
    /// neither, in a tree that has `/sys/module`, says no; otherwise unknown.
    pub amdgpu_loaded: Option<bool>,
    /// `/sys/module/amdgpu/parameters/*` that are set away from the driver's defaults are
    /// hard to know; all small ones are listed.
    pub amdgpu_parameters: BTreeMap<String, String>,
    /// `amdgpu.*` options on the kernel command line.
    pub cmdline_amdgpu: Vec<String>,
    /// The user whose access is judged.
    pub user: Observed<User>,
    /// `/dev/kfd` and the render nodes, and whether the user can open each read-write.
    pub devices: Vec<Device>,
    /// Container hints (`/.dockerenv`, `/run/.containerenv`, cgroup names).
    pub container: Vec<String>,
    /// Container engines installed (`docker`, `podman`), as paths of the scanned machine.
    #[serde(default)]
    pub container_engines: Vec<String>,
    /// Problems in plain words.
    pub problems: Vec<String>,
}

/// A user and their groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// User id.
    pub uid: u32,
    /// Primary and supplementary group ids.
    pub gids: Vec<u32>,
}

/// A device node.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Device {
    /// Its path.
    pub path: String,
    /// Its metadata (kind, mode, owner, group).
    pub meta: Observed<Meta>,
    /// The owning group's name, from `/etc/group`.
    pub group: Option<String>,
    /// Whether the user can open it read-write: `None` when the user or the mode is unknown.
    pub user_can_open: Option<bool>,
}

/// Runs the probe.
pub fn probe(root: &Root) -> AccessProbe {
    let mut problems = Vec::new();
    let groups = group_names(root);
    let user = user(root);
    let mut devices = Vec::new();
    let mut paths = vec!["/dev/kfd".to_owned()];
    // A captured tree cannot hold device nodes (nor git their modes): `capture` writes their
    // metadata to `rocm-doctor/devices`, and the nodes it lists count even without a file.
    for p in recorded_devices(root).into_keys() {
        if !paths.contains(&p) {
            paths.push(p);
        }
    }
    if let Observed::Present(names) = root.read_dir("/dev/dri") {
        paths.extend(
            names
                .into_iter()
                .filter(|n| n.starts_with("renderD"))
                .map(|n| format!("/dev/dri/{n}")),
        );
    }
    let recorded = recorded_devices(root);
    for path in paths {
        let meta = match recorded.get(&path) {
            Some(m) => Observed::Present(m.clone()),
            None => root.metadata(&path),
        };
        let group = meta
            .present()
            .and_then(|m| m.gid)
            .and_then(|g| groups.get(&g).cloned());
        let can = match (&meta, &user) {
            (Observed::Present(m), Observed::Present(u)) => can_open_rw(m, u),
            _ => None,
        };
        if can == Some(false) {
            let uid = user.present().map_or(0, |u| u.uid);
            problems.push(match group.as_deref() {
                Some(g @ ("render" | "video")) => format!(
                    "{path} cannot be opened read-write by uid {uid}: it belongs to group {g}; add the user to it (`sudo usermod -aG {g} $USER`, then log in again)"
                ),
                g => format!(
                    "{path} cannot be opened read-write by uid {uid}: it belongs to group {} instead of render or video; check the udev rules that set it",
                    g.unwrap_or("?")
                ),
            });
        }
        if path == "/dev/kfd" && meta.is_absent() {
            problems.push("/dev/kfd is absent: no KFD device node (driver not loaded, or a container started without --device=/dev/kfd)".into());
        }
        devices.push(Device {
            path,
            meta,
            group,
            user_can_open: can,
        });
    }
    let amdgpu_loaded = if root.exists("/sys/module/amdgpu") || root.exists("/sys/class/kfd") {
        Some(true)
    } else if root.exists("/sys/module") {
        Some(false)
    } else {
        None
    };
    let mut amdgpu_parameters = BTreeMap::new();
    if let Observed::Present(names) = root.read_dir("/sys/module/amdgpu/parameters") {
        for n in names {
            if let Observed::Present(v) =
                root.read_to_string_capped(&format!("/sys/module/amdgpu/parameters/{n}"), 256)
            {
                amdgpu_parameters.insert(n, v.trim().to_owned());
            }
        }
    }
    let cmdline_amdgpu = match root.read_to_string_capped("/proc/cmdline", 64 * 1024) {
        Observed::Present(c) => c
            .split_whitespace()
            .filter(|w| w.starts_with("amdgpu."))
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    let mut container = Vec::new();
    for (p, what) in [
        ("/.dockerenv", "docker (/.dockerenv)"),
        ("/run/.containerenv", "podman (/run/.containerenv)"),
    ] {
        if root.exists(p) {
            container.push(what.to_owned());
        }
    }
    if let Observed::Present(c) = root.read_to_string_capped("/proc/1/cgroup", 64 * 1024) {
        for hint in ["docker", "kubepods", "containerd", "libpod", "lxc"] {
            if c.contains(hint) {
                container.push(format!("cgroup mentions {hint}"));
            }
        }
    }
    AccessProbe {
        container_engines: container_engines(root),
        kernel: root
            .read_to_string_capped("/proc/version", 4096)
            .map(|s| s.trim().to_owned()),
        amdgpu_version: root
            .read_to_string_capped("/sys/module/amdgpu/version", 256)
            .map(|s| s.trim().to_owned()),
        amdgpu_loaded,
        amdgpu_parameters,
        cmdline_amdgpu,
        user,
        devices,
        container,
        problems,
    }
}

/// Where engines are looked for in a tree (the host also searches its `PATH`).
const BIN_DIRS: [&str; 5] = [
    "/usr/local/bin",
    "/usr/bin",
    "/bin",
    "/usr/sbin",
    "/snap/bin",
];

/// `docker` and `podman` executables, by name in the usual bin directories (and `PATH` on the
/// host): the container remedies need one.
fn container_engines(root: &Root) -> Vec<String> {
    let mut dirs: Vec<String> = BIN_DIRS.iter().map(|d| (*d).to_owned()).collect();
    if root.is_host() {
        if let Some(path) = std::env::var_os("PATH") {
            for d in std::env::split_paths(&path) {
                let d = d.display().to_string();
                if d.starts_with('/') && !dirs.contains(&d) {
                    dirs.push(d);
                }
            }
        }
    }
    let mut found = Vec::new();
    for engine in ["docker", "podman"] {
        if let Some(d) = dirs
            .iter()
            .find(|d| root.metadata(&format!("{d}/{engine}")).is_present())
        {
            found.push(format!("{d}/{engine}"));
        }
    }
    found
}

/// `rocm-doctor/devices` of a captured tree: `PATH KIND MODE(octal) UID GID` per line.
pub fn recorded_devices(root: &Root) -> BTreeMap<String, Meta> {
    if root.is_host() {
        return BTreeMap::new();
    }
    let Observed::Present(text) = root.read_to_string("/rocm-doctor/devices") else {
        return BTreeMap::new();
    };
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let [path, kind, mode, uid, gid] = f.as_slice() else {
                return None;
            };
            Some((
                (*path).to_owned(),
                Meta {
                    kind: (*kind).to_owned(),
                    len: 0,
                    mode: u32::from_str_radix(mode, 8).ok(),
                    uid: uid.parse().ok(),
                    gid: gid.parse().ok(),
                },
            ))
        })
        .filter(|(p, _)| p.starts_with("/dev/"))
        .collect()
}

/// One `rocm-doctor/devices` line for `path`, the inverse of [`recorded_devices`].
pub fn device_line(path: &str, m: &Meta) -> Option<String> {
    Some(format!(
        "{path} {} {:o} {} {}",
        m.kind, m.mode?, m.uid?, m.gid?
    ))
}

/// Read-write access by permission bits, as the kernel checks them (root may always).
fn can_open_rw(m: &Meta, u: &User) -> Option<bool> {
    let mode = m.mode?;
    if u.uid == 0 {
        return Some(true);
    }
    let bits = if Some(u.uid) == m.uid {
        mode >> 6
    } else if m.gid.is_some_and(|g| u.gids.contains(&g)) {
        mode >> 3
    } else {
        mode
    };
    Some(bits & 0o6 == 0o6)
}

/// gid → name from `/etc/group`.
fn group_names(root: &Root) -> BTreeMap<u32, String> {
    let Observed::Present(text) = root.read_to_string("/etc/group") else {
        return BTreeMap::new();
    };
    text.lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let gid = f.nth(1)?.parse().ok()?;
            Some((gid, name.to_owned()))
        })
        .collect()
}

/// The user to judge: this process's on the host, else the tree's `rocm-doctor/user`.
fn user(root: &Root) -> Observed<User> {
    let (path, text) = if root.is_host() {
        (
            "/proc/self/status",
            root.read_to_string("/proc/self/status"),
        )
    } else {
        (
            "/rocm-doctor/user",
            root.read_to_string("/rocm-doctor/user"),
        )
    };
    text.and_then(|t| {
        parse_user(&t).map_or_else(
            || Observed::Malformed(format!("{path}: no uid")),
            Observed::Present,
        )
    })
}

/// `Uid:`/`Gid:`/`Groups:` lines of /proc/self/status, or `uid=`/`gid=`/`groups=` lines.
fn parse_user(text: &str) -> Option<User> {
    let mut uid = None;
    let mut gids = Vec::new();
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':').or_else(|| line.split_once('=')) else {
            continue;
        };
        let first = |v: &str| {
            v.split_whitespace()
                .next()
                .and_then(|x| x.parse::<u32>().ok())
        };
        match k.trim().to_ascii_lowercase().as_str() {
            "uid" => uid = first(v),
            "gid" => gids.extend(first(v)),
            "groups" => gids.extend(
                v.split([' ', ','])
                    .filter_map(|x| x.trim().parse::<u32>().ok()),
            ),
            _ => {}
        }
    }
    gids.sort_unstable();
    gids.dedup();
    Some(User { uid: uid?, gids })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(mode: u32, uid: u32, gid: u32) -> Meta {
        Meta {
            kind: "char_device".into(),
            len: 0,
            mode: Some(mode),
            uid: Some(uid),
            gid: Some(gid),
        }
    }

    #[test]
    fn permission_bits_decide() {
        let alice = User {
            uid: 1000,
            gids: vec![1000],
        };
        let alice_render = User {
            uid: 1000,
            gids: vec![110, 1000],
        };
        let kfd = meta(0o660, 0, 110); // crw-rw---- root render
        assert_eq!(can_open_rw(&kfd, &alice), Some(false));
        assert_eq!(can_open_rw(&kfd, &alice_render), Some(true));
        assert_eq!(
            can_open_rw(
                &kfd,
                &User {
                    uid: 0,
                    gids: vec![0]
                }
            ),
            Some(true)
        );
        assert_eq!(can_open_rw(&meta(0o666, 0, 0), &alice), Some(true));
    }

    #[test]
    fn users_from_proc_status_and_capture_files() {
        let s = "Name:\tbash\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nGroups:\t4 24 27 1000\n";
        assert_eq!(
            parse_user(s),
            Some(User {
                uid: 1000,
                gids: vec![4, 24, 27, 1000]
            })
        );
        assert_eq!(
            parse_user("uid=1000\ngid=1000\ngroups=44,110\n"),
            Some(User {
                uid: 1000,
                gids: vec![44, 110, 1000]
            })
        );
        assert_eq!(parse_user("nothing\n\n"), None);
        assert_eq!(parse_user("\nuid=0\n").map(|u| u.uid), Some(0));
    }
}
