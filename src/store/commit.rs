//! Group commit: writers wait for durability, one flush serves them all.
//!
//! sled makes nothing durable until `flush()`, and its `flush_async` can
//! deadlock under many concurrent callers, so a thread of our own runs the
//! blocking flush. A writer takes a ticket after its in-memory write; the
//! flusher flushes once for every ticket issued so far and wakes them all.
//!
//! On a full disk sled's flush either fails or never returns, even once
//! space is back (both were seen; see BENCHMARKS.md). So a writer waits at
//! most the flush timeout, and once no flush has finished for that long
//! while writes wait, new writes are refused at once instead of piling up
//! behind it. A failed write (a flush, or a transaction inside sled,
//! reported with `fail`) is final: sled keeps its I/O error for good, and
//! an fsync that succeeds after one that failed says nothing about the
//! pages the failed one lost. Only a restart makes writes durable again
//! (sled recovers from its log when it opens), which is why the appliance
//! exits when the store stays unhealthy (`main.rs`).

use std::fs::File;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::metrics::Histogram;

/// One flush of everything written so far. The real one is
/// [`sled_flush`]; the tests hold one back to play a stuck disk.
pub type Flush = Box<dyn FnMut() -> Result<(), String> + Send>;

/// sled's `flush()`, then `sync_data` on its main file `db_file`: sled's
/// flush uses sync_file_range, which does not flush the drive's cache or
/// metadata.
pub fn sled_flush(db: sled::Db, db_file: File) -> Flush {
    Box::new(move || {
        db.flush().map_err(|e| e.to_string())?;
        db_file.sync_data().map_err(|e| e.to_string())
    })
}

/// How long a writer waits for its flush unless told otherwise
/// (`flush_timeout_secs`).
pub const DEFAULT_FLUSH_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlushError {
    /// The flush that covered this write failed, or an earlier write did.
    #[error("the store could not write to disk: {0}")]
    Failed(String),
    /// No flush finished within the timeout; the write may still become
    /// durable later, but nothing promises it.
    #[error("no flush finished within {0:.1?}; the write is not confirmed")]
    TimedOut(Duration),
    /// Refused before waiting, because waiting would not help.
    #[error("writes are refused: {0}")]
    Refused(Unhealthy),
}

/// The flush thread did not finish in the time `stop` gave it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the flush thread did not finish within {0:.1?}")]
pub struct StuckFlush(pub Duration);

struct State {
    issued: u64,
    completed: u64,
    /// Writers blocked in `wait` now (a writer that timed out has left,
    /// though its ticket is still pending).
    waiting: u64,
    /// When the flusher last finished a flush that succeeded, or when work
    /// arrived while it was idle: how long the oldest pending write can
    /// have waited.
    progress_at: Instant,
    /// The first failure: the first ticket not flushed before it, the
    /// error, and when. Every ticket from there on fails, even one that a
    /// flush in progress then reports done.
    failed: Option<(u64, String, Instant)>,
    timeout: Duration,
    stop: bool,
    /// The flush thread has done its last flush and returns.
    exited: bool,
    stats: CommitStats,
}

impl State {
    fn new(now: Instant) -> State {
        State {
            issued: 0,
            completed: 0,
            waiting: 0,
            progress_at: now,
            failed: None,
            timeout: DEFAULT_FLUSH_TIMEOUT,
            stop: false,
            exited: false,
            stats: CommitStats::default(),
        }
    }

    /// How long writes have waited without a flush finishing, when some
    /// wait.
    fn stalled_for(&self, now: Instant) -> Option<Duration> {
        (self.issued > self.completed).then(|| now.saturating_duration_since(self.progress_at))
    }

    /// Why writes cannot become durable now: stopping, a failed flush, or
    /// writes waiting `limit` or longer without a flush finishing.
    fn unhealthy(&self, now: Instant, limit: Duration) -> Option<Unhealthy> {
        if self.stop || self.exited {
            return Some(Unhealthy::Stopped);
        }
        if let Some((_, error, at)) = &self.failed {
            return Some(Unhealthy::Failed {
                error: error.clone(),
                ago: now.saturating_duration_since(*at),
            });
        }
        self.stalled_for(now)
            .filter(|waited| *waited >= limit)
            .map(Unhealthy::Stalled)
    }
}

