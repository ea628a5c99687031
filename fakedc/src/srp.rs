//! Server side of Telegram's SRP 2FA password check.
//!
//! Telegram protects accounts with a "cloud password" using SRP-6a over a
//! 2048-bit safe prime, with the password stretched by
//! `passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow`
//! (<https://core.telegram.org/api/srp>). The server never learns the
//! password: it only keeps the verifier `v = g^x mod p`, where
//! `x = PH2(password, salt1, salt2)`.
//!
//! The exchange is:
//!
//! 1. `account.getPassword`: the server picks a fresh secret `b`, sends
//!    `srp_B = (k*v + g^b) mod p` together with the salts, `p`, `g` and a
//!    one-time `srp_id` ([`SrpPassword::account_password`]).
//! 2. `auth.checkPassword` (and every other method taking an
//!    `InputCheckPasswordSRP`): the client answers with its `A = g^a mod p`
//!    and the proof `M1`; the server recomputes `M1` from `A`, `b` and `v`
//!    ([`SrpPassword::check`]).
//!
//! Both sides hash numbers as 256-byte big-endian strings, so the padding
//! here must match the clients' byte for byte.

use std::collections::HashMap;
use std::fmt;
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use grammers_tl_types as tl;
use num_bigint::BigUint;
use sha2::{Digest, Sha256, Sha512};

/// The 2048-bit safe prime `p` Telegram uses for SRP (the same prime as for
/// the MTProto Diffie-Hellman exchange), big-endian.
///
/// Clients compare it against their built-in copy and skip the expensive
/// primality checks when it matches, so any other prime would make them slow
/// or make them refuse the password request.
pub const SRP_P: [u8; 256] = decode_hex(concat!(
    "C71CAEB9C6B1C9048E6C522F70F13F73980D40238E3E21C14934D037563D930F",
    "48198A0AA7C14058229493D22530F4DBFA336F6E0AC925139543AED44CCE7C37",
    "20FD51F69458705AC68CD4FE6B6B13ABDC9746512969328454F18FAF8C595F64",
    "2477FE96BB2A941D5BCD1D4AC8CC49880708FA9B378E3C4F3A9060BEE67CF9A4",
    "A4A695811051907E162753B56B0F6B410DBA74D8A84B2A14B3144E0EF1284754",
    "FD17ED950D5965B4B9DD46582DB1178D169C6BC465B0D6FF9CA3928FEF5B9AE4",
    "E418FC15E83EBEA0F87FA9FF5EED70050DED2849F47BF959D956850CE929851F",
    "0D8115F635B105EE2E4E15D04B2454BF6F4FADF034B10403119CD8E3B92FCC5B",
));

/// The generator `g` Telegram pairs with [`SRP_P`].
pub const SRP_G: i32 = 3;

/// How long an `srp_id` handed out by [`SrpPassword::account_password`]
/// stays usable.
pub const CHALLENGE_TTL: Duration = Duration::from_secs(10 * 60);

/// Width of every number that goes into a hash.
const NUM_LEN: usize = 256;

/// Salt sizes as observed from the real servers: an 8-byte `new_salt1`, to
/// which the client appends 32 random bytes when it sets a password, and a
/// 16-byte `salt2` that is used as-is.
const NEW_SALT1_LEN: usize = 8;
const CLIENT_SALT1_SUFFIX_LEN: usize = 32;
const SALT2_LEN: usize = 16;
/// Same convention for the Telegram Passport secret's salt.
const NEW_SECURE_SALT_LEN: usize = 8;
/// Size of `secure_random`. grammers uses it directly as its SRP exponent `a`
/// and pads it to 256 bytes, so it must not be longer than that.
const SECURE_RANDOM_LEN: usize = 256;

/// Upper bound on outstanding challenges per password, so a client calling
/// `account.getPassword` in a loop cannot grow the table without limit.
const MAX_PENDING_CHALLENGES: usize = 64;

