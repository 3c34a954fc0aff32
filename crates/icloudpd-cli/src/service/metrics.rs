//! `--metrics-port`: what the runs did, as Prometheus text on `/metrics`, and whether they are
//! healthy on `/healthz` (for Docker's `HEALTHCHECK` and monitoring).
//!
//! `/healthz` answers 200 while the last pass over the users succeeded and is recent (not older
//! than twice the watch interval), or while the first pass still runs; 503 otherwise.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use icloudpd_sync::SyncReport;

/// What one user's runs did.
#[derive(Debug, Default, Clone)]
struct UserFigures {
    downloaded: u64,
    bytes: u64,
    failed: u64,
    deleted_in_icloud: u64,
    deleted_locally: u64,
    runs_ok: u64,
    runs_failed: u64,
    last_run: Option<SystemTime>,
    last_success: Option<SystemTime>,
    trust_expires: Option<SystemTime>,
}

#[derive(Debug, Default)]
struct Figures {
    users: BTreeMap<String, UserFigures>,
    /// When the last pass over every user ended, and whether it succeeded.
    last_pass: Option<(SystemTime, bool)>,
}

/// The figures of this process's runs. Shared (`Arc`) between the runs and the server.
#[derive(Debug)]
pub struct Metrics {
    figures: Mutex<Figures>,
    /// Time between passes (`--watch-with-interval`); `None` for a single pass.
    interval: Option<Duration>,
}

impl Metrics {
    /// Metrics of a process that runs a pass every `interval` (`None`: once).
    pub fn new(interval: Option<Duration>) -> Arc<Metrics> {
        Arc::new(Metrics {
            figures: Mutex::default(),
            interval,
        })
    }

    fn figures(&self) -> std::sync::MutexGuard<'_, Figures> {
        self.figures.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds one run of `username` (its report, and whether it succeeded) ending at `at`.
    pub fn record_run(&self, username: &str, report: &SyncReport, ok: bool, at: SystemTime) {
        let mut figures = self.figures();
        let user = figures.users.entry(username.to_owned()).or_default();
        user.downloaded += report.downloaded;
        user.bytes += report.bytes;
        user.failed += report.failed.len() as u64;
        user.deleted_in_icloud += report.deleted_in_icloud;
        user.deleted_locally += report.deleted_locally;
        user.last_run = Some(at);
        if ok {
            user.runs_ok += 1;
            user.last_success = Some(at);
        } else {
            user.runs_failed += 1;
        }
    }

    /// Notes when Apple's trust of `username`'s session ends.
    pub fn record_trust(&self, username: &str, expires: Option<SystemTime>) {
        let mut figures = self.figures();
        figures
            .users
            .entry(username.to_owned())
            .or_default()
            .trust_expires = expires;
    }

    /// Notes that a pass over every user ended at `at`, successfully or not.
    pub fn pass_finished(&self, ok: bool, at: SystemTime) {
        self.figures().last_pass = Some((at, ok));
    }

