//! Administering basic groups and supergroups: creating them, titles,
//! photos, members, invite links, join requests and the migration of a
//! group to a supergroup. Each change stores the service message Telegram
//! stores (`messageActionChat*`) in every box that sees it and returns the
//! caller's answer and what every other session is pushed, as
//! [`super::sending`] does for ordinary messages.
//!
//! Rights are Telegram's defaults: in a basic group any member may add
//! members, only admins change the title or photo, and a member may be
//! removed by an admin or by whoever added them; in a supergroup admins do
//! everything but invite, which members may do too.

use grammers_tl_types as tl;

use super::chats::{BasicGroup, Channel, GroupMember, Invite};
use super::messages::PeerTarget;
use super::push::Delivery;
use super::sending::{Refusal, Stored, answer_and_pushes, store_service};
use super::{World, WorldState};

/// `chat_size_max`: members a basic group may have.
pub const BASIC_GROUP_MAX_MEMBERS: usize = 200;
/// `megagroup_size_max`: members a supergroup may have.
pub const SUPERGROUP_MAX_MEMBERS: usize = 200_000;
/// `chat_title_length_max`.
pub const MAX_TITLE_LEN: usize = 128;
/// The most messages `addChatUser`'s `fwd_limit` copies to a new member.
pub const MAX_FWD_LIMIT: i32 = 100;
/// The largest `usage_limit` of an invite link.
pub const MAX_INVITE_USAGE: i32 = 99_999;

/// A change's answer to the caller and the pushes to everyone else.
pub struct Changed {
    /// What the caller's call returns.
    pub answer: tl::enums::Updates,
    /// What the other sessions get.
    pub pushes: Vec<Delivery>,
}

/// Telegram's title rules: trimmed, cut to 128 characters, not empty.
pub fn clean_title(title: &str) -> Result<String, Refusal> {
    let title: String = title.trim().chars().take(MAX_TITLE_LEN).collect();
    if title.is_empty() {
        return Err(Refusal::bad("CHAT_TITLE_EMPTY"));
    }
    Ok(title)
}

/// Whether `inviter` may add `invitee` to groups, by the invitee's
/// `inputPrivacyKeyChatInvite` rules: user exceptions first (a disallow
/// wins), then the contact and everyone rules in order. No rules: everyone.
pub fn may_invite(state: &WorldState, inviter: i64, invitee: i64) -> bool {
    use tl::enums::PrivacyRule as R;
    if inviter == invitee {
        return true;
    }
    if state.blocks.is_blocked(invitee, inviter) {
        return false;
    }
    let Some(rules) = state.chat_invite_rules.get(&invitee) else {
        return true;
    };
    let is_contact = state
        .users
        .get(invitee)
        .is_some_and(|u| u.contacts.contains(&inviter));
    if rules
        .iter()
        .any(|r| matches!(r, R::PrivacyValueDisallowUsers(r) if r.users.contains(&inviter)))
    {
        return false;
    }
    if rules
        .iter()
        .any(|r| matches!(r, R::PrivacyValueAllowUsers(r) if r.users.contains(&inviter)))
    {
        return true;
    }
    for rule in rules {
        match rule {
            R::PrivacyValueAllowAll => return true,
            R::PrivacyValueDisallowAll => return false,
            R::PrivacyValueAllowContacts if is_contact => return true,
            R::PrivacyValueDisallowContacts if is_contact => return false,
            _ => {}
        }
    }
    false
}

/// `ids` without repeats, in their first order.
fn distinct(ids: impl IntoIterator<Item = i64>) -> Vec<i64> {
    let mut seen = Vec::new();
    for id in ids {
        if !seen.contains(&id) {
            seen.push(id);
        }
    }
    seen
}

/// Adds `user` to a basic group (a new participants version), if it has room.
fn push_member(group: &mut BasicGroup, user: i64, inviter: i64, date: i32) -> Result<(), Refusal> {
    if group.members.len() >= BASIC_GROUP_MAX_MEMBERS {
        return Err(Refusal::bad("USERS_TOO_MUCH"));
    }
    group.members.push(GroupMember {
        user_id: user,
        inviter_id: inviter,
        date,
        admin: false,
    });
    group.version += 1;
    Ok(())
}

/// Puts `extra` (non-`pts` updates such as `updateChatParticipants`) in
/// front of an `updates` container.
fn prepend(updates: &mut tl::enums::Updates, extra: &[tl::enums::Update]) {
    if let tl::enums::Updates::Updates(u) = updates {
        u.updates.splice(0..0, extra.iter().cloned());
    }
}

