//! Adoption figures of parcours runs, as pictures and reports show them: per step, how many
//! people reacted ✅, day by day (the `!parcours etat` chart) or within a period (the HTML
//! report). Pure functions over [`Run`] records: no store, no clock, no French; they count
//! people, never name them.
//!
//! A ✅ counts from the moment it was sent; one recorded before ticks had a time counts from
//! its step's posting. A person who ticked a step twice (✅ then 👍) counts once, from the
//! first.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;

use super::model::{Run, Tick};

/// The longest span a daily chart covers; older days are folded into the first one.
pub const MAX_CHART_DAYS: u64 = 366;

/// One step's curve: distinct people who had ticked it by the end of each day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepCurve {
    /// The step, from 0.
    pub step: usize,
    /// One count per day of [`DailyTicks::days`].
    pub people: Vec<usize>,
}

/// A run's ✅ day by day (local dates of the Mission Locale), for each posted step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyTicks {
    pub days: Vec<NaiveDate>,
    pub steps: Vec<StepCurve>,
}

impl DailyTicks {
    /// The largest count of any step on any day.
    pub fn max_people(&self) -> usize {
        self.steps
            .iter()
            .flat_map(|s| s.people.iter().copied())
            .max()
            .unwrap_or(0)
    }
}

/// When a tick counts from: its own time, or its step's posting for an old tick.
fn tick_time(run: &Run, tick: &Tick) -> Option<DateTime<Utc>> {
    tick.at.or_else(|| {
        run.posted
            .iter()
            .filter(|p| p.step == tick.step)
            .map(|p| p.at)
            .min()
    })
}

/// Each person's first ✅ on `step`, in order of the person's id (deterministic).
fn first_ticks(run: &Run, step: usize) -> BTreeMap<&str, DateTime<Utc>> {
    let mut first: BTreeMap<&str, DateTime<Utc>> = BTreeMap::new();
    for tick in run.ticks.iter().filter(|t| t.step == step) {
        let Some(at) = tick_time(run, tick) else {
            continue;
        };
        first
            .entry(tick.user.as_str())
            .and_modify(|t| *t = (*t).min(at))
            .or_insert(at);
    }
    first
}

/// The steps a run posted, in order, each once.
fn posted_steps(run: &Run) -> Vec<usize> {
    run.posted
        .iter()
        .map(|p| p.step)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// A run's ✅ per posted step and per day, from the day of its first posted step to `today`
/// (at most [`MAX_CHART_DAYS`] days: earlier ticks are counted on the first day shown).
/// `None` when no step was posted yet: there is nothing to draw.
pub fn daily_ticks(run: &Run, tz: Tz, today: NaiveDate) -> Option<DailyTicks> {
    let steps = posted_steps(run);
    let local = |at: DateTime<Utc>| at.with_timezone(&tz).date_naive();
    let first_posted = run.posted.iter().map(|p| local(p.at)).min()?;
    let last_tick = run
        .ticks
        .iter()
        .filter_map(|t| tick_time(run, t))
        .map(local)
        .max();
    let last = [Some(today), last_tick, Some(first_posted)]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(today);
    let earliest_shown = last
        .checked_sub_days(Days::new(MAX_CHART_DAYS - 1))
        .unwrap_or(first_posted);
    let first = first_posted.max(earliest_shown);
    let days: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= last).collect();
    let curves = steps
        .into_iter()
        .map(|step| {
            let firsts: Vec<NaiveDate> = first_ticks(run, step).into_values().map(local).collect();
            StepCurve {
                step,
                people: days
                    .iter()
                    .map(|day| firsts.iter().filter(|d| *d <= day).count())
                    .collect(),
            }
        })
        .collect();
    Some(DailyTicks {
        days,
        steps: curves,
    })
}

/// A half-open window of instants (`None`: unbounded on that side).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

impl Window {
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start.is_none_or(|s| at >= s) && self.end.is_none_or(|e| at < e)
    }
}

/// One step of a parcours over a period, all the Mission Locale's rooms together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepAdoption {
    /// The step, from 0.
    pub step: usize,
    /// Rooms where it was posted in the period.
    pub rooms: usize,
    /// Distinct people who reacted ✅ to it in the period (once, whatever the rooms).
    pub people: usize,
}

/// One parcours over a period: its steps, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParcoursAdoption {
    /// The parcours id in the kit.
    pub parcours: String,
    /// Its title when it was started (the most recent run's).
    pub title: String,
    /// Rooms that followed it in the period (a step posted or a ✅ given).
    pub rooms: usize,
    pub steps: Vec<StepAdoption>,
}

