//! Which LLVM bitcode readers can load a file, and what stops the others.
//!
//! A reader stops at the first thing it cannot read. So: walk the features the file uses in
//! the order a reader meets them (`rocm_formats::bitcode::features`), and for each reader find
//! the first feature newer than it whose reaction (from the knowledge table) is to fail. The
//! producer version alone does not decide this (LLVM 16 reads some LLVM 19 files and not
//! others), except in one direction: LLVM reads bitcode written by older releases, so a
//! producer major older than the reader loads.
//!
//! Unknown stays unknown: a feature whose first version is not established, or a reader whose
//! reaction the table does not give, makes the verdict `loads: None`.

use rocm_formats::bitcode::features::FeatureScan;

use crate::knowledge::bitcode::{split_name, Reaction, Table};
use crate::knowledge::llvm_version::LlvmVersion;

/// One reader's verdict on one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The reader's LLVM major.
    pub llvm: u32,
    /// `Some(true)` loads, `Some(false)` fails, `None` unknown.
    pub loads: Option<bool>,
    /// The feature that decides (the first failing one, or the one whose support is unknown).
    pub feature: Option<String>,
    /// What that feature is, for people.
    pub what: Option<String>,
    /// The message class the reader prints (`Unknown attribute kind (86)`), when known.
    pub message: Option<String>,
    /// Why, when no feature decides (`older producer`).
    pub reason: Option<&'static str>,
    /// Features the reader reads wrongly without saying so (`const:32: becomes undef`).
    pub caveats: Vec<String>,
}

/// Verdicts of each of `majors` on a file with `scan`.
pub fn predict(
    scan: &FeatureScan,
    producer: Option<&str>,
    majors: &[u32],
    table: &Table,
) -> Vec<Verdict> {
    let producer_major = producer.and_then(LlvmVersion::parse).map(|v| v.major);
    majors
        .iter()
        .map(|&r| predict_one(scan, producer_major, r, table))
        .collect()
}

fn predict_one(
    scan: &FeatureScan,
    producer_major: Option<u32>,
    reader: u32,
    table: &Table,
) -> Verdict {
    let mut v = Verdict {
        llvm: reader,
        loads: Some(true),
        feature: None,
        what: None,
        message: None,
        reason: None,
        caveats: Vec::new(),
    };
    // Every LLVM since 3.8 writes epoch 0 and refuses any other.
    if let Some(epoch) = scan.epoch.filter(|&e| e != 0) {
        v.loads = Some(false);
        v.message = Some(format!(
            "Incompatible epoch: Bitcode '{epoch}' vs current: '0'"
        ));
        return v;
    }
    let row = table.reader(reader);
    let mut opaque = false;
    for (i, u) in scan.uses.iter().enumerate() {
        let name = u.feature.as_str();
        let (class, number) = split_name(name).unwrap_or((name, None));
        match row.filter(|_| opaque).and_then(|r| r.opaque_gap(name)) {
            Some("unknown") => return unknown(v, name, table),
            Some(msg) => return fail(v, name, table, msg, None),
            None => {}
        }
        opaque |= name == "type:25";
        // Readers before 15 know the opaque pointer type but refuse it by default.
        if name == "type:25" {
            if let Some(Reaction::Fails(msg)) = row.and_then(|r| r.reaction("opaque-pointers")) {
                return fail(v, name, table, msg, number);
            }
        }
        match table.first_llvm(name).read_by(reader) {
            Some(true) => continue,
            Some(false) => {}
            None => {
                if producer_major.is_some_and(|p| p < reader) {
                    continue; // written by an older release: readable
                }
                return unknown(v, name, table);
            }
        }
        let key = if class == "flag" { name } else { class };
        match row.and_then(|r| r.reaction(key)) {
            Some(Reaction::ReadsOn) => continue,
            Some(Reaction::Degrades(how)) => v.caveats.push(format!("{name}: {how}")),
            Some(Reaction::Fails(msg)) => {
                // Readers that misparse an unknown attribute encoding report the kind that
                // follows it, which the scan lists next.
                let number = if class == "attr-encoding" {
                    scan.uses[i + 1..]
                        .iter()
                        .find_map(|n| match split_name(&n.feature) {
                            Some(("attr", Some(k))) => Some(k),
                            _ => None,
                        })
                        .or(number)
                } else {
                    number
                };
                return fail(v, name, table, msg, number);
            }
            None => return unknown(v, name, table),
        }
    }
    if producer_major.is_some_and(|p| p < reader) && v.reason.is_none() {
        v.reason = Some("written by an older LLVM");
    }
    v
}

fn fail(mut v: Verdict, name: &str, table: &Table, template: &str, number: Option<u64>) -> Verdict {
    v.loads = Some(false);
    v.feature = Some(name.to_owned());
    v.what = table
        .feature(name)
        .map(|f| f.what.clone())
        .filter(|w| !w.is_empty());
    v.message = Some(match number {
        Some(n) => template.replace("(N)", &format!("({n})")),
        None => template.to_owned(),
    });
    v
}

fn unknown(mut v: Verdict, name: &str, table: &Table) -> Verdict {
    v.loads = None;
    v.feature = Some(name.to_owned());
    v.what = table
        .feature(name)
        .map(|f| f.what.clone())
        .filter(|w| !w.is_empty());
    v
}

/// The readers to judge by default: the `installed` LLVM majors plus those ROCm releases
/// ship, sorted.
pub fn default_majors(installed: &[u32]) -> Vec<u32> {
    let mut v = installed.to_vec();
    v.extend(crate::knowledge::rocm::llvm_majors());
    v.sort_unstable();
    v.dedup();
    v
}
