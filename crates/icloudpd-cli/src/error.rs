//! CLI errors: the wording users see, the exit codes and how a failure is shown, one `From` per
//! library error; [`exit`] is the one place a failure becomes output and an exit status.

use std::process::ExitCode;

use icloud_auth::Error as AuthError;
use tracing::{debug, error};

use crate::args::ParseError;
use crate::logging::APP;

/// Exit code of a finished run that failed (auth, MFA, service, connection), as icloudpd.
pub const EXIT_FAILED: u8 = 1;
/// Exit code of usage and configuration errors, as icloudpd (argparse).
pub const EXIT_USAGE: u8 = 2;
/// Exit code when a second factor is needed but nobody can type it (no usable stdin).
pub const EXIT_MFA_UNANSWERABLE: u8 = 3;

/// Where a failure's message goes when it ends the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// The log, at ERROR, with the cause at DEBUG (a run's failure).
    Log,
    /// Stdout, as icloudpd prints its argument and consistency errors.
    Stdout,
    /// Stderr after `icloudpd: ` (the environment, a file, the start-up).
    Stderr,
    /// Stderr as argparse words unknown arguments: the usage line, then `icloudpd: error:
    /// unrecognized arguments: <message>`.
    Unrecognized,
}

/// An error that ends a user's run or the program, with the message icloudpd prints for it.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub exit_code: u8,
    /// Nothing but the account holder can fix it (an action on icloud.com, a setting on a
    /// device): no retry, and watch mode does not try this user again.
    pub stop: bool,
    /// The library error behind the message and its causes (refused connection, DNS, TLS,
    /// timeout), with URLs cut before their query; logged at DEBUG.
    pub cause: Option<String>,
    pub shown: Shown,
}

impl CliError {
    pub fn failed(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            exit_code: EXIT_FAILED,
            stop: false,
            cause: None,
            shown: Shown::Log,
        }
    }

    /// A failure only the account holder can fix; see [`CliError::stop`].
    pub fn stop(message: impl Into<String>) -> Self {
        CliError {
            stop: true,
            ..CliError::failed(message)
        }
    }

    /// The same failure with its message already logged.
    pub fn logged(&self) -> Self {
        CliError {
            message: String::new(),
            exit_code: self.exit_code,
            stop: self.stop,
            cause: None,
            shown: self.shown,
        }
    }

    /// A failure whose message has already been logged (exit status 1, nothing more to say).
    pub fn reported() -> Self {
        CliError::failed(String::new())
    }

    pub fn mfa_unanswerable(message: impl Into<String>) -> Self {
        CliError {
            exit_code: EXIT_MFA_UNANSWERABLE,
            ..CliError::failed(message)
        }
    }

    /// A usage error worded as icloudpd words it: on stdout, exit status 2.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            exit_code: EXIT_USAGE,
            shown: Shown::Stdout,
            ..CliError::failed(message)
        }
    }

    /// A configuration error of the environment or a file: on stderr, exit status 2.
    pub fn config(message: impl Into<String>) -> Self {
        CliError {
            exit_code: EXIT_USAGE,
            shown: Shown::Stderr,
            ..CliError::failed(message)
        }
    }

    /// A failure before the log is set up (an unsupported locale, a web UI token that cannot
    /// be read): on stderr, exit status 1.
    pub fn startup(message: impl Into<String>) -> Self {
        CliError {
            shown: Shown::Stderr,
            ..CliError::failed(message)
        }
    }

    /// Keeps `e` and its causes for the DEBUG line, unless the message already says it all.
    fn caused_by(self, e: &dyn std::error::Error) -> Self {
        self.with_chain(with_causes(e))
    }

    /// Keeps `chain` (an error and its causes) for the DEBUG line, its URLs cut, unless there is
    /// a cause already or the message holds the chain's causes.
    fn with_chain(mut self, chain: String) -> Self {
        let chain = redact_urls(&chain);
        let below = chain
            .split_once(": ")
            .map_or(chain.as_str(), |(_, rest)| rest);
        if self.cause.is_none() && !self.message.is_empty() && !self.message.contains(below) {
            self.cause = Some(chain);
        }
        self
    }
}

impl From<ParseError> for CliError {
    fn from(e: ParseError) -> Self {
        match e {
            ParseError::Argument(message) => CliError::usage(message),
            ParseError::Unrecognized(tokens) => CliError {
                shown: Shown::Unrecognized,
                ..CliError::usage(tokens.join(" "))
            },
        }
    }
}

/// Logs a run's failure: the message at ERROR, its cause at DEBUG.
pub fn log(e: &CliError) {
    if e.message.is_empty() {
        return;
    }
    error!(target: APP, "{}", e.message);
    if let Some(cause) = &e.cause {
        debug!(target: APP, "Caused by: {cause}");
    }
}

