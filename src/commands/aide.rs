//! `!aide` lists the commands the asker may use; `!aide <commande>` shows one command's help,
//! aliases and examples. Everything it says comes from `commands/*.toml`.

use crate::core::text::{ellipsis, escape_md};
use crate::core::{Incoming, Outgoing};
use crate::engine::{reply, Ctx};
use crate::strings::engine as s;

use crate::core::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aide {
    pub topic: Option<String>,
}

impl Aide {
    pub fn parse(args: &str) -> Aide {
        let topic = args
            .split_whitespace()
            .next()
            .map(|w| w.trim_start_matches('!').to_owned());
        Aide {
            topic: topic.filter(|t| !t.is_empty()),
        }
    }

    pub fn apply(&self, ctx: &Ctx<'_>, incoming: &Incoming) -> Vec<Outgoing> {
        let commands = ctx.commands;
        let text = match &self.topic {
            None => {
                let mut lines = vec![s::HELP_HEADER.to_owned()];
                for spec in commands
                    .specs()
                    .iter()
                    .filter(|c| incoming.role.allows(c.role))
                {
                    let tag = if spec.role == Role::Coordination {
                        s::HELP_COORDINATION_TAG
                    } else {
                        ""
                    };
                    lines.push(format!("- `!{}` — {}{tag}", spec.name, spec.summary));
                }
                lines.push(String::new());
                lines.push(s::HELP_FOOTER.to_owned());
                lines.push(s::help_own_prefix(&ctx.config.own_prefix));
                lines.join("\n")
            }
            Some(topic) => match commands.lookup(topic) {
                Some(spec) => {
                    let mut lines = vec![
                        format!("**!{}** — {}", spec.name, spec.summary),
                        String::new(),
                    ];
                    lines.push(spec.help.trim().to_owned());
                    lines.push(String::new());
                    lines.push(s::help_usage_title().to_owned());
                    lines.extend(spec.usage.iter().map(|u| format!("- `{u}`")));
                    if !spec.aliases.is_empty() {
                        let aliases: Vec<String> =
                            spec.aliases.iter().map(|a| format!("`!{a}`")).collect();
                        lines.push(String::new());
                        lines.push(s::help_aliases(&aliases.join(", ")));
                    }
                    if spec.role == Role::Coordination {
                        lines.push(s::HELP_COORDINATION_TAG.trim().to_owned());
                    }
                    lines.join("\n")
                }
                None => s::help_unknown_topic(&escape_md(&ellipsis(topic, 40))),
            },
        };
        vec![reply(incoming, text)]
    }
}

#[cfg(test)]
mod tests {
    use crate::core::Role;
    use crate::engine::tests::{ask, engine_at};

    #[tokio::test]
    async fn lists_and_explains_commands() {
        let (engine, _) = engine_at("2026-11-30T08:00:00Z");
        let list = ask(&engine, "!aide", Role::Membre).await;
        assert!(
            list.contains("`!ping`") && list.contains("`!aide`"),
            "{list}"
        );
        let english = ask(&engine, "!help", Role::Membre).await;
        assert_eq!(list, english);
        let one = ask(&engine, "!aide ping", Role::Membre).await;
        assert!(
            one.contains("**!ping**") && one.contains("`!test`"),
            "{one}"
        );
        let unknown = ask(&engine, "!aide <i>x</i>", Role::Membre).await;
        assert!(
            unknown.contains("Je ne connais pas") && !unknown.contains("<i>"),
            "{unknown}"
        );
    }

    #[tokio::test]
    async fn members_do_not_see_coordination_commands() {
        let (engine, _) = engine_at("2026-11-30T08:00:00Z");
        let coordination: Vec<String> = engine
            .commands()
            .specs()
            .iter()
            .filter(|c| c.role == Role::Coordination)
            .map(|c| format!("`!{}`", c.name))
            .collect();
        let member = ask(&engine, "!aide", Role::Membre).await;
        let coordinator = ask(&engine, "!aide", Role::Coordination).await;
        for name in &coordination {
            assert!(!member.contains(name.as_str()), "{name} shown to a member");
            assert!(
                coordinator.contains(name.as_str()),
                "{name} hidden from coordination"
            );
        }
    }
}
