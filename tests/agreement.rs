//! `check`, `plan`, `fix` and `explain` agree, on the demo and on every scenario root:
//! every `rocm-doctor fix S` that `check` suggests is a solution the plan offers; `fix` writes a
//! directory that fits exactly when the plan offers the candidate, with the wheel, image,
//! Python, venv directory, override and visible-devices setting the plan shows; and
//! `explain --demo` names the runtime target `check --demo` names.

mod common;

use std::path::Path;

use rocm_doctor::fix;
use rocm_doctor::model::Solution;
use rocm_doctor::plan::{self, Candidate};
use rocm_doctor::snapshot::Snapshot;

const ROOTS: &[&str] = &[
    "apu-dgpu",
    "kfd-no-permission",
    "mi210-pair",
    "no-driver",
    "rx5600xt-rocm702",
    "rx6700xt-override",
    "rx7900xtx",
    "two-rocms",
];

/// Every machine: the demo and each scenario root, with the flags that name it.
fn machines() -> Vec<(String, Vec<String>, Snapshot)> {
    let mut v = vec![(
        "demo".to_owned(),
        vec!["--demo".to_owned()],
        rocm_doctor::demo::snapshot(),
    )];
    for r in ROOTS {
        let dir = common::repo().join("tests/fixtures/roots").join(r);
        let root = rocm_doctor::root::Root::new(&dir);
        let snap = rocm_doctor::probe::take(&root, &Default::default());
        v.push((
            (*r).to_owned(),
            vec!["--root".to_owned(), dir.display().to_string()],
            snap,
        ));
    }
    v
}

