//! MTProto 2.0 message encryption, seen from the server's side.
//!
//! grammers-crypto implements the client's half (encrypt with x = 0, decrypt
//! with x = 8); a server needs the mirror image, which is written here on top
//! of grammers' AES-IGE. See <https://core.telegram.org/mtproto/description>.

use std::fmt;

use grammers_crypto::aes::{ige_decrypt, ige_encrypt};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// "x = 0 for messages from client to server and x = 8 for those from server to client."
const X_CLIENT_TO_SERVER: usize = 0;
const X_SERVER_TO_CLIENT: usize = 8;

/// Bytes before the encrypted data: `auth_key_id` (8) and `msg_key` (16).
pub const ENVELOPE_HEADER_LEN: usize = 24;

/// "MTProto 2.0 requires from 12 to 1024 bytes of padding."
const MIN_PADDING: usize = 12;

/// A 2048-bit authorization key with its precomputed identifier.
///
/// `Debug` prints only the key id: the key itself is a secret.
#[derive(Clone)]
pub struct AuthKey {
    data: [u8; 256],
    id: i64,
}

impl AuthKey {
    /// Wraps raw key bytes, computing the key id ("the 64 lower-order bits of
    /// the SHA1 hash of the authorization key").
    pub fn new(data: [u8; 256]) -> Self {
        let sha = Sha1::digest(data);
        let mut id = [0u8; 8];
        id.copy_from_slice(&sha[12..20]);
        Self {
            data,
            id: i64::from_le_bytes(id),
        }
    }

    /// Generates a fresh random key.
    pub fn generate() -> Self {
        let mut data = [0u8; 256];
        crate::random::fill(&mut data);
        Self::new(data)
    }

    /// The key id that prefixes every encrypted packet.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The raw key bytes, to hand to a client that pre-shares the key.
    pub fn bytes(&self) -> &[u8; 256] {
        &self.data
    }
}

impl fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthKey")
            .field("id", &format_args!("{:016x}", self.id))
            .finish_non_exhaustive()
    }
}

/// Why an incoming packet could not be decrypted. Both end the connection
/// with transport error -404, as Telegram does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    /// Too short, or the encrypted part is not a multiple of 16 bytes.
    #[error("malformed encrypted packet")]
    Malformed,
    /// The `msg_key` does not match the decrypted contents.
    #[error("msg_key mismatch")]
    MsgKeyMismatch,
}

fn derive_aes(key: &AuthKey, msg_key: &[u8; 16], x: usize) -> ([u8; 32], [u8; 32]) {
    let a = Sha256::new()
        .chain_update(msg_key)
        .chain_update(&key.data[x..x + 36])
        .finalize();
    let b = Sha256::new()
        .chain_update(&key.data[40 + x..40 + x + 36])
        .chain_update(msg_key)
        .finalize();
    let mut aes_key = [0u8; 32];
    aes_key[..8].copy_from_slice(&a[..8]);
    aes_key[8..24].copy_from_slice(&b[8..24]);
    aes_key[24..].copy_from_slice(&a[24..32]);
    let mut aes_iv = [0u8; 32];
    aes_iv[..8].copy_from_slice(&b[..8]);
    aes_iv[8..24].copy_from_slice(&a[8..24]);
    aes_iv[24..].copy_from_slice(&b[24..32]);
    (aes_key, aes_iv)
}

fn msg_key_for(key: &AuthKey, plaintext: &[u8], x: usize) -> [u8; 16] {
    let large = Sha256::new()
        .chain_update(&key.data[88 + x..88 + x + 32])
        .chain_update(plaintext)
        .finalize();
    let mut msg_key = [0u8; 16];
    msg_key.copy_from_slice(&large[8..24]);
    msg_key
}

/// Reads the `auth_key_id` that starts every MTProto packet (0 for plain ones).
pub fn packet_key_id(packet: &[u8]) -> Option<i64> {
    let id: [u8; 8] = packet.get(..8)?.try_into().ok()?;
    Some(i64::from_le_bytes(id))
}

