//! Files for a client on another machine.
//!
//! Over stdio the client shares the server's file system, so `output_dir`,
//! `upload`'s `path` and local attachments mean what they say
//! ([`FilePolicy::Local`]). Over HTTP they would mean the *server's* files, so
//! [`FilePolicy::Confined`] applies: every `output_dir` is read as a folder
//! inside the server's output folder (as if that folder were the root: `/x`,
//! `x` and `../x` all land in `<root>/x`), and the tools never read a server
//! file for a client (`upload` is not listed and local-path attachments are
//! refused; a remote client passes URLs; the tool texts say so,
//! [`remote_wording`]). What the client gets back instead of paths is
//! [`super::results`]'s business.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
use rmcp::handler::server::router::tool::ToolRouter;
use serde_json::Value;

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

    /// Whether the client is on another machine (HTTP).
    pub fn is_remote(&self) -> bool {
        matches!(self, Self::Confined { .. })
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

impl FilePolicy {
    /// Refuses, over HTTP, a download folder (`dir`, from [`Self::output_dir`])
    /// or the sub-folders of a name template (`name`, up to its first
    /// placeholder) that reach outside the root through a symbolic link
    /// already there: the real folder must be under the real root.
    pub fn check_inside(&self, dir: Option<&str>, name: Option<&str>) -> Result<()> {
        let Self::Confined { root } = self else {
            return Ok(());
        };
        let mut folder = dir.map_or_else(|| root.clone(), PathBuf::from);
        if let Some(name) = name {
            let mut parts: Vec<&str> = name.split('/').collect();
            parts.pop();
            for part in parts.into_iter().take_while(|part| !part.contains('{')) {
                folder.push(part);
            }
        }
        if is_inside(root, &folder) {
            Ok(())
        } else {
            Err(InvalidInput(
                "the output folder leads outside this server's output folder through a \
                 symbolic link; choose another output_dir or name"
                    .into(),
            )
            .into())
        }
    }
}

/// Whether `path`, with every symbolic link in the part of it that exists
/// resolved, is under `root` (also resolved). A root that does not exist
/// yet holds no link.
fn is_inside(root: &Path, path: &Path) -> bool {
    let Ok(real_root) = root.canonicalize() else {
        return !root.exists();
    };
    let mut existing = path;
    while existing.symlink_metadata().is_err() {
        match existing.parent() {
            Some(parent) => existing = parent,
            None => return true,
        }
    }
    // A dangling link does not resolve: refused.
    existing
        .canonicalize()
        .is_ok_and(|real| real.starts_with(&real_root))
}

/// The tools as a client on another machine sees them: no `upload` (it
/// reads a server file) and no local path offered in their texts.
pub fn remote_tools<S: Send + Sync + 'static>(tools: ToolRouter<S>) -> ToolRouter<S> {
    let mut remote = ToolRouter::new();
    for mut route in tools {
        if route.attr.name == "upload" {
            continue;
        }
        if let Some(text) = &route.attr.description {
            route.attr.description = Some(remote_wording(text).into());
        }
        let schema = Value::Object((*route.attr.input_schema).clone()).to_string();
        if let Ok(Value::Object(schema)) = serde_json::from_str(&remote_wording(&schema)) {
            route.attr.input_schema = Arc::new(schema);
        }
        remote.add_route(route);
    }
    remote
}

/// A tool's description or schema text as a client on another machine
/// reads it: no local paths offered, no server folder named.
pub fn remote_wording(text: &str) -> String {
    text.replace(
        "http(s) URLs, or local file paths (uploaded first)",
        "http(s) URLs (this server cannot read your files)",
    )
    .replace(
        &format!("(default {})", super::super::params::DEFAULT_OUTPUT_DIR),
        "(a folder inside the server's output folder)",
    )
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

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_inside_the_root_cannot_lead_out() {
        let root = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let served = root.path().join("served");
        std::fs::create_dir(&served).unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), served.join("link")).unwrap();
        std::os::unix::fs::symlink(&served, served.join("self")).unwrap();
        std::os::unix::fs::symlink(served.join("nowhere"), served.join("dangling")).unwrap();
        let remote = FilePolicy::Confined {
            root: served.clone(),
        };
        let check = |asked: &str, name: Option<&str>| {
            let dir = remote.output_dir(Some(asked.to_string()));
            remote.check_inside(dir.as_deref(), name)
        };
        assert!(check("link", None).is_err());
        assert!(check("link/deeper/still", None).is_err());
        assert!(check("dangling", None).is_err());
        assert!(check("", Some("link/{index}.{ext}")).is_err());
        assert!(check("", Some("x/link/{prompt}/{index}.{ext}")).is_ok());
        assert!(check("self/new", None).is_ok(), "a link that stays inside");
        assert!(check("posters/new", Some("a/b/{index}.{ext}")).is_ok());
        assert!(check("", None).is_ok());
        let message = check("link", None).unwrap_err().to_string();
        assert!(!message.contains(&*served.to_string_lossy()), "{message}");
        // A root not made yet holds no link.
        let fresh = FilePolicy::Confined {
            root: root.path().join("not-yet"),
        };
        assert!(fresh.check_inside(None, Some("a/{index}")).is_ok());
        assert!(FilePolicy::Local.check_inside(Some("/etc"), None).is_ok());
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