/// The answer and pushes for one service message, with `extra` updates in
/// every container.
fn announce(
    world: &World,
    state: &mut WorldState,
    stored: Stored,
    extra: &[tl::enums::Update],
    caller: Option<u64>,
) -> Changed {
    let (mut answer, mut pushes) = answer_and_pushes(world, state, &[stored], &[], true, caller);
    prepend(&mut answer, extra);
    for push in &mut pushes {
        prepend(&mut push.updates, extra);
    }
    Changed { answer, pushes }
}

fn group_mut(state: &mut WorldState, chat_id: i64) -> Result<&mut BasicGroup, Refusal> {
    state
        .chats
        .group_mut(chat_id)
        .filter(|g| !g.deactivated)
        .ok_or(Refusal::bad("CHAT_ID_INVALID"))
}

fn group_of(state: &WorldState, chat_id: i64, user: i64) -> Result<&BasicGroup, Refusal> {
    let group = state
        .chats
        .group(chat_id)
        .ok_or(Refusal::bad("CHAT_ID_INVALID"))?;
    if group.deactivated {
        return Err(Refusal::bad("CHAT_ID_INVALID"));
    }
    if !group.has_member(user) {
        return Err(Refusal::forbidden("CHAT_WRITE_FORBIDDEN"));
    }
    Ok(group)
}

fn channel_of(state: &WorldState, channel_id: i64, user: i64) -> Result<&Channel, Refusal> {
    let channel = state
        .chats
        .channel(channel_id)
        .ok_or(Refusal::bad("CHANNEL_INVALID"))?;
    if !channel.members.contains(&user) {
        return Err(Refusal::forbidden("CHAT_WRITE_FORBIDDEN"));
    }
    Ok(channel)
}

fn is_channel_admin(channel: &Channel, user: i64) -> bool {
    channel.creator == user || channel.admins.contains(&user)
}

fn participants_update(group: &BasicGroup) -> tl::enums::Update {
    tl::types::UpdateChatParticipants {
        participants: group.participants_tl(),
    }
    .into()
}

fn channel_update(channel_id: i64) -> tl::enums::Update {
    tl::types::UpdateChannel { channel_id }.into()
}

/// `messages.createChat`: a basic group of `creator` and the `invitees`
/// their privacy lets in; the others are returned as missing.
pub fn create_group(
    world: &World,
    state: &mut WorldState,
    creator: i64,
    title: &str,
    invitees: &[i64],
    caller: Option<u64>,
) -> Result<(i64, Changed, Vec<i64>), Refusal> {
    let title = clean_title(title)?;
    let invitees = distinct(invitees.iter().copied().filter(|&u| u != creator));
    if invitees.is_empty() {
        return Err(Refusal::bad("USERS_TOO_FEW"));
    }
    if invitees.len() + 1 > BASIC_GROUP_MAX_MEMBERS {
        return Err(Refusal::bad("USERS_TOO_MUCH"));
    }
    let (added, missing): (Vec<i64>, Vec<i64>) = invitees
        .into_iter()
        .partition(|&u| may_invite(state, creator, u));
    let date = world.now();
    let members = added
        .iter()
        .map(|&user_id| GroupMember {
            user_id,
            inviter_id: creator,
            date,
            admin: false,
        })
        .collect();
    let chat_id = state.chats.insert_group(BasicGroup {
        title: title.clone(),
        creator,
        members,
        date,
        ..BasicGroup::default()
    });
    let mut users = vec![creator];
    users.extend(&added);
    let action = tl::types::MessageActionChatCreate { title, users }.into();
    let stored = store_service(
        world,
        state,
        creator,
        PeerTarget::Chat(chat_id),
        action,
        &[],
    )?;
    let extra = state
        .chats
        .group(chat_id)
        .map(participants_update)
        .into_iter()
        .collect::<Vec<_>>();
    Ok((
        chat_id,
        announce(world, state, stored, &extra, caller),
        missing,
    ))
}

/// Whether `user` administers `chat`: by Telegram's default rights only
/// admins change the title and photo and manage invite links.
pub fn require_admin(state: &WorldState, user: i64, chat: PeerTarget) -> Result<(), Refusal> {
    let admin = match chat {
        PeerTarget::Chat(id) => group_of(state, id, user)?.is_admin(user),
        PeerTarget::Channel(id) => is_channel_admin(channel_of(state, id, user)?, user),
        PeerTarget::User(_) => return Err(Refusal::bad("PEER_ID_INVALID")),
    };
    if admin {
        Ok(())
    } else {
        Err(Refusal::bad("CHAT_ADMIN_REQUIRED"))
    }
}

