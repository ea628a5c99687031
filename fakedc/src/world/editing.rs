//! Editing messages, as Telegram does it.
//!
//! Only the author may edit (in broadcast channels the creator and admins
//! too); every copy of the message changes and gets an `edit_date`. In
//! private chats and groups each participant's box logs an
//! `updateEditMessage` (its own `pts`, `pts_count` 1) and gets it in an
//! `updates` container with its next `seq` (the editor's answer and the
//! pushes to its other sessions share one). In channels the channel logs
//! one `updateEditChannelMessage` and every member gets it with `seq` 0.

use grammers_tl_types as tl;

use super::messages::{Logged, MAX_MESSAGE_LEN, PeerTarget, StoredMessage, webpage_preview};
use super::push::Delivery;
use super::sending::{Refusal, next_seq, peers_of_messages};
use super::{World, WorldState};

/// How long after sending a message may be edited (`edit_time_limit`).
pub const EDIT_TIME_LIMIT: i32 = 172_800;

/// What an edit changes.
#[derive(Debug, Clone, Default)]
pub struct Edit {
    /// The new text; `None` keeps the old one.
    pub text: Option<String>,
    /// The new entities (with a new text; `None` then means none).
    pub entities: Option<Vec<tl::enums::MessageEntity>>,
    /// No web-page preview for the new text.
    pub no_webpage: bool,
}

fn is_webpage(media: &Option<tl::enums::MessageMedia>) -> bool {
    matches!(media, None | Some(tl::enums::MessageMedia::WebPage(_)))
}

/// The message as it is after `edit`, or why it may not be edited.
fn edited(
    original: &StoredMessage,
    editor: i64,
    may_edit_others: bool,
    saved_messages: bool,
    now: i32,
    edit: &Edit,
) -> Result<tl::types::Message, Refusal> {
    if original.is_service() {
        return Err(Refusal::bad("MESSAGE_ID_INVALID"));
    }
    if original.sender != editor && !may_edit_others {
        return Err(Refusal::forbidden("MESSAGE_AUTHOR_REQUIRED"));
    }
    let old = &original.message;
    if !saved_messages && now - old.date > EDIT_TIME_LIMIT {
        return Err(Refusal::bad("MESSAGE_EDIT_TIME_EXPIRED"));
    }
    let mut message = old.clone();
    if let Some(text) = &edit.text {
        if text.encode_utf16().count() > MAX_MESSAGE_LEN {
            return Err(Refusal::bad("MESSAGE_TOO_LONG"));
        }
        message.message = text.clone();
        message.entities = edit.entities.clone();
    }
    if is_webpage(&old.media) {
        if message.message.trim().is_empty() {
            return Err(Refusal::bad("MESSAGE_EMPTY"));
        }
        message.media = if edit.no_webpage {
            None
        } else {
            webpage_preview(&message.message)
        };
    }
    if message.message == old.message
        && message.entities == old.entities
        && message.media == old.media
    {
        return Err(Refusal::bad("MESSAGE_NOT_MODIFIED"));
    }
    message.edit_date = Some(now);
    Ok(message)
}

fn container(
    update: tl::enums::Update,
    users: Vec<tl::enums::User>,
    chats: Vec<tl::enums::Chat>,
    date: i32,
    seq: i32,
) -> tl::enums::Updates {
    tl::types::Updates {
        updates: vec![update],
        users,
        chats,
        date,
        seq,
    }
    .into()
}

