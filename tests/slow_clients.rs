//! Slow clients cannot lock declarants out: bodies that trickle in are cut
//! by the minimum rate, a full listener sheds the connection furthest
//! behind for a newcomer, and one address cannot hold more than its cap.
//! The slow clients connect from other loopback addresses (127.0.0.x), as
//! an attacker would from its own.

mod common;

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Far below `request_timeout_secs` (180), which is all that bounded a
/// trickled body before.
const ANSWER_WITHIN: Duration = Duration::from_secs(30);

fn loopback(n: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, n])
}

/// How a slow client's connection ended.
#[derive(Debug)]
enum Ended {
    /// The appliance closed it, after what it answered (if anything).
    Closed { answer: String, after: Duration },
    /// It could not even connect: refused before or during TLS.
    Refused,
}

/// A client at `source` that sends request headers announcing a 100 kB
/// body, then one byte of it every `every`, until the appliance closes the
/// connection. `closed` counts the ones that ended.
fn slow_body(
    app: &Appliance,
    source: IpAddr,
    every: Duration,
    closed: Arc<AtomicUsize>,
) -> tokio::task::JoinHandle<Ended> {
    let client = app.client(true).from_source(source);
    tokio::spawn(async move {
        let ended = async {
            let Ok(mut tls) = client.connect_tls().await else {
                return Ended::Refused;
            };
            let started = Instant::now();
            let head = "POST / HTTP/1.1\r\nHost: localhost\r\n\
                        Content-Type: text/plain; charset=UTF-8\r\nContent-Length: 100000\r\n\r\n";
            if tls.write_all(head.as_bytes()).await.is_err() {
                return Ended::Refused;
            }
            let mut answer = Vec::new();
            let mut buf = [0u8; 1024];
            loop {
                tokio::select! {
                    r = tls.read(&mut buf) => match r {
                        Ok(0) | Err(_) => break,
                        Ok(n) => answer.extend_from_slice(&buf[..n]),
                    },
                    _ = tokio::time::sleep(every) => {
                        if tls.write_all(b"0").await.is_err() {
                            break;
                        }
                    }
                }
            }
            Ended::Closed {
                answer: String::from_utf8_lossy(&answer).into_owned(),
                after: started.elapsed(),
            }
        }
        .await;
        closed.fetch_add(1, Ordering::SeqCst);
        ended
    })
}

/// Waits until `count` reaches `want`, at most `limit`.
async fn until_at_least(count: &AtomicUsize, want: usize, limit: Duration) -> usize {
    let start = Instant::now();
    while count.load(Ordering::SeqCst) < want && start.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    count.load(Ordering::SeqCst)
}

/// Slow bodies from each of `sources`, a byte every 500 ms; the counter
/// of those that ended.
fn slow_bodies(
    app: &Appliance,
    sources: impl IntoIterator<Item = IpAddr>,
) -> (Arc<AtomicUsize>, Vec<tokio::task::JoinHandle<Ended>>) {
    let closed = Arc::new(AtomicUsize::new(0));
    let every = Duration::from_millis(500);
    let tasks = sources
        .into_iter()
        .map(|ip| slow_body(app, ip, every, closed.clone()))
        .collect();
    (closed, tasks)
}

/// How the slow clients that ended did; the others are dropped and
/// counted.
async fn ended(tasks: Vec<tokio::task::JoinHandle<Ended>>) -> (Vec<Ended>, usize) {
    let (mut done, mut open) = (Vec::new(), 0);
    for t in tasks {
        if t.is_finished() {
            done.push(t.await.unwrap());
        } else {
            t.abort();
            open += 1;
        }
    }
    (done, open)
}

/// `outpost_connections_shed_total{reason}` from `GET /metrics`.
async fn shed(app: &Appliance, reason: &str) -> u64 {
    let (status, body) = get(&mut app.client(false), "/metrics").await;
    assert_eq!(status, 200);
    let line = format!("outpost_connections_shed_total{{reason=\"{reason}\"}} ");
    body.lines()
        .find_map(|l| l.strip_prefix(&line)?.parse().ok())
        .unwrap_or_else(|| panic!("no {line}in /metrics"))
}

