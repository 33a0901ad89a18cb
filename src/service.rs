//! Where a VNACCS request becomes rules → store → outputs → reply.
//!
//! One call per HTTP request body. Blocking (Argon2, sled, group commit):
//! the HTTP layer runs it on tokio's blocking pool.

mod decide;

pub use decide::{ApproveError, DecideError};

use std::sync::{Arc, RwLock};

use ring::hmac;
use time::{OffsetDateTime, UtcOffset};

use crate::audit::Change;
use crate::auth::{Secret, Verifier};
use crate::disk::Floor;
use crate::rules::channel::ChannelRules;
use crate::rules::declaration::{self, Declarant, Declaration, Division, Spec, Status, Step};
use crate::rules::eligibility::{self, Basis, Day, JobClass, LowValue, Mode, Subject};
use crate::rules::numbering::{DeclNumber, Family};
use crate::rules::outputs::{self, About, Stamp, MANAGEMENT_COPY};
use crate::rules::temporary::{self, NotManaged};
use crate::rules::transport::{
    self, Correction, Inquiry, Transport, TransportNumber, TransportStatus,
};
use crate::smime;
use crate::store::records::{Output, User};
use crate::store::{Actor, Store, StoreError};
use crate::sync::tables::{self as reference, Configured, Tables};
use crate::wire::{self, tables, Fields, HField, Header, JobCodes, Message, ResultCode};

/// Most result codes one reply lists; VNACCS terminals show them in a list.
const MAX_CODES: usize = 30;
/// Most transports one ITF search answers with (the first in the reply,
/// the rest queued as outputs).
const ITF_MAX_FOUND: usize = 100;
/// The logon check's answer: anything under 400 bytes means success.
pub const LOGON_OK: &[u8] = b"LOGON OK";
/// Free disk space is under `min_free_disk_mb`: writing jobs wait.
pub const DISK_LOW: &str = "A0060";
/// The store cannot confirm writes on disk now (its flush is stuck or
/// failed): the request is not accepted.
pub const STORE_STALLED: &str = "A0061";

/// Jobs that write a declaration, a transport or new outputs: the ones the
/// disk floor and a stuck flush hold back. Call-ups, inquiries and
/// retrieval only read (an acknowledgement only deletes).
fn writes(job: &str) -> bool {
    match Spec::for_job(job) {
        Some((_, step)) => matches!(
            step,
            Step::PreRegister | Step::Register | Step::Amend | Step::AmendRegister
        ),
        None => matches!(job, "OLA" | "OLC" | "BOA" | "BIA" | "COT" | "TIA" | "ROT"),
    }
}

pub struct Service {
    pub store: Store,
    accept_unsigned: bool,
    /// What the configuration says of the reference tables, and the tables
    /// in force: the configuration overlaid with the centre's, swapped
    /// whole when a newer registry is applied.
    configured: Configured,
    tables: RwLock<Arc<Tables>>,
    verifier: Verifier,
    offset: UtcOffset,
    /// Signs RtpInfo so that `?A2`/`?A3` can only name outputs this
    /// appliance handed out in an access-key-checked retrieval.
    rtp_key: hmac::Key,
    /// Free space the data directory must keep for jobs that write.
    disk: Floor,
}

/// A reply ready for the HTTP body.
pub struct Reply {
    pub bytes: Vec<u8>,
    /// Job and first result code, for logs and metrics.
    pub job: String,
    pub result: String,
}

/// Why a write under the store lock did not happen.
enum Refusal {
    /// The request breaks a rule: answer with these codes.
    Codes(Vec<ResultCode>),
    /// The store failed while checking.
    Store(StoreError),
}

/// Who sent the request, once the header checked out.
struct Caller {
    user: User,
    terminal: String,
    /// `serial@issuer` of the certificate that signed the request, when it
    /// was signed and checked out; `None` for an unsigned request.
    signed_by: Option<String>,
}

/// The journal's name for what a request did: its job.
fn action(req: &Message) -> String {
    format!("job {}", req.job_code())
}

/// A request body as it arrived: plain text, or S/MIME multipart/signed.
pub enum Body<'a> {
    Plain(&'a [u8]),
    Signed {
        content_type: &'a str,
        body: &'a [u8],
    },
}

impl Service {
    /// `accept_unsigned`: whether jobs the templates mark as signed may
    /// arrive unsigned (they are then recorded as unsigned).
    pub fn new(
        store: Store,
        offset: UtcOffset,
        accept_unsigned: bool,
    ) -> Result<Service, StoreError> {
        let secret = store.rtp_secret()?;
        let disk = Floor::new(store.path(), 0);
        let configured = Configured {
            rules: None,
            low_value: LowValue::default(),
        };
        Ok(Service {
            store,
            accept_unsigned,
            tables: RwLock::new(Arc::new(Tables {
                rules: Arc::new(ChannelRules::builtin()),
                low_value: configured.low_value.clone(),
                version: 0,
            })),
            configured,
            verifier: Verifier::default(),
            offset,
            rtp_key: hmac::Key::new(hmac::HMAC_SHA256, &secret),
            disk,
        })
    }

    /// Refuses jobs that write (declarations, transports, re-outputs) with
    /// `A0060` while the data directory's disk has less than `bytes` free.
    pub fn with_disk_floor(mut self, bytes: u64) -> Service {
        self.disk = Floor::new(self.store.path(), bytes);
        self
    }

    /// The data directory's disk and its floor.
    pub fn disk(&self) -> &Floor {
        &self.disk
    }

    /// `A0060` when a writing job must wait for disk space. Nothing is
    /// refused when the space cannot be read: the write itself will then
    /// fail cleanly if the disk is really gone.
    fn disk_refusal(&self, job: &str) -> Option<ResultCode> {
        if !writes(job) {
            return None;
        }
        match self.disk.space() {
            Ok(space) if space.low() => {
                log::warn!("refused {job}: the data directory's disk has {space}");
                Some(ResultCode::sys(DISK_LOW))
            }
            Ok(_) => None,
            Err(e) => {
                log::warn!("free space of {}: {e}", self.store.path().display());
                None
            }
        }
    }

    /// `A0061` when the store cannot take this job now, decided before
    /// anything touches sled: a job that writes while no write can become
    /// durable (the flush failed, or writes have waited the flush timeout),
    /// and any job while sled's reads hang behind a stuck flush.
    fn commit_refusal(&self, job: &str) -> Option<ResultCode> {
        let why = self.store.write_refusal()?;
        if !writes(job) && !self.store.reads_hang() {
            return None;
        }
        log::warn!("refused {job}: {why}");
        Some(ResultCode::sys(STORE_STALLED))
    }

    /// The answer for a request whose handler still runs while sled's reads
    /// hang behind a stuck flush: `A0061`, echoing what can be read of its
    /// header, built without touching sled.
    pub fn stalled_reply(&self, body: Body) -> Reply {
        let header = match body {
            Body::Plain(b) => Header::parse(b).ok(),
            Body::Signed { content_type, body } => smime::split_signed(content_type, body)
                .ok()
                .and_then(|parts| Header::parse(&parts.content).ok()),
        };
        let code = ResultCode::sys(STORE_STALLED);
        self.result(&header.unwrap_or_default(), &[code], "")
    }

    /// What `/metrics` shows besides the request counters. The store's
    /// figures are left out while its reads hang behind a stuck flush.
    pub fn gauges(&self) -> crate::metrics::Gauges {
        let store = (!self.store.reads_hang()).then(|| {
            let (journal_head, _) = self.store.journal_head().unwrap_or_default();
            let acknowledged = self.store.sync_status().unwrap_or_default().acknowledged;
            crate::metrics::StoreGauges {
                mode: self.store.mode().map_or("unknown", |m| m.mode.name()),
                declarations: self.store.declaration_count(),
                outputs_pending: self.store.pending_outputs_total(),
                journal_head,
                sync_pending: journal_head.saturating_sub(acknowledged),
            }
        });
        let commit = self.store.commit_stats();
        crate::metrics::Gauges {
            store,
            commit_waiters: commit.waiting,
            flushes: commit.flushes,
            durable_writes: commit.writes,
            flush_stalled: commit.stalled,
            flush_timeouts: commit.timeouts,
            flush_failures: commit.failures,
            disk_free_bytes: self.disk.space().ok().map(|s| s.free),
            disk_floor_bytes: self.disk.floor_bytes(),
            // The listener's own, filled in by `http` (the service does not see it).
            connections_open: 0,
            connections_shed: Vec::new(),
        }
    }

    /// The declarant as the journal names it.
    fn actor(&self, caller: &Caller) -> Actor {
        Actor {
            name: caller.user.code.clone(),
            at: self.now().unix_timestamp(),
        }
    }

    /// The reference tables from the configuration (by default, the
    /// built-in channel rules and [`LowValue::default`]), overlaid with
    /// those the centre sent.
    pub fn with_tables(mut self, configured: Configured) -> Result<Service, String> {
        self.configured = configured;
        self.reload_tables()?;
        Ok(self)
    }

    /// Puts the reference tables the store holds from the centre in force,
    /// for the requests that start from now on. Returns their version.
    pub fn reload_tables(&self) -> Result<u64, String> {
        let centre = self.store.reference().map_err(|e| e.to_string())?;
        let t = reference::effective(&self.configured, centre.as_ref())?;
        let version = t.version;
        *self.tables.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(t);
        Ok(version)
    }

    fn tables(&self) -> Arc<Tables> {
        self.tables
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Whether a declaration's data shows low-value post/express goods.
    fn is_low_value(&self, fields: &Fields) -> bool {
        self.tables()
            .low_value
            .covers(fields.get("CCC"), fields.get("IP3"), fields.get("IP4"))
    }

    /// The branch's offset from UTC, for its calendar days.
    pub fn offset(&self) -> UtcOffset {
        self.offset
    }

    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc().to_offset(self.offset)
    }

