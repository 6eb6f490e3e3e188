//! `lovart history` and `lovart gallery` over what earlier downloads recorded.

use std::path::Path;

use super::{chat, local_paths};
use crate::support::{World, run, text};

#[test]
fn history_lists_newest_first_filters_and_marks_missing_files() {
    let world = World::sandbox();
    let cat = chat(&world, "a cat", &[]);
    let song = chat(&world, "a calm song", &[]);
    std::fs::remove_file(&local_paths(&cat)[0]).unwrap();
    let listed = run(world.lovart().args(["history", "--json"]));
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let listed = listed.json();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(text(&listed[0], "prompt"), "a calm song");
    assert_eq!(listed[0]["exists"], true);
    assert_eq!(listed[1]["exists"], false);

    let plain = run(world.lovart().args(["history"]));
    let lines: Vec<&str> = plain.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", plain.stdout);
    assert!(lines[1].contains("(missing)") && lines[1].contains("a cat"));
    assert!(!lines[0].contains("(missing)"));

    let thread = text(&song, "thread_id");
    let project = text(&song, "project_id");
    for (flags, expected) in [
        (vec!["--type", "AUDIO"], 1),
        (vec!["--thread", &thread[..6]], 1),
        (vec!["--project", &project[..6]], 2),
        (vec!["--project", "nope"], 0),
        (vec!["--since", "1h"], 2),
        (vec!["--since", "2999-01-01"], 0),
    ] {
        let mut args = vec!["history", "--json"];
        args.extend(flags.iter().copied());
        let filtered = run(world.lovart().args(&args));
        assert_eq!(
            filtered.json().as_array().unwrap().len(),
            expected,
            "{flags:?}"
        );
    }
    let none = run(world.lovart().args(["history", "--project", "nope"]));
    assert_eq!(none.stdout, "No downloads match these filters.\n");
    let bad = run(world.lovart().args(["history", "--since", "soon"]));
    assert_eq!(bad.code, 2);
}

#[test]
fn the_gallery_is_one_local_page_grouped_by_thread() {
    let world = World::sandbox();
    let cat = chat(&world, "a <b>cat</b>", &[]);
    chat(&world, "a calm song", &[]);
    chat(&world, "a 3d model", &[]);
    let page_path = world.home.path().join("pages/gallery.html");
    let made =
        run(world
            .lovart()
            .args(["gallery", "--out", page_path.to_str().unwrap(), "--json"]));
    assert_eq!(made.code, 0, "{}", made.stderr);
    let made = made.json();
    assert_eq!(made["files"], 3);
    assert_eq!(made["threads"], 3);
    let page = std::fs::read_to_string(&page_path).unwrap();
    assert!(page.contains("a &lt;b&gt;cat&lt;/b&gt;"));
    assert!(!page.contains("<b>cat"));
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "a network URL in the page"
    );
    let image = format!(
        "../out/{}",
        Path::new(&local_paths(&cat)[0])
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
    );
    assert!(page.contains(&format!("<img src=\"{image}\"")), "{page}");
    assert!(page.contains("<audio src=\"../out/"));
    assert!(page.contains("3d file: "));
    assert!(page.contains(&format!(
        "lovart chat --thread-id {}",
        text(&cat, "thread_id")
    )));
    // Newest thread first.
    assert!(page.find("3d file").unwrap() < page.find("&lt;b&gt;cat").unwrap());

    // Default place: the state folder.
    let default = run(world.lovart().args(["gallery", "--type", "image"]));
    assert_eq!(default.code, 0, "{}", default.stderr);
    let default_path = world.home.path().join(".lovart/gallery.html");
    assert_eq!(default.stdout.trim(), default_path.to_str().unwrap());
    assert!(
        std::fs::read_to_string(default_path)
            .unwrap()
            .contains("1 files in 1 threads")
    );
}

/// `--open` hands the page to `xdg-open`; an opener that fails (no browser)
/// is a warning naming the page, and the page stays written (exit 0).
#[cfg(target_os = "linux")]
#[test]
fn gallery_open_says_when_the_opener_failed() {
    use std::os::unix::fs::PermissionsExt;
    let world = World::sandbox();
    chat(&world, "a cat", &[]);
    let bin = world.home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let opened = world.home.path().join("opened");
    let opener = bin.join("xdg-open");
    std::fs::write(
        &opener,
        format!("#!/bin/sh\necho \"$1\" > '{}'\nexit 3\n", opened.display()),
    )
    .unwrap();
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let page = world.home.path().join("gallery.html");
    let out = run(world.lovart().env("PATH", path).args([
        "gallery",
        "--open",
        "--out",
        page.to_str().unwrap(),
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(page.is_file());
    assert_eq!(
        std::fs::read_to_string(&opened).unwrap().trim(),
        page.to_str().unwrap(),
        "the opener was given the page"
    );
    assert!(
        out.stderr.contains("could not open") && out.stderr.contains("the opener failed"),
        "{}",
        out.stderr
    );
}