/// Why the group commit cannot be trusted to make writes durable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unhealthy {
    #[error("the flush thread has stopped")]
    Stopped,
    #[error("no write has become durable for {0:.1?} while writes wait")]
    Stalled(Duration),
    #[error(
        "a write to disk failed {ago:.1?} ago ({error}); only a restart makes writes durable again"
    )]
    Failed { error: String, ago: Duration },
}

impl Unhealthy {
    /// How long writes have not been made durable; `None` for a store
    /// stopped on purpose.
    pub fn lasted(&self) -> Option<Duration> {
        match self {
            Unhealthy::Stopped => None,
            Unhealthy::Stalled(d) => Some(*d),
            Unhealthy::Failed { ago, .. } => Some(*ago),
        }
    }
}

/// Counters for benchmarks and metrics.
#[derive(Debug, Default, Clone, Copy)]
pub struct CommitStats {
    pub flushes: u64,
    pub writes: u64,
    pub flush_time: Duration,
    /// Writers waiting for a flush right now.
    pub waiting: u64,
    /// How long the oldest write not yet durable has waited without a
    /// flush finishing, or how long ago a flush failed; zero when all is
    /// well.
    pub stalled: Duration,
    /// Writers that gave up waiting for their flush.
    pub timeouts: u64,
    /// Flushes, or writes inside sled, that failed.
    pub failures: u64,
}

struct Shared {
    state: Mutex<State>,
    work: Condvar,
    done: Condvar,
    flush_latency: Histogram,
}

pub struct GroupCommit {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic while holding this lock cannot leave the counters half-updated.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl GroupCommit {
    /// Starts the flush thread with `flush` as its flush and the default
    /// timeout.
    pub fn start(flush: Flush) -> GroupCommit {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::new(Instant::now())),
            work: Condvar::new(),
            done: Condvar::new(),
            flush_latency: Histogram::default(),
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("outpost-flush".into())
            .spawn(move || flusher(&s, flush))
            .expect("spawning the flush thread");
        GroupCommit {
            shared,
            thread: Mutex::new(Some(thread)),
        }
    }

    /// How long a writer waits for its flush from now on.
    pub fn set_timeout(&self, timeout: Duration) {
        lock(&self.shared.state).timeout = timeout;
    }

    pub fn timeout(&self) -> Duration {
        lock(&self.shared.state).timeout
    }

    /// Blocks until everything written before this call is on disk, for at
    /// most the timeout. Refuses at once while the store is unhealthy
    /// (stopping, a flush failed, or writes have waited the timeout without
    /// a flush finishing).
    pub fn wait(&self) -> Result<(), FlushError> {
        let mut st = lock(&self.shared.state);
        let now = Instant::now();
        if let Some(why) = st.unhealthy(now, st.timeout) {
            return Err(FlushError::Refused(why));
        }
        if st.issued == st.completed {
            st.progress_at = now;
        }
        st.issued += 1;
        st.stats.writes += 1;
        st.waiting += 1;
        let ticket = st.issued;
        let timeout = st.timeout;
        self.shared.work.notify_one();
        let mut st = self.done_or(st, now + timeout, |st| st.completed >= ticket);
        st.waiting -= 1;
        if st.completed < ticket {
            st.stats.timeouts += 1;
            return Err(FlushError::TimedOut(timeout));
        }
        match &st.failed {
            Some((first, error, _)) if ticket >= *first => Err(FlushError::Failed(error.clone())),
            _ => Ok(()),
        }
    }

    /// Records that a write failed in sled itself: sled keeps an I/O error
    /// for good, so nothing not yet flushed becomes durable, as after a
    /// failed flush. Writes already waiting fail too: a flush that returns
    /// after this cannot vouch for them.
    pub fn fail(&self, error: String) {
        let mut st = lock(&self.shared.state);
        if st.failed.is_none() {
            log::error!("write failed: {error}");
            st.failed = Some((st.completed + 1, error, Instant::now()));
            st.stats.failures += 1;
        }
    }

