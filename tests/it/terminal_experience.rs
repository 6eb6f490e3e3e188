//! The everyday terminal experience (issue 13; the sandbox's data folder is
//! in `sandbox_persistence`): a state folder of its own (LOVART_HOME), hints that name the real cause and
//! the next command, ids that can be typed short, help and completions, and a
//! doctor that only reads. Hints show only at a terminal, so those tests run
//! `lovart` under a pseudo-terminal (`script`), where stdout and stderr arrive
//! together; the same commands piped keep the reference's bytes.

use clap::CommandFactory;
use lovart::cli::Cli;
use lovart_sandbox::Fault;

use crate::support::{Run, World, run};

/// `lovart args…` with the world's environment, under a pseudo-terminal.
/// Returns what the terminal showed (stdout and stderr together).
fn in_terminal(world: &World, extra_env: &[(&str, &str)], args: &[&str]) -> Run {
    let lovart = world.lovart_process();
    let quote = |word: &str| format!("'{}'", word.replace('\'', r"'\''"));
    let mut line = quote(&lovart.get_program().to_string_lossy());
    for arg in args {
        line.push(' ');
        line.push_str(&quote(arg));
    }
    let mut command = std::process::Command::new("script");
    command.env_clear();
    for (name, value) in lovart.get_envs() {
        if let Some(value) = value {
            command.env(name, value);
        }
    }
    for (name, value) in extra_env {
        command.env(name, value);
    }
    command
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .args(["-qec", &line, "/dev/null"]);
    let output = command.output().expect("run script(1)");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).replace("\r\n", "\n"),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The value after `Thread: ` in a text result.
fn thread_line(text: &str) -> String {
    text.lines()
        .find_map(|line| line.strip_prefix("Thread: "))
        .expect("a Thread: line")
        .trim()
        .to_string()
}

#[test]
fn lovart_home_relocates_the_state_file() {
    let world = World::sandbox();
    let home = world.home.path().join("elsewhere");
    let sent = run(world
        .lovart()
        .env("LOVART_HOME", &home)
        .args(["send", "--prompt", "a cat"]));
    assert_eq!(sent.code, 0, "{}", sent.stderr);
    assert!(home.join("state.json").is_file());
    assert!(world.state_text().is_none());
    let config = run(world.lovart().env("LOVART_HOME", &home).arg("config"));
    assert!(
        config
            .stdout
            .contains(&sent.json()["project_id"].as_str().unwrap()[..8])
    );
}

#[test]
fn an_unknown_active_project_keeps_the_reference_error_and_hints_the_way_out() {
    let world = World::sandbox();
    world.write_state(
        r#"{"projects": {"stale1": {"name": "old"}}, "active_project": "stale1", "threads": []}"#,
    );
    let piped = run(world.lovart().args(["chat", "--prompt", "a cat"]));
    assert_eq!(piped.code, 1);
    assert_eq!(piped.stderr, "Error: Project 'stale1' does not exist\n");

    let shown = in_terminal(&world, &[], &["chat", "--prompt", "a cat"]);
    assert_eq!(shown.code, 1);
    let text = &shown.stdout;
    assert!(
        text.contains("Error: Project 'stale1' does not exist"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "hint: {} does not know the project stale1",
            world.url()
        )),
        "{text}"
    );
    assert!(
        text.contains("lovart project-remove --project-id stale1"),
        "{text}"
    );
    assert!(text.contains("--project-id"), "{text}");
}

#[test]
fn a_validation_that_failed_names_its_cause() {
    let world = World::sandbox();
    let wrong_keys = in_terminal(
        &world,
        &[("LOVART_SECRET_KEY", "sk_wrong")],
        &["chat", "--prompt", "a cat", "--project-id", "p1"],
    );
    assert!(
        wrong_keys
            .stdout
            .contains("Error: Project 'p1' does not exist")
    );
    assert!(
        wrong_keys.stdout.contains("refused the keys"),
        "{}",
        wrong_keys.stdout
    );

    let https = world.url().replace("http://", "https://");
    let tls = in_terminal(
        &world,
        &[("LOVART_BASE_URL", &https)],
        &["chat", "--prompt", "a cat", "--project-id", "p1"],
    );
    assert!(tls.stdout.contains("Error: Project 'p1' does not exist"));
    assert!(
        tls.stdout.contains("try http:// instead of https://"),
        "{}",
        tls.stdout
    );
}