/// Telegram's advice is that `g^a` and `g^b` lie in
/// `2^(2048-64) <= x <= p - 2^(2048-64)`; Telethon refuses a `g^b` outside
/// that range, so the server only issues `b`s that satisfy it.
const MIN_SAFE_BITS: u64 = 2048 - 64;

/// Why an `InputCheckPasswordSRP` was rejected.
///
/// [`SrpError::name`] is the RPC error message Telegram uses for the case;
/// all of them are sent with code [`SrpError::CODE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum SrpError {
    /// The `srp_id` was never issued, was already used (each one is good for
    /// a single attempt, successful or not), or has expired.
    #[error("SRP_ID_INVALID")]
    SrpIdInvalid,
    /// `A` is not a valid group element: longer than 256 bytes, or not in
    /// `1 < A < p - 1` (which also rules out `A mod p == 0`), or it makes the
    /// scrambling parameter `u` zero.
    #[error("SRP_A_INVALID")]
    SrpAInvalid,
    /// `M1` does not match, i.e. the password is wrong; also returned for
    /// `inputCheckPasswordEmpty` when a password is set.
    #[error("PASSWORD_HASH_INVALID")]
    PasswordHashInvalid,
}

impl SrpError {
    /// The RPC error code Telegram sends with each of these (`BAD_REQUEST`).
    pub const CODE: i32 = 400;

    /// The RPC error message, e.g. `"PASSWORD_HASH_INVALID"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::SrpIdInvalid => "SRP_ID_INVALID",
            Self::SrpAInvalid => "SRP_A_INVALID",
            Self::PasswordHashInvalid => "PASSWORD_HASH_INVALID",
        }
    }
}

/// An account's 2FA password as the server stores it: the salts, the SRP
/// verifier and the hint, plus the challenges handed out by
/// `account.getPassword` that are still waiting for an answer.
///
/// The plaintext password is only used inside [`SrpPassword::new`] and is not
/// kept. `Debug` is implemented by hand so that the verifier and the
/// challenges' secret exponents never reach a log.
///
/// All methods take `&self` (the challenge table sits behind a mutex), so one
/// instance can be shared by every connection of an account.
pub struct SrpPassword {
    /// The full salt1 the verifier was derived with (`new_salt1 | 32 bytes`).
    salt1: Vec<u8>,
    salt2: Vec<u8>,
    /// The prefix offered in `new_algo`; a client setting a new password
    /// appends its own random bytes to it.
    new_salt1: Vec<u8>,
    new_secure_salt: Vec<u8>,
    hint: Option<String>,
    /// `v = g^x mod p`. Secret: with it and a salt, a password can be brute
    /// forced offline.
    verifier: BigUint,
    challenges: Mutex<HashMap<i64, Challenge>>,
}

/// One outstanding `srp_id`.
struct Challenge {
    /// The server's secret exponent.
    b: BigUint,
    /// `srp_B` exactly as sent, padded to 256 bytes, because it goes into `u`
    /// and `M1` in that form.
    srp_b: [u8; NUM_LEN],
    expires: Instant,
}

/// The group parameters and `k`, derived once.
struct Group {
    p: BigUint,
    p_minus_1: BigUint,
    g: BigUint,
    /// `k = H(p | g)`.
    k: BigUint,
    /// `H(p) xor H(g)`, the first term of `M1`.
    h_p_xor_h_g: [u8; 32],
}

static GROUP: LazyLock<Group> = LazyLock::new(|| {
    let p = BigUint::from_bytes_be(&SRP_P);
    let g = BigUint::from(SRP_G.unsigned_abs());
    let g_padded = pad(&g);
    let k = BigUint::from_bytes_be(&sha256(&[&SRP_P, &g_padded]));
    let h_p = sha256(&[&SRP_P]);
    let h_g = sha256(&[&g_padded]);
    let h_p_xor_h_g = std::array::from_fn(|i| h_p[i] ^ h_g[i]);
    Group {
        p_minus_1: &p - 1u32,
        p,
        g,
        k,
        h_p_xor_h_g,
    }
});

