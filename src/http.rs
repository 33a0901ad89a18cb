//! The HTTPS listener: VNACCS messages on `POST /`, status JSON under
//! `/api/`, and the officers' console (`/console/` and its API under `/api/`).
//! `conns` decides which connections hold its slots, `pace` how slowly a
//! request body may arrive.

pub mod conns;
pub mod pace;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body as _, Incoming};
use hyper::header::{HeaderValue, CONNECTION, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use self::conns::{Admission, Conn, Shed, Table};
use self::pace::{Cut, Pace};
use crate::console::{self, ApiRequest, Console};
use crate::metrics::{self, Requests};
use crate::service::Service;

/// Limits the listener enforces.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub header_read_timeout: Duration,
    pub request_timeout: Duration,
    pub shutdown_grace: Duration,
    pub max_connections: usize,
    /// Most connections from one client (an IPv4 address, an IPv6 /64).
    pub max_connections_per_ip: usize,
    /// Bytes per second a request body must average after the grace; 0: no
    /// minimum.
    pub min_body_rate: u64,
    /// How long a new connection, a connection after its answer, and a
    /// request body go before they must show progress.
    pub slow_grace: Duration,
}

impl Limits {
    fn pace(&self) -> Pace {
        Pace {
            grace: self.slow_grace,
            min_rate: self.min_body_rate,
            limit: self.request_timeout,
        }
    }
}

pub type Body = Full<Bytes>;

pub fn text(status: StatusCode, msg: impl Into<String>) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(msg.into())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=UTF-8"),
    );
    r
}

pub fn json(value: serde_json::Value) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(value.to_string())));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// Serves the appliance until `shutdown` turns true, then lets in-flight
/// requests finish (up to the grace period) and returns.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    service: Arc<Service>,
    limits: Limits,
    shutdown: watch::Receiver<bool>,
) {
    // Console sessions live as long as the listener: a restart logs out.
    let console = Arc::new(Console::default());
    let requests = Arc::new(Requests::default());
    serve_with(listener, tls, limits, shutdown, move |req, peer, limits| {
        let service = service.clone();
        let console = console.clone();
        let requests = requests.clone();
        async move { route(req, service, console, &peer, &limits, &requests).await }
    })
    .await
}

/// Who is at the other end of a connection: its address, under mutual TLS
/// the certificates it presented, and its slot in the listener's table.
#[derive(Debug)]
pub struct Peer {
    pub addr: std::net::SocketAddr,
    pub certs: Vec<rustls_pki_types::CertificateDer<'static>>,
    pub conn: Conn,
}

