//! The model catalog: which generation tools exist, under which category, and
//! which of them are premium.
//!
//! The server publishes it at `GET /v1/openapi/tools/catalog` (public, not
//! signed) as `{"code": 0, "data": {"tools": [{name, display_name, category,
//! is_premium}, …]}}`. `lovart models` and `lovart doctor` fetch that live copy;
//! everything that must not touch the network (the tool-name check of `chat`,
//! the fallback of `models`) uses the copy built into the binary, which is the
//! sandbox's. The catalog changes often, so an unknown name is only ever a
//! warning: the request is sent as given, as the reference sends it.

use std::time::Duration;

use anyhow::Result;
use serde_json::{Map, Value};

use lovart_wire::paths::{PATH_PREFIX, TOOLS_CATALOG, USER_AGENT};

use crate::api::{
    ApiError, ApiErrorKind, describe_request_error, http_error, read_answer, unwrap_envelope,
};
use crate::failure::Wording;
use crate::python::is_truthy;

/// Categories in the order the upstream docs list them; others follow, in the
/// order the catalog first names them.
pub(crate) const CATEGORY_ORDER: &[&str] = &["IMAGE", "VIDEO", "3D"];

/// Tools that the upstream docs tell agents to name in `--include-tools`
/// although they are operations, not models, and so are not in the catalog.
const OPERATION_TOOLS: &[&str] = &["upscale_image"];

/// The timeout of the short checks (`models`, `doctor`).
pub const QUICK_TIMEOUT: Duration = Duration::from_secs(10);

/// How many "did you mean" suggestions a warning offers at most.
const MAX_SUGGESTIONS: usize = 3;

/// One generation tool of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tool {
    /// The name `--prefer-models` and `--include-tools` take.
    pub name: String,
    /// The name people read (`Midjourney`, `Kling V3`, …).
    pub display_name: String,
    /// `IMAGE`, `VIDEO`, `3D`, …
    pub category: String,
    /// Premium tools need a paid plan (and usually a confirmation).
    pub is_premium: bool,
}

impl Tool {
    /// The catalog's JSON form of the tool, keys in the server's order.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("name".into(), self.name.clone().into());
        map.insert("display_name".into(), self.display_name.clone().into());
        map.insert("category".into(), self.category.clone().into());
        map.insert("is_premium".into(), self.is_premium.into());
        Value::Object(map)
    }
}

/// The copy of the catalog built into the binary.
pub fn builtin() -> Vec<Tool> {
    tools_from_data(&lovart_wire::catalog::builtin_catalog())
        .expect("the built-in catalog is well formed")
}

/// The URL of the live catalog under `base_url`.
pub fn catalog_url(base_url: &str) -> String {
    format!(
        "{}{PATH_PREFIX}{TOOLS_CATALOG}",
        base_url.trim_end_matches('/')
    )
}

/// Fetches the live catalog (one unsigned GET, no retry: every caller has a
/// fallback or only reports the outcome).
pub async fn fetch_live(http: &reqwest::Client, base_url: &str) -> Result<Vec<Tool>> {
    let url = catalog_url(base_url);
    let response = http
        .get(&url)
        .header("Accept", "application/json")
        .header("User-Agent", USER_AGENT)
        .send()
        .await
        .map_err(|error| ApiError::new(ApiErrorKind::Connection, describe_request_error(&error)))?;
    let status = response.status();
    let body = read_answer(response, "GET /v1/openapi/tools/catalog")
        .await
        .map_err(|reason| ApiError::new(ApiErrorKind::Connection, reason))?;
    // The same envelope rules as every other call; only the signing differs.
    if !status.is_success() {
        return Err(http_error(status, &body).into());
    }
    let path = format!("{PATH_PREFIX}/tools/catalog");
    let data = unwrap_envelope(&body, &reqwest::Method::GET, &path)?;
    let tools = tools_from_data(&data)?;
    if tools.is_empty() {
        return Err(ApiError::malformed("the catalog lists no tools").into());
    }
    Ok(tools)
}

/// The tools of a catalog's `data` object. A tool without a name is an error;
/// the other fields have defaults, so a catalog that grows fields still reads.
pub(crate) fn tools_from_data(data: &Value) -> Result<Vec<Tool>> {
    let tools = data
        .get("tools")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::malformed("the answer has no tools list"))?;
    tools
        .iter()
        .enumerate()
        .map(|(index, tool)| {
            let name = tool
                .get("name")
                .and_then(Value::as_str)
                .filter(|name| !name.is_empty())
                .ok_or_else(|| ApiError::malformed(format!("tool #{} has no name", index + 1)))?;
            let text = |field: &str| tool.get(field).and_then(Value::as_str).unwrap_or("");
            let display_name = match text("display_name") {
                "" => name,
                display_name => display_name,
            };
            Ok(Tool {
                name: name.to_string(),
                display_name: display_name.to_string(),
                category: text("category").to_string(),
                is_premium: tool.get("is_premium").is_some_and(is_truthy),
            })
        })
        .collect()
}

