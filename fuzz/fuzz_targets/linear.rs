//! Long inputs: the input (at most 256 bytes) is repeated to 16 KB and to 64 KB and given to
//! every entry point. Each must return; a call on 64 KB that takes more than a second *and* more
//! than ten times the call on 16 KB (linear: about four times; quadratic: sixteen) fails as
//! super-linear. Both conditions must hold, so a busy machine alone does not fail the target.
//! With `KITBOT_FUZZ_TIMES=1` in the environment, each call's time is printed to stderr.
#![no_main]

use std::time::{Duration, Instant};

use kitbot_fuzz::{
    card_with_body, card_with_front, check_card, check_commands, check_config, check_pii,
    check_question, check_schedule, repeated, text_of, LONG_INPUT_BYTES, ZONES,
};
use libfuzzer_sys::fuzz_target;

type Entry = (&'static str, fn(&str));

const ENTRIES: [Entry; 8] = [
    ("commands", |t| check_commands(&format!("!relance {t}"))),
    ("schedule", |t| check_schedule(t, ZONES[0])),
    ("card", check_card),
    ("card body", |t| check_card(&card_with_body(t))),
    ("card front matter", |t| check_card(&card_with_front(t))),
    ("kit question", check_question),
    ("config", check_config),
    ("pii", |t| {
        check_pii(t);
    }),
];

fn timed(entry: fn(&str), text: &str) -> Duration {
    let start = Instant::now();
    entry(text);
    start.elapsed()
}

fuzz_target!(|data: &[u8]| {
    if data.len() > 256 {
        return;
    }
    let unit = text_of(data);
    let short = repeated(&unit, LONG_INPUT_BYTES / 4);
    let long = repeated(&unit, LONG_INPUT_BYTES);
    for (name, entry) in ENTRIES {
        let t_short = timed(entry, &short);
        let t_long = timed(entry, &long);
        if std::env::var_os("KITBOT_FUZZ_TIMES").is_some() {
            eprintln!("{name}: {t_short:?} on 16 KB, {t_long:?} on 64 KB");
        }
        assert!(
            t_long < Duration::from_secs(1) || t_long < t_short * 10,
            "{name}: {t_long:?} on 64 KB against {t_short:?} on 16 KB for the unit {unit:?}"
        );
    }
});
