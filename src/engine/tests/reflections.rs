//! Engine-level tests of reflections: the whole path from an `Incoming` to the store and back,
//! with the clock injected. Matrix and the real binary are covered in `tests/reflections*.rs`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{Duration, Months};

use crate::config::Config;
use crate::core::FixedClock;
use crate::core::Role;
use crate::engine::tests::{engine_at, t};
use crate::engine::{Engine, Incoming, IncomingKind, Outgoing, Parts};
use crate::reflections::db;
use crate::store::Store;

const ALICE: &str = "@alice:example.org";
const BOB: &str = "@bob:example.org";
const ROOM: &str = "!room:example.org";
const NOW: &str = "2026-11-30T08:00:00Z";

static EVENTS: AtomicU64 = AtomicU64::new(1);

fn event_id() -> String {
    format!("$ev{}", EVENTS.fetch_add(1, Ordering::SeqCst))
}

fn incoming(engine: &Engine, tenant: &str, room: &str, user: &str, kind: IncomingKind) -> Incoming {
    Incoming {
        tenant: tenant.into(),
        room_id: room.into(),
        is_direct: false,
        sender: user.into(),
        role: Role::Membre,
        addressed: false,
        event_id: event_id(),
        thread_root: None,
        sent_at: engine.now(),
        kind,
        quoted: None,
    }
}

/// A message from `user` in the demo room; returns its event id and the answers.
async fn say(engine: &Engine, user: &str, body: &str) -> (String, Vec<Outgoing>) {
    say_in(engine, "demo", ROOM, user, body, Role::Membre).await
}

async fn say_in(
    engine: &Engine,
    tenant: &str,
    room: &str,
    user: &str,
    body: &str,
    role: Role,
) -> (String, Vec<Outgoing>) {
    let mut inc = incoming(
        engine,
        tenant,
        room,
        user,
        IncomingKind::Message { body: body.into() },
    );
    inc.role = role;
    let out = engine.handle(&inc).await;
    (inc.event_id, out)
}

