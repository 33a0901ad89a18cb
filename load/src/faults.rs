//! Hostile and unlucky conditions: slow clients, oversized bodies, floods
//! of connections, a full disk. Each run keeps one well-behaved terminal
//! (the probe) declaring throughout, samples the server's memory, and
//! reports whether the appliance kept answering.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::drive::{self, Load};
use crate::ledger::Ledger;
use crate::stats::{summarise, Tally};
use crate::target::{Server, Target};
use crate::Local;

/// Server limits to run with, written to the appliance's outpost.toml.
#[derive(Args, Clone)]
pub struct Limits {
    /// header_read_timeout_secs (the appliance's default: 30).
    #[arg(long)]
    header_timeout: Option<u64>,
    /// request_timeout_secs (default 180).
    #[arg(long)]
    request_timeout: Option<u64>,
    /// max_connections (default 1024).
    #[arg(long)]
    max_connections: Option<usize>,
    /// max_connections_per_ip (default 64).
    #[arg(long)]
    max_connections_per_ip: Option<usize>,
    /// min_body_rate_bytes_per_sec (default 500; 0 turns it off).
    #[arg(long)]
    min_body_rate: Option<u64>,
    /// slow_client_grace_secs (default 10).
    #[arg(long)]
    grace: Option<u64>,
}

