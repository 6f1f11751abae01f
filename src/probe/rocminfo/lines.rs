//! One line of a paste: cleaned of what the pasting added (quote marks, timestamps, terminal
//! escapes, padding), then classified.

/// What a cleaned line is.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Kind<'a> {
    /// Blank, a markdown fence, an HTML tag, a `=====`/`*****` rule, an elision (`...`), a
    /// grid dimension row, `N/A`, or a line rocminfo prints that carries nothing.
    Skip,
    /// `*** Done ***`.
    Done,
    /// `HSA System Attributes`, `HSA Agents`.
    Header,
    /// `ROCk module [version X] is loaded`: the version, or `loaded`.
    KfdModule(String),
    /// A failure rocminfo printed.
    Error,
    /// `Agent N`.
    AgentHeader(u32),
    /// `Pool N`.
    PoolHeader,
    /// `ISA N`.
    IsaHeader,
    /// `Key: value`, the value without its padding.
    Field(&'a str, &'a str),
    /// None of the above.
    Unread,
}

/// Removes what pasting adds in front of and inside a line: terminal escape sequences and
/// control characters, `>` quote marks (email, GitHub), and a leading timestamp.
pub(super) fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ params final-byte; other escapes: ESC + one char.
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            } else {
                chars.next();
            }
        } else if c == '\t' {
            out.push(' ');
        } else if !c.is_control() {
            out.push(c);
        }
    }
    let mut s = out.trim();
    while let Some(rest) = s.strip_prefix('>') {
        s = rest.trim_start();
    }
    strip_timestamp(s).trim().to_owned()
}

/// `2024-05-01T10:11:12.123Z`, `2024-05-01 10:11:12`, `10:11:12`, `[10:11:12]`,
/// `[  123.456789]` (dmesg) in front of a line.
fn strip_timestamp(s: &str) -> &str {
    if let Some(inner) = s.strip_prefix('[') {
        if let Some(end) = inner.find(']') {
            let (stamp, rest) = inner.split_at(end);
            let digits = stamp.chars().any(|c| c.is_ascii_digit());
            let stampish = stamp
                .chars()
                .all(|c| c.is_ascii_digit() || " -:.,TZ+/".contains(c));
            if digits && stampish && (stamp.contains(':') || stamp.contains('.')) {
                return rest.get(1..).unwrap_or("").trim_start();
            }
        }
        return s;
    }
    if !s.contains(' ') && (is_date(s) || is_time(s)) {
        return "";
    }
    let mut rest = s;
    if let Some((first, after)) = rest.split_once(' ') {
        if is_date(first) {
            rest = after.trim_start();
        }
    }
    if let Some((first, after)) = rest.split_once(' ') {
        if is_time(first) {
            rest = after.trim_start();
        }
    }
    rest
}

fn is_date(token: &str) -> bool {
    let b = token.as_bytes();
    b.len() >= 10
        && b.iter().take(4).all(u8::is_ascii_digit)
        && b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
}

fn is_time(token: &str) -> bool {
    let b = token.as_bytes();
    b.len() >= 8
        && b.iter().take(2).all(u8::is_ascii_digit)
        && b.get(2) == Some(&b':')
        && b.get(5) == Some(&b':')
}

/// Classifies a line [`clean`] returned.
pub(super) fn classify(line: &str) -> Kind<'_> {
    if line.is_empty()
        || line.starts_with("```")
        || line.starts_with("~~~")
        || (line.starts_with('<') && line.ends_with('>'))
        || line.chars().all(|c| "=*-_~#. ".contains(c))
        || line == "[...]"
        || line.eq_ignore_ascii_case("N/A")
        || line.starts_with("Able to open /dev/kfd")
    {
        return Kind::Skip;
    }
    if is_command(line) {
        return Kind::Skip;
    }
    let bare = line.trim_matches(|c| c == '*' || c == ' ');
    if bare == "Done" {
        return Kind::Done;
    }
    if bare == "HSA System Attributes" || bare == "HSA Agents" {
        return Kind::Header;
    }
    if let Some(rest) = line.strip_prefix("ROCk module") {
        let rest = rest.trim();
        if rest == "is loaded" {
            return Kind::KfdModule("loaded".to_owned());
        }
        if let Some(v) = rest
            .strip_prefix("version ")
            .and_then(|r| r.strip_suffix(" is loaded"))
        {
            return Kind::KfdModule(v.trim().to_owned());
        }
        return Kind::Error;
    }
    if is_error(line) {
        return Kind::Error;
    }
    if let Some(n) = numbered(bare, "Agent") {
        return Kind::AgentHeader(n);
    }
    if numbered(bare, "Pool").is_some() {
        return Kind::PoolHeader;
    }
    if numbered(bare, "ISA").is_some() {
        return Kind::IsaHeader;
    }
    if is_grid_row(line) {
        return Kind::Skip;
    }
    if let Some((key, value)) = line.split_once(':') {
        let key = key.trim();
        if is_key(key) {
            return Kind::Field(key, value_of(value));
        }
    }
    Kind::Unread
}

