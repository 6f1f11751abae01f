//! The one subprocess runner (verify's smoke cases, fix's apply steps): runs a command with a
//! timeout and never hangs itself doing so.
//!
//! - The child gets its own process group, so a hang is ended by killing the whole group
//!   (the interpreter and anything it started), not just the direct child.
//! - stdout and stderr are drained by two threads at the same time: a child that fills one
//!   pipe while we wait on the other would otherwise block forever. Each keeps only a tail.
//! - The timeout is enforced by polling `try_wait`, so no blocking `wait` can outlive it.
//! - When the child is gone but something still holds the pipes open (a grandchild), the
//!   group is killed, and readers that still do not finish are abandoned after a grace period.
//! - Output can also be handed over line by line as it arrives (apply logs and echoes it).

use std::io::{self, Read};
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

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

/// Receives each output line of a running command.
pub type LineSink = Arc<dyn Fn(&str) + Send + Sync>;

/// How to run a command.
#[derive(Clone)]
pub struct Options {
    /// The longest it may run; then its process group (or, without one, the process) is
    /// killed.
    pub timeout: Duration,
    /// How many bytes of each stream's end to keep.
    pub keep: usize,
    /// Start it in a process group of its own, so a timeout kills everything it started. Off
    /// only for a step that must read the terminal (sudo asking for a password): a process
    /// outside the terminal's foreground group is stopped when it reads it.
    pub own_group: bool,
    /// Keep the caller's stdin (a terminal to answer on) instead of closing it.
    pub inherit_stdin: bool,
    /// Called with each output line (stdout and stderr) as it arrives.
    pub on_line: Option<LineSink>,
}

impl Options {
    /// Own process group, stdin closed, no line callback.
    pub fn new(timeout: Duration, keep: usize) -> Options {
        Options {
            timeout,
            keep,
            own_group: true,
            inherit_stdin: false,
            on_line: None,
        }
    }
}

/// Runs `cmd` (stdin closed, stdout/stderr captured) for at most `timeout`, keeping the last
/// `keep` bytes of each stream.
///
/// Returns an error only when the command cannot be started.
pub fn run(cmd: Command, timeout: Duration, keep: usize) -> io::Result<RunOutput> {
    run_with(cmd, &Options::new(timeout, keep))
}

/// Runs `cmd` as `opts` say.
///
/// Returns an error only when the command cannot be started.
pub fn run_with(mut cmd: Command, opts: &Options) -> io::Result<RunOutput> {
    let (timeout, keep) = (opts.timeout, opts.keep);
    cmd.stdin(if opts.inherit_stdin {
        Stdio::inherit()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    if opts.own_group {
        cmd.process_group(0);
    }
    let start = Instant::now();
    let mut child = cmd.spawn()?;
    // process_group(0) makes the child the leader: its pid is the group id.
    let pgid = opts.own_group.then(|| child.id());
    let pid = child.id();
    let stop = move || match pgid {
        Some(g) => kill_group(g),
        None => kill_process(pid),
    };
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let out = Arc::new(Mutex::new(Captured::default()));
    let err = Arc::new(Mutex::new(Captured::default()));
    let mut readers = 0;
    if let Some(pipe) = child.stdout.take() {
        spawn_reader(
            pipe,
            Arc::clone(&out),
            keep,
            opts.on_line.clone(),
            done_tx.clone(),
        );
        readers += 1;
    }
    if let Some(pipe) = child.stderr.take() {
        spawn_reader(
            pipe,
            Arc::clone(&err),
            keep,
            opts.on_line.clone(),
            done_tx.clone(),
        );
        readers += 1;
    }
    drop(done_tx);

    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() >= timeout => {
                stop();
                let _ = child.wait();
                break None;
            }
            Ok(None) => thread::sleep(POLL),
            Err(_) => {
                // Cannot observe the child any more: stop it rather than wait blindly.
                stop();
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
        stop();
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
    on_line: Option<LineSink>,
    done: mpsc::Sender<()>,
) {
    thread::spawn(move || {
        let mut chunk = vec![0u8; 64 * 1024];
        // The unfinished last line, when lines are handed over (capped like the tail).
        let mut partial: Vec<u8> = Vec::new();
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    if let Some(f) = &on_line {
                        partial.extend_from_slice(&chunk[..n]);
                        while let Some(at) = partial.iter().position(|&b| b == b'\n') {
                            let line: Vec<u8> = partial.drain(..=at).collect();
                            f(String::from_utf8_lossy(&line[..line.len() - 1])
                                .trim_end_matches('\r'));
                        }
                        if partial.len() > keep.max(4096) {
                            f(&String::from_utf8_lossy(&partial));
                            partial.clear();
                        }
                    }
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
        if let (Some(f), false) = (&on_line, partial.is_empty()) {
            f(&String::from_utf8_lossy(&partial));
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

/// Sends SIGKILL to one process.
pub fn kill_process(pid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &pid.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
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
    fn lines_are_handed_over_as_they_come_and_a_step_without_a_group_still_times_out() {
        let seen = Arc::new(Mutex::new(Vec::<String>::new()));
        let s2 = Arc::clone(&seen);
        let mut o = Options::new(Duration::from_millis(500), 1024);
        o.own_group = false;
        o.on_line = Some(Arc::new(move |l: &str| {
            s2.lock().unwrap().push(l.to_owned())
        }));
        let t0 = Instant::now();
        let out = run_with(
            sh("echo one; echo two >&2; printf three; exec sleep 30"),
            &o,
        )
        .unwrap();
        assert!(out.status.is_none(), "killed at the timeout");
        assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
        let mut got = seen.lock().unwrap().clone();
        got.sort();
        assert_eq!(got, ["one", "three", "two"]);
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
