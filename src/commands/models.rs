//! `models`: list the generation tools, the names `--prefer-models` and
//! `--include-tools` take.
//!
//! The live catalog is asked for first, with a short timeout and no keys; any
//! failure falls back to the copy built into the binary, and stderr says which
//! of the two the list comes from. stdout carries only the list: a table grouped
//! by category, or `{"source", "tools"}` with `--json`.

use anyhow::Result;
use serde_json::{Map, Value};

use crate::cli::ModelsArgs;
use crate::terminal::{hint, print_line};
use lovart_core::catalog::{self, Tool};
use lovart_core::python::dumps_pretty;
use lovart_core::settings::Settings;

/// Where the listed catalog came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Live,
    Builtin,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Builtin => "builtin",
        }
    }
}

pub async fn run(args: ModelsArgs, ctx: &Settings) -> Result<()> {
    let (source, tools) = load(ctx).await;
    let tools = match args.category.as_deref() {
        Some(wanted) => catalog::only_category(tools, wanted)?,
        None => tools,
    };
    if args.json {
        let mut out = Map::new();
        out.insert("source".into(), source.as_str().into());
        out.insert(
            "tools".into(),
            Value::Array(tools.iter().map(Tool::to_json).collect()),
        );
        print_line(&dumps_pretty(&Value::Object(out), false));
    } else {
        print_line(&render_table(&tools));
    }
    Ok(())
}

/// The live catalog, or the built-in copy when it cannot be had; says which on stderr.
async fn load(ctx: &Settings) -> (Source, Vec<Tool>) {
    match catalog::live_or_builtin(ctx).await {
        (tools, None) => {
            eprintln!(
                "using the live catalog from {}",
                catalog::catalog_url(&ctx.base_url)
            );
            (Source::Live, tools)
        }
        (tools, Some(why)) => {
            eprintln!(
                "warning: could not fetch the live catalog ({why:#}); using the built-in copy"
            );
            hint(
                "the built-in copy may lag behind the server; check the network or LOVART_BASE_URL",
            );
            (Source::Builtin, tools)
        }
    }
}

/// A category heading, then one aligned row per tool: name, display name, and
/// `premium` for premium tools; a blank line between categories.
fn render_table(tools: &[Tool]) -> String {
    let width = |text: &str| text.chars().count();
    let name_width = tools
        .iter()
        .map(|tool| width(&tool.name))
        .max()
        .unwrap_or(0);
    let display_width = tools
        .iter()
        .map(|tool| width(&tool.display_name))
        .max()
        .unwrap_or(0);
    let mut blocks = Vec::new();
    for category in catalog::categories(tools) {
        let heading = if category.is_empty() {
            "(no category)".to_string()
        } else {
            category.clone()
        };
        let mut lines = vec![heading];
        for tool in tools.iter().filter(|tool| tool.category == category) {
            let mut line = format!(
                "  {}{}  {}",
                tool.name,
                " ".repeat(name_width - width(&tool.name)),
                tool.display_name
            );
            if tool.is_premium {
                line.push_str(&" ".repeat(display_width - width(&tool.display_name)));
                line.push_str("  premium");
            }
            lines.push(line);
        }
        blocks.push(lines.join("\n"));
    }
    blocks.join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(name: &str, display_name: &str, category: &str, is_premium: bool) -> Tool {
        Tool {
            name: name.into(),
            display_name: display_name.into(),
            category: category.into(),
            is_premium,
        }
    }

    #[test]
    fn table_groups_by_category_and_aligns_columns() {
        let tools = [
            tool("generate_video_a", "Vid A", "VIDEO", true),
            tool("generate_image_long", "Img", "IMAGE", false),
            tool("gen_3d", "Tripo", "3D", false),
            tool("generate_video_bb", "Video Bee", "VIDEO", false),
        ];
        assert_eq!(
            render_table(&tools),
            "IMAGE\n\
             \x20 generate_image_long  Img\n\
             \n\
             VIDEO\n\
             \x20 generate_video_a     Vid A      premium\n\
             \x20 generate_video_bb    Video Bee\n\
             \n\
             3D\n\
             \x20 gen_3d               Tripo"
        );
    }

    #[test]
    fn category_filter_ignores_case_and_names_the_known_ones() {
        let tools = vec![
            tool("a", "A", "IMAGE", false),
            tool("b", "B", "VIDEO", true),
        ];
        let video = catalog::only_category(tools.clone(), "video").unwrap();
        assert_eq!(video, [tool("b", "B", "VIDEO", true)]);
        let error = catalog::only_category(tools, "audio").unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown category 'audio': the known categories are IMAGE, VIDEO"
        );
    }
}
