//! `outpost.toml`: every option has a default, unknown keys are errors.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use time::UtcOffset;

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
        let cases = [
            ("lisen = \"0.0.0.0:1\"", "unknown field"),
            ("listen = \"nowhere\"", "invalid socket address"),
            ("utc_offset = \"7\"", "utc_offset"),
            ("max_body_bytes = 10", "max_body_bytes"),
            ("max_connections = 0", "max_connections"),
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
