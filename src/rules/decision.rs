//! Officers' decisions on a registered declaration: channel changes,
//! document and physical check results, release, clearance and tax notes.
//! Which decision may follow which is decided here; who may take it is the
//! console's role table.

use serde::{Deserialize, Serialize};

use super::channel::Channel;
use super::declaration::{Declaration, Status};

/// Who decided and when (unix seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signed {
    pub by: String,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelChange {
    pub from: Channel,
    pub to: Channel,
    pub reason: String,
    pub signed: Signed,
}

/// The result of a document check or a physical inspection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub passed: bool,
    pub note: String,
    pub signed: Signed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub text: String,
    pub signed: Signed,
}

/// What officers decided on a declaration so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decisions {
    /// Oldest first; the declaration's `channel` is the latest.
    pub channel_changes: Vec<ChannelChange>,
    pub document_check: Option<CheckResult>,
    pub inspection: Option<CheckResult>,
    pub tax_notes: Vec<Note>,
    /// Goods released before clearance (import), e.g. pending tax.
    pub released: Option<Signed>,
    pub cleared: Option<Signed>,
}

/// One decision as an officer asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Decision {
    Channel { channel: u8, reason: String },
    DocumentCheck { passed: bool, note: String },
    Inspection { passed: bool, note: String },
    Release,
    Clearance,
    TaxNote { text: String },
}

impl Decision {
    /// The journal's name for it.
    pub fn action(&self) -> String {
        match self {
            Decision::Channel { channel, .. } => format!("decision: channel {channel}"),
            Decision::DocumentCheck { passed, .. } => {
                format!("decision: document check {}", verdict(*passed))
            }
            Decision::Inspection { passed, .. } => {
                format!("decision: physical inspection {}", verdict(*passed))
            }
            Decision::Release => "decision: release".into(),
            Decision::Clearance => "decision: clearance".into(),
            Decision::TaxNote { .. } => "decision: tax note".into(),
        }
    }
}

fn verdict(passed: bool) -> &'static str {
    if passed {
        "passed"
    } else {
        "failed"
    }
}

/// What the declarant's terminal is told of a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notify {
    /// Nothing goes to the terminal (checks, notes).
    Nothing,
    /// A new channel notice (VAD1AC / VAE1LD).
    ChannelNotice,
    /// The clearance output (VAD1AG / VAE1LF).
    Clearance,
    /// Import release (VAD1BJ, sent in an assumed layout: see
    /// `rules::outputs`).
    Release,
}

/// Longest note or reason kept, in characters.
pub const MAX_TEXT: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the declaration is not registered yet")]
    NotRegistered,
    #[error("the declaration is already cleared")]
    Cleared,
    #[error("the goods are already released")]
    Released,
    #[error("an amendment is waiting to be registered")]
    PendingAmendment,
    #[error("channel {0} does not exist (1 green, 2 yellow, 3 red)")]
    NoSuchChannel(u8),
    #[error("the declaration is already in that channel")]
    SameChannel,
    #[error("a green-channel declaration has no {0}")]
    NotInChannel(&'static str),
    #[error("the {0} has not been recorded as passed")]
    Outstanding(&'static str),
    #[error("give a reason or note (1 to {MAX_TEXT} characters)")]
    Text,
    #[error("release applies to imports only; exports are cleared")]
    ExportRelease,
}

impl Refused {
    /// A stable key the console translates.
    pub fn key(&self) -> &'static str {
        match self {
            Refused::NotRegistered => "not_registered",
            Refused::Cleared => "cleared",
            Refused::Released => "released",
            Refused::PendingAmendment => "pending_amendment",
            Refused::NoSuchChannel(_) => "no_such_channel",
            Refused::SameChannel => "same_channel",
            Refused::NotInChannel(_) => "not_in_channel",
            Refused::Outstanding(_) => "outstanding",
            Refused::Text => "text",
            Refused::ExportRelease => "export_release",
        }
    }
}

const DOCUMENT_CHECK: &str = "document check";
const INSPECTION: &str = "physical inspection";

fn text(s: &str) -> Result<String, Refused> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > MAX_TEXT {
        return Err(Refused::Text);
    }
    Ok(t.to_string())
}

fn passed(r: &Option<CheckResult>) -> bool {
    r.as_ref().is_some_and(|c| c.passed)
}

/// The checks the current channel requires have passed: none for green,
/// documents for yellow, documents and the goods for red.
fn checks_done(d: &Declaration) -> Result<(), Refused> {
    let c = &d.decisions;
    let channel = d.channel.unwrap_or(Channel::Green);
    if channel >= Channel::Yellow && !passed(&c.document_check) {
        return Err(Refused::Outstanding(DOCUMENT_CHECK));
    }
    if channel == Channel::Red && !passed(&c.inspection) {
        return Err(Refused::Outstanding(INSPECTION));
    }
    Ok(())
}

