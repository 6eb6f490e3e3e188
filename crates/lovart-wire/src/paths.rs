//! Every endpoint path and header name of the API, in one place.
//!
//! Paths are given without [`PATH_PREFIX`]; [`full`] adds it. The signature
//! covers the full path without its query string.

/// Every API path starts with this.
pub const PATH_PREFIX: &str = "/v1/openapi";

/// `POST`: create (empty `project_id`) or rename (`action: rename`) a project.
pub const PROJECT_SAVE: &str = "/project/save";
/// `GET ?project_id=`: `valid` and `project_name`.
pub const PROJECT_VALIDATE: &str = "/project/validate";
/// `POST {"unlimited": bool}`.
pub const MODE_SET: &str = "/mode/set";
/// `POST {}`: `unlimited`.
pub const MODE_QUERY: &str = "/mode/query";
/// `POST`: a message into a (new) thread; `thread_id`.
pub const CHAT: &str = "/chat";
/// `POST {"thread_id"}`: approve a pending high-cost step.
pub const CHAT_CONFIRM: &str = "/chat/confirm";
/// `GET ?thread_id=`: `status`.
pub const CHAT_STATUS: &str = "/chat/status";
/// `GET ?thread_id=`: `items`, `pending_confirmation`.
pub const CHAT_RESULT: &str = "/chat/result";
/// `POST` multipart: `url`.
pub const FILE_UPLOAD: &str = "/file/upload";
/// `POST {"project_id", "artifact_type", "artifact_content"}`.
pub const ARTIFACT_UPLOAD: &str = "/artifact/upload";
/// `GET`, unsigned: the public model catalog.
pub const TOOLS_CATALOG: &str = "/tools/catalog";

/// The gateway sits behind bot management: this exact string gets through.
pub const USER_AGENT: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) LovartAgentSkill/1.0";
/// The user agent of the multipart upload.
pub const UPLOAD_USER_AGENT: &str = "LovartAgentSkill/1.0";

/// Header names of a signed request.
pub mod header {
    /// The access key, as given (`ak_…`).
    pub const ACCESS_KEY: &str = "X-Access-Key";
    /// The signing time: whole seconds since the Unix epoch, in decimal.
    pub const TIMESTAMP: &str = "X-Timestamp";
    /// The HMAC-SHA256 of the signed string, in lowercase hex ([`crate::sign`]).
    pub const SIGNATURE: &str = "X-Signature";
    /// The signed method, upper case (`GET`, `POST`).
    pub const SIGNED_METHOD: &str = "X-Signed-Method";
    /// The signed path: the full path, without the query string.
    pub const SIGNED_PATH: &str = "X-Signed-Path";
    /// One per logical POST; a server returns the first answer for a repeated key.
    pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
    /// Every signature header: a client never sends these to another origin.
    pub const SIGNED: [&str; 5] = [ACCESS_KEY, TIMESTAMP, SIGNATURE, SIGNED_METHOD, SIGNED_PATH];
}

/// The full path of an endpoint: `/v1/openapi` + `path`.
pub fn full(path: &str) -> String {
    format!("{PATH_PREFIX}{path}")
}

/// Which rate-limit tier a request counts against: chat (`POST /chat`,
/// `/chat/confirm`) or query (everything else).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    /// `POST /chat` and `POST /chat/confirm`: the messages that start (billed) work.
    Chat,
    /// Every other request.
    Query,
}

impl Tier {
    /// The tier of a request to `path` (without prefix).
    pub fn of(method: &str, path: &str) -> Self {
        if method.eq_ignore_ascii_case("POST") && (path == CHAT || path == CHAT_CONFIRM) {
            Self::Chat
        } else {
            Self::Query
        }
    }

    /// The documented per-account limits: (per minute, per hour).
    pub fn limits(self) -> (u32, u32) {
        match self {
            Self::Chat => (60, 600),
            Self::Query => (300, 3000),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_paths_carry_the_prefix() {
        assert_eq!(full(CHAT_STATUS), "/v1/openapi/chat/status");
    }

    #[test]
    fn tiers_follow_the_documented_split() {
        assert_eq!(Tier::of("POST", CHAT), Tier::Chat);
        assert_eq!(Tier::of("POST", CHAT_CONFIRM), Tier::Chat);
        assert_eq!(Tier::of("GET", CHAT_STATUS), Tier::Query);
        assert_eq!(Tier::of("POST", PROJECT_SAVE), Tier::Query);
        assert_eq!(Tier::Chat.limits(), (60, 600));
    }
}
