//! The options of `lovart skill`: show the skill file, or install it where an
//! assistant looks for skills.

use clap::{Args, ValueHint};

use super::JsonArgs;

#[derive(Debug, Args)]
pub struct SkillArgs {
    #[command(subcommand)]
    pub command: SkillCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum SkillCommand {
    /// Print the skill file (SKILL.md) this binary carries
    #[command(after_help = "Example:\n  lovart skill show > SKILL.md")]
    Show(JsonArgs),
    /// Write the skill where an assistant looks for skills
    #[command(after_help = SKILL_INSTALL_HELP)]
    Install(SkillInstallArgs),
}

pub const SKILL_INSTALL_HELP: &str = "\
Writes DIR/lovart-skill/SKILL.md (the skill of this binary's version) and a
record of what it wrote (.lovart-skill.json). Run it again after upgrading
lovart: a file an earlier install wrote is updated, one you changed by hand is
kept unless --force.

Examples:
  lovart skill install --agent claude            # ~/.claude/skills/lovart-skill
  lovart skill install --agent codex --project   # ./.agents/skills/lovart-skill
  lovart skill install --dir ~/my-skills";

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("target").required(true).args(["agent", "dir"]))]
pub struct SkillInstallArgs {
    /// The assistant whose skills folder receives it (codex and agents: the
    /// cross-client ~/.agents/skills)
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(lovart_core::skill::agent_ids()))]
    pub agent: Option<String>,
    /// The skills folder to write into (the skill goes into DIR/lovart-skill)
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub dir: Option<std::path::PathBuf>,
    /// The assistant's folder in the current project instead of your home's
    #[arg(long, requires = "agent")]
    pub project: bool,
    /// Replace a SKILL.md that was changed by hand or not written by lovart
    #[arg(long)]
    pub force: bool,
    /// Print what was done as JSON
    #[arg(long)]
    pub json: bool,
}
