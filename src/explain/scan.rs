//! One pass over the whole log for every piece of evidence `explain` knows: the names and
//! printed texts of the error vocabulary (knowledge::errors), the hand-written mapping rows
//! (kernel, loader, packaging, compiler, application messages) and the log signatures.
//!
//! Linear in the log: an Aho-Corasick automaton over every literal runs once over the text;
//! a regex runs only on a line one of its literals selected, at most once per line and rule.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::diagnose::Evidence;
use crate::knowledge::errors::{self, ErrorName, MapRow};
use crate::knowledge::signatures::{self, Signature};

/// A message counts this much of its vocabulary row's weight (names count fully).
const MESSAGE_SHARE: f64 = 0.8;
/// A bare HSA status code counts this much of its row's weight.
const CODE_SHARE: f64 = 0.7;
/// Printed texts shorter than this are too generic to count ("out of memory" is caught by
/// other rows); message-only entries (Tensile host messages) always count.
const MIN_MESSAGE_LEN: usize = 16;

/// What a literal stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    /// A vocabulary entry's name (exact, whole word) or printed text.
    Vocab { entry: usize, by_name: bool },
    /// An HSA status's hex code (`0x1016`), on a line that speaks of an error or status.
    Code(usize),
    /// A mapping row of error_categories.toml.
    Row(usize),
    /// A log signature's patterns.
    Sig(usize),
}

/// One rule of the scan, for "distinct evidence" counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum RuleKey {
    Vocab(usize),
    Row(usize),
    Sig(usize),
}

/// One piece of evidence found.
pub(crate) struct Match {
    /// The finding it points at.
    pub sig: &'static Signature,
    /// The rule that matched.
    pub rule: RuleKey,
    /// Its weight.
    pub weight: f64,
    /// 1-based line.
    pub line: usize,
    /// Capture groups of a signature pattern (for the context rules).
    pub captures: Vec<String>,
    /// What the knowledge says about it (the vocabulary entry's code, text and source).
    pub note: Option<Evidence>,
    /// A message healthy runs print too.
    pub red_herring: bool,
    /// Context rather than failure: counts only beside other evidence.
    pub context_only: bool,
}

struct Scanner {
    ac: AhoCorasick,
    /// Per literal pattern id: what it stands for.
    owners: Vec<Vec<Owner>>,
    /// Number of rule slots (for the per-line dedup table).
    rules: usize,
}

fn slot(o: Owner, vocab: usize, rows: usize) -> usize {
    match o {
        Owner::Vocab { entry, by_name } => entry * 2 + usize::from(by_name),
        Owner::Code(e) => vocab * 2 + e,
        Owner::Row(r) => vocab * 3 + r,
        Owner::Sig(s) => vocab * 3 + rows + s,
    }
}

fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| {
        let mut lits: Vec<String> = Vec::new();
        let mut owners: Vec<Vec<Owner>> = Vec::new();
        let mut add = |lit: &str, o: Owner| {
            let key = lit.to_ascii_lowercase();
            match lits.iter().position(|l| *l == key) {
                Some(i) => {
                    if !owners[i].contains(&o) {
                        owners[i].push(o)
                    }
                }
                None => {
                    lits.push(key);
                    owners.push(vec![o]);
                }
            }
        };
        let vocab = errors::vocabulary();
        for (i, e) in vocab.iter().enumerate() {
            if !e.name.is_empty() {
                add(
                    &e.name,
                    Owner::Vocab {
                        entry: i,
                        by_name: true,
                    },
                );
            }
            if e.library.starts_with("HSA") && e.code.starts_with("0x") && e.code.len() >= 4 {
                add(&e.code, Owner::Code(i));
            }
            let printed = e.file.contains("text:") || e.name.is_empty();
            let msg = e.message.trim();
            let long = msg.len() >= MIN_MESSAGE_LEN && msg.contains(' ');
            if printed && (long || (e.name.is_empty() && msg.len() >= 10)) {
                add(
                    msg,
                    Owner::Vocab {
                        entry: i,
                        by_name: false,
                    },
                );
            }
        }
        let rows = errors::mapping();
        for (i, r) in rows.iter().enumerate() {
            for l in &r.literals {
                add(l, Owner::Row(i));
            }
        }
        let sigs = signatures::all();
        for (i, s) in sigs.iter().enumerate() {
            if !s.patterns.is_empty() {
                for l in &s.literals {
                    add(l, Owner::Sig(i));
                }
            }
        }
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&lits)
            .expect("explain literal set");
        Scanner {
            ac,
            owners,
            rules: vocab.len() * 3 + rows.len() + sigs.len(),
        }
    })
}

