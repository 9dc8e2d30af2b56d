//! `!reflexions [#tag] [depuis <date ou durée>]` — this room's recent reflections, newest first,
//! short; authors shown only for those who chose to sign. Only this room, only this Mission
//! Locale.
//!
//! Examples: `!reflexions`, `!reflexions #visio`, `!reflexions depuis 01/09/2026`,
//! `!reflexions #sms depuis 3 mois`.

use crate::commands::CommandError;
use crate::core::text::{ellipsis, escape_md, fold};
use crate::core::{Incoming, Outgoing};
use crate::engine::{reply, Ctx};
use crate::reflections::look;
use crate::reflections::parse::{parse_since, tag_of};
use crate::strings::reflections as s;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reflexions {
    pub tag: Option<String>,
    /// The "depuis" expression as typed, resolved against the clock when applied.
    pub since: Option<String>,
    /// Arguments that fit neither, quoted back.
    pub unknown: Option<String>,
}

impl Reflexions {
    pub fn parse(args: &str) -> Self {
        let mut out = Reflexions {
            tag: None,
            since: None,
            unknown: None,
        };
        let mut words = args.split_whitespace();
        let mut unknown = Vec::new();
        while let Some(word) = words.next() {
            if fold(word) == "depuis" || fold(word) == "since" {
                let rest: Vec<&str> = words.by_ref().collect();
                out.since = Some(rest.join(" "));
            } else if let (Some(tag), None) = (tag_of(word), &out.tag) {
                out.tag = Some(tag);
            } else {
                unknown.push(word);
            }
        }
        if !unknown.is_empty() {
            out.unknown = Some(unknown.join(" "));
        }
        out
    }

    pub fn apply(&self, ctx: &Ctx<'_>, incoming: &Incoming) -> Result<Vec<Outgoing>, CommandError> {
        let quote = |text: &str| escape_md(&ellipsis(text, 60));
        if let Some(unknown) = &self.unknown {
            return Ok(vec![reply(
                incoming,
                s::reflexions_bad_args(&quote(unknown)),
            )]);
        }
        let tz = ctx.tz();
        let since = match &self.since {
            Some(expr) => match parse_since(expr, ctx.now, tz) {
                Some(at) => Some(at),
                None => return Ok(vec![reply(incoming, s::since_invalid(&quote(expr)))]),
            },
            None => None,
        };
        let answer = look::list(
            ctx.store,
            &incoming.tenant,
            &incoming.room_id,
            self.tag.as_deref(),
            since,
            tz,
        )?;
        Ok(vec![reply(incoming, answer)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments() {
        let p = Reflexions::parse("#Visio depuis 3 mois");
        assert_eq!(p.tag.as_deref(), Some("visio"));
        assert_eq!(p.since.as_deref(), Some("3 mois"));
        assert_eq!(p.unknown, None);
        let p = Reflexions::parse("depuis le 12/03");
        assert_eq!(p.since.as_deref(), Some("le 12/03"));
        let p = Reflexions::parse("#a #b");
        assert_eq!(p.unknown.as_deref(), Some("#b"), "one tag at a time");
        assert_eq!(Reflexions::parse("").tag, None);
    }
}
