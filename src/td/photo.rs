//! Photos: `photoSize`, `chatPhoto`, `chatPhotoInfo`.

use grammers_tl_types as tl;
use serde::Serialize;

use super::ids;

/// `photoSize` (without the `photo` file object).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "@type", rename = "photoSize")]
pub struct PhotoSize {
    /// The size's letter (`type` in JSON).
    #[serde(rename = "type")]
    pub size_type: String,
    /// Width in pixels.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
}

/// `chatPhoto`: a full profile or chat photo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "@type", rename = "chatPhoto")]
pub struct ChatPhoto {
    /// int64, written as a string.
    #[serde(serialize_with = "ids::as_string")]
    pub id: i64,
    /// Unix time the photo was set.
    pub added_date: i32,
    /// The available sizes.
    pub sizes: Vec<PhotoSize>,
}

impl ChatPhoto {
    /// Converts a `photo`; `None` for `photoEmpty`.
    pub fn from_tl(photo: &tl::enums::Photo) -> Option<Self> {
        let tl::enums::Photo::Photo(p) = photo else {
            return None;
        };
        let sizes = p
            .sizes
            .iter()
            .filter_map(|size| match size {
                tl::enums::PhotoSize::Size(s) => Some(PhotoSize {
                    size_type: s.r#type.clone(),
                    width: super::count(s.w),
                    height: super::count(s.h),
                }),
                tl::enums::PhotoSize::Progressive(s) => Some(PhotoSize {
                    size_type: s.r#type.clone(),
                    width: super::count(s.w),
                    height: super::count(s.h),
                }),
                _ => None,
            })
            .collect();
        Some(Self {
            id: p.id,
            added_date: p.date,
            sizes,
        })
    }
}

/// `chatPhotoInfo` (without the file objects: `id` names the photo instead).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "@type", rename = "chatPhotoInfo")]
pub struct ChatPhotoInfo {
    /// int64, written as a string.
    #[serde(serialize_with = "ids::as_string")]
    pub id: i64,
    /// The DC the photo lives on.
    pub dc_id: i32,
    /// Whether the photo is animated.
    pub has_animation: bool,
    /// Whether the photo is one the account set for this user.
    pub is_personal: bool,
}

impl ChatPhotoInfo {
    pub(super) fn from_user(photo: Option<&tl::enums::UserProfilePhoto>) -> Option<Self> {
        match photo {
            Some(tl::enums::UserProfilePhoto::Photo(p)) => Some(Self {
                id: p.photo_id,
                dc_id: p.dc_id,
                has_animation: p.has_video,
                is_personal: p.personal,
            }),
            _ => None,
        }
    }

    pub(super) fn from_chat(photo: &tl::enums::ChatPhoto) -> Option<Self> {
        match photo {
            tl::enums::ChatPhoto::Photo(p) => Some(Self {
                id: p.photo_id,
                dc_id: p.dc_id,
                has_animation: p.has_video,
                is_personal: false,
            }),
            tl::enums::ChatPhoto::Empty => None,
        }
    }
}