fn word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn vocab_note(e: &ErrorName) -> Evidence {
    let code = if e.code.is_empty() {
        String::new()
    } else {
        format!(" ({})", e.code)
    };
    let name = if e.name.is_empty() {
        "message".to_owned()
    } else {
        format!("{}{code}", e.name)
    };
    Evidence::new(
        format!("knowledge: {} {}", e.repo, e.file),
        format!("{} {name}: {}", e.library, e.message),
    )
}

/// Every match in `text`, whose lines (split at `\n`, as `str::lines`) are `lines`.
pub(crate) fn scan(text: &str, lines: &[&str]) -> Vec<Match> {
    let s = scanner();
    let vocab = errors::vocabulary();
    let rows = errors::mapping();
    let sigs = signatures::all();
    let bytes = text.as_bytes();
    // Line of each byte offset: line starts, searched forward as matches come in order.
    let mut starts: Vec<usize> = vec![0];
    starts.extend(memchr_all(bytes).map(|i| i + 1));
    let line_of = |pos: usize| -> usize { starts.partition_point(|&st| st <= pos) };
    // Last line each rule slot was tried on: a rule is evaluated once per line.
    let mut tried: Vec<usize> = vec![0; s.rules];
    let mut out: Vec<Match> = Vec::new();
    for m in s.ac.find_overlapping_iter(text) {
        let n = line_of(m.start());
        let Some(line) = lines.get(n - 1).copied() else {
            continue;
        };
        for &o in &s.owners[m.pattern().as_usize()] {
            if let Owner::Vocab { by_name: true, .. } = o {
                // Names: exact case, whole word; checked per occurrence.
                let (a, b) = (m.start(), m.end());
                let ok = (a == 0 || !word_byte(bytes[a - 1]))
                    && (b == bytes.len() || !word_byte(bytes[b]));
                let Owner::Vocab { entry, .. } = o else {
                    unreachable!()
                };
                if !ok || &text[a..b] != vocab[entry].name.as_str() {
                    continue;
                }
            }
            if let Owner::Code(_) = o {
                let b = m.end();
                let whole = (m.start() == 0 || !word_byte(bytes[m.start() - 1]))
                    && (b == bytes.len() || !bytes[b].is_ascii_hexdigit());
                let lower = line.to_ascii_lowercase();
                let speaks = ["error", "status", "hsa", "code:"]
                    .iter()
                    .any(|w| lower.contains(w));
                if !whole || !speaks {
                    continue;
                }
            }
            let k = slot(o, vocab.len(), rows.len());
            if tried[k] == n {
                continue;
            }
            tried[k] = n;
            match o {
                Owner::Code(entry) => {
                    let e = &vocab[entry];
                    let Some(row) = errors::row_for(e).filter(|r| r.weight > 0) else {
                        continue;
                    };
                    let Some(sig) = signatures::by_code(&row.code) else {
                        continue;
                    };
                    out.push(Match {
                        sig,
                        rule: RuleKey::Vocab(entry),
                        weight: f64::from(row.weight) * CODE_SHARE,
                        line: n,
                        captures: Vec::new(),
                        note: Some(vocab_note(e)),
                        red_herring: row.red_herring,
                        context_only: row.context_only,
                    });
                }
                Owner::Vocab { entry, by_name } => {
                    let e = &vocab[entry];
                    // Success statuses are vocabulary, not failures.
                    let Some(row) = errors::row_for(e).filter(|r| r.weight > 0) else {
                        continue;
                    };
                    let Some(sig) = signatures::by_code(&row.code) else {
                        continue;
                    };
                    let share = if by_name { 1.0 } else { MESSAGE_SHARE };
                    out.push(Match {
                        sig,
                        rule: RuleKey::Vocab(entry),
                        weight: f64::from(row.weight) * share,
                        line: n,
                        captures: Vec::new(),
                        note: Some(vocab_note(e)),
                        red_herring: row.red_herring,
                        context_only: row.context_only,
                    });
                }
                Owner::Row(r) => {
                    let row: &MapRow = &rows[r];
                    if row.regex().is_some_and(|re| !re.is_match(line)) {
                        continue;
                    }
                    let Some(sig) = signatures::by_code(&row.code) else {
                        continue;
                    };
                    out.push(Match {
                        sig,
                        rule: RuleKey::Row(r),
                        weight: f64::from(row.weight),
                        line: n,
                        captures: Vec::new(),
                        note: None,
                        red_herring: row.red_herring,
                        context_only: row.context_only,
                    });
                }
                Owner::Sig(i) => {
                    let sig = &sigs[i];
                    let Some(re) = sig.regexes().iter().find(|re| re.is_match(line)) else {
                        continue;
                    };
                    let captures = re
                        .captures(line)
                        .map(|c| {
                            (1..c.len())
                                .filter_map(|k| c.get(k).map(|m| m.as_str().to_owned()))
                                .collect()
                        })
                        .unwrap_or_default();
                    out.push(Match {
                        sig,
                        rule: RuleKey::Sig(i),
                        weight: f64::from(sig.priority),
                        line: n,
                        captures,
                        note: None,
                        red_herring: sig.code == "amdgpu-ids-missing"
                            || sig.code == "known-harmless-warning",
                        context_only: false,
                    });
                }
            }
        }
    }
    // A line a red-herring row claims is that harmless message: broad rows do not read it
    // as a failure too.
    let claimed: Vec<usize> = out
        .iter()
        .filter(|m| m.red_herring && matches!(m.rule, RuleKey::Row(_)))
        .map(|m| m.line)
        .collect();
    if !claimed.is_empty() {
        out.retain(|m| {
            m.red_herring || !matches!(m.rule, RuleKey::Row(_)) || !claimed.contains(&m.line)
        });
    }
    out
}

