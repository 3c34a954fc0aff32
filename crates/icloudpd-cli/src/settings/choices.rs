//! The enumerated values of options (`--log-level`, `--password-provider`, `--mfa-provider`):
//! each spelled once, here, and used by the option table as its list of choices.

/// Defines an enum of option values with its names, in the order `--help` lists them.
macro_rules! choices {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value's name, as the command line spells it.
            pub const NAMES: &'static [&'static str] = &[$($text,)+];
            const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// Returns the value called `name` (already checked against [`Self::NAMES`]).
            pub fn from_name(name: &str) -> Option<Self> {
                Self::NAMES
                    .iter()
                    .position(|n| *n == name)
                    .map(|i| Self::ALL[i])
            }

            /// Returns the value's name.
            #[allow(dead_code, reason = "not every kind of value is named in messages")]
            pub fn name(self) -> &'static str {
                Self::NAMES[self as usize]
            }
        }
    };
}

choices! {
    /// How much of its own log `icloudpd` writes (`--log-level`).
    LogLevel {
        Debug = "debug",
        Info = "info",
        Error = "error",
    }
}

choices! {
    /// Where a password may come from (`--password-provider`), asked in the given order.
    PasswordProvider {
        /// Standard input (a terminal, or a line piped in).
        Console = "console",
        /// The OS keyring, under Python icloudpd's service name.
        Keyring = "keyring",
        /// `--password`, `--password-file` or `ICLOUDPD_PASSWORD`.
        Parameter = "parameter",
        /// The web UI's form.
        WebUi = "webui",
    }
}

choices! {
    /// Where the second factor comes from (`--mfa-provider`).
    MfaProvider {
        /// Standard input.
        Console = "console",
        /// The web UI's form.
        WebUi = "webui",
    }
}

impl PasswordProvider {
    /// Whether this provider waits for a person (the console, the web UI).
    pub fn waits(self) -> bool {
        matches!(self, PasswordProvider::Console | PasswordProvider::WebUi)
    }
}

/// The password providers when none is given: `parameter`, `keyring`, `console`.
pub const DEFAULT_PASSWORD_PROVIDERS: [PasswordProvider; 3] = [
    PasswordProvider::Parameter,
    PasswordProvider::Keyring,
    PasswordProvider::Console,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in PasswordProvider::NAMES {
            assert_eq!(PasswordProvider::from_name(name).unwrap().name(), *name);
        }
        assert_eq!(LogLevel::from_name("info"), Some(LogLevel::Info));
        assert_eq!(MfaProvider::from_name("webui"), Some(MfaProvider::WebUi));
        assert_eq!(MfaProvider::from_name("WebUI"), None);
        assert!(PasswordProvider::WebUi.waits() && !PasswordProvider::Keyring.waits());
    }
}
