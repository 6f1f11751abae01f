//! `report`: Markdown for a GitHub issue, one self-contained HTML page, and JSON, on the demo
//! machine; the HTML is also rendered by a real headless Chromium when one is installed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn run_ok(args: &[&str]) -> String {
    let out = common::doctor(args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The demo's findings, from `check --json`: what every report must carry.
fn demo_titles() -> Vec<String> {
    let d: Value = serde_json::from_str(&run_ok(&["check", "--json", "--demo"])).unwrap();
    let titles: Vec<String> = d["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["title"].as_str().unwrap().to_owned())
        .collect();
    assert!(titles.len() >= 2, "the demo should have findings: {d:#}");
    titles
}

/// Text as it appears in HTML markup (and in a serialized DOM).
fn html_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[test]
fn markdown_carries_every_finding_and_folds_long_parts() {
    let md = run_ok(&["report", "--demo"]);
    assert_eq!(
        md,
        run_ok(&["report", "--demo", "--format", "md"]),
        "md is the default"
    );
    for t in demo_titles() {
        assert!(md.contains(&html_text(&t)), "missing finding {t:?}");
    }
    assert!(md.contains("<details><summary>Evidence"), "{md}");
    assert!(md.contains("<details><summary>Full <code>scan --json</code>"));
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
    assert!(md.contains("### Kernel coverage") && md.contains("LLVM 16*"));
    assert!(md.contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn json_is_check_plus_scan() {
    let d: Value = serde_json::from_str(&run_ok(&["report", "--demo", "--format", "json"]))
        .expect("report --format json parses");
    let check: Value = serde_json::from_str(&run_ok(&["check", "--json", "--demo"])).unwrap();
    let scan: Value = serde_json::from_str(&run_ok(&["scan", "--json", "--demo"])).unwrap();
    assert_eq!(d["schema_version"], 1);
    assert_eq!(d["findings"], check["findings"]);
    assert_eq!(d["areas"], check["areas"]);
    assert_eq!(d["scan"], scan);
    assert!(d.get("hostname").is_none(), "the demo is not this host");
}

#[test]
fn html_is_self_contained_and_has_the_findings() {
    let html = run_ok(&["report", "--demo", "--format", "html"]);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("<script"), "no scripts");
    // Nothing is loaded: no src= at all, and href= only on <a> links to sources.
    assert!(!html.contains(" src="), "nothing embedded by reference");
    for (at, _) in html.match_indices(" href=") {
        let tag_start = html[..at].rfind('<').unwrap();
        assert!(
            html[tag_start..].starts_with("<a "),
            "href outside a link: {}",
            &html[tag_start..at + 40]
        );
    }
    assert!(!html.contains("<link") && !html.contains("@import") && !html.contains("url("));
    for t in demo_titles() {
        assert!(html.contains(&html_text(&t)), "missing finding {t:?}");
    }
    assert!(html.contains("class=\"card error\""));
    assert!(html.contains("td class=\"c yes\"") && html.contains("td class=\"c no\""));
}

#[test]
fn out_writes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.html");
    let p = path.to_str().unwrap();
    let out = common::doctor(&["report", "--demo", "--format", "html", "--out", p]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stdout.is_empty(), "the report goes to the file only");
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(written, run_ok(&["report", "--demo", "--format", "html"]));
}

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser"]
        .iter()
        .flat_map(|n| std::env::split_paths(&path).map(move |d| d.join(n)))
        .find(|p| p.is_file())
}

fn headless(chrome: &Path, dir: &Path, extra: &[String], url: &str) -> std::process::Output {
    Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--window-size=1200,2000",
        ])
        // A profile of its own, so a browser already running cannot take the request.
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("run chromium")
}

#[test]
fn chromium_renders_the_page() {
    let chrome = chromium();
    if !common::have(chrome.is_some(), "chromium (apt-get install -y chromium)") {
        return;
    }
    let chrome = chrome.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    let p = page.to_str().unwrap();
    run_ok(&["report", "--demo", "--format", "html", "--out", p]);
    let url = format!("file://{p}");
    let shot = dir.path().join("shot.png");
    let out = headless(
        &chrome,
        dir.path(),
        &[format!("--screenshot={}", shot.display())],
        &url,
    );
    assert!(out.status.success(), "{out:?}");
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    // A blank 1200×2000 page compresses to a few KiB; text, cards and grids do not.
    assert!(png.len() > 50_000, "screenshot is only {} bytes", png.len());
    let out = headless(&chrome, dir.path(), &["--dump-dom".into()], &url);
    assert!(out.status.success(), "{out:?}");
    let dom = String::from_utf8_lossy(&out.stdout);
    for t in demo_titles() {
        assert!(dom.contains(&html_text(&t)), "rendered DOM lacks {t:?}");
    }
    assert!(dom.contains("Kernel coverage"));
    eprintln!("chromium rendered {} bytes of PNG", png.len());
}
