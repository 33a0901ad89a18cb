//! `outpost.toml`: every option has a default, unknown keys are errors.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use time::UtcOffset;

use crate::rules::eligibility::{LowValue, DEFAULT_LOW_VALUE_VND};

#[derive(Debug, Clone, Deserialize)]
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
    /// Time a client has to send its request headers, seconds.
    pub header_read_timeout_secs: u64,
    /// Time a client has to send the rest of its request, seconds (the
    /// official terminal waits 180 s for an answer).
    pub request_timeout_secs: u64,
    /// Time in-flight requests get to finish on SIGTERM, seconds.
    pub shutdown_grace_secs: u64,
    /// Most connections served at once; more wait in the accept queue.
    pub max_connections: usize,
    /// Offset of the branch's clock for header times and registered dates.
    pub utc_offset: String,
    /// Channel rule table; default: the one shipped in appliance/.
    pub channel_rules: Option<PathBuf>,
    /// Whether jobs the VNACCS templates mark as signed (IDA, IDC, EDA …)
    /// may arrive as plain text; they are then recorded as unsigned. When
    /// false they are refused with E9990.
    pub accept_unsigned: bool,
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
            utc_offset: "+07:00".into(),
            channel_rules: None,
            accept_unsigned: true,
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
    Invalid { path: PathBuf, message: String },
}

impl Config {
    /// Reads `path`; unknown keys and bad values are reported with the file name.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let cfg: Config = toml::from_str(&text).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        cfg.validate().map_err(|message| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        })?;
        Ok(cfg)
    }

    pub fn validate(&self) -> Result<(), String> {
        self.offset()?;
        if self.max_body_bytes < 400 {
            return Err("max_body_bytes must be at least 400 (one message header)".into());
        }
        if self.max_connections == 0 {
            return Err("max_connections must be at least 1".into());
        }
        if self.cache_capacity_mb == 0 {
            return Err("cache_capacity_mb must be at least 1".into());
        }
        self.low_value()?;
        if let Some(url) = &self.central_url {
            crate::sync::upload::centre_address(url)?;
            if self.central_cert.is_none() {
                return Err("central_url needs central_cert, the centre's certificate".into());
            }
        }
        if self.sync_batch_events == 0 {
            return Err("sync_batch_events must be at least 1".into());
        }
        let max = crate::sync::batch::MAX_BATCH_BYTES / 2;
        if !(1024..=max).contains(&self.sync_batch_bytes) {
            return Err(format!("sync_batch_bytes must be between 1024 and {max}"));
        }
        if self.sync_interval_secs == 0
            || self.sync_backoff_max_secs == 0
            || self.sync_timeout_secs == 0
        {
            return Err("sync intervals and timeouts must be at least 1 second".into());
        }
        Ok(())
    }

    /// The low-value rule: threshold, and rates in millionths of a VND.
    pub fn low_value(&self) -> Result<LowValue, String> {
        let mut rates = Vec::new();
        for (currency, &rate) in &self.vnd_rates {
            if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(format!(
                    "vnd_rates: {currency:?} is not a currency code like \"USD\""
                ));
            }
            if currency == "VND" || !rate.is_finite() || rate <= 0.0 || rate > 1e9 {
                return Err(format!(
                    "vnd_rates: {currency} = {rate} is not a rate in VND per unit"
                ));
            }
            rates.push((currency.clone(), (rate * 1e6).round() as i128));
        }
        Ok(LowValue {
            threshold_vnd: self.low_value_threshold_vnd,
            rates,
        })
    }

    pub fn offset(&self) -> Result<UtcOffset, String> {
        let fmt = time::macros::format_description!("[offset_hour sign:mandatory]:[offset_minute]");
        UtcOffset::parse(&self.utc_offset, &fmt)
            .map_err(|_| format!("utc_offset {:?} is not like \"+07:00\"", self.utc_offset))
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

    fn parse(text: &str) -> Result<Config, String> {
        let cfg: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        cfg.validate()?;
        Ok(cfg)
    }

    #[test]
    fn defaults_and_errors() {
        let d = parse("").unwrap();
        assert_eq!(d.listen.to_string(), "127.0.0.1:8443");
        assert_eq!(d.offset().unwrap(), UtcOffset::from_hms(7, 0, 0).unwrap());
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
            ("lisen = \"0.0.0.0:1\"", "unknown field"),
            ("listen = \"nowhere\"", "invalid socket address"),
            ("utc_offset = \"7\"", "utc_offset"),
            ("max_body_bytes = 10", "max_body_bytes"),
            ("max_connections = 0", "max_connections"),
            ("vnd_rates = { usd = 25000 }", "currency code"),
            ("vnd_rates = { USD = 0 }", "VND per unit"),
            ("vnd_rates = { VND = 1 }", "VND per unit"),
            ("low_value_threshold_vnd = -1", "low_value_threshold_vnd"),
            ("central_url = \"https://c:9443/\"", "central_cert"),
            (
                "central_url = \"http://c/\"\ncentral_cert = \"c.pem\"",
                "https://",
            ),
            ("sync_batch_bytes = 10", "sync_batch_bytes"),
            ("sync_batch_events = 0", "sync_batch_events"),
            ("sync_timeout_secs = 0", "at least 1 second"),
        ];
        for (text, want) in cases {
            let err = parse(text).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
        }
    }
}
