//! CLI errors: the wording users see and the exit codes, one `From` per library error.

use icloud_auth::Error as AuthError;

/// Exit code of a finished run that failed (auth, MFA, service, connection), as icloudpd.
pub const EXIT_FAILED: u8 = 1;
/// Exit code of usage and configuration errors, as icloudpd (argparse).
pub const EXIT_USAGE: u8 = 2;
/// Exit code when a second factor is needed but nobody can type it (no usable stdin).
pub const EXIT_MFA_UNANSWERABLE: u8 = 3;

/// An error that ends a user's run, with the message icloudpd prints for it.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub exit_code: u8,
    /// Nothing but the account holder can fix it (an action on icloud.com, a setting on a
    /// device): no retry, and watch mode does not try this user again.
    pub stop: bool,
}

impl CliError {
    pub fn failed(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            exit_code: EXIT_FAILED,
            stop: false,
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
        let message = match &e {
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
}

impl From<icloud_photos::Error> for CliError {
    fn from(e: icloud_photos::Error) -> Self {
        use icloud_photos::Error as PhotosError;
        match e {
            PhotosError::Auth(e) => e.into(),
            PhotosError::WebAccessDisabled { reason } => {
                AuthError::WebAccessDisabled { reason }.into()
            }
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
}

impl From<icloudpd_sync::Error> for CliError {
    fn from(e: icloudpd_sync::Error) -> Self {
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
            other => CliError::failed(other.to_string()),
        }
    }
}