/// Adoption per parcours and step within `window`, from a Mission Locale's runs. Parcours with
/// nothing in the window are left out; they come sorted by title.
pub fn adoption_in(runs: &[Run], window: Window) -> Vec<ParcoursAdoption> {
    struct Acc<'a> {
        title: String,
        latest: DateTime<Utc>,
        steps: usize,
        rooms: BTreeSet<&'a str>,
        posted: HashMap<usize, BTreeSet<&'a str>>,
        people: HashMap<usize, BTreeSet<&'a str>>,
    }
    let mut by_parcours: BTreeMap<&str, Acc<'_>> = BTreeMap::new();
    for run in runs {
        let posted: Vec<usize> = run
            .posted
            .iter()
            .filter(|p| window.contains(p.at))
            .map(|p| p.step)
            .collect();
        let ticks: Vec<&Tick> = run
            .ticks
            .iter()
            .filter(|t| tick_time(run, t).is_some_and(|at| window.contains(at)))
            .collect();
        if posted.is_empty() && ticks.is_empty() {
            continue;
        }
        let acc = by_parcours
            .entry(run.parcours.as_str())
            .or_insert_with(|| Acc {
                title: run.title.clone(),
                latest: run.started_at,
                steps: 0,
                rooms: BTreeSet::new(),
                posted: HashMap::new(),
                people: HashMap::new(),
            });
        if run.started_at > acc.latest {
            acc.latest = run.started_at;
            acc.title = run.title.clone();
        }
        acc.steps = acc.steps.max(run.steps);
        acc.rooms.insert(run.room_id.as_str());
        for step in posted {
            acc.posted
                .entry(step)
                .or_default()
                .insert(run.room_id.as_str());
        }
        for tick in ticks {
            acc.people
                .entry(tick.step)
                .or_default()
                .insert(tick.user.as_str());
        }
    }
    let mut out: Vec<ParcoursAdoption> = by_parcours
        .into_iter()
        .map(|(parcours, acc)| ParcoursAdoption {
            parcours: parcours.to_owned(),
            title: acc.title,
            rooms: acc.rooms.len(),
            steps: (0..acc.steps)
                .map(|step| StepAdoption {
                    step,
                    rooms: acc.posted.get(&step).map_or(0, BTreeSet::len),
                    people: acc.people.get(&step).map_or(0, BTreeSet::len),
                })
                .collect(),
        })
        .collect();
    out.sort_by(|a, b| {
        a.title
            .cmp(&b.title)
            .then_with(|| a.parcours.cmp(&b.parcours))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nudges::model::{PostedStep, RunState};

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("valid")
            .with_timezone(&Utc)
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("valid")
    }

    fn run(room: &str, posted: &[(usize, &str)], ticks: &[(usize, &str, Option<&str>)]) -> Run {
        let tz = chrono_tz::Europe::Paris;
        Run {
            tenant: "demo".into(),
            room_id: room.into(),
            number: 1,
            parcours: "premiers-pas".into(),
            title: "Premiers pas".into(),
            steps: 3,
            schedule: crate::schedule::parse("chaque jour à 10h", tz, t("2026-03-01T08:00:00Z"))
                .expect("schedule"),
            started_by: "@coord:ex.org".into(),
            started_at: t("2026-03-01T08:00:00Z"),
            state: RunState::Active,
            slot: None,
            next_step: posted.len(),
            posted: posted
                .iter()
                .map(|(step, at)| PostedStep {
                    step: *step,
                    at: t(at),
                })
                .collect(),
            ticks: ticks
                .iter()
                .enumerate()
                .map(|(i, (step, user, at))| Tick {
                    step: *step,
                    user: (*user).into(),
                    event_id: format!("$r{i}"),
                    at: at.map(t),
                })
                .collect(),
        }
    }

    #[test]
    fn ticks_are_counted_per_step_and_per_local_day_cumulatively() {
        struct Case {
            what: &'static str,
            posted: &'static [(usize, &'static str)],
            ticks: &'static [(usize, &'static str, Option<&'static str>)],
            today: &'static str,
            days: &'static [&'static str],
            curves: &'static [(usize, &'static [usize])],
        }
        let cases = [
            Case {
                what: "nothing posted: nothing to draw",
                posted: &[],
                ticks: &[],
                today: "2026-03-05",
                days: &[],
                curves: &[],
            },
            Case {
                what: "one step, no tick yet: a flat line from its day to today",
                posted: &[(0, "2026-03-02T09:00:00Z")],
                ticks: &[],
                today: "2026-03-04",
                days: &["2026-03-02", "2026-03-03", "2026-03-04"],
                curves: &[(0, &[0, 0, 0])],
            },
            Case {
                what: "two steps; a second tick by the same person counts once; days are \
                       Paris days (23:30 UTC on the 2nd is the 3rd in Paris)",
                posted: &[(0, "2026-03-02T09:00:00Z"), (1, "2026-03-03T09:00:00Z")],
                ticks: &[
                    (0, "@a:ex.org", Some("2026-03-02T10:00:00Z")),
                    (0, "@b:ex.org", Some("2026-03-02T23:30:00Z")),
                    (0, "@a:ex.org", Some("2026-03-04T10:00:00Z")),
                    (1, "@b:ex.org", Some("2026-03-04T10:00:00Z")),
                ],
                today: "2026-03-04",
                days: &["2026-03-02", "2026-03-03", "2026-03-04"],
                curves: &[(0, &[1, 2, 2]), (1, &[0, 0, 1])],
            },
            Case {
                what: "an old tick without a time counts from its step's posting",
                posted: &[(0, "2026-03-02T09:00:00Z")],
                ticks: &[(0, "@a:ex.org", None)],
                today: "2026-03-03",
                days: &["2026-03-02", "2026-03-03"],
                curves: &[(0, &[1, 1])],
            },
        ];
        for case in cases {
            let r = run("!r", case.posted, case.ticks);
            let got = daily_ticks(&r, chrono_tz::Europe::Paris, day(case.today));
            if case.days.is_empty() {
                assert_eq!(got, None, "{}", case.what);
                continue;
            }
            let got = got.expect(case.what);
            let days: Vec<NaiveDate> = case.days.iter().map(|d| day(d)).collect();
            assert_eq!(got.days, days, "{}", case.what);
            let curves: Vec<StepCurve> = case
                .curves
                .iter()
                .map(|(step, people)| StepCurve {
                    step: *step,
                    people: people.to_vec(),
                })
                .collect();
            assert_eq!(got.steps, curves, "{}", case.what);
        }
    }

    #[test]
    fn a_long_run_shows_its_last_year_with_earlier_ticks_on_the_first_day() {
        let r = run(
            "!r",
            &[(0, "2024-01-10T09:00:00Z")],
            &[(0, "@a:ex.org", Some("2024-01-11T09:00:00Z"))],
        );
        let got = daily_ticks(&r, chrono_tz::Europe::Paris, day("2026-03-01")).expect("drawn");
        assert_eq!(got.days.len() as u64, MAX_CHART_DAYS);
        assert_eq!(got.days.last(), Some(&day("2026-03-01")));
        assert_eq!(got.steps[0].people[0], 1, "the earlier tick is counted");
        assert_eq!(got.max_people(), 1);
    }

    #[test]
    fn adoption_in_a_period_counts_rooms_and_distinct_people_per_step() {
        let runs = [
            run(
                "!a",
                &[(0, "2026-03-02T09:00:00Z"), (1, "2026-04-02T09:00:00Z")],
                &[
                    (0, "@a:ex.org", Some("2026-03-02T10:00:00Z")),
                    (0, "@b:ex.org", Some("2026-03-03T10:00:00Z")),
                    (1, "@a:ex.org", Some("2026-04-02T10:00:00Z")),
                ],
            ),
            run(
                "!b",
                &[(0, "2026-04-05T09:00:00Z")],
                // Alice is in both rooms: one person for step 1.
                &[
                    (0, "@a:ex.org", Some("2026-04-05T10:00:00Z")),
                    (0, "@c:ex.org", None),
                ],
            ),
        ];
        let all = adoption_in(&runs, Window::default());
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].rooms, 2);
        assert_eq!(
            all[0].steps,
            [
                StepAdoption {
                    step: 0,
                    rooms: 2,
                    people: 3
                },
                StepAdoption {
                    step: 1,
                    rooms: 1,
                    people: 1
                },
                StepAdoption {
                    step: 2,
                    rooms: 0,
                    people: 0
                },
            ]
        );
        let april = Window {
            start: Some(t("2026-04-01T00:00:00Z")),
            end: Some(t("2026-05-01T00:00:00Z")),
        };
        let got = adoption_in(&runs, april);
        assert_eq!(
            got[0].steps[..2],
            [
                StepAdoption {
                    step: 0,
                    rooms: 1,
                    // Alice (April 5th) and Carla (no time: from the April 5th posting).
                    people: 2
                },
                StepAdoption {
                    step: 1,
                    rooms: 1,
                    people: 1
                },
            ]
        );
        let before = Window {
            start: None,
            end: Some(t("2026-03-01T00:00:00Z")),
        };
        assert!(adoption_in(&runs, before).is_empty());
    }
}
