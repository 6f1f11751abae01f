//! docs/findings.md documents exactly the codes the rules and log signatures can emit.

mod common;

#[test]
fn every_code_has_a_section_and_every_section_a_code() {
    let doc = std::fs::read_to_string(common::repo().join("docs/findings.md")).unwrap();
    let documented: std::collections::BTreeSet<String> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .map(|c| c.trim().to_owned())
        .collect();
    let mut emitted: std::collections::BTreeSet<String> = rocm_doctor::diagnose::codes()
        .into_iter()
        .map(str::to_owned)
        .collect();
    emitted.extend(rocm_doctor::explain::codes().into_iter().map(str::to_owned));
    let missing: Vec<_> = emitted.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&emitted).collect();
    assert!(
        missing.is_empty(),
        "codes without a section in docs/findings.md: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "sections for codes nothing emits: {extra:?}"
    );
}
