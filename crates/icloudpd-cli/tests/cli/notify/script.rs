//! A notification script that records how it was run.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// A `/bin/sh` notification script that records each run and its environment.
pub struct Script {
    /// Where the script is (`<dir>/notify.sh`).
    pub path: PathBuf,
    runs: PathBuf,
    env: PathBuf,
}

impl Script {
    /// Writes `dir/notify.sh`, exiting with `exit_code`.
    pub fn new(dir: &Path, exit_code: i32) -> Self {
        use std::os::unix::fs::PermissionsExt;

        let script = Script {
            path: dir.join("notify.sh"),
            runs: dir.join("runs.txt"),
            env: dir.join("env.bin"),
        };
        let text = format!(
            "#!/bin/sh\necho \"argc=$# args=$*\" >> '{}'\nenv -0 > '{}'\nexit {exit_code}\n",
            script.runs.display(),
            script.env.display()
        );
        std::fs::write(&script.path, text).unwrap();
        std::fs::set_permissions(&script.path, std::fs::Permissions::from_mode(0o755)).unwrap();
        script
    }

    /// Returns one `argc=<n> args=<args>` line per run.
    pub fn runs(&self) -> Vec<String> {
        match std::fs::read_to_string(&self.runs) {
            Ok(text) => text.lines().map(str::to_owned).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Returns the environment of the last run.
    pub fn environment(&self) -> Vec<(OsString, OsString)> {
        use std::os::unix::ffi::OsStrExt;

        let bytes = std::fs::read(&self.env).expect("the script ran");
        bytes
            .split(|b| *b == 0)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                let at = entry.iter().position(|b| *b == b'=').unwrap_or(entry.len());
                let value = entry.get(at + 1..).unwrap_or_default();
                (
                    OsStr::from_bytes(&entry[..at]).to_owned(),
                    OsStr::from_bytes(value).to_owned(),
                )
            })
            .collect()
    }
}
