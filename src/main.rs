//! `outpost` command line: the appliance and its operator commands.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use outpost::config::Config;
use outpost::rules::eligibility::{Category, Day, Mode};
use outpost::rules::numbering::DEV_BLOCK;
use outpost::service::Service;
use outpost::settings::Settings;
use outpost::store::records::{Role, Site};
use outpost::store::{Actor, Store};
use outpost::sync::tables::Configured;
use outpost::{admin, http, systemd, tls};

mod sync_cli;

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
    /// Show the mode, or switch it: `active` while VNACCS is down,
    /// `standby` when it is back (only directed cases and continuations).
    Mode {
        /// active or standby; leave out to show the current mode.
        #[arg(value_parser = ["active", "standby"])]
        mode: Option<String>,
        /// Why (required when switching), e.g. the outage notice.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Directions: officers' authorisations for special cases in standby.
    #[command(subcommand)]
    Direction(DirectionCmd),
    /// Check the configuration and the files it names, as `serve` does at
    /// start; print the effective values or every problem found.
    CheckConfig,
    /// Officers' console accounts. Create the first IT officer here; the
    /// others can then be managed from the console.
    #[command(subcommand)]
    Officer(OfficerCmd),
    /// Check the data: walk the audit journal's hash chain and cross-check
    /// every stored record, index and counter against it. Exits non-zero
    /// at the first problem. On a running appliance intake waits meanwhile.
    Verify,
    /// Write a consistent backup of the data while the appliance keeps
    /// serving (through its admin socket when it runs).
    Backup {
        /// New or empty directory for the backup.
        #[arg(long, required_unless_present = "into", conflicts_with = "into")]
        out: Option<PathBuf>,
        /// Back up into a new directory named by the time, in this one.
        #[arg(long)]
        into: Option<PathBuf>,
        /// With --into: then remove all but the newest N backups there.
        #[arg(long, requires = "into", value_parser = clap::value_parser!(u16).range(1..))]
        keep: Option<u16>,
    },
    /// Restore a backup into the data directory, which must be new or
    /// empty, and verify the result. The appliance must not be running.
    Restore {
        /// A directory written by `outpost backup`.
        #[arg(long)]
        from: PathBuf,
    },
    /// Write this site's client certificate and bundle public key into a
    /// directory, for the centre to register.
    SiteIdentity {
        #[arg(long)]
        out: PathBuf,
    },
    /// Upload to the centre now (one pass), with a progress bar.
    Sync,
    /// Write the events the centre lacks into one signed bundle file.
    Export {
        #[arg(long)]
        out: PathBuf,
        /// Events after this sequence number (default: after what the
        /// centre has acknowledged; 0 for all).
        #[arg(long)]
        since: Option<u64>,
    },
    /// At the centre: verify a site's bundle and take in its events.
    Import { file: PathBuf },
    /// The central receiver and its commands (its own data directory).
    #[command(subcommand)]
    Central(sync_cli::CentralCmd),
}

#[derive(Subcommand)]
enum DirectionCmd {
    /// Authorise a declarant for one special category for a period.
    Add {
        /// Tax code of the declarant the direction names.
        #[arg(long)]
        tax_code: String,
        /// relief, defence, gifts or traveller-work-items.
        #[arg(long, value_parser = ["relief", "defence", "gifts", "traveller-work-items"])]
        category: String,
        /// First day it applies, DD/MM/YYYY.
        #[arg(long)]
        from: String,
        /// Last day it applies, DD/MM/YYYY.
        #[arg(long)]
        until: String,
        /// How many declarations it covers (no limit when left out).
        #[arg(long)]
        max: Option<u32>,
        /// The reason or the directing letter.
        #[arg(long)]
        reason: String,
    },
    /// List directions with what they have used.
    List,
    /// Revoke a direction.
    Revoke {
        id: u32,
        #[arg(long)]
        reason: String,
    },
}

/// A declarant's login, terminal and tax codes.
#[derive(Args)]
struct UserArgs {
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
    /// The terminal's signing certificate (PEM or DER), for signed jobs.
    #[arg(long, requires = "signing_ca")]
    signing_cert: Option<PathBuf>,
    /// The CA certificate that issued it (PEM or DER).
    #[arg(long, requires = "signing_cert")]
    signing_ca: Option<PathBuf>,
}

