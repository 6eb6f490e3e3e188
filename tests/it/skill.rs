//! `lovart skill show` and `lovart skill install`: the embedded skill file,
//! written where an assistant looks, its version recorded, a file the user
//! changed kept unless `--force`.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::{World, assert_one_error_line, run};

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn skill_source() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("skills/lovart-skill/SKILL.md");
    std::fs::read_to_string(path).expect("skills/lovart-skill/SKILL.md")
}

fn record(skill_dir: &Path) -> Value {
    let text = std::fs::read_to_string(skill_dir.join(".lovart-skill.json")).expect("record");
    serde_json::from_str(&text).expect("record JSON")
}

fn install(world: &World, args: &[&str]) -> crate::support::Run {
    run(world.lovart().args(["skill", "install"]).args(args))
}

#[test]
fn show_prints_the_skill_file_byte_for_byte() {
    let world = World::offline();
    let shown = run(world.lovart().args(["skill", "show"]));
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert_eq!(shown.stdout, skill_source());

    let json = run(world.lovart().args(["skill", "show", "--json"])).json();
    assert_eq!(json["name"], "lovart-skill");
    assert_eq!(json["version"], VERSION);
    assert_eq!(json["text"], skill_source());
}

#[test]
fn install_writes_where_the_assistant_looks_and_records_the_version() {
    let world = World::offline();
    let installed = install(&world, &["--agent", "claude", "--json"]);
    assert_eq!(installed.code, 0, "{}", installed.stderr);
    let folder = world.home.path().join(".claude/skills/lovart-skill");
    let answer = installed.json();
    assert_eq!(answer["action"], "created");
    assert_eq!(answer["version"], VERSION);
    assert_eq!(answer["agent"], "claude");
    assert_eq!(
        answer["path"],
        folder.join("SKILL.md").display().to_string()
    );
    assert_eq!(
        std::fs::read_to_string(folder.join("SKILL.md")).unwrap(),
        skill_source()
    );
    let record = record(&folder);
    assert_eq!(record["version"], VERSION);
    assert_eq!(
        record["sha256"],
        hex::encode(Sha256::digest(skill_source().as_bytes()))
    );

    // Again: nothing to do, and it says so.
    let again = install(&world, &["--agent", "claude"]);
    assert_eq!(again.code, 0);
    assert!(
        again.stdout.contains("already installed"),
        "{}",
        again.stdout
    );
}

#[test]
fn each_assistant_gets_its_own_folder() {
    let world = World::offline();
    for (agent, folder) in [
        ("codex", ".agents/skills"),
        ("cursor", ".cursor/skills"),
        ("gemini", ".gemini/skills"),
        ("opencode", ".config/opencode/skills"),
    ] {
        let installed = install(&world, &["--agent", agent, "--json"]);
        assert_eq!(installed.code, 0, "{agent}: {}", installed.stderr);
        let path = world.home.path().join(folder).join("lovart-skill/SKILL.md");
        assert_eq!(installed.json()["path"], path.display().to_string());
        assert!(path.is_file(), "{agent}: {}", path.display());
    }
}

#[test]
fn project_installs_go_under_the_current_folder() {
    let world = World::offline();
    let project = tempfile::tempdir().unwrap();
    let installed = run(world.lovart().current_dir(project.path()).args([
        "skill",
        "install",
        "--agent",
        "copilot",
        "--project",
    ]));
    assert_eq!(installed.code, 0, "{}", installed.stderr);
    assert!(
        project
            .path()
            .join(".github/skills/lovart-skill/SKILL.md")
            .is_file()
    );
    assert!(!world.home.path().join(".copilot").exists());

    // OpenClaw reads only its home folder: a usage mistake, said as such.
    let refused = run(world.lovart().current_dir(project.path()).args([
        "skill",
        "install",
        "--agent",
        "openclaw",
        "--project",
        "--json",
    ]));
    assert_eq!(refused.code, 1);
    assert_eq!(refused.json()["error"]["kind"], "invalid_input");
}

