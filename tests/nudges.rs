//! End-to-end tests of the nudges on a real Synapse with the real `kitbot run` process: a nudge
//! created a few seconds ahead arrives; a firing that falls while the bot is down is sent late,
//! once; ✅ reactions on a parcours step are counted in `!parcours etat`; a team member who is
//! not coordinator gets a polite refusal. Quiet hours are switched off for these rooms, so the
//! tests pass at any hour of any day.

#![recursion_limit = "256"]

mod util;

use std::time::Duration;

use matrix_sdk::ruma::events::reaction::ReactionEventContent;
use matrix_sdk::ruma::events::relation::Annotation;
use matrix_sdk::ruma::OwnedRoomId;
use util::{Bot, Human, Seen, Tenant};

/// No quiet window (start == end), weekends and holidays open.
const NO_QUIET: &str =
    "[mission_locale.quiet_hours]\nweekends = false\nholidays = false\nstart = \"00:00\"\nend = \"00:00\"";

/// Alice (power level 100: coordination) and Bob (a member) in a room with a running bot.
async fn team() -> (Human, Human, Bot, OwnedRoomId) {
    let alice = Human::new("alice").await;
    let room = alice.create_room(false, &[]).await;
    let room_id = room.room_id().to_owned();
    let mut bot = Bot::new(
        &[Tenant {
            id: "ml-test",
            rooms: vec![room_id.to_string()],
            coordination_level: 50,
            extra: NO_QUIET,
        }],
        &["localhost"],
    )
    .await;
    bot.start();
    room.invite_user_by_id(&bot.owned_user_id())
        .await
        .expect("invite bot");
    alice.wait_membership(&room_id, &bot.user_id, "join").await;
    let bob = Human::new("bob").await;
    alice.bring_in(&room_id, &bob).await;
    (alice, bob, bot, room_id)
}

