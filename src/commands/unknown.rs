//! A word after the prefix that names no command: say so, and suggest the closest command.

use crate::engine::{reply, Engine, Incoming, Outgoing};
use crate::strings::engine as s;
use crate::text::{escape_md, truncate_chars};

pub fn apply(engine: &Engine, incoming: &Incoming, word: &str) -> Vec<Outgoing> {
    let suggestion = engine
        .commands()
        .suggest(word)
        .filter(|spec| incoming.role.allows(spec.role))
        .map(|spec| spec.name.clone());
    let shown = escape_md(&truncate_chars(word, 40));
    vec![reply(
        incoming,
        s::unknown_command(&shown, suggestion.as_deref()),
    )]
}