/// Shows how the program ended, and returns its exit status: the one place where a failure
/// becomes output.
pub fn exit(result: Result<(), CliError>) -> ExitCode {
    let Err(e) = result else {
        return ExitCode::SUCCESS;
    };
    if !e.message.is_empty() {
        match e.shown {
            Shown::Log => log(&e),
            Shown::Stdout => println!("{}", e.message),
            Shown::Stderr => eprintln!("icloudpd: {}", e.message),
            Shown::Unrecognized => eprintln!(
                "{}\nicloudpd: error: unrecognized arguments: {}",
                crate::args::usage(),
                e.message
            ),
        }
    }
    ExitCode::from(e.exit_code)
}

/// Returns `text` with every `http://` or `https://` URL cut before its query or fragment,
/// where signed parameters and tokens travel.
pub fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = ["http://", "https://"]
        .iter()
        .filter_map(|scheme| rest.find(scheme))
        .min()
    {
        out.push_str(&rest[..start]);
        let url_len = rest[start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ')'))
            .unwrap_or(rest.len() - start);
        let url = &rest[start..start + url_len];
        let kept = url.find(['?', '#']).map_or(url, |end| &url[..end]);
        out.push_str(kept);
        if kept.len() < url.len() {
            out.push_str("?…");
        }
        rest = &rest[start + url_len..];
    }
    out.push_str(rest);
    out
}

/// The MFA failure message of icloudpd.
pub const MFA_FAILED: &str = "Failed to verify two-factor authentication code";

/// What a person reads when Apple refuses web access to the photos: Advanced Data
/// Protection or the web access setting, and where to change it (never icloudpd's "throttle"
/// guess).
const WEB_ACCESS_HINT: &str = "Turn on \"Access iCloud Data on the Web\" (iPhone or iPad: Settings > [your name] > iCloud; Mac: System Settings > [your name] > iCloud), then run icloudpd again.";

/// Returns `e` and its causes, `: `-separated (`cannot connect…: error sending request: …:
/// invalid peer certificate: UnknownIssuer`).
pub fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

impl From<AuthError> for CliError {
    fn from(e: AuthError) -> Self {
        auth_error(&e).caused_by(&e)
    }
}

/// The wording of a sign-in failure.
fn auth_error(e: &AuthError) -> CliError {
    let message = match e {
        AuthError::AccountActionRequired => {
            return CliError::stop(
                "Apple wants an action on this account before it can be used on the web (new terms to accept, or an account repair). Sign in once at https://www.icloud.com with this Apple ID, complete what Apple asks, then run icloudpd again.",
            );
        }
        AuthError::AdpWebAccessDisabled => {
            return CliError::stop(format!(
                "Advanced Data Protection is on for this Apple ID and \"Access iCloud Data on the Web\" is off, so Apple serves its photos to no web client. {WEB_ACCESS_HINT}"
            ));
        }
        AuthError::PcsUnavailable { reason } => format!(
            "Advanced Data Protection is on for this Apple ID, and Apple did not give access to the photos: {}. Approve the request on one of your Apple devices when icloudpd asks for it, then run icloudpd again.",
            reason.trim_end_matches('.')
        ),
        AuthError::PcsRequired => {
            "The Advanced Data Protection keys of this session expired; run icloudpd again to renew them.".to_owned()
        }
        AuthError::EscrowFailed { status } => format!(
            "Apple refused the second password proof it asked for (escrow, status {status}). Invalid email/password combination?"
        ),
        AuthError::PasswordRequired => {
            "Apple asks for the password again; no password is available".to_owned()
        }
        AuthError::InvalidCredentials
        | AuthError::SignInRefused { .. } => "Invalid email/password combination.".to_owned(),
        AuthError::SrpInitRejected => "Failed to initiate srp authentication.".to_owned(),
        AuthError::AccountLocked => {
            "Apple Account is locked for security reasons. Unlock it at https://iforgot.apple.com/ and try again.".to_owned()
        }
        AuthError::InvalidAuthToken => "Invalid authentication token.".to_owned(),
        AuthError::TwoFactorRejected | AuthError::TrustFailed => MFA_FAILED.to_owned(),
        AuthError::CodeDeliveryFailed => {
            "Failed to send two-factor authentication code".to_owned()
        }
        AuthError::UnsupportedAuthMethod { key_names } => format!(
            "This Apple ID has hardware security keys registered ({key_names}). \
             Authentication with security keys (FIDO) is not supported."
        ),
        AuthError::WrongRegion { domain } => format!(
            "Apple insists on using {domain} for your request. Please use --domain parameter"
        ),
        AuthError::SessionExpired => "Authentication required for Account. (421)".to_owned(),
        AuthError::ServerError { status } => {
            format!("Authentication required for Account. ({status})")
        }
        AuthError::Throttled { .. } => {
            "Apple iCloud is temporary refusing to serve icloudpd".to_owned()
        }
        AuthError::WebserviceUnavailable { name } => {
            format!("Webservice not available ({name})")
        }
        AuthError::WebAccessDisabled { reason } => format!(
            "Apple refuses web access to this account's photos: {reason} (ACCESS_DENIED). \
             Advanced Data Protection may be on, or \"Access iCloud Data on the Web\" off. {WEB_ACCESS_HINT}"
        ),
        AuthError::ServiceNotActivated { code } => format!(
            "Apple iCloud setup is not complete. Please log into https://icloud.com/ to manually finish setting up your iCloud service ({code})"
        ),
        AuthError::NotReady => "Bad Request (400)".to_owned(),
        AuthError::Api { code, reason } => format!("{reason} ({code})"),
        AuthError::Transport(t) => {
            let cause = with_causes(t);
            let cause = cause
                .strip_prefix("cannot connect to apple icloud service: ")
                .unwrap_or(&cause);
            format!("Cannot connect to Apple iCloud service ({cause})")
        }
        AuthError::Store { path, source } => {
            format!("Cannot write session to {}: {source}", path.display())
        }
        AuthError::ResponseTooLarge { endpoint, limit } => format!(
            "An answer from iCloud ({endpoint}) was larger than {} MiB, so icloudpd stopped reading it. No iCloud answer is that large: a proxy or filter between this computer and iCloud may be answering in its place.",
            limit / (1024 * 1024)
        ),
        other => other.to_string(),
    };
    CliError::failed(message)
}

