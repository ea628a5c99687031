//! Reading, deleting and typing: the updates they log and push.
//!
//! Read and delete updates of a user's box move its `pts`. The other side
//! gets them in an `updates` container with its next `seq`; the caller's
//! other sessions get them with `seq` 0, since the caller's own answer
//! (`messages.affectedMessages`) carries no `seq`. Channel reads and typing
//! go out as `updateShort` (no `pts`, no `seq`).

use std::collections::BTreeMap;

use grammers_tl_types as tl;

use super::messages::{Logged, PeerTarget};
use super::push::Delivery;
use super::sending::{Refusal, box_updates, short};
use super::{World, WorldState};

/// `messages.affectedMessages` in plain numbers: the `pts` after the change
/// and how much it moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Affected {
    /// The box's (or channel's) `pts` after the change.
    pub pts: i32,
    /// How many `pts` the change took (0: nothing changed).
    pub pts_count: i32,
}

fn container(updates: Vec<tl::enums::Update>, date: i32, seq: i32) -> tl::enums::Updates {
    tl::types::Updates {
        updates,
        users: Vec::new(),
        chats: Vec::new(),
        date,
        seq,
    }
    .into()
}

/// `reader` reads a private chat or basic group up to `max_id` (0: all).
pub fn read_history(
    world: &World,
    state: &mut WorldState,
    reader: i64,
    dialog: PeerTarget,
    max_id: i32,
    caller: Option<u64>,
) -> (Affected, Vec<Delivery>) {
    let date = world.now();
    let user_box = state.mailboxes.user(reader);
    let top = user_box.top_message(dialog).map_or(0, |m| m.message.id);
    let max_id = if max_id <= 0 || max_id > top {
        top
    } else {
        max_id
    };
    let old = user_box.reads.get(&dialog).copied().unwrap_or_default();
    if max_id <= old.inbox_max_id {
        let pts = user_box.pts;
        return (Affected { pts, pts_count: 0 }, Vec::new());
    }
    user_box.reads.entry(dialog).or_default().inbox_max_id = max_id;
    let newly_read: Vec<(i64, u64)> = user_box
        .messages
        .range(old.inbox_max_id + 1..=max_id)
        .filter(|(_, m)| !m.message.out && m.dialog() == dialog)
        .map(|(_, m)| (m.sender, m.origin))
        .collect();
    let still_unread_count = user_box.unread_count(dialog);
    let mut inbox = tl::types::UpdateReadHistoryInbox {
        folder_id: None,
        peer: dialog.to_tl(),
        top_msg_id: None,
        max_id,
        still_unread_count,
        pts: 0,
        pts_count: 1,
    };
    inbox.pts = user_box.pts + 1;
    let pts = user_box.log_update(1, Logged::Other(Box::new(inbox.clone().into())));
    let mut deliveries = vec![Delivery {
        user_id: reader,
        except_session: caller,
        updates: container(vec![inbox.into()], date, 0),
    }];

    // Each sender sees its messages read, up to its own copy's id.
    let mut outbox: BTreeMap<i64, i32> = BTreeMap::new();
    for (sender, origin) in newly_read {
        if sender == reader {
            continue;
        }
        for &(owner, id) in state.mailboxes.copies(origin) {
            if owner == sender {
                let best = outbox.entry(sender).or_default();
                *best = (*best).max(id);
            }
        }
    }
    for (sender, max_id) in outbox {
        let their_dialog = match dialog {
            PeerTarget::User(_) => PeerTarget::User(reader),
            other => other,
        };
        let sender_box = state.mailboxes.user(sender);
        let read = sender_box.reads.entry(their_dialog).or_default();
        if max_id <= read.outbox_max_id {
            continue;
        }
        read.outbox_max_id = max_id;
        let update = tl::types::UpdateReadHistoryOutbox {
            peer: their_dialog.to_tl(),
            max_id,
            pts: sender_box.pts + 1,
            pts_count: 1,
        };
        sender_box.log_update(1, Logged::Other(Box::new(update.clone().into())));
        deliveries.push(Delivery {
            user_id: sender,
            except_session: None,
            updates: box_updates(state, sender, date, vec![update.into()]),
        });
    }
    (Affected { pts, pts_count: 1 }, deliveries)
}

