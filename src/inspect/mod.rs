//! `inspect`: what GPU code and bitcode files hold.
//!
//! [`walk`] lists the files, [`input`] opens them (sniff first, then map), [`analyze`] parses
//! the bytes with `rocm-formats`, and the result is plain data ([`model`]) for `report`.

pub mod analyze;
pub mod input;
pub mod model;
pub mod readers;
pub mod walk;

use std::path::PathBuf;

use rayon::prelude::*;

pub use analyze::AnalyzeOptions;
pub use model::{targets_of, FileReport, InspectResult, Kind};

use walk::Found;

/// Options of an inspect run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Parse the code objects inside bundles.
    pub deep: bool,
    /// List files of unknown kind met in directory walks.
    pub include_unknown: bool,
    /// Worker threads (default: rayon's, one per core).
    pub threads: Option<usize>,
    /// Limits handed to the parsers.
    pub limits: rocm_formats::bundle::Limits,
    /// LLVM reader majors to judge bitcode against (empty: none).
    pub readers: Vec<u32>,
}

/// Progress of a run: told the number of files once the walk is done, then each file done.
/// Renderers implement it (a progress bar); this module never prints.
pub trait Progress: Sync {
    /// The walk found `files` files to inspect.
    fn start(&self, files: usize);
    /// One more file is done.
    fn tick(&self);
}

/// No progress reporting.
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _: usize) {}
    fn tick(&self) {}
}

/// Inspects files and directories. Never fails as a whole: each file's problem is recorded in
/// its own report.
pub fn inspect_paths(paths: &[PathBuf], opts: &Options, progress: &dyn Progress) -> InspectResult {
    let mut result = InspectResult::default();
    let mut jobs = Vec::new();
    for found in walk::walk(paths) {
        match found {
            Found::File { path, explicit } => jobs.push((path, explicit)),
            Found::Error { path, message } => {
                let mut r = FileReport::new(path, 0, Kind::Unknown);
                r.error = Some(message);
                result.files.push(r);
            }
            Found::Missing(p) => result.missing.push(p),
            Found::Duplicate => result.skipped_duplicates += 1,
        }
    }

    let analyze_opts = AnalyzeOptions {
        deep: opts.deep,
        limits: opts.limits,
        readers: opts.readers.clone(),
    };
    progress.start(jobs.len());
    let work = || -> Vec<Option<FileReport>> {
        jobs.par_iter()
            .map(|(path, explicit)| {
                let keep = *explicit || opts.include_unknown;
                let r = inspect_file(path.clone(), &analyze_opts, *explicit, keep);
                progress.tick();
                r
            })
            .collect()
    };
    let reports = match opts.threads {
        Some(n) => match rayon::ThreadPoolBuilder::new().num_threads(n).build() {
            Ok(pool) => pool.install(work),
            Err(_) => work(),
        },
        None => work(),
    };
    for r in reports {
        match r {
            Some(r) => result.files.push(r),
            None => result.skipped_unknown += 1,
        }
    }
    result.files.sort_by(|a, b| a.path.cmp(&b.path));
    result
}

/// Inspects one file. Returns `None` for a file of unknown kind when `keep_unknown` is false.
///
/// `explicit` marks a file named on the command line.
pub fn inspect_file(
    path: PathBuf,
    opts: &AnalyzeOptions,
    explicit: bool,
    keep_unknown: bool,
) -> Option<FileReport> {
    let opened = match input::open(&path) {
        Ok(o) => o,
        Err(e) => {
            let mut r = FileReport::new(path, 0, Kind::Unknown);
            r.error = Some(e.to_string());
            r.explicit = explicit;
            return Some(r);
        }
    };
    let mut report = FileReport::new(path, opened.size, Kind::Unknown);
    report.explicit = explicit;
    if analyze::kind_of_head(&opened.head).is_none() {
        return keep_unknown.then_some(report);
    }
    match opened.contents() {
        Ok(data) => analyze::analyze(&data, &mut report, opts),
        Err(e) => report.error = Some(e.to_string()),
    }
    Some(report)
}
