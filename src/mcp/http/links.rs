//! What a client on another machine gets instead of local paths: a tool
//! result loses its `file://` links (they name the server's disk) and gains a
//! link to each artifact's URL on Lovart's CDN. Its image blocks (pictures
//! scaled within the inline budget) and its text, which already lists the
//! URLs, stay as they are, as does any `lovart://` resource link.

use rmcp::model::{CallToolResult, ContentBlock, Resource};
use serde_json::Value;

use lovart_core::download::collect_artifacts;

/// `result` for a remote client.
pub fn for_remote_client(mut result: CallToolResult) -> CallToolResult {
    result.content.retain(|block| {
        !block
            .as_resource_link()
            .is_some_and(|link| link.uri.starts_with("file://"))
    });
    let Some(Value::Object(output)) = &result.structured_content else {
        return result;
    };
    for artifact in collect_artifacts(output) {
        if !(artifact.url.starts_with("https://") || artifact.url.starts_with("http://")) {
            continue;
        }
        let name = artifact
            .url
            .split(['?', '#'])
            .next()
            .and_then(|path| path.rsplit('/').next())
            .filter(|name| !name.is_empty())
            .unwrap_or("artifact")
            .to_string();
        let mut link = Resource::new(artifact.url.clone(), name);
        if let Some(kind) = artifact.kind.as_str() {
            link = link.with_description(format!("{kind} on Lovart's CDN"));
        }
        result.content.push(ContentBlock::resource_link(link));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn file_links_become_cdn_links() {
        let mut result = CallToolResult::success(vec![
            ContentBlock::text("Done."),
            ContentBlock::image("aGk=", "image/png"),
            ContentBlock::resource_link(Resource::new("file:///srv/out/lovart_1.png", "x")),
            ContentBlock::resource_link(Resource::new("lovart://artifact/1", "y")),
        ]);
        result.structured_content = Some(json!({
            "thread_id": "t1",
            "items": [{"type": "generator", "artifacts": [
                {"type": "image", "content": "https://cdn.example/a/cat.png?sig=1"},
                {"type": "image", "content": "https://cdn.example/a/cat.png?sig=1"}
            ]}],
            "downloaded": [{"type": "image", "url": "https://cdn.example/a/cat.png?sig=1",
                            "local_path": "/srv/out/lovart_1.png", "new": true}]
        }));
        let remote = for_remote_client(result);
        let uris: Vec<String> = remote
            .content
            .iter()
            .filter_map(|block| Some(block.as_resource_link()?.uri.clone()))
            .collect();
        assert_eq!(
            uris,
            ["lovart://artifact/1", "https://cdn.example/a/cat.png?sig=1"]
        );
        assert!(remote.content[1].as_image().is_some(), "images stay inline");
        assert_eq!(
            remote.content[3].as_resource_link().unwrap().name,
            "cat.png"
        );
    }
}
