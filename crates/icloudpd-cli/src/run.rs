//! Mode dispatch: set up the log and the runtime, take the run's locks, then process each user
//! configuration in order (forever with `--watch-with-interval`); outside watch mode the first
//! failing user ends the run.

use std::sync::Arc;
use std::time::Duration;

use icloud_auth::Session;
use icloud_photos::{Library, PhotosClient, SHARED_ALBUMS, SharedAlbums};
use icloudpd_sync::{SharedAlbumsSync, SyncEngine, SyncReport, SyncState};
use tracing::{debug, error, info, warn};

use crate::error::{self, CliError};
use crate::logging::{self, APP};
use crate::login::{self, Answerers, Console, RefusedPasswords};
use crate::report::{CliReporter, summary};
use crate::settings::{Settings, UserSettings};
use crate::webui::{Exchange, WebUi};
use crate::{locks, trust};

/// How many times in a row one user's sync signs in again after the session expired without
/// getting any further.
const MAX_REAUTHENTICATIONS: u32 = 3;

/// Runs what `settings` asks for: installs the log, says the settings' warnings, and runs every
/// user configuration on a multi-threaded runtime.
pub fn main(settings: &Settings) -> Result<(), CliError> {
    logging::init(&settings.log);
    for warning in &settings.warnings {
        warn!(target: APP, "{warning}");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failed(format!("Cannot start: {e}")))?;
    runtime.block_on(run(settings))
}

