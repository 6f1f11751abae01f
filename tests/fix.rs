//! `fix`: every solution for the demo and the scenario roots, written into temporary
//! directories, checked with `bash -n` and `shellcheck -x`, dry-run, and (for `env`) applied
//! twice with a fake HOME, rolled back, and refused when the plan is stale.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use rocm_doctor::fix::{self, apply};
use rocm_doctor::model::Solution;
use rocm_doctor::probe::{self, ScanInputs};
use rocm_doctor::root::Root;
use rocm_doctor::snapshot::Snapshot;

const ROOTS: [&str; 4] = ["rx6700xt-override", "rx7900xtx", "mi210-pair", "no-driver"];
/// The hostile output directory name of the quoting test (nested: it contains slashes).
const HOSTILE: &str = r#"out dir 'q' "dq" $(touch /tmp/pwned)"#;

fn machine(name: &str) -> Snapshot {
    if name == "demo" {
        return rocm_doctor::demo::snapshot();
    }
    let root = Root::new(common::repo().join("tests/fixtures/roots").join(name));
    probe::take(&root, &ScanInputs { rocminfo: None })
}

fn shellcheck() -> Option<PathBuf> {
    let ok = Command::new("shellcheck")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    common::have(ok, "shellcheck").then(|| PathBuf::from("shellcheck"))
}

fn scripts(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sh"))
        .collect();
    v.sort();
    v
}

