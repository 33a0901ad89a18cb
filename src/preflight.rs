//! Everything `serve` needs from its configuration, checked before it
//! starts: the values, and the files and directories they name (channel
//! rules, the TLS pair, the data directory, the centre's certificate).
//! `outpost check-config` runs the same checks and prints the result.

use std::path::{Path, PathBuf};

use time::UtcOffset;

use crate::config::{Config, Problem};
use crate::rules::channel::ChannelRules;

/// What the checks produced, ready for `serve`.
pub struct Checked {
    pub offset: UtcOffset,
    /// The table `channel_rules` names; `None` when it names none (the
    /// centre's or the built-in table then applies).
    pub rules: Option<ChannelRules>,
    /// SHA-256 of that table's file, for the journal (see `settings`).
    pub rules_sha256: Option<String>,
    /// Things worth knowing that do not stop the appliance.
    pub notes: Vec<String>,
}

/// Checks `cfg` and what it names; every problem is reported, not only the
/// first. Running it as root says nothing about what the service user may
/// read or write.
pub fn check(cfg: &Config) -> Result<Checked, Vec<Problem>> {
    let mut problems = cfg.problems();
    let mut notes = Vec::new();
    let rules = match channel_rules(cfg) {
        Ok(r) => Some(r.unzip()),
        Err(p) => {
            problems.push(p);
            None
        }
    };
    check_tls(cfg, &mut problems, &mut notes);
    check_data_dir(&cfg.data_dir, &mut problems);
    if let Some(Err(e)) = cfg
        .central_cert
        .as_deref()
        .map(crate::sync::identity::read_certificate)
    {
        problems.push(Problem::new("central_cert", e));
    }
    let floor = nearest_existing(&cfg.data_dir)
        .map(|d| crate::disk::Floor::new(&d, cfg.min_free_disk_mb << 20));
    if let Some(Ok(space)) = floor.map(|f| f.space()) {
        if space.low() {
            notes.push(format!(
                "min_free_disk_mb: the data directory's disk has {space}: new declarations \
                 and transports will be refused (A0060) until space is freed"
            ));
        }
    }
    // Port 0 asks the kernel for a free (high) port.
    if (1..1024).contains(&cfg.listen.port()) {
        notes.push(format!(
            "listen: port {} is below 1024; the service needs CAP_NET_BIND_SERVICE \
             (scripts/install.sh adds it to the unit)",
            cfg.listen.port()
        ));
    }
    match (cfg.offset(), rules) {
        (Ok(offset), Some((rules, rules_sha256))) if problems.is_empty() => Ok(Checked {
            offset,
            rules,
            rules_sha256,
            notes,
        }),
        _ => Err(problems),
    }
}

/// The channel rule table the configuration names, if it names one, with
/// the digest of its file.
fn channel_rules(cfg: &Config) -> Result<Option<(ChannelRules, String)>, Problem> {
    let Some(p) = &cfg.channel_rules else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(p)
        .map_err(|e| Problem::new("channel_rules", format!("{}: {e}", p.display())))?;
    ChannelRules::parse(&text)
        .map(|r| Some((r, crate::settings::rules_digest(&text))))
        .map_err(|e| Problem::new("channel_rules", format!("{}: {e}", p.display())))
}

/// Configured files must load as a matching certificate chain and key; the
/// default files may be absent (they are generated on first start).
fn check_tls(cfg: &Config, problems: &mut Vec<Problem>, notes: &mut Vec<String>) {
    let (cert, key) = (cfg.cert_path(), cfg.key_path());
    let configured = cfg.tls_cert.is_some() || cfg.tls_key.is_some();
    if !configured && !cert.exists() && !key.exists() {
        notes.push(format!(
            "tls_cert: {} does not exist yet; a self-signed certificate is generated on \
             first start",
            cert.display()
        ));
        return;
    }
    if configured && (cfg.tls_cert.is_none() || cfg.tls_key.is_none()) {
        return; // Config::problems already names the missing half.
    }
    if let Err(e) = crate::tls::load(&cert, &key) {
        let key_name = match &e {
            crate::tls::TlsError::File { path, .. } if *path == key => "tls_key",
            _ => "tls_cert",
        };
        problems.push(Problem::new(key_name, e.to_string()));
    }
}

