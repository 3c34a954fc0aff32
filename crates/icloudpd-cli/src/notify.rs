//! Telling the user that a second factor is needed, or soon will be: `--notification-script`
//! and the `--smtp-*` e-mail, fired before every MFA prompt (auth.md §15) and when the trust
//! Apple gave this session runs out within `--mfa-expiry-warning-days`.
//!
//! The script runs first, then the e-mail goes out. Each failure is logged, never returned:
//! authentication goes on either way, and a script that cannot start does not stop the e-mail
//! (in icloudpd both share one `try`, so it does; see docs/compatibility.md). The script gets
//! `ICLOUDPD_EVENT` (`mfa-required`, `trust-expiring` or `sync-failed`), `ICLOUDPD_USERNAME`
//! and the event's details in its environment: `ICLOUDPD_TRUST_EXPIRES` (`YYYY-MM-DD`) for
//! `trust-expiring`; `ICLOUDPD_ERROR` (one line, empty when only some files failed) and
//! `ICLOUDPD_FAILED_FILES` (a count) for `sync-failed`. A failed sync runs the script only:
//! the e-mail stays icloudpd's MFA message.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use icloud_auth::{ExposeSecret, SecretString};
use lettre::address::{Address, AddressError, Envelope};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tracing::{debug, error, info};

use crate::logging::APP;

/// Longest the whole SMTP exchange may take (lettre's own timeout only covers the connect).
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);
/// The e-mail's subject, as icloudpd writes it.
const SUBJECT: &str = "icloud_photos_downloader: Two step authentication has expired";

/// The variables that may hold a secret for this program, kept from the script.
const SECRET_VARIABLES: [&str; 3] = [
    "ICLOUDPD_PASSWORD",
    "ICLOUDPD_SMTP_PASSWORD",
    "ICLOUDPD_WEBUI_TOKEN",
];

/// What a notification is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A second factor is needed now.
    MfaRequired,
    /// Apple's trust of the session ends on this day (local date).
    TrustExpiring { expires: chrono::NaiveDate },
    /// A run failed (`error`), or ended with `failed_files` files not mirrored.
    SyncFailed {
        error: Option<String>,
        failed_files: usize,
    },
}

impl Event {
    /// The value of `ICLOUDPD_EVENT`.
    fn name(&self) -> &'static str {
        match self {
            Event::MfaRequired => "mfa-required",
            Event::TrustExpiring { .. } => "trust-expiring",
            Event::SyncFailed { .. } => "sync-failed",
        }
    }

    /// The environment the script gets.
    fn environment(&self, username: &str) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("ICLOUDPD_EVENT", self.name().to_owned()),
            ("ICLOUDPD_USERNAME", username.to_owned()),
        ];
        match self {
            Event::MfaRequired => {}
            Event::TrustExpiring { expires } => {
                env.push(("ICLOUDPD_TRUST_EXPIRES", expires.to_string()));
            }
            Event::SyncFailed {
                error,
                failed_files,
            } => {
                // One line: a script reads it with `$ICLOUDPD_ERROR` without surprises.
                let line = error
                    .as_deref()
                    .unwrap_or_default()
                    .replace(['\r', '\n'], " ");
                env.push(("ICLOUDPD_ERROR", line));
                env.push(("ICLOUDPD_FAILED_FILES", failed_files.to_string()));
            }
        }
        env
    }
}

/// One user's notification settings.
#[derive(Debug, Clone, Default)]
pub struct Notifications {
    /// Program run (no arguments) when MFA is required.
    pub script: Option<PathBuf>,
    /// The e-mail to send, when `--smtp-username` or `--notification-email` is given.
    pub email: Option<Email>,
}

/// Where and how the MFA e-mail is sent.
#[derive(Clone)]
pub struct Email {
    /// SMTP server (`--smtp-host`).
    pub host: String,
    /// SMTP port (`--smtp-port`), connected to in plain text.
    pub port: u16,
    /// STARTTLS before anything else (off with `--smtp-no-tls`).
    pub starttls: bool,
    /// LOGIN credentials, only when both SMTP username and password are given.
    pub login: Option<(String, SecretString)>,
    /// Header sender, e.g. `iCloud Photos Downloader <jdoe@gmail.com>`; its address is the
    /// envelope sender.
    pub from: String,
    /// Envelope and header recipient.
    pub to: String,
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Email")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("starttls", &self.starttls)
            .field("login", &self.login.as_ref().map(|(user, _)| user))
            .field("from", &self.from)
            .field("to", &self.to)
            .finish()
    }
}

