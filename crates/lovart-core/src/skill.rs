//! The Agent Skills file (`skills/lovart-skill/SKILL.md`) this binary carries,
//! and putting it where an assistant looks for skills.
//!
//! The text is embedded at build time, so the skill an assistant reads always
//! describes the binary it runs: [`SKILL_MD`] is the one copy, printed by
//! `lovart skill show`, written by `lovart skill install` and served over MCP.
//! Its `metadata.version` is this crate's version (a test keeps them equal).
//!
//! An install writes `<skills dir>/lovart-skill/SKILL.md` and, beside it, a
//! small record (`.lovart-skill.json`: the version and the SHA-256 of the file
//! as written). The record is what lets a later install tell a file it wrote
//! (replaced freely, so the skill follows upgrades) from one the user edited
//! or put there by hand (kept, unless forced). Both are written atomically.
//!
//! Where each assistant looks ([`AGENTS`]) follows its own documentation; the
//! cross-client `.agents/skills` folder is read by Codex, Cursor, Copilot and
//! others.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The skill file, as embedded in the binary.
pub const SKILL_MD: &str = include_str!("../../../skills/lovart-skill/SKILL.md");

/// The skill's name: its `name` field and the folder it must live in.
pub const SKILL_NAME: &str = "lovart-skill";

/// The file beside `SKILL.md` that records what an install wrote.
pub(crate) const RECORD_FILE: &str = ".lovart-skill.json";

/// The version of the binary, recorded with every install.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// An assistant and the folders it reads skills from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Agent {
    /// The `--agent` value.
    pub id: &'static str,
    /// Its skills folder under the home folder.
    pub user_dir: &'static str,
    /// Its skills folder under a project (the current folder), if it has one.
    pub project_dir: Option<&'static str>,
}

/// Every assistant `--agent` knows, in the order `--help` lists them.
pub const AGENTS: &[Agent] = &[
    agent("claude", ".claude/skills", Some(".claude/skills")),
    agent("codex", ".agents/skills", Some(".agents/skills")),
    agent("cursor", ".cursor/skills", Some(".cursor/skills")),
    agent("gemini", ".gemini/skills", Some(".gemini/skills")),
    agent("copilot", ".copilot/skills", Some(".github/skills")),
    agent(
        "opencode",
        ".config/opencode/skills",
        Some(".opencode/skills"),
    ),
    agent("openclaw", ".openclaw/skills", None),
    // The cross-client folder of the Agent Skills convention.
    agent("agents", ".agents/skills", Some(".agents/skills")),
];

const fn agent(
    id: &'static str,
    user_dir: &'static str,
    project_dir: Option<&'static str>,
) -> Agent {
    Agent {
        id,
        user_dir,
        project_dir,
    }
}

/// The `--agent` values.
pub fn agent_ids() -> impl Iterator<Item = &'static str> {
    AGENTS.iter().map(|agent| agent.id)
}

/// The skills folder of `agent_id`: under `home`, or under `project` when given.
pub fn agent_skills_dir(agent_id: &str, home: &Path, project: Option<&Path>) -> Result<PathBuf> {
    let agent = AGENTS
        .iter()
        .find(|agent| agent.id == agent_id)
        .with_context(|| format!("unknown assistant: {agent_id}"))?;
    Ok(match project {
        None => home.join(agent.user_dir),
        Some(project) => {
            let relative = agent
                .project_dir
                .with_context(|| format!("{agent_id} reads skills only from {}", agent.user_dir))?;
            project.join(relative)
        }
    })
}

/// What an install did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// There was no skill file.
    Created,
    /// The file was the one an earlier install wrote: replaced.
    Updated,
    /// The file already was this version's, byte for byte.
    Unchanged,
    /// The file had been changed by hand, and `force` replaced it.
    Replaced,
}

impl Action {
    /// The word in [`Installed::to_json`]: `created`, `updated`, `unchanged`, `replaced`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
            Self::Replaced => "replaced",
        }
    }
}

/// The outcome of [`install`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The skill file written (or found unchanged).
    pub path: PathBuf,
    /// What the install did to it.
    pub action: Action,
    /// The version an earlier install recorded, when there is one.
    pub previous_version: Option<String>,
}

impl Installed {
    /// `{"skill", "path", "version", "action", "previous_version"}`, the
    /// object `lovart skill install --json` prints (it adds `agent`).
    pub fn to_json(&self) -> Value {
        json!({
            "skill": SKILL_NAME,
            "path": self.path.display().to_string(),
            "version": VERSION,
            "action": self.action.as_str(),
            "previous_version": self.previous_version,
        })
    }
}

