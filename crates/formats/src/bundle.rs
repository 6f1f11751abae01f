//! Clang offload bundles: plain (`__CLANG_OFFLOAD_BUNDLE__`) and compressed (`CCOB` v1-v3,
//! zlib or zstd), one bundle or many back to back in a `.hip_fatbin` section.
//!
//! Layouts, as written by clang's `clang/lib/Driver/OffloadBundler.cpp` (all little-endian):
//!
//! - Plain: the 24-byte magic, `u64` entry count, then per entry `u64` offset (from the bundle
//!   start), `u64` size, `u64` ID length and the ID bytes; the entries' contents follow.
//! - `CCOB`: magic, `u16` version, `u16` method (LLVM `compression::Format`: 0 = zlib,
//!   1 = zstd), then v1: `u32` uncompressed size, `u64` hash (20-byte header, no total size);
//!   v2: `u32` total size, `u32` uncompressed size, `u64` hash (24 bytes); v3: `u64` total size,
//!   `u64` uncompressed size, `u64` hash (32 bytes). The hash is the low 64 bits of the MD5 of
//!   the uncompressed bundle. The compressed frame follows and holds a plain bundle.
//!
//! Every size here is untrusted: nothing is allocated from a length field, decompression is
//! streamed and capped by [`Limits`].

use std::borrow::Cow;
use std::io::Read;

use crate::bytes::{align_up, slice_at, Cursor};
use crate::{Error, ErrorKind, Format, Result};

/// Magic of a plain bundle.
pub const MAGIC: &[u8; 24] = b"__CLANG_OFFLOAD_BUNDLE__";
/// Magic of a compressed bundle.
pub const CCOB_MAGIC: &[u8; 4] = b"CCOB";
/// Alignment of consecutive bundles in a `.hip_fatbin` section.
pub const SECTION_ALIGN: u64 = 4096;
/// Most bundles [`scan_section`] will report before it stops.
pub const MAX_BUNDLES: usize = 1_000_000;

/// First chunk of decompressed output read while looking for the entry table: a table of 30
/// entries takes under 2 KiB, and zstd decodes whole blocks (up to 128 KiB), so asking for
/// little lets the decoder stop after the first block.
const TABLE_FIRST_CHUNK: usize = 4 * 1024;
/// First chunk of decompressed output when decompressing a whole bundle.
const FIRST_CHUNK: usize = 64 * 1024;
/// Largest chunk read at once (chunks double up to this).
const MAX_CHUNK: usize = 4 * 1024 * 1024;
/// Smallest zstd window accepted regardless of the header's uncompressed size.
const MIN_WINDOW: u64 = 8 * 1024 * 1024;

/// Compression method of a `CCOB` bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// zlib stream (method 0).
    Zlib,
    /// Zstandard frame (method 1).
    Zstd,
}

impl Compression {
    /// The method from a `CCOB` header; `None` for values clang does not write.
    pub fn from_method(method: u16) -> Option<Self> {
        match method {
            0 => Some(Compression::Zlib),
            1 => Some(Compression::Zstd),
            _ => None,
        }
    }

    /// The value stored in a `CCOB` header. Cannot fail.
    pub fn method(self) -> u16 {
        match self {
            Compression::Zlib => 0,
            Compression::Zstd => 1,
        }
    }
}

/// Caps on what parsing may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most entries in one bundle (default 65 536).
    pub max_entries: u64,
    /// Longest entry ID in bytes (default 4096).
    pub max_id_len: u64,
    /// Most decompressed bytes read just to find the entry table of a `CCOB` (default 16 MiB).
    pub max_header_bytes: u64,
    /// Most bytes [`decompressed`] produces (default 1 GiB).
    pub max_decompressed: u64,
    /// Largest zstd window accepted (default 128 MiB). clang compresses with long-distance
    /// matching, whose default window log is 27 (128 MiB), and libzstd only shrinks it to the
    /// content size; the decoder reserves (virtual) memory of the window size up front. The
    /// window actually allowed for a bundle is also capped at the next power of two of its
    /// header's uncompressed size (but at least 8 MiB).
    pub max_window: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 65_536,
            max_id_len: 4096,
            max_header_bytes: 16 * 1024 * 1024,
            max_decompressed: 1024 * 1024 * 1024,
            max_window: 128 * 1024 * 1024,
        }
    }
}

