//! `outpost officer add|list`, and the same account changes made from the
//! console by an IT officer.

use serde::{Deserialize, Serialize};

use super::{Answer, Done, Refusal};
use crate::auth;
use crate::clock::now;
use crate::store::records::{Officer, Role};
use crate::store::{Actor, Store};

/// An account to create, or the parts of one to change (`None`: keep).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OfficerChange {
    pub login: String,
    pub name: Option<String>,
    pub password: Option<String>,
    pub roles: Option<Vec<Role>>,
    pub disabled: Option<bool>,
}

/// Shortest password an officer may choose.
pub const MIN_PASSWORD: usize = 10;

fn check_login(login: &str) -> Result<(), Refusal> {
    let ok = (3..=32).contains(&login.len())
        && login
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Refusal::OfficerLogin {
            login: login.into(),
        })
    }
}

fn check_password(p: &str) -> Result<(), Refusal> {
    let n = p.chars().count();
    if !(MIN_PASSWORD..=128).contains(&n) {
        return Err(Refusal::officer_password());
    }
    Ok(())
}

pub(super) fn save(store: &Store, c: OfficerChange, actor: &Actor) -> Result<Answer, Refusal> {
    check_login(&c.login)?;
    if let Some(p) = &c.password {
        check_password(p)?;
    }
    if let Some(name) = &c.name {
        if name.trim().is_empty() || name.chars().count() > 100 {
            return Err(Refusal::OfficerName);
        }
    }
    if c.roles.as_ref().is_some_and(Vec::is_empty) {
        return Err(Refusal::NoRole);
    }
    // Hash outside the writer lock: Argon2 takes a while.
    let hash = c.password.as_deref().map(auth::hash_secret);
    let action = format!("officer {} saved", c.login);
    let saved = store.update_officer(&c.login, actor, &action, |cur| {
        let mut o = match cur {
            Some(o) => o,
            None => Officer {
                login: c.login.clone(),
                name: c.name.clone().ok_or(Refusal::NewOfficerName)?,
                password_hash: hash.clone().ok_or(Refusal::NewOfficerPassword)?,
                roles: c.roles.clone().ok_or(Refusal::NewOfficerRole)?,
                disabled: false,
                failed_logins: 0,
                locked_until: 0,
                created_at: now(),
            },
        };
        if let Some(n) = &c.name {
            o.name = n.trim().to_string();
        }
        if let Some(h) = &hash {
            o.password_hash = h.clone();
            // A new password also lifts a lockout.
            o.failed_logins = 0;
            o.locked_until = 0;
        }
        if let Some(r) = &c.roles {
            let mut r = r.clone();
            r.sort();
            r.dedup();
            o.roles = r;
        }
        if let Some(d) = c.disabled {
            o.disabled = d;
        }
        Ok::<_, Refusal>(o)
    })??;
    Ok(Answer::done(
        format!("officer {}\n", describe(&saved)),
        Done::OfficerSaved { login: saved.login },
    ))
}

pub(super) fn list(store: &Store) -> Result<Answer, Refusal> {
    Ok(Answer::text(
        store
            .officers()?
            .iter()
            .map(|o| format!("{}\n", describe(o)))
            .collect(),
    ))
}

fn describe(o: &Officer) -> String {
    format!(
        "{} ({}) roles {}{}",
        o.login,
        o.name,
        o.roles
            .iter()
            .map(|r| r.name())
            .collect::<Vec<_>>()
            .join(","),
        if o.disabled { " (disabled)" } else { "" }
    )
}
