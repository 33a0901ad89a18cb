//! The connection table: which clients hold the listener's slots, how much
//! progress each is making, and which one to shed when a newcomer needs a
//! slot.
//!
//! Why shed instead of making newcomers wait: a listener that stops
//! accepting when it is full hands the branch to whoever fills it first.
//! 1,024 clients that sent a body a byte every few seconds kept every
//! declarant out for up to `request_timeout` (180 s). Now a newcomer to a
//! full table takes the slot of the connection that has moved the fewest
//! bytes per second since its current request began, or since its last
//! answer: an idle keep-alive connection has moved none and goes first, a
//! trickling client next. Only a connection that is waiting for its client
//! can be shed. Never shed are:
//! - one whose request is whole and being answered, because its answer may
//!   carry a declaration number that was just committed;
//! - one whose client has sent something the appliance has not read yet:
//!   it is waiting for the appliance, and when the CPU is the bottleneck
//!   (thousands of handshakes at once) shedding it would throw away work
//!   and gain nothing;
//! - one younger than the grace, so that a terminal on a slow link gets
//!   through its handshake and first request.
//!
//! When every connection is one of those, the newcomer waits, as before.
//!
//! Why a per-client cap as well: without it, one address that opens
//! connections as fast as it can makes the table shed everyone else's slow
//! but real connections. With it, an address at its cap can only shed its
//! own connections, and the table as a whole sheds only when many addresses
//! are at it at once. The cap sheds within the address, rather than refusing,
//! because a broker's office puts many terminals behind one NAT address:
//! the office's idle keep-alive connections then make way for its new
//! requests. Its default (64) is generous for the same reason. An IPv6
//! client is counted by its /64, which one host usually holds whole.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv6Addr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;

/// Why a connection was shed: the `reason` of
/// `outpost_connections_shed_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shed {
    /// The TLS handshake did not finish within `header_read_timeout`.
    HandshakeTimeout,
    /// No whole request head within `header_read_timeout`, also while idle
    /// between keep-alive requests.
    HeaderTimeout,
    /// The body fell behind `min_body_rate_bytes_per_sec`.
    BodyTooSlow,
    /// The body took longer than `request_timeout`.
    BodyTimeout,
    /// Shed for a newcomer while `max_connections` were open.
    Full,
    /// Shed for a newcomer from the same client at `max_connections_per_ip`.
    PerClient,
    /// A newcomer refused: its client was at `max_connections_per_ip` with
    /// nothing it could shed.
    Refused,
    /// The client took none of its answer for `header_read_timeout`.
    WriteStalled,
}

impl Shed {
    pub const ALL: [Shed; 8] = [
        Shed::HandshakeTimeout,
        Shed::HeaderTimeout,
        Shed::BodyTooSlow,
        Shed::BodyTimeout,
        Shed::Full,
        Shed::PerClient,
        Shed::Refused,
        Shed::WriteStalled,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Shed::HandshakeTimeout => "handshake_timeout",
            Shed::HeaderTimeout => "header_timeout",
            Shed::BodyTooSlow => "body_too_slow",
            Shed::BodyTimeout => "body_timeout",
            Shed::Full => "shed_when_full",
            Shed::PerClient => "shed_per_client",
            Shed::Refused => "refused_per_client",
            Shed::WriteStalled => "write_stalled",
        }
    }
}

/// The address a per-client cap counts by: an IPv4 address (also when it
/// arrives IPv4-mapped on a dual-stack socket), or an IPv6 /64.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// How often a newcomer at a full table looks again while connections
/// past their grace are busy on the appliance's side.
pub const RECHECK: Duration = Duration::from_millis(250);

/// What a connection has done in its current phase, which begins when it
/// is accepted and again after each answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Its request is whole and being answered.
    pub answering: bool,
    /// The appliance has read everything the client sent and waits for
    /// more; otherwise the next move is the appliance's.
    pub waiting: bool,
    /// Time since the phase began.
    pub elapsed: Duration,
    /// Bytes moved either way since then: a terminal downloading a long
    /// answer slowly is making progress too.
    pub moved: u64,
}

