//! What the centre sends back to its sites before the next outage: the
//! declarant registry (logins, terminals, tax codes, as the centre keeps
//! them) and reference tables (such as the channel rules), under one
//! version number that only grows. A site applies a newer version in one
//! journaled transaction, or not at all.

use serde::{Deserialize, Serialize};

use crate::store::records::{Terminal, User};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Registry {
    /// 0 = nothing published yet.
    pub version: u64,
    pub published_at: i64,
    pub declarants: Vec<Declarant>,
    pub tables: Vec<Table>,
}

/// A declarant's login with the terminals it uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declarant {
    pub user: User,
    pub terminals: Vec<Terminal>,
}

/// A reference table by name (`sync::tables::NAMES`), as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    pub text: String,
}

/// The reference tables a site knows, and from which version.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Reference {
    pub version: u64,
    pub published_at: i64,
    pub tables: Vec<Table>,
}

impl Registry {
    /// A copy with one declarant added or replaced, or one table set, as
    /// the next version.
    pub fn next(&self, published_at: i64, change: impl FnOnce(&mut Registry)) -> Registry {
        let mut r = self.clone();
        change(&mut r);
        r.version = self.version + 1;
        r.published_at = published_at;
        r
    }

    pub fn put_declarant(&mut self, d: Declarant) {
        match self
            .declarants
            .iter_mut()
            .find(|x| x.user.code == d.user.code)
        {
            Some(x) => *x = d,
            None => self.declarants.push(d),
        }
    }

    pub fn put_table(&mut self, t: Table) {
        match self.tables.iter_mut().find(|x| x.name == t.name) {
            Some(x) => *x = t,
            None => self.tables.push(t),
        }
    }

    pub fn table(&self, name: &str) -> Option<&str> {
        self.tables
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.text.as_str())
    }

    /// The terminal records, one per ID (a terminal shared by two
    /// declarants appears once, as the later declarant lists it).
    pub fn terminals(&self) -> Vec<&Terminal> {
        let mut out: Vec<&Terminal> = Vec::new();
        for t in self.declarants.iter().flat_map(|d| &d.terminals) {
            match out.iter_mut().find(|x| x.id == t.id) {
                Some(x) => *x = t,
                None => out.push(t),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declarant(code: &str, terminal: &str, key: &str) -> Declarant {
        Declarant {
            user: User {
                code: code.into(),
                password_hash: "h".into(),
                terminals: vec![terminal.into()],
                tax_codes: vec!["0101234567".into()],
                disabled: false,
                created_at: 0,
            },
            terminals: vec![Terminal {
                id: terminal.into(),
                access_key_hash: key.into(),
                signing: None,
            }],
        }
    }

    #[test]
    fn versions_grow_and_entries_replace_by_key() {
        let r0 = Registry::default();
        let r1 = r0.next(10, |r| {
            r.put_declarant(declarant("ABC12001", "T12345", "k1"))
        });
        let r2 = r1.next(20, |r| {
            r.put_declarant(declarant("XYZ34002", "T12345", "k2"));
            r.put_table(Table {
                name: "channel-rules".into(),
                text: "default_channel = 1".into(),
            });
        });
        let r3 = r2.next(30, |r| {
            let mut again = declarant("ABC12001", "T11111", "k3");
            again.user.disabled = true;
            r.put_declarant(again);
            r.put_table(Table {
                name: "channel-rules".into(),
                text: "default_channel = 2".into(),
            });
        });
        assert_eq!(
            (r0.version, r1.version, r2.version, r3.version),
            (0, 1, 2, 3)
        );
        assert_eq!(r3.published_at, 30);
        assert_eq!(r3.declarants.len(), 2);
        assert!(r3.declarants[0].user.disabled, "replaced in place");
        assert_eq!(r3.table("channel-rules"), Some("default_channel = 2"));
        assert_eq!(r3.table("other"), None);
        let ids: Vec<(&str, &str)> = r3
            .terminals()
            .iter()
            .map(|t| (t.id.as_str(), t.access_key_hash.as_str()))
            .collect();
        assert_eq!(ids, [("T11111", "k3"), ("T12345", "k2")]);
        assert_eq!(r1.declarants.len(), 1, "the older version is unchanged");
    }
}
