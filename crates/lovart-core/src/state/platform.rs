//! What the state file needs from the operating system: the home folder as
//! Python's `os.path.expanduser("~")` finds it, and private permissions where
//! the system has mode bits (Unix: folder 0700, files 0600). On Windows the
//! profile folder is already private to its user, so there is nothing to set.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

/// `$HOME`, else the password database's entry (as Python on Unix).
#[cfg(unix)]
pub fn home_dir() -> Option<PathBuf> {
    dirs::home_dir()
}

/// `%USERPROFILE%`, else `%HOMEDRIVE%%HOMEPATH%` (as Python ≥ 3.8 on Windows),
/// else the profile folder Windows knows.
#[cfg(windows)]
pub fn home_dir() -> Option<PathBuf> {
    let var = |name| std::env::var_os(name).filter(|value| !value.is_empty());
    var("USERPROFILE")
        .map(PathBuf::from)
        .or_else(|| {
            let mut path = PathBuf::from(var("HOMEDRIVE").unwrap_or_default());
            path.push(var("HOMEPATH")?);
            Some(path)
        })
        .or_else(dirs::home_dir)
}

/// Creates `dir` and its parents; a folder created here is private.
#[cfg(unix)]
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(windows)]
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

/// Opens (creating when missing) the lock file beside the state, private.
pub fn open_lock_file(path: &Path) -> io::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Makes a file readable and writable by its owner only.
#[cfg(unix)]
pub fn make_private(file: &File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(0o600))
}

#[cfg(windows)]
pub fn make_private(_file: &File) -> io::Result<()> {
    Ok(())
}