/// The listener loop under any router: TLS, connection limits, shedding,
/// timeouts and graceful shutdown are the same for the appliance and the
/// centre.
pub async fn serve_with<F, Fut>(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
    router: F,
) where
    F: Fn(Request<Incoming>, Arc<Peer>, Arc<Limits>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response<Body>> + Send + 'static,
{
    let acceptor = TlsAcceptor::from(tls);
    let graceful = GracefulShutdown::new();
    let table = Arc::new(Table::new(
        limits.max_connections,
        limits.max_connections_per_ip,
        limits.slow_grace,
    ));
    let limits = Arc::new(limits);
    'accept: loop {
        let (tcp, peer) = tokio::select! {
            _ = shutdown.changed() => break,
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: back off briefly.
                    log::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        // A full table with nothing to shed keeps this newcomer, and the
        // accept queue behind it, waiting until a slot frees up or a
        // connection can be shed.
        let lease = loop {
            match table.admit(peer.ip()) {
                Admission::Open(lease) => break lease,
                Admission::Refused => {
                    log::debug!("{peer}: too many connections from its address");
                    continue 'accept;
                }
                Admission::Wait(at_most) => {
                    let at_most = at_most.unwrap_or(Duration::MAX);
                    tokio::select! {
                        _ = shutdown.changed() => break 'accept,
                        _ = table.freed() => {}
                        _ = tokio::time::sleep(at_most) => {}
                    }
                }
            }
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let router = router.clone();
        let limits = limits.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let conn = lease.conn().clone();
            let tcp = conn.counted(tcp, limits.header_read_timeout);
            let served = async {
                let tls =
                    match tokio::time::timeout(limits.header_read_timeout, acceptor.accept(tcp))
                        .await
                    {
                        Ok(Ok(s)) => s,
                        Ok(Err(e)) => {
                            log::debug!("TLS handshake with {peer}: {e}");
                            return;
                        }
                        Err(_) => {
                            log::debug!("TLS handshake with {peer} timed out");
                            conn.count(Shed::HandshakeTimeout);
                            return;
                        }
                    };
                let who = Arc::new(Peer {
                    addr: peer,
                    certs: tls
                        .get_ref()
                        .1
                        .peer_certificates()
                        .map(|c| c.iter().map(|c| c.clone().into_owned()).collect())
                        .unwrap_or_default(),
                    conn: conn.clone(),
                });
                let svc_limits = limits.clone();
                let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                    // A request with no body is whole once its head is in;
                    // `read_body` marks the others.
                    if req.body().is_end_stream() {
                        who.conn.answering();
                    }
                    let fut = router(req, who.clone(), svc_limits.clone());
                    let who = who.clone();
                    async move {
                        let answer = fut.await;
                        who.conn.answered();
                        Ok::<_, Infallible>(answer)
                    }
                });
                let http = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(limits.header_read_timeout)
                    .serve_connection(TokioIo::new(tls), svc);
                if let Err(e) = watcher.watch(http).await {
                    if e.is_timeout() {
                        conn.count(Shed::HeaderTimeout);
                    }
                    log::debug!("connection from {peer}: {e}");
                }
            };
            tokio::select! {
                _ = served => {}
                _ = conn.shed() => log::debug!("{peer}: shed for a newcomer"),
            }
            drop(lease);
        });
    }
    drop(listener);
    log::info!("no longer accepting connections; finishing requests in flight");
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        log::warn!(
            "requests still running after {:?}; closing them",
            limits.shutdown_grace
        );
    }
}

async fn route(
    req: Request<Incoming>,
    service: Arc<Service>,
    console: Arc<Console>,
    peer: &Peer,
    limits: &Limits,
    requests: &Requests,
) -> Response<Body> {
    match (req.method(), req.uri().path()) {
        (&Method::POST, "/") => {
            let r = edi(req, service, peer, limits, requests).await;
            if r.status() != StatusCode::OK {
                requests.refused(r.status().as_u16());
            }
            r
        }
        (&Method::GET, "/console") => {
            let mut r = text(
                StatusCode::MOVED_PERMANENTLY,
                "the console is at /console/\n",
            );
            r.headers_mut().insert(
                hyper::header::LOCATION,
                HeaderValue::from_static("/console/"),
            );
            r
        }
        (&Method::GET, p) if p.starts_with("/console/") => asset(p),
        (_, p) if console::api::handles(p) => {
            console_api(req, service, console, peer, limits).await
        }
        (_, "/") => text(
            StatusCode::METHOD_NOT_ALLOWED,
            "VNACCS messages are sent with POST\n",
        ),
        (&Method::GET, "/api/status") => status(&service),
        (&Method::GET, p) if p.starts_with("/api/codes/") => {
            code_description(&p["/api/codes/".len()..], req.uri().query())
        }
        (&Method::GET, "/healthz") => text(StatusCode::OK, "ok\n"),
        (&Method::GET, "/readyz") => readyz(&service),
        (&Method::GET, "/metrics") => metrics(service, requests, peer.conn.table()).await,
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    }
}

fn with_security_headers(mut r: Response<Body>) -> Response<Body> {
    for (k, v) in console::assets::SECURITY_HEADERS {
        r.headers_mut().insert(*k, HeaderValue::from_static(v));
    }
    r
}

