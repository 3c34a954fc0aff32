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
}

impl CliError {
    pub fn failed(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            exit_code: EXIT_FAILED,
        }
    }

    /// A failure whose message has already been logged (exit status 1, nothing more to say).
    pub fn reported() -> Self {
        CliError::failed(String::new())
    }

    pub fn mfa_unanswerable(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            exit_code: EXIT_MFA_UNANSWERABLE,
        }
    }
}

/// The MFA failure message of icloudpd.
pub const MFA_FAILED: &str = "Failed to verify two-factor authentication code";

impl From<AuthError> for CliError {
    fn from(e: AuthError) -> Self {
        let message = match &e {
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
                "{reason}  Please wait a few minutes then try again.The remote servers might be trying to throttle requests. (ACCESS_DENIED)"
            ),
            AuthError::ServiceNotActivated { code } => format!(
                "Apple iCloud setup is not complete. Please log into https://icloud.com/ to manually finish setting up your iCloud service ({code})"
            ),
            AuthError::NotReady => "Bad Request (400)".to_owned(),
            AuthError::Api { code, reason } => format!("{reason} ({code})"),
            AuthError::Transport(_) => "Cannot connect to Apple iCloud service".to_owned(),
            AuthError::Store { path, source } => {
                format!("Cannot write session to {}: {source}", path.display())
            }
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
            PhotosError::Transport(_) => CliError::failed("Cannot connect to Apple iCloud service"),
            other => CliError::failed(other.to_string()),
        }
    }
}

impl From<icloudpd_sync::Error> for CliError {
    fn from(e: icloudpd_sync::Error) -> Self {
        match e {
            icloudpd_sync::Error::Photos(e) => e.into(),
            icloudpd_sync::Error::UnknownAlbum(name) => {
                tracing::error!(target: crate::logging::APP, "Album not found: {name}");
                CliError::reported()
            }
            other => CliError::failed(other.to_string()),
        }
    }
}
