use std::sync::Arc;

use super::*;

const SEC: Duration = Duration::from_secs(1);

/// Lets spawned tasks run without moving virtual time.
async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(start_paused = true)]
async fn seventy_chat_sends_take_a_minute_and_the_61st_waits() {
    let limiter = Arc::new(RateLimiter::new());
    let start = Instant::now();
    for _ in 0..60 {
        let _ = limiter.acquire(Tier::Chat).await;
    }
    assert_eq!(start.elapsed(), Duration::ZERO, "the first 60 go at once");
    assert_eq!(limiter.next_free(Tier::Chat), Some(start + 60 * SEC));
    assert_eq!(limiter.usage(Tier::Chat)[0].1, 60);

    let l = limiter.clone();
    let sixty_first = tokio::spawn(async move { l.acquire(Tier::Chat).await });
    settle().await;
    assert_eq!(limiter.waiting(Tier::Chat), 1);
    tokio::time::advance(59 * SEC).await;
    settle().await;
    assert!(!sixty_first.is_finished(), "61st must wait for the minute");
    tokio::time::advance(SEC).await;
    let _ = sixty_first.await.unwrap();
    assert_eq!(limiter.waiting(Tier::Chat), 0);
    for _ in 61..70 {
        let _ = limiter.acquire(Tier::Chat).await;
    }
    assert!(start.elapsed() >= 60 * SEC);
    assert!(start.elapsed() < 61 * SEC);
}

#[tokio::test(start_paused = true)]
async fn tiers_are_independent() {
    let limiter = RateLimiter::new();
    for _ in 0..60 {
        let _ = limiter.acquire(Tier::Chat).await;
    }
    let start = Instant::now();
    for _ in 0..300 {
        let _ = limiter.acquire(Tier::Query).await;
    }
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert!(limiter.next_free(Tier::Query).is_some());
    assert!(limiter.next_free(Tier::Chat).is_some());
}

#[tokio::test(start_paused = true)]
async fn the_hour_window_holds_the_601st_chat_send() {
    let limiter = RateLimiter::new();
    let start = Instant::now();
    for _ in 0..600 {
        let _ = limiter.acquire(Tier::Chat).await;
    }
    assert_eq!(start.elapsed(), 540 * SEC, "10 minutes of 60");
    assert_eq!(limiter.usage(Tier::Chat)[1].1, 600);
    let _ = limiter.acquire(Tier::Chat).await;
    assert_eq!(
        start.elapsed(),
        3600 * SEC,
        "601st waits for the first to age out"
    );
    assert_eq!(min_duration_for(Tier::Chat, 601), 3600 * SEC);
}

#[tokio::test(start_paused = true)]
async fn pause_holds_the_tier_and_never_shortens() {
    let limiter = RateLimiter::new();
    let start = Instant::now();
    limiter.pause(Tier::Query, 30 * SEC);
    limiter.pause(Tier::Query, 5 * SEC);
    assert_eq!(limiter.next_free(Tier::Query), Some(start + 30 * SEC));
    assert_eq!(limiter.next_free(Tier::Chat), None);
    let _ = limiter.acquire(Tier::Query).await;
    assert_eq!(start.elapsed(), 30 * SEC);
    assert_eq!(limiter.next_free(Tier::Query), None);
}

#[tokio::test(start_paused = true)]
async fn a_pause_during_a_wait_extends_it() {
    let limiter = Arc::new(RateLimiter::with_windows(
        &[Window {
            span: 10 * SEC,
            limit: 1,
        }],
        &windows(Tier::Query),
    ));
    let start = Instant::now();
    let _ = limiter.acquire(Tier::Chat).await;
    let l = limiter.clone();
    let second = tokio::spawn(async move { l.acquire(Tier::Chat).await });
    settle().await;
    tokio::time::advance(5 * SEC).await;
    limiter.pause(Tier::Chat, 20 * SEC);
    let _ = second.await.unwrap();
    assert_eq!(start.elapsed(), 25 * SEC);
}

#[tokio::test(start_paused = true)]
async fn seeded_past_sends_count() {
    let limiter = RateLimiter::new();
    let now = SystemTime::now();
    let past: Vec<SystemTime> = (0..60)
        .map(|i| now - Duration::from_millis(20_000 + i * 10))
        .chain([now - 2 * HOUR])
        .collect();
    limiter.seed(Tier::Chat, &past);
    assert_eq!(
        limiter.usage(Tier::Chat)[0].1,
        60,
        "the 2 h old one is dropped"
    );
    let start = Instant::now();
    let _ = limiter.acquire(Tier::Chat).await;
    let waited = start.elapsed();
    // The oldest seeded send was ~20.6 s ago: it leaves the minute in ~39.4 s.
    assert!(waited > 39 * SEC && waited < 40 * SEC, "{waited:?}");
}

