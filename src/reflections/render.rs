//! Shared formatting of reflections for chat: local dates, one reflection as a list line, and
//! the refusals. Every piece of user text goes through `escape_md` (directly or via
//! `quote_inline`), so a stored text can carry no formatting, link, HTML, mention or `@room`.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::consent::View;
use super::model::{Reflection, MAX_TEXT_CHARS};
use super::pii;
use super::share::{Refusal, Shared};
use crate::core::text::escape_md;
use crate::core::text::quote_inline;
use crate::strings::reflections as s;

/// Characters of a reflection shown in a list.
pub const LIST_TEXT_CHARS: usize = 280;

pub fn local_date(tz: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&tz).format("%d/%m/%Y").to_string()
}

pub fn local_datetime(tz: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&tz).format("%d/%m/%Y à %Hh%M").to_string()
}

/// One reflection as a list line: date, card, tags, text, and the author when they sign.
pub fn line(r: &Reflection, view: &View, tz: Tz) -> String {
    let mut parts = vec![format!(
        "**{}**",
        r.created_at.with_timezone(&tz).format("%d/%m/%Y")
    )];
    if let Some(card) = &r.card {
        parts.push(s::card_label(&escape_md(card)));
    }
    if !r.tags.is_empty() {
        let tags: Vec<String> = r.tags.iter().map(|t| escape_md(&format!("#{t}"))).collect();
        parts.push(tags.join(" "));
    }
    let mut out = format!(
        "- {} — {}",
        parts.join(" · "),
        quote_inline(&r.text, LIST_TEXT_CHARS)
    );
    if let View::Signed(author) = view {
        out.push_str(&format!(" — _{}_", escape_md(author)));
    }
    out
}

fn refusal_text(refusal: &Refusal) -> String {
    match refusal {
        Refusal::Empty => s::EMPTY_REFLECTION.to_owned(),
        Refusal::TooLong => s::too_long(MAX_TEXT_CHARS),
        Refusal::Pii(kinds) => s::pii_refused(&pii::labels_fr(kinds)),
        Refusal::Unsure { kinds, words } if kinds.as_slice() == [pii::PiiKind::FirstName] => {
            s::pii_first_name(&quoted_words(words), super::share::CONFIRM_MINUTES)
        }
        Refusal::Unsure { kinds, words } => s::pii_unsure(
            &pii::labels_fr(kinds),
            &quoted_words(words),
            super::share::CONFIRM_MINUTES,
        ),
        Refusal::UnknownCard(id) => s::unknown_card(&escape_md(id)),
    }
}

/// « Kevin », « Cholet »: the author's own words, escaped.
fn quoted_words(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("« {} »", quote_inline(w, 40)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The answer to a share that kept nothing.
pub fn share_refusal(shared: &Shared) -> String {
    match shared {
        Shared::NoConsent => s::NO_CONSENT.to_owned(),
        Shared::Refused(refusal) => refusal_text(refusal),
        // Not refusals; callers answer them otherwise.
        Shared::Already | Shared::Saved { .. } => String::new(),
    }
}

/// The answer to an edit that was not applied.
pub fn edit_refusal(refusal: &Refusal) -> String {
    match refusal {
        Refusal::Pii(kinds) | Refusal::Unsure { kinds, .. } => {
            s::pii_refused_edit(&pii::labels_fr(kinds))
        }
        other => refusal_text(other),
    }
}