fn asset(path: &str) -> Response<Body> {
    match console::assets::get(path) {
        None => text(StatusCode::NOT_FOUND, "not found\n"),
        Some(a) => {
            let mut r = Response::new(Full::new(Bytes::from_static(a.body)));
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(a.content_type));
            with_security_headers(r)
        }
    }
}

/// Largest console API request body: forms, never files.
const MAX_API_BODY: usize = 64 * 1024;

async fn console_api(
    req: Request<Incoming>,
    service: Arc<Service>,
    console: Arc<Console>,
    peer: &Peer,
    limits: &Limits,
) -> Response<Body> {
    if service.store.reads_hang() {
        return stalled();
    }
    let (parts, body) = req.into_parts();
    let body = match read_body(body, peer, limits, MAX_API_BODY, "console requests").await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let header = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_string)
    };
    let cookie = header(hyper::header::COOKIE);
    let csrf = header(hyper::header::HeaderName::from_static(
        console::session::CSRF_HEADER,
    ));
    let json = header(CONTENT_TYPE).is_some_and(|c| {
        c.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("application/json")
    });
    let (method, path, query) = (
        parts.method.as_str().to_string(),
        parts.uri.path().to_string(),
        parts.uri.query().map(str::to_string),
    );
    let answer = tokio::task::spawn_blocking(move || {
        console.handle(
            &service,
            ApiRequest {
                method: &method,
                path: &path,
                query: query.as_deref(),
                cookie: cookie.as_deref(),
                csrf: csrf.as_deref(),
                json,
                body: &body,
            },
        )
    })
    .await;
    let a = match answer {
        Ok(a) => a,
        Err(e) => {
            log::error!("console handler failed: {e}");
            return text(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n");
        }
    };
    let mut r = Response::new(Full::new(Bytes::from(a.body)));
    *r.status_mut() = StatusCode::from_u16(a.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(a.content_type));
    if let Some(c) = a.set_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        r.headers_mut().insert(hyper::header::SET_COOKIE, c);
    }
    if let Some(f) = a.filename {
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{f}\"")) {
            r.headers_mut()
                .insert(hyper::header::CONTENT_DISPOSITION, v);
        }
    }
    with_security_headers(r)
}

/// A VNACCS message in, its answer out; answered messages are counted by
/// job and result here, refusals by status in `route`.
async fn edi(
    req: Request<Incoming>,
    service: Arc<Service>,
    peer: &Peer,
    limits: &Limits,
    requests: &Requests,
) -> Response<Body> {
    // The original value: a multipart boundary is case-sensitive.
    let raw_ctype = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("text/plain")
        .to_string();
    let ctype = raw_ctype.to_ascii_lowercase();
    let media = ctype.split(';').next().unwrap_or("").trim().to_string();
    let signed = match media.as_str() {
        "text/plain" => false,
        "multipart/signed" => true,
        _ => {
            return text(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "{media} bodies are not accepted; send text/plain; charset=UTF-8 \
                     or multipart/signed\n"
                ),
            )
        }
    };
    if let Some(cs) = ctype
        .split(';')
        .filter(|_| !signed)
        .skip(1)
        .find_map(|p| p.trim().strip_prefix("charset="))
    {
        let cs = cs.trim_matches('"');
        if cs != "utf-8" && cs != "utf8" {
            return text(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("charset {cs} is not accepted; VNACCS messages are UTF-8\n"),
            );
        }
    }
    let bytes = match read_body(
        req.into_body(),
        peer,
        limits,
        limits.max_body_bytes,
        "messages",
    )
    .await
    {
        Ok(b) => b,
        Err(r) => return r,
    };
    let started = std::time::Instant::now();
    let reply = match handle_bounded(service, bytes, signed.then_some(raw_ctype)).await {
        Ok(r) => r,
        Err(e) => {
            log::error!("request handler failed: {e}");
            return text(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n");
        }
    };
    let took = started.elapsed();
    requests.record(&reply.job, &reply.result, took);
    log::debug!("{} -> {} in {took:?}", reply.job, reply.result);
    let mut r = Response::new(Full::new(Bytes::from(reply.bytes)));
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=UTF-8"),
    );
    r
}

