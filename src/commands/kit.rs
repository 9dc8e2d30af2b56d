//! The kit commands, all answered from the practice cards:
//! - `!kit <question libre>`: the best card for a question in everyday words;
//! - `!fiche <id>`: one whole card;
//! - `!themes`: the themes with their card counts;
//! - `!theme <nom>`: a theme's cards by level;
//! - `!transmettre [question]`: pass a question on to the kit's writers (the last one asked
//!   here without a good answer, or found not useful with 👎, or the one written after it).
//!
//! A card shown ends with an invitation to vote 👍 / 👎; a question without a good answer
//! offers `!transmettre`. The read is counted in [`crate::feedback`], never with the person.
//! The search and the wording live in [`crate::kit`]; this file only routes.

use crate::commands::CommandError;
use crate::core::{Incoming, Outgoing};
use crate::engine::{reply, Ctx};
use crate::feedback::{Asked, PassOn, Question, Why};
use crate::kit::{fiche_card, kit_answer, render_fiche, render_theme, render_themes, Found};
use crate::reflections::pii;
use crate::strings::kit as s;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KitCommand {
    Ask { question: String },
    Fiche { id: String },
    Themes,
    Theme { name: String },
    PassOn { text: String },
}

impl KitCommand {
    pub fn parse(name: &str, args: &str) -> Option<KitCommand> {
        Some(match name {
            "kit" => KitCommand::Ask {
                question: args.to_owned(),
            },
            "fiche" => KitCommand::Fiche {
                id: args.to_owned(),
            },
            "themes" => KitCommand::Themes,
            "theme" => KitCommand::Theme {
                name: args.to_owned(),
            },
            "transmettre" => KitCommand::PassOn {
                text: args.trim().to_owned(),
            },
            _ => return None,
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            KitCommand::Ask { .. } => "kit",
            KitCommand::Fiche { .. } => "fiche",
            KitCommand::Themes => "themes",
            KitCommand::Theme { .. } => "theme",
            KitCommand::PassOn { .. } => "transmettre",
        }
    }

    pub async fn apply(
        &self,
        ctx: &Ctx<'_>,
        incoming: &Incoming,
    ) -> Result<Vec<Outgoing>, CommandError> {
        let kit = ctx.kit;
        let text = match self {
            KitCommand::Ask { question } => ask(ctx, incoming, question),
            KitCommand::Fiche { id } => {
                let mut text = render_fiche(kit, id);
                if let Some(card) = fiche_card(kit, id) {
                    counted(
                        ctx,
                        incoming,
                        Some(card.id.clone()),
                        String::new(),
                        0.0,
                        None,
                    );
                    text.push_str("\n\n");
                    text.push_str(s::KIT_VOTE_INVITE);
                }
                text
            }
            KitCommand::Themes => render_themes(kit),
            KitCommand::Theme { name } => render_theme(kit, name),
            KitCommand::PassOn { text } => pass_on(ctx, incoming, text).await?,
        };
        Ok(vec![reply(incoming, text)])
    }
}

/// The text as the guard sees it: `Some` only when nothing personal was found (a doubt is a
/// refusal: nobody is asked to confirm a question).
fn accepted(ctx: &Ctx<'_>, text: &str) -> Result<String, Vec<pii::PiiKind>> {
    use chrono::Datelike as _;
    match pii::assess(text, ctx.now.year()) {
        pii::Verdict::Clean => Ok(text.to_owned()),
        pii::Verdict::Personal(kinds) | pii::Verdict::Unsure { kinds, .. } => Err(kinds),
    }
}

/// `!kit <question>`: the answer, the read counted, and the question offered to pass on when
/// no card answers well.
fn ask(ctx: &Ctx<'_>, incoming: &Incoming, question: &str) -> String {
    let answer = kit_answer(ctx.kit, question);
    let mut text = answer.markdown;
    let shape = ctx.kit.shape(question);
    let kept = accepted(ctx, question.trim()).ok();
    match answer.found {
        Found::Card(card) => {
            counted(ctx, incoming, Some(card), shape, answer.best_score, kept);
            text.push_str("\n\n");
            text.push_str(s::KIT_VOTE_INVITE);
        }
        Found::NoMatch => {
            crate::metrics::metrics().no_match();
            let can_pass_on = kept.is_some();
            counted(ctx, incoming, None, shape, answer.best_score, kept);
            ctx.feedback.offer(
                &incoming.tenant,
                &incoming.room_id,
                &incoming.sender,
                &incoming.event_id,
            );
            text.push_str("\n\n");
            text.push_str(if can_pass_on {
                s::KIT_PASS_ON_OFFER
            } else {
                s::KIT_PASS_ON_PERSONAL
            });
        }
        Found::Nothing => {}
    }
    text
}

/// Count a kit answer (the card, or none) for the readers' feedback. A failure is logged:
/// the answer goes out anyway.
fn counted(
    ctx: &Ctx<'_>,
    incoming: &Incoming,
    card: Option<String>,
    shape: String,
    best_score: f32,
    text: Option<String>,
) {
    let asked = Asked {
        tenant: incoming.tenant.clone(),
        room_id: incoming.room_id.clone(),
        text,
        shape,
        best_score,
        card,
        at: ctx.now,
    };
    let day = ctx.now.with_timezone(&ctx.tz()).date_naive();
    if let Err(err) = ctx.feedback.answered(&incoming.event_id, asked, day) {
        tracing::warn!(cause = %err, "could not count a kit answer");
    }
}

/// `!transmettre [question]`.
async fn pass_on(ctx: &Ctx<'_>, incoming: &Incoming, text: &str) -> Result<String, CommandError> {
    if !text.is_empty() {
        let text = crate::core::text::cut_chars(text, crate::kit::MAX_QUESTION_CHARS);
        return Ok(match accepted(ctx, text) {
            Err(kinds) => s::pass_on_personal(&pii::labels_fr(&kinds)),
            Ok(text) => {
                ctx.feedback
                    .keep_question(Question {
                        tenant: incoming.tenant.clone(),
                        shape: ctx.kit.shape(&text),
                        best_score: ctx.kit.search(&text, 1).first().map_or(0.0, |h| h.score),
                        text,
                        card: None,
                        why: Why::Written,
                        at: ctx.now,
                    })
                    .await?;
                s::PASS_ON_KEPT.to_owned()
            }
        });
    }
    let why = match ctx.feedback.offered(
        &incoming.tenant,
        &incoming.room_id,
        &incoming.sender,
        ctx.now,
    ) {
        Some(asked) if asked.card.is_some() => Why::NotUseful,
        _ => Why::NoMatch,
    };
    Ok(
        match ctx
            .feedback
            .pass_on_offered(
                &incoming.tenant,
                &incoming.room_id,
                &incoming.sender,
                why,
                ctx.now,
            )
            .await?
        {
            PassOn::Kept => s::PASS_ON_KEPT.to_owned(),
            PassOn::NothingRecent => s::PASS_ON_NOTHING.to_owned(),
            PassOn::Personal => s::KIT_PASS_ON_PERSONAL.to_owned(),
        },
    )
}

#[cfg(test)]
mod tests {
    use crate::core::Role;
    use crate::engine::tests::{ask, engine_at};

