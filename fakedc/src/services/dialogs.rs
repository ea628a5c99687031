//! The dialog list: `messages.getDialogs` (paged by `offset_date`,
//! `offset_id` and `offset_peer`, pinned dialogs first, `exclude_pinned`,
//! the archive as `folder_id` 1, `hash`), `messages.getPeerDialogs`,
//! `messages.getPinnedDialogs`, `messages.toggleDialogPin` and
//! `folders.editPeerFolders`. Which dialogs exist and in what order is the
//! world's (`world::dialogs`).

use grammers_tl_types as tl;

use crate::rpc::{CallContext, Peer, Router, RpcError};
use crate::world::WorldState;
use crate::world::dialogs::{
    ARCHIVE_FOLDER, DialogEntry, MAIN_FOLDER, dialogs_hash, entry, exists, list, message_in,
    render, updates_state,
};
use crate::world::messages::Logged;
use crate::world::push::Delivery;
use crate::world::sending::{box_updates, short};

/// The most dialogs one answer carries.
const MAX_LIMIT: i32 = 100;
/// What a `limit` of 0 or less means.
const DEFAULT_LIMIT: i32 = 20;

fn folder_or_invalid(folder_id: i32) -> Result<i32, RpcError> {
    if folder_id == MAIN_FOLDER || folder_id == ARCHIVE_FOLDER {
        Ok(folder_id)
    } else {
        Err(RpcError::bad_request("FOLDER_ID_INVALID"))
    }
}

/// The peer of an `inputDialogPeer`; Telegram answers `PEER_ID_INVALID`
/// for users it cannot resolve, the channel errors for channels.
fn dialog_peer(
    ctx: &CallContext<'_>,
    state: &WorldState,
    input: &tl::enums::InputDialogPeer,
) -> Result<Option<Peer>, RpcError> {
    match input {
        tl::enums::InputDialogPeer::Peer(p) => {
            let peer = ctx.resolve_input_peer(state, &p.peer).map_err(|e| {
                if e.message == "USER_ID_INVALID" {
                    RpcError::bad_request("PEER_ID_INVALID")
                } else {
                    e
                }
            })?;
            Ok(Some(peer))
        }
        // Folders and communities have no dialog of their own here.
        _ => Ok(None),
    }
}

/// `messages.peerDialogs` for these entries.
fn peer_dialogs(
    ctx: &CallContext<'_>,
    state: &mut WorldState,
    viewer: i64,
    peers: &[Peer],
) -> tl::enums::messages::PeerDialogs {
    let (dialogs, messages, chats, users) = {
        let entries: Vec<DialogEntry<'_>> =
            peers.iter().map(|&p| entry(state, viewer, p)).collect();
        render(ctx.world, state, viewer, &entries)
    };
    tl::types::messages::PeerDialogs {
        dialogs,
        messages,
        chats,
        users,
        state: updates_state(ctx.world, state, viewer),
    }
    .into()
}

/// Above every peer in the order dialogs of one key are listed in.
const NO_PEER: Peer = Peer::Channel(i64::MAX);

/// Where a page starts: the dialogs after this key (or after this pinned
/// dialog) in list order.
enum Cursor {
    Start,
    AfterPinned(Peer),
    Before((i32, u64), Peer),
}

fn cursor(
    ctx: &CallContext<'_>,
    state: &WorldState,
    viewer: i64,
    request: &tl::functions::messages::GetDialogs,
) -> Result<Cursor, RpcError> {
    let peer = match &request.offset_peer {
        tl::enums::InputPeer::Empty => None,
        input => Some(
            ctx.resolve_input_peer(state, input)
                .map_err(|_| RpcError::bad_request("OFFSET_PEER_ID_INVALID"))?,
        ),
    };
    if peer.is_none() && request.offset_date <= 0 && request.offset_id <= 0 {
        return Ok(Cursor::Start);
    }
    let date = if request.offset_date > 0 {
        request.offset_date
    } else {
        i32::MAX
    };
    let Some(peer) = peer else {
        return Ok(Cursor::Before((date, u64::MAX), NO_PEER));
    };
    let dialog = entry(state, viewer, peer);
    if dialog.pinned.is_some() && !request.exclude_pinned {
        return Ok(Cursor::AfterPinned(peer));
    }
    // The message the client saw on top of that dialog sets the place,
    // even if the dialog moved since. Without one (`offset_id` 0: a
    // dialog without messages, listed by the chat's date), the place is
    // the one such a dialog has, below every message of that second.
    let fallback = if request.offset_id <= 0 {
        (date, 0)
    } else {
        (date, u64::MAX)
    };
    let key = message_in(state, viewer, peer, request.offset_id)
        .map_or(fallback, |m| (m.message.date, m.origin));
    Ok(Cursor::Before(key, peer))
}

