//! Tests of `elf`.

use super::*;

/// Builds a minimal little-endian ELF64 with the given sections (name, type, data) and
/// `.shstrtab` last. Layout: header, section data, shstrtab, section headers.
pub(crate) fn build_elf64(
    machine: u16,
    os_abi: u8,
    abi_version: u8,
    flags: u32,
    sections: &[(&str, u32, &[u8])],
) -> Vec<u8> {
    let mut out = vec![0u8; 64];
    let mut offsets = Vec::new();
    for (_, _, data) in sections {
        while out.len() % 8 != 0 {
            out.push(0);
        }
        offsets.push(out.len() as u64);
        out.extend_from_slice(data);
    }
    let mut shstrtab = vec![0u8];
    let mut name_offs = Vec::new();
    for (name, _, _) in sections {
        name_offs.push(shstrtab.len() as u32);
        shstrtab.extend_from_slice(name.as_bytes());
        shstrtab.push(0);
    }
    let shstrtab_name = shstrtab.len() as u32;
    shstrtab.extend_from_slice(b".shstrtab\0");
    let shstrtab_off = out.len() as u64;
    out.extend_from_slice(&shstrtab);
    while out.len() % 8 != 0 {
        out.push(0);
    }
    let shoff = out.len() as u64;
    let shnum = sections.len() + 2;
    let sh = |name: u32, ty: u32, off: u64, size: u64, align: u64| {
        let mut h = Vec::new();
        h.extend_from_slice(&name.to_le_bytes());
        h.extend_from_slice(&ty.to_le_bytes());
        h.extend_from_slice(&0u64.to_le_bytes());
        h.extend_from_slice(&0u64.to_le_bytes());
        h.extend_from_slice(&off.to_le_bytes());
        h.extend_from_slice(&size.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(&align.to_le_bytes());
        h.extend_from_slice(&0u64.to_le_bytes());
        h
    };
    let mut table = sh(0, 0, 0, 0, 0);
    for (i, (_, ty, data)) in sections.iter().enumerate() {
        table.extend(sh(name_offs[i], *ty, offsets[i], data.len() as u64, 4));
    }
    table.extend(sh(shstrtab_name, 3, shstrtab_off, shstrtab.len() as u64, 1));
    out.extend(table);
    let h = &mut out[..64];
    h[..4].copy_from_slice(&MAGIC);
    h[4] = 2;
    h[5] = 1;
    h[6] = 1;
    h[7] = os_abi;
    h[8] = abi_version;
    h[16..18].copy_from_slice(&3u16.to_le_bytes());
    h[18..20].copy_from_slice(&machine.to_le_bytes());
    h[20..24].copy_from_slice(&1u32.to_le_bytes());
    h[40..48].copy_from_slice(&shoff.to_le_bytes());
    h[48..52].copy_from_slice(&flags.to_le_bytes());
    h[52..54].copy_from_slice(&64u16.to_le_bytes());
    h[58..60].copy_from_slice(&64u16.to_le_bytes());
    h[60..62].copy_from_slice(&(shnum as u16).to_le_bytes());
    h[62..64].copy_from_slice(&((shnum - 1) as u16).to_le_bytes());
    out
}

pub(crate) fn note_bytes(name: &[u8], n_type: u32, desc: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&(name.len() as u32 + 1).to_le_bytes());
    v.extend_from_slice(&(desc.len() as u32).to_le_bytes());
    v.extend_from_slice(&n_type.to_le_bytes());
    v.extend_from_slice(name);
    v.push(0);
    while v.len() % 4 != 0 {
        v.push(0);
    }
    v.extend_from_slice(desc);
    while v.len() % 4 != 0 {
        v.push(0);
    }
    v
}

fn sample() -> Vec<u8> {
    let mut notes = note_bytes(b"AMDGPU", 32, b"\x80");
    notes.extend(note_bytes(b"GNU", 3, b"abcdefgh"));
    build_elf64(
        EM_AMDGPU,
        64,
        2,
        0x33f,
        &[
            (".text", 1, b"\x01\x02\x03"),
            (".note", SHT_NOTE, &notes),
            (".bss", SHT_NOBITS, b""),
        ],
    )
}

#[test]
fn reads_header_sections_and_notes() {
    let data = sample();
    let elf = parse(&data).unwrap();
    assert!(elf.class64);
    assert_eq!(
        (
            elf.machine,
            elf.os_abi,
            elf.abi_version,
            elf.flags,
            elf.e_type
        ),
        (EM_AMDGPU, 64, 2, 0x33f, 3)
    );
    assert_eq!(elf.section_count(), 5);
    let names: Vec<_> = elf.sections().map(|s| s.unwrap().name.to_vec()).collect();
    assert_eq!(names, [&b""[..], b".text", b".note", b".bss", b".shstrtab"]);
    let text = elf.section_by_name(b".text").unwrap().unwrap();
    assert_eq!(text.data, Some(&b"\x01\x02\x03"[..]));
    assert_eq!(elf.section_by_name(b".bss").unwrap().unwrap().data, None);
    assert!(elf.section_by_name(b".nope").unwrap().is_none());
    let notes: Vec<_> = elf.notes().into_iter().map(|n| n.unwrap()).collect();
    assert_eq!(notes.len(), 2);
    assert_eq!(
        (notes[0].name, notes[0].n_type, notes[0].desc),
        (&b"AMDGPU"[..], 32, &b"\x80"[..])
    );
    assert_eq!(
        (notes[1].name, notes[1].n_type, notes[1].desc),
        (&b"GNU"[..], 3, &b"abcdefgh"[..])
    );
}

