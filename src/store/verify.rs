//! `outpost verify`: walks the journal (the audit chain) and cross-checks
//! it against the stored records. Every record in the trees must be exactly
//! what the last journal entry that touched it says, every journaled record
//! must still be there (outputs excepted: acknowledged ones are removed),
//! the indexes must agree with the declarations, and no counter may be
//! behind a number already issued — otherwise a number could be issued twice.

use std::collections::{BTreeMap, HashMap};

use ring::digest::{digest, SHA256};

use super::records::{decode, plain};
use super::{
    be_u64, declarant_key, link_key, parse_head, Store, StoreError, AUDIT_HEAD_KEY, MODE_KEY,
    SITE_KEY,
};
use crate::audit::{Chain, ChainError, Entry};
use crate::rules::declaration::Declaration;

/// What a clean check saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub entries: u64,
    pub declarations: usize,
    pub transports: usize,
    pub pending_outputs: usize,
    /// Records of any kind checked against the journal.
    pub records: usize,
    /// Stored bytes (keys and values) of the journal and of the records
    /// by kind: what the data directory holds before sled's own overhead.
    pub space: Vec<(&'static str, u64)>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "journal: {} entries, chain intact\n\
             records: {} checked against the journal ({} declarations, {} transports, \
             {} outputs waiting)\n",
            self.entries, self.records, self.declarations, self.transports, self.pending_outputs
        )?;
        let total: u64 = self.space.iter().map(|(_, b)| b).sum();
        write!(f, "space: {} stored", mb(total))?;
        for (what, bytes) in &self.space {
            write!(f, ", {what} {}", mb(*bytes))?;
        }
        writeln!(f)
    }
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// The first thing found wrong.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("journal: {0}")]
    Chain(#[from] ChainError),
    #[error("journal: entry {seq} is stored under key {key}")]
    Misfiled { seq: u64, key: u64 },
    #[error(
        "journal: the head records entry {recorded} but the chain ends at entry {found} \
         (entries removed from the end, or the head edited)"
    )]
    Head { recorded: u64, found: u64 },
    #[error("{key}: {problem}")]
    Record { key: String, problem: &'static str },
    #[error("counter {counter} stands at {value} but {issued} was already issued")]
    Counter {
        counter: String,
        value: u64,
        issued: u64,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

const EDITED: &str = "differs from what the journal recorded (changed outside the appliance)";
const UNJOURNALED: &str = "is stored but no journal entry made it";
const DAMAGED: &str = "cannot be read (its stored bytes are damaged)";
const MISSING: &str = "is in the journal but missing from the store";

fn hash(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, bytes).as_ref());
    out
}

/// What the journal says the store holds: record key → hash of its last
/// encoding (hashes, so a million declarations fit in memory).
#[derive(Default)]
struct Expected {
    records: HashMap<String, [u8; 32]>,
    /// Highest number issued per counter key in `meta`.
    counters: BTreeMap<Vec<u8>, u64>,
}

impl Expected {
    fn apply(&mut self, e: &Entry) {
        for c in &e.changes {
            if let Some((k, n)) = super::issued(c) {
                let v = self.counters.entry(k).or_default();
                *v = (*v).max(n);
            }
            self.records.insert(c.key(), hash(&c.encoded_record()));
        }
    }

    /// Compares one stored record and forgets it, so that what remains at
    /// the end is what the store lacks.
    fn check(&mut self, key: String, stored: &[u8]) -> Result<(), VerifyError> {
        let expected = self.records.remove(&key);
        let Ok(stored) = plain("record", stored) else {
            return Err(VerifyError::Record {
                key,
                problem: DAMAGED,
            });
        };
        match expected {
            None => Err(VerifyError::Record {
                key,
                problem: UNJOURNALED,
            }),
            Some(h) if h != hash(&stored) => Err(VerifyError::Record {
                key,
                problem: EDITED,
            }),
            Some(_) => Ok(()),
        }
    }
}

