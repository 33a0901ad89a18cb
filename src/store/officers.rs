//! Officers' console accounts: their own tree, written through the
//! journaled path like every other record.

use super::records::{decode, encode, Officer};
use super::{Actor, Store, StoreError, Tx, TxResult};
use crate::audit::Change;

impl Store {
    pub fn officer(&self, login: &str) -> Result<Option<Officer>, StoreError> {
        self.t
            .officers
            .get(login.as_bytes())?
            .map(|v| decode("officer", &v))
            .transpose()
    }

    pub fn officers(&self) -> Result<Vec<Officer>, StoreError> {
        self.t
            .officers
            .iter()
            .values()
            .map(|v| decode("officer", &v?))
            .collect()
    }

    /// Saves an account as `change` makes it from the stored one (`None`
    /// for a new login), under the writer lock, and journals it with
    /// `action`; `change` may refuse. Durable on return.
    pub fn update_officer<E>(
        &self,
        login: &str,
        actor: &Actor,
        action: &str,
        change: impl FnOnce(Option<Officer>) -> Result<Officer, E>,
    ) -> Result<Result<Officer, E>, StoreError> {
        self.update_account(
            actor,
            action,
            || self.officer(login),
            change,
            |tx, o| tx.put_officer(o),
        )
    }
}

impl Tx<'_> {
    pub(super) fn put_officer(&self, o: &Officer) -> TxResult<()> {
        self.officers.insert(o.login.as_bytes(), encode(o))?;
        self.note(format!(
            "roles {:?}{}",
            o.roles.iter().map(|r| r.name()).collect::<Vec<_>>(),
            if o.disabled { ", disabled" } else { "" }
        ));
        self.changed(Change::Officer(o.clone()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::records::Role;

    fn officer(login: &str) -> Officer {
        Officer {
            login: login.into(),
            name: "Nguyễn Văn A".into(),
            password_hash: "h".into(),
            roles: vec![Role::It],
            disabled: false,
            failed_logins: 0,
            locked_until: 0,
            created_at: 0,
        }
    }

    #[test]
    fn officer_changes_are_journaled_and_verified() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), 8 << 20).unwrap();
        let actor = Actor {
            name: "operator".into(),
            at: 1,
        };
        s.update_officer("it1", &actor, "officer it1 saved", |cur| {
            assert!(cur.is_none());
            Ok::<_, ()>(officer("it1"))
        })
        .unwrap()
        .unwrap();
        let refused = s
            .update_officer("it1", &actor, "never", |_| Err("no"))
            .unwrap();
        assert_eq!(refused, Err("no"));
        s.update_officer("it1", &actor, "officer it1 login failed", |cur| {
            let mut o = cur.unwrap();
            o.failed_logins += 1;
            Ok::<_, ()>(o)
        })
        .unwrap()
        .unwrap();
        assert_eq!(s.officer("it1").unwrap().unwrap().failed_logins, 1);
        assert_eq!(s.officers().unwrap().len(), 1);
        let history = s.history("officer/it1").unwrap();
        let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["officer it1 saved", "officer it1 login failed"]);
        assert_eq!(s.verify(|_| {}).unwrap().records, 1);

        // An account edited outside the appliance (say, roles widened).
        let mut forged = officer("it1");
        forged.roles = Role::ALL.to_vec();
        s.t.officers.insert("it1", encode(&forged)).unwrap();
        let err = s.verify(|_| {}).unwrap_err().to_string();
        assert!(err.starts_with("officer/it1: differs"), "{err}");
        s.t.officers.remove("it1").unwrap();
        let err = s.verify(|_| {}).unwrap_err().to_string();
        assert!(err.contains("missing from the store"), "{err}");
    }
}
