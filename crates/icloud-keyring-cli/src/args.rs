//! Command-line arguments of `icloud`, compatible with pyicloud_ipd's `icloud` tool.

use clap::Parser;

/// Environment variable that selects the keyring backend.
pub const KEYRING_BACKEND_ENV: &str = "ICLOUD_KEYRING_BACKEND";

/// Store or remove the Apple ID password that icloudpd reads from the OS keyring.
///
/// Without --delete-from-keyring, asks for the password (or takes --password) and offers to save
/// it in the keyring under the service "pyicloud://icloud-password", where Python icloudpd keeps
/// it too. This version does not sign in to Apple: use `icloudpd --auth-only` for that.
#[derive(Parser)]
#[command(
    name = "icloud",
    version,
    after_help = "Environment:\n  ICLOUD_KEYRING_BACKEND  keyring to use: platform (default; what Python icloudpd \
                  uses: on Linux the Secret Service, or, when none runs, Python keyring's file \
                  $XDG_DATA_HOME/python_keyring/keyring_pass.cfg (by default under \
                  ~/.local/share), readable only by you), secret-service, file (that file), \
                  keyutils (Linux kernel keyring, needs no daemon, cleared on reboot) or mock \
                  (keeps nothing; for tests)"
)]
pub struct Args {
    /// Apple ID (the keyring account name, used exactly as typed)
    #[arg(long, default_value = "", hide_default_value = true)]
    pub username: String,

    /// Apple ID password; asked for with hidden input when absent
    #[arg(long, default_value = "", hide_default_value = true)]
    pub password: String,

    /// Do not ask whether to save the password (so nothing is saved)
    #[arg(short = 'n', long)]
    pub non_interactive: bool,

    /// Remove the stored password of --username from the keyring, then exit
    #[arg(long)]
    pub delete_from_keyring: bool,

    /// iCloud domain: com, or cn for mainland China
    #[arg(long, default_value = "com")]
    pub domain: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definition_is_valid() {
        Args::command().debug_assert();
    }

    #[test]
    fn defaults_match_pyicloud() {
        let args = Args::try_parse_from(["icloud"]).unwrap();
        assert_eq!(args.username, "");
        assert_eq!(args.password, "");
        assert_eq!(args.domain, "com");
        assert!(!args.non_interactive && !args.delete_from_keyring);
        let args =
            Args::try_parse_from(["icloud", "-n", "--username", "a", "--domain=cn"]).unwrap();
        assert!(args.non_interactive);
        assert_eq!((args.username.as_str(), args.domain.as_str()), ("a", "cn"));
    }
}