#[tokio::test(start_paused = true)]
async fn seeding_the_hour_window_and_future_times() {
    let limiter = RateLimiter::new();
    let now = SystemTime::now();
    // 600 sends spread over the last 50 minutes, 5 s apart.
    let past: Vec<SystemTime> = (0..600).map(|i| now - (5 * i + 1) * SEC).collect();
    limiter.seed(Tier::Chat, &past);
    let free = limiter.next_free(Tier::Chat).unwrap() - Instant::now();
    // The oldest (2996 s ago) leaves the hour in ~604 s.
    assert!(free > 603 * SEC && free <= 604 * SEC, "{free:?}");

    let query = RateLimiter::new();
    query.seed(Tier::Query, &[now + 10 * SEC]);
    assert_eq!(
        query.usage(Tier::Query)[0].1,
        1,
        "a future time counts as now"
    );
}

#[tokio::test(start_paused = true)]
async fn seed_keeps_the_log_within_its_cap() {
    let limiter = RateLimiter::new();
    let now = SystemTime::now();
    let past: Vec<SystemTime> = (0..5000).map(|i| now - Duration::from_millis(i)).collect();
    limiter.seed(Tier::Chat, &past);
    assert_eq!(limiter.usage(Tier::Chat)[1].1, 600);
    assert_eq!(limiter.log(Tier::Chat).sends.len(), 600);
}

