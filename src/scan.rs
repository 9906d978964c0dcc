//! Looking at bytes eight at a time (most text has none of what is looked for).

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `word` that is below `n` (`n` ≤ 0x80). Exact for the
/// lowest such byte; bytes above it may be marked too, so use only the lowest or treat
/// any mark as "look closer".
pub(crate) fn below(word: u64, n: u8) -> u64 {
    word.wrapping_sub(ONES * u64::from(n)) & !word & HIGH
}

/// As [`below`], for the bytes equal to `b`.
pub(crate) fn equal(word: u64, b: u8) -> u64 {
    below(word ^ (ONES * u64::from(b)), 1)
}

/// An eight-byte chunk as a little-endian word (its first byte lowest).
pub(crate) fn word(chunk: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(chunk);
    u64::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lowest_mark_is_the_first_match() {
        for at in 0..8 {
            for b in [0x1f, 0, 0x7f, b'"'] {
                let mut bytes = *b"abcdefgh";
                bytes[at] = b;
                let w = word(&bytes);
                assert_eq!(
                    equal(w, b).trailing_zeros() / 8,
                    at as u32,
                    "{b:#x} at {at}"
                );
                if b < 0x20 {
                    assert_eq!(below(w, 0x20).trailing_zeros() / 8, at as u32);
                }
            }
        }
        assert_eq!(below(word(b"abcdefgh"), 0x20), 0);
        assert_eq!(equal(word(b"abcdefgh"), b'"'), 0);
    }
}
