//! The MTProto message layer: parsing what clients send (containers,
//! `gzip_packed`, the `invokeWithLayer` family) and minting server message ids.

use std::io::Read;
use std::time::{SystemTime, UNIX_EPOCH};

use grammers_tl_types::{self as tl, Cursor, Deserializable};

/// `msg_container#73f1f8dc messages:vector<message>`
pub const MSG_CONTAINER: u32 = 0x73f1f8dc;
/// `gzip_packed#3072cfa1 packed_data:bytes`
pub const GZIP_PACKED: u32 = 0x3072cfa1;
/// `rpc_result#f35c6d01 req_msg_id:long result:Object`
pub const RPC_RESULT: u32 = 0xf35c6d01;
/// `invokeWithLayer#da9b0d0d layer:int query:!X`
pub const INVOKE_WITH_LAYER: u32 = 0xda9b0d0d;
/// `initConnection#c1cd5ea9 flags:# api_id:int device_model:string … query:!X`
pub const INIT_CONNECTION: u32 = 0xc1cd5ea9;
/// `invokeWithoutUpdates#bf9459b7 query:!X`
pub const INVOKE_WITHOUT_UPDATES: u32 = 0xbf9459b7;
/// `invokeAfterMsg#cb9f372d msg_id:long query:!X`
pub const INVOKE_AFTER_MSG: u32 = 0xcb9f372d;
/// `invokeAfterMsgs#3dc4b4f0 msg_ids:Vector<long> query:!X`
pub const INVOKE_AFTER_MSGS: u32 = 0x3dc4b4f0;

/// Decompressed `gzip_packed` payloads larger than this are refused.
const MAX_INFLATED_LEN: u64 = 16 * 1024 * 1024;

/// How deep `initConnection`'s `params` (a JSONValue) may nest. grammers'
/// generated deserializer recurses once per level, so a client sending
/// arrays 100,000 deep would overflow the stack and abort the server.
const MAX_JSON_DEPTH: usize = 64;

/// The decrypted header of a client packet.
#[derive(Debug, Clone, Copy)]
pub struct PacketHeader {
    /// The server salt the client used.
    pub salt: i64,
    /// The client's session id; a new one starts a new session.
    pub session_id: i64,
}

/// One message from the client, after unwrapping containers.
#[derive(Debug, Clone)]
pub struct ClientMessage {
    /// The client's message id (time-based, divisible by 4).
    pub msg_id: i64,
    /// The sequence number: odd for content-related messages.
    pub seq_no: i32,
    /// The serialized TL object the message carries.
    pub body: Vec<u8>,
    /// The container's msg_id if the message arrived in one.
    pub container_msg_id: Option<i64>,
}

impl ClientMessage {
    /// The constructor id of the body.
    pub fn constructor(&self) -> Option<u32> {
        constructor_of(&self.body)
    }

    /// "Content-related" messages have odd seq_no and need an answer or ack.
    pub fn is_content_related(&self) -> bool {
        self.seq_no & 1 == 1
    }
}

/// Reads the first four bytes as a constructor id.
pub fn constructor_of(body: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(body.get(..4)?.try_into().ok()?))
}

/// Why a decrypted packet was unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The data ended before a length or field it announced.
    #[error("truncated message")]
    Truncated,
    /// A `gzip_packed` object that did not decompress (or exceeded the size cap).
    #[error("bad gzip_packed payload")]
    BadGzip,
    /// A JSONValue nested deeper than the server reads.
    #[error("JSON nested too deep")]
    TooDeep,
}

fn read_i64(c: &mut Cursor<'_>) -> Result<i64, ParseError> {
    i64::deserialize(c).map_err(|_| ParseError::Truncated)
}

fn read_i32(c: &mut Cursor<'_>) -> Result<i32, ParseError> {
    i32::deserialize(c).map_err(|_| ParseError::Truncated)
}

fn read_body(c: &mut Cursor<'_>, len: i32) -> Result<Vec<u8>, ParseError> {
    let len = usize::try_from(len).map_err(|_| ParseError::Truncated)?;
    let mut body = vec![0u8; len];
    c.read_exact(&mut body).map_err(|_| ParseError::Truncated)?;
    Ok(body)
}

