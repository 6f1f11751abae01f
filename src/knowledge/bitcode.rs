//! Which LLVM major first reads each bitcode feature, and how older readers fail on it
//! (data/bitcode_features.toml; its notes and method are in data/bitcode_features.md).
//!
//! Feature names are those of `rocm_formats::bitcode::features`: `attr:86`, `attr-encoding:7`,
//! `type:25`, `inst:61`, `flag:cast-nneg`, `metadata:47`, `module:16`, `const:30`, `block:26`.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::Deserialize;

/// When a feature became readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstLlvm {
    /// First read by this LLVM major.
    Major(u32),
    /// Already read by this major, the oldest the table looked at (`"<=12"`).
    AtMost(u32),
    /// Written by some LLVM but read by no reader through this major (an LLVM bug: e.g.
    /// `hybrid_patchable`, which LLVM 19 writes and no reader maps).
    Never(u32),
    /// Not established.
    Unknown,
}

impl FirstLlvm {
    /// Whether a reader of `major` reads the feature: `None` when unknown.
    pub fn read_by(self, major: u32) -> Option<bool> {
        match self {
            FirstLlvm::Major(m) => Some(major >= m),
            FirstLlvm::AtMost(m) if major >= m => Some(true),
            FirstLlvm::Never(through) if major <= through => Some(false),
            FirstLlvm::AtMost(_) | FirstLlvm::Never(_) | FirstLlvm::Unknown => None,
        }
    }
}

/// One feature row.
#[derive(Debug, Clone)]
pub struct Feature {
    /// Feature name (`attr:86`).
    pub name: String,
    /// What it is, for people (`memory(...) attribute`).
    pub what: String,
    /// First LLVM major that reads it.
    pub first_llvm: FirstLlvm,
    /// Where that comes from.
    pub source: String,
}

/// How readers of one LLVM major react to what they do not know.
#[derive(Debug, Clone, Default)]
pub struct Reader {
    /// LLVM major.
    pub llvm: u32,
    /// Reaction by feature class (`attr`, `attr-encoding`, `type`, `inst`, `metadata`, `module`,
    /// `const`, `block`, `opaque-pointers`) and by flag (`flag:cast-nneg`).
    reactions: HashMap<String, Reaction>,
    /// Features this reader fails on only in files with opaque pointers (LLVM 13's partial
    /// support), with the message.
    opaque_gaps: HashMap<String, String>,
    /// Checked by running this reader's `llvm-dis` on files using the features.
    pub confirmed: bool,
    /// Where the reactions come from.
    pub source: String,
}

/// What a reader does on meeting a feature it does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reaction {
    /// It stops with this message (`N` in the template is replaced by the feature's number).
    Fails(String),
    /// It reads on (the feature is dropped or skipped).
    ReadsOn,
    /// It reads on, but what it reads means something else (`undef`, `misread as inbounds`).
    Degrades(String),
}

impl Reader {
    /// The reaction to an unknown feature of `class` (or to flag `flag:name`).
    pub fn reaction(&self, class: &str) -> Option<&Reaction> {
        self.reactions.get(class)
    }

    /// The message this reader fails with on `feature` in a file that uses opaque pointers,
    /// where it reads the feature fine otherwise.
    pub fn opaque_gap(&self, feature: &str) -> Option<&str> {
        self.opaque_gaps.get(feature).map(String::as_str)
    }
}

/// The whole table.
#[derive(Debug, Default)]
pub struct Table {
    /// The newest LLVM major whose codes are all listed.
    pub complete_through: u32,
    features: HashMap<String, Feature>,
    readers: BTreeMap<u32, Reader>,
    /// Per class, the highest number listed (`attr` → 99): a larger number is newer than
    /// [`Table::complete_through`].
    max_number: HashMap<String, u64>,
}

impl Table {
    /// The row for `name`, if listed.
    pub fn feature(&self, name: &str) -> Option<&Feature> {
        self.features.get(name)
    }

    /// When `name` became readable. A numbered feature that is not listed and whose number
    /// is beyond every listed one of its class is newer than the table:
    /// `Major(complete_through + 1)` at the earliest.
    pub fn first_llvm(&self, name: &str) -> FirstLlvm {
        if let Some(f) = self.features.get(name) {
            return f.first_llvm;
        }
        let Some((class, number)) = split_name(name) else {
            return FirstLlvm::Unknown;
        };
        match (number, self.max_number.get(class)) {
            (Some(n), Some(&max)) if n > max => FirstLlvm::Major(self.complete_through + 1),
            _ => FirstLlvm::Unknown,
        }
    }

    /// The reader behaviour row of `major`, if the table has one.
    pub fn reader(&self, major: u32) -> Option<&Reader> {
        self.readers.get(&major)
    }

    /// The majors with reader rows.
    pub fn reader_majors(&self) -> Vec<u32> {
        self.readers.keys().copied().collect()
    }
}

/// The rule a scan applies when it knows only the producer's LLVM major (not the file's
/// features, which `inspect --readers` judges): a reader loads what its own or an older
/// release wrote, and is taken to refuse a newer release's device libraries. One function so
/// `check` and the reports' reader grid never disagree.
pub fn reads_by_major(reader: u32, producer: u32) -> bool {
    reader >= producer
}

/// `attr:86` → (`attr`, Some(86)); `flag:cast-nneg` → (`flag`, None).
pub fn split_name(name: &str) -> Option<(&str, Option<u64>)> {
    let (class, rest) = name.split_once(':')?;
    Some((class, rest.parse().ok()))
}

/// The embedded table.
pub fn table() -> &'static Table {
    static DATA: OnceLock<Table> = OnceLock::new();
    DATA.get_or_init(|| {
        let raw: wire::File = super::parse_embedded(
            "bitcode_features.toml",
            include_str!("data/bitcode_features.toml"),
        );
        raw.into_table()
    })
}

