//! `rocm-doctor plan`: the candidate solutions for a machine (this one, `--root`, `--snapshot`
//! or `--demo`), ranked, as the comparison table with the recommended path, or as one JSON
//! document (docs/plan.md).

use std::io::Write;

use clap::Args;
use serde::Serialize;

use super::source::SourceArgs;
use crate::plan::Plan;
use crate::report::{self, inspect_json::Tool};

/// Version of the `plan --json` layout (docs/plan.md).
pub const PLAN_SCHEMA_VERSION: u32 = 1;

/// Flags of `plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Which machine.
    #[command(flatten)]
    source: SourceArgs,

    /// Print one JSON document (docs/plan.md) instead of text.
    #[arg(long)]
    json: bool,
}

/// The JSON document: the plan with the layout version and the tool.
#[derive(Serialize)]
pub struct Document<'a> {
    /// [`PLAN_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Tool name and version.
    pub tool: Tool,
    /// The root or snapshot planned for.
    pub root: &'a str,
    /// The plan's fields, at the top level.
    #[serde(flatten)]
    pub plan: &'a Plan,
}

/// Writes the JSON document and a newline.
///
/// Returns an error if serializing or writing fails.
pub fn write_json(out: &mut dyn Write, root: &str, plan: &Plan) -> anyhow::Result<()> {
    let doc = Document {
        schema_version: PLAN_SCHEMA_VERSION,
        tool: Tool {
            name: "rocm-doctor",
            version: env!("CARGO_PKG_VERSION"),
        },
        root,
        plan,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)?;
    Ok(())
}

/// Runs `plan`: exit 0 whenever a plan was made (a broken machine is what plans are for).
///
/// Returns an error when `--root` is not a directory, a named file cannot be read, or the
/// output cannot be written.
pub fn run(args: &PlanArgs, color: bool) -> anyhow::Result<u8> {
    let snapshot = args.source.load()?.snapshot;
    let plan = crate::plan::assess(&snapshot, Vec::new()).plan;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        write_json(&mut out, &snapshot.root, &plan)?;
    } else {
        let style = report::Style {
            color,
            verbose: false,
        };
        report::plan_text::write(&mut out, &plan, &style)?;
    }
    out.flush()?;
    Ok(super::EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_puts_the_plan_at_the_top_level() {
        let plan = crate::plan::plan(&crate::demo::snapshot(), &[]);
        let mut buf = Vec::new();
        write_json(&mut buf, "demo", &plan).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["schema_version"], PLAN_SCHEMA_VERSION);
        assert_eq!(v["tool"]["name"], "rocm-doctor");
        assert_eq!(v["gpu"], "gfx1010");
        assert_eq!(v["recommended"], "native-build");
        let c = &v["candidates"][0];
        assert_eq!(c["verdict"]["kind"], "recommended");
        assert!(c["time"]["kind"].is_string() && c["evidence"][0]["source"].is_string());
    }
}