    pub fn handle(&self, body: Body) -> Reply {
        let (body, signed) = match body {
            Body::Plain(b) => (b.to_vec(), None),
            Body::Signed { content_type, body } => match smime::split_signed(content_type, body) {
                Ok(parts) => (parts.content.clone(), Some(parts)),
                Err(e) => {
                    log::info!("refused signed body: {e}");
                    let code = ResultCode::sys(e.result_code());
                    return self.result(&Header::default(), &[code], "");
                }
            },
        };
        let body = body.as_slice();
        let req = match Message::parse(body) {
            Ok(m) => m,
            Err(e) => {
                log::info!("refused message: {e}");
                // Echo what can be read of the header, if anything.
                let header = wire::Header::parse(body).unwrap_or_default();
                return self.result(&header, &[e.result_code()], "");
            }
        };
        let job = req.job_code().to_string();
        if let Some(code) = self.commit_refusal(&job) {
            return self.result(&req.header, &[code], "");
        }
        let caller = match self
            .authenticate(&req.header)
            .and_then(|c| self.check_signature(c, &job, signed.as_ref()))
        {
            Ok(c) => c,
            Err(code) => return self.result(&req.header, &[code], ""),
        };
        if let Some(code) = self.disk_refusal(&job) {
            return self.result(&req.header, &[code], "");
        }
        let outcome = match (Spec::for_job(&job), job.as_str()) {
            (Some((spec, Step::PreRegister)), _) => self.pre_register(spec, &req, &caller),
            (Some((spec, Step::CallUp)), _) => self.call_up(spec, &req, &caller),
            (Some((spec, Step::Register)), _) => self.register(spec, &req, &caller),
            (Some((spec, Step::Amend)), _) => self.amend(spec, &req, &caller),
            (Some((spec, Step::AmendCallUp)), _) => self.amend_call_up(spec, &req, &caller),
            (Some((spec, Step::AmendRegister)), _) => self.amend_register(spec, &req, &caller),
            (Some((spec, Step::Inquiry)), _) => self.inquiry(spec, &req, &caller),
            (None, "#REP1") => self.rep1(&req, &caller),
            (None, "?A2" | "?A3") => self.ack(&req, &caller),
            (None, "TCC") => Ok(self.channel_check(&req)),
            (None, "ROT") => self.re_output(&req, &caller),
            (None, "ITI") => self.temporary_inquiry(&req, &caller),
            (None, "TIB") => self.management_call_up(&req, &caller),
            (None, "TIA") => self.management_correction(&req, &caller),
            (None, "OLA") => self.transport_pre_register(&req, &caller),
            (None, "OLB" | "COT11" | "BIA11") => self.transport_call_up(&req, &caller),
            (None, "OLC" | "BOA" | "BIA") => self.transport_step(&req, &caller),
            (None, "COT") => self.transport_correction(&req, &caller),
            (None, "ITF") => self.transport_inquiry(&req, &caller),
            (None, j) if JobClass::of(j) == Some(JobClass::LowValue) => {
                let code = ResultCode::sys(eligibility::LOW_VALUE_REFUSED);
                Ok(self.result(&req.header, &[code], "LOW-VALUE"))
            }
            (None, j) if wire::job_layout(j).is_some() => {
                Ok(self.result(&req.header, &[ResultCode::sys("A0002")], ""))
            }
            (None, _) => Ok(self.result(&req.header, &[ResultCode::sys("A0001")], "")),
        };
        outcome.unwrap_or_else(|e| {
            log::error!("{job} from {}: {e}", caller.user.code);
            let code = match e {
                StoreError::Exhausted(_) => "A0010",
                // Written, perhaps, but not confirmed on disk: not accepted.
                StoreError::Flush(_) => STORE_STALLED,
                _ => "A0007",
            };
            self.result(&req.header, &[ResultCode::sys(code)], "")
        })
    }

    /// A signed body must verify and come from the certificate registered
    /// for the terminal; an unsigned one is accepted for signed jobs only
    /// when the configuration allows it.
    fn check_signature(
        &self,
        mut caller: Caller,
        job: &str,
        signed: Option<&smime::SignedParts>,
    ) -> Result<Caller, ResultCode> {
        let Some(parts) = signed else {
            let needs_signature = wire::job_layout(job).is_some_and(|l| l.signed);
            if needs_signature && !self.accept_unsigned {
                return Err(ResultCode::new("E9990", "", 0));
            }
            return Ok(caller);
        };
        let signer = smime::verify(parts).map_err(|e| {
            log::info!("signature of {} from {}: {e}", job, caller.user.code);
            ResultCode::sys(e.result_code())
        })?;
        let registration = match self.store.terminal(&caller.terminal) {
            Ok(t) => t.and_then(|t| t.signing),
            Err(e) => {
                log::error!("reading terminal {}: {e}", caller.terminal);
                return Err(ResultCode::sys("A0007"));
            }
        };
        // No registered certificate: no CA the signer could match.
        let registration = registration.ok_or(ResultCode::sys("A0035"))?;
        smime::check_registered(&signer, &registration).map_err(ResultCode::sys)?;
        caller.signed_by = Some(format!("{}@{}", signer.serial_hex, signer.issuer));
        Ok(caller)
    }

    fn authenticate(&self, h: &Header) -> Result<Caller, ResultCode> {
        let user_code = h.get(HField::UserId);
        if user_code.len() != 8 || user_code.contains(' ') {
            return Err(ResultCode::sys("A0003"));
        }
        let user = match self.store.user(user_code) {
            Ok(Some(u)) => u,
            Ok(None) => return Err(ResultCode::sys("A0005")),
            Err(e) => {
                log::error!("reading user {user_code}: {e}");
                return Err(ResultCode::sys("A0007"));
            }
        };
        if user.disabled {
            return Err(ResultCode::sys("A0014"));
        }
        let password = h.get(HField::Password);
        if !self
            .verifier
            .verify(Secret::Password, &user.code, password, &user.password_hash)
        {
            return Err(ResultCode::sys("A0004"));
        }
        let terminal = h.get(HField::Path).to_string();
        if terminal.len() != 6 || !user.terminals.contains(&terminal) {
            return Err(ResultCode::sys("A0019"));
        }
        Ok(Caller {
            user,
            terminal,
            signed_by: None,
        })
    }

    // ---- replies ----------------------------------------------------------

    fn reply_header(&self, req: &Header, data_type: &str) -> Header {
        let mut h = req.clone();
        h.set(HField::ServerRecvTime, &self.timestamp());
        h.set(HField::DataType, data_type);
        h.set(HField::Div, "001");
        h.set(HField::EndFlag, "E");
        h
    }

    fn timestamp(&self) -> String {
        let t = self.now();
        format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            t.year(),
            t.month() as u8,
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }

    fn stamp(&self) -> Stamp {
        self.stamp_of(self.now().unix_timestamp())
    }

    /// Branch-local date and time of a moment, as output items carry them.
    fn stamp_of(&self, unix: i64) -> Stamp {
        let t = OffsetDateTime::from_unix_timestamp(unix)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
            .to_offset(self.offset);
        Stamp {
            date: format!("{:02}{:02}{:04}", t.day(), t.month() as u8, t.year()),
            time: format!("{:02}{:02}{:02}", t.hour(), t.minute(), t.second()),
        }
    }

    /// An R message: body line 1 = the result codes back to back; the
    /// subject starts with the first code, then `info`.
    fn result(&self, req: &Header, codes: &[ResultCode], info: &str) -> Reply {
        let codes = if codes.is_empty() {
            &[ResultCode::OK][..]
        } else {
            codes
        };
        let codes = &codes[..codes.len().min(MAX_CODES)];
        let mut h = self.reply_header(req, "R");
        h.set(HField::Subject, &self.subject(&codes[0], info));
        let line: String = codes.iter().map(ToString::to_string).collect();
        let msg = Message::new(h, format!("{line}\r\n"));
        Reply {
            bytes: msg.render(),
            job: req.job_code().to_string(),
            result: codes[0].code().to_string(),
        }
    }

    /// Subject text: the first result code, the job info, and the backup
    /// system's mode, so every reply shows which state the branch is in.
    fn subject(&self, code: &ResultCode, info: &str) -> String {
        format!("{code} {info:<12} {}", self.mode_tag())
    }

