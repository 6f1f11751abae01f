//! Tests of `bitstream`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    clippy::panic
)]

use super::*;
use crate::ErrorKind;

/// A minimal bitstream writer for tests.
#[derive(Default)]
pub(crate) struct Writer {
    pub(crate) out: Vec<u8>,
    acc: u64,
    n: u32,
    /// (outer abbrev width, byte index of the length word) per open block.
    blocks: Vec<(u32, usize)>,
    pub(crate) width: u32,
}

/// An abbreviation operand as the writer spells it.
#[derive(Clone, Copy)]
pub(crate) enum W {
    Lit(u64),
    Fixed(u64),
    Vbr(u64),
    Array,
    Char6,
    Blob,
}

impl Writer {
    pub(crate) fn new() -> Self {
        Writer {
            width: 2,
            ..Default::default()
        }
    }

    pub(crate) fn bit_len(&self) -> u64 {
        self.out.len() as u64 * 8 + u64::from(self.n)
    }

    pub(crate) fn fixed(&mut self, v: u64, w: u32) {
        for i in 0..w {
            self.acc |= ((v >> i) & 1) << self.n;
            self.n += 1;
            if self.n == 8 {
                self.out.push(self.acc as u8);
                self.acc = 0;
                self.n = 0;
            }
        }
    }

    pub(crate) fn vbr(&mut self, mut v: u64, w: u32) {
        let data = w - 1;
        loop {
            let piece = v & ((1 << data) - 1);
            v >>= data;
            if v == 0 {
                self.fixed(piece, w);
                return;
            }
            self.fixed(piece | (1 << data), w);
        }
    }

    pub(crate) fn align32(&mut self) {
        while self.bit_len() % 32 != 0 {
            self.fixed(0, 1);
        }
    }

    pub(crate) fn enter(&mut self, block_id: u64, width: u32) {
        self.fixed(u64::from(ENTER_SUBBLOCK), self.width);
        self.vbr(block_id, 8);
        self.vbr(u64::from(width), 4);
        self.align32();
        self.blocks.push((self.width, self.out.len()));
        self.fixed(0, 32);
        self.width = width;
    }

    pub(crate) fn end(&mut self) {
        self.fixed(u64::from(END_BLOCK), self.width);
        self.align32();
        let (outer, at) = self.blocks.pop().unwrap();
        let words = ((self.out.len() - at - 4) / 4) as u32;
        self.out[at..at + 4].copy_from_slice(&words.to_le_bytes());
        self.width = outer;
    }

    pub(crate) fn define(&mut self, ops: &[W]) {
        self.fixed(u64::from(DEFINE_ABBREV), self.width);
        self.vbr(ops.len() as u64, 5);
        for op in ops {
            match *op {
                W::Lit(v) => {
                    self.fixed(1, 1);
                    self.vbr(v, 8);
                }
                W::Fixed(w) => {
                    self.fixed(0, 1);
                    self.fixed(1, 3);
                    self.vbr(w, 5);
                }
                W::Vbr(w) => {
                    self.fixed(0, 1);
                    self.fixed(2, 3);
                    self.vbr(w, 5);
                }
                W::Array => {
                    self.fixed(0, 1);
                    self.fixed(3, 3);
                }
                W::Char6 => {
                    self.fixed(0, 1);
                    self.fixed(4, 3);
                }
                W::Blob => {
                    self.fixed(0, 1);
                    self.fixed(5, 3);
                }
            }
        }
    }

    pub(crate) fn unabbrev(&mut self, code: u64, ops: &[u64]) {
        self.fixed(u64::from(UNABBREV_RECORD), self.width);
        self.vbr(code, 6);
        self.vbr(ops.len() as u64, 6);
        for v in ops {
            self.vbr(*v, 6);
        }
    }

    pub(crate) fn abbrev_id(&mut self, id: u32) {
        self.fixed(u64::from(id), self.width);
    }

    pub(crate) fn char6_array(&mut self, s: &str) {
        self.vbr(s.len() as u64, 6);
        for b in s.bytes() {
            let v = CHAR6_ENC.iter().position(|c| *c == b).unwrap();
            self.fixed(v as u64, 6);
        }
    }

