//! What `icloud` does: save the password in the keyring, or delete it.

use std::ffi::OsString;
use std::io::{self, BufRead, IsTerminal, Write};

use icloud_auth::{
    ExposeSecret, KeyringBackend, KeyringEntry, KeyringEnvironment, KeyringLocation,
    KeyringPasswordStore, SecretString,
};

use crate::args::{Args, KEYRING_BACKEND_ENV};
use crate::error::CliError;

/// Runs the tool: every check first, then one keyring operation.
pub fn run(args: Args) -> Result<(), CliError> {
    let username = args.username.trim();
    if username.is_empty() {
        return Err(CliError::usage("No username supplied"));
    }
    check_domain(&args.domain)?;
    let backend = backend_from_env(std::env::var_os(KEYRING_BACKEND_ENV))?;
    // Where Python's keyring would look: the program's environment decides, as for Python.
    let home = std::env::home_dir();
    let env = KeyringEnvironment::from_lookup(|name| std::env::var_os(name), home.as_deref());
    let store = KeyringPasswordStore::with_backend(backend, &env)?;
    let entry = store.entry(username)?;
    let mut out = io::stdout().lock();

    if args.delete_from_keyring {
        return delete(&entry, &mut out);
    }
    let password = match args.password.trim() {
        "" => prompt_password(username)?,
        given => SecretString::from(given),
    };
    if password.expose_secret().is_empty() {
        return Err(CliError::usage("No password supplied"));
    }
    if args.non_interactive {
        writeln!(out, "Password not saved in keyring (--non-interactive)")?;
        return Ok(());
    }
    let stdin = io::stdin();
    let echo_newline = !stdin.is_terminal();
    let saved = offer_to_save(&entry, &password, &mut stdin.lock(), &mut out, echo_newline)
        .map_err(|e| e.or_keyring_hint(&store))?;
    if saved
        && let Some(note) = store
            .location()
            .ok()
            .and_then(|l| saved_in_file(backend, &l))
    {
        eprintln!("{note}");
    }
    Ok(())
}

/// Returns the line that says where the password went, when it went to a file rather than to
/// a keyring proper.
fn saved_in_file(backend: KeyringBackend, location: &KeyringLocation) -> Option<String> {
    let path = location.file_path()?.display();
    Some(if backend == KeyringBackend::Platform {
        format!(
            "No Secret Service is running; the password is stored in {path}, readable only by \
             you (where Python icloudpd also looks)"
        )
    } else {
        format!("The password is stored in {path}, readable only by you")
    })
}

/// Returns the backend named by `ICLOUD_KEYRING_BACKEND`, or the platform's own when unset.
fn backend_from_env(value: Option<OsString>) -> Result<KeyringBackend, CliError> {
    let Some(value) = value else {
        return Ok(KeyringBackend::default());
    };
    let Some(name) = value.to_str() else {
        return Err(CliError::config(format!(
            "{KEYRING_BACKEND_ENV} is not valid UTF-8"
        )));
    };
    if name.trim().is_empty() {
        return Ok(KeyringBackend::default());
    }
    KeyringBackend::from_name(name).map_err(|e| {
        let detail = match e {
            icloud_auth::Error::Config(detail) => detail,
            other => other.to_string(),
        };
        CliError::config(format!("{KEYRING_BACKEND_ENV}: {detail}"))
    })
}

/// Accepts the domains icloudpd supports.
fn check_domain(domain: &str) -> Result<(), CliError> {
    match domain {
        "com" | "cn" => Ok(()),
        other => Err(CliError::usage(format!(
            "Domain '{other}' is not supported yet"
        ))),
    }
}

/// Asks for the password on the terminal, without echo.
fn prompt_password(username: &str) -> Result<SecretString, CliError> {
    rpassword::prompt_password(format!("ICloud Password for {username}:"))
        .map(SecretString::from)
        .map_err(|e| {
            CliError::usage("No password supplied").with_hint(format!(
                "cannot ask on the terminal ({e}); give it with --password"
            ))
        })
}

/// Returns `true` for the answers that mean yes: `y` or `yes`, any case, blanks ignored.
fn is_yes(answer: &str) -> bool {
    let answer = answer.trim();
    answer.eq_ignore_ascii_case("y") || answer.eq_ignore_ascii_case("yes")
}

/// Asks whether to save the password and saves it on yes; returns whether it did. End of
/// input means no.
///
/// `echo_newline` ends the prompt line when the answer was not typed on a terminal.
fn offer_to_save(
    entry: &KeyringEntry,
    password: &SecretString,
    input: &mut impl BufRead,
    out: &mut impl Write,
    echo_newline: bool,
) -> Result<bool, CliError> {
    write!(out, "Save password in keyring? (y/N) ")?;
    out.flush()?;
    let mut answer = String::new();
    input.read_line(&mut answer)?;
    if echo_newline {
        writeln!(out)?;
    }
    if is_yes(&answer) {
        entry.set(password)?;
        writeln!(out, "Password saved in keyring for {}", entry.username())?;
        Ok(true)
    } else {
        writeln!(out, "Password not saved in keyring")?;
        Ok(false)
    }
}

