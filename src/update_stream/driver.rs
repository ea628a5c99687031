//! The IO around the pure updates engine: one task per update stream.

use std::collections::HashSet;
use std::time::Duration;

use grammers_session::types::{ChannelState, PeerId, UpdateState as SessionState, UpdatesState};
use grammers_session::updates::UpdatesLike;
use grammers_tl_types as tl;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::{debug, warn};

use super::{Update, UpdateStreamOptions};
use crate::client::{Client, UpdateInput};
use crate::tgl::PeerDirectory;
use crate::updates::{Answer, Engine, Event, KnownPeers, Request, UpdateState};

/// How long to wait before asking again who the account is, when it
/// could not be asked (not signed in yet, no network).
const SELF_RETRY: Duration = Duration::from_secs(5);
/// How many peer ids the driver remembers as known (beyond it, it starts
/// over and asks the session again).
const MAX_KNOWN_PEERS: usize = 100_000;

/// The peers the driver knows have an access hash in the session.
#[derive(Default)]
struct Known {
    users: HashSet<i64>,
    channels: HashSet<i64>,
}

impl KnownPeers for Known {
    fn user_known(&self, user_id: i64) -> bool {
        self.users.contains(&user_id)
    }
    fn channel_known(&self, channel_id: i64) -> bool {
        self.channels.contains(&channel_id)
    }
}

impl Known {
    fn learn(&mut self, users: &[tl::enums::User], chats: &[tl::enums::Chat]) {
        if self.users.len() + self.channels.len() > MAX_KNOWN_PEERS {
            self.users.clear();
            self.channels.clear();
        }
        for user in users {
            if let tl::enums::User::User(u) = user
                && !u.min
            {
                self.users.insert(u.id);
            }
        }
        for chat in chats {
            if let tl::enums::Chat::Channel(c) = chat
                && !c.min
            {
                self.channels.insert(c.id);
            }
        }
    }

    /// Asks the session about the senders of short updates (which come
    /// without the user), so a known sender is not taken for a gap.
    async fn check(&mut self, client: &Client, updates: &tl::enums::Updates) {
        let user_id = match updates {
            tl::enums::Updates::UpdateShortMessage(u) => u.user_id,
            tl::enums::Updates::UpdateShortChatMessage(u) => u.from_id,
            _ => return,
        };
        if !self.users.contains(&user_id)
            && let Some(peer) = PeerId::user(user_id)
            && client.knows_peer(peer).await
        {
            self.users.insert(user_id);
        }
    }
}

/// The persisted state; `None` for a session that never saved one.
async fn load_state(client: &Client) -> Option<UpdateState> {
    let saved = match client.inner.session.updates_state().await {
        Ok(saved) => saved,
        Err(e) => {
            warn!("cannot read the saved update state, starting afresh: {e}");
            return None;
        }
    };
    if saved.pts == 0 && saved.date == 0 && saved.seq == 0 && saved.qts == 0 {
        return None;
    }
    Some(UpdateState {
        pts: saved.pts,
        qts: saved.qts,
        seq: saved.seq,
        date: saved.date,
        channels: saved.channels.iter().map(|c| (c.id, c.pts)).collect(),
    })
}

async fn save_state(client: &Client, engine: &mut Engine) {
    if !engine.is_dirty() {
        return;
    }
    let state = engine.state();
    let all = UpdatesState {
        pts: state.pts,
        qts: state.qts,
        date: state.date,
        seq: state.seq,
        channels: state
            .channels
            .iter()
            .map(|(&id, &pts)| ChannelState { id, pts })
            .collect(),
    };
    match client
        .inner
        .session
        .set_update_state(SessionState::All(all))
        .await
    {
        Ok(()) => engine.mark_saved(),
        Err(e) => warn!("cannot save the update state: {e}"),
    }
}

/// The account's id, asked until it is known or the stream is dropped.
async fn self_id(client: &Client, out: &mpsc::Sender<Update>) -> Option<i64> {
    loop {
        match client.self_id().await {
            Ok(id) => return Some(id),
            Err(e) => {
                debug!("the update stream waits for the account: {e}");
                tokio::select! {
                    _ = tokio::time::sleep(SELF_RETRY) => {}
                    _ = out.closed() => return None,
                }
            }
        }
    }
}

fn now() -> std::time::Instant {
    Instant::now().into_std()
}