/// Splits decrypted plaintext into its header and (unwrapped) messages.
pub fn parse_plaintext(plaintext: &[u8]) -> Result<(PacketHeader, Vec<ClientMessage>), ParseError> {
    let mut c = Cursor::from_slice(plaintext);
    let header = PacketHeader {
        salt: read_i64(&mut c)?,
        session_id: read_i64(&mut c)?,
    };
    let msg_id = read_i64(&mut c)?;
    let seq_no = read_i32(&mut c)?;
    let len = read_i32(&mut c)?;
    let body = read_body(&mut c, len)?;
    let outer = ClientMessage {
        msg_id,
        seq_no,
        body,
        container_msg_id: None,
    };
    let mut messages = Vec::new();
    unwrap_container(outer, &mut messages)?;
    Ok((header, messages))
}

fn unwrap_container(
    message: ClientMessage,
    out: &mut Vec<ClientMessage>,
) -> Result<(), ParseError> {
    if message.constructor() != Some(MSG_CONTAINER) {
        out.push(message);
        return Ok(());
    }
    let mut c = Cursor::from_slice(&message.body[4..]);
    let count = read_i32(&mut c)?;
    for _ in 0..count {
        let msg_id = read_i64(&mut c)?;
        let seq_no = read_i32(&mut c)?;
        let len = read_i32(&mut c)?;
        out.push(ClientMessage {
            msg_id,
            seq_no,
            body: read_body(&mut c, len)?,
            container_msg_id: Some(message.msg_id),
        });
    }
    Ok(())
}

/// Replaces a `gzip_packed` object by what it contains (other bodies are returned as they are).
pub fn inflate_if_packed(body: Vec<u8>) -> Result<Vec<u8>, ParseError> {
    if constructor_of(&body) != Some(GZIP_PACKED) {
        return Ok(body);
    }
    let mut c = Cursor::from_slice(&body[4..]);
    let packed = Vec::<u8>::deserialize(&mut c).map_err(|_| ParseError::BadGzip)?;
    let mut inflated = Vec::new();
    flate2::read::GzDecoder::new(&packed[..])
        .take(MAX_INFLATED_LEN)
        .read_to_end(&mut inflated)
        .map_err(|_| ParseError::BadGzip)?;
    Ok(inflated)
}

/// What `initConnection` told us about the client app.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    /// The app's `api_id`.
    pub api_id: i32,
    /// The device model the app reports.
    pub device_model: String,
    /// The operating system version.
    pub system_version: String,
    /// The app's own version.
    pub app_version: String,
    /// The language code of the device's system.
    pub system_lang_code: String,
    /// The name of the language pack the app uses (may be empty).
    pub lang_pack: String,
    /// The language code of the app's interface.
    pub lang_code: String,
}

/// A method call with the invoke wrappers peeled off.
#[derive(Debug)]
pub struct Unwrapped {
    /// The API layer from `invokeWithLayer`, if the call was wrapped in it.
    pub layer: Option<i32>,
    /// The app details from `initConnection`, if the call was wrapped in it.
    pub client: Option<ClientInfo>,
    /// The call was wrapped in `invokeWithoutUpdates`.
    pub without_updates: bool,
    /// The innermost query.
    pub query: Vec<u8>,
}

/// Peels `invokeWithLayer`, `initConnection`, `invokeWithoutUpdates` and
/// `invokeAfterMsg(s)` off a call, in any order and nesting.
pub fn unwrap_invoke(mut body: Vec<u8>) -> Result<Unwrapped, ParseError> {
    let mut layer = None;
    let mut client = None;
    let mut without_updates = false;
    loop {
        body = inflate_if_packed(body)?;
        let Some(id) = constructor_of(&body) else {
            return Err(ParseError::Truncated);
        };
        let mut c = Cursor::from_slice(&body[4..]);
        match id {
            INVOKE_WITH_LAYER => layer = Some(read_i32(&mut c)?),
            INVOKE_WITHOUT_UPDATES => without_updates = true,
            INVOKE_AFTER_MSG => {
                read_i64(&mut c)?;
            }
            INVOKE_AFTER_MSGS => {
                Vec::<i64>::deserialize(&mut c).map_err(|_| ParseError::Truncated)?;
            }
            INIT_CONNECTION => client = Some(read_init_connection(&mut c, &body[4..])?),
            _ => {
                return Ok(Unwrapped {
                    layer,
                    client,
                    without_updates,
                    query: body,
                });
            }
        }
        let consumed = 4 + c.pos();
        body.drain(..consumed);
    }
}

