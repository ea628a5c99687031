//! fakedc's files service against the rules of
//! `shared/spec/telegram-files-upload-download.txt`, driven through a stock
//! grammers client with the raw calls a real client sends. Every error the
//! spec names for saving parts, finalising uploads and downloading is
//! triggered here and checked by code, name and value, together with the
//! accepted cases at each boundary and the server's resulting state.
//!
//! The part-count limit is set to 4 (premium: 6) so the limit tests stay small.

#[path = "support/grammers.rs"]
mod grammers_support;
#[path = "support/raw_mtproto.rs"]
mod raw;
#[path = "support/rpc.rs"]
mod rpc;

use fakedc::{Config, FakeDc, FileKind, Limits, SelfUser};
use grammers_client::Client;
use grammers_client::tl::{self, Deserializable, Serializable};
use raw::{Framing, RawConnection, Reply};
use rpc::{
    assert_bad_request, assert_rpc_error, document_location, expect_document, expect_photo,
    get_file, id_of, input_file, input_file_big, md5_hex, pattern, save_big_file, save_big_part,
    save_part, save_small_file, stored_location, upload_media, uploaded_document,
};
use sha2::{Digest, Sha256};
use tokio::task::JoinHandle;

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;
const MAX_PARTS: i32 = 4;
const MAX_PARTS_PREMIUM: i32 = 6;

fn config(premium: bool) -> Config {
    Config {
        limits: Limits {
            upload_max_fileparts_default: MAX_PARTS,
            upload_max_fileparts_premium: MAX_PARTS_PREMIUM,
            ..Limits::default()
        },
        self_user: SelfUser {
            premium,
            ..SelfUser::default()
        },
        ..Config::default()
    }
}

async fn start(premium: bool) -> (FakeDc, Client, JoinHandle<()>) {
    let fake = FakeDc::start(config(premium))
        .await
        .expect("fake DC starts");
    let (client, runner) = grammers_support::signed_in_client(&fake).await;
    (fake, client, runner)
}

fn send_media(media: tl::enums::InputMedia, random_id: i64) -> tl::functions::messages::SendMedia {
    tl::functions::messages::SendMedia {
        silent: false,
        background: false,
        clear_draft: false,
        noforwards: false,
        update_stickersets_order: false,
        invert_media: false,
        allow_paid_floodskip: false,
        peer: tl::enums::InputPeer::PeerSelf,
        reply_to: None,
        media,
        message: "caption".into(),
        random_id,
        reply_markup: None,
        entities: None,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        allow_paid_stars: None,
        suggested_post: None,
    }
}

fn upload_profile_photo(file: tl::enums::InputFile) -> tl::functions::photos::UploadProfilePhoto {
    tl::functions::photos::UploadProfilePhoto {
        fallback: false,
        bot: None,
        file: Some(file),
        video: None,
        video_start_ts: None,
        video_emoji_markup: None,
    }
}

fn uploaded_photo(file: tl::enums::InputFile) -> tl::enums::InputMedia {
    tl::types::InputMediaUploadedPhoto {
        spoiler: false,
        live_photo: false,
        file,
        stickers: None,
        ttl_seconds: None,
        video: None,
    }
    .into()
}

// ---------------------------------------------------------------- saving parts

#[tokio::test]
async fn save_big_file_part_total_must_be_between_1_and_the_limit() {
    let (fake, client, _runner) = start(false).await;
    let part = vec![1u8; KIB];
    // "FILE_PARTS_INVALID - Invalid number of parts. The value is not between
    // 1..upload_max_fileparts_*"
    assert_bad_request(
        save_big_part(&client, 1, 0, 0, &part).await,
        "FILE_PARTS_INVALID",
    );
    assert_bad_request(
        save_big_part(&client, 1, 0, -2, &part).await,
        "FILE_PARTS_INVALID",
    );
    assert_bad_request(
        save_big_part(&client, 1, 0, MAX_PARTS + 1, &part).await,
        "FILE_PARTS_INVALID",
    );
    // The limit itself is fine.
    assert!(
        save_big_part(&client, 1, MAX_PARTS - 1, MAX_PARTS, &part)
            .await
            .expect("total == limit")
    );
    // A file keeps the total it started with.
    assert_bad_request(
        save_big_part(&client, 1, 0, MAX_PARTS - 1, &part).await,
        "FILE_PARTS_INVALID",
    );
    let state = fake.world().lock();
    let key = grammers_support::key_id(&fake.home_dc().auth_key);
    let upload = state.files.upload(key, 1).expect("the upload exists");
    assert_eq!(upload.total_parts, Some(MAX_PARTS));
    assert_eq!(
        upload.parts.keys().copied().collect::<Vec<_>>(),
        [MAX_PARTS - 1]
    );
}