/// Applies `decision` to the declaration, or says why it cannot be taken
/// now; returns what the declarant's terminal must be told.
pub fn apply(
    d: &mut Declaration,
    decision: &Decision,
    by: &str,
    at: i64,
) -> Result<Notify, Refused> {
    if d.status != Status::Registered {
        return Err(Refused::NotRegistered);
    }
    let signed = Signed {
        by: by.to_string(),
        at,
    };
    // Tax can be noted after clearance (post-clearance checks); nothing
    // else changes a cleared declaration.
    if let Decision::TaxNote { text: t } = decision {
        d.decisions.tax_notes.push(Note {
            text: text(t)?,
            signed,
        });
        return Ok(Notify::Nothing);
    }
    if d.decisions.cleared.is_some() {
        return Err(Refused::Cleared);
    }
    let channel = d.channel.unwrap_or(Channel::Green);
    match decision {
        Decision::Channel {
            channel: to,
            reason,
        } => {
            if d.decisions.released.is_some() {
                return Err(Refused::Released);
            }
            let to = Channel::from_number(*to).ok_or(Refused::NoSuchChannel(*to))?;
            if to == channel {
                return Err(Refused::SameChannel);
            }
            d.decisions.channel_changes.push(ChannelChange {
                from: channel,
                to,
                reason: text(reason)?,
                signed,
            });
            d.channel = Some(to);
            Ok(Notify::ChannelNotice)
        }
        Decision::DocumentCheck { passed, note } | Decision::Inspection { passed, note } => {
            let (what, needs) = match decision {
                Decision::DocumentCheck { .. } => (DOCUMENT_CHECK, Channel::Yellow),
                _ => (INSPECTION, Channel::Red),
            };
            if channel < needs {
                return Err(Refused::NotInChannel(what));
            }
            let result = Some(CheckResult {
                passed: *passed,
                note: if *passed && note.trim().is_empty() {
                    String::new()
                } else {
                    text(note)?
                },
                signed,
            });
            if what == DOCUMENT_CHECK {
                d.decisions.document_check = result;
            } else {
                d.decisions.inspection = result;
            }
            Ok(Notify::Nothing)
        }
        Decision::Release => {
            if d.number.family == super::numbering::Family::Export {
                return Err(Refused::ExportRelease);
            }
            if d.decisions.released.is_some() {
                return Err(Refused::Released);
            }
            if d.pending_amendment.is_some() {
                return Err(Refused::PendingAmendment);
            }
            checks_done(d)?;
            d.decisions.released = Some(signed);
            Ok(Notify::Release)
        }
        Decision::Clearance => {
            if d.pending_amendment.is_some() {
                return Err(Refused::PendingAmendment);
            }
            checks_done(d)?;
            d.decisions.cleared = Some(signed);
            Ok(Notify::Clearance)
        }
        Decision::TaxNote { .. } => unreachable!("handled above"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::declaration::{EXPORT, IMPORT};
    use crate::rules::numbering::DeclNumber;

    fn registered(channel: Channel) -> Declaration {
        let n = DeclNumber::parse("190170000010").unwrap();
        Declaration {
            status: Status::Registered,
            channel: Some(channel),
            ..Declaration::pre_registered(&IMPORT, n, "ABC12001", "T12345", vec![], 0)
        }
    }

    fn check(passed: bool) -> Decision {
        Decision::DocumentCheck {
            passed,
            note: "invoice matches".into(),
        }
    }

    fn inspect(passed: bool) -> Decision {
        Decision::Inspection {
            passed,
            note: "seal intact".into(),
        }
    }

    /// Applies decisions in order; the outcome of each.
    fn run(mut d: Declaration, steps: &[Decision]) -> (Declaration, Vec<Result<Notify, String>>) {
        let out = steps
            .iter()
            .enumerate()
            .map(|(i, s)| apply(&mut d, s, "officer:sup1", i as i64).map_err(|e| e.key().into()))
            .collect();
        (d, out)
    }

    #[test]
    fn clearance_needs_the_checks_of_the_channel() {
        use Notify::*;
        let channel = |c: u8| Decision::Channel {
            channel: c,
            reason: "intelligence report 12".into(),
        };
        let note = Decision::TaxNote {
            text: "HS 8471 rate checked".into(),
        };
        type Row = (
            &'static str,
            Channel,
            Vec<Decision>,
            Vec<Result<Notify, &'static str>>,
        );
        let rows: Vec<Row> = vec![
            (
                "green clears at once",
                Channel::Green,
                vec![Decision::Clearance],
                vec![Ok(Clearance)],
            ),
            (
                "yellow needs documents",
                Channel::Yellow,
                vec![
                    Decision::Clearance,
                    check(false),
                    Decision::Clearance,
                    check(true),
                    Decision::Clearance,
                ],
                vec![
                    Err("outstanding"),
                    Ok(Nothing),
                    Err("outstanding"),
                    Ok(Nothing),
                    Ok(Clearance),
                ],
            ),
            (
                "red needs documents and goods",
                Channel::Red,
                vec![
                    inspect(true),
                    Decision::Clearance,
                    check(true),
                    Decision::Release,
                    Decision::Clearance,
                ],
                vec![
                    Ok(Nothing),
                    Err("outstanding"),
                    Ok(Nothing),
                    Ok(Release),
                    Ok(Clearance),
                ],
            ),
            (
                "no checks in green",
                Channel::Green,
                vec![check(true), inspect(true)],
                vec![Err("not_in_channel"), Err("not_in_channel")],
            ),
            (
                "inspection only in red",
                Channel::Yellow,
                vec![inspect(true)],
                vec![Err("not_in_channel")],
            ),
            (
                "risk moves it to red; inspection is then due",
                Channel::Yellow,
                vec![
                    check(true),
                    channel(3),
                    Decision::Clearance,
                    inspect(true),
                    Decision::Clearance,
                ],
                vec![
                    Ok(Nothing),
                    Ok(ChannelNotice),
                    Err("outstanding"),
                    Ok(Nothing),
                    Ok(Clearance),
                ],
            ),
            (
                "channel changes are checked",
                Channel::Green,
                vec![
                    channel(1),
                    channel(4),
                    Decision::Channel {
                        channel: 2,
                        reason: " ".into(),
                    },
                ],
                vec![Err("same_channel"), Err("no_such_channel"), Err("text")],
            ),
            (
                "nothing after clearance but tax notes",
                Channel::Green,
                vec![
                    Decision::Clearance,
                    channel(3),
                    Decision::Clearance,
                    Decision::Release,
                    note.clone(),
                ],
                vec![
                    Ok(Clearance),
                    Err("cleared"),
                    Err("cleared"),
                    Err("cleared"),
                    Ok(Nothing),
                ],
            ),
            (
                "release once, then no channel change",
                Channel::Green,
                vec![
                    Decision::Release,
                    Decision::Release,
                    channel(2),
                    Decision::Clearance,
                ],
                vec![Ok(Release), Err("released"), Err("released"), Ok(Clearance)],
            ),
            (
                "a failed check needs a note",
                Channel::Yellow,
                vec![Decision::DocumentCheck {
                    passed: false,
                    note: "".into(),
                }],
                vec![Err("text")],
            ),
        ];
        for (name, ch, steps, want) in rows {
            let (_, got) = run(registered(ch), &steps);
            let want: Vec<Result<Notify, String>> =
                want.into_iter().map(|r| r.map_err(String::from)).collect();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn decisions_are_recorded_with_who_and_when() {
        let (d, _) = run(
            registered(Channel::Yellow),
            &[
                Decision::Channel {
                    channel: 3,
                    reason: "tip-off".into(),
                },
                check(true),
                inspect(true),
                Decision::Clearance,
            ],
        );
        assert_eq!(d.channel, Some(Channel::Red));
        let c = &d.decisions;
        assert_eq!(c.channel_changes[0].from, Channel::Yellow);
        assert_eq!(c.channel_changes[0].signed.by, "officer:sup1");
        assert_eq!(c.document_check.as_ref().unwrap().note, "invoice matches");
        assert_eq!(c.cleared.as_ref().unwrap().at, 3);
    }

    #[test]
    fn states_that_refuse_every_decision() {
        let pre = Declaration {
            status: Status::PreRegistered,
            ..registered(Channel::Green)
        };
        let (_, got) = run(pre, &[Decision::Clearance]);
        assert_eq!(got, [Err("not_registered".to_string())]);
        let pending = Declaration {
            pending_amendment: Some(vec![]),
            ..registered(Channel::Green)
        };
        let (_, got) = run(pending, &[Decision::Clearance, Decision::Release]);
        assert_eq!(
            got,
            [
                Err("pending_amendment".to_string()),
                Err("pending_amendment".to_string())
            ]
        );
        let export = Declaration {
            number: DeclNumber::parse("390170000010").unwrap(),
            job: EXPORT.pre.into(),
            ..registered(Channel::Green)
        };
        let (_, got) = run(export, &[Decision::Release, Decision::Clearance]);
        assert_eq!(
            got,
            [Err("export_release".to_string()), Ok(Notify::Clearance)]
        );
    }
}
