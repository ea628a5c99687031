//! Fuzzing the `td::*::from_tl` conversions (and the library's own
//! `User`, `Document` and `Photo`) over TL values a server could send.
//!
//! Seeds are real answers of the fake DC (users with photos, usernames and
//! birthdays, full user, supergroup and basic group infos, sessions),
//! serialized. Each case mutates a seed's bytes the way a broken or hostile
//! server would: extreme integers written over aligned words (i32/i64
//! MIN/MAX, 0, -1, which is where overflow lives), flipped bits, truncation,
//! inserted junk. What still parses as TL is converted and serialized to
//! JSON; nothing may panic (in debug builds, so overflow counts too).
//!
//! CI runs 512 cases (a few seconds). A long run:
//!
//! ```sh
//! TGCMD_FUZZ_RANDOM=1 TGCMD_FUZZ_CASES=200000 cargo test --release --test fuzz_td_conversions
//! ```
//!
//! (release builds drop the overflow checks; for those, run the long run in
//! debug: `TGCMD_FUZZ_CASES=50000 cargo test --test fuzz_td_conversions`.)

mod support;

use grammers_tl_types::{self as tl, Deserializable, Serializable};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use tgcmd::td;

/// Which TL type a seed holds, so mutated bytes are read back as that type.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Users,
    Chats,
    UserFull,
    ChatFull,
    Authorizations,
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Writes an extreme value over the aligned 4-byte word at this index.
    Word(prop::sample::Index, i32),
    /// Writes an extreme value over the aligned 8-byte word at this index.
    Long(prop::sample::Index, i64),
    FlipBit(prop::sample::Index, u8),
    Truncate(prop::sample::Index),
    Insert(prop::sample::Index, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let extreme32 = prop_oneof![
        Just(i32::MIN),
        Just(i32::MAX),
        Just(0),
        Just(-1),
        Just(i32::MIN + 1),
        any::<i32>(),
    ];
    let extreme64 = prop_oneof![
        Just(i64::MIN),
        Just(i64::MAX),
        Just(0),
        Just(-1),
        Just(-1_000_000_000_000),
        any::<i64>(),
    ];
    prop_oneof![
        4 => (any::<prop::sample::Index>(), extreme32).prop_map(|(i, v)| Mutation::Word(i, v)),
        4 => (any::<prop::sample::Index>(), extreme64).prop_map(|(i, v)| Mutation::Long(i, v)),
        2 => (any::<prop::sample::Index>(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        1 => any::<prop::sample::Index>().prop_map(Mutation::Truncate),
        1 => (any::<prop::sample::Index>(), prop::collection::vec(any::<u8>(), 1..12))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    if bytes.len() < 8 {
        return;
    }
    match mutation {
        Mutation::Word(at, value) => {
            let start = at.index(bytes.len() / 4) * 4;
            bytes[start..start + 4].copy_from_slice(&value.to_le_bytes());
        }
        Mutation::Long(at, value) => {
            let start = at.index(bytes.len() / 4 - 1) * 4;
            bytes[start..start + 8].copy_from_slice(&value.to_le_bytes());
        }
        Mutation::FlipBit(at, bit) => {
            let i = at.index(bytes.len());
            bytes[i] ^= 1 << bit;
        }
        Mutation::Truncate(at) => bytes.truncate(at.index(bytes.len())),
        Mutation::Insert(at, junk) => {
            let i = at.index(bytes.len());
            bytes.splice(i..i, junk.iter().copied());
        }
    }
}

/// Converts whatever parses, the way the commands do, and serializes the
/// td_api results. Returns whether the bytes parsed at all.
fn convert(kind: Kind, bytes: &[u8]) -> Result<bool, TestCaseError> {
    let json = |value: serde_json::Result<serde_json::Value>| {
        value
            .map(drop)
            .map_err(|e| TestCaseError::fail(e.to_string()))
    };
    match kind {
        Kind::Users => {
            let Ok(users) = Vec::<tl::enums::User>::from_bytes(bytes) else {
                return Ok(false);
            };
            for user in &users {
                if let Some(user) = td::User::from_tl(user) {
                    json(serde_json::to_value(&user))?;
                }
                let _ = tgcmd::User::from_tl(user);
            }
        }
        Kind::Chats => {
            let Ok(chats) = Vec::<tl::enums::Chat>::from_bytes(bytes) else {
                return Ok(false);
            };
            for chat in &chats {
                if let Some(converted) = td::Chat::from_tl(chat) {
                    json(serde_json::to_value(&converted))?;
                }
                match chat {
                    tl::enums::Chat::Channel(channel) => {
                        json(serde_json::to_value(td::Supergroup::from_tl(channel)))?;
                    }
                    tl::enums::Chat::Chat(group) => {
                        json(serde_json::to_value(td::BasicGroup::from_tl(group)))?;
                    }
                    _ => {}
                }
            }
        }
        Kind::UserFull => {
            let Ok(tl::enums::users::UserFull::Full(full)) =
                tl::enums::users::UserFull::from_bytes(bytes)
            else {
                return Ok(false);
            };
            json(serde_json::to_value(td::UserFullInfo::from_tl(
                &full.full_user,
            )))?;
            for user in &full.users {
                if let Some(user) = td::User::from_tl(user) {
                    json(serde_json::to_value(&user))?;
                }
            }
            let tl::enums::UserFull::Full(inner) = &full.full_user;
            for photo in [
                &inner.profile_photo,
                &inner.personal_photo,
                &inner.fallback_photo,
            ]
            .into_iter()
            .flatten()
            {
                if let Some(photo) = td::ChatPhoto::from_tl(photo) {
                    json(serde_json::to_value(&photo))?;
                }
                let _ = tgcmd::media::Photo::from_tl(photo);
            }
        }
        Kind::ChatFull => {
            let Ok(tl::enums::messages::ChatFull::Full(full)) =
                tl::enums::messages::ChatFull::from_bytes(bytes)
            else {
                return Ok(false);
            };
            match &full.full_chat {
                tl::enums::ChatFull::ChannelFull(f) => {
                    json(serde_json::to_value(td::SupergroupFullInfo::from_tl(f)))?;
                }
                tl::enums::ChatFull::Full(f) => {
                    json(serde_json::to_value(td::BasicGroupFullInfo::from_tl(f)))?;
                }
                tl::enums::ChatFull::CommunityFull(_) => {}
            }
            for chat in &full.chats {
                if let Some(chat) = td::Chat::from_tl(chat) {
                    json(serde_json::to_value(&chat))?;
                }
            }
        }
        Kind::Authorizations => {
            let Ok(tl::enums::account::Authorizations::Authorizations(all)) =
                tl::enums::account::Authorizations::from_bytes(bytes)
            else {
                return Ok(false);
            };
            for auth in &all.authorizations {
                json(serde_json::to_value(td::Session::from_tl(auth)))?;
            }
        }
    }
    Ok(true)
}

/// Real answers of the fake DC, serialized.
fn seeds() -> Vec<(Kind, Vec<u8>)> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let dc = support::fake_dc().await;
        let client = support::signed_in_client(&dc).await;
        let me = dc.user_id();
        let friend = dc.add_user(fakedc::User {
            first_name: "Friend".into(),
            last_name: "Of Mine".into(),
            username: Some("friend_user".into()),
            phone: Some("15557654321".into()),
            about: Some("bio".into()),
            birthday: Some(fakedc::world::Birthday {
                day: 29,
                month: 2,
                year: Some(1996),
            }),
            ..fakedc::User::default()
        });
        dc.set_profile_photo(me, vec![7u8; 5000]).expect("photo");
        dc.set_profile_photo(friend, vec![8u8; 5000])
            .expect("photo");
        let channel = dc.add_channel(fakedc::world::Channel {
            title: "Supergroup".into(),
            about: "about it".into(),
            username: Some("a_supergroup".into()),
            creator: me,
            members: [me, friend].into(),
            ..fakedc::world::Channel::default()
        });
        let group = dc.add_basic_group(fakedc::world::BasicGroup {
            title: "Group".into(),
            creator: me,
            members: vec![fakedc::world::GroupMember {
                user_id: friend,
                inviter_id: me,
                date: 1,
                admin: true,
            }],
            ..fakedc::world::BasicGroup::default()
        });
        let (users, chats) = {
            let state = dc.world().lock();
            let users: Vec<tl::enums::User> = [me, friend]
                .iter()
                .map(|&id| state.users.get(id).expect("user").to_tl(dc.world(), me))
                .collect();
            let chats: Vec<tl::enums::Chat> = vec![
                state
                    .chats
                    .channel(channel)
                    .expect("channel")
                    .to_tl(dc.world(), me),
                state
                    .chats
                    .group(group)
                    .expect("group")
                    .to_tl(dc.world(), me),
            ];
            (users, chats)
        };
        let friend_hash = match &users[1] {
            tl::enums::User::User(u) => u.access_hash.unwrap_or(0),
            tl::enums::User::Empty(_) => 0,
        };
        let channel_hash = match &chats[0] {
            tl::enums::Chat::Channel(c) => c.access_hash.unwrap_or(0),
            _ => 0,
        };
        let mut seeds = vec![
            (Kind::Users, users.to_bytes()),
            (Kind::Chats, chats.to_bytes()),
        ];
        for input in [
            tl::enums::InputUser::UserSelf,
            tl::types::InputUser {
                user_id: friend,
                access_hash: friend_hash,
            }
            .into(),
        ] {
            let full = client
                .invoke(&tl::functions::users::GetFullUser { id: input })
                .await
                .expect("full user");
            seeds.push((Kind::UserFull, full.to_bytes()));
        }
        let channel_full = client
            .invoke(&tl::functions::channels::GetFullChannel {
                channel: tl::types::InputChannel {
                    channel_id: channel,
                    access_hash: channel_hash,
                }
                .into(),
            })
            .await
            .expect("full channel");
        seeds.push((Kind::ChatFull, channel_full.to_bytes()));
        let group_full = client
            .invoke(&tl::functions::messages::GetFullChat { chat_id: group })
            .await
            .expect("full chat");
        seeds.push((Kind::ChatFull, group_full.to_bytes()));
        let sessions = client
            .invoke(&tl::functions::account::GetAuthorizations {})
            .await
            .expect("sessions");
        seeds.push((Kind::Authorizations, sessions.to_bytes()));
        seeds
    })
}