impl Store {
    /// Checks the journal and the records; `progress` gets the number of
    /// journal entries walked so far, now and then. Holds the writer lock
    /// throughout, so on a running appliance intake waits until it is done.
    pub fn verify(&self, mut progress: impl FnMut(u64)) -> Result<Report, VerifyError> {
        let _w = self.writer();
        let t = &self.t;
        let mut chain = Chain::default();
        let mut expected = Expected::default();
        let mut space = Vec::new();
        let mut journal_bytes = 0;
        for kv in t.audit.iter() {
            let (k, v) = kv.map_err(StoreError::from)?;
            journal_bytes += (k.len() + v.len()) as u64;
            let e: Entry = decode("audit entry", &v)?;
            let key = be_u64(Some(k));
            if key != e.seq {
                return Err(VerifyError::Misfiled { seq: e.seq, key });
            }
            chain.push(&e, &v)?;
            expected.apply(&e);
            if e.seq % 10_000 == 0 {
                progress(e.seq);
            }
        }
        let (entries, head) = chain.head();
        let recorded = parse_head(
            t.meta
                .get(AUDIT_HEAD_KEY)
                .map_err(StoreError::from)?
                .as_deref(),
        );
        if recorded != (entries, head) {
            return Err(VerifyError::Head {
                recorded: recorded.0,
                found: entries,
            });
        }
        progress(entries);
        space.push(("journal", journal_bytes));

        let mut records = 0;
        let mut check_tree = |name, tree: &sled::Tree, key_of: &dyn Fn(&[u8]) -> String| {
            let (mut n, mut bytes) = (0, 0);
            for kv in tree.iter() {
                let (k, v) = kv.map_err(StoreError::from)?;
                expected.check(key_of(&k), &v)?;
                n += 1;
                bytes += (k.len() + v.len()) as u64;
            }
            records += n;
            match space.last_mut() {
                Some((last, b)) if *last == name => *b += bytes,
                _ => space.push((name, bytes)),
            }
            Ok::<usize, VerifyError>(n)
        };
        let text = |k: &[u8]| String::from_utf8_lossy(k).into_owned();
        let declarations = check_tree("declarations", &t.declarations, &|k| {
            format!("declaration/{}", text(k))
        })?;
        let transports = check_tree("transports", &t.transports, &|k| {
            format!("transport/{}", text(k))
        })?;
        const ACCOUNTS: &str = "accounts and directions";
        for (tree, kind) in [
            (&t.users, "user"),
            (&t.terminals, "terminal"),
            (&t.officers, "officer"),
        ] {
            check_tree(ACCOUNTS, tree, &|k| format!("{kind}/{}", text(k)))?;
        }
        check_tree(ACCOUNTS, &t.directions, &|k| {
            format!("direction/{}", be_u32(k))
        })?;
        let pending_outputs = check_tree("outputs", &t.outputs, &|k| {
            format!(
                "output/{}/{}",
                text(&k[..6.min(k.len())]),
                be_u64(Some(k.get(6..).unwrap_or_default().into()))
            )
        })?;
        for (key, name) in [
            (SITE_KEY, "site"),
            (MODE_KEY, "mode"),
            (super::REFERENCE_KEY, "reference"),
            (super::settings::CONFIG_KEY, "config"),
        ] {
            if let Some(v) = t.meta.get(key).map_err(StoreError::from)? {
                expected.check(name.into(), &v)?;
                records += 1;
            }
        }
        // Acknowledged outputs are gone from the store on purpose.
        if let Some(key) = expected.records.keys().find(|k| !k.starts_with("output/")) {
            return Err(VerifyError::Record {
                key: key.clone(),
                problem: MISSING,
            });
        }
        for (counter, issued) in &expected.counters {
            let value = be_u64(t.meta.get(counter).map_err(StoreError::from)?);
            if value < *issued {
                return Err(VerifyError::Counter {
                    counter: String::from_utf8_lossy(counter).into_owned(),
                    value,
                    issued: *issued,
                });
            }
        }
        self.verify_indexes()?;
        let mut index_bytes = 0;
        for tree in [&t.by_declarant, &t.links, &t.divided, &t.audit_index] {
            for kv in tree.iter() {
                let (k, v) = kv.map_err(StoreError::from)?;
                index_bytes += (k.len() + v.len()) as u64;
            }
        }
        space.push(("indexes", index_bytes));
        Ok(Report {
            entries,
            declarations,
            transports,
            pending_outputs,
            records,
            space,
        })
    }

