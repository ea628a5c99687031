//! MTProto transports, server side: full, intermediate, padded intermediate
//! and abridged, told apart by the first bytes the client sends.
//! See <https://core.telegram.org/mtproto/mtproto-transports>.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Packets larger than this are refused: the biggest legitimate request is a
/// 512 KiB file part plus headers.
pub const MAX_PACKET_LEN: usize = 2 * 1024 * 1024;

const ABRIDGED_TAG: u8 = 0xef;
const INTERMEDIATE_TAG: [u8; 4] = [0xee; 4];
const PADDED_INTERMEDIATE_TAG: [u8; 4] = [0xdd; 4];

/// The framing a connection uses, with the state it needs.
#[derive(Debug, Clone)]
pub enum Framing {
    /// `len | seq | payload | crc32`, used by grammers and Telethon.
    Full {
        /// The sequence number the next incoming packet must carry.
        read_seq: u32,
        /// The sequence number the next outgoing packet gets.
        write_seq: u32,
    },
    /// `0xeeeeeeee`, then `len | payload`.
    Intermediate,
    /// `0xdddddddd`, then `len | payload | 0..15 random bytes`.
    PaddedIntermediate,
    /// `0xef`, then a 1- or 4-byte length in words, then the payload (Pyrogram).
    Abridged,
}

/// What the first bytes of a connection said.
pub struct Detected {
    /// The transport the client chose.
    pub framing: Framing,
    /// Bytes already read that belong to the first packet (full transport only).
    pub pending: Vec<u8>,
}

/// Reads just enough of a new connection to know its transport.
pub async fn detect<R: AsyncRead + Unpin>(reader: &mut R) -> io::Result<Detected> {
    let first = reader.read_u8().await?;
    if first == ABRIDGED_TAG {
        return Ok(Detected {
            framing: Framing::Abridged,
            pending: Vec::new(),
        });
    }
    let mut head = [first, 0, 0, 0];
    reader.read_exact(&mut head[1..]).await?;
    let (framing, pending) = match head {
        INTERMEDIATE_TAG => (Framing::Intermediate, Vec::new()),
        PADDED_INTERMEDIATE_TAG => (Framing::PaddedIntermediate, Vec::new()),
        _ => (
            Framing::Full {
                read_seq: 0,
                write_seq: 0,
            },
            head.to_vec(),
        ),
    };
    Ok(Detected { framing, pending })
}