    pub(crate) fn blob(&mut self, bytes: &[u8]) {
        self.vbr(bytes.len() as u64, 6);
        self.align32();
        for b in bytes {
            self.fixed(u64::from(*b), 8);
        }
        self.align32();
    }

    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.align32();
        self.out
    }
}

const CHAR6_ENC: &[u8; 64] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._";

/// Walks a whole stream, entering every block; returns the entries or the first error.
/// Bounded so a bug cannot loop forever.
pub(crate) fn walk(data: &[u8]) -> Result<Vec<Entry<'_>>> {
    let mut c = BitstreamCursor::new(data);
    let mut out = Vec::new();
    for _ in 0..1_000_000 {
        let e = c.advance()?;
        let end = e == Entry::EndOfStream;
        out.push(e);
        if end {
            return Ok(out);
        }
    }
    panic!("walk did not terminate");
}

fn kind(r: Result<impl std::fmt::Debug>) -> ErrorKind {
    r.expect_err("expected an error").kind
}

#[test]
fn fixed_and_vbr_reads() {
    let mut w = Writer::new();
    w.fixed(5, 3);
    w.fixed(u64::MAX, 64);
    w.vbr(u64::MAX, 6);
    w.vbr(0x1234_5678_9abc, 4);
    w.fixed(0x3f, 7);
    let data = w.finish();
    let mut r = BitReader::new(&data);
    assert_eq!(r.read_fixed(3).unwrap(), 5);
    assert_eq!(r.read_fixed(64).unwrap(), u64::MAX);
    assert_eq!(r.read_vbr(6).unwrap(), u64::MAX);
    assert_eq!(r.read_vbr(4).unwrap(), 0x1234_5678_9abc);
    assert_eq!(r.read_fixed(0).unwrap(), 0);
    assert_eq!(r.read_fixed(7).unwrap(), 0x3f);
    r.align32().unwrap();
    assert!(r.at_end());
    assert!(matches!(kind(r.read_fixed(1)), ErrorKind::Truncated { .. }));
    assert!(matches!(kind(r.read_fixed(65)), ErrorKind::Malformed(_)));
    assert!(matches!(kind(r.read_vbr(1)), ErrorKind::Malformed(_)));
    r.jump_to_bit(3).unwrap();
    assert_eq!(r.bit_pos(), 3);
    assert!(r.jump_to_bit(r.bit_len() + 1).is_err());
}

#[test]
fn vbr_with_70_significant_bits_is_rejected() {
    // 14 chunks of vbr6 carry 70 bits; make the top chunk non-zero.
    let mut w = Writer::new();
    for _ in 0..13 {
        w.fixed(0x3f, 6);
    }
    w.fixed(0x1f, 6);
    let data = w.finish();
    let mut r = BitReader::new(&data);
    let e = r.read_vbr(6).unwrap_err();
    assert!(
        matches!(e.kind, ErrorKind::LimitExceeded { limit: 64, .. }),
        "{e:?}"
    );
    assert_eq!(r.bit_pos(), 0, "position restored on error");

    // 65 significant bits through a wide chunk: one 64-bit chunk then a 1-bit remainder.
    let mut w = Writer::new();
    w.fixed(u64::MAX, 64);
    w.fixed(u64::MAX, 64);
    let data = w.finish();
    assert!(BitReader::new(&data).read_vbr(64).is_err());

    // A run of zero-valued continuation chunks is cut off at 64 bits too.
    let mut w = Writer::new();
    for _ in 0..40 {
        w.fixed(0x20, 6);
    }
    w.fixed(0, 6);
    let data = w.finish();
    assert!(matches!(
        kind(BitReader::new(&data).read_vbr(6)),
        ErrorKind::LimitExceeded { .. }
    ));
}

/// Deterministic xorshift64 for the differential tests below.
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Reads `count` VBR values one by one, stopping at the first error.
fn vbr_one_by_one(r: &mut BitReader<'_>, width: u32, count: usize) -> (Vec<u64>, Result<()>) {
    let mut out = Vec::new();
    for _ in 0..count {
        match r.read_vbr(width) {
            Ok(v) => out.push(v),
            Err(e) => return (out, Err(e)),
        }
    }
    (out, Ok(()))
}

