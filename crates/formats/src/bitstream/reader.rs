//! Bit-level reads under the bitstream cursor: fixed-width fields, VBR fields capped at 64
//! significant bits, 32-bit alignment, and jumps. Every read checks the length first.

use super::MAX_FIELD_WIDTH;
use crate::{Error, ErrorKind, Format, Result};

pub(super) fn error_at(bit: u64, kind: ErrorKind) -> Error {
    Error::new(Format::Bitcode, bit >> 3, kind)
}

pub(super) fn malformed(bit: u64, what: &'static str) -> Error {
    error_at(bit, ErrorKind::Malformed(what))
}

pub(super) fn limit(bit: u64, what: &'static str, limit: usize) -> Error {
    let limit = u64::try_from(limit).unwrap_or(u64::MAX);
    error_at(bit, ErrorKind::LimitExceeded { what, limit })
}

/// Bits of [`BitReader::peek`]'s word that are always from the stream (64 less up to 7 bits of
/// offset within the first byte).
const PEEK_BITS: u32 = 57;

/// The low `width` bits set, for `width` below 64 (wraps to a shorter mask otherwise).
#[inline(always)]
fn short_mask(width: u32) -> u64 {
    1u64.wrapping_shl(width).wrapping_sub(1)
}

/// The continuation bits of `width`-bit VBR chunks laid end to end from bit 0 (the top bit of
/// each chunk), for `width` from 2 to 64.
#[inline]
fn continuation_bits(width: u32) -> u64 {
    /// Precomputed for the width LLVM uses most (records without an abbreviation, arrays).
    const VBR6: u64 = 0x0820_8208_2082_0820;
    if width == 6 {
        return VBR6;
    }
    let mut mask = 0u64;
    let mut bit = width.saturating_sub(1);
    while bit < 64 {
        mask |= 1u64.wrapping_shl(bit);
        bit = bit.saturating_add(width.max(1));
    }
    mask
}

/// Extracts the value bits of VBR fields of one chunk width.
#[derive(Clone, Copy)]
struct VbrGather {
    width: u32,
    data_bits: u32,
    /// Value bits of chunks 0 to 3, each already moved to its place in the value.
    masks: [u64; 4],
}

impl VbrGather {
    /// For chunks of `width` bits, 2 to 64.
    #[inline(always)]
    fn new(width: u32) -> Self {
        let data_bits = width.wrapping_sub(1);
        let data_mask = short_mask(data_bits);
        VbrGather {
            width,
            data_bits,
            // Chunks whose value bits would start at bit 64 or later cannot be in a word.
            masks: [0u32, 1, 2, 3].map(|k| {
                data_bits
                    .checked_mul(k)
                    .and_then(|shift| data_mask.checked_shl(shift))
                    .unwrap_or(0)
            }),
        }
    }

    /// The value of a field whose chunks fill the low `len` bits of `rest` (`len` a whole
    /// number of chunks, at most [`PEEK_BITS`]).
    #[inline(always)]
    fn value(&self, rest: u64, len: u32) -> u64 {
        let bits = rest & short_mask(len);
        let [m0, m1, m2, m3] = self.masks;
        if len <= self.width.wrapping_mul(4) {
            // Chunk k sits at bit k * width; shifting by k puts its value bits at
            // k * (width - 1). Bits past `len` are zero, so absent chunks add nothing.
            return (bits & m0)
                | (bits.wrapping_shr(1) & m1)
                | (bits.wrapping_shr(2) & m2)
                | (bits.wrapping_shr(3) & m3);
        }
        let mut value = 0u64;
        let mut from = 0u32;
        let mut to = 0u32;
        while from < len {
            value |= (bits.wrapping_shr(from) & m0).wrapping_shl(to);
            from = from.wrapping_add(self.width);
            to = to.wrapping_add(self.data_bits);
        }
        value
    }
}

