//! Threads and their turns: what `/chat/status` and `/chat/result` show.
//!
//! A thread keeps the items of its finished turns and plays its current turn
//! phase by phase (see [`super::scenario::view`]). Progress is counted in
//! steps: in fast mode each `GET /chat/status` of the thread is one step, in
//! realistic mode the clock makes them. URLs are kept as paths and given the
//! caller's base URL when a result is rendered.

use std::time::Instant;

use serde_json::{Value, json};

use super::media::ArtifactKind;
use super::scenario::{Phase, PhaseView, Plot, REALISTIC_STEP, Scenario, Status, Step};

/// The tool a video turn asks to confirm, and its price.
pub const VIDEO_TOOL: &str = "generate_video_kling_v3";
pub const VIDEO_COST: u32 = 40;

/// One artifact of a result: its kind and its path under the base URL.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub kind: ArtifactKind,
    pub path: String,
}

/// An item of a result, before URLs get their base.
#[derive(Debug, Clone)]
pub enum Item {
    Assistant(String),
    Artifacts(Vec<Artifact>),
}

impl Item {
    fn render(&self, base_url: &str) -> Value {
        match self {
            Self::Assistant(text) => json!({"type": "assistant", "text": text}),
            Self::Artifacts(artifacts) => {
                let artifacts: Vec<Value> = artifacts
                    .iter()
                    .map(|artifact| {
                        json!({
                            "type": artifact.kind.type_name(),
                            "content": format!("{base_url}{}", artifact.path),
                        })
                    })
                    .collect();
                json!({"type": "generator", "name": "artifacts", "artifacts": artifacts})
            }
        }
    }
}

/// One phase of a turn: its plan and how far it got.
#[derive(Debug)]
struct PhaseRun {
    phase: Phase,
    text: String,
    artifacts: Vec<Artifact>,
    steps: Step,
    started: Instant,
}

/// One prompt's generation.
#[derive(Debug)]
pub struct Turn {
    pub scenario: Scenario,
    /// Items of the phases already over (the text that asked to confirm).
    settled: Vec<Item>,
    current: PhaseRun,
    /// Artifacts for the phase after confirmation, when one is pending.
    after_confirmation: Option<(String, Vec<Artifact>)>,
    /// `flaky`: answers still owed a 503.
    pub flaky_status: bool,
    pub flaky_result: bool,
}

/// What a new turn will produce, prepared by the server.
pub struct TurnPlan {
    pub scenario: Scenario,
    pub text: String,
    pub artifacts: Vec<Artifact>,
    /// `Some` when the turn must first wait for a confirmation: the text
    /// asking for it.
    pub confirmation: Option<String>,
}

impl Turn {
    pub fn new(plan: TurnPlan) -> Self {
        let now = Instant::now();
        let (current, after_confirmation) = match plan.confirmation {
            Some(question) => (
                PhaseRun::new(Phase::AwaitingConfirmation, question, Vec::new(), now),
                Some((plan.text, plan.artifacts)),
            ),
            None => (
                PhaseRun::new(Phase::Generating, plan.text, plan.artifacts, now),
                None,
            ),
        };
        Self {
            scenario: plan.scenario,
            settled: Vec::new(),
            current,
            after_confirmation,
            flaky_status: plan.scenario.flaky,
            flaky_result: plan.scenario.flaky,
        }
    }

    fn view(&self, fast: bool) -> PhaseView {
        let step = if fast {
            self.current.steps
        } else {
            let elapsed = self.current.started.elapsed();
            (elapsed.as_millis() / REALISTIC_STEP.as_millis()) as Step
        };
        super::scenario::view(
            self.scenario.plot,
            self.current.phase,
            step,
            self.current.artifacts.len(),
        )
    }

    pub fn status(&self, fast: bool) -> Status {
        self.view(fast).status
    }

    /// A status poll: in fast mode, one step forward.
    pub fn poll(&mut self, fast: bool) -> Status {
        if fast {
            self.current.steps = self.current.steps.saturating_add(1);
        }
        self.status(fast)
    }

    /// The pending confirmation, while one is.
    pub fn pending(&self, fast: bool) -> Option<Value> {
        let view = self.view(fast);
        view.pending.then(|| {
            json!({
                "tool_name": VIDEO_TOOL,
                "estimated_cost": VIDEO_COST,
                "message": self.current.text,
            })
        })
    }

    /// Starts the phase after confirmation; false when nothing is pending.
    pub fn confirm(&mut self, fast: bool) -> bool {
        if self.pending(fast).is_none() {
            return false;
        }
        let Some((text, artifacts)) = self.after_confirmation.take() else {
            return false;
        };
        self.settled.extend(self.current_items(fast));
        self.current = PhaseRun::new(Phase::Generating, text, artifacts, Instant::now());
        true
    }