/// The flood wait of a failed request, for the engine's retry.
fn retry_after(error: &crate::error::Error) -> Option<Duration> {
    error
        .flood_wait_seconds()
        .map(|seconds| Duration::from_secs(u64::from(seconds)))
}

/// Makes one request the engine asked for and reports its answer.
async fn perform(client: &Client, request: Request) -> Answer {
    match request.clone() {
        Request::GetState => match client.invoke(&tl::functions::updates::GetState {}).await {
            Ok(state) => Answer::State(state),
            Err(e) => Answer::Failed {
                retry_after: retry_after(&e),
                request,
            },
        },
        Request::GetDifference(get) => match client.invoke(&get).await {
            Ok(difference) => Answer::Difference(difference),
            Err(e) => Answer::Failed {
                retry_after: retry_after(&e),
                request,
            },
        },
        Request::GetChannelDifference {
            channel_id,
            pts,
            limit,
        } => {
            let Ok(channel) = client.input_channel(channel_id).await else {
                return Answer::ChannelAccessUnknown { channel_id };
            };
            let get = tl::functions::updates::GetChannelDifference {
                force: false,
                channel,
                filter: tl::enums::ChannelMessagesFilter::Empty,
                pts,
                limit,
            };
            match client.invoke(&get).await {
                Ok(difference) => Answer::ChannelDifference {
                    channel_id,
                    difference,
                },
                Err(e) if e.is_rpc("CHANNEL_PRIVATE") || e.is_rpc("CHANNEL_INVALID") => {
                    Answer::ChannelUnavailable { channel_id }
                }
                Err(e) => Answer::Failed {
                    retry_after: retry_after(&e),
                    request,
                },
            }
        }
    }
}

/// Whether `updates` is the answer to a message this session sent: it
/// carries `updateMessageID` (the `random_id` mapping), which Telegram
/// sends to the sending session only, never to the account's others.
fn is_own_answer(updates: &tl::enums::Updates) -> bool {
    let list = match updates {
        tl::enums::Updates::Updates(u) => &u.updates,
        tl::enums::Updates::Combined(u) => &u.updates,
        _ => return false,
    };
    list.iter()
        .any(|u| matches!(u, tl::enums::Update::MessageId(_)))
}

/// The user whose details an update announces (`updateUserName`,
/// `updateUser`).
fn changed_user(update: &tl::enums::Update) -> Option<i64> {
    match update {
        tl::enums::Update::UserName(u) => Some(u.user_id),
        tl::enums::Update::User(u) => Some(u.user_id),
        _ => None,
    }
}

/// The driver's state besides the engine.
struct Driver {
    client: Client,
    self_id: i64,
    known: Known,
    out: mpsc::Sender<Update>,
}

impl Driver {
    /// Hands an engine event to the application; `false` once it is gone.
    async fn deliver(&mut self, event: Event) -> bool {
        let updates = match event {
            Event::Updates {
                updates,
                users,
                chats,
                from_own_request,
            } => {
                self.known.learn(&users, &chats);
                // The users whose details change, as the client knew them
                // before this answer, so user_update says what changed.
                let before: Vec<(i64, tl::types::User)> = updates
                    .iter()
                    .filter_map(changed_user)
                    .filter_map(|id| self.client.known_user(id).map(|u| (id, u)))
                    .collect();
                // Access hashes go to the session, for later requests.
                if let Err(e) = self.client.remember_users(&users).await {
                    warn!("cannot remember users: {e}");
                }
                if let Err(e) = self.client.remember_chats(&chats).await {
                    warn!("cannot remember chats: {e}");
                }
                let directory = self.directory(&users, &chats, &updates);
                let mut events = Vec::new();
                for update in &updates {
                    let user = changed_user(update);
                    let old = user.and_then(|id| before.iter().find(|(k, _)| *k == id));
                    let now = user.and_then(|id| directory.user(id));
                    events.extend(
                        Update::from_tl(update, &directory, from_own_request)
                            .into_iter()
                            .filter_map(|event| event.refined(update, old.map(|(_, u)| u), now)),
                    );
                }
                events
            }
            Event::GapsPossible { channel_id } => vec![Update::GapsPossible {
                chat_id: channel_id.map(|id| crate::td::ids::ChatRef::Channel(id).chat_id()),
            }],
            Event::CatchUpFinished => vec![Update::GetDifferenceEnd],
        };
        for update in updates {
            if self.out.send(update).await.is_err() {
                return false;
            }
        }
        true
    }

