//! Mode dispatch: set up the log and the runtime, take the run's locks, then process each user
//! configuration in order (forever with `--watch-with-interval`); outside watch mode the first
//! failing user ends the run.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use icloud_auth::Session;
use icloud_photos::{Library, PhotosClient};
use icloudpd_sync::{SyncEngine, SyncReport, SyncState};
use tracing::{debug, error, info, warn};

use crate::error::{self, CliError};
use crate::logging::{self, APP};
use crate::login::{self, Answerers, Console, RefusedPasswords};
use crate::report::{CliReporter, summary};
use crate::service::Service;
use crate::service::signals::{GRACE, Signals};
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
/// files failed, status 1 after all users ran). SIGTERM or SIGINT ends it cleanly, status 0.
async fn run(settings: &Settings) -> Result<(), CliError> {
    let service = Service::start(settings).await?;
    let signals = &service.signals;
    // One writer at a time, for the whole run (watch mode: the whole process).
    let _locks = match signals.guard(locks::acquire(settings)).await {
        Ok(locks) => locks?,
        Err(signal) => return stopped(signal),
    };
    let users = &settings.users;
    let web = start_web_ui(settings).await?;
    let mut answerers = Answerers {
        console: Console::new(),
        web: web.as_ref().map(|w| w.exchange().clone()),
        refused: RefusedPasswords::new(),
    };
    // Users whose failure only the account holder can fix are not tried again: why.
    let mut stopped_users: Vec<Option<String>> = vec![None; users.len()];
    loop {
        let mut first_failure: Option<CliError> = None;
        let mut incomplete = false;
        let mut pass = service.pass();
        for (i, user) in users.iter().enumerate() {
            let started = SystemTime::now();
            if let Some(why) = &stopped_users[i] {
                pass.account(
                    &user.username,
                    started,
                    SyncReport::default(),
                    Some(why.clone()),
                );
                first_failure.get_or_insert(CliError::stop(String::new()).logged());
                continue;
            }
            info!(target: APP, "Processing user: {}", user.username);
            if let Some(exchange) = &answerers.web {
                exchange.set_current_user(&user.username);
            }
            let mut total = SyncReport::default();
            let outcome = signals
                .guard(run_user(
                    settings,
                    user,
                    &mut answerers,
                    &mut total,
                    &service,
                ))
                .await
                .unwrap_or_else(|signal| Ok(Outcome::Stopped(signal)));
            match outcome {
                Ok(Outcome::Stopped(signal)) => {
                    let why = format!("stopped by {signal} before the run ended");
                    pass.account(&user.username, started, total, Some(why));
                    service.finish(pass)?;
                    return stopped(signal);
                }
                Ok(Outcome::Done) => {
                    if !total.failed.is_empty() {
                        incomplete = true;
                        user.notifications
                            .sync_failed(&user.username, None, total.failed.len())
                            .await;
                    }
                    pass.account(&user.username, started, total, None);
                }
                Err(e) => {
                    // The failure, at ERROR (shown at every --log-level), and its cause.
                    error::log(&e);
                    let why = failure_text(&e);
                    if e.stop {
                        stopped_users[i] = Some(why.clone());
                    }
                    let more = (settings.watch.is_some() && !e.stop) || i + 1 < users.len();
                    if more {
                        error!(
                            target: APP,
                            "Error processing user {}, continuing with next user...", user.username
                        );
                    }
                    let failed_files = total.failed.len();
                    pass.account(&user.username, started, total, Some(why.clone()));
                    // Not for a sign-in alone, nor when nobody could answer the MFA prompt:
                    // `mfa-required` already told.
                    if !user.auth_only && e.exit_code != error::EXIT_MFA_UNANSWERABLE {
                        user.notifications
                            .sync_failed(&user.username, Some(why), failed_files)
                            .await;
                    }
                    first_failure.get_or_insert(e.logged());
                }
            }
        }
        let written = service.finish(pass);
        if settings.watch.is_some() && stopped_users.iter().all(Option::is_some) {
            error!(target: APP, "No user can be processed until the account holder acts; stopping");
            return Err(first_failure.unwrap_or_else(CliError::reported));
        }
        let Some(interval) = settings.watch else {
            return match (first_failure, written) {
                (Some(e), _) | (None, Err(e)) => Err(e),
                (None, Ok(())) if incomplete => Err(CliError::reported()),
                (None, Ok(())) => Ok(()),
            };
        };
        info!(target: APP, "Waiting for {interval} sec...");
        let wait = tokio::time::sleep(Duration::from_secs(interval));
        let waited = match &answerers.web {
            Some(exchange) => {
                exchange.set_waiting(Some(Duration::from_secs(interval)));
                let waited = signals
                    .guard(async {
                        tokio::select! {
                            () = wait => {}
                            () = exchange.resumed() => debug!(target: APP, "Resumed from the web UI"),
                        }
                    })
                    .await;
                exchange.set_waiting(None);
                waited
            }
            None => signals.guard(wait).await,
        };
        if let Err(signal) = waited {
            return stopped(signal);
        }
    }
}

/// A clean stop on `signal`: said at INFO, exit status 0.
fn stopped(signal: &str) -> Result<(), CliError> {
    info!(target: APP, "Stopped by {signal}");
    Ok(())
}

/// The failure in one line for the report and the notification script.
fn failure_text(e: &CliError) -> String {
    if e.message.is_empty() {
        "the run failed (the log says why)".to_owned()
    } else {
        e.message.lines().next().unwrap_or_default().to_owned()
    }
}

