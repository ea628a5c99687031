//! Files and directories that hold an account's data: created readable by
//! the owner only, tightened when found looser, and written so that a
//! reader never sees half a file.
//!
//! Sessions hold auth keys, the profile store a phone number, and the media
//! cache the account's pictures, so all of them are 0600 (directories
//! 0700). Cache files are written to a unique temporary name in their
//! directory (created with `O_EXCL` by `tempfile`, so a symlink planted at
//! a predictable name is never followed), synced, renamed into place, and
//! the directory synced, so that after a crash a cached file is either
//! whole or absent.
//!
//! This module imports nothing else of the crate.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tracing::warn;

/// Mode of files that hold account data.
#[cfg(unix)]
const PRIVATE_FILE: u32 = 0o600;
/// Mode of directories that hold account data.
#[cfg(unix)]
const PRIVATE_DIR: u32 = 0o700;

/// Creates `path` if it does not exist, mode 0600, and tightens an existing
/// file whose mode lets anyone else in.
pub(crate) fn create_private_file(path: &Path) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, PRIVATE_FILE);
    // Created by us first, so it never exists with wider permissions; SQLite
    // gives its journal files the same mode as the database.
    options.open(path)?;
    tighten(path, PRIVATE_FILE_MODE)
}

/// Creates `path` and its parents if needed, and makes `path` itself 0700.
pub(crate) fn create_private_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(PRIVATE_DIR)
            .create(path)?;
    }
    #[cfg(not(unix))]
    fs::create_dir_all(path)?;
    tighten(path, PRIVATE_DIR_MODE)
}

/// A fresh directory with an unpredictable name under the system temp
/// directory, mode 0700, removed when the returned value is dropped.
pub(crate) fn private_temp_dir() -> io::Result<tempfile::TempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix("tgcmd-");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(PRIVATE_DIR));
    let dir = builder.tempdir()?;
    // The mode passes through the umask, which can only narrow it; check.
    tighten(dir.path(), PRIVATE_DIR_MODE)?;
    Ok(dir)
}

/// Writes `content` to `dir/name` so that the file is either absent or
/// whole, even after a crash: a unique temporary file (`O_EXCL`, 0600) is
/// written, synced and renamed over `name`, then the directory is synced.
pub(crate) fn write_atomically(dir: &Path, name: &str, content: &[u8]) -> io::Result<PathBuf> {
    let target = dir.join(name);
    let mut temporary = tempfile::Builder::new()
        .prefix(".tgcmd-")
        .suffix(".part")
        .tempfile_in(dir)?;
    temporary.write_all(content)?;
    temporary.as_file().sync_all()?;
    temporary.persist(&target).map_err(|e| e.error)?;
    sync_dir(dir)?;
    Ok(target)
}

/// Makes a rename or a new file in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    // Windows cannot open a directory as a file; its renames are
    // journalled by NTFS.
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// The directory a file is in (`.` for a bare name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

#[cfg(unix)]
const PRIVATE_FILE_MODE: Option<u32> = Some(PRIVATE_FILE);
#[cfg(unix)]
const PRIVATE_DIR_MODE: Option<u32> = Some(PRIVATE_DIR);
#[cfg(not(unix))]
const PRIVATE_FILE_MODE: Option<u32> = None;
#[cfg(not(unix))]
const PRIVATE_DIR_MODE: Option<u32> = None;

/// Sets `path` to `mode` if it grants more than `mode` does.
fn tighten(path: &Path, mode: Option<u32>) -> io::Result<()> {
    #[cfg(unix)]
    if let Some(mode) = mode {
        use std::os::unix::fs::PermissionsExt;
        let current = fs::metadata(path)?.permissions().mode() & 0o777;
        if current & !mode != 0 {
            warn!(path = %path.display(), "was mode {current:o}; setting {mode:o}");
            fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).expect("exists").permissions().mode() & 0o777
    }

    #[test]
    fn files_and_directories_are_private_and_tightened() {
        let root = tempfile::tempdir().expect("temp dir");
        let dir = root.path().join("a/b");
        create_private_dir(&dir).expect("created");
        assert_eq!(mode(&dir), 0o700);
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod");
        create_private_dir(&dir).expect("again");
        assert_eq!(
            mode(&dir),
            0o700,
            "an existing looser directory is tightened"
        );

        let file = dir.join("session");
        create_private_file(&file).expect("created");
        assert_eq!(mode(&file), 0o600);
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).expect("chmod");
        create_private_file(&file).expect("again");
        assert_eq!(mode(&file), 0o600, "an existing looser file is tightened");
        // A stricter mode is left alone.
        fs::set_permissions(&file, fs::Permissions::from_mode(0o400)).expect("chmod");
        create_private_file(&file).ok();
        assert_eq!(mode(&file), 0o400);
    }

    #[test]
    fn atomic_writes_replace_whole_and_never_follow_a_planted_link() {
        let dir = tempfile::tempdir().expect("temp dir");
        let victim = dir.path().join("victim");
        fs::write(&victim, b"keep me").expect("victim");
        // Whatever predictable name an attacker plants, the temporary file
        // is a fresh one created with O_EXCL.
        for planted in [".tgcmd-.part", "photo.jpg.part", ".photo.jpg.part"] {
            std::os::unix::fs::symlink(&victim, dir.path().join(planted)).expect("symlink");
        }
        let written = write_atomically(dir.path(), "photo.jpg", b"new bytes").expect("written");
        assert_eq!(fs::read(&written).expect("read"), b"new bytes");
        assert_eq!(mode(&written), 0o600);
        assert_eq!(fs::read(&victim).expect("victim"), b"keep me");
        write_atomically(dir.path(), "photo.jpg", b"newer").expect("replaced");
        assert_eq!(fs::read(&written).expect("read"), b"newer");
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with(".tgcmd-") && name != ".tgcmd-.part")
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn temp_dirs_are_private_unpredictable_and_removed() {
        let first = private_temp_dir().expect("temp dir");
        let second = private_temp_dir().expect("temp dir");
        assert_ne!(first.path(), second.path());
        assert_eq!(mode(first.path()), 0o700);
        let path = first.path().to_path_buf();
        drop(first);
        assert!(!path.exists());
    }
}
