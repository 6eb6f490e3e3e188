//! Unit tests of the checks' wording and arithmetic.

use super::*;

#[test]
fn access_key_preview_shows_four_characters_of_long_keys_only() {
    assert_eq!(access_key_preview("ak_1234567890"), " (ak_1…)");
    assert_eq!(access_key_preview("short"), "");
}

#[test]
fn durations_read_naturally() {
    assert_eq!(human_duration(45), "45 s");
    assert_eq!(human_duration(432), "7 min 12 s");
    assert_eq!(human_duration(7322), "2 h 2 min");
}

#[test]
fn clock_offsets_beyond_five_minutes_warn() {
    let probe = |offset| Probe {
        answer: Ok((200, None)),
        clock_offset: Some(offset),
    };
    assert_eq!(check_clock(&probe(-3)).level, Level::Pass);
    let late = check_clock(&probe(400));
    assert_eq!(late.level, Level::Warn);
    assert!(
        late.detail.starts_with("6 min 40 s behind"),
        "{}",
        late.detail
    );
    assert!(
        check_clock(&probe(-301))
            .detail
            .contains("ahead of the server's")
    );
}

#[test]
fn tls_failures_are_recognised() {
    assert!(hints::looks_like_tls(
        "invalid peer certificate: UnknownIssuer"
    ));
    assert!(!hints::looks_like_tls("Connection refused (os error 111)"));
}

#[test]
fn signed_seconds_has_a_sign() {
    let now = SystemTime::now();
    assert_eq!(signed_seconds(now + Duration::from_secs(9), now), 9);
    assert_eq!(signed_seconds(now, now + Duration::from_secs(9)), -9);
}
