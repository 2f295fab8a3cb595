//! Loopback servers that behave like a healthy or a broken NES, and an HTTP
//! proxy. Each listens on 127.0.0.1 with an OS-chosen port, serves every
//! connection on its own thread, and stops accepting when dropped. Every
//! blocking call is bounded: sockets have timeouts and held connections
//! are released when the server stops (or after `MAX_HOLD`).

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rustls::{ServerConfig, ServerConnection, StreamOwned};

use super::pki::Served;

/// Socket timeout of every server-side read and write.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest a stalling server holds a connection.
const MAX_HOLD: Duration = Duration::from_secs(3600);
/// Poll interval of accept loops and held connections.
const TICK: Duration = Duration::from_millis(20);

/// What a server does with a connection.
#[derive(Clone)]
pub enum Behaviour {
    /// TLS with this configuration, then the HTTP routes of [`route`].
    Tls(Arc<ServerConfig>),
    /// Accepts TCP and never answers the handshake.
    Stall,
    /// Sends the start of a TLS record, then one byte every 100 ms, forever.
    Drip,
    /// Reads the ClientHello, sends three bytes of a record and closes.
    CloseMidHandshake,
    /// Answers anything with a plain HTTP 400, as an http-only site does.
    PlainHttp,
    /// An HTTP proxy that opens CONNECT tunnels to loopback ports only
    /// (`true`), or refuses every CONNECT with 403 (`false`).
    Proxy(bool),
}

/// A running server; dropping it stops it.
pub struct Server {
    pub port: u16,
    stop: Arc<AtomicBool>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// A rustls server configuration (ring) presenting `served`.
pub fn tls_config(served: &Served) -> Arc<ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(served.chain.clone(), served.key.clone_key())
        .expect("certificate and key match");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// Starts a server; `slow` is how long `/slow/nes` waits before answering.
pub fn start(behaviour: Behaviour, slow: Duration) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.set_nonblocking(true).expect("non-blocking accept");
    let port = listener.local_addr().expect("local addr").port();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    std::thread::spawn(move || {
        while !flag.load(Ordering::SeqCst) {
            match listener.accept() {
                Ok((stream, _)) => {
                    let behaviour = behaviour.clone();
                    let flag = Arc::clone(&flag);
                    std::thread::spawn(move || {
                        let _ = stream.set_nonblocking(false);
                        let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
                        let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
                        let _ = handle(stream, &behaviour, slow, &flag);
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(TICK),
                Err(_) => std::thread::sleep(TICK),
            }
        }
    });
    Server { port, stop }
}

/// A port on which nothing listens (bound, then released).
pub fn refused_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    l.local_addr().expect("local addr").port()
}

/// Waits while the server runs, at most `max`.
fn hold(stop: &AtomicBool, max: Duration) {
    let end = Instant::now() + max;
    while !stop.load(Ordering::SeqCst) && Instant::now() < end {
        std::thread::sleep(TICK);
    }
}

fn handle(
    mut stream: TcpStream,
    behaviour: &Behaviour,
    slow: Duration,
    stop: &AtomicBool,
) -> io::Result<()> {
    match behaviour {
        Behaviour::Tls(config) => serve_tls(stream, config, slow, stop),
        Behaviour::Stall => {
            hold(stop, MAX_HOLD);
            Ok(())
        }
        Behaviour::Drip => {
            // A handshake record announcing 16 KiB that never completes.
            stream.write_all(&[0x16, 0x03, 0x03, 0x40, 0x00])?;
            let end = Instant::now() + MAX_HOLD;
            while !stop.load(Ordering::SeqCst) && Instant::now() < end {
                stream.write_all(&[0x00])?;
                std::thread::sleep(Duration::from_millis(100));
            }
            Ok(())
        }
        Behaviour::CloseMidHandshake => {
            read_record(&mut stream)?;
            stream.write_all(&[0x16, 0x03, 0x03])?;
            stream.flush()?;
            stream.shutdown(Shutdown::Both)
        }
        Behaviour::PlainHttp => {
            // Read what the client sent first, so closing sends FIN, not RST.
            let _ = read_some(&mut stream);
            let body = "<html><body>Bad Request</body></html>";
            write!(
                stream,
                "HTTP/1.1 400 Bad Request\r\nServer: Microsoft-HTTPAPI/2.0\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )?;
            stream.flush()?;
            stream.shutdown(Shutdown::Write)
        }
        Behaviour::Proxy(allow) => proxy(stream, *allow),
    }
}

/// Reads one whole TLS record (the ClientHello).
fn read_record(stream: &mut TcpStream) -> io::Result<()> {
    let mut header = [0u8; 5];
    stream.read_exact(&mut header)?;
    let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body)
}

/// Reads whatever arrives within a short while.
fn read_some(stream: &mut TcpStream) -> io::Result<usize> {
    stream.set_read_timeout(Some(Duration::from_millis(300)))?;
    let mut buf = [0u8; 4096];
    let mut total = 0;
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => total += n,
            Err(_) => return Ok(total),
        }
    }
}