    /// Returns the health status at `now` and a one-line reason.
    pub fn health(&self, now: SystemTime) -> (StatusCode, String) {
        let Some((at, ok)) = self.figures().last_pass else {
            return (
                StatusCode::OK,
                "starting: the first pass is running".to_owned(),
            );
        };
        if !ok {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "the last pass failed".to_owned(),
            );
        }
        let age = now.duration_since(at).unwrap_or_default();
        match self.interval {
            Some(interval) if age > interval * 2 => (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the last pass ended {} s ago", age.as_secs()),
            ),
            _ => (StatusCode::OK, "ok".to_owned()),
        }
    }

    /// Returns the figures in the Prometheus text format (version 0.0.4).
    pub fn render(&self) -> String {
        let figures = self.figures();
        let mut out = String::new();
        let users = &figures.users;
        type Field = fn(&UserFigures) -> Option<f64>;
        let families: [(&str, &str, &str, Field); 9] = [
            (
                "icloudpd_files_downloaded_total",
                "counter",
                "Files downloaded.",
                |u| Some(u.downloaded as f64),
            ),
            (
                "icloudpd_bytes_downloaded_total",
                "counter",
                "Bytes downloaded.",
                |u| Some(u.bytes as f64),
            ),
            (
                "icloudpd_files_failed_total",
                "counter",
                "Assets or files that could not be mirrored.",
                |u| Some(u.failed as f64),
            ),
            (
                "icloudpd_deleted_in_icloud_total",
                "counter",
                "Assets moved to Recently Deleted in iCloud.",
                |u| Some(u.deleted_in_icloud as f64),
            ),
            (
                "icloudpd_deleted_locally_total",
                "counter",
                "Local files removed by --auto-delete.",
                |u| Some(u.deleted_locally as f64),
            ),
            (
                "icloudpd_runs_failed_total",
                "counter",
                "Runs that ended in failure.",
                |u| Some(u.runs_failed as f64),
            ),
            (
                "icloudpd_last_run_timestamp_seconds",
                "gauge",
                "When the last run ended.",
                |u| u.last_run.map(seconds),
            ),
            (
                "icloudpd_last_success_timestamp_seconds",
                "gauge",
                "When the last successful run ended.",
                |u| u.last_success.map(seconds),
            ),
            (
                "icloudpd_trust_expiry_timestamp_seconds",
                "gauge",
                "When Apple's trust of the session ends.",
                |u| u.trust_expires.map(seconds),
            ),
        ];
        let _ = writeln!(out, "# HELP icloudpd_runs_total Runs, by outcome.");
        let _ = writeln!(out, "# TYPE icloudpd_runs_total counter");
        for (name, user) in users {
            let name = label(name);
            let _ = writeln!(
                out,
                "icloudpd_runs_total{{username=\"{name}\",status=\"ok\"}} {}",
                user.runs_ok
            );
            let _ = writeln!(
                out,
                "icloudpd_runs_total{{username=\"{name}\",status=\"failed\"}} {}",
                user.runs_failed
            );
        }
        for (metric, kind, help, field) in families {
            let _ = writeln!(out, "# HELP {metric} {help}");
            let _ = writeln!(out, "# TYPE {metric} {kind}");
            for (name, user) in users {
                if let Some(value) = field(user) {
                    let _ = writeln!(out, "{metric}{{username=\"{}\"}} {value}", label(name));
                }
            }
        }
        let (healthy, _) = {
            drop(figures);
            self.health(SystemTime::now())
        };
        let _ = writeln!(out, "# HELP icloudpd_healthy Whether /healthz answers 200.");
        let _ = writeln!(out, "# TYPE icloudpd_healthy gauge");
        let _ = writeln!(
            out,
            "icloudpd_healthy {}",
            u8::from(healthy == StatusCode::OK)
        );
        out
    }

    /// Serves `/metrics` and `/healthz` on `host`:`port` until the process ends; returns the
    /// address bound (port 0 picks a free one).
    ///
    /// # Errors
    ///
    /// When the address cannot be bound.
    pub async fn serve(self: &Arc<Self>, host: &str, port: u16) -> std::io::Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind((host, port)).await?;
        let bound = listener.local_addr()?;
        let metrics = Arc::clone(self);
        let health = Arc::clone(self);
        let app = Router::new()
            .route(
                "/metrics",
                get(move || {
                    let body = metrics.render();
                    async move {
                        (
                            [(
                                header::CONTENT_TYPE,
                                "text/plain; version=0.0.4; charset=utf-8",
                            )],
                            body,
                        )
                    }
                }),
            )
            .route(
                "/healthz",
                get(move || {
                    let (status, reason) = health.health(SystemTime::now());
                    async move { (status, format!("{reason}\n")).into_response() }
                }),
            );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(bound)
    }
}

fn seconds(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64().floor())
}

/// Escapes a label value (backslash, double quote, line feed).
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(downloaded: u64, failed: usize) -> SyncReport {
        let mut r = SyncReport::default();
        r.downloaded = downloaded;
        r.bytes = downloaded * 10;
        r.failed = (0..failed)
            .map(|i| icloudpd_sync::AssetFailure {
                name: format!("IMG_{i}.JPG"),
                path: None,
                error: "refused".to_owned(),
            })
            .collect();
        r
    }

    #[test]
    fn figures_add_up_per_user() {
        let m = Metrics::new(None);
        let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        m.record_run("a@example.com", &report(3, 0), true, at);
        m.record_run("a@example.com", &report(2, 1), false, at);
        m.record_run("b\"q@example.com", &report(1, 0), true, at);
        let text = m.render();
        for line in [
            "icloudpd_files_downloaded_total{username=\"a@example.com\"} 5",
            "icloudpd_bytes_downloaded_total{username=\"a@example.com\"} 50",
            "icloudpd_files_failed_total{username=\"a@example.com\"} 1",
            "icloudpd_runs_total{username=\"a@example.com\",status=\"ok\"} 1",
            "icloudpd_runs_total{username=\"a@example.com\",status=\"failed\"} 1",
            "icloudpd_last_success_timestamp_seconds{username=\"a@example.com\"} 1700000000",
            "icloudpd_files_downloaded_total{username=\"b\\\"q@example.com\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }

    #[test]
    fn health_follows_the_last_pass_and_its_age() {
        let m = Metrics::new(Some(Duration::from_secs(60)));
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000);
        assert_eq!(m.health(t0).0, StatusCode::OK, "starting");
        m.pass_finished(true, t0);
        assert_eq!(m.health(t0 + Duration::from_secs(119)).0, StatusCode::OK);
        assert_eq!(
            m.health(t0 + Duration::from_secs(121)).0,
            StatusCode::SERVICE_UNAVAILABLE,
            "older than twice the interval"
        );
        m.pass_finished(false, t0);
        assert_eq!(m.health(t0).0, StatusCode::SERVICE_UNAVAILABLE);
    }
}