/// The data directory must be a writable directory, or be creatable.
fn check_data_dir(dir: &Path, problems: &mut Vec<Problem>) {
    let Some(existing) = nearest_existing(dir) else {
        problems.push(Problem::new(
            "data_dir",
            format!("{}: no part of the path exists", dir.display()),
        ));
        return;
    };
    let what = if std::path::absolute(dir).is_ok_and(|d| d == existing) {
        format!("{}", dir.display())
    } else {
        format!("{} (to create {})", existing.display(), dir.display())
    };
    if !existing.is_dir() {
        problems.push(Problem::new(
            "data_dir",
            format!("{what} is not a directory"),
        ));
        return;
    }
    use rustix::fs::Access;
    if let Err(e) = rustix::fs::access(&existing, Access::WRITE_OK | Access::EXEC_OK) {
        problems.push(Problem::new(
            "data_dir",
            format!("{what} is not writable: {e}"),
        ));
    }
}

/// `dir` itself when it exists, else the closest ancestor that does.
fn nearest_existing(dir: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(dir).ok()?;
    abs.ancestors().find(|p| p.exists()).map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_in(dir: &Path, text: &str) -> Config {
        let mut cfg: Config = toml::from_str(text).unwrap();
        cfg.data_dir = dir.join("data");
        cfg
    }

    fn problems(cfg: &Config) -> Vec<String> {
        match check(cfg) {
            Ok(_) => Vec::new(),
            Err(ps) => ps.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn a_fresh_machine_passes_with_notes() {
        let tmp = tempfile::tempdir().unwrap();
        let checked = check(&config_in(tmp.path(), "")).unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(checked.offset, UtcOffset::from_hms(7, 0, 0).unwrap());
        assert!(
            checked.notes.iter().any(|n| n.contains("self-signed")),
            "{:?}",
            checked.notes
        );
        let huge = config_in(
            tmp.path(),
            "min_free_disk_mb = 100000000\nlisten = \"0.0.0.0:443\"",
        );
        let notes = check(&huge).unwrap_or_else(|p| panic!("{p:?}")).notes;
        assert!(notes.iter().any(|n| n.contains("A0060")), "{notes:?}");
        assert!(notes.iter().any(|n| n.contains("CAP_NET_BIND_SERVICE")));
    }

    #[test]
    fn files_and_directories_are_checked_by_key() {
        let tmp = tempfile::tempdir().unwrap();
        let rules = tmp.path().join("rules.toml");
        std::fs::write(&rules, "default_channel = 4\n").unwrap();
        let not_pem = tmp.path().join("cert.pem");
        std::fs::write(&not_pem, "hello\n").unwrap();
        let file = tmp.path().join("plain-file");
        std::fs::write(&file, "").unwrap();
        let mut cfg = config_in(
            tmp.path(),
            &format!(
                "channel_rules = {:?}\ntls_cert = {:?}\ntls_key = {:?}\nutc_offset = \"+7\"\n\
                 central_url = \"https://centre:9443/\"\ncentral_cert = {:?}",
                rules,
                not_pem,
                tmp.path().join("missing-key.pem"),
                tmp.path().join("missing-centre.pem"),
            ),
        );
        cfg.data_dir = file.join("data");
        let got = problems(&cfg);
        let keys: Vec<&str> = got.iter().map(|p| p.split(':').next().unwrap()).collect();
        assert_eq!(
            keys,
            [
                "utc_offset",
                "channel_rules",
                "tls_cert",
                "data_dir",
                "central_cert"
            ],
            "{got:?}"
        );
        assert!(got[1].contains("channel 4"), "{got:?}");
        assert!(got[3].contains("is not a directory"), "{got:?}");
    }

    #[test]
    fn a_generated_certificate_loads_and_half_a_pair_does_not() {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = config_in(tmp.path(), "");
        crate::tls::ensure_self_signed(&cfg.cert_path(), &cfg.key_path(), &[]).unwrap();
        let checked = check(&cfg).unwrap_or_else(|p| panic!("{p:?}"));
        assert!(checked.notes.iter().all(|n| !n.contains("self-signed")));
        std::fs::remove_file(cfg.key_path()).unwrap();
        let got = problems(&cfg);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].starts_with("tls_key: "), "{got:?}");
    }
}