#[test]
fn batched_vbr_reads_match_one_by_one_reads() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for width in 2..=64u32 {
        for offset in 0..9u32 {
            // Values of every size, the 64-bit ones included; then a truncated last value.
            let mut w = Writer::new();
            w.fixed(0, offset);
            let mut values = Vec::new();
            for i in 0..200u32 {
                let bits = xorshift(&mut seed) % 65;
                let v = match i % 4 {
                    0 => 0,
                    1 => xorshift(&mut seed) & ((1u64 << (width - 1)) - 1),
                    _ => xorshift(&mut seed)
                        .checked_shr(64 - bits as u32)
                        .unwrap_or(0),
                };
                values.push(v);
                w.vbr(v, width);
            }
            let data = w.finish();
            for cut in [data.len(), data.len() - 1, data.len() / 2] {
                let data = &data[..cut];
                let mut one = BitReader::new(data);
                one.jump_to_bit(u64::from(offset)).unwrap();
                let mut batch = one.clone();
                let count = values.len() + 1;
                let (expected, result) = vbr_one_by_one(&mut one, width, count);
                let mut got = Vec::new();
                let batch_result = batch.read_vbr_into(width, count, &mut got);
                assert_eq!(got, expected, "width {width}, offset {offset}, cut {cut}");
                assert_eq!(
                    batch_result, result,
                    "width {width}, offset {offset}, cut {cut}"
                );
                assert_eq!(batch.bit_pos(), one.bit_pos());
                assert_eq!(
                    &expected[..expected.len().min(values.len())],
                    &values[..expected.len().min(values.len())]
                );
            }
            // Random bits: over-wide values and truncation, same outcome both ways.
            let noise: Vec<u8> = (0..64).map(|_| xorshift(&mut seed) as u8).collect();
            let mut one = BitReader::new(&noise);
            one.jump_to_bit(u64::from(offset)).unwrap();
            let mut batch = one.clone();
            let (expected, result) = vbr_one_by_one(&mut one, width, 1000);
            let mut got = Vec::new();
            let batch_result = batch.read_vbr_into(width, 1000, &mut got);
            assert_eq!(got, expected, "noise, width {width}, offset {offset}");
            assert_eq!(
                batch_result, result,
                "noise, width {width}, offset {offset}"
            );
            assert_eq!(batch.bit_pos(), one.bit_pos());
        }
    }
}

#[test]
fn reads_near_the_end_of_the_data() {
    // Every width at every position of a short buffer: fast and checked paths agree with a
    // bit-by-bit reference.
    let data: Vec<u8> = (0..13u8).map(|i| i.wrapping_mul(0x9d) ^ 0x5a).collect();
    let bit = |i: u64| (data[(i / 8) as usize] >> (i % 8)) & 1;
    let len = data.len() as u64 * 8;
    for pos in 0..=len {
        for width in 0..=64u32 {
            let mut r = BitReader::new(&data);
            r.jump_to_bit(pos).unwrap();
            let got = r.read_fixed(width);
            if pos + u64::from(width) > len {
                assert!(matches!(kind(got), ErrorKind::Truncated { .. }));
                assert_eq!(r.bit_pos(), pos);
            } else {
                let expected =
                    (0..u64::from(width)).fold(0u64, |v, i| v | u64::from(bit(pos + i)) << i);
                assert_eq!(got.unwrap(), expected, "pos {pos}, width {width}");
                assert_eq!(r.bit_pos(), pos + u64::from(width));
            }
        }
    }
}

/// A stream using every feature: BLOCKINFO, inherited and local abbrevs, char6 arrays,
/// fixed arrays, blobs, literals, nested blocks, unabbreviated records.
pub(crate) fn sample_stream() -> Vec<u8> {
    let mut w = Writer::new();
    w.enter(BLOCKINFO_BLOCK_ID, 2);
    w.unabbrev(BLOCKINFO_CODE_SETBID, &[9]);
    w.define(&[W::Lit(5), W::Array, W::Char6]);
    w.unabbrev(BLOCKINFO_CODE_BLOCKNAME, &[b'n' as u64]);
    w.end();
    w.enter(9, 4);
    w.abbrev_id(4); // inherited: code 5, char6 array
    w.char6_array("hello_world.c");
    w.define(&[W::Fixed(3), W::Vbr(6), W::Array, W::Fixed(8)]);
    w.abbrev_id(5);
    w.fixed(6, 3);
    w.vbr(1000, 6);
    w.vbr(3, 6);
    for b in [200u64, 0, 255] {
        w.fixed(b, 8);
    }
    w.define(&[W::Lit(7), W::Fixed(0), W::Blob]);
    w.abbrev_id(6);
    w.blob(b"blob!");
    w.enter(10, 3);
    w.unabbrev(1, &[1, 2, 3]);
    w.enter(11, 2);
    w.end();
    w.end();
    w.unabbrev(42, &[u64::MAX, 0]);
    w.end();
    w.finish()
}

