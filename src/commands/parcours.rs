//! `!parcours`: with no argument (everyone), the adoption paths of the kit and their steps.
//! Subcommands (coordination), for this room's run of a parcours:
//!
//! - `!parcours demarrer <nom> <cadence>` — e.g. `!parcours demarrer premiers-pas chaque lundi
//!   à 9h`: one step is posted at each firing (card title, "Essayer cette semaine", an
//!   invitation to react ✅), then a closing message; one running parcours per room;
//! - `!parcours etat` — per step, how many team members reacted ✅ and who, the current step and
//!   the next posting; then, once a step was posted, a PNG chart of the ✅ per step day by day
//!   (counts only, no names; the text stays the answer for screen readers);
//! - `!parcours pause`, `!parcours reprendre`;
//! - `!parcours suivant` — post the next step now (the cadence goes on from there);
//! - `!parcours arreter`.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::charts::png::{line_chart, Lines};
use crate::commands::nudges::{firings_block, zone};
use crate::core::text::quote_inline;
use crate::core::text::{escape_md, fold};
use crate::core::{Incoming, Outgoing};
use crate::core::{Picture, Role};
use crate::engine::{image, reply, Ctx};
use crate::kit::render_parcours_list;
use crate::nudges::adoption::daily_ticks;
use crate::nudges::model::{Run, RunState, Slot};
use crate::nudges::plan;
use crate::nudges::Updated;
use crate::schedule::{self, format_fr};
use crate::strings::nudges as s;

use super::CommandError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParcoursCommand {
    List,
    Start { name: String, when: String },
    State,
    Pause,
    Resume,
    Next,
    Stop,
    Unknown { word: String },
}

impl ParcoursCommand {
    pub fn parse(args: &str) -> ParcoursCommand {
        let args = args.trim();
        let (first, rest) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
        match fold(first).as_str() {
            "" | "liste" => ParcoursCommand::List,
            "demarrer" | "lancer" | "commencer" => {
                let rest = rest.trim();
                let (name, when) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                ParcoursCommand::Start {
                    name: name.to_owned(),
                    when: when.trim().to_owned(),
                }
            }
            "etat" | "suivi" => ParcoursCommand::State,
            "pause" => ParcoursCommand::Pause,
            "reprendre" => ParcoursCommand::Resume,
            "suivant" | "suivante" => ParcoursCommand::Next,
            "arreter" | "stop" | "terminer" => ParcoursCommand::Stop,
            _ => ParcoursCommand::Unknown {
                word: first.to_owned(),
            },
        }
    }

    /// The subcommand as typed in its canonical form, for refusals.
    fn word(&self) -> String {
        match self {
            ParcoursCommand::List => String::new(),
            ParcoursCommand::Start { .. } => "demarrer".into(),
            ParcoursCommand::State => "etat".into(),
            ParcoursCommand::Pause => "pause".into(),
            ParcoursCommand::Resume => "reprendre".into(),
            ParcoursCommand::Next => "suivant".into(),
            ParcoursCommand::Stop => "arreter".into(),
            ParcoursCommand::Unknown { word } => quote_inline(word, 30),
        }
    }

    pub async fn apply(
        &self,
        ctx: &Ctx<'_>,
        incoming: &Incoming,
    ) -> Result<Vec<Outgoing>, CommandError> {
        let answer = match self {
            ParcoursCommand::List => render_parcours_list(ctx.kit),
            _ if !incoming.role.allows(Role::Coordination) => {
                s::refused_parcours_subcommand(&self.word())
            }
            ParcoursCommand::Unknown { word } => s::parcours_unknown_sub(&quote_inline(word, 30)),
            _ if incoming.is_direct => s::ROOM_ONLY.to_owned(),
            ParcoursCommand::Start { name, when } => start(ctx, incoming, name, when).await?,
            ParcoursCommand::State => {
                let (answer, picture) = state(ctx, incoming).await?;
                let mut out = vec![reply(incoming, answer)];
                out.extend(picture.map(|p| image(incoming, p)));
                return Ok(out);
            }
            ParcoursCommand::Pause => pause(ctx, incoming).await?,
            ParcoursCommand::Resume => resume(ctx, incoming).await?,
            ParcoursCommand::Next => next(ctx, incoming).await?,
            ParcoursCommand::Stop => stop(ctx, incoming).await?,
        };
        Ok(vec![reply(incoming, answer)])
    }
}

