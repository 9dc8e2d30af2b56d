//! Tests of the nudges through the engine: the commands as a coordinator or a member types
//! them, and the scheduler task under tokio's paused time with a FixedClock moved in step
//! (the scheduler sleeps in tokio time and reads "now" from the clock; nothing really waits).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::core::FixedClock;
use crate::core::Role;
use crate::engine::tests::{ask, engine_at, message, t};
use crate::engine::{Engine, Incoming, IncomingKind, Outgoing};

use crate::outbox::{SendError, Transport};

const ROOM: &str = "!room:example.org";

async fn ask_in(engine: &Engine, room: &str, body: &str, role: Role) -> String {
    let mut incoming = message(body, role, engine.now());
    incoming.room_id = room.to_owned();
    replies(engine.handle(&incoming).await)
}

async fn ask_as(engine: &Engine, user: &str, body: &str) -> String {
    let mut incoming = message(body, Role::Membre, engine.now());
    incoming.sender = user.to_owned();
    replies(engine.handle(&incoming).await)
}

fn replies(out: Vec<Outgoing>) -> String {
    out.into_iter()
        .filter_map(|o| match o {
            Outgoing::Reply { markdown, .. } => Some(markdown),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What the fake homeserver received.
#[derive(Debug, Clone)]
struct Sent {
    txn: String,
    out: Outgoing,
    /// The event id it answered with (`$post1`, `$post2`…).
    event_id: String,
}

/// A homeserver stand-in: passes every send on to the test; when `lose` is set, it receives the
/// message but the answer never comes back (as in a crash right after sending).
struct Channel {
    sent: mpsc::UnboundedSender<Sent>,
    lose: bool,
    count: AtomicUsize,
}

impl Transport for Channel {
    async fn send(&self, txn: &str, out: &Outgoing) -> Result<Option<String>, SendError> {
        let n = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        let event_id = format!("$post{n}");
        let _ = self.sent.send(Sent {
            txn: txn.to_owned(),
            out: out.clone(),
            event_id: event_id.clone(),
        });
        if self.lose {
            return Err(SendError::Retry {
                after: Some(StdDuration::from_secs(365 * 86_400)),
                cause: "answer lost".into(),
            });
        }
        Ok(Some(event_id))
    }
}

/// The scheduler and the outbox delivery of `engine`, running in the background, and what
/// they sent.
struct Running {
    posts: mpsc::UnboundedReceiver<Sent>,
    shutdown: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    fn start(engine: &Engine) -> Running {
        Running::with(engine, false)
    }

    /// Every send reaches the homeserver, but no answer comes back.
    fn start_losing_answers(engine: &Engine) -> Running {
        Running::with(engine, true)
    }

    fn with(engine: &Engine, lose: bool) -> Running {
        let (tx, posts) = mpsc::unbounded_channel();
        let shutdown = CancellationToken::new();
        let scheduler = tokio::spawn(crate::nudges::scheduler::run(
            engine.scheduler_env(),
            shutdown.clone(),
        ));
        let delivery = tokio::spawn(crate::outbox::deliver(
            engine.outbox().clone(),
            Arc::new(Channel {
                sent: tx,
                lose,
                count: AtomicUsize::new(0),
            }),
            engine.delivered_hook(),
            shutdown.clone(),
        ));
        Running {
            posts,
            shutdown,
            tasks: vec![scheduler, delivery],
        }
    }

    /// The next message sent within `within` of (paused) tokio time, or None.
    async fn next(&mut self, within: StdDuration) -> Option<Sent> {
        tokio::time::timeout(within, self.posts.recv())
            .await
            .ok()
            .flatten()
    }

    async fn stop(self) {
        self.shutdown.cancel();
        for task in self.tasks {
            task.await.expect("tasks end cleanly");
        }
    }
}

/// Let the background tasks finish what they are doing (paused time moves on only when every
/// task waits).
async fn settle() {
    tokio::time::sleep(StdDuration::from_millis(10)).await;
}

/// Move the FixedClock and tokio's paused time together, so that the scheduler's sleep ends
/// when the clock says the firing is due.
async fn advance(clock: &FixedClock, by: Duration) {
    clock.advance(by);
    tokio::time::advance(by.to_std().expect("positive")).await;
}

fn post_parts(sent: &Sent) -> (&str, &str, &str, bool, bool) {
    match &sent.out {
        Outgoing::Post {
            room_id,
            markdown,
            notice,
            mentions,
        } => (
            room_id,
            markdown,
            &sent.txn,
            *notice,
            mentions.room || !mentions.users.is_empty(),
        ),
        other => panic!("expected a post, got {other:?}"),
    }
}

fn reaction(engine: &Engine, user: &str, target: &str, key: &str, event_id: &str) -> Incoming {
    let mut incoming = message("", Role::Membre, engine.now());
    incoming.sender = user.to_owned();
    incoming.event_id = event_id.to_owned();
    incoming.kind = IncomingKind::Reaction {
        target: target.to_owned(),
        key: key.to_owned(),
        target_sender: None,
        target_body: None,
    };
    incoming
}

// ----- commands -----

#[tokio::test]
async fn a_nudge_is_confirmed_with_its_id_and_next_three_firings() {
    // Monday 30 November 2026, 09:00 in Paris.
    let (engine, _) = engine_at("2026-11-30T08:00:00Z");
    let answer = ask(
        &engine,
        "!relance chaque lundi à 9h : Qui a testé la visio ?",
        Role::Coordination,
    )
    .await;
    for expected in [
        "**R1**",
        "chaque lundi à 09:00",
        "Qui a testé la visio ?",
        "lundi 7 décembre à 09:00",
        "lundi 14 décembre à 09:00",
        "lundi 21 décembre à 09:00",
        "`!relance annuler R1`",
    ] {
        assert!(answer.contains(expected), "{expected:?} in {answer}");
    }
    let second = ask(
        &engine,
        "!relance demain à 10h : sms-rappel",
        Role::Coordination,
    )
    .await;
    assert!(
        second.contains("**R2**") && second.contains("Fiche"),
        "{second}"
    );
    assert!(second.contains("mardi 1er décembre à 10:00"), "{second}");
}

#[tokio::test]
async fn quiet_hours_move_a_firing_and_the_confirmation_says_so() {
    let (engine, _) = engine_at("2026-11-30T08:00:00Z");
    let answer = ask(
        &engine,
        "!relance chaque samedi à 10h : Bon week-end",
        Role::Coordination,
    )
    .await;
    assert!(answer.contains("lundi 7 décembre à 08:00"), "{answer}");
    assert!(
        answer.contains("prévu samedi 5 décembre à 10:00, décalé"),
        "{answer}"
    );
    // Friday 25 December 2026 is a public holiday: the evening firing of Thursday 24 waits too.
    let answer = ask(
        &engine,
        "!relance le 24 décembre à 20h : Joyeuses fêtes",
        Role::Coordination,
    )
    .await;
    assert!(answer.contains("lundi 28 décembre à 08:00"), "{answer}");
}

#[tokio::test]
async fn members_get_a_polite_refusal_and_the_listing_stays_open() {
    let (engine, _) = engine_at("2026-11-30T08:00:00Z");
    for body in [
        "!relance chaque lundi à 9h : x",
        "!relances",
        "!parcours demarrer premiers-pas chaque lundi à 9h",
        "!parcours etat",
    ] {
        let answer = ask(&engine, body, Role::Membre).await;
        assert!(
            answer.contains("réservée à la coordination"),
            "{body}: {answer}"
        );
    }
    let answer = ask(&engine, "!parcours", Role::Membre).await;
    assert!(answer.contains("premiers-pas"), "{answer}");
}

#[tokio::test]
async fn a_room_sees_only_its_own_nudges() {
    let (engine, _) = engine_at("2026-11-30T08:00:00Z");
    ask_in(
        &engine,
        "!a:example.org",
        "!relance chaque lundi à 9h : Salon A",
        Role::Coordination,
    )
    .await;
    ask_in(
        &engine,
        "!b:example.org",
        "!relance chaque mardi à 9h : Salon B",
        Role::Coordination,
    )
    .await;
    let a = ask_in(&engine, "!a:example.org", "!relances", Role::Coordination).await;
    assert!(a.contains("Salon A") && !a.contains("Salon B"), "{a}");
    let refused = ask_in(
        &engine,
        "!a:example.org",
        "!relance annuler R2",
        Role::Coordination,
    )
    .await;
    assert!(
        refused.contains("Je ne trouve pas la relance « R2 »"),
        "{refused}"
    );
    let all = ask_in(
        &engine,
        "!a:example.org",
        "!relances toutes",
        Role::Coordination,
    )
    .await;
    assert!(
        all.contains("Salon A") && all.contains("Salon B") && all.contains("2 salon"),
        "{all}"
    );
}

#[tokio::test]
async fn pause_resume_modify_and_cancel() {
    let (engine, clock) = engine_at("2026-11-30T08:00:00Z");
    ask(
        &engine,
        "!relance chaque lundi à 9h : Point équipe",
        Role::Coordination,
    )
    .await;
    let paused = ask(
        &engine,
        "!relance pause R1 jusqu'au 4 janvier",
        Role::Coordination,
    )
    .await;
    assert!(
        paused.contains("jusqu'au lundi 4 janvier 2027")
            && paused.contains("lundi 4 janvier 2027 à 09:00"),
        "{paused}"
    );
    let listed = ask(&engine, "!relances", Role::Coordination).await;
    assert!(listed.contains("en pause jusqu'au"), "{listed}");
    let paused = ask(&engine, "!relance pause R1", Role::Coordination).await;
    assert!(paused.contains("en pause"), "{paused}");
    clock.advance(Duration::days(3));
    let resumed = ask(&engine, "!relance reprendre R1", Role::Coordination).await;
    assert!(resumed.contains("lundi 7 décembre à 09:00"), "{resumed}");
    let again = ask(&engine, "!relance reprendre R1", Role::Coordination).await;
    assert!(again.contains("n'est pas en pause"), "{again}");
    let modified = ask(
        &engine,
        "!relance modifier R1 chaque mardi à 14h",
        Role::Coordination,
    )
    .await;
    assert!(
        modified.contains("chaque mardi à 14:00") && modified.contains("mardi 8 décembre à 14:00"),
        "{modified}"
    );
    let bad = ask(
        &engine,
        "!relance modifier R1 quand tu veux",
        Role::Coordination,
    )
    .await;
    assert!(bad.contains("Exemple"), "{bad}");
    let cancelled = ask(&engine, "!relance annuler r1", Role::Coordination).await;
    assert!(cancelled.contains("R1** annulée"), "{cancelled}");
    assert!(ask(&engine, "!relances", Role::Coordination)
        .await
        .contains("Aucune relance"));
}

#[tokio::test]
async fn malformed_relances_are_answered_with_an_example() {
    let (engine, _) = engine_at("2026-11-30T08:00:00Z");
    struct Case {
        body: &'static str,
        expected: &'static str,
    }
    let cases = [
        Case {
            body: "!relance",
            expected: "Écrivez quand",
        },
        Case {
            body: "!relance chaque lundi à 9h",
            expected: "pas quoi envoyer",
        },
        Case {
            body: "!relance hier à 9h : trop tard",
            expected: "Exemple",
        },
        Case {
            body: "!relance annuler bidule",
            expected: "n'est pas un numéro",
        },
        Case {
            body: "!relance pause R9",
            expected: "Je ne trouve pas",
        },
        Case {
            body: "!parcours demarrer premiers-pas demain à 9h",
            expected: "rythme régulier",
        },
        Case {
            body: "!parcours demarrer inconnu chaque lundi",
            expected: "premiers-pas",
        },
        Case {
            body: "!parcours valse",
            expected: "Je ne connais pas « valse »",
        },
    ];
    for c in cases {
        let answer = ask(&engine, c.body, Role::Coordination).await;
        assert!(answer.contains(c.expected), "{}: {answer}", c.body);
    }
    let huge = format!("!relance demain à 9h : {}", "x".repeat(5000));
    assert!(ask(&engine, &huge, Role::Coordination)
        .await
        .contains("trop long"));
}

#[tokio::test]
async fn personal_reminders_and_silence() {
    let (engine, _) = engine_at("2026-11-30T08:00:00Z");
    let alice = "@alice:example.org";
    let answer = ask_as(&engine, alice, "!me-rappeler demain à 9h : appeler Sam").await;
    assert!(
        answer.contains("**P1**") && answer.contains("mardi 1er décembre à 09:00"),
        "{answer}"
    );
    let other = ask_as(&engine, "@bob:example.org", "!mes-rappels").await;
    assert!(other.contains("aucun rappel"), "{other}");
    let mine = ask_as(&engine, alice, "!mes-rappels").await;
    assert!(
        mine.contains("P1") && mine.contains("appeler Sam"),
        "{mine}"
    );
    let silence = ask_as(&engine, alice, "!silence 2 semaines").await;
    assert!(silence.contains("lundi 14 décembre"), "{silence}");
    assert!(ask_as(&engine, alice, "!silence")
        .await
        .contains("jusqu'au lundi 14 décembre"));
    assert!(ask_as(&engine, alice, "!silence fin")
        .await
        .contains("terminé"));
    assert!(ask_as(&engine, alice, "!silence")
        .await
        .contains("pas en silence"));
    assert!(
        ask_as(&engine, "@bob:example.org", "!mes-rappels annuler P1")
            .await
            .contains("Je ne trouve pas")
    );
    assert!(ask_as(&engine, alice, "!mes-rappels annuler P1")
        .await
        .contains("annulé"));
}

// ----- the scheduler -----

#[tokio::test(start_paused = true)]
async fn a_nudge_fires_at_its_time_once_as_text_mentioning_nobody() {
    let (engine, clock) = engine_at("2026-11-30T08:00:00Z");
    let mut running = Running::start(&engine);
    // Created after the scheduler started: the change wakes it.
    ask(
        &engine,
        "!relance dans 10 minutes : Café",
        Role::Coordination,
    )
    .await;
    advance(&clock, Duration::minutes(9)).await;
    assert!(
        running.next(StdDuration::from_secs(30)).await.is_none(),
        "nothing before its time"
    );
    advance(&clock, Duration::minutes(1)).await;
    let post = running
        .next(StdDuration::from_secs(60))
        .await
        .expect("fired");
    assert_eq!(engine.now(), t("2026-11-30T08:10:00Z"), "not early");
    let (room, markdown, txn, notice, mentions) = post_parts(&post);
    assert_eq!(room, ROOM);
    assert_eq!(markdown, "🔔 Café");
    assert!(!notice && !mentions, "m.text that pings nobody");
    assert_eq!(
        txn,
        crate::outbox::txn_for_firing(
            "demo|!room:example.org|0000000001",
            t("2026-11-30T08:10:00Z"),
            "nudge"
        )
    );
    settle().await;
    assert!(engine.outbox().is_empty(), "delivered: out of the outbox");
    // A one-off is gone once sent.
    assert!(ask(&engine, "!relances", Role::Coordination)
        .await
        .contains("Aucune relance"));
    advance(&clock, Duration::days(1)).await;
    assert!(
        running.next(StdDuration::from_secs(86_400)).await.is_none(),
        "fired once"
    );
    running.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_weekly_nudge_goes_on_and_a_paused_one_stays_quiet() {
    let (engine, clock) = engine_at("2026-11-30T08:00:00Z");
    ask(
        &engine,
        "!relance chaque jour à 10h : @bob:example.org café ?",
        Role::Coordination,
    )
    .await;
    ask(
        &engine,
        "!relance chaque jour à 11h : Pause",
        Role::Coordination,
    )
    .await;
    ask(&engine, "!relance pause R2", Role::Coordination).await;
    let mut running = Running::start(&engine);
    for day in 0..3 {
        advance(&clock, Duration::hours(if day == 0 { 1 } else { 22 })).await;
        let post = running
            .next(StdDuration::from_secs(60))
            .await
            .expect("daily post");
        let Outgoing::Post {
            mentions, markdown, ..
        } = &post.out
        else {
            panic!("{post:?}")
        };
        assert_eq!(
            mentions.users,
            ["@bob:example.org"],
            "the person named is notified"
        );
        assert!(markdown.contains("café"), "{markdown}");
        // 11:00, R2's time: it is paused.
        advance(&clock, Duration::hours(2)).await;
        assert!(
            running.next(StdDuration::from_secs(1)).await.is_none(),
            "R2 is paused"
        );
    }
    running.stop().await;
}

#[tokio::test(start_paused = true)]
async fn after_downtime_the_latest_firing_goes_late_once_and_older_ones_are_summed_up() {
    let (engine, clock) = engine_at("2026-11-30T08:00:00Z");
    ask(
        &engine,
        "!relance chaque jour à 10h : Café",
        Role::Coordination,
    )
    .await;
    ask(
        &engine,
        "!relance demain à 8h : Réunion",
        Role::Coordination,
    )
    .await;
    // The bot is down from Monday 09:00 to Tuesday 10:30 (Paris). When it comes back, its
    // sends reach the homeserver but it crashes before any answer comes back.
    let firings = |outcome: &str| {
        crate::metrics::metrics()
            .firings
            .get_or_create(&crate::metrics::SendLabels {
                outcome: outcome.to_owned(),
            })
            .get()
    };
    let (late_before, missed_before) = (firings("late"), firings("missed"));
    clock.set(t("2026-12-01T09:30:00Z"));
    let mut running = Running::start_losing_answers(&engine);
    let late = running
        .next(StdDuration::from_secs(1))
        .await
        .expect("late post");
    let (_, markdown, late_txn, notice, _) = post_parts(&late);
    assert!(
        markdown.starts_with("🔔 Café") && markdown.contains("30 min de retard"),
        "{markdown}"
    );
    assert!(!notice);
    let late_txn = late_txn.to_owned();
    // The operator's counters moved (other tests share them: at least).
    assert!(firings("late") > late_before, "a late firing counted");
    assert!(
        firings("missed") > missed_before,
        "the missed firing counted"
    );
    assert!(
        running.next(StdDuration::from_secs(600)).await.is_none(),
        "the summary waits behind the unconfirmed post: order is kept within a room"
    );

    // A restart: the same post again, with the same transaction id (the homeserver drops the
    // double), then the summary; nothing fired twice.
    running.stop().await;
    let mut running = Running::start(&engine);
    let again = running
        .next(StdDuration::from_secs(1))
        .await
        .expect("re-sent");
    assert_eq!(
        post_parts(&again).2,
        late_txn,
        "same transaction id: the homeserver drops the double"
    );
    let summary = running
        .next(StdDuration::from_secs(1))
        .await
        .expect("summary");
    let (_, text, _, notice, _) = post_parts(&summary);
    assert!(notice, "the summary is a notice");
    assert!(
        text.contains("Pendant mon absence, 2 relances n'ont pas été envoyées"),
        "{text}"
    );
    assert!(
        text.contains("R1 (prévue lundi 30 novembre à 10:00)"),
        "{text}"
    );
    assert!(
        text.contains("R2 (prévue mardi 1er décembre à 08:00)"),
        "{text}"
    );
    assert!(running.next(StdDuration::from_secs(600)).await.is_none());
    assert!(engine.outbox().is_empty(), "delivered this time");
    running.stop().await;
    // Confirmed: a third start sends nothing; the schedule goes on the next day.
    let mut running = Running::start(&engine);
    assert!(running.next(StdDuration::from_secs(600)).await.is_none());
    advance(&clock, Duration::minutes(23 * 60 + 30)).await;
    let next = running
        .next(StdDuration::from_secs(60))
        .await
        .expect("next day");
    assert_eq!(post_parts(&next).1, "🔔 Café");
    running.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_parcours_posts_one_step_per_firing_and_counts_ticks() {
    let (engine, clock) = engine_at("2026-11-30T08:00:00Z");
    let started = ask(
        &engine,
        "!parcours demarrer premiers-pas chaque jour à 10h",
        Role::Coordination,
    )
    .await;
    assert!(
        started.contains("Premiers pas à distance")
            && started.contains("lundi 30 novembre à 10:00"),
        "{started}"
    );
    let busy = ask(
        &engine,
        "!parcours demarrer equipe-hybride chaque jour à 10h",
        Role::Coordination,
    )
    .await;
    assert!(busy.contains("déjà en cours"), "{busy}");
    let mut running = Running::start(&engine);
    advance(&clock, Duration::hours(1)).await;
    let step = running
        .next(StdDuration::from_secs(60))
        .await
        .expect("step 1");
    let (_, markdown, txn, notice, _) = post_parts(&step);
    assert!(
        markdown.contains("étape 1 sur 8") && markdown.contains("Observer les usages"),
        "{markdown}"
    );
    assert!(markdown.contains("✅"), "{markdown}");
    assert!(!notice);
    assert!(txn.starts_with("fire|demo|!room:example.org|"), "{txn}");
    let step1 = step.event_id.clone();
    settle().await;
    assert_eq!(
        engine.nudges().card_of_post(ROOM, &step1).as_deref(),
        Some("observer-usages")
    );
    // A reflection written in the step's thread is linked to the step's card.
    ask(&engine, "!consentement oui", Role::Membre).await;
    let mut in_thread = message(
        "!reflexion On a regardé les usages du soir #terrain",
        Role::Membre,
        engine.now(),
    );
    in_thread.event_id = "$reflexion-in-thread".into();
    in_thread.thread_root = Some(step1.clone());
    let saved = engine.handle(&in_thread).await;
    assert!(
        saved
            .iter()
            .any(|o| matches!(o, Outgoing::React { key, .. } if key == "✅")),
        "{saved:?}"
    );
    let listed = ask(&engine, "!reflexions", Role::Membre).await;
    assert!(listed.contains("observer-usages"), "{listed}");

    for (user, key, id) in [
        ("@bob:example.org", "✅", "$r1"),
        ("@carla:example.org", "✔️", "$r2"),
        ("@bob:example.org", "👍🏽", "$r3"),
        ("@dan:example.org", "❤️", "$r4"),
    ] {
        assert!(engine
            .handle(&reaction(&engine, user, &step1, key, id))
            .await
            .is_empty());
    }
    let state = ask(&engine, "!parcours etat", Role::Coordination).await;
    assert!(
        state.contains("— ✅ 2 (") && state.contains("bob") && state.contains("carla"),
        "{state}"
    );
    assert!(state.contains("Prochaine étape : 2"), "{state}");
    // Dan cannot take Bob's tick away with a forged redaction event.
    let mut forged = message("", Role::Membre, engine.now());
    forged.sender = "@dan:example.org".into();
    forged.kind = IncomingKind::Redaction {
        target: "$r1".into(),
        by_moderator: false,
    };
    engine.handle(&forged).await;
    let state = ask(&engine, "!parcours etat", Role::Coordination).await;
    assert!(state.contains("— ✅ 2 ("), "{state}");
    // Carla takes her reaction back.
    let mut undo = message("", Role::Membre, engine.now());
    undo.sender = "@carla:example.org".into();
    undo.kind = IncomingKind::Redaction {
        target: "$r2".into(),
        by_moderator: false,
    };
    engine.handle(&undo).await;
    let state = ask(&engine, "!parcours etat", Role::Coordination).await;
    assert!(
        state.contains("— ✅ 1 (") && !state.contains("carla"),
        "{state}"
    );
    assert_eq!(
        engine.nudges().adoption_figures("demo"),
        [("Premiers pas à distance".to_owned(), 1, 1)]
    );

    // `suivant` posts step 2 now; `pause` stops the cadence; `reprendre` restarts it.
    assert!(ask(&engine, "!parcours suivant", Role::Coordination)
        .await
        .contains("étape 2"));
    let step2 = running
        .next(StdDuration::from_secs(1))
        .await
        .expect("step 2 now");
    assert!(post_parts(&step2).1.contains("étape 2 sur 8"));
    assert!(ask(&engine, "!parcours pause", Role::Coordination)
        .await
        .contains("en pause"));
    advance(&clock, Duration::days(2)).await;
    assert!(
        running
            .next(StdDuration::from_secs(3 * 86_400))
            .await
            .is_none(),
        "paused"
    );
    assert!(ask(&engine, "!parcours reprendre", Role::Coordination)
        .await
        .contains("repris"));
    let stopped = ask(&engine, "!parcours arreter", Role::Coordination).await;
    assert!(stopped.contains("2 étape(s)"), "{stopped}");
    assert!(ask(&engine, "!parcours etat", Role::Coordination)
        .await
        .contains("arrêté"));
    running.stop().await;
}

/// `!parcours etat` answers in words, then, once a step was posted, with a chart: the same
/// command's second answer, in reply to it and in its thread, named `ev|<event>|1`.
#[tokio::test(start_paused = true)]
async fn parcours_state_sends_a_chart_after_its_text_in_the_same_thread() {
    let (engine, clock) = engine_at("2026-11-30T08:00:00Z");
    ask(
        &engine,
        "!parcours demarrer premiers-pas chaque jour à 10h",
        Role::Coordination,
    )
    .await;
    let before = engine
        .handle(&message("!parcours etat", Role::Coordination, engine.now()))
        .await;
    assert!(
        matches!(&before[..], [Outgoing::Reply { .. }]),
        "no step posted yet: no chart: {before:?}"
    );
    let mut running = Running::start(&engine);
    advance(&clock, Duration::hours(1)).await;
    let step1 = running
        .next(StdDuration::from_secs(60))
        .await
        .expect("step 1");
    settle().await;
    engine
        .handle(&reaction(
            &engine,
            "@bob:example.org",
            &step1.event_id,
            "✅",
            "$r1",
        ))
        .await;
    advance(&clock, Duration::days(1)).await;
    running
        .next(StdDuration::from_secs(60))
        .await
        .expect("step 2, the next day");
    engine
        .handle(&reaction(
            &engine,
            "@carla:example.org",
            &step1.event_id,
            "👍",
            "$r2",
        ))
        .await;
    running.stop().await;

    let mut asked = message("!parcours etat", Role::Coordination, engine.now());
    asked.thread_root = Some("$root".into());
    let out = engine.handle(&asked).await;
    let [Outgoing::Reply {
        markdown,
        to_event: text_to,
        thread_root: text_thread,
        ..
    }, Outgoing::Image {
        to_event,
        thread_root,
        picture,
        room_id,
    }] = &out[..]
    else {
        panic!("a text then a picture: {out:?}");
    };
    assert!(markdown.contains("— ✅ 2 ("), "{markdown}");
    assert_eq!((to_event, thread_root), (text_to, text_thread));
    assert_eq!(to_event, &asked.event_id);
    assert_eq!(thread_root.as_deref(), Some("$root"));
    assert_eq!(room_id, ROOM);
    assert_eq!(picture.mime, "image/png");
    assert_eq!(picture.filename, "parcours-etat.png");
    assert!(
        picture.alt.contains("Premiers pas à distance")
            && picture.alt.contains("du 30/11/2026 au 01/12/2026"),
        "{}",
        picture.alt
    );
    let (width, height, pixels) = crate::charts::png::tests::decode(&picture.bytes);
    assert_eq!((width, height), (picture.width, picture.height));
    assert!(pixels.iter().any(|p| *p != [255, 255, 255]));

    // Queued, the picture is the event's second answer: it goes out after the text, once.
    let asked = message("!parcours etat", Role::Coordination, engine.now());
    assert!(matches!(
        engine.process(&asked).await,
        crate::engine::Processed::Recorded
    ));
    let pending: Vec<(String, bool)> = engine
        .outbox()
        .pending()
        .expect("pending")
        .into_iter()
        .filter(|item| item.txn.contains(&asked.event_id))
        .map(|item| (item.txn, matches!(item.out, Outgoing::Image { .. })))
        .collect();
    assert_eq!(
        pending,
        [
            (crate::outbox::txn_for_event(&asked.event_id, 0), false),
            (crate::outbox::txn_for_event(&asked.event_id, 1), true),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_personal_reminder_arrives_by_direct_message_after_a_silence() {
    let (engine, clock) = engine_at("2026-11-30T08:00:00Z");
    let alice = "@alice:example.org";
    ask_as(
        &engine,
        alice,
        "!me-rappeler dans 1 heure : relire la fiche",
    )
    .await;
    ask_as(&engine, alice, "!silence 3 heures").await;
    let mut running = Running::start(&engine);
    advance(&clock, Duration::hours(1)).await;
    assert!(
        running.next(StdDuration::from_secs(60)).await.is_none(),
        "silenced"
    );
    advance(&clock, Duration::hours(2)).await;
    let dm = running
        .next(StdDuration::from_secs(3600))
        .await
        .expect("after the silence");
    match dm.out {
        Outgoing::Direct {
            user_id,
            tenant,
            markdown,
            ..
        } => {
            assert_eq!((user_id.as_str(), tenant.as_str()), (alice, "demo"));
            assert!(markdown.contains("relire la fiche"), "{markdown}");
        }
        other => panic!("expected a direct message, got {other:?}"),
    }
    running.stop().await;
}

#[test]
fn ticks_accept_variants_and_skin_tones() {
    for key in ["✅", "✔️", "✔", "☑️", "👍", "👍🏽"] {
        assert!(crate::core::is_tick(key), "{key}");
    }
    for key in ["❤️", "👎", "✅✅", ""] {
        assert!(!crate::core::is_tick(key), "{key}");
    }
}

#[tokio::test]
async fn schedules_more_frequent_than_a_quarter_of_an_hour_are_refused() {
    let (engine, _) = engine_at("2026-11-30T08:00:00Z");
    let refused = crate::strings::nudges::TOO_FREQUENT;
    for (body, role) in [
        ("!relance */5 * * * * : Café", Role::Coordination),
        ("!relance * * * * * : Café", Role::Coordination),
        ("!me-rappeler */10 * * * * : boire de l'eau", Role::Membre),
        (
            "!parcours demarrer premiers-pas */14 * * * *",
            Role::Coordination,
        ),
    ] {
        assert_eq!(ask(&engine, body, role).await, refused, "{body}");
    }
    let accepted = ask(
        &engine,
        "!me-rappeler */15 * * * * : boire de l'eau",
        Role::Membre,
    )
    .await;
    assert!(accepted.contains("P1"), "{accepted}");
    ask(
        &engine,
        "!relance chaque jour à 9h : Café",
        Role::Coordination,
    )
    .await;
    assert_eq!(
        ask(
            &engine,
            "!relance modifier R1 */5 * * * *",
            Role::Coordination
        )
        .await,
        refused
    );
}

#[tokio::test]
async fn old_posts_ended_silences_and_dead_origins_are_pruned() {
    let (engine, clock) = engine_at("2026-11-30T08:00:00Z");
    let nudges = engine.nudges();
    ask(&engine, "!silence 2 jours", Role::Membre).await;
    ask(
        &engine,
        "!relance chaque lundi à 9h : Café",
        Role::Coordination,
    )
    .await;
    ask(
        &engine,
        "!relance chaque mardi à 9h : Thé",
        Role::Coordination,
    )
    .await;
    ask(&engine, "!relance annuler R1", Role::Coordination).await;
    let note = serde_json::json!({
        "tenant": "demo", "posted": {"what": "other"}, "card": "sms-rappel",
        "posted_at": "2026-11-30T08:00:00Z"
    });
    nudges.on_posted(&note, ROOM, "$old-post");
    assert_eq!(
        nudges.prune(engine.now()).expect("prune"),
        crate::nudges::Pruned {
            posts: 0,
            silences: 0,
            origins: 1
        },
        "the silence runs, the post is recent; R1's creation record goes"
    );
    clock.advance(Duration::days(crate::nudges::POSTS_KEPT_DAYS + 1));
    assert_eq!(
        nudges.prune(engine.now()).expect("prune"),
        crate::nudges::Pruned {
            posts: 1,
            silences: 1,
            origins: 0
        }
    );
    assert!(nudges.card_of_post(ROOM, "$old-post").is_none());
    // R2 is alive: still listed.
    assert!(ask(&engine, "!relances", Role::Coordination)
        .await
        .contains("R2"));
}

// ----- rights -----

/// A person uses every feature that keeps something about them; `!mes-donnees` shows each,
/// `!oublier confirmer` erases each, and afterwards their id is found in no tree of the store
/// (messages still on their way excepted). A tree missing from `crate::rights::TREES` fails
/// the test: whoever adds one must say what it holds about people.
#[tokio::test(start_paused = true)]
async fn rights_cover_every_tree() {
    use crate::rights::{Kept, TREES};
    const ALICE: &str = "@alice:example.org";
    let (engine, clock) = engine_at("2026-11-30T08:00:00Z");
    for (body, role) in [
        ("!consentement oui", Role::Membre),
        (
            "!reflexion Les ateliers en visio marchent bien #visio",
            Role::Membre,
        ),
        (
            "!me-rappeler demain à 9h : préparer l'atelier du jeudi",
            Role::Membre,
        ),
        ("!silence 2 jours", Role::Membre),
        (
            "!relance chaque jour à 10h : Point d'équipe",
            Role::Coordination,
        ),
        (
            "!parcours demarrer premiers-pas chaque jour à 10h",
            Role::Coordination,
        ),
        ("!digest oui vendredi à 16h", Role::Coordination),
        ("!kit permis bateau", Role::Membre),
        ("!transmettre", Role::Membre),
        ("!kit rappel de rdv par sms", Role::Membre),
    ] {
        crate::engine::tests::assert_real_answer(&ask(&engine, body, role).await, body);
    }
    let mut running = Running::start(&engine);
    advance(&clock, Duration::hours(2)).await;
    let mut step1 = None;
    while let Some(sent) = running.next(StdDuration::from_secs(60)).await {
        if matches!(&sent.out, Outgoing::Post { markdown, .. } if markdown.contains("étape 1")) {
            step1 = Some(sent.event_id.clone());
            break;
        }
    }
    let step1 = step1.expect("step 1 posted");
    settle().await;
    engine
        .handle(&reaction(&engine, ALICE, &step1, "✅", "$tick"))
        .await;
    engine
        .store()
        .put(
            crate::rights::DM_OF,
            format!("demo|{ALICE}").as_bytes(),
            &"!dm:example.org".to_owned(),
        )
        .expect("dm");
    engine.store().flush().await.expect("flush");

    // Every tree is declared.
    for name in engine.store().tree_names().expect("names") {
        assert!(
            TREES.iter().any(|(tree, _)| *tree == name),
            "the store has a tree `{name}` that crate::rights::TREES does not declare"
        );
    }

    // Access shows each part.
    let out = engine
        .handle(&message("!mes-donnees", Role::Membre, engine.now()))
        .await;
    let (summary, json) = out
        .iter()
        .find_map(|o| match o {
            Outgoing::Direct {
                markdown,
                attachment: Some(file),
                ..
            } => Some((
                markdown.clone(),
                String::from_utf8(file.bytes.clone()).expect("utf-8"),
            )),
            _ => None,
        })
        .expect("the data in a direct message");
    for part in [
        "Rappels personnels",
        "préparer l'atelier",
        "Silence",
        "✅ sur des étapes",
        "Créés pour l'équipe",
        "Salon privé",
        "Les ateliers en visio",
        "Point hebdomadaire",
    ] {
        assert!(summary.contains(part), "{part} missing from {summary}");
    }
    for part in [
        "préparer l'atelier du jeudi",
        "Point d'équipe",
        "!dm:example.org",
        "silence_jusqu_a",
        "parcours_coches",
        "point_hebdomadaire",
    ] {
        assert!(json.contains(part), "{part} missing from the JSON");
    }

    // Erasure covers each part.
    let preview = ask(&engine, "!oublier", Role::Membre).await;
    for part in [
        "1 réflexion",
        "1 rappel personnel",
        "votre silence",
        "1 ✅",
        "votre nom sur 2",
        "salon privé",
        "point hebdomadaire",
    ] {
        assert!(preview.contains(part), "{part} missing from {preview}");
    }
    let done = ask(&engine, "!oublier confirmer", Role::Membre).await;
    assert!(done.contains("C'est fait"), "{done}");
    running.stop().await;
    engine.store().flush().await.expect("flush");

    // The person's id is nowhere any more (the team's nudge and parcours stay, nameless).
    for name in engine.store().tree_names().expect("names") {
        let kept = TREES
            .iter()
            .find(|(tree, _)| *tree == name)
            .map(|(_, kept)| *kept)
            .expect("declared");
        if matches!(kept, Kept::Transient(_)) {
            continue;
        }
        let tree = engine.store().tree(&name).expect("tree");
        for entry in tree.iter() {
            let (key, value) = entry.expect("entry");
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&key),
                String::from_utf8_lossy(&value)
            );
            assert!(
                !text.contains(ALICE),
                "tree `{name}` still names the person after !oublier: {text}"
            );
        }
    }
    let listed = ask(&engine, "!relances", Role::Coordination).await;
    assert!(listed.contains("Point d'équipe"), "{listed}");
}

/// The bot kicked from a room: the room's nudges and parcours pause (nothing lost), their
/// creator is told in a direct message; invited back, exactly those resume and the room is
/// told. A nudge a coordinator had paused on purpose stays paused.
#[tokio::test]
async fn a_room_the_bot_leaves_keeps_its_nudges_paused_until_it_comes_back() {
    let (engine, _) = engine_at("2026-11-30T08:00:00Z");
    for body in [
        "!relance chaque lundi à 9h : Point d'équipe",
        "!relance chaque mardi à 9h : Café visio",
        "!relance pause R2",
        "!parcours demarrer premiers-pas chaque jeudi à 10h",
    ] {
        crate::engine::tests::assert_real_answer(
            &ask(&engine, body, Role::Coordination).await,
            body,
        );
    }
    let before = engine.outbox().len();
    let suspended = engine
        .room_left(
            "demo",
            ROOM,
            crate::engine::Leaving::Removed {
                room_name: "Équipe *Nord*".into(),
            },
        )
        .await
        .expect("left");
    assert_eq!(suspended.nudges.len(), 1, "R2 was already paused");
    let queued = engine.outbox().pending().expect("pending");
    assert_eq!(
        queued.len(),
        before + 1,
        "one direct message to the one creator"
    );
    let dm = queued
        .iter()
        .find_map(|i| match &i.out {
            Outgoing::Direct {
                user_id, markdown, ..
            } => Some((user_id.clone(), markdown.clone())),
            _ => None,
        })
        .expect("a direct message");
    assert_eq!(dm.0, "@alice:example.org");
    assert!(
        dm.1.contains("R1") && !dm.1.contains("R2") && dm.1.contains("Premiers pas"),
        "{}",
        dm.1
    );
    assert!(dm.1.contains("Réinvitez-moi"), "{}", dm.1);
    assert!(
        !dm.1.contains("*Nord*"),
        "the room name is quoted: {}",
        dm.1
    );
    let listed = ask(&engine, "!relances", Role::Coordination).await;
    assert!(
        !listed.contains("Prochain"),
        "nothing due while away: {listed}"
    );

    let resumed = engine.room_back("demo", ROOM).await.expect("back");
    assert_eq!(
        resumed.nudges,
        vec![("R1".to_owned(), "@alice:example.org".to_owned())]
    );
    assert!(resumed.parcours.is_some());
    let r1 = engine
        .nudges()
        .of_place("demo", ROOM)
        .expect("nudges")
        .into_iter()
        .find(|n| n.number == 1)
        .expect("R1");
    assert!(!r1.paused && r1.slot.is_some());
    let r2 = engine
        .nudges()
        .of_place("demo", ROOM)
        .expect("nudges")
        .into_iter()
        .find(|n| n.number == 2)
        .expect("R2");
    assert!(r2.paused, "paused on purpose, stays paused");
    let back = engine.outbox().pending().expect("pending");
    assert!(back.iter().any(|i| matches!(&i.out,
        Outgoing::Post { markdown, .. } if markdown.contains("Me revoilà") && markdown.contains("R1"))));
    // A second return resumes nothing and says nothing.
    assert!(engine
        .room_back("demo", ROOM)
        .await
        .expect("again")
        .is_empty());
}

/// Deleting the message that created a nudge or a reminder cancels it (only its author's or
/// a moderator's deletion counts); the room is told.
#[tokio::test]
async fn deleting_the_command_cancels_what_it_created() {
    let (engine, _) = engine_at("2026-11-30T08:00:00Z");
    let create = message(
        "!relance chaque lundi à 9h : Point d'équipe",
        Role::Coordination,
        engine.now(),
    );
    assert!(replies(engine.handle(&create).await).contains("**R1**"));
    let reminder = message(
        "!me-rappeler demain à 9h : appeler le partenaire",
        Role::Membre,
        engine.now(),
    );
    assert!(replies(engine.handle(&reminder).await).contains("P1"));
    let delete = |by: &str, target: &str, by_moderator: bool| {
        let mut e = message("", Role::Membre, engine.now());
        e.sender = by.to_owned();
        e.kind = IncomingKind::Redaction {
            target: target.to_owned(),
            by_moderator,
        };
        e
    };
    let posts = |out: &[Outgoing]| {
        out.iter()
            .filter_map(|o| match o {
                Outgoing::Post { markdown, .. } => Some(markdown.clone()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    // Someone else's deletion event changes nothing.
    let out = engine
        .handle(&delete("@bob:example.org", &create.event_id, false))
        .await;
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(engine.nudges().of_place("demo", ROOM).expect("n").len(), 1);
    // The author's does.
    let out = engine
        .handle(&delete("@alice:example.org", &create.event_id, false))
        .await;
    assert!(posts(&out).contains("R1"), "{out:?}");
    assert!(engine
        .nudges()
        .of_place("demo", ROOM)
        .expect("n")
        .is_empty());
    // A moderator's deletion of someone's reminder command cancels it too.
    let out = engine
        .handle(&delete("@mod:example.org", &reminder.event_id, true))
        .await;
    assert!(posts(&out).contains("P1"), "{out:?}");
    assert!(engine
        .nudges()
        .of_place("demo", "@alice:example.org")
        .expect("n")
        .is_empty());
}

/// "Remind me of this message": `!me-rappeler <quand>` or `!plus-tard [quand]` in reply to a
/// message, and ⏰ on a message the bot sent, create a personal reminder holding an excerpt
/// (escaped when sent) and a link to the message.
#[tokio::test]
async fn reminders_of_a_message_by_reply_or_alarm_clock() {
    let (engine, _) = engine_at("2026-11-30T08:00:00Z");
    let quoted = crate::core::Quoted {
        event_id: "$nudge:example.org".into(),
        sender: "@kitbot:example.org".into(),
        body: "Point visio [ici](https://exemple.invalid) <b>jeudi</b>".into(),
    };
    let mut e = message("!me-rappeler demain à 9h", Role::Membre, engine.now());
    e.quoted = Some(quoted.clone());
    let answer = replies(engine.handle(&e).await);
    assert!(answer.contains("P1"), "{answer}");
    let mut e = message("!plus-tard 2h", Role::Membre, engine.now());
    e.quoted = Some(quoted.clone());
    let answer = replies(engine.handle(&e).await);
    assert!(
        answer.contains("P2") && answer.contains("11:00"),
        "{answer}"
    );
    // Without a message replied to, the command says how to use it.
    let answer = ask(&engine, "!plus-tard", Role::Membre).await;
    assert_eq!(answer, crate::strings::nudges::SNOOZE_NEED_REPLY);
    // ⏰ on the bot's message (the adapter gives its text): an hour later.
    let mut alarm = reaction(
        &engine,
        "@alice:example.org",
        "$nudge:example.org",
        "⏰",
        "$r9",
    );
    if let IncomingKind::Reaction {
        target_sender,
        target_body,
        ..
    } = &mut alarm.kind
    {
        *target_sender = Some(quoted.sender.clone());
        *target_body = Some(quoted.body.clone());
    }
    let out = engine.handle(&alarm).await;
    assert!(
        matches!(&out[..], [Outgoing::Post { markdown, notice: true, .. }] if markdown.contains("P3") && markdown.contains("10:00")),
        "{out:?}"
    );
    // ⏰ on someone else's message (no text from the adapter): nothing.
    let other = reaction(&engine, "@alice:example.org", "$other", "⏰", "$r10");
    assert!(engine.handle(&other).await.is_empty());
    let reminders = engine
        .nudges()
        .of_place("demo", "@alice:example.org")
        .expect("reminders");
    assert_eq!(reminders.len(), 3);
    let text = crate::nudges::render_for_tests(engine.kit(), &reminders[0]);
    assert!(
        text.contains("https://matrix.to/#/%21room:example.org/%24nudge:example.org"),
        "{text}"
    );
    assert!(
        !text.contains("[ici](") && !text.contains("<b>"),
        "the excerpt is escaped: {text}"
    );
    let listed = ask(&engine, "!mes-rappels", Role::Membre).await;
    assert!(listed.contains("rappel du message"), "{listed}");
}

/// A mistyped `!relance`, edited by its author a moment later: the first nudge is cancelled,
/// the corrected one created, and the bot's answer edited in place (no second answer). Past
/// the window, an edit changes nothing.
#[tokio::test(start_paused = true)]
async fn an_edited_command_runs_again_and_edits_its_answer() {
    let (engine, clock) = engine_at("2026-11-30T08:00:00Z");
    let mut running = Running::start(&engine);
    let first = message(
        "!relance chaque lundi à 9h : Point visoi",
        Role::Coordination,
        engine.now(),
    );
    engine.process(&first).await;
    let answer = running
        .next(StdDuration::from_secs(60))
        .await
        .expect("the answer is sent");
    settle().await;
    let edit = |body: &str| {
        let mut e = message("", Role::Coordination, engine.now());
        e.kind = IncomingKind::Edit {
            target: first.event_id.clone(),
            body: body.to_owned(),
        };
        e
    };
    let out = engine
        .handle(&edit("!relance chaque lundi à 9h : Point visio"))
        .await;
    match &out[..] {
        [Outgoing::Edit {
            event_id, markdown, ..
        }] => {
            assert_eq!(event_id, &answer.event_id);
            assert!(
                markdown.contains("R2") && markdown.contains("Point visio"),
                "{markdown}"
            );
        }
        other => panic!("expected one edit of the answer, got {other:?}"),
    }
    let nudges = engine.nudges().of_place("demo", ROOM).expect("nudges");
    assert_eq!(nudges.len(), 1, "the mistyped one is gone");
    assert!(
        matches!(&nudges[0].content, crate::nudges::model::Content::Text { text } if text == "Point visio")
    );
    // Eleven minutes later, an edit changes nothing.
    advance(&clock, Duration::minutes(11)).await;
    assert!(engine
        .handle(&edit("!relance chaque mardi à 9h : Autre"))
        .await
        .is_empty());
    running.stop().await;
}

#[tokio::test]
async fn relative_times_count_from_when_the_command_was_sent() {
    let (engine, _clock) = engine_at("2026-11-30T08:00:00Z");
    let due_of = |place: &str, number: u64| {
        engine
            .nudges()
            .of_place("demo", place)
            .expect("nudges")
            .into_iter()
            .find(|n| n.number == number)
            .and_then(|n| n.slot)
            .map(|slot| slot.due)
    };
    let send = |body: &str, at: &str| {
        let mut incoming = message(body, Role::Coordination, t(at));
        incoming.sender = "@alice:example.org".to_owned();
        incoming
    };
    // Sent 2.75 s before the bot handles it: due 10 s after it was sent, not after handling.
    let answer = replies(
        engine
            .handle(&send(
                "!relance dans 10 secondes : A",
                "2026-11-30T07:59:57.250Z",
            ))
            .await,
    );
    assert!(answer.contains("R1"), "{answer}");
    assert_eq!(due_of(ROOM, 1), Some(t("2026-11-30T08:00:07.250Z")));
    // Handled two minutes late (an outage): counted from now.
    engine
        .handle(&send(
            "!relance dans 10 secondes : B",
            "2026-11-30T07:58:00Z",
        ))
        .await;
    assert_eq!(due_of(ROOM, 2), Some(t("2026-11-30T08:00:10Z")));
    // A server clock ahead of ours: counted from now, never later than asked by our clock.
    engine
        .handle(&send(
            "!relance dans 10 secondes : C",
            "2026-11-30T08:00:05Z",
        ))
        .await;
    assert_eq!(due_of(ROOM, 3), Some(t("2026-11-30T08:00:10Z")));
    // Personal reminders too.
    engine
        .handle(&send(
            "!me-rappeler dans 10 minutes : D",
            "2026-11-30T07:59:59Z",
        ))
        .await;
    assert_eq!(
        due_of("@alice:example.org", 1),
        Some(t("2026-11-30T08:09:59Z"))
    );
}
