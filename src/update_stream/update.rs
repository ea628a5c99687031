//! The typed [`Update`]: what the update stream yields, one variant per
//! tg-cli callback plus what a client needs beyond them.

use grammers_tl_types as tl;
use serde::Serialize;

use crate::td::ids::ChatRef;
use crate::tgl::{Msg, Peer, PeerDirectory, chat_ref_of};

/// One event of the update stream. In the JSON dispatcher each is the
/// payload of a `chat_update` event, with `type` as below:
///
/// ```text
/// {"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"msg_receive","msg":{…},"edited":false}}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Update {
    /// `on_msg_receive`: a new message (incoming, or the account's own
    /// from another session), or an edited one (`edited: true`).
    MsgReceive {
        /// The message (boxed: it is much larger than the other variants).
        msg: Box<Msg>,
        /// Whether this is an edit of a message seen before.
        edited: bool,
    },
    /// `on_our_id`: the signed-in account, once per connection.
    OurId {
        /// The account's user id.
        id: i64,
    },
    /// `on_binlog_replay_end`: the persisted update state was loaded; what
    /// follows comes from the network.
    BinlogReplayEnd,
    /// `on_get_difference_end`: the first catch-up of this start has
    /// finished; everything missed while offline came before it.
    GetDifferenceEnd,
    /// `on_user_update`: something about a user changed.
    UserUpdate {
        /// The user.
        peer: Peer,
        /// What changed: `name`, `username`, `phone`, `status`, `photo`.
        what_changed: Vec<String>,
    },
    /// `on_chat_update`: something about a group or channel changed.
    ChatUpdate {
        /// The chat, with its new values.
        peer: Peer,
        /// What changed: `title`, `photo`, `members`, `admins`, `migrated`.
        what_changed: Vec<String>,
        /// For `migrated`: the supergroup (TDLib chat id) the basic group
        /// `peer` became; later calls naming the group go there.
        #[serde(skip_serializing_if = "Option::is_none")]
        migrated_to: Option<i64>,
    },
    /// Someone is typing (or stopped: `typing: false`).
    Typing {
        /// The chat (TDLib id).
        chat_id: i64,
        /// Who.
        user_id: i64,
        /// Whether they are typing (`false` for the cancel action).
        typing: bool,
        /// The MTProto action, e.g. `sendMessageTypingAction`.
        action: String,
    },
    /// The other side read the account's messages up to `max_id`.
    ReadOutbox {
        /// The chat (TDLib id).
        chat_id: i64,
        /// The last message read.
        max_id: i32,
    },
    /// The account read a chat up to `max_id` (on another session too).
    ReadInbox {
        /// The chat (TDLib id).
        chat_id: i64,
        /// The last message read.
        max_id: i32,
    },
    /// Messages were deleted. `chat_id` is known for channels; elsewhere
    /// ids are unique within the account's message box, so Telegram does
    /// not say.
    MsgDelete {
        /// The channel (TDLib id), or `None` outside channels.
        chat_id: Option<i64>,
        /// The deleted messages.
        msg_ids: Vec<i32>,
    },
    /// Telegram could not send everything missed (`differenceTooLong`):
    /// the history of `chat_id` (of every chat, for `None`) may have gaps;
    /// reload it with `get_history` if it matters.
    GapsPossible {
        /// The channel (TDLib id), or `None` for the account's chats.
        chat_id: Option<i64>,
    },
}

impl Update {
    /// The JSON dispatcher's event for this update of account `userbot_id`:
    /// `{"type":"chat_update","userbot_id":N,"payload":{"userbot_id":N,"type":…,…}}`.
    pub fn to_event(&self, userbot_id: i64) -> serde_json::Value {
        // An Update is strings, numbers and lists: it always serializes.
        let mut payload =
            serde_json::to_value(self).unwrap_or_else(|_| serde_json::json!({"type": self.kind()}));
        if let Some(fields) = payload.as_object_mut() {
            fields.insert("userbot_id".into(), userbot_id.into());
        }
        serde_json::json!({"type": "chat_update", "userbot_id": userbot_id, "payload": payload})
    }

