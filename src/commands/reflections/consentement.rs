//! `!consentement` — consent to keeping one's reflections, per person and per Mission Locale.
//!
//! - `!consentement`: what is kept, for whom, for how long, how to withdraw; and your state.
//! - `!consentement oui`: give consent (timestamped, with the version of the text shown).
//! - `!consentement non [effacer|anonymiser]`: withdraw it; what to do with the reflections
//!   already kept is asked when not said.
//! - `!consentement etat`: where you stand.
//! - `!consentement signer` / `!consentement anonyme`: show your name with your reflections, or
//!   not (anonymous by default).

use crate::commands::CommandError;
use crate::core::text::{ellipsis, escape_md, fold};
use crate::core::{Incoming, Outgoing};
use crate::engine::{reply, Ctx};
use crate::reflections::consent::{self, Choice, GrantOutcome, WithdrawOutcome};
use crate::reflections::db;
use crate::reflections::render::{local_date, local_datetime};
use crate::strings::reflections as s;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consentement {
    Info,
    Oui,
    Non(Option<Choice>),
    Etat,
    Signer(bool),
    /// Arguments that mean nothing here, kept to quote them back.
    Inconnu(String),
}

fn choice(word: &str) -> Option<Choice> {
    match word {
        "effacer" | "efface" | "supprimer" | "erase" | "delete" => Some(Choice::Erase),
        "anonymiser" | "anonymise" | "anonymize" | "garder" => Some(Choice::Anonymise),
        _ => None,
    }
}

impl Consentement {
    pub fn parse(args: &str) -> Self {
        let folded = fold(args);
        let words: Vec<&str> = folded.split_whitespace().collect();
        match words.as_slice() {
            [] => Consentement::Info,
            ["oui" | "accepter" | "accepte" | "ok" | "yes" | "d'accord"] => Consentement::Oui,
            ["non" | "retirer" | "retrait" | "no"] => Consentement::Non(None),
            ["non" | "retirer" | "retrait" | "no", word] if choice(word).is_some() => {
                Consentement::Non(choice(word))
            }
            [word] if choice(word).is_some() => Consentement::Non(choice(word)),
            ["etat" | "statut" | "status" | "state"] => Consentement::Etat,
            ["signer" | "signe" | "sign"] => Consentement::Signer(true),
            ["anonyme" | "anonymous"] => Consentement::Signer(false),
            _ => Consentement::Inconnu(args.to_owned()),
        }
    }

    pub async fn apply(
        &self,
        ctx: &Ctx<'_>,
        incoming: &Incoming,
    ) -> Result<Vec<Outgoing>, CommandError> {
        let tz = ctx.tz();
        let answer = match self {
            Consentement::Info => {
                let (name, months) = (ctx.mission.name.clone(), ctx.mission.retention_months);
                s::consent_info(&escape_md(&name), months, &state_line(ctx, incoming)?)
            }
            Consentement::Etat => state_line(ctx, incoming)?,
            Consentement::Oui => match consent::grant(ctx.store, incoming, ctx.now).await? {
                GrantOutcome::New => {
                    let name = ctx.mission.name.clone();
                    s::granted(&escape_md(&name))
                }
                GrantOutcome::Already { since } => s::granted_already(&local_datetime(tz, since)),
                GrantOutcome::Again { restored } => s::granted_again(restored),
            },
            Consentement::Non(choice) => {
                match consent::withdraw(ctx.store, incoming, *choice, ctx.now).await? {
                    WithdrawOutcome::NotGiven => s::WITHDRAW_NOT_GIVEN.to_owned(),
                    WithdrawOutcome::NothingKept => s::WITHDRAWN_NOTHING_KEPT.to_owned(),
                    WithdrawOutcome::Ask { count, deadline } => {
                        s::withdraw_ask(count, &local_date(tz, deadline))
                    }
                    WithdrawOutcome::Erased {
                        count,
                        newly_withdrawn,
                    } => s::withdrawn_erased(count, newly_withdrawn),
                    WithdrawOutcome::Anonymised {
                        count,
                        newly_withdrawn,
                    } => s::withdrawn_anonymised(count, newly_withdrawn),
                }
            }
            Consentement::Signer(signed) => {
                match consent::set_signed(ctx.store, incoming, *signed, ctx.now).await? {
                    Some(()) if *signed => s::SIGNED_ON.to_owned(),
                    Some(()) => s::SIGNED_OFF.to_owned(),
                    None => s::SIGN_NEEDS_CONSENT.to_owned(),
                }
            }
            Consentement::Inconnu(arg) => {
                s::consent_unknown(&escape_md(ellipsis(arg, 60).as_str()))
            }
        };
        Ok(vec![reply(incoming, answer)])
    }
}

/// Where the sender stands, in one or two sentences.
fn state_line(ctx: &Ctx<'_>, incoming: &Incoming) -> Result<String, CommandError> {
    let tz = ctx.tz();
    let store = ctx.store;
    let count = db::count_by_author(store, &incoming.tenant, &incoming.sender)?;
    Ok(
        match db::consent(store, &incoming.tenant, &incoming.sender)? {
            None => s::STATE_NONE.to_owned(),
            Some(rec) => match (rec.granted_at(), rec.awaiting_choice_since) {
                (Some(since), _) => s::state_granted(&local_datetime(tz, since), rec.signed, count),
                (None, Some(since)) if count > 0 => {
                    s::state_awaiting(count, &local_date(tz, consent::choice_deadline(since)))
                }
                (None, _) => match rec.withdrawn_at() {
                    Some(at) => s::state_withdrawn(&local_datetime(tz, at)),
                    None => s::STATE_NONE.to_owned(),
                },
            },
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments() {
        struct Case {
            input: &'static str,
            expected: Consentement,
        }
        let cases = [
            Case {
                input: "",
                expected: Consentement::Info,
            },
            Case {
                input: "OUI",
                expected: Consentement::Oui,
            },
            Case {
                input: "non",
                expected: Consentement::Non(None),
            },
            Case {
                input: "non effacer",
                expected: Consentement::Non(Some(Choice::Erase)),
            },
            Case {
                input: "anonymiser",
                expected: Consentement::Non(Some(Choice::Anonymise)),
            },
            Case {
                input: "état",
                expected: Consentement::Etat,
            },
            Case {
                input: "signer",
                expected: Consentement::Signer(true),
            },
            Case {
                input: "anonyme",
                expected: Consentement::Signer(false),
            },
            Case {
                input: "peut-être",
                expected: Consentement::Inconnu("peut-être".into()),
            },
        ];
        for case in cases {
            assert_eq!(
                Consentement::parse(case.input),
                case.expected,
                "{}",
                case.input
            );
        }
    }
}
