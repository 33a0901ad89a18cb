//! The console's JSON API under `/api/`: routing, the role table, and the
//! handlers. Every endpoint but login needs an officer session; every
//! state-changing one also needs the session's CSRF header and a JSON body;
//! each checks the officer's roles, read afresh from the store on every
//! request so a change of roles or a disabled account takes effect at once.
//!
//! Blocking (Argon2, sled): the HTTP layer runs `handle` on tokio's
//! blocking pool.

use std::sync::OnceLock;

use cookie::{Cookie, SameSite};
use serde::Deserialize;
use serde_json::{json, Value};

use super::session::{self, Attempt, Session, Sessions, COOKIE};
use super::stats::Tally;
use super::transports;
use super::view::{self, Filter, Related};
use crate::admin::{self, OfficerChange};
use crate::audit::{Change, Entry};
use crate::rules::decision::Decision;
use crate::rules::declaration::Declaration;
use crate::rules::eligibility::{Category, Day, Mode};
use crate::rules::numbering::{DeclNumber, Family};
use crate::rules::temporary;
use crate::rules::transport::{Transport, TransportNumber};
use crate::service::{ApproveError, DecideError, Service};
use crate::store::records::{Officer, Role};
use crate::store::{Actor, Store, StoreError};

/// What the console can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Login,
    Logout,
    Me,
    ListDeclarations,
    ShowDeclaration,
    /// A decision, by the kind the body names.
    Decide(DecisionKind),
    ListTransports,
    ShowTransport,
    ApproveTransport,
    ListDirections,
    ManageDirections,
    ShowMode,
    SwitchMode,
    ListOfficers,
    ManageOfficers,
    ListDeclarants,
    ManageDeclarants,
    Sync,
    Statistics,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionKind {
    Channel,
    Checks,
    Release,
    Clearance,
    TaxNote,
}

impl DecisionKind {
    pub fn of(d: &Decision) -> DecisionKind {
        match d {
            Decision::Channel { .. } => DecisionKind::Channel,
            Decision::DocumentCheck { .. } | Decision::Inspection { .. } => DecisionKind::Checks,
            Decision::Release => DecisionKind::Release,
            Decision::Clearance => DecisionKind::Clearance,
            Decision::TaxNote { .. } => DecisionKind::TaxNote,
        }
    }
}

/// Who may use an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No session needed (login itself).
    Public,
    /// Any officer with a session.
    Officer,
    /// An officer holding one of these roles.
    Roles(&'static [Role]),
}

/// The role table.
pub fn access(e: Endpoint) -> Access {
    use Role::*;
    match e {
        Endpoint::Login => Access::Public,
        Endpoint::Logout
        | Endpoint::Me
        | Endpoint::ListDeclarations
        | Endpoint::ShowDeclaration
        | Endpoint::ListTransports
        | Endpoint::ShowTransport
        | Endpoint::ListDirections
        | Endpoint::ShowMode => Access::Officer,
        Endpoint::Decide(DecisionKind::Channel) => Access::Roles(&[Risk]),
        Endpoint::Decide(
            DecisionKind::Checks | DecisionKind::Release | DecisionKind::Clearance,
        )
        | Endpoint::ApproveTransport => Access::Roles(&[Supervision]),
        Endpoint::Decide(DecisionKind::TaxNote) => Access::Roles(&[Tax]),
        Endpoint::ManageDirections => Access::Roles(&[Supervision, Risk]),
        Endpoint::SwitchMode
        | Endpoint::ListOfficers
        | Endpoint::ManageOfficers
        | Endpoint::ListDeclarants
        | Endpoint::ManageDeclarants
        | Endpoint::Sync => Access::Roles(&[It]),
        Endpoint::Statistics => Access::Roles(&[Statistics]),
    }
}

pub fn allowed(e: Endpoint, roles: &[Role]) -> bool {
    match access(e) {
        Access::Public | Access::Officer => true,
        Access::Roles(need) => need.iter().any(|r| roles.contains(r)),
    }
}