/// ALICE lodges an IDA on a new connection; it must be answered with a
/// number well inside `ANSWER_WITHIN`.
async fn declarant_is_answered(app: &Appliance) -> Duration {
    let started = Instant::now();
    let mut c = app.client(false);
    let r = tokio::time::timeout(ANSWER_WITHIN, submit_ida(&mut c, &ALICE))
        .await
        .expect("the declarant was locked out");
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    assert_eq!(r.number().len(), 12);
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_slower_than_the_minimum_rate_is_answered_408_and_closed() {
    let app = Appliance::start_with(
        17,
        "min_body_rate_bytes_per_sec = 100\nslow_client_grace_secs = 1\n",
    );
    let closed = Arc::new(AtomicUsize::new(0));
    let drip = slow_body(&app, loopback(2), Duration::from_millis(300), closed);
    match drip.await.unwrap() {
        Ended::Closed { answer, after } => {
            assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
            assert!(
                answer.contains("slower than 100 bytes per second"),
                "{answer}"
            );
            assert!(after < ANSWER_WITHIN, "cut after {after:?}");
        }
        Ended::Refused => panic!("the slow client could not connect"),
    }
    assert_eq!(shed(&app, "body_too_slow").await, 1);
    // A real terminal on a slow link is not cut: a whole IDA sent in ten
    // pieces over about two seconds, far above 100 bytes per second.
    let msg = request("IDA", &ALICE, &ida_body(&ALICE, 3, "84713020"));
    let mut tls = app.client(false).connect_tls().await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: text/plain; charset=UTF-8\r\nContent-Length: {}\r\n\r\n",
        msg.len()
    );
    tls.write_all(head.as_bytes()).await.unwrap();
    for piece in msg.chunks(msg.len().div_ceil(10)) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        tls.write_all(piece).await.unwrap();
    }
    let mut answer = Vec::new();
    tokio::time::timeout(ANSWER_WITHIN, tls.read_to_end(&mut answer))
        .await
        .expect("answered")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("00000-0000-0000"), "{answer}");
    assert_eq!(shed(&app, "body_too_slow").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_bodies_past_max_connections_do_not_lock_a_declarant_out() {
    // No minimum rate: only shedding can make room, as when the slow
    // clients keep just above the rate.
    let app = Appliance::start_with(
        17,
        "max_connections = 8\nmin_body_rate_bytes_per_sec = 0\nslow_client_grace_secs = 1\n",
    );
    let (closed, slow) = slow_bodies(&app, (2..14).map(loopback));
    // The first 8 fill the listener; each of the other 4 sheds one of them
    // once it is past its grace.
    assert!(until_at_least(&closed, 4, ANSWER_WITHIN).await >= 4);
    let took = declarant_is_answered(&app).await;
    eprintln!("the declarant was answered in {took:?}");
    // The declarant's connection shed one more.
    assert!(until_at_least(&closed, 5, ANSWER_WITHIN).await >= 5);
    let by_shedding = shed(&app, "shed_when_full").await;
    assert!(by_shedding >= 5, "{by_shedding} shed");
    // The appliance closed the ones it shed without an answer; the rest
    // are still open (180 s would end them) until the test drops them.
    let (done, open) = ended(slow).await;
    for e in done {
        assert!(
            matches!(&e, Ended::Closed { answer, .. } if answer.is_empty()),
            "{e:?}"
        );
    }
    // 12 - 4 - the declarant's (and perhaps the /metrics request's).
    assert!(open >= 6, "{open} still open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_holds_at_most_its_cap() {
    let app = Appliance::start_with(
        17,
        "max_connections_per_ip = 4\nmin_body_rate_bytes_per_sec = 0\n",
    );
    let (closed, slow) = slow_bodies(&app, std::iter::repeat_n(loopback(2), 10));
    // All 10 arrive within the grace (10 s): the first 4 hold the address's
    // slots, the other 6 are closed at once.
    assert!(until_at_least(&closed, 6, ANSWER_WITHIN).await >= 6);
    // Another address is not affected.
    declarant_is_answered(&app).await;
    assert_eq!(shed(&app, "refused_per_client").await, 6);
    assert_eq!(shed(&app, "shed_when_full").await, 0);
    let (done, open) = ended(slow).await;
    assert!(done.iter().all(|e| matches!(e, Ended::Refused)), "{done:?}");
    assert_eq!(open, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_its_answers_is_cut() {
    // Short enough to see the cut soon, long enough for a handshake on a
    // loaded machine.
    let app = Appliance::start_with(17, "header_read_timeout_secs = 4\n");
    let mut tls = app.client(false).connect_tls().await.unwrap();
    // Enough pipelined requests for the answers (45 kB each) to fill both
    // sockets' buffers many times over, then never a byte read.
    let one = "GET /console/app.js HTTP/1.1\r\nHost: localhost\r\n\r\n";
    tls.write_all(one.repeat(800).as_bytes()).await.unwrap();
    let start = Instant::now();
    while shed(&app, "write_stalled").await == 0 {
        assert!(start.elapsed() < ANSWER_WITHIN, "never cut");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The appliance ended it: what is left to read ends, and soon.
    let mut rest = Vec::new();
    let read = tokio::time::timeout(ANSWER_WITHIN, tls.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the connection stayed open");
    declarant_is_answered(&app).await;
}