    /// The items this turn shows now.
    pub fn items(&self, fast: bool) -> Vec<Item> {
        let mut items = self.settled.clone();
        items.extend(self.current_items(fast));
        items
    }

    fn current_items(&self, fast: bool) -> Vec<Item> {
        let view = self.view(fast);
        let mut items = Vec::new();
        if view.text {
            items.push(Item::Assistant(self.current.text.clone()));
        }
        if view.artifacts > 0 {
            items.push(Item::Artifacts(
                self.current.artifacts[..view.artifacts].to_vec(),
            ));
        }
        items
    }
}

impl PhaseRun {
    fn new(phase: Phase, text: String, artifacts: Vec<Artifact>, started: Instant) -> Self {
        Self {
            phase,
            text,
            artifacts,
            steps: 0,
            started,
        }
    }
}

/// A conversation: finished turns' items and the current turn.
#[derive(Debug)]
pub struct Thread {
    history: Vec<Item>,
    pub turn: Turn,
    /// Artifacts numbered so far (URLs stay unique across turns).
    pub artifact_count: usize,
}

impl Thread {
    pub fn new(turn: Turn, artifact_count: usize) -> Self {
        Self {
            history: Vec::new(),
            turn,
            artifact_count,
        }
    }

    /// A new prompt on a finished thread: the old turn's items stay.
    pub fn continue_with(&mut self, turn: Turn, fast: bool) {
        self.history.extend(self.turn.items(fast));
        self.turn = turn;
    }

    pub fn is_running(&self, fast: bool) -> bool {
        self.turn.status(fast) == Status::Running
    }

    /// `data` of `GET /chat/result`.
    pub fn result(&self, thread_id: &str, base_url: &str, fast: bool) -> Value {
        let items: Vec<Value> = self
            .history
            .iter()
            .chain(self.turn.items(fast).iter())
            .map(|item| item.render(base_url))
            .collect();
        let mut data = json!({
            "thread_id": thread_id,
            "status": self.turn.status(fast).as_str(),
            "items": items,
        });
        if let Some(pending) = self.turn.pending(fast) {
            data["pending_confirmation"] = pending;
        }
        data
    }
}

/// The assistant's words for a plot; `subject` is the prompt, shortened.
pub fn assistant_text(plot: Plot, subject: &str, artifacts: usize) -> String {
    match plot {
        Plot::Image => format!("Here is your image of \"{subject}\"."),
        Plot::Variations => format!("Here are {artifacts} variations of \"{subject}\"."),
        Plot::Video => format!("Your video of \"{subject}\" is ready."),
        Plot::Audio => format!("Here is your audio track for \"{subject}\"."),
        Plot::Model3d => format!("Here is a 3D model of \"{subject}\"."),
        Plot::Refusal => {
            "Sorry, I can't help with that request. Try describing the picture you want instead."
                .to_string()
        }
        Plot::Forever => "Working on it…".to_string(),
        Plot::Abort => String::new(),
    }
}

/// The question of a video turn before it starts.
pub fn confirmation_text() -> String {
    let display = lovart_wire::catalog::display_name(VIDEO_TOOL).unwrap_or(VIDEO_TOOL);
    format!(
        "Generating this video with {display} costs about {VIDEO_COST} credits. Confirm to start."
    )
}

/// Threads as JSON for the data folder ([`super::store`]) and back. A turn
/// keeps its phase and its progress: the steps counted so far (fast mode) and
/// the time it has run (realistic mode), so that a restarted sandbox goes on
/// where it stopped.
pub mod saved {
    use std::time::{Duration, Instant};

    use serde_json::{Value, json};

    use super::{Artifact, Item, PhaseRun, Thread, Turn};
    use crate::media::ArtifactKind;
    use crate::scenario::{Phase, Plot, Scenario};

    pub fn thread(thread: &Thread) -> Value {
        json!({
            "history": items(&thread.history),
            "artifact_count": thread.artifact_count,
            "turn": turn(&thread.turn),
        })
    }

    pub fn restore_thread(value: &Value) -> Option<Thread> {
        Some(Thread {
            history: restore_items(value.get("history")?)?,
            turn: restore_turn(value.get("turn")?)?,
            artifact_count: usize::try_from(value.get("artifact_count")?.as_u64()?).ok()?,
        })
    }