/// The current title and photo of a group or channel.
fn info_of(state: &WorldState, chat: PeerTarget) -> (String, Option<i64>) {
    match chat {
        PeerTarget::Chat(id) => state.chats.group(id).map(|g| (g.title.clone(), g.photo_id)),
        PeerTarget::Channel(id) => state
            .chats
            .channel(id)
            .map(|c| (c.title.clone(), c.photo_id)),
        PeerTarget::User(_) => None,
    }
    .unwrap_or_default()
}

/// Sets the title and photo of a group or channel (its photo's DC too).
fn set_info(state: &mut WorldState, chat: PeerTarget, title: String, photo_id: Option<i64>) {
    let dc_id = photo_id.and_then(|id| state.files.get(id)).map(|f| f.dc_id);
    match chat {
        PeerTarget::Chat(id) => {
            if let Some(group) = state.chats.group_mut(id) {
                group.title = title;
                group.photo_id = photo_id;
                group.dc_id = dc_id.unwrap_or(group.dc_id);
            }
        }
        PeerTarget::Channel(id) => {
            if let Some(channel) = state.chats.channel_mut(id) {
                channel.title = title;
                channel.photo_id = photo_id;
                channel.dc_id = dc_id.unwrap_or(channel.dc_id);
            }
        }
        PeerTarget::User(_) => {}
    }
}

/// `messages.editChatTitle` / `channels.editTitle`.
pub fn edit_title(
    world: &World,
    state: &mut WorldState,
    editor: i64,
    chat: PeerTarget,
    title: &str,
    caller: Option<u64>,
) -> Result<Changed, Refusal> {
    let title = clean_title(title)?;
    require_admin(state, editor, chat)?;
    let (old_title, photo_id) = info_of(state, chat);
    if old_title == title {
        return Err(Refusal::bad("CHAT_NOT_MODIFIED"));
    }
    set_info(state, chat, title.clone(), photo_id);
    let action = tl::types::MessageActionChatEditTitle { title }.into();
    let stored = store_service(world, state, editor, chat, action, &[])?;
    let extra = channel_extra(chat);
    Ok(announce(world, state, stored, &extra, caller))
}

/// Channels come with `updateChannel`, so clients refetch them.
fn channel_extra(chat: PeerTarget) -> Vec<tl::enums::Update> {
    match chat {
        PeerTarget::Channel(id) => vec![channel_update(id)],
        _ => Vec::new(),
    }
}

/// `messages.editChatPhoto` / `channels.editPhoto`: `photo_id` is a stored
/// photo file, `None` removes the photo.
pub fn edit_photo(
    world: &World,
    state: &mut WorldState,
    editor: i64,
    chat: PeerTarget,
    photo_id: Option<i64>,
    caller: Option<u64>,
) -> Result<Changed, Refusal> {
    require_admin(state, editor, chat)?;
    let (title, old) = info_of(state, chat);
    if old.is_none() && photo_id.is_none() {
        return Err(Refusal::bad("CHAT_NOT_MODIFIED"));
    }
    let action: tl::enums::MessageAction = match photo_id {
        Some(id) => {
            let photo = state
                .files
                .get(id)
                .map(|f| f.to_photo())
                .ok_or(Refusal::bad("PHOTO_INVALID"))?;
            tl::types::MessageActionChatEditPhoto { photo }.into()
        }
        None => tl::enums::MessageAction::ChatDeletePhoto,
    };
    set_info(state, chat, title, photo_id);
    let stored = store_service(world, state, editor, chat, action, &[])?;
    let extra = channel_extra(chat);
    Ok(announce(world, state, stored, &extra, caller))
}