impl Limits {
    fn config(&self) -> Option<String> {
        let lines: Vec<String> = [
            self.header_timeout
                .map(|v| format!("header_read_timeout_secs = {v}")),
            self.request_timeout
                .map(|v| format!("request_timeout_secs = {v}")),
            self.max_connections
                .map(|v| format!("max_connections = {v}")),
            self.max_connections_per_ip
                .map(|v| format!("max_connections_per_ip = {v}")),
            self.min_body_rate
                .map(|v| format!("min_body_rate_bytes_per_sec = {v}")),
            self.grace.map(|v| format!("slow_client_grace_secs = {v}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!lines.is_empty()).then(|| lines.join("\n") + "\n")
    }

    fn describe(&self) -> String {
        format!(
            "header_read_timeout {} s, request_timeout {} s, max_connections {}, \
             max_connections_per_ip {}, min_body_rate {} B/s, slow_client_grace {} s",
            self.header_timeout.unwrap_or(30),
            self.request_timeout.unwrap_or(180),
            self.max_connections.unwrap_or(1024),
            self.max_connections_per_ip.unwrap_or(64),
            self.min_body_rate.unwrap_or(500),
            self.grace.unwrap_or(10),
        )
    }
}

/// The loopback address the `i`-th hostile client connects from, one of
/// `sources` (127.0.1.1 and up): the appliance caps connections per
/// address, an attack or a crowd comes from many, and the probe keeps
/// 127.0.0.1 to itself.
fn source(i: usize, sources: usize) -> IpAddr {
    let k = 257 + i % sources.max(1);
    IpAddr::from([127, (k >> 16) as u8, (k >> 8) as u8, k as u8])
}

/// A client of `target` connecting from the `i`-th of `sources`.
fn client_from(
    target: &Target,
    keep_alive: bool,
    i: usize,
    sources: usize,
) -> outpost::client::Client {
    target.client(keep_alive).from_source(source(i, sources))
}

/// Prints the appliance's `outpost_connections_shed_total` by reason.
async fn print_shed(target: &Target) {
    let metrics = target
        .client(false)
        .request("GET", "/metrics", "text/plain", Vec::new())
        .await;
    let counts: Vec<String> = match &metrics {
        Ok((_, body)) => String::from_utf8_lossy(body)
            .lines()
            .filter_map(|l| l.strip_prefix("outpost_connections_shed_total{reason=\""))
            .filter_map(|l| l.split_once("\"} "))
            .filter(|(_, n)| *n != "0")
            .map(|(reason, n)| format!("{reason} {n}"))
            .collect(),
        Err(e) => vec![format!("/metrics: {e}")],
    };
    println!(
        "  connections shed by the appliance: {}",
        if counts.is_empty() {
            "none".to_string()
        } else {
            counts.join(", ")
        }
    );
}

/// One terminal declaring with `Connection: close` (a new handshake per
/// message, the most exposed to a crowded listener) while a fault runs,
/// and the server's memory sampled every 100 ms.
struct Probe {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<(Duration, Tally)>,
    sampler: tokio::task::JoinHandle<u64>,
    before_kib: u64,
}

impl Probe {
    fn start(target: &Arc<Target>, seed: u64) -> Probe {
        let stop = Arc::new(AtomicBool::new(false));
        let before_kib = target.rss().map_or(0, |r| r.now_kib);
        let load = Load {
            terminals: 1,
            keep_alive: false,
            secs: None,
            declarations: None,
            seed,
            answer_within: drive::ANSWER_WITHIN,
        };
        let (t, s) = (target.clone(), stop.clone());
        let task = tokio::spawn(async move { drive::run(&t, &load, s, None).await });
        let (t, s) = (target.clone(), stop.clone());
        let sampler = tokio::spawn(async move {
            let mut peak = 0;
            while !s.load(Ordering::Relaxed) {
                peak = peak.max(t.rss().map_or(0, |r| r.now_kib));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            peak
        });
        Probe {
            stop,
            task,
            sampler,
            before_kib,
        }
    }

    /// Stops the probe and prints what it saw.
    async fn finish(self, target: &Target) {
        self.stop.store(true, Ordering::Relaxed);
        let (took, tally) = self.task.await.expect("probe");
        let peak = self.sampler.await.expect("sampler");
        let after = target.rss().map_or(0, |r| r.now_kib);
        let all = tally.summaries().into_iter().find(|(j, _)| j == "all");
        println!(
            "  probe terminal (Connection: close, IDA → IDC → retrieval) over {:.1} s: {} declarations, {} requests answered, {} errors; \
             latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            took.as_secs_f64(),
            tally.cycles,
            tally.answered_count(),
            tally.errors(),
            all.as_ref().map_or(0.0, |(_, s)| s.p50),
            all.as_ref().map_or(0.0, |(_, s)| s.p99),
            all.as_ref().map_or(0.0, |(_, s)| s.max),
        );
        if tally.errors() > 0 {
            print!("{}", tally.report());
        }
        println!(
            "  server RSS: before {:.1} MiB, peak {:.1} MiB, after {:.1} MiB",
            self.before_kib as f64 / 1024.0,
            peak as f64 / 1024.0,
            after as f64 / 1024.0
        );
    }
}

/// How one slow client behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Slowness {
    /// Opens TCP and never starts the TLS handshake.
    Handshake,
    /// Completes TLS, then sends the request headers a byte at a time.
    Headers,
    /// Sends whole headers announcing a body, then the body a byte at a time.
    Body,
    /// Sends one whole request with keep-alive, reads the answer, then
    /// stays connected without a word.
    Idle,
}

/// Sends `prefix`, then one byte every `every` until the server closes the
/// connection or `hold` passes. Returns when the server shed it.
async fn trickle<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    prefix: &[u8],
    drip: Option<u8>,
    every: Duration,
    hold: Duration,
) -> Option<Duration> {
    let started = Instant::now();
    if s.write_all(prefix).await.is_err() {
        return Some(started.elapsed());
    }
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::sleep(hold);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => return None,
            r = s.read(&mut buf) => match r {
                Ok(0) | Err(_) => return Some(started.elapsed()),
                // An answer such as 408: the close follows.
                Ok(_) => {}
            },
            _ = tokio::time::sleep(every), if drip.is_some() => {
                let byte = [drip.unwrap_or(b'x')];
                if s.write_all(&byte).await.is_err() {
                    return Some(started.elapsed());
                }
            }
        }
    }
}

