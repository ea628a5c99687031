//! `help.*`: the cluster configuration clients bootstrap from.

use grammers_tl_types as tl;

use crate::rpc::{Access, CallContext, Router};

pub(super) fn register(router: &mut Router) {
    router.add_with_access::<tl::functions::help::GetConfig, _>(Access::Anyone, |ctx, _| {
        Ok(config(ctx))
    });
    router.add_with_access::<tl::functions::help::GetNearestDc, _>(Access::Anyone, |ctx, _| {
        Ok(tl::types::NearestDc {
            country: "US".into(),
            this_dc: ctx.dc_id,
            nearest_dc: ctx.dc_id,
        }
        .into())
    });
    router.add_with_access::<tl::functions::help::GetAppConfig, _>(Access::Anyone, |ctx, _| {
        Ok(app_config(ctx))
    });
}

/// `config`, whose `dc_options` name only this cluster's loopback listeners:
/// a client that follows them can never wander off to a real Telegram DC.
fn config(ctx: &CallContext<'_>) -> tl::enums::Config {
    let dc_options = ctx
        .world
        .dcs()
        .into_iter()
        .map(|dc| {
            tl::types::DcOption {
                ipv6: dc.addr.is_ipv6(),
                media_only: false,
                tcpo_only: false,
                cdn: false,
                // grammers only trusts options marked static.
                r#static: true,
                this_port_only: false,
                id: dc.dc_id,
                ip_address: dc.addr.ip().to_string(),
                port: i32::from(dc.addr.port()),
                secret: None,
            }
            .into()
        })
        .collect();
    let now = ctx.world.now();
    tl::types::Config {
        default_p2p_contacts: false,
        preload_featured_stickers: false,
        revoke_pm_inbox: true,
        blocked_mode: false,
        force_try_ipv6: false,
        date: now,
        expires: now + 3600,
        test_mode: true,
        this_dc: ctx.dc_id,
        dc_options,
        dc_txt_domain_name: String::new(),
        chat_size_max: 200,
        megagroup_size_max: 200_000,
        forwarded_count_max: 100,
        online_update_period_ms: 210_000,
        offline_blur_timeout_ms: 5_000,
        offline_idle_timeout_ms: 30_000,
        online_cloud_timeout_ms: 300_000,
        notify_cloud_delay_ms: 30_000,
        notify_default_delay_ms: 1_500,
        push_chat_period_ms: 60_000,
        push_chat_limit: 2,
        edit_time_limit: 172_800,
        revoke_time_limit: i32::MAX,
        revoke_pm_time_limit: i32::MAX,
        rating_e_decay: 2_419_200,
        stickers_recent_limit: 200,
        channels_read_media_period: 604_800,
        tmp_sessions: None,
        call_receive_timeout_ms: 20_000,
        call_ring_timeout_ms: 90_000,
        call_connect_timeout_ms: 30_000,
        call_packet_timeout_ms: 10_000,
        me_url_prefix: "https://t.me/".into(),
        autoupdate_url_prefix: None,
        gif_search_username: None,
        venue_search_username: None,
        img_search_username: None,
        static_maps_provider: None,
        caption_length_max: 1024,
        message_length_max: 4096,
        webfile_dc_id: ctx.dc_id,
        suggested_lang_code: None,
        lang_pack_version: None,
        base_lang_pack_version: None,
        reactions_default: None,
        autologin_token: None,
    }
    .into()
}

/// `help.appConfig` with the upload limits clients need to plan uploads and
/// the bio limits `account.updateProfile` enforces.
fn app_config(ctx: &CallContext<'_>) -> tl::enums::help::AppConfig {
    let limits = ctx.world.limits();
    let number = |key: &str, value: i32| -> tl::enums::JsonobjectValue {
        tl::types::JsonObjectValue {
            key: key.into(),
            value: tl::types::JsonNumber {
                value: f64::from(value),
            }
            .into(),
        }
        .into()
    };
    tl::types::help::AppConfig {
        hash: 1,
        config: tl::types::JsonObject {
            value: vec![
                number(
                    "upload_max_fileparts_default",
                    limits.upload_max_fileparts_default,
                ),
                number(
                    "upload_max_fileparts_premium",
                    limits.upload_max_fileparts_premium,
                ),
                number(
                    "about_length_limit_default",
                    i32::try_from(limits.about_length_limit_default).unwrap_or(i32::MAX),
                ),
                number(
                    "about_length_limit_premium",
                    i32::try_from(limits.about_length_limit_premium).unwrap_or(i32::MAX),
                ),
            ],
        }
        .into(),
    }
    .into()
}