/// Copies the last `limit` messages of a group from `source`'s box into
/// `member`'s, so a new member sees the recent history (`fwd_limit`).
fn share_history(state: &mut WorldState, source: i64, member: i64, chat_id: i64, limit: i32) {
    let limit = limit.clamp(0, MAX_FWD_LIMIT) as usize;
    if limit == 0 {
        return;
    }
    let dialog = PeerTarget::Chat(chat_id);
    let recent: Vec<_> = state
        .mailboxes
        .user_ref(source)
        .map(|b| {
            b.messages
                .values()
                .rev()
                .filter(|m| m.dialog() == dialog)
                .take(limit)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    for mut stored in recent.into_iter().rev() {
        let member_box = state.mailboxes.user(member);
        stored.message.id = member_box.take_id();
        stored.message.out = stored.sender == member;
        stored.message.reply_to = None;
        let (origin, id) = (stored.origin, stored.message.id);
        member_box.add_message(stored);
        state.mailboxes.link(origin, member, id);
    }
}

/// `messages.addChatUser`: adds `user` to a basic group. A user whose
/// privacy refuses the inviter is returned as missing, and nothing changes.
pub fn add_group_member(
    world: &World,
    state: &mut WorldState,
    inviter: i64,
    chat_id: i64,
    user: i64,
    fwd_limit: i32,
    caller: Option<u64>,
) -> Result<(Option<Changed>, Vec<i64>), Refusal> {
    let group = group_of(state, chat_id, inviter)?;
    if group.has_member(user) {
        return Err(Refusal::bad("USER_ALREADY_PARTICIPANT"));
    }
    if group.members.len() >= BASIC_GROUP_MAX_MEMBERS {
        return Err(Refusal::bad("USERS_TOO_MUCH"));
    }
    if !may_invite(state, inviter, user) {
        return Ok((None, vec![user]));
    }
    push_member(group_mut(state, chat_id)?, user, inviter, world.now())?;
    share_history(state, inviter, user, chat_id, fwd_limit);
    let action = tl::types::MessageActionChatAddUser { users: vec![user] }.into();
    let stored = store_service(
        world,
        state,
        inviter,
        PeerTarget::Chat(chat_id),
        action,
        &[],
    )?;
    Ok((
        Some(announce(world, state, stored, &[], caller)),
        Vec::new(),
    ))
}

/// `messages.deleteChatUser`: removes `user` (or leaves, for oneself).
/// The removed user sees the service message too.
pub fn remove_group_member(
    world: &World,
    state: &mut WorldState,
    remover: i64,
    chat_id: i64,
    user: i64,
    caller: Option<u64>,
) -> Result<Changed, Refusal> {
    let group = group_of(state, chat_id, remover)?;
    let member = group
        .member(user)
        .ok_or(Refusal::bad("USER_NOT_PARTICIPANT"))?;
    let allowed = remover == user
        || (group.is_admin(remover) && user != group.creator)
        || member.inviter_id == remover;
    if !allowed {
        return Err(Refusal::bad("CHAT_ADMIN_REQUIRED"));
    }
    let group = group_mut(state, chat_id)?;
    group.members.retain(|m| m.user_id != user);
    group.version += 1;
    let action = tl::types::MessageActionChatDeleteUser { user_id: user }.into();
    let stored = store_service(
        world,
        state,
        remover,
        PeerTarget::Chat(chat_id),
        action,
        &[user],
    )?;
    Ok(announce(world, state, stored, &[], caller))
}

/// `channels.inviteToChannel`: adds the users the inviter's rights and their
/// privacy allow; an admin's invitation lifts a removal. Returns the change
/// (none when nobody was added) and the users left out by privacy.
pub fn invite_to_channel(
    world: &World,
    state: &mut WorldState,
    inviter: i64,
    channel_id: i64,
    users: &[i64],
    caller: Option<u64>,
) -> Result<(Option<Changed>, Vec<i64>), Refusal> {
    let channel = channel_of(state, channel_id, inviter)?;
    let admin = is_channel_admin(channel, inviter);
    if channel.broadcast && !admin {
        return Err(Refusal::bad("CHAT_ADMIN_REQUIRED"));
    }
    let new = distinct(
        users
            .iter()
            .copied()
            .filter(|u| !channel.members.contains(u)),
    );
    if new.is_empty() {
        return Err(Refusal::bad("USER_ALREADY_PARTICIPANT"));
    }
    if !admin && new.iter().any(|u| channel.kicked.contains(u)) {
        return Err(Refusal::bad("USER_KICKED"));
    }
    if channel.members.len() + new.len() > SUPERGROUP_MAX_MEMBERS {
        return Err(Refusal::bad("USERS_TOO_MUCH"));
    }
    let broadcast = channel.broadcast;
    let (added, missing): (Vec<i64>, Vec<i64>) = new
        .into_iter()
        .partition(|&u| may_invite(state, inviter, u));
    if added.is_empty() {
        return Ok((None, missing));
    }
    if let Some(channel) = state.chats.channel_mut(channel_id) {
        for &user in &added {
            channel.members.insert(user);
            channel.kicked.remove(&user);
        }
    }
    let target = PeerTarget::Channel(channel_id);
    let extra = vec![channel_update(channel_id)];
    if broadcast {
        // Channels post no service message for new subscribers; the new
        // members and the inviter's other sessions learn of it by updateChannel.
        return Ok((
            Some(channel_notice(
                world, state, inviter, channel_id, &added, caller,
            )),
            missing,
        ));
    }
    let action = tl::types::MessageActionChatAddUser { users: added }.into();
    let stored = store_service(world, state, inviter, target, action, &[])?;
    Ok((
        Some(announce(world, state, stored, &extra, caller)),
        missing,
    ))
}

/// An `updates` with `updateChannel` for `actor` (answer and other
/// sessions) and for `others`.
fn channel_notice(
    world: &World,
    state: &WorldState,
    actor: i64,
    channel_id: i64,
    others: &[i64],
    caller: Option<u64>,
) -> Changed {
    let date = world.now();
    let container = |viewer: i64| -> tl::enums::Updates {
        tl::types::Updates {
            updates: vec![channel_update(channel_id)],
            users: state
                .users
                .get(viewer)
                .map(|u| u.to_tl(world, viewer))
                .into_iter()
                .collect(),
            chats: state
                .chats
                .channel(channel_id)
                .map(|c| c.to_tl(world, viewer))
                .into_iter()
                .collect(),
            date,
            seq: 0,
        }
        .into()
    };
    let mut pushes = vec![Delivery {
        user_id: actor,
        except_session: caller,
        updates: container(actor),
    }];
    pushes.extend(
        others
            .iter()
            .filter(|&&u| u != actor)
            .map(|&user_id| Delivery {
                user_id,
                except_session: None,
                updates: container(user_id),
            }),
    );
    Changed {
        answer: container(actor),
        pushes,
    }
}

/// `channels.editBanned` with `view_messages`: removes `user` from the
/// channel for good (until an admin invites them again). Without
/// `view_messages` nothing is removed (restrictions are not modelled) and
/// the call changes nothing visible.
pub fn ban_from_channel(
    world: &World,
    state: &mut WorldState,
    admin: i64,
    channel_id: i64,
    user: i64,
    view_messages: bool,
    caller: Option<u64>,
) -> Result<Changed, Refusal> {
    let channel = channel_of(state, channel_id, admin)?;
    if !is_channel_admin(channel, admin) {
        return Err(Refusal::bad("CHAT_ADMIN_REQUIRED"));
    }
    if user == channel.creator || (channel.admins.contains(&user) && admin != channel.creator) {
        return Err(Refusal::bad("USER_ADMIN_INVALID"));
    }
    let member = channel.members.contains(&user);
    if !member && !channel.kicked.contains(&user) {
        return Err(Refusal::bad("USER_NOT_PARTICIPANT"));
    }
    let broadcast = channel.broadcast;
    if !view_messages {
        if let Some(channel) = state.chats.channel_mut(channel_id) {
            channel.kicked.remove(&user);
        }
        return Ok(channel_notice(
            world,
            state,
            admin,
            channel_id,
            &[user],
            caller,
        ));
    }
    if !member {
        return Ok(channel_notice(world, state, admin, channel_id, &[], caller));
    }
    if let Some(channel) = state.chats.channel_mut(channel_id) {
        channel.members.remove(&user);
        channel.admins.remove(&user);
        channel.kicked.insert(user);
    }
    if broadcast {
        return Ok(channel_notice(
            world,
            state,
            admin,
            channel_id,
            &[user],
            caller,
        ));
    }
    let target = PeerTarget::Channel(channel_id);
    let action = tl::types::MessageActionChatDeleteUser { user_id: user }.into();
    let stored = store_service(world, state, admin, target, action, &[user])?;
    let extra = vec![channel_update(channel_id)];
    Ok(announce(world, state, stored, &extra, caller))
}

/// `channels.leaveChannel`: `user` leaves; in a supergroup the others see
/// `messageActionChatDeleteUser` for them. The creator cannot leave
/// (`USER_CREATOR`: Telegram makes owners hand the chat over first).
pub fn leave_channel(
    world: &World,
    state: &mut WorldState,
    user: i64,
    channel_id: i64,
    caller: Option<u64>,
) -> Result<Changed, Refusal> {
    let channel =
        channel_of(state, channel_id, user).map_err(|_| Refusal::bad("USER_NOT_PARTICIPANT"))?;
    if channel.creator == user {
        return Err(Refusal::bad("USER_CREATOR"));
    }
    let broadcast = channel.broadcast;
    let target = PeerTarget::Channel(channel_id);
    let stored = if broadcast {
        None
    } else {
        let action = tl::types::MessageActionChatDeleteUser { user_id: user }.into();
        Some(store_service(world, state, user, target, action, &[])?)
    };
    if let Some(channel) = state.chats.channel_mut(channel_id) {
        channel.members.remove(&user);
        channel.admins.remove(&user);
    }
    Ok(match stored {
        Some(stored) => announce(world, state, stored, &[channel_update(channel_id)], caller),
        None => channel_notice(world, state, user, channel_id, &[], caller),
    })
}

/// `messages.migrateChat`: the creator turns a basic group into a
/// supergroup with the same title, photo, members and admins. The group is
/// deactivated and points at the supergroup (`migrated_to`); the group
/// gets `messageActionChatMigrateTo`, the supergroup
/// `messageActionChannelMigrateFrom`.
pub fn migrate_group(
    world: &World,
    state: &mut WorldState,
    creator: i64,
    chat_id: i64,
    dc_id: i32,
    caller: Option<u64>,
) -> Result<(i64, Changed), Refusal> {
    let group = group_of(state, chat_id, creator)?.clone();
    if group.creator != creator {
        return Err(Refusal::bad("CHAT_ADMIN_REQUIRED"));
    }
    let date = world.now();
    let channel_id = state.chats.insert_channel(Channel {
        title: group.title.clone(),
        about: group.about.clone(),
        broadcast: false,
        creator,
        admins: group
            .members
            .iter()
            .filter(|m| m.admin && m.user_id != creator)
            .map(|m| m.user_id)
            .collect(),
        members: group.members.iter().map(|m| m.user_id).collect(),
        date,
        photo_id: group.photo_id,
        dc_id: if group.photo_id.is_some() {
            group.dc_id
        } else {
            dc_id
        },
        migrated_from: Some(chat_id),
        ..Channel::default()
    });
    let to = tl::types::MessageActionChatMigrateTo { channel_id }.into();
    let from = tl::types::MessageActionChannelMigrateFrom {
        title: group.title.clone(),
        chat_id,
    }
    .into();
    let in_group = store_service(world, state, creator, PeerTarget::Chat(chat_id), to, &[])?;
    let in_channel = store_service(
        world,
        state,
        creator,
        PeerTarget::Channel(channel_id),
        from,
        &[],
    )?;
    // Deactivated after the group's message, which its members must still get.
    if let Some(group) = state.chats.group_mut(chat_id) {
        group.deactivated = true;
        group.migrated_to = Some(channel_id);
    }
    let (mut answer, mut pushes) =
        answer_and_pushes(world, state, &[in_group, in_channel], &[], true, caller);
    let extra = [channel_update(channel_id)];
    prepend(&mut answer, &extra);
    for push in &mut pushes {
        prepend(&mut push.updates, &extra);
    }
    Ok((channel_id, Changed { answer, pushes }))
}

/// What an invite hash opens for `user`, checked as `checkChatInvite` and
/// `importChatInvite` check it.
pub enum InviteLookup<'a> {
    /// The user is already a member of this chat.
    Member(PeerTarget),
    /// A usable link.
    Usable(&'a Invite),
}

/// Looks up an invite hash: `INVITE_HASH_INVALID` for a hash nobody made,
/// `INVITE_HASH_EXPIRED` for a revoked, expired or used-up link (and for
/// a chat that is gone).
pub fn lookup_invite<'a>(
    state: &'a WorldState,
    hash: &str,
    user: i64,
    now: i32,
) -> Result<InviteLookup<'a>, Refusal> {
    let invite = state
        .chats
        .invites
        .get(hash)
        .ok_or(Refusal::bad("INVITE_HASH_INVALID"))?;
    let member = match invite.chat {
        PeerTarget::Chat(id) => match state.chats.group(id) {
            Some(g) if !g.deactivated => g.has_member(user),
            _ => return Err(Refusal::bad("INVITE_HASH_EXPIRED")),
        },
        PeerTarget::Channel(id) => match state.chats.channel(id) {
            Some(c) => c.members.contains(&user),
            None => return Err(Refusal::bad("INVITE_HASH_EXPIRED")),
        },
        PeerTarget::User(_) => return Err(Refusal::bad("INVITE_HASH_INVALID")),
    };
    if member {
        return Ok(InviteLookup::Member(invite.chat));
    }
    if !invite.usable(now) {
        return Err(Refusal::bad("INVITE_HASH_EXPIRED"));
    }
    Ok(InviteLookup::Usable(invite))
}

