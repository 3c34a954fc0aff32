//! [`KeyringBackend::File`](super::KeyringBackend::File): Python keyrings.alt's plain-text
//! keyring file, `keyring_pass.cfg`, which Python icloudpd uses when no Secret Service runs.
//!
//! The file is read whole, changed and written whole, like Python does, but the write goes to
//! a new file (mode 0600, in the same directory) that is flushed to disk and renamed over the
//! old one, so a crash never leaves half a file. Threads storing through one store take turns;
//! two programs storing at the same moment can still lose one of the two writes, as with
//! Python.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use keyring::credential::{Credential, CredentialApi, CredentialBuilderApi};

use super::ini::{self, Document};
use crate::private_fs::{create_private_dir, write_atomic};

/// A failure reading or writing the file, worded with its path and never its contents.
#[derive(Debug)]
pub(super) struct FileError(pub(super) String);

impl FileError {
    fn io(what: &str, path: &Path, e: &io::Error) -> Self {
        FileError(format!("cannot {what} {}: {e}", path.display()))
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FileError {}

/// One keyring file.
#[derive(Debug)]
pub(super) struct PasswordFile {
    path: PathBuf,
    /// Held for each read-change-write, so that two threads storing at once both get stored.
    writing: Mutex<()>,
}

impl PasswordFile {
    pub(super) fn new(path: PathBuf) -> Self {
        PasswordFile {
            path,
            writing: Mutex::new(()),
        }
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Returns the secret stored for `user` of `service`, if any.
    pub(super) fn get(&self, service: &str, user: &str) -> Result<Option<Vec<u8>>, FileError> {
        let Some(doc) = self.load()? else {
            return Ok(None);
        };
        let Some(value) = doc.get(&ini::escape(service), &ini::escape(user)) else {
            return Ok(None);
        };
        ini::decode_secret(value).map(Some).ok_or_else(|| {
            FileError(format!(
                "the password stored in {} is not valid base64",
                self.path.display()
            ))
        })
    }

    /// Stores `secret` for `user` of `service`, keeping every other entry.
    pub(super) fn set(&self, service: &str, user: &str, secret: &[u8]) -> Result<(), FileError> {
        let _writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        let mut doc = self.load()?.unwrap_or_default();
        doc.set(
            &ini::escape(service),
            &ini::escape(user),
            ini::encode_secret(secret),
        );
        self.save(&doc)
    }

    /// Removes the entry of `user` of `service`; returns whether there was one.
    pub(super) fn delete(&self, service: &str, user: &str) -> Result<bool, FileError> {
        let _writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(mut doc) = self.load()? else {
            return Ok(false);
        };
        if !doc.remove(&ini::escape(service), &ini::escape(user)) {
            return Ok(false);
        }
        self.save(&doc)?;
        Ok(true)
    }

    /// Reads and parses the file; `None` if it does not exist. A file that others can read is
    /// made private first.
    fn load(&self) -> Result<Option<Document>, FileError> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            // Python's `os.path.exists` is false for both.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(FileError::io("read", &self.path, &e)),
        };
        make_private(&self.path);
        let text = String::from_utf8(bytes).map_err(|_| {
            FileError(format!(
                "cannot read {}: not UTF-8 text",
                self.path.display()
            ))
        })?;
        Document::parse(&text)
            .map(Some)
            .map_err(|e| FileError(format!("cannot read {}: {e}", self.path.display())))
    }

    /// Replaces the file with `doc`, atomically.
    fn save(&self, doc: &Document) -> Result<(), FileError> {
        // Write where a symbolic link points, rather than replacing the link.
        let target = fs::canonicalize(&self.path).unwrap_or_else(|_| self.path.clone());
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
            _ => PathBuf::from("."),
        };
        create_private_dir(&dir).map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists | io::ErrorKind::NotADirectory => FileError(format!(
                "cannot create the directory {}: something else has its name",
                dir.display()
            )),
            _ => FileError::io("create the directory", &dir, &e),
        })?;
        write_atomic(&target, doc.render().as_bytes())
            .map_err(|e| FileError::io("write", &target, &e))
    }
}

