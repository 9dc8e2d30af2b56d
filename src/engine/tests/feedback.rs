//! Readers' feedback and the weekly digest, through the engine: votes on delivered answers,
//! questions passed on (never with personal data), the grouping of questions, and the digest
//! of one Mission Locale only.

use super::reflections::two_tenants;
use super::*;
use crate::outbox::{deliver_round, Delivered, SendError, Transport};

/// A homeserver stand-in that accepts everything, naming events `$answer1`, `$answer2`…
struct Accept(std::sync::atomic::AtomicUsize);

impl Transport for Accept {
    async fn send(&self, _txn: &str, _out: &Outgoing) -> Result<Option<String>, SendError> {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        Ok(Some(format!("$answer{n}")))
    }
}

fn reaction(tenant: &str, room: &str, sender: &str, target: &str, key: &str, n: u32) -> Incoming {
    Incoming {
        tenant: tenant.into(),
        room_id: room.into(),
        is_direct: false,
        sender: sender.into(),
        role: Role::Membre,
        addressed: false,
        event_id: format!("$reaction{n}"),
        thread_root: None,
        sent_at: t("2026-11-30T08:00:00Z"),
        kind: IncomingKind::Reaction {
            target: target.into(),
            key: key.into(),
            target_sender: None,
            target_body: None,
        },
        quoted: None,
    }
}

/// Deliver what is pending; the `Direct` messages and replies delivered, in order.
async fn deliver(engine: &Engine, transport: &Accept) -> Vec<Outgoing> {
    let pending: Vec<Outgoing> = engine
        .outbox()
        .pending()
        .expect("pending")
        .into_iter()
        .map(|i| i.out)
        .collect();
    let hook: Delivered = Arc::new(|_, _| {});
    while matches!(
        deliver_round(engine.outbox(), transport, &hook).await,
        Ok(crate::outbox::Round::Sent)
    ) {}
    pending
}

#[tokio::test]
async fn votes_on_an_answer_count_once_per_person_and_name_nobody() {
    let (engine, _) = engine_at("2026-11-30T08:00:00Z");
    let transport = Accept(Default::default());
    let question = message("!kit rappel de rdv par sms", Role::Membre, engine.now());
    assert!(matches!(
        engine.process(&question).await,
        Processed::Recorded
    ));
    let sent = deliver(&engine, &transport).await;
    let answer = replies(sent);
    assert!(
        answer.contains("sms-rappel") && answer.contains("👍"),
        "{answer}"
    );
    // The answer is `$answer1`: votes on it.
    let votes = [
        ("@bob:example.org", "👍", 1),
        ("@bob:example.org", "👍🏽", 2),
        ("@bob:example.org", "👎", 3),
        ("@carol:example.org", "👍", 4),
    ];
    let mut offers = Vec::new();
    for (who, key, n) in votes {
        let r = reaction("demo", "!room:example.org", who, "$answer1", key, n);
        offers.push(replies(engine.handle(&r).await));
    }
    assert_eq!(offers[0], "", "a 👍 is counted silently");
    assert!(offers[2].contains("!transmettre"), "{:?}", offers[2]);
    let cards = engine
        .feedback()
        .by_card("demo", None, None)
        .expect("counts");
    let tally = cards["sms-rappel"];
    assert_eq!((tally.reads, tally.useful, tally.not_useful), (1, 2, 1));
    // A 👍 on something that is not a kit answer counts nothing.
    let r = reaction(
        "demo",
        "!room:example.org",
        "@bob:example.org",
        "$other",
        "👍",
        5,
    );
    engine.handle(&r).await;
    assert_eq!(
        engine
            .feedback()
            .by_card("demo", None, None)
            .expect("counts")["sms-rappel"]
            .useful,
        2
    );
    // Bob takes his 👍 back (a redaction of his reaction).
    let mut undo = message("", Role::Membre, engine.now());
    undo.sender = "@bob:example.org".into();
    undo.kind = IncomingKind::Redaction {
        target: "$reaction1".into(),
        by_moderator: false,
    };
    engine.handle(&undo).await;
    assert_eq!(
        engine
            .feedback()
            .by_card("demo", None, None)
            .expect("counts")["sms-rappel"]
            .useful,
        1
    );
    // No tree of the feedback names a voter (which card answered: in the ledger).
    engine.store().flush().await.expect("flush");
    let mut entries = Vec::new();
    engine
        .store()
        .ledger()
        .export(|tree, k, v| {
            if tree == crate::feedback::ANSWERS {
                entries.push((tree.to_owned(), k.to_vec(), v.to_vec()));
            }
            Ok(())
        })
        .expect("ledger");
    assert!(!entries.is_empty(), "the card answers are recorded");
    for tree in [
        crate::feedback::TALLIES,
        crate::feedback::VOTES,
        crate::feedback::VOTERS,
    ] {
        for item in engine.store().tree(tree).expect("tree").iter() {
            let (k, v) = item.expect("item");
            entries.push((tree.to_owned(), k.to_vec(), v.to_vec()));
        }
    }
    for (tree, k, v) in entries {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&k),
            String::from_utf8_lossy(&v)
        );
        assert!(
            !text.contains("bob") && !text.contains("carol") && !text.contains("alice"),
            "{tree}: {text}"
        );
    }
}