/// `messages.exportChatInvite`: a new link, or the primary one (revoking
/// the old primary when `legacy_revoke_permanent`).
#[allow(clippy::too_many_arguments)]
pub fn export_invite(
    world: &World,
    state: &mut WorldState,
    admin: i64,
    chat: PeerTarget,
    expire_date: Option<i32>,
    usage_limit: Option<i32>,
    request_needed: bool,
    title: Option<String>,
) -> Result<Invite, Refusal> {
    require_admin(state, admin, chat)?;
    let now = world.now();
    if expire_date.is_some_and(|d| d <= now) {
        return Err(Refusal::bad("EXPIRE_DATE_INVALID"));
    }
    if usage_limit.is_some_and(|l| !(1..=MAX_INVITE_USAGE).contains(&l)) {
        return Err(Refusal::bad("USAGE_LIMIT_INVALID"));
    }
    if request_needed && usage_limit.is_some() {
        return Err(Refusal::bad("USAGE_LIMIT_INVALID"));
    }
    let serial = state.chats.invites.len() as i64;
    let hash =
        invite_hash(world.derive("invite", &[admin, chat_key(chat), serial, i64::from(now)]));
    let invite = Invite {
        hash: hash.clone(),
        chat,
        admin_id: admin,
        date: now,
        expire_date,
        usage_limit,
        usage: 0,
        request_needed,
        revoked: false,
        permanent: false,
        title,
        requests: Vec::new(),
    };
    state.chats.invites.insert(hash, invite.clone());
    Ok(invite)
}

