//! A message's media, as a typed enum serialized as a dict with `type`.

use grammers_tl_types as tl;
use serde::{Deserialize, Serialize};

use crate::td::ids::{as_string, flexible_id};

/// What a message carries besides its text (`msg.media`).
///
/// A document becomes the most specific kind its attributes name: a
/// sticker, a voice note, an audio file or a video; otherwise it is a
/// document. Media kinds tg-cli never knew (games, invoices, stories, …)
/// are [`Media::Unsupported`] with the constructor's name, never dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Media {
    /// A photo; the size is its largest.
    Photo {
        /// The photo's id.
        #[serde(serialize_with = "as_string", deserialize_with = "flexible_id")]
        id: i64,
        /// Width of the largest size, in pixels.
        width: i32,
        /// Height of the largest size, in pixels.
        height: i32,
        /// Bytes of the largest size (0 when unknown).
        size: i64,
    },
    /// A file that is none of the kinds below.
    Document {
        /// The document's id.
        #[serde(serialize_with = "as_string", deserialize_with = "flexible_id")]
        id: i64,
        /// Its MIME type.
        mime_type: String,
        /// Its size in bytes.
        size: i64,
        /// Its file name, if it has one.
        file_name: Option<String>,
    },
    /// A video (or a round video message).
    Video {
        /// The document's id.
        #[serde(serialize_with = "as_string", deserialize_with = "flexible_id")]
        id: i64,
        /// Its MIME type.
        mime_type: String,
        /// Its size in bytes.
        size: i64,
        /// Its file name, if it has one.
        file_name: Option<String>,
        /// Length in seconds.
        duration: f64,
        /// Width in pixels.
        width: i32,
        /// Height in pixels.
        height: i32,
    },
    /// A music file.
    Audio {
        /// The document's id.
        #[serde(serialize_with = "as_string", deserialize_with = "flexible_id")]
        id: i64,
        /// Its MIME type.
        mime_type: String,
        /// Its size in bytes.
        size: i64,
        /// Its file name, if it has one.
        file_name: Option<String>,
        /// Length in seconds.
        duration: i32,
        /// The track's title.
        title: Option<String>,
        /// The performer.
        performer: Option<String>,
    },
    /// A voice note.
    Voice {
        /// The document's id.
        #[serde(serialize_with = "as_string", deserialize_with = "flexible_id")]
        id: i64,
        /// Its MIME type.
        mime_type: String,
        /// Its size in bytes.
        size: i64,
        /// Length in seconds.
        duration: i32,
    },
    /// A sticker.
    Sticker {
        /// The document's id.
        #[serde(serialize_with = "as_string", deserialize_with = "flexible_id")]
        id: i64,
        /// Its MIME type (`image/webp`, `application/x-tgsticker`, `video/webm`).
        mime_type: String,
        /// Its size in bytes.
        size: i64,
        /// The emoji it stands for.
        emoji: String,
    },
    /// A point on the map (also a venue or a live location).
    Geo {
        /// Latitude in degrees.
        latitude: f64,
        /// Longitude in degrees.
        longitude: f64,
    },
    /// A shared contact.
    Contact {
        /// The phone number.
        phone: String,
        /// First name.
        first_name: String,
        /// Last name.
        last_name: String,
        /// The Telegram user, 0 if the number is not on Telegram.
        user_id: i64,
    },
    /// A link preview.
    Webpage {
        /// The page's URL.
        url: String,
        /// The page's title.
        title: Option<String>,
        /// Its description.
        description: Option<String>,
        /// The site's name.
        site_name: Option<String>,
    },
    /// A poll.
    Poll {
        /// The question.
        question: String,
        /// The answers, in order.
        answers: Vec<PollAnswer>,
        /// Whether voting has ended.
        closed: bool,
    },
    /// Media tg-cli has no kind for, or a file Telegram no longer has.
    Unsupported {
        /// The MTProto constructor, e.g. `messageMediaGame`.
        constructor: String,
    },
}

/// One answer of a [`Media::Poll`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollAnswer {
    /// The answer's text.
    pub text: String,
    /// How many voted for it, when the results are visible.
    pub voters: Option<i32>,
}

/// The MTProto constructor name of a TL enum value, from its `Debug` form
/// (`Game(MessageMediaGame { … })` → `messageMediaGame`).
pub(crate) fn constructor_name(prefix: &str, value: &impl std::fmt::Debug) -> String {
    let debug = format!("{value:?}");
    let variant: String = debug
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    format!("{prefix}{variant}")
}

impl Media {
    /// From MTProto's `MessageMedia`; `None` for `messageMediaEmpty`.
    pub fn from_tl(media: &tl::enums::MessageMedia) -> Option<Self> {
        use tl::enums::MessageMedia as M;
        Some(match media {
            M::Empty => return None,
            M::Photo(p) => match &p.photo {
                Some(tl::enums::Photo::Photo(photo)) => photo_media(photo),
                _ => unsupported("messageMediaPhoto (expired)"),
            },
            M::Document(d) => match &d.document {
                Some(tl::enums::Document::Document(document)) => document_media(document, d.voice),
                _ => unsupported("messageMediaDocument (expired)"),
            },
            M::Geo(g) => geo_media(&g.geo),
            M::GeoLive(g) => geo_media(&g.geo),
            M::Venue(v) => geo_media(&v.geo),
            M::Contact(c) => Media::Contact {
                phone: c.phone_number.clone(),
                first_name: c.first_name.clone(),
                last_name: c.last_name.clone(),
                user_id: c.user_id,
            },
            M::WebPage(w) => match &w.webpage {
                tl::enums::WebPage::Page(page) => Media::Webpage {
                    url: page.url.clone(),
                    title: page.title.clone(),
                    description: page.description.clone(),
                    site_name: page.site_name.clone(),
                },
                tl::enums::WebPage::Pending(p) => Media::Webpage {
                    url: p.url.clone().unwrap_or_default(),
                    title: None,
                    description: None,
                    site_name: None,
                },
                tl::enums::WebPage::Empty(p) => Media::Webpage {
                    url: p.url.clone().unwrap_or_default(),
                    title: None,
                    description: None,
                    site_name: None,
                },
                other => unsupported(&constructor_name("webPage", other)),
            },
            M::Poll(p) => poll_media(p),
            other => unsupported(&constructor_name("messageMedia", other)),
        })
    }
}