    /// [`Update::to_event`] as one JSON line, with the keys in the order
    /// the spec writes them (`type`, `userbot_id`, `payload`; in the
    /// payload `userbot_id`, `type`, then the update's fields), as the
    /// answers to commands have them.
    pub fn to_event_line(&self, userbot_id: i64) -> String {
        #[derive(Serialize)]
        struct Payload<'a> {
            userbot_id: i64,
            #[serde(flatten)]
            update: &'a Update,
        }
        #[derive(Serialize)]
        struct Event<'a> {
            r#type: &'static str,
            userbot_id: i64,
            payload: Payload<'a>,
        }
        let event = Event {
            r#type: "chat_update",
            userbot_id,
            payload: Payload {
                userbot_id,
                update: self,
            },
        };
        // Strings, numbers and lists: it always serializes; the Value form
        // is the fallback all the same.
        serde_json::to_string(&event).unwrap_or_else(|_| self.to_event(userbot_id).to_string())
    }

    /// The JSON `type` of this update.
    pub fn kind(&self) -> &'static str {
        match self {
            Update::MsgReceive { .. } => "msg_receive",
            Update::OurId { .. } => "our_id",
            Update::BinlogReplayEnd => "binlog_replay_end",
            Update::GetDifferenceEnd => "get_difference_end",
            Update::UserUpdate { .. } => "user_update",
            Update::ChatUpdate { .. } => "chat_update",
            Update::Typing { .. } => "typing",
            Update::ReadOutbox { .. } => "read_outbox",
            Update::ReadInbox { .. } => "read_inbox",
            Update::MsgDelete { .. } => "msg_delete",
            Update::GapsPossible { .. } => "gaps_possible",
        }
    }

    /// The users an MTProto update names, which its [`Update`]s look up:
    /// those of its message, or the user whose details changed.
    pub fn users_named(update: &tl::enums::Update) -> Vec<i64> {
        use tl::enums::Update as U;
        match update {
            U::NewMessage(u) => crate::tgl::users_of_message(&u.message),
            U::NewChannelMessage(u) => crate::tgl::users_of_message(&u.message),
            U::EditMessage(u) => crate::tgl::users_of_message(&u.message),
            U::EditChannelMessage(u) => crate::tgl::users_of_message(&u.message),
            U::UserName(u) => vec![u.user_id],
            U::UserStatus(u) => vec![u.user_id],
            U::UserPhone(u) => vec![u.user_id],
            U::User(u) => vec![u.user_id],
            _ => Vec::new(),
        }
    }

    /// The typed updates for one MTProto update. `own` marks updates that
    /// came back in the answer of this client's own request: the messages
    /// it sent itself are its commands' answers, not news.
    pub fn from_tl(update: &tl::enums::Update, peers: &PeerDirectory, own: bool) -> Vec<Update> {
        use tl::enums::Update as U;
        let msg = |message: &tl::enums::Message, edited: bool| {
            Msg::from_tl(message, peers, None).map(|msg| Update::MsgReceive {
                msg: Box::new(msg),
                edited,
            })
        };
        let typing =
            |chat: ChatRef, from: i64, action: &tl::enums::SendMessageAction| Update::Typing {
                chat_id: chat.chat_id(),
                user_id: from,
                typing: !matches!(
                    action,
                    tl::enums::SendMessageAction::SendMessageCancelAction
                ),
                action: crate::tgl::constructor_name("", action)
                    .chars()
                    .enumerate()
                    .map(|(i, c)| if i == 0 { c.to_ascii_lowercase() } else { c })
                    .collect(),
            };
        let user = |user_id: i64, what: &[&str]| Update::UserUpdate {
            peer: peers.peer(ChatRef::User(user_id)),
            what_changed: what.iter().map(|w| w.to_string()).collect(),
        };
        let chat = |chat: ChatRef, what: &[&str]| Update::ChatUpdate {
            peer: peers.peer(chat),
            what_changed: what.iter().map(|w| w.to_string()).collect(),
            migrated_to: None,
        };
        // A service message says what changed about its chat, to every
        // member once (the caller's own answer included).
        let new_message = match update {
            U::NewMessage(u) => Some(&u.message),
            U::NewChannelMessage(u) => Some(&u.message),
            _ => None,
        };
        if let Some(tl::enums::Message::Service(service)) = new_message {
            let mut updates: Vec<Update> = Vec::new();
            if !own {
                updates.extend(msg(&service.clone().into(), false));
            }
            updates.extend(chat_change(
                &service.action,
                chat_ref_of(&service.peer_id),
                peers,
            ));
            return updates;
        }
        let update = match update {
            U::NewMessage(u) if !own => msg(&u.message, false),
            U::NewChannelMessage(u) if !own => msg(&u.message, false),
            U::EditMessage(u) => msg(&u.message, true),
            U::EditChannelMessage(u) => msg(&u.message, true),
            U::DeleteMessages(u) => Some(Update::MsgDelete {
                chat_id: None,
                msg_ids: u.messages.clone(),
            }),
            U::DeleteChannelMessages(u) => Some(Update::MsgDelete {
                chat_id: Some(ChatRef::Channel(u.channel_id).chat_id()),
                msg_ids: u.messages.clone(),
            }),
            U::UserTyping(u) => Some(typing(ChatRef::User(u.user_id), u.user_id, &u.action)),
            U::ChatUserTyping(u) => Some(typing(
                ChatRef::BasicGroup(u.chat_id),
                chat_ref_of(&u.from_id).chat_id(),
                &u.action,
            )),
            U::ChannelUserTyping(u) => Some(typing(
                ChatRef::Channel(u.channel_id),
                chat_ref_of(&u.from_id).chat_id(),
                &u.action,
            )),
            U::ReadHistoryOutbox(u) => Some(Update::ReadOutbox {
                chat_id: chat_ref_of(&u.peer).chat_id(),
                max_id: u.max_id,
            }),
            U::ReadHistoryInbox(u) => Some(Update::ReadInbox {
                chat_id: chat_ref_of(&u.peer).chat_id(),
                max_id: u.max_id,
            }),
            U::ReadChannelOutbox(u) => Some(Update::ReadOutbox {
                chat_id: ChatRef::Channel(u.channel_id).chat_id(),
                max_id: u.max_id,
            }),
            U::ReadChannelInbox(u) => Some(Update::ReadInbox {
                chat_id: ChatRef::Channel(u.channel_id).chat_id(),
                max_id: u.max_id,
            }),
            U::UserName(u) => Some(user(u.user_id, &["name", "username"])),
            U::UserStatus(u) => {
                // The peer carries the new status, whatever the directory
                // last saw.
                let mut peer = peers.peer(ChatRef::User(u.user_id));
                peer.user_status = Some(crate::tgl::UserStatus::from_tl(&u.status));
                Some(Update::UserUpdate {
                    peer,
                    what_changed: vec!["status".to_string()],
                })
            }
            U::UserPhone(u) => Some(user(u.user_id, &["phone"])),
            U::User(u) => Some(user(u.user_id, &["name", "username", "photo"])),
            U::ChatParticipants(u) => {
                let chat_id = match &u.participants {
                    tl::enums::ChatParticipants::Forbidden(p) => p.chat_id,
                    tl::enums::ChatParticipants::Participants(p) => p.chat_id,
                };
                Some(chat(ChatRef::BasicGroup(chat_id), &["members"]))
            }
            U::ChatParticipantAdd(u) => Some(chat(ChatRef::BasicGroup(u.chat_id), &["members"])),
            U::ChatParticipantDelete(u) => Some(chat(ChatRef::BasicGroup(u.chat_id), &["members"])),
            U::ChatParticipantAdmin(u) => Some(chat(ChatRef::BasicGroup(u.chat_id), &["admins"])),
            U::ChannelParticipant(u) => {
                let admin = |p: &Option<tl::enums::ChannelParticipant>| {
                    matches!(
                        p,
                        Some(
                            tl::enums::ChannelParticipant::Admin(_)
                                | tl::enums::ChannelParticipant::Creator(_)
                        )
                    )
                };
                let what: &[&str] = if admin(&u.prev_participant) != admin(&u.new_participant) {
                    &["admins"]
                } else {
                    &["members"]
                };
                Some(chat(ChatRef::Channel(u.channel_id), what))
            }
            // `updateChat` / `updateChannel` only ask clients to refetch
            // the chat: the service message that comes with a change says
            // what changed (above), so these add no event of their own.
            _ => None,
        };
        update.into_iter().collect()
    }
}

