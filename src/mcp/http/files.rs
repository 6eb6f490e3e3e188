//! Files for a client on another machine.
//!
//! Over stdio the client shares the server's file system, so `output_dir`,
//! `upload`'s `path` and local attachments mean what they say
//! ([`FilePolicy::Local`]). Over HTTP they would mean the *server's* files, so
//! [`FilePolicy::Confined`] applies: every `output_dir` is read as a folder
//! inside the server's output folder (as if that folder were the root: `/x`,
//! `x` and `../x` all land in `<root>/x`), and the tools never read a server
//! file for a client (`upload` and local-path attachments are refused; a
//! remote client passes URLs). What the client gets back instead of paths is
//! [`super::results`]'s business.

use std::path::{Component, Path, PathBuf};

use anyhow::Result;

use lovart_core::failure::InvalidInput;

/// Where a transport lets the tools read and write files.
#[derive(Debug, Clone)]
pub enum FilePolicy {
    /// stdio: the client's paths are the server's.
    Local,
    /// HTTP: downloads stay under `root`; no server file is read for a client.
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    Confined { root: PathBuf },
}

impl FilePolicy {
    /// The download folder for a call that asked for `asked` (None: the
    /// tools' default). Local: `asked` as it is.
    pub fn output_dir(&self, asked: Option<String>) -> Option<String> {
        match self {
            Self::Local => asked,
            Self::Confined { root } => Some(
                confine(root, Path::new(asked.as_deref().unwrap_or("")))
                    .display()
                    .to_string(),
            ),
        }
    }

    /// Refuses, over HTTP, a call that would read a server file: `upload`'s
    /// path, or an attachment that is not a URL.
    pub fn check_local_files<'a>(&self, paths: impl IntoIterator<Item = &'a str>) -> Result<()> {
        if let Self::Confined { .. } = self
            && let Some(path) = paths.into_iter().find(|path| !path.contains("://"))
        {
            return Err(InvalidInput(format!(
                "'{path}' is a local path, and this server is reached over HTTP: it cannot \
                 read your files. Pass an http(s) URL instead"
            ))
            .into());
        }
        Ok(())
    }
}

/// `asked` resolved inside `root`, as if `root` were `/`: `..` never climbs
/// above it and an absolute path starts at it.
fn confine(root: &Path, asked: &Path) -> PathBuf {
    let mut inside: Vec<&std::ffi::OsStr> = Vec::new();
    for component in asked.components() {
        match component {
            Component::Normal(name) => inside.push(name),
            Component::ParentDir => {
                inside.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    inside
        .iter()
        .fold(root.to_path_buf(), |path, name| path.join(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn confined(asked: Option<&str>) -> String {
        FilePolicy::Confined {
            root: PathBuf::from("/srv/out"),
        }
        .output_dir(asked.map(String::from))
        .unwrap()
    }

    #[test]
    fn output_dirs_stay_inside_the_root() {
        assert_eq!(confined(None), "/srv/out");
        assert_eq!(confined(Some("")), "/srv/out");
        assert_eq!(confined(Some("posters")), "/srv/out/posters");
        assert_eq!(confined(Some("/tmp/lovart")), "/srv/out/tmp/lovart");
        assert_eq!(confined(Some("../../etc")), "/srv/out/etc");
        assert_eq!(confined(Some("a/../../b/./c")), "/srv/out/b/c");
        assert_eq!(confined(Some("/..")), "/srv/out");
    }

    #[test]
    fn local_output_dirs_are_kept() {
        assert_eq!(
            FilePolicy::Local.output_dir(Some("/tmp/x".into())),
            Some("/tmp/x".into())
        );
        assert_eq!(FilePolicy::Local.output_dir(None), None);
    }

    #[test]
    fn remote_clients_cannot_read_server_files() {
        let remote = FilePolicy::Confined {
            root: PathBuf::from("/srv/out"),
        };
        assert!(remote.check_local_files(["https://a/b.png"]).is_ok());
        let refused = remote
            .check_local_files(["https://a/b.png", "/etc/passwd"])
            .unwrap_err();
        assert!(refused.is::<InvalidInput>());
        assert!(refused.to_string().contains("/etc/passwd"));
        assert!(FilePolicy::Local.check_local_files(["/etc/hosts"]).is_ok());
    }
}