/// One slow client; `Err` when it could not even connect.
async fn slow_client(
    client: outpost::client::Client,
    kind: Slowness,
    every: Duration,
    hold: Duration,
) -> Result<Option<Duration>, String> {
    let head = "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain; charset=UTF-8\r\n";
    let (prefix, drip) = match kind {
        Slowness::Handshake => {
            let tcp = client.connect_tcp().await.map_err(|e| e.to_string())?;
            return Ok(trickle(tcp, b"", None, every, hold).await);
        }
        Slowness::Headers => (head.to_string(), Some(b'x')),
        Slowness::Body => (format!("{head}Content-Length: 100000\r\n\r\n"), Some(b'0')),
        Slowness::Idle => (
            "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n".to_string(),
            None,
        ),
    };
    let tls = client.connect_tls().await.map_err(|e| e.to_string())?;
    Ok(trickle(tls, prefix.as_bytes(), drip, every, hold).await)
}

fn seconds(d: Option<f64>) -> String {
    d.map_or_else(|| "-".into(), |v| format!("{v:.1} s"))
}

#[derive(Args)]
pub struct Slowloris {
    #[command(flatten)]
    local: Local,
    #[command(flatten)]
    limits: Limits,
    /// Slow connections opened, of each kind.
    #[arg(long, default_value_t = 400)]
    connections: usize,
    /// Kinds of slow client (all by default).
    #[arg(long, value_enum, value_delimiter = ',')]
    kinds: Vec<Slowness>,
    /// Seconds between two bytes of a slow client.
    #[arg(long, default_value_t = 2.0)]
    drip_secs: f64,
    /// How long slow clients hold on before giving up themselves.
    #[arg(long, default_value_t = 240.0)]
    hold_secs: f64,
    /// Loopback addresses the slow clients come from (1 puts them all
    /// behind one address, against max_connections_per_ip).
    #[arg(long, default_value_t = 32)]
    sources: usize,
}

impl Slowloris {
    pub fn run(&self, rt: &tokio::runtime::Runtime) -> Result<(), String> {
        let kinds = if self.kinds.is_empty() {
            vec![
                Slowness::Handshake,
                Slowness::Headers,
                Slowness::Body,
                Slowness::Idle,
            ]
        } else {
            self.kinds.clone()
        };
        let target = Arc::new(self.local.target(1, self.limits.config().as_deref())?);
        println!(
            "outpost-load slowloris: {} connections of each kind {kinds:?} from {} addresses, \
             a byte every {} s, held up to {} s; {}",
            self.connections,
            self.sources,
            self.drip_secs,
            self.hold_secs,
            self.limits.describe()
        );
        rt.block_on(async {
            let probe = Probe::start(&target, 1);
            let (every, hold) = (
                Duration::from_secs_f64(self.drip_secs),
                Duration::from_secs_f64(self.hold_secs),
            );
            let mut tasks = Vec::new();
            for &kind in &kinds {
                for _ in 0..self.connections {
                    let c = client_from(&target, true, tasks.len(), self.sources);
                    tasks.push((kind, tokio::spawn(slow_client(c, kind, every, hold))));
                }
            }
            for &kind in &kinds {
                let (mut shed, mut kept, mut failed) = (Vec::new(), 0, 0);
                for (_, task) in tasks.iter_mut().filter(|(k, _)| *k == kind) {
                    match task.await.expect("slow client") {
                        Ok(Some(d)) => shed.push(d),
                        Ok(None) => kept += 1,
                        Err(_) => failed += 1,
                    }
                }
                let s = summarise(&shed);
                println!(
                    "  {kind:?}: {} shed by the server (after p50 {}, max {}), {kept} still open after {} s, {failed} could not connect",
                    shed.len(),
                    seconds(s.as_ref().map(|s| s.p50 / 1000.0)),
                    seconds(s.as_ref().map(|s| s.max / 1000.0)),
                    self.hold_secs
                );
            }
            print_shed(&target).await;
            probe.finish(&target).await;
        });
        Ok(())
    }
}

#[derive(Args)]
pub struct Oversized {
    #[command(flatten)]
    local: Local,
    /// Clients sending at once.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Megabytes each tries to send.
    #[arg(long, default_value_t = 100)]
    megabytes: usize,
    /// Seconds each client keeps trying again, per framing.
    #[arg(long, default_value_t = 15.0)]
    secs: f64,
    /// Loopback addresses the clients come from.
    #[arg(long, default_value_t = 8)]
    sources: usize,
}

