//! Group commit: writers wait for durability, one flush serves them all.
//!
//! sled makes nothing durable until `flush()`, and its `flush_async` can
//! deadlock under many concurrent callers, so a thread of our own runs the
//! blocking flush. A writer takes a ticket after its in-memory write; the
//! flusher flushes once for every ticket issued so far and wakes them all.

use std::fs::File;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::metrics::Histogram;

#[derive(Debug, Clone, thiserror::Error)]
#[error("flushing the store to disk failed: {0}")]
pub struct FlushError(pub String);

struct State {
    issued: u64,
    completed: u64,
    /// When the flusher last finished a flush, or when work arrived while
    /// it was idle: how long the oldest waiter can have waited.
    progress_at: Instant,
    /// Ticket ranges whose flush failed (kept short: failures are rare and
    /// waiters look right after they are woken).
    failed: Vec<(u64, u64)>,
    stop: bool,
    stats: CommitStats,
}

impl State {
    fn new(now: Instant) -> State {
        State {
            issued: 0,
            completed: 0,
            progress_at: now,
            failed: Vec::new(),
            stop: false,
            stats: CommitStats::default(),
        }
    }

    /// How long writers have waited without any flush finishing, when that
    /// is longer than `limit`.
    fn stalled(&self, now: Instant, limit: Duration) -> Option<Duration> {
        let waited = now.saturating_duration_since(self.progress_at);
        (self.issued > self.completed && waited > limit).then_some(waited)
    }
}

/// Why the group commit cannot be trusted to make writes durable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unhealthy {
    #[error("the flush thread has stopped")]
    Stopped,
    #[error("no flush has finished for {0:?} while writers wait")]
    Stalled(Duration),
}

/// Counters for benchmarks and metrics.
#[derive(Debug, Default, Clone, Copy)]
pub struct CommitStats {
    pub flushes: u64,
    pub writes: u64,
    pub flush_time: Duration,
    /// Writers waiting for a flush right now.
    pub waiting: u64,
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
    /// `db_file` is sled's main file: its `flush()` uses sync_file_range,
    /// which does not flush the drive's cache or metadata, so we also
    /// `sync_data` it.
    pub fn start(db: sled::Db, db_file: File) -> GroupCommit {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::new(Instant::now())),
            work: Condvar::new(),
            done: Condvar::new(),
            flush_latency: Histogram::default(),
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("outpost-flush".into())
            .spawn(move || flusher(&s, &db, &db_file))
            .expect("spawning the flush thread");
        GroupCommit {
            shared,
            thread: Mutex::new(Some(thread)),
        }
    }

    /// Blocks until everything written before this call is on disk.
    pub fn wait(&self) -> Result<(), FlushError> {
        let mut st = lock(&self.shared.state);
        if st.stop {
            return Err(FlushError("the store is closing".into()));
        }
        if st.issued == st.completed {
            st.progress_at = Instant::now();
        }
        st.issued += 1;
        st.stats.writes += 1;
        let ticket = st.issued;
        self.shared.work.notify_one();
        while st.completed < ticket {
            st = self.shared.done.wait(st).unwrap_or_else(|e| e.into_inner());
        }
        match st
            .failed
            .iter()
            .find(|(lo, hi)| (*lo..=*hi).contains(&ticket))
        {
            Some(_) => Err(FlushError("the disk refused the write; see the log".into())),
            None => Ok(()),
        }
    }

    pub fn stats(&self) -> CommitStats {
        let st = lock(&self.shared.state);
        CommitStats {
            waiting: st.issued - st.completed,
            ..st.stats
        }
    }

    /// How long each flush took.
    pub fn flush_latency(&self) -> &Histogram {
        &self.shared.flush_latency
    }

    /// Whether writes still become durable: the flush thread runs, and no
    /// writer has waited longer than `limit` without a flush finishing.
    /// The watchdog asks this, so a stuck disk stops its pings.
    pub fn health(&self, limit: Duration) -> Result<(), Unhealthy> {
        let thread_gone = self
            .thread
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_none_or(|t| t.is_finished());
        let st = lock(&self.shared.state);
        if st.stop || thread_gone {
            return Err(Unhealthy::Stopped);
        }
        match st.stalled(Instant::now(), limit) {
            Some(waited) => Err(Unhealthy::Stalled(waited)),
            None => Ok(()),
        }
    }

    /// Flushes what is pending and stops the thread.
    pub fn stop(&self) {
        lock(&self.shared.state).stop = true;
        self.shared.work.notify_one();
        if let Some(t) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = t.join();
        }
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        self.stop();
    }
}

fn flusher(s: &Shared, db: &sled::Db, db_file: &File) {
    loop {
        let target = {
            let mut st = lock(&s.state);
            while st.issued == st.completed && !st.stop {
                st = s.work.wait(st).unwrap_or_else(|e| e.into_inner());
            }
            if st.issued == st.completed {
                break;
            }
            st.issued
        };
        let started = Instant::now();
        let result = db
            .flush()
            .map_err(|e| e.to_string())
            .and_then(|_| db_file.sync_data().map_err(|e| e.to_string()));
        let took = started.elapsed();
        s.flush_latency.observe(took);
        let mut st = lock(&s.state);
        st.progress_at = Instant::now();
        if let Err(e) = result {
            log::error!("flush failed: {e}");
            let first = st.completed + 1;
            st.failed.push((first, target));
            if st.failed.len() > 64 {
                st.failed.remove(0);
            }
        }
        st.completed = target;
        st.stats.flushes += 1;
        st.stats.flush_time += took;
        s.done.notify_all();
    }
    // Whatever was written without a waiter (acknowledgements) goes down too.
    if let Err(e) = db
        .flush()
        .map(|_| ())
        .and_then(|_| db_file.sync_data().map_err(Into::into))
    {
        log::error!("final flush failed: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stalled_only_when_writers_wait_past_the_limit() {
        let t0 = Instant::now();
        let limit = Duration::from_secs(5);
        let at = |issued, completed, secs_later| {
            let st = State {
                issued,
                completed,
                ..State::new(t0)
            };
            st.stalled(t0 + Duration::from_secs(secs_later), limit)
        };
        assert_eq!(at(0, 0, 3600), None, "idle for an hour is not stalled");
        assert_eq!(at(7, 7, 60), None, "everything flushed");
        assert_eq!(at(8, 7, 5), None, "waiting, but within the limit");
        assert_eq!(at(8, 7, 6), Some(Duration::from_secs(6)));
    }

    #[test]
    fn health_follows_the_flush_thread() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().path(dir.path()).open().unwrap();
        let file = File::open(dir.path().join("db")).unwrap();
        let gc = GroupCommit::start(db.clone(), file);
        db.insert("k", "v").unwrap();
        gc.wait().unwrap();
        assert_eq!(gc.health(Duration::from_secs(1)), Ok(()));
        let stats = gc.stats();
        assert_eq!((stats.writes, stats.waiting), (1, 0));
        assert!(stats.flushes >= 1);
        assert!(gc.flush_latency().count() >= 1);
        gc.stop();
        assert_eq!(gc.health(Duration::from_secs(1)), Err(Unhealthy::Stopped));
    }
}
