//! `skill show` and `skill install`: the assistant skill this binary carries
//! ([`lovart_core::skill`]), printed as is or written where an assistant looks.
//!
//! `install` prints one line (`installed lovart-skill 0.1.0 → PATH`, or
//! `updated … (was 0.0.9)`, `unchanged`, `replaced`), or with `--json` the
//! outcome as an object. A file the user changed is refused with a hint, as a
//! `local` error.

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde_json::json;

use crate::cli::{SkillArgs, SkillCommand, SkillInstallArgs};
use crate::terminal::print_line;
use lovart_core::failure::{Hinted, InvalidInput, Kind};
use lovart_core::python::dumps_pretty;
use lovart_core::skill::{self, Action, ChangedByUser};

pub fn run(args: SkillArgs) -> Result<()> {
    match args.command {
        SkillCommand::Show(args) if args.json => {
            let object = json!({
                "name": skill::SKILL_NAME,
                "version": skill::VERSION,
                "text": skill::SKILL_MD,
            });
            print_line(&dumps_pretty(&object, false));
        }
        SkillCommand::Show(_) => {
            print_line(
                skill::SKILL_MD
                    .strip_suffix('\n')
                    .unwrap_or(skill::SKILL_MD),
            );
        }
        SkillCommand::Install(args) => install(&args)?,
    }
    Ok(())
}

fn install(args: &SkillInstallArgs) -> Result<()> {
    let skills_dir = skills_dir(args)?;
    let installed = skill::install(&skills_dir, args.force).map_err(|error| {
        let Some(changed) = error.downcast_ref::<ChangedByUser>() else {
            return error;
        };
        let hint = format!(
            "keep your edits, or replace the file with `--force` (see the new one with `lovart skill show`); {} is left as it was",
            changed.path.display()
        );
        Hinted {
            hints: vec![hint],
            mcp_hints: None,
            kind: Some(Kind::Local),
            cause: error,
        }
        .into()
    })?;
    if args.json {
        let mut object = installed.to_json();
        object["agent"] = json!(args.agent);
        print_line(&dumps_pretty(&object, false));
        return Ok(());
    }
    let path = installed.path.display();
    let version = skill::VERSION;
    let name = skill::SKILL_NAME;
    let was = match &installed.previous_version {
        Some(previous) if previous != version => format!(" (was {previous})"),
        _ => String::new(),
    };
    print_line(&match installed.action {
        Action::Created => format!("installed {name} {version} → {path}"),
        Action::Updated => format!("updated {name} to {version}{was} → {path}"),
        Action::Unchanged => format!("{name} {version} is already installed → {path}"),
        Action::Replaced => format!("replaced {path} with {name} {version} (--force)"),
    });
    Ok(())
}

/// `--dir`, or the assistant's folder under the home folder (or the current one).
fn skills_dir(args: &SkillInstallArgs) -> Result<PathBuf> {
    if let Some(dir) = &args.dir {
        return Ok(dir.clone());
    }
    let agent = args
        .agent
        .as_deref()
        .context("--agent or --dir is required")?;
    let project = if args.project {
        let known = skill::AGENTS.iter().find(|known| known.id == agent);
        if let Some(known) = known.filter(|known| known.project_dir.is_none()) {
            return Err(InvalidInput(format!(
                "{agent} reads skills only from ~/{}: leave out --project, or use --dir",
                known.user_dir
            ))
            .into());
        }
        Some(std::env::current_dir().context("cannot read the current folder")?)
    } else {
        None
    };
    let home = dirs::home_dir().context("cannot find the home folder (set HOME)")?;
    skill::agent_skills_dir(agent, &home, project.as_deref())
}