    /// Waits on the flusher's progress until `done` holds or `deadline`
    /// passes, whichever comes first.
    fn done_or<'a>(
        &'a self,
        mut st: MutexGuard<'a, State>,
        deadline: Instant,
        done: impl Fn(&State) -> bool,
    ) -> MutexGuard<'a, State> {
        while !done(&st) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            st = self
                .shared
                .done
                .wait_timeout(st, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        st
    }

    pub fn stats(&self) -> CommitStats {
        let st = lock(&self.shared.state);
        let now = Instant::now();
        let stalled = match &st.failed {
            Some((_, _, at)) => now.saturating_duration_since(*at),
            None => st.stalled_for(now).unwrap_or_default(),
        };
        CommitStats {
            waiting: st.waiting,
            stalled,
            ..st.stats
        }
    }

    /// How long each flush took.
    pub fn flush_latency(&self) -> &Histogram {
        &self.shared.flush_latency
    }

    /// Whether writes still become durable: the flush thread runs, no flush
    /// has failed, and no write has waited `limit` or longer without a
    /// flush finishing. The watchdog and `/readyz` ask this.
    pub fn health(&self, limit: Duration) -> Result<(), Unhealthy> {
        let thread_gone = self
            .thread
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_none_or(|t| t.is_finished());
        if thread_gone {
            return Err(Unhealthy::Stopped);
        }
        match lock(&self.shared.state).unhealthy(Instant::now(), limit) {
            Some(why) => Err(why),
            None => Ok(()),
        }
    }

    /// Flushes what is pending and stops the thread, waiting for it at
    /// most `within`. A flush stuck in sled or the kernel cannot be
    /// interrupted: past `within` the thread is left behind and the error
    /// says so.
    pub fn stop(&self, within: Duration) -> Result<(), StuckFlush> {
        let deadline = Instant::now() + within;
        let mut st = lock(&self.shared.state);
        st.stop = true;
        self.shared.work.notify_one();
        let st = self.done_or(st, deadline, |st| st.exited);
        if !st.exited {
            return Err(StuckFlush(within));
        }
        drop(st);
        if let Some(t) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = t.join();
        }
        Ok(())
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        let within = self.timeout();
        if let Err(e) = self.stop(within) {
            log::error!("closing the store: {e}");
        }
    }
}

