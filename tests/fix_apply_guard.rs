//! `fix --apply` acts only on the machine it reads live: with `--demo`, `--root` or
//! `--snapshot` it exits 2 before touching anything (a temporary HOME proves the login profile
//! stays as it was), and a directory written for another machine is refused on this one. The
//! commands a generated README tells the user to run work as written, in their dry-run form.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn doctor_in(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rocm-doctor"))
        .args(args)
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .env_remove("SUDO_USER")
        .output()
        .expect("run rocm-doctor")
}

/// Every file under `dir` with its bytes, to prove nothing changed.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().display().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn apply_refuses_every_machine_it_did_not_read_live() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join(".profile"), "# the user's own profile\n").unwrap();
    let scenario = common::repo().join("tests/fixtures/roots/rx6700xt-override");
    let snap = tmp.path().join("snap.json");
    let scan = common::doctor(&["scan", "--json", "--root", scenario.to_str().unwrap()]);
    std::fs::write(&snap, &scan.stdout).unwrap();
    let before = tree(&home);
    let sources: [Vec<&str>; 3] = [
        vec!["--demo"],
        vec!["--root", scenario.to_str().unwrap()],
        vec!["--snapshot", snap.to_str().unwrap()],
    ];
    for solution in ["env", "native-build", "venv", "packages"] {
        for src in &sources {
            let out_dir = tmp.path().join(format!("out-{solution}"));
            let mut args = vec!["fix", solution, "--out", out_dir.to_str().unwrap()];
            args.extend(src.iter().copied());
            args.extend(["--apply", "--yes"]);
            let out = doctor_in(&home, &args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(
                err.contains("only acts on a machine read live")
                    && err.contains("Nothing was changed"),
                "{err}"
            );
            assert!(!out_dir.exists(), "{args:?} wrote {}", out_dir.display());
            assert_eq!(tree(&home), before, "{args:?} changed HOME");
        }
    }
}

#[test]
fn a_directory_written_for_another_machine_is_refused_here() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let out_dir = tmp.path().join("out");
    let dir = out_dir.to_str().unwrap();
    let wrote = doctor_in(&home, &["fix", "env", "--out", dir, "--demo"]);
    assert_eq!(
        wrote.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&wrote.stderr)
    );
    let files = tree(&out_dir);
    // This machine (the build machine) is not the demo: applying the demo's files here fails.
    let out = doctor_in(&home, &["fix", "env", "--out", dir, "--apply", "--yes"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not for this machine"), "{err}");
    assert_eq!(
        tree(&out_dir),
        files,
        "the refused apply changed the directory"
    );
    assert!(!home.join(".profile").exists());
}

#[test]
fn readme_commands_work_as_written() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    for solution in ["env", "native-build", "venv", "container", "cpu-fallback"] {
        let out_dir = tmp.path().join(format!("d-{solution}"));
        let dir = out_dir.to_str().unwrap();
        let wrote = doctor_in(&home, &["fix", solution, "--out", dir, "--demo"]);
        assert!(wrote.status.code().unwrap_or(2) < 2);
        let readme = std::fs::read_to_string(out_dir.join("README.md")).unwrap();
        let commands: Vec<&str> = readme
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("rocm-doctor "))
            .collect();
        for cmd in commands {
            // The demo's README may only tell the user to --apply on the machine itself.
            let words = shell_words(cmd);
            if words.iter().any(|w| w == "--apply") {
                assert!(
                    readme.contains("not read live"),
                    "{solution}: an --apply command for a replayed machine: {cmd}"
                );
                continue;
            }
            let args: Vec<&str> = words.iter().skip(1).map(String::as_str).collect();
            let out = doctor_in(&home, &args);
            // On the build machine a solution may not fit (exit 1); it must not fail (2).
            assert!(
                out.status.code().is_some_and(|c| c < 2),
                "{solution}: `{cmd}` failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// Splits a command line the way a POSIX shell does for plain and single-quoted words.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for ch in line.chars() {
        match ch {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    words.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        words.push(cur);
    }
    words
}
