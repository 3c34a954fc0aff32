//! Mode dispatch: process each user configuration in order (forever with
//! `--watch-with-interval`); outside watch mode the first failing user ends the run.

use std::sync::Arc;
use std::time::Duration;

use icloud_auth::{AuthClient, Region, Session};
use icloud_photos::PhotosClient;
use icloudpd_sync::{SyncEngine, SyncReport};
use tracing::{debug, error, info};

use crate::args::GlobalArgs;
use crate::error::CliError;
use crate::logging::APP;
use crate::login::{self, Answerers, Console};
use crate::report::{CliReporter, summary};
use crate::settings::UserSettings;
use crate::webui::{Exchange, WebUi};

/// How often one user's sync signs in again after the session expired mid-run.
const MAX_REAUTHENTICATIONS: u32 = 3;

/// Runs every user configuration. One user's failure does not stop the others: the run goes
/// on with the next user and ends with the first failure's exit status (or, when only some
/// files failed, status 1 after all users ran).
pub async fn run(global: &GlobalArgs, users: &[UserSettings]) -> Result<(), CliError> {
    let region = Region::from_domain(&global.domain).map_err(CliError::from)?;
    let mut builder = AuthClient::builder().region(region);
    if let Some(id) = std::env::var("CLIENT_ID").ok().filter(|v| !v.is_empty()) {
        builder = builder.client_id(id);
    }
    let client = builder.build()?;
    let web = start_web_ui(global, users).await?;
    let mut answerers = Answerers {
        console: Console::new(),
        web: web.as_ref().map(|w| w.exchange().clone()),
    };
    loop {
        let mut first_failure: Option<CliError> = None;
        let mut incomplete = false;
        for (i, user) in users.iter().enumerate() {
            info!(target: APP, "Processing user: {}", user.username);
            if let Some(exchange) = &answerers.web {
                exchange.set_current_user(&user.username);
            }
            match run_user(&client, global, user, &mut answerers).await {
                Ok(complete) => incomplete |= !complete,
                Err(e) => {
                    if !e.message.is_empty() {
                        info!(target: APP, "{}", e.message);
                    }
                    let more = global.watch_with_interval.is_some() || i + 1 < users.len();
                    if more {
                        error!(
                            target: APP,
                            "Error processing user {}, continuing with next user...", user.username
                        );
                    }
                    first_failure.get_or_insert(CliError {
                        message: String::new(),
                        exit_code: e.exit_code,
                    });
                }
            }
        }
        let Some(interval) = global.watch_with_interval else {
            return match first_failure {
                Some(e) => Err(e),
                None if incomplete => Err(CliError::reported()),
                None => Ok(()),
            };
        };
        info!(target: APP, "Waiting for {interval} sec...");
        let wait = tokio::time::sleep(Duration::from_secs(interval));
        match &answerers.web {
            Some(exchange) => {
                exchange.set_waiting(Some(Duration::from_secs(interval)));
                tokio::select! {
                    () = wait => {}
                    () = exchange.resumed() => debug!(target: APP, "Resumed from the web UI"),
                }
                exchange.set_waiting(None);
            }
            None => wait.await,
        }
    }
}

/// Starts the web UI when a provider needs it.
async fn start_web_ui(
    global: &GlobalArgs,
    users: &[UserSettings],
) -> Result<Option<WebUi>, CliError> {
    let wanted =
        global.mfa_provider == "webui" || global.password_providers.iter().any(|p| p == "webui");
    if !wanted {
        return Ok(None);
    }
    let mut overview = vec![
        format!(
            "Password providers: {}",
            global.password_providers.join(", ")
        ),
        format!("MFA provider: {}", global.mfa_provider),
    ];
    if let Some(interval) = global.watch_with_interval {
        overview.push(format!("Runs every {interval} seconds"));
    }
    for user in users {
        let what = match &user.download {
            Some(o) => format!("downloads to {}", o.directory.display()),
            None if user.auth_only => "authentication only".to_owned(),
            None => "listing only".to_owned(),
        };
        overview.push(format!("{}: {what}", user.username));
    }
    match WebUi::start(&global.webui_host, global.webui_port, overview).await {
        Ok(web) => Ok(Some(web)),
        Err(e) => Err(CliError::failed(format!(
            "Cannot start the web UI: {e}. Choose another address with --webui-host or --webui-port"
        ))),
    }
}