/// One entry of a bundle's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The bundle entry ID, verbatim (lossy UTF-8).
    pub id: String,
    /// Offset of the contents from the start of the (uncompressed) bundle.
    pub offset: u64,
    /// Size of the contents (0 for host entries).
    pub size: u64,
    /// Offload kind: the ID up to the first `-` (`hipv4`, `hip`, `openmp`, `host`).
    pub kind: String,
    /// The four triple components `arch-vendor-os-env` joined by `-` (env may be empty:
    /// `amdgcn-amd-amdhsa-`, `x86_64-unknown-linux-gnu`); fewer if the ID has fewer.
    pub triple: String,
    /// The target ID after the triple (`gfx90a:xnack-`), `None` when absent or empty. Old IDs
    /// such as `hip-amdgcn-amd-amdhsa-gfx906` put the processor in the env slot; a `gfx`/`sm_`
    /// env with nothing after it is taken as the target ID (and the env left empty).
    pub target_id: Option<String>,
}

/// One bundle, plain or compressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// Where it starts in the slice given to [`scan_section`] (0 from [`parse_bundle`]).
    pub offset: u64,
    /// Bytes it occupies in the input (header plus compressed frame for `CCOB`).
    pub size: u64,
    /// Compression method, `None` for a plain bundle.
    pub compression: Option<Compression>,
    /// `CCOB` format version (1, 2 or 3), `None` for a plain bundle.
    pub ccob_version: Option<u16>,
    /// Uncompressed size from the `CCOB` header.
    pub uncompressed_size: Option<u64>,
    /// Hash from the `CCOB` header (low 64 bits of the MD5 of the uncompressed bundle).
    pub hash: Option<u64>,
    /// The entry table, in file order.
    pub entries: Vec<Entry>,
}

/// Result of walking a section that may hold several bundles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionScan {
    /// Bundles found, in order; their `offset` is relative to the scanned slice.
    pub bundles: Vec<Bundle>,
    /// The error that stopped the walk (offset relative to the scanned slice), if any.
    pub error: Option<Error>,
    /// Bytes after the end of the last bundle (NUL padding or anything unparsed).
    pub trailing_bytes: u64,
}

fn err(offset: u64, kind: ErrorKind) -> Error {
    Error::new(Format::Bundle, offset, kind)
}

fn len64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn truncated(offset: u64, needed: u64, available: usize) -> Error {
    err(
        offset,
        ErrorKind::Truncated {
            needed,
            available: len64(available),
        },
    )
}

/// Splits a bundle entry ID into kind, triple and target ID (see [`Entry`]). Cannot fail.
pub fn split_id(id: &str) -> (String, String, Option<String>) {
    // <kind>-<arch>-<vendor>-<os>-<env>[-<target id>]; the target ID may contain '-'
    // (`gfx90a:xnack-`), so split at most five times.
    let mut parts = id.splitn(6, '-');
    let kind = parts.next().unwrap_or_default().to_string();
    let triple_parts: Vec<&str> = parts.by_ref().take(4).collect();
    let rest = parts.next();
    let mut target_id = rest.filter(|t| !t.is_empty()).map(str::to_string);
    let mut triple_parts = triple_parts;
    if rest.is_none() && triple_parts.len() == 4 {
        if let Some(env) = triple_parts.last_mut() {
            if env.starts_with("gfx") || env.starts_with("sm_") {
                target_id = Some((*env).to_string());
                *env = "";
            }
        }
    }
    (kind, triple_parts.join("-"), target_id)
}

/// The parsed table of a plain bundle.
struct Table {
    entries: Vec<Entry>,
    /// max(header_end, offset + size of every entry).
    end: u64,
}

