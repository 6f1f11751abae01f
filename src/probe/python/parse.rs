//! Pure parsers for the small text files the Python probe reads: `torch/version.py`,
//! `pyvenv.cfg`, a `*.dist-info/METADATA` header, and gfx names in file names.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::snapshot::Observed;

/// What `torch/version.py` says. The wheel build writes it from `tools/generate_torch_version.py`:
/// `__version__`, `debug`, `cuda`, `git_version`, `hip` (and `xpu`, `rocm` in newer builds),
/// each a literal, with or without an `Optional[str]` annotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TorchVersion {
    /// `__version__` (`2.5.1+rocm6.2`).
    pub version: String,
    /// `hip` (`6.2.41133-dd7f95766`), `None` on CUDA and CPU builds.
    pub hip: Option<String>,
    /// `cuda` (`12.4`), `None` on ROCm and CPU builds.
    pub cuda: Option<String>,
    /// `rocm`, written by some newer builds (`7.2.1`).
    pub rocm: Option<String>,
    /// `xpu`, on builds that write it.
    pub xpu: Option<String>,
    /// `git_version`: the commit torch was built from.
    pub git_version: Option<String>,
    /// `debug`.
    pub debug: Option<bool>,
}

/// Which GPU stack a torch build targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flavour {
    /// Built with HIP (`torch.version.hip` set, or a `+rocm…` local version).
    Rocm,
    /// Built with CUDA.
    Cuda,
    /// Neither.
    Cpu,
}

impl TorchVersion {
    /// The build's flavour: `hip` set → ROCm, `cuda` set → CUDA; otherwise the local version
    /// label decides (`+rocm6.2`, `+rocmsdk…` → ROCm, `+cu121` → CUDA), else CPU.
    pub fn flavour(&self) -> Flavour {
        if self.hip.is_some() {
            return Flavour::Rocm;
        }
        if self.cuda.is_some() {
            return Flavour::Cuda;
        }
        match self.local_label() {
            Some(l) if l.starts_with("rocm") => Flavour::Rocm,
            Some(l) if l.starts_with("cu") && l[2..].starts_with(|c: char| c.is_ascii_digit()) => {
                Flavour::Cuda
            }
            _ => Flavour::Cpu,
        }
    }

    /// The local version label after `+` (`rocm6.2`), if any.
    pub fn local_label(&self) -> Option<&str> {
        self.version.split_once('+').map(|(_, l)| l)
    }

    /// The ROCm version in the local label (`+rocm6.2` → `6.2`, `+rocm6.2.4` → `6.2.4`).
    pub fn rocm_label(&self) -> Option<&str> {
        let l = self.local_label()?.strip_prefix("rocm")?;
        let end = l
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(l.len());
        let v = l[..end].trim_end_matches('.');
        (!v.is_empty() && v.starts_with(|c: char| c.is_ascii_digit())).then_some(v)
    }
}

/// A Python literal on the right of `=`.
enum Literal {
    Str(String),
    None,
    Bool(bool),
    Other,
}

fn literal(v: &str) -> Literal {
    let v = v.trim();
    // A trailing comment after the literal.
    let v = match (v.chars().next(), v.get(1..)) {
        (Some(q @ ('\'' | '"')), Some(rest)) => match rest.find(q) {
            Some(end) => return Literal::Str(rest[..end].to_string()),
            None => return Literal::Other,
        },
        _ => v.split('#').next().unwrap_or("").trim(),
    };
    match v {
        "None" => Literal::None,
        "True" => Literal::Bool(true),
        "False" => Literal::Bool(false),
        _ => Literal::Other,
    }
}

