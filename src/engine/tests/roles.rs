//! Who may do what: every command × every kind of sender, from the adapter's own decisions
//! (the pure functions of `matrix::roles` and `matrix::tenants`) to the engine's answer. A
//! person the adapter does not serve gets nothing; a member is refused the coordination
//! commands; a direct room never reaches a team room's data; another Mission Locale's
//! coordinator never sees this one's.

use super::*;
use crate::core::Role;
use crate::matrix::roles::{decide_role, RoleFacts};
use crate::matrix::tenants::{decide_dm_tenant, is_private_with, DmTenant};

const ROOM: &str = "!room:example.org";
const OTHER_ROOM: &str = "!autre:example.org";
const DM: &str = "!dm:example.org";
const BOT: &str = "@kitbot:example.org";
const PERSON: &str = "@pat:example.org";
/// Words of the demo team's data, which no answer outside its team room may show.
const TEAM_SECRET: &str = "Secret d'équipe";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Allowed,
    Refused,
    /// The adapter hands nothing to the engine.
    NotServed,
}
use Expect::*;

/// Where and as whom an event reaches the engine, or `None` when the adapter serves nobody.
struct Actor {
    name: &'static str,
    served: Option<(String, String, bool, Role)>,
}

fn actors() -> Vec<Actor> {
    let team = |level: Option<i64>, joined: bool| {
        decide_role(RoleFacts {
            direct: false,
            joined,
            level,
            threshold: 50,
        })
    };
    let v = |m: &[&str]| m.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let dm = |joined: Vec<String>, recorded: Option<&str>, teams: Vec<String>| {
        if !is_private_with(BOT, PERSON, &joined, &[]) {
            return None;
        }
        match decide_dm_tenant(recorded, &teams) {
            DmTenant::Use(tenant) => Some((
                tenant,
                DM.to_owned(),
                true,
                decide_role(RoleFacts {
                    direct: true,
                    joined: true,
                    level: Some(100),
                    threshold: 50,
                }),
            )),
            DmTenant::Ask(_) | DmTenant::NoTeam => None,
        }
    };
    vec![
        Actor {
            name: "member",
            served: Some(("demo".into(), ROOM.into(), false, team(Some(0), true))),
        },
        Actor {
            name: "coordinator",
            served: Some(("demo".into(), ROOM.into(), false, team(Some(100), true))),
        },
        Actor {
            name: "coordinator who left (still in the power levels)",
            served: Some(("demo".into(), ROOM.into(), false, team(Some(100), false))),
        },
        Actor {
            name: "coordinator of another Mission Locale, in its room",
            served: Some((
                "autre".into(),
                OTHER_ROOM.into(),
                false,
                team(Some(100), true),
            )),
        },
        Actor {
            name: "team coordinator in a direct room",
            served: dm(v(&[BOT, PERSON]), Some("demo"), v(&["demo"])),
        },
        Actor {
            name: "outsider in a direct room",
            served: dm(v(&[BOT, PERSON]), None, Vec::new()),
        },
        Actor {
            name: "group room claiming to be a direct room",
            served: dm(
                v(&[BOT, PERSON, "@eve:example.org"]),
                Some("demo"),
                v(&["demo"]),
            ),
        },
        Actor {
            name: "person in two Missions Locales, not chosen yet",
            served: dm(v(&[BOT, PERSON]), None, v(&["demo", "autre"])),
        },
    ]
}

fn event(engine: &Engine, served: &(String, String, bool, Role), body: &str) -> Incoming {
    let mut incoming = message(body, served.3, engine.now());
    incoming.tenant = served.0.clone();
    incoming.room_id = served.1.clone();
    incoming.is_direct = served.2;
    incoming.sender = PERSON.into();
    incoming
}

/// Every text the engine sends for the event.
fn texts(out: &[Outgoing]) -> String {
    out.iter()
        .filter_map(Outgoing::markdown)
        .collect::<Vec<_>>()
        .join("\n")
}

fn refused(answer: &str) -> bool {
    answer.contains("est réservée à la coordination")
        || answer.contains(crate::strings::nudges::ROOM_ONLY)
        || answer.contains(crate::strings::reflections::IN_DIRECT)
}