#[test]
fn walks_every_feature() {
    let data = sample_stream();
    let entries = walk(&data).unwrap();
    fn rec<'a>(
        code: u64,
        ops: &'a [u64],
        blob: Option<&'a [u8]>,
    ) -> impl Fn(&Entry<'_>) -> bool + 'a {
        move |e: &Entry<'_>| match e {
            Entry::Record(r) => r.code == code && r.ops == ops && r.blob == blob,
            _ => false,
        }
    }
    let mut it = entries.iter();
    assert!(matches!(
        it.next(),
        Some(Entry::SubBlock { block_id: 0, .. })
    ));
    assert!(rec(1, &[9], None)(it.next().unwrap()));
    assert!(rec(2, &[b'n' as u64], None)(it.next().unwrap()));
    assert_eq!(it.next(), Some(&Entry::EndBlock { block_id: 0 }));
    assert!(matches!(
        it.next(),
        Some(Entry::SubBlock { block_id: 9, .. })
    ));
    let hello: Vec<u64> = b"hello_world.c".iter().map(|b| u64::from(*b)).collect();
    assert!(rec(5, &hello, None)(it.next().unwrap()));
    assert!(rec(6, &[1000, 200, 0, 255], None)(it.next().unwrap()));
    assert!(rec(7, &[0], Some(b"blob!"))(it.next().unwrap()));
    assert!(matches!(
        it.next(),
        Some(Entry::SubBlock { block_id: 10, .. })
    ));
    assert!(rec(1, &[1, 2, 3], None)(it.next().unwrap()));
    assert!(matches!(
        it.next(),
        Some(Entry::SubBlock {
            block_id: 11,
            length_words: 1
        })
    ));
    assert_eq!(it.next(), Some(&Entry::EndBlock { block_id: 11 }));
    assert_eq!(it.next(), Some(&Entry::EndBlock { block_id: 10 }));
    assert!(rec(42, &[u64::MAX, 0], None)(it.next().unwrap()));
    assert_eq!(it.next(), Some(&Entry::EndBlock { block_id: 9 }));
    assert_eq!(it.next(), Some(&Entry::EndOfStream));
    assert_eq!(it.next(), None);
}

#[test]
fn skip_block_uses_the_length_word() {
    let data = sample_stream();
    let mut c = BitstreamCursor::new(&data);
    assert!(matches!(
        c.advance().unwrap(),
        Entry::SubBlock { block_id: 0, .. }
    ));
    c.enter_block().unwrap();
    while c.advance().unwrap() != (Entry::EndBlock { block_id: 0 }) {}
    assert_eq!(c.block_info_abbrevs(9).len(), 1);
    assert!(matches!(
        c.advance().unwrap(),
        Entry::SubBlock { block_id: 9, .. }
    ));
    c.skip_block().unwrap();
    assert_eq!(c.depth(), 0);
    assert_eq!(c.advance().unwrap(), Entry::EndOfStream);
    // Nothing pending any more.
    assert!(c.skip_block().is_err());
    assert!(c.enter_block().is_err());
}

#[test]
fn every_truncation_and_bit_flip_fails_cleanly() {
    let data = sample_stream();
    for len in 0..data.len() {
        let _ = walk(&data[..len]);
        // Inside a block, running out of data is always an error.
        if len > 4 && len < data.len() {
            let r = walk(&data[..len]);
            if let Ok(entries) = r {
                // Only possible at a top-level block boundary.
                assert!(
                    entries
                        .iter()
                        .filter(|e| matches!(e, Entry::SubBlock { .. }))
                        .count()
                        >= 1
                );
            }
        }
    }
    for bit in 0..data.len() * 8 {
        let mut d = data.clone();
        d[bit / 8] ^= 1 << (bit % 8);
        let _ = walk(&d);
    }
}