fn get_dialogs(
    ctx: &CallContext<'_>,
    request: tl::functions::messages::GetDialogs,
) -> Result<tl::enums::messages::Dialogs, RpcError> {
    let viewer = ctx.require_user()?;
    let folder = folder_or_invalid(request.folder_id.unwrap_or(MAIN_FOLDER))?;
    let state = ctx.world.lock();
    let all = list(&state, viewer, folder);
    let count = all.len();
    let cursor = cursor(ctx, &state, viewer, &request)?;
    let limit = if request.limit <= 0 {
        DEFAULT_LIMIT
    } else {
        request.limit.min(MAX_LIMIT)
    } as usize;
    let candidates: Vec<DialogEntry<'_>> = match cursor {
        Cursor::Start => all
            .into_iter()
            .filter(|e| !(request.exclude_pinned && e.pinned.is_some()))
            .collect(),
        Cursor::AfterPinned(peer) => all
            .into_iter()
            .skip_while(|e| e.peer != peer)
            .skip(1)
            .collect(),
        // Pinned dialogs sit above every unpinned one.
        Cursor::Before(key, peer) => all
            .into_iter()
            .filter(|e| e.pinned.is_none() && (e.key, e.peer) < (key, peer))
            .collect(),
    };
    let everything = matches!(cursor, Cursor::Start) && candidates.len() == count;
    let fits = candidates.len() <= limit;
    let page: Vec<DialogEntry<'_>> = candidates.into_iter().take(limit).collect();
    let (dialogs, messages, chats, users) = render(ctx.world, &state, viewer, &page);
    if request.hash != 0 && request.hash == dialogs_hash(&dialogs, &messages) {
        return Ok(tl::types::messages::DialogsNotModified {
            count: i32::try_from(count).unwrap_or(i32::MAX),
        }
        .into());
    }
    if everything && fits {
        return Ok(tl::types::messages::Dialogs {
            dialogs,
            messages,
            chats,
            users,
        }
        .into());
    }
    Ok(tl::types::messages::DialogsSlice {
        count: i32::try_from(count).unwrap_or(i32::MAX),
        dialogs,
        messages,
        chats,
        users,
    }
    .into())
}

pub(super) fn register(router: &mut Router) {
    router.add::<tl::functions::messages::GetDialogs, _>(get_dialogs);

    router.add::<tl::functions::messages::GetPeerDialogs, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let mut peers = Vec::new();
        for input in &request.peers {
            if let Some(peer) = dialog_peer(ctx, &state, input)? {
                peers.push(peer);
            }
        }
        Ok(peer_dialogs(ctx, &mut state, viewer, &peers))
    });

    router.add::<tl::functions::messages::GetPinnedDialogs, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let folder = folder_or_invalid(request.folder_id)?;
        let mut state = ctx.world.lock();
        let peers: Vec<Peer> = state
            .dialogs
            .pinned(viewer, folder)
            .iter()
            .copied()
            .filter(|&p| exists(&state, viewer, p))
            .collect();
        Ok(peer_dialogs(ctx, &mut state, viewer, &peers))
    });

    router.add::<tl::functions::messages::ToggleDialogPin, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let Some(peer) = dialog_peer(ctx, &state, &request.peer)? else {
            return Err(RpcError::bad_request("PEER_ID_INVALID"));
        };
        if !exists(&state, viewer, peer) {
            return Err(RpcError::bad_request("PEER_ID_INVALID"));
        }
        if request.pinned {
            if !state.dialogs.pin(viewer, peer) {
                return Err(RpcError::bad_request("PINNED_DIALOGS_TOO_MUCH"));
            }
        } else {
            state.dialogs.unpin(viewer, peer);
        }
        let folder = state.dialogs.folder_of(viewer, peer);
        let update = tl::types::UpdateDialogPinned {
            pinned: request.pinned,
            folder_id: (folder != MAIN_FOLDER).then_some(folder),
            peer: tl::types::DialogPeer { peer: peer.to_tl() }.into(),
        };
        let push = Delivery {
            user_id: viewer,
            except_session: ctx.session,
            updates: short(update.into(), ctx.world.now()),
        };
        drop(state);
        ctx.world.push(vec![push]);
        Ok(true)
    });

    router.add::<tl::functions::folders::EditPeerFolders, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let mut moves = Vec::new();
        for input in &request.folder_peers {
            let tl::enums::InputFolderPeer::Peer(p) = input;
            let folder = folder_or_invalid(p.folder_id)?;
            let peer = ctx.resolve_input_peer(&state, &p.peer)?;
            moves.push((peer, folder));
        }
        if moves.is_empty() {
            return Err(RpcError::bad_request("FOLDER_PEERS_EMPTY"));
        }
        for &(peer, folder) in &moves {
            state.dialogs.move_to(viewer, peer, folder);
        }
        let user_box = state.mailboxes.user(viewer);
        let update = tl::types::UpdateFolderPeers {
            folder_peers: moves
                .iter()
                .map(|&(peer, folder_id)| {
                    tl::types::FolderPeer {
                        peer: peer.to_tl(),
                        folder_id,
                    }
                    .into()
                })
                .collect(),
            pts: user_box.pts + 1,
            pts_count: 1,
        };
        user_box.log_update(1, Logged::Other(Box::new(update.clone().into())));
        let answer = box_updates(&mut state, viewer, ctx.world.now(), vec![update.into()]);
        let push = Delivery {
            user_id: viewer,
            except_session: ctx.session,
            updates: answer.clone(),
        };
        drop(state);
        ctx.world.push(vec![push]);
        Ok(answer)
    });
}