/// What differs between two sightings of a user, in `on_user_update`'s
/// words: `name`, `username`, `photo`, `phone`, `contact`.
pub fn user_changes(old: &tl::types::User, new: &tl::types::User) -> Vec<&'static str> {
    let photo_id = |u: &tl::types::User| match &u.photo {
        Some(tl::enums::UserProfilePhoto::Photo(p)) => Some(p.photo_id),
        _ => None,
    };
    let mut what = Vec::new();
    if old.first_name != new.first_name || old.last_name != new.last_name {
        what.push("name");
    }
    if old.username != new.username {
        what.push("username");
    }
    if photo_id(old) != photo_id(new) {
        what.push("photo");
    }
    // A phone Telegram hides (`None`) in one answer is not a change.
    if new.phone.is_some() && old.phone != new.phone {
        what.push("phone");
    }
    if old.contact != new.contact {
        what.push("contact");
    }
    what
}

impl Update {
    /// Narrows a `user_update` made from `source` to what really changed,
    /// given the user as the client knew it `before` and as the answer
    /// shows it `now`: `updateUserName` is `name` plus `username` only if
    /// that changed; `updateUser` (a hint to refetch) is whatever differs,
    /// and nothing if nothing does. Other updates pass unchanged.
    pub fn refined(
        self,
        source: &tl::enums::Update,
        before: Option<&tl::types::User>,
        now: Option<&tl::types::User>,
    ) -> Option<Update> {
        let Update::UserUpdate { peer, what_changed } = self else {
            return Some(self);
        };
        let what: Vec<&str> = match (source, before) {
            (tl::enums::Update::UserName(u), Some(old)) => {
                let new_username = u.usernames.iter().find_map(|name| match name {
                    tl::enums::Username::Username(n) if n.active => Some(n.username.clone()),
                    _ => None,
                });
                let mut what = vec!["name"];
                if new_username != old.username {
                    what.push("username");
                }
                what
            }
            (tl::enums::Update::User(_), Some(old)) => match now {
                Some(new) => user_changes(old, new),
                None => return Some(Update::UserUpdate { peer, what_changed }),
            },
            _ => return Some(Update::UserUpdate { peer, what_changed }),
        };
        if what.is_empty() {
            return None;
        }
        Some(Update::UserUpdate {
            peer,
            what_changed: what.into_iter().map(str::to_string).collect(),
        })
    }
}