fn unsupported(constructor: &str) -> Media {
    Media::Unsupported {
        constructor: constructor.to_string(),
    }
}

fn geo_media(geo: &tl::enums::GeoPoint) -> Media {
    match geo {
        tl::enums::GeoPoint::Point(p) => Media::Geo {
            latitude: p.lat,
            longitude: p.long,
        },
        tl::enums::GeoPoint::Empty => unsupported("geoPointEmpty"),
    }
}

/// The largest size of a photo: its dimensions and bytes.
fn largest_size(sizes: &[tl::enums::PhotoSize]) -> (i32, i32, i64) {
    sizes
        .iter()
        .filter_map(|size| match size {
            tl::enums::PhotoSize::Size(s) => Some((s.w, s.h, i64::from(s.size.max(0)))),
            tl::enums::PhotoSize::Progressive(s) => Some((
                s.w,
                s.h,
                i64::from(s.sizes.iter().copied().max().unwrap_or(0).max(0)),
            )),
            tl::enums::PhotoSize::PhotoCachedSize(s) => {
                Some((s.w, s.h, i64::try_from(s.bytes.len()).unwrap_or(i64::MAX)))
            }
            _ => None,
        })
        .max_by_key(|&(w, h, _)| i64::from(w) * i64::from(h))
        .unwrap_or((0, 0, 0))
}

fn photo_media(photo: &tl::types::Photo) -> Media {
    let (width, height, size) = largest_size(&photo.sizes);
    Media::Photo {
        id: photo.id,
        width,
        height,
        size,
    }
}

fn document_media(document: &tl::types::Document, voice_flag: bool) -> Media {
    let mut file_name = None;
    let mut sticker = None;
    let mut video = None;
    let mut audio = None;
    for attribute in &document.attributes {
        match attribute {
            tl::enums::DocumentAttribute::Filename(f) => file_name = Some(f.file_name.clone()),
            tl::enums::DocumentAttribute::Sticker(s) => sticker = Some(s.alt.clone()),
            tl::enums::DocumentAttribute::Video(v) => video = Some(v),
            tl::enums::DocumentAttribute::Audio(a) => audio = Some(a),
            _ => {}
        }
    }
    let (id, mime_type, size) = (
        document.id,
        document.mime_type.clone(),
        document.size.max(0),
    );
    if let Some(emoji) = sticker {
        return Media::Sticker {
            id,
            mime_type,
            size,
            emoji,
        };
    }
    if let Some(audio) = audio {
        return if audio.voice || voice_flag {
            Media::Voice {
                id,
                mime_type,
                size,
                duration: audio.duration.max(0),
            }
        } else {
            Media::Audio {
                id,
                mime_type,
                size,
                file_name,
                duration: audio.duration.max(0),
                title: audio.title.clone(),
                performer: audio.performer.clone(),
            }
        };
    }
    if let Some(video) = video {
        return Media::Video {
            id,
            mime_type,
            size,
            file_name,
            duration: if video.duration.is_finite() {
                video.duration.max(0.0)
            } else {
                0.0
            },
            width: video.w.max(0),
            height: video.h.max(0),
        };
    }
    Media::Document {
        id,
        mime_type,
        size,
        file_name,
    }
}

fn poll_media(media: &tl::types::MessageMediaPoll) -> Media {
    let tl::enums::Poll::Poll(poll) = &media.poll;
    let tl::enums::PollResults::Results(results) = &media.results;
    let counts = results.results.as_deref().unwrap_or_default();
    let answers = poll
        .answers
        .iter()
        .filter_map(|answer| match answer {
            tl::enums::PollAnswer::Answer(answer) => Some(answer),
            // Only in requests; a server that sends one has nothing to count.
            tl::enums::PollAnswer::InputPollAnswer(_) => None,
        })
        .map(|answer| {
            let tl::enums::TextWithEntities::Entities(text) = &answer.text;
            let voters = counts
                .iter()
                .find_map(|count| {
                    let tl::enums::PollAnswerVoters::Voters(count) = count;
                    (count.option == answer.option).then_some(count.voters)
                })
                .flatten();
            PollAnswer {
                text: text.text.clone(),
                voters,
            }
        })
        .collect();
    let tl::enums::TextWithEntities::Entities(question) = &poll.question;
    Media::Poll {
        question: question.text.clone(),
        answers,
        closed: poll.closed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructor_names_come_from_the_variant() {
        assert_eq!(
            constructor_name("messageMedia", &tl::enums::MessageMedia::Unsupported),
            "messageMediaUnsupported"
        );
    }

    #[test]
    fn geo_points_keep_latitude_and_longitude() {
        let media = tl::enums::MessageMedia::Geo(tl::types::MessageMediaGeo {
            geo: tl::types::GeoPoint {
                long: 30.5,
                lat: 50.4,
                access_hash: 0,
                accuracy_radius: None,
            }
            .into(),
        });
        assert_eq!(
            Media::from_tl(&media),
            Some(Media::Geo {
                latitude: 50.4,
                longitude: 30.5
            })
        );
        let json = serde_json::to_value(Media::from_tl(&media)).unwrap();
        assert_eq!(json["type"], "geo");
    }
}