#[tokio::test(start_paused = true)]
async fn two_hundred_concurrent_tasks_never_exceed_a_window() {
    let limiter = Arc::new(RateLimiter::new());
    let times = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let (limiter, times) = (limiter.clone(), times.clone());
            tokio::spawn(async move {
                let _ = limiter.acquire(Tier::Chat).await;
                times.lock().unwrap().push(Instant::now() - start);
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let mut times = times.lock().unwrap().clone();
    times.sort();
    assert_eq!(times.len(), 200);
    for (i, &t) in times.iter().enumerate() {
        let in_minute = times[i..].iter().take_while(|&&u| u < t + MINUTE).count();
        assert!(
            in_minute <= 60,
            "{in_minute} sends in the minute from {t:?}"
        );
    }
    assert_eq!(*times.last().unwrap(), 180 * SEC);
    assert_eq!(min_duration_for(Tier::Chat, 200), 180 * SEC);
}

#[tokio::test(start_paused = true)]
async fn waiters_are_served_in_arrival_order() {
    let limiter = Arc::new(RateLimiter::with_windows(
        &[Window {
            span: SEC,
            limit: 1,
        }],
        &windows(Tier::Query),
    ));
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (limiter, order) = (limiter.clone(), order.clone());
        tasks.push(tokio::spawn(async move {
            let _ = limiter.acquire(Tier::Chat).await;
            order.lock().unwrap().push(i);
        }));
        settle().await;
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(*order.lock().unwrap(), (0..20).collect::<Vec<_>>());
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_wait_records_nothing() {
    let limiter = RateLimiter::with_windows(
        &[Window {
            span: SEC,
            limit: 1,
        }],
        &windows(Tier::Query),
    );
    let _ = limiter.acquire(Tier::Chat).await;
    let gave_up = tokio::time::timeout(SEC / 2, limiter.acquire(Tier::Chat)).await;
    assert!(gave_up.is_err());
    assert_eq!(limiter.waiting(Tier::Chat), 0);
    assert_eq!(limiter.usage(Tier::Chat)[0].1, 1);
}

#[test]
fn min_duration_for_matches_the_windows() {
    assert_eq!(min_duration_for(Tier::Chat, 0), Duration::ZERO);
    assert_eq!(min_duration_for(Tier::Chat, 60), Duration::ZERO);
    assert_eq!(min_duration_for(Tier::Chat, 61), 60 * SEC);
    assert_eq!(min_duration_for(Tier::Chat, 120), 60 * SEC);
    assert_eq!(min_duration_for(Tier::Chat, 600), 540 * SEC);
    assert_eq!(min_duration_for(Tier::Chat, 1200), 3600 * SEC + 540 * SEC);
    assert_eq!(min_duration_for(Tier::Query, 301), 60 * SEC);
    assert_eq!(min_duration_for(Tier::Query, 3001), 3600 * SEC);
}

#[test]
fn poll_interval_spreads_polls_over_the_query_budget() {
    let base = 3 * SEC;
    assert_eq!(poll_interval(0, base), base);
    assert_eq!(poll_interval(1, base), base);
    assert_eq!(poll_interval(12, base), base, "12 × 250 ms = 3 s");
    assert_eq!(poll_interval(13, base), Duration::from_millis(3250));
    assert_eq!(poll_interval(100, base), 25 * SEC);
    for in_flight in [1, 10, 50, 200, 1000] {
        let per_minute = in_flight as f64 * 60.0 / poll_interval(in_flight, base).as_secs_f64();
        assert!(per_minute <= 240.0 + 1e-9, "{in_flight}: {per_minute}/min");
    }
    assert_eq!(poll_interval(usize::MAX, base), 1_000_000 * SEC / 4);
}

#[test]
fn sustained_poll_interval_fits_the_hour() {
    let base = 3 * SEC;
    assert_eq!(sustained_poll_interval(1, base), base);
    assert_eq!(sustained_poll_interval(2, base), base);
    assert_eq!(sustained_poll_interval(10, base), 15 * SEC);
    let per_hour = 100.0 * 3600.0 / sustained_poll_interval(100, base).as_secs_f64();
    assert!(per_hour <= 2400.0 + 1e-9, "{per_hour}");
}

#[test]
#[should_panic(expected = "window limits must be > 0")]
fn zero_limits_are_refused() {
    let _ = RateLimiter::with_windows(
        &[Window {
            span: SEC,
            limit: 0,
        }],
        &windows(Tier::Query),
    );
}

#[tokio::test(start_paused = true)]
async fn concurrent_tasks_respect_both_windows() {
    let (short, long) = (
        Window {
            span: SEC,
            limit: 3,
        },
        Window {
            span: 10 * SEC,
            limit: 10,
        },
    );
    let limiter = Arc::new(RateLimiter::with_windows(
        &windows(Tier::Query),
        &[short, long],
    ));
    let times = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (limiter, times) = (limiter.clone(), times.clone());
            tokio::spawn(async move {
                let _ = limiter.acquire(Tier::Query).await;
                times.lock().unwrap().push(Instant::now() - start);
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let mut times = times.lock().unwrap().clone();
    times.sort();
    for w in [short, long] {
        for (i, &t) in times.iter().enumerate() {
            let n = times[i..].iter().take_while(|&&u| u < t + w.span).count();
            assert!(n <= w.limit, "{n} in {:?} from {t:?}", w.span);
        }
    }
    assert_eq!(
        *times.last().unwrap(),
        min_duration_with(&[short, long], 50)
    );
}

#[test]
fn tiers_come_from_the_wire_contract_and_client_windows_have_a_margin() {
    assert_eq!(
        windows(Tier::Chat)[0],
        Window {
            span: 60 * SEC,
            limit: 60
        }
    );
    assert_eq!(
        windows(Tier::Query)[1],
        Window {
            span: 3600 * SEC,
            limit: 3000
        }
    );
    let scaled = client_windows(Tier::Chat, 0.01);
    assert_eq!(scaled[0].limit, 60);
    assert_eq!(scaled[0].span, Duration::from_millis(600 + 12 + 100));
    assert!(client_windows(Tier::Query, 1.0)[0].span > 60 * SEC);
}

#[tokio::test(start_paused = true)]
async fn polls_are_paced_by_the_minute_then_by_the_hour() {
    let limiter = RateLimiter::new();
    let base = 3 * SEC;
    assert_eq!(
        limiter.poll_interval_now(60, base),
        base,
        "room for 60 polls"
    );
    for _ in 0..200 {
        let _ = limiter.acquire(Tier::Query).await;
    }
    assert_eq!(limiter.poll_interval_now(60, base), 15 * SEC, "60 × 250 ms");
    tokio::time::advance(50 * SEC).await;
    assert_eq!(
        limiter.poll_interval_now(60, base),
        10 * SEC,
        "room for 60 more polls once the calls of the start age out"
    );
    for _ in 200..1500 {
        let _ = limiter.acquire(Tier::Query).await;
    }
    assert_eq!(
        limiter.poll_interval_now(60, base),
        90 * SEC,
        "half the hour spent: 60 × 1.5 s"
    );
}

#[tokio::test(start_paused = true)]
async fn a_completed_send_counts_from_its_answer() {
    let limiter = RateLimiter::with_windows(
        &[Window {
            span: 10 * SEC,
            limit: 1,
        }],
        &windows(Tier::Query),
    );
    let start = Instant::now();
    let sent = limiter.acquire(Tier::Chat).await;
    tokio::time::advance(3 * SEC).await;
    limiter.completed(Tier::Chat, sent);
    assert_eq!(limiter.next_free(Tier::Chat), Some(start + 13 * SEC));
}