#[tokio::test]
async fn part_numbers_must_be_below_the_limit_and_the_total() {
    let (_fake, client, _runner) = start(false).await;
    let part = vec![2u8; KIB];
    // "FILE_PART_INVALID: The file part number is invalid. The value is not
    // between 0 and upload_max_fileparts_*-1."
    assert_bad_request(save_part(&client, 2, -1, &part).await, "FILE_PART_INVALID");
    assert_bad_request(
        save_part(&client, 2, MAX_PARTS, &part).await,
        "FILE_PART_INVALID",
    );
    assert!(
        save_part(&client, 2, MAX_PARTS - 1, &part)
            .await
            .expect("last allowed part number")
    );
    assert!(save_part(&client, 2, 0, &part).await.expect("part 0"));
    // Big parts are also bounded by the file's own total.
    assert_bad_request(
        save_big_part(&client, 3, 2, 2, &part).await,
        "FILE_PART_INVALID",
    );
    assert_bad_request(
        save_big_part(&client, 3, MAX_PARTS, MAX_PARTS, &part).await,
        "FILE_PART_INVALID",
    );
    assert!(
        save_big_part(&client, 3, 1, 2, &part)
            .await
            .expect("part 1 of 2")
    );
}

#[tokio::test]
async fn a_part_above_512_kib_is_too_big_and_an_empty_one_is_refused() {
    let (_fake, client, _runner) = start(false).await;
    // "FILE_PART_TOO_BIG: The size limit (512 KB) for the content of the file
    // part has been exceeded"
    assert_bad_request(
        save_part(&client, 4, 0, &vec![3u8; 512 * KIB + 1]).await,
        "FILE_PART_TOO_BIG",
    );
    assert_bad_request(
        save_big_part(&client, 5, 0, 2, &vec![3u8; 600 * KIB]).await,
        "FILE_PART_TOO_BIG",
    );
    assert!(
        save_part(&client, 4, 0, &vec![3u8; 512 * KIB])
            .await
            .expect("exactly 512 KiB")
    );
    // "FILE_PART_EMPTY: The file part sent is empty"
    assert_bad_request(save_part(&client, 4, 1, &[]).await, "FILE_PART_EMPTY");
    assert_bad_request(
        save_big_part(&client, 5, 0, 2, &[]).await,
        "FILE_PART_EMPTY",
    );
}

#[tokio::test]
async fn a_part_size_that_does_not_divide_512_kib_is_invalid() {
    let (_fake, client, _runner) = start(false).await;
    // "part_size % 1024 = 0" and "524288 % part_size = 0"; only the last part
    // may be shorter. A lone first part may still turn out to be the last.
    for (file_id, size) in [(6, 1000), (7, 3 * KIB), (8, 1025)] {
        assert!(
            save_part(&client, file_id, 0, &vec![4u8; size])
                .await
                .expect("part 0 could be the whole file")
        );
        assert_bad_request(
            save_part(&client, file_id, 1, &vec![4u8; size]).await,
            "FILE_PART_SIZE_INVALID",
        );
    }
    // With a known total, part 0 of 3 is not the last, so it must be valid.
    assert_bad_request(
        save_big_part(&client, 9, 0, 3, &vec![4u8; 3 * KIB]).await,
        "FILE_PART_SIZE_INVALID",
    );
    // Every valid size passes, including 1 KiB and 512 KiB.
    for (file_id, size) in [(10, KIB), (11, 4 * KIB), (12, 128 * KIB), (13, 512 * KIB)] {
        for part in 0..2 {
            assert!(
                save_part(&client, file_id, part, &vec![5u8; size])
                    .await
                    .expect("valid part size")
            );
        }
    }
}

#[tokio::test]
async fn a_part_size_that_changes_within_a_file_is_refused() {
    let (fake, client, _runner) = start(false).await;
    // "FILE_PART_SIZE_CHANGED - The part size is different from the size of
    // one of the previous parts in the same file"
    assert!(
        save_part(&client, 20, 0, &vec![6u8; 64 * KIB])
            .await
            .expect("64 KiB")
    );
    assert_bad_request(
        save_part(&client, 20, 1, &vec![6u8; 128 * KIB]).await,
        "FILE_PART_SIZE_CHANGED",
    );
    // A short part may be the last one, until a later part shows it was not.
    assert!(
        save_part(&client, 21, 0, &vec![6u8; 128 * KIB])
            .await
            .expect("128 KiB")
    );
    assert!(
        save_part(&client, 21, 1, &vec![6u8; 64 * KIB])
            .await
            .expect("short tail")
    );
    assert_bad_request(
        save_part(&client, 21, 2, &vec![6u8; 128 * KIB]).await,
        "FILE_PART_SIZE_CHANGED",
    );
    // Refused parts are not kept.
    let key = grammers_support::key_id(&fake.home_dc().auth_key);
    let state = fake.world().lock();
    let sizes = |file_id| -> Vec<(i32, usize)> {
        state
            .files
            .upload(key, file_id)
            .expect("the upload exists")
            .parts
            .iter()
            .map(|(&i, p)| (i, p.len()))
            .collect()
    };
    assert_eq!(sizes(20), [(0, 64 * KIB)]);
    assert_eq!(sizes(21), [(0, 128 * KIB), (1, 64 * KIB)]);
}

