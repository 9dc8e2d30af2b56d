//! Engine-level tests: the product driven directly, with a fixed clock and a temporary store.
//! Shared helpers first (every domain's engine tests use them), then the tests of the engine's
//! own rules. Every test that checks for silence also checks, in the same set-up, that a real
//! command is answered, so it fails when the engine answers nothing at all.

mod feedback;
mod golden;
mod injection;
mod invariants;
mod nudges;
mod reflections;
mod roles;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::*;
use crate::core::{FixedClock, Role};

/// A message that makes the engine panic (tests only), to check the containment.
pub(crate) const PANIC_COMMAND: &str = "!panique-de-test";

pub(crate) fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("valid time")
        .with_timezone(&Utc)
}

/// An engine on the example config, at `now`. The per-person command limit is lifted (the
/// tests send many commands as one person at one instant); `a_person_over_the_limit_*` checks
/// the limit with the shipped values.
pub(crate) fn engine_at(now: &str) -> (Engine, FixedClock) {
    let mut config = Config::load(None).expect("example config");
    config.limits.burst = 100_000;
    engine_with(config, now)
}

pub(crate) fn engine_with(config: Config, now: &str) -> (Engine, FixedClock) {
    let commands = Engine::load_commands(&config).expect("commands");
    let kit = Engine::load_kit(&config).expect("kit");
    let clock = FixedClock::new(t(now));
    let engine = Engine::new(Parts {
        config,
        commands,
        kit,
        store: Store::temporary().expect("store"),
        clock: Arc::new(clock.clone()),
    });
    (engine, clock)
}

/// A message in the demo tenant's room; each call is a new event (its own id), as in a room.
pub(crate) fn message(body: &str, role: Role, at: DateTime<Utc>) -> Incoming {
    static EVENTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = EVENTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Incoming {
        tenant: "demo".into(),
        room_id: "!room:example.org".into(),
        is_direct: false,
        sender: "@alice:example.org".into(),
        role,
        addressed: false,
        event_id: format!("$e{n}"),
        thread_root: None,
        sent_at: at,
        kind: IncomingKind::Message { body: body.into() },
        quoted: None,
    }
}