impl Progress {
    /// Whether `self` is behind `other`: fewer bytes per second, or as few
    /// for longer.
    fn behind(&self, other: &Progress) -> bool {
        let mine = u128::from(self.moved) * other.elapsed.as_nanos();
        let theirs = u128::from(other.moved) * self.elapsed.as_nanos();
        mine < theirs || (mine == theirs && self.elapsed > other.elapsed)
    }
}

/// What to do for a newcomer when there is no free slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice<K> {
    /// Shed this connection and give its slot to the newcomer.
    Shed(K),
    /// Nothing can be shed now; the first connection leaves its grace after
    /// this long, or never while all of them are being answered.
    Wait(Option<Duration>),
}

/// The connection to shed: the one furthest behind, among those past the
/// grace that wait for their client.
pub fn choose<K: Copy>(
    conns: impl IntoIterator<Item = (K, Progress)>,
    grace: Duration,
) -> Choice<K> {
    let mut behind: Option<(K, Progress)> = None;
    let mut wait: Option<Duration> = None;
    for (k, p) in conns {
        if p.answering {
            continue;
        }
        let until_sheddable = if p.elapsed < grace {
            Some(grace - p.elapsed)
        } else if !p.waiting {
            Some(RECHECK)
        } else {
            None
        };
        if let Some(left) = until_sheddable {
            wait = Some(wait.map_or(left, |w| w.min(left)));
            continue;
        }
        if behind.as_ref().is_none_or(|(_, b)| p.behind(b)) {
            behind = Some((k, p));
        }
    }
    match behind {
        Some((k, _)) => Choice::Shed(k),
        None => Choice::Wait(wait),
    }
}

/// One open connection, as the table and its task share it.
#[derive(Debug)]
struct Slot {
    id: u64,
    client: IpAddr,
    /// Bytes moved either way since it was accepted.
    moved: AtomicU64,
    /// When the current phase began, nanoseconds after the table's epoch,
    /// and `moved` then.
    phase_began: AtomicU64,
    phase_moved: AtomicU64,
    answering: AtomicBool,
    /// A read found nothing from the client, and nothing has arrived since.
    waiting: AtomicBool,
    /// Woken when the table sheds this connection.
    shed: Notify,
}

impl Slot {
    fn progress(&self, now: u64) -> Progress {
        Progress {
            answering: self.answering.load(Relaxed),
            waiting: self.waiting.load(Relaxed),
            elapsed: Duration::from_nanos(now.saturating_sub(self.phase_began.load(Relaxed))),
            moved: self
                .moved
                .load(Relaxed)
                .saturating_sub(self.phase_moved.load(Relaxed)),
        }
    }
}

#[derive(Debug, Default)]
struct Open {
    next_id: u64,
    slots: HashMap<u64, Arc<Slot>>,
    per_client: HashMap<IpAddr, usize>,
}

/// The listener's open connections and what it shed.
#[derive(Debug)]
pub struct Table {
    epoch: Instant,
    max: usize,
    per_client: usize,
    grace: Duration,
    open: Mutex<Open>,
    /// Woken when a slot frees up.
    freed: Notify,
    shed: [AtomicU64; Shed::ALL.len()],
}

/// The answer to a newcomer.
#[derive(Debug)]
pub enum Admission {
    Open(Lease),
    /// Its client is at its cap with nothing to shed: close it.
    Refused,
    /// The table is full with nothing to shed: keep it waiting, at most
    /// this long before asking again (or until a slot frees up).
    Wait(Option<Duration>),
}

