//! When things fire: pure functions over a [`Schedule`], a zone and quiet hours. No store, no
//! clock, no sending. Owns three rules:
//!
//! - a firing inside quiet hours moves to the next allowed moment ([`next_allowed`]);
//! - firings that quiet hours would pile onto the same moment (a daily 20:00 nudge over a
//!   weekend) go out once: the next slot is the first whose due time is later than the last;
//! - after downtime ([`catch_up`]): the latest missed firing goes out late if it is within the
//!   grace period, every other missed firing is only counted, for one summary message.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::schedule::{next_allowed, QuietRules, Schedule};

use super::model::Slot;

/// Most nominal firings looked at to find the next slot (quiet hours can swallow a few weeks of
/// an every-minute cron; beyond that the nudge is as good as never allowed).
const MAX_SCAN: usize = 50_000;
/// Most missed firings counted one by one after downtime; past it, the count is a lower bound.
/// At most this many missed firings are walked through (under the nudges lock): past that,
/// the count is a lower bound and the schedule jumps to what is still ahead.
pub const MAX_CATCH_UP: u64 = 1_000;

/// The rules in force: `None` when nothing is ever quiet (saves the work).
pub fn rules(quiet: &QuietRules) -> Option<&QuietRules> {
    (!quiet.is_never_quiet()).then_some(quiet)
}

fn due_of(nominal: DateTime<Utc>, tz: Tz, quiet: Option<&QuietRules>) -> DateTime<Utc> {
    match quiet {
        Some(q) => next_allowed(nominal, tz, q),
        None => nominal,
    }
}

/// The first slot whose nominal time is after `after_nominal` and whose due time is after
/// `after_due` (when given). A firing moved out of quiet hours gives way to a later firing that
/// lands on the same local day: "chaque jour à 9h" posts on Monday at 09:00, not at 08:00 for
/// Saturday and again at 09:00.
pub fn next_slot(
    schedule: &Schedule,
    tz: Tz,
    quiet: Option<&QuietRules>,
    after_nominal: DateTime<Utc>,
    after_due: Option<DateTime<Utc>>,
) -> Option<Slot> {
    let mut cursor = after_nominal;
    let mut moved: Option<Slot> = None;
    for _ in 0..MAX_SCAN {
        let Some(nominal) = schedule.next_after(cursor, tz) else {
            return moved;
        };
        cursor = nominal;
        let due = due_of(nominal, tz, quiet);
        if after_due.is_some_and(|d| due <= d) || moved.is_some_and(|m| due <= m.due) {
            continue;
        }
        if let Some(m) = moved {
            let same_day =
                m.due.with_timezone(&tz).date_naive() == due.with_timezone(&tz).date_naive();
            if !same_day {
                return Some(m);
            }
        }
        let slot = Slot { nominal, due };
        if !slot.moved() {
            return Some(slot);
        }
        moved = Some(slot);
    }
    moved
}

/// The first slot at or after `from` (a new nudge, a resumed one, the end of a pause).
pub fn first_slot(
    schedule: &Schedule,
    tz: Tz,
    quiet: Option<&QuietRules>,
    from: DateTime<Utc>,
) -> Option<Slot> {
    next_slot(
        schedule,
        tz,
        quiet,
        from - Duration::nanoseconds(1),
        Some(from - Duration::nanoseconds(1)),
    )
}

/// The first slot strictly after `now` (a new or resumed nudge: "chaque lundi à 9h" typed on a
/// Monday at 09:00 starts next Monday, as `kitbot schedule` shows).
/// The shortest interval a recurring nudge or reminder may have: more often would be noise
/// in a team room, and one person could fill the homeserver's send budget.
pub const MIN_RECURRING_GAP: Duration = Duration::minutes(15);

/// Whether a recurring schedule fires more often than [`MIN_RECURRING_GAP`] (looked at over its
/// next 96 firings, a day of quarter hours).
pub fn too_frequent(schedule: &Schedule, tz: Tz, now: DateTime<Utc>) -> bool {
    if schedule.is_one_off() {
        return false;
    }
    let firings = schedule.next_n(now, tz, 96);
    firings
        .windows(2)
        .any(|pair| pair[1] - pair[0] < MIN_RECURRING_GAP)
}

