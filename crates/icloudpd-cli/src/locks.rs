//! One icloudpd at a time per download directory and per account's session files: the locks
//! are taken before anything is touched (web UI, sign-in, files) and held for the whole run,
//! in watch mode for the whole process. A second process stops at once with exit status 1,
//! or waits with `--wait-for-lock`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use icloud_auth::{FileLock, FileSessionStore};
use icloudpd_sync::DirectoryLock;
use tracing::info;

use crate::error::CliError;
use crate::logging::APP;
use crate::settings::{Settings, UserSettings};

/// How often `--wait-for-lock` tries again.
const POLL: Duration = Duration::from_millis(500);

/// The locks of a run; dropping it releases them.
#[derive(Debug, Default)]
pub struct Locks {
    sessions: Vec<FileLock>,
    directories: Vec<DirectoryLock>,
}

/// One lock a run needs.
#[derive(Debug)]
enum Wanted {
    /// The session files of `username` in the cookie directory `store`.
    Session {
        store: FileSessionStore,
        username: String,
    },
    /// A download directory.
    Directory(PathBuf),
}

/// Who holds a lock this process was refused.
struct Busy {
    /// What a person knows the lock by: the download or the cookie directory.
    shown: PathBuf,
    pid: Option<u32>,
}

impl Busy {
    fn holder(&self) -> String {
        match self.pid {
            Some(pid) => format!("Another icloudpd process (pid {pid})"),
            None => "Another icloudpd process".to_owned(),
        }
    }
}

impl Wanted {
    /// Returns the lock file, by which locks are taken in order.
    fn lock_path(&self) -> PathBuf {
        match self {
            Wanted::Session { store, username } => store.lock_path(username),
            Wanted::Directory(dir) => dir.join(icloudpd_sync::LOCK_FILE_NAME),
        }
    }

    fn shown(&self) -> &Path {
        match self {
            Wanted::Session { store, .. } => store.dir(),
            Wanted::Directory(dir) => dir,
        }
    }

    /// Takes the lock into `locks`; `Ok(Err(_))` when another process holds it.
    fn try_take(&self, locks: &mut Locks) -> Result<Result<(), Busy>, CliError> {
        let busy = |pid| Busy {
            shown: self.shown().to_owned(),
            pid,
        };
        match self {
            Wanted::Session { store, username } => match store.try_lock(username) {
                Ok(lock) => locks.sessions.push(lock),
                Err(icloud_auth::Error::Locked { pid, .. }) => return Ok(Err(busy(pid))),
                Err(e) => return Err(lock_failed(self.shown(), &e)),
            },
            Wanted::Directory(dir) => match DirectoryLock::try_acquire(dir) {
                Ok(lock) => locks.directories.push(lock),
                Err(icloudpd_sync::Error::Locked { pid, .. }) => return Ok(Err(busy(pid))),
                Err(e) => return Err(lock_failed(self.shown(), &e)),
            },
        }
        Ok(Ok(()))
    }
}

fn lock_failed(shown: &Path, e: &dyn std::error::Error) -> CliError {
    CliError::failed(format!(
        "Cannot lock {}: {}",
        shown.display(),
        crate::error::with_causes(e)
    ))
}

/// Returns the locks `users` need: the session files of each user, and the download
/// directory of each user that downloads (a dry run or `--only-print-filenames` writes
/// nothing there, so it needs none). Ordered by lock file, so that two waiting processes
/// never each hold what the other waits for.
fn wanted(only_print_filenames: bool, users: &[UserSettings]) -> Vec<Wanted> {
    let mut wanted = Vec::new();
    for user in users {
        wanted.push(Wanted::Session {
            store: FileSessionStore::new(&user.cookie_directory),
            username: user.username.clone(),
        });
        let lists = user.auth_only || user.list_albums || user.list_libraries;
        if let Some(options) = &user.download
            && !lists
            && options.mode.writes()
            && !only_print_filenames
        {
            wanted.push(Wanted::Directory(options.directory.clone()));
        }
    }
    wanted.sort_by_key(Wanted::lock_path);
    wanted
}

/// Takes every lock the run needs. Another process holding one ends the run with exit status
/// 1 before anything is touched, unless `--wait-for-lock` asks to wait for it.
pub async fn acquire(settings: &Settings) -> Result<Locks, CliError> {
    let mut locks = Locks::default();
    let only_print_filenames = settings.display.only_print_filenames;
    for want in wanted(only_print_filenames, &settings.users) {
        let mut told = false;
        loop {
            let busy = match want.try_take(&mut locks)? {
                Ok(()) => break,
                Err(busy) => busy,
            };
            let (holder, shown) = (busy.holder(), busy.shown.display());
            if !settings.wait_for_lock {
                return Err(CliError::failed(format!(
                    "{holder} is using {shown}; wait for it to finish, or stop it"
                )));
            }
            if !told {
                info!(target: APP, "{holder} is using {shown}; waiting for it to finish");
                told = true;
            }
            tokio::time::sleep(POLL).await;
        }
    }
    Ok(locks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock_files(line: &str) -> Vec<PathBuf> {
        let settings = crate::settings::from_line(line).unwrap();
        wanted(settings.display.only_print_filenames, &settings.users)
            .iter()
            .map(Wanted::lock_path)
            .collect()
    }

    #[test]
    fn every_user_locks_its_session_files_and_a_downloading_one_its_directory_in_order() {
        assert_eq!(
            lock_files(
                "--cookie-directory /c -u b@x.com -d /p -u a@x.com -d /p --dry-run -u a@x.com --auth-only"
            ),
            [
                PathBuf::from("/c/axcom.lock"),
                PathBuf::from("/c/axcom.lock"),
                PathBuf::from("/c/bxcom.lock"),
                PathBuf::from("/p/.icloudpd.lock"),
            ],
            "sorted; a dry run and --auth-only need no directory"
        );
        assert_eq!(
            lock_files("--only-print-filenames -u a@x.com -d /p --cookie-directory /c"),
            [PathBuf::from("/c/axcom.lock")]
        );
        assert_eq!(
            lock_files("-u a@x.com -d /p --cookie-directory /c --list-albums"),
            [PathBuf::from("/c/axcom.lock")]
        );
    }
}
