//! The reference tables a site works with: its configuration, overlaid with
//! the tables the centre sends (`registry::Reference`). Pure: the service
//! swaps in what `effective` returns whenever a newer registry is applied,
//! so a table takes effect without a restart.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::registry::Reference;
use crate::rules::channel::ChannelRules;
use crate::rules::eligibility::{self, LowValue};

/// The channel rule table, as a `channel_rules` file holds it.
pub const CHANNEL_RULES: &str = "channel-rules";
/// Exchange rates for the low-value threshold: `USD = 25400`, VND per unit,
/// as `vnd_rates` in outpost.toml.
pub const VND_RATES: &str = "vnd-rates";
/// The tables a site understands; the centre refuses any other rather than
/// ship it to sites that would ignore it.
pub const NAMES: &[&str] = &[CHANNEL_RULES, VND_RATES];

/// What the site's own configuration says.
#[derive(Debug, Clone)]
pub struct Configured {
    /// The `channel_rules` file, when one is configured.
    pub rules: Option<Arc<ChannelRules>>,
    /// `low_value_threshold_vnd` and `vnd_rates`.
    pub low_value: LowValue,
}

/// The tables in force.
#[derive(Debug)]
pub struct Tables {
    pub rules: Arc<ChannelRules>,
    pub low_value: LowValue,
    /// The registry version they come from (0: none).
    pub version: u64,
}

/// Checks a table's text as a site would read it.
pub fn check(name: &str, text: &str) -> Result<(), String> {
    match name {
        CHANNEL_RULES => ChannelRules::parse(text)
            .map(drop)
            .map_err(|e| format!("channel rules: {e}")),
        VND_RATES => parse_rates(text).map(drop),
        _ => Err(format!(
            "unknown reference table {name:?}; the sites use {NAMES:?}"
        )),
    }
}

/// A `vnd-rates` table: TOML, one currency per line.
pub fn parse_rates(text: &str) -> Result<Vec<(String, i128)>, String> {
    let map: BTreeMap<String, f64> =
        toml::from_str(text).map_err(|e| format!("exchange rates: {}", e.message()))?;
    eligibility::vnd_rates(&map).map_err(|e| format!("exchange rates: {e}"))
}

/// The tables in force. A rule file the configuration names wins over the
/// centre's rules (the branch chose it), and those over the built-in ones.
/// Exchange rates are the centre's, and the configuration's for currencies
/// the centre does not list. The threshold stays the configuration's.
pub fn effective(cfg: &Configured, centre: Option<&Reference>) -> Result<Tables, String> {
    let table = |name: &str| {
        centre.and_then(|r| {
            r.tables
                .iter()
                .find(|t| t.name == name)
                .map(|t| (r.version, &t.text))
        })
    };
    let rules = match (&cfg.rules, table(CHANNEL_RULES)) {
        (Some(r), _) => r.clone(),
        (None, Some((v, text))) => Arc::new(
            ChannelRules::parse(text)
                .map_err(|e| format!("channel rules of registry version {v}: {e}"))?,
        ),
        (None, None) => Arc::new(ChannelRules::builtin()),
    };
    let mut low_value = cfg.low_value.clone();
    if let Some((v, text)) = table(VND_RATES) {
        let rates = parse_rates(text).map_err(|e| format!("registry version {v}: {e}"))?;
        low_value
            .rates
            .retain(|(c, _)| !rates.iter().any(|(r, _)| r == c));
        low_value.rates.extend(rates);
    }
    Ok(Tables {
        rules,
        low_value,
        version: centre.map_or(0, |r| r.version),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::registry::Table;

    fn reference(tables: &[(&str, &str)]) -> Reference {
        Reference {
            version: 4,
            published_at: 0,
            tables: tables
                .iter()
                .map(|(n, t)| Table {
                    name: n.to_string(),
                    text: t.to_string(),
                })
                .collect(),
        }
    }

    fn configured(rules: Option<&str>, rates: &[(&str, i128)]) -> Configured {
        Configured {
            rules: rules.map(|t| Arc::new(ChannelRules::parse(t).unwrap())),
            low_value: LowValue {
                threshold_vnd: 2_000_000,
                rates: rates.iter().map(|(c, r)| (c.to_string(), *r)).collect(),
            },
        }
    }

    fn rates(t: &Tables) -> Vec<(&str, i128)> {
        let mut v: Vec<_> = t
            .low_value
            .rates
            .iter()
            .map(|(c, r)| (c.as_str(), *r))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn the_centre_overlays_the_configuration() {
        let usd_eur = configured(None, &[("USD", 25_000_000_000), ("EUR", 27_000_000_000)]);
        let centre = reference(&[
            (VND_RATES, "USD = 25400.5\nJPY = 170\n"),
            (CHANNEL_RULES, "default_channel = 3\n"),
        ]);
        let t = effective(&usd_eur, Some(&centre)).unwrap();
        assert_eq!(
            rates(&t),
            [
                ("EUR", 27_000_000_000),
                ("JPY", 170_000_000),
                ("USD", 25_400_500_000)
            ]
        );
        assert_eq!(t.low_value.threshold_vnd, 2_000_000);
        assert_eq!(t.version, 4);
        assert_eq!(
            format!("{:?}", t.rules),
            format!(
                "{:?}",
                ChannelRules::parse("default_channel = 3\n").unwrap()
            )
        );
        // A configured rule file wins; without the centre, the configuration alone.
        let own = configured(Some("default_channel = 2\n"), &[]);
        let t = effective(&own, Some(&centre)).unwrap();
        assert!(Arc::ptr_eq(&t.rules, own.rules.as_ref().unwrap()));
        let t = effective(&usd_eur, None).unwrap();
        assert_eq!((rates(&t).len(), t.version), (2, 0));
        assert_eq!(
            format!("{:?}", t.rules),
            format!("{:?}", ChannelRules::builtin())
        );
    }

    #[test]
    fn tables_are_checked_by_name() {
        for (name, text, want) in [
            (VND_RATES, "USD = 25400", None),
            (VND_RATES, "usd = 25400", Some("not a currency code")),
            (VND_RATES, "USD = 0", Some("VND per unit")),
            (VND_RATES, "USD = \"x\"", Some("exchange rates")),
            (CHANNEL_RULES, "default_channel = 9", Some("channel rules")),
            (CHANNEL_RULES, "default_channel = 1", None),
            ("tariff", "", Some("unknown reference table")),
        ] {
            match (check(name, text), want) {
                (Ok(()), None) => {}
                (Err(e), Some(w)) => assert!(e.contains(w), "{name} {text:?}: {e}"),
                (got, _) => panic!("{name} {text:?}: {got:?}"),
            }
        }
        let bad = reference(&[(VND_RATES, "USD = -1")]);
        let e = effective(&configured(None, &[]), Some(&bad)).unwrap_err();
        assert!(e.contains("registry version 4"), "{e}");
    }
}