pub fn slot_after(
    schedule: &Schedule,
    tz: Tz,
    quiet: Option<&QuietRules>,
    now: DateTime<Utc>,
) -> Option<Slot> {
    next_slot(schedule, tz, quiet, now, Some(now))
}

/// `first` and the slots after it, `n` in all (fewer when the schedule ends).
pub fn upcoming(
    schedule: &Schedule,
    tz: Tz,
    quiet: Option<&QuietRules>,
    first: Option<Slot>,
    n: usize,
) -> Vec<Slot> {
    let mut out: Vec<Slot> = first.into_iter().collect();
    while out.len() < n {
        let Some(last) = out.last().copied() else {
            break;
        };
        match next_slot(schedule, tz, quiet, last.nominal, Some(last.due)) {
            Some(slot) => out.push(slot),
            None => break,
        }
    }
    out.truncate(n);
    out
}

/// What to do with an item whose slot is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatchUp {
    /// The firing to send now (on time, or late within the grace period).
    pub send: Option<Slot>,
    /// Firings that will never be sent (missed by more than the grace period, or superseded by
    /// a later one), counted for the summary.
    pub missed: u64,
    /// The latest of those missed firings.
    pub last_missed: Option<Slot>,
    /// The slot after everything due.
    pub next: Option<Slot>,
    /// `missed` is a lower bound: the walk stopped at [`MAX_CATCH_UP`].
    pub truncated: bool,
}

