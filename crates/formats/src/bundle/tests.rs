//! Tests of `bundle`.

use super::*;

const GFX: &str = "hipv4-amdgcn-amd-amdhsa--gfx90a:xnack-";
const HOST: &str = "host-x86_64-unknown-linux-gnu-";

/// Serializes a plain bundle, contents aligned to `align` as clang does.
fn plain(entries: &[(&str, &[u8])], align: usize) -> Vec<u8> {
    let mut header = MAGIC.len() + 8;
    for (id, _) in entries {
        header += 24 + id.len();
    }
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(entries.len() as u64).to_le_bytes());
    let mut off = header;
    let mut offsets = Vec::new();
    for (id, body) in entries {
        off = off.div_ceil(align) * align;
        offsets.push(off);
        out.extend_from_slice(&(off as u64).to_le_bytes());
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(&(id.len() as u64).to_le_bytes());
        out.extend_from_slice(id.as_bytes());
        off += body.len();
    }
    for ((_, body), off) in entries.iter().zip(offsets) {
        out.resize(off, 0);
        out.extend_from_slice(body);
    }
    out
}

fn sample() -> Vec<u8> {
    let code: Vec<u8> = (0..300u32).map(|i| (i * 7 % 251) as u8).collect();
    plain(&[(HOST, b""), (GFX, &code)], 64)
}

fn compress(method: Compression, data: &[u8]) -> Vec<u8> {
    match method {
        Compression::Zstd => zstd::bulk::compress(data, 3).unwrap(),
        Compression::Zlib => miniz_oxide::deflate::compress_to_vec_zlib(data, 6),
    }
}

