//! The RPC router: a table from constructor id to handler, filled by the
//! services (files, users, auth …). The connection layer knows nothing about
//! any particular method; adding a service never touches it.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use grammers_tl_types::{
    self as tl, Cursor, Deserializable, Identifiable, RemoteCall, Serializable,
};
use tracing::warn;

use crate::world::{Refusal, World, WorldState};

pub use crate::world::PeerTarget as Peer;

/// An `rpc_error` to send back: Telegram's numeric code and its error name.
#[derive(Clone, PartialEq, Eq)]
pub struct RpcError {
    /// The numeric code, e.g. 400, 303 or 420.
    pub code: i32,
    /// The error name, e.g. `FILE_MIGRATE_2` or `FLOOD_WAIT_5`.
    pub message: String,
}

impl RpcError {
    /// An error with any code.
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// 400: the request was malformed or named something that does not exist.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            code: 400,
            message: message.into(),
        }
    }

    /// 401: the key is not authorised for this call.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self {
            code: 401,
            message: message.into(),
        }
    }

    /// 403: the user may not do this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self {
            code: 403,
            message: message.into(),
        }
    }

    /// 303: ask the client to repeat the call on another DC, e.g. `FILE_MIGRATE_2`.
    pub fn migrate(prefix: &str, dc_id: i32) -> Self {
        Self {
            code: 303,
            message: format!("{prefix}_MIGRATE_{dc_id}"),
        }
    }

    /// 420: `FLOOD_WAIT_X`.
    pub fn flood_wait(seconds: u32) -> Self {
        Self {
            code: 420,
            message: format!("FLOOD_WAIT_{seconds}"),
        }
    }

    /// 500: something went wrong inside the server.
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            code: 500,
            message: message.into(),
        }
    }

    /// Serializes as `rpc_error#2144ca19 error_code:int error_message:string`.
    pub fn to_tl_bytes(&self) -> Vec<u8> {
        tl::enums::RpcError::Error(tl::types::RpcError {
            error_code: self.code,
            error_message: self.message.clone(),
        })
        .to_bytes()
    }
}

impl fmt::Debug for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.message)
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

/// What a handler returns: the serialized result, or an error.
pub type RpcResult = Result<Vec<u8>, RpcError>;

/// Where a call comes from, as the services see it.
pub struct CallContext<'a> {
    /// The DC whose listener received the call.
    pub dc_id: i32,
    /// The id of the auth key the call was encrypted with.
    pub auth_key_id: i64,
    /// The user this key is signed in as on this DC, if any.
    pub user_id: Option<i64>,
    /// The layer the client announced with `invokeWithLayer` (0 if none yet).
    pub layer: i32,
    /// The shared world.
    pub world: &'a World,
    /// The calling session, as update pushes know it (`None` in process).
    pub session: Option<u64>,
}

impl From<Refusal> for RpcError {
    fn from(refusal: Refusal) -> Self {
        RpcError::new(refusal.code, refusal.name)
    }
}

impl CallContext<'_> {
    /// The signed-in user, or `AUTH_KEY_UNREGISTERED` (what Telegram answers
    /// on a DC where the key is not authorised).
    pub fn require_user(&self) -> Result<i64, RpcError> {
        self.user_id
            .ok_or_else(|| RpcError::unauthorized("AUTH_KEY_UNREGISTERED"))
    }

    /// The user id an `InputUser` names for the caller, with the access
    /// hash checked (hashes are per viewer); `USER_ID_INVALID` otherwise.
    pub fn resolve_input_user(
        &self,
        state: &WorldState,
        input: &tl::enums::InputUser,
    ) -> Result<i64, RpcError> {
        let viewer = self.require_user()?;
        let invalid = || RpcError::bad_request("USER_ID_INVALID");
        let id = match input {
            tl::enums::InputUser::UserSelf => viewer,
            tl::enums::InputUser::User(user) => {
                if user.user_id != viewer
                    && user.access_hash != self.world.access_hash(viewer, user.user_id)
                {
                    return Err(invalid());
                }
                user.user_id
            }
            tl::enums::InputUser::FromMessage(from) => from.user_id,
            tl::enums::InputUser::Empty => return Err(invalid()),
        };
        if state.users.get(id).is_none() {
            return Err(invalid());
        }
        Ok(id)
    }

    /// The channel an `InputChannel` names, with the caller's access hash
    /// checked (`CHANNEL_INVALID`); a private channel the caller is not in
    /// is `CHANNEL_PRIVATE` (406).
    pub fn resolve_input_channel(
        &self,
        state: &WorldState,
        input: &tl::enums::InputChannel,
    ) -> Result<i64, RpcError> {
        let viewer = self.require_user()?;
        let (channel_id, access_hash) = match input {
            tl::enums::InputChannel::Channel(c) => (c.channel_id, Some(c.access_hash)),
            tl::enums::InputChannel::FromMessage(c) => (c.channel_id, None),
            tl::enums::InputChannel::Empty => {
                return Err(RpcError::bad_request("CHANNEL_INVALID"));
            }
        };
        let channel = state
            .chats
            .channel(channel_id)
            .filter(|_| access_hash.is_none_or(|h| h == self.world.access_hash(viewer, channel_id)))
            .ok_or_else(|| RpcError::bad_request("CHANNEL_INVALID"))?;
        if !channel.visible_to(viewer) {
            return Err(RpcError::new(406, "CHANNEL_PRIVATE"));
        }
        Ok(channel_id)
    }

    /// What an `InputPeer` names for the caller. Users go through
    /// [`CallContext::resolve_input_user`] (and its errors); channels need
    /// the caller's access hash (`CHANNEL_INVALID`); groups must exist
    /// (`PEER_ID_INVALID`, as for `inputPeerEmpty`).
    pub fn resolve_input_peer(
        &self,
        state: &WorldState,
        peer: &tl::enums::InputPeer,
    ) -> Result<Peer, RpcError> {
        use tl::enums::InputPeer as P;
        let viewer = self.require_user()?;
        let user = |user_id, access_hash| -> tl::enums::InputUser {
            tl::types::InputUser {
                user_id,
                access_hash,
            }
            .into()
        };
        let channel = |channel_id: i64, access_hash: Option<i64>| {
            let known = state.chats.channel(channel_id).is_some()
                && access_hash.is_none_or(|h| h == self.world.access_hash(viewer, channel_id));
            if known {
                Ok(Peer::Channel(channel_id))
            } else {
                Err(RpcError::bad_request("CHANNEL_INVALID"))
            }
        };
        match peer {
            P::PeerSelf => Ok(Peer::User(viewer)),
            P::User(u) => self
                .resolve_input_user(state, &user(u.user_id, u.access_hash))
                .map(Peer::User),
            // A user seen in a message needs no access hash.
            P::UserFromMessage(u) if state.users.get(u.user_id).is_some() => {
                Ok(Peer::User(u.user_id))
            }
            P::UserFromMessage(_) => Err(RpcError::bad_request("USER_ID_INVALID")),
            P::Chat(c) if state.chats.group(c.chat_id).is_some() => Ok(Peer::Chat(c.chat_id)),
            P::Channel(c) => channel(c.channel_id, Some(c.access_hash)),
            P::ChannelFromMessage(c) => channel(c.channel_id, None),
            P::Chat(_) | P::Empty => Err(RpcError::bad_request("PEER_ID_INVALID")),
        }
    }
}

