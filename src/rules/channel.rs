//! Channel assignment (phân luồng) by an ordered rule table.

use serde::Deserialize;

/// The rules shipped with the appliance (`appliance/channel-rules.toml`).
pub const DEFAULT_RULES: &str = include_str!("../../appliance/channel-rules.toml");

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Channel {
    Green = 1,
    Yellow = 2,
    Red = 3,
}

impl Channel {
    pub fn from_number(n: u8) -> Option<Channel> {
        match n {
            1 => Some(Channel::Green),
            2 => Some(Channel::Yellow),
            3 => Some(Channel::Red),
            _ => None,
        }
    }

    pub fn number(self) -> u8 {
        self as u8
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    default_channel: u8,
    #[serde(default, rename = "rule")]
    rules: Vec<RawRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: String,
    channel: u8,
    #[serde(default)]
    kind_codes: Vec<String>,
    #[serde(default)]
    cargo_classes: Vec<String>,
    #[serde(default)]
    hs_prefixes: Vec<String>,
    #[serde(default)]
    origins: Vec<String>,
    #[serde(default)]
    declarants: Vec<String>,
    min_invoice_value: Option<f64>,
}

#[derive(Debug)]
pub struct Rule {
    pub name: String,
    pub channel: Channel,
    kind_codes: Vec<String>,
    cargo_classes: Vec<String>,
    hs_prefixes: Vec<String>,
    origins: Vec<String>,
    declarants: Vec<String>,
    min_invoice_value: Option<f64>,
}

#[derive(Debug)]
pub struct ChannelRules {
    pub default_channel: Channel,
    pub rules: Vec<Rule>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RulesError {
    #[error("{0}")]
    Syntax(String),
    #[error("channel {channel} in {place} is not 1 (green), 2 (yellow) or 3 (red)")]
    Channel { channel: u8, place: String },
    #[error("rule {0:?} has no condition; use default_channel instead")]
    NoCondition(String),
    #[error("two rules are named {0:?}")]
    DuplicateName(String),
}

/// What the rules look at in a declaration.
#[derive(Debug, Default)]
pub struct Facts<'a> {
    pub kind_code: &'a str,
    pub cargo_class: &'a str,
    pub hs_codes: Vec<&'a str>,
    pub origins: Vec<&'a str>,
    pub declarant: &'a str,
    pub invoice_value: Option<f64>,
}

impl ChannelRules {
    pub fn parse(text: &str) -> Result<ChannelRules, RulesError> {
        let raw: RawRules = toml::from_str(text).map_err(|e| RulesError::Syntax(e.to_string()))?;
        let channel = |n: u8, place: String| {
            Channel::from_number(n).ok_or(RulesError::Channel { channel: n, place })
        };
        let default_channel = channel(raw.default_channel, "default_channel".into())?;
        let mut rules: Vec<Rule> = Vec::new();
        for r in raw.rules {
            if rules.iter().any(|x| x.name == r.name) {
                return Err(RulesError::DuplicateName(r.name));
            }
            let no_condition = r.kind_codes.is_empty()
                && r.cargo_classes.is_empty()
                && r.hs_prefixes.is_empty()
                && r.origins.is_empty()
                && r.declarants.is_empty()
                && r.min_invoice_value.is_none();
            if no_condition {
                return Err(RulesError::NoCondition(r.name));
            }
            rules.push(Rule {
                channel: channel(r.channel, format!("rule {:?}", r.name))?,
                name: r.name,
                kind_codes: r.kind_codes,
                cargo_classes: r.cargo_classes,
                hs_prefixes: r.hs_prefixes,
                origins: r.origins,
                declarants: r.declarants,
                min_invoice_value: r.min_invoice_value,
            });
        }
        Ok(ChannelRules {
            default_channel,
            rules,
        })
    }

    pub fn builtin() -> ChannelRules {
        ChannelRules::parse(DEFAULT_RULES).expect("the shipped channel rules are valid")
    }