/// Parses the magic and entry table of a plain bundle at the start of `data`, without checking
/// that the entries' contents are present. `Truncated` means more bytes are needed.
fn parse_table(data: &[u8], limits: &Limits) -> Result<Table> {
    let mut c = Cursor::new(data);
    match c.bytes(MAGIC.len()) {
        Some(m) if m == MAGIC.as_slice() => {}
        Some(_) => return Err(err(0, ErrorKind::BadMagic)),
        None if MAGIC.starts_with(data) => {
            return Err(truncated(0, len64(MAGIC.len()), data.len()))
        }
        None => return Err(err(0, ErrorKind::BadMagic)),
    }
    let at = |c: &Cursor<'_>| len64(c.pos());
    let need = |c: &Cursor<'_>, n: u64| truncated(at(c), n, c.remaining());
    let count = c.u64_le().ok_or_else(|| need(&c, 8))?;
    if count > limits.max_entries {
        return Err(err(
            len64(MAGIC.len()),
            ErrorKind::LimitExceeded {
                what: "bundle entry count",
                limit: limits.max_entries,
            },
        ));
    }
    let mut entries = Vec::new();
    let mut end = 0u64;
    for _ in 0..count {
        let start = at(&c);
        let offset = c.u64_le().ok_or_else(|| need(&c, 24))?;
        let size = c.u64_le().ok_or_else(|| need(&c, 16))?;
        let id_len = c.u64_le().ok_or_else(|| need(&c, 8))?;
        if id_len > limits.max_id_len {
            return Err(err(
                start,
                ErrorKind::LimitExceeded {
                    what: "bundle entry ID length",
                    limit: limits.max_id_len,
                },
            ));
        }
        let id_bytes = usize::try_from(id_len)
            .ok()
            .and_then(|n| c.bytes(n))
            .ok_or_else(|| need(&c, id_len))?;
        let entry_end = offset
            .checked_add(size)
            .ok_or_else(|| err(start, ErrorKind::Malformed("entry offset + size overflows")))?;
        end = end.max(entry_end);
        let id = String::from_utf8_lossy(id_bytes).into_owned();
        let (kind, triple, target_id) = split_id(&id);
        entries.push(Entry {
            id,
            offset,
            size,
            kind,
            triple,
            target_id,
        });
    }
    let header_end = at(&c);
    Ok(Table {
        entries,
        end: end.max(header_end),
    })
}

/// Checks that every entry lies within `len` bytes of the bundle.
fn check_entries(table: &Table, len: u64, compressed: bool, at: u64) -> Result<()> {
    if table.end <= len {
        return Ok(());
    }
    let kind = if compressed {
        ErrorKind::Malformed("entry extends past the uncompressed size")
    } else {
        ErrorKind::Truncated {
            needed: table.end,
            available: len,
        }
    };
    Err(err(at, kind))
}

/// A parsed `CCOB` header.
struct CcobHeader {
    version: u16,
    method: Compression,
    header_len: u64,
    total_size: Option<u64>,
    uncompressed: u64,
    hash: u64,
}

fn parse_ccob_header(data: &[u8]) -> Result<CcobHeader> {
    let mut c = Cursor::new(data);
    let short = |c: &Cursor<'_>, n: u64| truncated(len64(c.pos()), n, c.remaining());
    match c.bytes(CCOB_MAGIC.len()) {
        Some(m) if m == CCOB_MAGIC.as_slice() => {}
        _ => return Err(err(0, ErrorKind::BadMagic)),
    }
    let version = c.u16_le().ok_or_else(|| short(&c, 2))?;
    let method_raw = c.u16_le().ok_or_else(|| short(&c, 2))?;
    let (total_size, uncompressed) = match version {
        1 => (
            None,
            c.u32_le().map(u64::from).ok_or_else(|| short(&c, 12))?,
        ),
        2 => {
            let t = c.u32_le().ok_or_else(|| short(&c, 16))?;
            let u = c.u32_le().ok_or_else(|| short(&c, 12))?;
            (Some(u64::from(t)), u64::from(u))
        }
        3 => {
            let t = c.u64_le().ok_or_else(|| short(&c, 24))?;
            let u = c.u64_le().ok_or_else(|| short(&c, 16))?;
            (Some(t), u)
        }
        v => return Err(err(4, ErrorKind::Unsupported(format!("CCOB version {v}")))),
    };
    let hash = c.u64_le().ok_or_else(|| short(&c, 8))?;
    let method = Compression::from_method(method_raw).ok_or_else(|| {
        err(
            6,
            ErrorKind::Unsupported(format!("CCOB compression method {method_raw}")),
        )
    })?;
    Ok(CcobHeader {
        version,
        method,
        header_len: len64(c.pos()),
        total_size,
        uncompressed,
        hash,
    })
}