#[tokio::test]
async fn premium_users_get_the_premium_part_limit() {
    let (_fake, client, _runner) = start(true).await;
    let part = vec![7u8; KIB];
    assert!(
        save_big_part(&client, 30, MAX_PARTS_PREMIUM - 1, MAX_PARTS_PREMIUM, &part)
            .await
            .expect("total == premium limit")
    );
    assert!(
        save_part(&client, 31, MAX_PARTS_PREMIUM - 1, &part)
            .await
            .expect("part == premium limit - 1")
    );
    assert_bad_request(
        save_big_part(&client, 32, 0, MAX_PARTS_PREMIUM + 1, &part).await,
        "FILE_PARTS_INVALID",
    );
    assert_bad_request(
        save_part(&client, 33, MAX_PARTS_PREMIUM, &part).await,
        "FILE_PART_INVALID",
    );

    // The same calls are over the limit for a non-premium user.
    let (_fake, client, _runner) = start(false).await;
    assert_bad_request(
        save_big_part(&client, 30, 0, MAX_PARTS_PREMIUM, &part).await,
        "FILE_PARTS_INVALID",
    );
    assert_bad_request(
        save_part(&client, 31, MAX_PARTS_PREMIUM - 1, &part).await,
        "FILE_PART_INVALID",
    );
}

#[tokio::test]
async fn app_config_announces_the_part_limits() {
    let (_fake, client, _runner) = start(false).await;
    let tl::enums::help::AppConfig::Config(app_config) = client
        .invoke(&tl::functions::help::GetAppConfig { hash: 0 })
        .await
        .expect("getAppConfig")
    else {
        panic!("a first request cannot be answered with appConfigNotModified");
    };
    let tl::enums::Jsonvalue::JsonObject(object) = app_config.config else {
        panic!("appConfig is a JSON object");
    };
    let number = |key: &str| {
        object
            .value
            .iter()
            .find_map(|tl::enums::JsonobjectValue::JsonObjectValue(v)| {
                match (v.key == key, &v.value) {
                    (true, tl::enums::Jsonvalue::JsonNumber(n)) => Some(n.value),
                    _ => None,
                }
            })
    };
    assert_eq!(
        number("upload_max_fileparts_default"),
        Some(f64::from(MAX_PARTS))
    );
    assert_eq!(
        number("upload_max_fileparts_premium"),
        Some(f64::from(MAX_PARTS_PREMIUM))
    );
}

// ---------------------------------------------------------------- finalising

#[tokio::test]
async fn finalising_checks_the_part_count_against_the_limit() {
    let (_fake, client, _runner) = start(false).await;
    let data = pattern(3 * KIB + 500, 1);
    let md5 = md5_hex(&data);
    assert_eq!(save_small_file(&client, 40, &data, KIB).await, MAX_PARTS);

    for parts in [0, -1, MAX_PARTS + 1] {
        assert_bad_request(
            upload_media(
                &client,
                uploaded_document(input_file(40, parts, "a.bin", &md5), "a/b", vec![]),
            )
            .await,
            "FILE_PARTS_INVALID",
        );
    }
    // Exactly the limit.
    let document = expect_document(
        upload_media(
            &client,
            uploaded_document(input_file(40, MAX_PARTS, "a.bin", &md5), "a/b", vec![]),
        )
        .await
        .expect("parts == limit"),
    );
    assert_eq!(document.size, data.len() as i64);

    // inputFileBig is checked the same way.
    assert_bad_request(
        upload_media(
            &client,
            uploaded_document(input_file_big(41, MAX_PARTS + 1, "b.bin"), "a/b", vec![]),
        )
        .await,
        "FILE_PARTS_INVALID",
    );
}

#[tokio::test]
async fn upload_media_creates_a_document_that_downloads_back() {
    let (fake, client, _runner) = start(false).await;
    let data = pattern(2 * 128 * KIB + 999, 2);
    let parts = save_small_file(&client, 50, &data, 128 * KIB).await;
    assert_eq!(parts, 3);
    let media = upload_media(
        &client,
        uploaded_document(
            input_file(50, parts, "report.pdf", &md5_hex(&data)),
            "application/pdf",
            vec![],
        ),
    )
    .await
    .expect("uploadMedia");
    let document = expect_document(media);

    assert_eq!(document.size, data.len() as i64);
    assert_eq!(document.mime_type, "application/pdf");
    assert_eq!(document.dc_id, 1);
    assert!(!document.file_reference.is_empty());
    assert_eq!(
        document.attributes,
        vec![tl::enums::DocumentAttribute::Filename(
            tl::types::DocumentAttributeFilename {
                file_name: "report.pdf".into()
            }
        )],
        "the name of the inputFile becomes the file name"
    );
    {
        let state = fake.world().lock();
        let stored = state.files.get(document.id).expect("stored in the world");
        assert_eq!(stored.kind, FileKind::Document);
        assert_eq!(stored.access_hash, document.access_hash);
        assert_eq!(stored.file_reference, document.file_reference);
        assert_eq!(stored.dc_id, 1);
        assert_eq!(stored.bytes, data);
        let key = grammers_support::key_id(&fake.home_dc().auth_key);
        assert!(
            state.files.upload(key, 50).is_none(),
            "the parts are gone once finalised"
        );
    }

    let location = document_location(document.id, document.access_hash, &document.file_reference);
    let downloaded = rpc::download_all(&client, None, &location)
        .await
        .expect("download");
    assert_eq!(downloaded, data);

    // An explicit file-name attribute wins over the inputFile's name.
    let small = pattern(700, 3);
    save_small_file(&client, 51, &small, KIB).await;
    let document = expect_document(
        upload_media(
            &client,
            uploaded_document(
                input_file(51, 1, "ignored.bin", ""),
                "",
                vec![
                    tl::types::DocumentAttributeFilename {
                        file_name: "notes.txt".into(),
                    }
                    .into(),
                ],
            ),
        )
        .await
        .expect("an empty md5 is not checked"),
    );
    assert_eq!(document.mime_type, "application/octet-stream");
    assert_eq!(
        document.attributes,
        vec![tl::enums::DocumentAttribute::Filename(
            tl::types::DocumentAttributeFilename {
                file_name: "notes.txt".into()
            }
        )]
    );
    assert_eq!(document.size, 700);
}

