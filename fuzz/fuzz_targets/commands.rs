//! A chat message: `command_word`, `CommandSet::split`, `Command::parse` (the matched command,
//! then every command with the message as its arguments) and `escape_md`.
#![no_main]

use kitbot_fuzz::{check_commands, text_of, MAX_INPUT_BYTES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT_BYTES {
        return;
    }
    check_commands(&text_of(data));
});
