use super::*;

fn fields<'a>() -> NameFields<'a> {
    NameFields {
        thread_id: Some("th_0123456789abcdef"),
        project_id: Some("pr_42"),
        prompt: Some("A cyberpunk cat, neon!"),
        index: 2,
        kind: "image",
        ext: "png",
        date: "2026-11-29",
        time: "091502",
    }
}

fn render(template: &str) -> String {
    NameTemplate::parse(template)
        .unwrap()
        .render(&fields())
        .candidate(1)
}

#[test]
fn every_placeholder_is_filled() {
    assert_eq!(
        render("{project}/{date}/{thread8}-{index}-{type}-{time}.{ext}"),
        "pr_42/2026-11-29/th_01234-2-image-091502.png"
    );
    assert_eq!(
        render("{thread}_{prompt}.{ext}"),
        "th_0123456789abcdef_a-cyberpunk-cat-neon.png"
    );
}

#[test]
fn a_template_without_ext_gets_the_real_extension() {
    assert_eq!(render("{prompt}"), "a-cyberpunk-cat-neon.png");
    let mut no_ext = fields();
    no_ext.ext = "";
    let name = NameTemplate::parse("{index}").unwrap().render(&no_ext);
    assert_eq!(name.candidate(1), "2");
}

#[test]
fn collisions_number_before_the_extension() {
    let name = NameTemplate::parse("out/{index}.{ext}")
        .unwrap()
        .render(&fields());
    assert_eq!(name.candidate(2), "out/2-2.png");
    assert_eq!(name.candidate(3), "out/2-3.png");
}

#[test]
fn braces_escape_and_bad_placeholders_are_refused() {
    assert_eq!(render("{{x}}-{index}"), "{x}-2.png");
    assert!(
        NameTemplate::parse("{nope}")
            .unwrap_err()
            .contains("{prompt}")
    );
    assert!(
        NameTemplate::parse("{index")
            .unwrap_err()
            .contains("unclosed")
    );
    assert!(
        NameTemplate::parse("a}b")
            .unwrap_err()
            .contains("unmatched")
    );
}

#[test]
fn templates_that_leave_the_folder_are_refused() {
    for bad in [
        "/etc/{index}",
        "../{index}",
        "a/../../b",
        "C:/x",
        "a\\b",
        "",
        "  ",
    ] {
        assert!(NameTemplate::parse(bad).is_err(), "{bad:?} was accepted");
    }
}

#[test]
fn values_never_add_folders_or_climb() {
    let hostile = NameFields {
        thread_id: Some("../../etc"),
        project_id: Some(".."),
        prompt: Some("../../x/y"),
        kind: "a/b\\c",
        ext: "p/ng",
        ..fields()
    };
    let name = NameTemplate::parse("{project}/{thread}/{type}-{prompt}.{ext}")
        .unwrap()
        .render(&hostile);
    let path = name.candidate(1);
    assert_eq!(path, "_/.._.._etc/a_b_c-x-y.png");
    assert!(path.split('/').all(|part| part != ".." && !part.is_empty()));
}

#[test]
fn empty_and_dot_components_are_dropped() {
    assert_eq!(render("a//./{index}"), "a/2.png");
}

#[test]
fn prompt_slug_keeps_letters_of_any_script() {
    assert_eq!(prompt_slug("  Hello, 世界! ñandú  "), "hello-世界-ñandú");
    assert_eq!(prompt_slug("!!!"), "prompt");
    assert_eq!(prompt_slug(&"x".repeat(500)).len(), 60);
}

#[test]
fn long_unicode_names_fit_in_bytes_and_keep_the_extension() {
    let prompt: String = "猫が月の上で踊る夜、".repeat(30); // 300 characters, 900 bytes
    let long = NameFields {
        prompt: Some(&prompt),
        thread_id: Some(&prompt),
        ..fields()
    };
    let name = NameTemplate::parse("{thread}/{thread}{prompt}{thread}.{ext}")
        .unwrap()
        .render(&long);
    for n in [1, 99] {
        let path = name.candidate(n);
        let parts: Vec<&str> = path.split('/').collect();
        assert_eq!(parts.len(), 2);
        for part in &parts {
            assert!(part.len() <= MAX_COMPONENT_BYTES, "{} bytes", part.len());
        }
        assert!(parts[1].ends_with(".png"));
        assert!(parts[1].len() + ".json".len() <= MAX_COMPONENT_BYTES);
    }
}

#[test]
fn an_empty_rendering_still_names_a_file() {
    let empty = NameFields {
        prompt: Some(""),
        ..fields()
    };
    assert_eq!(
        NameTemplate::parse("x/{prompt}")
            .unwrap()
            .render(&empty)
            .candidate(1),
        "x/prompt.png"
    );
}

#[test]
fn a_slug_never_passes_its_limit_even_at_a_word_boundary() {
    let slug = prompt_slug(&"abcdefghi ".repeat(12));
    assert!(slug.chars().count() <= PROMPT_SLUG_CHARS, "{slug}");
    assert!(!slug.ends_with('-'), "{slug}");
    assert_eq!(
        prompt_slug(&"x".repeat(100)).chars().count(),
        PROMPT_SLUG_CHARS
    );
}

#[test]
fn a_long_name_is_cut_in_the_middle_so_its_ending_tells_files_apart() {
    let thread = "é".repeat(200); // 400 bytes
    let names: Vec<String> = [1, 2, 3]
        .into_iter()
        .map(|index| {
            let long = NameFields {
                thread_id: Some(&thread),
                index,
                ..fields()
            };
            NameTemplate::parse("long/{thread}{thread}-{index}.{ext}")
                .unwrap()
                .render(&long)
                .candidate(1)
        })
        .collect();
    for (name, index) in names.iter().zip(1..) {
        let file = name.rsplit('/').next().unwrap();
        assert!(file.len() <= MAX_COMPONENT_BYTES, "{} bytes", file.len());
        assert!(file.ends_with(&format!("-{index}.png")), "{file}");
        assert!(file.starts_with("éé"), "{file}");
    }
    assert_ne!(names[0], names[1]);
}
