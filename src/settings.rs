//! The settings of `outpost.toml` the journal keeps: those that change what
//! the appliance decides (signed jobs, low-value goods, the channel rules,
//! the branch's clock) or how safely it keeps what it acknowledged (the
//! disk floor and the flush limits), and where it sends its data. Listener,
//! TLS, pacing and cache sizes change neither and are left out.

use std::collections::BTreeMap;

use ring::digest::{digest, SHA256};
use serde::{Deserialize, Serialize};

use crate::config::Config;

/// Setting name → its value as written in `outpost.toml`; the channel
/// rules as the SHA-256 of the file's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings(pub BTreeMap<String, String>);

/// The value of `channel_rules_sha256` when `outpost.toml` names no table.
pub const NO_RULES_FILE: &str = "none (the centre's table, else the built-in one)";

/// SHA-256 of a channel rules file's content, in hex.
pub fn rules_digest(text: &str) -> String {
    digest(&SHA256, text.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Settings {
    /// The journaled settings of `cfg`; `rules_sha256` is the digest of the
    /// channel rules file it names, if it names one.
    pub fn of(cfg: &Config, rules_sha256: Option<&str>) -> Settings {
        let rates: Vec<String> = cfg
            .vnd_rates
            .iter()
            .map(|(currency, rate)| format!("{currency} = {rate}"))
            .collect();
        let values = [
            ("utc_offset", format!("{:?}", cfg.utc_offset)),
            ("accept_unsigned", cfg.accept_unsigned.to_string()),
            (
                "low_value_threshold_vnd",
                cfg.low_value_threshold_vnd.to_string(),
            ),
            ("vnd_rates", format!("{{{}}}", rates.join(", "))),
            (
                "channel_rules_sha256",
                rules_sha256.unwrap_or(NO_RULES_FILE).to_string(),
            ),
            ("min_free_disk_mb", cfg.min_free_disk_mb.to_string()),
            ("flush_timeout_secs", cfg.flush_timeout_secs.to_string()),
            (
                "flush_stuck_exit_secs",
                cfg.flush_stuck_exit_secs.to_string(),
            ),
            (
                "central_url",
                cfg.central_url
                    .as_deref()
                    .map_or("none".into(), |u| format!("{u:?}")),
            ),
        ];
        Settings(values.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// What changed since `old`, one `name: old -> new` per setting, `; `
    /// between them; every setting as `name = value` when there is no `old`.
    pub fn diff(&self, old: Option<&Settings>) -> String {
        let Some(old) = old else {
            let all: Vec<String> = self.0.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            return format!("initial: {}", all.join("; "));
        };
        let none = String::from("(unset)");
        let names: std::collections::BTreeSet<&String> =
            self.0.keys().chain(old.0.keys()).collect();
        let changed: Vec<String> = names
            .into_iter()
            .filter_map(|k| {
                let (was, now) = (
                    old.0.get(k).unwrap_or(&none),
                    self.0.get(k).unwrap_or(&none),
                );
                (was != now).then(|| format!("{k}: {was} -> {now}"))
            })
            .collect();
        changed.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_diff_names_what_changed() {
        let cfg = Config::default();
        let first = Settings::of(&cfg, None);
        let initial = first.diff(None);
        assert!(initial.starts_with("initial: "), "{initial}");
        for part in [
            "accept_unsigned = true",
            "utc_offset = \"+07:00\"",
            "vnd_rates = {}",
            &format!("channel_rules_sha256 = {NO_RULES_FILE}"),
            "central_url = none",
        ] {
            assert!(initial.contains(part), "{part}: {initial}");
        }
        assert_eq!(Settings::of(&cfg, None).diff(Some(&first)), "");

        let mut changed = cfg.clone();
        changed.low_value_threshold_vnd = 3_000_000;
        changed.vnd_rates.insert("USD".into(), 25400.0);
        changed.listen = "0.0.0.0:9443".parse().unwrap();
        let digest = rules_digest("default_channel = 1\n");
        let second = Settings::of(&changed, Some(&digest));
        assert_eq!(
            second.diff(Some(&first)),
            format!(
                "channel_rules_sha256: {NO_RULES_FILE} -> {digest}; \
                 low_value_threshold_vnd: {} -> 3000000; vnd_rates: {{}} -> {{USD = 25400}}",
                cfg.low_value_threshold_vnd
            ),
            "the listener is not journaled"
        );
        let older = Settings(
            first
                .0
                .iter()
                .filter(|(k, _)| *k != "central_url")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        );
        assert_eq!(
            first.diff(Some(&older)),
            "central_url: (unset) -> none",
            "a setting a later version journals"
        );
        assert_eq!(digest.len(), 64);
        assert_ne!(digest, rules_digest("default_channel = 2\n"));
    }
}
