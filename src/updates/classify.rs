//! What an `Update` is to the engine: which sequence it belongs to, which
//! peers it mentions, and the conversion of the short forms.

use std::sync::Arc;

use grammers_tl_types as tl;

use super::KnownPeers;

/// The sequence an update belongs to, with its position in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The common box: applies when `local + count == pts`.
    Pts { pts: i32, count: i32 },
    /// The secondary box: applies when `local + 1 == qts`.
    Qts { qts: i32 },
    /// A channel's own box.
    ChannelPts {
        channel_id: i64,
        pts: i32,
        count: i32,
    },
    /// The channel has more than the server would push.
    ChannelTooLong { channel_id: i64, pts: Option<i32> },
    /// No sequence: delivered as it comes.
    Plain,
}

/// The users and chats a container came with, shared by its updates until
/// they are delivered.
#[derive(Debug, Default)]
pub(crate) struct Peers {
    pub users: Vec<tl::enums::User>,
    pub chats: Vec<tl::enums::Chat>,
}

impl Peers {
    pub fn new(users: Vec<tl::enums::User>, chats: Vec<tl::enums::Chat>) -> Arc<Peers> {
        Arc::new(Peers { users, chats })
    }

    fn has_user(&self, id: i64) -> bool {
        self.users.iter().any(|user| user.id() == id)
    }

    fn has_channel(&self, id: i64) -> bool {
        self.chats.iter().any(|chat| match chat {
            tl::enums::Chat::Channel(channel) => channel.id == id,
            tl::enums::Chat::ChannelForbidden(channel) => channel.id == id,
            _ => false,
        })
    }
}

fn message_peer(message: &tl::enums::Message) -> Option<&tl::enums::Peer> {
    match message {
        tl::enums::Message::Empty(m) => m.peer_id.as_ref(),
        tl::enums::Message::Message(m) => Some(&m.peer_id),
        tl::enums::Message::Service(m) => Some(&m.peer_id),
    }
}

fn channel_of(message: &tl::enums::Message) -> Option<i64> {
    match message_peer(message) {
        Some(tl::enums::Peer::Channel(peer)) => Some(peer.channel_id),
        _ => None,
    }
}

/// Where `update` sits. A channel message whose peer is not a channel
/// (garbage) cannot be placed in any box and counts as `Plain`.
pub(crate) fn kind_of(update: &tl::enums::Update) -> Kind {
    use tl::enums::Update as U;
    let pts = |pts, count| Kind::Pts { pts, count };
    let channel = |channel_id: Option<i64>, pts, count| match channel_id {
        Some(channel_id) => Kind::ChannelPts {
            channel_id,
            pts,
            count,
        },
        None => Kind::Plain,
    };
    match update {
        U::NewMessage(u) => pts(u.pts, u.pts_count),
        U::DeleteMessages(u) => pts(u.pts, u.pts_count),
        U::ReadHistoryInbox(u) => pts(u.pts, u.pts_count),
        U::ReadHistoryOutbox(u) => pts(u.pts, u.pts_count),
        U::WebPage(u) => pts(u.pts, u.pts_count),
        U::ReadMessagesContents(u) => pts(u.pts, u.pts_count),
        U::EditMessage(u) => pts(u.pts, u.pts_count),
        U::FolderPeers(u) => pts(u.pts, u.pts_count),
        U::PinnedMessages(u) => pts(u.pts, u.pts_count),

        U::NewChannelMessage(u) => channel(channel_of(&u.message), u.pts, u.pts_count),
        U::EditChannelMessage(u) => channel(channel_of(&u.message), u.pts, u.pts_count),
        U::DeleteChannelMessages(u) => channel(Some(u.channel_id), u.pts, u.pts_count),
        U::ChannelWebPage(u) => channel(Some(u.channel_id), u.pts, u.pts_count),
        U::PinnedChannelMessages(u) => channel(Some(u.channel_id), u.pts, u.pts_count),
        U::ChannelTooLong(u) => Kind::ChannelTooLong {
            channel_id: u.channel_id,
            pts: u.pts,
        },

        U::NewEncryptedMessage(u) => Kind::Qts { qts: u.qts },
        U::MessagePollVote(u) => Kind::Qts { qts: u.qts },
        U::ChatParticipant(u) => Kind::Qts { qts: u.qts },
        U::ChannelParticipant(u) => Kind::Qts { qts: u.qts },
        U::BotStopped(u) => Kind::Qts { qts: u.qts },
        U::BotChatInviteRequester(u) => Kind::Qts { qts: u.qts },
        U::BotChatBoost(u) => Kind::Qts { qts: u.qts },
        U::BotMessageReaction(u) => Kind::Qts { qts: u.qts },
        U::BotMessageReactions(u) => Kind::Qts { qts: u.qts },
        U::BotBusinessConnect(u) => Kind::Qts { qts: u.qts },
        U::BotNewBusinessMessage(u) => Kind::Qts { qts: u.qts },
        U::BotEditBusinessMessage(u) => Kind::Qts { qts: u.qts },
        U::BotDeleteBusinessMessage(u) => Kind::Qts { qts: u.qts },
        U::BotPurchasedPaidMedia(u) => Kind::Qts { qts: u.qts },
        U::ManagedBot(u) => Kind::Qts { qts: u.qts },
        U::BotGuestChatQuery(u) => Kind::Qts { qts: u.qts },
        U::BotStarsSubscription(u) => Kind::Qts { qts: u.qts },
        _ => Kind::Plain,
    }
}

