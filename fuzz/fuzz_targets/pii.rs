//! A reflection text: the personal-data guard `pii::scan_at`. Besides the properties of
//! `check_pii`, one scan of an input of at most 8 KB must take less than a second (it takes
//! about a millisecond): the guard runs on every reflection a team member sends.
#![no_main]

use std::time::{Duration, Instant};

use kitbot_fuzz::{check_pii, text_of, MAX_INPUT_BYTES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT_BYTES {
        return;
    }
    let text = text_of(data);
    let start = Instant::now();
    check_pii(&text);
    // check_pii scans five times.
    let took = start.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "the guard took {took:?} on {} bytes",
        text.len()
    );
});
