//! The README.md of a generated directory: what the solution does for this machine, each
//! step in plain words, how to run and undo it, the caveats and the sources.

use super::{Ctx, Draft};

/// The README's Markdown.
pub(crate) fn render(solution: crate::model::Solution, ctx: &Ctx, d: &Draft) -> String {
    let mut s = format!("# rocm-doctor fix: {solution}\n\n");
    s.push_str(&format!(
        "Written by rocm-doctor {} for {} (machine: `{}`).\n\n",
        env!("CARGO_PKG_VERSION"),
        ctx.gpu_name,
        ctx.snapshot.root
    ));
    s.push_str(&format!("**What this does:** {}\n\n", d.summary));
    if !d.applicable {
        s.push_str(
            "**This solution does not fit this machine.** Nothing here changes anything.\n\n",
        );
    }
    for p in &d.readme {
        s.push_str(p.trim_end());
        s.push_str("\n\n");
    }
    if !d.steps.is_empty() {
        s.push_str("## Steps\n\n");
        for (n, st) in d.steps.iter().enumerate() {
            let root = if st.root {
                " (runs commands as root through sudo)"
            } else {
                ""
            };
            s.push_str(&format!("{}. `{}`: {}{root}\n", n + 1, st.script, st.title));
        }
        s.push_str(RUNNING);
        let dir = super::shell::quote(&ctx.dir.to_string_lossy());
        if ctx.snapshot.root == "/" {
            s.push_str(&format!(
                "To apply every step with a log, backups and a staleness check:\n\n    rocm-doctor fix {solution} --out {dir} --apply\n\n"
            ));
        } else {
            s.push_str(&format!(
                "These files were written for `{}`, not read live from the machine running rocm-doctor, so `--apply` refuses them. On the machine itself, write them for it and read them, then apply:\n\n    rocm-doctor fix {solution} --out {dir}\n    rocm-doctor fix {solution} --out {dir} --apply\n\n",
                ctx.snapshot.root
            ));
        }
    }
    let others: Vec<&str> = d
        .files
        .iter()
        .filter(|f| !d.steps.iter().any(|st| st.script == f.name))
        .map(|f| f.name.as_str())
        .collect();
    if !others.is_empty() {
        s.push_str("## Other files\n\n");
        for f in others {
            s.push_str(&format!("- `{f}`{}\n", describe(f)));
        }
        s.push('\n');
    }
    if d.outside {
        s.push_str(ROLLBACK);
    } else if d.applicable {
        s.push_str(
            "Nothing outside this directory is changed: deleting the directory undoes it.\n\n",
        );
    }
    if !d.caveats.is_empty() {
        s.push_str("## Caveats\n\n");
        for c in &d.caveats {
            s.push_str(&format!("- {c}\n"));
        }
        s.push('\n');
    }
    if !d.sources.is_empty() {
        s.push_str("## Sources\n\n");
        for u in &d.sources {
            s.push_str(&format!("- <{u}>\n"));
        }
        s.push('\n');
    }
    s
}

fn describe(name: &str) -> &'static str {
    match name {
        "lib.sh" => ": helpers the step scripts share (dry run, `--check`, `--apply`, backups)",
        "rollback.sh" => ": undoes what `--apply` changed outside this directory",
        "run.sh" => ": starts the container with the GPU devices and your project mounted",
        "Dockerfile" => ": the image the container runs",
        "compose.yaml" => ": the same container for `docker compose` / `podman compose`",
        "env.sh" => ": `source env.sh` (or `./env.sh COMMAND`) to use the environment",
        "rocm-doctor.env" => ": the variables, one `KEY=VALUE` a line",
        "rocm_doctor_cpu_conv.py" => ": the opt-in CPU convolution module",
        _ => "",
    }
}

const RUNNING: &str = "
Each script prints what it would do when run without arguments (nothing changes).
`--check` exits 0 when its step is done and 3 when it is not; `--apply` does the step and
does nothing when it is already done, so running it twice is safe.

";

const ROLLBACK: &str = "## Undoing it

Before a step replaces a file outside this directory, it copies the file under
`backup-<UTC time>/` here (same path inside), and `manifest.tsv` there lists it. `rollback.sh`
(a dry run without arguments, `rollback.sh --apply` to act) restores those files, moves files
the steps created into the backup, and keeps the versions it replaces under
`backup-*/rolled-back/`: nothing is deleted.

";

#[cfg(test)]
mod tests {
    use super::super::{Ctx, Draft, FileOut, Step};
    use super::*;

    fn ctx<'a>(s: &'a crate::snapshot::Snapshot, setup: &'a crate::plan::Setup) -> Ctx<'a> {
        Ctx {
            snapshot: s,
            setup,
            gfx: Some("gfx1031".into()),
            gpu_name: "RX 6700 XT (gfx1031)".into(),
            dir: "/tmp/out dir".into(),
            project: None,
        }
    }

    #[test]
    fn a_draft_with_steps_explains_running_and_undoing_them() {
        let s = crate::demo::snapshot();
        let d = Draft {
            applicable: true,
            summary: "do a thing".into(),
            files: vec![
                FileOut {
                    name: "step.sh".into(),
                    text: String::new(),
                    exec: true,
                },
                FileOut {
                    name: "rocm-doctor.env".into(),
                    text: String::new(),
                    exec: false,
                },
            ],
            steps: vec![Step {
                script: "step.sh".into(),
                title: "the step".into(),
                root: true,
                timeout_secs: super::super::STEP_TIMEOUT_SECS,
            }],
            readme: vec!["First paragraph.".into()],
            caveats: vec!["Careful.".into()],
            sources: vec!["https://example.org/a".into()],
            undo: Vec::new(),
            outside: true,
        };
        let setup = crate::plan::Setup::default();
        let r = render(crate::model::Solution::Env, &ctx(&s, &setup), &d);
        assert!(r.starts_with("# rocm-doctor fix: env\n"));
        assert!(r.contains("1. `step.sh`: the step (runs commands as root through sudo)"));
        assert!(r.contains("rocm-doctor fix env --out '/tmp/out dir' --apply"));
        assert!(r.contains("- `rocm-doctor.env`: the variables"), "{r}");
        assert!(!r.contains("- `step.sh`"), "steps are not listed twice");
        assert!(r.contains("## Undoing it") && r.contains("- Careful.\n"));
        assert!(r.contains("- <https://example.org/a>\n"));
    }

    #[test]
    fn a_draft_that_does_not_fit_says_so_and_offers_nothing_to_run() {
        let s = crate::demo::snapshot();
        let d = Draft::not_applicable("do a thing", vec!["Why not.".into()], Vec::new());
        let setup = crate::plan::Setup::default();
        let r = render(crate::model::Solution::Venv, &ctx(&s, &setup), &d);
        assert!(r.contains("does not fit this machine") && r.contains("Why not."));
        assert!(!r.contains("## Steps") && !r.contains("--apply") && !r.contains("## Sources"));
    }
}
