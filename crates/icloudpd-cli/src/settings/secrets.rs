//! Secrets given on the command line or in files (`--password-file`, `--smtp-password-file`,
//! `--webui-token-file`): the first line of the file is the secret, which is never shown.

use std::path::Path;

use icloud_auth::SecretString;

use crate::args::Secret;
use crate::error::CliError;

/// Returns the secret `secret` gives: the value, or the first line of its file (`None` for an
/// empty value). `option` names the file's option in messages. A file that other users may
/// read adds a warning.
///
/// # Errors
///
/// A configuration error (exit 2) when the file cannot be read or its first line is empty.
pub(super) fn read(
    secret: &Secret,
    option: &str,
    warnings: &mut Vec<String>,
) -> Result<Option<SecretString>, CliError> {
    let path = match secret {
        Secret::Given(value) if value.0.is_empty() => return Ok(None),
        Secret::Given(value) => return Ok(Some(SecretString::from(value.0.clone()))),
        Secret::File(path) => path,
    };
    let line = first_line(Path::new(path))
        .map_err(|e| CliError::config(format!("Cannot read {path} ({option}): {e}")))?;
    if line.is_empty() {
        return Err(CliError::config(format!(
            "{path} ({option}) is empty: its first line must hold the secret"
        )));
    }
    if let Some(warning) = readable_by_others(Path::new(path), option) {
        warnings.push(warning);
    }
    Ok(Some(SecretString::from(line)))
}

/// Returns the first line of the file at `path`, without its line ending.
pub(super) fn first_line(path: &Path) -> std::io::Result<String> {
    let text = std::fs::read_to_string(path)?;
    let line = text.lines().next().unwrap_or_default();
    Ok(line.trim_end_matches('\r').to_owned())
}

/// Says so when the file at `path` may be read by users other than its owner (unix only).
#[cfg(unix)]
fn readable_by_others(path: &Path, option: &str) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o044 != 0).then(|| {
        format!(
            "{} ({option}) can be read by other users (mode {mode:03o}); make it private with `chmod 600 {}`",
            path.display(),
            path.display()
        )
    })
}

#[cfg(not(unix))]
fn readable_by_others(_path: &Path, _option: &str) -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use icloud_auth::ExposeSecret;

    use super::*;
    use crate::args::Hidden;

    #[test]
    fn a_file_gives_its_first_line_and_a_loose_mode_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("password");
        std::fs::write(&path, "pass word \r\nsecond line\n").unwrap();
        let mut warnings = Vec::new();
        let file = Secret::File(path.display().to_string());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let private = std::fs::Permissions::from_mode(0o600);
            std::fs::set_permissions(&path, private).unwrap();
            let secret = read(&file, "--password-file", &mut warnings)
                .unwrap()
                .unwrap();
            assert_eq!(secret.expose_secret(), "pass word ");
            assert!(warnings.is_empty(), "{warnings:?}");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        }
        read(&file, "--password-file", &mut warnings)
            .unwrap()
            .unwrap();
        #[cfg(unix)]
        {
            assert_eq!(warnings.len(), 1);
            assert!(
                warnings[0].contains("(--password-file) can be read by other users (mode 640)")
            );
            assert!(!warnings[0].contains("pass word"));
        }
    }

    #[test]
    fn missing_and_empty_files_are_errors_and_empty_values_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut warnings = Vec::new();
        let missing = Secret::File(dir.path().join("nope").display().to_string());
        let err = read(&missing, "--password-file", &mut warnings).unwrap_err();
        assert!(err.message.starts_with("Cannot read "), "{}", err.message);
        assert_eq!(err.exit_code, crate::error::EXIT_USAGE);
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\nsecret on line two\n").unwrap();
        let err = read(
            &Secret::File(empty.display().to_string()),
            "--smtp-password-file",
            &mut warnings,
        )
        .unwrap_err();
        assert!(err.message.contains("is empty"), "{}", err.message);
        let given = Secret::Given(Hidden(String::new()));
        assert!(
            read(&given, "--password-file", &mut warnings)
                .unwrap()
                .is_none()
        );
    }
}
