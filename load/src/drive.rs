//! Concurrent declarant terminals: each loops IDA → IDC → #REP1/?A2 over
//! its own TLS client, like declarant software does.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use outpost::client::{Client, ClientError};
use outpost::wire::{HField, Message, ResultCode};

use crate::ledger::Ledger;
use crate::stats::Tally;
use crate::target::Target;
use crate::traffic::{goods_lines, Terminal};

/// How a run goes.
#[derive(Debug, Clone)]
pub struct Load {
    pub terminals: usize,
    /// Keep the TLS connection between messages, or send `Connection:
    /// close` and handshake again for each one, as the official terminal does.
    pub keep_alive: bool,
    /// Stop after this long…
    pub secs: Option<f64>,
    /// …or after this many declarations have been started.
    pub declarations: Option<u64>,
    pub seed: u64,
    /// A request not answered within this long counts as failed, and the
    /// terminal goes on with a new connection.
    pub answer_within: Duration,
}

/// How long the official terminal waits for an answer.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(180);

const OK: &str = "00000-0000-0000";

/// The first message of a reply and how it ended, or why there was none.
enum Answer {
    Message(Box<Message>),
    /// A reply that is not a VNACCS message (HTTP error, unreadable).
    Refused,
    /// No reply: connection refused or cut.
    Failed,
}

fn result_of(m: &Message) -> String {
    if m.header.get(HField::Control) == "SSP" {
        return "output".into();
    }
    let first = m.body.split("\r\n").next().unwrap_or("");
    ResultCode::parse_line(first)
        .first()
        .map_or_else(|| "no result code".into(), ToString::to_string)
}

/// Posts one message, records its latency and result under `job`.
async fn exchange(
    c: &mut Client,
    job: &str,
    msg: Vec<u8>,
    within: Duration,
    tally: &mut Tally,
) -> Answer {
    let t = Instant::now();
    let Ok(answer) = tokio::time::timeout(within, c.post(msg)).await else {
        let why = format!("no answer within {} s", within.as_secs());
        tally.failed(job, &why);
        tally.at(job, &why, Instant::now());
        return Answer::Failed;
    };
    let (result, outcome) = match answer {
        Ok(raw) => match Message::parse_many(&raw)
            .ok()
            .and_then(|m| m.into_iter().next())
        {
            Some(m) => {
                let result = result_of(&m);
                tally.answered(job, t.elapsed(), &result);
                (result, Answer::Message(Box::new(m)))
            }
            None => {
                tally.failed(job, "unreadable reply");
                ("unreadable reply".into(), Answer::Refused)
            }
        },
        Err(ClientError::Status { status, .. }) => {
            let result = format!("HTTP {status}");
            tally.answered(job, t.elapsed(), &result);
            (result, Answer::Refused)
        }
        Err(_) => {
            tally.failed(job, "io");
            ("io".into(), Answer::Failed)
        }
    };
    tally.at(job, &result, Instant::now());
    outcome
}

/// The number after the result code in a success reply's subject.
fn number_of(m: &Message) -> Option<String> {
    let mut words = m.header.get(HField::Subject).split_whitespace();
    (words.next() == Some(OK))
        .then(|| words.next().map(str::to_string))
        .flatten()
}

/// Gives out declarations to start, when the run has a count.
struct Budget(Option<AtomicI64>);

impl Budget {
    fn take(&self) -> bool {
        self.0
            .as_ref()
            .is_none_or(|left| left.fetch_sub(1, Ordering::Relaxed) > 0)
    }
}