/// The `on_chat_update` a service action means: `title`, `photo`,
/// `members` or `migrated` (with the supergroup's id). Creation is only
/// the message, and the supergroup's `channelMigrateFrom` repeats what the
/// group's `chatMigrateTo` said.
fn chat_change(
    action: &tl::enums::MessageAction,
    chat: ChatRef,
    peers: &PeerDirectory,
) -> Option<Update> {
    use tl::enums::MessageAction as A;
    let (what, migrated_to) = match action {
        A::ChatEditTitle(_) => ("title", None),
        A::ChatEditPhoto(_) | A::ChatDeletePhoto => ("photo", None),
        A::ChatAddUser(_)
        | A::ChatDeleteUser(_)
        | A::ChatJoinedByLink(_)
        | A::ChatJoinedByRequest => ("members", None),
        A::ChatMigrateTo(a) => ("migrated", Some(ChatRef::Channel(a.channel_id).chat_id())),
        _ => return None,
    };
    Some(Update::ChatUpdate {
        peer: peers.peer(chat),
        what_changed: vec![what.to_string()],
        migrated_to,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_names_the_users_its_peers_need() {
        let forwarded = tl::types::MessageFwdHeader {
            imported: false,
            saved_out: false,
            from_id: Some(tl::types::PeerUser { user_id: 30 }.into()),
            from_name: None,
            date: 0,
            channel_post: None,
            post_author: None,
            saved_from_peer: None,
            saved_from_msg_id: None,
            saved_from_id: None,
            saved_from_name: None,
            saved_date: None,
            psa_type: None,
        };
        let short = tl::types::UpdateShortMessage {
            out: false,
            mentioned: false,
            media_unread: false,
            silent: false,
            id: 1,
            user_id: 20,
            message: "hi".into(),
            pts: 2,
            pts_count: 1,
            date: 0,
            fwd_from: Some(forwarded.into()),
            via_bot_id: Some(40),
            reply_to: None,
            entities: None,
            ttl_period: None,
        };
        let update = crate::updates::classify::short_message(short);
        let mut named = Update::users_named(&update);
        named.sort_unstable();
        named.dedup();
        assert_eq!(named, vec![20, 30, 40]);
        let status = tl::types::UpdateUserStatus {
            user_id: 50,
            status: tl::enums::UserStatus::Empty,
        };
        assert_eq!(Update::users_named(&status.into()), vec![50]);
        assert!(Update::users_named(&tl::enums::Update::Config).is_empty());
    }

    #[test]
    fn event_lines_keep_the_spec_key_order_and_match_the_value_form() {
        let updates = [
            Update::OurId { id: 42 },
            Update::GetDifferenceEnd,
            Update::MsgDelete {
                chat_id: None,
                msg_ids: vec![3, 4],
            },
        ];
        for update in updates {
            let line = update.to_event_line(7);
            let prefix = format!(
                r#"{{"type":"chat_update","userbot_id":7,"payload":{{"userbot_id":7,"type":"{}""#,
                update.kind()
            );
            assert!(line.starts_with(&prefix), "{line}");
            let parsed: serde_json::Value = serde_json::from_str(&line).expect("JSON");
            assert_eq!(parsed, update.to_event(7));
        }
    }

    fn seen(user: fakedc::User) -> tl::types::User {
        let world = fakedc::World::new(fakedc::Limits::default(), fakedc::Shaping::default());
        match user.to_tl(&world, 1) {
            tl::enums::User::User(u) => u,
            other => panic!("not a user: {other:?}"),
        }
    }

    fn ada(first_name: &str, username: &str) -> tl::types::User {
        seen(fakedc::User {
            id: 7,
            first_name: first_name.into(),
            username: Some(username.into()),
            ..fakedc::User::default()
        })
    }

    fn user_event(what: &[&str]) -> Update {
        Update::UserUpdate {
            peer: Peer::unknown_user(7),
            what_changed: what.iter().map(|w| w.to_string()).collect(),
        }
    }

    #[test]
    fn user_updates_say_only_what_changed() {
        let before = ada("Ada", "ada");
        let renamed = ada("Ada B", "ada");
        assert_eq!(user_changes(&before, &renamed), ["name"]);
        assert_eq!(user_changes(&before, &ada("Ada", "ada_b")), ["username"]);
        assert!(user_changes(&before, &before).is_empty());

        // updateUser is a hint: what differs, or no event at all.
        let hint: tl::enums::Update = tl::types::UpdateUser { user_id: 7 }.into();
        let all = user_event(&["name", "username", "photo"]);
        assert_eq!(
            all.clone().refined(&hint, Some(&before), Some(&before)),
            None
        );
        assert_eq!(
            all.clone().refined(&hint, Some(&before), Some(&renamed)),
            Some(user_event(&["name"]))
        );
        // Never seen before: nothing to compare with, the event stays.
        assert_eq!(
            all.clone().refined(&hint, None, Some(&renamed)),
            Some(all.clone())
        );

        // updateUserName: name, and username only when it changed.
        let name_update = |username: &str| -> tl::enums::Update {
            tl::types::UpdateUserName {
                user_id: 7,
                first_name: "Ada B".into(),
                last_name: String::new(),
                usernames: vec![
                    tl::types::Username {
                        editable: true,
                        active: true,
                        deletable: false,
                        expired: false,
                        username: username.into(),
                    }
                    .into(),
                ],
            }
            .into()
        };
        let both = user_event(&["name", "username"]);
        assert_eq!(
            both.clone()
                .refined(&name_update("ada"), Some(&before), None),
            Some(user_event(&["name"]))
        );
        assert_eq!(
            both.clone()
                .refined(&name_update("ada_b"), Some(&before), None),
            Some(both.clone())
        );
        // Other updates pass untouched.
        let other = Update::OurId { id: 7 };
        assert_eq!(
            other.clone().refined(&hint, Some(&before), None),
            Some(other)
        );
    }

    #[test]
    fn service_messages_name_the_chat_change_once() {
        let service = |action: tl::enums::MessageAction| -> tl::enums::Update {
            tl::types::UpdateNewMessage {
                message: tl::types::MessageService {
                    out: false,
                    mentioned: false,
                    media_unread: false,
                    reactions_are_possible: false,
                    silent: false,
                    post: false,
                    legacy: false,
                    id: 5,
                    from_id: Some(tl::types::PeerUser { user_id: 7 }.into()),
                    peer_id: tl::types::PeerChat { chat_id: 40 }.into(),
                    saved_peer_id: None,
                    reply_to: None,
                    date: 0,
                    action,
                    reactions: None,
                    ttl_period: None,
                }
                .into(),
                pts: 2,
                pts_count: 1,
            }
            .into()
        };
        let peers = PeerDirectory::new(1);
        let changes = |update: &tl::enums::Update, own: bool| -> Vec<(Vec<String>, Option<i64>)> {
            Update::from_tl(update, &peers, own)
                .into_iter()
                .filter_map(|u| match u {
                    Update::ChatUpdate {
                        peer,
                        what_changed,
                        migrated_to,
                    } => {
                        assert_eq!(peer.id, -40);
                        Some((what_changed, migrated_to))
                    }
                    _ => None,
                })
                .collect()
        };
        let title = service(tl::types::MessageActionChatEditTitle { title: "T".into() }.into());
        assert_eq!(changes(&title, false), [(vec!["title".to_string()], None)]);
        // The caller's own answer reports the change too, without the message.
        assert_eq!(changes(&title, true), [(vec!["title".to_string()], None)]);
        assert_eq!(Update::from_tl(&title, &peers, true).len(), 1);
        assert_eq!(Update::from_tl(&title, &peers, false).len(), 2);
        let joined = service(tl::types::MessageActionChatJoinedByLink { inviter_id: 7 }.into());
        assert_eq!(
            changes(&joined, false),
            [(vec!["members".to_string()], None)]
        );
        let moved = service(tl::types::MessageActionChatMigrateTo { channel_id: 99 }.into());
        assert_eq!(
            changes(&moved, false),
            [(vec!["migrated".to_string()], Some(-1_000_000_000_099))]
        );
        // updateChannel / updateChat are refetch hints: no event of their own.
        let hint: tl::enums::Update = tl::types::UpdateChannel { channel_id: 99 }.into();
        assert!(Update::from_tl(&hint, &peers, false).is_empty());
    }
}
