//! `users.*`: who is who, with access hashes checked per viewer.

use grammers_tl_types as tl;

use crate::rpc::{Router, RpcError};
use crate::world::{StoredFile, WorldState, empty_notify_settings};

pub(super) fn register(router: &mut Router) {
    router.add::<tl::functions::users::GetUsers, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let state = ctx.world.lock();
        request
            .id
            .iter()
            .filter(|input| !matches!(input, tl::enums::InputUser::Empty))
            .map(|input| {
                let id = ctx.resolve_input_user(&state, input)?;
                Ok(state
                    .users
                    .get(id)
                    .ok_or_else(|| RpcError::bad_request("USER_ID_INVALID"))?
                    .to_tl(ctx.world, viewer))
            })
            .collect()
    });
    router.add::<tl::functions::users::GetFullUser, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let state = ctx.world.lock();
        let id = ctx.resolve_input_user(&state, &request.id)?;
        let blocked = state.blocks.is_blocked(viewer, id);
        let user = state
            .users
            .get(id)
            .ok_or_else(|| RpcError::bad_request("USER_ID_INVALID"))?;
        Ok(tl::types::users::UserFull {
            full_user: full_user(&state, id, blocked),
            chats: Vec::new(),
            users: vec![user.to_tl(ctx.world, viewer)],
        }
        .into())
    });
}

fn full_user(state: &WorldState, id: i64, blocked: bool) -> tl::enums::UserFull {
    let user = state.users.get(id);
    let profile_photo = user
        .and_then(|u| u.photo_id)
        .and_then(|photo_id| state.files.get(photo_id))
        .map(StoredFile::to_photo);
    tl::types::UserFull {
        blocked,
        phone_calls_available: false,
        phone_calls_private: false,
        can_pin_message: true,
        has_scheduled: false,
        video_calls_available: false,
        voice_messages_forbidden: false,
        translations_disabled: false,
        stories_pinned_available: false,
        blocked_my_stories_from: false,
        wallpaper_overridden: false,
        contact_require_premium: false,
        read_dates_private: false,
        sponsored_enabled: false,
        can_view_revenue: false,
        bot_can_manage_emoji_status: false,
        display_gifts_button: false,
        noforwards_my_enabled: false,
        noforwards_peer_enabled: false,
        unofficial_security_risk: false,
        id,
        about: user.and_then(|u| u.about.clone()),
        settings: tl::types::PeerSettings {
            report_spam: false,
            add_contact: false,
            block_contact: false,
            share_contact: false,
            need_contacts_exception: false,
            report_geo: false,
            autoarchived: false,
            invite_members: false,
            request_chat_broadcast: false,
            business_bot_paused: false,
            business_bot_can_reply: false,
            geo_distance: None,
            request_chat_title: None,
            request_chat_date: None,
            business_bot_id: None,
            business_bot_manage_url: None,
            charge_paid_message_stars: None,
            registration_month: None,
            phone_country: None,
            name_change_date: None,
            photo_change_date: None,
        }
        .into(),
        personal_photo: None,
        profile_photo,
        fallback_photo: None,
        notify_settings: empty_notify_settings(),
        bot_info: None,
        pinned_msg_id: None,
        common_chats_count: 0,
        folder_id: None,
        ttl_period: None,
        theme: None,
        private_forward_name: None,
        bot_group_admin_rights: None,
        bot_broadcast_admin_rights: None,
        wallpaper: None,
        stories: None,
        business_work_hours: None,
        business_location: None,
        business_greeting_message: None,
        business_away_message: None,
        business_intro: None,
        birthday: user.and_then(|u| u.birthday).map(|b| b.to_tl()),
        personal_channel_id: None,
        personal_channel_message: None,
        stargifts_count: None,
        starref_program: None,
        bot_verification: None,
        send_paid_messages_stars: None,
        disallowed_gifts: None,
        stars_rating: None,
        stars_my_pending_rating: None,
        stars_my_pending_rating_date: None,
        main_tab: None,
        saved_music: None,
        note: None,
        bot_manager_id: None,
    }
    .into()
}