    /// The channel and the name of the rule that chose it (`None` = default).
    pub fn decide(&self, f: &Facts) -> (Channel, Option<&str>) {
        self.rules
            .iter()
            .find(|r| r.matches(f))
            .map(|r| (r.channel, Some(r.name.as_str())))
            .unwrap_or((self.default_channel, None))
    }
}

impl Rule {
    fn matches(&self, f: &Facts) -> bool {
        let listed = |list: &[String], v: &str| list.is_empty() || list.iter().any(|x| x == v);
        let any_line = |list: &[String], values: &[&str], m: fn(&str, &str) -> bool| {
            list.is_empty() || values.iter().any(|v| list.iter().any(|x| m(v, x)))
        };
        listed(&self.kind_codes, f.kind_code)
            && listed(&self.cargo_classes, f.cargo_class)
            && listed(&self.declarants, f.declarant)
            && any_line(&self.hs_prefixes, &f.hs_codes, |v, x| v.starts_with(x))
            && any_line(&self.origins, &f.origins, |v, x| v == x)
            && self
                .min_invoice_value
                .is_none_or(|min| f.invoice_value.is_some_and(|v| v >= min))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_decide_as_documented() {
        let rules = ChannelRules::builtin();
        let base = || Facts {
            kind_code: "A11",
            hs_codes: vec!["84713020"],
            origins: vec!["CN"],
            declarant: "0101234567",
            invoice_value: Some(25000.0),
            ..Facts::default()
        };
        let cases: Vec<(&str, Facts, Channel)> = vec![
            ("ordinary import", base(), Channel::Green),
            (
                "rifle parts",
                Facts {
                    hs_codes: vec!["84713020", "93059100"],
                    ..base()
                },
                Channel::Red,
            ),
            (
                "explosives",
                Facts {
                    hs_codes: vec!["36020000"],
                    ..base()
                },
                Channel::Red,
            ),
            (
                "defence cargo",
                Facts {
                    cargo_class: "B",
                    ..base()
                },
                Channel::Red,
            ),
            (
                "temporary import",
                Facts {
                    kind_code: "G12",
                    ..base()
                },
                Channel::Yellow,
            ),
            (
                "re-export is not temporary import",
                Facts {
                    kind_code: "G21",
                    ..base()
                },
                Channel::Green,
            ),
            (
                "high value",
                Facts {
                    invoice_value: Some(1e9),
                    ..base()
                },
                Channel::Yellow,
            ),
            (
                "just below high value",
                Facts {
                    invoice_value: Some(999_999_999.0),
                    ..base()
                },
                Channel::Green,
            ),
            (
                "no value given",
                Facts {
                    invoice_value: None,
                    ..base()
                },
                Channel::Green,
            ),
        ];
        for (name, facts, want) in cases {
            assert_eq!(rules.decide(&facts).0, want, "{name}");
        }
    }

    #[test]
    fn first_matching_rule_wins() {
        let rules = ChannelRules::parse(
            "default_channel = 2\n\
             [[rule]]\nname = \"a\"\norigins = [\"KP\"]\nchannel = 3\n\
             [[rule]]\nname = \"b\"\norigins = [\"KP\", \"JP\"]\nchannel = 1\n",
        )
        .unwrap();
        let f = |o| Facts {
            origins: vec![o],
            ..Facts::default()
        };
        assert_eq!(rules.decide(&f("KP")), (Channel::Red, Some("a")));
        assert_eq!(rules.decide(&f("JP")), (Channel::Green, Some("b")));
        assert_eq!(rules.decide(&f("VN")), (Channel::Yellow, None));
    }

    #[test]
    fn bad_rule_files_are_refused_with_a_reason() {
        let cases = [
            ("default_channel = 4", "channel 4"),
            ("default_channel = 1\n[[rule]]\nname = \"x\"\nchannel = 3", "no condition"),
            ("default_channel = 1\n[[rule]]\nname = \"x\"\norigins=[\"A\"]\nchannel = 0", "channel 0"),
            ("default_channel = 1\ncolour = 3", "unknown field"),
            (
                "default_channel = 1\n[[rule]]\nname = \"x\"\norigins=[\"A\"]\nchannel = 3\n[[rule]]\nname = \"x\"\norigins=[\"B\"]\nchannel = 2",
                "two rules",
            ),
        ];
        for (text, want) in cases {
            let err = ChannelRules::parse(text).unwrap_err().to_string();
            assert!(err.contains(want), "{text:?} gave {err}");
        }
    }
}