#[tokio::test]
async fn every_command_by_every_kind_of_sender() {
    let (engine, _) = super::reflections::two_tenants();
    // The demo team's own data, written by someone else in its room.
    let mut seed = message("!consentement oui", Role::Coordination, engine.now());
    seed.sender = "@carla:example.org".into();
    engine.handle(&seed).await;
    for body in [
        format!("!reflexion {TEAM_SECRET} sur la visio #visio"),
        format!("!relance chaque lundi à 9h : {TEAM_SECRET} du lundi"),
    ] {
        let mut e = message(&body, Role::Coordination, engine.now());
        e.sender = "@carla:example.org".into();
        assert!(!replies(engine.handle(&e).await).is_empty(), "{body}");
    }

    // Coordination commands: a coordinator of a team room only.
    let coordination = [
        Refused, Allowed, Refused, Allowed, Refused, NotServed, NotServed, NotServed,
    ];
    // Everyone served, anywhere.
    let everyone = [
        Allowed, Allowed, Allowed, Allowed, Allowed, NotServed, NotServed, NotServed,
    ];
    // Everyone served, in a team room only.
    let team_room = [
        Allowed, Allowed, Allowed, Allowed, Refused, NotServed, NotServed, NotServed,
    ];
    let table: &[(&str, &str, [Expect; 8])] = &[
        ("aide", "!aide", everyone),
        ("ping", "!ping", everyone),
        ("kit", "!kit visio premier rendez-vous", everyone),
        ("fiche", "!fiche sms-rappel", everyone),
        ("themes", "!themes", everyone),
        ("theme", "!theme visio", everyone),
        ("consentement", "!consentement", everyone),
        ("reflexion", "!reflexion Un essai du soir #sms", team_room),
        ("reflexions", "!reflexions", everyone),
        ("mes-donnees", "!mes-donnees", everyone),
        ("oublier", "!oublier", everyone),
        (
            "me-rappeler",
            "!me-rappeler demain à 9h : appeler le partenaire",
            everyone,
        ),
        ("mes-rappels", "!mes-rappels", everyone),
        ("plus-tard", "!plus-tard 2h", everyone),
        ("silence", "!silence", everyone),
        (
            "relance",
            "!relance chaque mardi à 9h : Point",
            coordination,
        ),
        ("relances", "!relances", coordination),
        ("bilan", "!bilan", coordination),
        ("digest", "!digest oui", coordination),
        (
            "transmettre",
            "!transmettre une question sur le kit",
            everyone,
        ),
        (
            "parcours",
            "!parcours demarrer premiers-pas chaque jeudi à 10h",
            coordination,
        ),
    ];
    // Every command of the registry has its row.
    for spec in engine.commands().specs() {
        assert!(
            table.iter().any(|(name, _, _)| *name == spec.name),
            "no row for !{}",
            spec.name
        );
    }
    // The marker is there to be found, in its own room, by its own coordinator.
    let own = event(
        &engine,
        actors()[1].served.as_ref().expect("served"),
        "!relances",
    );
    assert!(texts(&engine.handle(&own).await).contains(TEAM_SECRET));
    let own = event(
        &engine,
        actors()[1].served.as_ref().expect("served"),
        "!reflexions",
    );
    assert!(texts(&engine.handle(&own).await).contains(TEAM_SECRET));
    let actors = actors();
    for (name, body, expected) in table {
        for (actor, expect) in actors.iter().zip(expected) {
            let Some(served) = &actor.served else {
                assert_eq!(*expect, NotServed, "!{name} by {}: served", actor.name);
                continue;
            };
            let out = engine.handle(&event(&engine, served, body)).await;
            let answer = texts(&out);
            let got = if refused(&answer) { Refused } else { Allowed };
            assert_eq!(got, *expect, "!{name} by {}: {answer}", actor.name);
            if got == Allowed {
                assert_real_answer(&answer, &format!("!{name} by {}", actor.name));
            }
            // Outside the demo team room, nothing of the demo team's data shows.
            if served.1 != ROOM {
                assert!(
                    !answer.contains(TEAM_SECRET),
                    "!{name} by {} showed the team's data: {answer}",
                    actor.name
                );
            }
        }
    }
}