/// Walk the firings from `slot` (due at or before `now`) up to `now`.
pub fn catch_up(
    schedule: &Schedule,
    tz: Tz,
    quiet: Option<&QuietRules>,
    slot: Slot,
    now: DateTime<Utc>,
    grace: Duration,
) -> CatchUp {
    let mut current = slot;
    let mut missed = 0u64;
    let mut last_missed = None;
    let mut next = next_slot(schedule, tz, quiet, current.nominal, Some(current.due));
    while let Some(n) = next.filter(|n| n.due <= now) {
        missed += 1;
        last_missed = Some(current);
        current = n;
        if missed >= MAX_CATCH_UP {
            // Far behind: jump to what is still ahead rather than walk years of firings.
            next = next_slot(schedule, tz, quiet, now, Some(now));
            return CatchUp {
                send: None,
                missed: missed + 1,
                last_missed: Some(current),
                next,
                truncated: true,
            };
        }
        next = next_slot(schedule, tz, quiet, current.nominal, Some(current.due));
    }
    if now - current.due <= grace {
        CatchUp {
            send: Some(current),
            missed,
            last_missed,
            next,
            truncated: false,
        }
    } else {
        CatchUp {
            send: None,
            missed: missed + 1,
            last_missed: Some(current),
            next,
            truncated: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::parse;

    const PARIS: Tz = chrono_tz::Europe::Paris;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("valid")
            .with_timezone(&Utc)
    }

    fn local(d: DateTime<Utc>) -> String {
        d.with_timezone(&PARIS).format("%a %d %H:%M").to_string()
    }

    #[test]
    fn quiet_hours_move_firings_and_never_pile_them_up() {
        // Wednesday 25 November 2026; a daily 20:00 nudge.
        let now = t("2026-11-25T10:00:00+01:00");
        let schedule = parse("chaque jour à 20h", PARIS, now).expect("schedule");
        let quiet = QuietRules::default();
        let first = first_slot(&schedule, PARIS, Some(&quiet), now);
        let slots = upcoming(&schedule, PARIS, Some(&quiet), first, 4);
        let shown: Vec<String> = slots
            .iter()
            .map(|s| format!("{}→{}", local(s.nominal), local(s.due)))
            .collect();
        assert_eq!(
            shown,
            [
                "Wed 25 20:00→Thu 26 08:00",
                "Thu 26 20:00→Fri 27 08:00",
                // Friday, Saturday and Sunday evenings all land on Monday 08:00: sent once.
                "Fri 27 20:00→Mon 30 08:00",
                "Mon 30 20:00→Tue 01 08:00",
            ]
        );
        assert!(slots.iter().all(Slot::moved));
        // Without quiet rules, nothing moves.
        let plain = upcoming(
            &schedule,
            PARIS,
            None,
            first_slot(&schedule, PARIS, None, now),
            2,
        );
        assert!(plain.iter().all(|s| !s.moved()));
    }

    #[test]
    fn a_moved_firing_gives_way_to_one_the_same_day() {
        // Friday 27 November 2026, 10:00; every day at 9:00.
        let now = t("2026-11-27T10:00:00+01:00");
        let schedule = parse("chaque jour à 9h", PARIS, now).expect("schedule");
        let quiet = QuietRules::default();
        let first = first_slot(&schedule, PARIS, Some(&quiet), now);
        let slots = upcoming(&schedule, PARIS, Some(&quiet), first, 2);
        let shown: Vec<String> = slots.iter().map(|s| local(s.due)).collect();
        assert_eq!(shown, ["Mon 30 09:00", "Tue 01 09:00"]);
        assert!(slots.iter().all(|s| !s.moved()));
        // Each Saturday alone still moves to Monday 08:00.
        let schedule = parse("chaque samedi à 10h", PARIS, now).expect("schedule");
        let slot = first_slot(&schedule, PARIS, Some(&quiet), now).expect("slot");
        assert_eq!(local(slot.due), "Mon 30 08:00");
    }

    #[test]
    fn the_first_slot_may_be_now_exactly() {
        let now = t("2026-11-30T09:00:00+01:00");
        let schedule = parse("chaque lundi à 9h", PARIS, now).expect("schedule");
        let slot = first_slot(&schedule, PARIS, None, now).expect("slot");
        assert_eq!(slot.nominal, now);
    }

    struct Case {
        name: &'static str,
        now: &'static str,
        send: Option<&'static str>,
        missed: u64,
        next: &'static str,
    }

    #[test]
    fn catch_up_sends_the_latest_within_grace_and_counts_the_rest() {
        // Every day at 9:00, first due Monday 30 November.
        let created = t("2026-11-29T12:00:00+01:00");
        let schedule = parse("chaque jour à 9h", PARIS, created).expect("schedule");
        let slot = first_slot(&schedule, PARIS, None, created).expect("slot");
        let cases = [
            Case {
                name: "on time",
                now: "2026-11-30T09:00:00.004+01:00",
                send: Some("Mon 30 09:00"),
                missed: 0,
                next: "Tue 01 09:00",
            },
            Case {
                name: "late within grace",
                now: "2026-11-30T09:59:00+01:00",
                send: Some("Mon 30 09:00"),
                missed: 0,
                next: "Tue 01 09:00",
            },
            Case {
                name: "too late",
                now: "2026-11-30T10:01:00+01:00",
                send: None,
                missed: 1,
                next: "Tue 01 09:00",
            },
            Case {
                name: "three days down, back just after a firing",
                now: "2026-12-03T09:30:00+01:00",
                send: Some("Thu 03 09:00"),
                missed: 3,
                next: "Fri 04 09:00",
            },
        ];
        for c in cases {
            let out = catch_up(
                &schedule,
                PARIS,
                None,
                slot,
                t(c.now),
                Duration::minutes(60),
            );
            assert_eq!(
                out.send.map(|s| local(s.nominal)).as_deref(),
                c.send,
                "{}",
                c.name
            );
            assert_eq!(out.missed, c.missed, "{}", c.name);
            assert_eq!(
                out.next.map(|s| local(s.nominal)).as_deref(),
                Some(c.next),
                "{}",
                c.name
            );
        }
    }

    #[test]
    fn a_one_off_has_no_next() {
        let now = t("2026-11-30T09:00:00+01:00");
        let schedule = parse("demain à 10h", PARIS, now).expect("schedule");
        let slot = first_slot(&schedule, PARIS, None, now).expect("slot");
        let out = catch_up(
            &schedule,
            PARIS,
            None,
            slot,
            slot.due,
            Duration::minutes(60),
        );
        assert_eq!(out.send, Some(slot));
        assert_eq!(out.next, None);
    }

    #[test]
    fn an_every_minute_cron_far_behind_is_bounded() {
        let created = t("2026-01-05T09:00:00+01:00");
        let schedule = parse("* * * * *", PARIS, created).expect("schedule");
        let slot = first_slot(&schedule, PARIS, None, created).expect("slot");
        let now = created + Duration::days(200);
        let out = catch_up(&schedule, PARIS, None, slot, now, Duration::minutes(60));
        assert!(out.missed >= MAX_CATCH_UP && out.truncated);
        assert!(out.next.is_some_and(|n| n.due > now));
    }
}