/// `data` is what `c` reads, so the JSON can be checked before it is parsed.
fn read_init_connection(c: &mut Cursor<'_>, data: &[u8]) -> Result<ClientInfo, ParseError> {
    let string = |c: &mut Cursor<'_>| String::deserialize(c).map_err(|_| ParseError::Truncated);
    let flags = read_i32(c)?;
    let info = ClientInfo {
        api_id: read_i32(c)?,
        device_model: string(c)?,
        system_version: string(c)?,
        app_version: string(c)?,
        system_lang_code: string(c)?,
        lang_pack: string(c)?,
        lang_code: string(c)?,
    };
    if flags & 1 != 0 {
        tl::enums::InputClientProxy::deserialize(c).map_err(|_| ParseError::Truncated)?;
    }
    if flags & 2 != 0 {
        skip_json(data.get(c.pos()..).unwrap_or_default(), 0, 0)?;
        tl::enums::Jsonvalue::deserialize(c).map_err(|_| ParseError::Truncated)?;
    }
    Ok(info)
}

/// Walks the JSONValue at `at` without building it, refusing nesting deeper
/// than [`MAX_JSON_DEPTH`] (the recursion here is bounded by it); returns
/// where the value ends. Malformed data is left for the real parser to refuse.
fn skip_json(data: &[u8], at: usize, depth: usize) -> Result<usize, ParseError> {
    const JSON_NULL: u32 = 0x3f6d7b68;
    const JSON_BOOL: u32 = 0xc7345e6a;
    const JSON_NUMBER: u32 = 0x2be0dfa4;
    const JSON_STRING: u32 = 0xb71e767a;
    const JSON_ARRAY: u32 = 0xf7444763;
    const JSON_OBJECT: u32 = 0x99c1d49d;
    const JSON_OBJECT_VALUE: u32 = 0xc0de1bd9;
    if depth > MAX_JSON_DEPTH {
        return Err(ParseError::TooDeep);
    }
    let word = |at: usize| {
        data.get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let string_end = |at: usize| -> Option<usize> {
        let first = *data.get(at)?;
        let (start, len) = if first == 254 {
            let b = data.get(at + 1..at + 4)?;
            (
                at + 4,
                usize::from(b[0]) | usize::from(b[1]) << 8 | usize::from(b[2]) << 16,
            )
        } else {
            (at + 1, usize::from(first))
        };
        Some((start + len).div_ceil(4) * 4)
    };
    let truncated = Err(ParseError::Truncated);
    let Some(id) = word(at) else { return truncated };
    let at = at + 4;
    match id {
        JSON_NULL => Ok(at),
        JSON_BOOL => Ok(at + 4),
        JSON_NUMBER => Ok(at + 8),
        JSON_STRING => string_end(at).ok_or(ParseError::Truncated),
        JSON_ARRAY | JSON_OBJECT => {
            // Vector: its constructor, a count, then the items.
            let Some(count) = word(at + 4) else {
                return truncated;
            };
            let mut next = at + 8;
            for _ in 0..count {
                if next >= data.len() {
                    return truncated;
                }
                if id == JSON_OBJECT {
                    if word(next) != Some(JSON_OBJECT_VALUE) {
                        return truncated;
                    }
                    let Some(value_at) = string_end(next + 4) else {
                        return truncated;
                    };
                    next = skip_json(data, value_at, depth + 1)?;
                } else {
                    next = skip_json(data, next, depth + 1)?;
                }
            }
            Ok(next)
        }
        _ => truncated,
    }
}

/// Server time as a message id would carry it: seconds in the high half,
/// the fraction of the second in the low half.
pub fn time_as_msg_id() -> i64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let fraction = (u64::from(now.subsec_nanos()) << 32) / 1_000_000_000;
    ((now.as_secs() << 32) | fraction) as i64
}