/// Reads an HTTP request head (to the blank line), at most 16 KiB.
fn read_head(stream: &mut impl Read) -> io::Result<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 || stream.read(&mut buf)? == 0 {
            return Err(io::ErrorKind::InvalidData.into());
        }
        head.push(buf[0]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

fn serve_tls(
    stream: TcpStream,
    config: &Arc<ServerConfig>,
    slow: Duration,
    stop: &AtomicBool,
) -> io::Result<()> {
    let conn = ServerConnection::new(Arc::clone(config)).map_err(io::Error::other)?;
    let mut tls = StreamOwned::new(conn, stream);
    // The probe's own TLS stage handshakes and closes; that ends here.
    let head = read_head(&mut tls)?;
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let response = route(&path, slow, stop);
    tls.write_all(response.as_bytes())?;
    tls.conn.send_close_notify();
    tls.flush()
}

/// The HTTP routes of the TLS servers.
pub fn route(path: &str, slow: Duration, stop: &AtomicBool) -> String {
    let (status, extra): (&str, Vec<String>) = match path {
        "/nes" | "/nes/" => ("200 OK", vec![]),
        "/auth/nes" => (
            "401 Unauthorized",
            vec![
                "WWW-Authenticate: Negotiate".into(),
                "WWW-Authenticate: NTLM".into(),
            ],
        ),
        "/basic/nes" => (
            "401 Unauthorized",
            vec!["WWW-Authenticate: Basic realm=\"nes\"".into()],
        ),
        "/forbidden/nes" => ("403 Forbidden", vec![]),
        "/error/nes" => ("500 Internal Server Error", vec![]),
        "/unavailable/nes" => ("503 Service Unavailable", vec![]),
        "/loop/nes" => ("302 Found", vec!["Location: /loop/back".into()]),
        "/loop/back" => ("302 Found", vec!["Location: /loop/nes".into()]),
        "/redirect/nes" => ("301 Moved Permanently", vec!["Location: /nes/".into()]),
        "/slow/nes" => {
            hold(stop, slow);
            ("200 OK", vec![])
        }
        _ => ("404 Not Found", vec![]),
    };
    let body = format!("mock NES: {status}\n");
    let mut response = format!(
        "HTTP/1.1 {status}\r\nServer: Microsoft-IIS/10.0\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for header in extra {
        response.push_str(&header);
        response.push_str("\r\n");
    }
    response.push_str("\r\n");
    response.push_str(&body);
    response
}

/// A CONNECT proxy that only ever connects to 127.0.0.1.
fn proxy(mut client: TcpStream, allow: bool) -> io::Result<()> {
    let head = read_head(&mut client)?;
    let mut words = head.split_whitespace();
    let (method, authority) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    if method != "CONNECT" || !allow {
        client.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")?;
        return Ok(());
    }
    let port = authority
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok());
    let host = authority.rsplit_once(':').map_or("", |(h, _)| h);
    let loopback = matches!(host, "localhost" | "127.0.0.1");
    let Some(port) = port.filter(|_| loopback) else {
        client.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")?;
        return Ok(());
    };
    let upstream = match TcpStream::connect_timeout(
        &SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(2),
    ) {
        Ok(s) => s,
        Err(_) => {
            client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")?;
            return Ok(());
        }
    };
    client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    upstream.set_read_timeout(Some(IO_TIMEOUT))?;
    let (mut c_read, mut u_write) = (client.try_clone()?, upstream.try_clone()?);
    let up = std::thread::spawn(move || {
        let _ = io::copy(&mut c_read, &mut u_write);
        let _ = u_write.shutdown(Shutdown::Write);
    });
    let (mut u_read, mut c_write) = (upstream, client);
    let _ = io::copy(&mut u_read, &mut c_write);
    let _ = c_write.shutdown(Shutdown::Write);
    let _ = up.join();
    Ok(())
}