fn text(out: &[Outgoing]) -> String {
    out.iter()
        .filter_map(|o| match o {
            Outgoing::Reply { markdown, .. } | Outgoing::Direct { markdown, .. } => {
                Some(markdown.as_str())
            }
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn reacted(out: &[Outgoing], target: &str) -> bool {
    out.iter().any(
        |o| matches!(o, Outgoing::React { event_id, key, .. } if event_id == target && key == "✅"),
    )
}

async fn consent(engine: &Engine, user: &str) {
    let (_, out) = say(engine, user, "!consentement oui").await;
    assert!(text(&out).contains("c'est noté"), "{}", text(&out));
}

async fn list(engine: &Engine, args: &str) -> String {
    text(&say(engine, BOB, &format!("!reflexions {args}")).await.1)
}

/// An engine whose config has two Mission Locales, "demo" and "autre".
pub(super) fn two_tenants() -> (Engine, FixedClock) {
    let text = format!(
        "{}\n[[mission_locale]]\nid = \"autre\"\nname = \"ML Autre\"\nrooms = [\"!autre:example.org\"]\nretention_months = 6\n",
        crate::config::EXAMPLE
    );
    let mut config = Config::parse(&text, "test.toml").expect("config with two tenants");
    config.limits.burst = 100_000;
    let commands = Engine::load_commands(&config).expect("commands");
    let kit = Engine::load_kit(&config).expect("kit");
    let clock = FixedClock::new(t(NOW));
    let engine = Engine::new(Parts {
        config,
        commands,
        kit,
        store: Store::temporary().expect("store"),
        clock: Arc::new(clock.clone()),
    });
    (engine, clock)
}

/// An engine on a store in `dir` (real files and fsyncs, as in production).
fn engine_on_disk(dir: &std::path::Path) -> Engine {
    let mut config = Config::load(None).expect("example config");
    config.limits.burst = 100_000;
    let commands = Engine::load_commands(&config).expect("commands");
    let kit = Engine::load_kit(&config).expect("kit");
    Engine::new(Parts {
        config,
        commands,
        kit,
        store: Store::open(dir).expect("store"),
        clock: Arc::new(FixedClock::new(t(NOW))),
    })
}

/// Every key and value of every tree, as lossy text: to prove something is gone for good.
fn everything_stored(store: &Store) -> String {
    let mut all = String::new();
    for name in [
        db::T_REFLECTIONS,
        db::T_BY_EVENT,
        db::T_BY_AUTHOR,
        db::T_BY_ROOM,
        db::T_CONSENTS,
    ] {
        for item in store.tree(name).expect("tree").iter() {
            let (k, v) = item.expect("item");
            all.push_str(&String::from_utf8_lossy(&k));
            all.push_str(&String::from_utf8_lossy(&v));
        }
    }
    all
}

#[tokio::test]
async fn nothing_is_kept_without_consent() {
    let (engine, _) = engine_at(NOW);
    let (id, out) = say(
        &engine,
        ALICE,
        "!reflexion La visio du soir marche bien #visio",
    )
    .await;
    assert!(!reacted(&out, &id));
    let answer = text(&out);
    assert!(answer.contains("rien enregistré") && answer.contains("`!consentement oui`"));
    assert_eq!(db::count_tenant(engine.store(), "demo").expect("count"), 0);
    assert!(
        everything_stored(engine.store()).is_empty(),
        "not even a consent record"
    );
    // Explaining consent stores nothing either, and says what, for whom, how long, how to withdraw.
    let info = text(&say(&engine, ALICE, "!consentement").await.1);
    for needle in [
        "**Quoi**",
        "**Pour qui**",
        "12 mois",
        "`!consentement non`",
        "`!oublier`",
    ] {
        assert!(info.contains(needle), "{needle}: {info}");
    }
    assert!(everything_stored(engine.store()).is_empty());
}

#[tokio::test]
async fn consent_is_timestamped_withdrawable_and_kept_as_proof() {
    let (engine, clock) = engine_at(NOW);
    let (given_in, _) = say(&engine, ALICE, "!consentement oui").await;
    let again = text(&say(&engine, ALICE, "!consent OUI").await.1);
    assert!(
        again.contains("déjà en place depuis le 30/11/2026 à 09h00"),
        "{again}"
    );
    let state = text(&say(&engine, ALICE, "!consentement etat").await.1);
    assert!(
        state.contains("anonymes") && state.contains("Réflexions gardées : 0"),
        "{state}"
    );
    clock.advance(Duration::days(2));
    let out = text(&say(&engine, ALICE, "!consentement non").await.1);
    assert!(out.contains("aucune réflexion"), "{out}");
    let rec = db::consent(engine.store(), "demo", ALICE)
        .expect("get")
        .expect("record kept as proof");
    assert!(!rec.granted);
    assert_eq!(
        rec.history.len(),
        2,
        "granted then withdrawn, the repeat is not an event"
    );
    assert_eq!(rec.history[0].at, t(NOW));
    assert_eq!(rec.history[0].event_id, given_in);
    assert_eq!(rec.history[0].room_id, ROOM);
    assert_eq!(
        rec.history[0].info_version,
        crate::reflections::model::INFO_VERSION
    );
    assert_eq!(rec.history[1].at, t(NOW) + Duration::days(2));
    // Consent is per person: Bob is not covered by Alice's.
    let (_, out) = say(&engine, BOB, "!reflexion Une idée pour l'accueil").await;
    assert!(text(&out).contains("rien enregistré"));
}

#[tokio::test]
async fn a_reflection_is_saved_confirmed_and_the_notice_comes_once() {
    let (engine, _) = engine_at(NOW);
    consent(&engine, ALICE).await;
    let (first, out) = say(
        &engine,
        ALICE,
        "!reflexion Le rappel la veille a évité deux absences #SMS #fiche:sms-rappel",
    )
    .await;
    assert!(reacted(&out, &first), "{out:?}");
    assert!(text(&out).contains("Réflexion enregistrée"));
    let (second, out) = say(&engine, ALICE, "!retour La visio en fin de journée #visio").await;
    assert!(reacted(&out, &second));
    assert_eq!(text(&out), "", "no notice after the first time");
    let saved = db::by_event(engine.store(), "demo", &first)
        .expect("get")
        .expect("saved");
    assert_eq!(saved.text, "Le rappel la veille a évité deux absences");
    assert_eq!(saved.tags, vec!["sms"]);
    assert_eq!(saved.card.as_deref(), Some("sms-rappel"));
    assert_eq!(saved.author.as_deref(), Some(ALICE));
    // Unknown cards, empty and oversized texts keep nothing.
    for (body, needle) in [
        (
            "!reflexion Essai #fiche:nexiste-pas",
            "je ne connais pas la fiche",
        ),
        ("!reflexion #juste #des #tags", "Écrivez votre réflexion"),
        (
            &*format!("!reflexion {}", "mot ".repeat(600)),
            "au plus 2000 caractères",
        ),
    ] {
        let (id, out) = say(&engine, ALICE, body).await;
        assert!(!reacted(&out, &id));
        assert!(text(&out).contains(needle), "{}", text(&out));
    }
    assert_eq!(db::count_tenant(engine.store(), "demo").expect("count"), 2);
    // In a direct message there is no team to share with.
    let mut dm = incoming(
        &engine,
        "demo",
        "!dm:example.org",
        ALICE,
        IncomingKind::Message {
            body: "!reflexion En privé".into(),
        },
    );
    dm.is_direct = true;
    assert!(text(&engine.handle(&dm).await).contains("salon de votre équipe"));
}

#[tokio::test]
async fn personal_data_is_refused_without_echoing_it() {
    let (engine, _) = engine_at(NOW);
    consent(&engine, ALICE).await;
    struct Case {
        body: &'static str,
        label: &'static str,
        secret: &'static str,
    }
    let cases = [
        Case {
            body: "!reflexion Rappelé au 06 12 34 56 78, pas de réponse",
            label: "un numéro de téléphone",
            secret: "34 56",
        },
        Case {
            body: "!reflexion Séance avec Kevin Martin, très motivé",
            label: "un nom et prénom",
            secret: "Martin",
        },
        Case {
            body: "!reflexion Son mail kevin.martin@gmail.com ne marche pas",
            label: "une adresse e-mail",
            secret: "gmail",
        },
        Case {
            body: "!reflexion Il habite 12 rue des Lilas, trop loin #mobilite",
            label: "une adresse postale",
            secret: "Lilas",
        },
        Case {
            body: "!reflexion Née le 12/04/2006, premier entretien",
            label: "une date de naissance",
            secret: "2006",
        },
    ];
    for case in cases {
        let (id, out) = say(&engine, ALICE, case.body).await;
        let answer = text(&out);
        assert!(!reacted(&out, &id), "{}", case.body);
        assert!(answer.contains(case.label), "{}: {answer}", case.body);
        assert!(!answer.contains(case.secret), "echoed: {answer}");
    }
    assert_eq!(db::count_tenant(engine.store(), "demo").expect("count"), 0);
}

#[tokio::test]
async fn memo_reactions_save_only_ones_own_messages_with_consent() {
    let (engine, _) = engine_at(NOW);
    let memo = |user: &str, target: &str, sender: &str, body: &str| {
        incoming(
            &engine,
            "demo",
            ROOM,
            user,
            IncomingKind::Reaction {
                target: target.into(),
                key: "📝".into(),
                target_sender: Some(sender.into()),
                target_body: Some(body.into()),
            },
        )
    };
    let body = "Le créneau de 18h a bien marché avec les jeunes en formation #horaires";
    // Without consent: nothing kept, told how to opt in, in reply to the message.
    let out = engine.handle(&memo(ALICE, "$m1", ALICE, body)).await;
    assert!(
        matches!(&out[..], [Outgoing::Reply { to_event, markdown, .. }] if to_event == "$m1" && markdown.contains("`!consentement oui`"))
    );
    consent(&engine, ALICE).await;
    // Someone else's message: silently ignored.
    assert!(engine
        .handle(&memo(BOB, "$m1", ALICE, body))
        .await
        .is_empty());
    assert!(engine
        .handle(&memo(ALICE, "$m2", BOB, "Bob's words"))
        .await
        .is_empty());
    // One's own: ✅ on the message, the notice once.
    let reaction = memo(ALICE, "$m1", ALICE, body);
    let out = engine.handle(&reaction).await;
    assert!(reacted(&out, "$m1"), "{out:?}");
    assert!(text(&out).contains("Réflexion enregistrée"));
    let saved = db::by_event(engine.store(), "demo", "$m1")
        .expect("get")
        .expect("saved");
    assert_eq!(saved.tags, vec!["horaires"]);
    assert_eq!(saved.origin, crate::reflections::model::Origin::Reaction);
    // Again: idempotent.
    let out = engine.handle(&memo(ALICE, "$m1", ALICE, body)).await;
    assert!(reacted(&out, "$m1") && text(&out).is_empty());
    // Same guard as `!reflexion`.
    let out = engine
        .handle(&memo(ALICE, "$m3", ALICE, "Appeler Inès Diallo demain"))
        .await;
    assert!(text(&out).contains("un nom et prénom") && !text(&out).contains("Diallo"));
    // Other commands are not reflections; other reactions are not for us.
    assert!(engine
        .handle(&memo(ALICE, "$m4", ALICE, "!aide"))
        .await
        .is_empty());
    let mut thumbs = memo(ALICE, "$m5", ALICE, body);
    if let IncomingKind::Reaction { key, .. } = &mut thumbs.kind {
        *key = "👍".into();
    }
    assert!(engine.handle(&thumbs).await.is_empty());
    assert_eq!(db::count_tenant(engine.store(), "demo").expect("count"), 1);
    // Redacting the 📝 reaction takes it back.
    let undo = incoming(
        &engine,
        "demo",
        ROOM,
        ALICE,
        IncomingKind::Redaction {
            target: reaction.event_id.clone(),
            by_moderator: false,
        },
    );
    engine.handle(&undo).await;
    assert_eq!(db::count_tenant(engine.store(), "demo").expect("count"), 0);
}

#[tokio::test]
async fn edits_update_and_redactions_erase() {
    let (engine, _) = engine_at(NOW);
    consent(&engine, ALICE).await;
    let (id, _) = say(&engine, ALICE, "!reflexion Premier jet #visio").await;
    let edit = |user: &str, body: &str| {
        incoming(
            &engine,
            "demo",
            ROOM,
            user,
            IncomingKind::Edit {
                target: id.clone(),
                body: body.into(),
            },
        )
    };
    let stored = || {
        db::by_event(engine.store(), "demo", &id)
            .expect("get")
            .map(|r| r.text)
    };
    assert!(engine
        .handle(&edit(ALICE, "!reflexion Version corrigée #visio #soir"))
        .await
        .is_empty());
    assert_eq!(stored().as_deref(), Some("Version corrigée"));
    let r = db::by_event(engine.store(), "demo", &id)
        .expect("get")
        .expect("r");
    assert_eq!(r.tags, vec!["visio", "soir"]);
    assert!(r.edited_at.is_some());
    assert!(list(&engine, "#soir").await.contains("Version corrigée"));
    // An edit adding personal data is refused; the previous version stays.
    let out = engine
        .handle(&edit(ALICE, "!reflexion Version avec 06 12 34 56 78"))
        .await;
    assert!(
        text(&out).contains("La version précédente reste"),
        "{out:?}"
    );
    assert_eq!(stored().as_deref(), Some("Version corrigée"));
    // Someone else's edit does nothing.
    engine.handle(&edit(BOB, "!reflexion Piraté")).await;
    assert_eq!(stored().as_deref(), Some("Version corrigée"));
    // A redaction event from someone else, not a moderator, erases nothing (the
    // homeserver does not apply it either).
    let forged = incoming(
        &engine,
        "demo",
        ROOM,
        BOB,
        IncomingKind::Redaction {
            target: id.clone(),
            by_moderator: false,
        },
    );
    engine.handle(&forged).await;
    assert_eq!(stored().as_deref(), Some("Version corrigée"));
    // Deleting the message erases the reflection.
    let redaction = incoming(
        &engine,
        "demo",
        ROOM,
        ALICE,
        IncomingKind::Redaction {
            target: id.clone(),
            by_moderator: false,
        },
    );
    assert!(engine.handle(&redaction).await.is_empty());
    assert_eq!(stored(), None);
    // A moderator's deletion (the text is gone from the room) erases it too.
    let (id3, _) = say(&engine, ALICE, "!reflexion Un autre essai #visio").await;
    let moderated = incoming(
        &engine,
        "demo",
        ROOM,
        BOB,
        IncomingKind::Redaction {
            target: id3.clone(),
            by_moderator: true,
        },
    );
    engine.handle(&moderated).await;
    assert!(db::by_event(engine.store(), "demo", &id3)
        .expect("get")
        .is_none());
    assert!(list(&engine, "").await.contains("Aucune réflexion"));

    // A `!reflexion` refused for personal data and corrected by an edit is kept then.
    let (id2, _) = say(&engine, ALICE, "!reflexion Vu Kevin Martin ce matin").await;
    let fix = incoming(
        &engine,
        "demo",
        ROOM,
        ALICE,
        IncomingKind::Edit {
            target: id2.clone(),
            body: "!reflexion Vu un jeune ce matin".into(),
        },
    );
    assert!(reacted(&engine.handle(&fix).await, &id2));
    // An edit that is no longer a reflection takes it back.
    let take_back = incoming(
        &engine,
        "demo",
        ROOM,
        ALICE,
        IncomingKind::Edit {
            target: id2.clone(),
            body: "finalement non".into(),
        },
    );
    engine.handle(&take_back).await;
    assert!(db::by_event(engine.store(), "demo", &id2)
        .expect("get")
        .is_none());
}

#[tokio::test]
async fn listing_is_newest_first_escaped_filtered_and_signed_only_by_choice() {
    let (engine, clock) = engine_at(NOW);
    consent(&engine, ALICE).await;
    say(&engine, ALICE, "!reflexion Ancienne idée #sms").await;
    clock.advance(Duration::days(40));
    say(
        &engine,
        ALICE,
        "!reflexion <b>Gras</b> **fort** [lien](http://x) @room #visio",
    )
    .await;
    clock.advance(Duration::days(1));
    say(&engine, ALICE, "!reflexion Toute récente #visio").await;
    let all = list(&engine, "").await;
    let recent = all.find("Toute récente").expect("recent");
    let older = all.find("Ancienne idée").expect("older");
    assert!(recent < older, "newest first: {all}");
    assert!(!all.contains("<b>") && !all.contains("@room") && !all.contains("**fort**"));
    assert!(all.contains("\\*\\*fort\\*\\*") && all.contains("\\[lien\\]"));
    assert!(!all.contains(ALICE), "anonymous by default");
    let visio = list(&engine, "#visio").await;
    assert!(visio.contains("Toute récente") && !visio.contains("Ancienne"));
    let week = list(&engine, "depuis 7 jours").await;
    assert!(
        week.contains("Toute récente") && !week.contains("Ancienne"),
        "{week}"
    );
    assert!(list(&engine, "depuis demain-ish")
        .await
        .contains("Je ne comprends pas"));
    say(&engine, ALICE, "!consentement signer").await;
    let signed = list(&engine, "").await;
    assert!(
        signed.contains("@\u{2060}alice:example.org"),
        "signed, no ping: {signed}"
    );
    say(&engine, ALICE, "!consentement anonyme").await;
    assert!(!list(&engine, "").await.contains("alice"));
    // Short: ten at most, and a pointer to the rest.
    for i in 0..12 {
        say(&engine, ALICE, &format!("!reflexion Réflexion numéro {i}")).await;
    }
    let long = list(&engine, "").await;
    assert_eq!(long.lines().filter(|l| l.starts_with("- ")).count(), 10);
    assert!(long.contains("Les 10 plus récentes"));
    // Another room of the same Mission Locale has its own list.
    let other = say_in(
        &engine,
        "demo",
        "!autre-salle:example.org",
        BOB,
        "!reflexions",
        Role::Membre,
    )
    .await;
    assert!(text(&other.1).contains("Aucune réflexion"));
}

#[tokio::test]
async fn withdrawal_hides_at_once_then_erases_or_anonymises() {
    let (engine, clock) = engine_at(NOW);
    consent(&engine, ALICE).await;
    consent(&engine, BOB).await;
    let (a1, _) = say(&engine, ALICE, "!reflexion Idée d'Alice #visio").await;
    say(&engine, BOB, "!reflexion Idée de Bob #sms").await;
    let out = text(&say(&engine, ALICE, "!consentement non").await.1);
    assert!(
        out.contains("réflexion est masquée") && out.contains("30/12/2026"),
        "{out}"
    );
    assert!(!list(&engine, "").await.contains("Alice"), "hidden at once");
    let bilan = text(
        &say_in(&engine, "demo", ROOM, BOB, "!bilan", Role::Coordination)
            .await
            .1,
    );
    assert!(bilan.contains("1 réflexion partagée"), "{bilan}");
    // While withdrawn, new ones are refused.
    assert!(text(&say(&engine, ALICE, "!reflexion Encore une").await.1).contains("rien enregistré"));
    // Giving consent again shows them again.
    let back = text(&say(&engine, ALICE, "!consentement oui").await.1);
    assert!(back.contains("de nouveau visible"), "{back}");
    assert!(list(&engine, "").await.contains("Idée d'Alice"));
    // Anonymise: kept, with nothing linking it to Alice.
    let out = text(&say(&engine, ALICE, "!consentement non anonymiser").await.1);
    assert!(out.contains("sans rien qui vous relie"), "{out}");
    assert!(list(&engine, "").await.contains("Idée d'Alice"));
    assert!(db::by_event(engine.store(), "demo", &a1)
        .expect("get")
        .is_none());
    let mut anonymous = Vec::new();
    db::walk_tenant::<crate::store::StoreError>(engine.store(), "demo", |r| {
        if r.text == "Idée d'Alice" {
            anonymous.push(r);
        }
        Ok(true)
    })
    .expect("walk");
    assert!(
        matches!(&anonymous[..], [r] if r.author.is_none() && r.event_id.is_none()),
        "{anonymous:?}"
    );
    assert_eq!(
        db::count_by_author(engine.store(), "demo", ALICE).expect("n"),
        0
    );
    // Erase: Bob withdraws, then chooses.
    let ask = text(&say(&engine, BOB, "!consentement non").await.1);
    assert!(ask.contains("Que dois-je en faire"));
    let done = text(&say(&engine, BOB, "!consentement effacer").await.1);
    assert!(done.contains("j'ai effacé 1 réflexion"), "{done}");
    assert!(!list(&engine, "").await.contains("Idée de Bob"));
    let rec = db::consent(engine.store(), "demo", BOB)
        .expect("get")
        .expect("proof");
    assert!(matches!(
        rec.history.last().map(|e| &e.action),
        Some(crate::reflections::model::ConsentAction::Erased { count: 1 })
    ));
    // Without an answer, the purge erases them after 30 days, not before.
    let carol = "@carol:example.org";
    consent(&engine, carol).await;
    say(&engine, carol, "!reflexion Idée de Carol").await;
    say(&engine, carol, "!consentement non").await;
    clock.advance(Duration::days(29));
    crate::reflections::retention::purge(engine.store(), &engine.config().missions, engine.now())
        .await
        .expect("purge");
    assert_eq!(
        db::count_by_author(engine.store(), "demo", carol).expect("n"),
        1
    );
    clock.advance(Duration::days(2));
    let report = crate::reflections::retention::purge(
        engine.store(),
        &engine.config().missions,
        engine.now(),
    )
    .await
    .expect("purge");
    assert_eq!(report.unanswered, 1);
    assert_eq!(
        db::count_by_author(engine.store(), "demo", carol).expect("n"),
        0
    );
}

#[tokio::test]
async fn retention_purge_deletes_only_older_reflections() {
    let (engine, clock) = engine_at(NOW);
    consent(&engine, ALICE).await;
    say(&engine, ALICE, "!reflexion Vieille réflexion").await;
    clock.advance(Duration::days(200));
    say(&engine, ALICE, "!reflexion Réflexion récente").await;
    let later = t(NOW).checked_add_months(Months::new(12)).expect("date") + Duration::hours(1);
    clock.set(later);
    // The task purges at start, then sleeps until the next purge time; shutdown stops it.
    let shutdown = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(crate::reflections::run_retention(
        engine.store().clone(),
        Arc::new(engine.config().missions.clone()),
        engine.clock().clone(),
        shutdown.clone(),
    ));
    let mut waited = 0;
    while db::count_tenant(engine.store(), "demo").expect("count") != 1 && waited < 500 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        waited += 1;
    }
    shutdown.cancel();
    task.await.expect("task ends on shutdown");
    let left = list(&engine, "").await;
    assert!(
        left.contains("Réflexion récente") && !left.contains("Vieille"),
        "{left}"
    );
}

#[tokio::test]
async fn bilan_counts_the_whole_mission_locale_without_quoting_text() {
    let (engine, clock) = engine_at(NOW);
    consent(&engine, ALICE).await;
    say(
        &engine,
        ALICE,
        "!reflexion Texte secret un #sms #fiche:sms-rappel",
    )
    .await;
    clock.advance(Duration::days(31));
    say_in(
        &engine,
        "demo",
        "!autre-salle:example.org",
        ALICE,
        "!reflexion Texte secret deux #sms #visio",
        Role::Membre,
    )
    .await;
    let (_, out) = say_in(&engine, "demo", ROOM, BOB, "!bilan", Role::Coordination).await;
    let bilan = text(&out);
    for needle in [
        "2 réflexions partagées, dans 2 salons",
        "novembre 2026 : 1",
        "décembre 2026 : 1",
        "`sms-rappel`",
        "sans fiche : 1",
        "\\#sms : 2",
        "\\#visio : 1",
        "Aucun parcours en cours",
    ] {
        assert!(bilan.contains(needle), "{needle}: {bilan}");
    }
    assert!(!bilan.contains("secret"), "no text: {bilan}");
    let december = text(
        &say_in(
            &engine,
            "demo",
            ROOM,
            BOB,
            "!bilan décembre 2026",
            Role::Coordination,
        )
        .await
        .1,
    );
    assert!(december.contains("1 réflexion partagée"), "{december}");
    let refused = text(
        &say_in(&engine, "demo", ROOM, BOB, "!bilan", Role::Membre)
            .await
            .1,
    );
    assert!(refused.contains("réservée à la coordination"));
    let bad = text(
        &say_in(
            &engine,
            "demo",
            ROOM,
            BOB,
            "!bilan l'an prochain",
            Role::Coordination,
        )
        .await
        .1,
    );
    assert!(bad.contains("Je ne comprends pas la période"));
}

#[tokio::test]
async fn my_data_arrives_as_a_direct_message_with_everything_in_json() {
    let (engine, _) = engine_at(NOW);
    assert!(text(&say(&engine, ALICE, "!mes-donnees").await.1).contains("Je ne garde rien"));
    consent(&engine, ALICE).await;
    say(&engine, ALICE, "!reflexion Ma réflexion #visio").await;
    consent(&engine, BOB).await;
    say(&engine, BOB, "!reflexion Celle de Bob").await;
    let (_, out) = say(&engine, ALICE, "!mes-données").await;
    assert!(
        matches!(&out[0], Outgoing::Reply { markdown, .. } if markdown.contains("message privé"))
    );
    let Some(Outgoing::Direct {
        user_id,
        tenant,
        markdown,
        attachment: Some(file),
    }) = out.get(1)
    else {
        panic!("a direct message with a file: {out:?}");
    };
    assert_eq!((user_id.as_str(), tenant.as_str()), (ALICE, "demo"));
    assert!(markdown.contains("Ma réflexion") && !markdown.contains("Bob"));
    assert_eq!(file.mime, "application/json");
    let json: serde_json::Value = serde_json::from_slice(&file.bytes).expect("valid JSON");
    assert_eq!(json["personne"], ALICE);
    assert_eq!(json["consentement"]["history"][0]["action"], "granted");
    assert_eq!(json["reflexions"].as_array().map(Vec::len), Some(1));
    assert_eq!(json["reflexions"][0]["text"], "Ma réflexion");
}

#[tokio::test]
async fn forget_asks_first_then_leaves_no_trace() {
    let (engine, _) = engine_at(NOW);
    consent(&engine, ALICE).await;
    say(&engine, ALICE, "!reflexion Une première #visio").await;
    say(&engine, ALICE, "!reflexion Une seconde #sms").await;
    consent(&engine, BOB).await;
    say(&engine, BOB, "!reflexion Celle de Bob").await;
    let ask = text(&say(&engine, ALICE, "!oublier").await.1);
    assert!(
        ask.contains("2 réflexions") && ask.contains("`!oublier confirmer`"),
        "{ask}"
    );
    assert_eq!(
        db::count_by_author(engine.store(), "demo", ALICE).expect("n"),
        2,
        "asked only"
    );
    let done = text(&say(&engine, ALICE, "!oublier confirmer").await.1);
    assert!(
        done.contains("j'ai effacé votre accord, son historique et 2 réflexions"),
        "{done}"
    );
    let left = everything_stored(engine.store());
    assert!(
        !left.contains(ALICE) && !left.contains("Une première"),
        "trace left"
    );
    assert!(left.contains("Celle de Bob"), "others keep theirs");
    assert!(text(&say(&engine, ALICE, "!oublier confirmer").await.1).contains("rien à effacer"));
}

#[tokio::test]
async fn no_command_in_one_mission_locale_reads_counts_or_erases_anothers_data() {
    let (engine, _) = two_tenants();
    const OTHER_ROOM: &str = "!autre:example.org";
    consent(&engine, ALICE).await;
    let (id, _) = say(&engine, ALICE, "!reflexion Secret de la demo #visio").await;
    let memo_target = "$memo-demo";
    engine
        .handle(&incoming(
            &engine,
            "demo",
            ROOM,
            ALICE,
            IncomingKind::Reaction {
                target: memo_target.into(),
                key: "📝".into(),
                target_sender: Some(ALICE.into()),
                target_body: Some("Autre secret de la demo".into()),
            },
        ))
        .await;
    let before = everything_stored(engine.store());
    // The same person in the other Mission Locale: no consent there, nothing to see.
    let other = |body: &'static str, role: Role| {
        let engine = engine.clone();
        async move {
            text(
                &say_in(&engine, "autre", OTHER_ROOM, ALICE, body, role)
                    .await
                    .1,
            )
        }
    };
    let out = other("!reflexion Tentative", Role::Membre).await;
    assert!(
        out.contains("rien enregistré"),
        "consent is per Mission Locale: {out}"
    );
    assert!(!other("!reflexions", Role::Membre).await.contains("Secret"));
    assert!(other("!reflexions #visio", Role::Membre)
        .await
        .contains("Aucune réflexion"));
    let bilan = other("!bilan", Role::Coordination).await;
    assert!(bilan.contains("Aucune réflexion partagée"), "{bilan}");
    assert!(other("!mes-donnees", Role::Membre)
        .await
        .contains("Je ne garde rien"));
    assert!(other("!consentement etat", Role::Membre)
        .await
        .contains("pas donné"));
    assert!(other("!oublier confirmer", Role::Membre)
        .await
        .contains("rien à effacer"));
    assert!(other("!consentement non effacer", Role::Membre)
        .await
        .contains("pas donné"));
    // Events of the other tenant naming this tenant's messages change nothing.
    for kind in [
        IncomingKind::Edit {
            target: id.clone(),
            body: "!reflexion Réécrit ailleurs".into(),
        },
        IncomingKind::Redaction {
            target: id.clone(),
            by_moderator: false,
        },
        IncomingKind::Redaction {
            target: memo_target.into(),
            by_moderator: false,
        },
    ] {
        engine
            .handle(&incoming(&engine, "autre", OTHER_ROOM, ALICE, kind))
            .await;
    }
    let after = everything_stored(engine.store());
    assert_eq!(before, after, "demo untouched");
    assert!(list(&engine, "").await.contains("Secret de la demo"));
    // And the other way round: the demo's export knows nothing of "autre".
    consent_in_other(&engine).await;
    let mission = engine.mission("demo").expect("demo");
    let mut out = Vec::new();
    crate::reflections::export::export(
        &crate::reflections::ExportRequest {
            store: engine.store(),
            mission,
            since: None,
            until: None,
            format: crate::reflections::ExportFormat::Csv,
            now: engine.now(),
        },
        &mut out,
        &mut |_, _| {},
    )
    .expect("export");
    let csv = String::from_utf8(out).expect("utf-8");
    assert!(csv.contains("Secret de la demo") && !csv.contains("Chez autre"));
}

async fn consent_in_other(engine: &Engine) {
    say_in(
        engine,
        "autre",
        "!autre:example.org",
        BOB,
        "!consentement oui",
        Role::Membre,
    )
    .await;
    let (id, out) = say_in(
        engine,
        "autre",
        "!autre:example.org",
        BOB,
        "!reflexion Chez autre",
        Role::Membre,
    )
    .await;
    assert!(reacted(&out, &id));
}

#[tokio::test]
async fn export_pseudonymises_unless_signed_and_leaves_out_hidden_reflections() {
    let (engine, _) = engine_at(NOW);
    consent(&engine, ALICE).await;
    consent(&engine, BOB).await;
    let carol = "@carol:example.org";
    consent(&engine, carol).await;
    say(
        &engine,
        ALICE,
        "!reflexion =cmd() première, avec \"guillemets\" #visio",
    )
    .await;
    say(&engine, ALICE, "!reflexion Deuxième d'Alice").await;
    say(&engine, BOB, "!reflexion Bob signe #sms").await;
    say(&engine, BOB, "!consentement signer").await;
    say(&engine, carol, "!reflexion Carol se retire").await;
    say(&engine, carol, "!consentement non").await;
    let export = |format| {
        let mut out = Vec::new();
        let mut last = (0, 0);
        let n = crate::reflections::export::export(
            &crate::reflections::ExportRequest {
                store: engine.store(),
                mission: engine.mission("demo").expect("demo"),
                since: None,
                until: None,
                format,
                now: engine.now(),
            },
            &mut out,
            &mut |d, t| last = (d, t),
        )
        .expect("export");
        assert_eq!(last, (n, n), "progress reaches the total");
        (n, String::from_utf8(out).expect("utf-8"))
    };
    let (n, csv) = export(crate::reflections::ExportFormat::Csv);
    assert_eq!(n, 3, "Carol's is hidden");
    assert!(!csv.contains("Carol"));
    assert!(csv.contains(BOB), "Bob signs");
    assert!(!csv.contains(ALICE), "Alice is pseudonymised");
    let pseudonyms: Vec<&str> = csv
        .lines()
        .skip(1)
        .filter(|l| l.contains("Alice") || l.contains("=cmd"))
        .filter_map(|l| l.split(',').find(|c| c.starts_with("p-")))
        .collect();
    assert_eq!(pseudonyms.len(), 2);
    assert_eq!(pseudonyms[0], pseudonyms[1], "stable pseudonym");
    assert!(
        csv.contains("\"'=cmd() première, avec \"\"guillemets\"\"\""),
        "{csv}"
    );
    let (_, json) = export(crate::reflections::ExportFormat::Json);
    let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(value["nombre"], 3);
    assert_eq!(value["reflexions"].as_array().map(Vec::len), Some(3));
    assert_eq!(value["reflexions"][0]["auteur"], pseudonyms[0]);
    let (_, md) = export(crate::reflections::ExportFormat::Markdown);
    assert!(md.starts_with("# Réflexions partagées — Mission Locale de démonstration"));
    assert!(md.contains("## novembre 2026") && md.contains("3 réflexion(s)"));
    assert!(md.contains("\\#visio") && md.contains(&crate::core::text::escape_md(BOB)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_authors_sharing_at_once_neither_block_nor_lose_anything() {
    // Concurrent shares on a real on-disk store, each flushed before its ✅: all confirmed, all
    // kept, nothing blocks. Without the flush gate (`reflections::flush`) this hangs every
    // time: concurrent sled `flush_async` calls exhaust sled's thread pool.
    let dir = tempfile::tempdir().expect("tmp");
    let engine = engine_on_disk(dir.path());
    let authors: Vec<String> = (0..16).map(|i| format!("@membre{i}:example.org")).collect();
    for author in &authors {
        consent(&engine, author).await;
    }
    let mut tasks = Vec::new();
    for author in authors.clone() {
        let engine = engine.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0..40 {
                let body = format!("!reflexion Retour {n} de {} #visio", &author[1..8]);
                let (id, out) = say(&engine, &author, &body).await;
                assert!(reacted(&out, &id), "{out:?}");
            }
        }));
    }
    let all = futures_util::future::join_all(tasks);
    let results = tokio::time::timeout(std::time::Duration::from_secs(60), all)
        .await
        .expect("no deadlock");
    for r in results {
        r.expect("task");
    }
    assert_eq!(
        db::count_tenant(engine.store(), "demo").expect("count"),
        640
    );
}

/// Where the guard is unsure (a capitalised word that may be a name), nothing is stored: the
/// author is asked, and `!reflexion confirmer` keeps it; a sure finding is refused outright.
#[tokio::test]
async fn an_unsure_reflection_waits_for_the_author_and_is_kept_only_when_confirmed() {
    let (engine, clock) = engine_at(NOW);
    consent(&engine, ALICE).await;
    // Find a text the guard is unsure about, among a few ordinary ones.
    let candidates = [
        (
            "Séance avec Zélindor, 19 ans, en visio : il a bien accroché",
            "accroch",
        ),
        (
            "Rappel de Quentor de Sablé hier soir, ça s'est bien passé",
            "hier soir",
        ),
        (
            "Atelier avec Brunehilde de Cholet, très motivée",
            "très motiv",
        ),
    ];
    let unsure = candidates.iter().find(|(text, _)| {
        matches!(
            crate::reflections::pii::assess(text, 2026),
            crate::reflections::pii::Verdict::Unsure { .. }
        )
    });
    let Some((text, marker)) = unsure else {
        panic!("none of the candidates makes the guard unsure: update the test");
    };
    let (original, out) = say(&engine, ALICE, &format!("!reflexion {text}")).await;
    let answer = self::text(&out);
    assert!(answer.contains("!reflexion confirmer"), "{answer}");
    assert!(answer.contains("rien enregistré"), "{answer}");
    assert!(
        !everything_stored(engine.store()).contains(marker),
        "nothing stored"
    );
    // Confirmed: kept, with the ✅ on the original message.
    let (_, confirmed) = say(&engine, ALICE, "!reflexion confirmer").await;
    assert!(reacted(&confirmed, &original), "{confirmed:?}");
    assert!(
        everything_stored(engine.store()).contains(marker),
        "kept once confirmed"
    );
    // Nothing left to confirm; and an old wait expires.
    assert_eq!(
        self::text(&say(&engine, ALICE, "!reflexion confirmer").await.1),
        crate::strings::reflections::NOTHING_TO_CONFIRM
    );
    say(&engine, ALICE, &format!("!reflexion {text} encore")).await;
    clock.advance(Duration::minutes(
        crate::reflections::share::CONFIRM_MINUTES + 1,
    ));
    assert_eq!(
        self::text(&say(&engine, ALICE, "!reflexion confirmer").await.1),
        crate::strings::reflections::NOTHING_TO_CONFIRM
    );
    // A sure finding is refused, not asked.
    let refused = self::text(
        &say(
            &engine,
            ALICE,
            "!reflexion Rappeler Kevin Martin au 06 12 34 56 78",
        )
        .await
        .1,
    );
    assert!(!refused.contains("confirmer"), "{refused}");
}

/// A first name alone ("Yanis n'est pas venu") is asked about in one question naming the word
/// (quoted and escaped by `render`) and saying how to rephrase; the rephrased text is kept at once, and so is the
/// first one once the author confirms it is no young person's name.
#[tokio::test]
async fn a_first_name_alone_is_asked_about_then_rephrased_or_confirmed() {
    let (engine, _clock) = engine_at(NOW);
    consent(&engine, ALICE).await;
    let (_, out) = say(
        &engine,
        ALICE,
        "!reflexion Yanis n'est pas venu au rdv en visio",
    )
    .await;
    let answer = self::text(&out);
    assert_eq!(
        answer,
        crate::strings::reflections::pii_first_name(
            "« Yanis »",
            crate::reflections::share::CONFIRM_MINUTES
        )
    );
    assert!(answer.contains("prénom de jeune") && answer.contains("une initiale"));
    assert!(!everything_stored(engine.store()).contains("pas venu au rdv"));
    // Rephrased with "un jeune": kept at once.
    let (original, out) = say(
        &engine,
        ALICE,
        "!reflexion Un jeune n'est pas venu au rdv en visio",
    )
    .await;
    assert!(reacted(&out, &original), "{out:?}");
    // Asked again about a word that is no young person's name, then confirmed: kept.
    let (original, out) = say(
        &engine,
        ALICE,
        "!reflexion Visio avec Léna : le lien marchait pas",
    )
    .await;
    let answer = self::text(&out);
    assert!(
        answer.contains("« Léna »") && answer.contains("prénom de jeune"),
        "{answer}"
    );
    let (_, confirmed) = say(&engine, ALICE, "!reflexion confirmer").await;
    assert!(reacted(&confirmed, &original), "{confirmed:?}");
    assert!(everything_stored(engine.store()).contains("le lien marchait pas"));
}
