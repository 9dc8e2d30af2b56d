//! The bot against a homeserver that goes away and comes back, and against Synapse's default
//! rate limits (`M_LIMIT_EXCEEDED`). Each test has its own Synapse, since they disturb it.

#![recursion_limit = "256"]

mod util;

use util::{Bot, Human, Synapse, Tenant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_reconnects_after_a_homeserver_outage() {
    let synapse = Synapse::start(true);
    let alice = Human::on(&synapse, "alice").await;
    let room = alice.create_room(false, &[]).await;
    let room_id = room.room_id().to_owned();
    let tenant = Tenant {
        id: "ml-test",
        rooms: vec![room_id.to_string()],
        coordination_level: 50,
        extra: "",
    };
    let mut bot = Bot::on(&synapse, &[tenant], &["localhost"], "").await;
    bot.start();
    room.invite_user_by_id(&bot.owned_user_id())
        .await
        .expect("invite");
    alice.wait_membership(&room_id, &bot.user_id, "join").await;
    let before = alice.say(&room_id, "!ping").await;
    alice.wait_reply(&before).await;

    synapse.stop();
    synapse.launch();
    // The bot was never restarted: it must have reconnected by itself.
    let after = alice.say(&room_id, "!ping").await;
    let reply = alice.wait_reply(&after).await;
    assert!(reply.body.contains("Pong"));
    let log = bot.log();
    let count = |text: &str| log.iter().filter(|l| l.contains(text)).count();
    assert_eq!(
        count("the homeserver does not answer"),
        1,
        "the outage is logged once when it starts, not once per retry:\n{}",
        log.join("\n")
    );
    assert_eq!(
        count("the homeserver answers again"),
        1,
        "and once when it ends"
    );
    assert_eq!(bot.stop(), Some(0));
}

/// The homeserver stops for 30 seconds right after commands were sent and while a nudge falls
/// due, then comes back: every command is answered once, the nudge is posted once, the outage
/// is logged once when it starts and once when it ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_30_second_outage_loses_and_doubles_nothing() {
    let synapse = Synapse::start(true);
    let alice = Human::on(&synapse, "alice").await;
    let room = alice.create_room(false, &[]).await;
    let room_id = room.room_id().to_owned();
    let tenant = Tenant {
        id: "ml-test",
        rooms: vec![room_id.to_string()],
        coordination_level: 50,
        extra: "[mission_locale.quiet_hours]\nweekends = false\nholidays = false\nstart = \"00:00\"\nend = \"00:00\"",
    };
    let mut bot = Bot::on(&synapse, &[tenant], &["localhost"], "").await;
    bot.start();
    room.invite_user_by_id(&bot.owned_user_id())
        .await
        .expect("invite");
    alice.wait_membership(&room_id, &bot.user_id, "join").await;
    let nudge = alice
        .say(&room_id, "!relance dans 15 secondes : Pendant la coupure")
        .await;
    alice.wait_reply(&nudge).await;
    let started = std::time::Instant::now();
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(alice.say(&room_id, &format!("!ping {i}")).await);
    }
    synapse.stop();
    // Down for 30 seconds: the scenario itself, a deadline on the clock. The nudge falls due
    // meanwhile.
    let down_until = started + std::time::Duration::from_secs(30);
    tokio::time::sleep(down_until.saturating_duration_since(std::time::Instant::now())).await;
    synapse.launch();
    for id in &ids {
        alice.wait_reply(id).await;
    }
    let bot_id = bot.user_id.clone();
    // The nudge itself, not the confirmation (a reply that quotes it).
    let is_nudge = |s: &util::Seen| {
        s.sender == bot_id && s.in_reply_to.is_none() && s.body.contains("Pendant la coupure")
    };
    alice
        .wait_for("the nudge", |seen| seen.iter().any(is_nudge))
        .await;
    // A last command after everything: nothing doubled arrives late.
    let marker = alice.say(&room_id, "!ping fin").await;
    alice.wait_reply(&marker).await;
    for id in &ids {
        assert_eq!(alice.replies_to(id).len(), 1, "one answer to {id}");
    }
    let nudges = alice.seen().iter().filter(|s| is_nudge(s)).count();
    assert_eq!(nudges, 1, "the nudge is posted once");
    let log = bot.log();
    let count = |text: &str| log.iter().filter(|l| l.contains(text)).count();
    assert!(
        count("the homeserver does not answer") <= 1,
        "the outage is logged once:\n{}",
        log.join("\n")
    );
    assert_eq!(bot.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_rate_limits_delay_answers_but_lose_none() {
    // Synapse's defaults: rc_message 0.2/s with a burst of 10.
    let synapse = Synapse::start(false);
    let alice = Human::on(&synapse, "alice").await;
    let room = alice.create_room(false, &[]).await;
    let room_id = room.room_id().to_owned();
    let tenant = Tenant {
        id: "ml-test",
        rooms: vec![room_id.to_string()],
        coordination_level: 50,
        extra: "",
    };
    let mut bot = Bot::on(&synapse, &[tenant], &["localhost"], "").await;
    bot.start();
    room.invite_user_by_id(&bot.owned_user_id())
        .await
        .expect("invite");
    alice.wait_membership(&room_id, &bot.user_id, "join").await;
    let mut ids = Vec::new();
    for _ in 0..13 {
        ids.push(alice.say(&room_id, "!ping").await);
    }
    for id in &ids {
        alice.wait_reply(id).await;
    }
    for id in &ids {
        assert_eq!(alice.replies_to(id).len(), 1, "one answer to {id}");
    }
    assert_eq!(bot.stop(), Some(0));
}

/// `kitbot backup` while the bot runs: the store is locked by the bot, so the command asks the
/// running bot (SIGUSR1) and prints the file it wrote.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_is_written_by_the_running_bot_on_request() {
    let alice = Human::new("alice").await;
    let room = alice.create_room(false, &[]).await;
    let room_id = room.room_id().to_owned();
    let mut bot = Bot::joined(&alice, &room_id, "").await;
    let ping = alice.say(&room_id, "!ping").await;
    alice.wait_reply(&ping).await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kitbot"))
        .args(["backup", "--config"])
        .arg(&bot.config)
        .env("KITBOT_LOG", "warn")
        .output()
        .expect("kitbot backup");
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("kitbot-backup-") && std::path::Path::new(&stdout).exists(),
        "{stdout}"
    );
    assert!(bot.log().iter().any(|l| l.contains("backup requested")));
    assert_eq!(bot.stop(), Some(0));
}