fn chat_key(chat: PeerTarget) -> i64 {
    match chat {
        PeerTarget::User(id) => id,
        PeerTarget::Chat(id) => -id,
        PeerTarget::Channel(id) => -1_000_000_000_000 - id,
    }
}

/// 16 URL-safe characters, as Telegram's hashes look.
fn invite_hash(seed: i64) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut value = seed as u64;
    (0..16)
        .map(|i| {
            if i == 10 {
                value = value.rotate_left(17) ^ 0x9e37_79b9_7f4a_7c15;
            }
            let c = ALPHABET[(value & 63) as usize] as char;
            value >>= 6;
            c
        })
        .collect()
}

/// What using an invite link did.
pub enum Joined {
    /// The user joined (boxed: an `Updates` is kilobytes).
    Joined(Box<Changed>),
    /// The link needs approval: a join request was filed, and these pushes
    /// tell the chat's admins (`updatePendingJoinRequests`). The call
    /// answers `INVITE_REQUEST_SENT`.
    Requested(Vec<Delivery>),
}

/// `messages.importChatInvite`: joins through a usable link, or files a
/// join request.
pub fn join_by_invite(
    world: &World,
    state: &mut WorldState,
    user: i64,
    hash: &str,
    caller: Option<u64>,
) -> Result<Joined, Refusal> {
    let now = world.now();
    let invite = match lookup_invite(state, hash, user, now)? {
        InviteLookup::Member(_) => return Err(Refusal::bad("USER_ALREADY_PARTICIPANT")),
        InviteLookup::Usable(invite) => invite.clone(),
    };
    if let PeerTarget::Channel(id) = invite.chat
        && state
            .chats
            .channel(id)
            .is_some_and(|c| c.kicked.contains(&user))
    {
        return Err(Refusal::bad("USER_KICKED"));
    }
    if invite.request_needed {
        if let Some(stored) = state.chats.invites.get_mut(hash)
            && !stored.requests.iter().any(|&(u, _)| u == user)
        {
            stored.requests.push((user, now));
        }
        return Ok(Joined::Requested(pending_requests_pushes(
            world,
            state,
            invite.chat,
        )));
    }
    if let Some(stored) = state.chats.invites.get_mut(hash) {
        stored.usage += 1;
    }
    let action = tl::types::MessageActionChatJoinedByLink {
        inviter_id: invite.admin_id,
    }
    .into();
    admit(
        world,
        state,
        user,
        invite.chat,
        invite.admin_id,
        action,
        caller,
    )
    .map(|changed| Joined::Joined(Box::new(changed)))
}