/// The categories of `tools`: the known order first, then the others as they appear.
pub fn categories(tools: &[Tool]) -> Vec<String> {
    let mut found: Vec<String> = CATEGORY_ORDER
        .iter()
        .filter(|category| tools.iter().any(|tool| tool.category == **category))
        .map(|category| category.to_string())
        .collect();
    for tool in tools {
        if !found.contains(&tool.category) {
            found.push(tool.category.clone());
        }
    }
    found
}

/// `models --category`'s refusal of a category not in `known`.
fn unknown_category(wanted: &str, known: &[String]) -> crate::failure::InvalidInput {
    crate::failure::InvalidInput(format!(
        "unknown category '{wanted}': the known categories are {}",
        known.join(", ")
    ))
}

/// Refuses preferred models (`prefer_tool_categories`, an object of category
/// → tool names) under a category the built-in catalog does not have, in
/// `models --category`'s words after `invalid <name>: ` (`name`: what the
/// caller's user calls the field). The names must match exactly: the server
/// matches them so. (`lovart chat --prefer-models` sends any category, as the
/// reference does; MCP `generate` checks.)
pub fn known_categories_only(preferred: &Value, name: &str) -> Result<()> {
    let known = categories(&builtin());
    let Some(categories) = preferred.as_object() else {
        return Ok(());
    };
    match categories.keys().find(|category| !known.contains(category)) {
        None => Ok(()),
        Some(wanted) => Err(crate::failure::InvalidInput(format!(
            "invalid {name}: {}",
            unknown_category(wanted, &known)
        ))
        .into()),
    }
}

/// Each distinct name that the built-in catalog does not know, with up to
/// three close names to suggest.
pub(crate) fn unknown_tools(names: &[&str]) -> Vec<(String, Vec<String>)> {
    let known: Vec<String> = builtin().into_iter().map(|tool| tool.name).collect();
    let known: Vec<&str> = known
        .iter()
        .map(String::as_str)
        .chain(OPERATION_TOOLS.iter().copied())
        .collect();
    let mut seen: Vec<&str> = Vec::new();
    let mut warnings = Vec::new();
    for &name in names {
        if known.contains(&name) || seen.contains(&name) {
            continue;
        }
        seen.push(name);
        let suggestions = closest_names(name, &known);
        warnings.push((
            name.to_string(),
            suggestions.into_iter().map(str::to_string).collect(),
        ));
    }
    warnings
}

/// The warning about a tool name the catalog does not know
/// ([`crate::events::Event::UnknownTool`]), pointing at the list of models
/// in `wording`'s words (`lovart models`, or the `models` tool).
pub fn unknown_tool_warning(name: &str, suggestions: &[String], wording: Wording) -> String {
    let did_you_mean = if suggestions.is_empty() {
        String::new()
    } else {
        let quoted: Vec<String> = suggestions.iter().map(|s| format!("'{s}'")).collect();
        format!("; did you mean {}?", quoted.join(", "))
    };
    let models = match wording {
        Wording::Cli => "see lovart models",
        Wording::Mcp => "the `models` tool lists it",
    };
    format!(
        "warning: unknown tool '{name}'{did_you_mean} (sent anyway; the catalog changes often — {models})"
    )
}

/// Each unknown name's warning at the command line (tests).
#[cfg(test)]
fn unknown_tool_warnings(names: &[&str]) -> Vec<String> {
    unknown_tools(names)
        .iter()
        .map(|(name, suggestions)| unknown_tool_warning(name, suggestions, Wording::Cli))
        .collect()
}

