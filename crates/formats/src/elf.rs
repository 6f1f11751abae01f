//! The little of ELF this crate needs: the header, section headers, section names, and
//! notes, for host binaries (to find `.hip_fatbin`) and AMDGPU code objects.
//!
//! Zero-copy and lazy: [`parse`] reads the ELF header and checks that the section and
//! program header tables and `.shstrtab` lie inside the slice; nothing else is touched until
//! asked for. Section data is a sub-slice of the input, so a memory-mapped 1.3 GB library
//! costs a few pages. 32- and 64-bit little-endian files are read; big-endian ones are
//! rejected as unsupported.

use crate::bytes::{align_up, slice_at, Cursor};
use crate::{Error, ErrorKind, Format, Result};

/// `e_machine` of AMDGPU code objects.
pub const EM_AMDGPU: u16 = 224;
/// `sh_type` of a note section.
pub const SHT_NOTE: u32 = 7;
/// `sh_type` of a section with no file data (`.bss`).
pub const SHT_NOBITS: u32 = 8;
/// `p_type` of a note segment.
pub const PT_NOTE: u32 = 4;

/// Most section headers [`parse`] accepts.
pub const MAX_SECTIONS: usize = 65_536;
/// Most program headers [`parse`] accepts.
pub const MAX_SEGMENTS: usize = 65_536;
/// Most notes [`Elf::notes`] returns.
pub const MAX_NOTES: usize = 4_096;

const MAGIC: [u8; 4] = [0x7f, b'E', b'L', b'F'];
const SHN_UNDEF: u16 = 0;
const SHN_XINDEX: u16 = 0xffff;
const PN_XNUM: u16 = 0xffff;

/// A parsed ELF header with the bounds of its tables checked.
#[derive(Debug, Clone)]
pub struct Elf<'a> {
    /// `ELFCLASS64` (else `ELFCLASS32`).
    pub class64: bool,
    /// `e_type` (1 relocatable, 2 executable, 3 shared object).
    pub e_type: u16,
    /// `e_machine` ([`EM_AMDGPU`] for code objects).
    pub machine: u16,
    /// `e_ident[EI_OSABI]` (64 = `ELFOSABI_AMDGPU_HSA`).
    pub os_abi: u8,
    /// `e_ident[EI_ABIVERSION]`.
    pub abi_version: u8,
    /// `e_flags`.
    pub flags: u32,
    data: &'a [u8],
    shoff: u64,
    shnum: usize,
    shentsize: u64,
    phoff: u64,
    phnum: usize,
    phentsize: u64,
    shstrtab: &'a [u8],
}

/// One section header, with its name and data resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section<'a> {
    /// Index in the section header table.
    pub index: usize,
    /// Name from `.shstrtab`, without the NUL; empty if the file has no `.shstrtab`.
    pub name: &'a [u8],
    /// `sh_type`.
    pub sh_type: u32,
    /// `sh_flags`.
    pub flags: u64,
    /// `sh_addr`.
    pub addr: u64,
    /// `sh_offset`: where the data starts in the file.
    pub offset: u64,
    /// `sh_size`: bytes of data.
    pub size: u64,
    /// `sh_link`.
    pub link: u32,
    /// `sh_info`.
    pub info: u32,
    /// `sh_addralign`.
    pub addralign: u64,
    /// The section's bytes, a sub-slice of the input; `None` for [`SHT_NOBITS`] and when
    /// `offset + size` runs past the end of the input (a truncated file).
    pub data: Option<&'a [u8]>,
}

/// One ELF note record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Note<'a> {
    /// Owner name (`"AMDGPU"`, `"GNU"`), without the trailing NUL.
    pub name: &'a [u8],
    /// `n_type`.
    pub n_type: u32,
    /// Descriptor bytes.
    pub desc: &'a [u8],
}

fn err(offset: u64, kind: ErrorKind) -> Error {
    Error::new(Format::Elf, offset, kind)
}

fn truncated(offset: u64, needed: u64, available: usize) -> Error {
    err(
        offset,
        ErrorKind::Truncated {
            needed,
            available: available as u64,
        },
    )
}

fn malformed(offset: u64, what: &'static str) -> Error {
    err(offset, ErrorKind::Malformed(what))
}

/// Reads little-endian fields of either class from a cursor.
struct Reader<'a> {
    c: Cursor<'a>,
    class64: bool,
}

