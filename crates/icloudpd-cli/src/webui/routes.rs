//! The routes, with icloudpd's names and form fields, so tools built around its web UI keep
//! working: `GET /`, `GET /status`, `POST /password`, `POST /code`, `POST /resume`,
//! `POST /cancel`; ours: `POST /sms` and the static files.
//!
//! A form post answers with a fragment to scripts (`fetch` and htmx mark their requests,
//! tools send no `Accept: text/html`) and with the whole page to a browser without
//! JavaScript. Every request passes the access rules of [`super::access`] first: the host it
//! names, where a post comes from, and the token on a network address.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, Request, State};
use axum::http::header::{
    ACCEPT, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, SET_COOKIE,
    WWW_AUTHENTICATE, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::{get, post};
use icloud_auth::SecretString;
use tokio::sync::watch;
use tracing::debug;

use super::access::{Access, Shown, same_origin};
use super::exchange::{Exchange, Refused};
use super::pages;
use crate::logging::APP;

/// How long `GET /status?after=<version>` waits for a change before answering anyway.
const LONG_POLL: Duration = Duration::from_secs(25);

const CSP: &str = "default-src 'self'; img-src 'self' data:; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// What every handler shares.
#[derive(Debug, Clone)]
pub(super) struct App {
    exchange: Arc<Exchange>,
    overview: Arc<[String]>,
    /// Closed when the server stops, which ends the long polls.
    stop: watch::Receiver<()>,
}

impl App {
    pub(super) fn new(
        exchange: Arc<Exchange>,
        overview: Vec<String>,
        stop: watch::Receiver<()>,
    ) -> App {
        App {
            exchange,
            overview: overview.into(),
            stop,
        }
    }

    /// Returns the status fragment and whether it asks for input.
    fn status_fragment(&self) -> (String, bool) {
        let snapshot = self.exchange.snapshot();
        (
            pages::status(&snapshot, &self.overview),
            pages::asks(snapshot.status),
        )
    }

    /// Waits while the version is `after`, at most [`LONG_POLL`].
    async fn wait_for_change(&self, after: u64) {
        let mut version = self.exchange.subscribe();
        if *version.borrow_and_update() != after {
            return;
        }
        let mut stop = self.stop.clone();
        tokio::select! {
            _ = version.changed() => {}
            _ = stop.changed() => {}
            () = tokio::time::sleep(LONG_POLL) => {}
        }
    }
}

/// Returns the router of the web UI, every route behind `access` (see [`guard`]).
pub(super) fn router(app: App, access: Arc<Access>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/status", get(status))
        .route("/password", post(password))
        .route("/code", post(code))
        .route("/sms", post(sms))
        .route("/resume", post(resume))
        .route("/cancel", post(cancel))
        .route("/static/style.css", get(style))
        .route("/static/app.js", get(script))
        .layer(middleware::from_fn_with_state(access, guard))
        .with_state(app)
}

/// Applies the access rules: refuses requests naming another host (a page whose domain was
/// re-pointed at this computer: DNS rebinding), posts from other sites' pages, and requests
/// without the token when one is needed; sets the token's cookie after a `?token=` visit;
/// adds the headers every answer carries.
async fn guard(State(access): State<Arc<Access>>, request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD);
    let mut cookie = None;
    let mut response = if !access.host_allowed(request.headers()) {
        debug!(target: APP, "Web UI refused a request for another host");
        (StatusCode::FORBIDDEN, "Host not allowed").into_response()
    } else if !safe && !same_origin(request.headers()) {
        debug!(target: APP, "Web UI refused a {} from another site", request.uri().path());
        (StatusCode::FORBIDDEN, "Cross-site request refused").into_response()
    } else {
        match access.token_shown(request.uri(), request.headers()) {
            Some(shown) => {
                if shown == Shown::InUrl {
                    cookie = access.cookie_for(request.uri());
                }
                next.run(request).await
            }
            None => {
                debug!(target: APP, "Web UI refused a request without the token");
                (
                    StatusCode::UNAUTHORIZED,
                    [(WWW_AUTHENTICATE, "Bearer realm=\"icloudpd\"")],
                    Html(pages::token_needed()),
                )
                    .into_response()
            }
        }
    };
    let headers = response.headers_mut();
    let fixed = [
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (REFERRER_POLICY, "no-referrer"),
        (X_FRAME_OPTIONS, "DENY"),
        (CONTENT_SECURITY_POLICY, CSP),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers
        .entry(CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    if let Some(value) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.insert(SET_COOKIE, value);
    }
    response
}

/// Returns whether a browser navigates here (a form posted without JavaScript).
fn navigates(headers: &HeaderMap) -> bool {
    let scripted = headers.contains_key("x-requested-with") || headers.contains_key("hx-request");
    let html = headers
        .get(ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    html && !scripted
}

/// Answers a form: `text` (plain text) as a fragment, or in the whole page for a navigation.
fn reply(app: &App, headers: &HeaderMap, code: StatusCode, text: &str) -> Response {
    let message = pages::message(text, code.is_success());
    if !navigates(headers) {
        return (code, Html(message)).into_response();
    }
    let (fragment, asks) = app.status_fragment();
    (code, Html(pages::page(&fragment, &message, asks))).into_response()
}

async fn index(State(app): State<App>) -> Html<String> {
    let (fragment, asks) = app.status_fragment();
    Html(pages::page(&fragment, "", asks))
}

/// The status as a fragment, or as JSON for `Accept: application/json`; with `?after=N`, once
/// the version differs from `N` (a long poll).
async fn status(
    State(app): State<App>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let after = query
        .ok()
        .and_then(|Query(q)| q.get("after")?.parse::<u64>().ok());
    if let Some(after) = after {
        app.wait_for_change(after).await;
    }
    let snapshot = app.exchange.snapshot();
    let json = headers
        .get(ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("application/json"));
    if json {
        Json(pages::status_json(&snapshot, &app.overview)).into_response()
    } else {
        Html(pages::status(&snapshot, &app.overview)).into_response()
    }
}

/// Returns the fields of a form post (none when the body is no form).
fn fields(form: Result<Form<HashMap<String, String>>, FormRejection>) -> HashMap<String, String> {
    form.map(|Form(f)| f).unwrap_or_default()
}

async fn password(
    State(app): State<App>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let snapshot = app.exchange.snapshot();
    let user = pages::account(&snapshot);
    let password = fields(form)
        .remove("password")
        .filter(|p| !p.is_empty())
        .map(SecretString::from);
    let accepted = match password {
        Some(password) => app.exchange.supply_password(password).is_ok(),
        None => false,
    };
    if !accepted {
        debug!(target: APP, "Web UI refused a password: none given, or none asked for");
    }
    let ok = format!("Password submitted and being checked for {user}");
    answer(
        &app,
        &headers,
        accepted,
        &ok,
        &format!("Wrong password for {user}"),
    )
}

/// The reply to a form: 200 with `ok` when it was taken, else 400 with `refused`.
fn answer(app: &App, headers: &HeaderMap, accepted: bool, ok: &str, refused: &str) -> Response {
    if accepted {
        reply(app, headers, StatusCode::OK, ok)
    } else {
        reply(app, headers, StatusCode::BAD_REQUEST, refused)
    }
}

/// Returns the six digits of a code as typed (spaces and dashes allowed), `None` if it is not
/// six digits.
pub(super) fn normalise_code(typed: &str) -> Option<String> {
    let code: String = typed
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect();
    (code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

/// Returns the phone index of a form: `Ok(None)` without the field (or with it empty),
/// `Err` when it is no index.
fn phone_field(fields: &HashMap<String, String>) -> Result<Option<usize>, ()> {
    match fields.get("phone").map(|p| p.trim()) {
        None | Some("") => Ok(None),
        Some(p) => p.parse().map(Some).map_err(drop),
    }
}

async fn code(
    State(app): State<App>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let snapshot = app.exchange.snapshot();
    let user = pages::account(&snapshot);
    let fields = fields(form);
    let code = fields.get("code").and_then(|c| normalise_code(c));
    let result = match (code, phone_field(&fields)) {
        (Some(code), Ok(phone)) => app.exchange.supply_code(code, phone),
        _ => Err(Refused::WrongState),
    };
    if result.is_err() {
        debug!(target: APP, "Web UI refused a code: {result:?}");
    }
    let ok = format!("Code submitted and being checked for {user}");
    let refused = format!("Wrong Two-Factor Code for {user}");
    answer(&app, &headers, result.is_ok(), &ok, &refused)
}

async fn sms(
    State(app): State<App>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let snapshot = app.exchange.snapshot();
    let user = pages::account(&snapshot);
    let phone = phone_field(&fields(form)).ok().flatten();
    let sent_to = phone.filter(|&i| app.exchange.request_sms(i).is_ok());
    let to = sent_to
        .and_then(|i| snapshot.phones.get(i))
        .map_or("", String::as_str);
    let ok = format!("Sending a code by SMS to {to} for {user}");
    let refused = format!("Cannot send a code by SMS for {user}");
    answer(&app, &headers, sent_to.is_some(), &ok, &refused)
}

async fn resume(State(app): State<App>, headers: HeaderMap) -> Response {
    app.exchange.request_resume();
    done(&app, &headers)
}

async fn cancel(State(app): State<App>, headers: HeaderMap) -> Response {
    app.exchange.request_cancel();
    done(&app, &headers)
}

/// icloudpd's answer to `/resume` and `/cancel`: the bare text `Ok` for scripts and the page's
/// own requests, the whole page for a browser that posted a form without JavaScript.
fn done(app: &App, headers: &HeaderMap) -> Response {
    if navigates(headers) {
        reply(app, headers, StatusCode::OK, "Ok")
    } else {
        (StatusCode::OK, "Ok").into_response()
    }
}

async fn style() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "no-cache"),
        ],
        include_str!("static/style.css"),
    )
}

async fn script() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "no-cache"),
        ],
        include_str!("static/app.js"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_with_spaces_and_dashes_allowed() {
        assert_eq!(normalise_code(" 123 456 ").as_deref(), Some("123456"));
        assert_eq!(normalise_code("123-456").as_deref(), Some("123456"));
        for bad in ["", "12345", "1234567", "12345a", "１２３４５６"] {
            assert_eq!(normalise_code(bad), None, "{bad:?}");
        }
    }
}
