//! [`Launcher`]: what command a smoke case runs (an interpreter, a container or a test
//! fixture). Running it with a timeout is `crate::exec`'s job.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Case, SMOKE_SCRIPT};

/// What runs the smoke script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launcher {
    /// A Python interpreter: `<path> -c <script> <case>`.
    Python(PathBuf),
    /// A container image: `<engine> run --rm --device=/dev/kfd ... <tag> python3 -c ...`.
    Image {
        /// `docker` or `podman` (a name on PATH or a path).
        engine: PathBuf,
        /// The image tag.
        tag: String,
    },
    /// A test stand-in: `<fixture> <case>`.
    Fixture(PathBuf),
}

impl Launcher {
    /// One line naming what runs the cases.
    pub fn describe(&self) -> String {
        match self {
            Launcher::Python(p) => format!("python {}", p.display()),
            Launcher::Image { engine, tag } => format!("image {tag} via {}", engine.display()),
            Launcher::Fixture(p) => format!("fixture {}", p.display()),
        }
    }

    /// Checks that the interpreter, engine or fixture can be found before running anything.
    pub fn check(&self) -> Result<(), String> {
        let (what, prog) = match self {
            Launcher::Python(p) => ("interpreter", p),
            Launcher::Image { engine, .. } => ("container engine", engine),
            Launcher::Fixture(p) => ("fixture", p),
        };
        match find_program(prog) {
            Some(_) => Ok(()),
            None => Err(format!("{what} {} not found", prog.display())),
        }
    }

    pub(super) fn command(&self, case: &Case, container: &str) -> Command {
        match self {
            Launcher::Python(p) => {
                let mut c = Command::new(p);
                c.args(["-c", SMOKE_SCRIPT, &case.name]);
                c
            }
            Launcher::Image { engine, tag } => {
                let mut c = Command::new(engine);
                c.args(["run", "--rm", "--name", container])
                    .args(["--device=/dev/kfd", "--device=/dev/dri"])
                    .args(["--group-add", "video", "--group-add", "render"])
                    .args(["--security-opt", "seccomp=unconfined", "--ipc=host"])
                    .args([tag.as_str(), "python3", "-c", SMOKE_SCRIPT, &case.name]);
                c
            }
            Launcher::Fixture(p) => {
                let mut c = Command::new(p);
                c.arg(&case.name);
                c
            }
        }
    }
}

/// `prog` itself when it has a `/`, else the first match on PATH.
fn find_program(prog: &Path) -> Option<PathBuf> {
    if prog.components().count() > 1 || prog.is_absolute() {
        return prog.is_file().then(|| prog.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(prog))
        .find(|p| p.is_file())
}
