//! Who may call: no token, a wrong token, a foreign Origin, a 10 MiB body and
//! a client over its caps are refused with their status before anything is
//! spent; off loopback the server does not start without a token.

use serde_json::json;

use super::{HttpServer, TOKEN, generate_body, post, world};
use crate::support::{World, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_the_token_from_a_foreign_origin_or_too_big_are_refused_and_spend_nothing()
{
    let world = world(true);
    let server = HttpServer::start(&world, &[], &[("LOVART_MCP_TOKEN", TOKEN)]);
    let bearer = format!("Bearer {TOKEN}");
    let body = generate_body("a cat");

    let missing = post(&server, body.clone()).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    assert!(
        missing.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let wrong = post(&server, body.clone())
        .header("Authorization", format!("{bearer}x"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let foreign = post(&server, body.clone())
        .header("Authorization", &bearer)
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    let huge = generate_body(&"a ".repeat(5 * 1024 * 1024));
    // The server answers 413 from the declared length without reading the
    // body, so the client may see its write cut off instead of the answer.
    match post(&server, huge)
        .header("Authorization", &bearer)
        .send()
        .await
    {
        Ok(too_big) => assert_eq!(too_big.status(), 413),
        Err(_) => assert!(server.stderr_shows(" 413 ").await, "{}", server.stderr()),
    }
    // The same without Content-Length (chunked): cut while it streams.
    let chunks = futures_util::stream::iter(
        (0..160).map(|_| Ok::<_, std::io::Error>(vec![b' '; 64 * 1024])),
    );
    match post(&server, reqwest::Body::wrap_stream(chunks))
        .header("Authorization", &bearer)
        .send()
        .await
    {
        Ok(streamed) => assert_eq!(streamed.status(), 413),
        Err(_) => assert!(server.stderr().matches(" 413 ").count() >= 1),
    }
    // A body that is not JSON: 400 with JSON-RPC's parse error.
    let garbled = post(&server, "{\"jsonrpc\": \"2.0\", \"id\": 1,")
        .header("Authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(garbled.status(), 400);
    let answer: serde_json::Value = serde_json::from_str(&garbled.text().await.unwrap()).unwrap();
    assert_eq!(answer["error"]["code"], -32700, "{answer}");
    assert_eq!(answer["id"], serde_json::Value::Null);
    assert_eq!(world.count("POST", "/chat"), 0, "nothing was sent");
    assert_eq!(world.count("POST", "/project/save"), 0);

    // The control: the same call with the token, from a loopback page, goes through.
    let allowed = post(&server, body)
        .header("Authorization", &bearer)
        .header("Origin", "http://localhost:6274")
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
    let answer: serde_json::Value = serde_json::from_str(&allowed.text().await.unwrap()).unwrap();
    assert_eq!(
        answer["result"]["structuredContent"]["final_status"],
        "done"
    );
    assert_eq!(world.count("POST", "/chat"), 1);

    for status in [
        " 401 ",
        " 403 ",
        " 413 ",
        "client1 POST /mcp tools/call generate 200 ",
    ] {
        assert!(
            server.stderr_shows(status).await,
            "{status}: {}",
            server.stderr()
        );
    }
    assert!(!server.stderr().contains(TOKEN), "a token reached the log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_over_its_caps_is_refused_while_another_goes_on() {
    let world = world(true);
    let file = world.home.path().join("tokens");
    std::fs::write(&file, format!("alice {TOKEN}-a\nbob {TOKEN}-b\n")).unwrap();
    // Left readable by others: the server starts, and says so.
    let readable = std::os::unix::fs::PermissionsExt::from_mode(0o644);
    std::fs::set_permissions(&file, readable).unwrap();
    let server = HttpServer::start(
        &world,
        &[
            "--token-file",
            file.to_str().unwrap(),
            "--client-concurrency",
            "1",
            "--client-rate",
            "4",
        ],
        &[],
    );
    assert!(
        server
            .stderr()
            .contains("can be read by other users (mode 644)"),
        "{}",
        server.stderr()
    );
    let alice = format!("Bearer {TOKEN}-a");
    let bob = format!("Bearer {TOKEN}-b");
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).to_string();

    // Alice waits on a thread that never ends: her one place is taken.
    let waiting =
        tokio::spawn({
            let request = post(&server, serde_json::to_string(&json!({
            "jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": "generate",
                       "arguments": {"prompt": "forever", "wait_seconds": 3, "download": false}}
        })).unwrap())
        .header("Authorization", &alice);
            async move { request.send().await.unwrap().status() }
        });
    for _ in 0..100 {
        if world.count("POST", "/chat") == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let busy = post(&server, list.clone())
        .header("Authorization", &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(busy.status(), 429);
    assert!(busy.headers().contains_key("retry-after"));
    let other = post(&server, list.clone())
        .header("Authorization", &bob)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200, "bob is not held up by alice");
    assert_eq!(waiting.await.unwrap(), 200);

    // Alice's call took one of her four a minute (the refusal took none):
    // three more pass, the next does not; bob still has his.
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let answer = post(&server, list.clone())
            .header("Authorization", &alice)
            .send()
            .await
            .unwrap();
        statuses.push(answer.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429]);
    let other = post(&server, list)
        .header("Authorization", &bob)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
    assert_eq!(world.count("POST", "/chat"), 1);
}

#[test]
fn off_loopback_the_server_does_not_start_without_a_token() {
    let world = World::offline();
    let refused = run(world.lovart().args(["mcp", "--http", "0.0.0.0:0"]));
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    let mut lines = refused.stderr.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("Error: refusing to serve MCP on 0.0.0.0:0 without a token"),
        "{}",
        refused.stderr
    );
    assert!(lines.next().unwrap().starts_with("hint: "));

    let weak = run(world
        .lovart()
        .args(["mcp", "--http", "0.0.0.0:0"])
        .env("LOVART_MCP_TOKEN", "short"));
    assert_eq!(weak.code, 1);
    assert!(
        weak.stderr.contains("at least 16 characters"),
        "{}",
        weak.stderr
    );
    assert!(!weak.stderr.contains("short"), "the token is not echoed");

    let without_http = run(world.lovart().args(["mcp", "--token-file", "x"]));
    assert_eq!(without_http.code, 2, "{}", without_http.stderr);
}
