//! Expanding the paths given on the command line into the list of files to inspect.
//!
//! Symlinks are followed, but walkdir detects loops (reported as errors, the walk goes on),
//! and a file reached twice (through links) is inspected once.

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// One thing found by the walk.
pub enum Found {
    /// A regular file; `explicit` when it was named on the command line.
    File {
        /// Its path.
        path: PathBuf,
        /// Named on the command line (always reported, whatever its kind).
        explicit: bool,
    },
    /// A path that could not be walked (permission denied, symlink loop).
    Error {
        /// The path.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A path named on the command line that does not exist.
    Missing(PathBuf),
    /// A file already found through another path.
    Duplicate,
}

/// Walks `paths` in order; directories recursively, entries sorted by name.
pub fn walk(paths: &[PathBuf]) -> Vec<Found> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for root in paths {
        match std::fs::metadata(root) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                out.push(Found::Missing(root.clone()));
            }
            Err(e) => out.push(Found::Error {
                path: root.clone(),
                message: e.to_string(),
            }),
            Ok(meta) if meta.is_file() => {
                if seen.insert((meta.dev(), meta.ino())) {
                    out.push(Found::File {
                        path: root.clone(),
                        explicit: true,
                    });
                } else {
                    out.push(Found::Duplicate);
                }
            }
            Ok(_) => walk_dir(root, &mut seen, &mut out),
        }
    }
    out
}

fn walk_dir(root: &Path, seen: &mut HashSet<(u64, u64)>, out: &mut Vec<Found>) {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name();
    for entry in walker {
        match entry {
            Err(e) => {
                let path = e.path().unwrap_or(root).to_path_buf();
                let message = match e.loop_ancestor() {
                    Some(a) => format!("symlink loop back to {}", a.display()),
                    None => e
                        .io_error()
                        .map_or_else(|| e.to_string(), |io| io.to_string()),
                };
                out.push(Found::Error { path, message });
            }
            Ok(entry) if entry.file_type().is_file() => {
                let key = entry.metadata().ok().map(|m| (m.dev(), m.ino()));
                if key.is_some_and(|k| !seen.insert(k)) {
                    out.push(Found::Duplicate);
                } else {
                    out.push(Found::File {
                        path: entry.into_path(),
                        explicit: false,
                    });
                }
            }
            Ok(_) => {} // directories, sockets, fifos, devices: never read
        }
    }
}