/// Sets mode 0600 on a file that others may read. Best effort: the file may belong to
/// another user or sit on a read-only file system, which does not stop reading it.
fn make_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = fs::metadata(path) else { return };
        if meta.permissions().mode() & 0o077 != 0 {
            match fs::set_permissions(path, fs::Permissions::from_mode(0o600)) {
                Ok(()) => tracing::debug!(path = %path.display(), "keyring file made private"),
                Err(e) => tracing::warn!(
                    path = %path.display(),
                    "keyring file is readable by others and cannot be made private: {e}"
                ),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Builds the credentials of one keyring file.
#[derive(Debug, Clone)]
pub(super) struct FileBuilder {
    file: Arc<PasswordFile>,
}

impl FileBuilder {
    pub(super) fn new(path: PathBuf) -> Self {
        FileBuilder {
            file: Arc::new(PasswordFile::new(path)),
        }
    }

    pub(super) fn path(&self) -> &Path {
        self.file.path()
    }

    pub(super) fn credential(&self, service: &str, user: &str) -> FileCredential {
        FileCredential {
            file: Arc::clone(&self.file),
            service: service.to_owned(),
            user: user.to_owned(),
        }
    }
}

impl CredentialBuilderApi for FileBuilder {
    fn build(
        &self,
        _target: Option<&str>,
        service: &str,
        user: &str,
    ) -> keyring::Result<Box<Credential>> {
        Ok(Box::new(self.credential(service, user)))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// One entry of a keyring file.
#[derive(Debug)]
pub(super) struct FileCredential {
    file: Arc<PasswordFile>,
    service: String,
    user: String,
}

impl CredentialApi for FileCredential {
    fn set_secret(&self, secret: &[u8]) -> keyring::Result<()> {
        if self.user.is_empty() {
            // Python refuses too: an empty option name makes the file unreadable.
            return Err(keyring::Error::Invalid(
                "username".to_owned(),
                "cannot be empty in a keyring file".to_owned(),
            ));
        }
        self.file
            .set(&self.service, &self.user, secret)
            .map_err(failure)
    }

    fn get_secret(&self) -> keyring::Result<Vec<u8>> {
        self.file
            .get(&self.service, &self.user)
            .map_err(failure)?
            .ok_or(keyring::Error::NoEntry)
    }

    fn delete_credential(&self) -> keyring::Result<()> {
        match self.file.delete(&self.service, &self.user) {
            Ok(true) => Ok(()),
            Ok(false) => Err(keyring::Error::NoEntry),
            Err(e) => Err(failure(e)),
        }
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn debug_fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

fn failure(e: FileError) -> keyring::Error {
    keyring::Error::PlatformFailure(Box::new(e))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test fails loudly where it unwraps")]
mod tests {
    use super::*;
    use crate::keyring::environment::FILE_NAME;

    const SERVICE: &str = "pyicloud://icloud-password";

    fn file_in(dir: &Path) -> PasswordFile {
        PasswordFile::new(dir.join("python_keyring").join(FILE_NAME))
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn round_trip_creates_a_private_file_in_a_private_directory() {
        let temp = tempfile::tempdir().unwrap();
        let file = file_in(temp.path());
        assert_eq!(file.get(SERVICE, "jdoe@gmail.com").unwrap(), None);
        assert!(!file.delete(SERVICE, "jdoe@gmail.com").unwrap());
        assert!(!file.path().exists(), "reading or deleting creates nothing");

        file.set(SERVICE, "jdoe@gmail.com", "pä:s=[m]od".as_bytes())
            .unwrap();
        #[cfg(unix)]
        {
            assert_eq!(mode(file.path()), 0o600);
            assert_eq!(mode(file.path().parent().unwrap()), 0o700);
        }
        assert_eq!(
            fs::read_to_string(file.path()).unwrap(),
            "[pyicloud_3A_2F_2Ficloud_2Dpassword]\njdoe_40gmail_2ecom = \n\tcMOkOnM9W21db2Q=\n\t\n\n"
        );
        // The user name matches without regard to case, as in Python.
        let found = file.get(SERVICE, "JDoe@Gmail.com").unwrap().unwrap();
        assert_eq!(found, "pä:s=[m]od".as_bytes());

        file.set(SERVICE, "jdoe@gmail.com", b"changed").unwrap();
        assert_eq!(
            file.get(SERVICE, "jdoe@gmail.com").unwrap().unwrap(),
            b"changed"
        );
        assert!(file.delete(SERVICE, "jdoe@gmail.com").unwrap());
        assert_eq!(file.get(SERVICE, "jdoe@gmail.com").unwrap(), None);
        assert!(!file.delete(SERVICE, "jdoe@gmail.com").unwrap());
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(file.path().parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [FILE_NAME]);
    }

    #[test]
    fn other_entries_survive_set_and_delete() {
        let temp = tempfile::tempdir().unwrap();
        let file = file_in(temp.path());
        fs::create_dir_all(file.path().parent().unwrap()).unwrap();
        let others = "[other_2Dservice]\njdoe_40gmail_2ecom = \n\tb3RoZXI=\n\n";
        fs::write(file.path(), others).unwrap();
        file.set(SERVICE, "jdoe@gmail.com", b"mine").unwrap();
        file.set(SERVICE, "second@example.com", b"theirs").unwrap();
        assert!(file.delete(SERVICE, "jdoe@gmail.com").unwrap());
        // Each write renders the whole file as Python's configparser does, which drops the
        // tab line that ends a value it read back.
        assert_eq!(
            fs::read_to_string(file.path()).unwrap(),
            format!(
                "{others}[pyicloud_3A_2F_2Ficloud_2Dpassword]\n\
                 second_40example_2ecom = \n\tdGhlaXJz\n\n"
            )
        );
        let other = PasswordFile::new(file.path().to_owned());
        assert_eq!(
            other
                .get("other-service", "jdoe@gmail.com")
                .unwrap()
                .unwrap(),
            b"other"
        );
    }

    #[test]
    fn threads_storing_at_once_all_get_stored() {
        let temp = tempfile::tempdir().unwrap();
        let file = file_in(temp.path());
        let users: Vec<String> = (0..8).map(|i| format!("user{i}@example.com")).collect();
        std::thread::scope(|scope| {
            for user in &users {
                let file = &file;
                scope.spawn(move || file.set(SERVICE, user, user.as_bytes()).unwrap());
            }
        });
        for user in &users {
            assert_eq!(file.get(SERVICE, user).unwrap().unwrap(), user.as_bytes());
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_read_is_made_private() {
        use std::os::unix::fs::PermissionsExt;
        let temp = tempfile::tempdir().unwrap();
        let file = PasswordFile::new(temp.path().join(FILE_NAME));
        fs::write(file.path(), "[s]\n").unwrap();
        fs::set_permissions(file.path(), fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(file.get(SERVICE, "a").unwrap(), None);
        assert_eq!(mode(file.path()), 0o600);

        fs::set_permissions(file.path(), fs::Permissions::from_mode(0o666)).unwrap();
        file.set(SERVICE, "a", b"x").unwrap();
        assert_eq!(mode(file.path()), 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_is_written_through() {
        let temp = tempfile::tempdir().unwrap();
        let real = temp.path().join("real.cfg");
        fs::write(&real, "").unwrap();
        let link = temp.path().join(FILE_NAME);
        std::os::unix::fs::symlink(&real, &link).unwrap();
        PasswordFile::new(link.clone())
            .set(SERVICE, "a", b"x")
            .unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(fs::read_to_string(&real).unwrap().contains("[pyicloud_3A"));
    }

    #[test]
    fn errors_name_the_file_but_never_the_password() {
        let temp = tempfile::tempdir().unwrap();
        let file = PasswordFile::new(temp.path().join(FILE_NAME));
        fs::write(
            file.path(),
            "[pyicloud_3A_2F_2Ficloud_2Dpassword]\na = !!\nhunter2\n",
        )
        .unwrap();
        let err = file.get(SERVICE, "a").unwrap_err().to_string();
        assert!(err.starts_with(&format!("cannot read {}: line 3", file.path().display())));
        assert!(!err.contains("hunter2"), "{err}");
        // A file that is not understood is left alone.
        assert!(file.set(SERVICE, "a", b"x").is_err());
        assert!(fs::read_to_string(file.path()).unwrap().contains("hunter2"));

        fs::write(file.path(), "[pyicloud_3A_2F_2Ficloud_2Dpassword]\na = a\n").unwrap();
        let err = file.get(SERVICE, "a").unwrap_err().to_string();
        assert!(err.contains("not valid base64"), "{err}");
    }

    #[test]
    fn a_directory_that_cannot_be_made_is_reported() {
        let temp = tempfile::tempdir().unwrap();
        // A file where the directory should be stops even root.
        let blocker = temp.path().join("python_keyring");
        fs::write(&blocker, "").unwrap();
        let file = PasswordFile::new(blocker.join(FILE_NAME));
        let err = file.set(SERVICE, "a", b"hunter2").unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "cannot create the directory {}: something else has its name",
                blocker.display()
            )
        );
        assert_eq!(file.get(SERVICE, "a").unwrap(), None);
    }

    #[test]
    fn credentials_map_to_keyring_results() {
        let temp = tempfile::tempdir().unwrap();
        let builder = FileBuilder::new(temp.path().join(FILE_NAME));
        let cred = builder.build(None, SERVICE, "jdoe@gmail.com").unwrap();
        assert!(matches!(cred.get_password(), Err(keyring::Error::NoEntry)));
        cred.set_password("hunter2").unwrap();
        assert_eq!(cred.get_password().unwrap(), "hunter2");
        let shown = format!("{cred:?}");
        assert!(
            shown.contains("jdoe@gmail.com") && !shown.contains("hunter2"),
            "{shown}"
        );
        cred.delete_credential().unwrap();
        assert!(matches!(
            cred.delete_credential(),
            Err(keyring::Error::NoEntry)
        ));
        let nameless = builder.build(None, SERVICE, "").unwrap();
        assert!(matches!(
            nameless.set_password("x"),
            Err(keyring::Error::Invalid(..))
        ));
    }
}