/// How an oversized upload ended.
#[derive(Debug)]
struct Upload {
    /// The status line the server answered with, if any.
    status: Option<String>,
    sent: usize,
    took: Duration,
}

/// Streams `total` bytes of body (announced by length, or chunked) and
/// reads the answer at the same time.
async fn upload(
    client: &outpost::client::Client,
    total: usize,
    chunked: bool,
) -> Result<Upload, String> {
    let tls = client.connect_tls().await.map_err(|e| e.to_string())?;
    let started = Instant::now();
    let (mut rd, mut wr) = tokio::io::split(tls);
    let sent = Arc::new(AtomicU64::new(0));
    let sent_w = sent.clone();
    let writer = tokio::spawn(async move {
        let framing = if chunked {
            "Transfer-Encoding: chunked".to_string()
        } else {
            format!("Content-Length: {total}")
        };
        let head = format!(
            "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain; charset=UTF-8\r\n{framing}\r\n\r\n"
        );
        wr.write_all(head.as_bytes()).await?;
        let block = vec![b'0'; 64 << 10];
        while (sent_w.load(Ordering::Relaxed) as usize) < total {
            if chunked {
                wr.write_all(format!("{:x}\r\n", block.len()).as_bytes())
                    .await?;
                wr.write_all(&block).await?;
                wr.write_all(b"\r\n").await?;
            } else {
                wr.write_all(&block).await?;
            }
            sent_w.fetch_add(block.len() as u64, Ordering::Relaxed);
        }
        std::io::Result::Ok(())
    });
    let mut answer = Vec::new();
    let _ = rd.read_to_end(&mut answer).await;
    writer.abort();
    let status = String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .filter(|l| l.starts_with("HTTP/"))
        .map(str::to_string);
    Ok(Upload {
        status,
        sent: sent.load(Ordering::Relaxed) as usize,
        took: started.elapsed(),
    })
}

impl Oversized {
    pub fn run(&self, rt: &tokio::runtime::Runtime) -> Result<(), String> {
        let target = Arc::new(self.local.target(1, None)?);
        println!(
            "outpost-load oversized: {} clients at once, each sending {} MB again and again for {} s per framing \
             (the limit is max_body_bytes, 1 MiB by default)",
            self.connections, self.megabytes, self.secs
        );
        rt.block_on(async {
            let probe = Probe::start(&target, 2);
            for chunked in [false, true] {
                let until = Instant::now() + Duration::from_secs_f64(self.secs);
                let total = self.megabytes << 20;
                let tasks: Vec<_> = (0..self.connections)
                    .map(|i| {
                        let client = client_from(&target, true, i, self.sources);
                        tokio::spawn(async move {
                            let mut done = Vec::new();
                            while Instant::now() < until {
                                done.push(upload(&client, total, chunked).await);
                            }
                            done
                        })
                    })
                    .collect();
                let mut statuses = std::collections::BTreeMap::<String, usize>::new();
                let (mut sent, mut took) = (Vec::new(), Vec::new());
                for t in tasks {
                    for u in t.await.expect("upload") {
                        match u {
                            Ok(u) => {
                                let answer =
                                    u.status.unwrap_or_else(|| "closed without an answer".into());
                                *statuses.entry(answer).or_default() += 1;
                                sent.push(u.sent);
                                took.push(u.took);
                            }
                            Err(e) => *statuses.entry(format!("connect: {e}")).or_default() += 1,
                        }
                    }
                }
                let t = summarise(&took);
                println!(
                    "  {}: answers {statuses:?}; sent before the server stopped it: max {:.1} MiB; time to answer p50 {:.0} ms, max {:.0} ms",
                    if chunked { "chunked" } else { "Content-Length" },
                    sent.iter().max().copied().unwrap_or(0) as f64 / (1 << 20) as f64,
                    t.as_ref().map_or(0.0, |s| s.p50),
                    t.as_ref().map_or(0.0, |s| s.max),
                );
            }
            print_shed(&target).await;
            probe.finish(&target).await;
        });
        Ok(())
    }
}