/// The TOML layout, kept apart from the types the rest of the code uses.
mod wire {
    use super::*;

    #[derive(Deserialize)]
    pub struct File {
        meta: Meta,
        #[serde(default)]
        feature: Vec<FeatureRow>,
        #[serde(default)]
        reader: Vec<ReaderRow>,
    }

    #[derive(Deserialize)]
    struct Meta {
        complete_through: u32,
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum First {
        Major(u32),
        Text(String),
    }

    #[derive(Deserialize)]
    struct FeatureRow {
        name: String,
        #[serde(default)]
        what: String,
        first_llvm: First,
        source: String,
    }

    #[derive(Deserialize)]
    struct ReaderRow {
        llvm: u32,
        #[serde(default)]
        confirmed: bool,
        #[serde(default)]
        source: String,
        #[serde(default)]
        flags: BTreeMap<String, String>,
        #[serde(default)]
        opaque_gaps: HashMap<String, String>,
        #[serde(flatten)]
        reactions: BTreeMap<String, toml::Value>,
    }

    /// Reader row keys → feature classes.
    const CLASSES: &[(&str, &str)] = &[
        ("unknown_attr_kind", "attr"),
        ("unknown_attr_encoding", "attr-encoding"),
        ("unknown_type", "type"),
        ("unknown_inst", "inst"),
        ("unknown_metadata", "metadata"),
        ("unknown_module_record", "module"),
        ("unknown_block", "block"),
        ("unknown_const", "const"),
        ("opaque_pointers", "opaque-pointers"),
        ("unknown_cast", "cast"),
        ("unknown_atomicrmw", "atomicrmw"),
        ("extra_flag_operand", "flag"),
    ];

    fn reaction(text: &str) -> Option<Reaction> {
        match text {
            "ignored" | "skipped" | "ok" => Some(Reaction::ReadsOn),
            "undef" => Some(Reaction::Degrades("becomes undef, silently".into())),
            t if t.starts_with("misread") => Some(Reaction::Degrades(t.to_owned())),
            t if t.starts_with("unknown") || t.starts_with("per flag") || t.is_empty() => None,
            msg => Some(Reaction::Fails(msg.to_owned())),
        }
    }

    impl File {
        pub fn into_table(self) -> Table {
            let mut t = Table {
                complete_through: self.meta.complete_through,
                ..Table::default()
            };
            for row in self.feature {
                if let Some((class, Some(n))) = split_name(&row.name) {
                    let max = t.max_number.entry(class.to_owned()).or_default();
                    *max = (*max).max(n);
                }
                let first_llvm = match row.first_llvm {
                    First::Major(m) => FirstLlvm::Major(m),
                    First::Text(s) if s == "never" => FirstLlvm::Never(t.complete_through),
                    First::Text(s) => match s.strip_prefix("<=").map(str::parse) {
                        Some(Ok(m)) => FirstLlvm::AtMost(m),
                        _ => FirstLlvm::Unknown,
                    },
                };
                let f = Feature {
                    name: row.name.clone(),
                    what: row.what,
                    first_llvm,
                    source: row.source,
                };
                t.features.insert(row.name, f);
            }
            for row in self.reader {
                let mut r = Reader {
                    llvm: row.llvm,
                    confirmed: row.confirmed,
                    source: row.source,
                    opaque_gaps: row.opaque_gaps,
                    ..Reader::default()
                };
                for (key, class) in CLASSES {
                    if let Some(toml::Value::String(text)) = row.reactions.get(*key) {
                        if let Some(re) = reaction(text) {
                            r.reactions.insert((*class).to_owned(), re);
                        }
                    }
                }
                for (flag, text) in row.flags {
                    if let Some(re) = reaction(&text) {
                        r.reactions.insert(format!("flag:{flag}"), re);
                    }
                }
                t.readers.insert(row.llvm, r);
            }
            t
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_table_loads_with_sources_and_known_anchors() {
        let t = table();
        assert_eq!(t.complete_through, 22);
        assert!(t.features.len() >= 300);
        for f in t.features.values() {
            assert!(f.source.starts_with("https://"), "{} has no source", f.name);
        }
        // Anchors checked against the real readers (fixtures/bitcode/compat/expected.tsv).
        assert_eq!(t.first_llvm("attr:86"), FirstLlvm::Major(16)); // memory(...)
        assert_eq!(t.first_llvm("attr:87"), FirstLlvm::Major(17)); // nofpclass
        assert_eq!(t.first_llvm("attr-encoding:7"), FirstLlvm::Major(19)); // range(...)
        assert_eq!(t.first_llvm("flag:cast-nneg"), FirstLlvm::Major(18)); // zext nneg
        assert_eq!(t.first_llvm("attr:95"), FirstLlvm::Never(22)); // hybrid_patchable
        assert_eq!(t.first_llvm("attr:1"), FirstLlvm::AtMost(12));
        // A kind beyond every listed one is newer than the table.
        assert_eq!(t.first_llvm("attr:10000"), FirstLlvm::Major(23)); // past ROCm-only 9999
        assert_eq!(t.first_llvm("flag:no-such-flag"), FirstLlvm::Unknown);
        let r16 = t.reader(16).unwrap();
        assert_eq!(
            r16.reaction("attr"),
            Some(&Reaction::Fails("Unknown attribute kind (N)".into()))
        );
        assert_eq!(
            r16.reaction("attr-encoding"),
            Some(&Reaction::Fails("Invalid attribute group entry".into()))
        );
        assert!(t.reader(14).unwrap().reaction("opaque-pointers").is_some());
        assert!(t.reader(13).unwrap().opaque_gap("inst:57").is_some());
    }
}