/// `kill -9` in the middle of a burst of commands that store reflections and create reminders,
/// then a restart: every command is answered once, every reflection confirmed with ✅ is kept,
/// and no reflection or reminder exists twice (counted through `kitbot export` and
/// `!mes-rappels`).
/// The Matrix SDK stores each sync response's position in its own store, and returns a
/// response whose position it has seen already with nothing in it. A crash after the SDK
/// stored a response but before the bot recorded its events must not lose them: the bot
/// aborts (an injected fault, `KITBOT_FAULT=abort-after-sync:<text>`) right after receiving the
/// response with the command, and after the restart the command is answered, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_the_sdks_sync_and_the_bots_loses_no_command() {
    let synapse = Synapse::start(true);
    let alice = Human::on(&synapse, "alice").await;
    let room = alice.create_room(false, &[]).await;
    let room_id = room.room_id().to_owned();
    let tenant = Tenant {
        id: "ml-test",
        rooms: vec![room_id.to_string()],
        coordination_level: 50,
        extra: "",
    };
    let mut bot = Bot::on(&synapse, &[tenant], &["localhost"], "").await;
    bot.start();
    room.invite_user_by_id(&bot.owned_user_id())
        .await
        .expect("invite");
    alice.wait_membership(&room_id, &bot.user_id, "join").await;
    let first = alice.say(&room_id, "!ping avant").await;
    alice.wait_reply(&first).await;
    assert_eq!(bot.stop(), Some(0));
    bot.env.push((
        "KITBOT_FAULT".into(),
        "abort-after-sync:!ping pendant".into(),
    ));
    bot.start();
    let command = alice.say(&room_id, "!ping pendant").await;
    let status = bot.wait_exit();
    assert!(!status.success(), "the injected fault aborts the bot");
    bot.env.clear();
    bot.start();
    alice.wait_reply(&command).await;
    let marker = alice.say(&room_id, "!ping après").await;
    alice.wait_reply(&marker).await;
    assert_eq!(alice.replies_to(&command).len(), 1, "answered once");
    assert_eq!(bot.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_burst_loses_no_confirmed_write_and_doubles_nothing() {
    let synapse = Synapse::start(true);
    let alice = Human::on(&synapse, "alice").await;
    let room = alice.create_room(false, &[]).await;
    let room_id = room.room_id().to_owned();
    let tenant = Tenant {
        id: "ml-test",
        rooms: vec![room_id.to_string()],
        coordination_level: 50,
        extra: "",
    };
    // The people of this test send fast: no per-person limit in the way.
    let mut bot = Bot::on(&synapse, &[tenant], &["localhost"], "command_burst = 1000").await;
    bot.start();
    room.invite_user_by_id(&bot.owned_user_id())
        .await
        .expect("invite");
    alice.wait_membership(&room_id, &bot.user_id, "join").await;
    const PEOPLE: usize = 5;
    const EACH: usize = 20;
    let mut people = Vec::new();
    for _ in 0..PEOPLE {
        let person = Human::on(&synapse, "equipe").await;
        room.invite_user_by_id(&person.user_id)
            .await
            .expect("invite");
        person.join(&room_id).await;
        let consent = person.say(&room_id, "!consentement oui").await;
        alice.wait_reply(&consent).await;
        people.push(person);
    }
    // Half the commands, the kill, the other half while the bot is dead, the restart.
    let mut commands: Vec<(usize, bool, matrix_sdk::ruma::OwnedEventId)> = Vec::new();
    for round in 0..EACH {
        if round == EACH / 2 {
            bot.kill_9();
        }
        for (p, person) in people.iter().enumerate() {
            let reflection = round % 2 == 0;
            let body = if reflection {
                format!("!reflexion Essai {p}-{round} : le rappel par SMS marche #charge")
            } else {
                format!("!me-rappeler dans 3 jours : relire la fiche {p}-{round}")
            };
            commands.push((p, reflection, person.say(&room_id, &body).await));
        }
    }
    bot.start();
    let bot_id = bot.user_id.clone();
    for (_, reflection, id) in &commands {
        if *reflection {
            // A reflection is confirmed by a ✅ (and, the first time, a notice).
            let target = id.to_string();
            let id_text = id.to_string();
            alice
                .wait_for("a ✅ or an answer", |seen| {
                    seen.iter().any(|s| {
                        s.sender == bot_id
                            && (s.reacts_to.as_deref() == Some(target.as_str())
                                || s.in_reply_to.as_deref() == Some(id_text.as_str()))
                    })
                })
                .await;
        } else {
            alice.wait_reply(id).await;
        }
    }
    let marker = alice.say(&room_id, "!ping fin").await;
    alice.wait_reply(&marker).await;
    // No command answered twice.
    for (_, reflection, id) in &commands {
        let replies = alice.replies_to(id).len();
        assert!(replies <= 1, "{id}: {replies} answers");
        if !reflection {
            assert_eq!(replies, 1, "{id}: the reminder is confirmed once");
        }
        if *reflection {
            assert!(
                alice.reactions_on(id.as_str(), &bot_id) <= 1,
                "{id}: one ✅"
            );
        }
    }
    // Each person has exactly their reminders, no double.
    for person in &people {
        let ask = person.say(&room_id, "!mes-rappels").await;
        let listing = alice.wait_reply(&ask).await.body;
        assert!(
            listing.contains(&format!("Vos {} rappels", EACH / 2)),
            "{}: {listing}",
            person.user_id
        );
    }
    assert_eq!(bot.stop(), Some(0));
    // Every reflection exactly once in the export.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kitbot"))
        .args([
            "export",
            "--mission-locale",
            "ml-test",
            "--format",
            "json",
            "--config",
        ])
        .arg(&bot.config)
        .env("KITBOT_LOG", "warn")
        .output()
        .expect("kitbot export");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let export = String::from_utf8_lossy(&out.stdout);
    for p in 0..PEOPLE {
        for round in (0..EACH).step_by(2) {
            let needle = format!("Essai {p}-{round} :");
            assert_eq!(export.matches(&needle).count(), 1, "{needle} in the export");
        }
    }
}