/// The compressed payload of a `CCOB` and the bundle's size in the input.
fn ccob_payload<'a>(data: &'a [u8], h: &CcobHeader) -> Result<(&'a [u8], u64)> {
    match h.total_size {
        Some(total) => {
            if total < h.header_len {
                return Err(err(
                    4,
                    ErrorKind::Malformed("CCOB total size is smaller than its header"),
                ));
            }
            if total > len64(data.len()) {
                return Err(truncated(0, total, data.len()));
            }
            let payload = slice_at(data, h.header_len, total.saturating_sub(h.header_len))
                .ok_or_else(|| truncated(0, total, data.len()))?;
            Ok((payload, total))
        }
        None => {
            // v1 records no size: the payload runs to the end of the input, and the bundle ends
            // where its zstd frame ends, or (zlib, or an unwalkable frame) at the next "CCOB"
            // magic as clang does.
            let payload = slice_at(
                data,
                h.header_len,
                len64(data.len()).saturating_sub(h.header_len),
            )
            .ok_or_else(|| truncated(0, h.header_len, data.len()))?;
            let frame_len = match h.method {
                Compression::Zstd => zstd_frame_len(payload),
                Compression::Zlib => None,
            };
            let size = match frame_len {
                Some(n) => h.header_len.saturating_add(n),
                None => find(data, CCOB_MAGIC, 4).map_or(len64(data.len()), len64),
            };
            Ok((payload, size))
        }
    }
}

/// Index of the first `needle` in `data` at or after `from`.
fn find(data: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let hay = data.get(from..)?;
    hay.windows(needle.len())
        .position(|w| w == needle)
        .and_then(|p| p.checked_add(from))
}

/// Length of the zstd frame at the start of `data`, by walking its block headers (RFC 8878
/// section 3.1.1); `None` if it is not a complete zstd frame.
fn zstd_frame_len(data: &[u8]) -> Option<u64> {
    let mut c = Cursor::new(data);
    if c.u32_le()? != 0xFD2F_B528 {
        return None;
    }
    let fhd = c.u8()?;
    let single_segment = fhd & 0x20 != 0;
    if fhd & 0x08 != 0 {
        return None; // reserved bit
    }
    let dict_len = match fhd & 0x03 {
        0 => 0,
        1 => 1,
        2 => 2,
        _ => 4,
    };
    let fcs_len = match fhd >> 6 {
        0 => usize::from(single_segment),
        1 => 2,
        2 => 4,
        _ => 8,
    };
    let window_len = usize::from(!single_segment);
    c.skip(window_len.checked_add(dict_len)?.checked_add(fcs_len)?)?;
    loop {
        let b: [u8; 3] = c.array()?;
        let header = u32::from_le_bytes([b[0], b[1], b[2], 0]);
        let last = header & 1 != 0;
        let size = usize::try_from(header >> 3).ok()?;
        match (header >> 1) & 3 {
            0 | 2 => c.skip(size)?,
            1 => c.skip(1)?,
            _ => return None,
        }
        if last {
            break;
        }
    }
    if fhd & 0x04 != 0 {
        c.skip(4)?;
    }
    Some(len64(c.pos()))
}

