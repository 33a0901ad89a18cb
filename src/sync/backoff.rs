//! How long the uploader waits after a failed pass: exponential, capped,
//! with jitter so that many sites coming back after one outage at the
//! centre do not all knock at the same moment. A success starts it over.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    failures: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        Backoff {
            base,
            cap: cap.max(base),
            failures: 0,
        }
    }

    /// The wait after one more failure. `random` is any random number; the
    /// wait is uniform in the upper half of the current step ("equal
    /// jitter"), so it never collapses to zero.
    pub fn fail(&mut self, random: u64) -> Duration {
        let step = self
            .base
            .saturating_mul(1u32 << self.failures.min(20))
            .min(self.cap);
        self.failures = self.failures.saturating_add(1);
        let half = step / 2;
        let spread = (step - half).as_millis() as u64;
        half + Duration::from_millis(random % (spread + 1))
    }

    pub fn succeed(&mut self) {
        self.failures = 0;
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_with_jitter_and_resets() {
        let s = Duration::from_secs;
        let ms = Duration::from_millis;
        let mut b = Backoff::new(s(1), s(10));
        // (random, expected wait): the step goes 1, 2, 4, 8, 10, 10 s.
        let cases = [
            (0, ms(500)),
            (u64::MAX, ms(1000 + (u64::MAX % 1001) as u64)),
            (0, s(2)),
            (4000, s(8)),
            (1, ms(5001)),
            (5000, s(10)),
        ];
        for (i, (random, want)) in cases.into_iter().enumerate() {
            assert_eq!(b.fail(random), want, "failure {}", i + 1);
        }
        assert_eq!(b.failures(), 6);
        b.succeed();
        assert_eq!(b.fail(0), ms(500), "a success starts over");
        let mut many = Backoff::new(s(1), s(300));
        for _ in 0..100 {
            assert!(many.fail(u64::MAX) <= s(300));
        }
        let mut tiny = Backoff::new(s(2), s(1));
        assert_eq!(tiny.fail(0), s(1), "the cap is at least the base");
    }
}
