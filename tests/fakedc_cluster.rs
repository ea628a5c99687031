//! fakedc as a cluster: files live on one DC and other DCs answer
//! `FILE_MIGRATE_X`; keys are per DC and start unauthorised away from home,
//! so clients carry their authorization over with `auth.exportAuthorization`
//! / `auth.importAuthorization`; `help.getConfig` names only the cluster's
//! loopback listeners; and a restart keeps the world and the ports.

#[path = "support/grammers.rs"]
mod grammers_support;
#[path = "support/raw_mtproto.rs"]
mod raw;
#[path = "support/rpc.rs"]
mod rpc;

use std::net::{IpAddr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::sync::Arc;

use fakedc::{Config, FakeDc, FileKind};
use grammers_client::Client;
use grammers_client::media::Document;
use grammers_client::session::Session;
use grammers_client::session::storages::MemorySession;
use grammers_client::session::types::DcOption;
use grammers_client::tl;
use grammers_support::{client_for, key_id, signed_in_client, signed_in_user};
use raw::{Framing, RawConnection};
use rpc::{
    assert_bad_request, assert_rpc_error, download_all, get_file, get_file_in_dc, id_of, md5_hex,
    pattern, save_small_file, stored_location, upload_media,
};

async fn start() -> FakeDc {
    FakeDc::start(Config::default())
        .await
        .expect("fake DC starts")
}

async fn export_to(client: &Client, dc_id: i32) -> tl::types::auth::ExportedAuthorization {
    let tl::enums::auth::ExportedAuthorization::Authorization(exported) = client
        .invoke(&tl::functions::auth::ExportAuthorization { dc_id })
        .await
        .expect("exportAuthorization");
    exported
}

#[tokio::test]
async fn a_file_stored_on_another_dc_answers_file_migrate() {
    let fake = start().await;
    let (client, _runner) = signed_in_client(&fake).await;
    let on_dc2 = fake.put_file(2, FileKind::Document, pattern(5000, 1), "a/b", "two.bin");
    let location = stored_location(&on_dc2);

    // "FILE_MIGRATE_X: The file is in the datacenter No. X"
    assert_rpc_error(
        get_file(&client, &location, false, 0, 4096).await,
        303,
        "FILE_MIGRATE",
        Some(2),
    );
    assert_rpc_error(
        client
            .invoke(&tl::functions::upload::GetFileHashes {
                location: location.clone(),
                offset: 0,
            })
            .await,
        303,
        "FILE_MIGRATE",
        Some(2),
    );
}

#[tokio::test]
async fn export_and_import_authorization_signs_the_other_dc_in() {
    let fake = start().await;
    let dc2_key = fake.dc(2).expect("DC 2").auth_key;
    let (client, _runner) = signed_in_client(&fake).await;
    let data = pattern(70_000, 2);
    let on_dc2 = fake.put_file(2, FileKind::Document, data.clone(), "a/b", "two.bin");
    let location = stored_location(&on_dc2);

    // The pre-shared DC 2 key is not signed in yet.
    assert_eq!(signed_in_user(&fake, &dc2_key), None);
    assert_rpc_error(
        get_file_in_dc(&client, Some(2), &location, false, 0, 128 * 1024).await,
        401,
        "AUTH_KEY_UNREGISTERED",
        None,
    );
    // An unauthorised key cannot export either.
    assert_rpc_error(
        client
            .invoke_in_dc(2, &tl::functions::auth::ExportAuthorization { dc_id: 1 })
            .await,
        401,
        "AUTH_KEY_UNREGISTERED",
        None,
    );

    let exported = export_to(&client, 2).await;
    assert_eq!(exported.bytes.len(), 128);
    // Wrong bytes, or the right ones on the wrong DC, are refused.
    let mut tampered = exported.bytes.clone();
    tampered[0] ^= 1;
    assert_bad_request(
        client
            .invoke_in_dc(
                2,
                &tl::functions::auth::ImportAuthorization {
                    id: exported.id,
                    bytes: tampered,
                },
            )
            .await,
        "AUTH_BYTES_INVALID",
    );
    assert_bad_request(
        client
            .invoke_in_dc(
                2,
                &tl::functions::auth::ImportAuthorization {
                    id: exported.id ^ 1,
                    bytes: exported.bytes.clone(),
                },
            )
            .await,
        "AUTH_BYTES_INVALID",
    );
    assert_bad_request(
        client
            .invoke_in_dc(
                1,
                &tl::functions::auth::ImportAuthorization {
                    id: exported.id,
                    bytes: exported.bytes.clone(),
                },
            )
            .await,
        "AUTH_BYTES_INVALID",
    );
    assert_eq!(signed_in_user(&fake, &dc2_key), None);

    let import = tl::functions::auth::ImportAuthorization {
        id: exported.id,
        bytes: exported.bytes.clone(),
    };
    let tl::enums::auth::Authorization::Authorization(authorization) = client
        .invoke_in_dc(2, &import)
        .await
        .expect("importAuthorization")
    else {
        panic!("an existing account needs no sign-up");
    };
    let tl::enums::User::User(user) = authorization.user else {
        panic!("expected a user");
    };
    assert_eq!(user.id, fake.user_id());
    assert!(user.is_self);
    assert_eq!(signed_in_user(&fake, &dc2_key), Some(fake.user_id()));

    // Now DC 2 serves the file, and the export cannot be replayed.
    assert_eq!(
        download_all(&client, Some(2), &location)
            .await
            .expect("download on DC 2"),
        data
    );
    assert_bad_request(client.invoke_in_dc(2, &import).await, "AUTH_BYTES_INVALID");

    // A DC 1 file asked from DC 2 migrates the other way.
    let on_dc1 = fake.put_file(1, FileKind::Document, pattern(10, 3), "a/b", "one.bin");
    assert_rpc_error(
        get_file_in_dc(&client, Some(2), &stored_location(&on_dc1), false, 0, 4096).await,
        303,
        "FILE_MIGRATE",
        Some(1),
    );
}

#[tokio::test]
async fn exporting_to_this_dc_or_an_unknown_one_is_dc_id_invalid() {
    let fake = start().await;
    let (client, _runner) = signed_in_client(&fake).await;
    for dc_id in [1, 0, 3, 99, -2] {
        assert_bad_request(
            client
                .invoke(&tl::functions::auth::ExportAuthorization { dc_id })
                .await,
            "DC_ID_INVALID",
        );
    }
    export_to(&client, 2).await;
}

#[tokio::test]
async fn a_stock_client_follows_file_migrate_and_copies_its_authorization() {
    let fake = start().await;
    let (client, _runner) = signed_in_client(&fake).await;
    let data = pattern(700 * 1024 + 3, 4);
    let on_dc2 = fake.put_file(2, FileKind::Document, data.clone(), "video/mp4", "clip.mp4");
    let document = Document::from_raw_media(tl::types::MessageMediaDocument {
        nopremium: false,
        spoiler: false,
        video: false,
        round: false,
        voice: false,
        document: Some(on_dc2.to_document(None)),
        alt_documents: None,
        video_cover: None,
        video_timestamp: None,
        ttl_seconds: None,
    });

    // grammers' own downloader: getFile on DC 1 → FILE_MIGRATE_2 → getFile
    // on DC 2 → AUTH_KEY_UNREGISTERED → export + import → getFile on DC 2.
    let mut download = client.iter_download(&document);
    let mut out = Vec::new();
    while let Some(chunk) = download.next().await.expect("download chunk") {
        out.extend_from_slice(&chunk);
    }
    assert_eq!(out, data);
    let world = fake.world();
    assert_eq!(
        world.call_count(id_of::<tl::functions::auth::ExportAuthorization>()),
        1
    );
    assert_eq!(
        world.call_count(id_of::<tl::functions::auth::ImportAuthorization>()),
        1
    );
    assert_eq!(
        signed_in_user(&fake, &fake.dc(2).expect("DC 2").auth_key),
        Some(fake.user_id())
    );
}

#[tokio::test]
async fn help_get_config_names_only_the_clusters_loopback_listeners() {
    let fake = FakeDc::start(Config {
        dcs: 3,
        ..Config::default()
    })
    .await
    .expect("fake DC starts");
    let (client, _runner) = signed_in_client(&fake).await;
    for dc in fake.dcs() {
        let tl::enums::Config::Config(config) = client
            .invoke_in_dc(dc.dc_id, &tl::functions::help::GetConfig {})
            .await
            .expect("help.getConfig is allowed before sign-in");
        assert_eq!(config.this_dc, dc.dc_id);
        let mut listed: Vec<(i32, SocketAddr)> = config
            .dc_options
            .iter()
            .map(|tl::enums::DcOption::Option(option)| {
                let ip: IpAddr = option
                    .ip_address
                    .parse()
                    .unwrap_or_else(|_| panic!("not an IP: {}", option.ip_address));
                assert!(ip.is_loopback(), "{ip} is not a loopback address");
                assert_eq!(option.ipv6, ip.is_ipv6());
                assert!(option.r#static, "grammers only follows static options");
                assert!(!option.media_only && !option.cdn && !option.tcpo_only);
                assert_eq!(option.secret, None);
                let port = u16::try_from(option.port).expect("a TCP port");
                (option.id, SocketAddr::new(ip, port))
            })
            .collect();
        listed.sort();
        let expected: Vec<_> = fake.dcs().iter().map(|d| (d.dc_id, d.addr)).collect();
        assert_eq!(listed, expected);

        let tl::enums::NearestDc::Dc(nearest) = client
            .invoke_in_dc(dc.dc_id, &tl::functions::help::GetNearestDc {})
            .await
            .expect("help.getNearestDc");
        assert_eq!((nearest.this_dc, nearest.nearest_dc), (dc.dc_id, dc.dc_id));
    }
}

#[tokio::test]
async fn a_client_that_knows_only_its_home_dc_learns_the_others_from_the_config() {
    let fake = start().await;
    let dc1 = fake.dc(1).expect("DC 1").clone();
    let dc2 = fake.dc(2).expect("DC 2").clone();
    let SocketAddr::V4(home) = dc1.addr else {
        panic!("IPv4 loopback");
    };
    // DC 2 starts out at a port nothing listens on.
    let nowhere = SocketAddrV4::new(*home.ip(), 1);
    let session = Arc::new(MemorySession::default());
    for (id, addr, key) in [(1, home, dc1.auth_key), (2, nowhere, dc2.auth_key)] {
        session
            .set_dc_option(&DcOption {
                id,
                ipv4: addr,
                ipv6: SocketAddrV6::new(addr.ip().to_ipv6_mapped(), addr.port(), 0, 0),
                auth_key: Some(key),
            })
            .await
            .expect("memory session");
    }
    session.set_home_dc_id(1).await.expect("memory session");
    let (client, _runner) = client_for(Arc::clone(&session));

    // Connecting to DC 1 runs initConnection(help.getConfig): grammers stores
    // the options it was given.
    client.get_me().await.expect("get_me on DC 1");
    let learned = session
        .dc_option(2)
        .expect("memory session")
        .expect("DC 2 is known");
    assert_eq!(SocketAddr::V4(learned.ipv4), dc2.addr);
    assert_eq!(learned.auth_key, Some(dc2.auth_key), "the key is kept");
    let tl::enums::Config::Config(config) = client
        .invoke_in_dc(2, &tl::functions::help::GetConfig {})
        .await
        .expect("DC 2 at the address the config gave");
    assert_eq!(config.this_dc, 2);
}

#[tokio::test]
async fn a_cluster_must_contain_its_home_dc() {
    for (dcs, home_dc) in [(0, 1), (2, 3), (2, 0), (1, -1)] {
        let error = FakeDc::start(Config {
            dcs,
            home_dc,
            ..Config::default()
        })
        .await
        .expect_err("no such home DC");
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    }
    let fake = FakeDc::start(Config {
        dcs: 3,
        home_dc: 3,
        ..Config::default()
    })
    .await
    .expect("fake DC starts");
    assert_eq!(fake.dcs().len(), 3);
    assert_eq!(fake.home_dc().dc_id, 3);
    assert!(fake.dc(4).is_none());
    assert!(fake.new_auth_key(4).is_none());
    // The pre-shared keys are signed in on the home DC only.
    for dc in fake.dcs() {
        let expected = (dc.dc_id == 3).then(|| fake.user_id());
        assert_eq!(
            signed_in_user(&fake, &dc.auth_key),
            expected,
            "DC {}",
            dc.dc_id
        );
    }
    // Every DC listens on its own loopback port.
    let mut ports: Vec<_> = fake.dcs().iter().map(|d| d.addr.port()).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 3);
    assert!(fake.dcs().iter().all(|d| d.addr.ip().is_loopback()));
}

#[tokio::test]
async fn restart_keeps_the_world_and_the_ports() {
    let mut fake = start().await;
    let addrs: Vec<_> = fake.dcs().iter().map(|d| d.addr).collect();
    let home = fake.home_dc().clone();

    // Before: upload a document, sign the DC 2 key in, register a new key.
    let (client, _runner) = signed_in_client(&fake).await;
    let data = pattern(300_000, 5);
    let parts = save_small_file(&client, 1, &data, 128 * 1024).await;
    let media = upload_media(
        &client,
        rpc::uploaded_document(
            rpc::input_file(1, parts, "kept.bin", &md5_hex(&data)),
            "a/b",
            vec![],
        ),
    )
    .await
    .expect("uploadMedia");
    let document = rpc::expect_document(media);
    let exported = export_to(&client, 2).await;
    client
        .invoke_in_dc(
            2,
            &tl::functions::auth::ImportAuthorization {
                id: exported.id,
                bytes: exported.bytes,
            },
        )
        .await
        .expect("importAuthorization");
    let spare_key = fake.new_auth_key(1).expect("DC 1");
    let mut open = RawConnection::connect(home.addr, home.auth_key, Framing::Intermediate)
        .await
        .expect("connects");
    open.invoke(&tl::Serializable::to_bytes(
        &tl::functions::help::GetConfig {},
    ))
    .await
    .expect("answered");

    fake.restart().await.expect("restarts");

    // Connections were closed; the addresses did not change.
    open.expect_closed().await;
    assert_eq!(fake.dcs().iter().map(|d| d.addr).collect::<Vec<_>>(), addrs);
    // The world survived: files, sign-ins and registered keys.
    let (client, _runner) = signed_in_client(&fake).await;
    let location =
        rpc::document_location(document.id, document.access_hash, &document.file_reference);
    assert_eq!(
        download_all(&client, None, &location)
            .await
            .expect("the earlier file downloads after the restart"),
        data
    );
    let on_dc2 = fake.put_file(2, FileKind::Document, pattern(9000, 6), "a/b", "late.bin");
    assert_eq!(
        get_file_in_dc(&client, Some(2), &stored_location(&on_dc2), false, 0, 16384)
            .await
            .expect("DC 2 is still signed in"),
        pattern(9000, 6)
    );
    let state = fake.world().lock();
    let spare = state
        .keys
        .get(key_id(&spare_key))
        .expect("still registered");
    assert_eq!(spare.user_id, None);
    assert_eq!(
        state.files.get(document.id).expect("still stored").bytes,
        data
    );
}