/// A plain-HTTP NES on 127.0.0.1 that answers every request with `status`
/// and a `Date` header `offset` away from this machine's clock (none
/// without an offset): for the probe's clock-skew check.
pub fn start_dated(status: &'static str, offset: Option<time::Duration>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.set_nonblocking(true).expect("non-blocking accept");
    let port = listener.local_addr().expect("local addr").port();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    std::thread::spawn(move || {
        while !flag.load(Ordering::SeqCst) {
            let Ok((mut s, _)) = listener.accept() else {
                std::thread::sleep(TICK);
                continue;
            };
            let _ = s.set_nonblocking(false);
            let _ = s.set_read_timeout(Some(IO_TIMEOUT));
            if read_head(&mut s).is_err() {
                continue;
            }
            let date = offset
                .map(|o| {
                    format!(
                        "Date: {}\r\n",
                        http_date(time::OffsetDateTime::now_utc() + o)
                    )
                })
                .unwrap_or_default();
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\n{date}WWW-Authenticate: Negotiate\r\n\
                 Content-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    Server { port, stop }
}

/// An HTTP date: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn http_date(t: time::OffsetDateTime) -> String {
    let f = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.to_offset(time::UtcOffset::UTC)
        .format(&f)
        .expect("HTTP date")
}

/// A server on 127.0.0.1 (TLS with `tls`, else plain HTTP) that answers
/// each request with the raw response of the first route whose path
/// equals the request's path without its query, or a 404. Responses are
/// bytes, so a test can send what no well-behaved server would (escape
/// sequences in the status line, headers and body). A plain server also
/// serves as a proxy: it answers a CONNECT like any request, by path
/// (the authority). `{port}` in a response is replaced by the server's
/// port, so that a redirect can name the server itself.
pub fn start_routes(tls: Option<Arc<ServerConfig>>, routes: Vec<(String, Vec<u8>)>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.set_nonblocking(true).expect("non-blocking accept");
    let port = listener.local_addr().expect("local addr").port();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let routes: Vec<(String, Vec<u8>)> = routes
        .into_iter()
        .map(|(p, r)| (p, replace_bytes(&r, b"{port}", port.to_string().as_bytes())))
        .collect();
    let routes = Arc::new(routes);
    std::thread::spawn(move || {
        while !flag.load(Ordering::SeqCst) {
            let Ok((s, _)) = listener.accept() else {
                std::thread::sleep(TICK);
                continue;
            };
            let (tls, routes) = (tls.clone(), Arc::clone(&routes));
            std::thread::spawn(move || {
                let _ = s.set_nonblocking(false);
                let _ = s.set_read_timeout(Some(IO_TIMEOUT));
                let _ = s.set_write_timeout(Some(IO_TIMEOUT));
                let _ = match tls {
                    Some(config) => ServerConnection::new(config)
                        .map_err(io::Error::other)
                        .and_then(|conn| {
                            let mut tls = StreamOwned::new(conn, s);
                            answer_route(&mut tls, &routes)?;
                            tls.conn.send_close_notify();
                            tls.flush()
                        }),
                    None => {
                        let mut s = s;
                        answer_route(&mut s, &routes).and_then(|()| s.shutdown(Shutdown::Write))
                    }
                };
            });
        }
    });
    Server { port, stop }
}

fn replace_bytes(text: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(text[i]);
            i += 1;
        }
    }
    out
}

fn answer_route(stream: &mut (impl Read + Write), routes: &[(String, Vec<u8>)]) -> io::Result<()> {
    let head = read_head(stream)?;
    let target = head.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or(target);
    let not_found =
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec();
    let response = routes
        .iter()
        .find(|(p, _)| p == path)
        .map_or(&not_found, |(_, r)| r);
    stream.write_all(response)?;
    stream.flush()
}

/// A raw response: `status` line text, extra header lines, a body.
pub fn raw_response(status: &str, headers: &[&str], body: &str) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for h in headers {
        out.push_str(h);
        out.push_str("\r\n");
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    out.into_bytes()
}
