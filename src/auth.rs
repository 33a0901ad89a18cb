//! Secrets (passwords, terminal access keys): stored only as Argon2id hashes.
//!
//! VNACCS sends the password in every message header, and an Argon2 check
//! costs tens of milliseconds, so a verified secret is remembered as an
//! HMAC under a key that lives only in this process's memory. A changed
//! secret misses the cache and is checked against the stored hash again.
//!
//! An Argon2 computation also takes 19 MiB (its default memory cost) and is
//! pure CPU work, so computations take turns, as many at once as there are
//! cores: more only add memory. Without the turns, 32 terminals logging in
//! together put 618 MiB on the heap (heaptrack), and a flood of requests
//! with wrong passwords could take gigabytes.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, OnceLock};

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use ring::hmac;

/// Lets at most `max` callers run at once; the others wait their turn.
struct Turns {
    running: Mutex<usize>,
    freed: Condvar,
    max: usize,
}

impl Turns {
    fn new(max: usize) -> Turns {
        Turns {
            running: Mutex::new(0),
            freed: Condvar::new(),
            max: max.max(1),
        }
    }

    fn run<T>(&self, f: impl FnOnce() -> T) -> T {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        while *running >= self.max {
            running = self.freed.wait(running).unwrap_or_else(|e| e.into_inner());
        }
        *running += 1;
        drop(running);
        // Released on unwind too, so a panic cannot leak a turn.
        struct Release<'a>(&'a Turns);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                *self.0.running.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
                self.0.freed.notify_one();
            }
        }
        let _release = Release(self);
        f()
    }
}

fn argon2_turn<T>(f: impl FnOnce() -> T) -> T {
    static TURNS: OnceLock<Turns> = OnceLock::new();
    TURNS
        .get_or_init(|| {
            Turns::new(std::thread::available_parallelism().map_or(1, std::num::NonZero::get))
        })
        .run(f)
}

pub fn hash_secret(secret: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2_turn(|| {
        Argon2::default()
            .hash_password(secret.as_bytes(), &salt)
            .expect("hashing with a fresh salt and default parameters")
            .to_string()
    })
}

/// Checks a secret against its stored hash, with no cache (console logins).
pub fn argon2_verify(secret: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            argon2_turn(|| {
                Argon2::default()
                    .verify_password(secret.as_bytes(), &h)
                    .is_ok()
            })
        })
        .unwrap_or(false)
}

pub struct Verifier {
    key: hmac::Key,
    /// (what, id) → tag of (stored hash, secret) that verified.
    ok: Mutex<HashMap<(u8, String), hmac::Tag>>,
}

/// Which kind of secret, so a password and an access key of the same id
/// never share a cache slot.
#[derive(Clone, Copy)]
pub enum Secret {
    Password = 0,
    AccessKey = 1,
}

impl Default for Verifier {
    fn default() -> Self {
        let rng = ring::rand::SystemRandom::new();
        Verifier {
            key: hmac::Key::generate(hmac::HMAC_SHA256, &rng).expect("system random source"),
            ok: Mutex::new(HashMap::new()),
        }
    }
}

impl Verifier {
    pub fn verify(&self, what: Secret, id: &str, secret: &str, phc: &str) -> bool {
        // The stored hash is part of the tag: a re-provisioned secret
        // invalidates what was cached for the old one.
        let mut msg = Vec::with_capacity(phc.len() + secret.len() + 1);
        msg.extend_from_slice(phc.as_bytes());
        msg.push(0);
        msg.extend_from_slice(secret.as_bytes());
        let slot = (what as u8, id.to_string());
        let cached = self
            .ok
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&slot)
            .cloned();
        if let Some(tag) = cached {
            if hmac::verify(&self.key, &msg, tag.as_ref()).is_ok() {
                return true;
            }
        }
        if !argon2_verify(secret, phc) {
            return false;
        }
        self.ok
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(slot, hmac::sign(&self.key, &msg));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn no_more_than_max_run_at_once_and_everyone_gets_a_turn() {
        let turns = Arc::new(Turns::new(2));
        let (now, most, done) = (
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
        );
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (turns, now, most, done) =
                    (turns.clone(), now.clone(), most.clone(), done.clone());
                std::thread::spawn(move || {
                    turns.run(|| {
                        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(n, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        now.fetch_sub(1, Ordering::SeqCst);
                    });
                    done.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(done.load(Ordering::SeqCst), 8);
        assert!(most.load(Ordering::SeqCst) <= 2, "{most:?} at once");
        // A panicking caller gives its turn back.
        let t = turns.clone();
        let _ = std::thread::spawn(move || t.run(|| panic!("in turn"))).join();
        assert_eq!(*turns.running.lock().unwrap(), 0);
    }

    #[test]
    fn hashes_verify_and_the_cache_does_not_accept_wrong_secrets() {
        let h = hash_secret("PASSW0RD");
        assert!(h.starts_with("$argon2id$"));
        assert!(!h.contains("PASSW0RD"));
        let v = Verifier::default();
        assert!(v.verify(Secret::Password, "ABC12001", "PASSW0RD", &h));
        assert!(
            v.verify(Secret::Password, "ABC12001", "PASSW0RD", &h),
            "cached"
        );
        assert!(!v.verify(Secret::Password, "ABC12001", "PASSW0RX", &h));
        assert!(!v.verify(Secret::AccessKey, "ABC12001", "PASSW0RX", &h));
        // A new hash for the same user: the old secret must be checked afresh.
        let h2 = hash_secret("NEWPASS1");
        assert!(!v.verify(Secret::Password, "ABC12001", "PASSW0RD", &h2));
        assert!(v.verify(Secret::Password, "ABC12001", "NEWPASS1", &h2));
        assert!(!v.verify(Secret::Password, "ABC12001", "x", "not a hash"));
    }
}
