//! The server's output: stdout, written on a thread of its own.
//!
//! tokio writes stdout on its blocking pool, and the runtime waits for that
//! pool at exit: a client that stops reading while a large answer is on its
//! way (an image block is hundreds of KiB, a pipe holds 64) would hold the
//! process open after its stop, and the SIGTERM that follows is ours to
//! handle, so it would not end it either. A plain thread blocked on the pipe
//! ends with the process. What was written reaches the thread in order;
//! [`Output::flushed`] says when all of it is out.

use std::io::Write;

use tokio::io::{AsyncReadExt, DuplexStream};
use tokio::sync::{mpsc, oneshot};

/// How much output may wait between rmcp and the writing thread.
const RELAY_BUFFER: usize = 64 * 1024;
/// How many chunks the writing thread may be behind.
const CHUNKS_BEHIND: usize = 16;

/// Where rmcp writes, and the news that all of it is out.
pub struct Output {
    /// What rmcp writes to.
    pub stream: DuplexStream,
    /// Completes once the stream was closed and everything written (or the
    /// output failed).
    pub flushed: oneshot::Receiver<()>,
}

/// A stream whose bytes a thread of its own writes to `output`, flushing
/// after each chunk.
pub fn on_thread<W>(output: W) -> Output
where
    W: Write + Send + 'static,
{
    let (chunks, mut pending) = mpsc::channel::<Vec<u8>>(CHUNKS_BEHIND);
    let (done, flushed) = oneshot::channel();
    std::thread::spawn(move || {
        let mut output = output;
        while let Some(chunk) = pending.blocking_recv() {
            if output
                .write_all(&chunk)
                .and_then(|()| output.flush())
                .is_err()
            {
                break;
            }
        }
        let _ = done.send(());
    });
    let (stream, mut written) = tokio::io::duplex(RELAY_BUFFER);
    tokio::spawn(async move {
        let mut buffer = vec![0u8; RELAY_BUFFER];
        loop {
            match written.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(read) => {
                    if chunks.send(buffer[..read].to_vec()).await.is_err() {
                        break;
                    }
                }
            }
        }
    });
    Output { stream, flushed }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tokio::io::AsyncWriteExt;

    /// A `Write` whose bytes the test can read.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn everything_written_is_out_in_order_when_flushed_says_so() {
        let sink = Shared::default();
        let mut output = super::on_thread(sink.clone());
        let lines: Vec<String> = (0..1000).map(|n| format!("{{\"n\":{n}}}\n")).collect();
        for line in &lines {
            output.stream.write_all(line.as_bytes()).await.unwrap();
        }
        output.stream.shutdown().await.unwrap();
        drop(output.stream);
        output.flushed.await.expect("the end is told");
        assert_eq!(
            String::from_utf8(sink.0.lock().unwrap().clone()).unwrap(),
            lines.concat()
        );
    }
}