/// `reader` reads a channel up to `max_id` (0: all).
pub fn read_channel(
    world: &World,
    state: &mut WorldState,
    reader: i64,
    channel_id: i64,
    max_id: i32,
    caller: Option<u64>,
) -> Vec<Delivery> {
    let date = world.now();
    let channel_box = state.mailboxes.channel(channel_id);
    let top = channel_box
        .messages
        .keys()
        .next_back()
        .copied()
        .unwrap_or(0);
    let max_id = if max_id <= 0 || max_id > top {
        top
    } else {
        max_id
    };
    let old = channel_box.read_inbox.get(&reader).copied().unwrap_or(0);
    if max_id <= old {
        return Vec::new();
    }
    channel_box.read_inbox.insert(reader, max_id);
    let inbox = tl::types::UpdateReadChannelInbox {
        folder_id: None,
        channel_id,
        max_id,
        still_unread_count: channel_box.unread_count(reader),
        pts: channel_box.pts,
    };
    let mut deliveries = vec![Delivery {
        user_id: reader,
        except_session: caller,
        updates: short(inbox.into(), date),
    }];
    if max_id > channel_box.read_by_anyone {
        let mut senders: Vec<i64> = channel_box
            .messages
            .range(channel_box.read_by_anyone + 1..=max_id)
            .map(|(_, m)| m.sender)
            .filter(|&s| s != reader)
            .collect();
        senders.sort_unstable();
        senders.dedup();
        channel_box.read_by_anyone = max_id;
        for sender in senders {
            let outbox = tl::types::UpdateReadChannelOutbox { channel_id, max_id };
            deliveries.push(Delivery {
                user_id: sender,
                except_session: None,
                updates: short(outbox.into(), date),
            });
        }
    }
    deliveries
}

/// Deletes messages of `user`'s box; with `revoke` (or always, for Saved
/// Messages) the other copies too where `user` may: private chats, and
/// groups for the sender or an admin.
pub fn delete_messages(
    world: &World,
    state: &mut WorldState,
    user: i64,
    ids: &[i32],
    revoke: bool,
    caller: Option<u64>,
) -> (Affected, Vec<Delivery>) {
    let date = world.now();
    let mut removed: BTreeMap<i64, Vec<i32>> = BTreeMap::new();
    for &id in ids {
        let Some(message) = state.mailboxes.user(user).messages.remove(&id) else {
            continue;
        };
        state.mailboxes.unlink(message.origin, user, id);
        removed.entry(user).or_default().push(id);
        let may_revoke = match message.dialog() {
            PeerTarget::User(_) => true,
            PeerTarget::Chat(chat_id) => {
                message.sender == user
                    || state.chats.group(chat_id).is_some_and(|g| {
                        g.creator == user || g.members.iter().any(|m| m.user_id == user && m.admin)
                    })
            }
            PeerTarget::Channel(_) => false,
        };
        if revoke && may_revoke {
            for (owner, copy) in state.mailboxes.copies(message.origin).to_vec() {
                state.mailboxes.user(owner).messages.remove(&copy);
                state.mailboxes.unlink(message.origin, owner, copy);
                removed.entry(owner).or_default().push(copy);
            }
        }
    }
    let mut affected = Affected {
        pts: state.mailboxes.user(user).pts,
        pts_count: 0,
    };
    let mut deliveries = Vec::new();
    for (owner, messages) in removed {
        let owner_box = state.mailboxes.user(owner);
        let pts_count = i32::try_from(messages.len()).unwrap_or(i32::MAX);
        let update = tl::types::UpdateDeleteMessages {
            messages,
            pts: owner_box.pts + pts_count,
            pts_count,
        };
        let pts = owner_box.log_update(pts_count, Logged::Other(Box::new(update.clone().into())));
        let updates = if owner == user {
            affected = Affected { pts, pts_count };
            container(vec![update.into()], date, 0)
        } else {
            box_updates(state, owner, date, vec![update.into()])
        };
        deliveries.push(Delivery {
            user_id: owner,
            except_session: (owner == user).then_some(caller).flatten(),
            updates,
        });
    }
    (affected, deliveries)
}

