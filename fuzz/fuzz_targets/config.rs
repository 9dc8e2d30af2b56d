//! A `bot.toml` text: `Config::parse`.
#![no_main]

use kitbot_fuzz::{check_config, text_of, MAX_INPUT_BYTES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT_BYTES {
        return;
    }
    check_config(&text_of(data));
});
