//! Runs one command with a timeout and never hangs itself doing so.
//!
//! - The child gets its own process group, so a hang is ended by killing the whole group
//!   (the interpreter and anything it started), not just the direct child.
//! - stdout and stderr are drained by two threads at the same time: a child that fills one
//!   pipe while we wait on the other would otherwise block forever. Each keeps only a tail.
//! - The timeout is enforced by polling `try_wait`, so no blocking `wait` can outlive it.
//! - When the child is gone but something still holds the pipes open (a grandchild), the
//!   group is killed, and readers that still do not finish are abandoned after a grace period.
//!
//! [`Launcher`] says what command a case runs: an interpreter, a container or a test fixture.

use std::io::{self, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use super::{Case, SMOKE_SCRIPT};

/// How often the child is polled while it runs.
const POLL: Duration = Duration::from_millis(20);
/// How long the readers get to reach end-of-file once the child has exited or been killed.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// The end of one output stream.
#[derive(Debug, Clone, Default)]
pub struct Captured {
    /// The last bytes read (at most the cap given to [`run`]).
    pub tail: Vec<u8>,
    /// How many bytes the stream carried in all.
    pub total: u64,
}

/// What a finished (or killed) command left behind.
#[derive(Debug)]
pub struct RunOutput {
    /// The exit status, or `None` when the timeout hit and the group was killed.
    pub status: Option<ExitStatus>,
    /// The tail of stdout.
    pub stdout: Captured,
    /// The tail of stderr.
    pub stderr: Captured,
    /// Wall time from spawn to exit (or to the kill).
    pub elapsed: Duration,
}

/// Runs `cmd` (stdin closed, stdout/stderr captured) for at most `timeout`, keeping the last
/// `keep` bytes of each stream.
///
/// Returns an error only when the command cannot be started.
pub fn run(mut cmd: Command, timeout: Duration, keep: usize) -> io::Result<RunOutput> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let start = Instant::now();
    let mut child = cmd.spawn()?;
    // process_group(0) makes the child the leader: its pid is the group id.
    let pgid = child.id();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let out = Arc::new(Mutex::new(Captured::default()));
    let err = Arc::new(Mutex::new(Captured::default()));
    let mut readers = 0;
    if let Some(pipe) = child.stdout.take() {
        spawn_reader(pipe, Arc::clone(&out), keep, done_tx.clone());
        readers += 1;
    }
    if let Some(pipe) = child.stderr.take() {
        spawn_reader(pipe, Arc::clone(&err), keep, done_tx.clone());
        readers += 1;
    }
    drop(done_tx);

    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() >= timeout => {
                kill_group(pgid);
                let _ = child.wait();
                break None;
            }
            Ok(None) => thread::sleep(POLL),
            Err(_) => {
                // Cannot observe the child any more: stop it rather than wait blindly.
                kill_group(pgid);
                let _ = child.wait();
                break None;
            }
        }
    };
    let elapsed = start.elapsed();

    let finished = wait_readers(&done_rx, readers, DRAIN_GRACE);
    if finished < readers {
        // The child is gone but its pipes are still open: leftovers of its group hold them.
        // Any reader still blocked after this is abandoned; what it read so far is kept.
        kill_group(pgid);
        wait_readers(&done_rx, readers - finished, DRAIN_GRACE);
    }
    Ok(RunOutput {
        status,
        stdout: snapshot(&out),
        stderr: snapshot(&err),
        elapsed,
    })
}

/// Waits up to `grace` for `want` readers to report end-of-file; returns how many did.
fn wait_readers(rx: &mpsc::Receiver<()>, want: usize, grace: Duration) -> usize {
    let deadline = Instant::now() + grace;
    let mut got = 0;
    while got < want {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(()) => got += 1,
            Err(_) => break,
        }
    }
    got
}

fn snapshot(buf: &Arc<Mutex<Captured>>) -> Captured {
    buf.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

/// Reads `pipe` to its end, keeping the last `keep` bytes in `buf`, then signals `done`.
fn spawn_reader(
    mut pipe: impl Read + Send + 'static,
    buf: Arc<Mutex<Captured>>,
    keep: usize,
    done: mpsc::Sender<()>,
) {
    thread::spawn(move || {
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    let mut b = buf.lock().unwrap_or_else(PoisonError::into_inner);
                    b.total += n as u64;
                    b.tail.extend_from_slice(&chunk[..n]);
                    // Trim in batches so a flood costs amortised O(1) per byte.
                    if b.tail.len() > keep.saturating_mul(2).max(chunk.len()) {
                        let cut = b.tail.len() - keep;
                        b.tail.drain(..cut);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        let mut b = buf.lock().unwrap_or_else(PoisonError::into_inner);
        if b.tail.len() > keep {
            let cut = b.tail.len() - keep;
            b.tail.drain(..cut);
        }
        drop(b);
        let _ = done.send(());
    });
}

/// Sends SIGKILL to every process of group `pgid`.
///
/// Uses the `kill` program (procps or util-linux); falls back to the shell's builtin, which
/// every POSIX system has, rather than adding a libc dependency for one call.
pub fn kill_group(pgid: u32) {
    let target = format!("-{pgid}");
    let quiet = |c: &mut Command| {
        c.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
    };
    let ok = quiet(Command::new("kill").args(["-KILL", "--", &target]))
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        let _ = quiet(Command::new("sh").args(["-c", "kill -KILL \"$1\"", "sh", &target]));
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        c
    }

    #[test]
    fn keeps_only_the_tail_and_counts_everything() {
        let out = run(
            sh("i=0; while [ $i -lt 2000 ]; do echo line$i; i=$((i+1)); done; echo END"),
            Duration::from_secs(10),
            100,
        )
        .unwrap();
        assert!(out.status.unwrap().success());
        assert!(out.stdout.tail.len() <= 100);
        assert!(out.stdout.total > 10_000);
        assert!(String::from_utf8_lossy(&out.stdout.tail).ends_with("line1999\nEND\n"));
    }

    #[test]
    fn timeout_kills_the_group_and_returns_promptly() {
        let t0 = Instant::now();
        let out = run(sh("sleep 30 & sleep 30"), Duration::from_millis(300), 1024).unwrap();
        assert!(out.status.is_none());
        // The background sleep holds the pipes too; the group kill must release them.
        assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    }

    #[test]
    fn leftover_grandchild_holding_the_pipe_does_not_block() {
        let t0 = Instant::now();
        let out = run(sh("sleep 30 & echo bye"), Duration::from_secs(20), 1024).unwrap();
        assert!(out.status.unwrap().success());
        assert_eq!(out.stdout.tail, b"bye\n");
        assert!(t0.elapsed() < Duration::from_secs(8), "{:?}", t0.elapsed());
    }

    #[test]
    fn missing_program_is_an_error() {
        let r = run(
            Command::new("/nonexistent/rocm-doctor-python"),
            Duration::from_secs(1),
            10,
        );
        assert!(r.is_err());
    }
}
