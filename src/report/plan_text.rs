//! `plan` as text: the summary, what blocks every candidate, the comparison table the seed
//! document drew by hand (now computed), then the recommended path with its steps, changes,
//! evidence and the `rocm-doctor fix` command, and why the other candidates are out.

use std::io::Write;

use super::Style;
use crate::plan::{Candidate, Effort, Level, Plan, Speed, Stability, Status, Verdict};

/// The time column: the sourced value, else the kind of work and "unknown".
pub fn time_text(c: &Candidate) -> String {
    if let Some(v) = &c.time.value {
        return v.clone();
    }
    match c.time.kind {
        Effort::InPlace => "none".into(),
        Effort::Edit => "an edit".into(),
        Effort::Download => "download, unknown".into(),
        Effort::Build => "build, unknown".into(),
        Effort::Unknown => "unknown".into(),
    }
}

fn level(l: Level) -> &'static str {
    match l {
        Level::Low => "low",
        Level::Medium => "medium",
        Level::High => "high",
    }
}

fn speed(c: &Candidate, gpu: &str) -> String {
    match c.gpu_speed {
        Speed::Native => format!("native {gpu}"),
        Speed::StandIn => "stand-in code".into(),
        Speed::Cpu => "CPU".into(),
        Speed::Unknown => "unknown".into(),
    }
}

fn stability(s: Stability) -> &'static str {
    match s {
        Stability::Official => "official",
        Stability::Tested => "tested",
        Stability::Reported => "reported",
        Stability::Unverified => "unverified",
        Stability::Failing => "failing",
        Stability::Unknown => "unknown",
    }
}

/// The table rows, as plain cells (colors are added after padding).
fn rows(plan: &Plan) -> Vec<[String; 8]> {
    let gpu = plan.gpu.as_deref().unwrap_or("?");
    let mut v = vec![[
        "#",
        "solution",
        "time",
        "complexity",
        "GPU speed",
        "stability",
        "root",
        "verdict",
    ]
    .map(String::from)];
    for (i, c) in plan.candidates.iter().enumerate() {
        let offered = c.is_offered();
        let dash = |s: String| if offered { s } else { "-".into() };
        let verdict = match &c.verdict {
            // The CPU fallback is offered only on request, so it sorts after every GPU path
            // whatever its score; the table says so.
            Verdict::Viable if c.solution == crate::model::Solution::CpuFallback => {
                format!("opt-in ({})", c.score)
            }
            Verdict::Recommended | Verdict::Viable => {
                format!("{} ({})", c.verdict.as_str(), c.score)
            }
            v => v.as_str().to_owned(),
        };
        v.push([
            (i + 1).to_string(),
            c.solution.to_string(),
            dash(time_text(c)),
            dash(level(c.complexity).to_owned()),
            dash(speed(c, gpu)),
            dash(stability(c.stability).to_owned()),
            dash(if c.needs_root { "yes" } else { "no" }.to_owned()),
            verdict,
        ]);
    }
    v
}