/// Adds `user` to `chat` and announces it with `action`.
fn admit(
    world: &World,
    state: &mut WorldState,
    user: i64,
    chat: PeerTarget,
    inviter: i64,
    action: tl::enums::MessageAction,
    caller: Option<u64>,
) -> Result<Changed, Refusal> {
    let date = world.now();
    match chat {
        PeerTarget::Chat(id) => {
            push_member(group_mut(state, id)?, user, inviter, date)?;
        }
        PeerTarget::Channel(id) => {
            let broadcast = {
                let channel = state
                    .chats
                    .channel_mut(id)
                    .ok_or(Refusal::bad("CHANNEL_INVALID"))?;
                channel.members.insert(user);
                channel.broadcast
            };
            if broadcast {
                return Ok(channel_notice(world, state, user, id, &[], caller));
            }
        }
        PeerTarget::User(_) => return Err(Refusal::bad("PEER_ID_INVALID")),
    }
    let stored = store_service(world, state, user, chat, action, &[])?;
    let extra = channel_extra(chat);
    Ok(announce(world, state, stored, &extra, caller))
}

/// `updatePendingJoinRequests` for every admin of `chat`.
fn pending_requests_pushes(world: &World, state: &WorldState, chat: PeerTarget) -> Vec<Delivery> {
    let mut requesters: Vec<(i64, i32)> = state
        .chats
        .invites
        .values()
        .filter(|i| i.chat == chat)
        .flat_map(|i| i.requests.iter().copied())
        .collect();
    requesters.sort_by_key(|&(_, date)| std::cmp::Reverse(date));
    requesters.dedup_by_key(|&mut (user, _)| user);
    let admins: Vec<i64> = match chat {
        PeerTarget::Chat(id) => state.chats.group(id).map_or(Vec::new(), |g| {
            g.members
                .iter()
                .filter(|m| g.is_admin(m.user_id))
                .map(|m| m.user_id)
                .collect()
        }),
        PeerTarget::Channel(id) => state.chats.channel(id).map_or(Vec::new(), |c| {
            std::iter::once(c.creator)
                .chain(c.admins.iter().copied())
                .collect()
        }),
        PeerTarget::User(_) => Vec::new(),
    };
    let date = world.now();
    admins
        .into_iter()
        .map(|admin| {
            let update = tl::types::UpdatePendingJoinRequests {
                peer: chat.to_tl(),
                requests_pending: requesters.len() as i32,
                recent_requesters: requesters.iter().take(3).map(|&(u, _)| u).collect(),
            };
            let chats = match chat {
                PeerTarget::Chat(id) => state.chats.group(id).map(|g| g.to_tl(world, admin)),
                PeerTarget::Channel(id) => state.chats.channel(id).map(|c| c.to_tl(world, admin)),
                PeerTarget::User(_) => None,
            };
            Delivery {
                user_id: admin,
                except_session: None,
                updates: tl::types::Updates {
                    updates: vec![update.into()],
                    users: requesters
                        .iter()
                        .take(3)
                        .filter_map(|&(u, _)| state.users.get(u).map(|u| u.to_tl(world, admin)))
                        .collect(),
                    chats: chats.into_iter().collect(),
                    date,
                    seq: 0,
                }
                .into(),
            }
        })
        .collect()
}