#[test]
fn conversions_survive_mutated_server_answers() {
    let seeds = seeds();
    // Every seed parses and converts as it is: the fuzzing starts from
    // values that reach the conversions.
    for (kind, bytes) in &seeds {
        assert!(
            convert(*kind, bytes).expect("converts"),
            "{kind:?} seed parses"
        );
    }
    let cases = std::env::var("TGCMD_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(512);
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    // CI runs one fixed sequence of cases, so a red run is reproducible
    // and the parse-rate floor below is not a coin toss;
    // `TGCMD_FUZZ_RANDOM=1` draws fresh cases for long runs.
    let mut runner = if std::env::var_os("TGCMD_FUZZ_RANDOM").is_some() {
        TestRunner::new(config)
    } else {
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
    };
    let parsed = std::sync::atomic::AtomicU32::new(0);
    let strategy = (
        any::<prop::sample::Index>(),
        prop::collection::vec(mutation(), 1..4),
    );
    let result = runner.run(&strategy, |(seed, mutations)| {
        let (kind, bytes) = &seeds[seed.index(seeds.len())];
        let mut bytes = bytes.clone();
        for mutation in &mutations {
            apply(&mut bytes, mutation);
        }
        if convert(*kind, &bytes)? {
            parsed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // Many mutations keep the TL readable (an integer field changed), so
    // the conversions really ran on extreme values. About a quarter parse
    // (a word written over a constructor id or a vector length does not);
    // the floor of an eighth only catches a fuzzer that stopped reaching
    // the conversions at all.
    let parsed = parsed.into_inner();
    assert!(
        parsed * 8 >= cases,
        "only {parsed} of {cases} mutated answers still parsed"
    );
}
