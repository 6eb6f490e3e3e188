//! The skill that teaches an assistant to use lovart, served over MCP (the
//! skills extension, `io.modelcontextprotocol/skills`): `skills/list` and
//! `skills/get` name `skill://lovart-skill/SKILL.md`, and `resources/read`
//! of that URI returns the text of `skills/lovart-skill/SKILL.md`, which is
//! compiled into the binary (the same bytes the repository ships).
//!
//! The skill is one file; its manifest carries the file's digest and size so
//! a client can cache it, and its listing carries every field of the file's
//! frontmatter (`license`, `compatibility`, `allowed-tools`, `metadata`, …).

use std::sync::LazyLock;

use serde_json::Value;

use rmcp::model::{
    JsonObject, ReadResourceResult, Resource, ResourceContents, Skill, SkillFrontmatter,
    SkillResource, SkillResources,
};

/// The skill file, as shipped in the repository: the one copy the binary
/// carries (`lovart skill show` prints the same bytes).
pub const SKILL_MD: &str = lovart_core::skill::SKILL_MD;
/// Its resource URI.
pub const SKILL_URI: &str = "skill://lovart-skill/SKILL.md";

static SKILL: LazyLock<Skill> = LazyLock::new(|| {
    let mut fields = frontmatter(SKILL_MD);
    let mut take = |key: &str| match fields.remove(key) {
        Some(Value::String(text)) => text,
        _ => String::new(),
    };
    let (name, description) = (take("name"), take("description"));
    let mut listed = SkillFrontmatter::new(name, description);
    listed.extra = fields;
    Skill::new(
        SKILL_URI,
        listed,
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

/// The fields of a SKILL.md frontmatter, as JSON (a client compares them
/// with the file's YAML). Only the YAML the file uses is read: `key: value`
/// lines (plain, `"double"` or `'single'` quoted), a folded (`>`, `>-`) or
/// literal (`|`, `|-`) block of indented lines, and a map of such `key:
/// value` lines indented under a `key:` line.
fn frontmatter(text: &str) -> JsonObject {
    let mut fields = JsonObject::new();
    let mut lines = text.lines().peekable();
    if lines.next().map(str::trim_end) != Some("---") {
        return fields;
    }
    while let Some(line) = lines.next() {
        if line.trim_end() == "---" {
            break;
        }
        if line.starts_with(' ') || line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        let indented = |line: &&str| line.starts_with(' ') || line.trim().is_empty();
        let value = match value {
            ">" | ">-" | "|" | "|-" => {
                let mut collected = Vec::new();
                while let Some(line) = lines.next_if(indented) {
                    collected.push(line.trim());
                }
                Value::from(block(value, &collected))
            }
            "" => {
                let mut map = JsonObject::new();
                while let Some(line) = lines.next_if(indented) {
                    if let Some((key, value)) = line.trim().split_once(':') {
                        map.insert(key.trim().to_string(), Value::from(scalar(value.trim())));
                    }
                }
                Value::Object(map)
            }
            _ => Value::from(scalar(value)),
        };
        fields.insert(key.trim().to_string(), value);
    }
    fields
}

/// A block scalar: folded (`>`) joins lines with spaces (a blank line is a
/// line break), literal (`|`) keeps them; `-` drops the final line break.
fn block(style: &str, lines: &[&str]) -> String {
    let lines: Vec<&str> = {
        let end = lines
            .iter()
            .rposition(|line| !line.is_empty())
            .map_or(0, |i| i + 1);
        lines[..end].to_vec()
    };
    let mut text = String::new();
    for (index, line) in lines.iter().enumerate() {
        if index > 0 {
            let folded_space =
                style.starts_with('>') && !line.is_empty() && !lines[index - 1].is_empty();
            text.push(if folded_space { ' ' } else { '\n' });
        }
        text.push_str(line);
    }
    if !style.ends_with('-') && !text.is_empty() {
        text.push('\n');
    }
    text
}

/// A flow scalar: `'single'` (`''` is a quote), `"double"` (backslash
/// escapes) or plain.
fn scalar(value: &str) -> String {
    if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        return inner.replace("''", "'");
    }
    if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
        return serde_json::from_str(value)
            .unwrap_or_else(|_| value[1..value.len() - 1].to_string());
    }
    value.to_string()
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
        let fields = frontmatter(text);
        assert_eq!(fields["name"], "x");
        assert_eq!(fields["description"], "one two");
        assert_eq!(fields["version"], "1");
        let text = "---\nname: \"y\"\ndescription: |\n  a\n  b\nquoted: 'it''s'\n---\n";
        let fields = frontmatter(text);
        assert_eq!(fields["name"], "y");
        assert_eq!(fields["description"], "a\nb\n");
        assert_eq!(fields["quoted"], "it's");
    }

    #[test]
    fn the_listing_carries_every_field_of_the_files_frontmatter() {
        let listed = serde_json::to_value(&skill().frontmatter).unwrap();
        let mut keys: Vec<&String> = listed.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "allowed-tools",
                "compatibility",
                "description",
                "license",
                "metadata",
                "name"
            ]
        );
        assert_eq!(listed["license"], "MIT");
        assert_eq!(listed["allowed-tools"], "Bash(lovart:*)");
        assert!(
            listed["compatibility"]
                .as_str()
                .unwrap()
                .ends_with("LOVART_SECRET_KEY environment variables.")
        );
        let metadata = &listed["metadata"];
        assert_eq!(metadata["version"], "0.1.0");
        assert_eq!(metadata["requires-bins"], "lovart");
        let openclaw: Value = serde_json::from_str(metadata["openclaw"].as_str().unwrap()).unwrap();
        assert_eq!(openclaw["primaryEnv"], "LOVART_ACCESS_KEY");
    }
}
