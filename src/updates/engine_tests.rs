//! The engine's cases, one test each, on a fake clock.

use std::time::Instant;

use grammers_tl_types as tl;

use super::test_util::*;
use super::{Answer, Engine, Event, MAX_HELD_PER_BOX, POSSIBLE_GAP_TIMEOUT, Request};

#[test]
fn a_restart_from_a_saved_state_asks_for_the_difference_from_it() {
    let t0 = Instant::now();
    let mut engine = Engine::new(Some(saved(10, 5, 3, 100)), t0);
    assert_eq!(engine.poll_request(t0), Some(get_difference(10, 100, 5)));
    // What was missed offline comes with the difference.
    engine.answer(
        difference(
            vec![user_message(7)],
            Vec::new(),
            state(12, 5, 150, 4),
            false,
        ),
        &ALL,
        t0,
    );
    let events = events(&mut engine);
    assert_eq!(delivered(&events), vec![(0, 7)]);
    assert!(matches!(events.last(), Some(Event::CatchUpFinished)));
    assert_eq!(engine.state(), saved(12, 5, 4, 150));
    assert!(engine.is_dirty());
    engine.mark_saved();
    assert!(!engine.is_dirty());
}

#[test]
fn a_fresh_engine_gets_the_state_then_finishes_catching_up() {
    let t0 = Instant::now();
    let mut engine = Engine::new(None, t0);
    assert_eq!(engine.poll_request(t0), Some(Request::GetState));
    assert_eq!(engine.poll_request(t0), None);
    engine.answer(Answer::State(state(40, 2, 500, 9)), &ALL, t0);
    assert_eq!(catch_ups(&events(&mut engine)), 1);
    assert_eq!(engine.state(), saved(40, 2, 9, 500));
    engine.push(short(msg(1, 41)), false, &ALL, t0);
    assert_eq!(delivered(&events(&mut engine)), vec![(0, 1)]);
}

#[test]
fn catch_up_finished_is_emitted_once() {
    let t0 = Instant::now();
    let mut engine = synced(t0);
    engine.reconnected(t0);
    assert_eq!(engine.poll_request(t0), Some(get_difference(10, 100, 5)));
    engine.answer(difference_empty(100, 3), &ALL, t0);
    engine.push(tl::enums::Updates::TooLong, false, &ALL, t0);
    assert_eq!(engine.poll_request(t0), Some(get_difference(10, 100, 5)));
    engine.answer(difference_empty(100, 3), &ALL, t0);
    assert_eq!(catch_ups(&events(&mut engine)), 0);
}

#[test]
fn an_update_in_order_is_delivered_and_moves_the_state() {
    let t0 = Instant::now();
    let mut engine = synced(t0);
    engine.push(short(msg(1, 11)), false, &ALL, t0);
    engine.push(short(msg(2, 12)), false, &ALL, t0);
    assert_eq!(delivered(&events(&mut engine)), vec![(0, 1), (0, 2)]);
    assert_eq!(engine.state().pts, 12);
    assert_eq!(engine.poll_request(t0), None);
    assert_eq!(engine.deadline(), None);
}

#[test]
fn a_duplicate_is_ignored() {
    let t0 = Instant::now();
    let mut engine = synced(t0);
    engine.push(short(msg(1, 11)), false, &ALL, t0);
    engine.push(short(msg(1, 11)), false, &ALL, t0);
    engine.push(short(msg(0, 10)), false, &ALL, t0);
    assert_eq!(delivered(&events(&mut engine)), vec![(0, 1)]);
    assert_eq!(engine.state().pts, 11);
    assert_eq!(engine.deadline(), None);
}

