//! Officers' decisions: rules → store → the output the declarant's
//! terminal is told, in one journaled transaction.

use super::Service;
use crate::rules::decision::{self, Decision, Notify, Refused};
use crate::rules::declaration::{Declaration, Spec};
use crate::rules::numbering::DeclNumber;
use crate::rules::outputs;
use crate::rules::transport::{self, ApprovalRefused, Transport, TransportNumber};
use crate::store::records::Output;
use crate::store::{Actor, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    #[error("there is no declaration {0}")]
    NotFound(DeclNumber),
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum ApproveError {
    #[error("there is no transport {0}")]
    NotFound(TransportNumber),
    #[error(transparent)]
    Refused(#[from] ApprovalRefused),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn officer(login: &str, at: i64) -> Actor {
    Actor {
        name: format!("officer:{login}"),
        at,
    }
}

impl Service {
    /// Takes `decision` on declaration `n` for the officer `login`. The
    /// output it calls for is queued for the terminal the declaration came
    /// from; both are durable on return.
    pub fn decide(
        &self,
        n: DeclNumber,
        decision: &Decision,
        login: &str,
    ) -> Result<Declaration, DecideError> {
        let now = self.now().unix_timestamp();
        let actor = officer(login, now);
        let changed = self
            .store
            .update_declaration(n, &actor, &decision.action(), |cur| {
                let mut d = cur.ok_or(DecideError::NotFound(n))?;
                let notify = decision::apply(&mut d, decision, &actor.name, now)?;
                let queued = self.notification(&d, notify).into_iter().collect();
                Ok::<_, DecideError>((d, queued))
            })??;
        self.store.durable()?;
        log::info!("{} {}: {}", actor.name, changed.number, decision.action());
        Ok(changed)
    }

    /// The officer `login` approves the registered transport `n`; the
    /// approval notice VAS504 is queued for the terminal it came from. Both
    /// are durable on return.
    pub fn approve_transport(
        &self,
        n: TransportNumber,
        login: &str,
    ) -> Result<Transport, ApproveError> {
        let now = self.now().unix_timestamp();
        let actor = officer(login, now);
        let action = "decision: transport approval";
        let changed = self.store.update_transport(n, &actor, action, |cur| {
            let mut t = cur.ok_or(ApproveError::NotFound(n))?;
            transport::approve(&mut t, &actor.name, now)?;
            let registered = self.stamp_of(t.registered_at.unwrap_or(t.created_at));
            let body = outputs::transport_approval(&t, &registered).render();
            let out = self.output_to(&t.user_code, &t.terminal, "VAS5040", "OLC", n, body);
            Ok::<_, ApproveError>((t, vec![out]))
        })??;
        self.store.durable()?;
        log::info!("{} {}: {action}", actor.name, changed.number);
        Ok(changed)
    }

    /// The output a decision sends to the declarant's terminal, if any.
    fn notification(&self, d: &Declaration, notify: Notify) -> Option<(String, Output)> {
        let spec = Spec::of(d.number.family);
        let registered = self.stamp_of(d.registered_at.unwrap_or(d.created_at));
        let corrected = d.amended_at.map(|t| self.stamp_of(t));
        let c = &d.decisions;
        let inspected = [&c.inspection, &c.document_check]
            .into_iter()
            .flatten()
            .map(|r| r.signed.at)
            .max()
            .map(|t| self.stamp_of(t));
        let (code, body) = match notify {
            Notify::Nothing => return None,
            Notify::ChannelNotice => (
                spec.notice_out,
                outputs::channel_notice(spec, d, &registered, corrected.as_ref()),
            ),
            Notify::Release => (
                spec.release_out?,
                outputs::release(spec, d, &registered, corrected.as_ref(), inspected.as_ref())?,
            ),
            Notify::Clearance => {
                let permit = c.cleared.as_ref().map_or(0, |s| s.at);
                (
                    spec.clearance_out,
                    outputs::clearance(
                        spec,
                        d,
                        &registered,
                        corrected.as_ref(),
                        &self.stamp_of(permit),
                        inspected.as_ref(),
                    ),
                )
            }
        };
        Some(self.output_to(
            &d.user_code,
            &d.terminal,
            code,
            spec.reg,
            d.number,
            body.render(),
        ))
    }
}
