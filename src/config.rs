//! `outpost.toml`: every option has a default, unknown keys are errors.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::UtcOffset;

use crate::rules::eligibility::{self, LowValue, DEFAULT_LOW_VALUE_VND};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address of the HTTPS listener for declarants (and later officers).
    pub listen: SocketAddr,
    /// Where the store, the TLS files and the config live.
    pub data_dir: PathBuf,
    /// PEM certificate chain and key; default `<data_dir>/tls/{cert,key}.pem`,
    /// generated (self-signed ECDSA P-256) on first start when absent.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Extra host names / IP addresses for the generated certificate.
    pub tls_names: Vec<String>,
    /// sled page cache, MiB.
    pub cache_capacity_mb: u64,
    /// Largest request body accepted, bytes.
    pub max_body_bytes: usize,
    /// Time a client has to send its request headers, and to take some of
    /// an answer, seconds.
    pub header_read_timeout_secs: u64,
    /// Time a client has to send the rest of its request, seconds (the
    /// official terminal waits 180 s for an answer).
    pub request_timeout_secs: u64,
    /// Time in-flight requests get to finish on SIGTERM, seconds.
    pub shutdown_grace_secs: u64,
    /// Most connections served at once. A newcomer beyond it takes the slot
    /// of the connection furthest behind (see `http::conns`); it waits only
    /// while every other connection is new or being answered.
    pub max_connections: usize,
    /// Most connections from one client address (an IPv6 /64 counts as one);
    /// generous, as an office puts many terminals behind one NAT address.
    pub max_connections_per_ip: usize,
    /// Bytes per second a request body must average after the grace, or it
    /// is answered 408 and the connection closed; 0 turns the minimum off.
    pub min_body_rate_bytes_per_sec: u64,
    /// Seconds a request body, and a new or idle connection, have before
    /// they must show progress.
    pub slow_client_grace_secs: u64,
    /// Offset of the branch's clock for header times and registered dates.
    pub utc_offset: String,
    /// Channel rule table; default: the one shipped in appliance/.
    pub channel_rules: Option<PathBuf>,
    /// Whether jobs the VNACCS templates mark as signed (IDA, IDC, EDA …)
    /// may arrive as plain text; they are then recorded as unsigned. When
    /// false they are refused with E9990.
    pub accept_unsigned: bool,
    /// Free space the data directory's file system must keep, MiB. Below
    /// it, jobs that would write a declaration or transport are refused
    /// (A0060) before anything is written; reads and retrieval go on.
    /// 0 turns the floor off.
    pub min_free_disk_mb: u64,
    /// Longest a write waits for the flush that makes it durable, seconds.
    /// Past it the request is answered A0061, and while writes keep waiting
    /// that long new ones are refused at once.
    pub flush_timeout_secs: u64,
    /// When no write has become durable for this long (a flush stuck or
    /// failed), the appliance exits with status 1 so that it is restarted:
    /// only a restart brings the store back. Seconds, at least
    /// `flush_timeout_secs`.
    pub flush_stuck_exit_secs: u64,
    /// Post/express goods (cargo class F) on IDA/EDA whose total invoice
    /// value is at or under this many VND are low-value goods, refused with
    /// A0002 like the MIC/MEC jobs; 0 turns the check off.
    pub low_value_threshold_vnd: u64,
    /// VND per unit of other invoice currencies (`USD = 25400`), to value
    /// invoices for that check. An invoice in a currency without a rate is
    /// not judged low-value.
    pub vnd_rates: BTreeMap<String, f64>,
    /// The centre to sync to, `https://host:port/`; no sync when absent.
    pub central_url: Option<String>,
    /// The centre's certificate (PEM), pinned: required with `central_url`.
    pub central_cert: Option<PathBuf>,
    /// Most events in one upload.
    pub sync_batch_events: usize,
    /// Most bytes in one upload.
    pub sync_batch_bytes: usize,
    /// Seconds between passes while the centre answers.
    pub sync_interval_secs: u64,
    /// Longest wait between tries while the centre does not answer, seconds.
    pub sync_backoff_max_secs: u64,
    /// Longest wait for one answer from the centre, seconds.
    pub sync_timeout_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8443".parse().expect("literal address"),
            data_dir: PathBuf::from("outpost-data"),
            tls_cert: None,
            tls_key: None,
            tls_names: Vec::new(),
            cache_capacity_mb: 64,
            max_body_bytes: 1 << 20,
            header_read_timeout_secs: 30,
            request_timeout_secs: 180,
            shutdown_grace_secs: 10,
            max_connections: 1024,
            max_connections_per_ip: 64,
            min_body_rate_bytes_per_sec: 500,
            slow_client_grace_secs: 10,
            utc_offset: "+07:00".into(),
            channel_rules: None,
            accept_unsigned: true,
            min_free_disk_mb: 256,
            flush_timeout_secs: 30,
            flush_stuck_exit_secs: 60,
            low_value_threshold_vnd: DEFAULT_LOW_VALUE_VND,
            vnd_rates: BTreeMap::new(),
            central_url: None,
            central_cert: None,
            sync_batch_events: 1000,
            sync_batch_bytes: 4 << 20,
            sync_interval_secs: 5,
            sync_backoff_max_secs: 300,
            sync_timeout_secs: 60,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Syntax { path: PathBuf, message: String },
}

