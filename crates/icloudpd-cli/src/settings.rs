//! Parsed arguments → validated settings (icloudpd's per-user consistency checks).

use std::path::PathBuf;

use crate::args::{GlobalArgs, UserArgs};

/// One user's validated settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSettings {
    pub username: String,
    pub password: Option<String>,
    pub directory: Option<PathBuf>,
    pub auth_only: bool,
    pub cookie_directory: PathBuf,
    pub list_albums: bool,
    pub list_libraries: bool,
    /// CloudKit zone name of the library (`--library`, default `PrimarySync`).
    pub library: String,
}

/// Runs the per-user consistency checks of icloudpd (first failure wins) and resolves paths.
/// The error is the message icloudpd prints on stdout before exiting with status 2.
pub fn validate(global: &GlobalArgs, users: &[UserArgs]) -> Result<Vec<UserSettings>, String> {
    if global.mfa_provider == "webui" || global.password_providers.iter().any(|p| p == "webui") {
        return Err(
            "The webui password and MFA providers are not available in this version yet".to_owned(),
        );
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    users
        .iter()
        .map(|u| {
            if !u.auth_only && u.directory.is_none() && !u.list_albums && !u.list_libraries {
                return Err(
                    "--auth-only, --directory, --list-libraries, or --list-albums are required for each configuration"
                        .to_owned(),
                );
            }
            Ok(UserSettings {
                username: u.username.clone(),
                password: u.password.clone().filter(|p| !p.is_empty()),
                directory: u.directory.as_ref().map(PathBuf::from),
                auth_only: u.auth_only,
                cookie_directory: expand_tilde(&u.cookie_directory, home.as_deref()),
                list_albums: u.list_albums,
                list_libraries: u.list_libraries,
                library: u.library.clone(),
            })
        })
        .collect()
}

fn expand_tilde(path: &str, home: Option<&std::path::Path>) -> PathBuf {
    match (path.strip_prefix('~'), home) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
            home.join(rest.trim_start_matches('/'))
        }
        _ => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn global() -> GlobalArgs {
        GlobalArgs {
            log_level: "debug".into(),
            domain: "com".into(),
            password_providers: vec!["parameter".into()],
            mfa_provider: "console".into(),
        }
    }

    #[test]
    fn each_user_needs_something_to_do() {
        let users = vec![UserArgs {
            username: "a".into(),
            cookie_directory: "~/.pyicloud".into(),
            ..UserArgs::default()
        }];
        assert_eq!(
            validate(&global(), &users).unwrap_err(),
            "--auth-only, --directory, --list-libraries, or --list-albums are required for each configuration"
        );
    }

    #[test]
    fn webui_providers_are_refused_clearly() {
        let mut g = global();
        g.mfa_provider = "webui".into();
        assert!(validate(&g, &[]).unwrap_err().contains("webui"));
    }

    #[test]
    fn tilde_is_expanded_against_home() {
        let home = std::path::Path::new("/home/me");
        assert_eq!(
            expand_tilde("~/.pyicloud", Some(home)),
            PathBuf::from("/home/me/.pyicloud")
        );
        assert_eq!(expand_tilde("~", Some(home)), PathBuf::from("/home/me"));
        assert_eq!(expand_tilde("~bob/x", Some(home)), PathBuf::from("~bob/x"));
        assert_eq!(expand_tilde("/x", Some(home)), PathBuf::from("/x"));
    }
}