#[tokio::test]
async fn a_question_with_personal_data_is_never_kept() {
    let (engine, _) = engine_at("2026-11-30T08:00:00Z");
    // No card answers; the question names a young person and a phone number.
    let answer = ask(
        &engine,
        "!kit Kevin Durand 06 12 34 56 78 permis bateau",
        Role::Membre,
    )
    .await;
    assert!(answer.contains("données personnelles"), "{answer}");
    let passed = ask(&engine, "!transmettre", Role::Membre).await;
    assert!(passed.contains("données personnelles"), "{passed}");
    let written = ask(
        &engine,
        "!transmettre la jeune Sarah Benali au 06 12 34 56 78 veut un permis bateau",
        Role::Membre,
    )
    .await;
    assert!(written.contains("données personnelles"), "{written}");
    assert!(engine
        .feedback()
        .questions(None, None)
        .expect("questions")
        .is_empty());
    // The same kind of question without the person is passed on, once.
    let answer = ask(&engine, "!kit permis bateau pour un jeune", Role::Membre).await;
    assert!(answer.contains("!transmettre"), "{answer}");
    let passed = ask(&engine, "!transmettre", Role::Membre).await;
    assert!(passed.contains("transmise aux rédacteurs"), "{passed}");
    let kept = engine.feedback().questions(None, None).expect("questions");
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].text, "permis bateau pour un jeune");
    let again = ask(&engine, "!transmettre", Role::Membre).await;
    assert!(again.contains("pas de question récente"), "{again}");
}

#[tokio::test]
async fn questions_with_the_same_meaning_are_grouped() {
    let (engine, _) = engine_at("2026-11-30T08:00:00Z");
    let kit = engine.kit();
    assert_eq!(kit.shape("rdv visio"), kit.shape("rendez-vous en visio"));
    assert_eq!(kit.shape("RDV en Visio !"), kit.shape("rendez vous visio"));
    assert_ne!(kit.shape("rdv visio"), kit.shape("rdv par sms"));
    for body in [
        "!transmettre rdv visio",
        "!transmettre rendez-vous en visio",
        "!transmettre permis de conduire",
    ] {
        let answer = ask(&engine, body, Role::Membre).await;
        assert!(answer.contains("transmise"), "{body}: {answer}");
    }
    let groups = crate::feedback::group(&engine.feedback().questions(None, None).expect("q"));
    assert_eq!(groups.len(), 2, "{groups:?}");
    assert_eq!(groups[0].count, 2);
}