/// A streaming decompressor over an in-memory payload.
enum Inflater<'a> {
    // libzstd's streaming decoder hands out each block as soon as it is decoded. (ruzstd's
    // holds back a whole window first, and clang writes single-segment frames whose window is
    // the whole bundle, so it would decompress everything to show the entry table.)
    Zstd(Box<zstd::stream::read::Decoder<'static, &'a [u8]>>),
    Zlib {
        state: Box<miniz_oxide::inflate::stream::InflateState>,
        input: &'a [u8],
    },
}

impl<'a> Inflater<'a> {
    fn new(method: Compression, payload: &'a [u8], window: u64, at: u64) -> Result<Self> {
        match method {
            Compression::Zstd => {
                let fail = |e: std::io::Error| err(at, ErrorKind::Decompress(format!("zstd: {e}")));
                let mut d = zstd::stream::read::Decoder::with_buffer(payload)
                    .map_err(fail)?
                    .single_frame();
                // `window` is a power of two; frames asking for more are refused by libzstd.
                d.window_log_max(window.max(1).ilog2()).map_err(fail)?;
                Ok(Inflater::Zstd(Box::new(d)))
            }
            Compression::Zlib => Ok(Inflater::Zlib {
                state: miniz_oxide::inflate::stream::InflateState::new_boxed(
                    miniz_oxide::DataFormat::Zlib,
                ),
                input: payload,
            }),
        }
    }

    /// Appends up to `want` bytes to `out`; returns whether the stream has ended.
    fn fill(&mut self, out: &mut Vec<u8>, want: usize, at: u64) -> Result<bool> {
        let mut filled = out.len();
        let target = filled.saturating_add(want);
        out.resize(target, 0);
        let result = self.fill_into(out, &mut filled, target, at);
        out.truncate(filled);
        result
    }

    fn fill_into(
        &mut self,
        out: &mut [u8],
        filled: &mut usize,
        target: usize,
        at: u64,
    ) -> Result<bool> {
        use miniz_oxide::{MZError, MZFlush, MZStatus};
        while *filled < target {
            let buf = out.get_mut(*filled..target).unwrap_or_default();
            match self {
                Inflater::Zstd(d) => match d.read(buf) {
                    Ok(0) => return Ok(true),
                    Ok(n) => *filled = filled.saturating_add(n),
                    Err(e) => return Err(err(at, ErrorKind::Decompress(format!("zstd: {e}")))),
                },
                Inflater::Zlib { state, input } => {
                    let r = miniz_oxide::inflate::stream::inflate(state, input, buf, MZFlush::None);
                    *input = input.get(r.bytes_consumed..).unwrap_or_default();
                    *filled = filled.saturating_add(r.bytes_written);
                    match r.status {
                        Ok(MZStatus::StreamEnd) => return Ok(true),
                        Ok(_) if r.bytes_consumed > 0 || r.bytes_written > 0 => {}
                        Ok(_) | Err(MZError::Buf) => {
                            return Err(err(
                                at,
                                ErrorKind::Decompress("zlib: stream ends early".into()),
                            ))
                        }
                        Err(e) => {
                            return Err(err(at, ErrorKind::Decompress(format!("zlib: {e:?}"))))
                        }
                    }
                }
            }
        }
        Ok(false)
    }
}

/// The zstd window allowed for a bundle whose header claims `uncompressed` bytes.
fn window_for(uncompressed: u64, limits: &Limits) -> u64 {
    let pow2 = uncompressed.checked_next_power_of_two().unwrap_or(u64::MAX);
    limits.max_window.min(pow2.max(MIN_WINDOW))
}

