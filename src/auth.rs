//! Secrets (passwords, terminal access keys): stored only as Argon2id hashes.
//!
//! VNACCS sends the password in every message header, and an Argon2 check
//! costs tens of milliseconds, so a verified secret is remembered as an
//! HMAC under a key that lives only in this process's memory. A changed
//! secret misses the cache and is checked against the stored hash again.

use std::collections::HashMap;
use std::sync::Mutex;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use ring::hmac;

pub fn hash_secret(secret: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .expect("hashing with a fresh salt and default parameters")
        .to_string()
}

/// Checks a secret against its stored hash, with no cache (console logins).
pub fn argon2_verify(secret: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(secret.as_bytes(), &h)
                .is_ok()
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