#[test]
fn a_gap_waits_half_a_second_then_asks_for_the_difference() {
    let t0 = Instant::now();
    let mut engine = synced(t0);
    engine.push(short(msg(2, 12)), false, &ALL, t0);
    assert!(delivered(&events(&mut engine)).is_empty());
    assert_eq!(engine.deadline(), Some(t0 + POSSIBLE_GAP_TIMEOUT));
    assert_eq!(engine.poll_request(t0 + ms(499)), None);
    let t1 = t0 + POSSIBLE_GAP_TIMEOUT;
    assert_eq!(engine.poll_request(t1), Some(get_difference(10, 100, 5)));
    engine.answer(
        difference(
            vec![user_message(1), user_message(2)],
            Vec::new(),
            state(12, 5, 100, 3),
            false,
        ),
        &ALL,
        t1,
    );
    // The held copy of 2 is a duplicate of the difference's.
    assert_eq!(delivered(&events(&mut engine)), vec![(0, 1), (0, 2)]);
    assert_eq!(engine.state().pts, 12);
    assert_eq!(engine.deadline(), None);
}

#[test]
fn the_missing_update_arriving_in_time_closes_the_gap() {
    let t0 = Instant::now();
    let mut engine = synced(t0);
    engine.push(short(msg(3, 13)), false, &ALL, t0);
    engine.push(short(msg(2, 12)), false, &ALL, t0 + ms(100));
    engine.push(short(msg(1, 11)), false, &ALL, t0 + ms(400));
    assert_eq!(
        delivered(&events(&mut engine)),
        vec![(0, 1), (0, 2), (0, 3)]
    );
    assert_eq!(engine.deadline(), None);
    assert_eq!(engine.poll_request(t0 + ms(1000)), None);
    assert_eq!(engine.state().pts, 13);
}

#[test]
fn state_never_passes_an_open_gap() {
    let t0 = Instant::now();
    let mut engine = synced(t0);
    engine.push(short(msg(1, 11)), false, &ALL, t0);
    engine.push(short(msg(3, 13)), false, &ALL, t0);
    engine.push(short(msg(4, 14)), false, &ALL, t0);
    assert_eq!(engine.state().pts, 11);
    let t1 = t0 + POSSIBLE_GAP_TIMEOUT;
    assert_eq!(engine.poll_request(t1), Some(get_difference(11, 100, 5)));
    assert_eq!(engine.state().pts, 11);
    // A failed difference does not move it either.
    engine.answer(
        Answer::Failed {
            request: get_difference(11, 100, 5),
            retry_after: None,
        },
        &ALL,
        t1,
    );
    assert_eq!(engine.state().pts, 11);
    assert_eq!(delivered(&events(&mut engine)), vec![(0, 1)]);
}

#[test]
fn difference_slices_loop_on_the_intermediate_state() {
    let t0 = Instant::now();
    let mut engine = Engine::new(Some(saved(10, 5, 3, 100)), t0);
    assert_eq!(engine.poll_request(t0), Some(get_difference(10, 100, 5)));
    engine.answer(
        difference(
            vec![user_message(1)],
            Vec::new(),
            state(20, 6, 200, 4),
            true,
        ),
        &ALL,
        t0,
    );
    // Not caught up yet, and the state saved so far is the slice's.
    assert_eq!(catch_ups(&events(&mut engine)), 0);
    assert_eq!(engine.state(), saved(20, 6, 4, 200));
    assert_eq!(engine.poll_request(t0), Some(get_difference(20, 200, 6)));
    engine.answer(
        difference(
            vec![user_message(2)],
            Vec::new(),
            state(30, 7, 300, 5),
            true,
        ),
        &ALL,
        t0,
    );
    assert_eq!(engine.poll_request(t0), Some(get_difference(30, 300, 7)));
    engine.answer(
        difference(
            vec![user_message(3)],
            Vec::new(),
            state(31, 7, 301, 5),
            false,
        ),
        &ALL,
        t0,
    );
    let events = events(&mut engine);
    assert_eq!(delivered(&events), vec![(0, 2), (0, 3)]);
    assert_eq!(catch_ups(&events), 1);
    assert_eq!(engine.poll_request(t0), None);
    assert_eq!(engine.state(), saved(31, 7, 5, 301));
}