#[test]
fn every_truncation_errors_without_panic() {
    let data = sample();
    for len in 0..data.len() {
        let cut = &data[..len];
        if let Ok(elf) = parse(cut) {
            // Only possible once the header, table and shstrtab are all present.
            let _ = elf.sections().count();
            let _ = elf.notes();
        } else {
            assert!(len < data.len());
        }
    }
    // Header-only truncations must all fail.
    for len in 0..64 {
        assert!(parse(&data[..len]).is_err(), "len {len}");
    }
}

#[test]
fn rejects_bad_headers() {
    let good = sample();
    let mut d = good.clone();
    d[0] = 0;
    assert_eq!(parse(&d).unwrap_err().kind, ErrorKind::BadMagic);
    let mut d = good.clone();
    d[5] = 2;
    assert!(matches!(
        parse(&d).unwrap_err().kind,
        ErrorKind::Unsupported(_)
    ));
    let mut d = good.clone();
    d[4] = 3;
    assert!(matches!(
        parse(&d).unwrap_err().kind,
        ErrorKind::Malformed(_)
    ));
    // Huge e_shoff.
    let mut d = good.clone();
    d[40..48].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(parse(&d).is_err());
    // Huge e_shnum (still under the limit) runs past the end.
    let mut d = good.clone();
    d[60..62].copy_from_slice(&0xfff0u16.to_le_bytes());
    assert!(matches!(
        parse(&d).unwrap_err().kind,
        ErrorKind::Truncated { .. }
    ));
    // e_shnum == 0 with a huge count in section 0's sh_size.
    let mut d = good.clone();
    let shoff = u64::from_le_bytes(d[40..48].try_into().unwrap()) as usize;
    d[60..62].copy_from_slice(&0u16.to_le_bytes());
    d[shoff + 32..shoff + 40].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(
        parse(&d).unwrap_err().kind,
        ErrorKind::LimitExceeded { .. }
    ));
    // ... and with the right count.
    d[shoff + 32..shoff + 40].copy_from_slice(&5u64.to_le_bytes());
    assert_eq!(parse(&d).unwrap().section_count(), 5);
    // SHN_XINDEX with the index in section 0's sh_link.
    let mut d = good.clone();
    d[62..64].copy_from_slice(&0xffffu16.to_le_bytes());
    d[shoff + 40..shoff + 44].copy_from_slice(&4u32.to_le_bytes());
    let elf = parse(&d).unwrap();
    assert!(elf.section_by_name(b".text").unwrap().is_some());
    // e_shstrndx past the table.
    let mut d = good.clone();
    d[62..64].copy_from_slice(&9u16.to_le_bytes());
    assert!(parse(&d).is_err());
    // Tiny e_shentsize.
    let mut d = good;
    d[58..60].copy_from_slice(&8u16.to_le_bytes());
    assert!(parse(&d).is_err());
}

#[test]
fn elf32_header() {
    let mut d = vec![0u8; 52];
    d[..4].copy_from_slice(&MAGIC);
    d[4] = 1;
    d[5] = 1;
    d[18..20].copy_from_slice(&3u16.to_le_bytes());
    d[36..40].copy_from_slice(&7u32.to_le_bytes());
    let elf = parse(&d).unwrap();
    assert!(!elf.class64);
    assert_eq!((elf.machine, elf.flags, elf.section_count()), (3, 7, 0));
    assert!(elf.notes().is_empty());
    assert!(parse(&d[..51]).is_err());
}

#[test]
fn bad_notes_error_without_panic() {
    let mut notes = note_bytes(b"AMDGPU", 32, b"x");
    // Second note claims a huge descriptor.
    notes.extend_from_slice(&4u32.to_le_bytes());
    notes.extend_from_slice(&u32::MAX.to_le_bytes());
    notes.extend_from_slice(&1u32.to_le_bytes());
    notes.extend_from_slice(b"GNU\0");
    let data = build_elf64(EM_AMDGPU, 64, 2, 0, &[(".note", SHT_NOTE, &notes)]);
    let got = parse(&data).unwrap().notes();
    assert_eq!(got.len(), 2);
    assert!(got[0].is_ok());
    assert!(matches!(
        got[1].as_ref().unwrap_err().kind,
        ErrorKind::Truncated { .. }
    ));
}

#[test]
fn note_count_is_capped() {
    let one = note_bytes(b"", 1, b"");
    let many: Vec<u8> = one
        .iter()
        .copied()
        .cycle()
        .take(one.len() * (MAX_NOTES + 10))
        .collect();
    let data = build_elf64(EM_AMDGPU, 64, 2, 0, &[(".note", SHT_NOTE, &many)]);
    let got = parse(&data).unwrap().notes();
    assert_eq!(got.len(), MAX_NOTES + 1);
    assert!(matches!(
        got.last().unwrap().as_ref().unwrap_err().kind,
        ErrorKind::LimitExceeded { .. }
    ));
}