#[tokio::test]
async fn a_part_never_saved_is_reported_missing() {
    let (_fake, client, _runner) = start(false).await;
    let data = pattern(3 * KIB, 4);
    let md5 = md5_hex(&data);
    let finalise = || {
        upload_media(
            &client,
            uploaded_document(input_file(60, 3, "gap.bin", &md5), "a/b", vec![]),
        )
    };
    // Nothing saved at all: part 0 is missing.
    assert_rpc_error(finalise().await, 400, "FILE_PART_MISSING", Some(0));

    save_part(&client, 60, 0, &data[..KIB])
        .await
        .expect("part 0");
    save_part(&client, 60, 2, &data[2 * KIB..])
        .await
        .expect("part 2");
    // "FILE_PART_X_MISSING: Part X (where X is a number) of the file is
    // missing from storage." grammers splits X into `value`.
    let error = rpc::rpc_error(finalise().await);
    assert_eq!(
        (error.code, error.name.as_str(), error.value),
        (400, "FILE_PART_MISSING", Some(1)),
        "sent as FILE_PART_1_MISSING"
    );

    // "Try repeating the method call to resave the part."
    save_part(&client, 60, 1, &data[KIB..2 * KIB])
        .await
        .expect("part 1");
    let document = expect_document(finalise().await.expect("complete now"));
    assert_eq!(document.size, data.len() as i64);

    // The same through inputFileBig.
    let total = 3;
    save_big_part(&client, 61, 0, total, &data[..KIB])
        .await
        .expect("part 0");
    save_big_part(&client, 61, 1, total, &data[KIB..2 * KIB])
        .await
        .expect("part 1");
    assert_rpc_error(
        upload_media(
            &client,
            uploaded_document(input_file_big(61, total, "big.bin"), "a/b", vec![]),
        )
        .await,
        400,
        "FILE_PART_MISSING",
        Some(2),
    );
}

#[tokio::test]
async fn a_part_lost_by_the_server_is_reported_missing_and_can_be_resaved() {
    let (fake, client, _runner) = start(false).await;
    let data = pattern(4 * KIB - 100, 5);
    let md5 = md5_hex(&data);
    fake.faults().lose_uploaded_part(2);
    // Every part is acknowledged, part 2 included.
    assert_eq!(save_small_file(&client, 70, &data, KIB).await, 4);
    let request = send_media(
        uploaded_document(input_file(70, 4, "lost.bin", &md5), "a/b", vec![]),
        777,
    );
    let finalise = || client.invoke(&request);
    assert_rpc_error(finalise().await, 400, "FILE_PART_MISSING", Some(2));
    assert!(
        fake.world()
            .lock()
            .accounts
            .get(&fake.user_id())
            .is_none_or(|a| a.saved_messages.is_empty()),
        "a failed sendMedia sends nothing"
    );

    // The fault fired once: saving the part again completes the upload.
    save_part(&client, 70, 2, &data[2 * KIB..3 * KIB])
        .await
        .expect("resave");
    finalise().await.expect("sendMedia");
    let state = fake.world().lock();
    let stored = &state.accounts[&fake.user_id()].saved_messages;
    assert_eq!(stored.len(), 1);
}

#[tokio::test]
async fn a_wrong_md5_is_refused_and_the_parts_are_kept() {
    let (fake, client, _runner) = start(false).await;
    let data = pattern(2 * KIB + 10, 6);
    save_small_file(&client, 80, &data, KIB).await;
    // "MD5_CHECKSUM_INVALID: The file's MD5 checksum did not match the
    // md5_checksum parameter"
    // grammers takes the 5 of "MD5" for the error's number.
    let md5_invalid = |result| assert_rpc_error(result, 400, "MD5_CHECKSUM_INVALID", Some(5));
    let wrong = md5_hex(b"something else");
    md5_invalid(
        upload_media(
            &client,
            uploaded_document(input_file(80, 3, "md5.bin", &wrong), "a/b", vec![]),
        )
        .await
        .map(drop),
    );
    md5_invalid(
        client
            .invoke(&send_media(
                uploaded_document(input_file(80, 3, "md5.bin", &wrong), "a/b", vec![]),
                1,
            ))
            .await
            .map(drop),
    );
    md5_invalid(
        client
            .invoke(&upload_profile_photo(input_file(80, 3, "md5.jpg", &wrong)))
            .await
            .map(drop),
    );
    // The parts survive a failed check; the right MD5 (any case) finalises.
    let right = md5_hex(&data).to_uppercase();
    let document = expect_document(
        upload_media(
            &client,
            uploaded_document(input_file(80, 3, "md5.bin", &right), "a/b", vec![]),
        )
        .await
        .expect("the right md5"),
    );
    assert_eq!(
        fake.world()
            .lock()
            .files
            .get(document.id)
            .expect("stored")
            .bytes,
        data
    );
}