#[derive(Subcommand)]
enum OfficerCmd {
    /// Create an officer account, or change its name, password or roles.
    Add {
        /// 3–32 lower-case letters, digits, '.', '_' or '-'.
        #[arg(long)]
        login: String,
        /// Full name (required for a new account).
        #[arg(long)]
        name: Option<String>,
        /// supervision, tax, risk, it or statistics; repeat for several.
        #[arg(long = "role", value_parser = ["supervision", "tax", "risk", "it", "statistics"])]
        roles: Vec<String>,
        /// At least 10 characters (required for a new account).
        #[arg(long, env = "OUTPOST_OFFICER_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// List officer accounts.
    List,
}

#[derive(Subcommand)]
enum UserCmd {
    /// Add a declarant, or replace its password, terminal and tax codes.
    Add(UserArgs),
    /// List declarants.
    List,
    /// Refuse a declarant's VNACCS logins (A0014); its declarations stay.
    Disable {
        #[arg(long)]
        code: String,
    },
    /// Admit a disabled declarant's logins again.
    Enable {
        #[arg(long)]
        code: String,
    },
    /// Take a terminal from a declarant (it keeps at least one).
    RemoveTerminal {
        #[arg(long)]
        code: String,
        #[arg(long)]
        terminal: String,
    },
}

/// glibc raises its mmap threshold to the size of any large block freed
/// (Argon2's 19 MiB, a 1 MiB body), after which blocks of up to that size
/// come from the heap and fragment it for good: under 32 terminals the
/// server sat at 630 MiB resident, and at 87 MiB with the threshold fixed
/// at 1 MiB (BENCHMARKS.md). Fixing it turns the adjustment off. musl's
/// allocator (the static build) maps large blocks and unmaps them on free.
#[cfg(target_env = "gnu")]
fn keep_large_allocations_mapped() {
    // SAFETY: mallopt only changes allocator tuning; it is called before
    // any other thread exists.
    unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20) };
}

#[cfg(not(target_env = "gnu"))]
fn keep_large_allocations_mapped() {}