/// Decrypts a client packet in place and returns the plaintext (salt,
/// session id, message and padding), after checking its `msg_key`.
pub fn decrypt_from_client<'a>(
    key: &AuthKey,
    packet: &'a mut [u8],
) -> Result<&'a mut [u8], DecryptError> {
    if packet.len() < ENVELOPE_HEADER_LEN + 16
        || !(packet.len() - ENVELOPE_HEADER_LEN).is_multiple_of(16)
    {
        return Err(DecryptError::Malformed);
    }
    let mut msg_key = [0u8; 16];
    msg_key.copy_from_slice(&packet[8..24]);
    let (aes_key, aes_iv) = derive_aes(key, &msg_key, X_CLIENT_TO_SERVER);
    let plaintext = &mut packet[ENVELOPE_HEADER_LEN..];
    ige_decrypt(plaintext, &aes_key, &aes_iv);
    if msg_key_for(key, plaintext, X_CLIENT_TO_SERVER) != msg_key {
        return Err(DecryptError::MsgKeyMismatch);
    }
    Ok(plaintext)
}

/// Pads and encrypts `plaintext` for the client, producing the whole packet
/// (`auth_key_id`, `msg_key`, encrypted data).
///
/// `plaintext` must start with [`ENVELOPE_HEADER_LEN`] spare bytes, which are
/// overwritten: this lets callers build the message in place without a copy.
pub fn encrypt_for_client(key: &AuthKey, mut buffer: Vec<u8>) -> Vec<u8> {
    let body_len = buffer.len() - ENVELOPE_HEADER_LEN;
    // Minimal padding that keeps "12 to 1024 bytes" and a multiple of 16.
    let padding = MIN_PADDING + (16 - (body_len + MIN_PADDING) % 16) % 16;
    let start = buffer.len();
    buffer.resize(start + padding, 0);
    crate::random::fill(&mut buffer[start..]);

    let msg_key = msg_key_for(key, &buffer[ENVELOPE_HEADER_LEN..], X_SERVER_TO_CLIENT);
    let (aes_key, aes_iv) = derive_aes(key, &msg_key, X_SERVER_TO_CLIENT);
    ige_encrypt(&mut buffer[ENVELOPE_HEADER_LEN..], &aes_key, &aes_iv);
    buffer[..8].copy_from_slice(&key.id.to_le_bytes());
    buffer[8..24].copy_from_slice(&msg_key);
    buffer
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The client half of the same scheme, written independently of the
    /// server functions, so the test checks the x = 0 / x = 8 choice.
    fn client_encrypt(key: &AuthKey, plaintext: &[u8]) -> Vec<u8> {
        let mut padded = plaintext.to_vec();
        padded.resize(
            plaintext.len() + 12 + (16 - (plaintext.len() + 12) % 16) % 16,
            7,
        );
        let msg_key = msg_key_for(key, &padded, 0);
        let (k, iv) = derive_aes(key, &msg_key, 0);
        ige_encrypt(&mut padded, &k, &iv);
        let mut packet = key.id.to_le_bytes().to_vec();
        packet.extend_from_slice(&msg_key);
        packet.extend_from_slice(&padded);
        packet
    }

    #[test]
    fn client_packet_round_trips_through_server_decrypt() {
        let key = AuthKey::generate();
        let plaintext: Vec<u8> = (0..100u8).collect();
        let mut packet = client_encrypt(&key, &plaintext);
        let decrypted = decrypt_from_client(&key, &mut packet).expect("decrypts");
        assert_eq!(&decrypted[..100], &plaintext[..]);
    }

    #[test]
    fn tampered_packet_is_rejected() {
        let key = AuthKey::generate();
        let mut packet = client_encrypt(&key, &[1u8; 64]);
        let last = packet.len() - 1;
        packet[last] ^= 1;
        assert_eq!(
            decrypt_from_client(&key, &mut packet).unwrap_err(),
            DecryptError::MsgKeyMismatch
        );
    }

    #[test]
    fn server_packet_decrypts_with_grammers_client_code() {
        let key = AuthKey::generate();
        let mut buffer = vec![0u8; ENVELOPE_HEADER_LEN];
        buffer.extend_from_slice(&[42u8; 40]);
        let mut packet = encrypt_for_client(&key, buffer);
        assert_eq!((packet.len() - ENVELOPE_HEADER_LEN) % 16, 0);
        let grammers_key = grammers_crypto::AuthKey::from_bytes(*key.bytes());
        let plaintext = grammers_crypto::decrypt_data_v2(&mut packet, &grammers_key)
            .expect("grammers decrypts");
        assert_eq!(&plaintext[..40], &[42u8; 40]);
    }

    #[test]
    fn debug_does_not_print_key_bytes() {
        let key = AuthKey::new([0xab; 256]);
        let shown = format!("{key:?}");
        assert!(!shown.contains("171"), "{shown}");
        assert!(!shown.to_lowercase().contains("abab"), "{shown}");
    }
}