/// The unix time in seconds.
pub fn unix_now() -> i32 {
    (time_as_msg_id() >> 32) as i32
}

/// Server message ids: time-based, strictly increasing, and ≡ 1 (mod 4) for
/// responses or ≡ 3 for messages the server sends on its own.
#[derive(Debug, Default)]
pub struct MsgIdGenerator {
    last: i64,
}

/// What kind of server message an id is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgKind {
    /// An answer to a client request: the id is ≡ 1 (mod 4).
    Response,
    /// A message the server sends on its own (e.g. an update): the id is ≡ 3 (mod 4).
    Notification,
}

impl MsgIdGenerator {
    /// The next id of the given kind.
    pub fn next(&mut self, kind: MsgKind) -> i64 {
        let low = match kind {
            MsgKind::Response => 1,
            MsgKind::Notification => 3,
        };
        let mut id = (time_as_msg_id() & !3) | low;
        if id <= self.last {
            id = ((self.last + 4) & !3) | low;
        }
        self.last = id;
        id
    }
}

/// How a client message id's time compares with the server clock, as
/// `bad_msg_notification` error codes: 16 too low, 17 too high, 18 not ÷ 4.
pub fn check_client_msg_id(msg_id: i64) -> Option<i32> {
    const PAST: i64 = 300;
    const FUTURE: i64 = 30;
    if msg_id % 4 != 0 {
        return Some(18);
    }
    let delta = (msg_id >> 32) - i64::from(unix_now());
    if delta < -PAST {
        Some(16)
    } else if delta > FUTURE {
        Some(17)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use grammers_tl_types::{Identifiable, Serializable};

    #[test]
    fn wrapper_ids_match_grammers() {
        assert_eq!(tl::name_for_id(INVOKE_WITH_LAYER), "invokeWithLayer");
        assert_eq!(tl::name_for_id(INIT_CONNECTION), "initConnection");
        assert_eq!(
            tl::name_for_id(INVOKE_WITHOUT_UPDATES),
            "invokeWithoutUpdates"
        );
        assert_eq!(tl::name_for_id(INVOKE_AFTER_MSG), "invokeAfterMsg");
        assert_eq!(tl::name_for_id(INVOKE_AFTER_MSGS), "invokeAfterMsgs");
    }

    #[test]
    fn server_ids_are_increasing_and_tagged() {
        let mut g = MsgIdGenerator::default();
        let a = g.next(MsgKind::Response);
        let b = g.next(MsgKind::Response);
        let c = g.next(MsgKind::Notification);
        assert!(a < b && b < c);
        assert_eq!(a % 4, 1);
        assert_eq!(b % 4, 1);
        assert_eq!(c % 4, 3);
        assert_eq!(check_client_msg_id(time_as_msg_id() & !3), None);
    }

    #[test]
    fn init_connection_is_unwrapped() {
        let request = tl::functions::InvokeWithLayer {
            layer: 230,
            query: tl::functions::InitConnection {
                api_id: 7,
                device_model: "dev".into(),
                system_version: "sys".into(),
                app_version: "1".into(),
                system_lang_code: "en".into(),
                lang_pack: "".into(),
                lang_code: "en".into(),
                proxy: None,
                params: None,
                query: tl::functions::help::GetConfig {},
            },
        };
        let unwrapped = unwrap_invoke(request.to_bytes()).expect("unwraps");
        assert_eq!(unwrapped.layer, Some(230));
        assert_eq!(unwrapped.client.expect("client info").device_model, "dev");
        assert_eq!(
            constructor_of(&unwrapped.query),
            Some(tl::functions::help::GetConfig::CONSTRUCTOR_ID)
        );
    }
}
