//! Files that hold people's words: the data folder is the bot's user's alone (0700, and
//! everything in it tightened at start to 0700/0600), exports and backups are created 0600,
//! and a config or secret file that others can read is reported at start.

use std::fs::File;
use std::path::Path;

/// Make every file and folder the process creates from now on its user's alone (umask 077):
/// the libraries create theirs with the process's mask (sled a new `snap.*` file at each open,
/// SQLite its journals), which [`tighten`] only caught at the next start. Call first thing in
/// `main`, before any thread starts. Returns the mask it replaced.
#[cfg(unix)]
pub fn private_umask() -> libc::mode_t {
    // SAFETY: `umask` only swaps the process's file-creation mask; it cannot fail.
    unsafe { libc::umask(0o077) }
}

/// Create `dir` if needed and make it the bot's user's alone (0700).
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Create (or truncate) a file only the bot's user can read (0600), whatever the umask.
pub fn create_private_file(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    // An existing file keeps its mode on open: set it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

/// Make the data folder and everything in it the bot's user's alone: folders 0700, files
/// 0600 (the store and the Matrix session were created with the default umask by earlier
/// versions, and libraries create their files with it). Returns how many entries changed.
pub fn tighten(dir: &Path) -> std::io::Result<usize> {
    let mut changed = 0;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mut stack = vec![dir.to_path_buf()];
        while let Some(path) = stack.pop() {
            let meta = std::fs::symlink_metadata(&path)?;
            if meta.file_type().is_symlink() {
                continue;
            }
            let wanted = if meta.is_dir() { 0o700 } else { 0o600 };
            if meta.permissions().mode() & 0o777 != wanted {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(wanted))?;
                changed += 1;
            }
            if meta.is_dir() {
                for entry in std::fs::read_dir(&path)? {
                    stack.push(entry?.path());
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(changed)
}

/// An exclusive lock on the data folder, held until it is dropped (or the process ends, even
/// by a crash: the kernel lets go of it with the file).
#[derive(Debug)]
pub struct FolderLock {
    _file: File,
}

/// Why [`lock_folder`] did not lock.
#[derive(Debug)]
pub enum LockError {
    /// Another process holds the lock.
    Held,
    /// The lock file could not be created, or the file system does not lock files.
    Io(std::io::Error),
}

/// Take the exclusive lock on `file` (created 0600 if needed) without waiting: a second
/// kitbot on the same data folder learns at once that it is in use, before it opens
/// anything else there.
pub fn lock_folder(file: &Path) -> Result<FolderLock, LockError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let file = options.open(file).map_err(LockError::Io)?;
    match file.try_lock() {
        Ok(()) => Ok(FolderLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(LockError::Held),
        Err(std::fs::TryLockError::Error(err)) => Err(LockError::Io(err)),
    }
}

/// Whether people other than the file's owner (group or others) may read it.
pub fn readable_by_others(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o044 != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).expect("meta").permissions().mode() & 0o777
    }

    #[test]
    fn the_folder_lock_keeps_a_second_holder_out_until_it_is_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("kitbot.lock");
        let first = lock_folder(&file).expect("first lock");
        assert_eq!(mode(&file), 0o600);
        // A second open of the file, as a second kitbot would make (flock locks belong to the
        // open file, so this conflicts even inside one process).
        assert!(matches!(lock_folder(&file), Err(LockError::Held)));
        drop(first);
        lock_folder(&file).expect("free again once dropped");
    }

    #[test]
    fn the_data_folder_and_exports_are_the_bots_alone() {
        let tmp = tempfile::tempdir().expect("tmp");
        let data = tmp.path().join("data");
        std::fs::create_dir_all(data.join("store")).expect("mkdir");
        std::fs::write(data.join("store").join("db"), b"x").expect("write");
        std::fs::set_permissions(data.join("store"), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        std::fs::set_permissions(
            data.join("store").join("db"),
            std::fs::Permissions::from_mode(0o644),
        )
        .expect("chmod");
        private_dir(&data).expect("private");
        assert_eq!(tighten(&data).expect("tighten"), 2);
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("store")), 0o700);
        assert_eq!(mode(&data.join("store").join("db")), 0o600);
        assert_eq!(tighten(&data).expect("again"), 0, "nothing left to change");

        let export = tmp.path().join("export.csv");
        std::fs::write(&export, b"old").expect("write");
        std::fs::set_permissions(&export, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        create_private_file(&export).expect("create");
        assert_eq!(mode(&export), 0o600);
        assert!(!readable_by_others(&export));
        std::fs::set_permissions(&export, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        assert!(readable_by_others(&export));
    }
}