fn invalid(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

fn checked_len(len: usize) -> io::Result<usize> {
    if len > MAX_PACKET_LEN {
        Err(invalid("transport packet too large"))
    } else {
        Ok(len)
    }
}

impl Framing {
    /// Reads one packet's payload. `pending` holds bytes [`detect`] already consumed.
    pub async fn read_packet<R: AsyncRead + Unpin>(
        &mut self,
        reader: &mut R,
        pending: &mut Vec<u8>,
    ) -> io::Result<Vec<u8>> {
        match self {
            Framing::Full { read_seq, .. } => {
                let mut len_bytes = [0u8; 4];
                let have = pending.len().min(4);
                len_bytes[..have].copy_from_slice(&pending[..have]);
                pending.clear();
                reader.read_exact(&mut len_bytes[have..]).await?;
                let len = u32::from_le_bytes(len_bytes) as usize;
                if len < 12 {
                    return Err(invalid("full transport packet too short"));
                }
                let mut rest = vec![0u8; checked_len(len)? - 4];
                reader.read_exact(&mut rest).await?;
                let crc_at = rest.len() - 4;
                let mut crc = crc32fast::Hasher::new();
                crc.update(&len_bytes);
                crc.update(&rest[..crc_at]);
                if crc.finalize().to_le_bytes() != rest[crc_at..] {
                    return Err(invalid("full transport crc mismatch"));
                }
                let seq = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
                if seq != *read_seq {
                    return Err(invalid("full transport sequence mismatch"));
                }
                *read_seq = read_seq.wrapping_add(1);
                rest.truncate(crc_at);
                rest.drain(..4);
                Ok(rest)
            }
            Framing::Intermediate | Framing::PaddedIntermediate => {
                let len = checked_len(reader.read_u32_le().await? as usize)?;
                let mut payload = vec![0u8; len];
                reader.read_exact(&mut payload).await?;
                if matches!(self, Framing::PaddedIntermediate) && len > 24 {
                    // Encrypted payloads are 24 header bytes plus whole AES
                    // blocks; whatever is beyond is transport padding.
                    payload.truncate(24 + (len - 24) / 16 * 16);
                }
                Ok(payload)
            }
            Framing::Abridged => {
                let first = reader.read_u8().await?;
                // The top bit asks for a quick ack, which this server does not send.
                let words = match first & 0x7f {
                    0x7f => {
                        let mut b = [0u8; 4];
                        reader.read_exact(&mut b[..3]).await?;
                        u32::from_le_bytes(b) as usize
                    }
                    n => n as usize,
                };
                let mut payload = vec![0u8; checked_len(words * 4)?];
                reader.read_exact(&mut payload).await?;
                Ok(payload)
            }
        }
    }

    /// Frames a payload for the client.
    pub fn frame(&mut self, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(payload.len() + 12);
        match self {
            Framing::Full { write_seq, .. } => {
                out.extend_from_slice(&((payload.len() + 12) as u32).to_le_bytes());
                out.extend_from_slice(&write_seq.to_le_bytes());
                out.extend_from_slice(payload);
                let crc = crc32fast::hash(&out);
                out.extend_from_slice(&crc.to_le_bytes());
                *write_seq = write_seq.wrapping_add(1);
            }
            Framing::Intermediate | Framing::PaddedIntermediate => {
                out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
                out.extend_from_slice(payload);
            }
            Framing::Abridged => {
                let words = payload.len() / 4;
                if words < 0x7f {
                    out.push(words as u8);
                } else {
                    out.push(0x7f);
                    out.extend_from_slice(&(words as u32).to_le_bytes()[..3]);
                }
                out.extend_from_slice(payload);
            }
        }
        out
    }

    /// Writes a framed transport error such as -404 (unknown auth key).
    pub async fn write_error<W: AsyncWrite + Unpin>(
        &mut self,
        writer: &mut W,
        code: i32,
    ) -> io::Result<()> {
        let packet = self.frame(&code.to_le_bytes());
        writer.write_all(&packet).await?;
        writer.flush().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn round_trip(prefix: &[u8], mut client_framing: Framing, payload: &[u8]) -> Vec<u8> {
        let mut wire = prefix.to_vec();
        wire.extend_from_slice(&client_framing.frame(payload));
        let mut reader = &wire[..];
        let Detected {
            mut framing,
            mut pending,
        } = detect(&mut reader).await.expect("detects");
        framing
            .read_packet(&mut reader, &mut pending)
            .await
            .expect("reads")
    }

    #[tokio::test]
    async fn every_transport_is_detected_and_read() {
        let payload: Vec<u8> = (0..=255u8).cycle().take(1024).collect();
        let full = Framing::Full {
            read_seq: 0,
            write_seq: 0,
        };
        assert_eq!(round_trip(&[], full, &payload).await, payload);
        assert_eq!(
            round_trip(&INTERMEDIATE_TAG, Framing::Intermediate, &payload).await,
            payload
        );
        assert_eq!(
            round_trip(&[ABRIDGED_TAG], Framing::Abridged, &payload).await,
            payload
        );
        let short = [1u8; 8];
        assert_eq!(
            round_trip(&[ABRIDGED_TAG], Framing::Abridged, &short).await,
            short
        );
    }

    #[tokio::test]
    async fn full_transport_rejects_a_bad_crc() {
        let mut framing = Framing::Full {
            read_seq: 0,
            write_seq: 0,
        };
        let mut wire = framing.frame(&[9u8; 16]);
        let last = wire.len() - 1;
        wire[last] ^= 0xff;
        let mut reader = &wire[..];
        let Detected {
            mut framing,
            mut pending,
        } = detect(&mut reader).await.expect("detects");
        assert!(
            framing
                .read_packet(&mut reader, &mut pending)
                .await
                .is_err()
        );
    }
}