fn write_table(out: &mut dyn Write, plan: &Plan, style: &Style) -> std::io::Result<()> {
    let rows = rows(plan);
    let mut width = [0usize; 8];
    for r in &rows {
        for (w, cell) in width.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for (n, r) in rows.iter().enumerate() {
        let mut line = String::from("  ");
        for (i, cell) in r.iter().enumerate() {
            let padded = format!("{cell:<w$}", w = width[i]);
            let painted = match (n, i) {
                (0, _) => style.bold(&padded),
                (_, 7) if cell.starts_with("recommended") => style.green(&padded),
                (_, 7) if cell == "declined" => style.red(&padded),
                (_, 7) if cell == "not-viable" => style.dim(&padded),
                _ => padded,
            };
            line.push_str(&painted);
            line.push_str("  ");
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

fn write_recommended(out: &mut dyn Write, c: &Candidate, style: &Style) -> std::io::Result<()> {
    writeln!(
        out,
        "{} {}: {}",
        style.green("→"),
        style.bold("Recommended"),
        c.title
    )?;
    writeln!(out, "  {} {}", style.bold("Why:"), c.stability_why)?;
    for l in &c.changes {
        writeln!(out, "  {} {l}", style.bold("Changes:"))?;
    }
    if !c.steps.is_empty() {
        writeln!(out, "  {}", style.bold("Steps:"))?;
        for s in &c.steps {
            writeln!(out, "    $ {s}")?;
        }
    }
    writeln!(
        out,
        "  {} {} ({})",
        style.bold("Time:"),
        time_text(c),
        c.time.basis
    )?;
    writeln!(
        out,
        "  {} {} ({})",
        style.bold("Risk:"),
        level(c.risk),
        c.risk_why
    )?;
    if !c.fixes.is_empty() {
        writeln!(out, "  {} {}", style.bold("Fixes:"), c.fixes.join(", "))?;
    }
    if !c.does_not_fix.is_empty() {
        writeln!(
            out,
            "  {} {}",
            style.bold("Does not fix:"),
            c.does_not_fix.join(", ")
        )?;
    }
    for n in &c.notes {
        writeln!(out, "  {} {n}", style.dim("Note:"))?;
    }
    write_evidence(out, c, style)?;
    writeln!(
        out,
        "  {} rocm-doctor fix {} --out DIR",
        style.bold("Scripts:"),
        c.solution
    )
}

fn write_evidence(out: &mut dyn Write, c: &Candidate, style: &Style) -> std::io::Result<()> {
    for e in &c.evidence {
        writeln!(
            out,
            "  {} {}: {} {}",
            style.dim("Evidence:"),
            e.entry,
            e.says,
            style.dim(&e.source)
        )?;
    }
    Ok(())
}

/// Writes the plan.
///
/// Returns an error if writing fails.
pub fn write(out: &mut dyn Write, plan: &Plan, style: &Style) -> std::io::Result<()> {
    let gpu = match (&plan.gpu, &plan.gpu_name) {
        (Some(g), Some(n)) => format!(" for {g} ({n})"),
        (Some(g), None) => format!(" for {g}"),
        _ => String::new(),
    };
    writeln!(out, "{}", style.bold(&format!("Plan{gpu}")))?;
    writeln!(out, "{}", plan.summary)?;
    if matches!(plan.status, Status::NoGpu | Status::UnknownTarget) {
        return Ok(());
    }
    if !plan.blockers.is_empty() {
        writeln!(
            out,
            "{}",
            style.red("Before any of these (no candidate changes it):")
        )?;
        for b in &plan.blockers {
            writeln!(out, "  - {b}")?;
        }
    }
    writeln!(out)?;
    write_table(out, plan, style)?;
    if let Some(c) = plan
        .candidates
        .iter()
        .find(|c| c.verdict == Verdict::Recommended)
    {
        writeln!(out)?;
        write_recommended(out, c, style)?;
    }
    let others: Vec<&Candidate> = plan
        .candidates
        .iter()
        .filter(|c| c.verdict == Verdict::Viable)
        .collect();
    if !others.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", style.bold("Also viable"))?;
        for c in others {
            writeln!(out, "  {}: {} ({})", c.solution, c.title, c.stability_why)?;
            if style.verbose {
                write_evidence(out, c, style)?;
            }
        }
    }
    let out_of_it: Vec<&Candidate> = plan.candidates.iter().filter(|c| !c.is_offered()).collect();
    if !out_of_it.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", style.bold("Not offered"))?;
        for c in out_of_it {
            let reason = c.verdict.reason().unwrap_or_default();
            writeln!(out, "  {} ({}): {reason}", c.solution, c.verdict.as_str())?;
        }
    }
    if !plan.notes.is_empty() {
        writeln!(out)?;
        for n in &plan.notes {
            writeln!(out, "{} {n}", style.dim("Note:"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(verbose: bool) -> String {
        let plan = crate::plan::plan(&crate::demo::snapshot(), &[]);
        let mut buf = Vec::new();
        let style = Style {
            color: false,
            verbose,
        };
        write(&mut buf, &plan, &style).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn demo_text_has_the_table_and_the_path() {
        let t = render(false);
        assert!(
            t.starts_with("Plan for gfx1010 (AMD Radeon RX 5600 XT)\n"),
            "{t}"
        );
        let header = t
            .lines()
            .find(|l| l.trim_start().starts_with("# "))
            .unwrap();
        for col in [
            "solution",
            "time",
            "complexity",
            "GPU speed",
            "stability",
            "root",
            "verdict",
        ] {
            assert!(header.contains(col), "{header}");
        }
        // One table row per candidate, the recommended one first.
        let row1 = t
            .lines()
            .find(|l| l.trim_start().starts_with("1 "))
            .unwrap();
        assert!(
            row1.contains("native-build") && row1.contains("recommended ("),
            "{row1}"
        );
        assert!(t.contains("Scripts: rocm-doctor fix native-build --out DIR"));
        assert!(t.contains("binary-patch (declined):"));
        assert!(!t.contains('\u{1b}'), "no color codes without color");
    }

    #[test]
    fn verbose_shows_evidence_of_every_viable_candidate() {
        let (short, long) = (render(false), render(true));
        assert!(long.matches("Evidence:").count() > short.matches("Evidence:").count());
    }
}