/// One terminal's loop until `stop` or the budget runs out.
async fn terminal(
    mut c: Client,
    t: Terminal,
    seed: u64,
    stop: Arc<AtomicBool>,
    budget: Arc<Budget>,
    ledger: Option<Arc<Ledger>>,
    within: Duration,
) -> Tally {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut tally = Tally::default();
    let mut seq = 0u64;
    let mut next = || {
        seq += 1;
        seq
    };
    while !stop.load(Ordering::Relaxed) && budget.take() {
        let roll = rng.usize(0..100);
        let lines = goods_lines(roll, &mut |n| rng.usize(0..n));
        let (msg, sent) = t.ida(next(), lines, &mut |n| rng.usize(0..n));
        let Answer::Message(r) = exchange(&mut c, "IDA", msg, within, &mut tally).await else {
            continue;
        };
        let Some(number) = number_of(&r) else {
            continue;
        };
        if let Some(l) = &ledger {
            l.ida(&t.id, &number, &sent);
        }
        let Answer::Message(r) =
            exchange(&mut c, "IDC", t.idc(next(), &number), within, &mut tally).await
        else {
            continue;
        };
        if number_of(&r).is_none() {
            continue;
        }
        if let Some(l) = &ledger {
            l.idc(&number);
        }
        if retrieve(&mut c, &t, &mut next, within, &mut tally, ledger.as_deref()).await {
            tally.cycles += 1;
        }
    }
    tally
}

/// The retrieval loop: #REP1, then ?A2 for each output until the end.
/// True when it ended cleanly.
pub async fn retrieve(
    c: &mut Client,
    t: &Terminal,
    next: &mut impl FnMut() -> u64,
    within: Duration,
    tally: &mut Tally,
    ledger: Option<&Ledger>,
) -> bool {
    let mut r = match exchange(c, "#REP1", t.rep1(next()), within, tally).await {
        Answer::Message(m) => m,
        _ => return false,
    };
    while r.header.get(HField::Control) == "SSP" {
        if let Some(l) = ledger {
            l.output(
                &t.id,
                r.header.get(HField::OutCode),
                // The number; the mode follows it.
                r.header
                    .get(HField::Subject)
                    .split_whitespace()
                    .next()
                    .unwrap_or(""),
                &r.body,
            );
        }
        let rtp = r.header.get(HField::RtpInfo).to_string();
        r = match exchange(c, "?A2", t.ack(next(), &rtp), within, tally).await {
            Answer::Message(m) => m,
            _ => return false,
        };
    }
    result_of(&r) == OK
}

/// Runs the terminals until the time is up, the declarations are all
/// started, or `stop` is set from outside. Returns the wall time and what
/// every terminal saw.
pub async fn run(
    target: &Target,
    load: &Load,
    stop: Arc<AtomicBool>,
    ledger: Option<Arc<Ledger>>,
) -> (Duration, Tally) {
    let budget = Arc::new(Budget(load.declarations.map(|n| AtomicI64::new(n as i64))));
    let started = Instant::now();
    let tasks: Vec<_> = target
        .terminals
        .iter()
        .take(load.terminals)
        .enumerate()
        .map(|(i, t)| {
            tokio::spawn(terminal(
                target.client(load.keep_alive),
                t.clone(),
                load.seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                stop.clone(),
                budget.clone(),
                ledger.clone(),
                load.answer_within,
            ))
        })
        .collect();
    if let Some(secs) = load.secs {
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs_f64(secs)).await;
            stop.store(true, Ordering::Relaxed);
        });
    }
    let mut all = Tally::default();
    for t in tasks {
        all.merge(t.await.expect("terminal task"));
    }
    (started.elapsed(), all)
}

/// The network floor: `GET /healthz` on the same listener, from the same
/// number of clients with the same connection handling, for `secs`.
pub async fn healthz(target: &Target, load: &Load, secs: f64) -> (Duration, Tally) {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let tasks: Vec<_> = (0..load.terminals)
        .map(|_| {
            let mut c = target.client(load.keep_alive);
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut tally = Tally::default();
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    match c.request("GET", "/healthz", "text/plain", Vec::new()).await {
                        Ok((200, _)) => tally.answered("healthz", t.elapsed(), OK),
                        Ok((status, _)) => tally.failed("healthz", &format!("HTTP {status}")),
                        Err(_) => tally.failed("healthz", "io"),
                    }
                }
                tally
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Tally::default();
    for t in tasks {
        all.merge(t.await.expect("healthz task"));
    }
    (started.elapsed(), all)
}
