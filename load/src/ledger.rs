//! What the appliance acknowledged during a crash run, and the checks that
//! nothing of it was lost, changed or numbered twice. Pure bookkeeping: the
//! crash loop feeds it what terminals saw and asks it what to check.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use outpost::wire::{tables, Fields};
use sha2::{Digest, Sha256};

use crate::traffic::{read_output, registered_copy};

/// The registered copy queued by IDA and the channel notice queued by IDC.
pub const COPY: &str = "VAD4190";
pub const NOTICE: &str = "VAD1AC0";

/// One acknowledged declaration.
#[derive(Debug, Clone)]
pub struct Acked {
    pub terminal: String,
    pub sent: Fields,
    /// IDC was acknowledged too.
    pub registered: bool,
}

#[derive(Default)]
struct State {
    decls: BTreeMap<String, Acked>,
    /// (output code, number) → SHA-256 of the body as first delivered.
    outputs: HashMap<(String, String), [u8; 32]>,
    /// Outputs about numbers no reply ever acknowledged: writes that were
    /// durable when the server died but whose reply never went out.
    unacknowledged: usize,
    problems: Vec<String>,
}

#[derive(Default)]
pub struct Ledger(Mutex<State>);

impl Ledger {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().expect("ledger lock")
    }

    /// IDA answered `00000` with `number`.
    pub fn ida(&self, terminal: &str, number: &str, sent: &Fields) {
        let mut s = self.state();
        let fresh = Acked {
            terminal: terminal.to_string(),
            sent: sent.clone(),
            registered: false,
        };
        if s.decls.insert(number.to_string(), fresh).is_some() {
            s.problems.push(format!("number {number} issued twice"));
        }
    }

    /// IDC answered `00000` for `number`.
    pub fn idc(&self, number: &str) {
        let mut s = self.state();
        match s.decls.get_mut(number) {
            Some(d) => d.registered = true,
            None => s
                .problems
                .push(format!("IDC acknowledged {number}, which no IDA did")),
        }
    }

    /// An output handed over in a retrieval loop. A second delivery of the
    /// same output (its ?A2 was lost in a crash) must be byte-identical.
    pub fn output(&self, terminal: &str, out_code: &str, number: &str, body: &str) {
        let mut s = self.state();
        let key = (out_code.to_string(), number.to_string());
        let digest: [u8; 32] = Sha256::digest(body.as_bytes()).into();
        if let Some(first) = s.outputs.get(&key) {
            if *first != digest {
                s.problems.push(format!(
                    "{out_code} for {number} delivered twice, differently"
                ));
            }
            return;
        }
        s.outputs.insert(key, digest);
        let Some(d) = s.decls.get(number) else {
            s.unacknowledged += 1;
            return;
        };
        let problem = if d.terminal != terminal {
            Some(format!(
                "{out_code} for {number} went to terminal {terminal}"
            ))
        } else if out_code == COPY {
            (read_output(&tables::IDA, body) != registered_copy(&d.sent, number))
                .then(|| format!("{COPY} for {number} does not carry the declared data"))
        } else {
            None
        };
        s.problems.extend(problem);
    }

    /// Every acknowledged declaration, by number.
    pub fn declarations(&self) -> BTreeMap<String, Acked> {
        self.state().decls.clone()
    }

    /// Outputs every acknowledgement promised that no retrieval handed over.
    pub fn missing_outputs(&self) -> Vec<String> {
        let s = self.state();
        let has = |code: &str, n: &str| s.outputs.contains_key(&(code.to_string(), n.to_string()));
        let mut missing = Vec::new();
        for (n, d) in &s.decls {
            if !has(COPY, n) {
                missing.push(format!("{COPY} for {n}"));
            }
            if d.registered && !has(NOTICE, n) {
                missing.push(format!("{NOTICE} for {n}"));
            }
        }
        missing
    }

    pub fn problem(&self, p: String) {
        self.state().problems.push(p);
    }

    /// Prints what was lost or changed; an error when anything was.
    pub fn verdict(&self) -> Result<(), String> {
        let problems = self.problems();
        println!("lost, changed or numbered twice: {}", problems.len());
        for p in &problems {
            println!("  {p}");
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!("{} problems", problems.len()))
        }
    }

    pub fn problems(&self) -> Vec<String> {
        self.state().problems.clone()
    }

    /// (declarations acknowledged, of them registered, outputs seen,
    /// outputs about numbers never acknowledged)
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let s = self.state();
        (
            s.decls.len(),
            s.decls.values().filter(|d| d.registered).count(),
            s.outputs.len(),
            s.unacknowledged,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traffic::Terminal;

    fn sent() -> Fields {
        let mut i = 0;
        Terminal::numbered(1)
            .ida(1, 2, &mut |n| {
                i += 1;
                i % n
            })
            .1
    }

    #[test]
    fn a_clean_run_has_nothing_to_report() {
        let l = Ledger::default();
        let f = sent();
        l.ida("L00001", "190170000010", &f);
        l.idc("190170000010");
        assert_eq!(l.missing_outputs().len(), 2);
        let copy = registered_copy(&f, "190170000010").render();
        l.output("L00001", COPY, "190170000010", &copy);
        l.output("L00001", NOTICE, "190170000010", "notice");
        // Delivered again after a lost ?A2: the same bytes are fine.
        l.output("L00001", NOTICE, "190170000010", "notice");
        assert!(l.missing_outputs().is_empty());
        assert!(l.problems().is_empty(), "{:?}", l.problems());
        assert_eq!(l.counts(), (1, 1, 2, 0));
    }

    #[test]
    fn reissued_numbers_changed_outputs_and_wrong_data_are_reported() {
        let l = Ledger::default();
        let f = sent();
        l.ida("L00001", "190170000010", &f);
        l.ida("L00001", "190170000010", &f);
        l.output("L00001", NOTICE, "190170000010", "one");
        l.output("L00001", NOTICE, "190170000010", "two");
        l.output("L00001", COPY, "190170000010", &f.render());
        l.output("L00002", NOTICE, "190170000020", "not ours");
        l.idc("190170000030");
        let p = l.problems();
        assert_eq!(p.len(), 4, "{p:?}");
        assert!(p[0].contains("issued twice"));
        assert!(p[1].contains("differently"));
        assert!(p[2].contains("declared data"), "the copy lacks the number");
        assert!(p[3].contains("which no IDA did"));
        assert_eq!(l.counts().3, 1, "the output of an unacknowledged number");
    }
}
