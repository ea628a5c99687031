//! Knowing who is who: access hashes for users and channels, remembered in
//! the session whenever Telegram sends them, so later calls can name them.

use grammers_session::types::{ChannelKind, PeerAuth, PeerId, PeerInfo};
use grammers_tl_types as tl;

use super::Client;
use crate::error::{Error, Result};

/// How many users' names and photos a client keeps in memory (for answers
/// built without a network call); beyond it, only those already kept are
/// refreshed. The access hashes in the session are not limited.
const MAX_KNOWN_USERS: usize = 100_000;

impl Client {
    /// The signed-in user's id (asked once, then remembered).
    pub async fn self_id(&self) -> Result<i64> {
        self.inner
            .self_id
            .get_or_try_init(|| async { Ok(self.get_me().await?.id) })
            .await
            .copied()
    }

    /// Remembers the access hashes of `users` in the session (and, for
    /// this client's lifetime, their names and photos).
    pub async fn remember_users(&self, users: &[tl::enums::User]) -> Result<()> {
        {
            let mut known = self
                .inner
                .known_users
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            for user in users {
                if let tl::enums::User::User(u) = user
                    && (known.contains_key(&u.id) && !u.min
                        || !known.contains_key(&u.id) && known.len() < MAX_KNOWN_USERS)
                {
                    known.insert(u.id, u.clone());
                }
            }
        }
        let infos: Vec<PeerInfo> = users
            .iter()
            .filter_map(|user| match user {
                tl::enums::User::User(u) if !u.min => Some(PeerInfo::User {
                    id: u.id,
                    auth: u.access_hash.map(PeerAuth::from_hash),
                    bot: Some(u.bot),
                    is_self: Some(u.is_self),
                }),
                _ => None,
            })
            .collect();
        self.remember(infos).await
    }

    /// Remembers the access hashes of the channels among `chats`, and the
    /// basic groups among them that were migrated to a supergroup.
    pub async fn remember_chats(&self, chats: &[tl::enums::Chat]) -> Result<()> {
        {
            let mut migrated = self
                .inner
                .migrated_groups
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            for chat in chats {
                if let tl::enums::Chat::Chat(c) = chat
                    && let Some(tl::enums::InputChannel::Channel(to)) = &c.migrated_to
                {
                    migrated.insert(c.id, to.channel_id);
                }
            }
        }
        let infos: Vec<PeerInfo> = chats
            .iter()
            .filter_map(|chat| match chat {
                tl::enums::Chat::Channel(c) if !c.min => Some(PeerInfo::Channel {
                    id: c.id,
                    auth: c.access_hash.map(PeerAuth::from_hash),
                    kind: Some(if c.megagroup {
                        ChannelKind::Megagroup
                    } else if c.broadcast {
                        ChannelKind::Broadcast
                    } else {
                        ChannelKind::Gigagroup
                    }),
                }),
                tl::enums::Chat::Chat(c) => Some(PeerInfo::Chat { id: c.id }),
                _ => None,
            })
            .collect();
        self.remember(infos).await
    }

    /// The remembered users among `self_id` and `named` that `answer`
    /// does not carry in full (Telegram omits users the client should
    /// know, such as the account itself), for an answer's peer directory.
    /// Only those are copied, so the cost follows the answer, not how many
    /// users the client has met.
    pub(crate) fn remembered_users(
        &self,
        self_id: i64,
        named: impl IntoIterator<Item = i64>,
        answer: &[tl::enums::User],
    ) -> Vec<tl::enums::User> {
        // A long history names the same few users thousands of times:
        // each is looked at once.
        let carried: std::collections::HashSet<i64> = answer
            .iter()
            .filter_map(|u| match u {
                tl::enums::User::User(u) if !u.min => Some(u.id),
                _ => None,
            })
            .collect();
        let wanted: std::collections::BTreeSet<i64> = std::iter::once(self_id)
            .chain(named)
            .filter(|id| !carried.contains(id))
            .collect();
        let known = self
            .inner
            .known_users
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        wanted
            .into_iter()
            .filter_map(|id| known.get(&id).cloned().map(tl::enums::User::User))
            .collect()
    }