impl Notifications {
    /// Tells that a second factor is needed: runs the script, then sends the e-mail. Each
    /// failure is logged (ERROR `Notification of the required MFA failed`, then DEBUG the
    /// cause), never returned: authentication goes on, and a script that cannot start does not
    /// stop the e-mail.
    pub async fn mfa_required(&self, username: &str) {
        self.notify(username, Event::MfaRequired).await;
    }

    /// Tells that Apple's trust of the session ends on `expires`, as
    /// [`Notifications::mfa_required`] does; `true` when the script ran or the e-mail went out.
    pub async fn trust_expiring(&self, username: &str, expires: chrono::NaiveDate) -> bool {
        self.notify(username, Event::TrustExpiring { expires })
            .await
    }

    /// Tells the script (not the e-mail, which is icloudpd's MFA message) that a run failed
    /// with `error`, or ended with `failed_files` files not mirrored.
    pub async fn sync_failed(&self, username: &str, error: Option<String>, failed_files: usize) {
        if self.script.is_some() {
            let event = Event::SyncFailed {
                error,
                failed_files,
            };
            self.notify(username, event).await;
        }
    }

    /// Returns `true` if there is anyone to tell.
    pub fn configured(&self) -> bool {
        self.script.is_some() || self.email.is_some()
    }

    /// Runs the script, then sends the e-mail; `true` when at least one of them worked.
    async fn notify(&self, username: &str, event: Event) -> bool {
        let mut told = false;
        if let Some(script) = &self.script {
            debug!(target: APP, "Executing notification script...");
            let ran = run_script(script.clone(), event.environment(username)).await;
            told |= report(&event, ran);
        }
        if matches!(event, Event::SyncFailed { .. }) {
            return told;
        }
        if let Some(email) = &self.email {
            match event {
                Event::MfaRequired => {
                    info!(target: APP, "Sending 'two-step expired' notification via email...");
                }
                Event::TrustExpiring { .. } => {
                    info!(target: APP, "Sending 'trust expiring' notification via email...");
                }
                Event::SyncFailed { .. } => {}
            }
            told |= report(&event, email.send(username, &event).await);
        }
        told
    }
}

/// Logs a failed notification (ERROR, then DEBUG the cause); `true` when it worked.
fn report(event: &Event, result: Result<(), Failure>) -> bool {
    let Err(failure) = result else {
        return true;
    };
    match event {
        Event::MfaRequired => error!(target: APP, "Notification of the required MFA failed"),
        Event::TrustExpiring { .. } => {
            error!(target: APP, "Notification of the expiring trust failed");
        }
        Event::SyncFailed { .. } => error!(target: APP, "Notification of the failed run failed"),
    }
    debug!(target: APP, "{failure}");
    false
}

