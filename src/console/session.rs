//! Console sessions and the login policy.
//!
//! A session is a random 256-bit token in a `Secure; HttpOnly;
//! SameSite=Strict` cookie, plus a second random token the page sends back
//! in the `X-Outpost-CSRF` header on every state-changing request. Sessions
//! live in memory only: a restart logs every officer out. The map is keyed
//! by the token's SHA-256, so a lookup never compares secrets byte by byte.

use std::collections::HashMap;
use std::sync::Mutex;

use ring::digest::{digest, SHA256};
use ring::rand::{SecureRandom, SystemRandom};

use crate::store::records::Officer;

pub const COOKIE: &str = "outpost_session";
pub const CSRF_HEADER: &str = "x-outpost-csrf";

/// A session ends after this long without a request …
pub const IDLE_SECS: i64 = 30 * 60;
/// … and after this long in any case (one shift).
pub const MAX_SECS: i64 = 12 * 3600;

/// Failed logins in a row that lock an account, and for how long.
pub const MAX_FAILURES: u32 = 5;
pub const LOCK_SECS: i64 = 15 * 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub login: String,
    pub csrf: String,
    pub started: i64,
    pub last_seen: i64,
}

pub struct Sessions {
    by_hash: Mutex<HashMap<[u8; 32], Session>>,
    rng: SystemRandom,
}

impl Default for Sessions {
    fn default() -> Sessions {
        Sessions {
            by_hash: Mutex::new(HashMap::new()),
            rng: SystemRandom::new(),
        }
    }
}

fn hash(token: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, token.as_bytes()).as_ref());
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Sessions {
    fn token(&self) -> String {
        let mut b = [0u8; 32];
        self.rng.fill(&mut b).expect("system random source");
        hex(&b)
    }

    /// Opens a session; returns its cookie token and the session.
    pub fn open(&self, login: &str, now: i64) -> (String, Session) {
        let token = self.token();
        let s = Session {
            login: login.to_string(),
            csrf: self.token(),
            started: now,
            last_seen: now,
        };
        let mut map = self.by_hash.lock().unwrap_or_else(|e| e.into_inner());
        // Expired sessions go whenever a new one opens, so the map stays small.
        map.retain(|_, s| alive(s, now));
        map.insert(hash(&token), s.clone());
        (token, s)
    }

    /// The live session of a cookie token, its idle clock reset.
    pub fn get(&self, token: &str, now: i64) -> Option<Session> {
        let key = hash(token);
        let mut map = self.by_hash.lock().unwrap_or_else(|e| e.into_inner());
        match map.get_mut(&key) {
            Some(s) if alive(s, now) => {
                s.last_seen = now;
                Some(s.clone())
            }
            Some(_) => {
                map.remove(&key);
                None
            }
            None => None,
        }
    }

    pub fn close(&self, token: &str) {
        self.by_hash
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&hash(token));
    }

    /// Ends every session of a login (account disabled or password reset).
    pub fn close_all(&self, login: &str) {
        self.by_hash
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, s| s.login != login);
    }
}

fn alive(s: &Session, now: i64) -> bool {
    now - s.last_seen < IDLE_SECS && now - s.started < MAX_SECS
}

/// The `X-Outpost-CSRF` header matches the session's token.
pub fn csrf_ok(session: &Session, header: Option<&str>) -> bool {
    header.is_some_and(|h| hash(h) == hash(&session.csrf))
}

/// What a login attempt comes to, once the password has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Accepted,
    /// Wrong password; the account locks when this was one too many.
    Refused {
        locked: bool,
    },
    /// Locked until this moment; the password was not even tried.
    Locked(i64),
    Disabled,
}

/// The lockout policy: is the account open to a login attempt now?
pub fn gate(o: &Officer, now: i64) -> Option<Attempt> {
    if o.locked_until > now {
        return Some(Attempt::Locked(o.locked_until));
    }
    None
}