#[test]
fn difference_too_long_resets_and_reports_gaps() {
    let t0 = Instant::now();
    let mut engine = synced(t0);
    engine.reconnected(t0);
    assert_eq!(engine.poll_request(t0), Some(get_difference(10, 100, 5)));
    engine.answer(
        Answer::Difference(tl::enums::updates::Difference::TooLong(
            tl::types::updates::DifferenceTooLong { pts: 5000 },
        )),
        &ALL,
        t0,
    );
    let events = events(&mut engine);
    assert!(matches!(
        events.as_slice(),
        [Event::GapsPossible { channel_id: None }]
    ));
    assert_eq!(engine.state().pts, 5000);
    // Then the difference from the new pts.
    assert_eq!(engine.poll_request(t0), Some(get_difference(5000, 100, 5)));
    engine.answer(difference_empty(100, 3), &ALL, t0);
    engine.push(short(msg(1, 5001)), false, &ALL, t0);
    assert_eq!(delivered(&self::events(&mut engine)), vec![(0, 1)]);
}

#[test]
fn difference_too_long_still_delivers_what_was_held_beyond_the_gap() {
    let t0 = Instant::now();
    let mut engine = synced(t0);
    // pts 11 is lost; 12 and 13 (13 twice) wait for it, 15 beyond.
    for update in [msg(2, 12), msg(3, 13), msg(3, 13), msg(5, 15)] {
        engine.push(short(update), false, &ALL, t0);
    }
    assert!(delivered(&events(&mut engine)).is_empty());
    let t1 = t0 + POSSIBLE_GAP_TIMEOUT;
    assert_eq!(engine.poll_request(t1), Some(get_difference(10, 100, 5)));
    engine.answer(
        Answer::Difference(tl::enums::updates::Difference::TooLong(
            tl::types::updates::DifferenceTooLong { pts: 13 },
        )),
        &ALL,
        t1,
    );
    let events = events(&mut engine);
    assert!(
        matches!(
            events.first(),
            Some(Event::GapsPossible { channel_id: None })
        ),
        "{events:?}"
    );
    // Received, never delivered, and no difference brings them again:
    // after the report, once each, in order. 15 still waits for 14.
    assert_eq!(delivered(&events), vec![(0, 2), (0, 3)]);
    assert_eq!(engine.state().pts, 13);
    assert_eq!(engine.poll_request(t1), Some(get_difference(13, 100, 5)));
    engine.answer(difference_empty(100, 3), &ALL, t1);
    engine.push(short(msg(4, 14)), false, &ALL, t1);
    assert_eq!(delivered(&self::events(&mut engine)), vec![(0, 4), (0, 5)]);
}

#[test]
fn reconnect_and_updates_too_long_ask_for_the_difference_at_once() {
    let t0 = Instant::now();
    for reconnect in [true, false] {
        let mut engine = synced(t0);
        if reconnect {
            engine.reconnected(t0);
        } else {
            engine.push(tl::enums::Updates::TooLong, false, &ALL, t0);
        }
        assert_eq!(engine.deadline(), Some(t0));
        assert_eq!(engine.poll_request(t0), Some(get_difference(10, 100, 5)));
    }
}

fn channel_difference(
    channel_id: i64,
    pts: i32,
    ids: &[i32],
    r#final: bool,
    timeout: Option<i32>,
) -> Answer {
    Answer::ChannelDifference {
        channel_id,
        difference: tl::enums::updates::ChannelDifference::Difference(
            tl::types::updates::ChannelDifference {
                r#final,
                pts,
                timeout,
                new_messages: ids
                    .iter()
                    .map(|&id| channel_message(channel_id, id))
                    .collect(),
                other_updates: Vec::new(),
                chats: Vec::new(),
                users: Vec::new(),
            },
        ),
    }
}

fn channel_too_long(channel_id: i64, pts: Option<i32>) -> tl::enums::Updates {
    short(tl::enums::Update::ChannelTooLong(
        tl::types::UpdateChannelTooLong { channel_id, pts },
    ))
}