/// Deletes channel messages: the sender's own, or any for an admin.
pub fn delete_channel_messages(
    world: &World,
    state: &mut WorldState,
    user: i64,
    channel_id: i64,
    ids: &[i32],
    caller: Option<u64>,
) -> Result<(Affected, Vec<Delivery>), Refusal> {
    let date = world.now();
    let (admin, members) = match state.chats.channel(channel_id) {
        Some(c) => (
            c.creator == user || c.admins.contains(&user),
            c.members.clone(),
        ),
        None => return Err(Refusal::bad("CHANNEL_INVALID")),
    };
    let channel_box = state.mailboxes.channel(channel_id);
    if !admin
        && ids.iter().any(|id| {
            channel_box
                .messages
                .get(id)
                .is_some_and(|m| m.sender != user)
        })
    {
        return Err(Refusal::forbidden("MESSAGE_DELETE_FORBIDDEN"));
    }
    let messages: Vec<i32> = ids
        .iter()
        .copied()
        .filter(|id| channel_box.messages.remove(id).is_some())
        .collect();
    if messages.is_empty() {
        let pts = channel_box.pts;
        return Ok((Affected { pts, pts_count: 0 }, Vec::new()));
    }
    let pts_count = i32::try_from(messages.len()).unwrap_or(i32::MAX);
    let update = tl::types::UpdateDeleteChannelMessages {
        channel_id,
        messages,
        pts: channel_box.pts + pts_count,
        pts_count,
    };
    let pts = channel_box.log_update(pts_count, Logged::Other(Box::new(update.clone().into())));
    let deliveries = members
        .into_iter()
        .map(|member| {
            let chats = state
                .chats
                .channel(channel_id)
                .map(|c| vec![c.to_tl(world, member)])
                .unwrap_or_default();
            Delivery {
                user_id: member,
                except_session: (member == user).then_some(caller).flatten(),
                updates: tl::types::Updates {
                    updates: vec![update.clone().into()],
                    users: Vec::new(),
                    chats,
                    date,
                    seq: 0,
                }
                .into(),
            }
        })
        .collect();
    Ok((Affected { pts, pts_count }, deliveries))
}

/// `from` types (or cancels, by `action`) in a dialog: `updateShort` to the
/// other participants.
pub fn typing(
    world: &World,
    state: &WorldState,
    from: i64,
    dialog: PeerTarget,
    top_msg_id: Option<i32>,
    action: tl::enums::SendMessageAction,
) -> Vec<Delivery> {
    let date = world.now();
    let from_peer: tl::enums::Peer = tl::types::PeerUser { user_id: from }.into();
    let (members, update): (Vec<i64>, tl::enums::Update) = match dialog {
        PeerTarget::User(peer) => (
            vec![peer],
            tl::types::UpdateUserTyping {
                user_id: from,
                top_msg_id,
                action,
            }
            .into(),
        ),
        PeerTarget::Chat(chat_id) => (
            state
                .chats
                .group(chat_id)
                .map(|g| g.members.iter().map(|m| m.user_id).collect())
                .unwrap_or_default(),
            tl::types::UpdateChatUserTyping {
                chat_id,
                from_id: from_peer,
                action,
            }
            .into(),
        ),
        PeerTarget::Channel(channel_id) => (
            state
                .chats
                .channel(channel_id)
                .map(|c| c.members.iter().copied().collect())
                .unwrap_or_default(),
            tl::types::UpdateChannelUserTyping {
                channel_id,
                top_msg_id,
                from_id: from_peer,
                action,
            }
            .into(),
        ),
    };
    members
        .into_iter()
        .filter(|&m| m != from)
        .map(|user_id| Delivery {
            user_id,
            except_session: None,
            updates: short(update.clone(), date),
        })
        .collect()
}