#[test]
fn a_million_nested_blocks_fail_fast() {
    let mut w = Writer::new();
    w.enter(8, 2);
    let one: Vec<u8> = w.finish();
    assert_eq!(one.len(), 8);
    let data: Vec<u8> = one.iter().copied().cycle().take(8 * 1_000_000).collect();
    let start = std::time::Instant::now();
    let e = walk(&data).unwrap_err();
    assert!(
        matches!(
            e.kind,
            ErrorKind::LimitExceeded {
                what: "block nesting depth",
                limit: 64
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.offset, 64 * 8);
    assert!(start.elapsed().as_secs() < 5);
}

#[test]
fn abbreviation_definitions_are_validated() {
    let check = |ops: &[W]| {
        let mut w = Writer::new();
        w.enter(9, 3);
        w.define(ops);
        w.end();
        walk(&w.finish()).map(|_| ())
    };
    check(&[W::Lit(1), W::Array, W::Fixed(8)]).unwrap();
    check(&[W::Lit(1), W::Fixed(64), W::Vbr(64), W::Blob]).unwrap();
    assert!(check(&[W::Lit(1), W::Array]).is_err(), "array last");
    assert!(check(&[W::Lit(1), W::Array, W::Fixed(8), W::Fixed(8)]).is_err());
    assert!(check(&[W::Lit(1), W::Array, W::Array, W::Fixed(8)]).is_err());
    assert!(check(&[W::Lit(1), W::Array, W::Blob]).is_err());
    assert!(check(&[W::Lit(1), W::Array, W::Lit(3)]).is_err());
    assert!(
        check(&[W::Lit(1), W::Array, W::Fixed(0)]).is_err(),
        "fixed(0) is a literal"
    );
    assert!(
        check(&[W::Lit(1), W::Blob, W::Fixed(8)]).is_err(),
        "blob not last"
    );
    assert!(
        check(&[W::Array, W::Fixed(8)]).is_err(),
        "code from an array"
    );
    assert!(check(&[W::Blob]).is_err());
    assert!(check(&[W::Lit(1), W::Fixed(65)]).is_err());
    assert!(check(&[W::Lit(1), W::Vbr(1)]).is_err());
    assert!(check(&[]).is_err(), "no operands");
    let many = vec![W::Lit(1); MAX_ABBREV_OPS + 1];
    assert!(matches!(
        kind(check(&many)),
        ErrorKind::LimitExceeded { .. }
    ));
    check(&many[..MAX_ABBREV_OPS]).unwrap();
    // Fixed(0) and Vbr(0) read as literal zeros.
    let mut w = Writer::new();
    w.enter(9, 3);
    w.define(&[W::Fixed(0), W::Vbr(0)]);
    w.abbrev_id(4);
    w.end();
    let data = w.finish();
    let entries = walk(&data).unwrap();
    assert!(matches!(&entries[1], Entry::Record(r) if r.code == 0 && r.ops == [0]));
}

#[test]
fn abbreviation_count_is_capped() {
    let mut w = Writer::new();
    w.enter(9, 3);
    for _ in 0..=MAX_ABBREVS_PER_BLOCK {
        w.define(&[W::Lit(1)]);
    }
    w.end();
    let e = walk(&w.finish()).unwrap_err();
    assert!(
        matches!(e.kind, ErrorKind::LimitExceeded { limit: 65_536, .. }),
        "{e:?}"
    );
}

#[test]
fn record_lengths_are_capped_and_checked_before_allocating() {
    // Announces 2^21 operands.
    let mut w = Writer::new();
    w.enter(9, 3);
    w.abbrev_id(UNABBREV_RECORD);
    w.vbr(1, 6);
    w.vbr(1 << 21, 6);
    let e = walk(&w.finish()).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::LimitExceeded { .. }), "{e:?}");
    // Announces 10^6 operands (under the cap) with a few bytes left.
    let mut w = Writer::new();
    w.enter(9, 3);
    w.abbrev_id(UNABBREV_RECORD);
    w.vbr(1, 6);
    w.vbr(1_000_000, 6);
    let e = walk(&w.finish()).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Truncated { .. }), "{e:?}");
    // Same through an array abbreviation, and a blob running past the end.
    let mut w = Writer::new();
    w.enter(9, 3);
    w.define(&[W::Lit(1), W::Array, W::Char6]);
    w.abbrev_id(4);
    w.vbr(1_000_000, 6);
    assert!(matches!(
        kind(walk(&w.finish())),
        ErrorKind::Truncated { .. }
    ));
    let mut w = Writer::new();
    w.enter(9, 3);
    w.define(&[W::Lit(1), W::Blob]);
    w.abbrev_id(4);
    w.vbr(1_000_000, 6);
    assert!(matches!(
        kind(walk(&w.finish())),
        ErrorKind::Truncated { .. }
    ));
}