/// Parses `torch/version.py` as text (it is never run).
///
/// [`Observed::Malformed`] if there is no `__version__ = '…'` line, or if `hip` or `cuda` is
/// assigned something other than a string literal or `None` (a computed value cannot be read
/// without running Python).
pub fn parse_version_py(text: &str) -> Observed<TorchVersion> {
    let mut version = None;
    let mut out = TorchVersion {
        version: String::new(),
        hip: None,
        cuda: None,
        rocm: None,
        xpu: None,
        git_version: None,
        debug: None,
    };
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((lhs, rhs)) = line.split_once('=') else {
            continue;
        };
        if rhs.starts_with('=') {
            continue; // `==`
        }
        // `name` or `name: annotation`.
        let name = lhs.split(':').next().unwrap_or("").trim();
        let slot = match name {
            "__version__" => {
                match literal(rhs) {
                    Literal::Str(s) if !s.is_empty() => version = Some(s),
                    _ => {
                        return Observed::Malformed(format!(
                            "__version__ is not a string literal: {}",
                            rhs.trim()
                        ))
                    }
                }
                continue;
            }
            "debug" => {
                if let Literal::Bool(b) = literal(rhs) {
                    out.debug = Some(b);
                }
                continue;
            }
            "hip" => &mut out.hip,
            "cuda" => &mut out.cuda,
            "rocm" => &mut out.rocm,
            "xpu" => &mut out.xpu,
            "git_version" => &mut out.git_version,
            _ => continue,
        };
        match literal(rhs) {
            Literal::Str(s) => *slot = Some(s),
            Literal::None => *slot = None,
            _ if name == "hip" || name == "cuda" => {
                return Observed::Malformed(format!(
                    "{name} is neither a string nor None: {}",
                    rhs.trim()
                ))
            }
            _ => {}
        }
    }
    match version {
        Some(v) => {
            out.version = v;
            Observed::Present(out)
        }
        None => Observed::Malformed("no `__version__ = '…'` line".to_string()),
    }
}

