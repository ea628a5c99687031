//! What a file is, from its first bytes and its name: its MIME type,
//! whether Telegram takes it as a photo, and, for MP4-family files (MP4,
//! MOV, M4A), the duration and picture size that `documentAttributeVideo`
//! and `documentAttributeAudio` carry.
//!
//! Pure: the caller reads the bytes ([`HEAD_LEN`] from the start for the
//! type, and the `moov` box for the MP4 facts, found by walking the
//! top-level box headers with [`box_header`]). Nothing here panics on any
//! input; every length is checked before it is used.
//!
//! ```
//! use tgcmd::media_probe::{guess_mime, is_photo};
//! let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
//! assert_eq!(guess_mime(png, "picture.bin"), "image/png");
//! assert!(is_photo(png));
//! assert_eq!(guess_mime(b"plain words", "notes.txt"), "text/plain");
//! assert_eq!(guess_mime(b"\0\x01", "blob"), "application/octet-stream");
//! ```

/// How many bytes from the start of a file [`sniff_mime`] looks at.
pub const HEAD_LEN: usize = 64;

/// The MIME type of unknown content.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// The MIME type the content's magic bytes name, if they name one.
pub fn sniff_mime(head: &[u8]) -> Option<&'static str> {
    let starts = |magic: &[u8]| head.starts_with(magic);
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
    Some(if starts(b"\xFF\xD8\xFF") {
        "image/jpeg"
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        "image/gif"
    } else if starts(b"RIFF") && at(8, b"WEBP") {
        "image/webp"
    } else if starts(b"RIFF") && at(8, b"WAVE") {
        "audio/wav"
    } else if starts(b"BM") && head.len() >= 14 && at(6, b"\0\0\0\0") {
        "image/bmp"
    } else if at(4, b"ftyp") {
        mp4_family(head.get(8..12)?)
    } else if starts(b"\x1A\x45\xDF\xA3") {
        // Matroska and WebM share the EBML header; the doctype follows.
        if head.windows(4).any(|w| w == b"webm") {
            "video/webm"
        } else {
            "video/x-matroska"
        }
    } else if starts(b"OggS") {
        if head.windows(8).any(|w| w == b"OpusHead") {
            "audio/ogg"
        } else {
            "application/ogg"
        }
    } else if starts(b"ID3") || (head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0) {
        "audio/mpeg"
    } else if starts(b"fLaC") {
        "audio/flac"
    } else if starts(b"%PDF-") {
        "application/pdf"
    } else if starts(b"PK\x03\x04") {
        "application/zip"
    } else if starts(b"\x1F\x8B") {
        "application/gzip"
    } else {
        return None;
    })
}

/// The MIME type of an ISO base media file by its `ftyp` major brand.
fn mp4_family(brand: &[u8]) -> &'static str {
    match brand {
        b"M4A " | b"M4B " | b"M4P " => "audio/mp4",
        b"qt  " => "video/quicktime",
        b"heic" | b"heix" | b"mif1" => "image/heic",
        _ => "video/mp4",
    }
}

/// The MIME type a file name's extension suggests (case-insensitive).
pub fn mime_from_extension(file_name: &str) -> Option<&'static str> {
    let (_, extension) = file_name.rsplit_once('.')?;
    Some(match extension.to_ascii_lowercase().as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "bmp" => "image/bmp",
        "mp4" | "m4v" => "video/mp4",
        "mov" => "video/quicktime",
        "webm" => "video/webm",
        "mkv" => "video/x-matroska",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "ogg" | "oga" | "opus" => "audio/ogg",
        "flac" => "audio/flac",
        "wav" => "audio/wav",
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        _ => return None,
    })
}