/// The replies' text, joined by newlines.
pub(crate) fn replies(out: Vec<Outgoing>) -> String {
    out.into_iter()
        .filter_map(|o| match o {
            Outgoing::Reply { markdown, .. } => Some(markdown),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) async fn ask(engine: &Engine, body: &str, role: Role) -> String {
    replies(engine.handle(&message(body, role, engine.now())).await)
}

/// An answer that is neither empty nor one of the engine's failure sentences.
pub(crate) fn assert_real_answer(answer: &str, what: &str) {
    assert!(!answer.trim().is_empty(), "{what}: no answer");
    assert!(
        answer != s::INTERNAL_ERROR && answer != s::NOT_SAVED,
        "{what}: failure sentence {answer:?}"
    );
}

#[tokio::test]
async fn ordinary_messages_get_no_answer_and_commands_do() {
    let (engine, _) = engine_at("2026-11-30T08:00:00Z");
    for body in [
        "bonjour",
        "",
        "   ",
        "!",
        "! aide",
        "point d'exclamation !aide",
    ] {
        assert_eq!(ask(&engine, body, Role::Membre).await, "", "{body:?}");
    }
    assert_real_answer(&ask(&engine, "!aide", Role::Membre).await, "!aide");
}

#[tokio::test]
async fn unknown_commands_suggest_the_closest() {
    let (engine, _) = engine_at("2026-11-30T08:00:00Z");
    let answer = ask(&engine, "!aied", Role::Membre).await;
    assert!(answer.contains("`!aide`"), "{answer}");
    // Addressed to kitbot (its own prefix), an unknown word is answered.
    let answer = ask(&engine, "!kb zzzzzzzz", Role::Membre).await;
    assert!(
        answer.contains("Je ne connais pas") && !answer.contains("Vouliez"),
        "{answer}"
    );
}

/// In a room shared with other bots, kitbot answers its own commands, near-misses of them and
/// whatever is addressed to it (`!kb …`, a mention), and leaves the rest to the other bots.
#[tokio::test]
async fn other_bots_commands_are_left_alone() {
    use crate::config::UnknownCommands;
    let (engine, _) = engine_at("2026-11-30T08:00:00Z");
    for other in [
        "!remindme in 2 hours; water the plants",
        "!echo bonjour",
        "!hookshot help",
        "!weather Angers",
        "!zzzzzzzz",
    ] {
        assert_eq!(ask(&engine, other, Role::Membre).await, "", "{other}");
    }
    assert!(ask(&engine, "!relanse", Role::Coordination)
        .await
        .contains("`!relance`"));
    assert!(ask(&engine, "!kb aide", Role::Membre)
        .await
        .contains("Commandes disponibles"));
    assert!(ask(&engine, "!kb", Role::Membre)
        .await
        .contains("Commandes disponibles"));
    assert!(ask(&engine, "!kb !ping", Role::Membre)
        .await
        .contains("Pong"));
    assert!(ask(&engine, "!kb remindme", Role::Membre)
        .await
        .contains("Je ne connais pas"));
    let mut mention = message("!weather Angers", Role::Membre, engine.now());
    mention.addressed = true;
    assert!(replies(engine.handle(&mention).await).contains("Je ne connais pas"));
    // `!aide` tells how to reach kitbot when another bot shares the room.
    assert!(ask(&engine, "!aide", Role::Membre).await.contains("`!kb"));

    for (policy, aied, far) in [
        (UnknownCommands::Silent, false, false),
        (UnknownCommands::All, true, true),
    ] {
        let mut config = Config::load(None).expect("example config");
        config.limits.burst = 100_000;
        config.unknown_commands = policy;
        let (engine, _) = engine_with(config, "2026-11-30T08:00:00Z");
        assert_eq!(
            !ask(&engine, "!aied", Role::Membre).await.is_empty(),
            aied,
            "{policy:?}"
        );
        assert_eq!(
            !ask(&engine, "!weather Angers", Role::Membre)
                .await
                .is_empty(),
            far,
            "{policy:?}"
        );
        assert!(ask(&engine, "!kb weather", Role::Membre)
            .await
            .contains("Je ne connais pas"));
        assert!(ask(&engine, "!ping", Role::Membre).await.contains("Pong"));
    }
}

#[tokio::test]
async fn hostile_input_is_answered_safely() {
    let (engine, _) = engine_at("2026-11-30T08:00:00Z");
    let huge = format!("!kb {}", "x".repeat(64 * 1024));
    let answer = ask(&engine, &huge, Role::Membre).await;
    assert!(answer.contains("Je ne connais pas"), "{answer}");
    assert!(answer.len() < 1000, "a 64 KB word is not echoed whole");
    let answer = ask(&engine, "!kb <b>@room</b>", Role::Membre).await;
    assert!(answer.contains("Je ne connais pas"), "{answer}");
    assert!(
        !answer.contains("<b>") && !answer.contains("@room"),
        "{answer}"
    );
    let answer = ask(&engine, "!kb 👋🏽\u{202e}", Role::Membre).await;
    assert!(answer.contains("Je ne connais pas"), "{answer}");
    assert!(!answer.contains('\u{202e}'), "bidi controls are not echoed");
}

#[tokio::test]
async fn replies_follow_the_thread() {
    let (engine, _) = engine_at("2026-11-30T08:00:00Z");
    let mut incoming = message("!ping", Role::Membre, engine.now());
    incoming.thread_root = Some("$root".into());
    let out = engine.handle(&incoming).await;
    assert!(
        matches!(&out[..], [Outgoing::Reply { thread_root: Some(r), to_event, .. }] if r == "$root" && *to_event == incoming.event_id),
        "{out:?}"
    );
}

#[tokio::test]
async fn unknown_tenants_get_nothing_known_ones_an_answer() {
    let (engine, _) = engine_at("2026-11-30T08:00:00Z");
    let mut incoming = message("!ping", Role::Membre, engine.now());
    assert_eq!(engine.handle(&incoming).await.len(), 1);
    incoming.tenant = "autre".into();
    assert!(engine.handle(&incoming).await.is_empty());
}

#[tokio::test]
async fn processing_queues_the_answers_once_per_event() {
    let (engine, _) = engine_at("2026-11-30T08:00:00Z");
    let incoming = message("!ping", Role::Membre, engine.now());
    assert!(matches!(
        engine.process(&incoming).await,
        Processed::Recorded
    ));
    assert!(matches!(
        engine.process(&incoming).await,
        Processed::AlreadyHandled
    ));
    let pending = engine.outbox().pending().expect("pending");
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(
        pending[0].txn,
        crate::outbox::txn_for_event(&incoming.event_id, 0)
    );
    assert!(pending[0]
        .out
        .markdown()
        .is_some_and(|m| m.contains("Pong")));
}

#[tokio::test]
async fn a_panic_is_contained_to_its_event_answered_and_never_replayed() {
    let (engine, _) = engine_at("2026-11-30T08:00:00Z");
    let bad = message(PANIC_COMMAND, Role::Membre, engine.now());
    assert!(matches!(engine.process(&bad).await, Processed::Recorded));
    let pending = engine.outbox().pending().expect("pending");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].out.markdown(), Some(s::INTERNAL_ERROR));
    assert!(
        matches!(engine.process(&bad).await, Processed::AlreadyHandled),
        "not replayed"
    );
    // The engine goes on answering.
    let good = message("!ping", Role::Membre, engine.now());
    assert!(matches!(engine.process(&good).await, Processed::Recorded));
    assert_eq!(engine.outbox().len(), 2);
}

