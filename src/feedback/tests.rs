use super::*;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("instant")
}

fn asked(tenant: &str, card: Option<&str>, text: Option<&str>, now: DateTime<Utc>) -> Asked {
    Asked {
        tenant: tenant.into(),
        room_id: "!r:x".into(),
        text: text.map(str::to_owned),
        shape: "rdv visio".into(),
        best_score: 3.5,
        card: card.map(str::to_owned),
        at: now,
    }
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day")
}

#[test]
fn a_vote_counts_once_per_person_and_answer_and_can_be_undone() {
    let store = Store::temporary().expect("store");
    let feedback = Feedback::new(store.clone());
    let now = at("2026-12-01T10:00:00Z");
    feedback
        .answered(
            "$q1",
            asked("ml", Some("sms-rappel"), None, now),
            day("2026-12-01"),
        )
        .expect("answered");
    // A replay of the same answer is not a second read.
    feedback
        .answered(
            "$q1",
            asked("ml", Some("sms-rappel"), None, now),
            day("2026-12-01"),
        )
        .expect("replay");
    let vote = |reaction: &str, who: &str, useful: bool| {
        feedback
            .vote("ml", "$q1", reaction, who, useful, now)
            .expect("vote")
    };
    assert_eq!(vote("$r1", "@alice:x", true), Voted::Counted);
    assert_eq!(vote("$r2", "@alice:x", true), Voted::AlreadyCounted);
    assert_eq!(vote("$r3", "@alice:x", false), Voted::Counted);
    assert_eq!(vote("$r4", "@bob:x", true), Voted::Counted);
    // Another Mission Locale's reaction cannot count on this answer.
    assert_eq!(
        feedback
            .vote("other", "$q1", "$r5", "@eve:x", true, now)
            .expect("vote"),
        Voted::NotAnAnswer
    );
    assert_eq!(
        feedback
            .vote("ml", "$unknown", "$r6", "@bob:x", true, now)
            .expect("vote"),
        Voted::NotAnAnswer
    );
    let cards = feedback.by_card("ml", None, None).expect("by card");
    assert_eq!(
        cards.get("sms-rappel"),
        Some(&Tally {
            reads: 1,
            useful: 2,
            not_useful: 1
        })
    );
    // Alice takes her 👍 back, then gives it again: still one.
    assert!(feedback.unvote("$r1").expect("unvote"));
    assert!(!feedback.unvote("$r1").expect("unvote twice"));
    assert_eq!(vote("$r7", "@alice:x", true), Voted::Counted);
    let cards = feedback.by_card("ml", None, None).expect("by card");
    assert_eq!(cards["sms-rappel"].useful, 2);
    // Nothing stored names a person (the answers' records are in the ledger).
    store.flush_blocking().expect("flush");
    let mut answers = Vec::new();
    store
        .ledger()
        .export(|tree, k, v| {
            if tree == ANSWERS {
                answers.push((k.to_vec(), v.to_vec()));
            }
            Ok(())
        })
        .expect("ledger");
    assert!(!answers.is_empty(), "the answers are recorded");
    let sled_entries = [TALLIES, VOTES, VOTERS, QUESTIONS]
        .into_iter()
        .flat_map(|tree| {
            store
                .tree(tree)
                .expect("tree")
                .iter()
                .map(move |item| {
                    let (k, v) = item.expect("item");
                    (tree, k.to_vec(), v.to_vec())
                })
                .collect::<Vec<_>>()
        });
    let entries = answers
        .into_iter()
        .map(|(k, v)| (ANSWERS, k, v))
        .chain(sled_entries);
    for (tree, k, v) in entries {
        for who in ["alice", "bob", "eve"] {
            assert!(
                !String::from_utf8_lossy(&k).contains(who)
                    && !String::from_utf8_lossy(&v).contains(who),
                "{tree} names {who}"
            );
        }
    }
}