/// A route: the endpoint (decisions are told apart by their body) and the
/// path parameter, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Login,
    Logout,
    Me,
    Declarations,
    Declaration(String),
    Decide(String),
    Transports,
    Transport(String),
    ApproveTransport(String),
    Directions,
    AddDirection,
    RevokeDirection(String),
    Mode,
    SwitchMode,
    Officers,
    SaveOfficer,
    Declarants,
    SaveDeclarant,
    /// Disable (true) or enable a declarant's VNACCS login.
    DeclarantDisabled(String, bool),
    /// Take a terminal from a declarant: (user code, terminal).
    RemoveTerminal(String, String),
    Sync,
    Statistics {
        csv: bool,
    },
}

fn route(method: &str, path: &str) -> Option<Route> {
    let rest = path.strip_prefix("/api/")?;
    let parts: Vec<&str> = rest.split('/').collect();
    let get = method == "GET";
    let post = method == "POST";
    Some(match parts.as_slice() {
        ["login"] if post => Route::Login,
        ["logout"] if post => Route::Logout,
        ["me"] if get => Route::Me,
        ["declarations"] if get => Route::Declarations,
        ["declarations", n] if get => Route::Declaration(n.to_string()),
        ["declarations", n, "decisions"] if post => Route::Decide(n.to_string()),
        ["transports"] if get => Route::Transports,
        ["transports", n] if get => Route::Transport(n.to_string()),
        ["transports", n, "approval"] if post => Route::ApproveTransport(n.to_string()),
        ["directions"] if get => Route::Directions,
        ["directions"] if post => Route::AddDirection,
        ["directions", id, "revoke"] if post => Route::RevokeDirection(id.to_string()),
        ["mode"] if get => Route::Mode,
        ["mode"] if post => Route::SwitchMode,
        ["officers"] if get => Route::Officers,
        ["officers"] if post => Route::SaveOfficer,
        ["declarants"] if get => Route::Declarants,
        ["declarants"] if post => Route::SaveDeclarant,
        ["declarants", code, "disable"] if post => Route::DeclarantDisabled(code.to_string(), true),
        ["declarants", code, "enable"] if post => Route::DeclarantDisabled(code.to_string(), false),
        ["declarants", code, "terminals", terminal, "remove"] if post => {
            Route::RemoveTerminal(code.to_string(), terminal.to_string())
        }
        ["sync"] if get => Route::Sync,
        ["statistics"] if get => Route::Statistics { csv: false },
        ["statistics.csv"] if get => Route::Statistics { csv: true },
        _ => return None,
    })
}

/// Whether `path` belongs to the console's API (others under `/api/` are
/// the public status and code pages).
pub fn handles(path: &str) -> bool {
    ["GET", "POST"].iter().any(|m| route(m, path).is_some())
}

/// A request as the HTTP layer hands it over.
pub struct ApiRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    /// The `Cookie` header.
    pub cookie: Option<&'a str>,
    /// The `X-Outpost-CSRF` header.
    pub csrf: Option<&'a str>,
    /// The body was sent as `application/json`.
    pub json: bool,
    pub body: &'a [u8],
}

pub struct ApiResponse {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub set_cookie: Option<String>,
    /// For downloads: the file name offered.
    pub filename: Option<&'static str>,
}

fn reply(status: u16, v: Value) -> ApiResponse {
    ApiResponse {
        status,
        content_type: "application/json",
        body: v.to_string().into_bytes(),
        set_cookie: None,
        filename: None,
    }
}

/// An error for the page: a stable key it translates, and English text.
fn error(status: u16, key: &str, message: impl std::fmt::Display) -> ApiResponse {
    reply(
        status,
        json!({ "error": key, "message": message.to_string() }),
    )
}

fn bad_request(message: impl std::fmt::Display) -> ApiResponse {
    error(400, "bad_request", message)
}

fn store_error(e: StoreError) -> ApiResponse {
    log::error!("console: {e}");
    store_error_response()
}

fn store_error_response() -> ApiResponse {
    error(
        500,
        "store",
        "the appliance could not read or write its data",
    )
}

/// The console's state: its sessions. A restart logs everyone out.
#[derive(Default)]
pub struct Console {
    pub sessions: Sessions,
}

/// The logged-in officer of a request.
struct Caller {
    session: Session,
    officer: Officer,
    token: String,
}

