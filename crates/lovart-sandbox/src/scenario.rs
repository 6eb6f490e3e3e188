//! What a prompt makes the sandbox play, chosen by words in the prompt.
//!
//! A prompt is read as lowercase words (anything not a letter or digit
//! separates them) and matched against fixed keywords. One *plot* decides the
//! course of the generation (first match wins, in the order of [`Plot`]);
//! *modifiers* change how the artifacts are served and combine with any plot.
//! The keywords are part of the sandbox's interface: `lovart sandbox --help`
//! lists them and the integration tests rely on them.

/// The course of one generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plot {
    /// `abort`: the thread ends with status `abort`.
    Abort,
    /// `forever`: the thread stays `running`.
    Forever,
    /// `refuse`: done with an assistant text only.
    Refusal,
    /// `video`: a Kling 3.0 video that needs confirming (unless unlimited).
    Video,
    /// `variations`, `4 images`, `four images`: four PNGs, one per step.
    Variations,
    /// `music`, `bgm`, `song`, `audio`: a WAV.
    Audio,
    /// `3d`, `model`: a GLB.
    Model3d,
    /// anything else: one PNG.
    Image,
}

/// A plot and its modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scenario {
    pub plot: Plot,
    /// `expensive`, `402`: `POST /chat` answers 402 and nothing starts.
    pub insufficient_credits: bool,
    /// `flaky`: the first status and the first result of the turn answer 503.
    pub flaky: bool,
    /// `noext`: artifact URLs without a file extension.
    pub no_extension: bool,
    /// `brokenlink`: one more image artifact whose URL answers 404.
    pub broken_link: bool,
    /// `bigfile`: the first artifact is a 64 MiB PNG, streamed.
    pub big_file: bool,
    /// `slowfile`: artifact files are sent in 16 KiB pieces, 100 ms apart.
    pub slow_file: bool,
}

/// Plots and their keywords, in priority order.
const PLOTS: &[(Plot, &[&str])] = &[
    (Plot::Abort, &["abort"]),
    (Plot::Forever, &["forever"]),
    (Plot::Refusal, &["refuse"]),
    (Plot::Video, &["video"]),
    (Plot::Variations, &["variations", "4 images", "four images"]),
    (Plot::Audio, &["music", "bgm", "song", "audio"]),
    (Plot::Model3d, &["3d", "model"]),
];

impl Scenario {
    pub fn from_prompt(prompt: &str) -> Self {
        let words = Words::new(prompt);
        let plot = PLOTS
            .iter()
            .find(|(_, keywords)| keywords.iter().any(|keyword| words.has(keyword)))
            .map_or(Plot::Image, |(plot, _)| *plot);
        Self {
            plot,
            insufficient_credits: words.has("expensive") || words.has("402"),
            flaky: words.has("flaky"),
            no_extension: words.has("noext"),
            broken_link: words.has("brokenlink"),
            big_file: words.has("bigfile"),
            slow_file: words.has("slowfile"),
        }
    }
}

/// A prompt as ` word word … ` (lowercase, single spaces, padded), so that a
/// keyword of one or more words matches only whole words.
struct Words(String);

impl Words {
    fn new(prompt: &str) -> Self {
        let mut text = String::from(" ");
        for word in prompt
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
        {
            text.push_str(&word.to_lowercase());
            text.push(' ');
        }
        Self(text)
    }

    fn has(&self, keyword: &str) -> bool {
        self.0.contains(&format!(" {keyword} "))
    }
}

/// How far a turn has got: in fast mode, the number of `GET /chat/status` of
/// its thread since the phase began; in realistic mode, one step per
/// [`REALISTIC_STEP`] elapsed.
pub type Step = u32;

/// Length of one step in realistic mode.
pub const REALISTIC_STEP: std::time::Duration = std::time::Duration::from_millis(1500);

/// The status a thread reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Running,
    Done,
    Abort,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Done => "done",
            Self::Abort => "abort",
        }
    }
}

/// What one phase of a turn shows at a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhaseView {
    pub status: Status,
    /// The assistant's text is shown (from step 1 on).
    pub text: bool,
    /// How many of the phase's artifacts are shown.
    pub artifacts: usize,
    /// The phase ended waiting for `POST /chat/confirm`.
    pub pending: bool,
}

/// The phase of a turn that `view` describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The video plot before confirmation: ends in a pending confirmation.
    AwaitingConfirmation,
    /// Every plot's generation (the video plot's after confirmation).
    Generating,
}

/// The course of a phase: `step` → what it shows. `total` is the number of
/// artifacts the phase produces.
pub fn view(plot: Plot, phase: Phase, step: Step, total: usize) -> PhaseView {
    let started = step >= 1;
    let (status, artifacts, pending) = match (plot, phase) {
        (_, Phase::AwaitingConfirmation) if step >= 2 => (Status::Done, 0, true),
        (_, Phase::AwaitingConfirmation) => (Status::Running, 0, false),
        (Plot::Forever, _) => (Status::Running, 0, false),
        (Plot::Abort, _) if step >= 2 => (Status::Abort, 0, false),
        (Plot::Variations, _) => {
            let shown = (step as usize).min(total);
            let status = if shown == total {
                Status::Done
            } else {
                Status::Running
            };
            (status, shown, false)
        }
        (_, _) if step >= 2 => (Status::Done, total, false),
        (_, _) => (Status::Running, 0, false),
    };
    PhaseView {
        status,
        text: started && plot != Plot::Abort,
        artifacts,
        pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_match_whole_words_case_insensitively() {
        assert_eq!(Scenario::from_prompt("a cyberpunk cat").plot, Plot::Image);
        assert_eq!(
            Scenario::from_prompt("Ocean VIDEO, cinematic").plot,
            Plot::Video
        );
        assert_eq!(Scenario::from_prompt("videos of cats").plot, Plot::Image);
        assert_eq!(
            Scenario::from_prompt("generate 4 images of a cat").plot,
            Plot::Variations
        );
        assert_eq!(Scenario::from_prompt("lofi BGM").plot, Plot::Audio);
        assert_eq!(Scenario::from_prompt("a 3D chair").plot, Plot::Model3d);
        assert_eq!(Scenario::from_prompt("abort this video").plot, Plot::Abort);
        let odd = Scenario::from_prompt("flaky noext brokenlink bigfile slowfile 402");
        assert!(odd.flaky && odd.no_extension && odd.broken_link && odd.big_file && odd.slow_file);
        assert!(odd.insufficient_credits);
    }

    #[test]
    fn phases_advance_one_step_at_a_time() {
        let image = |step| view(Plot::Image, Phase::Generating, step, 1);
        assert_eq!(image(0).status, Status::Running);
        assert!(!image(0).text);
        assert_eq!((image(1).status, image(1).artifacts), (Status::Running, 0));
        assert_eq!((image(2).status, image(2).artifacts), (Status::Done, 1));
        let shown: Vec<_> = (1..=5)
            .map(|step| view(Plot::Variations, Phase::Generating, step, 4))
            .collect();
        assert_eq!(
            shown.iter().map(|v| v.artifacts).collect::<Vec<_>>(),
            [1, 2, 3, 4, 4]
        );
        assert_eq!(shown[3].status, Status::Done);
        assert!(view(Plot::Video, Phase::AwaitingConfirmation, 2, 1).pending);
        assert_eq!(
            view(Plot::Abort, Phase::Generating, 2, 0).status,
            Status::Abort
        );
        assert_eq!(
            view(Plot::Forever, Phase::Generating, 99, 0).status,
            Status::Running
        );
    }
}
