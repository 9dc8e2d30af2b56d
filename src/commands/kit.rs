//! The kit commands, all answered from the practice cards:
//! - `!kit <question libre>`: the best card for a question in everyday words;
//! - `!fiche <id>`: one whole card;
//! - `!themes`: the themes with their card counts;
//! - `!theme <nom>`: a theme's cards by level.
//!
//! The search and the wording live in [`crate::kit`]; this file only routes.

use crate::core::{Incoming, Outgoing};
use crate::engine::{reply, Ctx};
use crate::kit::{render_fiche, render_kit_answer, render_theme, render_themes};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KitCommand {
    Ask { question: String },
    Fiche { id: String },
    Themes,
    Theme { name: String },
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
            _ => return None,
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            KitCommand::Ask { .. } => "kit",
            KitCommand::Fiche { .. } => "fiche",
            KitCommand::Themes => "themes",
            KitCommand::Theme { .. } => "theme",
        }
    }

    pub fn apply(&self, ctx: &Ctx<'_>, incoming: &Incoming) -> Vec<Outgoing> {
        let kit = ctx.kit;
        let text = match self {
            KitCommand::Ask { question } => render_kit_answer(kit, question),
            KitCommand::Fiche { id } => render_fiche(kit, id),
            KitCommand::Themes => render_themes(kit),
            KitCommand::Theme { name } => render_theme(kit, name),
        };
        vec![reply(incoming, text)]
    }
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
