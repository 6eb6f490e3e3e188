//! Flag parsing, apart from behaviour: the argparse rules scripts rely on.

use clap::{CommandFactory, Parser};
use lovart::cli::{Cli, Command};

#[test]
fn cli_definition_is_consistent() {
    Cli::command().debug_assert();
}

fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("lovart").chain(args.iter().copied()))
}

#[test]
fn unique_prefixes_abbreviate_long_options() {
    let cli = parse(&[
        "--time", "5", "chat", "--prom", "hi", "--js", "--proj", "p1",
    ])
    .unwrap();
    assert_eq!(cli.timeout, 5);
    let Some(Command::Chat(chat)) = cli.command else {
        panic!("not chat")
    };
    assert_eq!(chat.prompt, "hi");
    assert!(chat.json);
    assert_eq!(chat.project_id.as_deref(), Some("p1"));
}

#[test]
fn ambiguous_prefix_is_a_usage_error() {
    let err = parse(&["chat", "--pr", "x"]).unwrap_err();
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn list_options_take_following_words_and_last_occurrence_wins() {
    let cli = parse(&[
        "chat",
        "--prompt",
        "p",
        "--attachments",
        "a",
        "b",
        "--attachments",
        "c",
        "--json",
    ])
    .unwrap();
    let Some(Command::Chat(chat)) = cli.command else {
        panic!("not chat")
    };
    assert_eq!(chat.attachments, Some(vec!["c".to_string()]));
    assert!(chat.json);
}

#[test]
fn repeated_option_keeps_the_last_value() {
    let cli = parse(&["chat", "--prompt", "one", "--prompt", "two"]).unwrap();
    let Some(Command::Chat(chat)) = cli.command else {
        panic!("not chat")
    };
    assert_eq!(chat.prompt, "two");
}

#[test]
fn global_options_after_the_subcommand_are_rejected() {
    assert_eq!(
        parse(&["config", "--timeout", "5"])
            .unwrap_err()
            .exit_code(),
        2
    );
}

#[test]
fn new_options_keep_reference_prefixes_unique() {
    // `--a` was never valid on `threads`; `--j` stays `--json`.
    let cli = parse(&["threads", "--j", "--a"]).unwrap();
    let Some(Command::Threads(threads)) = cli.command else {
        panic!("not threads")
    };
    assert!(threads.json && threads.all);
    assert!(parse(&["watch", "--thread-id", "t", "--js"]).is_ok());
}

#[test]
fn urls_needs_at_least_one_value() {
    assert_eq!(parse(&["download", "--urls"]).unwrap_err().exit_code(), 2);
}

#[test]
fn value_starting_with_dash_needs_equals_form() {
    assert!(parse(&["chat", "--prompt", "-x"]).is_err());
    let cli = parse(&["chat", "--prompt=-x"]).unwrap();
    let Some(Command::Chat(chat)) = cli.command else {
        panic!("not chat")
    };
    assert_eq!(chat.prompt, "-x");
}