fn get_channel_difference(channel_id: i64, pts: i32) -> Request {
    Request::GetChannelDifference {
        channel_id,
        pts,
        limit: super::CHANNEL_DIFFERENCE_LIMIT,
    }
}

#[test]
fn channel_too_long_fetches_the_channel_difference_honouring_its_timeout() {
    let t0 = Instant::now();
    let mut engine = synced(t0);
    engine.push(channel_too_long(77, Some(50)), false, &ALL, t0);
    assert_eq!(
        engine.poll_request(t0),
        Some(get_channel_difference(77, 50))
    );
    // Not final: loop at once from the new pts.
    engine.answer(channel_difference(77, 60, &[1, 2], false, None), &ALL, t0);
    assert_eq!(
        engine.poll_request(t0),
        Some(get_channel_difference(77, 60))
    );
    engine.answer(channel_difference(77, 61, &[3], true, Some(30)), &ALL, t0);
    assert_eq!(
        delivered(&events(&mut engine)),
        vec![(77, 1), (77, 2), (77, 3)]
    );
    assert_eq!(engine.state().channels.get(&77), Some(&61));
    assert_eq!(engine.poll_request(t0), None);
    // Another too-long within the timeout waits for it.
    let t1 = t0 + ms(1000);
    engine.push(channel_too_long(77, Some(70)), false, &ALL, t1);
    assert_eq!(engine.poll_request(t1), None);
    assert_eq!(engine.deadline(), Some(t0 + ms(30_000)));
    assert_eq!(
        engine.poll_request(t0 + ms(30_000)),
        Some(get_channel_difference(77, 61))
    );
}

#[test]
fn channel_difference_too_long_resets_from_the_dialog_and_surfaces_its_messages() {
    let t0 = Instant::now();
    let mut engine = synced(t0);
    engine.push(channel_too_long(77, Some(50)), false, &ALL, t0);
    assert_eq!(
        engine.poll_request(t0),
        Some(get_channel_difference(77, 50))
    );
    let dialog = tl::enums::Dialog::Dialog(tl::types::Dialog {
        pinned: false,
        unread_mark: false,
        view_forum_as_messages: false,
        peer: tl::enums::Peer::Channel(tl::types::PeerChannel { channel_id: 77 }),
        top_message: 900,
        read_inbox_max_id: 0,
        read_outbox_max_id: 0,
        unread_count: 0,
        unread_mentions_count: 0,
        unread_reactions_count: 0,
        unread_poll_votes_count: 0,
        notify_settings: tl::enums::PeerNotifySettings::Settings(tl::types::PeerNotifySettings {
            show_previews: None,
            silent: None,
            mute_until: None,
            ios_sound: None,
            android_sound: None,
            other_sound: None,
            stories_muted: None,
            stories_hide_sender: None,
            stories_ios_sound: None,
            stories_android_sound: None,
            stories_other_sound: None,
        }),
        pts: Some(1000),
        draft: None,
        folder_id: None,
        ttl_period: None,
    });
    engine.answer(
        Answer::ChannelDifference {
            channel_id: 77,
            difference: tl::enums::updates::ChannelDifference::TooLong(
                tl::types::updates::ChannelDifferenceTooLong {
                    r#final: true,
                    timeout: None,
                    dialog,
                    messages: vec![channel_message(77, 899), channel_message(77, 900)],
                    chats: Vec::new(),
                    users: Vec::new(),
                },
            ),
        },
        &ALL,
        t0,
    );
    let events = events(&mut engine);
    assert!(matches!(
        events.first(),
        Some(Event::GapsPossible {
            channel_id: Some(77)
        })
    ));
    assert_eq!(delivered(&events), vec![(77, 899), (77, 900)]);
    assert_eq!(engine.state().channels.get(&77), Some(&1000));
    engine.push(short(chan_msg(77, 901, 1001)), false, &ALL, t0);
    assert_eq!(delivered(&self::events(&mut engine)), vec![(77, 901)]);
}