/// Up to three names of `known` close to `name`, closest first: a known name
/// that contains `name` (`midjourney`), or one within a small edit distance
/// (`generate_video_kling_3` → `generate_video_kling_v3`). Case is ignored.
fn closest_names<'a>(name: &str, known: &[&'a str]) -> Vec<&'a str> {
    let wanted = name.to_lowercase();
    let wanted_len = wanted.chars().count();
    if wanted_len == 0 {
        return Vec::new();
    }
    let budget = (wanted_len / 3).max(2);
    let mut scored: Vec<(usize, usize, &str)> = known
        .iter()
        .enumerate()
        .filter_map(|(position, &candidate)| {
            let lower = candidate.to_lowercase();
            let distance = if wanted_len >= 4 && lower.contains(&wanted) {
                // Contained: rank by how much the full name adds.
                (lower.chars().count() - wanted_len).min(budget)
            } else {
                strsim::levenshtein(&wanted, &lower)
            };
            (distance <= budget).then_some((distance, position, candidate))
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(MAX_SUGGESTIONS)
        .map(|(_, _, candidate)| candidate)
        .collect()
}

/// The live catalog, or the built-in copy with the reason the live one could
/// not be had (`models` and the MCP `models` tool say so each their way).
pub async fn live_or_builtin(
    settings: &crate::settings::Settings,
) -> (Vec<Tool>, Option<anyhow::Error>) {
    let live = match (
        settings.checked_base_url(),
        crate::api::build_http_client(QUICK_TIMEOUT, settings.insecure_tls),
    ) {
        (Ok(base_url), Ok(http)) => fetch_live(&http, base_url).await,
        (Err(error), _) | (_, Err(error)) => Err(error),
    };
    match live {
        Ok(tools) => (tools, None),
        Err(why) => (builtin(), Some(why)),
    }
}

/// The tools of one category, matched without regard to case.
pub fn only_category(tools: Vec<Tool>, wanted: &str) -> Result<Vec<Tool>> {
    let known = categories(&tools);
    if !known
        .iter()
        .any(|category| category.eq_ignore_ascii_case(wanted.trim()))
    {
        return Err(unknown_category(wanted, &known).into());
    }
    Ok(tools
        .into_iter()
        .filter(|tool| tool.category.eq_ignore_ascii_case(wanted.trim()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUFFIX: &str = "(sent anyway; the catalog changes often — see lovart models)";

    #[test]
    fn builtin_catalog_reads_and_has_every_category() {
        let tools = builtin();
        assert!(!tools.is_empty());
        assert_eq!(categories(&tools), ["IMAGE", "VIDEO", "3D"]);
        assert!(tools.iter().any(|tool| tool.is_premium));
        assert!(tools.iter().all(|tool| !tool.display_name.is_empty()));
    }

    #[test]
    fn known_names_give_no_warning() {
        assert!(unknown_tool_warnings(&["generate_image_midjourney", "upscale_image"]).is_empty());
    }

    #[test]
    fn a_misspelt_name_gets_suggestions() {
        let warnings = unknown_tool_warnings(&["generate_video_kling_3"]);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].starts_with(
                "warning: unknown tool 'generate_video_kling_3'; did you mean 'generate_video_kling_v3'"
            ),
            "{}",
            warnings[0]
        );
        assert!(warnings[0].ends_with(&format!("? {SUFFIX}")));
    }

    #[test]
    fn a_short_name_suggests_the_tools_containing_it() {
        let warnings = unknown_tool_warnings(&["midjourney"]);
        assert_eq!(
            warnings,
            [format!(
                "warning: unknown tool 'midjourney'; did you mean 'generate_image_midjourney'? {SUFFIX}"
            )]
        );
    }

    #[test]
    fn case_mistakes_suggest_the_right_spelling_first() {
        let warnings = unknown_tool_warnings(&["Generate_Image_Nano_Banana"]);
        assert!(
            warnings[0].contains("did you mean 'generate_image_nano_banana'"),
            "{}",
            warnings[0]
        );
    }

    #[test]
    fn at_most_three_suggestions() {
        let warnings = unknown_tool_warnings(&["generate_image_gpt_image"]);
        let (_, rest) = warnings[0].split_once("did you mean ").unwrap();
        let (list, _) = rest.split_once('?').unwrap();
        assert_eq!(
            list,
            "'generate_image_gpt_image_2', 'generate_image_gpt_image_1_5', 'generate_image_qwen_image3'"
        );
    }

    #[test]
    fn nothing_close_means_no_did_you_mean() {
        assert_eq!(
            unknown_tool_warnings(&["zzz"]),
            [format!("warning: unknown tool 'zzz' {SUFFIX}")]
        );
    }

    #[test]
    fn each_unknown_name_is_reported_once() {
        assert_eq!(unknown_tool_warnings(&["zzz", "zzz", "qqq"]).len(), 2);
    }

    #[test]
    fn catalog_data_reads_leniently() {
        let data = serde_json::json!({"tools": [
            {"name": "a", "category": "IMAGE", "is_premium": 1, "extra": true},
            {"name": "b", "display_name": "B", "category": "AUDIO"},
        ]});
        let tools = tools_from_data(&data).unwrap();
        assert_eq!(tools[0].display_name, "a");
        assert!(tools[0].is_premium);
        assert!(!tools[1].is_premium);
        assert_eq!(categories(&tools), ["IMAGE", "AUDIO"]);
        assert!(tools_from_data(&serde_json::json!({"tools": [{"category": "X"}]})).is_err());
        assert!(tools_from_data(&serde_json::json!({})).is_err());
    }

    #[test]
    fn catalog_url_drops_trailing_slashes() {
        assert_eq!(
            catalog_url("http://h:1//"),
            "http://h:1/v1/openapi/tools/catalog"
        );
    }
}
