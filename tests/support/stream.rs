//! Helpers for the tests of tgcmd's typed update stream
//! ([`Client::updates`]): starting a stream and waiting, always with a
//! timeout, for what it yields.
#![allow(dead_code)] // Each test crate uses a subset.

use std::time::Duration;

use tgcmd::Client;
use tgcmd::tgl::Msg;
use tgcmd::update_stream::{Update, UpdateStream};

/// How long any one wait for the stream may take before the test fails.
/// Generous: a gap costs the engine 0.5 s before it fetches the
/// difference, and the machine may be busy.
pub const WAIT: Duration = Duration::from_secs(20);

/// The next update, or a panic naming `what` after [`WAIT`].
pub async fn next(stream: &mut UpdateStream, what: &str) -> Update {
    tokio::time::timeout(WAIT, stream.next())
        .await
        .unwrap_or_else(|_| panic!("no update within {WAIT:?} while waiting for {what}"))
        .unwrap_or_else(|| panic!("the update stream ended while waiting for {what}"))
}

/// The stream of a fresh client (no saved state), after its start-up:
/// `BinlogReplayEnd`, `OurId` (checked against `self_id`) and, once the
/// engine has the server's state, `GetDifferenceEnd`. Whatever is sent
/// after this returns reaches the stream.
pub async fn started(client: &Client, self_id: i64) -> UpdateStream {
    let mut stream = client.updates().expect("the first update stream");
    assert_eq!(
        next(&mut stream, "binlog_replay_end").await,
        Update::BinlogReplayEnd
    );
    assert_eq!(
        next(&mut stream, "our_id").await,
        Update::OurId { id: self_id }
    );
    assert_eq!(
        next(&mut stream, "get_difference_end").await,
        Update::GetDifferenceEnd
    );
    stream
}

/// Every update up to and including the first new message (not an edit)
/// whose text is `marker`.
///
/// Sending a marker after what a test expects, and reading up to it, shows
/// that nothing else (no duplicate, nothing out of order) came in between,
/// without waiting for a quiet period.
pub async fn until_marker(stream: &mut UpdateStream, marker: &str) -> Vec<Update> {
    let mut seen = Vec::new();
    loop {
        let update = tokio::time::timeout(WAIT, stream.next())
            .await
            .unwrap_or_else(|_| panic!("no {marker:?} within {WAIT:?}; seen so far: {seen:#?}"))
            .unwrap_or_else(|| panic!("the stream ended before {marker:?}; seen: {seen:#?}"));
        let done = matches!(&update, Update::MsgReceive { msg, edited: false }
            if msg.text.as_deref() == Some(marker));
        seen.push(update);
        if done {
            return seen;
        }
    }
}

/// The new (not edited) messages among `updates`.
pub fn new_messages(updates: &[Update]) -> Vec<&Msg> {
    updates
        .iter()
        .filter_map(|u| match u {
            Update::MsgReceive { msg, edited: false } => Some(&**msg),
            _ => None,
        })
        .collect()
}

/// The texts of the new messages among `updates`.
pub fn texts(updates: &[Update]) -> Vec<String> {
    new_messages(updates)
        .iter()
        .map(|m| m.text.clone().unwrap_or_default())
        .collect()
}