/// `messages.hideChatJoinRequest`: approves (the user joins, with
/// `messageActionChatJoinedByRequest`) or dismisses a join request.
pub fn answer_join_request(
    world: &World,
    state: &mut WorldState,
    admin: i64,
    chat: PeerTarget,
    user: i64,
    approved: bool,
    caller: Option<u64>,
) -> Result<Changed, Refusal> {
    require_admin(state, admin, chat)?;
    let mut found = None;
    for invite in state.chats.invites.values_mut().filter(|i| i.chat == chat) {
        let before = invite.requests.len();
        invite.requests.retain(|&(u, _)| u != user);
        if invite.requests.len() != before {
            found = Some(invite.admin_id);
            if approved {
                invite.usage += 1;
            }
        }
    }
    let Some(inviter) = found else {
        return Err(Refusal::bad("HIDE_REQUESTER_MISSING"));
    };
    let mut pushes = pending_requests_pushes(world, state, chat);
    let mut changed = if approved {
        // The joining user is the service message's sender; the admin's
        // answer is the admin's own copy, which their other sessions get.
        let mut changed = admit(
            world,
            state,
            user,
            chat,
            inviter,
            tl::enums::MessageAction::ChatJoinedByRequest,
            None,
        )?;
        if let Some(own) = changed
            .pushes
            .iter_mut()
            .find(|p| p.user_id == admin && p.except_session.is_none())
        {
            own.except_session = caller;
            changed.answer = own.updates.clone();
        }
        changed
    } else {
        // Nothing moves for anyone but the admins' request counters.
        Changed {
            answer: tl::types::Updates {
                updates: Vec::new(),
                users: Vec::new(),
                chats: Vec::new(),
                date: world.now(),
                seq: 0,
            }
            .into(),
            pushes: Vec::new(),
        }
    };
    changed.pushes.append(&mut pushes);
    Ok(changed)
}
