//! `outpost` command line: the appliance and its operator commands.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use outpost::config::Config;
use outpost::rules::channel::ChannelRules;
use outpost::rules::numbering::{DEV_BLOCK, MAX_BLOCK};
use outpost::service::Service;
use outpost::store::records::{Site, Terminal, User};
use outpost::store::Store;
use outpost::{auth, http, tls};

#[derive(Parser)]
#[command(
    name = "outpost",
    version,
    about = "VNACCS backup appliance for a customs branch"
)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Common {
    /// Configuration file (default: <data dir>/outpost.toml when it exists).
    #[arg(long, global = true, env = "OUTPOST_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory (overrides the config file).
    #[arg(long, global = true, env = "OUTPOST_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the appliance: HTTPS listener for declarant software.
    Serve {
        /// Listen address (overrides the config file), e.g. 0.0.0.0:8443.
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Give this appliance its site identity and number blocks.
    Init {
        /// Number block reserved for this site by the centre (1–999).
        #[arg(long)]
        site: u16,
        /// Further blocks, used in order once the first is full.
        #[arg(long = "extra-block")]
        extra_blocks: Vec<u16>,
        /// Human name of the site, e.g. the customs branch.
        #[arg(long)]
        name: Option<String>,
    },
    /// Manage declarant accounts (VNACCS user codes).
    #[command(subcommand)]
    User(UserCmd),
}

#[derive(Subcommand)]
enum UserCmd {
    /// Add a declarant, or replace its password, terminal and tax codes.
    Add {
        /// VNACCS user code + ID number, exactly 8 characters.
        #[arg(long)]
        code: String,
        /// Password (up to 8 characters).
        #[arg(long, env = "OUTPOST_USER_PASSWORD", hide_env_values = true)]
        password: String,
        /// Terminal ID, exactly 6 characters.
        #[arg(long)]
        terminal: String,
        /// Terminal access key, 1–16 upper-case letters or digits.
        #[arg(long, env = "OUTPOST_ACCESS_KEY", hide_env_values = true)]
        access_key: String,
        /// Tax code this user may declare for; repeat for several.
        #[arg(long = "tax-code", required = true)]
        tax_codes: Vec<String>,
    },
    /// List declarants.
    List,
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("outpost: {e}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(common: &Common) -> Result<Config, String> {
    let mut cfg = match &common.config {
        Some(p) => Config::load(p).map_err(|e| e.to_string())?,
        None => {
            let dir = common
                .data_dir
                .clone()
                .unwrap_or_else(|| Config::default().data_dir);
            let p = dir.join("outpost.toml");
            if p.exists() {
                Config::load(&p).map_err(|e| e.to_string())?
            } else {
                Config::default()
            }
        }
    };
    if let Some(d) = &common.data_dir {
        cfg.data_dir = d.clone();
    }
    Ok(cfg)
}

fn open_store(cfg: &Config) -> Result<Store, String> {
    Store::open(&cfg.data_dir, cfg.cache_capacity_mb << 20).map_err(|e| e.to_string())
}

fn run(cli: Cli) -> Result<(), String> {
    let cfg = load_config(&cli.common)?;
    match cli.command {
        Command::Serve { listen } => serve(cfg, listen),
        Command::Init {
            site,
            extra_blocks,
            name,
        } => init(&cfg, site, extra_blocks, name),
        Command::User(cmd) => user(&cfg, cmd),
    }
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn init(cfg: &Config, site: u16, extra: Vec<u16>, name: Option<String>) -> Result<(), String> {
    let mut blocks = vec![site];
    blocks.extend(extra);
    for &b in &blocks {
        if b == DEV_BLOCK || b > MAX_BLOCK {
            return Err(format!("block {b} is not between 1 and {MAX_BLOCK}"));
        }
    }
    let mut seen = blocks.clone();
    seen.sort_unstable();
    seen.dedup();
    if seen.len() != blocks.len() {
        return Err("a block is named twice".into());
    }
    let store = open_store(cfg)?;
    if let Some(old) = store.site().map_err(|e| e.to_string())? {
        if !old.blocks.contains(&DEV_BLOCK) && old.blocks != blocks {
            return Err(format!(
                "this appliance is already site {:?} with blocks {:?}; a site's blocks never change",
                old.name, old.blocks
            ));
        }
    }
    let site = Site {
        name: name.unwrap_or_else(|| format!("site {site:03}")),
        blocks,
        created_at: now(),
    };
    store.set_site(&site).map_err(|e| e.to_string())?;
    println!(
        "initialised {:?}: number blocks {:?}",
        site.name, site.blocks
    );
    Ok(())
}

fn check_code(what: &str, v: &str, len: std::ops::RangeInclusive<usize>) -> Result<(), String> {
    let ok = len.contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if ok {
        Ok(())
    } else if *len.start() == *len.end() {
        Err(format!(
            "{what} must be exactly {} upper-case letters or digits",
            len.start()
        ))
    } else {
        Err(format!(
            "{what} must be {}–{} upper-case letters or digits",
            len.start(),
            len.end()
        ))
    }
}

fn user(cfg: &Config, cmd: UserCmd) -> Result<(), String> {
    let store = open_store(cfg)?;
    match cmd {
        UserCmd::Add {
            code,
            password,
            terminal,
            access_key,
            tax_codes,
        } => {
            check_code("user code", &code, 8..=8)?;
            check_code("terminal ID", &terminal, 6..=6)?;
            check_code("access key", &access_key, 1..=16)?;
            if password.is_empty()
                || password.len() > 8
                || !password.bytes().all(|b| (0x21..=0x7E).contains(&b))
            {
                return Err(
                    "password must be 1–8 printable ASCII characters without spaces".into(),
                );
            }
            for t in &tax_codes {
                if t.is_empty() || t.len() > 13 || !t.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(format!(
                        "tax code {t:?} must be up to 13 letters or digits (no hyphen)"
                    ));
                }
            }
            let new_terminal = match store.terminal(&terminal).map_err(|e| e.to_string())? {
                Some(t) => {
                    if !auth::Verifier::default().verify(
                        auth::Secret::AccessKey,
                        &terminal,
                        &access_key,
                        &t.access_key_hash,
                    ) {
                        return Err(format!(
                            "terminal {terminal} is registered with a different access key"
                        ));
                    }
                    None
                }
                None => Some(Terminal {
                    id: terminal.clone(),
                    access_key_hash: auth::hash_secret(&access_key),
                }),
            };
            let existing = store.user(&code).map_err(|e| e.to_string())?;
            let mut terminals = existing
                .as_ref()
                .map(|u| u.terminals.clone())
                .unwrap_or_default();
            if !terminals.contains(&terminal) {
                terminals.push(terminal.clone());
            }
            let u = User {
                code: code.clone(),
                password_hash: auth::hash_secret(&password),
                terminals,
                tax_codes,
                disabled: false,
                created_at: existing.map_or_else(now, |u| u.created_at),
            };
            store
                .put_user(&u, new_terminal.as_ref())
                .map_err(|e| e.to_string())?;
            println!(
                "user {code} saved: terminals {:?}, tax codes {:?}",
                u.terminals, u.tax_codes
            );
        }
        UserCmd::List => {
            for u in store.users().map_err(|e| e.to_string())? {
                println!(
                    "{}  terminals {}  tax codes {}{}",
                    u.code,
                    u.terminals.join(","),
                    u.tax_codes.join(","),
                    if u.disabled { "  (disabled)" } else { "" }
                );
            }
        }
    }
    Ok(())
}

fn channel_rules(cfg: &Config) -> Result<ChannelRules, String> {
    match &cfg.channel_rules {
        None => Ok(ChannelRules::builtin()),
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            ChannelRules::parse(&text).map_err(|e| format!("{}: {e}", p.display()))
        }
    }
}

fn ensure_site(store: &Store) -> Result<(), String> {
    if store.site().map_err(|e| e.to_string())?.is_none() {
        log::warn!(
            "no site identity yet: numbering from development block {DEV_BLOCK:03}, which the centre \
             never accepts; run `outpost init --site N` with the block the centre reserved for this branch"
        );
        store
            .set_site(&Site {
                name: "unprovisioned".into(),
                blocks: vec![DEV_BLOCK],
                created_at: now(),
            })
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn serve(mut cfg: Config, listen: Option<SocketAddr>) -> Result<(), String> {
    if let Some(l) = listen {
        cfg.listen = l;
    }
    let offset = cfg.offset()?;
    let rules = channel_rules(&cfg)?;
    let (cert, key) = (cfg.cert_path(), cfg.key_path());
    if tls::ensure_self_signed(&cert, &key, &cfg.tls_names).map_err(|e| e.to_string())? {
        log::info!("generated a self-signed certificate: {}", cert.display());
    }
    let resolver = Arc::new(tls::Reloadable::new(cert, key).map_err(|e| e.to_string())?);
    let store = open_store(&cfg)?;
    ensure_site(&store)?;
    let service = Arc::new(Service::new(store, rules, offset).map_err(|e| e.to_string())?);
    let limits = http::Limits {
        max_body_bytes: cfg.max_body_bytes,
        header_read_timeout: Duration::from_secs(cfg.header_read_timeout_secs),
        request_timeout: Duration::from_secs(cfg.request_timeout_secs),
        shutdown_grace: Duration::from_secs(cfg.shutdown_grace_secs),
        max_connections: cfg.max_connections,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("outpost-io")
        .build()
        .map_err(|e| format!("starting the runtime: {e}"))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(cfg.listen)
            .await
            .map_err(|e| format!("listening on {}: {e}", cfg.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        watch_signals(resolver.clone(), stop_tx)?;
        // Scripts and tests wait for this line to know the port.
        println!(
            "outpost: listening on https://{addr}/ (data {})",
            cfg.data_dir.display()
        );
        log::info!("listening on https://{addr}/");
        http::serve(
            listener,
            tls::server_config(resolver),
            service.clone(),
            limits,
            stop_rx,
        )
        .await;
        Ok::<(), String>(())
    })?;
    runtime.shutdown_timeout(Duration::from_secs(5));
    service.store.close();
    log::info!("stopped; everything acknowledged is on disk");
    Ok(())
}

/// SIGTERM/SIGINT stop the listener; SIGHUP reloads the TLS certificate.
fn watch_signals(
    resolver: Arc<tls::Reloadable>,
    stop: tokio::sync::watch::Sender<bool>,
) -> Result<(), String> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGINT, SIGHUP])
        .map_err(|e| format!("installing signal handlers: {e}"))?;
    std::thread::Builder::new()
        .name("outpost-signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                if sig == SIGHUP {
                    match resolver.reload() {
                        Ok(()) => log::info!("reloaded the TLS certificate"),
                        Err(e) => {
                            log::error!("TLS reload failed, keeping the old certificate: {e}")
                        }
                    }
                } else {
                    log::info!("signal {sig}: shutting down");
                    let _ = stop.send(true);
                }
            }
        })
        .map_err(|e| e.to_string())?;
    Ok(())
}