#[derive(Args)]
pub struct Flood {
    #[command(flatten)]
    local: Local,
    #[command(flatten)]
    limits: Limits,
    /// Connections opened at once; each does a TLS handshake and GET /healthz.
    #[arg(long, default_value_t = 10_000)]
    connections: usize,
    /// Loopback addresses the connections come from.
    #[arg(long, default_value_t = 256)]
    sources: usize,
}

impl Flood {
    pub fn run(&self, rt: &tokio::runtime::Runtime, fd_limit: u64) -> Result<(), String> {
        if (fd_limit as usize) < self.connections + 100 {
            return Err(format!(
                "{} connections need more file descriptors than the limit {fd_limit}; raise `ulimit -Hn`",
                self.connections
            ));
        }
        let target = Arc::new(self.local.target(1, self.limits.config().as_deref())?);
        println!(
            "outpost-load flood: {} connections from {} addresses opened at once, each TLS + GET /healthz; {}",
            self.connections,
            self.sources,
            self.limits.describe()
        );
        rt.block_on(async {
            let probe = Probe::start(&target, 3);
            tokio::time::sleep(Duration::from_millis(500)).await;
            let started = Instant::now();
            let tasks: Vec<_> = (0..self.connections)
                .map(|i| {
                    let mut c = client_from(&target, false, i, self.sources);
                    tokio::spawn(async move {
                        let t = Instant::now();
                        let r = c.request("GET", "/healthz", "text/plain", Vec::new()).await;
                        (t.elapsed(), r.map(|(s, _)| s).map_err(|e| e.to_string()))
                    })
                })
                .collect();
            let mut ok = Vec::new();
            let mut failed = std::collections::BTreeMap::<String, usize>::new();
            for t in tasks {
                match t.await.expect("flood client") {
                    (d, Ok(200)) => ok.push(d),
                    (_, Ok(s)) => *failed.entry(format!("HTTP {s}")).or_default() += 1,
                    (_, Err(e)) => *failed.entry(e).or_default() += 1,
                }
            }
            let s = summarise(&ok);
            println!(
                "  {} of {} answered in {:.1} s; latency p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms; failures {failed:?}",
                ok.len(),
                self.connections,
                started.elapsed().as_secs_f64(),
                s.as_ref().map_or(0.0, |s| s.p50),
                s.as_ref().map_or(0.0, |s| s.p99),
                s.as_ref().map_or(0.0, |s| s.max),
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
            print_shed(&target).await;
            probe.finish(&target).await;
        });
        Ok(())
    }
}

#[derive(Args)]
pub struct DiskFull {
    #[command(flatten)]
    local: Local,
    /// Free space to leave when filling the filesystem, MiB.
    #[arg(long, default_value_t = 4)]
    leave_mb: u64,
    /// The appliance's `min_free_disk_mb` (0: no floor, sled meets ENOSPC).
    #[arg(long, default_value_t = 0)]
    min_free_disk_mb: u64,
    /// The appliance's `flush_timeout_secs` (its default: 30).
    #[arg(long)]
    flush_timeout_secs: Option<u64>,
    /// The appliance's `flush_stuck_exit_secs` (its default: 60).
    #[arg(long)]
    flush_stuck_exit_secs: Option<u64>,
    /// Stop the appliance with SIGTERM while the disk is still full,
    /// instead of waiting for it to exit by itself.
    #[arg(long)]
    sigterm_when_full: bool,
    #[arg(long, default_value_t = 8)]
    terminals: usize,
    /// Seconds of load on the full disk.
    #[arg(long, default_value_t = 20.0)]
    full_secs: f64,
}

/// The appliance's shutdown grace (10 s), runtime shutdown (5 s) and final
/// flush (up to the shutdown grace again), and a little more.
const STOP_GRACE: Duration = Duration::from_secs(30);

/// Free bytes on the filesystem holding `p`.
fn free_bytes(p: &Path) -> Result<u64, String> {
    let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes())
        .map_err(|_| format!("{}: a NUL in the path", p.display()))?;
    // SAFETY: statvfs fills a plain struct from a valid C string path.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return Err(format!(
            "statvfs {}: {}",
            p.display(),
            std::io::Error::last_os_error()
        ));
    }
    Ok(st.f_bavail as u64 * st.f_frsize as u64)
}