/// The command that produced the paste: `rocminfo`, `$ /opt/rocm/bin/rocminfo --support`,
/// `sudo rocm-smi --showproductname`, `amd-smi static`.
fn is_command(line: &str) -> bool {
    let mut words = line
        .split_whitespace()
        .skip_while(|w| matches!(*w, "$" | "#" | "%" | "sudo"));
    words.next().is_some_and(|w| {
        let prog = w.rsplit('/').next().unwrap_or(w);
        matches!(prog, "rocminfo" | "rocm-smi" | "amd-smi")
    }) && !line.contains(':')
}

/// `Agent 3` → 3 for `word` = `Agent`.
fn numbered(s: &str, word: &str) -> Option<u32> {
    s.strip_prefix(word)?.strip_prefix(' ')?.trim().parse().ok()
}

fn is_error(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    [
        "unable to open",
        "hsa api call failure",
        "hsa_status_error",
        "permission denied",
        "failed to",
        "no such file",
        "command not found",
    ]
    .iter()
    .any(|m| lower.contains(m))
}

/// `x                        1024(0x400)` under a "per Dimension" heading.
fn is_grid_row(line: &str) -> bool {
    let mut parts = line.split_whitespace();
    matches!(parts.next(), Some("x" | "y" | "z"))
        && parts
            .next()
            .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
}

fn is_key(key: &str) -> bool {
    key.len() <= 48
        && key.starts_with(|c: char| c.is_ascii_alphabetic())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " .()/-_[]".contains(c))
}

/// The value without its padding: rocminfo pads values to a column, and terminals append
/// things after a long run of spaces (tmux's `[391/1815]`), so cut at four spaces.
fn value_of(raw: &str) -> &str {
    let v = raw.trim_start();
    let cut = v.find("    ").unwrap_or(v.len());
    v.get(..cut).unwrap_or(v).trim_end()
}

/// At most 120 characters of a line, for a warning.
pub(super) fn excerpt(line: &str) -> String {
    let mut out: String = line.chars().take(120).collect();
    if line.chars().nth(120).is_some() {
        out.push('…');
    }
    out
}

/// The number a value starts with: `40`, `8372224(0x7fc000) KB` → 8372224.
pub(super) fn leading_number<T: std::str::FromStr>(value: &str) -> Option<T> {
    let end = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    value.get(..end)?.parse().ok()
}

/// `29631(0x73bf)` → `0x73bf`; `0(0x0)` → `None`; a bare decimal is converted.
pub(super) fn chip_id(value: &str) -> Option<String> {
    let id: u32 = match value.find("(0x").or_else(|| value.find("(0X")) {
        Some(at) => {
            let hex = value.get(at.checked_add(3)?..)?;
            let end = hex.find(')').unwrap_or(hex.len());
            u32::from_str_radix(hex.get(..end)?, 16).ok()?
        }
        None => leading_number(value)?,
    };
    (id != 0).then(|| format!("0x{id:04x}"))
}

/// `YES`/`TRUE` → true, `NO`/`FALSE` → false.
pub(super) fn yes_no(value: &str) -> Option<bool> {
    match value.to_ascii_uppercase().as_str() {
        "YES" | "TRUE" => Some(true),
        "NO" | "FALSE" => Some(false),
        _ => None,
    }
}