impl Table {
    pub fn new(max: usize, per_client: usize, grace: Duration) -> Table {
        Table {
            epoch: Instant::now(),
            max,
            per_client,
            grace,
            open: Mutex::new(Open::default()),
            freed: Notify::new(),
            shed: Default::default(),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn lock(&self) -> MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A slot for a newcomer from `ip`, shedding another connection for it
    /// when the client or the table is at its cap.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Admission {
        let client = client_key(ip);
        let now = self.now();
        let mut open = self.lock();
        if open.per_client.get(&client).copied().unwrap_or(0) >= self.per_client {
            let own = open
                .slots
                .values()
                .filter(|s| s.client == client)
                .map(|s| (s.id, s.progress(now)));
            match choose(own, self.grace) {
                Choice::Shed(id) => self.evict(&mut open, id, Shed::PerClient),
                Choice::Wait(_) => {
                    self.count(Shed::Refused);
                    return Admission::Refused;
                }
            }
        }
        if open.slots.len() >= self.max {
            let all = open.slots.values().map(|s| (s.id, s.progress(now)));
            match choose(all, self.grace) {
                Choice::Shed(id) => self.evict(&mut open, id, Shed::Full),
                Choice::Wait(w) => return Admission::Wait(w),
            }
        }
        let id = open.next_id;
        open.next_id += 1;
        let slot = Arc::new(Slot {
            id,
            client,
            moved: AtomicU64::new(0),
            phase_began: AtomicU64::new(now),
            phase_moved: AtomicU64::new(0),
            answering: AtomicBool::new(false),
            waiting: AtomicBool::new(false),
            shed: Notify::new(),
        });
        open.slots.insert(id, slot.clone());
        *open.per_client.entry(client).or_default() += 1;
        Admission::Open(Lease {
            conn: Conn {
                table: self.clone(),
                slot,
            },
        })
    }

    fn evict(&self, open: &mut Open, id: u64, why: Shed) {
        if let Some(slot) = Self::remove(open, id) {
            slot.shed.notify_one();
            self.count(why);
        }
    }

    fn remove(open: &mut Open, id: u64) -> Option<Arc<Slot>> {
        let slot = open.slots.remove(&id)?;
        if let Some(n) = open.per_client.get_mut(&slot.client) {
            *n -= 1;
            if *n == 0 {
                open.per_client.remove(&slot.client);
            }
        }
        Some(slot)
    }

    pub fn count(&self, why: Shed) {
        let i = Shed::ALL.iter().position(|s| *s == why).unwrap_or(0);
        self.shed[i].fetch_add(1, Relaxed);
    }

    /// Resolves when a slot has been freed since the last call.
    pub async fn freed(&self) {
        self.freed.notified().await
    }

    pub fn open(&self) -> usize {
        self.lock().slots.len()
    }

    /// Connections shed so far, by reason label, every reason listed.
    pub fn shed_counts(&self) -> Vec<(&'static str, u64)> {
        Shed::ALL
            .iter()
            .zip(&self.shed)
            .map(|(s, n)| (s.label(), n.load(Relaxed)))
            .collect()
    }
}

/// A connection's handle on its slot: the request path marks its phases
/// and counts why it cut a request.
#[derive(Debug, Clone)]
pub struct Conn {
    table: Arc<Table>,
    slot: Arc<Slot>,
}

impl Conn {
    /// The request is whole: the connection is not shed while it is
    /// answered.
    pub fn answering(&self) {
        self.slot.answering.store(true, Relaxed);
    }

    /// The answer is ready: a new phase begins, for writing it out and for
    /// the client's next request.
    pub fn answered(&self) {
        self.slot
            .phase_moved
            .store(self.slot.moved.load(Relaxed), Relaxed);
        self.slot.phase_began.store(self.table.now(), Relaxed);
        self.slot.answering.store(false, Relaxed);
    }

    pub fn count(&self, why: Shed) {
        self.table.count(why);
    }

    pub fn table(&self) -> &Table {
        &self.table
    }

