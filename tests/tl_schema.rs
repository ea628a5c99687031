//! Checks the TL definitions in `tl/` against the code grammers-tl-types
//! generates.
//!
//! `tl/*.tl` records the Telegram API definitions the crate relies on for
//! uploading and downloading files (see the header of `tl/files.tl` for where
//! they come from). The crate itself talks to Telegram through the Rust types
//! grammers-tl-types generates for *its* layer, so the two must agree: when a
//! grammers upgrade moves to a layer that changes one of these definitions,
//! this test fails and names the definition, instead of the wire format
//! changing silently under the crate.
//!
//! What is checked:
//!
//! * every `.tl` file in `tl/` parses with [`grammers_tl_parser`], and no
//!   definition appears twice;
//! * every constructor id in `tl/` is the CRC32 of its own definition, so the
//!   id pins the whole line (field names and types, flag bits, result type;
//!   only `?true` flags are left out of the hash);
//! * every definition has the same constructor id, name, category, field
//!   names, field types and (for functions) result type as the generated Rust
//!   item listed for it in [`generated_items`];
//! * that list covers exactly the definitions in `tl/`, so a definition added
//!   there without a check (or a check left behind) fails too;
//! * every `.tl` file names the layer grammers-tl-types was generated from.
//!
//! The list is also a compile-time check: each generated struct is built in a
//! struct expression naming every listed field (and no `..`), so a field
//! added, removed or renamed by a layer bump stops this file from compiling,
//! with an error naming the field and the struct. A definition that a layer
//! drops does the same, as its struct no longer exists.

use std::any::type_name;
use std::collections::HashMap;
use std::fs;
use std::path::Path;

use grammers_tl_parser::parse_tl_file;
use grammers_tl_parser::tl::{Category, Definition, ParameterType, Type};
use grammers_tl_types::{self as tl, Identifiable, RemoteCall};

/// A generated Rust item, as seen by this test.
struct Generated {
    /// The Rust path, for messages (e.g. `tl::types::InputFile`).
    item: String,
    category: Category,
    /// `CONSTRUCTOR_ID` of the item.
    id: u32,
    /// Field names (as Rust spells them) and types, in the listed order.
    fields: Vec<(&'static str, String)>,
    /// For functions, the type of `RemoteCall::Return`.
    result: Option<String>,
}

impl Generated {
    /// The TL name grammers-tl-types gives this item's constructor id.
    fn tl_name(&self) -> &'static str {
        tl::name_for_id(self.id)
    }
}

/// Describes one generated struct; see [`generated_items`].
macro_rules! generated {
    ($category:ident, $item:path { $($field:ident),* }, $result:expr) => {{
        type Item = $item;
        // An exhaustive struct expression (no `..`): a field added to, removed
        // from or renamed in the generated struct is a compile error here,
        // naming the field and the struct.
        let _exhaustive = || Item { $($field: never_called()),* };
        Generated {
            item: stringify!($item).replace(' ', ""),
            category: Category::$category,
            id: Item::CONSTRUCTOR_ID,
            fields: vec![$((stringify!($field), field_type(|value: &Item| &value.$field))),*],
            result: $result,
        }
    }};
}

/// Lists generated structs, each with all of its fields in TL order.
macro_rules! generated_items {
    (
        types { $($ty:ident $(:: $ty_path:ident)* { $($ty_field:ident),* $(,)? }),* $(,)? }
        functions { $($func:ident $(:: $func_path:ident)* { $($func_field:ident),* $(,)? }),* $(,)? }
    ) => {
        vec![
            $(generated!(
                Types,
                tl::types::$ty $(::$ty_path)* { $($ty_field),* },
                None
            ),)*
            $(generated!(
                Functions,
                tl::functions::$func $(::$func_path)* { $($func_field),* },
                Some(result_type::<tl::functions::$func $(::$func_path)*>())
            ),)*
        ]
    };
}