/// Decompresses just enough of `payload` to parse the entry table.
fn stream_table(h: &CcobHeader, payload: &[u8], limits: &Limits) -> Result<Table> {
    let at = h.header_len;
    let cap = usize::try_from(limits.max_header_bytes).unwrap_or(usize::MAX);
    let mut inflater = Inflater::new(h.method, payload, window_for(h.uncompressed, limits), at)?;
    let mut out = Vec::new();
    let mut chunk = TABLE_FIRST_CHUNK;
    loop {
        let want = chunk.min(cap.saturating_sub(out.len()));
        let ended = inflater.fill(&mut out, want, at)?;
        match parse_table(&out, limits) {
            Ok(t) => return Ok(t),
            Err(e) if matches!(e.kind, ErrorKind::Truncated { .. }) => {
                if ended {
                    return Err(e.rebased(at));
                }
                if out.len() >= cap {
                    return Err(err(
                        at,
                        ErrorKind::LimitExceeded {
                            what: "decompressed bytes read for the bundle entry table",
                            limit: limits.max_header_bytes,
                        },
                    ));
                }
            }
            Err(e) => return Err(e.rebased(at)),
        }
        chunk = chunk.saturating_mul(2).min(MAX_CHUNK);
    }
}

/// Parses one bundle at the start of `data`, plain or `CCOB`. For `CCOB`, decompresses only as
/// far as the entry table (never more than `limits.max_header_bytes`).
///
/// # Errors
/// [`ErrorKind::BadMagic`] if `data` starts with neither magic; [`ErrorKind::Truncated`] if the
/// table, an entry's contents (plain) or the `CCOB` total size runs past `data`;
/// [`ErrorKind::LimitExceeded`] for too many entries, too long an ID or too much output before
/// the table ends; [`ErrorKind::Unsupported`] for an unknown `CCOB` version or method;
/// [`ErrorKind::Decompress`] when the payload does not decompress;
/// [`ErrorKind::Malformed`] for overflowing entries or sizes that contradict each other.
/// Errors inside the compressed payload are reported at the payload's offset.
pub fn parse_bundle(data: &[u8], limits: &Limits) -> Result<Bundle> {
    if data.starts_with(CCOB_MAGIC) {
        let h = parse_ccob_header(data)?;
        let (payload, size) = ccob_payload(data, &h)?;
        let table = stream_table(&h, payload, limits)?;
        check_entries(&table, h.uncompressed, true, h.header_len)?;
        return Ok(Bundle {
            offset: 0,
            size,
            compression: Some(h.method),
            ccob_version: Some(h.version),
            uncompressed_size: Some(h.uncompressed),
            hash: Some(h.hash),
            entries: table.entries,
        });
    }
    if data.len() < CCOB_MAGIC.len() && CCOB_MAGIC.starts_with(data) && !data.is_empty() {
        return Err(truncated(0, len64(CCOB_MAGIC.len()), data.len()));
    }
    let table = parse_table(data, limits)?;
    check_entries(&table, len64(data.len()), false, 0)?;
    Ok(Bundle {
        offset: 0,
        size: table.end,
        compression: None,
        ccob_version: None,
        uncompressed_size: None,
        hash: None,
        entries: table.entries,
    })
}

fn starts_with_magic(data: &[u8]) -> bool {
    data.starts_with(MAGIC) || data.starts_with(CCOB_MAGIC)
}