/// One user's run. `Ok(false)` when some files could not be mirrored.
async fn run_user(
    client: &AuthClient,
    global: &GlobalArgs,
    user: &UserSettings,
    answerers: &mut Answerers,
) -> Result<bool, CliError> {
    let mut session = login::authenticate(client, global, user, answerers).await?;
    let mut reauthentications = 0;
    // One report over the passes of this user's run.
    let mut total = SyncReport::default();
    loop {
        match run_session(&session, global, user, answerers.web.as_ref(), &mut total).await {
            Err(Failure::SessionExpired(e)) if reauthentications < MAX_REAUTHENTICATIONS => {
                reauthentications += 1;
                error!(target: APP, "Session error, re-authenticating...");
                debug!(target: APP, "{e}");
                session = login::authenticate(client, global, user, answerers).await?;
            }
            Err(Failure::SessionExpired(e)) => return Err(e.into()),
            Err(Failure::Cli(e)) => return Err(e),
            Ok(complete) => return Ok(complete),
        }
    }
}

enum Failure {
    SessionExpired(icloudpd_sync::Error),
    Cli(CliError),
}

impl<E: Into<CliError>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Cli(e.into())
    }
}

/// What one user asked for, in icloudpd's order of precedence.
async fn run_session(
    session: &Session,
    global: &GlobalArgs,
    user: &UserSettings,
    web: Option<&Arc<Exchange>>,
    total: &mut SyncReport,
) -> Result<bool, Failure> {
    if user.auth_only {
        info!(target: APP, "Authentication completed successfully");
        return Ok(true);
    }
    let photos = PhotosClient::new(session)?;
    // icloudpd touches the personal library first: a library still indexing stops the run.
    photos.primary().await?;
    if user.list_libraries {
        let names: Vec<String> = photos
            .libraries()
            .await?
            .iter()
            .map(|l| l.name().to_owned())
            .collect();
        println!("{}", names.join("\n"));
        return Ok(true);
    }
    let library = match photos.library(&user.library).await {
        Ok(library) => library,
        Err(icloud_photos::Error::NotFound { .. }) => {
            error!(target: APP, "Unknown library: {}", user.library);
            return Err(CliError::reported().into());
        }
        Err(e) => return Err(e.into()),
    };
    if user.list_albums {
        let names: Vec<String> = library
            .albums()
            .await?
            .iter()
            .map(|a| a.name().to_owned())
            .collect();
        println!("Albums:\n{}", names.join("\n"));
        return Ok(true);
    }
    let Some(options) = user.download.clone() else {
        return Ok(true);
    };
    let reporter = Arc::new(CliReporter::new(global).with_web(web.cloned()));
    let engine = SyncEngine::new(photos, library, options).reporter(reporter);
    let result = match web {
        Some(exchange) => {
            // `None`: cancelled. Dropping the run aborts its downloads; each leaves at most a
            // `.part` file.
            let finished = tokio::select! {
                r = engine.run_into(total) => Some(r),
                () = exchange.cancelled() => None,
            };
            // As icloudpd after each sync: a resume or cancel pressed during it is spent.
            exchange.clear_requests();
            match finished {
                Some(result) => result,
                None => {
                    info!(target: APP, "Iteration was cancelled");
                    return Ok(total.failed.is_empty());
                }
            }
        }
        None => engine.run_into(total).await,
    };
    match result {
        Ok(()) => Ok(finished(total, global)),
        Err(e) if e.needs_reauth() => Err(Failure::SessionExpired(e)),
        Err(e) => Err(e.into()),
    }
}

/// Logs the summary; `false` when some assets failed.
fn finished(report: &SyncReport, global: &GlobalArgs) -> bool {
    if !global.only_print_filenames {
        info!(target: APP, "{}", summary(report));
    }
    report.failed.is_empty()
}