impl<'a> Reader<'a> {
    fn at(data: &'a [u8], pos: u64, len: u64, class64: bool) -> Result<Self> {
        let bytes = slice_at(data, pos, len).ok_or_else(|| {
            truncated(
                pos,
                len,
                data.len()
                    .saturating_sub(usize::try_from(pos).unwrap_or(usize::MAX)),
            )
        })?;
        Ok(Reader {
            c: Cursor::new(bytes),
            class64,
        })
    }
    // The slice was bounds-checked at construction against the structure's full size,
    // so a short read can only mean a bug; report it as truncation rather than panic.
    fn u16(&mut self) -> Result<u16> {
        self.c.u16_le().ok_or_else(|| malformed(0, "short read"))
    }
    fn u32(&mut self) -> Result<u32> {
        self.c.u32_le().ok_or_else(|| malformed(0, "short read"))
    }
    fn u64(&mut self) -> Result<u64> {
        self.c.u64_le().ok_or_else(|| malformed(0, "short read"))
    }
    /// A word that is 4 bytes in ELF32 and 8 in ELF64 (`Addr`, `Off`, `Xword`).
    fn word(&mut self) -> Result<u64> {
        if self.class64 {
            self.u64()
        } else {
            self.u32().map(u64::from)
        }
    }
}