fn main() -> ExitCode {
    keep_large_allocations_mapped();
    let mut logger =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    if outpost::systemd::logs_to_journal() {
        // journald adds its own timestamps; the prefix gives it the priority.
        logger.format(|buf, r| {
            use std::io::Write;
            let line = outpost::systemd::journal_line(r.level(), r.target(), r.args());
            writeln!(buf, "{line}")
        });
    }
    logger.init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("outpost: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The configuration, and where it came from (for messages).
fn load_config(common: &Common) -> Result<(Config, String), String> {
    let file = match &common.config {
        Some(p) => Some(p.clone()),
        None => {
            let dir = common
                .data_dir
                .clone()
                .unwrap_or_else(|| Config::default().data_dir);
            Some(dir.join("outpost.toml")).filter(|p| p.exists())
        }
    };
    let (mut cfg, source) = match file {
        Some(p) => (
            Config::load(&p).map_err(|e| e.to_string())?,
            p.display().to_string(),
        ),
        None => (Config::default(), "built-in defaults".to_string()),
    };
    if let Some(d) = &common.data_dir {
        cfg.data_dir = d.clone();
    }
    Ok((cfg, source))
}

/// Runs the start-up checks; every problem is one line naming its source.
fn preflight(cfg: &Config, source: &str) -> Result<outpost::preflight::Checked, String> {
    outpost::preflight::check(cfg).map_err(|problems| {
        problems
            .iter()
            .map(|p| format!("{source}: {p}"))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

fn check_config(cfg: &Config, source: &str) -> Result<(), String> {
    let checked = preflight(cfg, source)?;
    let mut effective = cfg.clone();
    effective.tls_cert = Some(cfg.cert_path());
    effective.tls_key = Some(cfg.key_path());
    let text = toml::to_string(&effective).map_err(|e| e.to_string())?;
    println!("# {source}: OK; the effective configuration:");
    if cfg.channel_rules.is_none() {
        println!("# channel_rules: the table the centre sent, else the built-in one");
    }
    print!("{text}");
    for note in &checked.notes {
        println!("# note: {note}");
    }
    Ok(())
}

fn open_store(cfg: &Config) -> Result<Store, String> {
    let store =
        Store::open(&cfg.data_dir, cfg.cache_capacity_mb << 20).map_err(|e| e.to_string())?;
    store.set_flush_timeout(Duration::from_secs(cfg.flush_timeout_secs));
    Ok(store)
}

fn run(cli: Cli) -> Result<(), String> {
    let (cfg, source) = load_config(&cli.common)?;
    match cli.command {
        Command::Serve { listen } => serve(cfg, &source, listen),
        Command::CheckConfig => check_config(&cfg, &source),
        Command::Init {
            site,
            extra_blocks,
            name,
        } => {
            let blocks = std::iter::once(site).chain(extra_blocks).collect();
            admin_cmd(&cfg, admin::Command::Init { blocks, name })?;
            sync_cli::init_identity(&cfg, site)
        }
        Command::SiteIdentity { out } => sync_cli::site_identity(&cfg, &out),
        Command::Sync => sync_cli::sync(&cfg, operator()),
        Command::Export { out, since } => sync_cli::export(&cfg, operator(), &out, since),
        Command::Import { file } => sync_cli::import(&cfg, &file),
        Command::Central(c) => sync_cli::central(cfg, c),
        Command::User(UserCmd::Add(u)) => {
            admin_cmd(&cfg, admin::Command::UserAdd(u.into_new_user()?))
        }
        Command::User(UserCmd::List) => admin_cmd(&cfg, admin::Command::UserList),
        Command::User(UserCmd::Disable { code }) => admin_cmd(
            &cfg,
            admin::Command::UserDisable {
                code,
                disabled: true,
            },
        ),
        Command::User(UserCmd::Enable { code }) => admin_cmd(
            &cfg,
            admin::Command::UserDisable {
                code,
                disabled: false,
            },
        ),
        Command::User(UserCmd::RemoveTerminal { code, terminal }) => {
            admin_cmd(&cfg, admin::Command::UserRemoveTerminal { code, terminal })
        }
        Command::Mode { mode: None, .. } => admin_cmd(&cfg, admin::Command::ModeShow),
        Command::Mode {
            mode: Some(mode),
            reason,
        } => admin_cmd(
            &cfg,
            admin::Command::Mode {
                mode: Mode::parse(&mode).expect("clap checked the value"),
                reason: reason.unwrap_or_default(),
            },
        ),
        Command::Direction(DirectionCmd::Add {
            tax_code,
            category,
            from,
            until,
            max,
            reason,
        }) => admin_cmd(
            &cfg,
            admin::Command::DirectionAdd {
                tax_code,
                category: Category::parse(&category).expect("clap checked the value"),
                valid_from: parse_day("--from", &from)?,
                valid_until: parse_day("--until", &until)?,
                max_declarations: max,
                reason,
            },
        ),
        Command::Direction(DirectionCmd::List) => admin_cmd(&cfg, admin::Command::DirectionList),
        Command::Verify => admin_cmd(&cfg, admin::Command::Verify),
        Command::Backup { out, into, keep } => {
            let out = match (out, &into) {
                (Some(out), _) => out,
                (None, Some(parent)) => outpost::store::timestamped(parent, outpost::clock::now()),
                (None, None) => unreachable!("clap requires --out or --into"),
            };
            // The appliance writes it, and its working directory is not ours.
            let out = std::path::absolute(&out).map_err(|e| format!("{}: {e}", out.display()))?;
            admin_cmd(&cfg, admin::Command::Backup { out })?;
            if let (Some(parent), Some(keep)) = (into, keep) {
                for old in outpost::store::prune(&parent, keep.into())
                    .map_err(|e| format!("pruning old backups: {e}"))?
                {
                    println!("removed the older backup {}", old.display());
                }
            }
            Ok(())
        }
        Command::Restore { from } => {
            let report = outpost::store::restore(&from, &cfg.data_dir, cfg.cache_capacity_mb << 20)
                .map_err(|e| format!("restore failed: {e}"))?;
            print!("{report}");
            Ok(())
        }
        Command::Officer(OfficerCmd::Add {
            login,
            name,
            roles,
            password,
        }) => admin_cmd(
            &cfg,
            admin::Command::OfficerSave(admin::OfficerChange {
                login,
                name,
                password,
                roles: (!roles.is_empty()).then(|| {
                    roles
                        .iter()
                        .map(|r| Role::parse(r).expect("clap checked the value"))
                        .collect()
                }),
                disabled: None,
            }),
        ),
        Command::Officer(OfficerCmd::List) => admin_cmd(&cfg, admin::Command::OfficerList),
        Command::Direction(DirectionCmd::Revoke { id, reason }) => {
            admin_cmd(&cfg, admin::Command::DirectionRevoke { id, reason })
        }
    }
}

/// `DD/MM/YYYY` (or `DDMMYYYY`, as VNACCS sends dates).
fn parse_day(flag: &str, s: &str) -> Result<Day, String> {
    let digits: String = s.chars().filter(|c| *c != '/').collect();
    outpost::wire::parse_date(&digits)
        .ok_or_else(|| format!("{flag} {s:?} is not a real date (DD/MM/YYYY)"))
}

/// The operator's name for the audit trail: the login that ran the command.
fn operator() -> String {
    let user = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "unknown".into());
    format!("operator:{user}")
}

fn admin_cmd(cfg: &Config, command: admin::Command) -> Result<(), String> {
    let req = admin::Request {
        actor: operator(),
        command,
    };
    let out = admin::run(&cfg.data_dir, cfg.cache_capacity_mb << 20, req)?;
    print!("{out}");
    Ok(())
}

fn ensure_site(store: &Store) -> Result<(), String> {
    if store.site().map_err(|e| e.to_string())?.is_none() {
        log::warn!(
            "no site identity yet: numbering from development block {DEV_BLOCK:03}, which the centre \
             never accepts; run `outpost init --site N` with the block the centre reserved for this branch"
        );
        store
            .set_site(
                &Site {
                    name: "unprovisioned".into(),
                    blocks: vec![DEV_BLOCK],
                    created_at: outpost::clock::now(),
                },
                &Actor {
                    name: "system".into(),
                    at: outpost::clock::now(),
                },
            )
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn serve(mut cfg: Config, source: &str, listen: Option<SocketAddr>) -> Result<(), String> {
    if let Some(l) = listen {
        cfg.listen = l;
    }
    let checked = preflight(&cfg, source)?;
    for note in &checked.notes {
        log::info!("{note}");
    }
    let resolver = tls_resolver(&cfg)?;
    let store = open_store(&cfg)?;
    ensure_site(&store)?;
    let settings = Settings::of(&cfg, checked.rules_sha256.as_deref());
    let system = Actor {
        name: "system".into(),
        at: outpost::clock::now(),
    };
    if let Some(changed) = store
        .journal_settings(&settings, &system)
        .map_err(|e| e.to_string())?
    {
        log::info!("config changed: {changed}");
    }
    let mode = store.mode().map_err(|e| e.to_string())?;
    log::info!(
        "mode {} since {} ({}): {}",
        mode.mode.name(),
        outpost::clock::iso(mode.since),
        mode.by,
        mode.reason
    );
    let service = Arc::new(
        Service::new(store, checked.offset, cfg.accept_unsigned)
            .map_err(|e| e.to_string())?
            .with_tables(Configured {
                rules: checked.rules.map(Arc::new),
                low_value: cfg.low_value()?,
            })?
            .with_disk_floor(cfg.min_free_disk_mb << 20),
    );
    let limits = limits(&cfg);
    let uploader = sync_cli::uploader(&cfg, &service)?;
    let runtime = runtime()?;
    let fatal = runtime.block_on(async {
        let (listener, addr, admin_socket) = bind(&cfg).await?;
        let admin_task = tokio::spawn(admin::serve_socket(
            admin_socket,
            sync_cli::admin_exec(
                service.clone(),
                uploader.clone(),
                tokio::runtime::Handle::current(),
            ),
        ));
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        if let Some(u) = &uploader {
            tokio::spawn(u.clone().run(stop_rx.clone()));
        }
        watch_signals(resolver.clone(), stop_tx.clone())?;
        let stuck = tokio::spawn(stop_when_stuck(
            service.clone(),
            Duration::from_secs(cfg.flush_stuck_exit_secs),
            stop_tx,
        ));
        // Scripts and tests wait for this line to know the port.
        println!(
            "outpost: listening on https://{addr}/ (data {})",
            cfg.data_dir.display()
        );
        log::info!("listening on https://{addr}/");
        systemd::ready(&format!("listening on https://{addr}/"));
        let watchdog = tokio::spawn(systemd::watchdog(service.clone()));
        http::serve(
            listener,
            tls::server_config(resolver),
            service.clone(),
            limits,
            stop_rx,
        )
        .await;
        watchdog.abort();
        admin_task.abort();
        let _ = std::fs::remove_file(admin::socket_path(&cfg.data_dir));
        let fatal = if stuck.is_finished() {
            stuck.await.ok()
        } else {
            stuck.abort();
            None
        };
        Ok::<Option<String>, String>(fatal)
    })?;
    runtime.shutdown_timeout(Duration::from_secs(5));
    let failed = match service.store.write_refusal() {
        Some(why @ outpost::store::Unhealthy::Failed { .. }) => Some(why.to_string()),
        _ => None,
    };
    let closed = service
        .store
        .close(Duration::from_secs(cfg.shutdown_grace_secs));
    exit_if_broken(closed, fatal.or(failed));
    log::info!("stopped; everything acknowledged is on disk");
    Ok(())
}

/// Stops the appliance once its store has made no write durable for
/// `after` (a flush stuck or failed): only a restart brings it back, as
/// sled recovers from its log when it opens. Returns why.
async fn stop_when_stuck(
    service: Arc<Service>,
    after: Duration,
    stop: tokio::sync::watch::Sender<bool>,
) -> String {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let Err(why) = service.store.commit_health(after) else {
            continue;
        };
        if why.lasted().is_some_and(|d| d >= after) {
            let why = format!("the store has made no write durable: {why}");
            log::error!("{why}");
            systemd::stopping();
            let _ = stop.send(true);
            return why;
        }
    }
}

/// Ends the process with status 1 when the store's flush thread did not
/// stop (`closed`) or the store broke (`why`), without dropping sled: its
/// drop flushes again, and after a failed write that flush can hang for
/// good. Everything acknowledged was on disk before it was acknowledged,
/// and sled recovers from its log at the next start.
pub(crate) fn exit_if_broken(closed: Result<(), outpost::store::StuckFlush>, why: Option<String>) {
    let why = match (closed, why) {
        (Err(stuck), why) => {
            let also = why.map(|w| format!("; {w}")).unwrap_or_default();
            format!("{stuck}{also}; exiting without the final flush")
        }
        (Ok(()), Some(why)) => format!("{why}; exiting"),
        (Ok(()), None) => return,
    };
    log::error!("{why} (a restart recovers the store from its log)");
    std::process::exit(1);
}

/// The listener's certificate (self-signed on first start), reloadable.
fn tls_resolver(cfg: &Config) -> Result<Arc<tls::Reloadable>, String> {
    let (cert, key) = (cfg.cert_path(), cfg.key_path());
    if tls::ensure_self_signed(&cert, &key, &cfg.tls_names).map_err(|e| e.to_string())? {
        log::info!("generated a self-signed certificate: {}", cert.display());
    }
    Ok(Arc::new(
        tls::Reloadable::new(cert, key).map_err(|e| e.to_string())?,
    ))
}

/// The HTTPS listener, its address, and the admin socket.
async fn bind(
    cfg: &Config,
) -> Result<
    (
        tokio::net::TcpListener,
        SocketAddr,
        tokio::net::UnixListener,
    ),
    String,
> {
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|e| format!("listening on {}: {e}", cfg.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let socket = admin::bind_socket(&cfg.data_dir)
        .map_err(|e| format!("admin socket in {}: {e}", cfg.data_dir.display()))?;
    Ok((listener, addr, socket))
}

/// The listener's limits from the configuration.
fn limits(cfg: &Config) -> http::Limits {
    http::Limits {
        max_body_bytes: cfg.max_body_bytes,
        header_read_timeout: Duration::from_secs(cfg.header_read_timeout_secs),
        request_timeout: Duration::from_secs(cfg.request_timeout_secs),
        shutdown_grace: Duration::from_secs(cfg.shutdown_grace_secs),
        max_connections: cfg.max_connections,
        max_connections_per_ip: cfg.max_connections_per_ip,
        min_body_rate: cfg.min_body_rate_bytes_per_sec,
        slow_grace: Duration::from_secs(cfg.slow_client_grace_secs),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("outpost-io")
        .build()
        .map_err(|e| format!("starting the runtime: {e}"))
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
                    systemd::stopping();
                    let _ = stop.send(true);
                }
            }
        })
        .map_err(|e| e.to_string())?;
    Ok(())
}