impl SrpPassword {
    /// Sets up a password the way a real client would have stored it via
    /// `account.updatePasswordSettings`: `salt1` is a server `new_salt1` with
    /// 32 random bytes appended, `salt2` is random, and `v = g^x mod p` with
    /// `x = PH2(password, salt1, salt2)`.
    ///
    /// The password is taken as bytes; clients send the UTF-8 encoding of
    /// what the user typed, so pass a `&str` for a text password.
    ///
    /// This runs PBKDF2-HMAC-SHA512 with 100 000 iterations, so build it once
    /// (e.g. when the account is created), not per request.
    pub fn new(password: impl AsRef<[u8]>, hint: Option<String>) -> Self {
        let new_salt1 = random_vec(NEW_SALT1_LEN);
        let mut salt1 = new_salt1.clone();
        salt1.extend_from_slice(&random_vec(CLIENT_SALT1_SUFFIX_LEN));
        let salt2 = random_vec(SALT2_LEN);

        let group = &*GROUP;
        let x = BigUint::from_bytes_be(&ph2(password.as_ref(), &salt1, &salt2));
        let verifier = group.g.modpow(&x, &group.p);

        Self {
            salt1,
            salt2,
            new_salt1,
            new_secure_salt: random_vec(NEW_SECURE_SALT_LEN),
            hint,
            verifier,
            challenges: Mutex::new(HashMap::new()),
        }
    }

    /// The password hint shown to the user, if one was set.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// The KDF parameters of the current password (`current_algo`).
    pub fn current_algo(&self) -> tl::enums::PasswordKdfAlgo {
        kdf_algo(self.salt1.clone(), self.salt2.clone())
    }

    /// The KDF parameters a client must use to set a new password
    /// (`new_algo`): it appends 32 random bytes to this `salt1`.
    pub fn new_algo(&self) -> tl::enums::PasswordKdfAlgo {
        kdf_algo(self.new_salt1.clone(), self.salt2.clone())
    }

    /// Builds the `account.password` answer to `account.getPassword`.
    ///
    /// Every call opens a new challenge: a fresh secret `b`, the matching
    /// `srp_B` and a new `srp_id`, which [`SrpPassword::check`] accepts once
    /// within [`CHALLENGE_TTL`]. `secure_random` is fresh too.
    pub fn account_password(&self) -> tl::enums::account::Password {
        let (srp_id, srp_b) = self.issue_challenge(Instant::now());
        tl::types::account::Password {
            has_recovery: false,
            has_secure_values: false,
            has_password: true,
            current_algo: Some(self.current_algo()),
            srp_b: Some(srp_b.to_vec()),
            srp_id: Some(srp_id),
            hint: self.hint.clone(),
            email_unconfirmed_pattern: None,
            new_algo: self.new_algo(),
            new_secure_algo: secure_algo(self.new_secure_salt.clone()),
            secure_random: random_vec(SECURE_RANDOM_LEN),
            pending_reset_date: None,
            login_email_pattern: None,
        }
        .into()
    }

    /// Verifies an `InputCheckPasswordSRP` as sent to `auth.checkPassword`.
    ///
    /// `inputCheckPasswordEmpty` means "I think there is no password", which
    /// is wrong for an account that has one, hence
    /// [`SrpError::PasswordHashInvalid`].
    pub fn check(&self, input: &tl::enums::InputCheckPasswordSrp) -> Result<(), SrpError> {
        match input {
            tl::enums::InputCheckPasswordSrp::InputCheckPasswordEmpty => {
                Err(SrpError::PasswordHashInvalid)
            }
            tl::enums::InputCheckPasswordSrp::Srp(srp) => {
                self.check_srp(srp.srp_id, &srp.a, &srp.m1)
            }
        }
    }