/// The skill file exists and is not what an install of lovart wrote.
#[derive(Debug)]
pub struct ChangedByUser {
    /// The skill file that was left alone.
    pub path: PathBuf,
    /// Whether a record says lovart wrote it once (then it was edited since).
    pub recorded: bool,
}

impl fmt::Display for ChangedByUser {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.recorded {
            write!(
                formatter,
                "{} was changed since lovart installed it",
                self.path.display()
            )
        } else {
            write!(
                formatter,
                "{} was not written by `lovart skill install`",
                self.path.display()
            )
        }
    }
}

impl std::error::Error for ChangedByUser {}

/// Writes the skill into `skills_dir/lovart-skill/`, unless the file there was
/// changed by hand (a [`ChangedByUser`] error) and `force` is not set.
pub fn install(skills_dir: &Path, force: bool) -> Result<Installed> {
    let folder = skills_dir.join(SKILL_NAME);
    let path = folder.join("SKILL.md");
    let record_path = folder.join(RECORD_FILE);
    let record = read_record(&record_path);
    let previous_version = record.as_ref().map(|record| record.version.clone());
    let action = match std::fs::read(&path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Action::Created,
        Err(error) => {
            return Err(error).with_context(|| format!("cannot read {}", path.display()));
        }
        Ok(existing) if existing == SKILL_MD.as_bytes() => Action::Unchanged,
        Ok(existing) => {
            let as_written = record
                .as_ref()
                .is_some_and(|record| record.sha256 == sha256_hex(&existing));
            match (as_written, force) {
                (true, _) => Action::Updated,
                (false, true) => Action::Replaced,
                (false, false) => {
                    return Err(ChangedByUser {
                        path,
                        recorded: record.is_some(),
                    }
                    .into());
                }
            }
        }
    };
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    if action != Action::Unchanged {
        write_atomically(&path, SKILL_MD.as_bytes())?;
    }
    let record_text = format!(
        "{}\n",
        json!({"installed_by": "lovart", "version": VERSION, "sha256": sha256_hex(SKILL_MD.as_bytes())})
    );
    if std::fs::read_to_string(&record_path).ok().as_deref() != Some(record_text.as_str()) {
        write_atomically(&record_path, record_text.as_bytes())?;
    }
    Ok(Installed {
        path,
        action,
        previous_version,
    })
}

/// What `.lovart-skill.json` says; None when absent or unreadable.
struct Record {
    version: String,
    sha256: String,
}

fn read_record(path: &Path) -> Option<Record> {
    // A record is a few bytes; anything large is not ours.
    let text = std::fs::read(path)
        .ok()
        .filter(|bytes| bytes.len() < 4096)?;
    let value: Value = serde_json::from_slice(&text).ok()?;
    Some(Record {
        version: value.get("version")?.as_str()?.to_string(),
        sha256: value.get("sha256")?.as_str()?.to_string(),
    })
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A temporary file in the same folder, renamed over `path`: a reader sees
/// the old file or the new one, never half of one.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let folder = path.parent().unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(folder)
        .with_context(|| format!("cannot write in {}", folder.display()))?;
    // Readable by the assistant like any file the user made (a temporary file starts private).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    file.write_all(bytes)
        .and_then(|()| file.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `metadata.version` line of the embedded skill.
    fn skill_metadata_version() -> Option<&'static str> {
        let frontmatter = SKILL_MD.strip_prefix("---\n")?.split("\n---\n").next()?;
        let metadata = frontmatter.split("\nmetadata:\n").nth(1)?;
        metadata
            .lines()
            .take_while(|line| line.starts_with("  "))
            .find_map(|line| line.trim().strip_prefix("version: "))
            .map(|value| value.trim_matches('"'))
    }

    #[test]
    fn the_skill_records_the_crate_version() {
        assert_eq!(
            skill_metadata_version(),
            Some(VERSION),
            "set metadata.version in skills/lovart-skill/SKILL.md to Cargo.toml's version"
        );
    }

    #[test]
    fn the_skill_is_named_after_its_folder() {
        assert!(SKILL_MD.starts_with(&format!("---\nname: {SKILL_NAME}\n")));
    }

    #[test]
    fn every_agent_has_one_entry_and_a_skills_folder() {
        let ids: Vec<_> = agent_ids().collect();
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(ids.len(), unique.len());
        let home = Path::new("/home/u");
        assert_eq!(
            agent_skills_dir("claude", home, None).unwrap(),
            home.join(".claude/skills")
        );
        assert_eq!(
            agent_skills_dir("copilot", home, Some(Path::new("/p"))).unwrap(),
            Path::new("/p/.github/skills")
        );
        assert!(agent_skills_dir("openclaw", home, Some(Path::new("/p"))).is_err());
    }
}
