//! Shell completions and the man page come from the same flag definitions as --help.

mod common;

#[test]
fn completions_name_every_command() {
    for shell in ["bash", "zsh", "fish"] {
        let out = common::doctor(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        for cmd in [
            "check", "scan", "inspect", "explain", "plan", "fix", "verify", "report", "fleet",
            "capture",
        ] {
            assert!(text.contains(cmd), "{shell} completion lacks {cmd}");
        }
        assert!(text.contains("demo") && text.contains("fail-on"), "{shell}");
    }
    let out = common::doctor(&["completions", "tcsh"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "unknown shells are a usage error"
    );
}

#[test]
fn the_man_page_is_roff_with_each_command() {
    let out = common::doctor(&["man"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(".ie") || text.contains(".TH rocm-doctor"),
        "{}",
        &text[..200.min(text.len())]
    );
    for cmd in [
        "rocm-doctor-check",
        "rocm-doctor-explain",
        "rocm-doctor-fix",
    ] {
        assert!(text.contains(cmd), "man page lacks {cmd}");
    }
    assert!(text.contains("fail\\-on") || text.contains("fail-on"));
}

#[test]
fn version_names_the_git_revision_and_the_knowledge_date() {
    let out = common::doctor(&["--version"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("rocm-doctor 0."), "{text}");
    let date = rocm_doctor::knowledge::as_of();
    assert!(date.len() == 10 && date.starts_with("20"), "{date}");
    assert!(text.contains(&format!("knowledge as of {date}")), "{text}");
    assert!(text.contains("(git "), "{text}");
    let check = common::doctor(&["check", "--demo"]);
    assert!(String::from_utf8_lossy(&check.stdout).contains(&format!("Knowledge as of {date}")));
}
