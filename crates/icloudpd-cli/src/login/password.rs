//! The password providers (`--password-provider`), asked in order only when a password is
//! needed, and their writers, told when a password worked.

use std::sync::Arc;

use icloud_auth::{ExposeSecret, SecretString};
use tracing::{debug, error, warn};

use super::Console;
use crate::args::GlobalArgs;
use crate::error::CliError;
use crate::logging::APP;
use crate::settings::UserSettings;
use crate::webui::Exchange;

/// Where a password came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    Parameter,
    Keyring,
    Console,
    Web,
}

impl Source {
    fn from_name(name: &str) -> Option<Source> {
        match name {
            "parameter" => Some(Source::Parameter),
            "keyring" => Some(Source::Keyring),
            "console" => Some(Source::Console),
            "webui" => Some(Source::Web),
            _ => None,
        }
    }
}

/// One user's password providers.
pub(super) struct Providers<'a> {
    /// The providers still asked, in order.
    order: Vec<Source>,
    /// Whether the keyring is among the configured providers (its writer stores passwords).
    keyring_writes: bool,
    user: &'a UserSettings,
    web: Option<Arc<Exchange>>,
}

impl<'a> Providers<'a> {
    pub(super) fn new(
        global: &GlobalArgs,
        user: &'a UserSettings,
        web: Option<Arc<Exchange>>,
    ) -> Self {
        let order: Vec<Source> = global
            .password_providers
            .iter()
            .filter_map(|name| Source::from_name(name))
            .collect();
        Providers {
            keyring_writes: order.contains(&Source::Keyring),
            order,
            user,
            web,
        }
    }

    /// Whether the web UI is one of the providers.
    pub(super) fn asks_web(&self) -> bool {
        self.web.is_some() && self.order.contains(&Source::Web)
    }

    /// Keeps only the web UI: after Apple refused a password, the other providers would only
    /// give the same one again.
    pub(super) fn only_web(&mut self) {
        self.order.retain(|s| *s == Source::Web);
    }

    /// Asks the providers in order; the first non-empty password wins.
    pub(super) async fn password(
        &self,
        console: &mut Console,
    ) -> Result<(SecretString, Source), CliError> {
        let username = &self.user.username;
        for &source in &self.order {
            let found = match source {
                Source::Parameter => self.user.password.clone(),
                Source::Keyring => keyring_password(username),
                Source::Console => console
                    .password(&format!("iCloud Password for {username}:"))
                    .map(SecretString::from),
                Source::Web => self.web_password().await,
            };
            if let Some(p) = found.filter(|p| !p.expose_secret().is_empty()) {
                return Ok((p, source));
            }
        }
        Err(CliError::failed(format!(
            "No password available for {username}: give one with --password, store one with `icloud --username {username}`, or add --password-provider console (or webui)"
        )))
    }

    async fn web_password(&self) -> Option<SecretString> {
        let exchange = self.web.as_deref()?;
        let password = exchange.password().await;
        if password.is_none() {
            error!(target: APP, "Expected NO_INPUT_NEEDED, but got something else");
        }
        password
    }

    /// Hands a password that Apple accepted to the writers: the keyring stores it (when it
    /// is a provider and the password came from elsewhere), the web UI stops asking.
    pub(super) fn accepted(&self, password: &SecretString, source: Source) {
        if source != Source::Keyring && self.keyring_writes {
            save_to_keyring(&self.user.username, password);
        }
        if let Some(exchange) = &self.web {
            exchange.password_accepted();
        }
    }
}

fn keyring_password(username: &str) -> Option<SecretString> {
    match crate::keyring::store().and_then(|s| s.get(username).map_err(|e| e.to_string())) {
        Ok(p) => p,
        Err(e) => {
            debug!(target: APP, "keyring lookup failed: {e}");
            None
        }
    }
}

fn save_to_keyring(username: &str, password: &SecretString) {
    let saved =
        crate::keyring::store().and_then(|s| s.set(username, password).map_err(|e| e.to_string()));
    if let Err(e) = saved {
        debug!(target: APP, "keyring write failed: {e}");
        warn!(target: APP, "Password was not saved to keyring");
    }
}