    /// Verifies the fields of an `inputCheckPasswordSRP`.
    ///
    /// The `srp_id` is consumed by this call whatever the outcome, so a
    /// client must call `account.getPassword` again before retrying; this
    /// keeps `b` single-use and stops repeated guesses against one challenge.
    /// The checks run in the order `srp_id`, `A`, `M1`.
    pub fn check_srp(&self, srp_id: i64, a: &[u8], m1: &[u8]) -> Result<(), SrpError> {
        self.check_srp_at(Instant::now(), srp_id, a, m1)
    }

    fn check_srp_at(&self, now: Instant, srp_id: i64, a: &[u8], m1: &[u8]) -> Result<(), SrpError> {
        let challenge = self
            .lock_challenges()
            .remove(&srp_id)
            .filter(|challenge| challenge.expires > now)
            .ok_or(SrpError::SrpIdInvalid)?;

        let group = &*GROUP;
        // Clients send A padded to 256 bytes; anything longer cannot be below
        // p (leading zeros aside, which no client produces).
        if a.len() > NUM_LEN {
            return Err(SrpError::SrpAInvalid);
        }
        let big_a = BigUint::from_bytes_be(a);
        // The range check is what makes the proof binding: A = 0 (or any
        // multiple of p) would force the shared secret to 0, and A = 1 or
        // p - 1 confine it to {1, p - 1}, letting a client log in without
        // the password.
        if big_a <= BigUint::from(1u32) || big_a >= group.p_minus_1 {
            return Err(SrpError::SrpAInvalid);
        }
        let a_padded = pad(&big_a);

        // u = H(A | B); SRP-6a aborts on u = 0 because the password would
        // then drop out of the shared secret.
        let u = BigUint::from_bytes_be(&sha256(&[&a_padded, &challenge.srp_b]));
        if u == BigUint::ZERO {
            return Err(SrpError::SrpAInvalid);
        }

        // The client computes S = (B - k*v)^(a + u*x) = g^(b*(a + u*x)); the
        // server reaches the same value without a or x as (A * v^u)^b.
        let v_u = self.verifier.modpow(&u, &group.p);
        let s = (big_a * v_u % &group.p).modpow(&challenge.b, &group.p);
        let k_s = sha256(&[&pad(&s)]);

        // M1 = H(H(p) xor H(g) | H(salt1) | H(salt2) | A | B | K)
        let expected = sha256(&[
            &group.h_p_xor_h_g,
            &sha256(&[&self.salt1]),
            &sha256(&[&self.salt2]),
            &a_padded,
            &challenge.srp_b,
            &k_s,
        ]);

        if constant_time_eq(&expected, m1) {
            Ok(())
        } else {
            Err(SrpError::PasswordHashInvalid)
        }
    }

    /// Picks a fresh `b` and `srp_id` and remembers them until `now + TTL`.
    fn issue_challenge(&self, now: Instant) -> (i64, [u8; NUM_LEN]) {
        let group = &*GROUP;
        let k_v = &group.k * &self.verifier % &group.p;

        let (b, srp_b) = loop {
            let b = BigUint::from_bytes_be(&random_vec(NUM_LEN));
            let g_b = group.g.modpow(&b, &group.p);
            if !is_safe_range(&g_b, &group.p) {
                continue;
            }
            let srp_b = (&k_v + g_b) % &group.p;
            // Clients reject B = 0 outright.
            if srp_b != BigUint::ZERO {
                break (b, pad(&srp_b));
            }
        };

        let mut challenges = self.lock_challenges();
        challenges.retain(|_, challenge| challenge.expires > now);
        while challenges.len() >= MAX_PENDING_CHALLENGES {
            let oldest = challenges
                .iter()
                .min_by_key(|(_, challenge)| challenge.expires)
                .map(|(&id, _)| id);
            match oldest {
                Some(id) => challenges.remove(&id),
                None => break,
            };
        }
        let srp_id = loop {
            let id = random_i64();
            if !challenges.contains_key(&id) {
                break id;
            }
        };
        challenges.insert(
            srp_id,
            Challenge {
                b,
                srp_b,
                expires: now + CHALLENGE_TTL,
            },
        );
        (srp_id, srp_b)
    }

