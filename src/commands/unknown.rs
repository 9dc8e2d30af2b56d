//! A word after the prefix that names no command: say so, and suggest the closest command.

use crate::core::text::{ellipsis, escape_md};
use crate::core::{Incoming, Outgoing};
use crate::engine::{reply, Ctx};
use crate::strings::engine as s;

pub fn apply(ctx: &Ctx<'_>, incoming: &Incoming, word: &str) -> Vec<Outgoing> {
    let suggestion = ctx
        .commands
        .suggest(word)
        .filter(|spec| incoming.role.allows(spec.role))
        .map(|spec| spec.name.clone());
    let shown = escape_md(&ellipsis(word, 40));
    vec![reply(
        incoming,
        s::unknown_command(&shown, suggestion.as_deref()),
    )]
}
