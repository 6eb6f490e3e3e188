//! Which project and thread a generation goes to: validation of a given
//! project, busy and known threads, local project names and thread topics.

use crate::support::{World, run, text};

#[test]
fn unknown_project_is_validated_twice_then_refused_before_sending() {
    let world = World::sandbox();
    let chat = run(world
        .lovart()
        .args(["chat", "--project-id", "nope", "--prompt", "a cat"]));
    assert_eq!(chat.code, 1);
    assert_eq!(chat.stderr, "Error: Project 'nope' does not exist\n");
    assert_eq!(world.count("GET", "/project/validate"), 2);
    assert_eq!(world.count("POST", "/chat"), 0);
    assert!(world.state_text().is_none());
}

#[test]
fn sending_into_a_running_thread_is_refused_with_409() {
    let world = World::sandbox();
    let (thread, _) = world.send("forever thinking");
    let again = run(world
        .lovart()
        .args(["send", "--thread-id", &thread, "--prompt", "and more"]));
    assert_eq!(again.code, 1);
    assert_eq!(
        again.stderr,
        "Error: Thread is busy: a generation is still running in this thread\n"
    );
    assert_eq!(world.count("POST", "/chat"), 2);
}

#[test]
fn chat_on_a_known_thread_updates_it_in_place() {
    let world = World::sandbox();
    run(world.lovart().args(["chat", "--prompt", "a cat"]));
    run(world.lovart().args(["chat", "--prompt", "a dog"]));
    let before = world.thread_ids();
    assert_eq!(before.len(), 2);
    let reused = run(world.lovart().args([
        "chat",
        "--thread-id",
        &before[1],
        "--prompt",
        "now make it blue",
        "--json",
    ]));
    assert_eq!(reused.code, 0, "{}", reused.stderr);
    assert_eq!(reused.json()["thread_id"], before[1].as_str());
    assert_eq!(world.thread_ids(), before, "the thread keeps its position");
    assert_eq!(world.state()["threads"][1]["topic"], "now make it blue");
    let sent = world
        .requests_to("POST", "/chat")
        .pop()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(sent["thread_id"], before[1].as_str());
}

#[test]
fn chinese_and_emoji_prompts_are_cut_by_code_points() {
    let cases = [
        (
            "画一只可爱的猫咪🐱在屋顶上看星星，背景是霓虹灯闪烁的赛博朋克城市，风格写实，高清细节，电影感光影，广角镜头，夜景",
            "画一只可爱的猫咪🐱在屋顶上看星星，背景是霓虹灯闪烁的赛博朋克",
            "画一只可爱的猫咪🐱在屋顶上看星星，背景是霓虹灯闪烁的赛博朋克城市，风格写实，高清细节，电影感光影，广",
        ),
        (
            " 🐱🐶🦊 emoji party 🎉 with a fox, a cat and a dog under fireworks 🎆 ",
            "🐱🐶🦊 emoji party 🎉 with a fox,",
            "🐱🐶🦊 emoji party 🎉 with a fox, a cat and a dog und",
        ),
    ];
    for (prompt, name, topic) in cases {
        let world = World::sandbox();
        let chat = run(world.lovart().args(["chat", "--prompt", prompt, "--json"]));
        assert_eq!(chat.code, 0, "{}", chat.stderr);
        let result = chat.json();
        let project = text(&result, "project_id");
        assert_eq!(result["project_name"], name);
        assert!(chat.stdout.contains(name), "non-ASCII is printed as is");
        assert_eq!(world.server().project_name(&project).as_deref(), Some(name));
        let state = world.state();
        assert_eq!(state["projects"][&project]["name"], name);
        assert_eq!(state["threads"][0]["topic"], topic);
        assert!(
            world.state_text().unwrap().contains(topic),
            "state keeps non-ASCII as is"
        );
    }
}

#[test]
fn chat_keeps_a_named_project_on_the_server_but_renames_it_locally() {
    let world = World::sandbox();
    let created = run(world.lovart().arg("create-project"));
    let project = text(&created.json(), "project_id");
    let added = run(world.lovart().args([
        "project-add",
        "--project-id",
        &project,
        "--name",
        "My posters",
    ]));
    assert_eq!(added.code, 0, "{}", added.stderr);
    assert_eq!(
        world.server().project_name(&project).as_deref(),
        Some("My posters")
    );
    let chat = run(world.lovart().args(["chat", "--prompt", "a cat", "--json"]));
    assert_eq!(chat.code, 0, "{}", chat.stderr);
    assert!(chat.json().get("project_name").is_none(), "{}", chat.stdout);
    assert_eq!(
        world.server().project_name(&project).as_deref(),
        Some("My posters")
    );
    // As in the reference, the local name becomes the prompt's.
    assert_eq!(world.state()["projects"][&project]["name"], "a cat");
    // Validated once before the send, read once after.
    assert_eq!(world.count("GET", "/project/validate"), 2);
}

#[test]
fn chat_renames_a_project_named_by_a_prefix_of_its_id() {
    let world = World::sandbox();
    let created = run(world.lovart().arg("create-project"));
    let project = text(&created.json(), "project_id");
    run(world.lovart().args([
        "project-rename",
        "--project-id",
        &project,
        "--name",
        &project[..12],
    ]));
    assert_eq!(
        world.server().project_name(&project).as_deref(),
        Some(&project[..12])
    );
    let chat = run(world
        .lovart()
        .args(["chat", "--prompt", "  a red fox  ", "--json"]));
    assert_eq!(chat.json()["project_name"], "a red fox");
    assert_eq!(
        world.server().project_name(&project).as_deref(),
        Some("a red fox")
    );
}

#[test]
fn names_and_topics_are_stripped_like_python_str_strip() {
    let world = World::sandbox();
    // U+3000, U+00A0 and U+001C–U+001F are all whitespace to Python.
    world.send("\u{3000}\u{1f}猫 cat\u{1c}\u{a0}");
    let state = world.state();
    let project = text(&state, "active_project");
    assert_eq!(state["projects"][&project]["name"], "猫 cat");
    assert_eq!(state["threads"][0]["topic"], "猫 cat");
}