#[test]
fn a_channel_gap_asks_for_the_channel_difference() {
    let t0 = Instant::now();
    let mut engine = synced(t0);
    // First sight: tracked from there.
    engine.push(short(chan_msg(77, 1, 51)), false, &ALL, t0);
    assert_eq!(delivered(&events(&mut engine)), vec![(77, 1)]);
    engine.push(short(chan_msg(77, 3, 53)), false, &ALL, t0);
    assert_eq!(engine.poll_request(t0 + ms(499)), None);
    let t1 = t0 + POSSIBLE_GAP_TIMEOUT;
    assert_eq!(
        engine.poll_request(t1),
        Some(get_channel_difference(77, 51))
    );
    assert_eq!(engine.state().channels.get(&77), Some(&51));
    engine.answer(channel_difference(77, 53, &[2, 3], true, None), &ALL, t1);
    assert_eq!(delivered(&events(&mut engine)), vec![(77, 2), (77, 3)]);
    assert_eq!(engine.state().channels.get(&77), Some(&53));
}

#[test]
fn an_unavailable_channel_is_no_longer_tracked() {
    let t0 = Instant::now();
    let mut engine = synced(t0);
    engine.push(short(chan_msg(77, 1, 51)), false, &ALL, t0);
    engine.push(short(chan_msg(77, 3, 53)), false, &ALL, t0);
    let t1 = t0 + POSSIBLE_GAP_TIMEOUT;
    assert_eq!(
        engine.poll_request(t1),
        Some(get_channel_difference(77, 51))
    );
    engine.answer(Answer::ChannelUnavailable { channel_id: 77 }, &ALL, t1);
    assert_eq!(delivered(&events(&mut engine)), vec![(77, 1)]);
    assert!(!engine.state().channels.contains_key(&77));
    assert_eq!(engine.poll_request(t1 + ms(10_000)), None);
    assert_eq!(engine.deadline(), None);
}

#[test]
fn an_unknown_channel_access_hash_asks_for_the_common_difference_first() {
    let t0 = Instant::now();
    let mut engine = synced(t0);
    engine.push(short(chan_msg(77, 1, 51)), false, &ALL, t0);
    engine.push(short(chan_msg(77, 3, 53)), false, &ALL, t0);
    let t1 = t0 + POSSIBLE_GAP_TIMEOUT;
    assert_eq!(
        engine.poll_request(t1),
        Some(get_channel_difference(77, 51))
    );
    engine.answer(Answer::ChannelAccessUnknown { channel_id: 77 }, &ALL, t1);
    // The common difference (whose chats name the channel) comes first.
    assert_eq!(engine.poll_request(t1), Some(get_difference(10, 100, 5)));
    engine.answer(difference_empty(100, 5), &ALL, t1);
    // Then, after a backoff, the channel is asked for again, and its
    // answer fills the gap; nothing held was dropped.
    let t2 = t1 + ms(60_000);
    assert_eq!(
        engine.poll_request(t2),
        Some(get_channel_difference(77, 51))
    );
    engine.answer(channel_difference(77, 53, &[2, 3], true, None), &ALL, t2);
    assert_eq!(
        delivered(&events(&mut engine)),
        vec![(77, 1), (77, 2), (77, 3)]
    );
    assert_eq!(engine.state().channels.get(&77), Some(&53));
}

/// Answers common differences (empty) and lets time pass until the engine
/// asks for a channel difference; at most ten simulated minutes.
fn until_the_channel_is_asked_for(engine: &mut Engine, now: &mut Instant) {
    for _ in 0..600 {
        match engine.poll_request(*now) {
            Some(Request::GetChannelDifference { .. }) => return,
            Some(_) => engine.answer(difference_empty(100, 5), &ALL, *now),
            None => *now += ms(1_000),
        }
    }
    panic!("the channel was never asked for again");
}

