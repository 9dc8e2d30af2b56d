//! Every command, fed injection payloads as its arguments (Markdown links, HTML, mentions,
//! bidi controls, addresses that clients turn into links), and every reply checked: nothing the
//! user typed comes back as formatting, a link, a mention or a reordering of the sentence.
//! Texts that are stored and shown later (a nudge, a reminder, a reflection) are checked where
//! they are shown too.

use super::{engine_at, message, replies};
use crate::commands::CommandSet;
use crate::core::{Outgoing, Role};

const PAYLOADS: &[&str] = &[
    "[Reconnexion](https://evil.invalid/x)",
    "<b>gras</b><script>alert(1)</script>",
    "@room attention",
    "@eve:evil.invalid au secours",
    "abc\u{202e}fed\u{2066}x",
    "**gras** _italique_ `code` ~~barré~~",
    "https://evil.invalid/y www.evil.invalid",
    "# titre\n> citation\n- liste",
];

/// Whether `pattern` occurs in `reply` other than right after a backslash (an escaped `<`
/// or `[` is plain text once rendered).
fn unescaped(reply: &str, pattern: &str) -> bool {
    reply
        .match_indices(pattern)
        .any(|(at, _)| !reply[..at].ends_with('\\'))
}

/// What must never appear in a reply, for each payload.
fn leaks(reply: &str) -> Vec<&'static str> {
    let mut found = Vec::new();
    for bad in [
        "](https://evil",
        "https://evil",
        "www.evil",
        "<b>",
        "<script",
        "@room",
        "@eve:evil",
        "\u{202e}",
        "\u{2066}",
        "**gras**",
        "`code`",
        "~~barré~~",
    ] {
        if unescaped(reply, bad) {
            found.push(bad);
        }
    }
    found
}

fn texts(out: &[Outgoing]) -> Vec<String> {
    out.iter()
        .filter_map(|o| o.markdown().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn no_command_echoes_an_injection() {
    let (engine, _) = engine_at("2026-11-30T08:00:00Z");
    let specs = CommandSet::from_files(&crate::assets::embedded("commands/")).expect("commands");
    let mut checked = 0;
    let mut problems = Vec::new();
    // With consent, so that !reflexion goes as far as the guards and the store.
    replies(
        engine
            .handle(&message("!consentement oui", Role::Membre, engine.now()))
            .await,
    );
    for spec in specs.specs() {
        for payload in PAYLOADS {
            for prefix in ["", "annuler ", "pause R1 ", "modifier R1 ", "demarrer "] {
                let body = format!("!{} {prefix}{payload}", spec.name);
                let out = engine
                    .handle(&message(&body, Role::Coordination, engine.now()))
                    .await;
                for text in texts(&out) {
                    checked += 1;
                    let found = leaks(&text);
                    if !found.is_empty() {
                        problems.push(format!("{body:?} → {found:?}: {text}"));
                    }
                }
            }
        }
    }
    // Where stored text is shown again.
    for body in [
        "!relances",
        "!relances toutes",
        "!mes-rappels",
        "!reflexions",
        "!mes-donnees",
    ] {
        let out = engine
            .handle(&message(body, Role::Coordination, engine.now()))
            .await;
        for text in texts(&out) {
            checked += 1;
            let found = leaks(&text);
            if !found.is_empty() {
                problems.push(format!("{body:?} → {found:?}: {text}"));
            }
        }
    }
    assert!(checked > 500, "only {checked} replies checked");
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[tokio::test]
async fn a_stored_nudge_is_posted_escaped() {
    let (engine, clock) = engine_at("2026-11-30T08:00:00Z");
    for payload in PAYLOADS {
        let body = format!("!relance dans 1 minute : {payload}");
        let answer = replies(
            engine
                .handle(&message(&body, Role::Coordination, engine.now()))
                .await,
        );
        // A coordinator's "@room" is a real request, which the confirmation explains in its
        // own words: only that word is allowed here.
        let found: Vec<&str> = leaks(&answer)
            .into_iter()
            .filter(|l| *l != "@room")
            .collect();
        assert!(found.is_empty(), "{body:?}: {found:?} {answer}");
    }
    // What the scheduler posts: the nudge's text as rendered.
    clock.advance(chrono::Duration::minutes(2));
    let nudges = engine
        .nudges()
        .of_place("demo", "!room:example.org")
        .expect("nudges");
    assert_eq!(nudges.len(), PAYLOADS.len());
    for nudge in nudges {
        let posted = crate::nudges::render_for_tests(engine.kit(), &nudge);
        // The posted text is escaped, "@room" included: whether the whole room is notified is
        // decided by the post's m.mentions (and the bot's power level), not by the text.
        let found = leaks(&posted);
        assert!(found.is_empty(), "{found:?}: {posted}");
    }
}
