//! The server's input, read as leniently as every other JSON `lovart` reads,
//! on a thread of its own.
//!
//! rmcp parses each JSON-RPC line with serde_json, which refuses a whole
//! message over one lone UTF-16 surrogate escape (`"\ud83c"`, half an emoji
//! an assistant cut off); the request is then dropped without an answer and
//! the client waits for its own timeout. So stdin reaches rmcp through this
//! relay: line by line, each lone surrogate escape rewritten to `\ufffd`
//! ([`lovart_core::python::repair_lone_surrogates`]), every other byte untouched.
//!
//! stdin is read on a plain thread, not tokio's: a read that never returns
//! (a client that keeps stdin open and sends SIGTERM) would hold the runtime
//! open at exit, where a plain thread ends with the process. The relay says
//! when stdin ended ([`Relay::closed`]), before rmcp has read what was left.

use std::io::BufRead;

use tokio::io::{AsyncWriteExt, DuplexStream};
use tokio::sync::{mpsc, oneshot};

/// How much repaired input may wait for rmcp to read it.
const RELAY_BUFFER: usize = 64 * 1024;
/// How many lines the reading thread may be ahead of the relay.
const LINES_AHEAD: usize = 16;

/// The relayed input and the news of its end.
pub struct Relay {
    /// What rmcp reads: the input with lone surrogate escapes repaired.
    pub stream: DuplexStream,
    /// Completes when the input ended (or failed).
    pub closed: oneshot::Receiver<()>,
}

/// `input`, read on its own thread and relayed line by line with lone
/// surrogate escapes repaired. The stream ends when `input` does (or fails).
pub fn lenient<R>(input: R) -> Relay
where
    R: BufRead + Send + 'static,
{
    let (lines, mut relayed) = mpsc::channel::<Vec<u8>>(LINES_AHEAD);
    let (ended, closed) = oneshot::channel();
    std::thread::spawn(move || {
        let mut input = input;
        loop {
            let mut line = Vec::new();
            match input.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            if lines.blocking_send(line).is_err() {
                break;
            }
        }
        let _ = ended.send(());
    });
    let (stream, mut writer) = tokio::io::duplex(RELAY_BUFFER);
    tokio::spawn(async move {
        while let Some(line) = relayed.recv().await {
            let repaired = lovart_core::python::repair_lone_surrogates(&line);
            if writer.write_all(&repaired).await.is_err() {
                break;
            }
        }
        let _ = writer.shutdown().await;
    });
    Relay { stream, closed }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn lines_arrive_repaired_and_in_order() {
        let input: &[u8] = b"{\"a\":\"x\\ud83c\"}\n{\"b\":\"\\ud83d\\ude00\"}\nlast";
        let mut relay = super::lenient(input);
        let mut relayed = String::new();
        relay.stream.read_to_string(&mut relayed).await.unwrap();
        assert_eq!(
            relayed,
            "{\"a\":\"x\\ufffd\"}\n{\"b\":\"\\ud83d\\ude00\"}\nlast"
        );
        relay.closed.await.expect("the end is told");
    }
}
