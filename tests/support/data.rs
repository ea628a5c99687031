//! Deterministic test content.
#![allow(dead_code)]

/// `len` bytes that differ at every offset and between seeds, so misplaced
/// or repeated chunks are caught.
pub fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut state = 0x9e37_79b9u32 ^ seed.wrapping_mul(0x85eb_ca6b);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 11) as u8
        })
        .collect()
}
