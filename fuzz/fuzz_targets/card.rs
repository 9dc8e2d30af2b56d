//! A card file loaded with the real `themes.toml`. The first byte picks what the rest is: a
//! whole card file (most inputs), the body under a valid front matter, the front matter above a
//! valid body, or a question (`!kit`, `!fiche`) on the real kit.
#![no_main]

use kitbot_fuzz::{
    card_with_body, card_with_front, check_card, check_question, text_of, MAX_INPUT_BYTES,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if rest.len() > MAX_INPUT_BYTES {
        return;
    }
    let text = text_of(rest);
    match mode % 8 {
        0 => check_card(&card_with_body(&text)),
        1 => check_card(&card_with_front(&text)),
        2 => check_question(&text),
        _ => check_card(&text),
    }
});
