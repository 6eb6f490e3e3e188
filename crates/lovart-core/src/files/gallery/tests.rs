use serde_json::json;

use super::*;

fn entry(thread: &str, at: &str, kind: &str, path: &str, prompt: &str) -> GalleryEntry {
    GalleryEntry {
        record: json!({
            "local_path": path, "type": kind, "thread_id": thread, "project_id": "p1",
            "prompt": prompt, "downloaded_at": at, "mime_type": null
        }),
        exists: true,
    }
}

#[test]
fn text_is_escaped_everywhere() {
    let page = render_gallery(
        &[entry(
            "t<1>",
            "2026-11-29T10:00:00+00:00",
            "image",
            "/g/a\".png",
            "<script>alert('x')</script> & \"more\"",
        )],
        Path::new("/g"),
        "now",
        "",
    );
    assert!(!page.contains("<script>"));
    assert!(
        page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;more&quot;")
    );
    assert!(page.contains("<code>t&lt;1&gt;</code>"));
    assert!(page.contains("src=\"a%22.png\""));
}

#[test]
fn nothing_is_loaded_from_the_network() {
    let page = render_gallery(
        &[entry("t", "2026", "image", "/x/a.png", "p")],
        Path::new("/g"),
        "now",
        "",
    );
    assert!(page.contains("default-src 'none'"));
    assert!(!page.contains("http://") && !page.contains("https://"));
    assert!(!page.contains("<script") && !page.contains("<link"));
    assert!(page.contains("name=\"viewport\""));
}

#[test]
fn each_type_has_its_element() {
    let page = render_gallery(
        &[
            entry("t", "4", "image", "/g/a.png", "p"),
            entry("t", "3", "video", "/g/b.mp4", "p"),
            entry("t", "2", "audio", "/g/c.wav", "p"),
            entry("t", "1", "3d", "/g/d.glb", "p"),
        ],
        Path::new("/g"),
        "now",
        "",
    );
    assert!(page.contains("<img src=\"a.png\""));
    assert!(page.contains("<video src=\"b.mp4\" controls"));
    assert!(page.contains("<audio src=\"c.wav\" controls"));
    assert!(page.contains("<a class=\"file\" href=\"d.glb\">3d file: d.glb</a>"));
}

#[test]
fn threads_are_grouped_newest_first() {
    let page = render_gallery(
        &[
            entry(
                "old",
                "2026-11-01T00:00:00+00:00",
                "image",
                "/g/o.png",
                "first",
            ),
            entry(
                "new",
                "2026-11-03T00:00:00+00:00",
                "image",
                "/g/n2.png",
                "later",
            ),
            entry(
                "new",
                "2026-11-02T00:00:00+00:00",
                "image",
                "/g/n1.png",
                "earlier",
            ),
        ],
        Path::new("/g"),
        "now",
        "",
    );
    let at = |needle: &str| page.find(needle).unwrap();
    assert!(at("Thread <code>new</code>") < at("Thread <code>old</code>"));
    assert!(at("n2.png") < at("n1.png"));
    assert_eq!(page.matches("<section>").count(), 2);
    assert!(page.contains("lovart chat --thread-id new --prompt"));
}

#[test]
fn missing_files_are_marked_not_shown() {
    let mut gone = entry("t", "1", "image", "/g/gone.png", "p");
    gone.exists = false;
    let page = render_gallery(&[gone], Path::new("/g"), "now", "");
    assert!(page.contains("missing: gone.png"));
    assert!(!page.contains("<img"));
}

#[test]
fn links_are_relative_or_file_urls() {
    assert_eq!(
        file_link(Path::new("/home/u/g"), Path::new("/home/u/out/a b.png")),
        "../out/a%20b.png"
    );
    assert_eq!(
        file_link(Path::new("rel"), Path::new("/x/猫.png")),
        "file:///x/%E7%8C%AB.png"
    );
}

#[test]
fn continue_commands_quote_odd_ids() {
    assert_eq!(
        continue_command("it's"),
        "lovart chat --thread-id 'it'\\''s' --prompt '…'"
    );
}