/// How often a request still being handled looks whether sled's reads
/// hang behind a stuck flush.
const STALL_POLL: Duration = Duration::from_millis(500);

/// A body as `Service::handle` takes it: signed when it came with its
/// multipart content type.
fn edi_body<'a>(bytes: &'a [u8], content_type: Option<&'a str>) -> crate::service::Body<'a> {
    match content_type {
        Some(content_type) => crate::service::Body::Signed {
            content_type,
            body: bytes,
        },
        None => crate::service::Body::Plain(bytes),
    }
}

/// `Service::handle` on the blocking pool. sled's reads and transactions
/// queue behind a stuck flush where no timeout reaches them, so once the
/// store says its reads hang, the request is answered `A0061` in the
/// handler's place; the thread is left to finish or not.
async fn handle_bounded(
    service: Arc<Service>,
    bytes: Bytes,
    content_type: Option<String>,
) -> Result<crate::service::Reply, tokio::task::JoinError> {
    let (svc, b, ct) = (service.clone(), bytes.clone(), content_type.clone());
    let mut task = tokio::task::spawn_blocking(move || svc.handle(edi_body(&b, ct.as_deref())));
    loop {
        match tokio::time::timeout(STALL_POLL, &mut task).await {
            Ok(done) => return done,
            Err(_) if service.store.reads_hang() => {
                return Ok(service.stalled_reply(edi_body(&bytes, content_type.as_deref())))
            }
            Err(_) => {}
        }
    }
}

/// The answer of the status pages while sled's reads hang.
fn stalled() -> Response<Body> {
    text(
        StatusCode::SERVICE_UNAVAILABLE,
        "the store's writes are stuck and its reads would hang; see /readyz\n",
    )
}

/// Reads a whole request body of at most `max` bytes at the pace `limits`
/// ask for; the error is the answer to send instead, and the connection
/// closes after it. `what` names the bodies in the 413 text.
pub async fn read_body(
    mut body: Incoming,
    peer: &Peer,
    limits: &Limits,
    max: usize,
    what: &str,
) -> Result<Bytes, Response<Body>> {
    let refuse = |status, msg: String| {
        let mut r = text(status, msg);
        r.headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        r
    };
    let pace = limits.pace();
    let began = tokio::time::Instant::now();
    let mut received = Vec::new();
    loop {
        let (deadline, cut) = pace.deadline(received.len() as u64);
        match tokio::time::timeout_at(began + deadline, body.frame()).await {
            Err(_) => {
                let (why, msg) = match cut {
                    Cut::TooSlow => (
                        Shed::BodyTooSlow,
                        format!(
                            "the request body arrived slower than {} bytes per second\n",
                            pace.min_rate
                        ),
                    ),
                    Cut::TooLong => (
                        Shed::BodyTimeout,
                        format!(
                            "the request body did not arrive within {} s\n",
                            pace.limit.as_secs()
                        ),
                    ),
                };
                peer.conn.count(why);
                log::debug!("{}: {}", peer.addr, msg.trim_end());
                return Err(refuse(StatusCode::REQUEST_TIMEOUT, msg));
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                return Err(refuse(
                    StatusCode::BAD_REQUEST,
                    format!("reading the request body: {e}\n"),
                ))
            }
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    if received.len() + data.len() > max {
                        return Err(refuse(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            format!("{what} are limited to {max} bytes\n"),
                        ));
                    }
                    received.extend_from_slice(&data);
                }
            }
        }
    }
    peer.conn.answering();
    Ok(Bytes::from(received))
}

/// How long writers may wait for a flush before the appliance stops
/// calling itself ready.
const READY_FLUSH_LIMIT: Duration = Duration::from_secs(10);