#[tokio::test]
async fn a_big_upload_is_finalised_with_input_file_big() {
    let (_fake, client, _runner) = start(false).await;
    let data = pattern(3 * 64 * KIB + 5, 7);
    let total = save_big_file(&client, 90, &data, 64 * KIB).await;
    assert_eq!(total, 4);
    // The count must be the total the parts were saved with.
    assert_bad_request(
        upload_media(
            &client,
            uploaded_document(input_file_big(90, 3, "big.bin"), "video/mp4", vec![]),
        )
        .await,
        "FILE_PARTS_INVALID",
    );
    let document = expect_document(
        upload_media(
            &client,
            uploaded_document(input_file_big(90, total, "big.bin"), "video/mp4", vec![]),
        )
        .await
        .expect("uploadMedia"),
    );
    assert_eq!(document.size, data.len() as i64);
    assert_eq!(document.mime_type, "video/mp4");
    let location = document_location(document.id, document.access_hash, &document.file_reference);
    assert_eq!(
        rpc::download_all(&client, None, &location)
            .await
            .expect("download"),
        data
    );
}

#[tokio::test]
async fn send_media_stores_a_message_in_saved_messages() {
    let (fake, client, _runner) = start(false).await;
    let data = pattern(5000, 8);
    let parts = save_small_file(&client, 100, &data, 4 * KIB).await;
    let updates = client
        .invoke(&send_media(
            uploaded_document(
                input_file(100, parts, "saved.bin", &md5_hex(&data)),
                "application/zip",
                vec![],
            ),
            4242,
        ))
        .await
        .expect("sendMedia");
    let tl::enums::Updates::Updates(updates) = updates else {
        panic!("expected updates, got {updates:?}");
    };
    let [
        tl::enums::Update::MessageId(message_id),
        tl::enums::Update::NewMessage(new_message),
    ] = &updates.updates[..]
    else {
        panic!("expected updateMessageID + updateNewMessage, got {updates:?}");
    };
    assert_eq!(message_id.random_id, 4242);
    let tl::enums::Message::Message(message) = &new_message.message else {
        panic!("expected a message");
    };
    assert_eq!(message.id, message_id.id);
    assert!(message.out);
    assert_eq!(message.message, "caption");
    assert_eq!(
        message.peer_id,
        tl::enums::Peer::User(tl::types::PeerUser {
            user_id: fake.user_id()
        })
    );
    let document = expect_document(message.media.clone().expect("media"));
    assert_eq!(document.size, 5000);
    assert_eq!(document.mime_type, "application/zip");

    {
        let state = fake.world().lock();
        let account = &state.accounts[&fake.user_id()];
        assert_eq!(account.saved_messages, vec![new_message.message.clone()]);
        assert_eq!(new_message.pts, account.pts);
        assert_eq!(state.files.get(document.id).expect("stored").bytes, data);
    }

    // Only Saved Messages exist in the fake world.
    let other_peer = tl::enums::InputPeer::Chat(tl::types::InputPeerChat { chat_id: 5 });
    let mut request = send_media(
        uploaded_document(input_file(101, 1, "x", ""), "a/b", vec![]),
        1,
    );
    request.peer = other_peer;
    assert_bad_request(client.invoke(&request).await, "PEER_ID_INVALID");
}

#[tokio::test]
async fn upload_profile_photo_sets_a_photo_that_downloads_back() {
    let (fake, client, _runner) = start(false).await;
    let data = pattern(3 * KIB + 17, 9);
    let md5 = md5_hex(&data);

    // Its finalisation errors are the same as for media.
    assert_rpc_error(
        client
            .invoke(&upload_profile_photo(input_file(110, 4, "me.jpg", &md5)))
            .await,
        400,
        "FILE_PART_MISSING",
        Some(0),
    );
    save_small_file(&client, 110, &data, KIB).await;
    assert_bad_request(
        client
            .invoke(&upload_profile_photo(input_file(
                110,
                MAX_PARTS + 1,
                "me.jpg",
                &md5,
            )))
            .await,
        "FILE_PARTS_INVALID",
    );

    let tl::enums::photos::Photo::Photo(result) = client
        .invoke(&upload_profile_photo(input_file(110, 4, "me.jpg", &md5)))
        .await
        .expect("uploadProfilePhoto");
    let tl::enums::Photo::Photo(photo) = result.photo else {
        panic!("expected a photo, got {:?}", result.photo);
    };
    assert_eq!(photo.dc_id, 1);
    assert!(!photo.file_reference.is_empty());
    assert_eq!(
        photo.sizes,
        vec![tl::enums::PhotoSize::Size(tl::types::PhotoSize {
            r#type: "x".into(),
            w: 800,
            h: 800,
            size: data.len() as i32,
        })]
    );
    let [tl::enums::User::User(me)] = &result.users[..] else {
        panic!("expected the user, got {:?}", result.users);
    };
    assert_eq!(me.id, fake.user_id());
    let Some(tl::enums::UserProfilePhoto::Photo(profile)) = &me.photo else {
        panic!("the user now has a photo: {:?}", me.photo);
    };
    assert_eq!(profile.photo_id, photo.id);
    {
        let state = fake.world().lock();
        assert_eq!(
            state.users.get(fake.user_id()).expect("self").photo_id,
            Some(photo.id)
        );
        let stored = state.files.get(photo.id).expect("stored");
        assert_eq!(stored.kind, FileKind::Photo);
        assert_eq!(stored.bytes, data);
    }

    // As a photo, and as the user's profile picture.
    let by_photo: tl::enums::InputFileLocation = tl::types::InputPhotoFileLocation {
        id: photo.id,
        access_hash: photo.access_hash,
        file_reference: photo.file_reference.clone(),
        thumb_size: "x".into(),
    }
    .into();
    let by_peer: tl::enums::InputFileLocation = tl::types::InputPeerPhotoFileLocation {
        big: true,
        peer: tl::enums::InputPeer::PeerSelf,
        photo_id: photo.id,
    }
    .into();
    for location in [by_photo, by_peer] {
        assert_eq!(
            get_file(&client, &location, false, 0, 64 * KIB as i32)
                .await
                .expect("download the photo"),
            data
        );
    }
    // A photo is not a document.
    assert_bad_request(
        get_file(
            &client,
            &document_location(photo.id, photo.access_hash, &photo.file_reference),
            false,
            0,
            4096,
        )
        .await,
        "FILE_ID_INVALID",
    );
}

