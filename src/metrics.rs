//! Counters and histograms for `GET /metrics`, in the Prometheus text
//! exposition format (version 0.0.4).
//!
//! The request path only takes a read lock and bumps atomics; a write lock
//! is taken once per new (job, result) pair. Labels stay bounded and need
//! no escaping: jobs outside the VNACCS tables count as `other`, and a
//! result that is not a short alphanumeric code counts as `other`.

use std::collections::HashMap;
use std::fmt::Write;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::RwLock;
use std::time::Duration;

/// Upper bounds of the latency buckets, seconds: a durable write takes a
/// few milliseconds, an Argon2 check tens, a stuck disk seconds.
const BOUNDS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A latency histogram with fixed buckets.
#[derive(Debug, Default)]
pub struct Histogram {
    /// Observations per bucket (not cumulative); the last is +Inf.
    buckets: [AtomicU64; BOUNDS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let i = BOUNDS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(BOUNDS.len());
        self.buckets[i].fetch_add(1, Relaxed);
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Relaxed);
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Relaxed)).sum()
    }

    /// The `_bucket`, `_sum` and `_count` lines of `name`; `labels` is
    /// empty or `key="value",…` without braces.
    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (i, b) in self.buckets.iter().enumerate() {
            cumulative += b.load(Relaxed);
            let le = BOUNDS.get(i).map_or("+Inf".to_string(), |v| v.to_string());
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}"
            );
        }
        let sum = self.sum_nanos.load(Relaxed) as f64 / 1e9;
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {sum}");
        let _ = writeln!(out, "{name}_count{braces} {cumulative}");
    }
}

/// Counters by key; a key is added on first use.
#[derive(Debug)]
struct Counters<K> {
    by: RwLock<HashMap<K, AtomicU64>>,
}

impl<K> Default for Counters<K> {
    fn default() -> Self {
        Counters {
            by: RwLock::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash + Ord + Clone> Counters<K> {
    fn inc<Q>(&self, key: &Q)
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized + ToOwned<Owned = K>,
    {
        if let Some(c) = self.by.read().unwrap_or_else(|e| e.into_inner()).get(key) {
            c.fetch_add(1, Relaxed);
            return;
        }
        self.by
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key.to_owned())
            .or_default()
            .fetch_add(1, Relaxed);
    }

    /// (key, count), sorted by key so the output is stable.
    fn snapshot(&self) -> Vec<(K, u64)> {
        let by = self.by.read().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<(K, u64)> = by
            .iter()
            .map(|(k, c)| (k.clone(), c.load(Relaxed)))
            .collect();
        v.sort();
        v
    }
}

/// One job's numbers.
#[derive(Debug, Default)]
struct JobStats {
    results: Counters<String>,
    latency: Histogram,
}

/// What the HTTP layer counts.
#[derive(Debug, Default)]
pub struct Requests {
    jobs: RwLock<HashMap<&'static str, JobStats>>,
    /// Requests refused before they reached a job (413, 415 …), by status.
    refused: Counters<u16>,
}

/// The label for a job code: its name when VNACCS has it, else `other`.
pub fn job_label(job: &str) -> &'static str {
    if let Some(layout) = crate::wire::job_layout(job) {
        return layout.code;
    }
    ["#REP1", "?A2", "?A3"]
        .into_iter()
        .find(|j| *j == job)
        .unwrap_or("other")
}

impl Requests {
    /// One answered message: its job, the first result code (or output
    /// code) it carried, and how long it took.
    pub fn record(&self, job: &str, result: &str, took: Duration) {
        let job = job_label(job);
        let result = if result.len() <= 8 && result.bytes().all(|b| b.is_ascii_alphanumeric()) {
            result
        } else {
            "other"
        };
        if let Some(s) = self.jobs.read().unwrap_or_else(|e| e.into_inner()).get(job) {
            s.results.inc(result);
            s.latency.observe(took);
            return;
        }
        let mut jobs = self.jobs.write().unwrap_or_else(|e| e.into_inner());
        let s = jobs.entry(job).or_default();
        s.results.inc(result);
        s.latency.observe(took);
    }

