//! Reflections end to end on a real Synapse, with real matrix-sdk clients as the team and the
//! real `kitbot run` process as the bot: consent, `!reflexion` confirmed by a ✅ reaction, the
//! personal-data refusal, 📝 on one's own message, edits and redactions, `!mes-donnees` arriving
//! in a direct message with its JSON file, and `!oublier`.

#![recursion_limit = "256"]

mod util;

use std::sync::{Arc, Mutex};

use matrix_sdk::ruma::events::reaction::{OriginalSyncReactionEvent, ReactionEventContent};
use matrix_sdk::ruma::events::relation::Annotation;
use matrix_sdk::ruma::events::room::message::{ReplacementMetadata, RoomMessageEventContent};
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId};
use util::{Bot, Human, Seen};

/// Reactions a human saw: (sender, target event, key).
type Reactions = Arc<Mutex<Vec<(String, String, String)>>>;

fn watch_reactions(human: &Human) -> Reactions {
    let seen: Reactions = Arc::default();
    let sink = seen.clone();
    human
        .client
        .add_event_handler(move |ev: OriginalSyncReactionEvent| {
            let sink = sink.clone();
            async move {
                sink.lock().expect("reactions").push((
                    ev.sender.to_string(),
                    ev.content.relates_to.event_id.to_string(),
                    ev.content.relates_to.key.clone(),
                ));
            }
        });
    seen
}

async fn wait_check(human: &Human, reactions: &Reactions, bot: &str, target: &OwnedEventId) {
    let target = target.to_string();
    human
        .wait_for(&format!("✅ from the bot on {target}"), |_| {
            reactions
                .lock()
                .expect("reactions")
                .iter()
                .any(|(who, on, key)| who == bot && *on == target && key == "✅")
        })
        .await;
}

/// Alice's team room, with the bot in it.
async fn team_with_bot() -> (Human, Bot, OwnedRoomId, Reactions) {
    let alice = Human::new("alice").await;
    let reactions = watch_reactions(&alice);
    let room_id = alice.create_room(false, &[]).await.room_id().to_owned();
    let bot = Bot::joined(&alice, &room_id, "").await;
    (alice, bot, room_id, reactions)
}

/// The bot's answer to `id`: the text of its reply, or `None` for a ✅ on it.
async fn answer_or_check(alice: &Human, bot: &str, id: &OwnedEventId) -> Option<String> {
    let target = id.to_string();
    let answer = |m: &Seen| {
        m.sender == bot
            && (m.in_reply_to.as_deref() == Some(&target)
                || (m.reacts_to.as_deref() == Some(&target) && m.body == "✅"))
    };
    let seen = alice
        .wait_for(&format!("a reply or ✅ on {target}"), |s| {
            s.iter().any(&answer)
        })
        .await;
    let found = seen.into_iter().find(|m| answer(m)).expect("found");
    found.in_reply_to.is_some().then_some(found.body)
}