#[test]
fn pending_confirmation_shows_cost_message_and_the_exact_confirm_command() {
    let world = World::sandbox();
    let shown = in_terminal(&world, &[], &["chat", "--prompt", "a video of the sea"]);
    assert_eq!(shown.code, 0, "{}", shown.stdout);
    let thread = thread_line(&shown.stdout);
    assert!(
        shown
            .stdout
            .contains("about 40 credits (generate_video_kling_v3)"),
        "{}",
        shown.stdout
    );
    assert!(
        shown
            .stdout
            .contains("hint: the agent says: Generating this video"),
        "{}",
        shown.stdout
    );
    assert!(
        shown.stdout.contains(&format!(
            "hint: to go ahead: lovart confirm --thread-id {thread}\n"
        )),
        "{}",
        shown.stdout
    );
    // Piped: the reference's bytes, nothing on stderr.
    let piped = run(world
        .lovart()
        .args(["chat", "--prompt", "a video of the sea"]));
    assert_eq!(piped.stderr, "");
}

#[test]
fn a_timeout_and_a_refusal_say_what_to_do_next() {
    let world = World::sandbox();
    let timeout = in_terminal(
        &world,
        &[],
        &["--timeout", "1", "chat", "--prompt", "forever"],
    );
    let thread = thread_line(&timeout.stdout);
    assert!(timeout.stdout.contains("Status: timeout"));
    assert!(
        timeout.stdout.contains(&format!(
            "lovart result --thread-id {thread} --json --download"
        )),
        "{}",
        timeout.stdout
    );
    let refused = in_terminal(&world, &[], &["chat", "--prompt", "refuse this"]);
    assert!(
        refused
            .stdout
            .contains("hint: no artifact was made; the agent said: Sorry, I can't help"),
        "{}",
        refused.stdout
    );
}

#[test]
fn warnings_for_a_failed_download_and_an_unknown_id_show_only_at_a_terminal() {
    let world = World::sandbox();
    let out = world.out_dir();
    let shown = in_terminal(
        &world,
        &[],
        &["download", "--urls", "not-a-url", "--output-dir", &out],
    );
    assert_eq!(shown.code, 0);
    assert!(
        shown
            .stdout
            .contains("warning: could not download not-a-url: not a URL"),
        "{}",
        shown.stdout
    );
    let removed = in_terminal(&world, &[], &["project-remove", "--project-id", "nope"]);
    assert!(
        removed.stdout.starts_with("Removed project: nope\n"),
        "{}",
        removed.stdout
    );
    assert!(
        removed
            .stdout
            .contains("warning: no saved project has the id 'nope'")
    );
    let thread = in_terminal(&world, &[], &["thread-remove", "--thread-id", "nope"]);
    assert!(
        thread
            .stdout
            .contains("warning: no saved thread has the id 'nope'")
    );
    // Piped: the reference's output only.
    let piped = run(world
        .lovart()
        .args(["project-remove", "--project-id", "nope"]));
    assert_eq!(
        (piped.stdout.as_str(), piped.stderr.as_str()),
        ("Removed project: nope\n", "")
    );
}

