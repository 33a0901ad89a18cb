//! The journaled settings of `outpost.toml`: the last ones journaled are
//! kept in `meta`, so a start with different settings journals the change.

use super::records::{decode, encode};
use super::{Actor, Store, StoreError, Tx, TxResult};
use crate::audit::Change;
use crate::settings::Settings;

pub(super) const CONFIG_KEY: &[u8] = b"config";

impl Store {
    /// The settings last journaled, if any.
    pub fn settings(&self) -> Result<Option<Settings>, StoreError> {
        self.t
            .meta
            .get(CONFIG_KEY)?
            .map(|v| decode("config", &v))
            .transpose()
    }

    /// Journals `settings` ("config changed", with what changed as the
    /// detail) unless they are the ones last journaled; returns that detail
    /// when it did. Durable on return.
    pub fn journal_settings(
        &self,
        settings: &Settings,
        actor: &Actor,
    ) -> Result<Option<String>, StoreError> {
        let _w = self.writer();
        let old = self.settings()?;
        if old.as_ref() == Some(settings) {
            return Ok(None);
        }
        let summary = settings.diff(old.as_ref());
        self.write(actor, "config changed", |tx| {
            tx.note(summary.clone());
            tx.put_config(settings)
        })?;
        self.durable()?;
        Ok(Some(summary))
    }
}

impl Tx<'_> {
    pub(super) fn put_config(&self, s: &Settings) -> TxResult<()> {
        self.meta.insert(CONFIG_KEY, encode(s))?;
        self.changed(Change::Config(s.clone()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::store::verify::tests::store;

    fn actor() -> Actor {
        Actor {
            name: "system".into(),
            at: 1_800_000_000,
        }
    }

    #[test]
    fn only_changed_settings_are_journaled_and_verified() {
        let (_d, s) = store();
        let (entries, _) = s.journal_head().unwrap();
        let mut cfg = Config::default();
        let first = Settings::of(&cfg, None);
        let summary = s.journal_settings(&first, &actor()).unwrap().unwrap();
        assert!(summary.starts_with("initial: "), "{summary}");
        assert_eq!(s.journal_settings(&first, &actor()).unwrap(), None);
        cfg.accept_unsigned = false;
        let second = Settings::of(&cfg, None);
        assert_eq!(
            s.journal_settings(&second, &actor()).unwrap().unwrap(),
            "accept_unsigned: true -> false"
        );
        assert_eq!(s.journal_head().unwrap().0, entries + 2);
        let history = s.history("config").unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[1].action, "config changed");
        assert_eq!(s.settings().unwrap(), Some(second));
        s.verify(|_| {}).unwrap();

        // Settings edited outside the appliance are found.
        s.t.meta.insert(CONFIG_KEY, encode(&first)).unwrap();
        let err = s.verify(|_| {}).unwrap_err().to_string();
        assert!(
            err.starts_with("config: ") && err.contains("differs"),
            "{err}"
        );
    }
}