    pub fn refused(&self, status: u16) {
        self.refused.inc(&status);
    }
}

/// Values read at scrape time.
#[derive(Debug, Clone)]
pub struct Gauges {
    /// What is read from the store; `None` while its reads would hang
    /// behind a stuck flush.
    pub store: Option<StoreGauges>,
    pub commit_waiters: u64,
    pub flushes: u64,
    pub durable_writes: u64,
    /// How long writes have waited without a flush finishing (or since a
    /// flush failed); zero when all is well.
    pub flush_stalled: Duration,
    /// Writers that gave up waiting for their flush.
    pub flush_timeouts: u64,
    pub flush_failures: u64,
    /// `None` when the file system could not be asked.
    pub disk_free_bytes: Option<u64>,
    pub disk_floor_bytes: u64,
    /// Connections holding a slot of the listener.
    pub connections_open: usize,
    /// Connections shed so far, by reason (`http::conns::Shed`).
    pub connections_shed: Vec<(&'static str, u64)>,
}

/// The gauges read from the store's trees.
#[derive(Debug, Clone)]
pub struct StoreGauges {
    pub mode: &'static str,
    pub declarations: usize,
    pub outputs_pending: usize,
    /// The journal's newest sequence number.
    pub journal_head: u64,
    /// Journal events the centre has not acknowledged yet.
    pub sync_pending: u64,
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// One family per `(name, help, value)`, each with a single unlabelled sample.
fn samples(out: &mut String, kind: &str, rows: &[(&str, &str, u64)]) {
    for (name, help, v) in rows {
        header(out, name, kind, help);
        let _ = writeln!(out, "{name} {v}");
    }
}

/// The whole exposition: request counters, the store's flush latency and
/// the gauges.
pub fn render(requests: &Requests, flush: &Histogram, g: &Gauges) -> String {
    let mut out = String::new();
    let jobs = requests.jobs.read().unwrap_or_else(|e| e.into_inner());
    let mut names: Vec<&&'static str> = jobs.keys().collect();
    names.sort();
    header(
        &mut out,
        "outpost_requests_total",
        "counter",
        "VNACCS messages answered, by job and first result code.",
    );
    for job in &names {
        for (result, n) in jobs[**job].results.snapshot() {
            let _ = writeln!(
                out,
                "outpost_requests_total{{job=\"{}\",result=\"{result}\"}} {n}",
                job
            );
        }
    }
    header(
        &mut out,
        "outpost_request_duration_seconds",
        "histogram",
        "Time from the whole body received to the answer ready, by job.",
    );
    for job in &names {
        jobs[**job].latency.render(
            &mut out,
            "outpost_request_duration_seconds",
            &format!("job=\"{}\"", job),
        );
    }
    drop(jobs);
    header(
        &mut out,
        "outpost_http_refused_total",
        "counter",
        "Requests refused before reaching a job, by HTTP status.",
    );
    for (status, n) in requests.refused.snapshot() {
        let _ = writeln!(out, "outpost_http_refused_total{{status=\"{status}\"}} {n}");
    }
    header(
        &mut out,
        "outpost_flush_duration_seconds",
        "histogram",
        "Group-commit flushes (sled flush + fsync).",
    );
    flush.render(&mut out, "outpost_flush_duration_seconds", "");
    header(
        &mut out,
        "outpost_connections_shed_total",
        "counter",
        "Connections closed by the listener's limits, or refused, by reason.",
    );
    for (reason, n) in &g.connections_shed {
        let _ = writeln!(
            out,
            "outpost_connections_shed_total{{reason=\"{reason}\"}} {n}"
        );
    }
    let counters = [
        ("outpost_flushes_total", "Group-commit flushes.", g.flushes),
        (
            "outpost_durable_writes_total",
            "Writes that waited for a flush.",
            g.durable_writes,
        ),
        (
            "outpost_flush_timeouts_total",
            "Writers that gave up waiting for their flush (answered A0061).",
            g.flush_timeouts,
        ),
        (
            "outpost_flush_failures_total",
            "Flushes or writes that failed in the store; after one, writes are refused until a restart.",
            g.flush_failures,
        ),
    ];
    samples(&mut out, "counter", &counters);
    header(
        &mut out,
        "outpost_flush_stalled_seconds",
        "gauge",
        "How long writes have waited without a flush finishing, or since a flush failed.",
    );
    let _ = writeln!(
        out,
        "outpost_flush_stalled_seconds {}",
        g.flush_stalled.as_secs_f64()
    );
    let mut gauges = vec![
        (
            "outpost_commit_waiters",
            "Writers waiting for the next flush.",
            g.commit_waiters,
        ),
        (
            "outpost_disk_floor_bytes",
            "Free space below which writing jobs are refused (A0060).",
            g.disk_floor_bytes,
        ),
        (
            "outpost_connections_open",
            "Connections holding a slot of the listener.",
            g.connections_open as u64,
        ),
    ];
    if let Some(free) = g.disk_free_bytes {
        gauges.push((
            "outpost_disk_free_bytes",
            "Free space on the data directory's file system.",
            free,
        ));
    }
    if let Some(st) = &g.store {
        gauges.extend([
            (
                "outpost_declarations",
                "Declarations in the store.",
                st.declarations as u64,
            ),
            (
                "outpost_outputs_pending",
                "Outputs waiting for their terminal to retrieve them.",
                st.outputs_pending as u64,
            ),
            (
                "outpost_journal_head",
                "Sequence number of the newest journal entry.",
                st.journal_head,
            ),
            (
                "outpost_sync_pending_events",
                "Journal events the centre has not acknowledged yet.",
                st.sync_pending,
            ),
        ]);
    }
    samples(&mut out, "gauge", &gauges);
    if let Some(st) = &g.store {
        header(
            &mut out,
            "outpost_mode",
            "gauge",
            "The operating mode: 1 for the current one.",
        );
        for m in ["active", "standby"] {
            let _ = writeln!(
                out,
                "outpost_mode{{mode=\"{m}\"}} {}",
                u8::from(st.mode == m)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gauges() -> Gauges {
        Gauges {
            store: Some(StoreGauges {
                mode: "active",
                declarations: 3,
                outputs_pending: 2,
                journal_head: 40,
                sync_pending: 7,
            }),
            commit_waiters: 0,
            flushes: 5,
            durable_writes: 9,
            flush_stalled: Duration::from_millis(1500),
            flush_timeouts: 4,
            flush_failures: 0,
            disk_free_bytes: Some(1 << 30),
            disk_floor_bytes: 256 << 20,
            connections_open: 12,
            connections_shed: vec![("body_too_slow", 3), ("shed_when_full", 0)],
        }
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        let h = Histogram::default();
        for ms in [0, 3, 3, 40, 20_000] {
            h.observe(Duration::from_millis(ms));
        }
        let mut out = String::new();
        h.render(&mut out, "x", "job=\"IDA\"");
        assert!(
            out.contains("x_bucket{job=\"IDA\",le=\"0.0005\"} 1\n"),
            "{out}"
        );
        assert!(out.contains("x_bucket{job=\"IDA\",le=\"0.005\"} 3\n"));
        assert!(out.contains("x_bucket{job=\"IDA\",le=\"0.05\"} 4\n"));
        assert!(out.contains("x_bucket{job=\"IDA\",le=\"10\"} 4\n"));
        assert!(out.contains("x_bucket{job=\"IDA\",le=\"+Inf\"} 5\n"));
        assert!(out.contains("x_sum{job=\"IDA\"} 20.046\n"), "{out}");
        assert!(out.contains("x_count{job=\"IDA\"} 5\n"));
        let mut bare = String::new();
        h.render(&mut bare, "y", "");
        assert!(bare.contains("y_bucket{le=\"+Inf\"} 5\n"), "{bare}");
        assert!(bare.contains("y_count 5\n"));
    }

    #[test]
    fn requests_by_job_and_result_with_bounded_labels() {
        let r = Requests::default();
        r.record("IDA", "00000", Duration::from_millis(2));
        r.record("IDA", "00000", Duration::from_millis(4));
        r.record("IDA", "E0213", Duration::from_millis(1));
        r.record("#REP1", "VAD4190", Duration::from_millis(1));
        r.record("ZZ\"9", "A0001", Duration::from_millis(1));
        r.record("IDC", "a b\"c", Duration::from_millis(1));
        r.refused(413);
        r.refused(413);
        let out = render(&r, &Histogram::default(), &gauges());
        for line in [
            "outpost_requests_total{job=\"IDA\",result=\"00000\"} 2",
            "outpost_requests_total{job=\"IDA\",result=\"E0213\"} 1",
            "outpost_requests_total{job=\"#REP1\",result=\"VAD4190\"} 1",
            "outpost_requests_total{job=\"other\",result=\"A0001\"} 1",
            "outpost_requests_total{job=\"IDC\",result=\"other\"} 1",
            "outpost_request_duration_seconds_count{job=\"IDA\"} 3",
            "outpost_http_refused_total{status=\"413\"} 2",
            "outpost_flush_duration_seconds_count 0",
            "outpost_outputs_pending 2",
            "outpost_journal_head 40",
            "outpost_sync_pending_events 7",
            "outpost_disk_free_bytes 1073741824",
            "outpost_disk_floor_bytes 268435456",
            "outpost_mode{mode=\"active\"} 1",
            "outpost_mode{mode=\"standby\"} 0",
            "outpost_connections_open 12",
            "outpost_connections_shed_total{reason=\"body_too_slow\"} 3",
            "outpost_connections_shed_total{reason=\"shed_when_full\"} 0",
            "outpost_flush_stalled_seconds 1.5",
            "outpost_flush_timeouts_total 4",
            "outpost_flush_failures_total 0",
        ] {
            assert!(out.lines().any(|l| l == line), "missing {line}:\n{out}");
        }
        // While the store's reads would hang, its figures are left out and
        // the rest is still there.
        let hung = render(
            &r,
            &Histogram::default(),
            &Gauges {
                store: None,
                ..gauges()
            },
        );
        assert!(!hung.contains("outpost_declarations"), "{hung}");
        assert!(!hung.contains("outpost_mode"), "{hung}");
        assert!(hung.contains("outpost_flush_stalled_seconds 1.5"), "{hung}");
    }

    #[test]
    fn every_sample_follows_its_type_line() {
        let r = Requests::default();
        r.record("IDA", "00000", Duration::from_millis(2));
        let out = render(&r, &Histogram::default(), &gauges());
        let mut typed: Vec<String> = Vec::new();
        for line in out.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                typed.push(rest.split(' ').next().unwrap().to_string());
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap();
                let family = typed.last().expect("a sample before any TYPE line");
                assert!(name.starts_with(family.as_str()), "{name} under {family}");
                let value = line.rsplit(' ').next().unwrap();
                assert!(value.parse::<f64>().is_ok(), "{line}");
            }
        }
        let mut unique = typed.clone();
        unique.dedup();
        assert_eq!(unique, typed, "each family once");
    }
}
