//! Operator commands (`outpost init`, `outpost user …`). They run against
//! the store directly when the appliance is stopped, and through the running
//! appliance's admin socket (`<data dir>/admin.sock`, mode 0600) when it holds
//! the store: sled allows one process per data directory.

mod officers;
mod socket;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::clock::now;
use crate::rules::eligibility::{Category, Day, Direction, Mode};
use crate::rules::numbering::{DEV_BLOCK, MAX_BLOCK};
use crate::store::records::{Site, Terminal, User};
use crate::store::{Actor, Store, StoreError};
use crate::{auth, smime};

pub use officers::{OfficerChange, MIN_PASSWORD};
pub use socket::{bind_socket, remote, remote_streamed, serve_socket, Exec, Frame, Reply};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Command {
    Init {
        blocks: Vec<u16>,
        name: Option<String>,
    },
    UserAdd(NewUser),
    UserList,
    /// Refuse a declarant's VNACCS logins (A0014), or admit them again;
    /// its declarations and outputs stay.
    UserDisable {
        code: String,
        disabled: bool,
    },
    /// Take a terminal from a declarant: its logins from there are refused
    /// (A0019).
    UserRemoveTerminal {
        code: String,
        terminal: String,
    },
    /// Switch between active (VNACCS down) and standby, with the reason.
    Mode {
        mode: Mode,
        reason: String,
    },
    /// Show the mode.
    ModeShow,
    DirectionAdd {
        tax_code: String,
        category: Category,
        valid_from: Day,
        valid_until: Day,
        max_declarations: Option<u32>,
        reason: String,
    },
    DirectionList,
    DirectionRevoke {
        id: u32,
        reason: String,
    },
    /// Walk the journal and cross-check the records against it.
    Verify,
    /// Write a consistent backup into a new or empty directory (an
    /// absolute path: the appliance may run elsewhere than the command).
    Backup {
        out: PathBuf,
    },
    /// Create an officer's console account or change it.
    OfficerSave(OfficerChange),
    OfficerList,
    /// The events after `since` (default: after what the centre
    /// acknowledged) as a signed bundle, sent back on the admin socket for
    /// the command line to write.
    Export {
        since: Option<u64>,
    },
    /// One upload pass; only an appliance with a central URL can run it.
    Sync,
}

/// A declarant to add (or update) with its terminal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewUser {
    pub code: String,
    pub password: String,
    pub terminal: String,
    pub access_key: String,
    pub tax_codes: Vec<String>,
    /// DER of the terminal's signing certificate and of the CA that issued
    /// it, for jobs that arrive signed (A0035/A0036 checks).
    pub signing_cert: Option<Vec<u8>>,
    pub signing_ca: Option<Vec<u8>>,
}

/// A command with the name of whoever gave it, for the audit trail.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    pub actor: String,
    pub command: Command,
}

/// The command's answer for the operator, or why it was refused.
pub type Outcome = Result<String, String>;

pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join("admin.sock")
}

fn check_code(what: &str, v: &str, len: std::ops::RangeInclusive<usize>) -> Result<(), String> {
    let ok = len.contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    match (ok, len.start() == len.end()) {
        (true, _) => Ok(()),
        (false, true) => Err(format!(
            "{what} must be exactly {} upper-case letters or digits",
            len.start()
        )),
        (false, false) => Err(format!(
            "{what} must be {}–{} upper-case letters or digits",
            len.start(),
            len.end()
        )),
    }
}

fn store_err(e: StoreError) -> String {
    e.to_string()
}

