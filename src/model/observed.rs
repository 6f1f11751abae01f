//! [`Observed`]: a fact of a scan together with how it was seen (present, absent, unreadable,
//! malformed), so rules can tell "no KFD node" from "permission denied on the KFD node".

use serde::{Deserialize, Serialize};

/// One observed fact. Serialized with an explicit state tag:
/// `{"state":"present","value":…}`, `{"state":"absent"}`,
/// `{"state":"unreadable","value":"permission denied"}`,
/// `{"state":"malformed","value":"not UTF-8"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "value", rename_all = "snake_case")]
pub enum Observed<T> {
    /// The thing exists and was read.
    Present(T),
    /// The thing does not exist (no such file or directory).
    Absent,
    /// The thing exists (or may) but could not be read; the reason says why.
    Unreadable(String),
    /// The thing was read but its content is not what it should be; the reason says how.
    Malformed(String),
}

impl<T> Observed<T> {
    /// The value, if present.
    pub fn present(&self) -> Option<&T> {
        match self {
            Observed::Present(v) => Some(v),
            _ => None,
        }
    }

    /// The value, if present, by value.
    pub fn into_present(self) -> Option<T> {
        match self {
            Observed::Present(v) => Some(v),
            _ => None,
        }
    }

    /// Whether the value is present.
    pub fn is_present(&self) -> bool {
        matches!(self, Observed::Present(_))
    }

    /// Whether the thing was absent.
    pub fn is_absent(&self) -> bool {
        matches!(self, Observed::Absent)
    }

    /// Converts the present value; other states carry over unchanged.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Observed<U> {
        match self {
            Observed::Present(v) => Observed::Present(f(v)),
            Observed::Absent => Observed::Absent,
            Observed::Unreadable(r) => Observed::Unreadable(r),
            Observed::Malformed(r) => Observed::Malformed(r),
        }
    }

    /// Chains a step that can itself fail (e.g. parsing what was read).
    pub fn and_then<U>(self, f: impl FnOnce(T) -> Observed<U>) -> Observed<U> {
        match self {
            Observed::Present(v) => f(v),
            Observed::Absent => Observed::Absent,
            Observed::Unreadable(r) => Observed::Unreadable(r),
            Observed::Malformed(r) => Observed::Malformed(r),
        }
    }

    /// Borrows the value.
    pub fn as_ref(&self) -> Observed<&T> {
        match self {
            Observed::Present(v) => Observed::Present(v),
            Observed::Absent => Observed::Absent,
            Observed::Unreadable(r) => Observed::Unreadable(r.clone()),
            Observed::Malformed(r) => Observed::Malformed(r.clone()),
        }
    }

    /// `"present"`, `"absent"`, `"unreadable"` or `"malformed"`, as in the JSON tag.
    pub fn state(&self) -> &'static str {
        match self {
            Observed::Present(_) => "present",
            Observed::Absent => "absent",
            Observed::Unreadable(_) => "unreadable",
            Observed::Malformed(_) => "malformed",
        }
    }

    /// The reason of an unreadable or malformed observation, `None` otherwise.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Observed::Unreadable(r) | Observed::Malformed(r) => Some(r),
            _ => None,
        }
    }
}

impl<T> From<std::io::Error> for Observed<T> {
    /// `NotFound` (and `NotADirectory` on a path through a file) is [`Observed::Absent`];
    /// every other error is [`Observed::Unreadable`] with the error's text.
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory => Observed::Absent,
            std::io::ErrorKind::PermissionDenied => {
                Observed::Unreadable("permission denied".to_string())
            }
            _ => Observed::Unreadable(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_with_a_state_tag() {
        let p: Observed<u32> = Observed::Present(7);
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"state":"present","value":7}"#
        );
        let a: Observed<u32> = Observed::Absent;
        assert_eq!(serde_json::to_string(&a).unwrap(), r#"{"state":"absent"}"#);
        let u: Observed<u32> = Observed::Unreadable("permission denied".into());
        assert_eq!(
            serde_json::to_string(&u).unwrap(),
            r#"{"state":"unreadable","value":"permission denied"}"#
        );
        for o in [p, a, u, Observed::Malformed("x".into())] {
            let back: Observed<u32> =
                serde_json::from_str(&serde_json::to_string(&o).unwrap()).unwrap();
            assert_eq!(back, o);
        }
    }

    #[test]
    fn helpers() {
        let p = Observed::Present(2).map(|v| v * 10);
        assert_eq!(p.present(), Some(&20));
        assert!(p.is_present());
        let m: Observed<u32> = Observed::Present("x").and_then(|s| match s.parse() {
            Ok(v) => Observed::Present(v),
            Err(_) => Observed::Malformed(format!("not a number: {s}")),
        });
        assert_eq!(m.reason(), Some("not a number: x"));
        assert_eq!(m.state(), "malformed");
        let e: Observed<()> = std::io::Error::from(std::io::ErrorKind::NotFound).into();
        assert!(e.is_absent());
    }
}