type Handler = Arc<dyn Fn(&CallContext<'_>, &mut Cursor<'_>) -> RpcResult + Send + Sync>;

struct Route {
    name: &'static str,
    needs_auth: bool,
    handler: Handler,
}

/// Handlers keyed by the constructor id of the method they serve.
#[derive(Default)]
pub struct Router {
    routes: HashMap<u32, Route>,
}

/// Whether a method may be called by a key that is not signed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Only authorised keys (everything but sign-in and bootstrap calls).
    SignedIn,
    /// Any key, e.g. `auth.sendCode` or `help.getConfig`.
    Anyone,
}

impl Router {
    /// Registers `handler` for method `F`, which only signed-in keys may call.
    pub fn add<F, H>(&mut self, handler: H)
    where
        F: RemoteCall + Deserializable + Identifiable + 'static,
        F::Return: Serializable,
        H: Fn(&CallContext<'_>, F) -> Result<F::Return, RpcError> + Send + Sync + 'static,
    {
        self.add_with_access::<F, H>(Access::SignedIn, handler)
    }

    /// Registers `handler` for method `F` with an explicit access rule.
    pub fn add_with_access<F, H>(&mut self, access: Access, handler: H)
    where
        F: RemoteCall + Deserializable + Identifiable + 'static,
        F::Return: Serializable,
        H: Fn(&CallContext<'_>, F) -> Result<F::Return, RpcError> + Send + Sync + 'static,
    {
        self.add_raw(
            F::CONSTRUCTOR_ID,
            access,
            move |ctx: &CallContext<'_>, cursor: &mut Cursor<'_>| {
                let request = F::deserialize(cursor)
                    .map_err(|_| RpcError::bad_request("INPUT_FETCH_ERROR"))?;
                handler(ctx, request).map(|result| result.to_bytes())
            },
        );
    }

    /// Registers a handler that reads the request and writes the result
    /// itself, for hot paths (file parts) where the generic one copies too much.
    pub fn add_raw<H>(&mut self, constructor_id: u32, access: Access, handler: H)
    where
        H: Fn(&CallContext<'_>, &mut Cursor<'_>) -> RpcResult + Send + Sync + 'static,
    {
        let route = Route {
            name: tl::name_for_id(constructor_id),
            needs_auth: access == Access::SignedIn,
            handler: Arc::new(handler),
        };
        if self.routes.insert(constructor_id, route).is_some() {
            // Two services claiming a method is a bug in the fake DC itself.
            panic!(
                "fakedc: two handlers for {}",
                tl::name_for_id(constructor_id)
            );
        }
    }

    /// Whether a handler exists for this constructor id.
    pub fn handles(&self, constructor_id: u32) -> bool {
        self.routes.contains_key(&constructor_id)
    }

    /// Runs the handler for `body` (a serialized method call).
    pub fn dispatch(&self, ctx: &CallContext<'_>, body: &[u8]) -> RpcResult {
        let Some(id_bytes) = body.get(..4) else {
            return Err(RpcError::bad_request("INPUT_FETCH_ERROR"));
        };
        let id = u32::from_le_bytes([id_bytes[0], id_bytes[1], id_bytes[2], id_bytes[3]]);
        let Some(route) = self.routes.get(&id) else {
            warn!(
                method = tl::name_for_id(id),
                id = format_args!("{id:08x}"),
                "fakedc has no handler for this method"
            );
            return Err(RpcError::bad_request("INPUT_METHOD_INVALID"));
        };
        if route.needs_auth {
            ctx.require_user()?;
        }
        if let Some(seconds) = ctx.world.faults().take_flood_wait(id) {
            return Err(RpcError::flood_wait(seconds));
        }
        tracing::debug!(method = route.name, dc = ctx.dc_id, "rpc");
        let mut cursor = Cursor::from_slice(&body[4..]);
        (route.handler)(ctx, &mut cursor)
    }
}
