//! The skill that teaches an assistant to use lovart, served over MCP (the
//! skills extension, `io.modelcontextprotocol/skills`): `skills/list` and
//! `skills/get` name `skill://lovart-skill/SKILL.md`, and `resources/read`
//! of that URI returns the text of `skills/lovart-skill/SKILL.md`, which is
//! compiled into the binary (the same bytes the repository ships).
//!
//! The skill is one file; its manifest carries the file's digest and size so
//! a client can cache it.

use std::sync::LazyLock;

use rmcp::model::{
    ReadResourceResult, Resource, ResourceContents, Skill, SkillFrontmatter, SkillResource,
    SkillResources,
};

/// The skill file, as shipped in the repository.
pub const SKILL_MD: &str = include_str!("../../skills/lovart-skill/SKILL.md");
/// Its resource URI.
pub const SKILL_URI: &str = "skill://lovart-skill/SKILL.md";

static SKILL: LazyLock<Skill> = LazyLock::new(|| {
    let (name, description) = frontmatter(SKILL_MD);
    Skill::new(
        SKILL_URI,
        SkillFrontmatter::new(name, description),
        SkillResources::Files(vec![SkillResource::from_bytes(
            SKILL_URI,
            SKILL_MD.as_bytes(),
        )]),
    )
});

/// The served skill.
pub fn skill() -> Skill {
    SKILL.clone()
}

/// The skill file as a resource of `resources/list`.
pub fn resource() -> Resource {
    Resource::new(SKILL_URI, "lovart-skill")
        .with_title("lovart skill (SKILL.md)")
        .with_description(SKILL.frontmatter.description.clone())
        .with_mime_type("text/markdown")
        .with_size(SKILL_MD.len() as u64)
}

/// `resources/read` of [`SKILL_URI`].
pub fn read() -> ReadResourceResult {
    ReadResourceResult::new(vec![
        ResourceContents::text(SKILL_MD, SKILL_URI).with_mime_type("text/markdown"),
    ])
}

/// `name` and `description` of a SKILL.md frontmatter. Only the YAML the
/// file uses is read: `key: value` lines and a folded (`>`, `>-`) or literal
/// (`|`) block of indented lines.
fn frontmatter(text: &str) -> (String, String) {
    let mut lines = text.lines();
    let mut fields: Vec<(String, String)> = Vec::new();
    if lines.next().map(str::trim_end) != Some("---") {
        return (String::new(), String::new());
    }
    let mut block: Option<(String, bool, Vec<String>)> = None;
    for line in lines {
        if line.trim_end() == "---" {
            break;
        }
        if let Some((_, _, collected)) = &mut block
            && (line.starts_with(' ') || line.trim().is_empty())
        {
            collected.push(line.trim().to_string());
            continue;
        }
        if let Some((key, folded, collected)) = block.take() {
            let joined = collected.join(if folded { " " } else { "\n" });
            fields.push((key, joined.trim().to_string()));
        }
        if line.starts_with(' ') {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match value {
            ">" | ">-" | "|" | "|-" => {
                block = Some((key.to_string(), value.starts_with('>'), Vec::new()));
            }
            _ => fields.push((key.to_string(), value.trim_matches('"').to_string())),
        }
    }
    if let Some((key, folded, collected)) = block {
        let joined = collected.join(if folded { " " } else { "\n" });
        fields.push((key, joined.trim().to_string()));
    }
    let field = |wanted: &str| {
        fields
            .iter()
            .find(|(key, _)| key == wanted)
            .map(|(_, value)| value.clone())
            .unwrap_or_default()
    };
    (field("name"), field("description"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_skill_is_valid() {
        let skill = skill();
        assert_eq!(skill.name(), "lovart-skill");
        assert!(
            skill.frontmatter.description.starts_with("Create images"),
            "{}",
            skill.frontmatter.description
        );
        assert!(!skill.frontmatter.description.contains('\n'));
        skill.validate().unwrap();
    }

    #[test]
    fn folded_and_plain_values_are_read() {
        let text = "---\nname: x\ndescription: >-\n  one\n  two\nversion: 1\n---\nbody";
        assert_eq!(frontmatter(text), ("x".into(), "one two".into()));
        let text = "---\nname: \"y\"\ndescription: plain\n---\n";
        assert_eq!(frontmatter(text), ("y".into(), "plain".into()));
    }
}