    /// Resolves when the table sheds this connection for a newcomer.
    pub async fn shed(&self) {
        self.slot.shed.notified().await
    }

    /// `io` with its bytes counted as this connection's progress, and its
    /// writes failed once they have made no progress for `write_stall`.
    pub fn counted<T>(&self, io: T, write_stall: Duration) -> Counted<T> {
        Counted {
            io,
            conn: self.clone(),
            write_stall,
            stalled_since: None,
        }
    }
}

/// A slot held: dropping it frees the slot, unless the table already shed
/// the connection.
#[derive(Debug)]
pub struct Lease {
    conn: Conn,
}

impl Lease {
    pub fn conn(&self) -> &Conn {
        &self.conn
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let table = &self.conn.table;
        let freed = Table::remove(&mut table.lock(), self.conn.slot.id).is_some();
        if freed {
            table.freed.notify_one();
        }
    }
}

/// A stream whose reads and writes count towards its connection's
/// progress, and whose reads tell whether the connection waits for its
/// client.
///
/// Its writes also have a bound, which hyper has not: a client that sends
/// requests but never reads the answers would otherwise hold its
/// connection, and the answer's memory, until the listener is full and
/// sheds it. A write, flush or shutdown that has made no progress for
/// `write_stall` fails with `TimedOut`, and hyper closes the connection.
#[derive(Debug)]
pub struct Counted<T> {
    io: T,
    conn: Conn,
    write_stall: Duration,
    /// Since when the writes have found no room, if they found none.
    stalled_since: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<T> Counted<T> {
    fn moved(&self, n: usize) {
        if n > 0 {
            self.conn.slot.moved.fetch_add(n as u64, Relaxed);
        }
    }

    /// Passes on the outcome `r` of a write-side call, unless it is one
    /// more `Pending` after `write_stall` without progress.
    fn bounded<R>(
        &mut self,
        cx: &mut Context<'_>,
        r: Poll<std::io::Result<R>>,
    ) -> Poll<std::io::Result<R>> {
        if r.is_ready() {
            self.stalled_since = None;
            return r;
        }
        let stall = self.write_stall;
        let timer = self
            .stalled_since
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(stall)));
        if timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.conn.count(Shed::WriteStalled);
        Poll::Ready(Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("the client took none of its answer for {stall:?}"),
        )))
    }
}

/// The waker a read that found nothing leaves behind: when the client's
/// bytes arrive, the connection stops waiting for its client at once, even
/// if the appliance is too busy to read them yet.
struct Arrival {
    slot: Arc<Slot>,
    task: Waker,
}

