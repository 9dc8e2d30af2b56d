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
