//! The profile & bootstrap commands against the fake DC, through the JSON
//! dispatcher and the typed API: success paths with their fields, every
//! validation error (exact string, nothing sent), and RPC errors passed
//! through by name.

mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use grammers_tl_types as tl;
use grammers_tl_types::Identifiable;
use serde_json::{Value, json};
use support::commands::{CommandBed, CommandChecks};
use tgcmd::commands::bootstrap::{CreateSupergroupChat, PhoneContact};
use tgcmd::commands::profile::{
    ChatFullInfo, DATABASE_UNAVAILABLE, SetBio, SetName, UNEXPECTED_REFRESH_ERROR,
};
use tgcmd::commands::profile_store::ProfileStore;
use tgcmd::commands::td::ChatType;
use tgcmd::commands::{AccountPool, Dispatcher};

const FRIEND_PHONE: &str = "15557654321";

/// A directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "tgcmd-profile-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("temp dir");
        Self(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The shared command bed, plus the account's data directory.
struct Fixture {
    bed: CommandBed,
    data: TempDir,
}

impl std::ops::Deref for Fixture {
    type Target = CommandBed;

    fn deref(&self) -> &CommandBed {
        &self.bed
    }
}

async fn fixture() -> Fixture {
    let dc = support::fake_dc().await;
    let data = TempDir::new();
    let client = support::builder(&dc)
        .data_dir(data.path().join("account"))
        .connect()
        .await
        .expect("the client connects");
    let friend = fakedc::User {
        first_name: "Friend".into(),
        last_name: "Person".into(),
        username: Some("friend_user".into()),
        phone: Some(FRIEND_PHONE.into()),
        about: Some("Friendly".into()),
        ..fakedc::User::default()
    };
    Fixture {
        bed: CommandBed::new(dc, client, friend).await,
        data,
    }
}

impl Fixture {
    fn me(&self) -> fakedc::User {
        self.dc
            .world()
            .lock()
            .users
            .get(self.dc.user_id())
            .expect("self")
            .clone()
    }

    /// Arms one `FLOOD_WAIT_30` for the method `F`.
    fn flood<F: Identifiable>(&self) {
        self.dc.faults().flood_wait(Some(F::CONSTRUCTOR_ID), 30, 1);
    }
}

// ---------------------------------------------------------------------------
// refresh_self_profile

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_self_profile_persists_the_profile() {
    let f = fixture().await;
    let me = f.dc.user_id();
    let result = f
        .ok(json!({"action": "refresh_self_profile", "userbot_id": 1}))
        .await;
    assert_eq!(result["user"]["@type"], "user");
    assert_eq!(result["user"]["id"], me);
    assert_eq!(result["user"]["first_name"], "Demo");
    assert_eq!(result["user"]["last_name"], "User");
    assert_eq!(result["user"]["phone_number"], "15550000001");
    assert_eq!(
        result["user"]["usernames"]["editable_username"],
        "demo_user"
    );
    assert_eq!(result["full_info"]["@type"], "userFullInfo");
    assert_eq!(result["full_info"]["bio"], Value::Null);
    assert_eq!(result["photo_path"], Value::Null, "no photo yet");
    let store_path = PathBuf::from(result["store_path"].as_str().expect("path"));
    assert_eq!(store_path, f.client.profile_store_path());
    assert!(store_path.starts_with(f.data.path()));

    let store = ProfileStore::open(&store_path).await.expect("store opens");
    let saved = store.load(me).await.expect("readable").expect("saved");
    assert_eq!(saved.first_name, "Demo");
    assert_eq!(saved.username.as_deref(), Some("demo_user"));
    assert_eq!(saved.phone_number, "15550000001");
    assert_eq!(saved.photo_id, None);
    assert_eq!(saved.synced_at, result["synced_at"].as_i64().expect("time"));
    let json: Value = serde_json::from_str(&saved.profile_json).expect("JSON");
    assert_eq!(json["user"]["id"], me);

    // Change the profile and refresh through the typed API: the photo is
    // downloaded into the media cache and the row is replaced.
    let photo = vec![0x5au8; 300_000];
    let stored = f.dc.set_profile_photo(me, photo.clone()).expect("photo");
    {
        let mut state = f.dc.world().lock();
        let user = state.users.get_mut(me).expect("self");
        user.about = Some("Backend engineer".into());
        user.birthday = Some(fakedc::world::Birthday {
            day: 30,
            month: 3,
            year: Some(1994),
        });
    }
    let profile = f.client.refresh_self_profile().await.expect("typed");
    let path = PathBuf::from(profile.photo_path.clone().expect("cached photo"));
    assert!(path.starts_with(f.client.media_cache_dir()));
    assert_eq!(std::fs::read(&path).expect("cached file"), photo);
    #[cfg(unix)]
    {
        assert_eq!(mode_of(&path), 0o600, "the cached photo is private");
        assert_eq!(mode_of(f.client.media_cache_dir()), 0o700);
        assert_eq!(mode_of(&store_path), 0o600, "the profile store is private");
    }
    assert_eq!(
        profile.user.profile_photo.as_ref().expect("photo").id,
        stored.id
    );
    assert_eq!(
        profile.full_info.photo.as_ref().expect("full photo").id,
        stored.id
    );
    assert_eq!(
        profile.full_info.bio.as_ref().map(|b| b.text.as_str()),
        Some("Backend engineer")
    );
    let saved = store.load(me).await.expect("readable").expect("saved");
    assert_eq!(saved.photo_id, Some(stored.id));
    assert_eq!(saved.photo_path.as_deref(), Some(path.as_path()));
    assert_eq!(saved.bio, "Backend engineer");
    assert_eq!(
        saved.birthdate.map(|b| (b.day, b.month, b.year)),
        Some((30, 3, 1994))
    );

    // A cached photo is not downloaded again.
    let get_file = tl::functions::upload::GetFile::CONSTRUCTOR_ID;
    let before = f.dc.world().call_count(get_file);
    f.client.refresh_self_profile().await.expect("again");
    assert_eq!(f.dc.world().call_count(get_file), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_self_profile_reports_an_unusable_store() {
    let dc = support::fake_dc().await;
    let data = TempDir::new();
    // The store's file name is taken by a directory: SQLite cannot open it.
    std::fs::create_dir_all(data.path().join("profile.sqlite")).expect("blocker");
    let client = support::builder(&dc)
        .data_dir(data.path())
        .connect()
        .await
        .expect("connects");
    let accounts = AccountPool::new();
    accounts.insert(1, client.clone());
    let dispatcher = Dispatcher::new(accounts);

    let before = dc.world().total_calls();
    let event = dispatcher
        .dispatch(json!({"action": "refresh_self_profile", "userbot_id": 1}))
        .await;
    assert_eq!(event.payload.kind, "refresh_self_profile_error");
    assert_eq!(event.payload.error.as_deref(), Some(DATABASE_UNAVAILABLE));
    assert_eq!(
        DATABASE_UNAVAILABLE,
        "Database connection is unavailable. Please retry self profile refresh."
    );
    let err = client.refresh_self_profile().await.expect_err("typed");
    assert_eq!(err.message(), DATABASE_UNAVAILABLE);
    assert_eq!(dc.world().total_calls(), before, "nothing was sent");

    // A data dir that is a file cannot hold the store either.
    let file = data.path().join("plain-file");
    std::fs::write(&file, b"x").expect("file");
    let client = support::builder(&dc)
        .data_dir(&file)
        .connect()
        .await
        .expect("connects");
    let err = client.refresh_self_profile().await.expect_err("typed");
    assert_eq!(err.message(), DATABASE_UNAVAILABLE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_self_profile_failures() {
    let f = fixture().await;
    // The profile names a photo the server no longer has: the download
    // fails, which is neither an RPC error of the profile reads nor the store.
    {
        let mut state = f.dc.world().lock();
        state.users.get_mut(f.dc.user_id()).expect("self").photo_id = Some(424242);
    }
    assert_eq!(
        f.error(json!({"action": "refresh_self_profile", "userbot_id": 1}))
            .await,
        UNEXPECTED_REFRESH_ERROR
    );
    assert_eq!(
        UNEXPECTED_REFRESH_ERROR,
        "Unexpected error during self profile refresh."
    );
    let err = f.client.refresh_self_profile().await.expect_err("typed");
    assert_eq!(err.message(), UNEXPECTED_REFRESH_ERROR);

    // RPC errors of the profile reads come through by name.
    f.flood::<tl::functions::users::GetFullUser>();
    assert_eq!(
        f.error(json!({"action": "refresh_self_profile", "userbot_id": 1}))
            .await,
        "FLOOD_WAIT_30"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_paths_follow_the_session_file() {
    let dc = support::fake_dc().await;
    let data = TempDir::new();
    let session = data.path().join("bot.session");
    let client = support::builder(&dc)
        .session_file(&session)
        .connect()
        .await
        .expect("connects");
    assert_eq!(
        client.profile_store_path(),
        data.path().join("bot.session.profile.sqlite")
    );
    assert_eq!(
        client.media_cache_dir(),
        data.path().join("bot.session.media")
    );
    let profile = client.refresh_self_profile().await.expect("refresh");
    assert!(Path::new(&profile.store_path).is_file());

    // In-memory sessions get a private directory of their own under the
    // temp dir, with a name that is not predictable from the process id,
    // removed with the client.
    let a = support::signed_in_client(&dc).await;
    let b = support::signed_in_client(&dc).await;
    assert!(a.profile_store_path().starts_with(std::env::temp_dir()));
    assert_ne!(a.profile_store_path(), b.profile_store_path());
    let private_dir = a
        .profile_store_path()
        .parent()
        .expect("a dir")
        .to_path_buf();
    assert!(
        !private_dir
            .to_string_lossy()
            .contains(&std::process::id().to_string()),
        "{}",
        private_dir.display()
    );
    #[cfg(unix)]
    assert_eq!(mode_of(&private_dir), 0o700);
    a.refresh_self_profile().await.expect("refresh");
    assert!(a.profile_store_path().is_file());
    drop(a);
    assert!(!private_dir.exists(), "removed with the client");
}

/// A profile store and a media cache left with loose modes by an older
/// version (or a careless umask) are tightened when a client uses them; a
/// data directory tgcmd creates is private.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loose_existing_stores_are_tightened() {
    use std::os::unix::fs::PermissionsExt;
    let dc = support::fake_dc().await;
    let data = TempDir::new();
    let fresh = data.path().join("fresh-data");
    let client = support::builder(&dc)
        .data_dir(&fresh)
        .connect()
        .await
        .expect("connects");
    client.refresh_self_profile().await.expect("refresh");
    assert_eq!(mode_of(&fresh), 0o700, "a data directory tgcmd made");
    assert_eq!(mode_of(&fresh.join("profile.sqlite")), 0o600);

    let dir = data.path().join("account-data");
    std::fs::create_dir_all(dir.join("media")).expect("dirs");
    std::fs::set_permissions(dir.join("media"), std::fs::Permissions::from_mode(0o777))
        .expect("chmod");
    let store = dir.join("profile.sqlite");
    std::fs::write(&store, b"").expect("empty store");
    std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let client = support::builder(&dc)
        .data_dir(&dir)
        .connect()
        .await
        .expect("connects");
    dc.set_profile_photo(dc.user_id(), vec![1u8; 1000])
        .expect("photo");
    let profile = client.refresh_self_profile().await.expect("refresh");
    assert_eq!(mode_of(&store), 0o600, "the profile store");
    assert_eq!(mode_of(&dir.join("media")), 0o700, "the media cache");
    let photo = profile.photo_path.expect("cached");
    assert_eq!(mode_of(Path::new(&photo)), 0o600, "the cached photo");
}

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777
}

// ---------------------------------------------------------------------------
// get_user

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_user_answers_user_and_full_info() {
    let f = fixture().await;
    {
        let mut state = f.dc.world().lock();
        state.users.get_mut(f.friend).expect("friend").birthday = Some(fakedc::world::Birthday {
            day: 1,
            month: 12,
            year: None,
        });
    }
    let result = f
        .ok(json!({"action": "get_user", "userbot_id": 1, "user_id": f.friend.to_string()}))
        .await;
    assert_eq!(result["user"]["@type"], "user");
    assert_eq!(result["user"]["id"], f.friend);
    assert_eq!(result["user"]["first_name"], "Friend");
    assert_eq!(result["user"]["phone_number"], "", "not a contact");
    assert_eq!(result["user"]["type"]["@type"], "userTypeRegular");
    let full = &result["full_info"];
    assert_eq!(full["@type"], "userFullInfo");
    assert_eq!(
        full["bio"],
        json!({"@type": "formattedText", "text": "Friendly", "entities": []})
    );
    assert_eq!(
        full["birthdate"],
        json!({"@type": "birthdate", "day": 1, "month": 12, "year": 0})
    );
    assert_eq!(full["block_list"], Value::Null);

    let typed = f.client.get_user(f.dc.user_id()).await.expect("self");
    assert_eq!(typed.user.first_name, "Demo");
    assert!(typed.full_info.bio.is_none());

    for (request, message) in [
        (
            json!({"action": "get_user", "userbot_id": 1}),
            "user_id is required",
        ),
        (
            json!({"action": "get_user", "userbot_id": 1, "user_id": null}),
            "user_id is required",
        ),
        (
            json!({"action": "get_user", "userbot_id": 1, "user_id": "abc"}),
            "user_id must be an integer",
        ),
    ] {
        f.invalid(request, message).await;
    }
    f.invalid_typed(f.client.get_user(0), "User not found")
        .await;

    // A user the session never met, whose access hash Telegram will not
    // give out for the asking.
    let stranger = f.dc.add_user(fakedc::User {
        first_name: "Stranger".into(),
        ..fakedc::User::default()
    });
    assert_eq!(
        f.error(json!({"action": "get_user", "userbot_id": 1, "user_id": stranger}))
            .await,
        "User not found"
    );
    f.flood::<tl::functions::users::GetFullUser>();
    let err = f.client.get_user(f.friend).await.expect_err("flood");
    assert_eq!(err.message(), "FLOOD_WAIT_30");
}

// ---------------------------------------------------------------------------
// set_name / set_bio

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_name_updates_the_profile() {
    let f = fixture().await;
    let result = f
        .ok(
            json!({"action": "set_name", "userbot_id": 1, "first_name": "Ihor",
                   "last_name": "Petrenko", "full_name": "Someone Else"}),
        )
        .await;
    assert_eq!(result["@type"], "user");
    assert_eq!(result["first_name"], "Ihor");
    assert_eq!(result["last_name"], "Petrenko");
    assert_eq!(f.me().first_name, "Ihor");
    assert_eq!(f.me().last_name, "Petrenko");

    // Typed: no last name keeps it, an empty one removes it.
    let me = f.client.set_name("Igor", None).await.expect("typed");
    assert_eq!(
        (me.first_name.as_str(), me.last_name.as_str()),
        ("Igor", "Petrenko")
    );
    let me = f.client.set_name("Igor", Some("")).await.expect("typed");
    assert_eq!(me.last_name, "");
    assert_eq!(f.me().last_name, "");

    for request in [
        json!({"action": "set_name", "userbot_id": 1}),
        json!({"action": "set_name", "userbot_id": 1, "last_name": "X", "full_name": "A X"}),
        json!({"action": "set_name", "userbot_id": 1, "first_name": "   "}),
        json!({"action": "set_name", "userbot_id": 1, "first_name": null}),
    ] {
        f.invalid(request, "first_name is required").await;
    }
    f.invalid_typed(f.client.set_name("", Some("X")), "first_name is required")
        .await;

    // TDLib cleans names and cuts them to 64 characters; so does set_name.
    let result = f
        .ok(json!({"action": "set_name", "userbot_id": 1,
                   "first_name": format!("  Ihor \n\n {}", "x".repeat(80)),
                   "last_name": "Pe\u{00A0}\u{00A0}trenko"}))
        .await;
    // As in TDLib, the cut comes before blanks collapse: "Ihor \n\n " is 8
    // of the 64 characters kept.
    let expected_first = format!("Ihor {}", "x".repeat(56));
    assert_eq!(result["first_name"], expected_first.as_str());
    assert_eq!(result["last_name"], "Pe trenko");
    assert_eq!(f.me().first_name, expected_first);
    // The strict variant refuses instead, with nothing sent.
    f.invalid_typed(
        async { f.client.run(SetName::strict(&"x".repeat(65), None)?).await },
        "first_name must be at most 64 characters",
    )
    .await;
    f.flood::<tl::functions::account::UpdateProfile>();
    let err = f.client.set_name("Ihor", None).await.expect_err("flood");
    assert_eq!(err.message(), "FLOOD_WAIT_30");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_bio_both_ways() {
    let f = fixture().await;
    let result = f
        .ok(json!({"action": "set_bio", "userbot_id": 1, "bio": "Backend engineer"}))
        .await;
    assert_eq!(result["id"], f.dc.user_id());
    assert_eq!(f.me().about.as_deref(), Some("Backend engineer"));
    let user = f.client.set_bio("Typed bio").await.expect("typed");
    assert_eq!(user.id, f.dc.user_id());
    assert_eq!(user.first_name, "Demo");
    assert_eq!(f.me().about.as_deref(), Some("Typed bio"));
    f.client.set_bio("").await.expect("typed clears");
    assert_eq!(f.me().about, None);
    f.invalid(
        json!({"action": "set_bio", "userbot_id": 1}),
        "bio is required",
    )
    .await;
    // Cut to the account's limit (70 without Premium), as TDLib does.
    f.ok(json!({"action": "set_bio", "userbot_id": 1, "bio": "x".repeat(71)}))
        .await;
    assert_eq!(f.me().about.as_deref(), Some("x".repeat(70).as_str()));
    // The strict variant refuses what would be cut: above the Premium limit
    // with nothing sent, above the account's own limit after reading it.
    let strict = SetBio::strict(&"x".repeat(141)).expect_err("too long for anyone");
    assert_eq!(strict.message(), "bio must be at most 140 characters");
    let update = tl::functions::account::UpdateProfile::CONSTRUCTOR_ID;
    let config = tl::functions::help::GetAppConfig::CONSTRUCTOR_ID;
    let (updates, configs) = (
        f.dc.world().call_count(update),
        f.dc.world().call_count(config),
    );
    let request = SetBio::strict(&"x".repeat(71)).expect("fits Premium");
    let error = f.client.run(request).await.expect_err("not Premium");
    assert_eq!(error.message(), "bio must be at most 70 characters");
    assert_eq!(f.dc.world().call_count(update), updates, "nothing was set");
    assert!(
        f.dc.world().call_count(config) > configs,
        "the limit was read"
    );
    assert_eq!(f.me().about.as_deref(), Some("x".repeat(70).as_str()));
}

// ---------------------------------------------------------------------------
// set_username

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_username_rules_and_outcomes() {
    let f = fixture().await;
    let result = f
        .ok(json!({"action": "set_username", "userbot_id": 1, "username": " @Ihor_P "}))
        .await;
    assert_eq!(result["@type"], "user");
    assert_eq!(result["usernames"]["editable_username"], "Ihor_P");
    assert_eq!(result["usernames"]["active_usernames"], json!(["Ihor_P"]));
    assert_eq!(f.me().username.as_deref(), Some("Ihor_P"));

    // The same name again is not an error: Telegram's USERNAME_NOT_MODIFIED
    // is answered with the current user.
    let update = tl::functions::account::UpdateUsername::CONSTRUCTOR_ID;
    let before = f.dc.world().call_count(update);
    let me = f.client.set_username("Ihor_P").await.expect("unchanged");
    assert_eq!(f.dc.world().call_count(update), before + 1, "it was sent");
    assert_eq!(
        me.usernames.map(|u| u.editable_username).as_deref(),
        Some("Ihor_P")
    );

    // "" removes it; removing it again is still fine.
    let result = f
        .ok(json!({"action": "set_username", "userbot_id": 1, "username": ""}))
        .await;
    assert_eq!(result["usernames"], Value::Null);
    assert_eq!(f.me().username, None);
    f.client.set_username("").await.expect("already none");

    let cases = [
        (json!(null), "username is required"),
        (json!("abcd"), "Username is invalid"),
        (json!("a".repeat(33)), "Username is invalid"),
        (json!("1abcde"), "Username is invalid"),
        (json!("_abcde"), "Username is invalid"),
        (json!("ab-cde"), "Username is invalid"),
        (json!("abcdé"), "Username is invalid"),
        (json!("abcde_"), "Username is invalid"),
        (json!("ab__cde"), "Username is invalid"),
    ];
    f.invalid(
        json!({"action": "set_username", "userbot_id": 1}),
        "username is required",
    )
    .await;
    for (username, message) in cases {
        f.invalid(
            json!({"action": "set_username", "userbot_id": 1, "username": username}),
            message,
        )
        .await;
    }
    f.invalid_typed(f.client.set_username("ab"), "Username is invalid")
        .await;

    // Taken by another user (case-insensitively), or by a channel.
    assert_eq!(
        f.error(json!({"action": "set_username", "userbot_id": 1, "username": "Friend_User"}))
            .await,
        "USERNAME_OCCUPIED"
    );
    f.dc.add_channel(fakedc::world::Channel {
        title: "News".into(),
        username: Some("news_channel".into()),
        broadcast: true,
        creator: f.friend,
        ..Default::default()
    });
    let err = f
        .client
        .set_username("news_channel")
        .await
        .expect_err("taken");
    assert_eq!(err.message(), "USERNAME_OCCUPIED");
    assert_eq!(f.me().username, None);
}

// ---------------------------------------------------------------------------
// set_birthdate

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_birthdate_forms() {
    let f = fixture().await;
    let birthday = |f: &Fixture| f.me().birthday.map(|b| (b.day, b.month, b.year));

    let result = f
        .ok(json!({"action": "set_birthdate", "userbot_id": 1,
                   "day": 30, "month": "3", "year": 1994}))
        .await;
    assert_eq!(
        result,
        json!({"birthdate": {"@type": "birthdate", "day": 30, "month": 3, "year": 1994}})
    );
    assert_eq!(birthday(&f), Some((30, 3, Some(1994))));

    // The object wins over separate fields; no year is fine.
    let result = f
        .ok(
            json!({"action": "set_birthdate", "userbot_id": 1, "day": 5, "month": 5,
                   "birthdate": {"@type": "birthdate", "day": 29, "month": 2}}),
        )
        .await;
    assert_eq!(result["birthdate"]["day"], 29);
    assert_eq!(result["birthdate"]["year"], 0);
    assert_eq!(birthday(&f), Some((29, 2, None)));
    let profile = f.client.get_user(f.dc.user_id()).await.expect("read back");
    assert_eq!(
        profile
            .full_info
            .birthdate
            .map(|b| (b.day, b.month, b.year)),
        Some((29, 2, 0))
    );

    // Three ways to remove it.
    for request in [
        json!({"action": "set_birthdate", "userbot_id": 1, "clear": true, "day": 1, "month": 1}),
        json!({"action": "set_birthdate", "userbot_id": 1, "birthdate": null}),
        json!({"action": "set_birthdate", "userbot_id": 1, "birthdate_provided": true}),
    ] {
        f.client.set_birthdate(1, 1, None).await.expect("typed set");
        assert_eq!(birthday(&f), Some((1, 1, None)));
        let result = f.ok(request).await;
        assert_eq!(result, json!({"birthdate": null}));
        assert_eq!(birthday(&f), None);
    }
    f.client
        .set_birthdate(2, 2, Some(2000))
        .await
        .expect("typed");
    let cleared = f.client.clear_birthdate().await.expect("typed clear");
    assert_eq!(cleared.birthdate, None);
    assert_eq!(birthday(&f), None);

    let cases = [
        (
            json!({"birthdate": 5}),
            "birthdate must be an object or null",
        ),
        (
            json!({"birthdate": "30.03"}),
            "birthdate must be an object or null",
        ),
        (
            json!({"birthdate": [30, 3]}),
            "birthdate must be an object or null",
        ),
        (json!({}), "day is required"),
        (json!({"month": 3}), "day is required"),
        (json!({"birthdate": {"month": 3}}), "day is required"),
        (json!({"day": 30}), "month is required"),
        (
            json!({"birthdate": {"day": 30, "month": null}}),
            "month is required",
        ),
        (json!({"day": 0, "month": 3}), "day must be in range 1..31"),
        (json!({"day": 32, "month": 3}), "day must be in range 1..31"),
        (
            json!({"day": 1, "month": 0}),
            "month must be in range 1..12",
        ),
        (
            json!({"birthdate": {"day": 1, "month": 13}}),
            "month must be in range 1..12",
        ),
        (
            json!({"day": 1, "month": 1, "year": -1}),
            "year must be >= 0",
        ),
        (json!({"day": "x", "month": 1}), "day must be an integer"),
    ];
    for (fields, message) in cases {
        let mut request = json!({"action": "set_birthdate", "userbot_id": 1});
        for (key, value) in fields.as_object().expect("object") {
            request[key] = value.clone();
        }
        f.invalid(request, message).await;
    }
    f.invalid_typed(
        f.client.set_birthdate(31, 13, None),
        "month must be in range 1..12",
    )
    .await;
    for (day, month, year, message) in [
        (0, 5, None, "day must be in range 1..31"),
        (32, 5, None, "day must be in range 1..31"),
        (1, 0, None, "month must be in range 1..12"),
        (1, 5, Some(-1), "year must be >= 0"),
    ] {
        f.invalid_typed(f.client.set_birthdate(day, month, year), message)
            .await;
    }

    // Dates Telegram refuses: 31 April, an age over 150 years.
    assert_eq!(
        f.error(json!({"action": "set_birthdate", "userbot_id": 1, "day": 31, "month": 4}))
            .await,
        "BIRTHDAY_INVALID"
    );
    let err = f
        .client
        .set_birthdate(1, 1, Some(1800))
        .await
        .expect_err("too old");
    assert_eq!(err.message(), "BIRTHDAY_INVALID");
}

// ---------------------------------------------------------------------------
// get_chat_profile

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_chat_profile_by_kind() {
    let f = fixture().await;
    let me = f.dc.user_id();

    // A private chat.
    let result = f
        .ok(json!({"action": "get_chat_profile", "userbot_id": 1, "chat_id": f.friend}))
        .await;
    assert_eq!(result["chat"]["@type"], "chat");
    assert_eq!(result["chat"]["id"], f.friend);
    assert_eq!(
        result["chat"]["type"],
        json!({"@type": "chatTypePrivate", "user_id": f.friend})
    );
    assert_eq!(result["chat"]["title"], "Friend Person");
    assert_eq!(result["user"]["id"], f.friend);
    assert_eq!(result["full_info"]["@type"], "userFullInfo");
    assert_eq!(result["full_info"]["bio"]["text"], "Friendly");
    assert!(result.get("supergroup").is_none());

    // A basic group the account is in.
    let group = f.dc.add_basic_group(fakedc::world::BasicGroup {
        title: "Family".into(),
        about: "Just us".into(),
        creator: f.friend,
        members: vec![fakedc::world::GroupMember {
            user_id: me,
            inviter_id: f.friend,
            date: 1_700_000_000,
            admin: false,
        }],
        ..Default::default()
    });
    let result = f
        .ok(json!({"action": "get_chat_profile", "userbot_id": 1, "chat_id": -group}))
        .await;
    assert_eq!(result["chat"]["id"], -group);
    assert_eq!(
        result["chat"]["type"],
        json!({"@type": "chatTypeBasicGroup", "basic_group_id": group})
    );
    assert_eq!(result["chat"]["title"], "Family");
    assert_eq!(result["basic_group"]["@type"], "basicGroup");
    assert_eq!(result["basic_group"]["member_count"], 2);
    assert_eq!(
        result["basic_group"]["status"]["@type"],
        "chatMemberStatusMember"
    );
    let full = &result["full_info"];
    assert_eq!(full["@type"], "basicGroupFullInfo");
    assert_eq!(full["description"], "Just us");
    assert_eq!(full["creator_user_id"], f.friend);
    assert_eq!(full["members"].as_array().map(Vec::len), Some(2));
    assert_eq!(full["members"][1]["member_id"]["user_id"], me);
    assert_eq!(full["members"][1]["inviter_user_id"], f.friend);

    // A public channel, met through search_user (which caches its hash).
    let channel = f.dc.add_channel(fakedc::world::Channel {
        title: "Product News".into(),
        about: "Releases".into(),
        username: Some("product_news".into()),
        broadcast: true,
        creator: f.friend,
        ..Default::default()
    });
    let chat_id = -1_000_000_000_000 - channel;
    f.client.search_user("product_news").await.expect("resolve");
    let profile = f.client.get_chat_profile(chat_id).await.expect("typed");
    assert_eq!(profile.chat.id, chat_id);
    assert_eq!(
        profile.chat.chat_type,
        ChatType::Supergroup {
            supergroup_id: channel,
            is_channel: true
        }
    );
    let supergroup = profile.supergroup.as_ref().expect("basic info");
    assert!(supergroup.is_channel);
    assert_eq!(
        supergroup
            .usernames
            .as_ref()
            .map(|u| u.editable_username.as_str()),
        Some("product_news")
    );
    let ChatFullInfo::Supergroup(full) = &profile.full_info else {
        panic!("expected supergroupFullInfo, got {:?}", profile.full_info);
    };
    assert_eq!(full.description, "Releases");
    assert_eq!(full.member_count, 1);
    assert!(
        !full.can_get_members,
        "a broadcast's members are for admins"
    );
    let json = f
        .ok(json!({"action": "get_chat_profile", "userbot_id": 1, "chat_id": chat_id.to_string()}))
        .await;
    assert_eq!(json["full_info"]["@type"], "supergroupFullInfo");
    assert_eq!(json["supergroup"]["@type"], "supergroup");
    assert_eq!(
        json["supergroup"]["status"]["@type"],
        "chatMemberStatusLeft"
    );

    for (request, message) in [
        (
            json!({"action": "get_chat_profile", "userbot_id": 1}),
            "chat_id is required",
        ),
        (
            json!({"action": "get_chat_profile", "userbot_id": 1, "chat_id": true}),
            "chat_id must be an integer",
        ),
        (
            json!({"action": "get_chat_profile", "userbot_id": 1, "chat_id": 0}),
            "chat_id is invalid",
        ),
        (
            // A channel the session never met: no access hash to send.
            json!({"action": "get_chat_profile", "userbot_id": 1, "chat_id": -1_000_000_000_000i64 - 777}),
            "Chat not found",
        ),
    ] {
        f.invalid(request, message).await;
    }
    f.invalid_typed(f.client.get_chat_profile(0), "chat_id is invalid")
        .await;

    // Telegram's errors: a group the account is not in, a private channel.
    let other = f.dc.add_basic_group(fakedc::world::BasicGroup {
        title: "Not mine".into(),
        creator: f.friend,
        ..Default::default()
    });
    assert_eq!(
        f.error(json!({"action": "get_chat_profile", "userbot_id": 1, "chat_id": -other}))
            .await,
        "CHAT_ID_INVALID"
    );
    let private = f.dc.add_channel(fakedc::world::Channel {
        title: "Secret".into(),
        creator: f.friend,
        ..Default::default()
    });
    let seen = {
        let state = f.dc.world().lock();
        state
            .chats
            .channel(private)
            .expect("channel")
            .to_tl(f.dc.world(), me)
    };
    f.client.remember_chats(&[seen]).await.expect("cache");
    let err = f
        .client
        .get_chat_profile(-1_000_000_000_000 - private)
        .await
        .expect_err("private");
    assert_eq!(err.message(), "CHANNEL_PRIVATE");
}

// ---------------------------------------------------------------------------
// search_user

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_user_resolves_public_chats() {
    let f = fixture().await;
    let result = f
        .ok(json!({"action": "search_user", "userbot_id": 1, "query": " @FRIEND_USER "}))
        .await;
    assert_eq!(result["@type"], "chat");
    assert_eq!(result["id"], f.friend);
    assert_eq!(
        result["type"],
        json!({"@type": "chatTypePrivate", "user_id": f.friend})
    );
    assert_eq!(result["title"], "Friend Person");

    // Despite the name, any public chat: here a supergroup.
    let group = f.dc.add_channel(fakedc::world::Channel {
        title: "Invoices".into(),
        username: Some("invoice_team".into()),
        creator: f.friend,
        ..Default::default()
    });
    let chat = f.client.search_user("Invoice.Team").await;
    // Dots are dropped, so "Invoice.Team" is "invoiceteam": not that group.
    assert_eq!(
        chat.expect_err("no such name").message(),
        "USERNAME_NOT_OCCUPIED"
    );
    let chat = f.client.search_user("@invoice_team").await.expect("typed");
    assert_eq!(chat.id, -1_000_000_000_000 - group);
    assert_eq!(
        chat.chat_type,
        ChatType::Supergroup {
            supergroup_id: group,
            is_channel: false
        }
    );
    assert_eq!(chat.title, "Invoices");

    for query in [
        json!(null),
        json!(""),
        json!("  "),
        json!("@"),
        json!(".@."),
    ] {
        f.invalid(
            json!({"action": "search_user", "userbot_id": 1, "query": query}),
            "query is required",
        )
        .await;
    }
    f.invalid(
        json!({"action": "search_user", "userbot_id": 1}),
        "query is required",
    )
    .await;
    f.invalid_typed(f.client.search_user("@"), "query is required")
        .await;
    assert_eq!(
        f.error(json!({"action": "search_user", "userbot_id": 1, "query": "nobody_here"}))
            .await,
        "USERNAME_NOT_OCCUPIED"
    );
    assert_eq!(
        f.error(json!({"action": "search_user", "userbot_id": 1, "query": "bad-name!"}))
            .await,
        "USERNAME_INVALID"
    );
}

// ---------------------------------------------------------------------------
// create_private_chat

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_private_chat_resolves_or_forces() {
    let f = fixture().await;
    let result = f
        .ok(json!({"action": "create_private_chat", "userbot_id": 1, "user_id": f.friend}))
        .await;
    assert_eq!(result["@type"], "chat");
    assert_eq!(result["id"], f.friend);
    assert_eq!(
        result["type"],
        json!({"@type": "chatTypePrivate", "user_id": f.friend})
    );
    assert_eq!(result["title"], "Friend Person");
    assert_eq!(result["permissions"]["can_send_basic_messages"], true);

    // Typed, without force: the server is asked.
    let get_users = tl::functions::users::GetUsers::CONSTRUCTOR_ID;
    let asked = f.dc.world().call_count(get_users);
    let chat = f
        .client
        .create_private_chat(f.friend, false)
        .await
        .expect("typed");
    assert_eq!(chat.id, f.friend);
    assert_eq!(chat.title, "Friend Person");
    assert_eq!(f.dc.world().call_count(get_users), asked + 1);

    // force: nothing is sent; what the client knows fills the chat in.
    let before = f.dc.world().total_calls();
    let known = f
        .client
        .create_private_chat(f.friend, true)
        .await
        .expect("force");
    assert_eq!(known.title, "Friend Person");
    assert_eq!(f.dc.world().total_calls(), before, "force sends nothing");
    // A user the client never met: TDLib's `Chat info not found`.
    f.invalid(
        json!({"action": "create_private_chat", "userbot_id": 1,
               "user_id": "987654321", "force": true}),
        "Chat info not found",
    )
    .await;

    // Without force, a user Telegram does not know is refused.
    let err = f
        .client
        .create_private_chat(987654321, false)
        .await
        .expect_err("unknown");
    assert_eq!(err.message(), "User not found");

    for (request, message) in [
        (
            json!({"action": "create_private_chat", "userbot_id": 1}),
            "user_id is required",
        ),
        (
            json!({"action": "create_private_chat", "userbot_id": 1, "user_id": null, "force": true}),
            "user_id is required",
        ),
        (
            json!({"action": "create_private_chat", "userbot_id": 1, "user_id": [1]}),
            "user_id must be an integer",
        ),
        (
            json!({"action": "create_private_chat", "userbot_id": 1, "user_id": -5, "force": true}),
            "User not found",
        ),
    ] {
        f.invalid(request, message).await;
    }
    f.invalid_typed(f.client.create_private_chat(0, true), "User not found")
        .await;

    f.flood::<tl::functions::users::GetUsers>();
    assert_eq!(
        f.error(json!({"action": "create_private_chat", "userbot_id": 1, "user_id": f.friend}))
            .await,
        "FLOOD_WAIT_30"
    );
}

// ---------------------------------------------------------------------------
// create_supergroup_chat

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_supergroup_chat_makes_groups_and_channels() {
    let f = fixture().await;
    let me = f.dc.user_id();
    let result = f
        .ok(json!({"action": "create_supergroup_chat", "userbot_id": 1,
                   "title": "Product Team", "description": "Internal coordination chat"}))
        .await;
    assert_eq!(result["@type"], "chat");
    assert_eq!(result["title"], "Product Team");
    assert_eq!(result["type"]["@type"], "chatTypeSupergroup");
    assert_eq!(result["type"]["is_channel"], false);
    let supergroup_id = result["type"]["supergroup_id"].as_i64().expect("id");
    assert_eq!(result["id"], -1_000_000_000_000 - supergroup_id);
    {
        let state = f.dc.world().lock();
        let channel = state.chats.channel(supergroup_id).expect("created");
        assert!(!channel.broadcast);
        assert_eq!(channel.creator, me);
        assert_eq!(channel.about, "Internal coordination chat");
    }
    // The access hash was remembered: its full info is one call away.
    let profile = f
        .client
        .get_chat_profile(result["id"].as_i64().expect("id"))
        .await
        .expect("cached");
    let ChatFullInfo::Supergroup(full) = profile.full_info else {
        panic!("expected a supergroup");
    };
    assert_eq!(full.description, "Internal coordination chat");
    assert!(full.can_get_members);
    assert!(matches!(
        profile.supergroup.expect("basic").status,
        tgcmd::commands::td::ChatMemberStatus::Creator { .. }
    ));

    let channel = f
        .client
        .create_supergroup_chat("Announcements", true, None)
        .await
        .expect("typed");
    let ChatType::Supergroup {
        supergroup_id,
        is_channel,
    } = channel.chat_type
    else {
        panic!("expected a supergroup chat");
    };
    assert!(is_channel);
    assert!(
        f.dc.world()
            .lock()
            .chats
            .channel(supergroup_id)
            .expect("created")
            .broadcast
    );

    let title_129 = "t".repeat(129);
    let about_256 = "a".repeat(256);
    for (request, message) in [
        (
            json!({"action": "create_supergroup_chat", "userbot_id": 1}),
            "title is required",
        ),
        (
            json!({"action": "create_supergroup_chat", "userbot_id": 1, "title": "   ", "is_channel": true}),
            "title is required",
        ),
        (
            json!({"action": "create_supergroup_chat", "userbot_id": 1, "title": "T", "description": 7}),
            "description must be a string",
        ),
    ] {
        f.invalid(request, message).await;
    }
    f.invalid_typed(
        f.client.create_supergroup_chat("", false, None),
        "title is required",
    )
    .await;
    // TDLib cuts an overlong title to 128 characters and the description
    // to 255; the strict variant refuses them with nothing sent.
    let cut = f
        .ok(json!({"action": "create_supergroup_chat", "userbot_id": 1,
                   "title": title_129, "description": about_256}))
        .await;
    assert_eq!(cut["title"], "t".repeat(128).as_str());
    let cut_id = cut["type"]["supergroup_id"]
        .as_i64()
        .expect("supergroup id");
    let about =
        f.dc.world()
            .lock()
            .chats
            .channel(cut_id)
            .expect("created")
            .about
            .clone();
    assert_eq!(about, "a".repeat(255));
    for (title, description, message) in [
        (
            "t".repeat(129),
            String::new(),
            "title must be at most 128 characters",
        ),
        (
            "T".to_string(),
            "a".repeat(256),
            "description must be at most 255 characters",
        ),
    ] {
        let error =
            CreateSupergroupChat::strict(&title, false, &description).expect_err("too long");
        assert_eq!(error.message(), message);
        assert!(error.is_invalid());
    }
    // 128 characters is fine.
    f.client
        .create_supergroup_chat(&"t".repeat(128), false, Some(&"a".repeat(255)))
        .await
        .expect("at the limits");

    // Telegram's limit on channels one account may be in.
    for n in 0..500 {
        f.dc.add_channel(fakedc::world::Channel {
            title: format!("Filler {n}"),
            creator: me,
            ..Default::default()
        });
    }
    assert_eq!(
        f.error(json!({"action": "create_supergroup_chat", "userbot_id": 1, "title": "One more"}))
            .await,
        "CHANNELS_TOO_MUCH"
    );
}

// ---------------------------------------------------------------------------
// import_contacts

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_contacts_finds_users_by_phone() {
    let f = fixture().await;
    let me = f.dc.user_id();
    let result = f
        .ok(json!({"action": "import_contacts", "userbot_id": 1,
                   "phone": "+1 555 765-4321", "first_name": "Friend", "last_name": "P",
                   "vcard": "BEGIN:VCARD\nEND:VCARD", "contact_user_id": f.friend.to_string()}))
        .await;
    assert_eq!(
        result,
        json!({"@type": "importedContacts", "user_ids": [f.friend], "importer_count": [0]})
    );
    assert!(
        f.dc.world()
            .lock()
            .users
            .get(f.friend)
            .expect("friend")
            .contact_of
            .contains(&me)
    );
    // A contact's phone number is visible now.
    let profile = f.client.get_user(f.friend).await.expect("friend");
    assert_eq!(profile.user.phone_number, FRIEND_PHONE);
    assert!(profile.user.is_contact);

    // Several at once through the typed API, in order.
    let result = f
        .client
        .import_contacts(&[
            PhoneContact {
                phone: "+15550009999".into(),
                first_name: "Nobody".into(),
                ..PhoneContact::default()
            },
            PhoneContact {
                phone: format!("+{FRIEND_PHONE}"),
                first_name: "Friend".into(),
                ..PhoneContact::default()
            },
        ])
        .await
        .expect("typed");
    assert_eq!(result.user_ids, vec![0, f.friend]);
    assert_eq!(result.importer_count, vec![1, 0]);

    // When Telegram asks to retry later, the number is not imported now.
    f.dc.world()
        .lock()
        .extensions
        .get_mut::<fakedc::services::ContactImports>()
        .unknown_phone_quota = Some(1);
    let result = f
        .ok(json!({"action": "import_contacts", "userbot_id": 1, "phone": "+15550008888"}))
        .await;
    assert_eq!(result["user_ids"], json!([0]));
    assert_eq!(result["importer_count"], json!([0]));

    for (request, message) in [
        (
            json!({"action": "import_contacts", "userbot_id": 1, "first_name": "X"}),
            "phone is required",
        ),
        (
            json!({"action": "import_contacts", "userbot_id": 1, "phone": ""}),
            "phone is required",
        ),
        (
            json!({"action": "import_contacts", "userbot_id": 1, "phone": "   "}),
            "phone is required",
        ),
        (
            json!({"action": "import_contacts", "userbot_id": 1, "phone": "+1555", "contact_user_id": "x"}),
            "contact_user_id must be an integer",
        ),
    ] {
        f.invalid(request, message).await;
    }
    f.invalid_typed(
        f.client.import_contacts(&[PhoneContact::default()]),
        "phone is required",
    )
    .await;
    let empty = f.client.import_contacts(&[]).await.expect("nothing to do");
    assert!(empty.user_ids.is_empty());

    f.flood::<tl::functions::contacts::ImportContacts>();
    assert_eq!(
        f.error(json!({"action": "import_contacts", "userbot_id": 1, "phone": "+15551234567"}))
            .await,
        "FLOOD_WAIT_30"
    );
}