fn flusher(s: &Shared, mut flush: Flush) {
    loop {
        let (target, failed) = {
            let mut st = lock(&s.state);
            while st.issued == st.completed && !st.stop {
                st = s.work.wait(st).unwrap_or_else(|e| e.into_inner());
            }
            if st.issued == st.completed {
                break;
            }
            (st.issued, st.failed.is_some())
        };
        // After a failure nothing becomes durable: answer without asking
        // the disk again.
        let (result, took) = if failed {
            (Ok(()), Duration::ZERO)
        } else {
            let started = Instant::now();
            let result = flush();
            let took = started.elapsed();
            s.flush_latency.observe(took);
            (result, took)
        };
        let mut st = lock(&s.state);
        let now = Instant::now();
        match result {
            Ok(()) if !failed => st.progress_at = now,
            Ok(()) => {}
            Err(e) => {
                log::error!("flush failed: {e}");
                st.failed = Some((st.completed + 1, format!("flush: {e}"), now));
                st.stats.failures += 1;
            }
        }
        st.completed = target;
        st.stats.flushes += 1;
        st.stats.flush_time += took;
        s.done.notify_all();
    }
    // Whatever was written without a waiter (acknowledgements) goes down too.
    if lock(&s.state).failed.is_none() {
        if let Err(e) = flush() {
            log::error!("final flush failed: {e}");
        }
    }
    lock(&s.state).exited = true;
    s.done.notify_all();
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc::{channel, Receiver, Sender};

    /// A flush the test holds back: while `shut` is set, each flush says
    /// it started on `started` and waits for the verdict sent on `release`;
    /// a flush let through runs `then` (the real flush, or nothing).
    pub(crate) struct Held {
        pub shut: Arc<AtomicBool>,
        pub started: Receiver<()>,
        pub release: Sender<Result<(), String>>,
    }

    pub(crate) fn held(
        shut: bool,
        mut then: impl FnMut() -> Result<(), String> + Send + 'static,
    ) -> (Flush, Held) {
        let shut = Arc::new(AtomicBool::new(shut));
        let (started_tx, started) = channel();
        let (release, release_rx) = channel::<Result<(), String>>();
        let gate = shut.clone();
        let flush: Flush = Box::new(move || {
            if gate.load(Ordering::SeqCst) {
                let _ = started_tx.send(());
                release_rx
                    .recv()
                    .unwrap_or_else(|_| Err("the test went away".into()))?;
            }
            then()
        });
        let held = Held {
            shut,
            started,
            release,
        };
        (flush, held)
    }

    fn waiter(gc: &Arc<GroupCommit>) -> std::thread::JoinHandle<Result<(), FlushError>> {
        let gc = gc.clone();
        std::thread::spawn(move || gc.wait())
    }

    #[test]
    fn stalled_only_when_writes_wait_the_limit() {
        let t0 = Instant::now();
        let limit = Duration::from_secs(5);
        let at = |issued, completed, secs_later| {
            let st = State {
                issued,
                completed,
                ..State::new(t0)
            };
            st.unhealthy(t0 + Duration::from_secs(secs_later), limit)
        };
        assert_eq!(at(0, 0, 3600), None, "idle for an hour is not stalled");
        assert_eq!(at(7, 7, 60), None, "everything flushed");
        assert_eq!(at(8, 7, 4), None, "waiting, but within the limit");
        assert_eq!(at(8, 7, 5), Some(Unhealthy::Stalled(limit)));
        let failed = State {
            failed: Some((3, "ENOSPC".into(), t0)),
            ..State::new(t0)
        };
        let why = failed.unhealthy(t0 + limit, Duration::from_secs(3600));
        assert_eq!(
            why,
            Some(Unhealthy::Failed {
                error: "ENOSPC".into(),
                ago: limit
            }),
            "a failure does not wait for the limit"
        );
        assert_eq!(why.unwrap().lasted(), Some(limit));
        assert_eq!(Unhealthy::Stopped.lasted(), None);
    }

    #[test]
    fn a_stuck_flush_times_out_its_writers_refuses_new_ones_and_recovers() {
        let (flush, h) = held(true, || Ok(()));
        let gc = Arc::new(GroupCommit::start(flush));
        let timeout = Duration::from_millis(100);
        gc.set_timeout(timeout);

        let first = waiter(&gc);
        h.started.recv().unwrap();
        assert_eq!(first.join().unwrap(), Err(FlushError::TimedOut(timeout)));
        let stats = gc.stats();
        assert_eq!((stats.timeouts, stats.waiting), (1, 0));
        assert!(stats.stalled >= timeout, "{stats:?}");
        assert!(
            matches!(gc.health(timeout), Err(Unhealthy::Stalled(d)) if d >= timeout),
            "{:?}",
            gc.health(timeout)
        );

        // While it is stuck, a new writer is refused without waiting.
        let refused = gc.wait();
        assert!(
            matches!(refused, Err(FlushError::Refused(Unhealthy::Stalled(_)))),
            "{refused:?}"
        );
        assert_eq!(gc.stats().timeouts, 1, "the refused writer did not wait");

        // The flush returns: the store is healthy and writers are served.
        h.release.send(Ok(())).unwrap();
        while gc.stats().flushes < 1 {
            std::thread::yield_now();
        }
        let next = waiter(&gc);
        h.started.recv().unwrap();
        h.release.send(Ok(())).unwrap();
        assert_eq!(next.join().unwrap(), Ok(()));
        assert_eq!(gc.health(timeout), Ok(()));
        assert_eq!(gc.stats().stalled, Duration::ZERO);
        h.shut.store(false, Ordering::SeqCst);
        gc.stop(Duration::from_secs(60)).unwrap();
    }

    #[test]
    fn stop_gives_up_on_a_stuck_flush_after_its_bound() {
        let (flush, h) = held(true, || Ok(()));
        let gc = Arc::new(GroupCommit::start(flush));
        gc.set_timeout(Duration::from_millis(50));
        let w = waiter(&gc);
        h.started.recv().unwrap();
        let within = Duration::from_millis(50);
        assert_eq!(gc.stop(within), Err(StuckFlush(within)));
        assert!(w.join().unwrap().is_err());
        // Once the flush returns, the thread does its final flush and ends.
        h.release.send(Ok(())).unwrap();
        h.started.recv().unwrap();
        h.release.send(Ok(())).unwrap();
        assert_eq!(gc.stop(Duration::from_secs(60)), Ok(()));
        assert_eq!(gc.health(within), Err(Unhealthy::Stopped));
    }

    #[test]
    fn a_failed_flush_is_final() {
        let (flush, h) = held(true, || Ok(()));
        let gc = Arc::new(GroupCommit::start(flush));
        let w = waiter(&gc);
        h.started.recv().unwrap();
        h.release
            .send(Err("No space left on device".into()))
            .unwrap();
        assert_eq!(
            w.join().unwrap(),
            Err(FlushError::Failed("flush: No space left on device".into()))
        );
        let refused = gc.wait();
        assert!(
            matches!(refused, Err(FlushError::Refused(Unhealthy::Failed { .. }))),
            "{refused:?}"
        );
        assert!(matches!(
            gc.health(Duration::from_secs(3600)),
            Err(Unhealthy::Failed { .. })
        ));
        assert_eq!(gc.stats().failures, 1);
        // No final flush either: the disk is not asked again.
        gc.stop(Duration::from_secs(60)).unwrap();
        assert!(h.started.try_recv().is_err());
    }

    #[test]
    fn writes_waiting_when_another_write_fails_are_not_acknowledged() {
        let (flush, h) = held(true, || Ok(()));
        let gc = Arc::new(GroupCommit::start(flush));
        let first = waiter(&gc);
        h.started.recv().unwrap();
        // A second write waits while the first one's flush runs.
        let second = waiter(&gc);
        while gc.stats().waiting < 2 {
            std::thread::yield_now();
        }
        gc.fail("transaction: No space left on device".into());
        h.release.send(Ok(())).unwrap();
        let failed = Err(FlushError::Failed(
            "transaction: No space left on device".into(),
        ));
        assert_eq!(
            first.join().unwrap(),
            failed,
            "its flush cannot vouch for it"
        );
        assert_eq!(second.join().unwrap(), failed, "never flushed at all");
        assert!(h.started.try_recv().is_err(), "nor asked the disk again");
        gc.stop(Duration::from_secs(60)).unwrap();
    }

    #[test]
    fn a_write_that_failed_in_sled_is_final_too() {
        let (flush, h) = held(false, || Ok(()));
        let gc = GroupCommit::start(flush);
        gc.wait().unwrap();
        gc.fail("IO error: File too large".into());
        gc.fail("a second error changes nothing".into());
        let refused = gc.wait();
        assert!(
            matches!(&refused, Err(FlushError::Refused(Unhealthy::Failed { error, .. }))
                if error == "IO error: File too large"),
            "{refused:?}"
        );
        assert_eq!(gc.stats().failures, 1);
        h.shut.store(true, Ordering::SeqCst);
        gc.stop(Duration::from_secs(60)).unwrap();
        assert!(h.started.try_recv().is_err(), "no final flush");
    }

    #[test]
    fn health_follows_the_flush_thread() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().path(dir.path()).open().unwrap();
        let file = File::open(dir.path().join("db")).unwrap();
        let gc = GroupCommit::start(sled_flush(db.clone(), file));
        db.insert("k", "v").unwrap();
        gc.wait().unwrap();
        assert_eq!(gc.health(Duration::from_secs(1)), Ok(()));
        let stats = gc.stats();
        assert_eq!((stats.writes, stats.waiting), (1, 0));
        assert!(stats.flushes >= 1);
        assert!(gc.flush_latency().count() >= 1);
        gc.stop(Duration::from_secs(60)).unwrap();
        assert_eq!(gc.health(Duration::from_secs(1)), Err(Unhealthy::Stopped));
    }
}
