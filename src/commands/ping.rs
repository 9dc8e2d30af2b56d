//! `!ping`: answers at once with the bot's version and the time between the command's sending
//! (server timestamp) and the answer.

use crate::core::{Incoming, Outgoing};
use crate::engine::{reply, Ctx};
use crate::strings::engine as s;

pub fn apply(ctx: &Ctx<'_>, incoming: &Incoming) -> Vec<Outgoing> {
    let latency = (ctx.now - incoming.sent_at).num_milliseconds().max(0);
    vec![reply(incoming, s::pong(env!("CARGO_PKG_VERSION"), latency))]
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use crate::core::Outgoing;
    use crate::core::Role;
    use crate::engine::tests::{engine_at, message};

    #[tokio::test]
    async fn answers_with_version_and_latency() {
        let (engine, clock) = engine_at("2026-11-30T08:00:00Z");
        let incoming = message("!ping", Role::Membre, engine.now());
        clock.advance(Duration::milliseconds(42));
        let out = engine.handle(&incoming).await;
        let [Outgoing::Reply { markdown, .. }] = &out[..] else {
            panic!("one reply expected: {out:?}")
        };
        assert!(
            markdown.contains(env!("CARGO_PKG_VERSION")) && markdown.contains("42 ms"),
            "{markdown}"
        );
    }
}