impl Wake for Arrival {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.slot.waiting.store(false, Relaxed);
        self.task.wake_by_ref();
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Counted<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let mut r = Pin::new(&mut this.io).poll_read(cx, buf);
        if r.is_pending() {
            // Ask again with a waker that notes the arrival; only reads
            // that find nothing pay for it.
            let arrival = Waker::from(Arc::new(Arrival {
                slot: this.conn.slot.clone(),
                task: cx.waker().clone(),
            }));
            this.conn.slot.waiting.store(true, Relaxed);
            r = Pin::new(&mut this.io).poll_read(&mut Context::from_waker(&arrival), buf);
        }
        if r.is_ready() {
            this.conn.slot.waiting.store(false, Relaxed);
        }
        this.moved(buf.filled().len() - before);
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Counted<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = r {
            this.moved(n);
        }
        this.bounded(cx, r)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = r {
            this.moved(n);
        }
        this.bounded(cx, r)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_flush(cx);
        this.bounded(cx, r)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_shutdown(cx);
        this.bounded(cx, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::DuplexStream;

    /// A connection waiting for its client, or being answered.
    fn p(answering: bool, elapsed_ms: u64, moved: u64) -> Progress {
        Progress {
            answering,
            waiting: !answering,
            elapsed: Duration::from_millis(elapsed_ms),
            moved,
        }
    }

    #[test]
    fn the_connection_furthest_behind_is_shed() {
        let grace = Duration::from_secs(10);
        let idle = p(false, 25_000, 0);
        let idle_longer = p(false, 29_000, 0);
        let drip = p(false, 20_000, 10); // 0.5 B/s
        let trickle = p(false, 60_000, 30_000); // 500 B/s
        let uploading = p(false, 12_000, 600_000); // 50 KB/s
        let answering = p(true, 170_000, 0);
        let new = p(false, 9_999, 0);
        // Its client's bytes are in, the appliance has not read them yet.
        let unread = Progress {
            waiting: false,
            ..p(false, 40_000, 0)
        };
        let cases: [(&str, &[Progress], Choice<usize>); 12] = [
            ("empty", &[], Choice::Wait(None)),
            ("idle first", &[drip, idle, uploading], Choice::Shed(1)),
            ("longest idle", &[idle, idle_longer], Choice::Shed(1)),
            ("slowest rate", &[uploading, trickle, drip], Choice::Shed(2)),
            (
                "trickle before upload",
                &[uploading, trickle],
                Choice::Shed(1),
            ),
            (
                "answering is never shed",
                &[answering, uploading],
                Choice::Shed(1),
            ),
            (
                "only answering",
                &[answering, answering],
                Choice::Wait(None),
            ),
            (
                "new ones wait out their grace",
                &[new, answering, p(false, 4_000, 0)],
                Choice::Wait(Some(Duration::from_millis(1))),
            ),
            (
                "a new one is not shed for an old slow one",
                &[new, drip],
                Choice::Shed(1),
            ),
            (
                "the grace ends exactly",
                &[p(false, 10_000, 5)],
                Choice::Shed(0),
            ),
            (
                "not one waiting for the appliance",
                &[unread, trickle],
                Choice::Shed(1),
            ),
            (
                "only ones waiting for the appliance: look again soon",
                &[unread, answering, p(false, 9_000, 0)],
                Choice::Wait(Some(RECHECK)),
            ),
        ];
        for (name, conns, want) in cases {
            let got = choose(conns.iter().copied().enumerate(), grace);
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn clients_are_counted_by_ipv4_address_or_ipv6_64() {
        let cases = [
            ("10.1.2.3", "10.1.2.3"),
            ("::ffff:10.1.2.3", "10.1.2.3"),
            ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::"),
            ("2001:db8:1:2::1", "2001:db8:1:2::"),
            ("::1", "::"),
        ];
        for (ip, want) in cases {
            let got = client_key(ip.parse().unwrap());
            assert_eq!(got, want.parse::<IpAddr>().unwrap(), "{ip}");
        }
    }

    /// A slot for a client that then sends nothing: the appliance reads,
    /// finds nothing, and waits for it. Its end of the pipe comes with it,
    /// then the client's end.
    type Held = (Lease, Counted<DuplexStream>, DuplexStream);

    fn lease(a: Admission) -> Held {
        let Admission::Open(lease) = a else {
            panic!("expected a slot, got {a:?}");
        };
        let (server, client) = tokio::io::duplex(64);
        let mut io = lease.conn().counted(server, Duration::from_secs(3600));
        let mut buf = [0u8; 8];
        let mut buf = ReadBuf::new(&mut buf);
        let r = Pin::new(&mut io).poll_read(&mut Context::from_waker(Waker::noop()), &mut buf);
        assert!(r.is_pending());
        (lease, io, client)
    }

    #[test]
    fn a_connection_waits_for_its_client_until_bytes_arrive() {
        let t = Arc::new(Table::new(1, 1, Duration::ZERO));
        let (l, _io, mut client) = lease(t.admit("10.0.0.1".parse().unwrap()));
        let now = t.now();
        assert!(l.conn().slot.progress(now).waiting);
        // The bytes wake the read: the next move is the appliance's, before
        // it has read anything.
        let w = Pin::new(&mut client).poll_write(&mut Context::from_waker(Waker::noop()), b"GET");
        assert!(matches!(w, Poll::Ready(Ok(3))), "{w:?}");
        let p = l.conn().slot.progress(now);
        assert!(!p.waiting && p.moved == 0, "{p:?}");
        assert!(matches!(
            t.admit("10.0.0.2".parse().unwrap()),
            Admission::Wait(Some(RECHECK))
        ));
    }

    #[tokio::test]
    async fn a_write_that_finds_no_room_for_the_stall_bound_fails() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let t = Arc::new(Table::new(1, 1, Duration::ZERO));
        let Admission::Open(lease) = t.admit("10.0.0.1".parse().unwrap()) else {
            panic!("expected a slot");
        };
        let (server, mut client) = tokio::io::duplex(64);
        let stall = Duration::from_millis(500);
        let mut io = lease.conn().counted(server, stall);
        // A client that reads keeps the writes going, however long it takes.
        let reader = tokio::spawn(async move {
            let mut got = vec![0u8; 1000];
            client.read_exact(&mut got).await.unwrap();
            client
        });
        io.write_all(&[7u8; 1000]).await.unwrap();
        let _client = reader.await.unwrap();
        let counts: HashMap<_, _> = t.shed_counts().into_iter().collect();
        assert_eq!(counts["write_stalled"], 0);
        // One that stops reading: the pipe fills, and the write fails.
        let e = io.write_all(&[7u8; 1000]).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::TimedOut, "{e}");
        let counts: HashMap<_, _> = t.shed_counts().into_iter().collect();
        assert_eq!(counts["write_stalled"], 1);
    }

    #[test]
    fn a_full_table_sheds_for_newcomers_and_frees_slots_on_drop() {
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        // No grace: every connection can be shed as soon as it is open.
        let t = Arc::new(Table::new(3, 2, Duration::ZERO));
        let a1 = lease(t.admit(a));
        let a2 = lease(t.admit(a));
        a2.0.conn().answering();
        // a is at its cap of 2: its newcomer sheds a1, its own connection
        // that is not being answered.
        let a3 = lease(t.admit(a));
        assert_eq!(t.open(), 2);
        let b1 = lease(t.admit(b));
        // The table is full (3): b's newcomer sheds the connection furthest
        // behind; a3 and b1 have moved nothing, a3 for longer.
        b1.0.conn().counted((), Duration::MAX).moved(100);
        let b2 = lease(t.admit(b));
        assert_eq!(t.open(), 3);
        let counts: HashMap<_, _> = t.shed_counts().into_iter().collect();
        assert_eq!(counts["shed_per_client"], 1);
        assert_eq!(counts["shed_when_full"], 1);
        // b is at its cap again: its newcomer sheds b1, the one of its two
        // that is not being answered.
        b2.0.conn().answering();
        let b3 = lease(t.admit(b));
        b3.0.conn().answering();
        // Now every connection is being answered: a newcomer from b is
        // refused, one from elsewhere waits.
        assert!(matches!(t.admit(b), Admission::Refused));
        let c: IpAddr = "10.0.0.3".parse().unwrap();
        assert!(matches!(t.admit(c), Admission::Wait(None)));
        // Leases already shed free nothing twice; a live one frees its slot.
        drop((a1, a3, b1));
        assert_eq!(t.open(), 3);
        a2.0.conn().answered();
        drop(a2);
        assert_eq!(t.open(), 2);
        let c1 = lease(t.admit(c));
        assert_eq!(t.open(), 3);
        let counts: HashMap<_, _> = t.shed_counts().into_iter().collect();
        assert_eq!(counts["refused_per_client"], 1);
        assert_eq!(counts["shed_per_client"], 2);
        drop((b2, b3, c1));
        assert_eq!(t.open(), 0);
    }
}