async fn ask(alice: &Human, room_id: &OwnedRoomId, text: &str) -> String {
    let id = alice.say(room_id, text).await;
    alice.wait_reply(&id).await.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_sharing_guard_memo_edit_and_redaction() {
    let (alice, mut bot, room_id, reactions) = team_with_bot().await;
    let room = alice.room(&room_id);

    // Without consent nothing is kept, and the answer says how to opt in.
    let refused = ask(
        &alice,
        &room_id,
        "!reflexion Le rappel la veille marche bien #sms",
    )
    .await;
    assert!(refused.contains("!consentement oui"), "{refused}");
    let info = ask(&alice, &room_id, "!consentement").await;
    assert!(
        info.contains("12 mois") && info.contains("!consentement non"),
        "{info}"
    );
    assert!(ask(&alice, &room_id, "!consentement oui")
        .await
        .contains("c'est noté"));

    // With consent: ✅ on the message, and the one-time notice in reply.
    let first = alice
        .say(&room_id, "!reflexion Le rappel la veille marche bien #sms")
        .await;
    wait_check(&alice, &reactions, &bot.user_id, &first).await;
    let notice = alice.wait_reply(&first).await;
    assert_eq!(notice.msgtype, "m.notice");
    assert!(
        notice.body.contains("Réflexion enregistrée"),
        "{}",
        notice.body
    );

    // Personal data: refused, named, not echoed.
    let pii = ask(
        &alice,
        &room_id,
        "!reflexion Rappelé Kevin Martin au 06 12 34 56 78",
    )
    .await;
    assert!(
        pii.contains("numéro de téléphone") && pii.contains("nom et prénom"),
        "{pii}"
    );
    assert!(!pii.contains("Martin") && !pii.contains("34 56"), "{pii}");

    // 📝 on one's own ordinary message saves it.
    let plain = alice
        .say(
            &room_id,
            "La visio du soir convient mieux aux jeunes en formation #visio",
        )
        .await;
    room.send(ReactionEventContent::new(Annotation::new(
        plain.clone(),
        "📝".into(),
    )))
    .await
    .expect("react");
    wait_check(&alice, &reactions, &bot.user_id, &plain).await;

    // Editing the first message updates it.
    let edit = RoomMessageEventContent::text_plain(
        "!reflexion Le rappel la veille par SMS évite les oublis #sms",
    )
    .make_replacement(ReplacementMetadata::new(first.clone(), None));
    room.send(edit).await.expect("edit");
    let listed = ask(&alice, &room_id, "!reflexions").await;
    assert!(listed.contains("évite les oublis"), "{listed}");
    assert!(!listed.contains("marche bien"), "{listed}");
    assert!(listed.contains("La visio du soir"), "{listed}");
    assert!(!listed.contains("Kevin"), "{listed}");
    assert!(
        !listed.contains(alice.user_id.as_str()),
        "anonymous by default"
    );

    // Deleting the 📝-saved message erases it.
    room.redact(&plain, None, None).await.expect("redact");
    let listed = ask(&alice, &room_id, "!reflexions #visio").await;
    assert!(listed.contains("Aucune réflexion"), "{listed}");
    let listed = ask(&alice, &room_id, "!reflexions").await;
    assert!(
        listed.contains("évite les oublis") && !listed.contains("La visio du soir"),
        "{listed}"
    );
    assert_eq!(bot.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_data_arrives_in_a_direct_message_and_forget_erases_it() {
    let (alice, mut bot, room_id, reactions) = team_with_bot().await;
    assert!(ask(&alice, &room_id, "!consentement oui")
        .await
        .contains("c'est noté"));
    let shared = alice
        .say(
            &room_id,
            "!reflexion Les ateliers collectifs en visio prennent #atelier",
        )
        .await;
    wait_check(&alice, &reactions, &bot.user_id, &shared).await;

    let sent = ask(&alice, &room_id, "!mes-donnees").await;
    assert!(sent.contains("message privé"), "{sent}");
    // The bot opens a direct room; Alice joins it and finds the summary and the file.
    let client = alice.client.clone();
    alice
        .wait_for("an invitation to a direct room", |_| {
            !client.invited_rooms().is_empty()
        })
        .await;
    let dm = client.invited_rooms()[0].room_id().to_owned();
    assert_ne!(dm, room_id);
    alice.join(&dm).await;
    let seen = alice
        .wait_for("the summary and the JSON file", |seen| {
            let here = |kind: &str| {
                seen.iter()
                    .any(|m| m.room_id == dm && m.sender == bot.user_id && m.msgtype == kind)
            };
            (here("m.text") || here("m.notice")) && here("m.file")
        })
        .await;
    let summary = seen
        .iter()
        .find(|m| m.room_id == dm && m.msgtype != "m.file")
        .expect("summary");
    assert!(summary.body.contains("Vos données"), "{}", summary.body);
    assert!(
        summary.body.contains("Les ateliers collectifs"),
        "{}",
        summary.body
    );
    let file = seen
        .iter()
        .find(|m| m.room_id == dm && m.msgtype == "m.file")
        .expect("file");
    assert!(file.body.starts_with("mes-donnees-ml-test-") && file.body.ends_with(".json"));

    // `!oublier` asks first, then erases everything and says what.
    let ask_first = ask(&alice, &room_id, "!oublier").await;
    assert!(
        ask_first.contains("!oublier confirmer") && ask_first.contains("1 réflexion"),
        "{ask_first}"
    );
    let done = ask(&alice, &room_id, "!oublier confirmer").await;
    assert!(
        done.contains("j'ai effacé votre accord, son historique et 1 réflexion"),
        "{done}"
    );
    assert!(ask(&alice, &room_id, "!reflexions")
        .await
        .contains("Aucune réflexion"));
    assert!(ask(&alice, &room_id, "!consentement etat")
        .await
        .contains("pas donné"));
    assert_eq!(bot.stop(), Some(0));
}

/// A tmpfs mounted on a folder, unmounted when dropped. `None` where the machine does not allow
/// mounting (not root): the test that needs it says so and stops.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(dir: &std::path::Path, megabytes: u32) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).ok()?;
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        status.success().then(|| Tmpfs(dir.to_owned()))
    }

    /// Fill it to the last byte.
    fn fill(&self) {
        let _ = std::process::Command::new("dd")
            .arg("if=/dev/zero")
            .arg(format!("of={}", self.0.join("filler").display()))
            .arg("bs=64k")
            .stderr(std::process::Stdio::null())
            .status();
    }

    fn free(&self) {
        std::fs::remove_file(self.0.join("filler")).expect("remove the filler");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

/// The disk of the store fills up: a reflection is answered "not saved" and is not kept, the
/// bot stays up, and once space returns it reopens its store by itself and saves again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_reported_and_the_bot_recovers_when_space_returns() {
    let alice = Human::new("alice").await;
    let reactions = watch_reactions(&alice);
    let room = alice.create_room(false, &[]).await;
    let room_id = room.room_id().to_owned();
    let mut bot = Bot::new(
        &[util::Tenant {
            id: "ml-test",
            rooms: vec![room_id.to_string()],
            coordination_level: 50,
            extra: "",
        }],
        &["localhost"],
    )
    .await;
    let Some(disk) = Tmpfs::mount(&bot.dir.join("data/store"), 32) else {
        println!("skipped: this machine does not allow mounting a tmpfs (run the suite as root)");
        return;
    };
    bot.start();
    room.invite_user_by_id(&bot.owned_user_id())
        .await
        .expect("invite");
    alice.wait_membership(&room_id, &bot.user_id, "join").await;
    assert!(ask(&alice, &room_id, "!consentement oui")
        .await
        .contains("c'est noté"));

    disk.fill();
    // A full tmpfs still takes a write that fits in a page the store's files already hold, and
    // a reflection is a small write since the outbox left sled: one may be saved, and then it
    // must be confirmed and kept (seen in 2 runs of 4, 2026-12-07). So reflections go in until
    // one is refused; every answer must be true.
    let long = "Le rappel par SMS la veille a évité des absences. ".repeat(34);
    let mut confirmed = Vec::new();
    let mut refused = None;
    for i in 0..8 {
        let id = alice
            .say(&room_id, &format!("!reflexion Essai {i} : {long} #plein"))
            .await;
        match answer_or_check(&alice, &bot.user_id, &id).await {
            Some(text) if text.contains("Je n'ai pas pu enregistrer") => {
                refused = Some(i);
                break;
            }
            Some(text) => {
                assert!(text.contains("Réflexion enregistrée"), "{text}");
                confirmed.push(i);
            }
            None => confirmed.push(i),
        }
    }
    let refused = refused.expect("the full disk refused none of 8 reflections");

    disk.free();
    let deadline = std::time::Instant::now() + util::TIMEOUT;
    while !bot
        .log()
        .iter()
        // The line the store logs when it reopened (others mention the phrase in passing).
        .any(|l| {
            l.trim_end()
                .ends_with("kitbot::store: the store works again")
        })
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the store did not recover:\n{}",
            bot.log().join("\n")
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let listed = ask(&alice, &room_id, "!reflexions #plein").await;
    assert!(
        !listed.contains(&format!("Essai {refused} :")),
        "told it was not kept, yet listed: {listed}\n{}",
        bot.log().join("\n")
    );
    for i in confirmed {
        assert!(
            listed.contains(&format!("Essai {i} :")),
            "confirmed, yet not listed: {listed}\n{}",
            bot.log().join("\n")
        );
    }
    let shared = alice
        .say(
            &room_id,
            "!reflexion Après le disque plein, ça repart #reprise",
        )
        .await;
    wait_check(&alice, &reactions, &bot.user_id, &shared).await;
    assert!(ask(&alice, &room_id, "!reflexions #reprise")
        .await
        .contains("ça repart"));
    assert_eq!(bot.stop(), Some(0));
    drop(disk);
}