#[test]
fn a_thread_id_prefix_shown_by_threads_works_and_full_ids_pass_untouched() {
    let world = World::sandbox();
    let (thread, _) = world.send("a cat");
    let short = &thread[..8];
    let listed = run(world.lovart().arg("threads"));
    assert!(
        listed.stdout.contains(&format!("[{short}...]")),
        "{}",
        listed.stdout
    );
    world.server().clear_requests();
    let status = run(world.lovart().args(["status", "--thread-id", short]));
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert_eq!(status.json()["thread_id"], thread.as_str());
    let asked = world.requests_to("GET", "/chat/status");
    assert_eq!(asked[0].query, format!("thread_id={thread}"));
    let result = run(world.lovart().args(["result", "--thread-id", short]));
    assert_eq!(result.json()["thread_id"], thread.as_str());
    // An id that is no saved thread's prefix goes to the server as typed.
    let unknown = run(world.lovart().args(["status", "--thread-id", "0000"]));
    assert_eq!(unknown.code, 1);
    assert_eq!(
        world
            .requests_to("GET", "/chat/status")
            .last()
            .unwrap()
            .query,
        "thread_id=0000"
    );
}

#[test]
fn ambiguous_prefixes_list_the_candidates() {
    let world = World::sandbox();
    world.write_state(
        r#"{"projects": {"ab11": {"name": "one"}, "ab22": {"name": "two"}}, "active_project": "ab11",
            "threads": [{"id": "cd11", "project_id": "ab11", "topic": "x", "updated_at": "t"},
                        {"id": "cd22", "project_id": "ab11", "topic": "y", "updated_at": "t"}]}"#,
    );
    let thread = run(world.lovart().args(["status", "--thread-id", "cd"]));
    assert_eq!(thread.code, 1);
    assert_eq!(
        thread.stderr,
        "Error: the prefix 'cd' matches 2 saved threads: cd11, cd22; give more characters\n"
    );
    assert_eq!(world.count("GET", "/chat/status"), 0);
    // The reference's Error: line stays; the candidates are a hint.
    let project = run(world
        .lovart()
        .args(["project-switch", "--project-id", "ab"]));
    assert_eq!(project.code, 1);
    assert_eq!(project.stderr, "Error: project 'ab' not found\n");
    let shown = in_terminal(&world, &[], &["project-switch", "--project-id", "ab"]);
    assert!(
        shown
            .stdout
            .contains("Error: project 'ab' not found\nhint: the prefix 'ab' matches 2 saved projects: ab11, ab22"),
        "{}",
        shown.stdout
    );
}

#[test]
fn every_option_is_described_and_every_command_has_an_example() {
    let mut cli = Cli::command();
    cli.build();
    for command in cli.get_subcommands() {
        let name = command.get_name();
        if name == "help" {
            continue;
        }
        let after = command
            .get_after_help()
            .map(ToString::to_string)
            .unwrap_or_default();
        assert!(after.contains("lovart "), "{name} has no example");
        for arg in command.get_arguments() {
            if arg.is_hide_set() || ["help", "version"].contains(&arg.get_id().as_str()) {
                continue;
            }
            assert!(
                arg.get_help().is_some(),
                "{name} --{} has no help",
                arg.get_id()
            );
        }
    }
    let world = World::offline();
    let help = run(world.lovart().args(["help", "chat"]));
    assert_eq!(help.code, 0, "{}", help.stderr);
    assert!(help.stdout.contains("--prompt <PROMPT>") && help.stdout.contains("Examples:"));
    #[cfg(feature = "sandbox")]
    {
        let sandbox = run(world.lovart().args(["sandbox", "--help"]));
        assert!(
            !sandbox.stdout.contains("at once"),
            "--fast is worded truthfully"
        );
    }
}