/// The low `width` bits set (`width` up to 64).
fn low_mask(width: u32) -> u64 {
    1u64.checked_shl(width)
        .map_or(u64::MAX, |v| v.wrapping_sub(1))
}

/// Reads bits from a byte slice, least significant bit of each little-endian word first.
///
/// Positions are in bits from the start of the slice. No read can go past the end: each one
/// checks first and returns [`ErrorKind::Truncated`].
#[derive(Debug, Clone)]
pub struct BitReader<'a> {
    data: &'a [u8],
    pos: u64,
    len_bits: u64,
}

impl<'a> BitReader<'a> {
    /// A reader at bit 0 of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        let len_bits = u64::try_from(data.len())
            .unwrap_or(u64::MAX)
            .saturating_mul(8);
        BitReader {
            data,
            pos: 0,
            len_bits,
        }
    }

    /// The slice being read.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Current position, in bits from the start of the slice.
    pub fn bit_pos(&self) -> u64 {
        self.pos
    }

    /// Length of the slice, in bits.
    pub fn bit_len(&self) -> u64 {
        self.len_bits
    }

    /// Bits left after the current position.
    pub fn remaining_bits(&self) -> u64 {
        self.len_bits.saturating_sub(self.pos)
    }

    /// Whether every bit has been read.
    pub fn at_end(&self) -> bool {
        self.pos >= self.len_bits
    }

    /// Moves to bit `pos`.
    ///
    /// # Errors
    /// [`ErrorKind::Truncated`] if `pos` is past the end of the slice (the position is unchanged).
    pub fn jump_to_bit(&mut self, pos: u64) -> Result<()> {
        if pos > self.len_bits {
            return Err(self.truncated(pos.saturating_sub(self.pos)));
        }
        self.pos = pos;
        Ok(())
    }

    /// Moves forward to the next multiple of 32 bits (no move if already there).
    ///
    /// # Errors
    /// [`ErrorKind::Truncated`] if that boundary is past the end of the slice.
    pub fn align32(&mut self) -> Result<()> {
        let aligned = crate::bytes::align_up(self.pos, 32)
            .ok_or_else(|| malformed(self.pos, "bit position overflows"))?;
        self.jump_to_bit(aligned)
    }

    /// Reads a `width`-bit unsigned field (`width` from 0 to 64; 0 reads nothing and gives 0).
    ///
    /// # Errors
    /// [`ErrorKind::Malformed`] if `width` is over 64; [`ErrorKind::Truncated`] if fewer than
    /// `width` bits are left (the position is then unchanged).
    #[inline(always)]
    pub fn read_fixed(&mut self, width: u32) -> Result<u64> {
        // Fast path: a field of up to `PEEK_BITS` bits away from the end of the data.
        if width <= PEEK_BITS {
            if let Some(word) = self.peek_fast() {
                self.skip_checked(width);
                return Ok(word & short_mask(width));
            }
        }
        self.read_fixed_checked(width)
    }

    /// [`read_fixed`](Self::read_fixed) with every check, for wide fields and the last bytes.
    #[inline(never)]
    fn read_fixed_checked(&mut self, width: u32) -> Result<u64> {
        if width > MAX_FIELD_WIDTH {
            return Err(malformed(self.pos, "fixed field wider than 64 bits"));
        }
        if u64::from(width) > self.remaining_bits() {
            return Err(self.truncated(u64::from(width)));
        }
        if width <= PEEK_BITS {
            let value = self.peek() & short_mask(width);
            self.skip_checked(width);
            return Ok(value);
        }
        let low = self.peek() & short_mask(32);
        self.skip_checked(32);
        let high_width = width.saturating_sub(32);
        let high = self.peek() & short_mask(high_width);
        self.skip_checked(high_width);
        Ok(low | high.wrapping_shl(32))
    }

    /// Reads a variable-width (VBR) field of `width`-bit chunks (`width` from 2 to 64): each
    /// chunk holds `width - 1` value bits, low chunks first, and a high bit set when another
    /// chunk follows.
    ///
    /// # Errors
    /// [`ErrorKind::Malformed`] if `width` is outside 2..=64; [`ErrorKind::LimitExceeded`] if
    /// the value has more than 64 significant bits or a chunk would start at bit 64 or later;
    /// [`ErrorKind::Truncated`] if the stream ends inside the value. On error the position is
    /// where the value started.
    #[inline(always)]
    pub fn read_vbr(&mut self, width: u32) -> Result<u64> {
        // Fast path: a one-chunk value away from the end of the data.
        if (2..=PEEK_BITS).contains(&width) {
            if let Some(word) = self.peek_fast() {
                let chunk = word & short_mask(width);
                if chunk.wrapping_shr(width.wrapping_sub(1)) == 0 {
                    self.skip_checked(width);
                    return Ok(chunk);
                }
            }
        }
        self.read_vbr_multi(width)
    }

    /// [`read_vbr`](Self::read_vbr) past its fast path: values of several chunks within one
    /// peeked word are decoded here, the rest chunk by chunk with every check.
    #[inline(never)]
    fn read_vbr_multi(&mut self, width: u32) -> Result<u64> {
        if !(2..=MAX_FIELD_WIDTH).contains(&width) {
            return Err(malformed(self.pos, "VBR chunk width outside 2..=64"));
        }
        if let Some((value, end)) = self.vbr_by_words(width) {
            self.pos = end;
            return Ok(value);
        }
        let start = self.pos;
        let result = self.read_vbr_chunks(width);
        if result.is_err() {
            self.pos = start;
        }
        result.map_err(|e| Error {
            offset: start >> 3,
            ..e
        })
    }

    /// Reads `count` VBR fields of `width`-bit chunks onto `out`, as `count` calls of
    /// [`read_vbr`](Self::read_vbr) would (same values, same errors), but decoding all the values
    /// that lie whole in one peeked word at once.
    pub(super) fn read_vbr_into(
        &mut self,
        width: u32,
        count: usize,
        out: &mut Vec<u64>,
    ) -> Result<()> {
        let mut left = count;
        if (2..=PEEK_BITS).contains(&width) {
            let gather = VbrGather::new(width);
            let word_stops = continuation_bits(width) & short_mask(PEEK_BITS);
            while left > 0 {
                let Some(word) = self.peek_fast() else { break };
                // A clear continuation bit ends a value. Only chunks that lie whole in the
                // `PEEK_BITS` bits count; a value with no end among them goes on past the word.
                let mut stops = !word & word_stops;
                // Start of the next value in `word`; always at most `PEEK_BITS`.
                let mut start = 0u32;
                while left > 0 && stops != 0 {
                    let end = stops.trailing_zeros().wrapping_add(1);
                    out.push(gather.value(word.wrapping_shr(start), end.wrapping_sub(start)));
                    start = end;
                    stops &= stops.wrapping_sub(1);
                    left = left.wrapping_sub(1);
                }
                if start == 0 {
                    // A value longer than one word: chunk by chunk.
                    out.push(self.read_vbr(width)?);
                    left = left.wrapping_sub(1);
                } else {
                    self.skip_checked(start);
                }
            }
        }
        for _ in 0..left {
            out.push(self.read_vbr(width)?);
        }
        Ok(())
    }

    /// A VBR value of `width`-bit chunks (2 to 57) at the current position, decoded a peeked
    /// word at a time, and the bit position after it. `None` whenever the checked
    /// chunk-by-chunk loop could fail (a chunk near the end of the data, more than 64
    /// significant bits, a chunk at bit 64 or later): the caller then takes that loop, which
    /// gives the error.
    fn vbr_by_words(&self, width: u32) -> Option<(u64, u64)> {
        if !(2..=PEEK_BITS).contains(&width) {
            return None;
        }
        let data_bits = width.wrapping_sub(1);
        let data_mask = short_mask(data_bits);
        let chunk_mask = short_mask(width);
        let mut pos = self.pos;
        let mut value = 0u64;
        let mut shift = 0u32;
        loop {
            let word = self.peek_fast_at(pos)?;
            let mut used = 0u32;
            // Whole chunks of this word; `used + width <= PEEK_BITS`, so no shift reaches 64.
            while used.wrapping_add(width) <= PEEK_BITS {
                if shift >= 64 {
                    return None;
                }
                let chunk = word.wrapping_shr(used) & chunk_mask;
                let piece = chunk & data_mask;
                // Value bits that would land at bit 64 or above make the value too wide.
                if shift > 0 && piece.wrapping_shr(64u32.wrapping_sub(shift)) != 0 {
                    return None;
                }
                value |= piece.wrapping_shl(shift);
                used = used.wrapping_add(width);
                if chunk == piece {
                    return Some((value, pos.wrapping_add(u64::from(used))));
                }
                shift = shift.saturating_add(data_bits);
            }
            pos = pos.wrapping_add(u64::from(used));
        }
    }

    fn read_vbr_chunks(&mut self, width: u32) -> Result<u64> {
        let data_bits = width.saturating_sub(1);
        let data_mask = low_mask(data_bits);
        let mut value = 0u64;
        let mut shift = 0u32;
        loop {
            if shift >= 64 {
                return Err(limit(self.pos, "VBR value bits", 64));
            }
            let chunk = self.read_fixed(width)?;
            let piece = chunk & data_mask;
            // Value bits that would land at bit 64 or above make the value too wide.
            let kept_bits = 64u32.saturating_sub(shift);
            if kept_bits < 64 && piece.checked_shr(kept_bits).unwrap_or(0) != 0 {
                return Err(limit(self.pos, "VBR value bits", 64));
            }
            value |= piece.checked_shl(shift).unwrap_or(0);
            if chunk.checked_shr(data_bits).unwrap_or(0) & 1 == 0 {
                return Ok(value);
            }
            shift = shift.saturating_add(data_bits);
        }
    }

    /// The 64 bits from the current position on, if the data has 8 bytes from the current
    /// byte on (then at least [`PEEK_BITS`] of them are stream bits).
    #[inline(always)]
    fn peek_fast(&self) -> Option<u64> {
        self.peek_fast_at(self.pos)
    }

    /// [`peek_fast`](Self::peek_fast) at bit `pos`.
    #[inline(always)]
    fn peek_fast_at(&self, pos: u64) -> Option<u64> {
        let byte = usize::try_from(pos >> 3).ok()?;
        let bytes = self.data.get(byte..)?.first_chunk::<8>()?;
        // The bit offset within the byte is below 8.
        Some(u64::from_le_bytes(*bytes).wrapping_shr(u32::try_from(pos & 7).unwrap_or(0)))
    }

    /// The 64 bits from the current position on, zeros past the end of the slice.
    fn peek(&self) -> u64 {
        if let Some(word) = self.peek_fast() {
            return word;
        }
        let byte = usize::try_from(self.pos >> 3).unwrap_or(usize::MAX);
        let mut buf = [0u8; 8];
        for (dst, src) in buf.iter_mut().zip(self.data.get(byte..).unwrap_or(&[])) {
            *dst = *src;
        }
        u64::from_le_bytes(buf).wrapping_shr(u32::try_from(self.pos & 7).unwrap_or(0))
    }

    /// Moves forward `bits` bits; the caller has checked they are there, so the position stays
    /// within the slice's length and cannot wrap.
    #[inline(always)]
    fn skip_checked(&mut self, bits: u32) {
        self.pos = self.pos.wrapping_add(u64::from(bits));
    }

    pub(super) fn truncated(&self, needed_bits: u64) -> Error {
        let byte = self.pos >> 3;
        let within = self.pos & 7;
        let needed = needed_bits.saturating_add(within).saturating_add(7) >> 3;
        let available = (self.len_bits >> 3).saturating_sub(byte);
        error_at(self.pos, ErrorKind::Truncated { needed, available })
    }
}
