//! Latency percentiles and result counts, per job. Pure.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::{Duration, Instant};

/// What one terminal (or a whole run) saw.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Latency of every answered request, by job code.
    latencies: BTreeMap<String, Vec<Duration>>,
    /// How requests ended: `"IDA 00000-0000-0000"`, `"IDC E0074-ICN -0000"`,
    /// `"IDA HTTP 413"`, `"IDA io"`.
    results: BTreeMap<String, u64>,
    /// Declarations taken through IDA → IDC → retrieval without a refusal.
    pub cycles: u64,
    /// When a declaration was first acknowledged (IDA accepted).
    pub first_accepted: Option<Instant>,
    /// When a declaration job (IDA, IDC) first ended any other way.
    pub first_refused: Option<Instant>,
}

/// The declaration jobs, whose outcome says whether intake works.
const DECLARING: [&str; 2] = ["IDA", "IDC"];

/// The earlier of two times, either of which may be missing.
fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Percentiles of one job, in milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

/// The value at or below which a share `p` of the sorted samples lie
/// (nearest rank).
fn rank(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

pub fn summarise(samples: &[Duration]) -> Option<Summary> {
    if samples.is_empty() {
        return None;
    }
    let mut s = samples.to_vec();
    s.sort_unstable();
    Some(Summary {
        n: s.len(),
        p50: rank(&s, 0.50),
        p90: rank(&s, 0.90),
        p99: rank(&s, 0.99),
        max: rank(&s, 1.0),
    })
}

impl Tally {
    /// A request that got an answer: its latency and how it ended.
    pub fn answered(&mut self, job: &str, took: Duration, result: &str) {
        self.latencies
            .entry(job.to_string())
            .or_default()
            .push(took);
        self.count(job, result);
    }

    /// A request that got no usable answer (connection failed, HTTP error).
    pub fn failed(&mut self, job: &str, why: &str) {
        self.count(job, why);
    }

    fn count(&mut self, job: &str, result: &str) {
        *self.results.entry(format!("{job} {result}")).or_default() += 1;
    }

    /// Notes when `job` ended with `result`, for the first acknowledgement
    /// and the first refusal.
    pub fn at(&mut self, job: &str, result: &str, when: Instant) {
        if !DECLARING.contains(&job) {
            return;
        }
        let slot = match result {
            "00000-0000-0000" if job == "IDA" => &mut self.first_accepted,
            "00000-0000-0000" => return,
            _ => &mut self.first_refused,
        };
        *slot = earliest(*slot, Some(when));
    }

    /// How declaration jobs ended other than accepted, summed by outcome
    /// (`A0061-0000-0000`, `no answer within 10 s`, `io` …).
    pub fn refusals(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for (k, n) in &self.results {
            let Some((job, result)) = k.split_once(' ') else {
                continue;
            };
            if DECLARING.contains(&job) && result != "00000-0000-0000" {
                *out.entry(result.to_string()).or_default() += n;
            }
        }
        out
    }

    pub fn merge(&mut self, other: Tally) {
        for (job, l) in other.latencies {
            self.latencies.entry(job).or_default().extend(l);
        }
        for (k, n) in other.results {
            *self.results.entry(k).or_default() += n;
        }
        self.cycles += other.cycles;
        self.first_accepted = earliest(self.first_accepted, other.first_accepted);
        self.first_refused = earliest(self.first_refused, other.first_refused);
    }

    /// Requests answered, over all jobs.
    pub fn answered_count(&self) -> usize {
        self.latencies.values().map(Vec::len).sum()
    }

    /// Percentiles per job, and over all requests under `"all"`.
    pub fn summaries(&self) -> Vec<(String, Summary)> {
        let all: Vec<Duration> = self.latencies.values().flatten().copied().collect();
        self.latencies
            .iter()
            .filter_map(|(job, l)| Some((job.clone(), summarise(l)?)))
            .chain(summarise(&all).map(|s| ("all".to_string(), s)))
            .collect()
    }

    /// Requests that ended any other way than success (`00000-0000-0000`,
    /// or an output handed over in the retrieval loop).
    pub fn errors(&self) -> u64 {
        self.results
            .iter()
            .filter(|(k, _)| !k.ends_with(" 00000-0000-0000") && !k.ends_with(" output"))
            .map(|(_, n)| n)
            .sum()
    }

    /// The latency table and the result counts, as the report prints them.
    pub fn report(&self) -> String {
        let mut out = String::from("  latency (ms)     n       p50      p90      p99      max\n");
        for (job, s) in self.summaries() {
            let _ = writeln!(
                out,
                "  {job:<8} {:>9} {:>9.2} {:>8.2} {:>8.2} {:>8.2}",
                s.n, s.p50, s.p90, s.p99, s.max
            );
        }
        out.push_str("  results by job and code:\n");
        for (k, n) in &self.results {
            let _ = writeln!(out, "    {k:<34} {n:>9}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<Duration> = (1..=100).rev().map(ms).collect();
        let s = summarise(&samples).unwrap();
        assert_eq!(
            s,
            Summary {
                n: 100,
                p50: 50.0,
                p90: 90.0,
                p99: 99.0,
                max: 100.0
            }
        );
        let one = summarise(&[ms(7)]).unwrap();
        assert_eq!((one.p50, one.p99, one.max), (7.0, 7.0, 7.0));
        assert_eq!(summarise(&[]), None);
    }

    #[test]
    fn merging_keeps_every_sample_and_count() {
        let mut a = Tally::default();
        a.answered("IDA", ms(2), "00000-0000-0000");
        a.answered("?A2", ms(1), "output");
        a.cycles = 1;
        let mut b = Tally::default();
        b.answered("IDA", ms(4), "00000-0000-0000");
        b.answered("IDC", ms(3), "E0074-ICN -0000");
        b.failed("IDA", "io");
        b.cycles = 2;
        a.merge(b);
        assert_eq!(a.cycles, 3);
        assert_eq!(a.answered_count(), 4);
        assert_eq!(a.results["IDA 00000-0000-0000"], 2);
        assert_eq!(a.errors(), 2, "the refusal and the failure");
        let all = a
            .summaries()
            .into_iter()
            .find(|(j, _)| j == "all")
            .unwrap()
            .1;
        assert_eq!((all.n, all.max), (4, 4.0));
        assert!(a.report().contains("IDC E0074-ICN -0000"));
    }

    #[test]
    fn first_acknowledgement_and_refusal_and_refusals_by_outcome() {
        let t0 = Instant::now();
        let mut a = Tally::default();
        a.at("IDA", "00000-0000-0000", t0 + ms(5));
        a.at("IDC", "00000-0000-0000", t0 + ms(1));
        a.at("#REP1", "A0061-0000-0000", t0);
        a.at("IDA", "A0061-0000-0000", t0 + ms(9));
        let mut b = Tally::default();
        b.at("IDA", "00000-0000-0000", t0 + ms(3));
        b.at("IDC", "no answer within 10 s", t0 + ms(7));
        a.merge(b);
        assert_eq!(a.first_accepted, Some(t0 + ms(3)), "an IDA accepted");
        assert_eq!(
            a.first_refused,
            Some(t0 + ms(7)),
            "retrieval does not count"
        );

        a.answered("IDA", ms(1), "A0061-0000-0000");
        a.answered("IDC", ms(1), "A0061-0000-0000");
        a.answered("IDA", ms(1), "00000-0000-0000");
        a.answered("?A2", ms(1), "A0007-0000-0000");
        a.failed("IDA", "io");
        let r = a.refusals();
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!((r["A0061-0000-0000"], r["io"]), (2, 1));
    }
}