/// One thing wrong with the configuration, named by its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: &'static str,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

impl Problem {
    pub fn new(key: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            key,
            message: message.into(),
        }
    }
}

impl Config {
    /// Reads `path`; syntax errors and unknown keys are reported with the
    /// file name. The values are checked by [`Config::problems`], which
    /// `serve` and `check-config` run (through `preflight`); operator
    /// commands only need the data directory.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Syntax {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// Every value that is out of range, each named by its key, in the
    /// order of the file. Files and directories the values name are checked
    /// by `preflight`.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        if let Err(e) = self.offset() {
            out.push(Problem::new("utc_offset", e));
        }
        let at_least = [
            (
                "max_body_bytes",
                self.max_body_bytes as u64,
                400,
                " (one message header)",
            ),
            ("max_connections", self.max_connections as u64, 1, ""),
            (
                "max_connections_per_ip",
                self.max_connections_per_ip as u64,
                1,
                "",
            ),
            ("slow_client_grace_secs", self.slow_client_grace_secs, 1, ""),
            ("cache_capacity_mb", self.cache_capacity_mb, 1, ""),
            (
                "header_read_timeout_secs",
                self.header_read_timeout_secs,
                1,
                "",
            ),
            ("request_timeout_secs", self.request_timeout_secs, 1, ""),
            ("flush_timeout_secs", self.flush_timeout_secs, 1, ""),
            (
                "flush_stuck_exit_secs",
                self.flush_stuck_exit_secs,
                self.flush_timeout_secs,
                " (flush_timeout_secs)",
            ),
        ];
        for (key, value, min, why) in at_least {
            if value < min {
                out.push(Problem::new(
                    key,
                    format!("is {value}, must be at least {min}{why}"),
                ));
            }
        }
        if self.slow_client_grace_secs > self.request_timeout_secs {
            out.push(Problem::new(
                "slow_client_grace_secs",
                format!(
                    "is {}, must not exceed request_timeout_secs ({})",
                    self.slow_client_grace_secs, self.request_timeout_secs
                ),
            ));
        }
        match (&self.tls_cert, &self.tls_key) {
            (Some(_), None) => {
                out.push(Problem::new("tls_key", "tls_cert is set, set tls_key too"))
            }
            (None, Some(_)) => {
                out.push(Problem::new("tls_cert", "tls_key is set, set tls_cert too"))
            }
            _ => {}
        }
        if let Err(e) = self.low_value() {
            let e = e.strip_prefix("vnd_rates: ").unwrap_or(&e).to_string();
            out.push(Problem::new("vnd_rates", e));
        }
        if let Some(url) = &self.central_url {
            if let Err(e) = crate::sync::upload::centre_address(url) {
                out.push(Problem::new("central_url", e));
            }
            if self.central_cert.is_none() {
                out.push(Problem::new(
                    "central_cert",
                    "central_url needs central_cert, the centre's certificate",
                ));
            }
        }
        if self.sync_batch_events == 0 {
            out.push(Problem::new("sync_batch_events", "must be at least 1"));
        }
        let max = crate::sync::batch::MAX_BATCH_BYTES / 2;
        if !(1024..=max).contains(&self.sync_batch_bytes) {
            out.push(Problem::new(
                "sync_batch_bytes",
                format!("must be between 1024 and {max}"),
            ));
        }
        let secs = [
            ("sync_interval_secs", self.sync_interval_secs),
            ("sync_backoff_max_secs", self.sync_backoff_max_secs),
            ("sync_timeout_secs", self.sync_timeout_secs),
        ];
        for (key, value) in secs {
            if value == 0 {
                out.push(Problem::new(key, "must be at least 1 second"));
            }
        }
        out
    }

    /// The low-value rule: threshold, and rates in millionths of a VND.
    pub fn low_value(&self) -> Result<LowValue, String> {
        Ok(LowValue {
            threshold_vnd: self.low_value_threshold_vnd,
            rates: eligibility::vnd_rates(&self.vnd_rates)
                .map_err(|e| format!("vnd_rates: {e}"))?,
        })
    }

    pub fn offset(&self) -> Result<UtcOffset, String> {
        let fmt = time::macros::format_description!("[offset_hour sign:mandatory]:[offset_minute]");
        UtcOffset::parse(&self.utc_offset, &fmt)
            .map_err(|_| format!("{:?} is not like \"+07:00\"", self.utc_offset))
    }

    pub fn cert_path(&self) -> PathBuf {
        self.tls_cert
            .clone()
            .unwrap_or_else(|| self.data_dir.join("tls").join("cert.pem"))
    }

    pub fn key_path(&self) -> PathBuf {
        self.tls_key
            .clone()
            .unwrap_or_else(|| self.data_dir.join("tls").join("key.pem"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Loads `text` from a file and checks its values; the errors come back
    /// one per line.
    fn parse(text: &str) -> Result<Config, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outpost.toml");
        std::fs::write(&path, text).unwrap();
        let cfg = Config::load(&path).map_err(|e| {
            let msg = e.to_string();
            assert!(msg.starts_with(&path.display().to_string()), "{msg}");
            msg
        })?;
        let problems: Vec<String> = cfg.problems().iter().map(ToString::to_string).collect();
        if problems.is_empty() {
            Ok(cfg)
        } else {
            Err(problems.join("\n"))
        }
    }

    #[test]
    fn defaults_and_errors() {
        let d = parse("").unwrap();
        assert_eq!(d.listen.to_string(), "127.0.0.1:8443");
        assert_eq!(d.offset().unwrap(), UtcOffset::from_hms(7, 0, 0).unwrap());
        assert_eq!(d.min_free_disk_mb, 256);
        assert_eq!((d.flush_timeout_secs, d.flush_stuck_exit_secs), (30, 60));
        assert_eq!(
            parse("listen = \"0.0.0.0:443\"").unwrap().listen.port(),
            443
        );
        assert_eq!(d.low_value().unwrap(), LowValue::default());
        let lv = parse("low_value_threshold_vnd = 2000000\nvnd_rates = { USD = 25400.5 }")
            .unwrap()
            .low_value()
            .unwrap();
        assert_eq!(lv.threshold_vnd, 2_000_000);
        assert_eq!(lv.rates, [("USD".to_string(), 25_400_500_000)]);
        let cases = [
            ("lisen = \"0.0.0.0:1\"", "unknown field `lisen`"),
            ("listen = \"nowhere\"", "invalid socket address"),
            ("min_free_disk_mb = -1", "min_free_disk_mb"),
            (
                "utc_offset = \"7\"",
                "utc_offset: \"7\" is not like \"+07:00\"",
            ),
            (
                "max_body_bytes = 10",
                "max_body_bytes: is 10, must be at least 400",
            ),
            (
                "max_connections = 0",
                "max_connections: is 0, must be at least 1",
            ),
            ("request_timeout_secs = 0", "request_timeout_secs: is 0"),
            (
                "max_connections_per_ip = 0",
                "max_connections_per_ip: is 0, must be at least 1",
            ),
            (
                "slow_client_grace_secs = 0",
                "slow_client_grace_secs: is 0, must be at least 1",
            ),
            (
                "slow_client_grace_secs = 60\nrequest_timeout_secs = 30",
                "slow_client_grace_secs: is 60, must not exceed request_timeout_secs (30)",
            ),
            (
                "min_body_rate_bytes_per_sec = -1",
                "min_body_rate_bytes_per_sec",
            ),
            (
                "flush_timeout_secs = 0",
                "flush_timeout_secs: is 0, must be at least 1",
            ),
            (
                "flush_timeout_secs = 30\nflush_stuck_exit_secs = 10",
                "flush_stuck_exit_secs: is 10, must be at least 30 (flush_timeout_secs)",
            ),
            (
                "tls_cert = \"/etc/c.pem\"",
                "tls_key: tls_cert is set, set tls_key too",
            ),
            (
                "vnd_rates = { usd = 25000 }",
                "vnd_rates: \"usd\" is not a currency code",
            ),
            ("vnd_rates = { USD = 0 }", "VND per unit"),
            ("vnd_rates = { VND = 1 }", "VND per unit"),
            ("low_value_threshold_vnd = -1", "low_value_threshold_vnd"),
            (
                "central_url = \"https://c:9443/\"",
                "central_cert: central_url needs",
            ),
            (
                "central_url = \"http://c/\"\ncentral_cert = \"c.pem\"",
                "https://",
            ),
            ("sync_batch_bytes = 10", "sync_batch_bytes: must be between"),
            ("sync_batch_events = 0", "sync_batch_events"),
            (
                "sync_timeout_secs = 0",
                "sync_timeout_secs: must be at least 1 second",
            ),
        ];
        for (text, want) in cases {
            let err = parse(text).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn all_problems_are_reported_at_once() {
        let err =
            parse("max_connections = 0\ncache_capacity_mb = 0\nutc_offset = \"UTC\"").unwrap_err();
        let keys: Vec<&str> = err.lines().map(|l| l.split(':').next().unwrap()).collect();
        assert_eq!(keys, ["utc_offset", "max_connections", "cache_capacity_mb"]);
    }

    /// The shipped `appliance/outpost.toml` names every key, is valid as it
    /// stands and with every `#key = value` line switched on, and its
    /// commented values are the built-in defaults (where there is one;
    /// optional paths and empty lists show examples).
    #[test]
    fn the_shipped_config_lists_every_option_with_its_default() {
        let text = include_str!("../appliance/outpost.toml");
        let shipped = parse(text).unwrap();
        assert_eq!(shipped.data_dir, PathBuf::from("/var/lib/outpost"));
        let is_key_line = |l: &str| l.starts_with(|c: char| c.is_ascii_lowercase());
        let commented: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix('#').filter(|r| is_key_line(r)))
            .collect();
        let all_on: String = text
            .lines()
            .map(|l| l.strip_prefix('#').filter(|r| is_key_line(r)).unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n");
        let all_on = parse(&all_on).unwrap();
        let table = |c: &Config| match toml::Value::try_from(c).unwrap() {
            toml::Value::Table(t) => t,
            _ => unreachable!("a struct serialises as a table"),
        };
        let (defaults, switched_on) = (table(&Config::default()), table(&all_on));
        for key in switched_on.keys() {
            assert!(
                text.lines()
                    .any(|l| l.trim_start_matches('#').starts_with(&format!("{key} = "))),
                "appliance/outpost.toml does not mention {key}"
            );
        }
        for line in commented {
            let key = line.split(' ').next().unwrap();
            if let Some(default) = defaults.get(key).filter(|v| match v {
                // Empty lists and tables: the line shows an example.
                toml::Value::Array(a) => !a.is_empty(),
                toml::Value::Table(t) => !t.is_empty(),
                _ => true,
            }) {
                assert_eq!(Some(default), switched_on.get(key), "#{line}");
            }
        }
    }
}