/// Whether `update` mentions a user or channel that neither the client's
/// cache nor the container's users/chats know, so the driver could not
/// build it into peers. Checked: the message of updateNewMessage,
/// updateEditMessage, updateNewChannelMessage and updateEditChannelMessage
/// (and so the converted short messages): its `from_id`, `peer_id`, the
/// forward header's `from_id` and `via_bot_id`. Basic groups need no
/// access hash and always count as known.
pub(crate) fn mentions_unknown(
    update: &tl::enums::Update,
    container: &Peers,
    known: &dyn KnownPeers,
) -> bool {
    use tl::enums::Update as U;
    let message = match update {
        U::NewMessage(u) => &u.message,
        U::EditMessage(u) => &u.message,
        U::NewChannelMessage(u) => &u.message,
        U::EditChannelMessage(u) => &u.message,
        _ => return false,
    };
    let peer_known = |peer: &tl::enums::Peer| match peer {
        tl::enums::Peer::User(p) => known.user_known(p.user_id) || container.has_user(p.user_id),
        tl::enums::Peer::Chat(_) => true,
        tl::enums::Peer::Channel(p) => {
            known.channel_known(p.channel_id) || container.has_channel(p.channel_id)
        }
    };
    let user_known = |id: i64| known.user_known(id) || container.has_user(id);
    match message {
        tl::enums::Message::Empty(_) => false,
        tl::enums::Message::Service(m) => {
            !peer_known(&m.peer_id) || m.from_id.as_ref().is_some_and(|p| !peer_known(p))
        }
        tl::enums::Message::Message(m) => {
            let forwarded_from = m.fwd_from.as_ref().and_then(|fwd| match fwd {
                tl::enums::MessageFwdHeader::Header(h) => h.from_id.as_ref(),
            });
            !peer_known(&m.peer_id)
                || m.from_id.as_ref().is_some_and(|p| !peer_known(p))
                || forwarded_from.is_some_and(|p| !peer_known(p))
                || m.via_bot_id.is_some_and(|id| !user_known(id))
        }
    }
}