impl From<icloud_photos::Error> for CliError {
    fn from(e: icloud_photos::Error) -> Self {
        let chain = with_causes(&e);
        photos_error(e).with_chain(chain)
    }
}

/// The wording of a failure of iCloud Photos.
fn photos_error(e: icloud_photos::Error) -> CliError {
    use icloud_photos::Error as PhotosError;
    match e {
        PhotosError::Auth(e) => e.into(),
        PhotosError::WebAccessDisabled { reason } => AuthError::WebAccessDisabled { reason }.into(),
        PhotosError::LibraryNotReady { .. } => {
            CliError::failed("Apple iCloud Photo Library has not finished indexing yet")
        }
        PhotosError::Throttled { .. } => {
            CliError::failed("Apple iCloud is temporary refusing to serve icloudpd")
        }
        PhotosError::Transport(t) => AuthError::Transport(t).into(),
        PhotosError::ListingStalled {
            requests,
            listed,
            expected,
        } => CliError::failed(format!(
            "iCloud kept answering with photos already listed ({listed} of {expected} listed after {requests} requests), so the listing was stopped. A proxy or cache between this computer and iCloud may be ignoring which page was asked for; run icloudpd again without it."
        )),
        other => CliError::failed(other.to_string()),
    }
}

impl From<icloudpd_sync::Error> for CliError {
    fn from(e: icloudpd_sync::Error) -> Self {
        let chain = with_causes(&e);
        sync_error(e).with_chain(chain)
    }
}

/// The wording of a failure of the sync engine.
fn sync_error(e: icloudpd_sync::Error) -> CliError {
    match e {
        icloudpd_sync::Error::Photos(e) => e.into(),
        icloudpd_sync::Error::Disk { problem, directory } => CliError::failed(format!(
            "Stopped downloading: {problem} ({}). Files already downloaded are kept, and unfinished ones resume; free the disk and run again",
            directory.display()
        )),
        icloudpd_sync::Error::UnknownAlbum(name) => {
            tracing::error!(target: crate::logging::APP, "Album not found: {name}");
            CliError::reported()
        }
        icloudpd_sync::Error::UnknownSharedAlbum(name) => {
            tracing::error!(target: crate::logging::APP, "Unknown album: {name}");
            CliError::reported()
        }
        e @ icloudpd_sync::Error::AmbiguousSharedAlbum { .. } => {
            tracing::error!(target: crate::logging::APP, "{e}");
            CliError::reported()
        }
        other => CliError::failed(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_query_and_fragment() {
        assert_eq!(
            redact_urls(
                "error sending request for url (https://cvws.icloud-content.com/B/abc?o=SIGNED&e=1): timed out"
            ),
            "error sending request for url (https://cvws.icloud-content.com/B/abc?…): timed out"
        );
        assert_eq!(
            redact_urls("see http://a/x#frag and https://b/y?t=1 'http://c/?x'"),
            "see http://a/x?… and https://b/y?… 'http://c/?…'"
        );
        assert_eq!(
            redact_urls("no url: connection refused"),
            "no url: connection refused"
        );
    }

    #[test]
    fn causes_say_what_the_message_does_not() {
        let e = AuthError::Config("bad root".to_owned());
        let err = CliError::from(e);
        assert_eq!(err.exit_code, EXIT_FAILED);
        assert_eq!(err.shown, Shown::Log);
        // The message is the library's text itself: nothing more to say.
        assert_eq!(err.cause, None, "{err:?}");
        let err = CliError::from(AuthError::Throttled { retry_after: None });
        assert_eq!(
            err.message,
            "Apple iCloud is temporary refusing to serve icloudpd"
        );
        assert!(err.cause.is_some());
    }

    #[test]
    fn parse_errors_are_usage_errors() {
        let e = CliError::from(ParseError::Unrecognized(vec!["-p".into(), "x".into()]));
        assert_eq!((e.exit_code, e.shown), (EXIT_USAGE, Shown::Unrecognized));
        assert_eq!(e.message, "-p x");
        let e = CliError::from(ParseError::Argument("argument --x: y".into()));
        assert_eq!((e.exit_code, e.shown), (EXIT_USAGE, Shown::Stdout));
    }
}
