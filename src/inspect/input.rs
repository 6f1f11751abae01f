//! Opening a file for inspection: sniff its first bytes, and only then map the rest.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use memmap2::Mmap;
use rocm_formats::sniff::SNIFF_LEN;

/// Files up to this size are read into memory; larger ones are mapped, so that only the pages
/// the parsers touch are read from disk.
const READ_LIMIT: u64 = 256 * 1024;

/// A file's bytes, mapped or read.
pub enum Contents {
    /// Read into memory (small files).
    Owned(Vec<u8>),
    /// Memory-mapped (large files).
    Mapped(Mmap),
}

impl std::ops::Deref for Contents {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Contents::Owned(v) => v,
            Contents::Mapped(m) => m,
        }
    }
}

/// An opened file: its size and first bytes, ready to be mapped.
pub struct Opened {
    file: File,
    /// Size in bytes.
    pub size: u64,
    /// Up to [`SNIFF_LEN`] leading bytes.
    pub head: Vec<u8>,
}

/// Opens `path` and reads its first bytes.
///
/// Returns an error if the file cannot be opened or read.
pub fn open(path: &Path) -> std::io::Result<Opened> {
    let mut file = File::open(path)?;
    let size = file.metadata()?.len();
    let mut head = Vec::with_capacity(SNIFF_LEN);
    (&mut file).take(SNIFF_LEN as u64).read_to_end(&mut head)?;
    Ok(Opened { file, size, head })
}

impl Opened {
    /// All of the file's bytes: read if small, mapped if large.
    ///
    /// Returns an error if reading or mapping fails.
    pub fn contents(self) -> std::io::Result<Contents> {
        if self.size <= READ_LIMIT {
            let mut buf = Vec::with_capacity(self.size as usize);
            let mut file = self.file;
            std::io::Seek::rewind(&mut file)?;
            file.take(READ_LIMIT).read_to_end(&mut buf)?;
            return Ok(Contents::Owned(buf));
        }
        // Safety: the map is read-only and private to this process. If another process
        // truncates the file while we read it, access past the new end raises SIGBUS; that is
        // the accepted cost of not copying gigabyte libraries (ripgrep makes the same trade).
        let map = unsafe { Mmap::map(&self.file)? };
        // Parsers jump from header to header; tell the kernel not to read around each touch,
        // which keeps both I/O and resident memory to the pages actually used.
        let _ = map.advise(memmap2::Advice::Random);
        Ok(Contents::Mapped(map))
    }
}
