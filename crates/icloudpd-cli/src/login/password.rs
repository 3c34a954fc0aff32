//! The password providers (`--password-provider`), asked in order only when a password is
//! needed, and their writers, told when a password worked. An answer Apple refused before in
//! this process is never sent again: the keyring's and `--password` are skipped, a person at
//! the console or in the web UI is asked for another.

use std::sync::Arc;

use icloud_auth::{ExposeSecret, KeyringPasswordStore, SecretString};
use tracing::{debug, error, info, warn};

use super::Console;
use super::console::NoAnswer;
use super::refused::RefusedPasswords;
use crate::error::CliError;
use crate::logging::APP;
use crate::settings::{PasswordProvider, Settings, UserSettings};
use crate::webui::Exchange;

/// Where a password came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    Parameter,
    Keyring,
    Console,
    Web,
}

/// What a person is told when they give a password Apple refused before.
const REFUSED_BEFORE: &str = "Apple refused this password before, so it is not sent again";

impl From<PasswordProvider> for Source {
    fn from(provider: PasswordProvider) -> Source {
        match provider {
            PasswordProvider::Parameter => Source::Parameter,
            PasswordProvider::Keyring => Source::Keyring,
            PasswordProvider::Console => Source::Console,
            PasswordProvider::WebUi => Source::Web,
        }
    }
}

/// One user's password providers.
pub(super) struct Providers<'a> {
    /// The providers, in order.
    order: Vec<Source>,
    /// Whether the keyring is among the configured providers (its writer stores passwords).
    keyring_writes: bool,
    keyring: &'a Result<KeyringPasswordStore, String>,
    user: &'a UserSettings,
    web: Option<Arc<Exchange>>,
}

impl<'a> Providers<'a> {
    pub(super) fn new(
        settings: &'a Settings,
        user: &'a UserSettings,
        web: Option<Arc<Exchange>>,
    ) -> Self {
        let order: Vec<Source> = settings
            .password_providers
            .iter()
            .map(|p| Source::from(*p))
            .collect();
        Providers {
            keyring_writes: order.contains(&Source::Keyring),
            order,
            keyring: &settings.keyring,
            user,
            web,
        }
    }

    /// Whether the web UI is one of the providers.
    pub(super) fn asks_web(&self) -> bool {
        self.web.is_some() && self.order.contains(&Source::Web)
    }

    /// Asks the providers in order; the first non-empty password Apple did not refuse before
    /// wins. Without one, the error says what each provider lacked.
    pub(super) async fn password(
        &self,
        console: &mut Console,
        refused: &RefusedPasswords,
    ) -> Result<(SecretString, Source), CliError> {
        let username = &self.user.username;
        let mut skipped = Vec::new();
        let mut lacking = Vec::new();
        for &source in &self.order {
            let found = match source {
                Source::Parameter => self.user.password.clone().ok_or_else(|| {
                    "no password was given (--password, --password-file or ICLOUDPD_PASSWORD)"
                        .to_owned()
                }),
                Source::Keyring => self.keyring_password(),
                Source::Console => {
                    console_password(console, username, refused).map_err(|e| match e {
                        NoAnswer::Closed => {
                            "there is no terminal to ask on (standard input is closed)".to_owned()
                        }
                        NoAnswer::Empty => "the password typed at the console was empty".to_owned(),
                    })
                }
                Source::Web => self
                    .web_password(refused)
                    .await
                    .ok_or_else(|| "the web UI gave none".to_owned()),
            };
            let password = match found {
                Ok(p) if !p.expose_secret().is_empty() => p,
                Ok(_) => continue,
                Err(reason) => {
                    lacking.push(reason);
                    continue;
                }
            };
            if refused.contains(username, &password) {
                debug!(target: APP, "{REFUSED_BEFORE}: the password from {source:?}");
                skipped.push(source);
                continue;
            }
            return Ok((password, source));
        }
        Err(if skipped.is_empty() {
            CliError::failed(format!(
                "No password available for {username}: {}. Give it with --password-file or ICLOUDPD_PASSWORD (or --password), or store it with `icloud --username {username}`",
                lacking.join("; ")
            ))
        } else {
            refused_again(username, &skipped)
        })
    }

