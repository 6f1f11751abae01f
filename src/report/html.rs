//! `report --format html`: one self-contained page (inline CSS, no script, nothing fetched) to
//! attach to a ticket or open offline. A Content-Security-Policy forbids loading anything,
//! so a value that slipped past [`escape`] still could not pull in a script. Every string
//! from the machine goes through [`escape`]: paths and log lines are the machine's, not ours.

use std::io::{self, Write};

use super::grids::{self, Cell, Grid};
use crate::model::Finding;
use crate::snapshot::Snapshot;

const STYLE: &str = "
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#1b1f24;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ccd}
code,pre{font-family:ui-monospace,monospace;font-size:.92em}
pre{background:#f3f4f6;padding:.5em .8em;overflow-x:auto;border-radius:4px}
.areas{display:flex;flex-wrap:wrap;gap:.5em;padding:0;list-style:none}
.areas li{border:1px solid #ccd;border-radius:4px;padding:.3em .6em}
.mark{font-weight:bold;margin-right:.3em}
.ok .mark{color:#1a7f37}.info .mark{color:#0969da}.warning .mark{color:#9a6700}.error .mark{color:#cf222e}
.card{border:1px solid #ccd;border-left:8px solid #8c959f;border-radius:6px;padding:.6em 1em;margin:1em 0}
.card.error{border-left-color:#cf222e}.card.warning{border-left-color:#d4a72c}.card.info{border-left-color:#0969da}
.card h3{margin:.2em 0 .4em;font-size:1.05em}.meta{color:#57606a;font-size:.9em}
table.grid{border-collapse:collapse;margin:.5em 0}
.grid th,.grid td{border:1px solid #fff;padding:.25em .5em;font-size:.88em;text-align:left}
.grid thead th{background:#eaeef2}.grid td.c{text-align:center;min-width:4em;font-weight:bold}
td.yes{background:#2da44e;color:#fff}td.no{background:#cf222e;color:#fff}td.unknown{background:#afb8c1}
.legend span{display:inline-block;padding:0 .5em;margin-right:.5em}
dl dt{font-weight:bold;margin-top:.4em}footer{margin-top:2em;color:#57606a;font-size:.85em}
";

/// Writes the HTML report.
///
/// Returns an error if writing fails.
pub fn write(
    out: &mut dyn Write,
    s: &Snapshot,
    findings: &[Finding],
    source_flag: &str,
) -> io::Result<()> {
    let title = format!("rocm-doctor report: {}", s.root);
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    )?;
    writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'\">"
    )?;
    writeln!(
        out,
        "<title>{}</title><style>{STYLE}</style></head><body>",
        escape(&title)
    )?;
    writeln!(out, "<h1>{}</h1>\n<ul class=\"areas\">", escape(&title))?;
    for a in super::check::areas(s, findings) {
        writeln!(
            out,
            "<li class=\"{0}\" title=\"{1}\"><span class=\"mark\">{2}</span>{3}: {1}</li>",
            a.status,
            escape(&a.summary),
            mark(a.status),
            a.name
        )?;
    }
    writeln!(out, "</ul>\n<h2>Findings</h2>")?;
    if findings.is_empty() {
        writeln!(out, "<p>No problems found.</p>")?;
    }
    for (i, f) in findings.iter().enumerate() {
        write_card(out, i + 1, f)?;
    }
    writeln!(out, "<h2>Next</h2>\n<pre>")?;
    for c in super::check::next_commands(findings, source_flag) {
        writeln!(out, "{}", escape(&c))?;
    }
    writeln!(out, "</pre>")?;
    write_grid(
        out,
        "Kernel coverage: library × GPU (target the runtime reports)",
        &grids::coverage(s),
    )?;
    write_grid(
        out,
        "Device libraries × LLVM bitcode readers (by major; * installed here)",
        &grids::readers(s),
    )?;
    writeln!(out, "<h2>Snapshot</h2>\n<dl>")?;
    for (label, items) in grids::summary(s) {
        writeln!(out, "<dt>{label}</dt>")?;
        if items.is_empty() {
            writeln!(out, "<dd>none</dd>")?;
        }
        for i in items {
            writeln!(out, "<dd>{}</dd>", escape(&i))?;
        }
    }
    writeln!(out, "</dl>")?;
    let scan = serde_json::to_string_pretty(&super::scan_json::document(s))?;
    writeln!(
        out,
        "<details><summary>Full <code>scan --json</code></summary><pre>{}</pre></details>",
        escape(&scan)
    )?;
    writeln!(
        out,
        "<footer>rocm-doctor {} · knowledge as of {} · <code>rocm-doctor report --format html{}</code></footer>\n</body></html>",
        env!("CARGO_PKG_VERSION"),
        crate::knowledge::as_of(),
        escape(source_flag)
    )
}

/// One finding as a card whose left border is the severity's colour.
fn write_card(out: &mut dyn Write, n: usize, f: &Finding) -> io::Result<()> {
    let sev = f.severity.as_str();
    writeln!(out, "<section class=\"card {sev}\">")?;
    writeln!(
        out,
        "<h3><span class=\"mark\">{}</span>{n}. {}</h3>",
        mark(sev),
        escape(&f.title)
    )?;
    writeln!(
        out,
        "<div class=\"meta\"><code>{}</code> · {sev} · {} · fix at <b>{}</b></div>",
        escape(&f.code),
        f.category.as_str(),
        f.layer.as_str()
    )?;
    writeln!(out, "<ul class=\"evidence\">")?;
    for e in &f.evidence {
        writeln!(
            out,
            "<li><code>{}</code>: {}</li>",
            escape(&e.source),
            escape(&e.says)
        )?;
    }
    writeln!(out, "</ul>\n<p><b>Why:</b> {}</p>", escape(&f.why))?;
    writeln!(
        out,
        "<p><b>Other layers:</b> {}</p>\n<ol>",
        escape(&f.other_layers)
    )?;
    for r in &f.remedies {
        let fix = r
            .fix
            .map(crate::model::Solution::as_str)
            .map(|s| format!(" <code>rocm-doctor fix {}</code>", escape(s)))
            .unwrap_or_default();
        write!(out, "<li>{}{fix}", escape(&r.title))?;
        if let Some(c) = &r.command {
            write!(out, "<pre>{}</pre>", escape(c))?;
        }
        if !r.detail.is_empty() {
            write!(out, "<div>{}</div>", escape(&r.detail))?;
        }
        writeln!(out, "</li>")?;
    }
    writeln!(out, "</ol>")?;
    let sources = f.all_sources();
    if !sources.is_empty() {
        writeln!(
            out,
            "<details><summary>Sources ({})</summary><ul>",
            sources.len()
        )?;
        for u in sources {
            writeln!(out, "<li>{}</li>", link(u))?;
        }
        writeln!(out, "</ul></details>")?;
    }
    writeln!(out, "</section>")
}

fn write_grid(out: &mut dyn Write, title: &str, g: &Grid) -> io::Result<()> {
    writeln!(out, "<h2>{}</h2>", escape(title))?;
    if g.rows.is_empty() || g.columns.is_empty() {
        return writeln!(out, "<p>Nothing to show: {}.</p>", g.empty_reason);
    }
    write!(
        out,
        "<table class=\"grid\"><thead><tr><th>{}</th><th>{}</th>",
        g.corner, g.detail
    )?;
    for c in &g.columns {
        write!(out, "<th>{}</th>", escape(c))?;
    }
    writeln!(out, "</tr></thead><tbody>")?;
    for r in &g.rows {
        write!(
            out,
            "<tr><th>{}</th><td>{}</td>",
            escape(&r.label),
            escape(&r.detail)
        )?;
        for c in &r.cells {
            let (class, text) = match c {
                Cell::Yes => ("yes", "✓"),
                Cell::No => ("no", "✗"),
                Cell::Unknown => ("unknown", "?"),
            };
            write!(out, "<td class=\"c {class}\">{text}</td>")?;
        }
        writeln!(out, "</tr>")?;
    }
    writeln!(
        out,
        "</tbody></table>\n<p class=\"legend\"><span style=\"background:#2da44e;color:#fff\">✓ {}</span>\
         <span style=\"background:#cf222e;color:#fff\">✗ {}</span>\
         <span style=\"background:#afb8c1\">? unknown</span></p>",
        g.yes, g.no
    )
}

fn mark(status: &str) -> &'static str {
    match status {
        "error" => "✗",
        "warning" => "!",
        "info" => "i",
        _ => "✓",
    }
}

/// A source as a link when it is an http(s) URL (never `javascript:` or the like), else text.
fn link(u: &str) -> String {
    if u.starts_with("https://") || u.starts_with("http://") {
        format!("<a href=\"{0}\">{0}</a>", escape(u))
    } else {
        escape(u)
    }
}

/// `s` safe inside HTML text and inside double- or single-quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + s.len() / 8);
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert(\"x\")</script>"),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
        );
        assert_eq!(escape("a'b&c"), "a&#39;b&amp;c");
        assert_eq!(escape("plain gfx1030"), "plain gfx1030");
        assert_eq!(link("javascript:alert(1)"), "javascript:alert(1)");
        assert!(
            link("https://x.org/?a=1&b=2").starts_with("<a href=\"https://x.org/?a=1&amp;b=2\">")
        );
    }

    #[test]
    fn hostile_values_stay_text() {
        let mut s = crate::demo::snapshot();
        s.root = "</title><script>alert('root')</script>".into();
        let mut f = crate::diagnose::check(&s);
        f[0].title = "<img src=x onerror=alert(1)>".into();
        let mut out = Vec::new();
        write(&mut out, &s, &f, "").unwrap();
        let html = String::from_utf8(out).unwrap();
        assert!(!html.contains("<script"), "script tag got through");
        assert!(!html.contains("<img"), "img tag got through");
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    }

    #[test]
    fn demo_page_has_cards_and_grids() {
        let s = crate::demo::snapshot();
        let f = crate::diagnose::check(&s);
        let mut out = Vec::new();
        write(&mut out, &s, &f, " --demo").unwrap();
        let html = String::from_utf8(out).unwrap();
        assert_eq!(html.matches("<section class=\"card ").count(), f.len());
        assert!(html.contains("<section class=\"card error\">"));
        assert!(html.contains("<td class=\"c no\">") && html.contains("<td class=\"c yes\">"));
        assert!(html.trim_end().ends_with("</html>"));
    }
}
