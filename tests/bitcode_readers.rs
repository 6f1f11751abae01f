//! The bitcode compatibility oracle against the real readers: for every bitcode file we have
//! (fixtures/bitcode/**, the feature-scan test data, and Debian's 51 device libraries) and
//! every LLVM reader installed from Debian (13, 14, 15, 16, 19, 22), our prediction must agree
//! with what `llvm-dis-N` does: loads or not, and when not, the message class it prints.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

const READERS: [u32; 6] = [13, 14, 15, 16, 19, 22];
/// Readers whose every verdict must be definite. LLVM 13's opaque-pointer support was
/// partial and depends on value uses the scan does not follow: there, "unknown" is allowed.
const DEFINITE: [u32; 5] = [14, 15, 16, 19, 22];

/// What `llvm-dis-N` does with `file`: Ok(()) when it loads, Err(message class) otherwise.
fn real(dis: &Path, file: &Path) -> Result<(), String> {
    let out = std::process::Command::new(dis)
        .arg("-o")
        .arg("/dev/null")
        .arg(file)
        .output()
        .unwrap();
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    // A reader that aborts says "LLVM ERROR: ..." and no "error: " line.
    if let Some(l) = stderr.lines().find_map(|l| l.strip_prefix("LLVM ERROR: ")) {
        return Err(format!("crash: {}", l.trim()));
    }
    let line = stderr
        .lines()
        .find(|l| l.contains("error: "))
        .unwrap_or_default();
    let msg = line.split_once("error: ").map_or(line, |(_, m)| m);
    Err(msg
        .split(" (Producer:")
        .next()
        .unwrap_or(msg)
        .trim()
        .to_owned())
}

fn bitcode_files() -> Vec<PathBuf> {
    let mut roots = vec![
        common::repo().join("fixtures/bitcode"),
        common::repo().join("crates/formats/tests/data"),
    ];
    let libs =
        common::corpus().join("debian/rocm-device-libs/usr/lib/x86_64-linux-gnu/amdgcn/bitcode");
    if common::have(libs.exists(), "Debian rocm-device-libs") {
        roots.push(libs);
    }
    let mut files: Vec<PathBuf> = roots
        .iter()
        .flat_map(|r| walkdir::WalkDir::new(r).into_iter().flatten())
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "bc"))
        .collect();
    files.sort();
    files
}

#[test]
fn predictions_agree_with_every_installed_reader() {
    let readers: Vec<(u32, PathBuf)> = READERS
        .iter()
        .filter_map(|&n| common::tool(&format!("llvm-dis-{n}")).map(|p| (n, p)))
        .collect();
    if readers.len() < 2 {
        return;
    }
    let files = bitcode_files();
    assert!(
        files.len() >= 150,
        "expected the compat corpus, found {} files",
        files.len()
    );
    let majors: Vec<String> = readers.iter().map(|(n, _)| n.to_string()).collect();
    let mut args = vec![
        "inspect".to_owned(),
        "--json".to_owned(),
        "--readers".to_owned(),
        majors.join(","),
    ];
    args.extend(files.iter().map(|p| p.display().to_string()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rocm-doctor"))
        .args(&args)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reports = doc["files"].as_array().unwrap();
    assert_eq!(reports.len(), files.len());

    let pairs: Vec<(usize, usize)> = (0..files.len())
        .flat_map(|f| (0..readers.len()).map(move |r| (f, r)))
        .collect();
    let next = Mutex::new(0usize);
    let disagreements = Mutex::new(Vec::new());
    let unknowns = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let i = {
                    let mut n = next.lock().unwrap();
                    *n += 1;
                    *n - 1
                };
                let Some(&(f, r)) = pairs.get(i) else { break };
                let (major, dis) = &readers[r];
                let verdict = &reports[f]["bitcode"]["readers"][r];
                assert_eq!(verdict["llvm"], *major);
                let truth = real(dis, &files[f]);
                let ours_loads = verdict["loads"].as_bool();
                if ours_loads.is_none() && !DEFINITE.contains(major) {
                    unknowns
                        .lock()
                        .unwrap()
                        .push(format!("{} × {major}", files[f].display()));
                    continue;
                }
                let agree = match &truth {
                    Ok(()) => ours_loads == Some(true),
                    Err(msg) => {
                        ours_loads == Some(false)
                            && verdict["message"].as_str() == Some(msg.as_str())
                    }
                };
                if !agree {
                    disagreements.lock().unwrap().push(format!(
                        "{} × LLVM {major}: real {:?}, predicted loads={} message={} feature={}",
                        files[f]
                            .strip_prefix(common::repo())
                            .unwrap_or(&files[f])
                            .display(),
                        truth,
                        verdict["loads"],
                        verdict["message"],
                        verdict["feature"]
                    ));
                }
            });
        }
    });
    let d = disagreements.into_inner().unwrap();
    let u = unknowns.into_inner().unwrap();
    eprintln!(
        "{} files × {} readers = {} pairs: {} agree, {} unknown (LLVM 13 only), {} disagree",
        files.len(),
        readers.len(),
        pairs.len(),
        pairs.len() - d.len() - u.len(),
        u.len(),
        d.len()
    );
    assert!(u.len() * 20 < pairs.len(), "too many unknowns: {u:?}");
    assert!(
        d.is_empty(),
        "{} of {} pairs disagree:\n{}",
        d.len(),
        pairs.len(),
        d.join("\n")
    );
}