/// Parses the ELF header of `data` and checks its tables' bounds.
///
/// Handles the extended numbering of huge files: `e_shnum == 0` with the count in section
/// 0's `sh_size`, `e_shstrndx == SHN_XINDEX` with the index in its `sh_link`, and
/// `e_phnum == PN_XNUM` with the count in its `sh_info`.
///
/// # Errors
/// - [`ErrorKind::BadMagic`]: not `\x7fELF`.
/// - [`ErrorKind::Unsupported`]: big-endian data.
/// - [`ErrorKind::Malformed`]: unknown class or data encoding, a table entry size too small
///   for its class, `e_shstrndx` past the table, or a count stored in section 0 when there
///   is no section 0.
/// - [`ErrorKind::Truncated`]: the header, the section or program header table, or
///   `.shstrtab` runs past the end of `data`.
/// - [`ErrorKind::LimitExceeded`]: more than [`MAX_SECTIONS`] sections or
///   [`MAX_SEGMENTS`] program headers.
pub fn parse(data: &[u8]) -> Result<Elf<'_>> {
    let mut c = Cursor::new(data);
    let ident: [u8; 16] = c.array().ok_or_else(|| truncated(0, 16, data.len()))?;
    let [m0, m1, m2, m3, class, encoding, _version, os_abi, abi_version, ..] = ident;
    if [m0, m1, m2, m3] != MAGIC {
        return Err(err(0, ErrorKind::BadMagic));
    }
    let class64 = match class {
        1 => false,
        2 => true,
        _ => {
            return Err(malformed(
                4,
                "EI_CLASS is neither ELFCLASS32 nor ELFCLASS64",
            ))
        }
    };
    match encoding {
        1 => {}
        2 => return Err(err(5, ErrorKind::Unsupported("big-endian ELF".into()))),
        _ => return Err(malformed(5, "EI_DATA is neither little- nor big-endian")),
    }
    let ehsize: u64 = if class64 { 64 } else { 52 };
    let mut r = Reader::at(data, 0, ehsize, class64)?;
    r.c.skip(16).ok_or_else(|| malformed(0, "short read"))?;
    let e_type = r.u16()?;
    let machine = r.u16()?;
    let _e_version = r.u32()?;
    let _e_entry = r.word()?;
    let phoff = r.word()?;
    let shoff = r.word()?;
    let flags = r.u32()?;
    let _e_ehsize = r.u16()?;
    let phentsize = u64::from(r.u16()?);
    let e_phnum = r.u16()?;
    let shentsize = u64::from(r.u16()?);
    let e_shnum = r.u16()?;
    let e_shstrndx = r.u16()?;

    let (min_sh, min_ph): (u64, u64) = if class64 { (64, 56) } else { (40, 32) };
    let mut elf = Elf {
        class64,
        e_type,
        machine,
        os_abi,
        abi_version,
        flags,
        data,
        shoff,
        shnum: 0,
        shentsize,
        phoff,
        phnum: 0,
        phentsize,
        shstrtab: &[],
    };

    // Section header table. e_shoff == 0 means there is none.
    let mut shstrndx = u32::from(e_shstrndx);
    if shoff != 0 {
        if shentsize < min_sh {
            return Err(malformed(0, "e_shentsize smaller than a section header"));
        }
        // Section 0 holds the real values when the header fields overflow.
        let needs_zero = e_shnum == 0 || e_shstrndx == SHN_XINDEX || e_phnum == PN_XNUM;
        let zero = if needs_zero {
            Some(elf.raw_section_header(0)?)
        } else {
            None
        };
        let count = match (e_shnum, &zero) {
            (0, Some(z)) => z.size,
            _ => u64::from(e_shnum),
        };
        if count > MAX_SECTIONS as u64 {
            return Err(err(
                shoff,
                ErrorKind::LimitExceeded {
                    what: "section count",
                    limit: MAX_SECTIONS as u64,
                },
            ));
        }
        elf.shnum = usize::try_from(count).map_err(|_| malformed(0, "section count"))?;
        if e_shstrndx == SHN_XINDEX {
            shstrndx = zero.as_ref().map_or(0, |z| z.link);
        }
        if e_phnum == PN_XNUM {
            elf.phnum = zero.as_ref().map_or(0, |z| z.info as usize);
        }
        let table = count
            .checked_mul(shentsize)
            .ok_or_else(|| malformed(shoff, "section header table size overflows"))?;
        if slice_at(data, shoff, table).is_none() {
            return Err(truncated(
                shoff,
                table,
                data.len()
                    .saturating_sub(usize::try_from(shoff).unwrap_or(usize::MAX)),
            ));
        }
    } else if e_shnum != 0 {
        return Err(malformed(0, "e_shnum is set but e_shoff is 0"));
    } else if e_phnum == PN_XNUM {
        return Err(malformed(0, "e_phnum is PN_XNUM but there is no section 0"));
    }
    if e_phnum != PN_XNUM {
        elf.phnum = usize::from(e_phnum);
    }

    // Program header table.
    if elf.phnum > 0 {
        if elf.phnum > MAX_SEGMENTS {
            return Err(err(
                phoff,
                ErrorKind::LimitExceeded {
                    what: "program header count",
                    limit: MAX_SEGMENTS as u64,
                },
            ));
        }
        if phentsize < min_ph {
            return Err(malformed(0, "e_phentsize smaller than a program header"));
        }
        let table = (elf.phnum as u64)
            .checked_mul(phentsize)
            .ok_or_else(|| malformed(phoff, "program header table size overflows"))?;
        if slice_at(data, phoff, table).is_none() {
            return Err(truncated(
                phoff,
                table,
                data.len()
                    .saturating_sub(usize::try_from(phoff).unwrap_or(usize::MAX)),
            ));
        }
    }

    // Section name string table.
    if shstrndx != u32::from(SHN_UNDEF) && elf.shnum > 0 {
        let index = usize::try_from(shstrndx).map_err(|_| malformed(0, "e_shstrndx"))?;
        if index >= elf.shnum {
            return Err(malformed(0, "e_shstrndx is past the section header table"));
        }
        let h = elf.raw_section_header(index)?;
        if h.sh_type != SHT_NOBITS {
            elf.shstrtab = slice_at(data, h.offset, h.size).ok_or_else(|| {
                truncated(
                    h.offset,
                    h.size,
                    data.len()
                        .saturating_sub(usize::try_from(h.offset).unwrap_or(usize::MAX)),
                )
            })?;
        }
    }
    Ok(elf)
}

/// Section header fields, before name and data are resolved.
struct RawSection {
    name: u32,
    sh_type: u32,
    flags: u64,
    addr: u64,
    offset: u64,
    size: u64,
    link: u32,
    info: u32,
    addralign: u64,
}

impl<'a> Elf<'a> {
    /// Number of section headers (after the `e_shnum == 0` extension).
    pub fn section_count(&self) -> usize {
        self.shnum
    }

    /// Number of program headers (after the `PN_XNUM` extension).
    pub fn segment_count(&self) -> usize {
        self.phnum
    }

