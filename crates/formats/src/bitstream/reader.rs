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
        // The whole value lies in one peeked word: it then has fewer than `PEEK_BITS` value
        // bits, far from the 64-bit cap, so no limit check is needed.
        let avail = u32::try_from(self.remaining_bits().min(u64::from(PEEK_BITS))).unwrap_or(0);
        if width <= avail {
            let word = self.peek();
            let chunk_mask = short_mask(width);
            let data_bits = width.wrapping_sub(1);
            let cont = 1u64.wrapping_shl(data_bits);
            let mut value = 0u64;
            let mut used = 0u32;
            let mut shift = 0u32;
            // `used + width <= avail <= 57`, so none of these can overflow or shift by 64.
            while used.saturating_add(width) <= avail {
                let chunk = word.wrapping_shr(used) & chunk_mask;
                used = used.wrapping_add(width);
                if chunk & cont == 0 {
                    self.skip_checked(used);
                    return Ok(value | chunk.wrapping_shl(shift));
                }
                value |= (chunk ^ cont).wrapping_shl(shift);
                shift = shift.wrapping_add(data_bits);
            }
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
        let byte = usize::try_from(self.pos >> 3).ok()?;
        let bytes = self.data.get(byte..)?.first_chunk::<8>()?;
        // The bit offset within the byte is below 8.
        Some(u64::from_le_bytes(*bytes).wrapping_shr(u32::try_from(self.pos & 7).unwrap_or(0)))
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
