//! The server's input, read as leniently as every other JSON `lovart` reads.
//!
//! rmcp parses each JSON-RPC line with serde_json, which refuses a whole
//! message over one lone UTF-16 surrogate escape (`"\ud83c"`, half an emoji
//! an assistant cut off); the request is then dropped without an answer and
//! the client waits for its own timeout. So stdin reaches rmcp through this
//! relay: line by line, each lone surrogate escape rewritten to `\ufffd`
//! ([`lovart_core::python::repair_lone_surrogates`]), every other byte untouched.

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader, DuplexStream};

/// How much repaired input may wait for rmcp to read it.
const RELAY_BUFFER: usize = 64 * 1024;

/// `input`, relayed line by line with lone surrogate escapes repaired. The
/// returned stream ends when `input` does (or fails).
pub fn lenient<R>(input: R) -> DuplexStream
where
    R: AsyncRead + Send + Unpin + 'static,
{
    let (reader, mut writer) = tokio::io::duplex(RELAY_BUFFER);
    tokio::spawn(async move {
        let mut input = BufReader::new(input);
        let mut line = Vec::new();
        loop {
            line.clear();
            match input.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let repaired = lovart_core::python::repair_lone_surrogates(&line);
            if writer.write_all(&repaired).await.is_err() {
                break;
            }
        }
        let _ = writer.shutdown().await;
    });
    reader
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn lines_arrive_repaired_and_in_order() {
        let input: &[u8] = b"{\"a\":\"x\\ud83c\"}\n{\"b\":\"\\ud83d\\ude00\"}\nlast";
        let mut relayed = String::new();
        super::lenient(input)
            .read_to_string(&mut relayed)
            .await
            .unwrap();
        assert_eq!(
            relayed,
            "{\"a\":\"x\\ufffd\"}\n{\"b\":\"\\ud83d\\ude00\"}\nlast"
        );
    }
}
