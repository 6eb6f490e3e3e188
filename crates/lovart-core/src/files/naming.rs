//! File names from a template the user chooses (`--name`, MCP `name`).
//!
//! Without a template, downloads keep the reference's names byte for byte
//! (`download` owns those); this module only turns a template such as
//! `{project}/{date}/{prompt}-{index}.{ext}` into a relative path inside the
//! output folder, and is pure: the fields come in, a rendered name goes out.
//!
//! What it guarantees, whatever the template and the server's data:
//! - **Confined**: a template that is absolute, names a drive, holds `..` or a
//!   backslash is refused when parsed; a value (a prompt, an id) can never add
//!   a folder, because every `/` and `\` in it is replaced, and a value made of
//!   dots only becomes `_`. Empty components (`a//b`) and `.` are dropped.
//! - **Within the file system's limit**: every component is at most
//!   255 bytes (bytes, not characters: a Unicode prompt is
//!   cut on a character boundary), and the file name keeps its extension,
//!   its last 48 bytes (a too-long name is cut in the middle, so an ending
//!   such as `-{index}` still tells files apart) and room for a collision
//!   suffix (`-2`) and a sidecar's `.json`.
//! - **Typed**: `{ext}` is the extension of what was really downloaded; a
//!   template without `{ext}` gets `.<ext>` appended, so a file always has one.

use std::fmt::Write as _;

/// The longest file or folder name most file systems take, in bytes.
pub(crate) const MAX_COMPONENT_BYTES: usize = 255;
/// Room kept in a file name for `-<n>` (collisions) and `.json` (sidecar).
const RESERVED_BYTES: usize = 16;
/// How much of a too-long file name's end is kept when it is cut, in bytes.
const KEPT_TAIL_BYTES: usize = 48;
/// The longest `{prompt}` slug, in characters (before the byte limit).
const PROMPT_SLUG_CHARS: usize = 60;

/// The placeholders and what they become, for `--help` and error messages.
pub(crate) const PLACEHOLDERS: &[(&str, &str)] = &[
    ("thread", "the thread id"),
    ("thread8", "the thread id's first 8 characters"),
    ("index", "the artifact's position in the result: 1, 2, …"),
    ("type", "image, video, audio, 3d, …"),
    ("prompt", "a short, file-system-safe slug of the prompt"),
    ("project", "the project id"),
    ("date", "the download's local date, 2026-11-29"),
    ("time", "the download's local time, 091502"),
    (
        "ext",
        "the real file type's extension: png, mp4, wav, glb, …",
    ),
];

/// The `--help` text of `--name`.
pub const NAME_HELP: &str = "File name template, inside the output folder; sub-folders allowed \
     (e.g. '{project}/{date}/{prompt}-{index}.{ext}'). Placeholders: {thread} {thread8} {index} \
     {type} {prompt} {project} {date} {time} {ext}; {{ and }} are literal braces. Without {ext} \
     the real extension is appended; a taken name gets -2, -3, … unless it holds the same URL. \
     Without --name, files keep the lovart_<hash>.<ext> names";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Thread,
    Thread8,
    Index,
    Type,
    Prompt,
    Project,
    Date,
    Time,
    Ext,
}

impl Field {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "thread" => Self::Thread,
            "thread8" => Self::Thread8,
            "index" => Self::Index,
            "type" => Self::Type,
            "prompt" => Self::Prompt,
            "project" => Self::Project,
            "date" => Self::Date,
            "time" => Self::Time,
            "ext" => Self::Ext,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Field(Field),
}

/// A parsed, checked `--name` template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameTemplate {
    text: String,
    parts: Vec<Part>,
}