/// Fills the filesystem with a ballast file until `leave` bytes are free.
fn fill(ballast: &Path, leave: u64) -> Result<u64, String> {
    use std::io::Write;
    let mut f =
        std::fs::File::create(ballast).map_err(|e| format!("{}: {e}", ballast.display()))?;
    let block = vec![0xA5u8; 1 << 20];
    let mut written = 0u64;
    while free_bytes(ballast)? > leave + block.len() as u64 {
        f.write_all(&block).map_err(|e| format!("ballast: {e}"))?;
        written += block.len() as u64;
    }
    f.sync_all().map_err(|e| format!("ballast: {e}"))?;
    Ok(written)
}

/// Whether process `pid` has ended (gone, or its main thread a zombie:
/// it has exited, though other threads may still be finishing).
fn ended(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
    })
}

/// Notes when process `pid` ends, until `stop` is set.
fn watch_exit(pid: u32, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Option<Instant>> {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            if ended(pid) {
                return Some(Instant::now());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    })
}

/// Seconds from `from` to `to`, when both happened.
fn secs(from: Option<Instant>, to: Option<Instant>) -> Option<f64> {
    Some(to?.checked_duration_since(from?)?.as_secs_f64())
}

fn show(v: Option<f64>) -> String {
    v.map_or_else(|| "never".into(), |s| format!("{s:.1} s"))
}

impl DiskFull {
    fn config(&self) -> String {
        let mut c = format!("min_free_disk_mb = {}\n", self.min_free_disk_mb);
        if let Some(v) = self.flush_timeout_secs {
            c += &format!("flush_timeout_secs = {v}\n");
        }
        if let Some(v) = self.flush_stuck_exit_secs {
            c += &format!("flush_stuck_exit_secs = {v}\n");
        }
        c
    }

