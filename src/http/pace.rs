//! The pace a request body must keep.
//!
//! A body gets a grace period, and then every byte it has delivered buys
//! time at the minimum rate: it may run until `grace + received / rate`
//! after it began (Apache's `mod_reqtimeout` works the same way). A real
//! terminal that stalls for a while has already earned the time with what
//! it sent before; a client that drips a byte every few seconds earns
//! almost nothing and is cut soon after the grace. `request_timeout` stays
//! the outer bound for every body, fast or slow.

use std::time::Duration;

/// The rule for one body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    /// Time a body has before it must show any progress.
    pub grace: Duration,
    /// Bytes per second a body must average after the grace; 0 turns the
    /// rate off, leaving only `limit`.
    pub min_rate: u64,
    /// The longest any body may take (`request_timeout`).
    pub limit: Duration,
}

/// Which rule a deadline comes from, so the answer can say why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// The body fell behind the minimum rate.
    TooSlow,
    /// The body took longer than `request_timeout`.
    TooLong,
}

impl Pace {
    /// How long after the body began it may still run, having delivered
    /// `received` bytes, and which rule ends it then.
    pub fn deadline(&self, received: u64) -> (Duration, Cut) {
        if self.min_rate == 0 {
            return (self.limit, Cut::TooLong);
        }
        let earned_nanos = u128::from(received) * 1_000_000_000 / u128::from(self.min_rate);
        let earned = Duration::from_nanos(u64::try_from(earned_nanos).unwrap_or(u64::MAX));
        let slow = self.grace.saturating_add(earned);
        if slow < self.limit {
            (slow, Cut::TooSlow)
        } else {
            (self.limit, Cut::TooLong)
        }
    }

    /// Whether a body that delivered `chunks` (arrival time since the body
    /// began, bytes) in order is cut before its last chunk, and by what.
    pub fn cut(&self, chunks: &[(Duration, u64)]) -> Option<(Duration, Cut)> {
        let mut received = 0u64;
        for &(at, bytes) in chunks {
            let (deadline, cut) = self.deadline(received);
            if at > deadline {
                return Some((deadline, cut));
            }
            received = received.saturating_add(bytes);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: Pace = Pace {
        grace: Duration::from_secs(10),
        min_rate: 500,
        limit: Duration::from_secs(180),
    };

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn deadlines() {
        let off = Pace {
            min_rate: 0,
            ..DEFAULT
        };
        let cases = [
            (DEFAULT, 0, secs(10.0), Cut::TooSlow),
            (DEFAULT, 1, secs(10.002), Cut::TooSlow),
            (DEFAULT, 500, secs(11.0), Cut::TooSlow),
            (DEFAULT, 30_000, secs(70.0), Cut::TooSlow),
            // 10 s + 85,000 B / 500 B/s = 180 s: the limit takes over.
            (DEFAULT, 84_999, secs(179.998), Cut::TooSlow),
            (DEFAULT, 85_000, secs(180.0), Cut::TooLong),
            (DEFAULT, 1 << 20, secs(180.0), Cut::TooLong),
            (DEFAULT, u64::MAX, secs(180.0), Cut::TooLong),
            (off, 0, secs(180.0), Cut::TooLong),
            (off, 1 << 20, secs(180.0), Cut::TooLong),
        ];
        for (pace, received, want, cut) in cases {
            assert_eq!(
                pace.deadline(received),
                (want, cut),
                "{pace:?} after {received} bytes"
            );
        }
    }

    /// (seconds between chunks, bytes per chunk) repeated `n` times, after
    /// a first chunk at `start`.
    fn steady(start: f64, every: f64, bytes: u64, n: usize) -> Vec<(Duration, u64)> {
        (0..n)
            .map(|i| (secs(start + every * i as f64), bytes))
            .collect()
    }

    #[test]
    fn slow_real_links_pass_and_drips_are_cut() {
        // A 30 KB declaration over a poor GPRS link (2 KB/s in 1 KB
        // packets) after 8 s of radio setup, then the same link stalling
        // for 12 s half-way; a 1 MiB body at 6 KB/s (EDGE) just inside
        // request_timeout.
        let gprs = steady(8.0, 0.5, 1024, 30);
        let mut stalled = steady(0.5, 0.5, 1024, 15);
        stalled.extend(steady(7.5 + 12.0, 0.5, 1024, 15));
        let edge = steady(0.2, 1.0, 6 * 1024, 170);
        for (name, chunks) in [("gprs", &gprs), ("stalled", &stalled), ("edge", &edge)] {
            assert_eq!(DEFAULT.cut(chunks), None, "{name}");
        }
        // A byte every 2 s, as `outpost-load slowloris` sends: cut at the
        // grace plus the few milliseconds its bytes earned.
        let drip = steady(2.0, 2.0, 1, 100);
        let (at, cut) = DEFAULT.cut(&drip).expect("a drip is cut");
        assert_eq!(cut, Cut::TooSlow);
        assert!(at > secs(10.0) && at < secs(10.1), "{at:?}");
        // 400 B/s keeps falling behind 500 B/s and is cut well before the
        // limit; with the rate off only request_timeout ends it.
        let (at, cut) = DEFAULT.cut(&steady(0.0, 1.0, 400, 200)).unwrap();
        assert_eq!(cut, Cut::TooSlow);
        assert!(at > secs(40.0) && at < secs(60.0), "{at:?}");
        let off = Pace {
            min_rate: 0,
            ..DEFAULT
        };
        assert_eq!(off.cut(&steady(2.0, 2.0, 1, 85)), None);
        let long_drip = steady(2.0, 2.0, 1, 200);
        assert_eq!(off.cut(&long_drip), Some((secs(180.0), Cut::TooLong)));
    }
}
