//! Files that hold secrets (the root key, the database, recordings with `--record-secrets`,
//! exports with `--include-material`): created private (0600, directories 0700), re-set to
//! private when they already exist with wider modes, and written atomically where a partial
//! file would be harmful.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::Path;

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};

/// Mode of files holding secrets.
pub const FILE_MODE: u32 = 0o600;
/// Mode of the data directory.
pub const DIR_MODE: u32 = 0o700;

/// Creates `dir` (and missing parents) with mode 0700, or narrows an existing one to 0700.
/// Returns whether its mode had to be narrowed.
///
/// # Errors
/// I/O errors.
pub fn private_dir(dir: &Path) -> io::Result<bool> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(DIR_MODE);
    builder.create(dir)?;
    narrow(dir, DIR_MODE)
}

/// Sets `path` to `mode` if it grants more; returns whether it did.
///
/// # Errors
/// I/O errors (a file owned by someone else cannot be narrowed).
pub fn narrow(path: &Path, mode: u32) -> io::Result<bool> {
    #[cfg(unix)]
    {
        let current = fs::metadata(path)?.permissions().mode() & 0o777;
        if current & !mode != 0 {
            fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
            return Ok(true);
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(false)
}

/// Opens `path` for writing secrets, creating it with mode 0600; an existing file that
/// others may read is narrowed to 0600 before anything is written, and refused if that
/// is not possible. `append` keeps what it holds; otherwise it is truncated.
///
/// # Errors
/// I/O errors, or an existing file that cannot be made private.
pub fn open_private(path: &Path, append: bool) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.create(true);
    if append {
        opts.append(true);
    } else {
        opts.write(true).truncate(true);
    }
    #[cfg(unix)]
    opts.mode(FILE_MODE);
    let file = opts.open(path)?;
    #[cfg(unix)]
    {
        let mode = file.metadata()?.permissions().mode() & 0o777;
        if mode & !FILE_MODE != 0 {
            file.set_permissions(fs::Permissions::from_mode(FILE_MODE))
                .map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!(
                            "{} is readable by others (mode {mode:o}) and cannot be made private: {e}",
                            path.display()
                        ),
                    )
                })?;
        }
    }
    Ok(file)
}

/// Writes `bytes` to a new file `path` (mode 0600) atomically: a temporary file is
/// written and synced, then linked into place, so `path` is either absent or complete,
/// even on a full disk or a crash. An existing `path` is never replaced.
///
/// # Errors
/// I/O errors; `AlreadyExists` if `path` exists.
pub fn write_new_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let written = (|| {
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        opts.mode(FILE_MODE);
        let mut file = opts.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        // A link fails if `path` exists, where a rename would replace it.
        fs::hard_link(&tmp, path)
    })();
    let _ = fs::remove_file(&tmp);
    written?;
    sync_dir(dir)
}

/// Makes a directory's entries (a new or renamed file) durable.
///
/// # Errors
/// I/O errors.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("qkms-files-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn dirs_and_files_are_private_and_existing_ones_are_narrowed() {
        let dir = scratch("modes");
        assert!(!private_dir(&dir).unwrap());
        assert_eq!(mode(&dir), 0o700);
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        assert!(private_dir(&dir).unwrap());
        assert_eq!(mode(&dir), 0o700);

        let f = dir.join("secrets.jsonl");
        fs::write(&f, b"old line\n").unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).unwrap();
        let mut file = open_private(&f, true).unwrap();
        file.write_all(b"new line\n").unwrap();
        assert_eq!(mode(&f), 0o600);
        assert_eq!(fs::read(&f).unwrap(), b"old line\nnew line\n");
        open_private(&f, false).unwrap();
        assert!(fs::read(&f).unwrap().is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn atomic_writes_never_replace_and_leave_no_temporary() {
        let dir = scratch("atomic");
        private_dir(&dir).unwrap();
        let f = dir.join("root.key");
        write_new_atomic(&f, b"first").unwrap();
        assert_eq!(mode(&f), 0o600);
        let err = write_new_atomic(&f, b"second").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&f).unwrap(), b"first");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }
}