/// Messages from the bot that are not replies (posted nudges) and contain `text`.
fn posts<'a>(seen: &'a [Seen], bot: &Bot, text: &str) -> Vec<&'a Seen> {
    seen.iter()
        .filter(|s| s.sender == bot.user_id && s.in_reply_to.is_none() && s.body.contains(text))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nudge_arrives_as_text_pinging_nobody_and_members_are_refused() {
    let (alice, bob, mut bot, room_id) = team().await;
    let ask = alice
        .say(&room_id, "!relance dans 3 secondes : Café équipe")
        .await;
    let confirmation = alice.wait_reply(&ask).await;
    assert_eq!(confirmation.msgtype, "m.notice");
    assert!(
        confirmation.body.contains("R1") && confirmation.body.contains("Prochains envois"),
        "{}",
        confirmation.body
    );
    let seen = alice
        .wait_for("the nudge", |seen| {
            !posts(seen, &bot, "Café équipe").is_empty()
        })
        .await;
    let nudge = posts(&seen, &bot, "Café équipe")[0];
    assert_eq!(nudge.msgtype, "m.text", "a nudge notifies: m.text");
    assert!(
        !nudge.mentions_room && nudge.mentioned_users.is_empty(),
        "explicit m.mentions of nobody"
    );

    for body in [
        "!relance dans 3 secondes : pas autorisé",
        "!relances",
        "!parcours demarrer premiers-pas chaque jour à 9h",
    ] {
        let id = bob.say(&room_id, body).await;
        let refusal = bob.wait_reply(&id).await;
        assert!(
            refusal.body.contains("réservée à la coordination"),
            "{body}: {}",
            refusal.body
        );
    }
    // Everyone may list the parcours and set personal reminders.
    let id = bob.say(&room_id, "!parcours").await;
    assert!(bob.wait_reply(&id).await.body.contains("premiers-pas"));
    assert_eq!(bot.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_firing_missed_during_a_restart_is_sent_late_exactly_once() {
    let (alice, _bob, mut bot, room_id) = team().await;
    let asked_at = tokio::time::Instant::now();
    let ask = alice
        .say(&room_id, "!relance dans 45 secondes : Pendant la panne")
        .await;
    alice.wait_reply(&ask).await;
    assert_eq!(bot.stop(), Some(0));
    // The bot stays down until the firing time has passed: this wait is the scenario itself,
    // a deadline on the clock, not a guess about how long something takes. (45 s leaves a
    // loaded machine the time to answer and stop the bot before the firing.)
    tokio::time::sleep_until(asked_at + Duration::from_secs(47)).await;
    assert!(
        posts(&alice.seen(), &bot, "Pendant la panne").is_empty(),
        "nothing while down"
    );
    bot.start();
    alice
        .wait_for("the late nudge", |seen| {
            !posts(seen, &bot, "Pendant la panne").is_empty()
        })
        .await;
    // A command after it proves the bot is past its start-up; then count.
    let marker = alice.say(&room_id, "!ping").await;
    alice.wait_reply(&marker).await;
    assert_eq!(posts(&alice.seen(), &bot, "Pendant la panne").len(), 1);
    // Another restart sends nothing again.
    assert_eq!(bot.stop(), Some(0));
    bot.start();
    let marker = alice.say(&room_id, "!relances").await;
    let listing = alice.wait_reply(&marker).await;
    assert!(listing.body.contains("Aucune relance"), "{}", listing.body);
    assert_eq!(posts(&alice.seen(), &bot, "Pendant la panne").len(), 1);
    assert!(
        posts(&alice.seen(), &bot, "Pendant mon absence").is_empty(),
        "missed by less than the grace period: no summary"
    );
    assert_eq!(bot.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticks_on_a_parcours_step_are_counted() {
    let (alice, bob, mut bot, room_id) = team().await;
    let start = alice
        .say(&room_id, "!parcours demarrer premiers-pas chaque jour à 9h")
        .await;
    assert!(alice
        .wait_reply(&start)
        .await
        .body
        .contains("Premiers pas à distance"));
    let next = alice.say(&room_id, "!parcours suivant").await;
    alice.wait_reply(&next).await;
    let seen = alice
        .wait_for("step 1", |seen| {
            !posts(seen, &bot, "étape 1 sur 8").is_empty()
        })
        .await;
    let step = posts(&seen, &bot, "étape 1 sur 8")[0].clone();
    assert_eq!(step.msgtype, "m.text");

    for human in [&alice, &bob] {
        human
            .room(&room_id)
            .send(ReactionEventContent::new(Annotation::new(
                step.event_id.clone(),
                "✅".into(),
            )))
            .await
            .expect("react");
    }
    // The bot handles a room's events in order: the question after the reactions sees them.
    let state = alice.say(&room_id, "!parcours etat").await;
    let answer = alice.wait_reply(&state).await;
    assert!(answer.body.contains("✅ 2 ("), "{}", answer.body);
    assert!(
        answer.body.contains(alice.user_id.localpart())
            && answer.body.contains(bob.user_id.localpart()),
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("Prochaine étape : 2"),
        "{}",
        answer.body
    );
    assert_eq!(bot.stop(), Some(0));
}

/// Every firing of a recurring personal reminder reaches the person: each one has its own
/// transaction id (the reminder and its nominal instant), so the homeserver never drops one as a
/// repeat. The bot runs on a clock 90 times faster, so "every 15 minutes" is every 10 seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recurring_personal_reminder_delivers_every_firing() {
    let alice = Human::new("alice").await;
    let room = alice.create_room(false, &[]).await;
    let room_id = room.room_id().to_owned();
    let mut bot = Bot::new(
        &[Tenant {
            id: "ml-test",
            rooms: vec![room_id.to_string()],
            coordination_level: 50,
            extra: NO_QUIET,
        }],
        &["localhost"],
    )
    .await;
    bot.env.push(("KITBOT_TIME_SCALE".into(), "90".into()));
    bot.start();
    room.invite_user_by_id(&bot.owned_user_id())
        .await
        .expect("invite bot");
    alice.wait_membership(&room_id, &bot.user_id, "join").await;
    let ask = alice
        .say(&room_id, "!me-rappeler */15 * * * * : boire un verre d'eau")
        .await;
    let confirmation = alice.wait_reply(&ask).await;
    assert!(confirmation.body.contains("P1"), "{}", confirmation.body);
    // The first firing opens a direct room; Alice joins it.
    let client = alice.client.clone();
    alice
        .wait_for("an invitation to a direct room", |_| {
            !client.invited_rooms().is_empty()
        })
        .await;
    let dm = client.invited_rooms()[0].room_id().to_owned();
    alice.join(&dm).await;
    let bot_id = bot.user_id.clone();
    let reminders = |seen: &[Seen]| {
        seen.iter()
            .filter(|m| m.room_id == dm && m.sender == bot_id && m.body.contains("boire un verre"))
            .count()
    };
    alice
        .wait_for("three firings of the reminder", |seen| reminders(seen) >= 3)
        .await;
    assert_eq!(bot.stop(), Some(0));
    let seen = alice.seen();
    let delivered: Vec<&Seen> = seen
        .iter()
        .filter(|m| m.room_id == dm && m.sender == bot.user_id)
        .collect();
    assert!(
        delivered.iter().all(|m| m.msgtype == "m.text"),
        "reminders notify: {delivered:?}"
    );
}

/// The weekly digest on Synapse: Alice, coordinator of one Mission Locale, asks for it a few
/// minutes ahead (Paris time); it arrives in a direct message with her Mission Locale's week,
/// and nothing of the other Mission Locale, whose coordinator Dave did not ask for it and gets
/// nothing. The bot's clock runs six times faster (`KITBOT_TIME_SCALE`), so those minutes pass
/// in seconds; the test bounds the bot's time from when the bot process started.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_weekly_digest_reaches_only_who_asked_with_their_figures_only() {
    use chrono::{Datelike as _, Timelike as _};
    let alice = Human::new("alice").await;
    let dave = Human::new("dave").await;
    let room_a = alice.create_room(false, &[]).await;
    let room_b = dave.create_room(false, &[]).await;
    let (a, b) = (room_a.room_id().to_owned(), room_b.room_id().to_owned());
    let mut bot = Bot::new(
        &[
            Tenant {
                id: "ml-a",
                rooms: vec![a.to_string()],
                coordination_level: 50,
                extra: NO_QUIET,
            },
            Tenant {
                id: "ml-b",
                rooms: vec![b.to_string()],
                coordination_level: 50,
                extra: NO_QUIET,
            },
        ],
        &["localhost"],
    )
    .await;
    const SCALE: i32 = 6;
    bot.env
        .push(("KITBOT_TIME_SCALE".into(), SCALE.to_string()));
    // The bot's clock starts (its origin) after `before`, then runs SCALE times faster: at any
    // later instant `now` its time is at most `now + (now - before) * (SCALE - 1)`.
    let before = chrono::Utc::now();
    bot.start();
    for (human, room, id) in [(&alice, &room_a, &a), (&dave, &room_b, &b)] {
        room.invite_user_by_id(&bot.owned_user_id())
            .await
            .expect("invite bot");
        human.wait_membership(id, &bot.user_id, "join").await;
    }
    // The other Mission Locale's week: a card read, a question passed on.
    for body in [
        "!fiche aidants-connect",
        "!transmettre une question secrete de la mission locale B",
    ] {
        let ask = dave.say(&b, body).await;
        dave.wait_reply(&ask).await;
    }
    // Alice's: a card read.
    let ask = alice.say(&a, "!kit rappel de rdv par sms").await;
    assert!(alice.wait_reply(&ask).await.body.contains("sms-rappel"));
    // The digest on a whole minute at least two minutes of the bot's time (20 s of ours) after
    // the latest its clock can show now, so that the command reaches it first.
    let now = chrono::Utc::now();
    let latest = now + (now - before) * (SCALE - 1);
    let at = (latest + chrono::Duration::minutes(3))
        .with_timezone(&chrono_tz::Europe::Paris)
        .with_second(0)
        .expect("a valid instant");
    let day = [
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    ][at.weekday().num_days_from_monday() as usize];
    let command = format!("!digest oui {day} à {}h{:02}", at.hour(), at.minute());
    let ask = alice.say(&a, &command).await;
    let answer = alice.wait_reply(&ask).await.body;
    assert!(answer.contains("C'est noté"), "{answer}");
    let client = alice.client.clone();
    alice
        .wait_for("an invitation to a direct room", |_| {
            !client.invited_rooms().is_empty()
        })
        .await;
    let dm = client.invited_rooms()[0].room_id().to_owned();
    alice.join(&dm).await;
    let bot_id = bot.user_id.clone();
    let digest = alice
        .wait_for("the weekly digest", |seen| {
            seen.iter().any(|m| {
                m.room_id == dm && m.sender == bot_id && m.body.contains("Le point de la semaine")
            })
        })
        .await
        .into_iter()
        .find(|m| m.room_id == dm && m.body.contains("Le point de la semaine"))
        .expect("digest")
        .body;
    assert!(
        digest.contains("ML ml-a") && digest.contains("sms-rappel"),
        "{digest}"
    );
    assert!(
        !digest.contains("aidants-connect") && !digest.contains("secrete"),
        "another Mission Locale's figures: {digest}"
    );
    // Dave did not ask: after a round trip in his room, no direct room was opened for him.
    let ping = dave.say(&b, "!ping").await;
    dave.wait_reply(&ping).await;
    assert!(
        dave.client.invited_rooms().is_empty(),
        "a digest nobody asked for"
    );
    assert_eq!(bot.stop(), Some(0));
}

/// A coordinator who subscribed to the digest and is then lowered below the coordination level
/// stops receiving it, and is told so once, in a direct room; the subscription is gone (seen
/// with `!digest` once the role is given back). Alice, still coordinating, is told nothing.
/// Bob's role is read before and after each change: no role the bot keeps outlives a change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_who_loses_the_role_stops_receiving_the_digest() {
    use matrix_sdk::ruma::Int;
    let (alice, bob, mut bot, room_id) = team().await;
    let room = alice.room(&room_id);
    // The bot reads bob's role as a member first: what it keeps of it must not outlive the
    // change below (the role cache).
    let ask = bob.say(&room_id, "!relances").await;
    let answer = bob.wait_reply(&ask).await.body;
    assert!(answer.contains("réservée à la coordination"), "{answer}");
    room.update_power_levels(vec![(&bob.user_id, Int::from(50))])
        .await
        .expect("bob coordinates");
    let ask = alice.say(&room_id, "!digest oui").await;
    assert!(alice.wait_reply(&ask).await.body.contains("C'est noté"));
    // The bot sees bob's new level once it answers him as a coordinator.
    let ask = bob.say(&room_id, "!digest oui").await;
    let answer = bob.wait_reply(&ask).await.body;
    assert!(answer.contains("C'est noté"), "{answer}");

    room.update_power_levels(vec![(&bob.user_id, Int::from(0))])
        .await
        .expect("bob no longer coordinates");
    let client = bob.client.clone();
    bob.wait_for("an invitation to a direct room", |_| {
        !client.invited_rooms().is_empty()
    })
    .await;
    let dm = client.invited_rooms()[0].room_id().to_owned();
    bob.join(&dm).await;
    let bot_id = bot.user_id.clone();
    let told = bob
        .wait_for("the digest stopped", |seen| {
            seen.iter()
                .any(|m| m.room_id == dm && m.sender == bot_id && m.body.contains("s'arrête"))
        })
        .await;
    let stops = told
        .iter()
        .filter(|m| m.room_id == dm && m.body.contains("s'arrête"))
        .count();
    assert_eq!(stops, 1, "told once");
    // Nor does his former role outlive the change.
    let ask = bob.say(&room_id, "!relances").await;
    let answer = bob.wait_reply(&ask).await.body;
    assert!(answer.contains("réservée à la coordination"), "{answer}");

    // Given the role back, bob finds no digest: it was stopped, not paused.
    room.update_power_levels(vec![(&bob.user_id, Int::from(50))])
        .await
        .expect("bob coordinates again");
    let ask = bob.say(&room_id, "!digest").await;
    let answer = bob.wait_reply(&ask).await.body;
    assert!(
        answer.contains("Vous ne recevez pas le point de la semaine"),
        "{answer}"
    );
    // Alice kept hers and was told nothing.
    let ask = alice.say(&room_id, "!digest").await;
    let answer = alice.wait_reply(&ask).await.body;
    assert!(answer.contains("Vous recevez le point"), "{answer}");
    assert!(
        alice.client.invited_rooms().is_empty(),
        "alice still coordinates: no message for her"
    );
    assert_eq!(bot.stop(), Some(0));
}