/// Words that name the ROCm stack, and words that say something failed: a log with both
/// shows a ROCm failure even when no rule knows the message.
const STACK_WORDS: &[&str] = &[
    "rocm",
    "hip",
    "hsa",
    "amdgpu",
    "amdkfd",
    "kfd",
    "gfx",
    "radeon",
    "miopen",
    "rocblas",
    "hipblas",
    "hipblaslt",
    "rocsolver",
    "tensile",
    "rccl",
    "comgr",
    "migraphx",
    "therock",
    "rocminfo",
    "rocm-smi",
    "amd-smi",
    "amdsmi",
    "zluda",
    "hipcc",
    "amdhip64",
    "instinct",
    "rocr",
    "amdgcn",
    "ollama",
    "llama.cpp",
    "ggml",
    "vllm",
    "comfyui",
    "bitsandbytes",
    "gpu",
    "gpus",
    "amd",
    "cuda",
    "torch",
    "opencl",
    "clinfo",
    "dkms",
    "llvm",
    "clang",
    "__device__",
    "__global__",
    "__host__",
    "host device",
    "hip_runtime",
    "lemonade",
];
const FAILURE_WORDS: &[&str] = &[
    "error",
    "failed",
    "failure",
    "fault",
    "segmentation",
    "sigsegv",
    "traceback",
    "exception",
    "abort",
    "aborted",
    "core dumped",
    "crash",
    "crashed",
    "crashes",
    "cannot",
    "can't",
    "unable",
    "not working",
    "doesn't work",
    "does not work",
    "stuck",
    "hang",
    "hangs",
    "freeze",
    "freezes",
    "timeout",
    "timed out",
    "not found",
    "no such file",
    "invalid",
    "not supported",
    "unsupported",
    "undefined",
    "fail",
    "fails",
    "issue",
    "problem",
    "broken",
    "wrong",
    "bug",
    "never",
    "killed",
    "not detected",
    "missing",
    "mismatch",
    "segfault",
    "doesn't",
    "won't",
    "didn't",
    "refuse",
    "refused",
    "denied",
    "incorrect",
    "garbage",
    "nan",
    "not defined",
    "nothing working",
    "not working",
    "false",
    "cpu only",
    "only cpu",
    "using cpu",
    "uses cpu",
    "falls back",
    "fallback",
    "not listed",
    "not shown",
    "nothing happens",
    "no devices",
    "0 devices",
    "black screen",
    "reboot",
    "reboots",
    "slow",
    "slower",
    "panic",
    "oops",
    "warning",
    "still waiting",
    "waiting for",
];