    fn raw_section_header(&self, index: usize) -> Result<RawSection> {
        let rel = (index as u64).checked_mul(self.shentsize);
        let pos = rel
            .and_then(|r| r.checked_add(self.shoff))
            .ok_or_else(|| malformed(self.shoff, "section header offset overflows"))?;
        let len = if self.class64 { 64 } else { 40 };
        let mut r = Reader::at(self.data, pos, len, self.class64)?;
        let name = r.u32()?;
        let sh_type = r.u32()?;
        let flags = r.word()?;
        let addr = r.word()?;
        let offset = r.word()?;
        let size = r.word()?;
        let link = r.u32()?;
        let info = r.u32()?;
        let addralign = r.word()?;
        Ok(RawSection {
            name,
            sh_type,
            flags,
            addr,
            offset,
            size,
            link,
            info,
            addralign,
        })
    }

    /// Section `index`, with name and data resolved.
    ///
    /// # Errors
    /// [`ErrorKind::Malformed`] if `index` is past the table or the name offset is outside
    /// `.shstrtab` (or unterminated). An out-of-bounds data range is not an error: `data`
    /// is `None`.
    pub fn section(&self, index: usize) -> Result<Section<'a>> {
        if index >= self.shnum {
            return Err(malformed(self.shoff, "section index past the table"));
        }
        let h = self.raw_section_header(index)?;
        let name = if self.shstrtab.is_empty() {
            &[][..]
        } else {
            let start = usize::try_from(h.name).ok();
            let tail = start.and_then(|s| self.shstrtab.get(s..));
            let tail = tail.ok_or_else(|| {
                malformed(u64::from(h.name), "section name offset outside .shstrtab")
            })?;
            let end = tail.iter().position(|&b| b == 0);
            let end =
                end.ok_or_else(|| malformed(u64::from(h.name), "section name not NUL-terminated"))?;
            tail.get(..end).unwrap_or_default()
        };
        let data = if h.sh_type == SHT_NOBITS {
            None
        } else {
            slice_at(self.data, h.offset, h.size)
        };
        Ok(Section {
            index,
            name,
            sh_type: h.sh_type,
            flags: h.flags,
            addr: h.addr,
            offset: h.offset,
            size: h.size,
            link: h.link,
            info: h.info,
            addralign: h.addralign,
            data,
        })
    }

    /// Every section header in table order, index 0 (the null section) included.
    /// Each item fails as [`Elf::section`] does.
    pub fn sections(&self) -> impl Iterator<Item = Result<Section<'a>>> + '_ {
        (0..self.shnum).map(move |i| self.section(i))
    }

    /// The first section named `name` (e.g. `b".hip_fatbin"`), or `None`.
    ///
    /// # Errors
    /// None today: sections whose names cannot be read are skipped (they cannot match).
    /// The `Result` leaves room for stricter checks.
    pub fn section_by_name(&self, name: &[u8]) -> Result<Option<Section<'a>>> {
        Ok(self
            .sections()
            .filter_map(|s| s.ok())
            .find(|s| s.name == name))
    }

    /// `(p_type, p_offset, p_filesz, p_align)` of program header `index`.
    fn segment(&self, index: usize) -> Result<(u32, u64, u64, u64)> {
        let rel = (index as u64).checked_mul(self.phentsize);
        let pos = rel
            .and_then(|r| r.checked_add(self.phoff))
            .ok_or_else(|| malformed(self.phoff, "program header offset overflows"))?;
        let len = if self.class64 { 56 } else { 32 };
        let mut r = Reader::at(self.data, pos, len, self.class64)?;
        let p_type = r.u32()?;
        if self.class64 {
            let _flags = r.u32()?;
            let offset = r.u64()?;
            let _vaddr = r.u64()?;
            let _paddr = r.u64()?;
            let filesz = r.u64()?;
            let _memsz = r.u64()?;
            let align = r.u64()?;
            Ok((p_type, offset, filesz, align))
        } else {
            let offset = u64::from(r.u32()?);
            let _vaddr = r.u32()?;
            let _paddr = r.u32()?;
            let filesz = u64::from(r.u32()?);
            let _memsz = r.u32()?;
            let _flags = r.u32()?;
            let align = u64::from(r.u32()?);
            Ok((p_type, offset, filesz, align))
        }
    }

    /// Every note record: those of the `SHT_NOTE` sections if there are any, else those of
    /// the `PT_NOTE` segments (linked files have both over the same bytes; reading one
    /// avoids duplicates).
    ///
    /// At most [`MAX_NOTES`] notes are returned; past that the last item is a
    /// [`ErrorKind::LimitExceeded`] error. A note area that runs past the end of the input,
    /// or a record that runs past the end of its area, yields one
    /// [`ErrorKind::Truncated`]/[`ErrorKind::Malformed`] item and ends that area; the
    /// other areas are still read.
    pub fn notes(&self) -> Vec<Result<Note<'a>>> {
        let mut areas: Vec<Result<(u64, &'a [u8], u64)>> = Vec::new();
        for s in self.sections() {
            match s {
                Ok(s) if s.sh_type == SHT_NOTE => {
                    areas.push(s.data.map(|d| (s.offset, d, s.addralign)).ok_or_else(|| {
                        truncated(
                            s.offset,
                            s.size,
                            self.data
                                .len()
                                .saturating_sub(usize::try_from(s.offset).unwrap_or(usize::MAX)),
                        )
                    }))
                }
                Ok(_) => {}
                Err(e) => areas.push(Err(e)),
            }
        }
        if !areas.iter().any(|a| a.is_ok()) {
            for i in 0..self.phnum {
                match self.segment(i) {
                    Ok((PT_NOTE, offset, size, align)) => areas.push(
                        slice_at(self.data, offset, size)
                            .map(|d| (offset, d, align))
                            .ok_or_else(|| {
                                truncated(
                                    offset,
                                    size,
                                    self.data.len().saturating_sub(
                                        usize::try_from(offset).unwrap_or(usize::MAX),
                                    ),
                                )
                            }),
                    ),
                    Ok(_) => {}
                    Err(e) => areas.push(Err(e)),
                }
            }
        }
        let mut out = Vec::new();
        for area in areas {
            let (base, bytes, align) = match area {
                Ok(a) => a,
                Err(e) => {
                    out.push(Err(e));
                    continue;
                }
            };
            if !parse_notes(bytes, base, align, &mut out) {
                break;
            }
        }
        out
    }
}

