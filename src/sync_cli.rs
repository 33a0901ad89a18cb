//! The sync commands of the `outpost` binary: `site-identity`, `sync`,
//! `export`, `import` and `outpost central …`, and the uploader that
//! `serve` starts. Kept apart from main.rs so the appliance's own commands
//! stay readable.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;

use outpost::admin::{self, NewUser};
use outpost::central::admin::Command as CentralCommand;
use outpost::central::{server, CentralStore};
use outpost::config::Config;
use outpost::http;
use outpost::service::Service;
use outpost::store::{Store, StoreError};
use outpost::sync::upload::{centre_address, Settings, Uploader};
use outpost::sync::{batch, export, identity};

#[derive(Subcommand)]
pub enum CentralCmd {
    /// Run the central receiver: HTTPS with mutual TLS for the sites.
    Serve {
        /// Listen address (overrides the config file), e.g. 0.0.0.0:9443.
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
    /// Register sites.
    #[command(subcommand)]
    Site(SiteCmd),
    /// Each site's high-water mark, gaps, conflicts and last contact.
    Report,
    /// The registry sent to the sites: declarants.
    #[command(subcommand)]
    User(CentralUserCmd),
    /// The registry sent to the sites: reference tables.
    #[command(subcommand)]
    Table(TableCmd),
}

#[derive(Subcommand)]
pub enum SiteCmd {
    /// Register a site's client certificate and bundle key (from
    /// `outpost site-identity` on the site), or replace them.
    Add {
        /// The site's number block.
        #[arg(long)]
        site: u16,
        #[arg(long)]
        name: Option<String>,
        /// The site's client certificate (PEM or DER).
        #[arg(long)]
        cert: PathBuf,
        /// The site's bundle public key (hex).
        #[arg(long)]
        key_pub: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum CentralUserCmd {
    /// Add a declarant to the registry, or replace it.
    Add(crate::UserArgs),
}

#[derive(Subcommand)]
pub enum TableCmd {
    /// Publish a reference table (`channel-rules`) from a file.
    Set {
        name: String,
        #[arg(long)]
        file: PathBuf,
    },
}

fn cache(cfg: &Config) -> u64 {
    cfg.cache_capacity_mb << 20
}

/// `outpost site-identity --out DIR`: what the centre registers.
pub fn site_identity(cfg: &Config, out: &Path) -> Result<(), String> {
    let cert = identity::client_cert_path(&cfg.data_dir);
    let der =
        identity::read_certificate(&cert).map_err(|e| format!("{e} (run `outpost init` first)"))?;
    let key = identity::signing_key(&cfg.data_dir).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let (cert_out, key_out) = (out.join("site-cert.pem"), out.join("site-key.pub"));
    std::fs::copy(&cert, &cert_out).map_err(|e| format!("{}: {e}", cert_out.display()))?;
    std::fs::write(&key_out, format!("{}\n", identity::public_key_hex(&key)))
        .map_err(|e| format!("{}: {e}", key_out.display()))?;
    println!(
        "client certificate: {} (SHA-256 {})\nbundle public key:  {} ({})\n\
         at the centre: outpost central site add --site N --cert site-cert.pem --key-pub site-key.pub",
        cert_out.display(),
        identity::hex(&identity::fingerprint(&der)),
        key_out.display(),
        identity::public_key_hex(&key)
    );
    Ok(())
}

/// The uploader settings, when a centre is configured.
pub fn settings(cfg: &Config) -> Result<Option<Settings>, String> {
    let Some(url) = &cfg.central_url else {
        return Ok(None);
    };
    Ok(Some(Settings {
        centre: centre_address(url)?,
        central_cert: cfg
            .central_cert
            .clone()
            .ok_or("central_url needs central_cert")?,
        client_cert: identity::client_cert_path(&cfg.data_dir),
        client_key: identity::client_key_path(&cfg.data_dir),
        limits: batch::Limits {
            max_events: cfg.sync_batch_events,
            max_bytes: cfg.sync_batch_bytes,
        },
        interval: Duration::from_secs(cfg.sync_interval_secs),
        backoff_base: Duration::from_secs(1),
        backoff_cap: Duration::from_secs(cfg.sync_backoff_max_secs),
        timeout: Duration::from_secs(cfg.sync_timeout_secs),
    }))
}

/// The appliance's uploader, when a centre is configured.
pub fn uploader(
    cfg: &Config,
    service: &Arc<Service>,
) -> Result<Option<Arc<Uploader<Service>>>, String> {
    Ok(settings(cfg)?.map(|s| {
        Arc::new(Uploader::new(service.clone(), |s| &s.store, s).on_applied(Service::reload_tables))
    }))
}

/// Runs an admin command in the appliance, taking `sync` to its uploader
/// with its progress, and sending an export's bundle back.
pub fn admin_exec(
    service: Arc<Service>,
    uploader: Option<Arc<Uploader<Service>>>,
    handle: tokio::runtime::Handle,
) -> admin::Exec<admin::Request> {
    Arc::new(
        move |req: admin::Request, reply: &admin::Reply| match (&req.command, &uploader) {
            (admin::Command::Sync, Some(u)) => handle
                .block_on(u.pass(&mut |p| reply.progress(p.acked, p.head)))
                .map(|r| r.to_string())
                .map_err(|e| format!("sync failed: {e}")),
            (admin::Command::Export { since }, _) => {
                export::export_to(&service.store, *since, reply.data())
                    .map(|m| export::describe(&m))
            }
            _ => admin::execute(&service.store, req),
        },
    )
}

/// The bar of `outpost sync`: events acknowledged of the journal's head.
fn events_bar() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} events {pos}/{len} [{bar:40}] {per_sec} {eta}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar
}

/// `outpost sync`: one pass with a progress bar; through the running
/// appliance when it holds the store.
pub fn sync(cfg: &Config, actor: String) -> Result<(), String> {
    let store = match Store::open(&cfg.data_dir, cache(cfg)) {
        Ok(s) => Arc::new(s),
        Err(StoreError::Locked(_)) => {
            let bar = events_bar();
            let out = admin::remote_streamed(
                &cfg.data_dir,
                &admin::Request {
                    actor,
                    command: admin::Command::Sync,
                },
                &mut |done, total| {
                    bar.set_length(total);
                    bar.set_position(done);
                },
                None,
            );
            bar.finish_and_clear();
            print!("{}", out?);
            return Ok(());
        }
        Err(e) => return Err(e.to_string()),
    };
    let settings = settings(cfg)?.ok_or(
        "no central_url in the configuration: set central_url and central_cert in outpost.toml",
    )?;
    let uploader = Uploader::new(store.clone(), |s: &Store| s, settings);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let bar = events_bar();
    let result = rt.block_on(uploader.pass(&mut |p| {
        bar.set_length(p.head);
        bar.set_position(p.acked);
    }));
    bar.finish_and_clear();
    let closed = store.close(outpost::store::DEFAULT_FLUSH_TIMEOUT);
    let report = result.map_err(|e| format!("sync failed: {e}"))?;
    closed.map_err(|e| format!("closing the store: {e}"))?;
    print!("{report}");
    Ok(())
}

/// `outpost export`: this process writes the bundle, with the operator's
/// rights; when the appliance holds the store, it sends the bytes over its
/// admin socket.
pub fn export(cfg: &Config, actor: String, out: &Path, since: Option<u64>) -> Result<(), String> {
    let manifest = match Store::open(&cfg.data_dir, cache(cfg)) {
        Ok(store) => {
            let written = export::export(&store, out, since).map(|m| export::describe(&m));
            let closed = store.close(outpost::store::DEFAULT_FLUSH_TIMEOUT);
            closed.map_err(|e| format!("closing the store: {e}"))?;
            written?
        }
        Err(StoreError::Locked(_)) => export::write_atomically(out, |file| {
            let req = admin::Request {
                actor,
                command: admin::Command::Export { since },
            };
            let mut sink = std::io::BufWriter::with_capacity(1 << 20, file);
            let described =
                admin::remote_streamed(&cfg.data_dir, &req, &mut |_, _| {}, Some(&mut sink))?;
            std::io::Write::flush(&mut sink).map_err(|e| format!("{}: {e}", out.display()))?;
            Ok(described)
        })?,
        Err(e) => return Err(e.to_string()),
    };
    print!("wrote {}: {manifest}", out.display());
    Ok(())
}

fn absolute(p: &Path) -> Result<PathBuf, String> {
    std::path::absolute(p).map_err(|e| format!("{}: {e}", p.display()))
}

/// `outpost import FILE` on the centre.
pub fn import(cfg: &Config, file: &Path) -> Result<(), String> {
    let out = outpost::central::admin::run(
        &cfg.data_dir,
        cache(cfg),
        CentralCommand::Import(absolute(file)?),
    )?;
    print!("{out}");
    Ok(())
}

pub fn central(cfg: Config, cmd: CentralCmd) -> Result<(), String> {
    let command = match cmd {
        CentralCmd::Serve { listen } => return central_serve(cfg, listen),
        CentralCmd::Site(SiteCmd::Add {
            site,
            name,
            cert,
            key_pub,
        }) => {
            let key = std::fs::read_to_string(&key_pub)
                .map_err(|e| format!("{}: {e}", key_pub.display()))?;
            CentralCommand::SiteAdd {
                site,
                name,
                cert_der: identity::read_certificate(&cert)?,
                bundle_key: identity::parse_public_key(&key)
                    .map_err(|e| format!("{}: {e}", key_pub.display()))?,
            }
        }
        CentralCmd::Report => CentralCommand::Report,
        CentralCmd::User(CentralUserCmd::Add(u)) => CentralCommand::UserAdd(u.into_new_user()?),
        CentralCmd::Table(TableCmd::Set { name, file }) => CentralCommand::TableSet {
            name,
            text: std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?,
        },
    };
    let out = outpost::central::admin::run(&cfg.data_dir, cache(&cfg), command)?;
    print!("{out}");
    Ok(())
}

fn central_serve(mut cfg: Config, listen: Option<std::net::SocketAddr>) -> Result<(), String> {
    if let Some(l) = listen {
        cfg.listen = l;
    }
    let resolver = crate::tls_resolver(&cfg)?;
    let store =
        Arc::new(CentralStore::open(&cfg.data_dir, cache(&cfg), true).map_err(|e| e.to_string())?);
    let runtime = crate::runtime()?;
    runtime.block_on(async {
        let (listener, addr, socket) = crate::bind(&cfg).await?;
        let owner = store.clone();
        let admin_task = tokio::spawn(admin::serve_socket(
            socket,
            Arc::new(move |cmd: CentralCommand, _: &admin::Reply| {
                outpost::central::admin::execute(&owner, cmd)
            }),
        ));
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        crate::watch_signals(resolver.clone(), stop_tx)?;
        println!(
            "outpost central: listening on https://{addr}/ (data {})",
            cfg.data_dir.display()
        );
        let routed = store.clone();
        http::serve_with(
            listener,
            server::tls_config(resolver, store.clone()),
            crate::limits(&cfg),
            stop_rx,
            move |req, peer, limits| server::route(req, peer, limits, routed.clone()),
        )
        .await;
        admin_task.abort();
        let _ = std::fs::remove_file(admin::socket_path(&cfg.data_dir));
        Ok::<(), String>(())
    })?;
    runtime.shutdown_timeout(Duration::from_secs(5));
    crate::exit_if_broken(
        store.close(Duration::from_secs(cfg.shutdown_grace_secs)),
        None,
    );
    log::info!("central stopped");
    Ok(())
}

/// Makes the site's client certificate and signing key after `init`.
pub fn init_identity(cfg: &Config, site: u16) -> Result<(), String> {
    for p in identity::ensure(&cfg.data_dir, site).map_err(|e| e.to_string())? {
        println!("made {}", p.display());
    }
    Ok(())
}

impl crate::UserArgs {
    pub fn into_new_user(self) -> Result<NewUser, String> {
        Ok(NewUser {
            code: self.code,
            password: self.password,
            terminal: self.terminal,
            access_key: self.access_key,
            tax_codes: self.tax_codes,
            signing_cert: self
                .signing_cert
                .map(|p| identity::read_certificate(&p))
                .transpose()?,
            signing_ca: self
                .signing_ca
                .map(|p| identity::read_certificate(&p))
                .transpose()?,
        })
    }
}