/// What one artifact's name is made of.
#[derive(Debug, Clone, Default)]
pub(crate) struct NameFields<'a> {
    /// `{thread}` and `{thread8}`; `None` or empty renders as `unknown`.
    pub thread_id: Option<&'a str>,
    /// `{project}`; `None` or empty renders as `unknown`.
    pub project_id: Option<&'a str>,
    /// The prompt `{prompt}` is a slug of.
    pub prompt: Option<&'a str>,
    /// 1-based position of the artifact in its result.
    pub index: usize,
    /// `{type}`: the artifact's type (`image`, `video`, …).
    pub kind: &'a str,
    /// The real type's extension without its dot (`png`); may be empty.
    pub ext: &'a str,
    /// `YYYY-MM-DD` of the download.
    pub date: &'a str,
    /// `HHMMSS` of the download.
    pub time: &'a str,
}

/// A rendered name: folders, then a file name split so that a collision
/// suffix goes between stem and extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RenderedName {
    /// Folder names under the output folder, outermost first (each one safe).
    pub folders: Vec<String>,
    /// The file name without its extension.
    pub stem: String,
    /// With its dot (`.png`), or empty.
    pub extension: String,
}

impl RenderedName {
    /// The relative path of the `n`-th choice: `n` = 1 is the name itself,
    /// 2 and on add `-n` before the extension.
    pub fn candidate(&self, n: u32) -> String {
        let mut path = String::new();
        for folder in &self.folders {
            path.push_str(folder);
            path.push('/');
        }
        path.push_str(&self.stem);
        if n > 1 {
            let _ = write!(path, "-{n}");
        }
        path.push_str(&self.extension);
        path
    }
}

impl NameTemplate {
    /// Parses and checks a template; the error says what to change.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.trim().is_empty() {
            return Err("the name template is empty".into());
        }
        if text.contains('\0') {
            return Err("the name template holds a NUL character".into());
        }
        if text.contains('\\') {
            return Err("use / for sub-folders in a name template, not \\".into());
        }
        let bytes = text.as_bytes();
        if text.starts_with('/') || (bytes.len() >= 2 && bytes[1] == b':') {
            return Err(format!(
                "the name template '{text}' is an absolute path; it must stay inside the output folder"
            ));
        }
        if text.split('/').any(|component| component == "..") {
            return Err(format!(
                "the name template '{text}' leaves the output folder (..)"
            ));
        }
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => name.push(c),
                            None => {
                                return Err(format!("unclosed {{ in the name template '{text}'"));
                            }
                        }
                    }
                    let field = Field::parse(&name).ok_or_else(|| {
                        let known: Vec<String> = PLACEHOLDERS
                            .iter()
                            .map(|(name, _)| format!("{{{name}}}"))
                            .collect();
                        format!(
                            "unknown placeholder {{{name}}} in the name template; known: {}",
                            known.join(" ")
                        )
                    })?;
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Field(field));
                }
                '}' => {
                    return Err(format!(
                        "unmatched }} in the name template '{text}' (write }}}} for a brace)"
                    ));
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Self {
            text: text.to_string(),
            parts,
        })
    }

    /// The template as the user wrote it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `{ext}` appears (else the extension is appended).
    fn has_ext(&self) -> bool {
        self.parts.contains(&Part::Field(Field::Ext))
    }

    /// The name for one artifact.
    pub(crate) fn render(&self, fields: &NameFields<'_>) -> RenderedName {
        let ext: String = fields
            .ext
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(16)
            .collect();
        let mut text = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(literal) => text.push_str(literal),
                Part::Field(field) => text.push_str(&field_value(*field, fields, &ext)),
            }
        }
        let mut components: Vec<String> = text
            .split('/')
            .filter(|component| !component.is_empty() && *component != ".")
            .map(|component| {
                if component.chars().all(|c| c == '.') {
                    "_".to_string()
                } else {
                    component.to_string()
                }
            })
            .collect();
        let file = components.pop().unwrap_or_else(|| "lovart".to_string());
        let (stem, extension) = if self.has_ext() {
            split_extension(&file, &ext)
        } else if ext.is_empty() {
            (file, String::new())
        } else {
            (file, format!(".{ext}"))
        };
        let folders = components
            .into_iter()
            .map(|folder| cut_to_bytes(&folder, MAX_COMPONENT_BYTES).to_string())
            .collect();
        let room = MAX_COMPONENT_BYTES.saturating_sub(RESERVED_BYTES + extension.len());
        let mut stem = cut_middle(&stem, room);
        if stem.is_empty() || stem.chars().all(|c| c == '.') {
            stem = "lovart".to_string();
        }
        RenderedName {
            folders,
            stem,
            extension,
        }
    }
}

