//! [`Run`], one finished `icloudpd` run, and the assertions over its log and the files it left.

use std::collections::BTreeSet;
use std::fmt;
use std::process::Output;

use super::env::Env;

/// One finished `icloudpd` run.
pub(crate) struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "--- exit {:?}\n--- stdout\n{}--- stderr\n{}---",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Splits `YYYY-MM-DD HH:MM:SS LEVEL    message` into (level, message).
pub(crate) fn parse_log_line(line: &str) -> Option<(&str, &str)> {
    let b = line.as_bytes();
    let stamp = b.len() > 20
        && b[..19].iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
        && b[19] == b' ';
    if !stamp {
        return None;
    }
    let rest = &line[20..];
    let level_end = rest.find(' ')?;
    let level = &rest[..level_end];
    if !["DEBUG", "INFO", "WARNING", "ERROR"].contains(&level) {
        return None;
    }
    // The level is padded to 8 characters, then one space.
    let message = rest.get(9.max(level_end + 1)..).unwrap_or_default();
    Some((level, message))
}

impl Run {
    /// (level, message) of every log line on stdout.
    pub fn logs(&self) -> Vec<(&str, &str)> {
        self.stdout.lines().filter_map(parse_log_line).collect()
    }

    /// The messages of every log line.
    pub fn messages(&self) -> Vec<&str> {
        self.logs().into_iter().map(|(_, m)| m).collect()
    }

    /// The messages of the log lines at `level`.
    pub fn messages_at(&self, level: &str) -> Vec<&str> {
        let at_level = self.logs().into_iter().filter(|(l, _)| *l == level);
        at_level.map(|(_, m)| m).collect()
    }

    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "exit status\n{self}");
        self
    }

    /// Some log line at `level` has exactly `message`.
    pub fn assert_logged(&self, level: &str, message: &str) -> &Self {
        assert!(
            self.logs()
                .iter()
                .any(|(l, m)| *l == level && *m == message),
            "{level} {message:?} not logged\n{self}"
        );
        self
    }

    /// Exactly `n` log lines have `message`.
    pub fn assert_logged_times(&self, message: &str, n: usize) -> &Self {
        let found = self.messages().iter().filter(|m| **m == message).count();
        assert_eq!(
            found, n,
            "{message:?} logged {found} times, not {n}\n{self}"
        );
        self
    }

    /// No log line has exactly `message`.
    pub fn assert_not_logged(&self, message: &str) -> &Self {
        assert!(
            !self.messages().contains(&message),
            "{message:?} logged\n{self}"
        );
        self
    }

    /// No output line contains `text`.
    pub fn assert_no_line_containing(&self, text: &str) -> &Self {
        assert!(
            !self.stdout.contains(text) && !self.stderr.contains(text),
            "{text:?} in the output\n{self}"
        );
        self
    }

    /// stdout contains `text`.
    pub fn assert_stdout_contains(&self, text: &str) -> &Self {
        assert!(self.stdout.contains(text), "{text:?} not on stdout\n{self}");
        self
    }

    /// A log line at `level` for each of `rels`: `message(<data>/<rel>)`.
    fn assert_each_path(
        &self,
        env: &Env,
        level: &str,
        rels: &[impl AsRef<str>],
        message: impl Fn(String) -> String,
    ) -> &Self {
        for rel in rels {
            self.assert_logged(level, &message(env.p(rel.as_ref())));
        }
        self
    }

    /// INFO `Downloading <what> to <data> ...`, the line that announces the downloads.
    pub fn assert_downloading_to(&self, env: &Env, what: &str) -> &Self {
        self.assert_logged("INFO", &format!("Downloading {what} to {} ...", env.p("")))
    }

    /// DEBUG `Downloading <data>/<rel>...` for each of `rels`.
    pub fn assert_downloading(&self, env: &Env, rels: &[impl AsRef<str>]) -> &Self {
        self.assert_each_path(env, "DEBUG", rels, |p| format!("Downloading {p}..."))
    }

    /// INFO `Downloaded <data>/<rel>` for each of `rels`.
    pub fn assert_downloaded(&self, env: &Env, rels: &[impl AsRef<str>]) -> &Self {
        self.assert_each_path(env, "INFO", rels, |p| format!("Downloaded {p}"))
    }

    /// DEBUG `<data>/<rel> already exists` for each of `rels`.
    pub fn assert_already_exists(&self, env: &Env, rels: &[impl AsRef<str>]) -> &Self {
        self.assert_each_path(env, "DEBUG", rels, |p| format!("{p} already exists"))
    }

    /// INFO `[DRY RUN] Would download <data>/<rel>` for each of `rels`.
    pub fn assert_would_download(&self, env: &Env, rels: &[impl AsRef<str>]) -> &Self {
        self.assert_each_path(env, "INFO", rels, |p| {
            format!("[DRY RUN] Would download {p}")
        })
    }

    /// DEBUG `Setting EXIF timestamp for <data>/<rel>: <stamp>`.
    pub fn assert_exif_set(&self, env: &Env, rel: &str, stamp: &str) -> &Self {
        let message = format!("Setting EXIF timestamp for {}: {stamp}", env.p(rel));
        self.assert_logged("DEBUG", &message)
    }

    /// DEBUG `Skipping <name>, only downloading photos. (Item type was: MOVIE)` for each video.
    pub fn assert_skipped_videos(&self, names: &[impl AsRef<str>]) -> &Self {
        for name in names {
            let name = name.as_ref();
            let message =
                format!("Skipping {name}, only downloading photos. (Item type was: MOVIE)");
            self.assert_logged("DEBUG", &message);
        }
        self
    }

    /// INFO `Deleted <name> in iCloud` for each of `names`.
    pub fn assert_deleted_in_icloud(&self, names: &[&str]) -> &Self {
        for name in names {
            self.assert_logged("INFO", &format!("Deleted {name} in iCloud"));
        }
        self
    }

    /// No `Deleted <name> in iCloud` for any of `names`.
    pub fn assert_not_deleted_in_icloud(&self, names: &[&str]) -> &Self {
        for name in names {
            self.assert_not_logged(&format!("Deleted {name} in iCloud"));
        }
        self
    }

    /// ERROR `Could not download <name>. Please try again later.`
    pub fn assert_could_not_download(&self, name: &str) -> &Self {
        let message = format!("Could not download {name}. Please try again later.");
        self.assert_logged("ERROR", &message)
    }

    /// Exactly `n` log messages start with `prefix`.
    pub fn assert_starting_with_times(&self, prefix: &str, n: usize) -> &Self {
        let found = self
            .messages()
            .iter()
            .filter(|m| m.starts_with(prefix))
            .count();
        assert_eq!(
            found, n,
            "{prefix:?}… logged {found} times, not {n}\n{self}"
        );
        self
    }

    /// stdout is exactly `<data>/<rel>` for each of `rels`, a line each, in order
    /// (`--only-print-filenames`).
    pub fn assert_printed(&self, env: &Env, rels: &[impl AsRef<str>]) -> &Self {
        let want: Vec<String> = rels.iter().map(|rel| env.p(rel.as_ref())).collect();
        assert_eq!(self.stdout.lines().collect::<Vec<_>>(), want, "{self}");
        self
    }
}

