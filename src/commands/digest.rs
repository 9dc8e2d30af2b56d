//! `!digest [oui [moment] | non]` (coordination): the weekly digest in a direct message.
//!
//! - `!digest oui`: every Monday at 9:00 in the Mission Locale's time zone;
//! - `!digest oui vendredi à 16h`, `!digest oui chaque jeudi à 8h30`: another weekly moment
//!   (the schedule language of the nudges; at most one digest every six days);
//! - `!digest non`: stop; `!digest`: where one stands.
//!
//! The subscription is the coordinator's own opt-in (`!mes-donnees`, `!oublier`). What the
//! digest says and when it goes out: `engine/digest.rs`.

use crate::commands::CommandError;
use crate::core::text::{ellipsis, escape_md, fold};
use crate::core::{Incoming, Outgoing};
use crate::engine::{reply, Ctx};
use crate::feedback::digest::{self, Subscription, DEFAULT_SCHEDULE};
use crate::strings::feedback as s;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Digest {
    Status,
    On { when: String },
    Off,
    Bad { arg: String },
}

const DAYS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];

impl Digest {
    pub fn parse(args: &str) -> Digest {
        let args = args.trim();
        let folded = fold(args);
        let mut words = folded.split_whitespace();
        let first = words.next().unwrap_or("");
        let rest = || {
            args.split_once(char::is_whitespace)
                .map_or("", |(_, r)| r)
                .trim()
                .to_owned()
        };
        match first {
            "" => Digest::Status,
            "oui" | "yes" | "on" => Digest::On { when: rest() },
            "non" | "no" | "off" | "stop" | "arreter" => Digest::Off,
            day if DAYS.contains(&day.trim_end_matches('s'))
                || day == "chaque"
                || day == "tous" =>
            {
                Digest::On {
                    when: args.to_owned(),
                }
            }
            _ => Digest::Bad {
                arg: args.to_owned(),
            },
        }
    }

    pub async fn apply(
        &self,
        ctx: &Ctx<'_>,
        incoming: &Incoming,
    ) -> Result<Vec<Outgoing>, CommandError> {
        let tz = ctx.tz();
        let text = match self {
            Digest::Status => match digest::get(ctx.store, &incoming.tenant, &incoming.sender)? {
                Some(sub) => s::digest_status_on(&sub.schedule.describe_fr(tz), &next(ctx, &sub)),
                None => s::DIGEST_STATUS_OFF.to_owned(),
            },
            Digest::Off => {
                match ctx
                    .feedback
                    .unsubscribe(&incoming.tenant, &incoming.sender)
                    .await?
                {
                    Some(_) => s::DIGEST_OFF.to_owned(),
                    None => s::DIGEST_WAS_OFF.to_owned(),
                }
            }
            Digest::Bad { arg } => s::digest_bad_arg(&escape_md(&ellipsis(arg, 60))),
            Digest::On { when } => {
                let phrase = phrase_of(when);
                let schedule = match crate::schedule::parse(&phrase, tz, ctx.now) {
                    Ok(schedule) => schedule,
                    Err(err) => {
                        return Ok(vec![reply(
                            incoming,
                            s::digest_bad_when(&escape_md(&ellipsis(when, 60)), &err.to_string()),
                        )])
                    }
                };
                if !digest::is_weekly_enough(&schedule, tz, ctx.now) {
                    return Ok(vec![reply(
                        incoming,
                        s::digest_not_weekly(&schedule.describe_fr(tz)),
                    )]);
                }
                let before = digest::get(ctx.store, &incoming.tenant, &incoming.sender)?;
                let sub = Subscription {
                    tenant: incoming.tenant.clone(),
                    user_id: incoming.sender.clone(),
                    schedule,
                    since: ctx.now,
                    // Changing the moment does not send this week's digest twice.
                    last_sent: before.and_then(|b| b.last_sent),
                };
                ctx.feedback.subscribe(&sub).await?;
                s::digest_on(
                    &ctx.mission.name,
                    &sub.schedule.describe_fr(tz),
                    &next(ctx, &sub),
                )
            }
        };
        Ok(vec![reply(incoming, text)])
    }
}

/// The schedule phrase for what follows `oui`: the default, or "chaque …" for a bare day.
fn phrase_of(when: &str) -> String {
    let when = when.trim();
    if when.is_empty() {
        return DEFAULT_SCHEDULE.to_owned();
    }
    let folded = fold(when);
    let first = folded.split_whitespace().next().unwrap_or("");
    if DAYS.contains(&first.trim_end_matches('s')) {
        format!("chaque {when}")
    } else {
        when.to_owned()
    }
}

/// When the next digest goes, in French.
fn next(ctx: &Ctx<'_>, sub: &Subscription) -> String {
    let at = digest::next_due(sub, ctx.tz())
        .filter(|at| *at > ctx.now)
        .or_else(|| sub.schedule.next_after(ctx.now, ctx.tz()));
    at.map_or_else(String::new, |at| {
        crate::schedule::format_fr(at, ctx.tz(), ctx.now)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_arguments() {
        assert_eq!(Digest::parse(""), Digest::Status);
        assert_eq!(Digest::parse("non"), Digest::Off);
        assert_eq!(
            Digest::parse("oui"),
            Digest::On {
                when: String::new()
            }
        );
        assert_eq!(
            Digest::parse("Oui vendredi à 16h"),
            Digest::On {
                when: "vendredi à 16h".into()
            }
        );
        assert_eq!(
            Digest::parse("jeudi 8h30"),
            Digest::On {
                when: "jeudi 8h30".into()
            }
        );
        assert!(matches!(Digest::parse("peut-être"), Digest::Bad { .. }));
        assert_eq!(phrase_of(""), DEFAULT_SCHEDULE);
        assert_eq!(phrase_of("vendredi à 16h"), "chaque vendredi à 16h");
        assert_eq!(phrase_of("chaque mardi à 8h"), "chaque mardi à 8h");
    }
}