    fn turn(turn: &Turn) -> Value {
        let scenario = &turn.scenario;
        json!({
            "plot": plot_name(scenario.plot),
            "insufficient_credits": scenario.insufficient_credits,
            "flaky": scenario.flaky,
            "no_extension": scenario.no_extension,
            "broken_link": scenario.broken_link,
            "big_file": scenario.big_file,
            "slow_file": scenario.slow_file,
            "settled": items(&turn.settled),
            "phase": match turn.current.phase {
                Phase::AwaitingConfirmation => "awaiting_confirmation",
                Phase::Generating => "generating",
            },
            "text": turn.current.text,
            "artifacts": artifacts(&turn.current.artifacts),
            "steps": turn.current.steps,
            "elapsed_ms": u64::try_from(turn.current.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "after_confirmation": turn.after_confirmation.as_ref().map(|(text, list)| {
                json!({"text": text, "artifacts": artifacts(list)})
            }),
            "flaky_status": turn.flaky_status,
            "flaky_result": turn.flaky_result,
        })
    }

    fn restore_turn(value: &Value) -> Option<Turn> {
        let flag = |name: &str| value.get(name).and_then(Value::as_bool).unwrap_or(false);
        let text = |value: &Value| value.get("text").and_then(Value::as_str).map(str::to_owned);
        let scenario = Scenario {
            plot: plot_named(value.get("plot")?.as_str()?)?,
            insufficient_credits: flag("insufficient_credits"),
            flaky: flag("flaky"),
            no_extension: flag("no_extension"),
            broken_link: flag("broken_link"),
            big_file: flag("big_file"),
            slow_file: flag("slow_file"),
        };
        let phase = match value.get("phase")?.as_str()? {
            "awaiting_confirmation" => Phase::AwaitingConfirmation,
            "generating" => Phase::Generating,
            _ => return None,
        };
        let elapsed = Duration::from_millis(value.get("elapsed_ms")?.as_u64()?);
        let now = Instant::now();
        let after_confirmation = match value.get("after_confirmation") {
            None | Some(Value::Null) => None,
            Some(after) => Some((text(after)?, restore_artifacts(after.get("artifacts")?)?)),
        };
        Some(Turn {
            scenario,
            settled: restore_items(value.get("settled")?)?,
            current: PhaseRun {
                phase,
                text: text(value)?,
                artifacts: restore_artifacts(value.get("artifacts")?)?,
                steps: u32::try_from(value.get("steps")?.as_u64()?).ok()?,
                started: now.checked_sub(elapsed).unwrap_or(now),
            },
            after_confirmation,
            flaky_status: flag("flaky_status"),
            flaky_result: flag("flaky_result"),
        })
    }

    fn items(items: &[Item]) -> Value {
        items
            .iter()
            .map(|item| match item {
                Item::Assistant(text) => json!({"assistant": text}),
                Item::Artifacts(list) => json!({"artifacts": artifacts(list)}),
            })
            .collect()
    }

    fn restore_items(value: &Value) -> Option<Vec<Item>> {
        value
            .as_array()?
            .iter()
            .map(
                |item| match (item.get("assistant"), item.get("artifacts")) {
                    (Some(text), _) => Some(Item::Assistant(text.as_str()?.to_owned())),
                    (None, Some(list)) => Some(Item::Artifacts(restore_artifacts(list)?)),
                    (None, None) => None,
                },
            )
            .collect()
    }

    fn artifacts(list: &[Artifact]) -> Value {
        list.iter()
            .map(|artifact| json!([artifact.kind.type_name(), artifact.path]))
            .collect()
    }

    fn restore_artifacts(value: &Value) -> Option<Vec<Artifact>> {
        value
            .as_array()?
            .iter()
            .map(|pair| {
                let kind = match pair.get(0)?.as_str()? {
                    "image" => ArtifactKind::Image,
                    "video" => ArtifactKind::Video,
                    "audio" => ArtifactKind::Audio,
                    "3d" => ArtifactKind::Model3d,
                    _ => return None,
                };
                let path = pair.get(1)?.as_str()?.to_owned();
                Some(Artifact { kind, path })
            })
            .collect()
    }

    const PLOT_NAMES: &[(Plot, &str)] = &[
        (Plot::Abort, "abort"),
        (Plot::Forever, "forever"),
        (Plot::Refusal, "refusal"),
        (Plot::Video, "video"),
        (Plot::Variations, "variations"),
        (Plot::Audio, "audio"),
        (Plot::Model3d, "model3d"),
        (Plot::Image, "image"),
    ];

    fn plot_name(plot: Plot) -> &'static str {
        PLOT_NAMES
            .iter()
            .find(|(known, _)| *known == plot)
            .map_or("image", |(_, name)| name)
    }

    fn plot_named(name: &str) -> Option<Plot> {
        PLOT_NAMES
            .iter()
            .find(|(_, known)| *known == name)
            .map(|(plot, _)| *plot)
    }
}