#[test]
fn a_channel_whose_access_hash_never_comes_is_given_up_after_the_retries() {
    let t0 = Instant::now();
    let mut engine = synced(t0);
    engine.push(short(chan_msg(77, 1, 51)), false, &ALL, t0);
    engine.push(short(chan_msg(77, 3, 53)), false, &ALL, t0);
    let mut now = t0 + POSSIBLE_GAP_TIMEOUT;
    for _ in 0..super::UNKNOWN_CHANNEL_RETRIES {
        until_the_channel_is_asked_for(&mut engine, &mut now);
        engine.answer(Answer::ChannelAccessUnknown { channel_id: 77 }, &ALL, now);
        assert!(engine.state().channels.contains_key(&77), "still tracked");
    }
    until_the_channel_is_asked_for(&mut engine, &mut now);
    engine.answer(Answer::ChannelAccessUnknown { channel_id: 77 }, &ALL, now);
    assert!(!engine.state().channels.contains_key(&77), "given up");
    let delivered = delivered(&events(&mut engine));
    assert!(delivered.contains(&(77, 1)), "{delivered:?}");
}

fn short_message_from(user_id: i64, id: i32, pts: i32) -> tl::enums::Updates {
    tl::enums::Updates::UpdateShortMessage(tl::types::UpdateShortMessage {
        out: false,
        mentioned: false,
        media_unread: false,
        silent: false,
        id,
        user_id,
        message: "hi".into(),
        pts,
        pts_count: 1,
        date: 0,
        fwd_from: None,
        via_bot_id: None,
        reply_to: None,
        entities: None,
        ttl_period: None,
    })
}

fn ids_any(events: &[Event]) -> Vec<i32> {
    delivered(events).into_iter().map(|(_, id)| id).collect()
}

#[test]
fn an_unknown_user_is_a_gap_and_the_update_is_not_dropped() {
    let t0 = Instant::now();
    // The difference brings it (with its user): delivered once.
    let mut engine = synced(t0);
    engine.push(short_message_from(7, 1, 11), false, &Known(false), t0);
    assert!(events(&mut engine).is_empty());
    assert_eq!(engine.poll_request(t0), Some(get_difference(10, 100, 5)));
    engine.answer(
        difference(
            vec![user_message(1)],
            Vec::new(),
            state(11, 5, 100, 3),
            false,
        ),
        &ALL,
        t0,
    );
    assert_eq!(ids_any(&events(&mut engine)), vec![1]);
    assert_eq!(engine.state().pts, 11);

    // The difference has nothing: the held update goes out after all.
    let mut engine = synced(t0);
    engine.push(short_message_from(7, 1, 11), false, &Known(false), t0);
    assert_eq!(engine.poll_request(t0), Some(get_difference(10, 100, 5)));
    engine.answer(difference_empty(100, 3), &Known(false), t0);
    assert_eq!(ids_any(&events(&mut engine)), vec![1]);
    assert_eq!(engine.state().pts, 11);
}

#[test]
fn own_rpc_pts_are_not_gaps() {
    let t0 = Instant::now();
    let mut engine = synced(t0);
    engine.affected(None, 12, 2, t0);
    engine.push(
        tl::enums::Updates::UpdateShortSentMessage(tl::types::UpdateShortSentMessage {
            out: true,
            id: 5,
            pts: 13,
            pts_count: 1,
            date: 0,
            media: None,
            entities: None,
            ttl_period: None,
        }),
        true,
        &ALL,
        t0,
    );
    engine.push(short(msg(6, 14)), false, &ALL, t0);
    assert_eq!(engine.state().pts, 14);
    assert_eq!(delivered(&events(&mut engine)), vec![(0, 6)]);
    assert_eq!(engine.deadline(), None);
    // A channel's own pts too.
    engine.push(short(chan_msg(77, 1, 51)), false, &ALL, t0);
    engine.affected(Some(77), 53, 2, t0);
    engine.push(short(chan_msg(77, 2, 54)), false, &ALL, t0);
    assert_eq!(engine.state().channels.get(&77), Some(&54));
    assert_eq!(engine.deadline(), None);
}