fn run(args: &[String]) -> String {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = common::doctor(&a);
    assert!(
        out.status.code().is_some_and(|c| c < 2),
        "{a:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The solutions named as `rocm-doctor fix NAME` in `text`.
fn suggested(text: &str) -> Vec<Solution> {
    text.split("rocm-doctor fix ")
        .skip(1)
        .filter_map(|rest| {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                .collect();
            Solution::parse(&name)
        })
        .collect()
}

#[test]
fn every_fix_check_suggests_is_offered_by_the_plan() {
    for (name, flags, snap) in machines() {
        let a = plan::assess(&snap, Vec::new());
        let mut check_args = vec!["check".to_owned()];
        check_args.extend(flags.iter().cloned());
        let text = run(&check_args);
        check_args.push("--json".into());
        let json = run(&check_args);
        for s in suggested(&text).into_iter().chain(suggested(&json)) {
            assert!(
                a.plan.offers(s),
                "{name}: check suggests `fix {s}`, which the plan does not offer"
            );
        }
        for r in a.findings.iter().flat_map(|f| &f.remedies) {
            if let Some(s) = r.fix {
                assert!(a.plan.offers(s), "{name}: remedy {:?} names {s}", r.title);
                // A remedy linked to a fix names only the ROCm wheel that fix installs.
                let c = a.plan.candidate(s).unwrap();
                let ours = format!(
                    "{} {}",
                    c.setup.torch.as_deref().unwrap_or(""),
                    c.setup.index_url.as_deref().unwrap_or("")
                );
                let text = format!(
                    "{} {} {}",
                    r.title,
                    r.detail,
                    r.command.as_deref().unwrap_or("")
                );
                for (i, _) in text.match_indices("rocm") {
                    let v: String = text[i + 4..]
                        .chars()
                        .take_while(|c| c.is_ascii_digit() || *c == '.')
                        .collect();
                    let v = v.trim_end_matches('.');
                    if v.contains('.') {
                        assert!(
                            ours.contains(&format!("rocm{v}")),
                            "{name}: remedy {:?} (fix {s}) names rocm{v}; the plan installs {ours}",
                            r.title
                        );
                    }
                }
            }
        }
        // The plan the binary prints is the one the library makes.
        let mut plan_args = vec!["plan".to_owned(), "--json".to_owned()];
        plan_args.extend(flags.iter().cloned());
        let doc: serde_json::Value = serde_json::from_str(&run(&plan_args)).unwrap();
        let rec = doc["recommended"].as_str().map(str::to_owned);
        assert_eq!(rec, a.plan.recommended.map(|s| s.to_string()), "{name}");
    }
}

/// The files `fix` wrote for `c` carry every concrete value of its setup.
fn assert_renders(name: &str, c: &Candidate, dir: &Path) {
    let all: String = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect();
    let st = &c.setup;
    let s = c.solution;
    for want in [
        &st.torch,
        &st.python,
        &st.index_url,
        &st.image,
        &st.venv_dir,
    ]
    .into_iter()
    .flatten()
    .chain(&st.pip)
    {
        assert!(
            all.contains(want.as_str()),
            "{name} {s}: the files lack {want:?}"
        );
    }
    if let Some(r) = &st.rocm_release {
        let repo = r.strip_suffix(".0").unwrap_or(r);
        assert!(all.contains(repo), "{name} {s}: the files lack ROCm {r}");
    }
    match &st.override_value {
        Some(v) => assert!(
            all.contains(&format!("HSA_OVERRIDE_GFX_VERSION={v}")),
            "{name} {s}: the override {v} is not set"
        ),
        None if matches!(s, Solution::Venv | Solution::NativeBuild) => assert!(
            all.contains("unset HSA_OVERRIDE_GFX_VERSION"),
            "{name} {s}: an override is not cleared"
        ),
        None => {}
    }
    if let Some(d) = &st.visible_devices {
        assert!(
            all.contains(&format!("ROCR_VISIBLE_DEVICES={d}"))
                || all.contains(&format!("ROCR_VISIBLE_DEVICES='{d}'")),
            "{name} {s}: ROCR_VISIBLE_DEVICES={d} is not set"
        );
    }
    // The plan's steps name the same venv directory and wheel the scripts use.
    let steps = c.steps.join("\n");
    if let Some(v) = &st.venv_dir {
        assert!(
            steps.contains(&format!("/{v}")),
            "{name} {s}: steps lack {v}: {steps}"
        );
    }
    if let Some(t) = &st.torch {
        assert!(steps.contains(t.as_str()), "{name} {s}: steps lack {t}");
    }
}

#[test]
fn fix_renders_exactly_what_the_plan_decided() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, _, snap) in machines() {
        let a = plan::assess(&snap, Vec::new());
        for s in Solution::ALL.into_iter().filter(|s| s.has_fix()) {
            let dir = tmp.path().join(&name).join(s.as_str());
            let g = fix::render(&a.plan, s, &snap, &dir, &Default::default()).unwrap();
            assert_eq!(g.applicable, a.plan.offers(s), "{name} {s}");
            if let Some(c) = a.plan.candidates.iter().find(|c| c.solution == s) {
                if c.is_offered() {
                    assert_eq!(c.setup.gfx, a.plan.gpu.clone().unwrap(), "{name} {s}");
                    assert_renders(&name, c, &dir);
                }
            }
            // fix by itself (the CLI's path) decides nothing else.
            let again = tmp.path().join(&name).join(format!("{s}-again"));
            let g2 = fix::generate(s, &snap, &again).unwrap();
            assert_eq!(g2.applicable, g.applicable, "{name} {s}");
            assert_eq!(g2.steps, g.steps, "{name} {s}");
        }
    }
}

#[test]
fn the_igpu_machine_plans_and_writes_visible_devices() {
    let (_, _, snap) = machines()
        .into_iter()
        .find(|(n, _, _)| n == "apu-dgpu")
        .unwrap();
    let a = plan::assess(&snap, Vec::new());
    assert!(a.findings.iter().any(|f| f.code == "igpu-beside-dgpu"));
    let claims: Vec<&Candidate> = a
        .plan
        .candidates
        .iter()
        .filter(|c| c.is_offered() && c.fixes.iter().any(|f| f == "igpu-beside-dgpu"))
        .collect();
    assert!(!claims.is_empty(), "no candidate addresses the iGPU");
    for c in claims {
        assert!(
            c.setup.visible_devices.is_some(),
            "{} claims to fix igpu-beside-dgpu without ROCR_VISIBLE_DEVICES",
            c.solution
        );
    }
}

#[test]
fn explain_with_the_demo_names_the_runtime_target_check_names() {
    let check = run(&["check".into(), "--demo".into()]);
    assert!(check.contains("runtime reports gfx1030"), "{check}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rocm-doctor"))
        .args(["explain", "--demo", "-"])
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(
                b"hipErrorNoBinaryForGpu: Unable to find code object for all current devices!\n",
            )?;
            c.wait_with_output()
        })
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("the runtime reports: gfx1010") && !text.contains("runtime reports gfx1010"),
        "{text}"
    );
    assert!(
        text.contains("gfx1030"),
        "explain --demo does not name the runtime's gfx1030: {text}"
    );
}