    fn lock_challenges(&self) -> MutexGuard<'_, HashMap<i64, Challenge>> {
        // Every update of the table is a single insert/remove/retain, so a
        // panic elsewhere while holding the lock cannot leave it half-done.
        self.challenges
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for SrpPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The verifier and the challenges' b are deliberately left out.
        f.debug_struct("SrpPassword")
            .field("hint", &self.hint)
            .field("pending_challenges", &self.lock_challenges().len())
            .finish_non_exhaustive()
    }
}

/// The `account.password` answer to `account.getPassword` for an account
/// without a 2FA password: only `new_algo`, `new_secure_algo` and
/// `secure_random`, with fresh salts.
pub fn account_password_unset() -> tl::enums::account::Password {
    tl::types::account::Password {
        has_recovery: false,
        has_secure_values: false,
        has_password: false,
        current_algo: None,
        srp_b: None,
        srp_id: None,
        hint: None,
        email_unconfirmed_pattern: None,
        new_algo: kdf_algo(random_vec(NEW_SALT1_LEN), random_vec(SALT2_LEN)),
        new_secure_algo: secure_algo(random_vec(NEW_SECURE_SALT_LEN)),
        secure_random: random_vec(SECURE_RANDOM_LEN),
        pending_reset_date: None,
        login_email_pattern: None,
    }
    .into()
}

fn kdf_algo(salt1: Vec<u8>, salt2: Vec<u8>) -> tl::enums::PasswordKdfAlgo {
    tl::types::PasswordKdfAlgoSha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow {
        salt1,
        salt2,
        g: SRP_G,
        p: SRP_P.to_vec(),
    }
    .into()
}

fn secure_algo(salt: Vec<u8>) -> tl::enums::SecurePasswordKdfAlgo {
    tl::types::SecurePasswordKdfAlgoPbkdf2Hmacsha512iter100000 { salt }.into()
}

/// `H(a | b | ...)` with `H = SHA-256`.
fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// `SH(data, salt) = H(salt | data | salt)`.
fn salted_hash(data: &[u8], salt: &[u8]) -> [u8; 32] {
    sha256(&[salt, data, salt])
}

/// `PH2(password, salt1, salt2) =
///  SH(pbkdf2(sha512, PH1(password, salt1, salt2), salt1, 100000), salt2)`
/// with `PH1(password, salt1, salt2) = SH(SH(password, salt1), salt2)`.
fn ph2(password: &[u8], salt1: &[u8], salt2: &[u8]) -> [u8; 32] {
    let ph1 = salted_hash(&salted_hash(password, salt1), salt2);
    let mut stretched = [0u8; 64];
    pbkdf2::pbkdf2_hmac::<Sha512>(&ph1, salt1, 100_000, &mut stretched);
    salted_hash(&stretched, salt2)
}

/// `n` as 256 big-endian bytes. Only called with values reduced mod p.
fn pad(n: &BigUint) -> [u8; NUM_LEN] {
    let bytes = n.to_bytes_be();
    let mut out = [0u8; NUM_LEN];
    out[NUM_LEN - bytes.len()..].copy_from_slice(&bytes);
    out
}

/// Whether `2^1984 <= x` and `2^1984 <= p - x`, the range Telegram asks both
/// sides to enforce on `g^a` and `g^b`.
fn is_safe_range(x: &BigUint, p: &BigUint) -> bool {
    x < p && x.bits() > MIN_SAFE_BITS && (p - x).bits() > MIN_SAFE_BITS
}