/// `GET /readyz`: 200 while the store answers, its flushes keep up and the
/// disk is above the floor; 503 with the reasons otherwise. Either way the
/// JSON shows the mode and the free space.
fn readyz(service: &Service) -> Response<Body> {
    let mut problems = Vec::new();
    // Not even the mode can be read while sled's reads hang.
    let mode = match (!service.store.reads_hang()).then(|| service.store.mode()) {
        Some(Ok(m)) => Some(m.mode.name()),
        Some(Err(e)) => {
            problems.push(format!("store: {e}"));
            None
        }
        None => None,
    };
    if let Err(e) = service.store.commit_health(READY_FLUSH_LIMIT) {
        problems.push(format!("store: {e}"));
    }
    let space = service.disk().space();
    match &space {
        Ok(s) if s.low() => problems.push(format!(
            "disk: {s}; new declarations and transports are refused (A0060)"
        )),
        Ok(_) => {}
        Err(e) => problems.push(format!("disk: {e}")),
    }
    let mut r = json(serde_json::json!({
        "ready": problems.is_empty(),
        "mode": mode,
        "disk_free_bytes": space.as_ref().ok().map(|s| s.free),
        "min_free_disk_bytes": service.disk().floor_bytes(),
        "problems": problems,
    }));
    if !problems.is_empty() {
        *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    }
    r
}

/// `GET /metrics`: Prometheus text. Counting the trees scans them, so it
/// runs on the blocking pool.
async fn metrics(service: Arc<Service>, requests: &Requests, conns: &Table) -> Response<Body> {
    let gauges = tokio::task::spawn_blocking(move || (service.gauges(), service)).await;
    let Ok((mut gauges, service)) = gauges else {
        return text(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n");
    };
    gauges.connections_open = conns.open();
    gauges.connections_shed = conns.shed_counts();
    let body = metrics::render(requests, service.store.flush_latency(), &gauges);
    let mut r = Response::new(Full::new(Bytes::from(body)));
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}

fn status(service: &Service) -> Response<Body> {
    if service.store.reads_hang() {
        return stalled();
    }
    let site = service.store.site().ok().flatten();
    let stats = service.store.commit_stats();
    let mode = service.store.mode().ok();
    json(serde_json::json!({
        "mode": mode.as_ref().map(|m| m.mode.name()),
        "mode_since": mode.as_ref().map(|m| crate::clock::iso(m.since)),
        "mode_reason": mode.as_ref().map(|m| &m.reason),
        "version": env!("CARGO_PKG_VERSION"),
        "site": site.as_ref().map(|s| &s.name),
        "blocks": site.as_ref().map(|s| &s.blocks),
        "declarations": service.store.declaration_count(),
        "flushes": stats.flushes,
        "durable_writes": stats.writes,
        "sync": crate::sync::status(&service.store),
    }))
}

/// `GET /api/codes/<code>`: what a result code means, in Vietnamese and
/// English. `<code>` is the five-character message code (`E8306`) or a whole
/// 15-byte result code (`E8306-QN1 -0002`, its spaces sent as `%20` or `+`);
/// `?job=IDA` narrows it to one job's table.
fn code_description(raw: &str, query: Option<&str>) -> Response<Body> {
    let given = percent_decode(raw).unwrap_or_default();
    let code = match crate::wire::ResultCode::parse(&given) {
        Some(_) => &given[..5],
        None => given.as_str(),
    };
    let job = query
        .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("job=")))
        .and_then(percent_decode);
    match crate::messages::describe_in(code, job.as_deref()) {
        Some(d) => json(serde_json::to_value(&d).unwrap_or_default()),
        None => {
            // Echo what was asked only when it is short, printable ASCII.
            let shown = if code.len() <= 20 && code.bytes().all(|b| b.is_ascii_graphic()) {
                code
            } else {
                "?"
            };
            let error = match job.as_deref() {
                Some(j) if j.len() <= 8 && j.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                    format!("unknown result code {shown} for job {j}")
                }
                _ => format!("unknown result code {shown}"),
            };
            let mut r = json(serde_json::json!({ "error": error }));
            *r.status_mut() = StatusCode::NOT_FOUND;
            r
        }
    }
}

/// Decodes `%XX` escapes and `+` (a space) of a URI component; `None` when
/// the result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}