/// Appends the notes of one note area to `out`; `false` once [`MAX_NOTES`] is reached.
fn parse_notes<'a>(
    bytes: &'a [u8],
    base: u64,
    align: u64,
    out: &mut Vec<Result<Note<'a>>>,
) -> bool {
    // Notes are padded to 4 bytes, or to 8 in areas aligned to 8 (GNU property notes).
    let align = if align == 8 { 8 } else { 4 };
    let mut pos: u64 = 0;
    let end = bytes.len() as u64;
    while pos < end {
        if out.len() >= MAX_NOTES {
            out.push(Err(err(
                base.saturating_add(pos),
                ErrorKind::LimitExceeded {
                    what: "note count",
                    limit: MAX_NOTES as u64,
                },
            )));
            return false;
        }
        match one_note(bytes, pos, align) {
            Ok((note, next)) => {
                out.push(Ok(note));
                pos = next;
            }
            Err(e) => {
                out.push(Err(e.rebased(base)));
                break;
            }
        }
    }
    true
}

/// The note at `pos` and the offset of the next one (both relative to `bytes`).
fn one_note(bytes: &[u8], pos: u64, align: u64) -> Result<(Note<'_>, u64)> {
    let avail = |at: u64| {
        bytes
            .len()
            .saturating_sub(usize::try_from(at).unwrap_or(usize::MAX))
    };
    let hdr = slice_at(bytes, pos, 12).ok_or_else(|| truncated(pos, 12, avail(pos)))?;
    let mut c = Cursor::new(hdr);
    let (namesz, descsz, n_type) = match (c.u32_le(), c.u32_le(), c.u32_le()) {
        (Some(a), Some(b), Some(t)) => (u64::from(a), u64::from(b), t),
        _ => return Err(truncated(pos, 12, avail(pos))),
    };
    let overflow = || malformed(pos, "note size overflows");
    let name_at = pos.checked_add(12).ok_or_else(overflow)?;
    let name = slice_at(bytes, name_at, namesz)
        .ok_or_else(|| truncated(name_at, namesz, avail(name_at)))?;
    let desc_at = name_at
        .checked_add(namesz)
        .and_then(|v| align_up(v, align))
        .ok_or_else(overflow)?;
    let desc = slice_at(bytes, desc_at, descsz)
        .ok_or_else(|| truncated(desc_at, descsz, avail(desc_at)))?;
    let next = desc_at
        .checked_add(descsz)
        .and_then(|v| align_up(v, align))
        .ok_or_else(overflow)?;
    let name = match name.split_last() {
        Some((0, rest)) => rest,
        _ => name,
    };
    Ok((Note { name, n_type, desc }, next))
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]
pub(crate) mod tests;