/// Runs every user configuration. One user's failure does not stop the others: the run goes
/// on with the next user and ends with the first failure's exit status (or, when only some
/// files failed, status 1 after all users ran).
async fn run(settings: &Settings) -> Result<(), CliError> {
    // One writer at a time, for the whole run (watch mode: the whole process).
    let _locks = locks::acquire(settings).await?;
    let users = &settings.users;
    let web = start_web_ui(settings).await?;
    let mut answerers = Answerers {
        console: Console::new(),
        web: web.as_ref().map(|w| w.exchange().clone()),
        refused: RefusedPasswords::new(),
    };
    // Users whose failure only the account holder can fix are not tried again.
    let mut stopped = vec![false; users.len()];
    loop {
        let mut first_failure: Option<CliError> = None;
        let mut incomplete = false;
        for (i, user) in users.iter().enumerate() {
            if stopped[i] {
                first_failure.get_or_insert(CliError::stop(String::new()).logged());
                continue;
            }
            info!(target: APP, "Processing user: {}", user.username);
            if let Some(exchange) = &answerers.web {
                exchange.set_current_user(&user.username);
            }
            match run_user(settings, user, &mut answerers).await {
                Ok(complete) => incomplete |= !complete,
                Err(e) => {
                    // The failure, at ERROR (shown at every --log-level), and its cause.
                    error::log(&e);
                    stopped[i] |= e.stop;
                    let more = (settings.watch.is_some() && !e.stop) || i + 1 < users.len();
                    if more {
                        error!(
                            target: APP,
                            "Error processing user {}, continuing with next user...", user.username
                        );
                    }
                    first_failure.get_or_insert(e.logged());
                }
            }
        }
        if settings.watch.is_some() && !stopped.is_empty() && stopped.iter().all(|s| *s) {
            error!(target: APP, "No user can be processed until the account holder acts; stopping");
            return Err(first_failure.unwrap_or_else(CliError::reported));
        }
        let Some(interval) = settings.watch else {
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
async fn start_web_ui(settings: &Settings) -> Result<Option<WebUi>, CliError> {
    let Some(listen) = &settings.web_ui else {
        return Ok(None);
    };
    let providers: Vec<&str> = settings
        .password_providers
        .iter()
        .map(|p| p.name())
        .collect();
    let mut overview = vec![
        format!("Password providers: {}", providers.join(", ")),
        format!("MFA provider: {}", settings.mfa_provider.name()),
    ];
    if let Some(interval) = settings.watch {
        overview.push(format!("Runs every {interval} seconds"));
    }
    for user in &settings.users {
        let what = match &user.download {
            Some(o) => format!("downloads to {}", o.directory.display()),
            None if user.auth_only => "authentication only".to_owned(),
            None => "listing only".to_owned(),
        };
        overview.push(format!("{}: {what}", user.username));
    }
    match WebUi::start(listen.clone(), overview).await {
        Ok(web) => Ok(Some(web)),
        Err(e) => Err(CliError::failed(format!(
            "Cannot start the web UI: {e}. Choose another address with --webui-host or --webui-port"
        ))),
    }
}

/// One user's run. `Ok(false)` when some files could not be mirrored.
///
/// When the session expires during the sync, the user signs in again and the sync goes on
/// where it stopped (the same engine, bound to the new session), as long as each session gets
/// further than the last; [`MAX_REAUTHENTICATIONS`] sessions in a row without progress end the
/// run.
async fn run_user(
    settings: &Settings,
    user: &UserSettings,
    answerers: &mut Answerers,
) -> Result<bool, CliError> {
    let mut session = login::authenticate(settings, user, answerers).await?;
    trust::check(&session, user, answerers.web.as_deref()).await;
    let mut stalled = 0;
    let mut rediscovered = false;
    let mut engine: Option<SyncEngine> = None;
    let mut progress = 0;
    // One report over the passes of this user's run.
    let mut total = SyncReport::default();
    loop {
        let web = answerers.web.as_ref();
        match run_session(&session, settings, user, web, &mut total, &mut engine).await {
            Err(Failure::SessionExpired(e)) => {
                let now = engine.as_ref().map_or(0, SyncEngine::progress);
                stalled = if now > progress { 0 } else { stalled + 1 };
                progress = now;
                if stalled >= MAX_REAUTHENTICATIONS {
                    return Err(e);
                }
                error!(target: APP, "Session error, re-authenticating...");
                debug!(target: APP, "{}", e.message);
                session = login::authenticate(settings, user, answerers).await?;
            }
            Err(Failure::Rediscover(e)) if !rediscovered => {
                rediscovered = true;
                debug!(target: APP, "{}; looking the library up again", e.message);
            }
            Err(Failure::Rediscover(e) | Failure::LibraryGone(e) | Failure::Cli(e)) => {
                return Err(e);
            }
            Ok(complete) => return Ok(complete),
        }
    }
}

/// How one pass over a session failed: the session expired (or, for Advanced Data Protection,
/// its keys did) and signing in again may help, the library is not there (any more), or
/// anything else.
enum Failure {
    SessionExpired(CliError),
    LibraryGone(CliError),
    /// The library the sync state named is gone; it was forgotten, look it up again.
    Rediscover(CliError),
    Cli(CliError),
}

impl From<CliError> for Failure {
    fn from(e: CliError) -> Self {
        Failure::Cli(e)
    }
}

impl From<icloud_photos::Error> for Failure {
    fn from(e: icloud_photos::Error) -> Self {
        if e.needs_reauth() {
            Failure::SessionExpired(e.into())
        } else {
            Failure::Cli(e.into())
        }
    }
}

impl From<icloudpd_sync::Error> for Failure {
    fn from(e: icloudpd_sync::Error) -> Self {
        if e.needs_reauth() {
            Failure::SessionExpired(e.into())
        } else if matches!(
            e,
            icloudpd_sync::Error::Photos(icloud_photos::Error::NotFound { .. })
        ) {
            Failure::LibraryGone(e.into())
        } else {
            Failure::Cli(e.into())
        }
    }
}

/// What one user asked for, in icloudpd's order of precedence. A sync continues in `engine`
/// when an earlier session started it.
async fn run_session(
    session: &Session,
    settings: &Settings,
    user: &UserSettings,
    web: Option<&Arc<Exchange>>,
    total: &mut SyncReport,
    engine: &mut Option<SyncEngine>,
) -> Result<bool, Failure> {
    if user.auth_only {
        info!(target: APP, "Authentication completed successfully");
        return Ok(true);
    }
    if user.library == SHARED_ALBUMS && !user.list_libraries {
        return run_shared(session, settings, user, web, total).await;
    }
    let photos = PhotosClient::new(session)?;
    if let Some(engine) = engine {
        // Signed in again: go on where the sync stopped, without looking the library up.
        engine.rebind(photos);
        return sync(engine, settings, web, total).await;
    }
    // Runs that write nothing (`--dry-run`, `--only-print-filenames`) leave the state alone:
    // they take no directory lock, and another process may be writing it.
    let state = open_state(user)?;
    let known = state
        .as_ref()
        .filter(|_| !user.list_albums && !user.list_libraries)
        .and_then(|s| s.library().ok().flatten());
    let library = match &known {
        // The library of the last complete run: no request to find it.
        Some(handle) => photos.reopen(handle),
        None => match discover(session, &photos, user).await? {
            Some(library) => library,
            None => return Ok(true),
        },
    };
    let Some(options) = user.download.clone() else {
        return Ok(true);
    };
    let reporter = Arc::new(CliReporter::new(&settings.display).with_web(web.cloned()));
    let mut built = SyncEngine::new(photos, library, options)
        .reporter(reporter)
        .full_scan(user.full_scan)
        .full_scan_interval(user.full_scan_interval);
    if let Some(state) = &state {
        built = built.state(Arc::clone(state));
    }
    let result = sync(engine.insert(built), settings, web, total).await;
    match (result, &state) {
        // The library the state named is gone (made anew, say): look it up again.
        (Err(Failure::LibraryGone(e)), Some(state)) if known.is_some() => {
            *engine = None;
            state.forget_library().map_err(|e| Failure::Cli(e.into()))?;
            Err(Failure::Rediscover(e))
        }
        (Err(Failure::LibraryGone(e)), _) => Err(Failure::Cli(e)),
        (result, _) => result,
    }
}

/// Opens the library `user` names, answering `--list-libraries` and `--list-albums` on the
/// way; `None` when one of those was the job.
async fn discover(
    session: &Session,
    photos: &PhotosClient,
    user: &UserSettings,
) -> Result<Option<Library>, Failure> {
    // icloudpd touches the personal library first: a library still indexing stops the run.
    photos.primary().await?;
    if user.list_libraries {
        let mut names: Vec<String> = photos
            .libraries()
            .await?
            .iter()
            .map(|l| l.name().to_owned())
            .collect();
        // Shared albums are offered as a pseudo-library when the account has the service.
        if SharedAlbums::new(session)?.is_some() {
            names.push(SHARED_ALBUMS.to_owned());
        }
        println!("{}", names.join("\n"));
        return Ok(None);
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
        return Ok(None);
    }
    Ok(Some(library))
}

/// The sync state of `user`'s download. Runs that write nothing (`--dry-run`,
/// `--only-print-filenames`) leave the state alone: they take no directory lock, and another
/// process may be writing it.
fn open_state(user: &UserSettings) -> Result<Option<Arc<SyncState>>, Failure> {
    Ok(match (&user.state_file, &user.download) {
        (Some(path), Some(o)) if !o.dry_run && !o.only_print_filenames => Some(Arc::new(
            SyncState::open(path).map_err(|e| Failure::Cli(e.into()))?,
        )),
        _ => None,
    })
}

/// `--library SharedAlbums`: lists the shared albums (`--list-albums`) or mirrors them, one
/// folder per album. An account without the service has no shared albums: a warning.
async fn run_shared(
    session: &Session,
    settings: &Settings,
    user: &UserSettings,
    web: Option<&Arc<Exchange>>,
    total: &mut SyncReport,
) -> Result<bool, Failure> {
    let Some(shared) = SharedAlbums::new(session)? else {
        warn!(
            target: APP,
            "{} has no shared albums: iCloud offers this account no shared albums service",
            user.username
        );
        return Ok(true);
    };
    if user.list_albums {
        let albums = shared.albums().await?;
        let lines: Vec<String> = albums
            .iter()
            .map(|a| {
                let repeated = albums.iter().filter(|b| b.name() == a.name()).count() > 1;
                if repeated {
                    format!("{} ({})", a.name(), a.guid())
                } else {
                    a.name().to_owned()
                }
            })
            .collect();
        println!("Albums:\n{}", lines.join("\n"));
        return Ok(true);
    }
    let Some(options) = user.download.clone() else {
        return Ok(true);
    };
    let state = open_state(user)?;
    let reporter = Arc::new(CliReporter::new(&settings.display).with_web(web.cloned()));
    let mut engine = SharedAlbumsSync::new(shared, options)
        .reporter(reporter)
        .full_scan(user.full_scan)
        .full_scan_interval(user.full_scan_interval);
    if let Some(state) = state {
        engine = engine.state(state);
    }
    let mut report = SyncReport::default();
    let result = until_cancelled(web, engine.run_into(&mut report)).await;
    total.merge(report);
    match result {
        Some(Ok(())) => Ok(finished(total, settings)),
        Some(Err(e)) => Err(e.into()),
        None => Ok(total.failed.is_empty()),
    }
}

/// Runs `run` to its end, or until the web UI cancels (`None`). Dropping the run aborts its
/// downloads; each leaves at most a `.part` file.
async fn until_cancelled<T>(
    web: Option<&Arc<Exchange>>,
    run: impl std::future::Future<Output = T>,
) -> Option<T> {
    let Some(exchange) = web else {
        return Some(run.await);
    };
    let finished = tokio::select! {
        r = run => Some(r),
        () = exchange.cancelled() => None,
    };
    // As icloudpd after each sync: a resume or cancel pressed during it is spent.
    exchange.clear_requests();
    if finished.is_none() {
        info!(target: APP, "Iteration was cancelled");
    }
    finished
}

/// Runs `engine` into `total`, stopping early when the web UI cancels.
async fn sync(
    engine: &SyncEngine,
    settings: &Settings,
    web: Option<&Arc<Exchange>>,
    total: &mut SyncReport,
) -> Result<bool, Failure> {
    match until_cancelled(web, engine.run_into(total)).await {
        Some(Ok(())) => Ok(finished(total, settings)),
        Some(Err(e)) => Err(e.into()),
        None => Ok(total.failed.is_empty()),
    }
}

/// Logs the summary; `false` when some assets failed.
fn finished(report: &SyncReport, settings: &Settings) -> bool {
    if !settings.display.only_print_filenames {
        info!(target: APP, "{}", summary(report));
    }
    report.failed.is_empty()
}