    #[tokio::test]
    async fn kit_commands_answer_in_french() {
        let (engine, _) = engine_at("2026-11-30T08:00:00Z");
        let answer = ask(&engine, "!kit rappel de rdv par sms", Role::Membre).await;
        assert!(answer.contains("sms-rappel"), "{answer}");
        let card = ask(&engine, "!fiche sms-rappel", Role::Membre).await;
        assert!(
            card.contains("Essayer cette semaine") && card.contains("https://"),
            "{card}"
        );
        let unknown = ask(&engine, "!fiche <b>nope</b>", Role::Membre).await;
        assert!(!unknown.contains("<b>"), "{unknown}");
        let themes = ask(&engine, "!themes", Role::Membre).await;
        assert!(themes.contains("canal"), "{themes}");
        let theme = ask(&engine, "!theme canal", Role::Membre).await;
        assert!(theme.contains("sms-rappel"), "{theme}");
        let paths = ask(&engine, "!parcours", Role::Membre).await;
        assert!(paths.contains("premiers-pas"), "{paths}");
        for hostile in [
            "!kit",
            "!kit le la les",
            "!kit 👋🏽🔥",
            "!kit <script>alert(1)</script>",
        ] {
            let answer = ask(&engine, hostile, Role::Membre).await;
            assert!(
                !answer.is_empty() && !answer.contains("<script>"),
                "{hostile}: {answer}"
            );
        }
        let huge = format!("!kit {}", "visio ".repeat(11_000));
        assert!(!ask(&engine, &huge, Role::Membre).await.is_empty());
    }
}
