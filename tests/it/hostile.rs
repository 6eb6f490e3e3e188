//! A small misbehaving HTTP/1.1 server on raw sockets, for the tests of
//! `hostile_network`: it drips bytes, lies about Content-Length, redirects and
//! sends bodies that never end. One request per connection; every loop is
//! bounded, so a client that misbehaves too cannot keep it running.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The request target as sent: the path and its query.
    pub target: String,
    /// Header lines, names in lowercase.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// What the server does with a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A whole answer with an exact Content-Length.
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// A 200 whose body (announced with its real length) arrives one byte per `every`.
    Drip { body: Vec<u8>, every: Duration },
    /// A 200 without a length whose body never ends (bounded at 16 GiB).
    Endless,
    /// A 200 announcing `declared` bytes that sends `body` and closes.
    Short { declared: u64, body: Vec<u8> },
    /// `reply`, after holding the request `after` (past a client's timeout).
    Late { after: Duration, reply: Box<Reply> },
}

impl Reply {
    pub fn json(status: u16, body: &str) -> Self {
        Self::Full {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn redirect(status: u16, location: &str) -> Self {
        Self::Full {
            status,
            headers: vec![("Location".into(), location.into())],
            body: Vec::new(),
        }
    }
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

/// The server, on its own thread and runtime, as long as this lives.
pub struct Hostile {
    pub base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    _runtime: tokio::runtime::Runtime,
}

impl Hostile {
    pub fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("hostile runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1:0");
        let base_url = format!("http://{}", listener.local_addr().expect("address"));
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let log = seen.clone();
        runtime.spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (handler, log) = (handler.clone(), log.clone());
                tokio::spawn(async move {
                    let _ = serve(socket, &*handler, &log).await;
                });
            }
        });
        Self {
            base_url,
            seen,
            _runtime: runtime,
        }
    }

    /// Every request read so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn count(&self, method: &str, path: &str) -> usize {
        self.seen()
            .iter()
            .filter(|seen| seen.method == method && seen.path == path)
            .count()
    }
}

async fn serve(
    mut socket: TcpStream,
    handler: &Handler,
    log: &Mutex<Vec<Seen>>,
) -> std::io::Result<()> {
    let Some(seen) = read_request(&mut socket).await? else {
        return Ok(());
    };
    log.lock().unwrap().push(seen.clone());
    let mut reply = handler(&seen);
    if let Reply::Late { after, reply: late } = reply {
        tokio::time::sleep(after).await;
        reply = *late;
    }
    match reply {
        Reply::Late { .. } => {}
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let mut head = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("Connection: close\r\n\r\n");
            socket.write_all(head.as_bytes()).await?;
            socket.write_all(&body).await?;
        }
        Reply::Drip { body, every } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            socket.write_all(head.as_bytes()).await?;
            for byte in body {
                socket.write_all(&[byte]).await?;
                tokio::time::sleep(every).await;
            }
        }
        Reply::Endless => {
            socket
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"code\":0,\"data\":\"")
                .await?;
            let block = vec![b'a'; 256 * 1024];
            // 16 GiB at most; a client that stops reading ends it sooner.
            for _ in 0..65_536 {
                socket.write_all(&block).await?;
            }
        }
        Reply::Short { declared, body } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {declared}\r\nConnection: close\r\n\r\n"
            );
            socket.write_all(head.as_bytes()).await?;
            socket.write_all(&body).await?;
        }
    }
    socket.shutdown().await
}

/// The request head and its Content-Length body (at most 1 MiB), or None
/// when the client left first.
async fn read_request(socket: &mut TcpStream) -> std::io::Result<Option<Seen>> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(end) = data.windows(4).position(|window| window == b"\r\n\r\n") {
            break end + 4;
        }
        if data.len() > 1024 * 1024 {
            return Ok(None);
        }
        let read = socket.read(&mut buf).await?;
        if read == 0 {
            return Ok(None);
        }
        data.extend_from_slice(&buf[..read]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_string();
    let target = first.next().unwrap_or_default();
    let path = target.split('?').next().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0)
        .min(1024 * 1024);
    let mut body = data[head_end..].to_vec();
    while body.len() < length {
        let read = socket.read(&mut buf).await?;
        if read == 0 {
            break;
        }
        body.extend_from_slice(&buf[..read]);
    }
    Ok(Some(Seen {
        method,
        path,
        target: target.to_string(),
        headers,
        body,
    }))
}

/// Passes `seen` on to the server at `upstream` (`http://host:port`) and
/// returns its answer (blocking; the answer must carry a Content-Length):
/// a stand-in that misbehaves only where a test asks it to.
pub fn forward(upstream: &str, seen: &Seen) -> Reply {
    use std::io::{Read, Write};
    let address = upstream.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect upstream");
    let mut head = format!("{} {} HTTP/1.1\r\n", seen.method, seen.target);
    for (name, value) in &seen.headers {
        if name != "connection" {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str("connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).expect("write upstream");
    stream.write_all(&seen.body).expect("write upstream body");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read upstream");
    let split = answer
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("an HTTP answer");
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status");
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .filter(|(name, _)| {
            let name = name.to_ascii_lowercase();
            name != "content-length" && name != "connection"
        })
        .inspect(|(name, value)| {
            assert!(
                !(name.eq_ignore_ascii_case("transfer-encoding") && value.contains("chunked")),
                "forward() takes answers with a Content-Length only"
            );
        })
        .collect();
    Reply::Full {
        status,
        headers,
        body: answer[split + 4..].to_vec(),
    }
}