/// `editor` edits message `id` of `dialog` (in its own view). Returns the
/// editor's answer and what every other session gets.
pub fn edit_message(
    world: &World,
    state: &mut WorldState,
    editor: i64,
    dialog: PeerTarget,
    id: i32,
    edit: &Edit,
    caller: Option<u64>,
) -> Result<(tl::enums::Updates, Vec<Delivery>), Refusal> {
    let now = world.now();
    if let PeerTarget::Channel(channel_id) = dialog {
        let (may_edit_others, members) = match state.chats.channel(channel_id) {
            Some(c) => (
                c.broadcast && (c.creator == editor || c.admins.contains(&editor)),
                c.members.clone(),
            ),
            None => return Err(Refusal::bad("CHANNEL_INVALID")),
        };
        let channel_box = state.mailboxes.channel(channel_id);
        let original = channel_box
            .messages
            .get(&id)
            .ok_or(Refusal::bad("MESSAGE_ID_INVALID"))?;
        let message = edited(original, editor, may_edit_others, false, now, edit)?;
        let mut stored = original.clone();
        stored.message = message;
        channel_box.messages.insert(id, stored.clone());
        let pts = channel_box.log_update(1, Logged::Edited(id));
        let update_for = |viewer: i64| -> tl::enums::Update {
            tl::types::UpdateEditChannelMessage {
                message: stored.view(viewer),
                pts,
                pts_count: 1,
            }
            .into()
        };
        let mut answer = None;
        let mut deliveries = Vec::new();
        for member in members.iter().copied().chain(
            // An editor who is not a member (cannot happen for authors) still gets its answer.
            (!members.contains(&editor)).then_some(editor),
        ) {
            let view = stored.view(member);
            let (users, mut chats) = peers_of_messages(world, state, member, &[view]);
            if chats.is_empty()
                && let Some(channel) = state.chats.channel(channel_id)
            {
                chats.push(channel.to_tl(world, member));
            }
            let updates = container(update_for(member), users, chats, now, 0);
            if member == editor {
                answer = Some(updates.clone());
            }
            deliveries.push(Delivery {
                user_id: member,
                except_session: (member == editor).then_some(caller).flatten(),
                updates,
            });
        }
        let answer = answer.ok_or(Refusal::bad("MESSAGE_ID_INVALID"))?;
        return Ok((answer, deliveries));
    }

    // Private chats and groups: every copy, in every participant's box.
    let original = state
        .mailboxes
        .user_ref(editor)
        .and_then(|b| b.messages.get(&id))
        .filter(|m| m.dialog() == dialog)
        .cloned()
        .ok_or(Refusal::bad("MESSAGE_ID_INVALID"))?;
    let saved = dialog == PeerTarget::User(editor);
    let template = edited(&original, editor, false, saved, now, edit)?;
    let mut copies = state.mailboxes.copies(original.origin).to_vec();
    if !copies.contains(&(editor, id)) {
        copies.push((editor, id));
    }
    let mut answer = None;
    let mut deliveries = Vec::new();
    for (owner, copy_id) in copies {
        let user_box = state.mailboxes.user(owner);
        let Some(copy) = user_box.messages.get_mut(&copy_id) else {
            continue;
        };
        copy.message.message = template.message.clone();
        copy.message.entities = template.entities.clone();
        copy.message.media = template.media.clone();
        copy.message.edit_date = template.edit_date;
        let message: tl::enums::Message = copy.message.clone().into();
        let pts = user_box.log_update(1, Logged::Edited(copy_id));
        if saved && let Some(mirror) = state.accounts.get_mut(&owner) {
            for kept in &mut mirror.saved_messages {
                if matches!(kept, tl::enums::Message::Message(m) if m.id == copy_id) {
                    *kept = message.clone();
                }
            }
            mirror.pts = pts;
        }
        let (users, chats) = peers_of_messages(world, state, owner, std::slice::from_ref(&message));
        let update = tl::types::UpdateEditMessage {
            message,
            pts,
            pts_count: 1,
        };
        let seq = next_seq(state, owner);
        let updates = container(update.into(), users, chats, now, seq);
        if owner == editor {
            answer = Some(updates.clone());
        }
        deliveries.push(Delivery {
            user_id: owner,
            except_session: (owner == editor).then_some(caller).flatten(),
            updates,
        });
    }
    let answer = answer.ok_or(Refusal::bad("MESSAGE_ID_INVALID"))?;
    Ok((answer, deliveries))
}
