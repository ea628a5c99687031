//! Deterministic test content, shared by every test that moves bytes.
#![allow(dead_code)]

/// `len` bytes of seeded content that never repeats: every aligned 8-byte
/// word is a bijective mix of (seed, word index), so no two words of one
/// file are equal and two seeds share no word (for files below 8 TiB and
/// seeds below 2^24). A swapped, duplicated or misplaced chunk or hash part
/// therefore always shows, whatever its size or alignment.
pub fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    let base = u64::from(seed) << 40;
    let mut index = 0u64;
    while out.len() < len {
        out.extend_from_slice(&mix(base ^ index).to_le_bytes());
        index += 1;
    }
    out.truncate(len);
    out
}

/// The splitmix64 finaliser: a bijection on `u64` that scatters every
/// input bit over the output.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
