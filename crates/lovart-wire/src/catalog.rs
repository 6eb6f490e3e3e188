//! The model catalog of `GET /tools/catalog`, built in.
//!
//! A copy of the "Available models" table of the lovart-skill README, so the
//! sandbox (and an offline `lovart models`) can list the real tool names
//! without a network. Order and spelling are the table's.

use serde_json::{Value, json};

/// The table, one tool a line: `category|name|display name|premium`.
const TABLE: &str = "\
IMAGE|generate_image_gpt_image_2|GPT Image 2 Auto|\n\
IMAGE|generate_image_gpt_image_2_low|GPT Image 2 Low|\n\
IMAGE|generate_image_gpt_image_2_medium|GPT Image 2 Medium|\n\
IMAGE|generate_image_gpt_image_2_high|GPT Image 2 High|\n\
IMAGE|generate_image_nano_banana_pro|Nano Banana Pro|\n\
IMAGE|generate_image_nano_banana_2|Nano Banana 2|\n\
IMAGE|generate_image_seedream_v5_pro|Seedream 5.0 Pro|\n\
IMAGE|generate_image_gpt_image_1_5|GPT Image 1.5|\n\
IMAGE|generate_image_seedream_v5|Seedream 5.0 Lite|\n\
IMAGE|generate_image_luma_uni_1|Luma uni-1|\n\
IMAGE|generate_image_luma_uni_1_max|Luma uni-1-max|\n\
IMAGE|generate_image_flux_2_max|Flux.2 Max|\n\
IMAGE|generate_image_flux_2_pro|Flux.2 Pro|\n\
IMAGE|generate_image_seedream_v4_5|Seedream 4.5|\n\
IMAGE|generate_image_nano_banana|Nano Banana|\n\
IMAGE|generate_image_seedream_v4|Seedream 4|\n\
IMAGE|generate_image_midjourney|Midjourney|\n\
IMAGE|generate_image_ideogram_v4|Ideogram 4|\n\
IMAGE|generate_image_qwen_image3|Qwen Image3|\n\
IMAGE|generate_image_qwen_image3_pro|Qwen Image3 Pro|\n\
IMAGE|generate_image_nano_banana_2_lite|Nano Banana 2 Lite|\n\
IMAGE|generate_image_p_image_ideogram|Ideogram P-Image|\n\
VIDEO|generate_video_seedance_v2_5|Seedance 2.5|premium\n\
VIDEO|generate_video_seedance_v2_0|Seedance 2.0|premium\n\
VIDEO|generate_video_seedance_v2_0_fast|Seedance 2.0 Fast|premium\n\
VIDEO|generate_video_seedance_v2_0_mini|Seedance 2.0 Mini|premium\n\
VIDEO|generate_video_kling_v3|Kling 3.0|premium\n\
VIDEO|generate_video_kling_v3_omni|Kling 3.0 Omni|premium\n\
VIDEO|generate_video_minimax_h3|MiniMax H3|premium\n\
VIDEO|generate_video_seedance_pro_v1_5|Seedance 1.5 Pro|\n\
VIDEO|generate_video_kling_v2_6|Kling 2.6|premium\n\
VIDEO|generate_video_wan_v2_6|Wan 2.6|\n\
VIDEO|generate_video_veo3_1|Veo 3.1|premium\n\
VIDEO|generate_video_veo3_1_fast|Veo 3.1 Fast|premium\n\
VIDEO|generate_video_kling_omni_v1|Kling O1|premium\n\
VIDEO|generate_video_hailuo_v2_3|Hailuo 2.3|\n\
VIDEO|generate_video_veo3|Veo 3|premium\n\
VIDEO|generate_video_vidu_q2|Vidu Q2|\n\
VIDEO|generate_video_gemini_omni_flash|Gemini Omni Flash|premium\n\
3D|generate_3d_tripo|Tripo|";

/// The rows of [`TABLE`]: category, tool name, display name, premium.
fn models() -> impl Iterator<Item = (&'static str, &'static str, &'static str, bool)> {
    TABLE.lines().filter_map(|line| {
        let mut fields = line.split('|');
        let category = fields.next()?;
        let name = fields.next()?;
        let display_name = fields.next()?;
        let premium = fields.next()? == "premium";
        Some((category, name, display_name, premium))
    })
}

/// The built-in catalog in the shape of the API's model list:
/// `{"tools": [{"name", "display_name", "category", "is_premium"}, …]}`.
pub fn builtin_catalog() -> Value {
    let tools: Vec<Value> = models()
        .map(|(category, name, display_name, is_premium)| {
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
    models().map(|(_, name, _, _)| name).collect()
}

/// The display name of a tool, for the assistant's messages.
pub fn display_name(tool: &str) -> Option<&'static str> {
    models()
        .find(|&(_, name, _, _)| name == tool)
        .map(|(_, _, display_name, _)| display_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_has_every_row_of_the_readme_table() {
        let catalog = builtin_catalog();
        let tools = catalog["tools"].as_array().unwrap();
        assert_eq!(tools.len(), 40);
        let premium = tools
            .iter()
            .filter(|tool| tool["is_premium"] == true)
            .count();
        assert_eq!(premium, 13);
        assert_eq!(tools[0]["name"], "generate_image_gpt_image_2");
        assert_eq!(tools[39]["category"], "3D");
        assert_eq!(display_name("generate_video_kling_v3"), Some("Kling 3.0"));
    }
}