/// A full disk (every flush fails): each write is answered with "not saved", did not happen,
/// and works again once the disk does.
#[tokio::test]
async fn a_write_that_cannot_reach_the_disk_is_reported_and_did_not_happen() {
    let (engine, _) = engine_at("2026-11-30T08:00:00Z");
    let store = engine.store().clone();
    assert_real_answer(
        &ask(&engine, "!consentement oui", Role::Membre).await,
        "consent",
    );
    store.fail_flushes(true);
    for (body, role) in [
        ("!relance chaque lundi à 9h : Café", Role::Coordination),
        ("!me-rappeler demain à 9h : appeler la CAF", Role::Membre),
        (
            "!reflexion Le rappel par SMS a évité deux absences",
            Role::Membre,
        ),
        ("!consentement non effacer", Role::Membre),
        (
            "!parcours demarrer premiers-pas chaque lundi à 9h",
            Role::Coordination,
        ),
        ("!silence 2 semaines", Role::Membre),
    ] {
        assert_eq!(ask(&engine, body, role).await, s::NOT_SAVED, "{body}");
    }
    store.fail_flushes(false);
    // Nothing of it happened.
    assert!(ask(&engine, "!relances", Role::Coordination)
        .await
        .contains("Aucune relance"));
    assert!(ask(&engine, "!mes-rappels", Role::Membre)
        .await
        .contains("aucun rappel"));
    assert!(!ask(&engine, "!reflexions", Role::Membre)
        .await
        .contains("SMS"));
    assert!(ask(&engine, "!consentement etat", Role::Membre)
        .await
        .contains("Votre accord est en place"));
    assert!(ask(&engine, "!silence", Role::Membre)
        .await
        .contains("pas en silence"));
    assert!(ask(&engine, "!parcours etat", Role::Coordination)
        .await
        .contains("Aucun parcours"));
    // And everything works again.
    let created = ask(
        &engine,
        "!relance chaque lundi à 9h : Café",
        Role::Coordination,
    )
    .await;
    assert!(created.contains("C'est noté"), "{created}");
    let shared = engine
        .handle(&message(
            "!reflexion Le rappel par SMS a évité deux absences",
            Role::Membre,
            engine.now(),
        ))
        .await;
    assert!(
        shared
            .iter()
            .any(|o| matches!(o, Outgoing::React { key, .. } if key == "✅")),
        "{shared:?}"
    );
}

/// The trees that hold what people asked for (reflections, consents, nudges, parcours,
/// silences); not the engine's own bookkeeping (handled events, outbox) nor the scheduler's
/// hints ("dirty" marks) nor a tenant's pseudonym secret.
const CHANGED_TREES: &[&str] = &[
    crate::reflections::db::T_REFLECTIONS,
    crate::reflections::db::T_BY_EVENT,
    crate::reflections::db::T_BY_AUTHOR,
    crate::reflections::db::T_BY_ROOM,
    crate::reflections::db::T_CONSENTS,
    crate::nudges::model::NUDGES,
    crate::nudges::model::RUNS,
    crate::nudges::model::REACTIONS,
    crate::nudges::model::SILENCES,
    "nudge_origins",
    crate::nudges::SUSPENDED,
];

/// Every key and value of [`CHANGED_TREES`].
fn snapshot(store: &Store) -> Vec<(&'static str, Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    for name in CHANGED_TREES {
        for item in store.tree(name).expect("tree").iter() {
            let (k, v) = item.expect("item");
            out.push((*name, k.to_vec(), v.to_vec()));
        }
    }
    out
}