async fn start(
    ctx: &Ctx<'_>,
    incoming: &Incoming,
    name: &str,
    when: &str,
) -> Result<String, CommandError> {
    if name.is_empty() || when.is_empty() {
        return Ok(s::START_USAGE.to_owned());
    }
    let kit = ctx.kit;
    let wanted = fold(name);
    let Some(parcours) = kit
        .parcours()
        .iter()
        .find(|p| fold(&p.id) == wanted || fold(&p.title) == wanted)
    else {
        let ids: Vec<String> = kit
            .parcours()
            .iter()
            .map(|p| format!("`{}`", p.id))
            .collect();
        return Ok(s::unknown_parcours(
            &quote_inline(name, 40),
            &ids.join(", "),
        ));
    };
    let (tz, quiet) = zone(ctx);
    let quiet = plan::rules(&quiet);
    let now = ctx.now;
    let schedule = match schedule::parse(when, tz, now) {
        Ok(schedule) => schedule,
        Err(err) => return Ok(s::bad_when(&err.for_chat())),
    };
    if schedule.is_one_off() {
        return Ok(s::START_NEEDS_RHYTHM.to_owned());
    }
    if plan::too_frequent(&schedule, tz, now) {
        return Ok(s::TOO_FREQUENT.to_owned());
    }
    let Some(slot) = plan::slot_after(&schedule, tz, quiet, now) else {
        return Ok(s::NEVER_FIRES.to_owned());
    };
    let run = Run {
        tenant: incoming.tenant.clone(),
        room_id: incoming.room_id.clone(),
        number: 0,
        parcours: parcours.id.clone(),
        title: parcours.title.clone(),
        steps: parcours.steps.len(),
        schedule,
        started_by: incoming.sender.clone(),
        started_at: now,
        state: RunState::Active,
        slot: Some(slot),
        next_step: 0,
        posted: Vec::new(),
        ticks: Vec::new(),
    };
    let run = match ctx.nudges.start_run(&incoming.event_id, run).await? {
        Ok(created) => created.item,
        Err(running) => return Ok(s::already_running(&running.title)),
    };
    Ok(s::run_started(
        &run.title,
        run.steps,
        &run.schedule.describe_fr(tz),
        &firings_block(&run.schedule, tz, quiet, run.slot, now),
    ))
}

/// The room's parcours, step by step, and its chart once a step was posted.
async fn state(
    ctx: &Ctx<'_>,
    incoming: &Incoming,
) -> Result<(String, Option<Picture>), CommandError> {
    let Some(run) = ctx
        .nudges
        .current_run(&incoming.tenant, &incoming.room_id)?
    else {
        return Ok((s::NO_RUN.to_owned(), None));
    };
    let (tz, _) = zone(ctx);
    let now = ctx.now;
    let kit = ctx.kit;
    let steps = step_titles(kit, &run);
    let label = match run.state {
        RunState::Active => s::RUN_ACTIVE,
        RunState::Paused => s::RUN_PAUSED,
        RunState::Done => s::RUN_DONE,
        RunState::Stopped => s::RUN_STOPPED,
    };
    let mut out = s::run_state_title(&run.title, label);
    out.push_str("\n\n");
    let lines: Vec<String> = steps
        .iter()
        .enumerate()
        .map(|(i, title)| {
            if run.posted.iter().any(|p| p.step == i) {
                let who: Vec<String> = run.tickers(i).iter().map(|u| escape_md(u)).collect();
                s::step_line_posted(i + 1, title, who.len(), &who.join(", "))
            } else {
                s::step_line_future(i + 1, title)
            }
        })
        .collect();
    out.push_str(&lines.join("\n"));
    match (run.state, run.slot) {
        (RunState::Active, Some(slot)) => {
            out.push_str("\n\n");
            let when = format_fr(slot.due, tz, now);
            if run.next_step < run.steps {
                out.push_str(&s::step_current(run.next_step + 1, &when));
            } else {
                out.push_str(&s::step_closing(&when));
            }
        }
        (RunState::Paused, _) => {
            out.push_str("\n\n");
            out.push_str(s::RUN_WAITING);
        }
        _ => {}
    }
    // Drawing is CPU work: off the async threads.
    let picture = match tokio::task::spawn_blocking(move || chart(&run, &steps, tz, now)).await {
        Ok(picture) => picture,
        Err(err) => {
            tracing::error!(cause = %err, "the parcours chart task failed");
            None
        }
    };
    Ok((out, picture))
}

/// The titles of a run's steps: their cards' titles in the kit (or their numbers).
fn step_titles(kit: &crate::kit::Kit, run: &Run) -> Vec<String> {
    match kit.parcours_by_id(&run.parcours) {
        Some(p) => p
            .steps
            .iter()
            .map(|e| {
                kit.card(&e.card)
                    .map_or_else(|| e.card.clone(), |c| c.title.clone())
            })
            .collect(),
        None => (1..=run.steps).map(|n| n.to_string()).collect(),
    }
}