/// No files (for [`assert_files`] and [`assert_synced`]).
pub(crate) const NO_FILES: &[&str] = &[];

/// Asserts the files under the download directory.
#[track_caller]
pub(crate) fn assert_files(env: &Env, want: &[impl AsRef<str>], run: &Run) {
    let want: BTreeSet<String> = want.iter().map(|p| p.as_ref().to_owned()).collect();
    assert_eq!(env.files(), want, "files under data/\n{run}");
}

/// Asserts a run that found `existing` on disk (`… already exists`) and downloaded
/// `downloaded` (`Downloaded …`, never `… already exists`), leaving exactly both under `data/`.
#[track_caller]
pub(crate) fn assert_synced(
    env: &Env,
    run: &Run,
    existing: &[impl AsRef<str>],
    downloaded: &[impl AsRef<str>],
) {
    run.assert_already_exists(env, existing)
        .assert_downloaded(env, downloaded);
    for rel in downloaded {
        run.assert_not_logged(&format!("{} already exists", env.p(rel.as_ref())));
    }
    let all = existing.iter().map(AsRef::as_ref);
    let all: Vec<&str> = all.chain(downloaded.iter().map(AsRef::as_ref)).collect();
    assert_files(env, &all, run);
}

/// Asserts the size in bytes of `<data>/<rel>`.
#[track_caller]
pub(crate) fn assert_size(env: &Env, rel: &str, size: u64) {
    let len = std::fs::metadata(env.data().join(rel)).unwrap().len();
    assert_eq!(len, size, "size of {rel}");
}

/// The modification time of `<data>/<rel>`, in whole seconds since the epoch.
pub(crate) fn mtime(env: &Env, rel: &str) -> i64 {
    let m = std::fs::metadata(env.data().join(rel))
        .unwrap()
        .modified()
        .unwrap();
    match m.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}