/// Parses `pyvenv.cfg`: `key = value` lines (keys lower-cased, as the `site` module does).
pub fn parse_pyvenv_cfg(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

/// The Python version a `pyvenv.cfg` names: `version` (venv, virtualenv) or `version_info`
/// (uv, virtualenv: `3.12.3.final.0` → `3.12.3`).
pub fn pyvenv_python_version(cfg: &BTreeMap<String, String>) -> Option<String> {
    for key in ["version", "version_info"] {
        if let Some(v) = cfg.get(key) {
            let parts: Vec<&str> = v
                .split('.')
                .take_while(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
                .take(3)
                .collect();
            if parts.len() >= 2 {
                return Some(parts.join("."));
            }
        }
    }
    None
}

/// `python3.12` → `3.12`; `python3` → `3`; anything else → `None`.
pub fn python_dir_version(dir: &str) -> Option<String> {
    let v = dir.strip_prefix("python")?;
    (v.starts_with('3') && v.chars().all(|c| c.is_ascii_digit() || c == '.')).then(|| v.to_string())
}

/// `Name:` and `Version:` of a core-metadata header (`METADATA`, `PKG-INFO`): the lines before
/// the first blank line.
pub fn parse_metadata(text: &str) -> (Option<String>, Option<String>) {
    let (mut name, mut version) = (None, None);
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            match k.trim().to_ascii_lowercase().as_str() {
                "name" if name.is_none() => name = Some(v.trim().to_string()),
                "version" if version.is_none() => version = Some(v.trim().to_string()),
                _ => {}
            }
        }
    }
    (name, version)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A nightly ROCm wheel's version.py, as found in the public code index (index id
    /// 28421718187; the index does not name the repository it came from).
    const ROCM_NIGHTLY: &str = "from typing import Optional\n\n__all__ = ['__version__', 'debug', 'cuda', 'git_version', 'hip']\n__version__ = '2.3.0.dev20240308+rocm6.0'\ndebug = False\ncuda: Optional[str] = None\ngit_version = '55e93013211e3d9a52e259aee5df4f6198a3cdcc'\nhip: Optional[str] = '6.0.32830-d62f6a171'\n";

    /// A CPU wheel's version.py:
    /// https://github.com/botirk38/GuardianAI/blob/HEAD/venv/lib/python3.11/site-packages/torch/version.py
    const CPU: &str = "from typing import Optional\n\n__all__ = ['__version__', 'debug', 'cuda', 'git_version', 'hip']\n__version__ = '2.3.0'\ndebug = False\ncuda: Optional[str] = None\ngit_version = '97ff6cfd9c86c5c09d7ce775ab64ec5c99230f5d'\nhip: Optional[str] = None\n";

    /// A CUDA wheel's version.py (torch 2.7, with the `xpu` line), from the public code index.
    const CUDA: &str = "from typing import Optional\n\n__all__ = ['__version__', 'debug', 'cuda', 'git_version', 'hip']\n__version__ = '2.7.0+cu126'\ndebug = False\ncuda: Optional[str] = '12.6'\ngit_version = '134179474539648ba7dee1317959529fbd0e7f89'\nhip: Optional[str] = None\nxpu: Optional[str] = None\n";

    /// torch 1.x wrote the same lines without annotations. Synthesized: the shape is that of
    /// torch 1.x's generator; the git hash is made up.
    const OLD_ROCM: &str = "__version__ = '1.13.1+rocm5.2'\ndebug = False\ncuda = None\ngit_version = '49444c3e546bf240bed24a101e747422d1f8a0ee'\nhip = '5.2.21151-afdc89f8'\n";

    #[test]
    fn real_version_py_files() {
        let v = parse_version_py(ROCM_NIGHTLY).into_present().unwrap();
        assert_eq!(v.version, "2.3.0.dev20240308+rocm6.0");
        assert_eq!(v.hip.as_deref(), Some("6.0.32830-d62f6a171"));
        assert_eq!(v.cuda, None);
        assert_eq!(
            v.git_version.as_deref(),
            Some("55e93013211e3d9a52e259aee5df4f6198a3cdcc")
        );
        assert_eq!(v.debug, Some(false));
        assert_eq!(v.flavour(), Flavour::Rocm);
        assert_eq!(v.rocm_label(), Some("6.0"));

        let c = parse_version_py(CPU).into_present().unwrap();
        assert_eq!(c.version, "2.3.0");
        assert_eq!((c.hip.as_deref(), c.cuda.as_deref()), (None, None));
        assert_eq!(c.flavour(), Flavour::Cpu);
        assert_eq!(c.rocm_label(), None);

        let n = parse_version_py(CUDA).into_present().unwrap();
        assert_eq!(n.cuda.as_deref(), Some("12.6"));
        assert_eq!(n.flavour(), Flavour::Cuda);

        let o = parse_version_py(OLD_ROCM).into_present().unwrap();
        assert_eq!(o.hip.as_deref(), Some("5.2.21151-afdc89f8"));
        assert_eq!(o.flavour(), Flavour::Rocm);
        assert_eq!(o.rocm_label(), Some("5.2"));
    }

    #[test]
    fn flavour_from_the_label_when_hip_is_missing() {
        let v = parse_version_py("__version__ = \"2.9.0+rocmsdk20251116\"\nhip = None\n")
            .into_present()
            .unwrap();
        assert_eq!(v.flavour(), Flavour::Rocm);
        assert_eq!(v.rocm_label(), None);
        let v = parse_version_py("__version__ = '2.4.1+cpu'\n")
            .into_present()
            .unwrap();
        assert_eq!(v.flavour(), Flavour::Cpu);
    }

    #[test]
    fn malformed_version_py() {
        assert!(matches!(parse_version_py(""), Observed::Malformed(_)));
        assert!(matches!(
            parse_version_py("<html>404</html>"),
            Observed::Malformed(_)
        ));
        assert!(matches!(
            parse_version_py("__version__ = get_version()\n"),
            Observed::Malformed(_)
        ));
        assert!(matches!(
            parse_version_py("__version__ = '2.5.1'\nhip = os.environ['HIP']\n"),
            Observed::Malformed(_)
        ));
    }

    #[test]
    fn pyvenv_and_metadata_and_names() {
        let cfg = parse_pyvenv_cfg(
            "home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.12.3\n",
        );
        assert_eq!(cfg["home"], "/usr/bin");
        assert_eq!(pyvenv_python_version(&cfg).as_deref(), Some("3.12.3"));
        let uv = parse_pyvenv_cfg(
            "home = /x\nimplementation = CPython\nuv = 0.4.0\nversion_info = 3.11.9.final.0\n",
        );
        assert_eq!(pyvenv_python_version(&uv).as_deref(), Some("3.11.9"));
        assert_eq!(python_dir_version("python3.12").as_deref(), Some("3.12"));
        assert_eq!(python_dir_version("python3").as_deref(), Some("3"));
        assert_eq!(python_dir_version("python2.7"), None);
        assert_eq!(
            parse_metadata(
                "Metadata-Version: 2.1\nName: torch\nVersion: 2.5.1+rocm6.2\n\nName: x\n"
            ),
            (Some("torch".into()), Some("2.5.1+rocm6.2".into()))
        );
    }
}