/// Runs `script` as given (no shell, no arguments, the inherited environment plus `env`, the
/// inherited standard streams) and waits for it; its exit status does not matter, only failing
/// to start it.
async fn run_script(script: PathBuf, env: Vec<(&'static str, String)>) -> Result<(), Failure> {
    tokio::task::spawn_blocking(move || {
        let mut command = Command::new(&script);
        // The script needs none of the secrets this program may have been given.
        for secret in SECRET_VARIABLES {
            command.env_remove(secret);
        }
        match command.envs(env).status() {
            Ok(_status) => Ok(()),
            Err(source) => Err(Failure::Script { script, source }),
        }
    })
    .await
    .map_err(|e| Failure::Other(format!("notification script: {e}")))?
}

impl Email {
    /// Sends the e-mail about `event` for Apple ID `username`: STARTTLS (unless disabled),
    /// AUTH (when credentials are given), one message, QUIT.
    async fn send(&self, username: &str, event: &Event) -> Result<(), Failure> {
        let date = chrono::Local::now().format("%d/%m/%Y %H:%M").to_string();
        let text = match event {
            Event::MfaRequired | Event::SyncFailed { .. } => {
                message(&self.from, &self.to, username, &date)
            }
            Event::TrustExpiring { expires } => {
                trust_message(&self.from, &self.to, username, &date, *expires)
            }
        };
        if !text.is_ascii() {
            // Python's smtplib encodes the message as ASCII and fails the same way.
            return Err(Failure::Other("the message is not ASCII".to_owned()));
        }
        let envelope = Envelope::new(Some(address(&self.from)?), vec![address(&self.to)?])?;
        let transport = self.transport()?;
        tokio::time::timeout(SMTP_TIMEOUT, transport.send_raw(&envelope, text.as_bytes()))
            .await
            .map_err(|_| {
                Failure::Other(format!(
                    "no answer from the SMTP server in {SMTP_TIMEOUT:?}"
                ))
            })??;
        Ok(())
    }

    /// Returns a one-connection SMTP client for this server.
    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, Failure> {
        let tls = if self.starttls {
            Tls::Required(TlsParameters::new(self.host.clone())?)
        } else {
            Tls::None
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            .port(self.port)
            .tls(tls)
            .timeout(Some(SMTP_TIMEOUT));
        if let Some((user, password)) = &self.login {
            let password = password.expose_secret().to_owned();
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(builder.build())
    }
}

/// Returns icloudpd's message, headers and body, lines joined by CRLF as on the wire. `date` is
/// local time as `DD/MM/YYYY HH:MM` (not RFC 5322, as in icloudpd).
fn message(from: &str, to: &str, username: &str, date: &str) -> String {
    [
        &format!("From: {from}"),
        &format!("To: {to}"),
        &format!("Subject: {SUBJECT}"),
        &format!("Date: {date}"),
        "",
        "Hello,",
        "",
        &format!(
            "{username}'s two-step authentication has expired for the icloud_photos_downloader \
             script."
        ),
        "Please log in to your server and run the script manually to update two-step \
         authentication.",
    ]
    .join("\r\n")
}

/// Returns the warning that the trust ends on `expires`: when, what happens then, and how to
/// renew it. Same headers as [`message`].
fn trust_message(
    from: &str,
    to: &str,
    username: &str,
    date: &str,
    expires: chrono::NaiveDate,
) -> String {
    [
        &format!("From: {from}"),
        &format!("To: {to}"),
        &format!(
            "Subject: icloud_photos_downloader: Two-factor authentication expires on {expires}"
        ),
        &format!("Date: {date}"),
        "",
        "Hello,",
        "",
        &format!(
            "Apple's trust of the icloudpd session of {username} expires on {expires}. After that \
             day icloudpd cannot sign in without a new two-factor code, and unattended runs stop."
        ),
        "Renew it before then: run `icloudpd --auth-only` with the same --username and \
         --cookie-directory in a terminal and enter the code, or enter it in icloudpd's web UI \
         (--mfa-provider webui).",
    ]
    .join("\r\n")
}

/// Returns the address of a mailbox written `addr` or `Display Name <addr>`.
fn address(mailbox: &str) -> Result<Address, Failure> {
    let addr = match (mailbox.rfind('<'), mailbox.rfind('>')) {
        (Some(open), Some(close)) if open < close => &mailbox[open + 1..close],
        _ => mailbox,
    };
    addr.trim().parse().map_err(|source| Failure::Address {
        mailbox: mailbox.to_owned(),
        source,
    })
}

/// Why a notification failed; shown at DEBUG, never carrying the SMTP password.
#[derive(Debug)]
enum Failure {
    /// The script could not be started.
    Script { script: PathBuf, source: io::Error },
    /// `--notification-email` or `--notification-email-from` is no e-mail address.
    Address {
        mailbox: String,
        source: AddressError,
    },
    /// The SMTP exchange failed.
    Smtp(lettre::transport::smtp::Error),
    /// Anything else.
    Other(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Script { script, source } => {
                write!(
                    f,
                    "cannot run notification script {}: {source}",
                    script.display()
                )
            }
            Failure::Address { mailbox, source } => {
                write!(f, "invalid e-mail address {mailbox:?}: {source}")
            }
            Failure::Smtp(e) => write!(f, "sending the e-mail failed: {e}"),
            Failure::Other(text) => f.write_str(text),
        }
    }
}

impl From<lettre::error::Error> for Failure {
    fn from(e: lettre::error::Error) -> Self {
        Failure::Other(format!("invalid e-mail envelope: {e}"))
    }
}

impl From<lettre::transport::smtp::Error> for Failure {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        Failure::Smtp(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_is_icloudpds_with_crlf() {
        let text = message(
            "F <f@x.org>",
            "t@x.org",
            "jdoe@gmail.com",
            "01/01/2018 00:00",
        );
        assert_eq!(
            text,
            "From: F <f@x.org>\r\nTo: t@x.org\r\n\
             Subject: icloud_photos_downloader: Two step authentication has expired\r\n\
             Date: 01/01/2018 00:00\r\n\r\nHello,\r\n\r\n\
             jdoe@gmail.com's two-step authentication has expired for the \
             icloud_photos_downloader script.\r\n\
             Please log in to your server and run the script manually to update two-step \
             authentication."
        );
    }

    #[test]
    fn envelope_address_comes_from_the_angle_brackets() {
        let from = address("iCloud Photos Downloader <jdoe+smtp@gmail.com>").unwrap();
        assert_eq!(from.to_string(), "jdoe+smtp@gmail.com");
        assert_eq!(
            address(" x@example.com ").unwrap().to_string(),
            "x@example.com"
        );
        assert!(address("not an address").is_err());
    }
}
