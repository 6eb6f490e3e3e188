//! Test support: an isolated HOME, the real `lovart` binary, and (for network
//! commands) the built-in sandbox server running in-process.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// One test's world: its own HOME and, optionally, a sandbox server.
pub struct World {
    pub home: tempfile::TempDir,
    pub base_url: Option<String>,
}

impl World {
    /// A HOME with no state and no server (local commands only).
    pub fn offline() -> Self {
        Self {
            home: tempfile::tempdir().expect("temp HOME"),
            base_url: None,
        }
    }

    /// A world whose commands talk to `base_url` with the sandbox keys.
    pub fn with_server(base_url: String) -> Self {
        Self {
            home: tempfile::tempdir().expect("temp HOME"),
            base_url: Some(base_url),
        }
    }

    /// `lovart` with this world's environment and the waits shortened.
    pub fn lovart(&self) -> Command {
        let mut command = Command::cargo_bin("lovart").expect("lovart binary");
        command
            .env_clear()
            .env("HOME", self.home.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("LOVART_WAIT_SCALE", "0.001")
            .env("TZ", "UTC");
        if let Some(base_url) = &self.base_url {
            command
                .env("LOVART_BASE_URL", base_url)
                .env("LOVART_ACCESS_KEY", "ak_sandbox")
                .env("LOVART_SECRET_KEY", "sk_sandbox");
        }
        command
    }

    pub fn state_path(&self) -> PathBuf {
        self.home.path().join(".lovart/state.json")
    }

    /// The state file's text, or None when it does not exist.
    pub fn state_text(&self) -> Option<String> {
        std::fs::read_to_string(self.state_path()).ok()
    }

    pub fn state(&self) -> Value {
        serde_json::from_str(&self.state_text().expect("state file")).expect("state JSON")
    }

    pub fn write_state(&self, text: &str) {
        let path = self.state_path();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// Output of a finished command.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|error| {
            panic!(
                "stdout is not JSON ({error}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

pub fn run(command: &mut Command) -> Run {
    let output = command.output().expect("run lovart");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Replaces every `"…T…+0000"` timestamp with `<time>` so outputs compare.
pub fn mask_times(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = find_timestamp(rest) {
        out.push_str(&rest[..start]);
        out.push_str("<time>");
        rest = &rest[start + 24..];
    }
    out.push_str(rest);
    out
}

fn find_timestamp(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(23)).find(|&i| {
        let candidate = &bytes[i..i + 24];
        candidate[4] == b'-'
            && candidate[7] == b'-'
            && candidate[10] == b'T'
            && candidate[13] == b':'
            && candidate[16] == b':'
            && (candidate[19] == b'+' || candidate[19] == b'-')
            && candidate[..4].iter().all(u8::is_ascii_digit)
    })
}

pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
