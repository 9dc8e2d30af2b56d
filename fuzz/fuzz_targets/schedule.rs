//! A schedule phrase: `schedule::parse` and `schedule::parse_leading` at a fixed `now`. The first
//! byte picks the time zone; the rest is the phrase.
#![no_main]

use kitbot_fuzz::{check_schedule, text_of, MAX_INPUT_BYTES, ZONES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&zone, phrase)) = data.split_first() else {
        return;
    };
    if phrase.len() > MAX_INPUT_BYTES {
        return;
    }
    check_schedule(&text_of(phrase), ZONES[usize::from(zone) % ZONES.len()]);
});
