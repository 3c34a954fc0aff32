//! Running as a service: stop signals, the metrics and health endpoint, the JSON report.
//!
//! [`Service`] holds what outlives one pass over the users; [`Pass`] gathers one pass's
//! accounts and, when it ends, feeds the metrics and writes the report.

pub mod metrics;
pub mod report_json;
pub mod signals;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use icloudpd_sync::SyncReport;
use tracing::{error, info};

use self::metrics::Metrics;
use self::report_json::AccountRun;
use self::signals::Signals;
use crate::error::CliError;
use crate::logging::APP;
use crate::settings::Settings;

/// What the run shares with the world beyond its log.
#[derive(Debug)]
pub struct Service {
    pub signals: Signals,
    metrics: Option<Arc<Metrics>>,
    report_json: Option<PathBuf>,
}

impl Service {
    /// Listens for stop signals and starts the metrics server when `--metrics-port` asks.
    ///
    /// # Errors
    ///
    /// When the signal handlers cannot be installed or the metrics address cannot be bound.
    pub async fn start(settings: &Settings) -> Result<Service, CliError> {
        let signals = Signals::install()
            .map_err(|e| CliError::failed(format!("Cannot listen for stop signals: {e}")))?;
        let metrics = match &settings.metrics {
            None => None,
            Some((host, port)) => {
                let metrics = Metrics::new(settings.watch.map(Duration::from_secs));
                let bound = metrics.serve(host, *port).await.map_err(|e| {
                    CliError::failed(format!(
                        "Cannot serve metrics on {host}:{port}: {e}. Choose another address with --metrics-host or --metrics-port"
                    ))
                })?;
                info!(
                    target: APP,
                    "Metrics on http://{bound}/metrics, health on http://{bound}/healthz"
                );
                Some(metrics)
            }
        };
        Ok(Service {
            signals,
            metrics,
            report_json: settings.report_json.clone(),
        })
    }

    /// Notes when Apple's trust of `username`'s session ends.
    pub fn trust(&self, username: &str, expires: Option<SystemTime>) {
        if let Some(metrics) = &self.metrics {
            metrics.record_trust(username, expires);
        }
    }

    /// Starts a pass over the users.
    pub fn pass(&self) -> Pass {
        Pass {
            started: SystemTime::now(),
            accounts: Vec::new(),
        }
    }

    /// Ends `pass`: the metrics count it, and the report is written.
    ///
    /// # Errors
    ///
    /// When the report cannot be written (logged, exit status 1).
    pub fn finish(&self, pass: Pass) -> Result<(), CliError> {
        let finished = SystemTime::now();
        let ok = pass.accounts.iter().all(AccountRun::ok);
        if let Some(metrics) = &self.metrics {
            for account in &pass.accounts {
                metrics.record_run(&account.username, &account.report, account.ok(), finished);
            }
            metrics.pass_finished(ok, finished);
        }
        let Some(path) = &self.report_json else {
            return Ok(());
        };
        let document = report_json::document(&pass.accounts, pass.started, finished);
        report_json::write(path, &document).map_err(|e| {
            error!(target: APP, "Cannot write the report {}: {e}", path.display());
            CliError::reported()
        })
    }
}

/// One pass over the users, for the report and the metrics.
#[derive(Debug)]
pub struct Pass {
    started: SystemTime,
    accounts: Vec<AccountRun>,
}

impl Pass {
    /// Adds `username`'s run, which started at `started` and did `report`; `error` says why it
    /// failed, when it did.
    pub fn account(
        &mut self,
        username: &str,
        started: SystemTime,
        report: SyncReport,
        error: Option<String>,
    ) {
        self.accounts.push(AccountRun {
            username: username.to_owned(),
            report,
            error,
            started,
            finished: SystemTime::now(),
        });
    }
}