    pub fn run(&self, rt: &tokio::runtime::Runtime) -> Result<(), String> {
        let Some(dir) = self.local.data_dir.clone() else {
            return Err(
                "disk-full needs --data-dir on a small filesystem (see scripts/faults)".into(),
            );
        };
        let ballast: PathBuf = dir.with_extension("ballast");
        let flush_timeout = self.flush_timeout_secs.unwrap_or(30);
        let stuck_exit = self.flush_stuck_exit_secs.unwrap_or(60);
        // A write may wait its whole flush timeout before its answer.
        let within = Duration::from_secs(flush_timeout + 10);
        let mut target = self.local.target(self.terminals, Some(&self.config()))?;
        let ledger = Arc::new(Ledger::default());
        let load = |secs, seed| Load {
            terminals: self.terminals,
            keep_alive: true,
            secs: Some(secs),
            declarations: None,
            seed,
            answer_within: within,
        };
        let free = || free_bytes(&dir).map(|b| b as f64 / (1 << 20) as f64);
        println!(
            "outpost-load disk-full: {} terminals on {} ({:.1} MiB free), min_free_disk_mb = {}, \
             flush_timeout_secs = {flush_timeout}, flush_stuck_exit_secs = {stuck_exit}",
            self.terminals,
            dir.display(),
            free()?,
            self.min_free_disk_mb
        );
        let phase = |name: &str, target: &Target, secs: f64, seed: u64| {
            let before = ledger.counts().0;
            let stop = Arc::new(AtomicBool::new(false));
            let (took, tally) = rt.block_on(drive::run(
                target,
                &load(secs, seed),
                stop,
                Some(ledger.clone()),
            ));
            println!(
                "\n== {name}: {:.1} s, {} declarations acknowledged, {} errors; {:.1} MiB free ==",
                took.as_secs_f64(),
                ledger.counts().0 - before,
                tally.errors(),
                free().unwrap_or(0.0)
            );
            print!("{}", tally.report());
            tally
        };
        phase("before", &target, 2.0, 1);
        let ballast_bytes = fill(&ballast, self.leave_mb << 20)?;
        let full_at = Some(Instant::now());
        println!(
            "\nballast {:.0} MiB written; {:.1} MiB left",
            ballast_bytes as f64 / (1 << 20) as f64,
            free()?
        );
        let pid = target.server.as_ref().and_then(Server::pid).expect("local");
        let stop_watch = Arc::new(AtomicBool::new(false));
        let watch = watch_exit(pid, stop_watch.clone());
        let full = phase("disk full", &target, self.full_secs, 2);
        let refused_at = full.first_refused;
        println!(
            "  refusals by code: {:?}; first refusal {} after the disk filled",
            full.refusals(),
            show(secs(full_at, refused_at))
        );
        let server = target.server.as_mut().expect("local");
        let mut exit_at = None;
        if self.sigterm_when_full {
            println!(
                "  SIGTERM with the disk still full: {}",
                server.stop_within(STOP_GRACE)
            );
        } else {
            // Without a floor the store gives up; give it its bound and more.
            let wait = match self.min_free_disk_mb {
                0 => Duration::from_secs(stuck_exit + flush_timeout + 30),
                _ => Duration::ZERO,
            };
            let started = Instant::now();
            while !watch.is_finished() && started.elapsed() < wait {
                std::thread::sleep(Duration::from_millis(100));
            }
            // The process is gone only once its last thread is: one may
            // still be in the kernel, writing to the full disk.
            let reaped = if watch.is_finished() {
                Duration::from_secs(30)
            } else {
                Duration::ZERO
            };
            match server.exited_within(reaped) {
                Some(status) => {
                    stop_watch.store(true, Ordering::Relaxed);
                    exit_at = watch.join().ok().flatten();
                    println!(
                        "  exited by itself ({status}) {} after the first refusal",
                        show(secs(refused_at, exit_at))
                    );
                }
                None => println!(
                    "  still running: {}",
                    target.rss().map_or_else(|| "?".into(), |r| r.to_string())
                ),
            }
        }
        stop_watch.store(true, Ordering::Relaxed);
        std::fs::remove_file(&ballast).map_err(|e| format!("{}: {e}", ballast.display()))?;
        let back_at = Some(Instant::now());
        println!("\nballast removed; {:.1} MiB free", free()?);
        let running = target.server.as_ref().and_then(Server::pid).is_some();
        let back = if running {
            phase("space back, same process", &target, 3.0, 3)
        } else {
            let ready = target.restart().map_err(|e| e.to_string())?;
            println!(
                "  started again (as systemd would) in {} ms",
                ready.as_millis()
            );
            phase("space back, started again", &target, 3.0, 3)
        };
        let recovered = secs(back_at, back.first_accepted);
        let server = target.server.as_mut().expect("local");
        println!("  SIGTERM: {}", server.stop_within(STOP_GRACE));
        let verified = server.outpost(&["verify"]);
        println!(
            "  outpost verify: {}",
            verified
                .as_ref()
                .map_or_else(|e| e.to_string(), |_| "ok".into())
        );
        if let Err(e) = verified {
            ledger.problem(format!("verify after the disk-full run: {e}"));
        }
        let ready = target.restart().map_err(|e| e.to_string())?;
        println!("  restarted in {} ms", ready.as_millis());
        phase("after restart", &target, 2.0, 4);
        let checked = rt.block_on(crate::crash::check(&target, &ledger, within));
        for m in ledger.missing_outputs() {
            ledger.problem(format!("{m} never delivered"));
        }
        println!(
            "\nchecked {checked} acknowledged declarations and their outputs after the restart"
        );
        println!(
            "summary: refusals {:?}; first refusal {} after the disk filled; {}; first \
             declaration acknowledged {} after space came back",
            full.refusals(),
            show(secs(full_at, refused_at)),
            match (self.sigterm_when_full, exit_at) {
                (true, _) => "stopped with SIGTERM while full".to_string(),
                (false, Some(_)) => format!(
                    "exited by itself {} after the first refusal",
                    show(secs(refused_at, exit_at))
                ),
                (false, None) => "did not exit".to_string(),
            },
            show(recovered)
        );
        ledger.verdict()
    }
}
