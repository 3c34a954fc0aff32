//! Authentication for one user: the stored session first, then a password from the providers
//! in order, then a second factor from the console or the web UI. Never hangs when nobody can
//! answer, and never sends a refused password to Apple twice in one process, whichever
//! provider gives it (watch mode included).

mod adp;
mod console;
mod password;
mod refused;
mod web;

use std::sync::Arc;

use icloud_auth::{
    AuthClient, Error as AuthError, FileSessionStore, Session, SignIn, TwoFactorChallenge,
};
use tracing::{debug, info, warn};

use crate::error::CliError;
use crate::logging::APP;
use crate::settings::{MfaProvider, Settings, UserSettings};
use crate::webui::Exchange;

pub use console::Console;
use password::Providers;
pub use refused::RefusedPasswords;

/// Who can answer a question: the console, and the web UI when it runs; and which answers
/// Apple refused, for the whole run.
pub struct Answerers {
    pub console: Console,
    pub web: Option<Arc<Exchange>>,
    pub refused: RefusedPasswords,
}

/// Why one sign-in attempt failed.
enum Failure {
    /// Apple refused the password.
    Password(CliError),
    /// Anything else.
    Other(CliError),
}

/// Signs `user` in, reusing the stored session when Apple still accepts it.
///
/// A password Apple refuses is remembered for the process's lifetime and never sent again (see
/// [`RefusedPasswords`]). With the web UI among the password providers, a refused password is
/// shown there and a new one awaited; with the web UI in use, other failures that happened
/// while it was checking an answer are shown there and the sign-in starts over (icloudpd's
/// loop).
pub async fn authenticate(
    settings: &Settings,
    user: &UserSettings,
    answerers: &mut Answerers,
) -> Result<Session, CliError> {
    debug!(target: APP, "Authenticating...");
    let store = Arc::new(FileSessionStore::new(&user.cookie_directory));
    let web_mfa = answerers
        .web
        .clone()
        .filter(|_| settings.mfa_provider == MfaProvider::WebUi);
    let providers = Providers::new(settings, user, answerers.web.clone());
    loop {
        let failure = match attempt(
            &settings.client,
            &store,
            user,
            &providers,
            answerers,
            web_mfa.as_deref(),
        )
        .await
        {
            Ok(session) => return Ok(session),
            Err(failure) => failure,
        };
        let web = answerers.web.as_deref();
        let retry = match &failure {
            Failure::Password(e) => {
                if let Some(w) = web {
                    w.set_error(&e.message);
                }
                providers.asks_web()
            }
            // Only the account holder can fix these: asking again changes nothing.
            Failure::Other(e) if e.stop => {
                if let Some(w) = web {
                    w.set_error(&e.message);
                }
                false
            }
            Failure::Other(e) => web.is_some_and(|w| w.set_error(&e.message)),
        };
        let (Failure::Password(e) | Failure::Other(e)) = failure;
        if !retry {
            return Err(e);
        }
        info!(target: APP, "{}", e.message);
    }
}

/// One pass: stored session or password, then the second factor.
async fn attempt(
    client: &AuthClient,
    store: &Arc<FileSessionStore>,
    user: &UserSettings,
    providers: &Providers<'_>,
    answerers: &mut Answerers,
    web_mfa: Option<&Exchange>,
) -> Result<Session, Failure> {
    let other = |e: CliError| Failure::Other(e);
    let resumed = client
        .resume(&user.username, store.clone())
        .await
        .map_err(|e| other(e.into()))?;
    let signed_in = match resumed {
        Some(s) => s,
        None => {
            let (password, source) = providers
                .password(&mut answerers.console, &answerers.refused)
                .await
                .map_err(other)?;
            match client
                .sign_in(&user.username, &password, store.clone())
                .await
            {
                Ok(s) => {
                    providers.accepted(&password, source);
                    s
                }
                Err(e @ (AuthError::InvalidCredentials | AuthError::SignInRefused { .. })) => {
                    answerers.refused.remember(&user.username, &password);
                    return Err(Failure::Password(e.into()));
                }
                Err(e) => return Err(other(e.into())),
            }
        }
    };
    let session = match signed_in {
        SignIn::Complete(session) => Ok(session),
        SignIn::TwoFactor(challenge) => {
            info!(target: APP, "Two-factor authentication is required (2fa)");
            user.notifications.mfa_required(&user.username).await;
            let session = match web_mfa {
                Some(exchange) => web::two_factor(challenge, exchange).await,
                None => console::two_factor(challenge, &mut answerers.console).await,
            }
            .map_err(other)?;
            info!(
                target: APP,
                "Great, you're all set up. The script can now be run without user interaction until 2FA expires.\nYou can set up email notifications for when the two-factor authentication expires.\n(Use --help to view information about SMTP options.)"
            );
            Ok(session)
        }
        SignIn::TwoStep(challenge) => {
            // The web UI handles HSA2 only; two-step accounts use the console, as in icloudpd.
            info!(target: APP, "Two-step authentication is required (2sa)");
            user.notifications.mfa_required(&user.username).await;
            let session = console::two_step(challenge, &mut answerers.console)
                .await
                .map_err(other)?;
            info!(
                target: APP,
                "Great, you're all set up. The script can now be run without user interaction until 2SA expires.\nYou can set up email notifications for when the two-step authentication expires.\n(Use --help to view information about SMTP options.)"
            );
            Ok(session)
        }
        _ => Err(other(CliError::failed("Unsupported sign-in state"))),
    }?;
    adp::ensure_web_access(&session, answerers.web.as_deref())
        .await
        .map_err(other)?;
    Ok(session)
}

/// Asks Apple to show a code on the trusted devices (needed since 2026). A refusal is not
/// fatal: a code may still arrive, or the user may choose SMS.
async fn request_push(challenge: &TwoFactorChallenge) -> Result<(), CliError> {
    match challenge.request_code().await {
        Ok(()) => debug!(target: APP, "2FA push notification triggered"),
        Err(e @ (AuthError::Throttled { .. } | AuthError::Transport(_))) => return Err(e.into()),
        Err(other) => {
            warn!(target: APP, "Could not ask the trusted devices to show a code: {other}")
        }
    }
    Ok(())
}