/// The usual file extension (with its dot) for a MIME type, or `""`: what
/// a cached download is named with, so other programs open it.
pub fn extension_for_mime(mime_type: &str) -> &'static str {
    match mime_type {
        "image/jpeg" => ".jpg",
        "image/png" => ".png",
        "image/gif" => ".gif",
        "image/webp" => ".webp",
        "image/bmp" => ".bmp",
        "video/mp4" => ".mp4",
        "video/quicktime" => ".mov",
        "video/webm" => ".webm",
        "video/x-matroska" => ".mkv",
        "audio/mpeg" => ".mp3",
        "audio/mp4" => ".m4a",
        "audio/ogg" => ".ogg",
        "audio/flac" => ".flac",
        "audio/wav" => ".wav",
        "text/plain" => ".txt",
        "text/csv" => ".csv",
        "application/json" => ".json",
        "application/pdf" => ".pdf",
        "application/zip" => ".zip",
        "application/gzip" => ".gz",
        "application/x-tgsticker" => ".tgs",
        _ => "",
    }
}

/// The content's type by its magic bytes, else by the name's extension,
/// else [`OCTET_STREAM`]. Content wins: a PNG named `.jpg` is a PNG.
pub fn guess_mime(head: &[u8], file_name: &str) -> &'static str {
    sniff_mime(head)
        .or_else(|| mime_from_extension(file_name))
        .unwrap_or(OCTET_STREAM)
}

/// Whether the content is an image Telegram accepts as a photo
/// (`inputMediaUploadedPhoto`): JPEG, PNG, WebP, GIF or BMP, by its magic
/// bytes; the name does not count.
pub fn is_photo(head: &[u8]) -> bool {
    matches!(
        sniff_mime(head),
        Some("image/jpeg" | "image/png" | "image/webp" | "image/gif" | "image/bmp")
    )
}

/// One ISO-BMFF box header: the box's type, where its body starts
/// (relative to the header), and its total size (`None`: to the end of
/// the enclosing data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoxHeader {
    /// The four-character type, such as `moov`.
    pub kind: [u8; 4],
    /// Bytes of the header itself (8, or 16 with a 64-bit size).
    pub header_len: u64,
    /// The whole box's size, header included; `None` when it runs to the
    /// end.
    pub size: Option<u64>,
}

/// Reads a box header from the start of `bytes` (at least 8 bytes, 16 for
/// a 64-bit size); `None` if there is none or its size is impossible.
pub fn box_header(bytes: &[u8]) -> Option<BoxHeader> {
    let size32 = u32::from_be_bytes(bytes.get(0..4)?.try_into().ok()?);
    let kind: [u8; 4] = bytes.get(4..8)?.try_into().ok()?;
    let (header_len, size) = match size32 {
        0 => (8, None),
        1 => {
            let size64 = u64::from_be_bytes(bytes.get(8..16)?.try_into().ok()?);
            (16, Some(size64))
        }
        n => (8, Some(u64::from(n))),
    };
    if size.is_some_and(|s| s < header_len) {
        return None;
    }
    Some(BoxHeader {
        kind,
        header_len,
        size,
    })
}

/// The child boxes of a box body, as (type, body) pairs; stops at the
/// first malformed header.
fn children(body: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut rest = body;
    std::iter::from_fn(move || {
        let header = box_header(rest)?;
        let start = usize::try_from(header.header_len).ok()?;
        let end = match header.size {
            Some(size) => usize::try_from(size).ok()?,
            None => rest.len(),
        };
        let child = rest.get(start..end)?;
        rest = rest.get(end..)?;
        Some((header.kind, child))
    })
}

fn child<'a>(body: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    children(body).find(|(k, _)| k == kind).map(|(_, b)| b)
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn be_u64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// What an MP4's `moov` box says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mp4Facts {
    /// Length in seconds (`mvhd` duration over its timescale).
    pub duration: f64,
    /// The first video track's picture size, if there is a video track.
    pub picture: Option<(u32, u32)>,
}

/// Reads the duration and picture size from the body of a `moov` box.
pub fn parse_moov(moov: &[u8]) -> Option<Mp4Facts> {
    let mvhd = child(moov, b"mvhd")?;
    let (timescale, duration) = match mvhd.first()? {
        0 => (be_u32(mvhd, 12)?, u64::from(be_u32(mvhd, 16)?)),
        1 => (be_u32(mvhd, 20)?, be_u64(mvhd, 24)?),
        _ => return None,
    };
    if timescale == 0 {
        return None;
    }
    let picture = children(moov)
        .filter(|(kind, _)| kind == b"trak")
        .find_map(|(_, trak)| video_track_size(trak));
    Some(Mp4Facts {
        duration: duration as f64 / f64::from(timescale),
        picture,
    })
}