/// The chart of `run` as `!parcours etat` draws it (the weekly digest attaches it too).
pub(crate) fn run_chart(
    kit: &crate::kit::Kit,
    run: &Run,
    tz: Tz,
    now: DateTime<Utc>,
) -> Option<Picture> {
    chart(run, &step_titles(kit, run), tz, now)
}

/// The chart of a run's ✅ per step, day by day; `None` before its first step, or when it
/// cannot be drawn (logged: the text answer goes out alone).
fn chart(run: &Run, step_titles: &[String], tz: Tz, now: DateTime<Utc>) -> Option<Picture> {
    let today = now.with_timezone(&tz).date_naive();
    let daily = daily_ticks(run, tz, today)?;
    let x_labels: Vec<String> = daily
        .days
        .iter()
        .map(|d| d.format(s::CHART_DAY_FORMAT).to_string())
        .collect();
    let series: Vec<(String, Vec<usize>)> = daily
        .steps
        .iter()
        .map(|curve| {
            let title = step_titles
                .get(curve.step)
                .cloned()
                .unwrap_or_else(|| (curve.step + 1).to_string());
            (s::chart_step(curve.step + 1, &title), curve.people.clone())
        })
        .collect();
    let title = s::chart_title(&run.title);
    let png = match line_chart(&Lines {
        title: &title,
        x_desc: s::CHART_X,
        y_desc: s::CHART_Y,
        x_labels: &x_labels,
        series: &series,
    }) {
        Ok(png) => png,
        Err(err) => {
            tracing::error!(cause = %err, "the parcours chart could not be drawn");
            return None;
        }
    };
    let day = |d: Option<&chrono::NaiveDate>| {
        d.map(|d| d.format(s::CHART_DATE_FORMAT).to_string())
            .unwrap_or_default()
    };
    Some(Picture {
        filename: s::CHART_FILENAME.to_owned(),
        mime: mime::IMAGE_PNG.to_string(),
        width: png.width,
        height: png.height,
        alt: s::chart_alt(
            &run.title,
            &day(daily.days.first()),
            &day(daily.days.last()),
        ),
        bytes: png.bytes,
    })
}

/// Change the room's running parcours (through the nudges service, under its lock);
/// `change` returns the answer.
async fn with_running(
    ctx: &Ctx<'_>,
    incoming: &Incoming,
    change: impl FnOnce(&mut Run) -> Result<String, String>,
) -> Result<String, CommandError> {
    Ok(
        match ctx
            .nudges
            .update_running(&incoming.tenant, &incoming.room_id, change)
            .await?
        {
            Updated::Saved(answer) | Updated::Refused(answer) => answer,
            Updated::Missing => s::NO_RUNNING.to_owned(),
        },
    )
}

async fn pause(ctx: &Ctx<'_>, incoming: &Incoming) -> Result<String, CommandError> {
    with_running(ctx, incoming, |run| {
        run.state = RunState::Paused;
        run.slot = None;
        Ok(s::run_paused(&run.title))
    })
    .await
}

async fn resume(ctx: &Ctx<'_>, incoming: &Incoming) -> Result<String, CommandError> {
    let (tz, quiet) = zone(ctx);
    let now = ctx.now;
    with_running(ctx, incoming, |run| {
        if run.state != RunState::Paused {
            return Err(s::run_not_paused(&run.title));
        }
        let quiet = plan::rules(&quiet);
        run.state = RunState::Active;
        run.slot = plan::slot_after(&run.schedule, tz, quiet, now);
        Ok(s::run_resumed(
            &run.title,
            &firings_block(&run.schedule, tz, quiet, run.slot, now),
        ))
    })
    .await
}

async fn next(ctx: &Ctx<'_>, incoming: &Incoming) -> Result<String, CommandError> {
    let now = ctx.now;
    with_running(ctx, incoming, |run| {
        // Due now: the scheduler posts it (and records its event id for the ✅ count); the
        // following firings come from the schedule again.
        run.state = RunState::Active;
        run.slot = Some(Slot {
            nominal: now,
            due: now,
        });
        Ok(if run.next_step < run.steps {
            s::run_next_now(run.next_step + 1)
        } else {
            s::RUN_CLOSING_NOW.to_owned()
        })
    })
    .await
}

async fn stop(ctx: &Ctx<'_>, incoming: &Incoming) -> Result<String, CommandError> {
    with_running(ctx, incoming, |run| {
        run.state = RunState::Stopped;
        run.slot = None;
        Ok(s::run_stopped(&run.title, run.posted.len()))
    })
    .await
}
