//! Test support: an isolated HOME, the real `lovart` binary, and (for network
//! commands) the built-in sandbox server running in-process.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use lovart_sandbox::{RecordedRequest, SandboxHandle, SandboxOptions};
use serde_json::Value;
use sha1::{Digest, Sha1};

/// One test's world: its own HOME and, optionally, a sandbox server.
pub struct World {
    pub home: tempfile::TempDir,
    pub base_url: Option<String>,
    /// The in-process sandbox of [`World::sandbox`], alive as long as the world.
    pub server: Option<SandboxHandle>,
}

impl World {
    /// A HOME with no state and no server (local commands only).
    pub fn offline() -> Self {
        Self {
            home: tempfile::tempdir().expect("temp HOME"),
            base_url: None,
            server: None,
        }
    }

    /// A HOME and its own sandbox in fast mode (one step per status poll).
    pub fn sandbox() -> Self {
        // The commands' waits run 1000 times faster (LOVART_WAIT_SCALE), so
        // the rate-limit windows do too: the documented limits, scaled alike.
        let server = SandboxHandle::start(SandboxOptions {
            fast: true,
            limits: lovart_sandbox::RateLimits {
                time_scale: 0.001,
                ..Default::default()
            },
            ..Default::default()
        });
        Self {
            home: tempfile::tempdir().expect("temp HOME"),
            base_url: Some(server.base_url()),
            server: Some(server),
        }
    }

    /// A world whose commands talk to `base_url` with the sandbox keys.
    pub fn with_server(base_url: String) -> Self {
        Self {
            home: tempfile::tempdir().expect("temp HOME"),
            base_url: Some(base_url),
            server: None,
        }
    }

    /// The sandbox of a [`World::sandbox`] world.
    pub fn server(&self) -> &SandboxHandle {
        self.server.as_ref().expect("a World::sandbox() world")
    }

    /// The server's base URL.
    pub fn url(&self) -> String {
        self.base_url.clone().expect("a world with a server")
    }

    /// `<HOME>/out`, the download folder the tests use (not created here).
    pub fn out_dir(&self) -> String {
        self.home.path().join("out").display().to_string()
    }

    /// Requests to `method` and an API path given after `/v1/openapi`
    /// (or a full path such as `/files/…`), oldest first.
    pub fn requests_to(&self, method: &str, path: &str) -> Vec<RecordedRequest> {
        let full = if path.starts_with("/v1/") || path.starts_with("/files") {
            path.to_string()
        } else {
            format!("/v1/openapi{path}")
        };
        self.server()
            .requests()
            .into_iter()
            .filter(|request| request.method == method && request.path == full)
            .collect()
    }

    pub fn count(&self, method: &str, path: &str) -> usize {
        self.requests_to(method, path).len()
    }

    /// `send --prompt`: returns (thread_id, project_id).
    pub fn send(&self, prompt: &str) -> (String, String) {
        let sent = run(self.lovart().args(["send", "--prompt", prompt]));
        assert_eq!(sent.code, 0, "send failed: {}", sent.stderr);
        let answer = sent.json();
        (
            answer["thread_id"].as_str().expect("thread_id").to_string(),
            answer["project_id"]
                .as_str()
                .expect("project_id")
                .to_string(),
        )
    }

    /// The ids of the state's threads, in order.
    pub fn thread_ids(&self) -> Vec<String> {
        self.state()["threads"]
            .as_array()
            .map(|threads| {
                threads
                    .iter()
                    .map(|thread| thread["id"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `lovart` with this world's environment and the waits shortened.
    pub fn lovart(&self) -> Command {
        Command::from_std(self.lovart_process())
    }

    /// The same command as [`World::lovart`], as a `std::process::Command`
    /// (to spawn it, run many at once or signal it).
    pub fn lovart_process(&self) -> std::process::Command {
        let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("lovart"));
        command
            .env_clear()
            .env("HOME", self.home.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("LOVART_WAIT_SCALE", "0.001")
            .env("TZ", "UTC");
        // Windows: Python's home is %USERPROFILE%, and sockets need %SystemRoot%.
        #[cfg(windows)]
        command.env("USERPROFILE", self.home.path()).env(
            "SystemRoot",
            std::env::var_os("SystemRoot").unwrap_or_default(),
        );
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

/// `<prefix>_<sha1(url)[:12]><ext>`, the reference's download file name.
pub fn artifact_name(prefix: &str, url: &str, ext: &str) -> String {
    let digest = hex::encode(Sha1::digest(url.as_bytes()));
    format!("{prefix}_{}{ext}", &digest[..12])
}

/// Asserts that `args` in a build without `what` (a command, or `mcp --http`)
/// exit 1 with the error that names it and the feature to build with.
#[cfg(not(all(feature = "sandbox", feature = "http")))]
pub fn assert_not_built(args: &[&str], what: &str, feature: &str) {
    let refused = run(World::offline().lovart().args(args));
    assert_eq!(refused.code, 1, "{args:?}: {}", refused.stderr);
    let said = format!("Error: this lovart was built without `{what}`");
    assert!(refused.stderr.starts_with(&said), "{}", refused.stderr);
    let how = format!("--features {feature}");
    assert!(refused.stderr.contains(&how), "{}", refused.stderr);
}

/// Asserts that a failed run printed one `Error:` line, exited 1 and did not panic.
pub fn assert_one_error_line(run: &Run) {
    assert_eq!(
        run.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stderr.starts_with("Error: ") && run.stderr.lines().count() == 1,
        "expected one Error: line, got:\n{}",
        run.stderr
    );
    assert_no_panic(run);
}

pub fn assert_no_panic(run: &Run) {
    for text in [&run.stdout, &run.stderr] {
        assert!(
            !text.contains("panicked") && !text.contains("RUST_BACKTRACE"),
            "panic text in output:\n{text}"
        );
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

/// The string at `key` of a JSON object (panics, naming it, when missing).
pub fn text(value: &Value, key: &str) -> String {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {value}"))
        .to_string()
}