#[tokio::test]
async fn upload_media_with_an_uploaded_photo_creates_a_photo() {
    let (_fake, client, _runner) = start(false).await;
    let data = pattern(2000, 10);
    save_small_file(&client, 120, &data, 4 * KIB).await;
    let photo = expect_photo(
        upload_media(
            &client,
            uploaded_photo(input_file(120, 1, "p.jpg", &md5_hex(&data))),
        )
        .await
        .expect("uploadMedia"),
    );
    let location = tl::types::InputPhotoFileLocation {
        id: photo.id,
        access_hash: photo.access_hash,
        file_reference: photo.file_reference,
        thumb_size: "x".into(),
    }
    .into();
    let file = client
        .invoke(&tl::functions::upload::GetFile {
            precise: false,
            cdn_supported: false,
            location,
            offset: 0,
            limit: 4096,
        })
        .await
        .expect("getFile");
    let tl::enums::upload::File::File(file) = file else {
        panic!("no CDN here");
    };
    assert_eq!(file.bytes, data);
    assert_eq!(file.r#type, tl::enums::storage::FileType::FileJpeg);
}

// ---------------------------------------------------------------- downloading

/// `upload.getFile` with answers of any size. grammers 0.11 cannot receive a
/// message of 1 MiB (`manual_tl.rs` asserts every incoming message is below
/// 1 044 448 bytes and its sender pool dies), so requests above 512 KiB go
/// over a raw connection with the same key; the server cannot tell.
async fn fetch(
    fake: &FakeDc,
    client: &Client,
    location: &tl::enums::InputFileLocation,
    precise: bool,
    offset: i64,
    limit: i32,
) -> Result<Vec<u8>, String> {
    if limit <= 512 * KIB as i32 {
        return get_file(client, location, precise, offset, limit)
            .await
            .map_err(|e| e.to_string());
    }
    let home = fake.home_dc();
    let mut conn = RawConnection::connect(home.addr, home.auth_key, Framing::Intermediate)
        .await
        .expect("connects");
    let request = tl::functions::upload::GetFile {
        precise,
        cdn_supported: false,
        location: location.clone(),
        offset,
        limit,
    };
    match conn.invoke(&request.to_bytes()).await {
        Ok(Reply::Result(bytes)) => match tl::enums::upload::File::from_bytes(&bytes) {
            Ok(tl::enums::upload::File::File(file)) => Ok(file.bytes),
            other => panic!("expected upload.file, got {other:?}"),
        },
        Ok(Reply::Error { code, message }) => Err(format!("{code} {message}")),
        Err(failure) => panic!("raw getFile failed: {failure:?}"),
    }
}

/// A 2 MiB + 5000 byte document stored directly on DC 1.
fn big_document(fake: &FakeDc) -> (Vec<u8>, tl::enums::InputFileLocation) {
    let data = pattern(2 * MIB + 5000, 11);
    let file = fake.put_file(
        1,
        FileKind::Document,
        data.clone(),
        "application/x-test",
        "d.bin",
    );
    (data, stored_location(&file))
}

#[tokio::test]
async fn non_precise_requests_follow_the_4_kib_and_1_mib_rules() {
    let (fake, client, _runner) = start(false).await;
    let (data, location) = big_document(&fake);
    // Accepted: offset and limit divisible by 4 KB, 1 MB divisible by limit,
    // and the request inside one 1 MiB chunk.
    for (offset, limit) in [
        (0, MIB),
        (4 * KIB, 4 * KIB),
        (512 * KIB, 512 * KIB),
        (MIB - 4 * KIB, 4 * KIB),
        (MIB, MIB),
        (MIB + 256 * KIB, 256 * KIB),
        (2 * MIB, 8 * KIB),
    ] {
        let bytes = fetch(
            &fake,
            &client,
            &location,
            false,
            offset as i64,
            limit as i32,
        )
        .await
        .unwrap_or_else(|e| panic!("offset {offset} limit {limit}: {e}"));
        let end = (offset + limit).min(data.len());
        assert_eq!(bytes, data[offset..end], "offset {offset} limit {limit}");
    }
    // "The parameter offset must be divisible by 4 KB."
    for offset in [KIB as i64, 2048, 4097, -4096] {
        assert_bad_request(
            get_file(&client, &location, false, offset, 4096).await,
            "OFFSET_INVALID",
        );
    }
    // "The parameter limit must be divisible by 4 KB." "1048576 (1 MB) must
    // be divisible by limit."
    for limit in [0, -4096, KIB as i32, 1000, 12 * KIB as i32, 2 * MIB as i32] {
        assert_bad_request(
            get_file(&client, &location, false, 0, limit).await,
            "LIMIT_INVALID",
        );
    }
    // "offset / (1024 * 1024) == (offset + limit - 1) / (1024 * 1024)"
    for (offset, limit) in [(768 * KIB, 512 * KIB), (MIB - 4 * KIB, 8 * KIB)] {
        assert_bad_request(
            get_file(&client, &location, false, offset as i64, limit as i32).await,
            "LIMIT_INVALID",
        );
    }
}

#[tokio::test]
async fn precise_requests_follow_the_1_kib_and_1_mib_rules() {
    let (fake, client, _runner) = start(false).await;
    let (data, location) = big_document(&fake);
    for (offset, limit) in [
        (KIB, 3 * KIB),
        (0, MIB),
        (1023 * KIB, KIB),
        (MIB + KIB, MIB - KIB),
        (5 * KIB, 7 * KIB),
    ] {
        let bytes = fetch(&fake, &client, &location, true, offset as i64, limit as i32)
            .await
            .unwrap_or_else(|e| panic!("offset {offset} limit {limit}: {e}"));
        assert_eq!(
            bytes,
            data[offset..offset + limit],
            "offset {offset} limit {limit}"
        );
    }
    // "The parameter offset must be divisible by 1 KB."
    for offset in [512, 1025, -1024] {
        assert_bad_request(
            get_file(&client, &location, true, offset, 1024).await,
            "OFFSET_INVALID",
        );
    }
    // "The parameter limit must be divisible by 1 KB." "limit must not
    // exceed 1048576 (1 MB)."
    for limit in [0, 1000, 1536, (MIB + KIB) as i32] {
        assert_bad_request(
            get_file(&client, &location, true, 0, limit).await,
            "LIMIT_INVALID",
        );
    }
    // The 1 MiB chunk rule holds for precise requests too.
    for (offset, limit) in [(1023 * KIB, 2 * KIB), (3 * KIB, MIB)] {
        assert_bad_request(
            get_file(&client, &location, true, offset as i64, limit as i32).await,
            "LIMIT_INVALID",
        );
    }
}

#[tokio::test]
async fn reading_at_or_past_the_end_returns_a_short_or_empty_chunk() {
    let (fake, client, _runner) = start(false).await;
    let data = pattern(5000, 12);
    let file = fake.put_file(1, FileKind::Document, data.clone(), "text/plain", "e.txt");
    let location = stored_location(&file);
    assert_eq!(
        fetch(&fake, &client, &location, false, 0, MIB as i32)
            .await
            .expect("whole file"),
        data
    );
    assert_eq!(
        get_file(&client, &location, false, 4096, 4096)
            .await
            .expect("the tail"),
        data[4096..]
    );
    for (precise, offset, limit) in [
        (false, 8192, 4096),
        (true, 5120, 1024),
        (false, 1 << 30, 4096),
    ] {
        assert_eq!(
            get_file(&client, &location, precise, offset, limit)
                .await
                .expect("past the end"),
            Vec::<u8>::new(),
            "offset {offset}"
        );
    }
}

#[tokio::test]
async fn unknown_files_and_wrong_access_hashes_are_file_id_invalid() {
    let (fake, client, _runner) = start(false).await;
    let file = fake.put_file(1, FileKind::Document, vec![1u8; 100], "a/b", "f.bin");
    let reference = &file.file_reference;
    for location in [
        document_location(file.id ^ 0x5555, file.access_hash, reference),
        document_location(file.id, file.access_hash.wrapping_add(1), reference),
        // A document asked for as a photo.
        tl::types::InputPhotoFileLocation {
            id: file.id,
            access_hash: file.access_hash,
            file_reference: reference.clone(),
            thumb_size: "x".into(),
        }
        .into(),
    ] {
        assert_bad_request(
            get_file(&client, &location, false, 0, 4096).await,
            "FILE_ID_INVALID",
        );
        assert_bad_request(
            client
                .invoke(&tl::functions::upload::GetFileHashes {
                    location: location.clone(),
                    offset: 0,
                })
                .await,
            "FILE_ID_INVALID",
        );
    }
    assert_eq!(
        get_file(&client, &stored_location(&file), false, 0, 4096)
            .await
            .expect("the right location"),
        vec![1u8; 100]
    );
}

#[tokio::test]
async fn an_expired_file_reference_is_refused_and_the_new_one_works() {
    let (fake, client, _runner) = start(false).await;
    let data = pattern(10_000, 13);
    let file = fake.put_file(1, FileKind::Document, data.clone(), "a/b", "g.bin");
    let old = stored_location(&file);
    assert_eq!(
        get_file(&client, &old, false, 0, 16384)
            .await
            .expect("fresh"),
        data
    );

    let refreshed = fake
        .expire_file_reference(file.id)
        .expect("the file exists");
    assert_ne!(refreshed.file_reference, file.file_reference);
    assert_bad_request(
        get_file(&client, &old, false, 0, 16384).await,
        "FILE_REFERENCE_EXPIRED",
    );
    assert_bad_request(
        client
            .invoke(&tl::functions::upload::GetFileHashes {
                location: old.clone(),
                offset: 0,
            })
            .await,
        "FILE_REFERENCE_EXPIRED",
    );
    let new = stored_location(&refreshed);
    assert_eq!(
        get_file(&client, &new, false, 0, 16384)
            .await
            .expect("the new reference"),
        data
    );
    assert!(fake.expire_file_reference(file.id ^ 1).is_none());
}

#[tokio::test]
async fn file_hashes_are_sha256_of_fixed_parts_of_the_file() {
    let (fake, client, _runner) = start(false).await;
    let part = Limits::default().file_hash_part_size;
    let per_call = Limits::default().file_hashes_per_call;
    let data = pattern(per_call * part + 100, 14);
    let file = fake.put_file(1, FileKind::Document, data.clone(), "a/b", "h.bin");
    let location = stored_location(&file);
    let hashes = |offset: i64| {
        let location = location.clone();
        let client = client.clone();
        async move {
            client
                .invoke(&tl::functions::upload::GetFileHashes { location, offset })
                .await
                .expect("getFileHashes")
                .into_iter()
                .map(|tl::enums::FileHash::Hash(h)| h)
                .collect::<Vec<_>>()
        }
    };
    let check = |hash: &tl::types::FileHash| {
        let start = hash.offset as usize;
        let end = start + hash.limit as usize;
        assert_eq!(
            hash.hash,
            Sha256::digest(&data[start..end]).to_vec(),
            "hash of {start}..{end}"
        );
    };

    let first = hashes(0).await;
    assert_eq!(first.len(), per_call);
    // The content never repeats, so a swapped or duplicated part would show.
    let mut distinct: Vec<_> = first.iter().map(|h| h.hash.clone()).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), per_call, "every part's hash is its own");
    for (i, hash) in first.iter().enumerate() {
        assert_eq!((hash.offset, hash.limit), ((i * part) as i64, part as i32));
        check(hash);
    }
    // The rest, starting where the first answer stopped: a short last part.
    let rest = hashes((per_call * part) as i64).await;
    assert_eq!(rest.len(), 1);
    assert_eq!(
        (rest[0].offset, rest[0].limit),
        ((per_call * part) as i64, 100)
    );
    check(&rest[0]);
    // An offset inside a part starts at that part.
    let inside = hashes((part + 5) as i64).await;
    assert_eq!(inside[0].offset, part as i64);
    assert_eq!(inside.len(), per_call);
    // Past the end there is nothing to hash.
    assert!(hashes((data.len() + part) as i64).await.is_empty());
    assert_bad_request(
        client
            .invoke(&tl::functions::upload::GetFileHashes {
                location: location.clone(),
                offset: -1,
            })
            .await,
        "OFFSET_INVALID",
    );

    // What getFile serves matches the hashes.
    let chunk = get_file(&client, &location, false, 0, part as i32)
        .await
        .expect("first part");
    assert_eq!(Sha256::digest(&chunk).to_vec(), first[0].hash);
}

