//! Randomness for ids, salts, hashes and padding (the OS generator).

/// Fills `buf` with random bytes.
pub fn fill(buf: &mut [u8]) {
    // The OS generator failing means the machine cannot do crypto at all;
    // there is nothing sensible a test server can do but stop.
    getrandom::fill(buf).expect("the OS random number generator failed");
}

/// A random 64-bit integer.
pub fn i64() -> i64 {
    let mut b = [0u8; 8];
    fill(&mut b);
    i64::from_le_bytes(b)
}

/// A random positive 64-bit integer, for ids that must not be zero or negative.
pub fn positive_i64() -> i64 {
    (i64() & i64::MAX).max(1)
}

/// `n` random bytes.
pub fn bytes(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    fill(&mut v);
    v
}