/// `bash -n`, the header rules, and shellcheck (when present) on every script in `dir`.
fn lint(dir: &Path, sc: Option<&Path>) {
    for s in scripts(dir) {
        let text = std::fs::read_to_string(&s).unwrap();
        assert!(text.starts_with("#!/usr/bin/env bash\n"), "{}", s.display());
        assert!(text.contains("set -euo pipefail"), "{}", s.display());
        let out = Command::new("bash").arg("-n").arg(&s).output().unwrap();
        assert!(
            out.status.success(),
            "bash -n {}: {}",
            s.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        if let Some(sc) = sc {
            let out = Command::new(sc)
                .arg("-x")
                .arg(&s)
                .current_dir(dir)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "shellcheck {}:\n{}",
                s.display(),
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
}

/// A bin directory with fake `python3.8` … `python3.14` that only answer the version probe.
fn fake_pythons(at: &Path) -> PathBuf {
    let bin = at.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for minor in 8..=14 {
        let p = bin.join(format!("python3.{minor}"));
        std::fs::write(
            &p,
            format!("#!/usr/bin/env bash\n[[ \"$1\" == -c ]] && echo 3.{minor}\n"),
        )
        .unwrap();
        make_executable(&p);
    }
    bin
}

fn make_executable(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Runs `bash SCRIPT ARGS` in its directory with a fake HOME and the fake pythons first on PATH.
fn bash(script: &Path, args: &[&str], home: &Path, bin: &Path) -> (i32, String) {
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg(script)
        .args(args)
        .current_dir(script.parent().unwrap())
        .env("HOME", home)
        .env("PATH", path)
        .env_remove("ROCM_DOCTOR_BACKUP")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn every_solution_for_every_scenario_lints_and_dry_runs() {
    let sc = shellcheck();
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let bin = fake_pythons(tmp.path());
    for name in std::iter::once("demo").chain(ROOTS) {
        let snap = machine(name);
        for sol in Solution::ALL.into_iter().filter(|s| s.has_fix()) {
            let dir = tmp.path().join(name).join(sol.as_str());
            let g =
                fix::generate(sol, &snap, &dir).unwrap_or_else(|e| panic!("{name} {sol}: {e:#}"));
            assert!(dir.join("README.md").is_file() && dir.join(fix::PLAN_FILE).is_file());
            assert!(g.applicable || g.steps.is_empty(), "{name} {sol}");
            lint(&dir, sc.as_deref());
            for s in scripts(&dir).iter().filter(|s| {
                g.steps.iter().any(|st| s.ends_with(&st.script)) || s.ends_with("rollback.sh")
            }) {
                let (code, out) = bash(s, &[], &home, &bin);
                assert_eq!(code, 0, "dry run of {name}/{sol}/{}: {out}", s.display());
            }
        }
    }
    assert_eq!(
        std::fs::read_dir(&home).unwrap().count(),
        0,
        "a dry run wrote into HOME"
    );
}

#[test]
fn a_hostile_directory_name_is_only_ever_data() {
    let pwned = Path::new("/tmp/pwned");
    let before = std::fs::metadata(pwned).and_then(|m| m.modified()).ok();
    let sc = shellcheck();
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let bin = fake_pythons(tmp.path());
    let base = tmp.path().join(HOSTILE);
    for name in ["demo", "rx6700xt-override"] {
        let snap = machine(name);
        for sol in Solution::ALL.into_iter().filter(|s| s.has_fix()) {
            let dir = base.join(name).join(sol.as_str());
            let opts = fix::Options {
                project: Some(base.join("project $(touch /tmp/pwned)")),
            };
            fix::generate_with(sol, &snap, &dir, &opts).unwrap();
            lint(&dir, sc.as_deref());
        }
        for (sol, script, args) in [
            ("env", "install-env.sh", &[][..]),
            ("env", "install-env.sh", &["--check"][..]),
            ("env", "rollback.sh", &[][..]),
            ("venv", "setup-venv.sh", &[][..]),
            ("venv", "setup-venv.sh", &["--check"][..]),
            ("venv", "env.sh", &["true"][..]),
            ("container", "run.sh", &["--print", "true"][..]),
        ] {
            let p = base.join(name).join(sol).join(script);
            if p.exists() {
                let (code, out) = bash(&p, args, &home, &bin);
                assert!(
                    code == 0 || code == 3,
                    "{name}/{sol}/{script} {args:?}: {out}"
                );
            }
        }
    }
    let after = std::fs::metadata(pwned).and_then(|m| m.modified()).ok();
    assert!(
        after.is_none() || after == before,
        "a script ran the command in the directory name"
    );
    // The container's project path reaches run.sh as one literal argument.
    let run = base.join("rx6700xt-override/container/run.sh");
    let (code, out) = bash(&run, &["--print", "true"], &home, &bin);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("project\\ \\$\\(touch\\ /tmp/pwned\\):/workspace"),
        "{out}"
    );
}

#[test]
fn overrides_are_emitted_only_where_the_knowledge_base_says_works() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = fake_pythons(tmp.path());
    let run_print = |name: &str| {
        let dir = tmp.path().join(name);
        let g = fix::generate(Solution::Container, &machine(name), &dir).unwrap();
        assert!(g.applicable, "{name}");
        let text = std::fs::read_to_string(dir.join("run.sh")).unwrap();
        let (code, out) = bash(&dir.join("run.sh"), &["--print", "true"], tmp.path(), &bin);
        assert_eq!(code, 0, "{out}");
        (text, out)
    };
    // gfx1010 (demo): 10.3.0 is rated unsafe on RDNA1, so the container must not set it.
    let (text, out) = run_print("demo");
    assert!(
        !text.contains("HSA_OVERRIDE_GFX_VERSION=10.3.0") && !out.contains("HSA_OVERRIDE"),
        "{out}"
    );
    assert!(
        out.contains("--device=/dev/kfd") && out.contains("--ipc=host"),
        "{out}"
    );
    // gfx1031 (RX 6700 XT): 10.3.0 is rated works and the image has gfx1030 code.
    let (text, out) = run_print("rx6700xt-override");
    assert!(
        text.contains("HSA_OVERRIDE_GFX_VERSION=10.3.0")
            && out.contains("HSA_OVERRIDE_GFX_VERSION=10.3.0"),
        "{out}"
    );
    // gfx1100 is native in the image: no override.
    let (_, out) = run_print("rx7900xtx");
    assert!(!out.contains("HSA_OVERRIDE"), "{out}");
    // The env solution clears the override on the demo and sets it on the RX 6700 XT.
    let demo = tmp.path().join("demo-env");
    fix::generate(Solution::Env, &machine("demo"), &demo).unwrap();
    let env = std::fs::read_to_string(demo.join("rocm-doctor.env")).unwrap();
    assert!(!env.contains("HSA_OVERRIDE_GFX_VERSION="), "{env}");
    assert!(std::fs::read_to_string(demo.join("install-env.sh"))
        .unwrap()
        .contains("unset HSA_OVERRIDE_GFX_VERSION"));
    assert!(
        demo.join("fix-etc-environment.sh").is_file(),
        "the demo's /etc/environment sets 10.3.0"
    );
    let rx = tmp.path().join("rx-env");
    fix::generate(Solution::Env, &machine("rx6700xt-override"), &rx).unwrap();
    assert!(std::fs::read_to_string(rx.join("rocm-doctor.env"))
        .unwrap()
        .contains("HSA_OVERRIDE_GFX_VERSION=10.3.0\n"));
    // No current wheel carries gfx1010; the one stack reported working on it (torch
    // 1.13.1+rocm5.2 with 10.3.0) gets its override scoped to the venv's env.sh, nowhere else.
    let v = tmp.path().join("demo-venv");
    let g = fix::generate(Solution::Venv, &machine("demo"), &v).unwrap();
    assert!(g.applicable);
    let setup = std::fs::read_to_string(v.join("setup-venv.sh")).unwrap();
    assert!(
        setup.contains("1.13.1+rocm5.2") && setup.contains("PY_VERSION='3.10'"),
        "{setup}"
    );
    let env_sh = std::fs::read_to_string(v.join("env.sh")).unwrap();
    assert!(
        env_sh.contains("export HSA_OVERRIDE_GFX_VERSION='10.3.0'"),
        "{env_sh}"
    );
    assert!(g.steps.iter().all(|s| !s.root) && !v.join("install-env.sh").exists());
}

fn env_opts(home: &Path) -> apply::ApplyOptions {
    apply::ApplyOptions {
        yes: false,
        interactive: false,
        env: vec![("HOME".into(), home.display().to_string())],
        echo: None,
    }
}

fn never(_: &fix::Step) -> bool {
    panic!("no step here should ask for confirmation")
}

#[test]
fn env_apply_is_idempotent_backs_up_and_rolls_back() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home dir");
    std::fs::create_dir_all(&home).unwrap();
    let profile = home.join(".profile");
    std::fs::write(&profile, "# mine\nexport EDITOR=vi\n").unwrap();
    let dir = tmp.path().join("fix env");
    let snap = machine("rx6700xt-override");
    let g = fix::generate(Solution::Env, &snap, &dir).unwrap();
    assert_eq!(g.steps.len(), 1, "{:?}", g.steps);
    let dir = g.dir;

    let first = apply::apply(&dir, &snap, &env_opts(&home), &mut never).unwrap();
    assert!(first.changed() && first.ran.len() == 1, "{first:?}");
    let applied = std::fs::read_to_string(&profile).unwrap();
    assert!(
        applied.starts_with("# mine\nexport EDITOR=vi\n# >>> rocm-doctor env >>>\n"),
        "{applied}"
    );
    assert!(
        applied.contains("rocm-doctor.env") && !applied.contains("unset HSA_OVERRIDE"),
        "{applied}"
    );
    let backup = first.backup.clone().expect("the profile was backed up");
    let saved = backup.join(profile.strip_prefix("/").unwrap());
    assert_eq!(
        std::fs::read_to_string(&saved).unwrap(),
        "# mine\nexport EDITOR=vi\n"
    );
    let manifest = std::fs::read_to_string(backup.join("manifest.tsv")).unwrap();
    assert_eq!(manifest, format!("replaced\t{}\n", profile.display()));

    let second = apply::apply(&dir, &snap, &env_opts(&home), &mut never).unwrap();
    assert!(
        !second.changed() && second.already_done.len() == 1 && second.backup.is_none(),
        "{second:?}"
    );
    assert_eq!(std::fs::read_to_string(&profile).unwrap(), applied);
    let log = std::fs::read_to_string(dir.join("apply.log")).unwrap();
    assert!(
        log.contains("already done") && log.matches("== ").count() == 2,
        "{log}"
    );

    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let (code, out) = bash(&dir.join("rollback.sh"), &["--apply"], &home, &bin);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        std::fs::read_to_string(&profile).unwrap(),
        "# mine\nexport EDITOR=vi\n"
    );
    let aside = backup
        .join("rolled-back")
        .join(profile.strip_prefix("/").unwrap());
    assert_eq!(
        std::fs::read_to_string(aside).unwrap(),
        applied,
        "the applied version is kept"
    );
    let (code, out) = bash(&dir.join("rollback.sh"), &["--apply"], &home, &bin);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        std::fs::read_to_string(&profile).unwrap(),
        "# mine\nexport EDITOR=vi\n"
    );
}