/// Runs a command against an open store.
pub fn execute(store: &Store, req: Request) -> Outcome {
    let actor = Actor {
        name: req.actor,
        at: now(),
    };
    match req.command {
        Command::Init { blocks, name } => init(store, blocks, name, &actor),
        Command::UserAdd(u) => user_add(store, u, &actor),
        Command::UserDisable { code, disabled } => user_disable(store, &code, disabled, &actor),
        Command::UserRemoveTerminal { code, terminal } => {
            user_remove_terminal(store, &code, &terminal, &actor)
        }
        Command::Mode { mode, reason } => {
            if reason.trim().is_empty() {
                return Err("give the reason for the switch (--reason)".into());
            }
            let old = store
                .set_mode(mode, reason.trim(), &actor)
                .map_err(store_err)?;
            Ok(format!(
                "mode {} -> {} ({})\n",
                old.mode.name(),
                mode.name(),
                reason.trim()
            ))
        }
        Command::ModeShow => {
            let m = store.mode().map_err(store_err)?;
            Ok(format!(
                "mode {} since {} by {}: {}\n",
                m.mode.name(),
                crate::clock::iso(m.since),
                m.by,
                m.reason
            ))
        }
        Command::DirectionAdd {
            tax_code,
            category,
            valid_from,
            valid_until,
            max_declarations,
            reason,
        } => {
            check_tax_code(&tax_code)?;
            if valid_until < valid_from {
                return Err("the direction ends before it starts".into());
            }
            if max_declarations == Some(0) {
                return Err("--max must be at least 1 (leave it out for no limit)".into());
            }
            if reason.trim().is_empty() {
                return Err("give the reason or the letter that directs it (--reason)".into());
            }
            let d = Direction {
                id: 0,
                tax_code,
                category,
                valid_from,
                valid_until,
                max_declarations,
                used: 0,
                revoked: false,
                reason: reason.trim().to_string(),
            };
            let d = store.add_direction(&d, &actor).map_err(store_err)?;
            Ok(format!("direction {} issued: {}", d.id, describe(&d)))
        }
        Command::DirectionList => Ok(store
            .directions()
            .map_err(store_err)?
            .iter()
            .map(|d| format!("{:>4}  {}", d.id, describe(d)))
            .collect()),
        Command::DirectionRevoke { id, reason } => {
            let d = store
                .revoke_direction(id, &reason, &actor)
                .map_err(store_err)?;
            Ok(format!("direction {} revoked: {}", d.id, describe(&d)))
        }
        Command::OfficerSave(c) => officers::save(store, c, &actor),
        Command::OfficerList => officers::list(store),
        Command::Export { .. } => Err(
            "a bundle goes back to the command line that asked for it: run `outpost export`".into(),
        ),
        Command::Sync => Err(
            "this appliance has no central_url in its configuration, so it does not sync".into(),
        ),
        Command::Verify => store
            .verify(|n| log::info!("verify: {n} journal entries checked"))
            .map(|r| r.to_string())
            .map_err(|e| format!("verify failed: {e}")),
        Command::Backup { out } => store
            .backup(&out)
            .map(|r| r.to_string())
            .map_err(|e| format!("backup failed: {e}")),
        Command::UserList => {
            let users = store.users().map_err(store_err)?;
            Ok(users
                .iter()
                .map(|u| {
                    format!(
                        "{}  terminals {}  tax codes {}{}\n",
                        u.code,
                        u.terminals.join(","),
                        u.tax_codes.join(","),
                        if u.disabled { "  (disabled)" } else { "" }
                    )
                })
                .collect())
        }
    }
}

fn describe(d: &Direction) -> String {
    let day = |(y, m, dd): Day| format!("{dd:02}/{m:02}/{y}");
    format!(
        "{} {} {}–{} used {}{}{} — {}\n",
        d.tax_code,
        d.category.name(),
        day(d.valid_from),
        day(d.valid_until),
        d.used,
        d.max_declarations
            .map_or(String::new(), |m| format!(" of {m}")),
        if d.revoked { " (revoked)" } else { "" },
        d.reason
    )
}

fn check_tax_code(t: &str) -> Result<(), String> {
    if t.is_empty() || t.len() > 13 || !t.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!(
            "tax code {t:?} must be up to 13 letters or digits, without a hyphen"
        ));
    }
    Ok(())
}

fn init(store: &Store, blocks: Vec<u16>, name: Option<String>, actor: &Actor) -> Outcome {
    let Some(&first) = blocks.first() else {
        return Err("name at least one number block".into());
    };
    if let Some(b) = blocks.iter().find(|&&b| b == DEV_BLOCK || b > MAX_BLOCK) {
        return Err(format!("block {b} is not between 1 and {MAX_BLOCK}"));
    }
    let mut unique = blocks.clone();
    unique.sort_unstable();
    unique.dedup();
    if unique.len() != blocks.len() {
        return Err("a block is named twice".into());
    }
    if let Some(old) = store.site().map_err(store_err)? {
        // Blocks are used in order, each with its own counter, so blocks
        // added at the end give a full site more numbers without touching
        // one already issued; removing or reordering could.
        if !old.blocks.contains(&DEV_BLOCK) && !blocks.starts_with(&old.blocks) {
            return Err(format!(
                "this appliance is already site {:?} with blocks {:?}; a site's blocks never \
                 change, but more can be added after them (--site {} --extra-block …)",
                old.name, old.blocks, old.blocks[0]
            ));
        }
    }
    let site = Site {
        name: name.unwrap_or_else(|| format!("site {first:03}")),
        blocks,
        created_at: now(),
    };
    store.set_site(&site, actor).map_err(store_err)?;
    Ok(format!(
        "initialised {:?}: number blocks {:?}\n",
        site.name, site.blocks
    ))
}