#[tokio::test]
async fn the_digest_goes_to_those_who_asked_with_their_mission_locales_figures_only() {
    let (engine, clock) = two_tenants();
    let transport = Accept(Default::default());
    let coord = |body: &str, tenant: &str, room: &str, who: &str| {
        let mut m = message(body, Role::Coordination, clock_now(&clock));
        m.tenant = tenant.into();
        m.room_id = room.into();
        m.sender = who.into();
        m
    };
    fn clock_now(clock: &FixedClock) -> DateTime<Utc> {
        crate::core::Clock::now(clock)
    }
    // Monday 30 November, 9:00 in Paris. Alice (demo) asks for the digest on Tuesdays at
    // 10:00; Dave (autre) does not ask.
    let on = replies(
        engine
            .handle(&coord(
                "!digest oui mardi à 10h",
                "demo",
                "!room:example.org",
                "@alice:example.org",
            ))
            .await,
    );
    assert!(on.contains("chaque mardi à 10:00"), "{on}");
    let members_refused = ask(&engine, "!digest oui", Role::Membre).await;
    assert!(!members_refused.contains("C'est noté"), "{members_refused}");
    // The week's activity: a card read in each Mission Locale, a question passed on in the other.
    for (tenant, room, body) in [
        ("demo", "!room:example.org", "!kit rappel de rdv par sms"),
        ("autre", "!autre:example.org", "!fiche aidants-connect"),
        (
            "autre",
            "!autre:example.org",
            "!transmettre question secrete de l'autre mission locale",
        ),
    ] {
        let out = engine
            .handle(&coord(body, tenant, room, "@dave:example.org"))
            .await;
        assert!(!replies(out).is_empty(), "{body}");
    }
    let _ = deliver(&engine, &transport).await;
    // Not yet Tuesday 10:00.
    clock.set(t("2026-12-01T08:59:00Z"));
    crate::engine::digest::queue_due(&engine)
        .await
        .expect("queue");
    assert!(deliver(&engine, &transport).await.is_empty());
    clock.set(t("2026-12-01T09:00:00Z"));
    crate::engine::digest::queue_due(&engine)
        .await
        .expect("queue");
    let sent = deliver(&engine, &transport).await;
    let digests: Vec<(String, String)> = sent
        .into_iter()
        .filter_map(|o| match o {
            Outgoing::Direct {
                user_id, markdown, ..
            } => Some((user_id, markdown)),
            _ => None,
        })
        .collect();
    assert_eq!(digests.len(), 1, "{digests:?}");
    let (to, text) = &digests[0];
    assert_eq!(to, "@alice:example.org");
    assert!(
        text.contains("Le point de la semaine") && text.contains("sms-rappel"),
        "{text}"
    );
    assert!(
        !text.contains("aidants-connect") && !text.contains("secrete"),
        "another Mission Locale's figures: {text}"
    );
    // Once a week: not again the same day, again the next Tuesday.
    clock.set(t("2026-12-01T15:00:00Z"));
    crate::engine::digest::queue_due(&engine)
        .await
        .expect("queue");
    assert!(deliver(&engine, &transport).await.is_empty());
    clock.set(t("2026-12-08T09:00:01Z"));
    crate::engine::digest::queue_due(&engine)
        .await
        .expect("queue");
    assert_eq!(deliver(&engine, &transport).await.len(), 1);
    // `!digest non` stops it, and `!oublier` would erase it (rights test).
    let off = replies(
        engine
            .handle(&coord(
                "!digest non",
                "demo",
                "!room:example.org",
                "@alice:example.org",
            ))
            .await,
    );
    assert!(off.contains("arrêté"), "{off}");
    clock.set(t("2026-12-15T09:00:01Z"));
    crate::engine::digest::queue_due(&engine)
        .await
        .expect("queue");
    assert!(deliver(&engine, &transport).await.is_empty());
}

/// The digest attaches the chart of the parcours whose step went out this week, the same
/// picture `!parcours etat` posts; no chart when no step went out.
#[tokio::test(start_paused = true)]
async fn the_digest_carries_the_chart_of_the_parcours_of_the_week() {
    let (engine, clock) = engine_at("2026-11-30T08:00:00Z");
    let mission = engine.mission("demo").expect("demo").clone();
    assert!(
        crate::engine::digest::chart(&engine, &mission, engine.now())
            .await
            .is_none(),
        "no step posted yet"
    );
    let started = ask(
        &engine,
        "!parcours demarrer premiers-pas chaque jour à 10h",
        Role::Coordination,
    )
    .await;
    assert_real_answer(&started, "!parcours demarrer");
    let stop = tokio_util::sync::CancellationToken::new();
    let scheduler = tokio::spawn(crate::nudges::scheduler::run(
        engine.scheduler_env(),
        stop.clone(),
    ));
    // 10:00 in Paris: the first step goes out.
    clock.advance(chrono::Duration::hours(2));
    tokio::time::advance(std::time::Duration::from_secs(7200)).await;
    for _ in 0..1000 {
        let posted = engine
            .nudges()
            .runs_of_tenant("demo")
            .expect("runs")
            .iter()
            .any(|r| !r.posted.is_empty());
        if posted {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    stop.cancel();
    scheduler.await.expect("scheduler");
    let file = crate::engine::digest::chart(&engine, &mission, engine.now())
        .await
        .expect("the week's chart");
    assert_eq!(file.mime, "image/png");
    assert!(file.bytes.starts_with(b"\x89PNG"), "a PNG");
    // Subscribed, the digest goes out with it.
    let mut on = message("!digest oui", Role::Coordination, engine.now());
    on.sender = "@camille:example.org".into();
    assert!(replies(engine.handle(&on).await).contains("C'est noté"));
    clock.set(t("2026-12-07T08:00:00Z"));
    crate::engine::digest::queue_due(&engine)
        .await
        .expect("queue");
    let with_chart = engine
        .outbox()
        .pending()
        .expect("pending")
        .into_iter()
        .any(|i| {
            matches!(
                i.out,
                Outgoing::Direct {
                    attachment: Some(ref a),
                    ..
                } if a.mime == "image/png"
            )
        });
    assert!(with_chart, "the digest carries the chart");
}