/// Walks every bundle in a section (or whole file): parses at 0, then continues at the end of
/// each bundle if a magic is there, else at the next non-zero byte at or after it (which must
/// be 4096-aligned relative to `data` or start with a magic). Stops at the end, when only zero
/// bytes remain, at the first error, or after [`MAX_BUNDLES`] bundles. Cannot fail: errors are
/// reported in [`SectionScan::error`], with the bundles found before them.
pub fn scan_section(data: &[u8], limits: &Limits) -> SectionScan {
    let mut bundles = Vec::new();
    let mut pos = 0usize;
    let mut end = 0usize;
    let error = loop {
        let rest = data.get(pos..).unwrap_or_default();
        let Some(skip) = rest.iter().position(|&b| b != 0) else {
            break None;
        };
        let start = pos.saturating_add(skip);
        let rest = data.get(start..).unwrap_or_default();
        if start != end && len64(start) % SECTION_ALIGN != 0 && !starts_with_magic(rest) {
            break Some(err(len64(start), ErrorKind::BadMagic));
        }
        if bundles.len() >= MAX_BUNDLES {
            break Some(err(
                len64(start),
                ErrorKind::LimitExceeded {
                    what: "bundles in a section",
                    limit: len64(MAX_BUNDLES),
                },
            ));
        }
        match parse_bundle(rest, limits) {
            Ok(mut b) => {
                b.offset = len64(start);
                let size = usize::try_from(b.size).unwrap_or(usize::MAX).max(1);
                end = start.saturating_add(size).min(data.len());
                bundles.push(b);
                let at_end = data.get(end..).is_some_and(starts_with_magic);
                pos = if at_end {
                    end
                } else {
                    align_up(len64(end), SECTION_ALIGN)
                        .and_then(|a| usize::try_from(a).ok())
                        .map_or(data.len(), |a| a.min(data.len()))
                };
                // Bytes skipped by rounding up must be zero padding.
                if data
                    .get(end..pos)
                    .is_some_and(|gap| gap.iter().any(|&b| b != 0))
                {
                    pos = end;
                }
            }
            Err(e) => break Some(e.rebased(len64(start))),
        }
    };
    SectionScan {
        bundles,
        error,
        trailing_bytes: len64(data.len().saturating_sub(end)),
    }
}

/// The uncompressed plain bundle: the whole input, borrowed, for a plain bundle; for a `CCOB`,
/// its payload fully decompressed (bounded by `limits.max_decompressed`) and checked against
/// the header's uncompressed size. The hash is not verified.
///
/// # Errors
/// [`ErrorKind::BadMagic`] if `data` starts with neither magic; header errors as for
/// [`parse_bundle`]; [`ErrorKind::LimitExceeded`] if the header's uncompressed size is over
/// `limits.max_decompressed`; [`ErrorKind::Decompress`] if the payload does not decompress;
/// [`ErrorKind::Malformed`] if it decompresses to a size other than the header's.
pub fn decompressed<'a>(data: &'a [u8], limits: &Limits) -> Result<Cow<'a, [u8]>> {
    if data.starts_with(MAGIC) {
        return Ok(Cow::Borrowed(data));
    }
    if !data.starts_with(CCOB_MAGIC) {
        return Err(err(0, ErrorKind::BadMagic));
    }
    let h = parse_ccob_header(data)?;
    let at = h.header_len;
    if h.uncompressed > limits.max_decompressed {
        return Err(err(
            8,
            ErrorKind::LimitExceeded {
                what: "CCOB uncompressed size",
                limit: limits.max_decompressed,
            },
        ));
    }
    let (payload, _) = ccob_payload(data, &h)?;
    let expected = usize::try_from(h.uncompressed).map_err(|_| {
        err(
            8,
            ErrorKind::LimitExceeded {
                what: "CCOB uncompressed size",
                limit: len64(usize::MAX),
            },
        )
    })?;
    let mut inflater = Inflater::new(h.method, payload, window_for(h.uncompressed, limits), at)?;
    let mut out = Vec::new();
    let mut chunk = FIRST_CHUNK;
    loop {
        // Ask for one byte more than expected so that overlong output is noticed.
        let want = chunk.min(expected.saturating_add(1).saturating_sub(out.len()));
        let ended = inflater.fill(&mut out, want, at)?;
        if out.len() > expected {
            return Err(err(
                at,
                ErrorKind::Malformed(
                    "payload decompresses to more than the header's uncompressed size",
                ),
            ));
        }
        if ended {
            break;
        }
        chunk = chunk.saturating_mul(2).min(MAX_CHUNK);
    }
    if out.len() != expected {
        return Err(err(
            at,
            ErrorKind::Malformed(
                "payload decompresses to less than the header's uncompressed size",
            ),
        ));
    }
    Ok(Cow::Owned(out))
}

/// The contents of `entry` inside an uncompressed bundle; `None` if they lie outside it.
pub fn entry_bytes<'a>(plain_bundle: &'a [u8], entry: &Entry) -> Option<&'a [u8]> {
    slice_at(plain_bundle, entry.offset, entry.size)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    clippy::panic
)]
mod tests;
