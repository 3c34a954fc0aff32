//! The real Python icloudpd 1.32.3, which proves the fake faithful: what it accepts, Apple
//! sent. Its virtualenv (with keyring, keyrings.alt and aiosmtpd) is built once by
//! `scripts/python-icloudpd.sh` under the target directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

/// Returns the virtualenv's interpreter, creating the venv on first use (once per process; the
/// script's file lock serialises separate processes).
///
/// # Panics
///
/// When the venv cannot be built, with a message saying how to install what is missing: tests
/// that compare with Python must fail, never skip.
pub fn interpreter() -> &'static Path {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PYTHON.get_or_init(setup) {
        Ok(path) => path,
        Err(message) => panic!("{message}"),
    }
}

fn setup() -> Result<PathBuf, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/python-icloudpd.sh");
    let hint = "These tests run the REAL Python icloudpd 1.32.3 and cannot be skipped. Install \
                Python 3.10-3.13 with venv and pip (Debian/Ubuntu: `apt-get install python3 \
                python3-venv python3-pip`), make https://pypi.org reachable for the first run, or \
                set ICLOUDPD_PYTHON (interpreter) / ICLOUDPD_PY_VENV (ready venv location).";
    let started = Instant::now();
    let output = Command::new("bash")
        .arg(&script)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            format!(
                "cannot run {}: {e} (bash is required)\n{hint}",
                script.display()
            )
        })?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!(
            "{} failed ({}):\n{stderr}\n{hint}",
            script.display(),
            output.status
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let python = stdout
        .lines()
        .last()
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .ok_or_else(|| {
            format!(
                "{} printed no interpreter path:\n{stdout}\n{stderr}\n{hint}",
                script.display()
            )
        })?;
    eprintln!(
        "python icloudpd ready in {:.1?}: {}",
        started.elapsed(),
        python.display()
    );
    Ok(python)
}