/// The first line that says something failed (lines in `skip`, sorted, aside: red herrings), when the
/// text also names the ROCm stack somewhere (whole words, any case). Counting lines up to a
/// match is done once per candidate, and stops at the first kept one.
pub(crate) fn failure_line(text: &str, skip: &[usize]) -> Option<usize> {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    let ac = AC.get_or_init(|| {
        let all: Vec<&str> = STACK_WORDS.iter().chain(FAILURE_WORDS).copied().collect();
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(all)
            .expect("floor words")
    });
    let bytes = text.as_bytes();
    let (mut stack, mut failure): (bool, Option<usize>) = (false, None);
    // Line of the last position looked at: counted forward only, so the whole scan is linear.
    let (mut at, mut line) = (0usize, 1usize);
    for m in ac.find_overlapping_iter(text) {
        let (a, b) = (m.start(), m.end());
        // `NameError`, `RuntimeError`: a CamelCase word ending in a failure word counts.
        let camel = bytes[a].is_ascii_uppercase() && a > 0 && bytes[a - 1].is_ascii_lowercase();
        let whole = (a == 0 || !word_byte(bytes[a - 1]) || camel)
            && (b == bytes.len() || !bytes[b].is_ascii_alphabetic());
        if !whole {
            continue;
        }
        if m.pattern().as_usize() < STACK_WORDS.len() {
            stack = true;
        } else if failure.is_none() {
            if a > at {
                line += bytes[at..a].iter().filter(|&&c| c == b'\n').count();
                at = a;
            }
            let n = line;
            if skip.binary_search(&n).is_err() {
                failure = Some(n);
            }
        }
        if stack && failure.is_some() {
            break;
        }
    }
    failure.filter(|_| stack)
}

/// Offsets of every `\n`.
fn memchr_all(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'\n')
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<&'static str> {
        let lines: Vec<&str> = text.lines().collect();
        scan(text, &lines)
            .iter()
            .map(|m| m.sig.code.as_str())
            .collect()
    }

    #[test]
    fn vocabulary_names_texts_rows_and_signatures_all_match() {
        assert!(codes("error: HSA_STATUS_ERROR_INVALID_ISA").contains(&"code-object-rejected"));
        // A longer name is not its prefix.
        assert!(!codes("HSA_STATUS_ERROR_INVALID_ISA_NAMEX").contains(&"code-object-rejected"));
        assert!(codes(
            "RuntimeError: HIP error: no kernel image is available for execution on the device"
        )
        .contains(&"hip-no-binary-for-gpu"));
        assert!(
            codes("[ 3.1] amdgpu: navi10 not supported in kfd").contains(&"kfd-unsupported-asic")
        );
        assert!(
            codes("Error! Bad return status for module build on kernel: 6.14.0 (x86_64)")
                .contains(&"dkms-build-failed")
        );
        assert!(codes("hipErrorNoBinaryForGpu: Unable to find code object")
            .contains(&"hip-no-binary-for-gpu"));
        assert!(codes("all fine").is_empty());
    }

    #[test]
    fn lines_are_counted_like_str_lines() {
        let text = "a\r\nb\n\nHSA_STATUS_ERROR_MEMORY_APERTURE_VIOLATION\n";
        let lines: Vec<&str> = text.lines().collect();
        let m = scan(text, &lines);
        assert!(
            m.iter().all(|m| m.line == 4),
            "{:?}",
            m.iter().map(|m| m.line).collect::<Vec<_>>()
        );
    }
}