    /// The keyring's password, or what went wrong.
    fn keyring_password(&self) -> Result<SecretString, String> {
        let username = &self.user.username;
        let store = self
            .keyring
            .as_ref()
            .map_err(|e| format!("the keyring cannot be used ({e})"))?;
        match store.get(username) {
            Ok(Some(p)) => Ok(p),
            Ok(None) => Err(match store.location() {
                Ok(place) => format!("the keyring ({place}) holds none for it"),
                Err(_) => "the keyring holds none for it".to_owned(),
            }),
            Err(e) => {
                debug!(target: APP, "keyring lookup failed: {e}");
                Err(format!("the keyring could not be read ({e})"))
            }
        }
    }

    /// Waits for a password in the web UI; one Apple refused before is refused on the page
    /// and another awaited.
    async fn web_password(&self, refused: &RefusedPasswords) -> Option<SecretString> {
        let exchange = self.web.as_deref()?;
        loop {
            let Some(password) = exchange.password().await else {
                error!(target: APP, "Expected NO_INPUT_NEEDED, but got something else");
                return None;
            };
            if !refused.contains(&self.user.username, &password) {
                return Some(password);
            }
            info!(target: APP, "{REFUSED_BEFORE}; waiting for another in the web UI");
            exchange.set_error(&format!("{REFUSED_BEFORE}. Type the right one."));
        }
    }

    /// Hands a password that Apple accepted to the writers: the keyring stores it (when it
    /// is a provider and the password came from elsewhere), the web UI stops asking.
    pub(super) fn accepted(&self, password: &SecretString, source: Source) {
        if source != Source::Keyring && self.keyring_writes {
            save_to_keyring(self.keyring, &self.user.username, password);
        }
        if let Some(exchange) = &self.web {
            exchange.password_accepted();
        }
    }
}

/// The end of the providers when every password they had was refused before: stop this sign-in
/// without asking Apple. A keyring is read again at the next sign-in, so a right password stored
/// there while the program runs is used; `--password` changes only with a restart, so a user
/// with nothing else is not tried again.
fn refused_again(username: &str, skipped: &[Source]) -> CliError {
    let keyring = skipped.contains(&Source::Keyring);
    let parameter = skipped.contains(&Source::Parameter);
    let (which, it) = match (parameter, keyring) {
        (true, true) => (
            "the passwords given with --password and stored in the keyring",
            "they are",
        ),
        (false, true) => ("the password stored in the keyring", "it is"),
        _ => ("the password given with --password", "it is"),
    };
    let intro = format!("Apple refused {which} for {username}, so {it} not sent again.");
    if keyring && parameter {
        CliError::failed(format!(
            "{intro} Store the right one with `icloud --username {username}` (the next run reads it), or restart icloudpd with the right --password"
        ))
    } else if keyring {
        CliError::failed(format!(
            "{intro} Store the right one with `icloud --username {username}`; the next run reads it"
        ))
    } else {
        CliError::stop(format!("{intro} Restart icloudpd with the right one"))
    }
}

/// Asks at the console until the answer is not a password Apple refused before (or there is
/// none).
fn console_password(
    console: &mut Console,
    username: &str,
    refused: &RefusedPasswords,
) -> Result<SecretString, NoAnswer> {
    loop {
        let typed =
            SecretString::from(console.password(&format!("iCloud Password for {username}:"))?);
        if !refused.contains(username, &typed) {
            return Ok(typed);
        }
        console.say(&format!("{REFUSED_BEFORE}. Try again"));
    }
}

fn save_to_keyring(
    keyring: &Result<KeyringPasswordStore, String>,
    username: &str,
    password: &SecretString,
) {
    let saved = keyring
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|s| s.set(username, password).map_err(|e| e.to_string()));
    if let Err(e) = saved {
        debug!(target: APP, "keyring write failed: {e}");
        warn!(target: APP, "Password was not saved to keyring");
    }
}