/// How one user's run ended, short of a failure.
#[derive(Debug)]
enum Outcome {
    /// It ran to its end (some files may have failed: see the report).
    Done,
    /// A stop signal ended it early.
    Stopped(&'static str),
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

/// One user's run, into `total`.
///
/// When the session expires during the sync, the user signs in again and the sync goes on
/// where it stopped (the same engine, bound to the new session), as long as each session gets
/// further than the last; [`MAX_REAUTHENTICATIONS`] sessions in a row without progress end the
/// run.
async fn run_user(
    settings: &Settings,
    user: &UserSettings,
    answerers: &mut Answerers,
    total: &mut SyncReport,
    service: &Service,
) -> Result<Outcome, CliError> {
    let mut session = login::authenticate(settings, user, answerers).await?;
    service.trust(&user.username, session.trust_expires());
    trust::check(&session, user, answerers.web.as_deref()).await;
    let mut stalled = 0;
    let mut rediscovered = false;
    let mut engine: Option<SyncEngine> = None;
    let mut progress = 0;
    let signals = &service.signals;
    loop {
        let web = answerers.web.as_ref();
        match run_session(&session, settings, user, web, signals, total, &mut engine).await {
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
                service.trust(&user.username, session.trust_expires());
            }
            Err(Failure::Rediscover(e)) if !rediscovered => {
                rediscovered = true;
                debug!(target: APP, "{}; looking the library up again", e.message);
            }
            Err(Failure::Rediscover(e) | Failure::LibraryGone(e) | Failure::Cli(e)) => {
                return Err(e);
            }
            Err(Failure::Stopped(signal)) => return Ok(Outcome::Stopped(signal)),
            Ok(()) => return Ok(Outcome::Done),
        }
    }
}

/// How one pass over a session failed: the session expired (or, for Advanced Data Protection,
/// its keys did) and signing in again may help, the library is not there (any more), or
/// anything else.
enum Failure {
    SessionExpired(CliError),
    /// A stop signal ended the sync.
    Stopped(&'static str),
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
    signals: &Signals,
    total: &mut SyncReport,
    engine: &mut Option<SyncEngine>,
) -> Result<(), Failure> {
    if user.auth_only {
        info!(target: APP, "Authentication completed successfully");
        return Ok(());
    }
    let photos = PhotosClient::new(session)?;
    if let Some(engine) = engine {
        // Signed in again: go on where the sync stopped, without looking the library up.
        engine.rebind(photos);
        return sync(engine, settings, web, signals, total).await;
    }
    // Runs that write nothing (`--dry-run`, `--only-print-filenames`) leave the state alone:
    // they take no directory lock, and another process may be writing it.
    let state = match (&user.state_file, &user.download) {
        (Some(path), Some(o)) if o.mode.writes() => Some(Arc::new(
            SyncState::open(path).map_err(|e| Failure::Cli(e.into()))?,
        )),
        _ => None,
    };
    let known = state
        .as_ref()
        .filter(|_| !user.list_albums && !user.list_libraries)
        .and_then(|s| s.library().ok().flatten());
    let library = match &known {
        // The library of the last complete run: no request to find it.
        Some(handle) => photos.reopen(handle),
        None => match discover(&photos, user).await? {
            Some(library) => library,
            None => return Ok(()),
        },
    };
    let Some(options) = user.download.clone() else {
        return Ok(());
    };
    let reporter = Arc::new(
        CliReporter::new(&settings.display, &options, library.name()).with_web(web.cloned()),
    );
    let mut built = SyncEngine::new(photos, library, options)
        .reporter(reporter)
        .full_scan(user.full_scan)
        .full_scan_interval(user.full_scan_interval);
    if let Some(state) = &state {
        built = built.state(Arc::clone(state));
    }
    let result = sync(engine.insert(built), settings, web, signals, total).await;
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
async fn discover(photos: &PhotosClient, user: &UserSettings) -> Result<Option<Library>, Failure> {
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

/// Runs `engine` into `total`, stopping early when the web UI cancels or a stop signal comes.
///
/// On a signal the engine starts no new file, and those in flight get [`GRACE`] to finish;
/// dropping the run then abandons the rest, each leaving at most a resumable `.part` file.
async fn sync(
    engine: &SyncEngine,
    settings: &Settings,
    web: Option<&Arc<Exchange>>,
    signals: &Signals,
    total: &mut SyncReport,
) -> Result<(), Failure> {
    let _syncing = signals.syncing();
    let cancelled = async {
        match web {
            Some(exchange) => exchange.cancelled().await,
            None => std::future::pending().await,
        }
    };
    let ended = {
        let run = engine.run_into(total);
        tokio::pin!(run);
        tokio::select! {
            result = &mut run => Ended::Finished(result),
            () = cancelled => Ended::Cancelled,
            signal = signals.wait() => {
                info!(target: APP, "{signal} received: finishing the downloads in flight, then stopping");
                engine.stop_handle().stop();
                if tokio::time::timeout(GRACE, &mut run).await.is_err() {
                    warn!(
                        target: APP,
                        "Downloads still in flight after {} s were abandoned: the next run resumes them",
                        GRACE.as_secs()
                    );
                }
                Ended::Stopped(signal)
            }
        }
    };
    if let Some(exchange) = web {
        // As icloudpd after each sync: a resume or cancel pressed during it is spent.
        exchange.clear_requests();
    }
    match ended {
        Ended::Finished(Ok(())) => {
            if !settings.display.only_print_filenames {
                info!(target: APP, "{}", summary(total));
            }
            Ok(())
        }
        Ended::Finished(Err(e)) => Err(e.into()),
        Ended::Cancelled => {
            info!(target: APP, "Iteration was cancelled");
            Ok(())
        }
        Ended::Stopped(signal) => Err(Failure::Stopped(signal)),
    }
}

/// How [`sync`]'s run ended.
enum Ended {
    Finished(Result<(), icloudpd_sync::Error>),
    Cancelled,
    Stopped(&'static str),
}