/// A [`snapshot`] as lines, for a failure message.
fn show_entries(entries: &[(&str, Vec<u8>, Vec<u8>)]) -> String {
    entries
        .iter()
        .map(|(t, k, v)| {
            format!(
                "{t} {} = {}",
                String::from_utf8_lossy(k),
                String::from_utf8_lossy(v)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What one event did when the store's `n`-th next tree opening failed (`n` = 0: no cut).
struct Cut {
    before: Vec<(&'static str, Vec<u8>, Vec<u8>)>,
    answer: String,
    /// Whether the cut happened (the event opened fewer than `n` trees otherwise).
    cut: bool,
    after: Vec<(&'static str, Vec<u8>, Vec<u8>)>,
}

async fn handle_cut_at(engine: &Engine, event: &Incoming, n: usize) -> Cut {
    let store = engine.store().clone();
    let before = snapshot(&store);
    if n > 0 {
        store.cut_at(n, CHANGED_TREES);
    }
    let answer = replies(engine.handle(event).await);
    let cut = store.cut_off();
    let after = snapshot(&store);
    Cut {
        before,
        answer,
        cut,
        after,
    }
}

/// The disk fills between two writes of one change (sled refuses the next write; the store's
/// flusher thread may already have written the first ones): for every point where each
/// change can be cut, the person is told it was not saved and nothing of it stays, and with no
/// cut the change is saved (so the check is not empty).
#[tokio::test]
async fn a_change_cut_half_way_is_reported_and_leaves_nothing() {
    type Action = fn(&str) -> (&'static str, Role, Option<IncomingKind>);
    let cases: Vec<(&str, &[&str], Action)> = vec![
        ("consent", &[], |_| {
            ("!consentement oui", Role::Membre, None)
        }),
        ("first reflection", &["!consentement oui"], |_| {
            (
                "!reflexion Le rappel par SMS a évité deux absences #sms",
                Role::Membre,
                None,
            )
        }),
        (
            "reflection edited",
            &["!consentement oui", "!reflexion Premier jet #visio"],
            |_| {
                (
                    "",
                    Role::Membre,
                    Some(IncomingKind::Edit {
                        target: String::new(),
                        body: "!reflexion Version corrigée #soir".into(),
                    }),
                )
            },
        ),
        (
            "reflection deleted",
            &["!consentement oui", "!reflexion Premier jet #visio"],
            |_| {
                (
                    "",
                    Role::Membre,
                    Some(IncomingKind::Redaction {
                        target: String::new(),
                        by_moderator: false,
                    }),
                )
            },
        ),
        (
            "consent withdrawn, reflections erased",
            &["!consentement oui", "!reflexion Premier jet #visio"],
            |_| ("!consentement non effacer", Role::Membre, None),
        ),
        (
            "consent withdrawn, reflections anonymised",
            &["!consentement oui", "!reflexion Premier jet #visio"],
            |_| ("!consentement non anonymiser", Role::Membre, None),
        ),
        ("nudge", &[], |_| {
            (
                "!relance chaque lundi à 9h : Café",
                Role::Coordination,
                None,
            )
        }),
        ("reminder", &[], |_| {
            (
                "!me-rappeler demain à 9h : appeler la CAF",
                Role::Membre,
                None,
            )
        }),
        ("parcours", &[], |_| {
            (
                "!parcours demarrer premiers-pas chaque lundi à 9h",
                Role::Coordination,
                None,
            )
        }),
        ("silence", &[], |_| {
            ("!silence 2 semaines", Role::Membre, None)
        }),
    ];
    for (name, setup, action) in cases {
        // Run 0 has no cut: what the change writes, and what the person is told. The events
        // carry the same ids in every run, so the stored states compare.
        let mut full = None;
        let mut cuts = 0;
        for n in 0.. {
            assert!(n < 500, "{name}: the change never ends");
            let (engine, _) = engine_at("2026-11-30T08:00:00Z");
            let mut last = String::new();
            for (i, body) in setup.iter().enumerate() {
                let mut m = message(body, Role::Coordination, engine.now());
                m.event_id = format!("$setup{i}");
                last = m.event_id.clone();
                assert_real_answer(&replies(engine.handle(&m).await), body);
            }
            let (body, role, kind) = action(&last);
            let mut event = message(body, role, engine.now());
            event.event_id = "$change".into();
            if let Some(mut kind) = kind {
                match &mut kind {
                    IncomingKind::Edit { target, .. } | IncomingKind::Redaction { target, .. } => {
                        *target = last.clone()
                    }
                    _ => {}
                }
                event.kind = kind;
            }
            let Cut {
                before,
                answer,
                cut,
                after,
            } = handle_cut_at(&engine, &event, n).await;
            let Some((full_answer, full_state)) = &full else {
                assert!(
                    answer != s::NOT_SAVED && answer != s::INTERNAL_ERROR,
                    "{name}: {answer}"
                );
                assert_ne!(before, after, "{name}: with no cut, the change is saved");
                full = Some((answer, after));
                continue;
            };
            if !cut {
                assert_eq!(&answer, full_answer, "{name}");
                assert!(cuts > 0, "{name}: never cut");
                break;
            }
            cuts += 1;
            // Either the person is told it was not saved and nothing of it stays, or a step
            // that does not matter failed quietly and the whole change was made.
            let expected = if answer == s::NOT_SAVED {
                &before
            } else {
                assert_eq!(&answer, full_answer, "{name}, cut at tree opening {n}");
                full_state
            };
            assert!(
                *expected == after,
                "{name}, cut at tree opening {n}, told {answer:?}: the stored state is not what \
                 the person was told\nexpected:\n{}\nafter:\n{}",
                show_entries(expected),
                show_entries(&after)
            );
        }
    }
}

/// `!oublier confirmer` cut at each point where one of its writes can fail: the person is
/// never told "nothing was changed" (part of an erasure may be done, and it is not put back);
/// either the erasure is whole, or they are told it may be partly done, and the same command
/// then finishes it: the stored state is the one an uncut erasure leaves.
#[tokio::test]
async fn an_erasure_cut_half_way_says_so_and_the_same_command_finishes_it() {
    use crate::strings::reflections as rs;
    let setup = [
        "!consentement oui",
        "!reflexion Premier jet #visio",
        "!me-rappeler demain à 9h : appeler la CAF",
        "!silence 2 semaines",
    ];
    let mut full = None;
    let (mut cuts, mut incomplete) = (0, 0);
    for n in 0.. {
        assert!(n < 500, "the erasure never ends");
        let (engine, _) = engine_at("2026-11-30T08:00:00Z");
        for (i, body) in setup.iter().enumerate() {
            let mut m = message(body, Role::Membre, engine.now());
            m.event_id = format!("$setup{i}");
            assert_real_answer(&replies(engine.handle(&m).await), body);
        }
        let mut event = message("!oublier confirmer", Role::Membre, engine.now());
        event.event_id = "$forget".into();
        let Cut {
            before,
            answer,
            cut,
            after,
        } = handle_cut_at(&engine, &event, n).await;
        let store = engine.store().clone();
        let Some((full_answer, full_state)) = &full else {
            assert!(answer.starts_with("C'est fait"), "{answer}");
            assert_ne!(before, after, "with no cut, the erasure is saved");
            full = Some((answer, after));
            continue;
        };
        if !cut {
            assert_eq!(&answer, full_answer);
            assert!(
                cuts > 0 && incomplete > 0,
                "never cut: {cuts}, {incomplete}"
            );
            break;
        }
        cuts += 1;
        assert_ne!(answer, s::NOT_SAVED, "cut at tree opening {n}");
        if answer == *full_answer {
            assert!(
                after == *full_state,
                "cut at {n}: told done, not all erased"
            );
            continue;
        }
        assert_eq!(answer, rs::FORGET_INCOMPLETE, "cut at tree opening {n}");
        incomplete += 1;
        let mut again = message("!oublier confirmer", Role::Membre, engine.now());
        again.event_id = "$again".into();
        let answer = replies(engine.handle(&again).await);
        assert!(
            answer.starts_with("C'est fait") || answer == rs::FORGET_NOTHING,
            "cut at {n}, then: {answer}"
        );
        let finished = snapshot(&store);
        assert!(
            finished == *full_state,
            "cut at tree opening {n}: the second erasure did not leave what one whole erasure \
             does\nwhole:\n{}\nafter the second:\n{}",
            show_entries(full_state),
            show_entries(&finished)
        );
    }
}

#[tokio::test]
async fn a_person_over_the_limit_is_told_once_and_others_are_not_slowed() {
    let config = Config::load(None).expect("example config");
    let burst = config.limits.burst;
    let (engine, clock) = engine_with(config, "2026-11-30T08:00:00Z");
    for _ in 0..burst {
        assert!(ask(&engine, "!ping", Role::Membre).await.contains("Pong"));
    }
    let told = ask(&engine, "!ping", Role::Membre).await;
    assert!(told.starts_with("Doucement"), "{told}");
    for _ in 0..50 {
        assert_eq!(ask(&engine, "!ping", Role::Membre).await, "", "silence");
    }
    let mut bob = message("!ping", Role::Membre, engine.now());
    bob.sender = "@bob:example.org".into();
    assert_eq!(engine.handle(&bob).await.len(), 1, "Bob is not slowed down");
    clock.advance(chrono::Duration::minutes(1));
    assert!(ask(&engine, "!ping", Role::Membre).await.contains("Pong"));
}