/// Deletes the stored password; no stored password is an error (exit 1).
fn delete(entry: &KeyringEntry, out: &mut impl Write) -> Result<(), CliError> {
    if entry.delete()? {
        // 1.32's wording, kept for scripts that look for it.
        writeln!(out, "Password delete from keyring")?;
        Ok(())
    } else {
        Err(CliError::failure(format!(
            "No password stored in keyring for {}",
            entry.username()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// The mock keeps the password only in this entry, so tests act and check through it.
    fn mock_entry() -> KeyringEntry {
        let store =
            KeyringPasswordStore::with_backend(KeyringBackend::Mock, &KeyringEnvironment::new())
                .unwrap();
        store.entry("jane@example.com").unwrap()
    }

    fn answer(entry: &KeyringEntry, typed: &str) -> String {
        let mut out = Vec::new();
        let password = SecretString::from("hunter2");
        let saved =
            offer_to_save(entry, &password, &mut Cursor::new(typed), &mut out, false).unwrap();
        assert_eq!(saved, entry.get().unwrap().is_some(), "{typed:?}");
        let out = String::from_utf8(out).unwrap();
        assert!(!out.contains("hunter2"), "{out}");
        out
    }

    #[test]
    fn yes_saves_the_password() {
        for typed in ["y\n", "Y\n", "yes\n", "  YeS \r\n", "y"] {
            let entry = mock_entry();
            let out = answer(&entry, typed);
            assert_eq!(
                out,
                "Save password in keyring? (y/N) Password saved in keyring for jane@example.com\n"
            );
            assert_eq!(entry.get().unwrap().unwrap().expose_secret(), "hunter2");
        }
    }

    #[test]
    fn anything_else_saves_nothing() {
        for typed in ["\n", "n\n", "no\n", "yep\n", "y es\n", ""] {
            let entry = mock_entry();
            let out = answer(&entry, typed);
            assert!(
                out.ends_with("Password not saved in keyring\n"),
                "{typed:?}: {out}"
            );
            assert!(entry.get().unwrap().is_none(), "{typed:?}");
        }
    }

    #[test]
    fn piped_answer_ends_the_prompt_line() {
        let entry = mock_entry();
        let mut out = Vec::new();
        let password = SecretString::from("hunter2");
        offer_to_save(&entry, &password, &mut Cursor::new("n\n"), &mut out, true).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Save password in keyring? (y/N) \nPassword not saved in keyring\n"
        );
    }

    #[test]
    fn delete_removes_then_reports_no_entry() {
        let entry = mock_entry();
        entry.set(&SecretString::from("hunter2")).unwrap();
        let mut out = Vec::new();
        delete(&entry, &mut out).unwrap();
        assert_eq!(out, b"Password delete from keyring\n");
        assert!(entry.get().unwrap().is_none());

        let err = delete(&entry, &mut Vec::new()).unwrap_err();
        assert_eq!(
            err.message(),
            "No password stored in keyring for jane@example.com"
        );
        assert_eq!(err.exit_code(), 1);
    }

    #[test]
    fn only_com_and_cn_domains() {
        assert!(check_domain("com").is_ok());
        assert!(check_domain("cn").is_ok());
        let err = check_domain("de").unwrap_err();
        assert_eq!(err.message(), "Domain 'de' is not supported yet");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn backend_comes_from_the_environment() {
        let backend = |v: Option<&str>| backend_from_env(v.map(OsString::from));
        assert_eq!(backend(None).unwrap(), KeyringBackend::Platform);
        assert_eq!(backend(Some(" ")).unwrap(), KeyringBackend::Platform);
        assert_eq!(backend(Some("mock")).unwrap(), KeyringBackend::Mock);
        assert_eq!(
            backend(Some("keyutils")).unwrap(),
            KeyringBackend::KernelKeyutils
        );
        let err = backend(Some("gnome")).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.message()
                .starts_with("ICLOUD_KEYRING_BACKEND: unknown keyring backend 'gnome'"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn a_file_is_named_after_saving() {
        let file = KeyringLocation::File("/home/jane/.local/share/python_keyring/k.cfg".into());
        assert_eq!(
            saved_in_file(KeyringBackend::Platform, &file).unwrap(),
            "No Secret Service is running; the password is stored in \
             /home/jane/.local/share/python_keyring/k.cfg, readable only by you (where Python \
             icloudpd also looks)"
        );
        assert_eq!(
            saved_in_file(KeyringBackend::File, &file).unwrap(),
            "The password is stored in /home/jane/.local/share/python_keyring/k.cfg, readable \
             only by you"
        );
        let service = KeyringLocation::SecretService;
        assert_eq!(saved_in_file(KeyringBackend::Platform, &service), None);
    }

    #[test]
    fn yes_is_y_or_yes_only() {
        assert!(is_yes(" y ") && is_yes("YES\n"));
        assert!(!is_yes("") && !is_yes("ye") && !is_yes("yess"));
    }
}
