//! The progress bar of long walks: on stderr, only when it is a terminal, only for walks long
//! enough to need one.

use std::io::IsTerminal;
use std::sync::OnceLock;

use crate::inspect::Progress;

/// Walks with at least this many files show a progress bar.
const MIN_FILES: usize = 200;

/// A progress bar that appears only when it helps.
pub struct Bar {
    allowed: bool,
    bar: OnceLock<Option<indicatif::ProgressBar>>,
}

impl Bar {
    /// A bar that may show (`allowed`) if stderr is a terminal and the walk is long.
    pub fn new(allowed: bool) -> Self {
        Bar {
            allowed: allowed && std::io::stderr().is_terminal(),
            bar: OnceLock::new(),
        }
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        if let Some(Some(b)) = self.bar.get() {
            b.finish_and_clear();
        }
    }
}

impl Progress for Bar {
    fn start(&self, files: usize) {
        let show = self.allowed && files >= MIN_FILES;
        let _ = self
            .bar
            .set(show.then(|| indicatif::ProgressBar::new(files as u64)));
    }

    fn tick(&self) {
        if let Some(Some(b)) = self.bar.get() {
            b.inc(1);
        }
    }
}