#[test]
fn failures_back_off_and_retry() {
    let t0 = Instant::now();
    let mut engine = Engine::new(Some(saved(10, 5, 3, 100)), t0);
    let request = get_difference(10, 100, 5);
    let fail = |engine: &mut Engine, retry_after, now| {
        engine.answer(
            Answer::Failed {
                request: request.clone(),
                retry_after,
            },
            &ALL,
            now,
        )
    };
    assert_eq!(engine.poll_request(t0), Some(request.clone()));
    fail(&mut engine, None, t0);
    assert_eq!(engine.deadline(), Some(t0 + ms(1000)));
    assert_eq!(engine.poll_request(t0 + ms(999)), None);
    let t1 = t0 + ms(1000);
    assert_eq!(engine.poll_request(t1), Some(request.clone()));
    fail(&mut engine, None, t1);
    assert_eq!(engine.deadline(), Some(t1 + ms(2000)));
    // Bounded.
    let mut now = t1;
    for _ in 0..20 {
        now = engine.deadline().expect("a retry time");
        assert_eq!(engine.poll_request(now), Some(request.clone()));
        fail(&mut engine, None, now);
    }
    assert_eq!(engine.deadline(), Some(now + ms(60_000)));
    // A flood wait is honoured, and a gap timer cannot jump it.
    let now = engine.deadline().expect("a retry time");
    assert_eq!(engine.poll_request(now), Some(request.clone()));
    fail(&mut engine, Some(ms(300_000)), now);
    engine.push(short(msg(2, 12)), false, &ALL, now);
    assert_eq!(engine.poll_request(now + ms(299_999)), None);
    assert!(engine.deadline().is_some_and(|d| d > now));
    assert_eq!(engine.poll_request(now + ms(300_000)), Some(request));
    assert_eq!(catch_ups(&events(&mut engine)), 0);
}

fn container(updates: Vec<tl::enums::Update>, seq_start: i32, seq: i32) -> tl::enums::Updates {
    tl::enums::Updates::Combined(tl::types::UpdatesCombined {
        updates,
        users: Vec::new(),
        chats: Vec::new(),
        date: 200 + seq,
        seq_start,
        seq,
    })
}

fn user_status(user_id: i64) -> tl::enums::Update {
    tl::enums::Update::UserTyping(tl::types::UpdateUserTyping {
        user_id,
        top_msg_id: None,
        action: tl::enums::SendMessageAction::SendMessageTypingAction,
    })
}

fn typing_users(events: &[Event]) -> Vec<i64> {
    let mut out = Vec::new();
    for event in events {
        if let Event::Updates { updates, .. } = event {
            for update in updates {
                if let tl::enums::Update::UserTyping(u) = update {
                    out.push(u.user_id);
                }
            }
        }
    }
    out
}

#[test]
fn seq_containers_apply_in_order() {
    let t0 = Instant::now();
    let mut engine = synced(t0);
    // seq 3 locally: 5..=5 waits for 4.
    engine.push(container(vec![user_status(5)], 5, 5), false, &ALL, t0);
    assert!(typing_users(&events(&mut engine)).is_empty());
    assert_eq!(engine.state().seq, 3);
    engine.push(container(vec![user_status(4)], 4, 4), false, &ALL, t0);
    assert_eq!(typing_users(&events(&mut engine)), vec![4, 5]);
    assert_eq!(engine.state().seq, 5);
    assert_eq!(engine.state().date, 205);
    // Combined: 6..=8.
    engine.push(container(vec![user_status(6)], 6, 8), false, &ALL, t0);
    assert_eq!(engine.state().seq, 8);
    assert_eq!(engine.deadline(), None);
}