/// Compares without an early exit, so the time taken does not reveal how
/// many leading bytes of a guessed `M1` were right.
fn constant_time_eq(expected: &[u8; 32], got: &[u8]) -> bool {
    got.len() == expected.len()
        && expected
            .iter()
            .zip(got)
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

fn random_vec(len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    fill_random(&mut buf);
    buf
}

fn random_i64() -> i64 {
    let mut buf = [0u8; 8];
    fill_random(&mut buf);
    i64::from_le_bytes(buf)
}

fn fill_random(buf: &mut [u8]) {
    // Without OS randomness the server cannot issue secrets at all; there is
    // no sensible fallback.
    getrandom::fill(buf).expect("operating-system randomness is unavailable");
}

/// Decodes a hex string at compile time, so the prime can be written the way
/// it appears in Telegram's documentation.
const fn decode_hex<const N: usize>(hex: &str) -> [u8; N] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => panic!("invalid hex digit"),
        }
    }
    let hex = hex.as_bytes();
    assert!(hex.len() == 2 * N, "hex string has the wrong length");
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = (nibble(hex[2 * i]) << 4) | nibble(hex[2 * i + 1]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    const PASSWORD: &str = "correct horse battery staple";

    /// Building a password costs a PBKDF2 run; the tests share one. Every
    /// test works on its own srp_ids, so they do not interfere.
    fn server() -> &'static SrpPassword {
        static SERVER: OnceLock<SrpPassword> = OnceLock::new();
        SERVER.get_or_init(|| SrpPassword::new(PASSWORD, Some("horse".to_owned())))
    }

    fn get_password(server: &SrpPassword) -> tl::types::account::Password {
        let tl::enums::account::Password::Password(password) = server.account_password();
        password
    }

    fn algo_params(
        password: &tl::types::account::Password,
    ) -> &tl::types::PasswordKdfAlgoSha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow {
        match &password.current_algo {
            Some(
                tl::enums::PasswordKdfAlgo::Sha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow(
                    algo,
                ),
            ) => algo,
            other => panic!("unexpected current_algo: {other:?}"),
        }
    }

    /// What grammers' `Client::check_password` sends.
    fn grammers_check(
        password: &tl::types::account::Password,
        plaintext: &str,
    ) -> tl::enums::InputCheckPasswordSrp {
        let algo = algo_params(password);
        let (m1, g_a) = grammers_crypto::two_factor_auth::calculate_2fa(
            &algo.salt1,
            &algo.salt2,
            &algo.p,
            &algo.g,
            password.srp_b.clone().expect("srp_B is set"),
            password.secure_random.clone(),
            plaintext,
        );
        tl::types::InputCheckPasswordSrp {
            srp_id: password.srp_id.expect("srp_id is set"),
            a: g_a.to_vec(),
            m1: m1.to_vec(),
        }
        .into()
    }

    #[test]
    fn srp_prime_is_telegrams() {
        // Spot-check the transcription against the well-known ends of the
        // prime, and that it has the property g = 3 needs.
        assert_eq!(SRP_P[..4], [0xC7, 0x1C, 0xAE, 0xB9]);
        assert_eq!(SRP_P[252..], [0xB9, 0x2F, 0xCC, 0x5B]);
        assert_eq!(&GROUP.p % 3u32, BigUint::from(2u32));
    }

    #[test]
    fn srp_grammers_round_trip() {
        let server = server();
        let password = get_password(server);
        assert!(password.has_password);
        assert_eq!(password.hint.as_deref(), Some("horse"));
        let algo = algo_params(&password);
        assert_eq!(algo.salt1.len(), NEW_SALT1_LEN + CLIENT_SALT1_SUFFIX_LEN);
        assert_eq!(password.srp_b.as_ref().map(Vec::len), Some(NUM_LEN));
        // grammers refuses to go on if this fails.
        assert!(grammers_crypto::two_factor_auth::check_p_and_g(
            &algo.p, &algo.g
        ));

        let input = grammers_check(&password, PASSWORD);
        assert_eq!(server.check(&input), Ok(()));
    }

    #[test]
    fn srp_wrong_password_is_rejected() {
        let server = server();
        let password = get_password(server);
        let input = grammers_check(&password, "Correct horse battery staple");
        assert_eq!(server.check(&input), Err(SrpError::PasswordHashInvalid));
        assert_eq!(
            server.check(&tl::enums::InputCheckPasswordSrp::InputCheckPasswordEmpty),
            Err(SrpError::PasswordHashInvalid)
        );
    }

    #[test]
    fn srp_id_is_single_use() {
        let server = server();
        let password = get_password(server);
        let input = grammers_check(&password, PASSWORD);
        assert_eq!(server.check(&input), Ok(()));
        assert_eq!(server.check(&input), Err(SrpError::SrpIdInvalid));

        // A failed attempt burns the srp_id too.
        let tl::enums::InputCheckPasswordSrp::Srp(mut srp) =
            grammers_check(&get_password(server), PASSWORD)
        else {
            unreachable!()
        };
        let good_m1 = srp.m1.clone();
        srp.m1[0] ^= 1;
        assert_eq!(
            server.check_srp(srp.srp_id, &srp.a, &srp.m1),
            Err(SrpError::PasswordHashInvalid)
        );
        assert_eq!(
            server.check_srp(srp.srp_id, &srp.a, &good_m1),
            Err(SrpError::SrpIdInvalid)
        );

        assert_eq!(
            server.check_srp(12345, &srp.a, &good_m1),
            Err(SrpError::SrpIdInvalid)
        );
    }

    #[test]
    fn srp_id_expires() {
        let server = server();
        let password = get_password(server);
        let tl::enums::InputCheckPasswordSrp::Srp(srp) = grammers_check(&password, PASSWORD) else {
            unreachable!()
        };
        let later = Instant::now() + CHALLENGE_TTL + Duration::from_secs(1);
        assert_eq!(
            server.check_srp_at(later, srp.srp_id, &srp.a, &srp.m1),
            Err(SrpError::SrpIdInvalid)
        );
    }

    #[test]
    fn srp_invalid_a_is_rejected() {
        let server = server();
        let p = BigUint::from_bytes_be(&SRP_P);
        let bad_values = [
            Vec::new(),
            vec![0],
            vec![1],
            pad(&(&p - 1u32)).to_vec(),
            SRP_P.to_vec(),
            (&p * 2u32).to_bytes_be(),
            vec![0; NUM_LEN + 1],
        ];
        for a in bad_values {
            let srp_id = get_password(server).srp_id.expect("srp_id is set");
            assert_eq!(
                server.check_srp(srp_id, &a, &[0; 32]),
                Err(SrpError::SrpAInvalid),
                "A = {a:02x?}"
            );
        }
    }

    #[test]
    fn srp_debug_hides_secrets() {
        let server = server();
        let shown = format!("{server:?}");
        assert!(!shown.contains(PASSWORD));
        assert!(!shown.contains("verifier"));
        assert!(shown.contains("horse"));
    }

    #[test]
    fn srp_unset_password_offers_new_algo() {
        let tl::enums::account::Password::Password(password) = account_password_unset();
        assert!(!password.has_password);
        assert!(password.current_algo.is_none() && password.srp_id.is_none());
        let tl::enums::PasswordKdfAlgo::Sha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow(algo) =
            password.new_algo
        else {
            panic!("unexpected new_algo")
        };
        assert_eq!((algo.g, algo.p.as_slice()), (SRP_G, SRP_P.as_slice()));
    }

    /// A client written from the SRP page (and shaped like Telethon's
    /// `compute_check`), sharing no code with the server above: it uses its
    /// own random `a` instead of `secure_random`.
    mod independent_client {
        use hmac::Hmac;
        use num_bigint::BigUint;
        use sha2::{Digest, Sha256, Sha512};

        fn h(parts: &[&[u8]]) -> Vec<u8> {
            let mut hasher = Sha256::new();
            for part in parts {
                hasher.update(part);
            }
            hasher.finalize().to_vec()
        }

        fn for_hash(n: &BigUint) -> Vec<u8> {
            let bytes = n.to_bytes_be();
            let mut out = vec![0u8; 256 - bytes.len()];
            out.extend_from_slice(&bytes);
            out
        }

        fn good_mod_exp(x: &BigUint, p: &BigUint) -> bool {
            x < p && (p - x).bits() >= 1984 && x.bits() >= 1984
        }

        /// Returns `(A, M1, a)`.
        pub fn compute_check(
            salt1: &[u8],
            salt2: &[u8],
            p_bytes: &[u8],
            g: i32,
            srp_b: &[u8],
            password: &str,
        ) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
            let p = BigUint::from_bytes_be(p_bytes);
            let g_num = BigUint::from(u32::try_from(g).expect("positive g"));
            let big_b = BigUint::from_bytes_be(srp_b);
            assert!(big_b > BigUint::ZERO && big_b < p, "bad B");

            let hash1 = h(&[salt1, password.as_bytes(), salt1]);
            let hash2 = h(&[salt2, &hash1, salt2]);
            let mut hash3 = [0u8; 64];
            pbkdf2::pbkdf2::<Hmac<Sha512>>(&hash2, salt1, 100_000, &mut hash3)
                .expect("any key length works for HMAC");
            let x = BigUint::from_bytes_be(&h(&[salt2, &hash3, salt2]));

            let p_for_hash = for_hash(&p);
            let g_for_hash = for_hash(&g_num);
            let b_for_hash = for_hash(&big_b);
            let k = BigUint::from_bytes_be(&h(&[&p_for_hash, &g_for_hash]));
            let kg_x = k * g_num.modpow(&x, &p) % &p;

            let (a, a_bytes, a_for_hash, u) = loop {
                let mut a_bytes = vec![0u8; 256];
                getrandom::fill(&mut a_bytes).expect("randomness");
                let a = BigUint::from_bytes_be(&a_bytes);
                let big_a = g_num.modpow(&a, &p);
                if !good_mod_exp(&big_a, &p) {
                    continue;
                }
                let a_for_hash = for_hash(&big_a);
                let u = BigUint::from_bytes_be(&h(&[&a_for_hash, &b_for_hash]));
                if u > BigUint::ZERO {
                    break (a, a_bytes, a_for_hash, u);
                }
            };

            // (B - k*g^x) mod p, kept non-negative.
            let g_b = (&big_b + &p - kg_x) % &p;
            assert!(good_mod_exp(&g_b, &p), "bad g_b");
            let s = g_b.modpow(&(a + u * x), &p);
            let k_s = h(&[&for_hash(&s)]);

            let h_p = h(&[&p_for_hash]);
            let h_g = h(&[&g_for_hash]);
            let xored: Vec<u8> = h_p.iter().zip(&h_g).map(|(x, y)| x ^ y).collect();
            let m1 = h(&[
                &xored,
                &h(&[salt1]),
                &h(&[salt2]),
                &a_for_hash,
                &b_for_hash,
                &k_s,
            ]);
            (a_for_hash, m1, a_bytes)
        }
    }

    #[test]
    fn srp_independent_client_with_own_a() {
        let server = server();
        let password = get_password(server);
        let algo = algo_params(&password);
        let srp_b = password.srp_b.as_deref().expect("srp_B is set");

        let (a, m1, secret_a) = independent_client::compute_check(
            &algo.salt1,
            &algo.salt2,
            &algo.p,
            algo.g,
            srp_b,
            PASSWORD,
        );
        assert_ne!(secret_a, password.secure_random);
        let srp_id = password.srp_id.expect("srp_id is set");
        assert_eq!(server.check_srp(srp_id, &a, &m1), Ok(()));

        // And the same client with the wrong password is turned away.
        let password = get_password(server);
        let srp_b = password.srp_b.as_deref().expect("srp_B is set");
        let (a, m1, _) = independent_client::compute_check(
            &algo.salt1,
            &algo.salt2,
            &algo.p,
            algo.g,
            srp_b,
            "wrong",
        );
        let srp_id = password.srp_id.expect("srp_id is set");
        assert_eq!(
            server.check_srp(srp_id, &a, &m1),
            Err(SrpError::PasswordHashInvalid)
        );
    }
}