impl Caller {
    fn actor(&self, at: i64) -> Actor {
        Actor {
            name: format!("officer:{}", self.officer.login),
            at,
        }
    }
}

fn session_token(cookie: Option<&str>) -> Option<String> {
    Cookie::split_parse(cookie?)
        .flatten()
        .find(|c| c.name() == COOKIE)
        .map(|c| c.value().to_string())
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiResponse> {
    serde_json::from_slice(body).map_err(|e| bad_request(format!("request body: {e}")))
}

fn query_pairs(q: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(q.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// An admin command run as the officer, its answer as JSON: what was done
/// (`done`) or why not (`error`), each a key the page translates with its
/// `params`, and the command line's English text as `message`.
fn admin_outcome(out: Result<admin::Answer, admin::Refusal>) -> ApiResponse {
    match out {
        Ok(a) => {
            let mut v = json!({ "message": a.text.trim_end() });
            if let Some(d) = a.done {
                v["done"] = d.key().into();
                v["params"] = d.params();
            }
            reply(200, v)
        }
        Err(r @ admin::Refusal::Store { .. }) => {
            log::error!("console: {r}");
            store_error_response()
        }
        Err(r) => reply(
            400,
            json!({ "error": r.key(), "params": r.params(), "message": r.to_string() }),
        ),
    }
}

impl Console {
    pub fn handle(&self, service: &Service, req: ApiRequest) -> ApiResponse {
        let now = crate::clock::now();
        let Some(route) = route(req.method, req.path) else {
            return error(
                404,
                "not_found",
                format!("no such endpoint: {} {}", req.method, req.path),
            );
        };
        if req.method == "POST" && !req.json {
            return error(415, "json", "send the body as application/json");
        }
        if route == Route::Login {
            return self.login(service, req.body, now);
        }
        let caller = match self.caller(service, &req, now) {
            Ok(c) => c,
            Err(r) => return r,
        };
        if req.method == "POST" && !session::csrf_ok(&caller.session, req.csrf) {
            return error(
                403,
                "csrf",
                "the request lacks this session's X-Outpost-CSRF header",
            );
        }
        self.dispatch(service, &caller, route, &req, now)
            .unwrap_or_else(|r| r)
    }

    fn caller(&self, service: &Service, req: &ApiRequest, now: i64) -> Result<Caller, ApiResponse> {
        let unauthorised = || error(401, "login", "log in first");
        let token = session_token(req.cookie).ok_or_else(unauthorised)?;
        let session = self.sessions.get(&token, now).ok_or_else(unauthorised)?;
        match service.store.officer(&session.login).map_err(store_error)? {
            Some(officer) if !officer.disabled => Ok(Caller {
                session,
                officer,
                token,
            }),
            _ => {
                self.sessions.close_all(&session.login);
                Err(unauthorised())
            }
        }
    }

    fn dispatch(
        &self,
        service: &Service,
        c: &Caller,
        route: Route,
        req: &ApiRequest,
        now: i64,
    ) -> Result<ApiResponse, ApiResponse> {
        let need = |e: Endpoint| {
            if allowed(e, &c.officer.roles) {
                Ok(())
            } else {
                Err(error(403, "role", format!("{e:?} needs another role")))
            }
        };
        let store = &service.store;
        let actor = c.actor(now);
        let run = |command| {
            admin_outcome(admin::apply(
                store,
                admin::Request {
                    actor: actor.name.clone(),
                    command,
                },
            ))
        };
        Ok(match route {
            Route::Login => unreachable!("handled before the session check"),
            Route::Logout => {
                self.sessions.close(&c.token);
                let mut r = reply(200, json!({ "message": "logged out" }));
                r.set_cookie = Some(
                    Cookie::build((COOKIE, ""))
                        .secure(true)
                        .http_only(true)
                        .same_site(SameSite::Strict)
                        .path("/")
                        .max_age(cookie::time::Duration::ZERO)
                        .build()
                        .to_string(),
                );
                r
            }
            Route::Me => reply(200, me(&c.officer, &c.session)),
            Route::Declarations => {
                need(Endpoint::ListDeclarations)?;
                list(service, &query_pairs(req.query))?
            }
            Route::Declaration(n) => {
                need(Endpoint::ShowDeclaration)?;
                let n = number(&n)?;
                let d = store.declaration(n).map_err(store_error)?.ok_or_else(|| {
                    error(404, "not_found", format!("there is no declaration {n}"))
                })?;
                reply(
                    200,
                    view::detail(&d, &related(service, &d).map_err(store_error)?),
                )
            }
            Route::Decide(n) => {
                let decision: Decision = parse(req.body)?;
                need(Endpoint::Decide(DecisionKind::of(&decision)))?;
                let n = number(&n)?;
                match service.decide(n, &decision, &c.officer.login) {
                    Ok(d) => reply(
                        200,
                        view::detail(&d, &related(service, &d).map_err(store_error)?),
                    ),
                    Err(DecideError::NotFound(n)) => {
                        error(404, "not_found", format!("there is no declaration {n}"))
                    }
                    Err(DecideError::Refused(r)) => error(409, r.key(), r),
                    Err(DecideError::Store(e)) => store_error(e),
                }
            }
            Route::Transports => {
                need(Endpoint::ListTransports)?;
                let mut list = store.transports().map_err(store_error)?;
                list.sort_by_key(|t| std::cmp::Reverse(t.created_at));
                let rows: Vec<Value> = list.iter().map(transports::summary).collect();
                reply(200, json!({ "rows": rows }))
            }
            Route::Transport(n) => {
                need(Endpoint::ShowTransport)?;
                let n = transport_number(&n)?;
                let t = store
                    .transport(n)
                    .map_err(store_error)?
                    .ok_or_else(|| error(404, "not_found", format!("there is no transport {n}")))?;
                transport_detail(store, &t)?
            }
            Route::ApproveTransport(n) => {
                need(Endpoint::ApproveTransport)?;
                let n = transport_number(&n)?;
                match service.approve_transport(n, &c.officer.login) {
                    Ok(t) => transport_detail(store, &t)?,
                    Err(ApproveError::NotFound(n)) => {
                        error(404, "not_found", format!("there is no transport {n}"))
                    }
                    Err(ApproveError::Refused(r)) => error(409, r.key(), r),
                    Err(ApproveError::Store(e)) => store_error(e),
                }
            }
            Route::Directions => {
                need(Endpoint::ListDirections)?;
                let list: Vec<Value> = store
                    .directions()
                    .map_err(store_error)?
                    .iter()
                    .map(|d| {
                        let mut v = json!(d);
                        v["category"] = d.category.name().into();
                        v
                    })
                    .collect();
                reply(200, json!(list))
            }
            Route::AddDirection => {
                need(Endpoint::ManageDirections)?;
                let b: NewDirection = parse(req.body)?;
                let category = Category::parse(&b.category).ok_or_else(|| {
                    bad_request(format!("no direction category {:?}", b.category))
                })?;
                run(admin::Command::DirectionAdd {
                    tax_code: b.tax_code,
                    category,
                    valid_from: day("from", &b.from)?,
                    valid_until: day("until", &b.until)?,
                    max_declarations: b.max,
                    reason: b.reason,
                })
            }
            Route::RevokeDirection(id) => {
                need(Endpoint::ManageDirections)?;
                let id: u32 = id
                    .parse()
                    .map_err(|_| error(404, "not_found", format!("there is no direction {id}")))?;
                let b: Reason = parse(req.body)?;
                if b.reason.trim().is_empty() {
                    return Err(error(400, "text", "give the reason for revoking it"));
                }
                run(admin::Command::DirectionRevoke {
                    id,
                    reason: b.reason,
                })
            }
            Route::Mode => {
                need(Endpoint::ShowMode)?;
                let m = store.mode().map_err(store_error)?;
                let site = store.site().map_err(store_error)?;
                let mut mode = json!(m);
                mode["mode"] = m.mode.name().into();
                reply(200, json!({ "mode": mode, "site": site }))
            }
            Route::SwitchMode => {
                need(Endpoint::SwitchMode)?;
                let b: SwitchMode = parse(req.body)?;
                let mode = Mode::parse(&b.mode).ok_or_else(|| {
                    bad_request(format!("mode {:?} is not active or standby", b.mode))
                })?;
                run(admin::Command::Mode {
                    mode,
                    reason: b.reason,
                })
            }
            Route::Officers => {
                need(Endpoint::ListOfficers)?;
                let list: Vec<Value> = store
                    .officers()
                    .map_err(store_error)?
                    .iter()
                    .map(|o| {
                        json!({
                            "login": o.login,
                            "name": o.name,
                            "roles": o.roles.iter().map(|r| r.name()).collect::<Vec<_>>(),
                            "disabled": o.disabled,
                            "locked_until": o.locked_until,
                        })
                    })
                    .collect();
                reply(200, json!(list))
            }
            Route::SaveOfficer => {
                need(Endpoint::ManageOfficers)?;
                let b: OfficerForm = parse(req.body)?;
                let change = b.change()?;
                if change.login == c.officer.login
                    && (change.disabled == Some(true)
                        || change
                            .roles
                            .as_ref()
                            .is_some_and(|r| !r.contains(&Role::It)))
                {
                    return Err(error(
                        409,
                        "self",
                        "you cannot disable your own account or drop your own IT role",
                    ));
                }
                let login = change.login.clone();
                let ends_sessions = change.password.is_some() || change.disabled == Some(true);
                let r = run(admin::Command::OfficerSave(change));
                if r.status == 200 && ends_sessions && login != c.officer.login {
                    self.sessions.close_all(&login);
                }
                r
            }
            Route::Declarants => {
                need(Endpoint::ListDeclarants)?;
                let list: Vec<Value> = store
                    .users()
                    .map_err(store_error)?
                    .iter()
                    .map(|u| {
                        json!({
                            "code": u.code,
                            "terminals": u.terminals,
                            "tax_codes": u.tax_codes,
                            "disabled": u.disabled,
                        })
                    })
                    .collect();
                reply(200, json!(list))
            }
            Route::SaveDeclarant => {
                need(Endpoint::ManageDeclarants)?;
                let b: admin::NewUser = parse(req.body)?;
                run(admin::Command::UserAdd(b))
            }
            Route::DeclarantDisabled(code, disabled) => {
                need(Endpoint::ManageDeclarants)?;
                run(admin::Command::UserDisable { code, disabled })
            }
            Route::RemoveTerminal(code, terminal) => {
                need(Endpoint::ManageDeclarants)?;
                run(admin::Command::UserRemoveTerminal { code, terminal })
            }
            Route::Sync => {
                need(Endpoint::Sync)?;
                let (entries, head) = store.journal_head().map_err(store_error)?;
                let head: String = head.iter().map(|b| format!("{b:02x}")).collect();
                reply(
                    200,
                    json!({
                        "journal": { "entries": entries, "head": head },
                        "sync": crate::sync::status(store),
                    }),
                )
            }
            Route::Statistics { csv } => {
                need(Endpoint::Statistics)?;
                let filter = Filter::parse(&query_pairs(req.query)).map_err(bad_request)?;
                let mut tally = Tally::default();
                for family in [Family::Import, Family::Export] {
                    let Some(prefix) = filter.key_prefix(family) else {
                        continue;
                    };
                    for d in store.newest_declarations_from(&prefix) {
                        let d = d.map_err(store_error)?;
                        if filter.matches(&d, service.offset()) {
                            tally.add(&d, service.offset());
                        }
                    }
                }
                if csv {
                    ApiResponse {
                        status: 200,
                        content_type: "text/csv; charset=UTF-8",
                        body: tally.csv().into_bytes(),
                        set_cookie: None,
                        filename: Some("outpost-statistics.csv"),
                    }
                } else {
                    reply(200, json!(tally))
                }
            }
        })
    }

    fn login(&self, service: &Service, body: &[u8], now: i64) -> ApiResponse {
        let b: Credentials = match parse(body) {
            Ok(b) => b,
            Err(r) => return r,
        };
        let wrong = || error(401, "credentials", "wrong login or password");
        let officer = match service.store.officer(&b.login) {
            Ok(Some(o)) => o,
            Ok(None) => {
                // The same Argon2 work as for a real account, so the answer's
                // timing does not tell which logins exist.
                crate::auth::argon2_verify(&b.password, dummy_hash());
                return wrong();
            }
            Err(e) => return store_error(e),
        };
        if let Some(Attempt::Locked(until)) = session::gate(&officer, now) {
            return locked(until);
        }
        let ok = crate::auth::argon2_verify(&b.password, &officer.password_hash);
        let (next, attempt) = session::after_attempt(&officer, ok, now);
        if next != officer {
            let action = match &attempt {
                Attempt::Refused { locked: true } => format!("officer {} locked out", next.login),
                Attempt::Refused { locked: false } => {
                    format!("officer {} login failed", next.login)
                }
                _ => format!("officer {} logged in", next.login),
            };
            let actor = Actor {
                name: format!("officer:{}", next.login),
                at: now,
            };
            let saved = service
                .store
                .update_officer(&next.login, &actor, &action, |cur| {
                    // Refused if the account changed meanwhile; the attempt
                    // is then simply not counted.
                    if cur.as_ref() == Some(&officer) {
                        Ok(next.clone())
                    } else {
                        Err(())
                    }
                });
            if let Err(e) = saved {
                return store_error(e);
            }
        }
        match attempt {
            Attempt::Accepted => {
                let (token, s) = self.sessions.open(&officer.login, now);
                log::info!("console: officer {} logged in", officer.login);
                let mut r = reply(200, me(&next, &s));
                r.set_cookie = Some(
                    Cookie::build((COOKIE, token))
                        .secure(true)
                        .http_only(true)
                        .same_site(SameSite::Strict)
                        .path("/")
                        .build()
                        .to_string(),
                );
                r
            }
            Attempt::Refused { locked: true } => locked(next.locked_until),
            Attempt::Refused { locked: false } => wrong(),
            Attempt::Locked(until) => locked(until),
            Attempt::Disabled => error(403, "disabled", "this account is disabled"),
        }
    }
}

fn locked(until: i64) -> ApiResponse {
    let message = format!(
        "too many failed logins; try again after {}",
        crate::clock::iso(until)
    );
    reply(
        423,
        json!({ "error": "locked", "until": until, "message": message }),
    )
}

fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| crate::auth::hash_secret("no such officer"))
}

fn me(o: &Officer, s: &Session) -> Value {
    json!({
        "login": o.login,
        "name": o.name,
        "roles": o.roles.iter().map(|r| r.name()).collect::<Vec<_>>(),
        "csrf": s.csrf,
    })
}

fn number(s: &str) -> Result<DeclNumber, ApiResponse> {
    DeclNumber::parse(s).ok_or_else(|| {
        error(
            404,
            "not_found",
            format!("{s:?} is not a declaration number"),
        )
    })
}

fn transport_number(s: &str) -> Result<TransportNumber, ApiResponse> {
    TransportNumber::parse(s).ok_or_else(|| {
        error(
            404,
            "not_found",
            format!("{s:?} is not a transport number of this appliance"),
        )
    })
}

fn transport_detail(store: &Store, t: &Transport) -> Result<ApiResponse, ApiResponse> {
    let history = store
        .history(&format!("transport/{}", t.number))
        .map_err(store_error)?;
    let pending = pending(store, &history).map_err(store_error)?;
    Ok(reply(200, transports::detail(t, &history, &pending)))
}

fn day(what: &str, s: &str) -> Result<Day, ApiResponse> {
    let f = Filter::parse(&[("from".into(), s.into())])
        .ok()
        .and_then(|f| f.from);
    f.ok_or_else(|| bad_request(format!("{what} {s:?} is not a YYYY-MM-DD date")))
}

/// Most rows one list page holds.
const MAX_PAGE: usize = 200;

fn list(service: &Service, q: &[(String, String)]) -> Result<ApiResponse, ApiResponse> {
    let filter = Filter::parse(q).map_err(bad_request)?;
    let param = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let offset: usize = param("offset").and_then(|v| v.parse().ok()).unwrap_or(0);
    let limit: usize = param("limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
        .clamp(1, MAX_PAGE);
    let store = &service.store;
    if let Some(first) = filter.set {
        // A divided set is read from its index, by number.
        let found: Vec<Declaration> = store
            .divided_set(first)
            .map_err(store_error)?
            .into_iter()
            .filter(|d| filter.matches(d, service.offset()))
            .skip(offset)
            .collect();
        let rows: Vec<Value> = found.iter().take(limit).map(view::summary).collect();
        let more = found.len() > limit;
        return Ok(reply(
            200,
            json!({ "rows": rows, "offset": offset, "more": more }),
        ));
    }
    // Newest first across both families: merge the two newest-first scans.
    let scan = |family| {
        filter
            .key_prefix(family)
            .map(|p| store.newest_declarations_from(&p))
            .into_iter()
            .flatten()
            .peekable()
    };
    let mut imports = scan(Family::Import);
    let mut exports = scan(Family::Export);
    let mut rows = Vec::new();
    let mut skipped = 0;
    let mut more = false;
    loop {
        let newer_import = match (imports.peek(), exports.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(Ok(i)), Some(Ok(e))) => i.created_at >= e.created_at,
            (Some(Err(_)), _) => true,
            (_, Some(Err(_))) => false,
        };
        let next = if newer_import {
            imports.next()
        } else {
            exports.next()
        };
        let d = next.expect("peeked").map_err(store_error)?;
        if !filter.matches(&d, service.offset()) {
            continue;
        }
        if skipped < offset {
            skipped += 1;
            continue;
        }
        if rows.len() == limit {
            more = true;
            break;
        }
        rows.push(view::summary(&d));
    }
    Ok(reply(
        200,
        json!({ "rows": rows, "offset": offset, "more": more }),
    ))
}

/// The outputs queued by these journal entries that still wait for their
/// terminal, by output sequence.
fn pending(store: &Store, history: &[Entry]) -> Result<Vec<u64>, StoreError> {
    let mut pending = Vec::new();
    for c in history.iter().flat_map(|e| &e.changes) {
        if let Change::Output { terminal, seq, .. } = c {
            if store.output(terminal, *seq)?.is_some() {
                pending.push(*seq);
            }
        }
    }
    Ok(pending)
}

/// What the detail page shows around a declaration.
fn related(service: &Service, d: &Declaration) -> Result<Related, StoreError> {
    let store = &service.store;
    let continues = match d.continues {
        Some(n) => store.declaration(n)?,
        None => None,
    };
    let (continuations, balances) = if temporary::temporary_spec(d).is_some() {
        let c = store.continuations_of(d.number)?;
        let b = temporary::balances(d, &c);
        (c, b)
    } else {
        (Vec::new(), Vec::new())
    };
    // A divided set: the first declaration and the parts that name it.
    let divided = match d.divided_set() {
        Some(first) => store
            .divided_set(first)?
            .into_iter()
            .filter(|x| x.number.base() != d.number.base())
            .collect(),
        None => Vec::new(),
    };
    let history = store.history(&format!("declaration/{}", d.number.base()))?;
    let pending = pending(store, &history)?;
    Ok(Related {
        continues,
        continuations,
        balances,
        divided,
        history,
        pending,
    })
}

#[derive(Deserialize)]
struct Credentials {
    login: String,
    password: String,
}

#[derive(Deserialize)]
struct Reason {
    reason: String,
}

#[derive(Deserialize)]
struct SwitchMode {
    mode: String,
    reason: String,
}

#[derive(Deserialize)]
struct NewDirection {
    tax_code: String,
    category: String,
    from: String,
    until: String,
    max: Option<u32>,
    reason: String,
}

#[derive(Deserialize)]
struct OfficerForm {
    login: String,
    name: Option<String>,
    password: Option<String>,
    roles: Option<Vec<String>>,
    disabled: Option<bool>,
}

impl OfficerForm {
    fn change(self) -> Result<OfficerChange, ApiResponse> {
        let roles = self
            .roles
            .map(|rs| {
                rs.iter()
                    .map(|r| Role::parse(r).ok_or_else(|| bad_request(format!("no role {r:?}"))))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        Ok(OfficerChange {
            login: self.login,
            name: self.name,
            password: self.password.filter(|p| !p.is_empty()),
            roles,
            disabled: self.disabled,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_role_table() {
        use DecisionKind::*;
        use Endpoint::*;
        use Role::{It, Tax};
        // (endpoint, [supervision, tax, risk, it, statistics] allowed)
        let rows: &[(Endpoint, [bool; 5])] = &[
            (Login, [true; 5]),
            (Me, [true; 5]),
            (ListDeclarations, [true; 5]),
            (ShowDeclaration, [true; 5]),
            (ListDirections, [true; 5]),
            (ShowMode, [true; 5]),
            (Decide(Channel), [false, false, true, false, false]),
            (Decide(Checks), [true, false, false, false, false]),
            (Decide(Release), [true, false, false, false, false]),
            (Decide(Clearance), [true, false, false, false, false]),
            (Decide(TaxNote), [false, true, false, false, false]),
            (ListTransports, [true; 5]),
            (ShowTransport, [true; 5]),
            (ApproveTransport, [true, false, false, false, false]),
            (ManageDirections, [true, false, true, false, false]),
            (SwitchMode, [false, false, false, true, false]),
            (ListOfficers, [false, false, false, true, false]),
            (ManageOfficers, [false, false, false, true, false]),
            (ListDeclarants, [false, false, false, true, false]),
            (ManageDeclarants, [false, false, false, true, false]),
            (Sync, [false, false, false, true, false]),
            (Statistics, [false, false, false, false, true]),
        ];
        for (e, want) in rows {
            for (role, want) in Role::ALL.iter().zip(want) {
                assert_eq!(allowed(*e, &[*role]), *want, "{e:?} as {role:?}");
            }
            assert_eq!(
                allowed(*e, &[]),
                matches!(access(*e), Access::Public | Access::Officer),
                "{e:?} with no role"
            );
        }
        assert!(
            allowed(SwitchMode, &[Tax, It]),
            "any one of the roles will do"
        );
    }

    #[test]
    fn routes() {
        let rows = [
            ("POST", "/api/login", Some(Route::Login)),
            ("GET", "/api/login", None),
            ("GET", "/api/declarations", Some(Route::Declarations)),
            (
                "GET",
                "/api/declarations/190170000010",
                Some(Route::Declaration("190170000010".into())),
            ),
            (
                "POST",
                "/api/declarations/190170000010/decisions",
                Some(Route::Decide("190170000010".into())),
            ),
            (
                "POST",
                "/api/directions/3/revoke",
                Some(Route::RevokeDirection("3".into())),
            ),
            (
                "GET",
                "/api/statistics.csv",
                Some(Route::Statistics { csv: true }),
            ),
            ("POST", "/api/mode", Some(Route::SwitchMode)),
            ("GET", "/api/transports", Some(Route::Transports)),
            (
                "GET",
                "/api/transports/T90170000001",
                Some(Route::Transport("T90170000001".into())),
            ),
            (
                "POST",
                "/api/transports/T90170000001/approval",
                Some(Route::ApproveTransport("T90170000001".into())),
            ),
            ("GET", "/api/transports/T90170000001/approval", None),
            (
                "POST",
                "/api/declarants/ABC12001/disable",
                Some(Route::DeclarantDisabled("ABC12001".into(), true)),
            ),
            (
                "POST",
                "/api/declarants/ABC12001/enable",
                Some(Route::DeclarantDisabled("ABC12001".into(), false)),
            ),
            (
                "POST",
                "/api/declarants/ABC12001/terminals/T12345/remove",
                Some(Route::RemoveTerminal("ABC12001".into(), "T12345".into())),
            ),
            ("GET", "/api/declarants/ABC12001/disable", None),
            ("GET", "/api/status", None),
            ("GET", "/api/codes/E0001", None),
            ("DELETE", "/api/officers", None),
            ("GET", "/api/declarations/1/2/3", None),
        ];
        for (m, p, want) in rows {
            assert_eq!(route(m, p), want, "{m} {p}");
        }
        assert!(handles("/api/officers"));
        assert!(!handles("/api/status"));
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        assert_eq!(
            session_token(Some("a=1; outpost_session=abc; b=2")).as_deref(),
            Some("abc")
        );
        assert_eq!(session_token(Some("a=1")), None);
        assert_eq!(session_token(None), None);
    }
}