/// A skill folder holding what an install of an older version wrote.
fn older_install(folder: &Path, text: &str) {
    std::fs::create_dir_all(folder).unwrap();
    std::fs::write(folder.join("SKILL.md"), text).unwrap();
    let sha256 = hex::encode(Sha256::digest(text.as_bytes()));
    std::fs::write(
        folder.join(".lovart-skill.json"),
        format!(r#"{{"installed_by": "lovart", "version": "0.0.1", "sha256": "{sha256}"}}"#),
    )
    .unwrap();
}

#[test]
fn an_upgrade_replaces_the_file_an_earlier_install_wrote() {
    let world = World::offline();
    let dir = world.home.path().join("skills");
    let folder = dir.join("lovart-skill");
    older_install(
        &folder,
        "---\nname: lovart-skill\ndescription: old\n---\nold\n",
    );
    let installed = install(&world, &["--dir", dir.to_str().unwrap()]);
    assert_eq!(installed.code, 0, "{}", installed.stderr);
    assert_eq!(
        installed.stdout,
        format!(
            "updated lovart-skill to {VERSION} (was 0.0.1) → {}\n",
            folder.join("SKILL.md").display()
        )
    );
    assert_eq!(
        std::fs::read_to_string(folder.join("SKILL.md")).unwrap(),
        skill_source()
    );
    assert_eq!(record(&folder)["version"], VERSION);
}

fn skill_path(dir: &Path) -> PathBuf {
    dir.join("lovart-skill/SKILL.md")
}

#[test]
fn a_file_the_user_changed_is_kept_unless_forced() {
    let world = World::offline();
    let dir = world.home.path().join("skills");
    let dir_arg = dir.to_str().unwrap();
    assert_eq!(install(&world, &["--dir", dir_arg]).code, 0);
    let edited = format!(
        "{}\nMy own rule: always ask for the size.\n",
        skill_source()
    );
    std::fs::write(skill_path(&dir), &edited).unwrap();

    let refused = install(&world, &["--dir", dir_arg]);
    assert_one_error_line(&refused);
    assert_eq!(
        refused.stderr,
        format!(
            "Error: {} was changed since lovart installed it\n",
            skill_path(&dir).display()
        )
    );
    assert_eq!(std::fs::read_to_string(skill_path(&dir)).unwrap(), edited);

    let as_json = install(&world, &["--dir", dir_arg, "--json"]);
    assert_eq!(as_json.code, 1);
    let error = &as_json.json()["error"];
    assert_eq!(error["kind"], "local");
    assert!(error["hint"].as_str().unwrap().contains("--force"));

    let forced = install(&world, &["--dir", dir_arg, "--force", "--json"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_eq!(forced.json()["action"], "replaced");
    assert_eq!(
        std::fs::read_to_string(skill_path(&dir)).unwrap(),
        skill_source()
    );
}

#[test]
fn a_file_lovart_did_not_write_is_kept() {
    let world = World::offline();
    let dir = world.home.path().join("skills");
    let folder = dir.join("lovart-skill");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("SKILL.md"), "copied by hand\n").unwrap();
    let refused = install(&world, &["--dir", dir.to_str().unwrap()]);
    assert_one_error_line(&refused);
    assert!(
        refused
            .stderr
            .contains("was not written by `lovart skill install`"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        std::fs::read_to_string(folder.join("SKILL.md")).unwrap(),
        "copied by hand\n"
    );
    assert!(!folder.join(".lovart-skill.json").exists());
}

#[test]
fn install_needs_an_assistant_or_a_folder() {
    let world = World::offline();
    let usage = install(&world, &[]);
    assert_eq!(usage.code, 2);
    assert!(usage.stderr.contains("--agent"), "{}", usage.stderr);
    let unknown = install(&world, &["--agent", "notepad"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("claude"), "{}", unknown.stderr);
}
