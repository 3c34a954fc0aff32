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
use crate::login::{self, Console};
use crate::report::{CliReporter, summary};
use crate::settings::UserSettings;

/// How often one user's sync signs in again after the session expired mid-run.
const MAX_REAUTHENTICATIONS: u32 = 3;

/// Runs every user configuration; returns the first failure (or, when only some files
/// failed, a failure after all users ran).
pub async fn run(global: &GlobalArgs, users: &[UserSettings]) -> Result<(), CliError> {
    let region = Region::from_domain(&global.domain).map_err(CliError::from)?;
    let mut builder = AuthClient::builder().region(region);
    if let Some(id) = std::env::var("CLIENT_ID").ok().filter(|v| !v.is_empty()) {
        builder = builder.client_id(id);
    }
    let client = builder.build()?;
    let mut console = Console::new();
    loop {
        let mut incomplete = false;
        for user in users {
            info!(target: APP, "Processing user: {}", user.username);
            match run_user(&client, global, user, &mut console).await {
                Ok(complete) => incomplete |= !complete,
                Err(e) if global.watch_with_interval.is_some() => {
                    if !e.message.is_empty() {
                        info!(target: APP, "{}", e.message);
                    }
                    error!(
                        target: APP,
                        "Error processing user {}, continuing with next user...", user.username
                    );
                }
                Err(e) => return Err(e),
            }
        }
        let Some(interval) = global.watch_with_interval else {
            return if incomplete {
                Err(CliError::reported())
            } else {
                Ok(())
            };
        };
        info!(target: APP, "Waiting for {interval} sec...");
        tokio::time::sleep(Duration::from_secs(interval)).await;
    }
}

/// One user's run. `Ok(false)` when some files could not be mirrored.
async fn run_user(
    client: &AuthClient,
    global: &GlobalArgs,
    user: &UserSettings,
    console: &mut Console,
) -> Result<bool, CliError> {
    let mut session = login::authenticate(client, global, user, console).await?;
    let mut reauthentications = 0;
    // One report over the passes of this user's run.
    let mut total = SyncReport::default();
    loop {
        match run_session(&session, global, user, &mut total).await {
            Err(Failure::SessionExpired(e)) if reauthentications < MAX_REAUTHENTICATIONS => {
                reauthentications += 1;
                error!(target: APP, "Session error, re-authenticating...");
                debug!(target: APP, "{e}");
                session = login::authenticate(client, global, user, console).await?;
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
    let reporter = Arc::new(CliReporter::new(global));
    let engine = SyncEngine::new(photos, library, options).reporter(reporter);
    match engine.run_into(total).await {
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