/// A message with everything the short forms do not carry left empty.
fn bare_message(id: i32, peer_id: tl::enums::Peer, date: i32, text: String) -> tl::types::Message {
    tl::types::Message {
        out: false,
        mentioned: false,
        media_unread: false,
        silent: false,
        post: false,
        from_scheduled: false,
        legacy: false,
        edit_hide: false,
        pinned: false,
        noforwards: false,
        invert_media: false,
        offline: false,
        video_processing_pending: false,
        paid_suggested_post_stars: false,
        paid_suggested_post_ton: false,
        id,
        from_id: None,
        from_boosts_applied: None,
        from_rank: None,
        peer_id,
        saved_peer_id: None,
        fwd_from: None,
        via_bot_id: None,
        via_business_bot_id: None,
        guestchat_via_from: None,
        reply_to: None,
        date,
        message: text,
        media: None,
        reply_markup: None,
        entities: None,
        views: None,
        forwards: None,
        replies: None,
        edit_date: None,
        post_author: None,
        grouped_id: None,
        reactions: None,
        restriction_reason: None,
        ttl_period: None,
        quick_reply_shortcut_id: None,
        effect: None,
        factcheck: None,
        report_delivery_until_date: None,
        paid_message_stars: None,
        suggested_post: None,
        schedule_repeat_period: None,
        summary_from_language: None,
        rich_message: None,
    }
}

fn user_peer(user_id: i64) -> tl::enums::Peer {
    tl::enums::Peer::User(tl::types::PeerUser { user_id })
}

/// updateShortMessage as the updateNewMessage it stands for. `user_id` is
/// the other party, so `peer_id` is that user. The sender is that user
/// when the message is incoming; when `out`, the sender is the account
/// itself, whose id the engine does not know, so `from_id` is None (as
/// Telegram itself leaves it for outgoing private messages).
pub(crate) fn short_message(m: tl::types::UpdateShortMessage) -> tl::enums::Update {
    let mut message = bare_message(m.id, user_peer(m.user_id), m.date, m.message);
    message.out = m.out;
    message.mentioned = m.mentioned;
    message.media_unread = m.media_unread;
    message.silent = m.silent;
    message.from_id = (!m.out).then(|| user_peer(m.user_id));
    message.fwd_from = m.fwd_from;
    message.via_bot_id = m.via_bot_id;
    message.reply_to = m.reply_to;
    message.entities = m.entities;
    message.ttl_period = m.ttl_period;
    tl::enums::Update::NewMessage(tl::types::UpdateNewMessage {
        message: message.into(),
        pts: m.pts,
        pts_count: m.pts_count,
    })
}

/// updateShortChatMessage as updateNewMessage: `from_id` is the sender
/// (the account itself when `out`), `peer_id` the basic group.
pub(crate) fn short_chat_message(m: tl::types::UpdateShortChatMessage) -> tl::enums::Update {
    let chat = tl::enums::Peer::Chat(tl::types::PeerChat { chat_id: m.chat_id });
    let mut message = bare_message(m.id, chat, m.date, m.message);
    message.out = m.out;
    message.mentioned = m.mentioned;
    message.media_unread = m.media_unread;
    message.silent = m.silent;
    message.from_id = Some(user_peer(m.from_id));
    message.fwd_from = m.fwd_from;
    message.via_bot_id = m.via_bot_id;
    message.reply_to = m.reply_to;
    message.entities = m.entities;
    message.ttl_period = m.ttl_period;
    tl::enums::Update::NewMessage(tl::types::UpdateNewMessage {
        message: message.into(),
        pts: m.pts,
        pts_count: m.pts_count,
    })
}

/// A message from a difference, as the update it would have been pushed
/// as. Its pts is unknown (the difference gives one state for all), so
/// pts and pts_count are 0.
pub(crate) fn new_message(message: tl::enums::Message, channel: bool) -> tl::enums::Update {
    if channel {
        tl::enums::Update::NewChannelMessage(tl::types::UpdateNewChannelMessage {
            message,
            pts: 0,
            pts_count: 0,
        })
    } else {
        tl::enums::Update::NewMessage(tl::types::UpdateNewMessage {
            message,
            pts: 0,
            pts_count: 0,
        })
    }
}

/// A secret-chat message from a difference, qts 0 (see [`new_message`]).
pub(crate) fn new_encrypted_message(message: tl::enums::EncryptedMessage) -> tl::enums::Update {
    tl::enums::Update::NewEncryptedMessage(tl::types::UpdateNewEncryptedMessage { message, qts: 0 })
}