/// Checks a declarant to add and builds its user and terminal records, given
/// what is already held under its user code and terminal ID. Used by the
/// appliance (`outpost user add`) and the centre's registry.
pub fn declarant_records(
    u: &NewUser,
    existing: Option<User>,
    terminal: Option<Terminal>,
) -> Result<(User, Terminal), String> {
    check_code("user code", &u.code, 8..=8)?;
    check_code("terminal ID", &u.terminal, 6..=6)?;
    check_code("access key", &u.access_key, 1..=16)?;
    if u.password.is_empty()
        || u.password.len() > 8
        || !u.password.bytes().all(|b| (0x21..=0x7E).contains(&b))
    {
        return Err("password must be 1–8 printable ASCII characters without spaces".into());
    }
    if u.tax_codes.is_empty() {
        return Err("name at least one tax code the user may declare for".into());
    }
    for t in &u.tax_codes {
        check_tax_code(t)?;
    }
    let signing = match (&u.signing_cert, &u.signing_ca) {
        (None, None) => None,
        (Some(cert), Some(ca)) => {
            smime::check_issued_by(cert, ca)
                .map_err(|e| format!("the signing certificate does not come from that CA: {e}"))?;
            let (_, serial_hex) = smime::certificate_identity(cert).map_err(|e| e.to_string())?;
            Some(smime::Registration {
                ca_der: ca.clone(),
                serial_hex,
            })
        }
        _ => return Err("give both --signing-cert and --signing-ca, or neither".into()),
    };
    let mut terminal = match terminal {
        Some(t) => {
            let same = auth::Verifier::default().verify(
                auth::Secret::AccessKey,
                &u.terminal,
                &u.access_key,
                &t.access_key_hash,
            );
            if !same {
                return Err(format!(
                    "terminal {} is registered with a different access key",
                    u.terminal
                ));
            }
            t
        }
        None => Terminal {
            id: u.terminal.clone(),
            access_key_hash: auth::hash_secret(&u.access_key),
            signing: None,
        },
    };
    if signing.is_some() {
        terminal.signing = signing;
    }
    let mut terminals = existing
        .as_ref()
        .map(|x| x.terminals.clone())
        .unwrap_or_default();
    if !terminals.contains(&u.terminal) {
        terminals.push(u.terminal.clone());
    }
    let user = User {
        code: u.code.clone(),
        password_hash: auth::hash_secret(&u.password),
        terminals,
        tax_codes: u.tax_codes.clone(),
        // Saving a disabled declarant again does not admit it: enabling
        // is its own, audited, step.
        disabled: existing.as_ref().is_some_and(|x| x.disabled),
        created_at: existing.map_or_else(now, |x| x.created_at),
    };
    Ok((user, terminal))
}

fn user_add(store: &Store, u: NewUser, actor: &Actor) -> Outcome {
    let (user, terminal) = declarant_records(
        &u,
        store.user(&u.code).map_err(store_err)?,
        store.terminal(&u.terminal).map_err(store_err)?,
    )?;
    store.put_user(&user, &terminal, actor).map_err(store_err)?;
    Ok(format!(
        "user {} saved: terminals {:?}, tax codes {:?}{}{}\n",
        user.code,
        user.terminals,
        user.tax_codes,
        match &terminal.signing {
            Some(r) => format!(
                ", terminal {} signs with certificate serial {}",
                terminal.id, r.serial_hex
            ),
            None => String::new(),
        },
        if user.disabled {
            " (still disabled)"
        } else {
            ""
        }
    ))
}

/// Saves the declarant `code` as `change` makes it, journaled as
/// `user <code> <what>`; `change` may refuse.
fn change_user(
    store: &Store,
    code: &str,
    what: &str,
    actor: &Actor,
    change: impl FnOnce(&mut User) -> Result<(), String>,
) -> Outcome {
    let action = format!("user {code} {what}");
    store
        .update_user(code, actor, &action, |held| {
            let mut u = held.ok_or_else(|| format!("there is no declarant {code}"))?;
            change(&mut u)?;
            Ok::<_, String>(u)
        })
        .map_err(store_err)??;
    Ok(format!("{action}\n"))
}

fn user_disable(store: &Store, code: &str, disabled: bool, actor: &Actor) -> Outcome {
    let state = if disabled { "disabled" } else { "enabled" };
    change_user(store, code, state, actor, |u| {
        if u.disabled == disabled {
            return Err(format!("declarant {code} is already {state}"));
        }
        u.disabled = disabled;
        Ok(())
    })
}

fn user_remove_terminal(store: &Store, code: &str, terminal: &str, actor: &Actor) -> Outcome {
    let what = format!("terminal {terminal} removed");
    change_user(store, code, &what, actor, |u| {
        if !u.terminals.iter().any(|t| t == terminal) {
            return Err(format!("declarant {code} has no terminal {terminal}"));
        }
        if u.terminals.len() == 1 {
            return Err(format!(
                "terminal {terminal} is the only one of declarant {code}; disable the declarant instead"
            ));
        }
        u.terminals.retain(|t| t != terminal);
        Ok(())
    })
}

/// Runs a command: directly on the store, or through the running
/// appliance when it holds the store.
pub fn run(data_dir: &Path, cache_bytes: u64, req: Request) -> Outcome {
    match Store::open(data_dir, cache_bytes) {
        Ok(store) => execute(&store, req),
        Err(StoreError::Locked(_)) => remote(data_dir, &req),
        Err(e) => Err(e.to_string()),
    }
}