#[tokio::test]
async fn a_question_is_passed_on_only_when_offered_recent_and_accepted_by_the_guard() {
    let store = Store::temporary().expect("store");
    let feedback = Feedback::new(store.clone());
    let now = at("2026-12-01T10:00:00Z");
    feedback
        .answered(
            "$q1",
            asked("ml", None, Some("rdv visio sans camera"), now),
            day("2026-12-01"),
        )
        .expect("answered");
    feedback
        .answered("$q2", asked("ml", None, None, now), day("2026-12-01"))
        .expect("answered");
    // Not offered: nothing to pass on.
    assert_eq!(
        feedback
            .pass_on_offered("ml", "!r:x", "@a:x", Why::NoMatch, now)
            .await
            .expect("pass on"),
        PassOn::NothingRecent
    );
    feedback.offer("ml", "!r:x", "@a:x", "$q1");
    feedback.offer("ml", "!r:x", "@b:x", "$q2");
    // Too late.
    let later = now + chrono::Duration::minutes(OFFER_MINUTES + 1);
    assert_eq!(
        feedback
            .pass_on_offered("ml", "!r:x", "@a:x", Why::NoMatch, later)
            .await
            .expect("pass on"),
        PassOn::NothingRecent
    );
    // The guard refused $q2's text: it cannot be passed on.
    assert_eq!(
        feedback
            .pass_on_offered("ml", "!r:x", "@b:x", Why::NoMatch, now)
            .await
            .expect("pass on"),
        PassOn::Personal
    );
    assert_eq!(
        feedback
            .pass_on_offered("ml", "!r:x", "@a:x", Why::NoMatch, now)
            .await
            .expect("pass on"),
        PassOn::Kept
    );
    let kept = feedback.questions(Some("ml"), None).expect("questions");
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].text, "rdv visio sans camera");
    assert!(feedback
        .questions(Some("other"), None)
        .expect("questions")
        .is_empty());
    // Once passed on, the offer is used up.
    assert_eq!(
        feedback
            .pass_on_offered("ml", "!r:x", "@a:x", Why::NoMatch, now)
            .await
            .expect("pass on"),
        PassOn::NothingRecent
    );
}

#[test]
fn questions_of_one_shape_are_grouped_most_frequent_first() {
    let q = |text: &str, shape: &str, tenant: &str| Question {
        tenant: tenant.into(),
        text: text.into(),
        shape: shape.into(),
        best_score: 1.0,
        card: None,
        why: Why::NoMatch,
        at: at("2026-12-01T10:00:00Z"),
    };
    let groups = group(&[
        q("permis de conduire", "conduir permis", "a"),
        q("rdv visio", "rendez-vous visio", "a"),
        q("rendez-vous en visio", "rendez-vous visio", "b"),
        q("rdv visio", "rendez-vous visio", "a"),
    ]);
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0].count, 3);
    assert_eq!(
        groups[0].wordings,
        vec!["rdv visio", "rendez-vous en visio"]
    );
    assert_eq!(groups[0].missions_locales, vec!["a", "b"]);
    assert_eq!(groups[1].count, 1);
}

#[test]
fn old_votes_and_questions_past_retention_are_pruned() {
    let store = Store::temporary().expect("store");
    let feedback = Feedback::new(store.clone());
    let then = at("2026-01-01T10:00:00Z");
    feedback
        .answered(
            "$q1",
            asked("ml", Some("sms-rappel"), None, then),
            day("2026-01-01"),
        )
        .expect("answered");
    feedback
        .vote("ml", "$q1", "$r1", "@a:x", true, then)
        .expect("vote");
    let question = Question {
        tenant: "ml".into(),
        text: "x".into(),
        shape: "x".into(),
        best_score: 0.0,
        card: None,
        why: Why::Written,
        at: then,
    };
    store
        .put(QUESTIONS, b"ml|0000000000001|1", &question)
        .expect("put");
    // Which card answered goes to the ledger with the next flush (as in the bot, which flushes
    // after every sync response and every 500 ms).
    store.flush_blocking().expect("flush");
    let months: HashMap<String, u32> = [("ml".to_owned(), 12)].into();
    // Within the retention: the question stays; votes are 30 days only.
    let now = at("2026-06-01T10:00:00Z");
    assert_eq!(feedback.prune(now, &months).expect("prune"), 3);
    assert_eq!(feedback.questions(None, None).expect("q").len(), 1);
    // The counts stay (they name nobody).
    assert_eq!(
        feedback.by_card("ml", None, None).expect("c")["sms-rappel"].useful,
        1
    );
    let much_later = at("2027-03-01T10:00:00Z");
    assert_eq!(feedback.prune(much_later, &months).expect("prune"), 1);
    assert!(feedback.questions(None, None).expect("q").is_empty());
}
