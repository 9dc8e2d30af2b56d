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
