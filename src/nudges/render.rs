//! The text of a posted nudge. Owns nothing but the assembly: the French words come from
//! `strings::nudges` and `strings::kit`, the card text from the kit.

use crate::core::text::escape_md;
use crate::kit::Kit;

use super::model::{Content, Nudge};
use crate::strings::nudges as s;

/// Markdown of a nudge: the coordinator's words (escaped: no formatting, no stray mention), or
/// a card's title and "Essayer cette semaine".
pub fn nudge_text(kit: &Kit, nudge: &Nudge) -> String {
    match &nudge.content {
        Content::Text { text } => s::nudge_post(&escape_md(text)),
        Content::Message {
            excerpt,
            room_id,
            event_id,
        } => s::message_reminder(&escape_md(excerpt), &message_link(room_id, event_id)),
        Content::Card { id } => match kit.card(id) {
            Some(card) => s::card_post(
                &card.title,
                &crate::strings::kit::kit_try_label(&card.duration),
                &card.try_this,
                &card.id,
            ),
            None => s::nudge_post(&escape_md(id)),
        },
    }
}

/// A `matrix.to` link to an event (ids percent-encoded: they hold `!`, `$`, `+`, `/`, `=`).
pub fn message_link(room_id: &str, event_id: &str) -> String {
    let encode = |id: &str| -> String {
        id.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "https://matrix.to/#/{}/{}",
        encode(room_id),
        encode(event_id)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_links_are_percent_encoded() {
        assert_eq!(
            message_link("!abc:ml.fr", "$x+y/z="),
            "https://matrix.to/#/%21abc:ml.fr/%24x%2By%2Fz%3D"
        );
    }
}