#[test]
fn structural_errors() {
    // END_BLOCK at the top level.
    assert!(walk(&[0, 0, 0, 0]).is_err());
    // Undefined abbreviation id.
    let mut w = Writer::new();
    w.enter(9, 3);
    w.abbrev_id(4);
    assert!(matches!(kind(walk(&w.finish())), ErrorKind::Malformed(_)));
    // DEFINE_ABBREV in BLOCKINFO before SETBID.
    let mut w = Writer::new();
    w.enter(0, 2);
    w.define(&[W::Lit(1)]);
    w.end();
    assert!(matches!(kind(walk(&w.finish())), ErrorKind::Malformed(_)));
    // BLOCKINFO inside BLOCKINFO.
    let mut w = Writer::new();
    w.enter(0, 2);
    w.enter(0, 2);
    w.end();
    w.end();
    assert!(walk(&w.finish()).is_err());
    // Abbreviation id width 0 and 33.
    for width in [0, 33] {
        let mut w = Writer::new();
        w.fixed(1, 2);
        w.vbr(9, 8);
        w.vbr(width, 4);
        w.align32();
        w.fixed(0, 32);
        w.fixed(0, 32);
        assert!(walk(&w.finish()).is_err());
    }
    // Skipping a block whose length runs past the end.
    let mut w = Writer::new();
    w.enter(9, 2);
    w.end();
    let mut data = w.finish();
    data[4] = 0xff;
    let mut c = BitstreamCursor::new(&data);
    c.advance().unwrap();
    assert!(matches!(kind(c.skip_block()), ErrorKind::Truncated { .. }));
}

#[test]
fn block_info_applies_to_blocks_entered_later() {
    let mut w = Writer::new();
    w.enter(8, 3);
    w.enter(0, 2);
    w.unabbrev(BLOCKINFO_CODE_SETBID, &[8]);
    w.define(&[W::Lit(77), W::Fixed(4)]);
    w.end();
    w.enter(8, 3);
    w.abbrev_id(4);
    w.fixed(9, 4);
    w.end();
    w.abbrev_id(4); // the outer block 8 did not get the abbreviation
    w.end();
    let data = w.finish();
    let mut c = BitstreamCursor::new(&data);
    let mut records = Vec::new();
    let err = loop {
        match c.advance() {
            Ok(Entry::Record(r)) => records.push((c.block_id(), r.code, r.ops)),
            Ok(Entry::EndOfStream) => panic!("expected an error"),
            Ok(_) => {}
            Err(e) => break e,
        }
    };
    assert_eq!(records, vec![(Some(0), 1, vec![8]), (Some(8), 77, vec![9])]);
    assert_eq!(err.kind, ErrorKind::Malformed("undefined abbreviation id"));
    assert_eq!(c.depth(), 1);
}

#[test]
fn char6_and_ops_as_bytes() {
    assert_eq!(decode_char6(0), Some(b'a'));
    assert_eq!(decode_char6(51), Some(b'Z'));
    assert_eq!(decode_char6(62), Some(b'.'));
    assert_eq!(decode_char6(63), Some(b'_'));
    assert_eq!(decode_char6(64), None);
    let r = Record {
        abbrev_id: 3,
        code: 1,
        ops: vec![104, 105, 256],
        blob: None,
    };
    assert_eq!(r.ops_as_bytes(0), None);
    let r = Record {
        abbrev_id: 3,
        code: 1,
        ops: vec![104, 105],
        blob: None,
    };
    assert_eq!(r.ops_as_bytes(0).unwrap(), b"hi");
    assert_eq!(r.ops_as_bytes(5).unwrap(), b"");
}