#[test]
fn a_prompt_without_prompt_gets_a_tip_and_a_usage_error() {
    let world = World::offline();
    let out = run(world.lovart().args(["chat", "a cat"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("tip: --prompt 'a cat'"),
        "{}",
        out.stderr
    );
}

#[test]
fn dynamic_completion_offers_saved_ids_not_file_names() {
    let world = World::offline();
    world.write_state(
        r#"{"projects": {"proj1234": {"name": "Posters"}}, "active_project": "proj1234",
            "threads": [{"id": "thr5678", "project_id": "proj1234", "topic": "a cat", "updated_at": "t"}]}"#,
    );
    let complete = |args: &[&str]| {
        run(world
            .lovart()
            .env("LOVART_COMPLETE", "bash")
            .env("_CLAP_COMPLETE_INDEX", (args.len() - 1).to_string())
            .arg("--")
            .args(args))
    };
    let threads = complete(&["lovart", "result", "--thread-id", ""]);
    assert_eq!(threads.stdout.trim(), "thr5678", "{}", threads.stderr);
    let projects = complete(&["lovart", "chat", "--project-id", ""]);
    assert_eq!(projects.stdout.trim(), "proj1234");
    let script = run(world.lovart().args(["completions", "bash", "--dynamic"]));
    assert!(
        script.stdout.contains("LOVART_COMPLETE"),
        "{}",
        script.stdout
    );
}

#[test]
fn doctor_fails_a_web_page_or_an_http_error_in_one_line_and_never_moves_the_state() {
    let world = World::sandbox();
    let page = "<!DOCTYPE html>\n<html><head><title>Welcome to nginx</title></head><body>\n<p>lots</p>\n</body></html>\n";
    world.server().inject(
        Fault::new("GET", "/tools/catalog", 200)
            .header("content-type", "text/html")
            .body(page),
    );
    world.write_state("{not json");
    let out = run(world.lovart().arg("doctor"));
    assert_eq!(out.code, 1);
    let network = out
        .stdout
        .lines()
        .find(|line| line.starts_with("✗ network: "))
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert!(
        network.contains("an HTML page (\"Welcome to nginx\")"),
        "{network}"
    );
    assert!(!out.stdout.contains("<p>") && !out.stdout.contains("<html"));
    assert!(out.stdout.contains("✗ state: "));
    // Only read: the corrupt file is where it was, nothing moved aside.
    assert_eq!(world.state_text().as_deref(), Some("{not json"));
    let folder = world.state_path().parent().unwrap().to_path_buf();
    assert!(
        crate::support::file_names(&folder)
            .iter()
            .all(|name| !name.contains("corrupt"))
    );

    let wrong_path = run(world
        .lovart()
        .env("LOVART_BASE_URL", format!("{}/api", world.url()))
        .arg("doctor"));
    assert!(
        wrong_path.stdout.contains("✗ network: "),
        "{}",
        wrong_path.stdout
    );
    assert!(wrong_path.stdout.contains("HTTP 404"));

    let bare = run(world
        .lovart()
        .env("LOVART_BASE_URL", world.url().trim_start_matches("http://"))
        .arg("doctor"));
    assert!(bare.stdout.contains("has no scheme"), "{}", bare.stdout);
    // Nothing was sent: the URL is named as the fault, not the network.
    assert!(
        bare.stdout.contains("✗ network: not tried: the base URL")
            && !bare.stdout.contains("no HTTP answer")
            && bare
                .stdout
                .contains("- tls: not checked: the base URL is invalid"),
        "{}",
        bare.stdout
    );
}

#[test]
fn doctor_counts_in_the_right_number() {
    let world = World::sandbox();
    world.send("a cat");
    let out = run(world.lovart().arg("doctor"));
    assert!(
        out.stdout.contains(": 1 project, 1 thread, active project"),
        "{}",
        out.stdout
    );
}

#[test]
fn watch_shows_a_spinner_at_a_terminal_only() {
    let world = World::sandbox();
    let shown = in_terminal(
        &world,
        &[],
        &[
            "watch",
            "--prompt",
            "a cat",
            "--output-dir",
            &world.out_dir(),
        ],
    );
    assert_eq!(shown.code, 0, "{}", shown.stdout);
    assert!(shown.stdout.contains("watching"), "{}", shown.stdout);
    let piped = run(world.lovart().args([
        "watch",
        "--prompt",
        "a cat",
        "--output-dir",
        &world.out_dir(),
    ]));
    assert_eq!(piped.stderr, "");
}
