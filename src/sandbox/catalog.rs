//! The model catalog of `GET /tools/catalog`, built in.
//!
//! A copy of the "Available models" table of the lovart-skill README, so the
//! sandbox (and an offline `lovart models`) can list the real tool names
//! without a network. Order and spelling are the table's.

use serde_json::{Value, json};

/// One row of the table: category, tool name, display name, premium.
const MODELS: &[(&str, &str, &str, bool)] = &[
    (
        "IMAGE",
        "generate_image_gpt_image_2",
        "GPT Image 2 Auto",
        false,
    ),
    (
        "IMAGE",
        "generate_image_gpt_image_2_low",
        "GPT Image 2 Low",
        false,
    ),
    (
        "IMAGE",
        "generate_image_gpt_image_2_medium",
        "GPT Image 2 Medium",
        false,
    ),
    (
        "IMAGE",
        "generate_image_gpt_image_2_high",
        "GPT Image 2 High",
        false,
    ),
    (
        "IMAGE",
        "generate_image_nano_banana_pro",
        "Nano Banana Pro",
        false,
    ),
    (
        "IMAGE",
        "generate_image_nano_banana_2",
        "Nano Banana 2",
        false,
    ),
    (
        "IMAGE",
        "generate_image_gpt_image_1_5",
        "GPT Image 1.5",
        false,
    ),
    (
        "IMAGE",
        "generate_image_seedream_v5",
        "Seedream 5.0 Lite",
        false,
    ),
    ("IMAGE", "generate_image_luma_uni_1", "Luma uni-1", false),
    (
        "IMAGE",
        "generate_image_luma_uni_1_max",
        "Luma uni-1-max",
        false,
    ),
    ("IMAGE", "generate_image_flux_2_max", "Flux.2 Max", false),
    ("IMAGE", "generate_image_flux_2_pro", "Flux.2 Pro", false),
    (
        "IMAGE",
        "generate_image_seedream_v4_5",
        "Seedream 4.5",
        false,
    ),
    ("IMAGE", "generate_image_nano_banana", "Nano Banana", false),
    ("IMAGE", "generate_image_seedream_v4", "Seedream 4", false),
    ("IMAGE", "generate_image_midjourney", "Midjourney", false),
    (
        "VIDEO",
        "generate_video_seedance_v2_0",
        "Seedance 2.0",
        true,
    ),
    (
        "VIDEO",
        "generate_video_seedance_v2_0_fast",
        "Seedance 2.0 Fast",
        true,
    ),
    ("VIDEO", "generate_video_kling_v3", "Kling 3.0", true),
    (
        "VIDEO",
        "generate_video_kling_v3_omni",
        "Kling 3.0 Omni",
        true,
    ),
    (
        "VIDEO",
        "generate_video_seedance_pro_v1_5",
        "Seedance 1.5 Pro",
        false,
    ),
    ("VIDEO", "generate_video_kling_v2_6", "Kling 2.6", true),
    ("VIDEO", "generate_video_wan_v2_6", "Wan 2.6", false),
    ("VIDEO", "generate_video_veo3_1", "Veo 3.1", true),
    ("VIDEO", "generate_video_veo3_1_fast", "Veo 3.1 Fast", true),
    ("VIDEO", "generate_video_kling_omni_v1", "Kling O1", true),
    ("VIDEO", "generate_video_hailuo_v2_3", "Hailuo 2.3", false),
    ("VIDEO", "generate_video_veo3", "Veo 3", true),
    ("VIDEO", "generate_video_vidu_q2", "Vidu Q2", false),
    ("3D", "generate_3d_tripo", "Tripo", false),
];

/// The `data` object of `GET /tools/catalog`: `{"tools": [{name, display_name,
/// category, is_premium}, …]}`.
pub fn builtin_catalog() -> Value {
    let tools: Vec<Value> = MODELS
        .iter()
        .map(|&(category, name, display_name, is_premium)| {
            json!({
                "name": name,
                "display_name": display_name,
                "category": category,
                "is_premium": is_premium,
            })
        })
        .collect();
    json!({ "tools": tools })
}

/// Every tool name, in catalog order (the `models` of `POST /mode/query`).
pub fn tool_names() -> Vec<&'static str> {
    MODELS.iter().map(|&(_, name, _, _)| name).collect()
}

/// The display name of a tool, for the assistant's messages.
pub fn display_name(tool: &str) -> Option<&'static str> {
    MODELS
        .iter()
        .find(|&&(_, name, _, _)| name == tool)
        .map(|&(_, _, display_name, _)| display_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_has_every_row_of_the_readme_table() {
        let catalog = builtin_catalog();
        let tools = catalog["tools"].as_array().unwrap();
        assert_eq!(tools.len(), 30);
        let premium = tools
            .iter()
            .filter(|tool| tool["is_premium"] == true)
            .count();
        assert_eq!(premium, 9);
        assert_eq!(tools[0]["name"], "generate_image_gpt_image_2");
        assert_eq!(tools[29]["category"], "3D");
        assert_eq!(display_name("generate_video_kling_v3"), Some("Kling 3.0"));
    }
}