/// The picture size of a `trak` whose handler is `vide`.
fn video_track_size(trak: &[u8]) -> Option<(u32, u32)> {
    let hdlr = child(child(trak, b"mdia")?, b"hdlr")?;
    if hdlr.get(8..12)? != b"vide" {
        return None;
    }
    let tkhd = child(trak, b"tkhd")?;
    // Width and height are the last two 16.16 fixed-point fields.
    let at = match tkhd.first()? {
        0 => 76,
        1 => 88,
        _ => return None,
    };
    Some((be_u32(tkhd, at)? >> 16, be_u32(tkhd, at + 4)? >> 16))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn mp4_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = u32::try_from(body.len() + 8)
            .expect("small")
            .to_be_bytes()
            .to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    fn mvhd_v0(timescale: u32, duration: u32) -> Vec<u8> {
        let mut body = vec![0; 100];
        body[12..16].copy_from_slice(&timescale.to_be_bytes());
        body[16..20].copy_from_slice(&duration.to_be_bytes());
        mp4_box(b"mvhd", &body)
    }

    fn trak(handler: &[u8; 4], width: u32, height: u32) -> Vec<u8> {
        let mut tkhd = vec![0; 84];
        tkhd[76..80].copy_from_slice(&(width << 16).to_be_bytes());
        tkhd[80..84].copy_from_slice(&(height << 16).to_be_bytes());
        let mut hdlr = vec![0; 24];
        hdlr[8..12].copy_from_slice(handler);
        let mdia = mp4_box(b"mdia", &mp4_box(b"hdlr", &hdlr));
        mp4_box(b"trak", &[mp4_box(b"tkhd", &tkhd), mdia].concat())
    }

    #[test]
    fn magic_bytes_name_the_type() {
        let cases: &[(&str, &[u8], &str)] = &[
            ("jpeg", b"\xFF\xD8\xFF\xE0\0\x10JFIF", "image/jpeg"),
            ("png", b"\x89PNG\r\n\x1a\n", "image/png"),
            ("gif", b"GIF89a\x01\0", "image/gif"),
            ("webp", b"RIFF\0\0\0\0WEBPVP8 ", "image/webp"),
            ("wav", b"RIFF\0\0\0\0WAVEfmt ", "audio/wav"),
            ("mp4", b"\0\0\0\x20ftypisom\0\0\x02\0", "video/mp4"),
            ("mov", b"\0\0\0\x14ftypqt  \0\0\0\0", "video/quicktime"),
            ("m4a", b"\0\0\0\x20ftypM4A \0\0\0\0", "audio/mp4"),
            (
                "webm",
                b"\x1A\x45\xDF\xA3\x9F\x42\x82\x84webm",
                "video/webm",
            ),
            (
                "mkv",
                b"\x1A\x45\xDF\xA3\x9F\x42\x82\x88matroska",
                "video/x-matroska",
            ),
            ("opus", b"OggS\0\x02\0\0\0\0\0\0\0\0OpusHead", "audio/ogg"),
            ("mp3 id3", b"ID3\x04\0\0", "audio/mpeg"),
            ("mp3 frame", b"\xFF\xFB\x90\x64", "audio/mpeg"),
            ("flac", b"fLaC\0\0\0\x22", "audio/flac"),
            ("pdf", b"%PDF-1.7\n", "application/pdf"),
            ("zip", b"PK\x03\x04\x14\0", "application/zip"),
        ];
        for (case, head, mime) in cases {
            assert_eq!(sniff_mime(head), Some(*mime), "{case}");
        }
        assert_eq!(sniff_mime(b"hello"), None);
        assert_eq!(sniff_mime(b""), None);
    }

    #[test]
    fn content_beats_the_extension_and_the_extension_beats_nothing() {
        assert_eq!(guess_mime(b"\x89PNG\r\n\x1a\n", "photo.JPG"), "image/png");
        assert_eq!(guess_mime(b"col1,col2", "table.CSV"), "text/csv");
        assert_eq!(guess_mime(b"col1,col2", "no-extension"), OCTET_STREAM);
        assert_eq!(guess_mime(b"", ".hidden"), OCTET_STREAM);
    }

    #[test]
    fn every_guessed_type_has_its_extension_back() {
        for name in [
            "a.jpg", "a.png", "a.mp4", "a.mov", "a.mp3", "a.m4a", "a.pdf", "a.txt",
        ] {
            let mime = mime_from_extension(name).expect("known");
            assert!(name.ends_with(extension_for_mime(mime)), "{name} {mime}");
        }
        assert_eq!(extension_for_mime("application/x-unknown"), "");
    }

    #[test]
    fn only_real_images_are_photos() {
        assert!(is_photo(b"\xFF\xD8\xFF\xDB"));
        assert!(is_photo(b"RIFF\0\0\0\0WEBP"));
        assert!(!is_photo(b"%PDF-1.4"), "a PDF is no photo");
        assert!(!is_photo(b"not an image.jpg"), "the name does not count");
    }

    #[test]
    fn box_headers_with_32_and_64_bit_sizes() {
        assert_eq!(
            box_header(b"\0\0\0\x10moov"),
            Some(BoxHeader {
                kind: *b"moov",
                header_len: 8,
                size: Some(16)
            })
        );
        let mut large = b"\0\0\0\x01mdat".to_vec();
        large.extend_from_slice(&(1_u64 << 33).to_be_bytes());
        assert_eq!(
            box_header(&large).map(|h| (h.header_len, h.size)),
            Some((16, Some(1 << 33)))
        );
        assert_eq!(box_header(b"\0\0\0\0mdat").map(|h| h.size), Some(None));
        assert_eq!(
            box_header(b"\0\0\0\x04moov"),
            None,
            "smaller than its header"
        );
        assert_eq!(box_header(b"\0\0\0"), None, "cut short");
    }

    #[test]
    fn moov_gives_duration_and_the_video_tracks_size() {
        let moov = [
            mvhd_v0(1000, 12_500),
            trak(b"soun", 0, 0),
            trak(b"vide", 1280, 720),
        ]
        .concat();
        let facts = parse_moov(&moov).expect("facts");
        assert_eq!(facts.duration, 12.5);
        assert_eq!(facts.picture, Some((1280, 720)));
    }

    #[test]
    fn moov_without_video_is_audio_only() {
        let moov = [mvhd_v0(44_100, 441_000), trak(b"soun", 0, 0)].concat();
        let facts = parse_moov(&moov).expect("facts");
        assert_eq!(facts.duration, 10.0);
        assert_eq!(facts.picture, None);
    }

    #[test]
    fn moov_version_1_header() {
        let mut body = vec![0; 112];
        body[0] = 1;
        body[20..24].copy_from_slice(&600_u32.to_be_bytes());
        body[24..32].copy_from_slice(&1_800_u64.to_be_bytes());
        let facts = parse_moov(&mp4_box(b"mvhd", &body)).expect("facts");
        assert_eq!(facts.duration, 3.0);
    }

    #[test]
    fn broken_moov_boxes_give_nothing() {
        assert_eq!(parse_moov(&mvhd_v0(0, 100)), None, "zero timescale");
        assert_eq!(parse_moov(b"\0\0\0\x08free"), None, "no mvhd");
        assert_eq!(parse_moov(b"\0\0\0\x40mvhd\0\0"), None, "cut short");
    }

    proptest! {
        #[test]
        fn any_bytes_are_probed_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = guess_mime(&bytes, "x.bin");
            let _ = box_header(&bytes);
            let _ = parse_moov(&bytes);
        }

        #[test]
        fn mutated_moov_boxes_never_panic(flips in proptest::collection::vec((0_usize..400, any::<u8>()), 0..16)) {
            let mut moov = [mvhd_v0(1000, 5000), trak(b"vide", 640, 480)].concat();
            for (at, byte) in flips {
                if let Some(slot) = moov.get_mut(at) {
                    *slot = byte;
                }
            }
            let _ = parse_moov(&moov);
        }
    }
}
