//! The centre's operator commands (`outpost central site add`, `report`,
//! `user add`, `table set`, and `outpost import`). They run on the central
//! store directly, or through the running centre's admin socket.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{CentralError, CentralStore, SiteReport};
use crate::admin::{declarant_records, NewUser, Outcome};
use crate::clock::{iso, now};
use crate::sync::export::describe;
use crate::sync::registry::{Declarant, Table};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Command {
    SiteAdd {
        site: u16,
        name: Option<String>,
        cert_der: Vec<u8>,
        bundle_key: Vec<u8>,
    },
    Report,
    /// A bundle file to verify and ingest (an absolute path).
    Import(PathBuf),
    /// A declarant for the registry sent to the sites.
    UserAdd(NewUser),
    /// A reference table for the registry.
    TableSet {
        name: String,
        text: String,
    },
}

fn err(e: CentralError) -> String {
    e.to_string()
}

pub fn execute(store: &CentralStore, cmd: Command) -> Outcome {
    match cmd {
        Command::SiteAdd {
            site,
            name,
            cert_der,
            bundle_key,
        } => {
            let entry = super::SiteEntry {
                site,
                name: name.unwrap_or_default(),
                cert_der,
                bundle_key,
                added_at: now(),
            };
            store.add_site(&entry).map_err(err)?;
            Ok(format!(
                "site {site:03} registered: client certificate SHA-256 {}\n",
                crate::sync::identity::hex(&crate::sync::identity::fingerprint(&entry.cert_der))
            ))
        }
        Command::Report => Ok(report(&store.report().map_err(err)?)),
        Command::Import(path) => {
            let file = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into(),
            );
            let (manifest, r) = store.import_bundle(&file, &name, now()).map_err(err)?;
            let mut out = format!(
                "{}: verified {}imported {} new, {} already held, {} conflicts, {} withheld after \
                 a conflict; site {:03} now complete up to {}\n",
                path.display(),
                describe(&manifest),
                r.stored,
                r.duplicates,
                r.conflicts.len(),
                r.withheld,
                r.site,
                r.acked
            );
            for c in &r.conflicts {
                out += &format!("  conflict at event {}: {}\n", c.seq, c.reason);
            }
            Ok(out)
        }
        Command::UserAdd(u) => {
            let registry = store
                .publish(|r| {
                    let held = r.declarants.iter().find(|d| d.user.code == u.code);
                    let terminal = r
                        .terminals()
                        .into_iter()
                        .find(|t| t.id == u.terminal)
                        .cloned();
                    let (user, terminal) =
                        declarant_records(&u, held.map(|d| d.user.clone()), terminal)?;
                    let mut terminals: Vec<_> = held
                        .map(|d| d.terminals.clone())
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|t| t.id != terminal.id)
                        .collect();
                    terminals.push(terminal);
                    Ok(r.next(now(), |r| r.put_declarant(Declarant { user, terminals })))
                })
                .map_err(err)?;
            Ok(format!(
                "declarant {} in registry version {}\n",
                u.code, registry.version
            ))
        }
        Command::TableSet { name, text } => {
            crate::sync::tables::check(&name, &text)?;
            let registry = store
                .publish(|r| {
                    Ok(r.next(now(), |r| {
                        r.put_table(Table {
                            name: name.clone(),
                            text,
                        })
                    }))
                })
                .map_err(err)?;
            Ok(format!(
                "table {name} in registry version {}\n",
                registry.version
            ))
        }
    }
}

fn report(sites: &[SiteReport]) -> String {
    if sites.is_empty() {
        return "no sites registered\n".into();
    }
    let mut out = String::new();
    for s in sites {
        let st = &s.state;
        out += &format!(
            "site {:03}{}: complete up to {}, highest {}, {} events held, {} conflicts, \
             last contact {}{}\n",
            s.site.site,
            if s.site.name.is_empty() {
                String::new()
            } else {
                format!(" ({})", s.site.name)
            },
            st.acked,
            st.highest,
            st.held,
            st.conflicts,
            iso(st.last_contact),
            if st.last_via.is_empty() {
                String::new()
            } else {
                format!(" ({})", st.last_via)
            }
        );
        for (a, b) in &s.gaps {
            out += &format!("  gap: events {a}–{b} missing\n");
        }
        for c in &s.recent_conflicts {
            out += &format!(
                "  conflict at event {} ({}, {}): {}{}\n",
                c.seq,
                iso(c.at),
                c.via,
                c.reason,
                if c.times > 1 {
                    format!(" (sent {} times, last {})", c.times, iso(c.last_at))
                } else {
                    String::new()
                }
            );
        }
    }
    out
}

/// Runs a command on the centre's store, or through the running centre.
pub fn run(data_dir: &Path, cache_bytes: u64, cmd: Command) -> Outcome {
    let create = matches!(cmd, Command::SiteAdd { .. });
    match CentralStore::open(data_dir, cache_bytes, create) {
        Ok(store) => {
            let out = execute(&store, cmd);
            if let Err(e) = store.close(crate::store::DEFAULT_FLUSH_TIMEOUT) {
                log::error!("closing the centre's store: {e}");
            }
            out
        }
        Err(CentralError::Store(crate::store::StoreError::Locked(_))) => {
            crate::admin::remote(data_dir, &cmd)
        }
        Err(e) => Err(e.to_string()),
    }
}
