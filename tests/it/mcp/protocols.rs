//! Both protocol generations: a 2026-07-28 client is asked to confirm with
//! an `input_required` result (sealed request state) and the retried call
//! carries the answer; a 2025-11-25 session is asked with elicitation, bounded
//! by `wait_seconds`; the cost of the step is in `_meta`; a cancelled call
//! stops polling at once and its thread stays resumable.

use std::time::Duration;

use rmcp::model::{CallToolResponse, ProtocolVersion};
use serde_json::json;

use super::{Recorder, call, connect, connect_modern, params, structured, succeeded, summary};
use crate::support::World;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_modern_client_is_asked_in_the_result_and_its_yes_confirms_without_resending() {
    let world = World::sandbox();
    let approving = Recorder {
        approve: Some(true),
        ..Default::default()
    };
    let client = connect_modern(&world, approving.clone()).await;
    let info = client.peer_info().expect("discover result");
    assert_eq!(info.protocol_version, ProtocolVersion::V_2026_07_28);

    let approved = call(
        &client,
        "generate",
        json!({"prompt": "ocean video", "download": false}),
    )
    .await;
    let output = succeeded(&approved);
    assert_eq!(output["final_status"], "done");
    assert_eq!(output["approved_by_user"], true);
    let questions = approving.questions.lock().unwrap().clone();
    assert_eq!(questions.len(), 1, "{questions:?}");
    assert!(questions[0].contains("about 40 credits"), "{questions:?}");
    // The retry carried the sealed thread: the prompt was sent (billed) once.
    assert_eq!(world.count("POST", "/chat"), 1);
    assert_eq!(world.count("POST", "/chat/confirm"), 1);
    let meta = approved.meta.as_ref().expect("_meta");
    assert_eq!(meta.0["io.lovart/cost"]["estimated_credits"], 40.0);
    assert_eq!(meta.0["io.lovart/cost"]["step"], "approved");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_modern_clients_no_or_missing_answer_leaves_the_step_pending() {
    let world = World::sandbox();
    let declining = Recorder {
        approve: Some(false),
        ..Default::default()
    };
    let client = connect_modern(&world, declining.clone()).await;
    let declined = call(
        &client,
        "generate",
        json!({"prompt": "ocean video", "download": false}),
    )
    .await;
    let output = succeeded(&declined);
    assert_eq!(output["final_status"], "pending_confirmation");
    assert_eq!(declining.questions.lock().unwrap().len(), 1);
    let meta = declined.meta.as_ref().expect("_meta");
    assert_eq!(meta.0["io.lovart/cost"]["step"], "pending");

    // Driven by hand: the question, then a retry without an answer.
    let first = client
        .call_tool_once(params(
            "wait",
            json!({"thread_id": output["thread_id"], "download": false}),
        ))
        .await
        .unwrap();
    let CallToolResponse::InputRequired(question) = first else {
        panic!("not input_required: {first:?}")
    };
    let state = question.request_state.clone().expect("sealed state");
    let asked = serde_json::to_value(question.input_requests.as_ref().unwrap()).unwrap();
    assert_eq!(asked["confirm"]["method"], "elicitation/create");
    let unanswered = client
        .call_tool_once(
            params(
                "wait",
                json!({"thread_id": output["thread_id"], "download": false}),
            )
            .with_request_state(state.clone()),
        )
        .await
        .unwrap();
    let CallToolResponse::Complete(unanswered) = unanswered else {
        panic!("not a result")
    };
    assert_eq!(
        succeeded(&unanswered)["final_status"],
        "pending_confirmation"
    );
    // A state this server did not seal is invalid input, and nothing is confirmed.
    let forged = client
        .call_tool_once(
            params("wait", json!({"thread_id": output["thread_id"]}))
                .with_request_state(format!("{state}x")),
        )
        .await
        .unwrap();
    let CallToolResponse::Complete(forged) = forged else {
        panic!("not a result")
    };
    assert_eq!(forged.is_error, Some(true));
    assert_eq!(structured(&forged)["error"]["kind"], "invalid_input");
    assert_eq!(world.count("POST", "/chat/confirm"), 0);
    assert_eq!(world.count("POST", "/chat"), 1);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_yes_is_refused_and_confirms_nothing_twice() {
    let world = World::sandbox();
    // Declares elicitation; the questions are answered by hand below.
    let asked = Recorder {
        approve: Some(false),
        ..Default::default()
    };
    let client = connect_modern(&world, asked).await;
    let first = client
        .call_tool_once(params(
            "generate",
            json!({"prompt": "ocean video", "download": false}),
        ))
        .await
        .unwrap();
    let CallToolResponse::InputRequired(question) = first else {
        panic!("not input_required: {first:?}")
    };
    let state = question.request_state.clone().expect("sealed state");
    let yes = rmcp::model::InputResponses::from([(
        "confirm".to_string(),
        json!({"action": "accept", "content": {"confirm": true}}),
    )]);
    let retry = || {
        params(
            "generate",
            json!({"prompt": "ocean video", "download": false}),
        )
        .with_request_state(state.clone())
        .with_input_responses(yes.clone())
    };
    let CallToolResponse::Complete(approved) = client.call_tool_once(retry()).await.unwrap() else {
        panic!("not a result")
    };
    assert_eq!(succeeded(&approved)["final_status"], "done");
    assert_eq!(world.count("POST", "/chat/confirm"), 1);
    let CallToolResponse::Complete(replayed) = client.call_tool_once(retry()).await.unwrap() else {
        panic!("not a result")
    };
    assert_eq!(replayed.is_error, Some(true));
    let error = &structured(&replayed)["error"];
    assert_eq!(error["kind"], "invalid_input");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("already answered"),
        "{error}"
    );
    assert_eq!(world.count("POST", "/chat/confirm"), 1, "confirmed once");
    assert_eq!(world.count("POST", "/chat"), 1);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_client_that_never_answers_gets_pending_within_wait_seconds() {
    let world = World::sandbox();
    let silent = Recorder {
        silent: true,
        ..Default::default()
    };
    let client = connect(&world, silent.clone()).await;
    assert_eq!(
        client.peer_info().unwrap().protocol_version,
        ProtocolVersion::V_2025_11_25
    );
    // Unbounded, the question would wait 300 s; the budget is 3 s.
    let unanswered = tokio::time::timeout(
        Duration::from_secs(120),
        call(
            &client,
            "generate",
            json!({"prompt": "ocean video", "download": false, "wait_seconds": 3}),
        ),
    )
    .await
    .expect("the question is bounded by wait_seconds");
    assert_eq!(
        succeeded(&unanswered)["final_status"],
        "pending_confirmation"
    );
    assert_eq!(silent.questions.lock().unwrap().len(), 1);
    assert_eq!(world.count("POST", "/chat/confirm"), 0);
    client.cancel().await.unwrap();
}

/// Cancels a `generate` on a thread that never ends and checks that the
/// polls stop, then that `wait` picks the thread up again.
async fn cancelling_stops_the_polls(client: &super::Client, world: &World) {
    let started = tokio::time::timeout(
        Duration::from_secs(3),
        client.call_tool_once(params(
            "generate",
            json!({"prompt": "forever", "download": false, "wait_seconds": 600}),
        )),
    )
    .await;
    assert!(started.is_err(), "the call should still be waiting");
    // Dropping the call sent notifications/cancelled.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let polls = world.count("GET", "/chat/status");
    assert!(polls > 0);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        world.count("GET", "/chat/status"),
        polls,
        "no poll after the cancellation"
    );
    let thread = world.thread_ids()[0].clone();
    let resumed = call(
        client,
        "wait",
        json!({"thread_id": thread, "wait_seconds": 1, "download": false}),
    )
    .await;
    assert_eq!(succeeded(&resumed)["final_status"], "running");
    assert!(summary(&resumed).contains(&thread));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_call_stops_polling_and_the_thread_stays_resumable_in_both_protocols() {
    let world = World::sandbox();
    let client = connect(&world, Recorder::default()).await;
    cancelling_stops_the_polls(&client, &world).await;
    client.cancel().await.unwrap();

    let world = World::sandbox();
    let client = connect_modern(&world, Recorder::default()).await;
    cancelling_stops_the_polls(&client, &world).await;
    client.cancel().await.unwrap();
}