    fn directory(
        &self,
        users: &[tl::enums::User],
        chats: &[tl::enums::Chat],
        updates: &[tl::enums::Update],
    ) -> PeerDirectory {
        let named = updates.iter().flat_map(Update::users_named);
        let remembered = self.client.remembered_users(self.self_id, named, users);
        PeerDirectory::for_answer(self.self_id, &remembered, users, chats)
    }

    /// Feeds one input to the engine; `false` if the account should emit
    /// `our_id` again (the connection was replaced).
    async fn feed(&mut self, engine: &mut Engine, input: UpdateInput) -> bool {
        match input {
            UpdateInput::Pushed(UpdatesLike::Updates(updates)) => {
                self.known.check(&self.client, &updates).await;
                // grammers puts this session's own `Updates` answers on the
                // update channel too, looking like pushes, while
                // `record_answer` feeds the same answer as `OwnAnswer`:
                // whichever came first decided whether the account's own
                // message was news. Only the sending session is told
                // `updateMessageID`, so a container with one is an answer.
                let own = is_own_answer(&updates);
                engine.push(updates, own, &self.known, now());
            }
            UpdateInput::Pushed(UpdatesLike::ShortSentMessage { update, .. }) => {
                engine.push(update.into(), true, &self.known, now());
            }
            UpdateInput::Pushed(UpdatesLike::AffectedMessages(a)) => {
                engine.affected(None, a.pts, a.pts_count, now());
            }
            UpdateInput::Pushed(UpdatesLike::AffectedChannelMessages {
                affected,
                channel_id,
                ..
            }) => engine.affected(Some(channel_id), affected.pts, affected.pts_count, now()),
            UpdateInput::Pushed(UpdatesLike::InvitedUsers(invited)) => {
                engine.push(invited.updates, true, &self.known, now());
            }
            UpdateInput::Pushed(UpdatesLike::ChatInviteJoinResult(joined)) => {
                engine.push(joined.updates, true, &self.known, now());
            }
            UpdateInput::Pushed(UpdatesLike::ConnectionClosed) => {
                engine.reconnected(now());
                return false;
            }
            UpdateInput::Pushed(UpdatesLike::MalformedUpdates) => engine.reconnected(now()),
            UpdateInput::OwnAnswer(updates) => engine.push(updates, true, &self.known, now()),
            UpdateInput::Affected {
                channel_id,
                pts,
                pts_count,
            } => engine.affected(channel_id, pts, pts_count, now()),
        }
        true
    }
}

/// The driver task: runs until the application drops the stream or the
/// client's feed ends, then saves the state.
pub(super) async fn run(
    client: Client,
    mut feed: mpsc::Receiver<UpdateInput>,
    out: mpsc::Sender<Update>,
    options: UpdateStreamOptions,
) {
    let saved = load_state(&client).await;
    if out.send(Update::BinlogReplayEnd).await.is_err() {
        return;
    }
    let Some(self_id) = self_id(&client, &out).await else {
        return;
    };
    if out.send(Update::OurId { id: self_id }).await.is_err() {
        return;
    }
    let mut engine = Engine::new(saved, now());
    let mut driver = Driver {
        client: client.clone(),
        self_id,
        known: Known::default(),
        out,
    };
    let mut persist = tokio::time::interval(options.persist_every.max(Duration::from_millis(10)));
    persist.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    'run: loop {
        while let Some(request) = engine.poll_request(now()) {
            let answer = perform(&client, request).await;
            engine.answer(answer, &driver.known, now());
        }
        while let Some(event) = engine.poll_event() {
            if !driver.deliver(event).await {
                break 'run;
            }
        }
        let deadline = engine
            .deadline()
            .map(Instant::from_std)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            input = feed.recv() => match input {
                Some(input) => {
                    if !driver.feed(&mut engine, input).await
                        && driver.out.send(Update::OurId { id: self_id }).await.is_err()
                    {
                        break 'run;
                    }
                }
                None => break 'run,
            },
            _ = tokio::time::sleep_until(deadline) => {}
            _ = persist.tick() => save_state(&client, &mut engine).await,
            _ = driver.out.closed() => break 'run,
        }
    }
    save_state(&client, &mut engine).await;
}