#[test]
fn a_duplicate_seq_container_is_ignored_but_its_new_pts_are_not() {
    let t0 = Instant::now();
    let mut engine = synced(t0);
    engine.push(container(vec![user_status(4)], 4, 4), false, &ALL, t0);
    engine.push(
        container(vec![user_status(4), msg(1, 11)], 4, 4),
        false,
        &ALL,
        t0,
    );
    let events = events(&mut engine);
    assert_eq!(typing_users(&events), vec![4]);
    assert_eq!(delivered(&events), vec![(0, 1)]);
    assert_eq!(engine.deadline(), None);
}

#[test]
fn a_seq_gap_waits_then_asks_for_the_difference() {
    let t0 = Instant::now();
    let mut engine = synced(t0);
    engine.push(container(vec![msg(1, 11)], 6, 6), false, &ALL, t0);
    assert!(events(&mut engine).is_empty());
    assert_eq!(engine.state(), saved(10, 5, 3, 100));
    assert_eq!(engine.poll_request(t0 + ms(499)), None);
    let t1 = t0 + POSSIBLE_GAP_TIMEOUT;
    assert_eq!(engine.poll_request(t1), Some(get_difference(10, 100, 5)));
    engine.answer(
        difference(
            vec![user_message(1)],
            Vec::new(),
            state(11, 5, 206, 6),
            false,
        ),
        &ALL,
        t1,
    );
    assert_eq!(delivered(&events(&mut engine)), vec![(0, 1)]);
    assert_eq!(engine.state(), saved(11, 5, 6, 206));
    assert_eq!(engine.deadline(), None);
}

fn encrypted(qts: i32, random_id: i64) -> tl::enums::Update {
    tl::enums::Update::NewEncryptedMessage(tl::types::UpdateNewEncryptedMessage {
        message: tl::enums::EncryptedMessage::Message(tl::types::EncryptedMessage {
            random_id,
            chat_id: 1,
            date: 0,
            bytes: Vec::new(),
            file: tl::enums::EncryptedFile::Empty,
        }),
        qts,
    })
}

fn encrypted_ids(events: &[Event]) -> Vec<i64> {
    let mut out = Vec::new();
    for event in events {
        if let Event::Updates { updates, .. } = event {
            for update in updates {
                if let tl::enums::Update::NewEncryptedMessage(u) = update
                    && let tl::enums::EncryptedMessage::Message(m) = &u.message
                {
                    out.push(m.random_id);
                }
            }
        }
    }
    out
}

#[test]
fn qts_updates_apply_in_order_and_a_qts_gap_asks_for_the_difference() {
    let t0 = Instant::now();
    let mut engine = synced(t0);
    engine.push(short(encrypted(6, 60)), false, &ALL, t0);
    engine.push(short(encrypted(6, 60)), false, &ALL, t0);
    engine.push(short(encrypted(8, 80)), false, &ALL, t0);
    assert_eq!(encrypted_ids(&events(&mut engine)), vec![60]);
    assert_eq!(engine.state().qts, 6);
    let t1 = t0 + POSSIBLE_GAP_TIMEOUT;
    assert_eq!(engine.poll_request(t1), Some(get_difference(10, 100, 6)));
    engine.answer(
        difference(
            Vec::new(),
            vec![encrypted(7, 70)],
            state(10, 8, 100, 3),
            false,
        ),
        &ALL,
        t1,
    );
    assert_eq!(encrypted_ids(&events(&mut engine)), vec![70]);
    assert_eq!(engine.state().qts, 8);
    assert_eq!(engine.deadline(), None);
}

#[test]
fn too_many_held_updates_ask_for_the_difference_at_once() {
    let t0 = Instant::now();
    let mut engine = synced(t0);
    for i in 0..=MAX_HELD_PER_BOX as i32 {
        engine.push(short(msg(i, 20 + i)), false, &ALL, t0);
    }
    assert_eq!(engine.deadline(), Some(t0));
    assert_eq!(engine.poll_request(t0), Some(get_difference(10, 100, 5)));
}
