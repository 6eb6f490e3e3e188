//! What an agent (or a person setting one up) meets around the generation
//! commands: `models`, `doctor`, `completions` and the skill file.
//!
//! Each test runs the real binary with an empty environment and its own HOME
//! (the shared [`crate::support::World`]);
//! the network ones talk either to a port where nothing listens or to the
//! in-process sandbox.

use std::path::Path;

use lovart_sandbox::{SandboxHandle, SandboxOptions};
use serde_json::Value;

use crate::support::{World, run};

/// Nothing listens on the discard port: every request is refused at once.
const UNREACHABLE: &str = "http://127.0.0.1:9";

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .expect("checks list")
        .iter()
        .find(|check| check["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {report}"))
}

#[test]
fn completions_bash_prints_a_script_naming_lovart_and_its_commands() {
    let world = World::offline();
    let out = run(world.lovart().args(["completions", "bash"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("lovart"), "{}", out.stdout);
    assert!(out.stdout.contains("chat"));
    assert!(out.stdout.contains("--prompt"));
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

#[test]
fn completions_reject_an_unknown_shell_as_a_usage_error() {
    let world = World::offline();
    let out = run(world.lovart().args(["completions", "cmd.exe"]));
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty());
}

#[test]
fn models_json_falls_back_to_the_builtin_catalog_when_the_server_is_unreachable() {
    let world = World::offline();
    let out = run(world
        .lovart()
        .env("LOVART_BASE_URL", UNREACHABLE)
        .args(["models", "--json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let listing = out.json();
    assert_eq!(listing["source"], "builtin");
    let tools = listing["tools"].as_array().unwrap();
    assert!(!tools.is_empty());
    for tool in tools {
        let keys: Vec<&str> = tool
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["name", "display_name", "category", "is_premium"]);
    }
    assert!(
        out.stderr
            .starts_with("warning: could not fetch the live catalog ("),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("); using the built-in copy"));
}

#[test]
fn models_category_filters_without_regard_to_case() {
    let world = World::offline();
    let out = run(world.lovart().env("LOVART_BASE_URL", UNREACHABLE).args([
        "models",
        "--category",
        "video",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut lines = out.stdout.lines();
    assert_eq!(lines.next(), Some("VIDEO"));
    let rows: Vec<&str> = lines.collect();
    assert!(!rows.is_empty());
    assert!(
        rows.iter().all(|row| row.starts_with("  generate_video_")),
        "{}",
        out.stdout
    );
    assert!(rows.iter().any(|row| row.ends_with("  premium")));
    assert!(!out.stdout.contains("IMAGE") && !out.stdout.contains("generate_image_"));
}

#[test]
fn models_unknown_category_is_an_error_naming_the_known_ones() {
    let world = World::offline();
    let out = run(world.lovart().env("LOVART_BASE_URL", UNREACHABLE).args([
        "models",
        "--category",
        "AUDIO",
    ]));
    assert_eq!(out.code, 1);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr
            .contains("Error: unknown category 'AUDIO': the known categories are IMAGE, VIDEO, 3D"),
        "{}",
        out.stderr
    );
}

#[test]
fn models_uses_the_live_catalog_when_the_server_answers() {
    let sandbox = SandboxHandle::start(SandboxOptions::default());
    let world = World::offline();
    let out = run(world
        .lovart()
        .env("LOVART_BASE_URL", sandbox.base_url())
        .args(["models", "--json", "--category", "3D"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let listing = out.json();
    assert_eq!(listing["source"], "live");
    assert_eq!(listing["tools"][0]["name"], "generate_3d_tripo");
    assert_eq!(
        out.stderr.trim_end(),
        format!(
            "using the live catalog from {}/v1/openapi/tools/catalog",
            sandbox.base_url()
        )
    );
    // Public and unsigned: no keys were needed, and none were sent.
    let request = sandbox
        .requests()
        .into_iter()
        .find(|request| request.path.ends_with("/tools/catalog"))
        .expect("a catalog request");
    assert!(request.header("x-signature").is_none());
}

#[test]
fn doctor_without_keys_fails_the_keys_check_and_never_prints_the_secret() {
    let secret = "sk_secret_value_123";
    let world = World::offline();
    for json in [true, false] {
        let mut command = world.lovart();
        command
            .env("LOVART_BASE_URL", UNREACHABLE)
            .env("LOVART_SECRET_KEY", secret)
            .arg("doctor");
        if json {
            command.arg("--json");
        }
        let out = run(&mut command);
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(!out.stdout.contains(secret) && !out.stderr.contains(secret));
        assert!(!out.stdout.contains("sk_s"), "{}", out.stdout);
        assert!(out.stderr.ends_with(" checks failed\n"), "{}", out.stderr);
        if json {
            let report = out.json();
            assert_eq!(report["ok"], false);
            let keys = check(&report, "keys");
            assert_eq!(keys["ok"], false);
            assert_eq!(
                keys["detail"],
                "LOVART_SECRET_KEY is set but LOVART_ACCESS_KEY is not"
            );
            assert_eq!(check(&report, "network")["ok"], false);
            assert_eq!(check(&report, "state")["ok"], true);
        } else {
            assert!(
                out.stdout
                    .starts_with("✗ keys: LOVART_SECRET_KEY is set but LOVART_ACCESS_KEY is not\n"),
                "{}",
                out.stdout
            );
        }
    }
}

#[test]
fn doctor_passes_against_the_sandbox_and_shows_only_a_key_prefix() {
    let sandbox = SandboxHandle::start(SandboxOptions::default());
    let world = World::offline();
    let out = run(world
        .lovart()
        .env("LOVART_BASE_URL", sandbox.base_url())
        .env("LOVART_ACCESS_KEY", "ak_sandbox")
        .env("LOVART_SECRET_KEY", "sk_sandbox")
        .args(["doctor", "--json"]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let report = out.json();
    assert_eq!(report["ok"], true);
    for name in ["keys", "state", "network", "clock", "catalog", "account"] {
        assert_eq!(check(&report, name)["level"], "pass", "{report}");
    }
    assert_eq!(check(&report, "tls")["level"], "skip");
    assert_eq!(
        check(&report, "keys")["detail"],
        "access key (ak_s…) from LOVART_ACCESS_KEY, secret key from LOVART_SECRET_KEY"
    );
    assert_eq!(
        check(&report, "account")["detail"],
        "the keys are accepted; generation mode: fast"
    );
    for leaked in ["ak_sandbox", "sk_sandbox"] {
        assert!(!out.stdout.contains(leaked) && !out.stderr.contains(leaked));
    }
    // The only signed call costs nothing.
    let signed: Vec<String> = sandbox
        .requests()
        .into_iter()
        .filter(|request| request.header("x-signature").is_some())
        .map(|request| format!("{} {}", request.method, request.path))
        .collect();
    assert_eq!(signed, ["POST /v1/openapi/mode/query"]);
}

#[test]
fn doctor_reports_rejected_keys_as_a_failed_account_check() {
    let sandbox = SandboxHandle::start(SandboxOptions::default());
    let world = World::offline();
    let out = run(world
        .lovart()
        .env("LOVART_BASE_URL", sandbox.base_url())
        .env("LOVART_ACCESS_KEY", "ak_wrong_key")
        .env("LOVART_SECRET_KEY", "sk_wrong_key")
        .arg("doctor"));
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("\n✗ account: "), "{}", out.stdout);
    assert!(out.stdout.contains("✓ network: "));
    assert_eq!(out.stderr, "Error: 1 check failed\n");
}

#[test]
fn skill_file_teaches_the_lovart_commands() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("skills/lovart-skill/SKILL.md");
    let skill = std::fs::read_to_string(&path).expect("skills/lovart-skill/SKILL.md");
    assert!(skill.starts_with("---\n"), "YAML frontmatter first");
    let frontmatter = skill.split("\n---\n").next().unwrap();
    let folder = path
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        frontmatter.contains(&format!("\nname: {folder}\n")),
        "the name is the folder's"
    );
    assert!(frontmatter.contains("\nallowed-tools: Bash(lovart:*)\n"));
    assert!(frontmatter.contains("\ndescription: "));
    for needed in [
        "lovart chat",
        "--json --download",
        "pending_confirmation",
        "lovart confirm --thread-id",
        "lovart result --thread-id",
        "generation_succeeded",
        "lovart models",
        "LOVART_ACCESS_KEY",
        "lovart wait --thread-id",
        "\"kind\"",
        "--max-credits",
        "\"new\": true",
        "{\"event\": \"artifact\"",
    ] {
        assert!(skill.contains(needed), "SKILL.md lacks {needed:?}");
    }
    assert!(
        !skill.contains("agent_skill.py"),
        "commands are lovart's, not the script's"
    );
}