    /// The mode as every answer's Subject shows it, so a declarant sees
    /// which system took (or refused) the message.
    fn mode_tag(&self) -> &'static str {
        // While sled's reads hang behind a stuck flush, the mode is unknown.
        let mode = (!self.store.reads_hang())
            .then(|| self.store.mode().ok())
            .flatten();
        match mode.map(|m| m.mode) {
            Some(Mode::Active) => "BACKUP-ACTIVE",
            Some(Mode::Standby) => "BACKUP-STANDBY",
            None => "BACKUP",
        }
    }

    /// Whether the backup system may take this declaration now.
    fn eligibility(
        &self,
        job: &str,
        fields: &Fields,
        kind_field: &str,
        tax_field: &str,
        caller: &Caller,
    ) -> Result<Result<Basis, ResultCode>, StoreError> {
        let Some(class) = JobClass::of(job) else {
            return Ok(Ok(Basis::Outage));
        };
        let continues = match DeclNumber::parse(fields.get("TDN")) {
            Some(n) => self
                .store
                .declaration(n)?
                .filter(|d| d.user_code == caller.user.code)
                .map(|d| d.number),
            None => None,
        };
        let subject = Subject {
            class,
            kind_code: fields.get(kind_field),
            cargo_class: fields.get("CCC"),
            tax_code: fields.get(tax_field),
            today: crate::clock::day(self.now().unix_timestamp(), self.offset),
            continues,
            low_value: self.is_low_value(fields),
        };
        let mode = self.store.mode()?.mode;
        Ok(eligibility::decide(
            mode,
            &subject,
            &self.store.directions()?,
        ))
    }

    // ---- declarations ------------------------------------------------------

    /// Parses a job body against its layout; problems become the job's codes.
    /// The body in `job`'s layout, or the answer listing what is wrong.
    fn fields_or_reply(&self, req: &Message, job: &'static str) -> Result<Fields, Reply> {
        self.parse_fields(req, job)
            .map_err(|codes| self.result(&req.header, &codes, ""))
    }

    fn parse_fields(&self, req: &Message, job: &'static str) -> Result<Fields, Vec<ResultCode>> {
        let layout = wire::job_layout(job).expect("job layouts are built in");
        let codes = JobCodes::get(job);
        match Fields::parse(layout, &req.body, codes) {
            Err(too_many) => {
                log::info!(
                    "{job}: {} body lines, layout has {}",
                    too_many.lines,
                    too_many.max
                );
                Err(vec![ResultCode::new("E0001", "", 0)])
            }
            Ok(Err(errors)) => {
                let table = codes.or_else(|| JobCodes::get("SYS")).expect("SYS table");
                Err(errors.iter().map(|e| e.to_result(table)).collect())
            }
            Ok(Ok(f)) => Ok(f),
        }
    }

    /// A declaration's data (IDA/EDA or IDA01/EDA01) checked against its
    /// layout, the declarant's rights and its temporary-trade fields; the
    /// branch's date comes along for the checks that follow.
    fn declaration_fields(
        &self,
        spec: &Spec,
        job: &'static str,
        req: &Message,
        caller: &Caller,
    ) -> Result<(Fields, Day), Reply> {
        let fields = self.fields_or_reply(req, job)?;
        let who = Declarant {
            user_code: &caller.user.code,
            tax_codes: &caller.user.tax_codes,
        };
        let today = crate::clock::day(self.now().unix_timestamp(), self.offset);
        let mut errors = declaration::check_trader(spec, &fields, &who);
        errors.extend(temporary::check_own_fields(spec, &fields, today));
        errors.extend(declaration::division(spec, &fields).err());
        if !errors.is_empty() {
            return Err(self.result(&req.header, &errors, ""));
        }
        Ok((fields, today))
    }

    /// IDA / EDA: check, issue a number (or replace a pre-registration that
    /// names its number), queue the registered copy.
    fn pre_register(
        &self,
        spec: &'static Spec,
        req: &Message,
        caller: &Caller,
    ) -> Result<Reply, StoreError> {
        let (fields, today) = match self.declaration_fields(spec, spec.pre, req, caller) {
            Ok(v) => v,
            Err(reply) => return Ok(reply),
        };
        // A part of a divided shipment names the first declaration of its set.
        if let Ok(Division::Part { first, of, .. }) = declaration::division(spec, &fields) {
            let head = self.store.declaration(first)?;
            if let Err(code) = declaration::check_part(spec, of, head.as_ref(), &caller.user.code) {
                return Ok(self.result(&req.header, &[code], ""));
            }
        }
        let decided = self.eligibility(spec.pre, &fields, spec.kind, spec.trader, caller)?;
        // A continuation of one of our temporary declarations (the other
        // family: re-export <- temporary import, re-import <- temporary export).
        let continues = temporary::continues(spec, &fields);
        let now = self.now().unix_timestamp();
        // Runs under the store's writer lock: the balance it checks cannot
        // change before the declaration is written.
        let make = |number: DeclNumber, created_at: i64, basis: Basis| {
            if let Some(orig) = continues {
                self.check_draw(spec, &fields, &caller.user.code, today, orig, number)?;
            }
            let decl = Declaration {
                basis,
                signed_by: caller.signed_by.clone(),
                continues,
                ..Declaration::pre_registered(
                    spec,
                    number,
                    &caller.user.code,
                    &caller.terminal,
                    fields.values().to_vec(),
                    created_at,
                )
            };
            let copy = outputs::registered_copy(spec, &decl);
            let out = self.output(caller, spec.copy_out, spec.pre, decl.number, copy.render());
            Ok((decl, vec![out]))
        };
        let given = fields.get(spec.number);
        let outcome = if given.is_empty() {
            let basis = match decided {
                Ok(b) => b,
                Err(code) => return Ok(self.result(&req.header, &[code], "")),
            };
            let created = self.store.create_declaration(
                spec.family,
                basis,
                &self.actor(caller),
                &action(req),
                |n| make(n, now, basis),
            );
            match created {
                Err(StoreError::DirectionUsedUp(_)) => Err(Refusal::Codes(vec![ResultCode::sys(
                    eligibility::USE_VNACCS,
                )])),
                other => other?,
            }
        } else {
            // A second pre-registration with the number replaces the first.
            let Some(n) = spec.parse_number(given) else {
                let code = ResultCode::new("E0213", spec.number, 0);
                return Ok(self.result(&req.header, &[code], ""));
            };
            self.store
                .update_declaration(n, &self.actor(caller), &action(req), |cur| {
                    declaration::check_replace(spec, cur.as_ref(), &caller.user.code)
                        .map_err(|c| Refusal::Codes(vec![c]))?;
                    let cur = cur.expect("checked above");
                    // Nor can it move a continuation's link (see IDA01).
                    temporary::amended_link(spec, cur.continues, &fields)
                        .map_err(|c| Refusal::Codes(vec![c]))?;
                    // A replacement keeps what it was accepted under; one taken
                    // during an outage needs the outage (or a new basis) still.
                    // Low-value goods are refused whatever the basis.
                    let basis = match (cur.basis, decided) {
                        (_, Err(c)) if c.code() == eligibility::LOW_VALUE_REFUSED => {
                            return Err(Refusal::Codes(vec![c]))
                        }
                        (Basis::Outage, decided) => decided.map_err(|c| Refusal::Codes(vec![c]))?,
                        (kept, _) => kept,
                    };
                    make(cur.number, cur.created_at, basis)
                })?
        };
        let decl = match outcome {
            Ok(d) => d,
            Err(Refusal::Codes(codes)) => return Ok(self.result(&req.header, &codes, "")),
            Err(Refusal::Store(e)) => return Err(e),
        };
        let reply = self.durable_reply(&req.header, decl.number)?;
        log::info!(
            "{} {} from {} accepted",
            spec.pre,
            decl.number,
            caller.user.code
        );
        Ok(reply)
    }

    /// [`temporary::check_draw`] for the continuation `own` (being lodged,
    /// replaced or amended), with the declaration it continues and that
    /// one's continuations read from the store. Called under the store's
    /// writer lock, so the balance cannot change before the write.
    fn check_draw(
        &self,
        spec: &Spec,
        fields: &Fields,
        user_code: &str,
        today: Day,
        original: DeclNumber,
        own: DeclNumber,
    ) -> Result<(), Refusal> {
        let orig = self.store.declaration(original).map_err(Refusal::Store)?;
        let lodged = self
            .store
            .continuations_of(original)
            .map_err(Refusal::Store)?;
        let errors =
            temporary::check_draw(spec, fields, user_code, today, orig.as_ref(), &lodged, own);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Refusal::Codes(errors))
        }
    }

    /// The success reply, sent only once everything written so far is on
    /// disk: the appliance's promise that nothing acknowledged is lost.
    fn durable_reply(
        &self,
        req: &Header,
        number: impl std::fmt::Display,
    ) -> Result<Reply, StoreError> {
        self.store.durable()?;
        Ok(self.result(req, &[], &number.to_string()))
    }

    /// An output about `number` for the terminal queue of `terminal`, whose
    /// declarant `user_code` owns what it is about, as a write hands it to
    /// the store.
    pub(crate) fn output_to(
        &self,
        user_code: &str,
        terminal: &str,
        out_code: &str,
        job: &str,
        number: impl std::fmt::Display,
        body: String,
    ) -> (String, Output) {
        let out = Output {
            out_code: out_code.into(),
            job: job.into(),
            user_code: user_code.into(),
            subject: number.to_string(),
            body,
            created_at: self.now().unix_timestamp(),
        };
        (terminal.into(), out)
    }

    /// [`Service::output_to`] the caller, who owns what it is about: every
    /// job that queues one has checked that.
    fn output(
        &self,
        caller: &Caller,
        out_code: &str,
        job: &str,
        number: impl std::fmt::Display,
        body: String,
    ) -> (String, Output) {
        self.output_to(
            &caller.user.code,
            &caller.terminal,
            out_code,
            job,
            number,
            body,
        )
    }

    /// The caller's own declaration of `spec`'s family named `number`, or
    /// the code to answer. Another declarant's number is reported as
    /// unknown: no existence leak.
    fn own(
        &self,
        spec: &Spec,
        number: &str,
        caller: &Caller,
        unknown: &str,
    ) -> Result<Result<Declaration, ResultCode>, StoreError> {
        let not_found = || ResultCode::new(unknown, spec.number, 0);
        let Some(n) = spec.parse_number(number) else {
            return Ok(Err(not_found()));
        };
        Ok(match self.store.declaration(n)? {
            Some(d) if d.user_code == caller.user.code => Ok(d),
            _ => Err(not_found()),
        })
    }

    /// IDB / EDB: the pre-registration back, as an M message in its layout.
    fn call_up(
        &self,
        spec: &'static Spec,
        req: &Message,
        caller: &Caller,
    ) -> Result<Reply, StoreError> {
        let fields = match self.fields_or_reply(req, spec.call) {
            Ok(f) => f,
            Err(reply) => return Ok(reply),
        };
        let number = fields.get(spec.number);
        let bl = fields.get("BLN");
        let decl = if !number.is_empty() {
            self.own(spec, number, caller, "S0006")?
        } else if !bl.is_empty() {
            self.find_by_bl(spec, bl, caller)?
                .ok_or_else(|| ResultCode::new("E3000", "BLN", 0))
        } else if !fields.get("IVU").is_empty() {
            // Electronic invoice lists are not kept on the backup system.
            Err(ResultCode::new("E1200", "IVU", 0))
        } else {
            Err(ResultCode::new("R0001", spec.number, 0))
        };
        let decl = match decl {
            Ok(d) if d.status == Status::Registered => {
                Err(ResultCode::new("E0103", spec.number, 0))
            }
            other => other,
        };
        match decl {
            Err(code) => Ok(self.result(&req.header, &[code], "")),
            Ok(d) => Ok(self.data_reply(
                &req.header,
                spec.call,
                "",
                &d.number.to_string(),
                &outputs::registered_copy(spec, &d),
            )),
        }
    }

    /// An M message: the result on line 1, then data in an output layout
    /// (`out_code` names it when the job does not imply it).
    fn data_reply(
        &self,
        req: &Header,
        job: &str,
        out_code: &str,
        info: &str,
        data: &Fields,
    ) -> Reply {
        self.data_reply_with(req, job, &ResultCode::OK, out_code, info, data)
    }

    /// An M message whose result is `code` (a warning such as W1001).
    fn data_reply_with(
        &self,
        req: &Header,
        job: &str,
        code: &ResultCode,
        out_code: &str,
        info: &str,
        data: &Fields,
    ) -> Reply {
        let mut h = self.reply_header(req, "M");
        h.set(HField::OutCode, out_code);
        h.set(HField::Subject, &self.subject(code, info));
        let body = format!("{code}\r\n{}", data.render());
        Reply {
            bytes: Message::new(h, body).render(),
            job: job.into(),
            result: code.code().to_string(),
        }
    }

    /// The caller's latest declaration of the family carrying this B/L number.
    fn find_by_bl(
        &self,
        spec: &Spec,
        bl: &str,
        caller: &Caller,
    ) -> Result<Option<Declaration>, StoreError> {
        for n in self
            .store
            .declarations_of(&caller.user.code)?
            .into_iter()
            .rev()
            .filter(|n| n.family == spec.family)
        {
            if let Some(d) = self.store.declaration(n)? {
                let f = spec.fields(&d);
                if ["BL1", "BL2", "BL3", "BL4", "BL5"]
                    .iter()
                    .any(|id| f.get(id) == bl)
                {
                    return Ok(Some(d));
                }
            }
        }
        Ok(None)
    }

    /// IDC / EDC: register, assign the channel, queue the channel notice.
    fn register(
        &self,
        spec: &'static Spec,
        req: &Message,
        caller: &Caller,
    ) -> Result<Reply, StoreError> {
        let fields = match self.fields_or_reply(req, spec.reg) {
            Ok(f) => f,
            Err(reply) => return Ok(reply),
        };
        let Some(n) = spec.parse_number(fields.get(spec.number)) else {
            let code = ResultCode::new("S0005", spec.number, 0);
            return Ok(self.result(&req.header, &[code], ""));
        };
        let now = self.now().unix_timestamp();
        let stamp = self.stamp();
        let mode = self.store.mode()?.mode;
        let changed =
            self.store
                .update_declaration(n, &self.actor(caller), &action(req), |cur| {
                    declaration::check_register(spec, cur.as_ref(), &caller.user.code)?;
                    let mut d = cur.expect("checked above");
                    // Pre-registered during the outage, registered after it ended:
                    // it goes to VNACCS unless a direction or continuation covers it.
                    if mode == Mode::Standby && d.basis == Basis::Outage {
                        return Err(ResultCode::sys(eligibility::USE_VNACCS));
                    }
                    let tables = self.tables();
                    let (channel, rule) =
                        declaration::channel(spec, &tables.rules, &spec.fields(&d));
                    d.status = Status::Registered;
                    d.channel = Some(channel);
                    d.channel_rule = rule.map(str::to_string);
                    d.registered_at = Some(now);
                    let notice = outputs::channel_notice(spec, &d, &stamp, None);
                    let out =
                        self.output(caller, spec.notice_out, spec.reg, d.number, notice.render());
                    Ok((d, vec![out]))
                })?;
        let decl = match changed {
            Ok(d) => d,
            Err(code) => return Ok(self.result(&req.header, &[code], "")),
        };
        let reply = self.durable_reply(&req.header, decl.number)?;
        log::info!(
            "{} {} from {} registered, channel {}",
            spec.reg,
            decl.number,
            caller.user.code,
            decl.channel.map_or(0, |c| c.number())
        );
        Ok(reply)
    }

    /// IID / IEX: reference information of one of the caller's declarations,
    /// at any stage.
    fn inquiry(
        &self,
        spec: &'static Spec,
        req: &Message,
        caller: &Caller,
    ) -> Result<Reply, StoreError> {
        let fields = match self.fields_or_reply(req, spec.inquiry) {
            Ok(f) => f,
            Err(reply) => return Ok(reply),
        };
        let d = match self.own(spec, fields.get(spec.number), caller, "S0003")? {
            Ok(d) => d,
            Err(code) => return Ok(self.result(&req.header, &[code], "")),
        };
        let registered = d.registered_at.map(|t| self.stamp_of(t));
        let data = outputs::reference(spec, &d, registered.as_ref());
        Ok(self.data_reply(
            &req.header,
            spec.inquiry,
            spec.reference_out,
            &d.number.to_string(),
            &data,
        ))
    }

    /// ROT: sends one of the outputs about a declaration or transport again,
    /// as it was last queued: the journal holds every output with the record
    /// it was written with. The ITF reference (VAS518), which ITF queues
    /// without changing the transport, is answered afresh.
    fn re_output(&self, req: &Message, caller: &Caller) -> Result<Reply, StoreError> {
        let fields = match self.fields_or_reply(req, "ROT") {
            Ok(f) => f,
            Err(reply) => return Ok(reply),
        };
        let refuse = |code: &str, field: &str| {
            Ok(self.result(&req.header, &[ResultCode::new(code, field, 0)], ""))
        };
        let ocd = fields.get("OCD");
        let Some(about) = outputs::about(ocd) else {
            // A VNACCS output this appliance never issues, or no output at all.
            let known = wire::output_layout(ocd).is_some() || ocd.starts_with("VA");
            return refuse(if known { "E0005" } else { "E0002" }, "OCD");
        };
        let record = match about {
            About::Declaration => {
                let n = DeclNumber::parse(fields.get("CM1"));
                match n.map(|n| self.store.declaration(n)).transpose()?.flatten() {
                    Some(d) if d.user_code == caller.user.code => Change::Declaration(d),
                    _ => return refuse("E0007", ""),
                }
            }
            About::Transport => match self.own_transport(&fields, "CM1", caller, "E0007")? {
                Ok(t) => Change::Transport(t),
                Err(_) => return refuse("E0007", ""),
            },
        };
        let out = match &record {
            Change::Transport(t) if "VAS5180".starts_with(ocd) => {
                let cancelled = t.cancelled_at.map(|at| self.stamp_of(at));
                let body = outputs::transport_reference(t, cancelled.as_ref()).render();
                self.output(caller, "VAS5180", "ROT", t.number, body)
            }
            _ => {
                let last = self
                    .store
                    .history(&record.key())?
                    .into_iter()
                    .rev()
                    .find_map(|e| {
                        e.changes.into_iter().rev().find_map(|c| match c {
                            Change::Output { output, .. }
                                if output.out_code.starts_with(ocd)
                                    && output.user_code == caller.user.code =>
                            {
                                Some(output)
                            }
                            _ => None,
                        })
                    });
                let Some(last) = last else {
                    return refuse("E0007", "");
                };
                let sent = Output {
                    job: "ROT".into(),
                    created_at: self.now().unix_timestamp(),
                    ..last
                };
                (caller.terminal.clone(), sent)
            }
        };
        let subject = out.1.subject.clone();
        self.store
            .queue_outputs(&self.actor(caller), &action(req), &[out])?;
        Ok(self.result(&req.header, &[], &subject))
    }

    /// ITI: one temporary declaration's balances (by number, VAL816), or the
    /// caller's temporary declarations matching a search (VAL815).
    fn temporary_inquiry(&self, req: &Message, caller: &Caller) -> Result<Reply, StoreError> {
        let fields = match self.fields_or_reply(req, "ITI") {
            Ok(f) => f,
            Err(reply) => return Ok(reply),
        };
        let refuse = |code: &str, field: &str| {
            Ok(self.result(&req.header, &[ResultCode::new(code, field, 0)], ""))
        };
        let today = crate::clock::day(self.now().unix_timestamp(), self.offset);
        let (number, direction) = (fields.get("ICN"), fields.get("IEI"));
        match (number.is_empty(), direction.is_empty()) {
            (true, true) => return refuse("R0002", "ICN"),
            (false, false) => return refuse("R0005", "ICN"),
            _ => {}
        }
        if !number.is_empty() {
            let d = match self.temporary_of(number, caller)? {
                Ok(d) => d,
                Err(e) => return refuse(e.code("E0025", "E0025"), "ICN"),
            };
            let balances = temporary::balances(&d, &self.store.continuations_of(d.number)?);
            let registered = d.registered_at.map(|t| self.stamp_of(t));
            let data = outputs::temporary_detail(&d, &balances, registered.as_ref(), today);
            return Ok(self.data_reply(&req.header, "ITI", "VAL8160", number, &data));
        }
        let family = match direction {
            "I" => Family::Import,
            "E" => Family::Export,
            _ => return refuse("S0008", "IEI"),
        };
        let trader = fields.get("UCD");
        if !trader.is_empty() && !caller.user.tax_codes.iter().any(|t| t == trader) {
            return refuse("U0003", "UCD");
        }
        let (office, by) = (fields.get("CH"), fields.get("TED"));
        let by_day = match by {
            "" => None,
            s => match wire::parse_date(s) {
                Some(d) => Some(d),
                None => return refuse("S0005", "TED"),
            },
        };
        let mut found = Vec::new();
        for n in self.store.declarations_of(&caller.user.code)? {
            let Some(d) = self
                .store
                .declaration(n)?
                .filter(|d| d.number.family == family)
            else {
                continue;
            };
            let Some(spec) = temporary::temporary_spec(&d) else {
                continue;
            };
            let f = spec.fields(&d);
            let matches = d.status == Status::Registered
                && (office.is_empty() || f.get("CH") == office)
                && (trader.is_empty() || f.get(spec.trader) == trader)
                && by_day.is_none_or(|by| temporary::deadline(&d).is_some_and(|dl| dl <= by));
            if matches {
                found.push(d);
            }
        }
        if found.is_empty() {
            return refuse("L0001", "");
        }
        let search = outputs::TemporarySearch {
            direction,
            office,
            deadline_by: by,
            trader,
        };
        let data = outputs::temporary_list(&search, &found, today);
        // More than one list holds: a warning says so, the first 100 follow.
        let code = if found.len() > 100 {
            ResultCode::new("W1001", "", 0)
        } else {
            ResultCode::OK
        };
        Ok(self.data_reply_with(&req.header, "ITI", &code, "VAL8150", "", &data))
    }

    /// The caller's registered temporary declaration with this number.
    fn temporary_of(
        &self,
        number: &str,
        caller: &Caller,
    ) -> Result<Result<Declaration, NotManaged>, StoreError> {
        let found = match DeclNumber::parse(number) {
            Some(n) => self.store.declaration(n)?,
            None => None,
        };
        Ok(temporary::managed(found, &caller.user.code))
    }

    /// TIB: a temporary declaration's management information, called up in
    /// the TIA form: deadline, and per line the original, re-exported or
    /// re-imported quantities.
    fn management_call_up(&self, req: &Message, caller: &Caller) -> Result<Reply, StoreError> {
        let fields = match self.fields_or_reply(req, "TIB") {
            Ok(f) => f,
            Err(reply) => return Ok(reply),
        };
        let d = match self.temporary_of(fields.get("ECN"), caller)? {
            Ok(d) => d,
            Err(e) => {
                let code = ResultCode::new(e.code("E0002", "E0002"), "ECN", 0);
                return Ok(self.result(&req.header, &[code], ""));
            }
        };
        let today = crate::clock::day(self.now().unix_timestamp(), self.offset);
        let balances = temporary::balances(&d, &self.store.continuations_of(d.number)?);
        let registered = d.registered_at.map(|t| self.stamp_of(t));
        let form = outputs::management(&tables::TIA, &d, &balances, registered.as_ref(), today);
        Ok(self.data_reply(&req.header, "TIB", "", &d.number.to_string(), &form))
    }

    /// TIA: corrects a temporary declaration's management information (a
    /// new deadline, quantities that left its balance elsewhere) and queues
    /// the copy VAL811. Balances and continuations read it from then on.
    fn management_correction(&self, req: &Message, caller: &Caller) -> Result<Reply, StoreError> {
        let fields = match self.fields_or_reply(req, "TIA") {
            Ok(f) => f,
            Err(reply) => return Ok(reply),
        };
        let Some(n) = DeclNumber::parse(fields.get("ECN")) else {
            return Ok(self.result(&req.header, &[ResultCode::new("E0007", "ECN", 0)], ""));
        };
        let now = self.now().unix_timestamp();
        let today = crate::clock::day(now, self.offset);
        // Under the writer lock: the continuations it reads cannot change
        // before the management information is written.
        let changed =
            self.store
                .update_declaration(n, &self.actor(caller), &action(req), |cur| {
                    let mut d = temporary::managed(cur, &caller.user.code).map_err(|e| {
                        Refusal::Codes(vec![ResultCode::new(e.code("E0007", "E0008"), "ECN", 0)])
                    })?;
                    let continuations = self
                        .store
                        .continuations_of(d.number)
                        .map_err(Refusal::Store)?;
                    let spec = Spec::of(d.number.family);
                    let trader = spec.fields(&d).get(spec.trader).to_string();
                    let management = temporary::check_management(
                        &temporary::balances(&d, &continuations),
                        &d.user_code,
                        &trader,
                        &fields,
                        today,
                        now,
                    )
                    .map_err(Refusal::Codes)?;
                    d.management = Some(management);
                    let registered = d.registered_at.map(|t| self.stamp_of(t));
                    let balances = temporary::balances(&d, &continuations);
                    let copy = outputs::management(
                        &tables::VAL811,
                        &d,
                        &balances,
                        registered.as_ref(),
                        today,
                    );
                    let out = self.output(caller, MANAGEMENT_COPY, "TIA", d.number, copy.render());
                    Ok((d, vec![out]))
                })?;
        match changed {
            Ok(d) => self.durable_reply(&req.header, d.number),
            Err(Refusal::Codes(codes)) => Ok(self.result(&req.header, &codes, "")),
            Err(Refusal::Store(e)) => Err(e),
        }
    }

    // ---- bonded transport ----------------------------------------------------

    /// The caller's transport named in `field`, or `unknown` for it.
    fn own_transport(
        &self,
        fields: &Fields,
        field: &str,
        caller: &Caller,
        unknown: &str,
    ) -> Result<Result<Transport, ResultCode>, StoreError> {
        let not_found = || ResultCode::new(unknown, field, 0);
        let Some(n) = TransportNumber::parse(fields.get(field)) else {
            return Ok(Err(not_found()));
        };
        Ok(match self.store.transport(n)? {
            Some(t) if t.user_code == caller.user.code => Ok(t),
            _ => Err(not_found()),
        })
    }

    /// OLA: a transport declaration gets its OLT number (or replaces the
    /// pre-registration it names); its registered copy VAS502 is queued.
    fn transport_pre_register(&self, req: &Message, caller: &Caller) -> Result<Reply, StoreError> {
        let fields = match self.fields_or_reply(req, "OLA") {
            Ok(f) => f,
            Err(reply) => return Ok(reply),
        };
        let errors = transport::check_values("OLA", &fields);
        if !errors.is_empty() {
            return Ok(self.result(&req.header, &errors, ""));
        }
        let basis = match self.eligibility("OLA", &fields, "IEI", "TRC", caller)? {
            Ok(b) => b,
            Err(code) => return Ok(self.result(&req.header, &[code], "")),
        };
        let now = self.now().unix_timestamp();
        let make = |number: TransportNumber, created_at: i64| {
            let t = Transport::pre_registered(
                number,
                basis,
                &caller.user.code,
                &caller.terminal,
                fields.values().to_vec(),
                created_at,
            );
            let mut copy = t.fields();
            copy.set("OLT", &number.to_string());
            let out = self.output(caller, "VAS5020", "OLA", t.number, copy.render());
            (t, vec![out])
        };
        let outcome = match fields.get("OLT") {
            "" => self
                .store
                .create_transport(&self.actor(caller), &action(req), |n| {
                    Ok::<_, ResultCode>(make(n, now))
                })?,
            given => {
                let Some(n) = TransportNumber::parse(given) else {
                    return Ok(self.result(&req.header, &[ResultCode::new("E0007", "OLT", 0)], ""));
                };
                self.store
                    .update_transport(n, &self.actor(caller), &action(req), |cur| {
                        transport::check_replace(cur.as_ref(), &caller.user.code)?;
                        Ok(make(n, cur.expect("checked above").created_at))
                    })?
            }
        };
        match outcome {
            Err(code) => Ok(self.result(&req.header, &[code], "")),
            Ok(t) => self.durable_reply(&req.header, t.number),
        }
    }

    /// OLB, COT11 and BIA11: a transport called up in the form of the job
    /// that follows (OLA, COT, BIA), while its state allows that job.
    fn transport_call_up(&self, req: &Message, caller: &Caller) -> Result<Reply, StoreError> {
        let job = req.job_code();
        let job: &'static str = ["OLB", "COT11", "BIA11"]
            .into_iter()
            .find(|j| *j == job)
            .expect("routed here");
        let fields = match self.fields_or_reply(req, job) {
            Ok(f) => f,
            Err(reply) => return Ok(reply),
        };
        if fields.get("OLT").is_empty() {
            // Only OLB may leave it empty, to call up by cargo number, which
            // the backup system does not keep.
            return Ok(self.result(&req.header, &[ResultCode::new("R0003", "OLT", 0)], ""));
        }
        let found = match TransportNumber::parse(fields.get("OLT")) {
            Some(n) => self.store.transport(n)?,
            None => None,
        };
        let check = match job {
            "OLB" => transport::check_call,
            "COT11" => transport::check_correction_call,
            _ => transport::check_arrival_call,
        };
        if let Err(code) = check(found.as_ref(), &caller.user.code) {
            return Ok(self.result(&req.header, &[code], ""));
        }
        let t = found.expect("checked above");
        let data = match job {
            "OLB" => {
                let mut data = t.fields();
                data.set("OLT", &t.number.to_string());
                data
            }
            "COT11" => t.correction_form(),
            _ => {
                let departed = t.departed_at.map(|at| self.stamp_of(at));
                outputs::arrival_form(&t, departed.as_ref())
            }
        };
        Ok(self.data_reply(&req.header, job, "", &t.number.to_string(), &data))
    }

    /// COT: corrects (KND 5) or cancels (KND 1) a registered transport
    /// before its goods leave. The copy VAS515 (the COT form) is queued,
    /// for a cancellation the notice VAS514 (VAS508 once approved), and
    /// then the copy of the transport as corrected or cancelled (VAS513).
    fn transport_correction(&self, req: &Message, caller: &Caller) -> Result<Reply, StoreError> {
        let fields = match self.fields_or_reply(req, "COT") {
            Ok(f) => f,
            Err(reply) => return Ok(reply),
        };
        let Some(n) = TransportNumber::parse(fields.get("OLT")) else {
            return Ok(self.result(&req.header, &[ResultCode::new("S0005", "OLT", 0)], ""));
        };
        let now = self.now().unix_timestamp();
        let stamp = self.stamp();
        let changed = self.store.update_transport(
            n,
            &self.actor(caller),
            &action(req),
            |cur| -> Result<_, Vec<ResultCode>> {
                let asked =
                    transport::check_correction(fields.get("KND"), cur.as_ref(), &caller.user.code)
                        .map_err(|c| vec![c])?;
                let mut t = cur.expect("checked above");
                let number = t.number.to_string();
                let mut copy = fields.clone();
                copy.set("OLT", &number);
                let mut outs = vec![self.output(caller, "VAS5150", "COT", &number, copy.render())];
                match asked {
                    Correction::Correct => {
                        t.values = transport::apply_correction(&t.fields(), &fields)?
                            .values()
                            .to_vec();
                        t.corrections += 1;
                        t.correction = Some(fields.values().to_vec());
                        // VNACCS approves corrected data again (VAS506).
                        t.approved = None;
                    }
                    Correction::Cancel => {
                        t.status = TransportStatus::Cancelled;
                        t.cancelled_at = Some(now);
                        let notice = outputs::transport_cancellation(&t, &stamp);
                        let code = format!("{}0", notice.layout.code);
                        outs.push(self.output(caller, &code, "COT", &number, notice.render()));
                    }
                }
                let registered = self.stamp_of(t.registered_at.unwrap_or(t.created_at));
                let copy = outputs::transport_corrected_copy(&t, &registered);
                outs.push(self.output(caller, "VAS5130", "COT", &number, copy.render()));
                Ok((t, outs))
            },
        )?;
        match changed {
            Err(codes) => Ok(self.result(&req.header, &codes, "")),
            Ok(t) => {
                let reply = self.durable_reply(&req.header, t.number)?;
                log::info!(
                    "COT {} from {}: {:?}, {} corrections",
                    t.number,
                    caller.user.code,
                    t.status,
                    t.corrections
                );
                Ok(reply)
            }
        }
    }

    /// OLC (register), BOA (departure or its withdrawal) and BIA (arrival):
    /// one state change each, with the output that confirms it.
    fn transport_step(&self, req: &Message, caller: &Caller) -> Result<Reply, StoreError> {
        let job = req.job_code();
        let job: &'static str = ["OLC", "BOA", "BIA"]
            .into_iter()
            .find(|j| *j == job)
            .expect("routed here");
        let fields = match self.fields_or_reply(req, job) {
            Ok(f) => f,
            Err(reply) => return Ok(reply),
        };
        let number_field = if job == "BOA" { "CGO" } else { "OLT" };
        let Some(n) = TransportNumber::parse(fields.get(number_field)) else {
            let code = ResultCode::new("E0002", number_field, 0);
            return Ok(self.result(&req.header, &[code], ""));
        };
        let now = self.now().unix_timestamp();
        let mode = self.store.mode()?.mode;
        let changed = self
            .store
            .update_transport(n, &self.actor(caller), &action(req), |cur| {
                let t = match job {
                    "OLC" => {
                        transport::check_register(cur.as_ref(), &caller.user.code)?;
                        let mut t = cur.expect("checked above");
                        if mode == Mode::Standby && t.basis == Basis::Outage {
                            return Err(ResultCode::sys(eligibility::USE_VNACCS));
                        }
                        t.status = TransportStatus::Registered;
                        t.registered_at = Some(now);
                        t
                    }
                    "BOA" => {
                        let status = transport::check_departure(
                            fields.get("KND"),
                            cur.as_ref(),
                            &caller.user.code,
                        )?;
                        let mut t = cur.expect("checked above");
                        t.status = status;
                        t.departed_at = (status == TransportStatus::Departed).then_some(now);
                        t
                    }
                    _ => {
                        transport::check_arrival(cur.as_ref(), &caller.user.code)?;
                        let mut t = cur.expect("checked above");
                        t.status = TransportStatus::Arrived;
                        t.arrived_at = Some(now);
                        t
                    }
                };
                let outputs = match job {
                    "OLC" => {
                        let mut number = Fields::new(&tables::VAS501);
                        number.set("OLT", &t.number.to_string());
                        number.set("SCG", fields.get("SCG"));
                        let copy =
                            outputs::transport_copy(&t, &self.stamp_of(now), fields.get("SCG"));
                        vec![
                            self.output(caller, "VAS5010", job, t.number, number.render()),
                            self.output(caller, "VAS5030", job, t.number, copy.render()),
                        ]
                    }
                    "BIA" => {
                        let mut confirm = Fields::new(&tables::VAS516);
                        outputs::fill_by_name(&t.fields(), &mut confirm);
                        outputs::fill_by_name(&fields, &mut confirm);
                        confirm.set("OLT", &t.number.to_string());
                        vec![self.output(caller, "VAS5160", job, t.number, confirm.render())]
                    }
                    _ => Vec::new(),
                };
                Ok((t, outputs))
            })?;
        match changed {
            Err(code) => Ok(self.result(&req.header, &[code], "")),
            Ok(t) => {
                let reply = self.durable_reply(&req.header, t.number)?;
                log::info!(
                    "{job} {} from {}: {:?}",
                    t.number,
                    caller.user.code,
                    t.status
                );
                Ok(reply)
            }
        }
    }

    /// ITF: reference information (VAS518) of one of the caller's transports
    /// by number, or of those a search finds: the first in the answer, the
    /// others (up to 100 in all) queued for the caller's terminal, with
    /// W1001 saying there are more.
    fn transport_inquiry(&self, req: &Message, caller: &Caller) -> Result<Reply, StoreError> {
        let fields = match self.fields_or_reply(req, "ITF") {
            Ok(f) => f,
            Err(reply) => return Ok(reply),
        };
        let yesterday = crate::clock::day(self.now().unix_timestamp() - 86_400, self.offset);
        let found = match transport::inquiry(&fields, yesterday) {
            Err(code) => return Ok(self.result(&req.header, &[code], "")),
            Ok(Inquiry::Number) => match self.own_transport(&fields, "OLT", caller, "E0002")? {
                Ok(t) => vec![t],
                Err(code) => return Ok(self.result(&req.header, &[code], "")),
            },
            Ok(Inquiry::Search { finish_by, office }) => self
                .store
                .transports()?
                .into_iter()
                .filter(|t| t.user_code == caller.user.code && t.found_by(finish_by, &office))
                .take(ITF_MAX_FOUND)
                .collect(),
        };
        let reference = |t: &Transport| {
            let cancelled = t.cancelled_at.map(|at| self.stamp_of(at));
            outputs::transport_reference(t, cancelled.as_ref())
        };
        let Some((first, rest)) = found.split_first() else {
            return Ok(self.result(&req.header, &[ResultCode::new("E0005", "", 0)], ""));
        };
        let code = if rest.is_empty() {
            ResultCode::OK
        } else {
            let queued: Vec<(String, Output)> = rest
                .iter()
                .map(|t| self.output(caller, "VAS5180", "ITF", t.number, reference(t).render()))
                .collect();
            self.store
                .queue_outputs(&self.actor(caller), &action(req), &queued)?;
            ResultCode::new("W1001", "", 0)
        };
        let number = first.number.to_string();
        Ok(self.data_reply_with(
            &req.header,
            "ITF",
            &code,
            "VAS5180",
            &number,
            &reference(first),
        ))
    }

    /// TCC: the communication check. The answer is VAQ001 inline, echoing
    /// both input fields, so a terminal can prove the whole path works.
    fn channel_check(&self, req: &Message) -> Reply {
        let fields = match self.fields_or_reply(req, "TCC") {
            Ok(f) => f,
            Err(reply) => return reply,
        };
        let mut out = Fields::new(&tables::VAQ001);
        for (to, from) in [
            ("O01", "I01"),
            ("O02", "I02"),
            ("I01", "I01"),
            ("I02", "I02"),
            ("PRT", "PRT"),
        ] {
            out.set(to, fields.get(from));
        }
        self.data_reply(&req.header, "TCC", "VAQ0010", "", &out)
    }

    // ---- amendments ---------------------------------------------------------

    /// A declaration number from a job body, or the answer naming the
    /// job's "unknown" code.
    fn number_in(
        &self,
        spec: &Spec,
        fields: &Fields,
        unknown: &str,
        req: &Message,
    ) -> Result<DeclNumber, Reply> {
        spec.parse_number(fields.get(spec.number)).ok_or_else(|| {
            let code = ResultCode::new(unknown, spec.number, 0);
            self.result(&req.header, &[code], "")
        })
    }

    /// IDD / EDD: a registered declaration, in the amendment layout.
    fn amend_call_up(
        &self,
        spec: &'static Spec,
        req: &Message,
        caller: &Caller,
    ) -> Result<Reply, StoreError> {
        let fields = match self.fields_or_reply(req, spec.amend_call) {
            Ok(f) => f,
            Err(reply) => return Ok(reply),
        };
        let d = match self.number_in(spec, &fields, "S0003", req) {
            Ok(n) => self.store.declaration(n)?,
            Err(reply) => return Ok(reply),
        };
        if let Err(code) = declaration::check_amend_call(spec, d.as_ref(), &caller.user.code) {
            return Ok(self.result(&req.header, &[code], ""));
        }
        let d = d.expect("checked above");
        let mut data = Fields::from_values(spec.amend_layout, d.values.clone());
        data.set(spec.number, &d.number.to_string());
        Ok(self.data_reply(
            &req.header,
            spec.amend_call,
            "",
            &d.number.to_string(),
            &data,
        ))
    }

    /// IDA01 / EDA01: amended data, held until IDE / EDE registers it.
    fn amend(
        &self,
        spec: &'static Spec,
        req: &Message,
        caller: &Caller,
    ) -> Result<Reply, StoreError> {
        let (fields, today) = match self.declaration_fields(spec, spec.amend, req, caller) {
            Ok(v) => v,
            Err(reply) => return Ok(reply),
        };
        // An amendment cannot turn a declaration into the low-value goods
        // the backup system never takes (continuations aside, as at lodging).
        if self.is_low_value(&fields) && temporary::continues(spec, &fields).is_none() {
            let code = ResultCode::sys(eligibility::LOW_VALUE_REFUSED);
            return Ok(self.result(&req.header, &[code], "LOW-VALUE"));
        }
        let n = match self.number_in(spec, &fields, "E0223", req) {
            Ok(n) => n,
            Err(reply) => return Ok(reply),
        };
        let changed =
            self.store
                .update_declaration(n, &self.actor(caller), &action(req), |cur| {
                    declaration::check_amend(spec, cur.as_ref(), &caller.user.code)
                        .map_err(|c| Refusal::Codes(vec![c]))?;
                    let mut d = cur.expect("checked above");
                    // An amended continuation must still fit its temporary
                    // declaration's balance, net of its own earlier draw.
                    let link = temporary::amended_link(spec, d.continues, &fields)
                        .map_err(|c| Refusal::Codes(vec![c]))?;
                    if let Some(orig) = link {
                        self.check_draw(spec, &fields, &d.user_code, today, orig, d.number)?;
                    }
                    d.pending_amendment = Some(fields.values().to_vec());
                    let mut copy = Fields::from_values(spec.amend_layout, fields.values().to_vec());
                    copy.set(spec.number, &d.number.to_string());
                    let out = self.output(
                        caller,
                        spec.amend_copy_out,
                        spec.amend,
                        d.number,
                        copy.render(),
                    );
                    Ok((d, vec![out]))
                })?;
        match changed {
            Err(Refusal::Codes(codes)) => Ok(self.result(&req.header, &codes, "")),
            Err(Refusal::Store(e)) => Err(e),
            Ok(d) => self.durable_reply(&req.header, d.number),
        }
    }

    /// IDE / EDE: the amendment takes effect: the amendment digit goes up,
    /// the channel is decided again and a new notice is queued.
    fn amend_register(
        &self,
        spec: &'static Spec,
        req: &Message,
        caller: &Caller,
    ) -> Result<Reply, StoreError> {
        let fields = match self.fields_or_reply(req, spec.amend_reg) {
            Ok(f) => f,
            Err(reply) => return Ok(reply),
        };
        let n = match self.number_in(spec, &fields, "S0005", req) {
            Ok(n) => n,
            Err(reply) => return Ok(reply),
        };
        let now = self.now().unix_timestamp();
        let today = crate::clock::day(now, self.offset);
        let stamp = self.stamp();
        let changed =
            self.store
                .update_declaration(n, &self.actor(caller), &action(req), |cur| {
                    declaration::check_amend_register(spec, cur.as_ref(), &caller.user.code)
                        .map_err(|c| Refusal::Codes(vec![c]))?;
                    let mut d = cur.expect("checked above");
                    let amended = d.pending_amendment.take().expect("checked above");
                    // Checked again when it takes effect: other continuations may
                    // have drawn on the same lines since the IDA01/EDA01.
                    let fields = Fields::from_values(spec.layout, amended.clone());
                    let link = temporary::amended_link(spec, d.continues, &fields)
                        .map_err(|c| Refusal::Codes(vec![c]))?;
                    if let Some(orig) = link {
                        self.check_draw(spec, &fields, &d.user_code, today, orig, d.number)?;
                    }
                    d.continues = link;
                    d.values = amended;
                    d.number = d.number.amended().expect("checked above");
                    d.amended_at = Some(now);
                    let tables = self.tables();
                    let (channel, rule) =
                        declaration::channel(spec, &tables.rules, &spec.fields(&d));
                    d.channel = Some(channel);
                    d.channel_rule = rule.map(str::to_string);
                    let registered = self.stamp_of(d.registered_at.unwrap_or(now));
                    let notice = outputs::channel_notice(spec, &d, &registered, Some(&stamp));
                    let out = self.output(
                        caller,
                        spec.notice_out,
                        spec.amend_reg,
                        d.number,
                        notice.render(),
                    );
                    Ok((d, vec![out]))
                })?;
        match changed {
            Err(Refusal::Codes(codes)) => Ok(self.result(&req.header, &codes, "")),
            Err(Refusal::Store(e)) => Err(e),
            Ok(d) => {
                let reply = self.durable_reply(&req.header, d.number)?;
                log::info!(
                    "{} {} from {} amended",
                    spec.amend_reg,
                    d.number,
                    caller.user.code
                );
                Ok(reply)
            }
        }
    }

    // ---- output retrieval --------------------------------------------------

    fn rep1(&self, req: &Message, caller: &Caller) -> Result<Reply, StoreError> {
        let lines = wire::body::split_lines(&req.body);
        let get = |i: usize| lines.get(i).map(|l| l.trim()).unwrap_or("");
        let (terminal, key, mode) = (get(0), get(1), get(2));
        if terminal.len() != 6 || !caller.user.terminals.iter().any(|t| t == terminal) {
            return Ok(self.result(&req.header, &[ResultCode::sys("A0019")], ""));
        }
        let Some(term) = self.store.terminal(terminal)? else {
            return Ok(self.result(&req.header, &[ResultCode::sys("A0019")], ""));
        };
        if key.is_empty()
            || key.len() > 16
            || !self
                .verifier
                .verify(Secret::AccessKey, terminal, key, &term.access_key_hash)
        {
            return Ok(self.result(&req.header, &[ResultCode::sys("A0018")], ""));
        }
        if req.header.get(HField::SendGuard) == "*" && mode == "0" {
            return Ok(Reply {
                bytes: LOGON_OK.to_vec(),
                job: "#REP1".into(),
                result: "LOGON".into(),
            });
        }
        self.deliver_next(&req.header, terminal)
    }

    fn ack(&self, req: &Message, caller: &Caller) -> Result<Reply, StoreError> {
        let Some((terminal, seq)) = self.open_rtp(req.header.get(HField::RtpInfo)) else {
            return Ok(self.result(&req.header, &[ResultCode::sys("A0017")], ""));
        };
        if !caller.user.terminals.contains(&terminal) {
            return Ok(self.result(&req.header, &[ResultCode::sys("A0019")], ""));
        }
        if req.job_code() == "?A3" {
            if let Some(out) = self.store.output(&terminal, seq)? {
                return Ok(self.deliver(&req.header, &terminal, seq, &out));
            }
        } else {
            self.store.ack_output(&terminal, seq)?;
        }
        if req.header.get(HField::SendGuard) == "*" {
            return Ok(self.result(&req.header, &[], "retrieval stopped"));
        }
        self.deliver_next(&req.header, &terminal)
    }

    fn deliver_next(&self, req: &Header, terminal: &str) -> Result<Reply, StoreError> {
        Ok(match self.store.next_output(terminal)? {
            Some((seq, out)) => self.deliver(req, terminal, seq, &out),
            None => self.result(req, &[], "no more outputs"),
        })
    }

    /// A C message inside the retrieval loop: Control ends in `P`, RtpInfo
    /// names the output for the `?A2`/`?A3` that follows.
    fn deliver(&self, req: &Header, terminal: &str, seq: u64, out: &Output) -> Reply {
        let mut h = self.reply_header(req, "C");
        h.set(HField::Control, "SSP");
        h.set(HField::JobCode, &out.job);
        h.set(HField::OutCode, &out.out_code);
        // The output's number, then the mode at delivery, as in R and M
        // answers.
        h.set(
            HField::Subject,
            &format!("{:<12} {}", out.subject, self.mode_tag()),
        );
        h.set(HField::RtpInfo, &self.seal_rtp(terminal, seq));
        Reply {
            bytes: Message::new(h, out.body.clone()).render(),
            job: req.job_code().to_string(),
            result: out.out_code.clone(),
        }
    }

    /// terminal (6) + output sequence (12 digits) + 12 hex of an HMAC = 30.
    fn seal_rtp(&self, terminal: &str, seq: u64) -> String {
        let plain = format!("{terminal:<6}{seq:012}");
        let tag = hmac::sign(&self.rtp_key, plain.as_bytes());
        let hex: String = tag.as_ref()[..6]
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        format!("{plain}{hex}")
    }

    fn open_rtp(&self, rtp: &str) -> Option<(String, u64)> {
        if rtp.len() != 30 || !rtp.is_ascii() {
            return None;
        }
        let (plain, _) = rtp.split_at(18);
        if self.seal_rtp(&plain[..6], plain[6..].parse().ok()?) != rtp {
            return None;
        }
        Some((plain[..6].trim_end().to_string(), plain[6..].parse().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::eligibility::Mode;
    use crate::smime::tests::signed_request;
    use crate::store::records::Terminal;
    use crate::store::Actor;

    const USER: &str = "ABC12001";
    const TERMINAL: &str = "T12345";

    fn actor() -> Actor {
        Actor {
            name: "test".into(),
            at: 0,
        }
    }

    /// An appliance with one declarant whose terminal signs with `signing`.
    fn service(
        accept_unsigned: bool,
        signing: Option<smime::Registration>,
    ) -> (tempfile::TempDir, Service) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        (dir, provisioned(store, accept_unsigned, signing))
    }

    /// `store` with a site, the active mode and one declarant, as a service.
    fn provisioned(
        store: Store,
        accept_unsigned: bool,
        signing: Option<smime::Registration>,
    ) -> Service {
        crate::store::tests::site_17(&store);
        store.set_mode(Mode::Active, "test", &actor()).unwrap();
        let user = User {
            code: USER.into(),
            password_hash: crate::auth::hash_secret("PW"),
            terminals: vec![TERMINAL.into()],
            tax_codes: vec!["0101234567".into()],
            disabled: false,
            created_at: 0,
        };
        let terminal = Terminal {
            id: TERMINAL.into(),
            access_key_hash: crate::auth::hash_secret("K"),
            signing,
        };
        store.put_user(&user, &terminal, &actor()).unwrap();
        Service::new(store, UtcOffset::UTC, accept_unsigned).unwrap()
    }

    fn message(job: &str, body: &str) -> String {
        let mut h = Header::default();
        h.set(HField::Control, "SS");
        h.set(HField::JobCode, job);
        h.set(HField::UserId, USER);
        h.set(HField::Password, "PW");
        h.set(HField::Path, TERMINAL);
        String::from_utf8(Message::new(h, body.to_string()).render()).unwrap()
    }

    fn ida() -> String {
        message("IDA", &ida_fields().render())
    }

    fn ida_fields() -> Fields {
        let mut f = Fields::new(&tables::IDA);
        for (k, v) in [
            ("ICB", "A11"),
            ("MTC", "2"),
            ("SKB", "4"),
            ("IMC", "0101234567"),
            ("NO", "1"),
            ("NOT", "PK"),
            ("ARR", "15012024"),
            ("PSC", "JPTYO"),
        ] {
            f.set(k, v);
        }
        for (k, v) in [
            ("CMD", "84713020"),
            ("CMN", "Máy tính"),
            ("OR", "CN"),
            ("QN1", "1"),
            ("QT1", "PCE"),
        ] {
            f.set_rep(k, 1, v);
        }
        f
    }

    fn codes(r: &Reply) -> Vec<String> {
        let m = Message::parse(&r.bytes).unwrap();
        ResultCode::parse_line(m.body.split("\r\n").next().unwrap())
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn stored(svc: &Service, r: &Reply) -> Declaration {
        let m = Message::parse(&r.bytes).unwrap();
        let n = m
            .header
            .get(HField::Subject)
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_string();
        svc.store
            .declaration(DeclNumber::parse(&n).unwrap())
            .unwrap()
            .unwrap()
    }

    #[test]
    fn a_stuck_flush_is_answered_a0061_and_reads_go_on() {
        use std::sync::atomic::Ordering::SeqCst;
        let dir = tempfile::tempdir().unwrap();
        let (store, held) = crate::store::tests::open_held(dir.path());
        let svc = std::sync::Arc::new(provisioned(store, true, None));
        let ida = ida();
        let first = svc.handle(Body::Plain(ida.as_bytes()));
        assert_eq!(codes(&first), ["00000-0000-0000"]);
        let number = stored(&svc, &first).number.to_string();
        svc.store
            .set_flush_timeout(std::time::Duration::from_millis(100));
        held.shut.store(true, SeqCst);

        // The writer whose flush hangs is answered after the timeout.
        let s = svc.clone();
        let msg = ida.clone();
        let waiting = std::thread::spawn(move || s.handle(Body::Plain(msg.as_bytes())));
        held.started.recv().unwrap();
        assert_eq!(codes(&waiting.join().unwrap()), ["A0061-0000-0000"]);
        assert_eq!(svc.gauges().flush_timeouts, 1);

        // New writes are refused before anything is written; reads go on.
        let count = svc.store.declaration_count();
        let r = svc.handle(Body::Plain(ida.as_bytes()));
        assert_eq!(
            (codes(&r), r.job.as_str()),
            (vec!["A0061-0000-0000".into()], "IDA")
        );
        assert_eq!(svc.store.declaration_count(), count, "nothing written");
        let idb = message("IDB", &format!("{number}\r\n"));
        assert_eq!(
            codes(&svc.handle(Body::Plain(idb.as_bytes()))),
            ["00000-0000-0000"]
        );
        let r = svc.stalled_reply(Body::Plain(ida.as_bytes()));
        assert_eq!(
            (codes(&r), r.job.as_str()),
            (vec!["A0061-0000-0000".into()], "IDA")
        );

        // The flush returns: writes are taken again.
        held.release.send(Ok(())).unwrap();
        while svc.store.write_refusal().is_some() {
            std::thread::yield_now();
        }
        held.shut.store(false, SeqCst);
        // A real flush now, which a loaded machine may not finish in 100 ms.
        svc.store
            .set_flush_timeout(std::time::Duration::from_secs(60));
        let r = svc.handle(Body::Plain(ida.as_bytes()));
        assert_eq!(codes(&r), ["00000-0000-0000"]);
    }

    #[test]
    fn signed_jobs_are_verified_against_the_terminal_registration() {
        let msg = ida();
        let (ct, body, cert, ca) = signed_request(&msg);
        let (_, serial) = smime::certificate_identity(&cert).unwrap();
        let registered = smime::Registration {
            ca_der: ca.clone(),
            serial_hex: serial.clone(),
        };
        let signed = |svc: &Service, body: &[u8]| {
            svc.handle(Body::Signed {
                content_type: &ct,
                body,
            })
        };

        let (_d, svc) = service(true, Some(registered.clone()));
        let r = signed(&svc, &body);
        assert_eq!(codes(&r), ["00000-0000-0000"]);
        let by = stored(&svc, &r).signed_by.expect("recorded as signed");
        assert!(by.starts_with(&format!("{serial}@")), "{by}");
        // The same message unsigned: accepted, recorded as unsigned.
        let r = svc.handle(Body::Plain(msg.as_bytes()));
        assert_eq!(codes(&r), ["00000-0000-0000"]);
        assert_eq!(stored(&svc, &r).signed_by, None);
        // One flipped byte of the signed message.
        let mut tampered = body.clone();
        let at = tampered.windows(3).position(|w| w == b"A11").unwrap();
        tampered[at + 2] = b'2';
        assert_eq!(codes(&signed(&svc, &tampered)), ["A0034-0000-0000"]);
        // Not a multipart body at all.
        assert_eq!(codes(&signed(&svc, b"garbage")), ["A0034-0000-0000"]);

        // Terminals registered otherwise, or not at all.
        let (_d, svc) = service(
            true,
            Some(smime::Registration {
                ca_der: ca.clone(),
                serial_hex: "0102".into(),
            }),
        );
        assert_eq!(codes(&signed(&svc, &body)), ["A0036-0000-0000"]);
        let (_, _, _, other_ca) = signed_request(&msg);
        let (_d, svc) = service(
            true,
            Some(smime::Registration {
                ca_der: other_ca,
                serial_hex: serial.clone(),
            }),
        );
        assert_eq!(
            codes(&signed(&svc, &body)),
            ["A0034-0000-0000"],
            "a CA of the same name but another key"
        );
        let (_d, svc) = service(true, None);
        assert_eq!(codes(&signed(&svc, &body)), ["A0035-0000-0000"]);

        // Unsigned signed jobs refused when the configuration says so;
        // unsigned jobs (IDB) are not affected.
        let (_d, svc) = service(false, Some(registered));
        assert_eq!(
            codes(&svc.handle(Body::Plain(msg.as_bytes()))),
            ["E9990-0000-0000"]
        );
        assert_eq!(codes(&signed(&svc, &body)), ["00000-0000-0000"]);
        let r = svc.handle(Body::Plain(message("IDB", "\r\n").as_bytes()));
        assert_eq!(codes(&r), ["R0001-ICN -0000"]);
    }

    /// A pre-registration replaced with low-value post/express data is
    /// refused even when the direction it was taken under still holds.
    #[test]
    fn low_value_replacement_is_refused_whatever_the_basis() {
        let (_d, svc) = service(true, None);
        svc.store
            .set_mode(Mode::Standby, "VNACCS up", &actor())
            .unwrap();
        let travel = eligibility::Direction {
            id: 0,
            tax_code: "0101234567".into(),
            category: eligibility::Category::TravellerWorkItems,
            valid_from: (2000, 1, 1),
            valid_until: (2999, 12, 31),
            max_declarations: None,
            used: 0,
            revoked: false,
            reason: "test".into(),
        };
        svc.store.add_direction(&travel, &actor()).unwrap();
        let mut f = ida_fields();
        f.set("ICB", "G12");
        f.set("RED", "31122999");
        let r = svc.handle(Body::Plain(message("IDA", &f.render()).as_bytes()));
        assert_eq!(codes(&r), ["00000-0000-0000"]);
        let d = stored(&svc, &r);
        assert_eq!(d.basis, Basis::Direction(1));
        f.set("ICN", &d.number.to_string());
        f.set("CCC", "F");
        f.set("IP3", "VND");
        f.set("IP4", "900000");
        let r = svc.handle(Body::Plain(message("IDA", &f.render()).as_bytes()));
        assert_eq!(codes(&r), ["A0002-0000-0000"]);
        f.set("IP4", "9000000");
        let r = svc.handle(Body::Plain(message("IDA", &f.render()).as_bytes()));
        assert_eq!(codes(&r), ["00000-0000-0000"], "over the threshold");
    }
}
