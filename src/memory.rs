//! The allocator's settings.
//!
//! glibc's `malloc` raises its trim and mmap thresholds each time the program frees a large
//! block (up to 32 MiB on 64-bit), and past them it keeps freed memory in the process instead of
//! giving it back. sled and the Matrix client free large buffers all the time: with the default
//! behaviour the engine's resident memory grew by about 5 KB per command under the load mix and
//! did not come back (BENCHMARKS.md "Memory: glibc's thresholds"). A fixed trim threshold turns
//! that adjustment off; it cost no measurable CPU in the same bench.

/// The trim threshold set at start: free memory above this at the top of the heap goes back
/// to the system.
pub const TRIM_THRESHOLD: usize = 128 * 1024;

/// Fix glibc's trim threshold (see the module's documentation). Call first thing in `main`,
/// before any thread starts. Does nothing when `KITBOT_MALLOC_DEFAULT=1` (to measure the
/// difference), when glibc's own `MALLOC_TRIM_THRESHOLD_` or `MALLOC_MMAP_THRESHOLD_` is set
/// (the person running the bot chose), or on a system without glibc. Returns whether it set it.
pub fn tune_allocator() -> bool {
    let chosen = |name: &str| std::env::var_os(name).is_some();
    if std::env::var("KITBOT_MALLOC_DEFAULT").is_ok_and(|v| v == "1")
        || chosen("MALLOC_TRIM_THRESHOLD_")
        || chosen("MALLOC_MMAP_THRESHOLD_")
    {
        return false;
    }
    set_trim_threshold()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn set_trim_threshold() -> bool {
    // SAFETY: `mallopt` only changes malloc's parameters; called before threads start, with a
    // parameter and a value glibc documents for it.
    unsafe { libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD as libc::c_int) == 1 }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_trim_threshold() -> bool {
    false
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_trim_threshold_is_accepted_on_linux_with_glibc() {
        if cfg!(all(target_os = "linux", target_env = "gnu")) {
            assert!(super::set_trim_threshold());
        }
    }
}