    /// The declarant, continuation and divided-set indexes name exactly the
    /// stored declarations.
    fn verify_indexes(&self) -> Result<(), VerifyError> {
        let t = &self.t;
        // Each index: its name, and what the tree holds beyond its entries.
        let indexes = [
            (
                &t.by_declarant,
                "by_declarant",
                "indexes declarations that are not stored",
            ),
            (&t.links, "links", "links declarations that are not stored"),
            (
                &t.divided,
                "divided",
                "lists declarations that are not in its sets",
            ),
        ];
        let mut counts = [0; 3];
        for v in t.declarations.iter().values() {
            let d: Declaration = decode("declaration", &v.map_err(StoreError::from)?)?;
            let entries = [
                (
                    Some(declarant_key(&d.user_code, d.number)),
                    "is missing from its declarant's index",
                ),
                (
                    d.continues.map(|orig| link_key(orig, d.number)),
                    "is missing from its temporary declaration's links",
                ),
                (
                    d.divided_set().map(|first| link_key(first, d.number)),
                    "is missing from its divided set's index",
                ),
            ];
            for (i, (entry, problem)) in entries.into_iter().enumerate() {
                let Some(entry) = entry else { continue };
                counts[i] += 1;
                if !indexes[i].0.contains_key(entry).map_err(StoreError::from)? {
                    return Err(VerifyError::Record {
                        key: format!("declaration/{}", d.number.base()),
                        problem,
                    });
                }
            }
        }
        for ((tree, name, problem), count) in indexes.into_iter().zip(counts) {
            if tree.len() != count {
                return Err(VerifyError::Record {
                    key: name.into(),
                    problem,
                });
            }
        }
        Ok(())
    }
}