    /// The supergroup a basic group was migrated to, if the client saw the
    /// migration (in memory: a restarted client learns it again from the
    /// group's next appearance).
    pub fn migrated_to(&self, chat_id: i64) -> Option<i64> {
        self.inner
            .migrated_groups
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&chat_id)
            .copied()
    }

    /// The last `user` seen with this id, without asking Telegram.
    pub(crate) fn known_user(&self, user_id: i64) -> Option<tl::types::User> {
        self.inner
            .known_users
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&user_id)
            .cloned()
    }

    async fn remember(&self, infos: Vec<PeerInfo>) -> Result<()> {
        if infos.is_empty() {
            return Ok(());
        }
        self.inner
            .session
            .cache_peers(infos)
            .await
            .map_err(|e| Error::Session(e.to_string()))
    }

    async fn cached_hash(&self, peer: Option<PeerId>) -> Result<Option<i64>> {
        let Some(peer) = peer else {
            return Ok(None);
        };
        Ok(self
            .inner
            .session
            .peer_ref(peer)
            .await
            .map_err(|e| Error::Session(e.to_string()))?
            .map(|r| r.auth.hash()))
    }

    /// Whether the session has an access hash for `peer` (no network).
    pub(crate) async fn knows_peer(&self, peer: PeerId) -> bool {
        matches!(self.cached_hash(Some(peer)).await, Ok(Some(_)))
    }

    /// The `InputUser` for `user_id`: `inputUserSelf` for the account
    /// itself, otherwise with the access hash the session remembers. For a
    /// user the session never saw, Telegram is asked once; if it does not
    /// know the user either, the error is `User not found` (TDLib's words).
    pub async fn input_user(&self, user_id: i64) -> Result<tl::enums::InputUser> {
        if user_id <= 0 {
            return Err(Error::invalid_input("User not found"));
        }
        if user_id == self.self_id().await? {
            return Ok(tl::enums::InputUser::UserSelf);
        }
        if let Some(access_hash) = self.cached_hash(PeerId::user(user_id)).await? {
            return Ok(tl::types::InputUser {
                user_id,
                access_hash,
            }
            .into());
        }
        let probe = tl::types::InputUser {
            user_id,
            access_hash: 0,
        };
        if let Ok(users) = self
            .invoke(&tl::functions::users::GetUsers {
                id: vec![probe.into()],
            })
            .await
        {
            self.remember_users(&users).await?;
            if let Some(access_hash) = self.cached_hash(PeerId::user(user_id)).await? {
                return Ok(tl::types::InputUser {
                    user_id,
                    access_hash,
                }
                .into());
            }
        }
        Err(Error::invalid_input("User not found"))
    }

    /// The `InputPeer` of a user (see [`Client::input_user`]).
    pub async fn input_peer_user(&self, user_id: i64) -> Result<tl::enums::InputPeer> {
        Ok(match self.input_user(user_id).await? {
            tl::enums::InputUser::UserSelf => tl::enums::InputPeer::PeerSelf,
            tl::enums::InputUser::User(u) => tl::types::InputPeerUser {
                user_id: u.user_id,
                access_hash: u.access_hash,
            }
            .into(),
            _ => return Err(Error::invalid_input("User not found")),
        })
    }

    /// The `InputChannel` for a channel id the session knows.
    pub async fn input_channel(&self, channel_id: i64) -> Result<tl::enums::InputChannel> {
        match self.cached_hash(PeerId::channel(channel_id)).await? {
            Some(access_hash) => Ok(tl::types::InputChannel {
                channel_id,
                access_hash,
            }
            .into()),
            None => Err(Error::invalid_input("Chat not found")),
        }
    }
}
