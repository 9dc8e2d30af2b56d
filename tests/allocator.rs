//! kitbot caps glibc's arenas (`src/memory.rs`): however many threads allocate at once, they
//! share at most `ARENA_MAX` arenas. Its own test binary, so that no other test's threads have
//! opened arenas before the cap is set (as in `kitbot`, where it is set first thing in `main`).

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn threads_share_at_most_the_capped_number_of_arenas() {
    use kitbot::memory::{tune_allocator, ARENA_MAX};
    const THREADS: usize = 12;
    // The control below: this same test in a child process, with glibc's defaults.
    if std::env::var_os(PROBE).is_some() {
        println!("arenas={}", arenas_with_threads_allocating(THREADS));
        return;
    }
    if std::env::var_os("MALLOC_ARENA_MAX").is_some()
        || std::env::var_os("KITBOT_MALLOC_DEFAULT").is_some()
    {
        eprintln!(
            "MALLOC_ARENA_MAX or KITBOT_MALLOC_DEFAULT is set: glibc's arenas are left alone"
        );
        return;
    }
    assert!(tune_allocator().arena_max, "glibc refused the cap");
    let capped = arenas_with_threads_allocating(THREADS);
    assert!(
        (1..=ARENA_MAX).contains(&capped),
        "{capped} arenas with the cap at {ARENA_MAX}"
    );
    // The count is real: without the cap (glibc fixes its limit once, hence another process),
    // the same threads open arenas of their own.
    let child = std::process::Command::new(std::env::current_exe().expect("this test's binary"))
        .args([
            "--exact",
            "threads_share_at_most_the_capped_number_of_arenas",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(PROBE, "1")
        .output()
        .expect("the control process");
    let stdout = String::from_utf8_lossy(&child.stdout);
    assert!(child.status.success(), "control failed: {stdout}");
    // The harness prints the test's name on the same line, before the count.
    let uncapped: usize = stdout
        .split("arenas=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count from the control: {stdout}"));
    assert!(
        uncapped > ARENA_MAX,
        "{uncapped} arenas without the cap: malloc_info's count does not see new arenas"
    );
}

/// Set in the child process that counts arenas with glibc's defaults.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const PROBE: &str = "KITBOT_ARENA_PROBE";

/// Starts `threads` threads that each allocate while all of them are alive, and counts the
/// arenas glibc reports then (`malloc_info`'s `<heap nr=…>` elements).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn arenas_with_threads_allocating(threads: usize) -> usize {
    use std::sync::{Arc, Barrier};
    let allocated = Arc::new(Barrier::new(threads + 1));
    let counted = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let (allocated, counted) = (allocated.clone(), counted.clone());
            std::thread::spawn(move || {
                let held = vec![i as u8; 4096];
                allocated.wait();
                counted.wait();
                held.len()
            })
        })
        .collect();
    allocated.wait();
    let report = malloc_info();
    counted.wait();
    for handle in handles {
        assert_eq!(handle.join().expect("thread"), 4096);
    }
    report.matches("<heap nr=").count()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn malloc_info() -> String {
    use std::io::{Read, Seek};
    use std::os::fd::FromRawFd;
    // SAFETY: a temporary file opened and closed here; `malloc_info` writes its XML report to it.
    unsafe {
        let stream = libc::tmpfile();
        assert!(!stream.is_null(), "tmpfile");
        assert_eq!(libc::malloc_info(0, stream), 0, "malloc_info");
        assert_eq!(libc::fflush(stream), 0);
        let fd = libc::dup(libc::fileno(stream));
        libc::fclose(stream);
        let mut file = std::fs::File::from_raw_fd(fd);
        file.rewind().expect("rewind");
        let mut text = String::new();
        file.read_to_string(&mut text)
            .expect("malloc_info's report");
        text
    }
}