fn be_u32(k: &[u8]) -> u32 {
    <[u8; 4]>::try_from(k).map_or(0, u32::from_be_bytes)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::audit::Entry;
    use crate::rules::declaration::tests::fields;
    use crate::rules::declaration::{Declaration, IMPORT};
    use crate::rules::eligibility::{Basis, Mode};
    use crate::store::records::{encode, Output, Site, Terminal, User};
    use crate::store::Actor;

    fn actor(name: &str) -> Actor {
        Actor {
            name: name.into(),
            at: 1_800_000_000,
        }
    }

    /// A new import declaration by ABC12001 with its registered copy.
    pub(in crate::store) fn declare(s: &Store, i: i64) -> Declaration {
        let values = fields(&IMPORT, &[("ECN", 0, "")]).values().to_vec();
        s.create_declaration(
            IMPORT.family,
            Basis::Outage,
            &actor("ABC12001"),
            "job IDA",
            |n| {
                let d = Declaration::pre_registered(&IMPORT, n, "ABC12001", "T12345", values, i);
                let out = Output {
                    out_code: "VAD4190".into(),
                    job: "IDA".into(),
                    user_code: "ABC12001".into(),
                    subject: n.to_string(),
                    body: format!("copy {i}"),
                    created_at: i,
                };
                Ok::<_, ()>((d, vec![("T12345".to_string(), out)]))
            },
        )
        .unwrap()
        .unwrap()
    }

    /// A store with a site, a declarant, a mode switch and three
    /// declarations, each with an output; one output acknowledged.
    pub(in crate::store) fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), 8 << 20).unwrap();
        let site = Site {
            name: "t".into(),
            blocks: vec![17],
            created_at: 0,
        };
        s.set_site(&site, &actor("operator")).unwrap();
        let user = User {
            code: "ABC12001".into(),
            password_hash: "x".into(),
            terminals: vec!["T12345".into()],
            tax_codes: vec!["0101234567".into()],
            disabled: false,
            created_at: 0,
        };
        let terminal = Terminal {
            id: "T12345".into(),
            access_key_hash: "y".into(),
            signing: None,
        };
        s.put_user(&user, &terminal, &actor("operator")).unwrap();
        s.set_mode(Mode::Active, "outage", &actor("it")).unwrap();
        for i in 0..3 {
            declare(&s, i);
        }
        let (seq, _) = s.next_output("T12345").unwrap().unwrap();
        assert!(s.ack_output("T12345", seq).unwrap());
        (dir, s)
    }

    fn entry(s: &Store, seq: u64) -> Entry {
        decode(
            "audit entry",
            &s.t.audit.get(seq.to_be_bytes()).unwrap().unwrap(),
        )
        .unwrap()
    }

    fn first_declaration(s: &Store) -> (sled::IVec, Declaration) {
        let (k, v) = s.t.declarations.iter().next().unwrap().unwrap();
        (k, decode("declaration", &v).unwrap())
    }

    #[test]
    fn a_clean_store_checks_out() {
        let (_d, s) = store();
        let r = s.verify(|_| {}).unwrap();
        assert_eq!(
            r,
            Report {
                entries: 6,
                declarations: 3,
                transports: 0,
                pending_outputs: 2,
                // 3 declarations, 2 outputs, user, terminal, site, mode
                records: 9,
                space: r.space.clone(),
            }
        );
        let kinds: Vec<_> = r.space.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            kinds,
            [
                "journal",
                "declarations",
                "transports",
                "accounts and directions",
                "outputs",
                "indexes"
            ]
        );
        let bytes = |kind| r.space.iter().find(|(k, _)| *k == kind).unwrap().1;
        assert!(bytes("journal") > bytes("declarations") && bytes("declarations") > 0);
        assert_eq!(bytes("transports"), 0);
        let history = s.history("declaration/").unwrap();
        assert!(history.is_empty(), "a prefix is not a key");
        let (_, d) = first_declaration(&s);
        let history = s.history(&format!("declaration/{}", d.number)).unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].actor, "ABC12001");
        assert_eq!(history[0].detail, d.number.to_string());
    }

    #[test]
    fn an_edited_entry_breaks_the_chain() {
        let (_d, s) = store();
        let mut e = entry(&s, 2);
        e.actor = "someone else".into();
        s.t.audit.insert(2u64.to_be_bytes(), encode(&e)).unwrap();
        assert!(matches!(
            s.verify(|_| {}),
            Err(VerifyError::Chain(ChainError::Link(3)))
        ));
    }

    #[test]
    fn a_deleted_entry_breaks_the_sequence() {
        let (_d, s) = store();
        s.t.audit.remove(3u64.to_be_bytes()).unwrap();
        assert!(matches!(
            s.verify(|_| {}),
            Err(VerifyError::Chain(ChainError::Sequence {
                expected: 3,
                found: 4
            }))
        ));
    }

    #[test]
    fn reordered_entries_are_misfiled() {
        let (_d, s) = store();
        let (a, b) = (entry(&s, 2), entry(&s, 3));
        s.t.audit.insert(2u64.to_be_bytes(), encode(&b)).unwrap();
        s.t.audit.insert(3u64.to_be_bytes(), encode(&a)).unwrap();
        assert!(matches!(
            s.verify(|_| {}),
            Err(VerifyError::Misfiled { seq: 3, key: 2 })
        ));
    }

    #[test]
    fn a_removed_last_entry_no_longer_matches_the_head() {
        let (_d, s) = store();
        s.t.audit.remove(6u64.to_be_bytes()).unwrap();
        assert!(matches!(
            s.verify(|_| {}),
            Err(VerifyError::Head {
                recorded: 6,
                found: 5
            })
        ));
    }

    #[test]
    fn records_changed_outside_the_journal_are_found() {
        let (_d, s) = store();
        let (k, mut d) = first_declaration(&s);
        d.channel_rule = Some("forged".into());
        s.t.declarations.insert(&k, encode(&d)).unwrap();
        let err = s.verify(|_| {}).unwrap_err().to_string();
        assert!(
            err.contains(&d.number.to_string()) && err.contains("differs"),
            "{err}"
        );

        let (_d, s) = store();
        let (k, _) = first_declaration(&s);
        s.t.declarations.remove(&k).unwrap();
        let err = s.verify(|_| {}).unwrap_err().to_string();
        assert!(err.contains("missing from the store"), "{err}");

        let (_d, s) = store();
        let (_, mut d) = first_declaration(&s);
        d.number.seq = 999;
        s.t.declarations
            .insert(d.number.base().to_string(), encode(&d))
            .unwrap();
        let err = s.verify(|_| {}).unwrap_err().to_string();
        assert!(err.contains("no journal entry"), "{err}");

        let (_d, s) = store();
        let (_, mut o) = s.next_output("T12345").unwrap().unwrap();
        let (k, _) = s.t.outputs.iter().next().unwrap().unwrap();
        o.body = "forged".into();
        s.t.outputs.insert(k, encode(&o)).unwrap();
        let err = s.verify(|_| {}).unwrap_err().to_string();
        assert!(
            err.starts_with("output/T12345/") && err.contains("differs"),
            "{err}"
        );
    }

    #[test]
    fn a_counter_behind_an_issued_number_is_found() {
        let (_d, s) = store();
        s.t.meta
            .insert(
                crate::store::seq_key(IMPORT.family, 17),
                &1u64.to_be_bytes(),
            )
            .unwrap();
        let err = s.verify(|_| {}).unwrap_err();
        assert!(
            matches!(
                err,
                VerifyError::Counter {
                    value: 1,
                    issued: 3,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn indexes_must_match_the_declarations() {
        let (_d, s) = store();
        let (_, d) = first_declaration(&s);
        s.t.by_declarant
            .remove(declarant_key(&d.user_code, d.number))
            .unwrap();
        let err = s.verify(|_| {}).unwrap_err().to_string();
        assert!(err.contains("declarant's index"), "{err}");
    }

    /// Sets FIC/BNO/DNO of declaration `n` as a replacing pre-registration.
    pub(in crate::store) fn divide(
        s: &Store,
        n: crate::rules::numbering::DeclNumber,
        fic: &str,
        bno: &str,
        dno: &str,
    ) {
        s.update_declaration(n, &actor("ABC12001"), "job IDA", |cur| {
            let mut d = cur.unwrap();
            let mut f = IMPORT.fields(&d);
            for (k, v) in [("FIC", fic), ("BNO", bno), ("DNO", dno)] {
                f.set(k, v);
            }
            d.values = f.values().to_vec();
            Ok::<_, ()>((d, Vec::new()))
        })
        .unwrap()
        .unwrap();
    }

    #[test]
    fn the_divided_index_follows_each_set() {
        let (dir, s) = store();
        let numbers: Vec<_> =
            s.t.declarations
                .iter()
                .values()
                .map(|v| {
                    decode::<Declaration>("declaration", &v.unwrap())
                        .unwrap()
                        .number
                })
                .collect();
        let (first, part, other) = (numbers[0], numbers[1], numbers[2]);
        divide(&s, first, "F", "1", "2");
        divide(&s, part, &first.to_string(), "2", "2");
        let set = |n| -> Vec<_> { s.divided_set(n).unwrap().iter().map(|d| d.number).collect() };
        assert_eq!(set(first), [first, part]);
        s.verify(|_| {}).unwrap();
        // A part that moves to another set leaves the first one.
        divide(&s, other, "F", "1", "2");
        divide(&s, part, &other.to_string(), "2", "2");
        assert_eq!((set(first), set(other)), (vec![first], vec![part, other]));
        s.verify(|_| {}).unwrap();
        divide(&s, part, "", "", "");
        assert_eq!(set(other), [other]);
        s.verify(|_| {}).unwrap();

        s.t.divided.remove(link_key(other, other)).unwrap();
        let err = s.verify(|_| {}).unwrap_err().to_string();
        assert!(err.contains("divided set's index"), "{err}");
        // A store from before the index gets it when opened.
        s.t.meta.remove(crate::store::DIVIDED_INDEX_KEY).unwrap();
        drop(s);
        let s = Store::open(dir.path(), 8 << 20).unwrap();
        assert_eq!(s.divided_set(other).unwrap().len(), 1);
        s.verify(|_| {}).unwrap();
    }
}