#[test]
fn a_stale_plan_and_unconfirmed_root_steps_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let dir = fix::generate(
        Solution::Env,
        &machine("rx6700xt-override"),
        &tmp.path().join("env"),
    )
    .unwrap()
    .dir;
    let err = apply::apply(&dir, &machine("rx7900xtx"), &env_opts(&home), &mut never).unwrap_err();
    assert!(format!("{err:#}").contains("stale"), "{err:#}");
    assert_eq!(std::fs::read_dir(&home).unwrap().count(), 0, "nothing ran");
    assert!(std::fs::read_to_string(dir.join("apply.log"))
        .unwrap()
        .contains("refused: the plan is stale"));

    // Another solution may not be written over this one.
    assert!(fix::generate(Solution::Venv, &machine("rx6700xt-override"), &dir).is_err());

    // packages has root steps: without a terminal and without --yes, nothing runs.
    let snap = machine("no-driver");
    let dir = fix::generate(Solution::Packages, &snap, &tmp.path().join("pkg"))
        .unwrap()
        .dir;
    match apply::apply(&dir, &snap, &env_opts(&home), &mut never) {
        Err(e) => assert!(format!("{e:#}").contains("needs root"), "{e:#}"),
        Ok(r) => assert!(!r.changed(), "root steps ran without confirmation: {r:?}"),
    }
}

#[test]
fn a_step_that_hangs_is_killed_at_its_timeout() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let snap = machine("rx6700xt-override");
    let dir = fix::generate(Solution::Env, &snap, &tmp.path().join("env"))
        .unwrap()
        .dir;
    // The step's --check says "not done" and its --apply never ends.
    std::fs::write(
        dir.join("install-env.sh"),
        "#!/usr/bin/env bash\nif [[ \"$1\" == --check ]]; then exit 3; fi\nexec sleep 600\n",
    )
    .unwrap();
    let plan_path = dir.join(fix::PLAN_FILE);
    let mut plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan_path).unwrap()).unwrap();
    for s in plan["steps"].as_array_mut().unwrap() {
        s["timeout_secs"] = 1.into();
    }
    std::fs::write(&plan_path, plan.to_string()).unwrap();
    let t0 = std::time::Instant::now();
    let err = apply::apply(&dir, &snap, &env_opts(&home), &mut never).unwrap_err();
    assert!(
        t0.elapsed() < std::time::Duration::from_secs(30),
        "{:?}",
        t0.elapsed()
    );
    assert!(
        format!("{err:#}").contains("did not finish within 1 s"),
        "{err:#}"
    );
}
