//! kitbot's fuzz targets (see `README.md`). The properties live in `checks.rs`, which the main
//! crate's `tests/fuzz_props.rs` includes too; each target in `fuzz_targets/` is a thin wrapper
//! around them plus what only the targets need.

mod checks;
pub use checks::*;

/// Inputs longer than this (in bytes) are skipped by the size-capped targets: a target must not
/// hang on size alone. The `linear` target and the proptests check 64 KB inputs separately.
pub const MAX_INPUT_BYTES: usize = 8 * 1024;

/// Bytes to text: invalid UTF-8 is replaced, so every input reaches the parsers.
pub fn text_of(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}