/// The account after an attempt whose password did (`ok`) or did not
/// match, and what the attempt comes to.
pub fn after_attempt(o: &Officer, ok: bool, now: i64) -> (Officer, Attempt) {
    let mut o = o.clone();
    if !ok {
        o.failed_logins += 1;
        let locked = o.failed_logins >= MAX_FAILURES;
        if locked {
            o.failed_logins = 0;
            o.locked_until = now + LOCK_SECS;
        }
        return (o, Attempt::Refused { locked });
    }
    o.failed_logins = 0;
    o.locked_until = 0;
    if o.disabled {
        return (o, Attempt::Disabled);
    }
    (o, Attempt::Accepted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::records::Role;

    fn officer() -> Officer {
        Officer {
            login: "sup1".into(),
            name: "Trần Thị B".into(),
            password_hash: String::new(),
            roles: vec![Role::Supervision],
            disabled: false,
            failed_logins: 0,
            locked_until: 0,
            created_at: 0,
        }
    }

    #[test]
    fn five_failures_lock_the_account_for_fifteen_minutes() {
        let mut o = officer();
        let mut outcomes = Vec::new();
        for i in 0..6 {
            let now = 1000 + i;
            if let Some(a) = gate(&o, now) {
                outcomes.push(a);
                continue;
            }
            let (next, a) = after_attempt(&o, false, now);
            o = next;
            outcomes.push(a);
        }
        let refused = Attempt::Refused { locked: false };
        assert_eq!(
            outcomes,
            [
                refused.clone(),
                refused.clone(),
                refused.clone(),
                refused,
                Attempt::Refused { locked: true },
                Attempt::Locked(1004 + LOCK_SECS),
            ]
        );
        // Even the right password waits for the lock to pass.
        assert_eq!(
            gate(&o, 1004 + LOCK_SECS - 1),
            Some(Attempt::Locked(1004 + LOCK_SECS))
        );
        assert_eq!(gate(&o, 1004 + LOCK_SECS), None);
        let (o, a) = after_attempt(&o, true, 1004 + LOCK_SECS);
        assert_eq!(a, Attempt::Accepted);
        assert_eq!((o.failed_logins, o.locked_until), (0, 0));
    }

    #[test]
    fn a_success_resets_the_count_and_a_disabled_account_stays_shut() {
        let (o, _) = after_attempt(&officer(), false, 1);
        assert_eq!(o.failed_logins, 1);
        let (o, a) = after_attempt(&o, true, 2);
        assert_eq!((o.failed_logins, a), (0, Attempt::Accepted));
        let disabled = Officer {
            disabled: true,
            ..officer()
        };
        assert_eq!(after_attempt(&disabled, true, 3).1, Attempt::Disabled);
        assert_eq!(
            after_attempt(&disabled, false, 3).1,
            Attempt::Refused { locked: false },
            "a wrong password says nothing about the account"
        );
    }

    #[test]
    fn sessions_expire_and_close() {
        let s = Sessions::default();
        let (token, session) = s.open("sup1", 100);
        assert_eq!(token.len(), 64);
        assert_ne!(token, session.csrf);
        assert_eq!(s.get(&token, 100 + IDLE_SECS - 1).unwrap().login, "sup1");
        // Still in use: the idle clock restarted, the absolute one did not.
        assert!(s.get(&token, 100 + 2 * IDLE_SECS - 2).is_some());
        assert!(s.get("not a token", 100).is_none());
        let (t2, _) = s.open("sup1", 100);
        assert!(s.get(&t2, 100 + IDLE_SECS).is_none(), "idle too long");
        let (t3, _) = s.open("it1", 100);
        let mut now = 100;
        while now < 100 + MAX_SECS - IDLE_SECS {
            now += IDLE_SECS - 1;
            assert!(s.get(&t3, now).is_some());
        }
        assert!(s.get(&t3, 100 + MAX_SECS).is_none(), "one shift at most");
        let (t4, session) = s.open("it1", 200);
        assert!(csrf_ok(&session, Some(&session.csrf)));
        assert!(!csrf_ok(&session, Some("x")));
        assert!(!csrf_ok(&session, None));
        s.close(&t4);
        assert!(s.get(&t4, 200).is_none());
        let (t5, _) = s.open("sup1", 300);
        s.close_all("sup1");
        assert!(s.get(&t5, 300).is_none());
    }
}