#[tokio::test]
async fn a_corrupted_chunk_differs_once_and_fails_its_hash() {
    let (fake, client, _runner) = start(false).await;
    let part = Limits::default().file_hash_part_size;
    let data = pattern(part, 15);
    let file = fake.put_file(1, FileKind::Document, data.clone(), "a/b", "c.bin");
    let location = stored_location(&file);
    let hashes = client
        .invoke(&tl::functions::upload::GetFileHashes {
            location: location.clone(),
            offset: 0,
        })
        .await
        .expect("getFileHashes");
    let [tl::enums::FileHash::Hash(hash)] = &hashes[..] else {
        panic!("one part, one hash: {hashes:?}");
    };

    fake.faults().corrupt_get_file(1);
    let corrupted = get_file(&client, &location, false, 0, part as i32)
        .await
        .expect("served, but wrong");
    assert_eq!(corrupted.len(), data.len());
    assert_ne!(corrupted, data);
    assert_eq!(
        corrupted.iter().zip(&data).filter(|(a, b)| a != b).count(),
        1,
        "one byte flipped"
    );
    assert_ne!(Sha256::digest(&corrupted).to_vec(), hash.hash);

    let good = get_file(&client, &location, false, 0, part as i32)
        .await
        .expect("the retry");
    assert_eq!(good, data);
    assert_eq!(Sha256::digest(&good).to_vec(), hash.hash);
    assert_eq!(
        fake.world()
            .call_count(id_of::<tl::functions::upload::GetFile>()),
        2
    );
}