/// Splits `.ext` off a rendered file name that ends with it (so a cut keeps
/// it); anything else keeps the whole name as its stem.
fn split_extension(file: &str, ext: &str) -> (String, String) {
    let suffix = format!(".{ext}");
    match file.strip_suffix(&suffix) {
        Some(stem) if !ext.is_empty() && !stem.is_empty() => (stem.to_string(), suffix),
        _ => (file.to_string(), String::new()),
    }
}

fn field_value(field: Field, fields: &NameFields<'_>, ext: &str) -> String {
    let id = |value: Option<&str>| {
        component_value(value.unwrap_or(""), "unknown", |c| {
            c.is_alphanumeric() || matches!(c, '-' | '_' | '.')
        })
    };
    match field {
        Field::Thread => id(fields.thread_id),
        Field::Thread8 => id(fields.thread_id).chars().take(8).collect(),
        Field::Index => fields.index.to_string(),
        Field::Type => component_value(fields.kind, "file", |c| {
            c.is_alphanumeric() || matches!(c, '-' | '_')
        }),
        Field::Prompt => prompt_slug(fields.prompt.unwrap_or("")),
        Field::Project => id(fields.project_id),
        Field::Date => component_value(fields.date, "date", |c| c.is_ascii_digit() || c == '-'),
        Field::Time => component_value(fields.time, "time", |c| c.is_ascii_digit()),
        Field::Ext => ext.to_string(),
    }
}

/// A value as one safe piece of a component: characters `keep` refuses become
/// `_`; empty becomes `fallback`.
fn component_value(value: &str, fallback: &str, keep: impl Fn(char) -> bool) -> String {
    let cleaned: String = value
        .chars()
        .map(|c| if keep(c) { c } else { '_' })
        .collect();
    if cleaned.is_empty() {
        fallback.to_string()
    } else {
        cleaned
    }
}

/// A short slug of a prompt: letters and digits of any script kept (ASCII
/// lowered), every other run of characters one `-`, at most 60 characters
/// (never ending in `-`), `prompt` when nothing is left.
pub(crate) fn prompt_slug(prompt: &str) -> String {
    let mut slug = String::new();
    let mut pending_dash = false;
    let mut length = 0;
    for c in prompt.chars() {
        if c.is_alphanumeric() {
            let dash = pending_dash && length > 0;
            // The next letter (and the dash before it) must fit whole.
            if length + usize::from(dash) + 1 > PROMPT_SLUG_CHARS {
                break;
            }
            if dash {
                slug.push('-');
                length += 1;
            }
            pending_dash = false;
            slug.push(c.to_ascii_lowercase());
            length += 1;
        } else {
            pending_dash = true;
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "prompt".to_string()
    } else {
        slug.to_string()
    }
}

/// The longest prefix of `text` of at most `limit` bytes, cut on a character boundary.
/// `text` within `limit` bytes, cut in the middle when it is longer: its
/// start, `_`, and its last [`KEPT_TAIL_BYTES`], where a template's ending
/// (`-{index}`, `{thread8}`) tells files apart.
fn cut_middle(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let tail_bytes = KEPT_TAIL_BYTES.min(limit / 3);
    let mut start = text.len() - tail_bytes;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let tail = &text[start..];
    let head = cut_to_bytes(text, limit.saturating_sub(tail.len() + 1));
    format!("{head}_{tail}")
}

fn cut_to_bytes(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests;