/// The generated counterpart of every definition in `tl/`.
///
/// Fields are listed in the order of the TL definition; `flags:#` parameters
/// have no field of their own. Keep this in step with `tl/`: the tests below
/// fail if a definition is missing here or listed here but not in `tl/`.
fn generated_items() -> Vec<Generated> {
    generated_items! {
        types {
            InputFile { id, parts, name, md5_checksum },
            InputFileBig { id, parts, name },
            InputEncryptedFileUploaded { id, parts, md5_checksum, key_fingerprint },
            InputEncryptedFileBigUploaded { id, parts, key_fingerprint },
            InputSecureFileUploaded { id, parts, md5_checksum, file_hash, secret },
            InputSecureFile { id, access_hash },
            InputMediaUploadedPhoto { spoiler, live_photo, file, stickers, ttl_seconds, video },
            InputMediaUploadedDocument {
                nosound_video, force_file, spoiler, file, thumb, mime_type, attributes, stickers,
                video_cover, video_timestamp, ttl_seconds,
            },
            InputChatUploadedPhoto { file, video, video_start_ts, video_emoji_markup },
            InputSingleMedia { media, random_id, message, entities },
            Document {
                id, access_hash, file_reference, date, mime_type, size, thumbs, video_thumbs,
                dc_id, attributes,
            },
            Photo { has_stickers, id, access_hash, file_reference, date, sizes, video_sizes, dc_id },
            photos::Photo { photo, users },
            InputPhoto { id, access_hash, file_reference },
            VideoSizeEmojiMarkup { emoji_id, background_colors },
            VideoSizeStickerMarkup { stickerset, sticker_id, background_colors },
            InputChatPhoto { id },
            EmojiListNotModified {},
            EmojiList { hash, document_id },
            upload::File { r#type, mtime, bytes },
            upload::FileCdnRedirect { dc_id, file_token, encryption_key, encryption_iv, file_hashes },
            storage::FileUnknown {},
            storage::FileJpeg {},
            storage::FileGif {},
            storage::FilePng {},
            storage::FileMp3 {},
            storage::FileMov {},
            storage::FilePartial {},
            storage::FileMp4 {},
            storage::FileWebp {},
            InputFileLocation { volume_id, local_id, secret, file_reference },
            InputEncryptedFileLocation { id, access_hash },
            InputDocumentFileLocation { id, access_hash, file_reference, thumb_size },
            InputSecureFileLocation { id, access_hash },
            InputTakeoutFileLocation {},
            InputPhotoFileLocation { id, access_hash, file_reference, thumb_size },
            InputPhotoLegacyFileLocation {
                id, access_hash, file_reference, volume_id, local_id, secret,
            },
            InputPeerPhotoFileLocation { big, peer, photo_id },
            InputStickerSetThumb { stickerset, thumb_version },
            InputGroupCallStream { call, time_ms, scale, video_channel, video_quality },
            InputStickerSetEmpty {},
            InputStickerSetId { id, access_hash },
            InputStickerSetShortName { short_name },
            InputStickerSetAnimatedEmoji {},
            InputStickerSetDice { emoticon },
            InputStickerSetAnimatedEmojiAnimations {},
            InputPeerSelf {},
            InputPeerChat { chat_id },
            InputPeerUser { user_id, access_hash },
            InputPeerChannel { channel_id, access_hash },
            ChatPhoto { has_video, photo_id, stripped_thumb, dc_id },
            UserProfilePhoto { has_video, personal, photo_id, stripped_thumb, dc_id },
            FileHash { offset, limit, hash },
            PhotoSizeEmpty { r#type },
            PhotoSize { r#type, w, h, size },
            PhotoCachedSize { r#type, w, h, bytes },
            PhotoStrippedSize { r#type, bytes },
            PhotoSizeProgressive { r#type, w, h, sizes },
            PhotoPathSize { r#type, bytes },
            VideoSize { r#type, w, h, size, video_start_ts },
            upload::WebFile { size, mime_type, file_type, mtime, bytes },
            InputWebFileLocation { url, access_hash },
            InputWebFileGeoPointLocation { geo_point, access_hash, w, h, zoom, scale },
            InputWebFileAudioAlbumThumbLocation { small, document, title, performer },
            WebDocument { url, access_hash, size, mime_type, attributes },
            InputGeoPoint { lat, long, accuracy_radius },
            GeoPoint { long, lat, access_hash, accuracy_radius },
            DcOption {
                ipv6, media_only, tcpo_only, cdn, r#static, this_port_only, id, ip_address, port,
                secret,
            },
        }
        functions {
            upload::SaveFilePart { file_id, file_part, bytes },
            upload::SaveBigFilePart { file_id, file_part, file_total_parts, bytes },
            messages::SendMedia {
                silent, background, clear_draft, noforwards, update_stickersets_order,
                invert_media, allow_paid_floodskip, peer, reply_to, media, message, random_id,
                reply_markup, entities, schedule_date, schedule_repeat_period, send_as,
                quick_reply_shortcut, effect, allow_paid_stars, suggested_post,
            },
            messages::UploadMedia { business_connection_id, peer, media },
            messages::SendEncryptedFile { silent, peer, random_id, data, file },
            photos::UploadProfilePhoto { fallback, bot, file, video, video_start_ts, video_emoji_markup },
            messages::SendMultiMedia {
                silent, background, clear_draft, noforwards, update_stickersets_order,
                invert_media, allow_paid_floodskip, peer, reply_to, multi_media, schedule_date,
                send_as, quick_reply_shortcut, effect, allow_paid_stars,
            },
            messages::GetDocumentByHash { sha256, size, mime_type },
            photos::UpdateProfilePhoto { fallback, bot, id },
            messages::EditChatPhoto { chat_id, photo },
            channels::EditPhoto { channel, photo },
            account::GetDefaultProfilePhotoEmojis { hash },
            account::GetDefaultGroupPhotoEmojis { hash },
            upload::GetFile { precise, cdn_supported, location, offset, limit },
            upload::GetFileHashes { location, offset },
            upload::GetWebFile { location, offset, limit },
        }
    }
}

/// Stands in for any field value in [`generated!`]'s exhaustive struct
/// expressions, which are type-checked but never evaluated.
fn never_called<T>() -> T {
    unreachable!("only used in closures that are never called")
}

/// The type of the field `accessor` borrows, without needing a value.
fn field_type<S, F>(_accessor: fn(&S) -> &F) -> String {
    short_type_name(type_name::<F>())
}

/// The result type of the function `F`.
fn result_type<F: RemoteCall>() -> String {
    short_type_name(type_name::<F::Return>())
}

/// Shortens a [`type_name`] so it can be compared with [`rust_type`]:
/// paths into the generated code keep their part from `enums::`/`types::`
/// on, other paths only their last segment
/// (`core::option::Option<alloc::vec::Vec<grammers_tl_types::…::enums::InputDocument>>`
/// becomes `Option<Vec<enums::InputDocument>>`).
fn short_type_name(name: &str) -> String {
    fn shorten(path: &str) -> String {
        let segments: Vec<_> = path.split("::").collect();
        let start = segments
            .iter()
            .position(|segment| matches!(*segment, "enums" | "types"))
            .unwrap_or(segments.len().saturating_sub(1));
        segments[start..].join("::")
    }

    let mut short = String::with_capacity(name.len());
    let mut path = String::new();
    for c in name.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            path.push(c);
        } else {
            short.push_str(&shorten(&path));
            path.clear();
            short.push(c);
        }
    }
    short.push_str(&shorten(&path));
    short
}

/// The Rust field name grammers-tl-gen uses for a TL parameter.
fn rust_field_name(name: &str) -> String {
    match name {
        "final" | "loop" | "static" | "type" => format!("r#{name}"),
        "self" => "is_self".to_owned(),
        _ => name.to_ascii_lowercase(),
    }
}

/// The Rust type grammers-tl-gen uses for a TL parameter (`None` for a
/// `flags:#` parameter, which has no field), in [`short_type_name`] form.
fn rust_param_type(ty: &ParameterType) -> Option<String> {
    match ty {
        ParameterType::Flags => None,
        ParameterType::Normal { ty, flag: None } => Some(rust_type(ty)),
        ParameterType::Normal { ty, flag: Some(_) } if ty.name == "true" => Some("bool".into()),
        ParameterType::Normal { ty, flag: Some(_) } => Some(format!("Option<{}>", rust_type(ty))),
    }
}

/// The Rust type grammers-tl-gen uses for a TL type, in [`short_type_name`]
/// form.
fn rust_type(ty: &Type) -> String {
    let name = match ty.name.as_str() {
        "Bool" | "true" => "bool".to_owned(),
        "bytes" => "Vec<u8>".to_owned(),
        "double" => "f64".to_owned(),
        "int" => "i32".to_owned(),
        "long" => "i64".to_owned(),
        "int128" => "[u8; 16]".to_owned(),
        "int256" => "[u8; 32]".to_owned(),
        "string" => "String".to_owned(),
        "Vector" => "Vec".to_owned(),
        "vector" => "RawVec".to_owned(),
        name => {
            let module = if ty.bare { "types" } else { "enums" };
            let namespace: String = ty.namespace.iter().map(|ns| format!("{ns}::")).collect();
            format!("{module}::{namespace}{}", rust_type_name(name))
        }
    };
    match &ty.generic_arg {
        Some(arg) => format!("{name}<{}>", rust_type(arg)),
        None => name,
    }
}

/// grammers-tl-gen's casing of TL type names: `_` starts a new word and a
/// run of capitals keeps only its first (`inputStickerSetID` becomes
/// `InputStickerSetId`).
fn rust_type_name(name: &str) -> String {
    let mut rust = String::with_capacity(name.len());
    let mut word_start = true;
    let mut after_capital = false;
    for c in name.chars() {
        if c == '_' {
            word_start = true;
            continue;
        }
        if word_start {
            rust.push(c.to_ascii_uppercase());
            after_capital = true;
            word_start = false;
        } else if after_capital {
            rust.push(c.to_ascii_lowercase());
            after_capital = c.is_ascii_uppercase();
        } else {
            rust.push(c);
            after_capital = c.is_ascii_uppercase();
        }
    }
    rust
}

/// The text Telegram hashes to get a constructor id: the definition without
/// its `#id`, without `?true` flag parameters, with `bytes` spelled `string`
/// and `Vector<T>` spelled `Vector T`.
///
/// (grammers-tl-parser infers ids for definitions written without one, but
/// it mangles `bytes`, so the normalisation is done here.)
fn id_source(def: &Definition) -> String {
    fn type_source(ty: &Type) -> String {
        let mut source: String = ty.namespace.iter().map(|ns| format!("{ns}.")).collect();
        source.push_str(match ty.name.as_str() {
            "bytes" => "string",
            name => name,
        });
        if let Some(arg) = &ty.generic_arg {
            source.push(' ');
            source.push_str(&type_source(arg));
        }
        source
    }

    let mut words = vec![def.full_name()];
    for param in &def.params {
        match &param.ty {
            ParameterType::Flags => words.push(format!("{}:#", param.name)),
            ParameterType::Normal { ty, flag: Some(_) } if ty.name == "true" => {}
            ParameterType::Normal { ty, flag } => {
                let flag = flag.as_ref().map(|f| format!("{f}?")).unwrap_or_default();
                words.push(format!("{}:{flag}{}", param.name, type_source(ty)));
            }
        }
    }
    words.push("=".to_owned());
    words.push(type_source(&def.ty));
    words.join(" ")
}

/// CRC-32 (IEEE), as used for TL constructor ids.
fn crc32(bytes: &[u8]) -> u32 {
    !bytes.iter().fold(!0u32, |crc, &byte| {
        (0..8).fold(crc ^ u32::from(byte), |crc, _| {
            (crc >> 1) ^ (0xedb8_8320 & (crc & 1).wrapping_neg())
        })
    })
}

/// A `.tl` file from `tl/`.
struct TlFile {
    /// Path relative to the crate root, for messages.
    path: String,
    contents: String,
}

/// A definition from a `.tl` file in `tl/`.
struct TlDefinition {
    /// The file it comes from, for messages.
    file: String,
    def: Definition,
}

impl TlDefinition {
    fn name(&self) -> String {
        self.def.full_name()
    }
}

fn tl_files() -> Vec<TlFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tl");
    let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    let mut paths: Vec<_> = entries
        .map(|entry| entry.expect("reading tl/").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "tl"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no .tl files in {}", dir.display());

    paths
        .into_iter()
        .map(|path| TlFile {
            contents: fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("reading {}: {e}", path.display())),
            path: path
                .strip_prefix(root)
                .unwrap_or(&path)
                .display()
                .to_string(),
        })
        .collect()
}

/// Every definition in `tl/`; panics, listing them, if any fails to parse.
#[track_caller]
fn tl_definitions() -> Vec<TlDefinition> {
    let mut definitions = Vec::new();
    let mut problems = Vec::new();
    for file in tl_files() {
        let mut previous = None;
        for (index, parsed) in parse_tl_file(&file.contents).enumerate() {
            match parsed {
                Ok(def) => {
                    previous = Some(def.full_name());
                    definitions.push(TlDefinition {
                        file: file.path.clone(),
                        def,
                    });
                }
                Err(error) => problems.push(format!(
                    "{}: definition {} ({}) does not parse: {error:?}",
                    file.path,
                    index + 1,
                    previous
                        .as_ref()
                        .map_or("the first one".to_owned(), |p| format!("the one after {p}")),
                )),
            }
        }
    }
    assert_no_problems("definitions in tl/ that do not parse", &problems);
    definitions
}

#[track_caller]
fn assert_no_problems(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} {what}:\n  {}",
        problems.len(),
        problems.join("\n  "),
    );
}

fn layer_note() -> String {
    format!("grammers-tl-types, layer {}", tl::LAYER)
}

#[test]
fn tl_definitions_parse_and_are_unique() {
    let definitions = tl_definitions();
    assert!(!definitions.is_empty(), "tl/ has no definitions");

    let mut seen = HashMap::new();
    let problems: Vec<_> = definitions
        .iter()
        .filter_map(|d| {
            let first = seen.insert(d.name(), &d.file)?;
            Some(format!(
                "{} is defined twice ({first} and {})",
                d.name(),
                d.file
            ))
        })
        .collect();
    assert_no_problems("duplicate definitions in tl/", &problems);
}

#[test]
fn tl_ids_are_the_crc32_of_their_definitions() {
    let problems: Vec<_> = tl_definitions()
        .iter()
        .filter_map(|d| {
            let source = id_source(&d.def);
            let crc = crc32(source.as_bytes());
            (crc != d.def.id).then(|| {
                format!(
                    "{}: {}#{:x} hashes to #{crc:x} ({source:?}): its id and its fields disagree",
                    d.file,
                    d.name(),
                    d.def.id,
                )
            })
        })
        .collect();
    assert_no_problems("definitions in tl/ with an inconsistent id", &problems);
}

#[test]
fn tl_definitions_match_grammers_tl_types() {
    let generated: HashMap<_, _> = generated_items()
        .into_iter()
        .map(|item| (item.tl_name(), item))
        .collect();

    let mut problems = Vec::new();
    for d in tl_definitions() {
        let name = d.name();
        let known_as = tl::name_for_id(d.def.id);
        if known_as != name {
            problems.push(format!(
                "{}: {name}#{id:x}: {} knows #{id:x} as {known_as:?}",
                d.file,
                layer_note(),
                id = d.def.id,
            ));
        }

        // A definition without an entry is reported by
        // `generated_items_list_exactly_the_tl_definitions`.
        let Some(item) = generated.get(name.as_str()) else {
            continue;
        };
        let item_name = &item.item;

        if item.id != d.def.id {
            problems.push(format!(
                "{}: {name} has id #{:x}, but {item_name} has #{:x} ({})",
                d.file,
                d.def.id,
                item.id,
                layer_note(),
            ));
        }
        if item.category != d.def.category {
            problems.push(format!(
                "{}: {name} is listed under {:?}, but {item_name} is one of the {:?}",
                d.file, d.def.category, item.category,
            ));
        }

        let expected: Vec<_> = d
            .def
            .params
            .iter()
            .filter_map(|p| {
                let ty = rust_param_type(&p.ty)?;
                Some(format!("{}: {ty}", rust_field_name(&p.name)))
            })
            .collect();
        let actual: Vec<_> = item
            .fields
            .iter()
            .map(|(name, ty)| format!("{name}: {ty}"))
            .collect();
        if expected != actual {
            problems.push(format!(
                "{}: the fields of {name} differ from {item_name} ({}):\n    \
                 tl/:  {{ {} }}\n    Rust: {{ {} }}",
                d.file,
                layer_note(),
                expected.join(", "),
                actual.join(", "),
            ));
        }

        if let Some(result) = &item.result {
            let expected = rust_type(&d.def.ty);
            if *result != expected {
                problems.push(format!(
                    "{}: {name} returns {} ({expected}), but {item_name} returns {result} ({})",
                    d.file,
                    d.def.ty,
                    layer_note(),
                ));
            }
        }
    }
    assert_no_problems("mismatches between tl/ and grammers-tl-types", &problems);
}

#[test]
fn generated_items_list_exactly_the_tl_definitions() {
    let definitions = tl_definitions();
    let items = generated_items();
    let mut problems = Vec::new();

    let mut listed = HashMap::new();
    for item in &items {
        if let Some(other) = listed.insert(item.tl_name(), &item.item) {
            problems.push(format!(
                "{} and {other} are both listed for {}",
                item.item,
                item.tl_name(),
            ));
        }
    }
    for d in &definitions {
        if !listed.contains_key(d.name().as_str()) {
            problems.push(format!(
                "{}: {} is not listed in generated_items() in tests/tl_schema.rs",
                d.file,
                d.name(),
            ));
        }
    }
    for item in &items {
        if !definitions.iter().any(|d| d.name() == item.tl_name()) {
            problems.push(format!(
                "{} ({}) is listed in generated_items() but not defined in tl/",
                item.item,
                item.tl_name(),
            ));
        }
    }
    assert_no_problems("differences between tl/ and generated_items()", &problems);
}

#[test]
fn tl_files_name_the_generated_layer() {
    let problems: Vec<_> = tl_files()
        .iter()
        .filter_map(|file| {
            let layer = file.contents.lines().find_map(|line| {
                let note = line.trim().strip_prefix("//")?.trim();
                note.strip_prefix("LAYER")?.trim().parse::<i32>().ok()
            });
            match layer {
                Some(layer) if layer == tl::LAYER => None,
                Some(layer) => Some(format!(
                    "{} is written for layer {layer}, but grammers-tl-types is at layer {}: \
                     check its definitions against the new layer (the other tests name any \
                     that changed), then update its `// LAYER` line",
                    file.path,
                    tl::LAYER,
                )),
                None => Some(format!("{} has no `// LAYER <n>` line", file.path)),
            }
        })
        .collect();
    assert_no_problems("tl/ files written for another layer", &problems);
}
