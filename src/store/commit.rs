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

#[derive(Debug, Clone, thiserror::Error)]
#[error("flushing the store to disk failed: {0}")]
pub struct FlushError(pub String);

#[derive(Default)]
struct State {
    issued: u64,
    completed: u64,
    /// Ticket ranges whose flush failed (kept short: failures are rare and
    /// waiters look right after they are woken).
    failed: Vec<(u64, u64)>,
    stop: bool,
    stats: CommitStats,
}

/// Counters for benchmarks and metrics.
#[derive(Debug, Default, Clone, Copy)]
pub struct CommitStats {
    pub flushes: u64,
    pub writes: u64,
    pub flush_time: Duration,
}

struct Shared {
    state: Mutex<State>,
    work: Condvar,
    done: Condvar,
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
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            done: Condvar::new(),
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
        lock(&self.shared.state).stats
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
        let mut st = lock(&s.state);
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