fn ccob(version: u16, method: Compression, data: &[u8]) -> Vec<u8> {
    let payload = compress(method, data);
    let mut out = Vec::new();
    out.extend_from_slice(CCOB_MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&method.method().to_le_bytes());
    match version {
        1 => out.extend_from_slice(&(data.len() as u32).to_le_bytes()),
        2 => {
            out.extend_from_slice(&((24 + payload.len()) as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        }
        _ => {
            out.extend_from_slice(&((32 + payload.len()) as u64).to_le_bytes());
            out.extend_from_slice(&(data.len() as u64).to_le_bytes());
        }
    }
    out.extend_from_slice(&0x1122_3344_5566_7788u64.to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

fn all_ccobs() -> Vec<(u16, Compression, Vec<u8>)> {
    let p = sample();
    let mut v = Vec::new();
    for version in [1, 2, 3] {
        for method in [Compression::Zlib, Compression::Zstd] {
            v.push((version, method, ccob(version, method, &p)));
        }
    }
    v
}

#[test]
fn splits_ids_like_clang() {
    let s = |id: &str| {
        let (k, t, g) = split_id(id);
        (k, t, g)
    };
    assert_eq!(
        s(GFX),
        (
            "hipv4".into(),
            "amdgcn-amd-amdhsa-".into(),
            Some("gfx90a:xnack-".into())
        )
    );
    assert_eq!(
        s(HOST),
        ("host".into(), "x86_64-unknown-linux-gnu".into(), None)
    );
    assert_eq!(
        s("host-x86_64-unknown-linux--"),
        ("host".into(), "x86_64-unknown-linux-".into(), None)
    );
    assert_eq!(
        s("host-x86_64-unknown-linux"),
        ("host".into(), "x86_64-unknown-linux".into(), None)
    );
    assert_eq!(
        s("hip-amdgcn-amd-amdhsa-gfx906"),
        (
            "hip".into(),
            "amdgcn-amd-amdhsa-".into(),
            Some("gfx906".into())
        )
    );
    assert_eq!(
        s("openmp-amdgcn-amd-amdhsa--gfx942:sramecc+:xnack-"),
        (
            "openmp".into(),
            "amdgcn-amd-amdhsa-".into(),
            Some("gfx942:sramecc+:xnack-".into())
        )
    );
    assert_eq!(s(""), (String::new(), String::new(), None));
    assert_eq!(s("weird"), ("weird".into(), String::new(), None));
}

#[test]
fn parses_a_plain_bundle() {
    let p = sample();
    let b = parse_bundle(&p, &Limits::default()).unwrap();
    assert_eq!(b.size, p.len() as u64);
    assert_eq!(b.compression, None);
    assert_eq!(b.entries.len(), 2);
    assert_eq!(b.entries[0].id, HOST);
    assert_eq!(b.entries[0].size, 0);
    assert_eq!(b.entries[1].kind, "hipv4");
    assert_eq!(b.entries[1].target_id.as_deref(), Some("gfx90a:xnack-"));
    let body = entry_bytes(&p, &b.entries[1]).unwrap();
    assert_eq!(body.len(), 300);
    assert_eq!(body[1], 7);
    assert!(matches!(
        decompressed(&p, &Limits::default()).unwrap(),
        Cow::Borrowed(_)
    ));
    // Trailing bytes after the bundle do not count towards its size.
    let mut longer = p.clone();
    longer.extend_from_slice(&[0xAA; 100]);
    assert_eq!(
        parse_bundle(&longer, &Limits::default()).unwrap().size,
        p.len() as u64
    );
}

#[test]
fn parses_every_ccob_version_and_method() {
    let p = sample();
    for (version, method, c) in all_ccobs() {
        let b = parse_bundle(&c, &Limits::default()).unwrap();
        assert_eq!(b.ccob_version, Some(version));
        assert_eq!(b.compression, Some(method));
        assert_eq!(b.size, c.len() as u64, "v{version} {method:?}");
        assert_eq!(b.uncompressed_size, Some(p.len() as u64));
        assert_eq!(b.hash, Some(0x1122_3344_5566_7788));
        assert_eq!(
            b.entries,
            parse_bundle(&p, &Limits::default()).unwrap().entries
        );
        let d = decompressed(&c, &Limits::default()).unwrap();
        assert_eq!(&*d, p.as_slice());
        assert_eq!(entry_bytes(&d, &b.entries[1]).unwrap().len(), 300);
    }
}

#[test]
fn v1_zstd_size_comes_from_the_frame() {
    let c = ccob(1, Compression::Zstd, &sample());
    let mut longer = c.clone();
    longer.extend_from_slice(&[0x55; 77]);
    assert_eq!(
        parse_bundle(&longer, &Limits::default()).unwrap().size,
        c.len() as u64
    );
}

#[test]
fn scans_bundles_at_4096_with_a_trailing_nul() {
    let parts = [
        sample(),
        ccob(3, Compression::Zstd, &sample()),
        ccob(2, Compression::Zlib, &sample()),
        ccob(3, Compression::Zlib, &sample()),
    ];
    let mut sec = Vec::new();
    let mut offsets = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        // The third one also has a whole page of padding before it.
        let pad = if i == 2 { 4096 } else { 0 };
        sec.resize(sec.len().div_ceil(4096) * 4096 + pad, 0);
        offsets.push(sec.len() as u64);
        sec.extend_from_slice(p);
    }
    sec.push(0);
    let s = scan_section(&sec, &Limits::default());
    assert_eq!(s.error, None);
    assert_eq!(s.trailing_bytes, 1);
    assert_eq!(
        s.bundles.iter().map(|b| b.offset).collect::<Vec<_>>(),
        offsets
    );
    assert!(s.bundles.iter().all(|b| b.entries.len() == 2));
}

#[test]
fn scans_bundles_back_to_back() {
    let mut sec = ccob(2, Compression::Zstd, &sample());
    let first = sec.len() as u64;
    sec.extend_from_slice(&sample());
    let s = scan_section(&sec, &Limits::default());
    assert_eq!(s.error, None);
    assert_eq!(s.trailing_bytes, 0);
    assert_eq!(s.bundles.len(), 2);
    assert_eq!(s.bundles[1].offset, first);
}

#[test]
fn scan_reports_garbage_and_keeps_earlier_bundles() {
    let mut sec = sample();
    sec.resize(4096, 0);
    sec.extend_from_slice(b"not a bundle at all, just junk");
    let s = scan_section(&sec, &Limits::default());
    assert_eq!(s.bundles.len(), 1);
    assert_eq!(s.error.as_ref().unwrap().offset, 4096);
    assert_eq!(s.error.unwrap().kind, ErrorKind::BadMagic);
    assert_eq!(s.trailing_bytes, (sec.len() - sample().len()) as u64);
    // Nothing but zeros: no bundles, no error.
    let z = scan_section(&[0; 10], &Limits::default());
    assert_eq!((z.bundles.len(), z.error, z.trailing_bytes), (0, None, 10));
    let e = scan_section(&[], &Limits::default());
    assert_eq!((e.bundles.len(), e.error, e.trailing_bytes), (0, None, 0));
}

#[test]
fn every_truncation_is_an_error() {
    let l = Limits::default();
    let p = sample();
    for n in 0..p.len() {
        assert!(parse_bundle(&p[..n], &l).is_err(), "plain prefix {n}");
    }
    for (version, method, c) in all_ccobs() {
        for n in 0..c.len() {
            let r = parse_bundle(&c[..n], &l);
            let _ = decompressed(&c[..n], &l);
            let _ = scan_section(&c[..n], &l);
            // v1 records no size: a prefix still holding the entry table may parse.
            if version != 1 {
                assert!(r.is_err(), "v{version} {method:?} prefix {n}");
            }
        }
        if version == 1 {
            assert!(decompressed(&c[..c.len() - 1], &l).is_err());
        }
    }
}

fn header_with(count: u64, id_len: u64) -> Vec<u8> {
    let mut v = MAGIC.to_vec();
    v.extend_from_slice(&count.to_le_bytes());
    v.extend_from_slice(&64u64.to_le_bytes());
    v.extend_from_slice(&0u64.to_le_bytes());
    v.extend_from_slice(&id_len.to_le_bytes());
    v.extend_from_slice(b"host-");
    v
}

#[test]
fn hostile_sizes_fail_fast() {
    let l = Limits::default();
    let limit = |r: Result<Bundle>| matches!(r.unwrap_err().kind, ErrorKind::LimitExceeded { .. });
    assert!(limit(parse_bundle(&header_with(1 << 40, 5), &l)));
    assert!(limit(parse_bundle(&header_with(1, 1 << 60), &l)));
    assert!(limit(parse_bundle(
        &ccob(3, Compression::Zstd, &header_with(1, 1 << 60)),
        &l
    )));
    // A count within the limit but far beyond the data: truncated, not allocated.
    let r = parse_bundle(&header_with(60_000, 5), &l);
    assert!(matches!(r.unwrap_err().kind, ErrorKind::Truncated { .. }));
    // Entry offset + size overflowing.
    let mut p = plain(&[(GFX, b"abc")], 8);
    p[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(
        parse_bundle(&p, &l).unwrap_err().kind,
        ErrorKind::Malformed(_)
    ));
    // CCOB claiming 2^63 total bytes, or a total smaller than its header.
    let mut c = ccob(3, Compression::Zstd, &sample());
    c[8..16].copy_from_slice(&(1u64 << 63).to_le_bytes());
    assert!(matches!(
        parse_bundle(&c, &l).unwrap_err().kind,
        ErrorKind::Truncated { .. }
    ));
    c[8..16].copy_from_slice(&3u64.to_le_bytes());
    assert!(matches!(
        parse_bundle(&c, &l).unwrap_err().kind,
        ErrorKind::Malformed(_)
    ));
    // Uncompressed size 2^63: the header parses, full decompression refuses.
    let mut c = ccob(3, Compression::Zstd, &sample());
    c[16..24].copy_from_slice(&(1u64 << 63).to_le_bytes());
    assert!(parse_bundle(&c, &l).is_ok());
    assert!(matches!(
        decompressed(&c, &l).unwrap_err().kind,
        ErrorKind::LimitExceeded { .. }
    ));
    // Uncompressed size smaller than the real output, or than the entries need.
    let mut c = ccob(2, Compression::Zlib, &sample());
    c[12..16].copy_from_slice(&100u32.to_le_bytes());
    assert!(matches!(
        decompressed(&c, &l).unwrap_err().kind,
        ErrorKind::Malformed(_)
    ));
    assert!(matches!(
        parse_bundle(&c, &l).unwrap_err().kind,
        ErrorKind::Malformed(_)
    ));
    c[12..16].copy_from_slice(&100_000u32.to_le_bytes());
    assert!(matches!(
        decompressed(&c, &l).unwrap_err().kind,
        ErrorKind::Malformed(_)
    ));
    // Unknown version and method.
    let mut c = ccob(3, Compression::Zstd, &sample());
    c[4] = 9;
    assert!(matches!(
        parse_bundle(&c, &l).unwrap_err().kind,
        ErrorKind::Unsupported(_)
    ));
    let mut c = ccob(3, Compression::Zstd, &sample());
    c[6] = 7;
    assert!(matches!(
        parse_bundle(&c, &l).unwrap_err().kind,
        ErrorKind::Unsupported(_)
    ));
}

#[test]
fn header_reading_is_capped() {
    let long_id = "x".repeat(3000);
    let p = plain(&[(&long_id, b"abc")], 8);
    let l = Limits {
        max_header_bytes: 1024,
        ..Limits::default()
    };
    for method in [Compression::Zlib, Compression::Zstd] {
        let c = ccob(3, method, &p);
        let e = parse_bundle(&c, &l).unwrap_err();
        assert!(matches!(e.kind, ErrorKind::LimitExceeded { .. }), "{e}");
        assert!(parse_bundle(&c, &Limits::default()).is_ok());
    }
    let small = Limits {
        max_decompressed: 10,
        ..Limits::default()
    };
    let c = ccob(3, Compression::Zstd, &p);
    assert!(matches!(
        decompressed(&c, &small).unwrap_err().kind,
        ErrorKind::LimitExceeded { .. }
    ));
}

#[test]
fn big_tables_stream_in_several_chunks() {
    // ~200 KiB of entry table: more than the first 64 KiB chunk.
    let ids: Vec<String> = (0..2000).map(|i| format!("{GFX}{i:090}")).collect();
    let entries: Vec<(&str, &[u8])> = ids.iter().map(|s| (s.as_str(), &b"z"[..])).collect();
    let p = plain(&entries, 1);
    for method in [Compression::Zlib, Compression::Zstd] {
        let b = parse_bundle(&ccob(3, method, &p), &Limits::default()).unwrap();
        assert_eq!(b.entries.len(), 2000);
    }
}

#[test]
fn random_bit_flips_never_panic() {
    let l = Limits::default();
    let mut inputs = vec![sample()];
    inputs.extend(all_ccobs().into_iter().map(|(_, _, c)| c));
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for input in &inputs {
        for bit in 0..input.len() * 8 {
            let mut m = input.clone();
            m[bit / 8] ^= 1 << (bit % 8);
            let _ = parse_bundle(&m, &l);
            let _ = decompressed(&m, &l);
        }
        for _ in 0..100 {
            let mut m = input.clone();
            for _ in 0..4 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let i = (x % m.len() as u64) as usize;
                m[i] = (x >> 32) as u8;
            }
            let _ = parse_bundle(&m, &l);
            let _ = decompressed(&m, &l);
            let _ = scan_section(&m, &l);
        }
    }
}
