//! The allocator's settings.
//!
//! glibc's `malloc` raises its trim and mmap thresholds each time the program frees a large
//! block (up to 32 MiB on 64-bit), and past them it keeps freed memory in the process instead of
//! giving it back. sled and the Matrix client free large buffers all the time: with the default
//! behaviour the engine's resident memory grew by about 5 KB per command under the load mix and
//! did not come back (BENCHMARKS.md "Memory: glibc's thresholds"). A fixed trim threshold turns
//! that adjustment off; it cost no measurable CPU in the same bench.
//!
//! glibc also gives threads arenas of their own, up to eight per core, each keeping the memory
//! freed in it. `kitbot run` has about twenty threads (tokio's workers and blocking pool, sled's,
//! matrix-sdk's) and had sixteen arenas on two cores from its first minute; the blocking pool
//! starts threads when the machine is slow, and a thread that starts allocates in its arena
//! whatever the others keep free. Capped at two, the bot's anonymous memory was about 2 MiB
//! lower, and rose 0.25 MiB instead of 0.81 from 2,000 to 11,000 commands (one run each); no
//! CPU difference was resolved (BENCHMARKS.md "glibc's arenas"). The cap does not stop the slow
//! rise: over 36,000 commands the main arena still grew about 25 KB per 1,000 (BENCHMARKS.md
//! "36,000 commands with the arena cap"). That rise is not live data (under heaptrack the live
//! heap stayed flat from 1,000 to 9,000 commands), and `malloc_trim(0)` every minute did not
//! slow it: the arena's pages stay partly used. mimalloc as the global allocator put the
//! anonymous memory at 64 MiB at start and 72–75 MiB over the first 1,000 commands (glibc: 9–11).
//! Neither is applied (BENCHMARKS.md "What the main arena keeps"). Nor are jemalloc (5 MiB more
//! from the start) or glibc without fastbins (`M_MXFAST` 0: no change beyond run-to-run
//! differences). A bare matrix-sdk bot given kitbot's two settings drifts less on average
//! (0.04–0.23 MiB over 7,000 commands in six runs, mean 0.13; kitbot 0.16–0.41 in fourteen, mean
//! 0.26). The extra is sled 0.34's writes per command: with nothing written to sled per
//! command kitbot's arenas did not drift (+0.04 and +0.00), one write of the sync position per
//! sync response put the drift back (+0.52), and so did the engine and outbox path (+0.29)
//! (BENCHMARKS.md "kitbot's own parts, one at a time" and "The sync position out of sled").
//! With the sync position and the outbox's messages in the ledger, a command writes nothing to
//! sled, and kitbot's arenas rose 0.04–0.09 MiB over 7,000 commands in five runs (the build
//! before: 0.25–0.36 in the three runs beside them; the bare bot beside one: 0.02) (BENCHMARKS.md
//! "The outbox out of sled").

/// The trim threshold set at start: free memory above this at the top of the heap goes back
/// to the system.
pub const TRIM_THRESHOLD: usize = 128 * 1024;

/// The most arenas glibc may open (its default is eight per core).
pub const ARENA_MAX: usize = 2;

/// What [`tune_allocator`] set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuned {
    pub trim_threshold: bool,
    pub arena_max: bool,
}

/// Fix glibc's trim threshold and cap its arenas (see the module's documentation). Call first
/// thing in `main`, before any thread starts. Does nothing when `KITBOT_MALLOC_DEFAULT=1` (to
/// measure the difference) or on a system without glibc; leaves the trim threshold alone when
/// glibc's own `MALLOC_TRIM_THRESHOLD_` or `MALLOC_MMAP_THRESHOLD_` is set, and the arenas when
/// `MALLOC_ARENA_MAX` is (the person running the bot chose). Returns what it set.
pub fn tune_allocator() -> Tuned {
    let chosen = |name: &str| std::env::var_os(name).is_some();
    if std::env::var("KITBOT_MALLOC_DEFAULT").is_ok_and(|v| v == "1") {
        return Tuned {
            trim_threshold: false,
            arena_max: false,
        };
    }
    Tuned {
        trim_threshold: !chosen("MALLOC_TRIM_THRESHOLD_")
            && !chosen("MALLOC_MMAP_THRESHOLD_")
            && set(Setting::TrimThreshold),
        arena_max: !chosen("MALLOC_ARENA_MAX") && set(Setting::ArenaMax),
    }
}

enum Setting {
    TrimThreshold,
    ArenaMax,
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn set(setting: Setting) -> bool {
    let (param, value) = match setting {
        Setting::TrimThreshold => (libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD),
        Setting::ArenaMax => (libc::M_ARENA_MAX, ARENA_MAX),
    };
    // SAFETY: `mallopt` only changes malloc's parameters; called before threads start, with a
    // parameter and a value glibc documents for it.
    unsafe { libc::mallopt(param, value as libc::c_int) == 1 }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set(_setting: Setting) -> bool {
    false
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_settings_are_accepted_on_linux_with_glibc() {
        if cfg!(all(target_os = "linux", target_env = "gnu")) {
            assert!(super::set(super::Setting::TrimThreshold));
            assert!(super::set(super::Setting::ArenaMax));
        }
    }
}
