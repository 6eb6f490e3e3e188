use super::*;

fn parse(text: &str) -> Result<Parsed, Vec<RowError>> {
    parse_rows(text.as_bytes())
}

fn messages(text: &str) -> Vec<String> {
    parse(text)
        .expect_err("expected errors")
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn ids_and_prompts(parsed: &Parsed) -> Vec<(&str, &str)> {
    parsed.rows.iter().map(|r| (&*r.id, &*r.prompt)).collect()
}

#[test]
fn plain_text_one_prompt_per_line_skipping_blanks_and_comments() {
    let parsed = parse("# header\n\na cat\n   \n  a dog  \n# later\r\nthe sea\r\n").unwrap();
    assert_eq!(parsed.format, Some(Format::Plain));
    assert_eq!(
        ids_and_prompts(&parsed),
        [("3", "a cat"), ("5", "a dog"), ("7", "the sea")]
    );
    assert_eq!(parsed.rows[1].line, 5);
    assert!(parsed.rows.iter().all(|r| r.extra.is_none()));
    assert_eq!(parsed.rows[0].options(), &RowOptions::default());
}

#[test]
fn empty_and_comment_only_inputs_have_no_rows() {
    for text in ["", "\n\n", "# only\n  # comments\n"] {
        let parsed = parse(text).unwrap();
        assert_eq!(parsed.format, None);
        assert!(parsed.rows.is_empty());
    }
}

#[test]
fn last_line_without_newline_and_bom_are_fine() {
    let parsed = parse("\u{feff}first\nsecond").unwrap();
    assert_eq!(ids_and_prompts(&parsed), [("1", "first"), ("2", "second")]);
}

#[test]
fn jsonl_with_every_key() {
    let text = concat!(
        "# comment\n",
        r#"{"prompt": "a cat", "id": "cat", "thread_id": "t1", "attachments": ["https://a/b.png"], "mode": "thinking", "prefer_models": {"IMAGE": ["generate_image_midjourney"], "VIDEO": []}, "include_tools": ["upscale_image"], "exclude_tools": ["x"], "output_dir": "out/cats"}"#,
        "\n\n",
        r#"  {"prompt": "a dog", "id": 42, "mode": "fast"}"#,
        "\n",
        r#"{"prompt": "plain", "thread_id": null}"#,
        "\n",
    );
    let parsed = parse(text).unwrap();
    assert_eq!(parsed.format, Some(Format::Jsonl));
    assert_eq!(
        ids_and_prompts(&parsed),
        [("cat", "a cat"), ("42", "a dog"), ("5", "plain")]
    );
    let cat = parsed.rows[0].options();
    assert_eq!(cat.thread_id.as_deref(), Some("t1"));
    assert_eq!(cat.attachments, ["https://a/b.png"]);
    assert_eq!(cat.mode, Some(Mode::Thinking));
    assert_eq!(cat.include_tools, ["upscale_image"]);
    assert_eq!(cat.exclude_tools, ["x"]);
    assert_eq!(cat.output_dir.as_deref(), Some(Path::new("out/cats")));
    assert_eq!(
        cat.prefer_models_value().unwrap().to_string(),
        r#"{"IMAGE":["generate_image_midjourney"],"VIDEO":[]}"#
    );
    assert_eq!(
        parsed.rows[1].options().mode.map(Mode::as_str),
        Some("fast")
    );
    assert_eq!(parsed.rows[1].line, 4);
    assert!(parsed.rows[2].extra.is_none(), "null means absent");
    assert_eq!(parsed.rows[2].options().prefer_models_value(), None);
}

use std::path::Path;

#[test]
fn negative_integer_id_is_its_decimal_text() {
    let parsed = parse(r#"{"prompt": "p", "id": -7}"#).unwrap();
    assert_eq!(&*parsed.rows[0].id, "-7");
}

#[test]
fn every_jsonl_error_kind_names_its_line() {
    let text = [
        r#"{"prompt": "ok"}"#,                                 // 1
        r#"{"prompt": "broken""#,                              // 2
        r#"{"id": "no-prompt"}"#,                              // 3
        r#"{"prompt": ""}"#,                                   // 4
        r#"{"prompt": 5}"#,                                    // 5
        r#"{"prompt": "p", "id": 1.5}"#,                       // 6
        r#"{"prompt": "p", "id": ""}"#,                        // 7
        r#"{"prompt": "p", "attachments": "a.png"}"#,          // 8
        r#"{"prompt": "p", "attachments": ["a", 3]}"#,         // 9
        r#"{"prompt": "p", "mode": "slow"}"#,                  // 10
        r#"{"prompt": "p", "prefer_models": ["IMAGE"]}"#,      // 11
        r#"{"prompt": "p", "prefer_models": {"IMAGE": "x"}}"#, // 12
        r#"{"prompt": "p", "include_tools": [true]}"#,         // 13
        r#"{"prompt": "p", "exclude_tools": {}}"#,             // 14
        r#"{"prompt": "p", "output_dir": 3}"#,                 // 15
        r#"{"prompt": "p", "thread_id": ""}"#,                 // 16
        r#"{"prompt": "p", "colour": "red"}"#,                 // 17
        r#"{"prompt": null}"#,                                 // 18
    ]
    .join("\n");
    let errors = parse(&text).unwrap_err();
    let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, (2..=18).collect::<Vec<_>>());
    let text_of = |line: usize| errors.iter().find(|e| e.line == line).unwrap().to_string();
    assert!(
        text_of(2).starts_with("line 2: invalid JSON: "),
        "{}",
        text_of(2)
    );
    assert_eq!(text_of(3), "line 3: missing \"prompt\"");
    assert_eq!(text_of(4), "line 4: \"prompt\" must not be empty");
    assert_eq!(
        text_of(5),
        "line 5: \"prompt\" must be a string, not a number"
    );
    assert_eq!(
        text_of(6),
        "line 6: \"id\" must be a string or an integer, not a number"
    );
    assert_eq!(text_of(7), "line 7: \"id\" must not be empty");
    assert_eq!(
        text_of(8),
        "line 8: \"attachments\" must be an array of strings, not a string"
    );
    assert_eq!(
        text_of(9),
        "line 9: \"attachments\" item 1 must be a string, not a number"
    );
    assert_eq!(
        text_of(10),
        "line 10: \"mode\" must be \"thinking\" or \"fast\", not \"slow\""
    );
    assert!(text_of(11).contains("\"prefer_models\" must be an object of category"));
    assert_eq!(
        text_of(12),
        "line 12: \"prefer_models\" \"IMAGE\" must be a list of tool names, not a string"
    );
    assert_eq!(
        text_of(13),
        "line 13: \"include_tools\" item 0 must be a string, not a boolean"
    );
    assert!(text_of(14).contains("\"exclude_tools\" must be an array of strings, not an object"));
    assert_eq!(
        text_of(15),
        "line 15: \"output_dir\" must be a string, not a number"
    );
    assert_eq!(text_of(16), "line 16: \"thread_id\" must not be empty");
    assert!(
        text_of(17).starts_with("line 17: unknown key \"colour\" (expected one of: prompt, id,"),
        "{}",
        text_of(17)
    );
    assert_eq!(
        text_of(18),
        "line 18: \"prompt\" must be a string, not null"
    );
}

#[test]
fn a_row_reports_all_its_problems() {
    let errors = messages(r#"{"colour": 1, "mode": 2}"#);
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors[0].contains("unknown key \"colour\""));
    assert!(errors[1].contains("\"mode\""));
    assert_eq!(errors[2], "line 1: missing \"prompt\"");
}

#[test]
fn jsonl_rows_must_be_objects() {
    let errors = messages("{\"prompt\": \"a\"}\n{]\n");
    assert_eq!(errors.len(), 1);
    assert!(errors[0].starts_with("line 2: invalid JSON"));
}

#[test]
fn mixing_formats_is_an_error_either_way() {
    assert_eq!(
        messages("# c\n{\"prompt\": \"a\"}\nplain prompt\n"),
        [
            "line 3: expected a JSON object: this file is JSONL (line 2 is an object); write every row as JSON, or none"
        ]
    );
    assert_eq!(
        messages("plain\n\n  {\"prompt\": \"a\"}\n"),
        [
            "line 3: looks like a JSON object, but this file is plain text (line 1 is a plain prompt); write every row as JSON, or none"
        ]
    );
}

#[test]
fn duplicate_ids_name_both_lines() {
    let text = [
        r#"{"prompt": "a", "id": "x"}"#, // 1
        r#"{"prompt": "b", "id": "y"}"#, // 2
        r#"{"prompt": "c", "id": "x"}"#, // 3
        r#"{"prompt": "d", "id": "x"}"#, // 4
        r#"{"prompt": "e", "id": 2}"#,   // 5: an explicit id may clash with a default one
        r#"{"prompt": "f"}"#,            // 6: default "6"
        r#"{"prompt": "g", "id": "6"}"#, // 7
    ]
    .join("\n");
    assert_eq!(
        messages(&text),
        [
            "line 3: duplicate id \"x\" (first used on line 1)",
            "line 4: duplicate id \"x\" (first used on line 1)",
            "line 7: duplicate id \"6\" (first used on line 6)",
        ]
    );
}

#[test]
fn default_ids_do_not_clash_with_each_other() {
    let text = "{\"prompt\": \"a\", \"id\": \"2\"}\n\n{\"prompt\": \"b\"}\n";
    let parsed = parse(text).unwrap();
    assert_eq!(ids_and_prompts(&parsed), [("2", "a"), ("3", "b")]);
    assert_eq!(
        messages("{\"prompt\": \"a\", \"id\": \"2\"}\n{\"prompt\": \"b\"}\n"),
        ["line 2: duplicate id \"2\" (first used on line 1)"]
    );
}

#[test]
fn invalid_utf8_is_reported_with_its_line_and_parsing_goes_on() {
    let mut bytes = b"ok\n".to_vec();
    bytes.extend_from_slice(b"bad \xff\n{\"prompt\": \"x\"}\n");
    let errors: Vec<String> = parse_rows(&bytes[..])
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(errors[0], "line 2: not valid UTF-8");
    assert!(errors[1].starts_with("line 3: looks like a JSON object"));
}

#[test]
fn errors_come_sorted_by_line() {
    let text = "{\"prompt\": \"a\", \"id\": \"d\"}\n{\"prompt\": \"b\", \"id\": \"d\"}\n{\"x\": 1, \"prompt\": \"c\"}\n";
    let lines: Vec<usize> = parse(text).unwrap_err().iter().map(|e| e.line).collect();
    assert_eq!(lines, [2, 3]);
}

#[test]
fn rows_are_compact() {
    assert!(size_of::<Row>() <= 48, "{}", size_of::<Row>());
}
