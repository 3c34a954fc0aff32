//! A headless Linux box: no D-Bus session, so no Secret Service. The platform keyring is then
//! Python keyrings.alt's file, `~/.local/share/python_keyring/keyring_pass.cfg`, as it is for
//! Python icloudpd, which the differential tests run to prove both read each other's file.
//!
//! Every run gets its own `HOME`, an empty `XDG_RUNTIME_DIR` (so zbus finds no bus there
//! either), no `DBUS_SESSION_BUS_ADDRESS`, no `XDG_DATA_HOME` unless a test sets one, and no
//! `ICLOUD_KEYRING_BACKEND` (the platform default).

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use icloud_auth::{ExposeSecret, KeyringPasswordStore};

use super::{parts, run};

/// A password with bytes that are escaped or multi-byte in the file.
const PASSWORD: &str = "pä:s=[m]od+/.@ 🔑";

/// A temporary home with no Secret Service in reach.
struct Headless {
    home: tempfile::TempDir,
    runtime: tempfile::TempDir,
    data_home: Option<PathBuf>,
}

impl Headless {
    fn new() -> Self {
        Headless {
            home: tempfile::tempdir().expect("temp home"),
            runtime: tempfile::tempdir().expect("temp runtime dir"),
            data_home: None,
        }
    }

    /// Where Python keyring keeps its file in this home.
    fn keyring_file(&self) -> PathBuf {
        let data = match &self.data_home {
            Some(dir) => dir.clone(),
            None => self.home.path().join(".local/share"),
        };
        data.join("python_keyring/keyring_pass.cfg")
    }

    /// Applies the headless environment to `command`.
    fn env(&self, command: &mut Command) {
        command
            .env("HOME", self.home.path())
            .env("XDG_RUNTIME_DIR", self.runtime.path())
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("PYTHON_KEYRING_BACKEND")
            .env_remove("ICLOUD_KEYRING_BACKEND");
        match &self.data_home {
            Some(dir) => command.env("XDG_DATA_HOME", dir),
            None => command.env_remove("XDG_DATA_HOME"),
        };
    }

    /// Runs `icloud` with `args`, feeding `stdin`.
    fn icloud(&self, args: &[&str], stdin: &str) -> (i32, String, String) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_icloud"));
        command.args(args);
        self.env(&mut command);
        parts(&run(command, stdin, None))
    }

    /// Runs Python (the venv of the real icloudpd 1.32.3) with `script` and `args`.
    fn python(&self, script: &str, args: &[&str]) -> Output {
        let mut command = Command::new(icloud_fake::python::interpreter());
        command.arg("-c").arg(script).args(args);
        self.env(&mut command);
        command
            .stdin(Stdio::null())
            .output()
            .expect("run the venv's python")
    }

    /// Returns the password Python's keyring finds for `user`, after checking that Python
    /// chose the plain-text file, as we did.
    fn python_get(&self, user: &str) -> Option<String> {
        let out = self.python(PYTHON_GET, &[user]);
        let stdout = String::from_utf8(out.stdout).expect("UTF-8 from python");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "python failed:\n{stdout}\n{stderr}");
        let (chosen, found) = stdout.split_once('\n').expect("two lines");
        assert_eq!(chosen, "keyrings.alt.file.PlaintextKeyring", "{stderr}");
        found.strip_prefix("found:").map(str::to_owned)
    }

    /// Stores `password` for `user` with Python's keyring.
    fn python_set(&self, user: &str, password: &str) {
        let out = self.python(PYTHON_SET, &[user, password]);
        assert!(
            out.status.success(),
            "python failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

const PYTHON_GET: &str = "\
import sys, keyring
backend = keyring.get_keyring()
print(type(backend).__module__ + '.' + type(backend).__name__)
found = keyring.get_password('pyicloud://icloud-password', sys.argv[1])
sys.stdout.write('nothing' if found is None else 'found:' + found)
";

const PYTHON_SET: &str = "\
import sys, keyring
keyring.set_password('pyicloud://icloud-password', sys.argv[1], sys.argv[2])
";

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn icloud_saves_in_python_keyring_file_and_deletes_from_it() {
    let machine = Headless::new();
    let user = "jdoe@gmail.com";
    let file = machine.keyring_file();

    let (code, stdout, stderr) =
        machine.icloud(&["--username", user, "--password", PASSWORD], "y\n");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        format!("Save password in keyring? (y/N) \nPassword saved in keyring for {user}\n")
    );
    assert_eq!(
        stderr,
        format!(
            "No Secret Service is running; the password is stored in {}, readable only by you \
             (where Python icloudpd also looks)\n",
            file.display()
        )
    );
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(file.parent().expect("dir")), 0o700);
    assert_eq!(
        std::fs::read_to_string(&file).expect("read the file"),
        "[pyicloud_3A_2F_2Ficloud_2Dpassword]\n\
         jdoe_40gmail_2ecom = \n\
         \tcMOkOnM9W21db2QrLy5AIPCflJE=\n\
         \t\n\n"
    );
    let library = KeyringPasswordStore::with_file(&file);
    let found = library.get(user).expect("read").expect("saved");
    assert_eq!(found.expose_secret(), PASSWORD);

    let (code, stdout, stderr) = machine.icloud(&["--username", user, "--delete-from-keyring"], "");
    assert_eq!(
        (code, stdout.as_str()),
        (0, "Password delete from keyring\n"),
        "{stderr}"
    );
    assert!(library.get(user).expect("read").is_none());
    assert_eq!(
        std::fs::read_to_string(&file).expect("read the file"),
        "[pyicloud_3A_2F_2Ficloud_2Dpassword]\n\n"
    );

    let (code, _, stderr) = machine.icloud(&["--username", user, "--delete-from-keyring"], "");
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        format!("icloud: error: No password stored in keyring for {user}\n")
    );
}

#[test]
fn xdg_data_home_moves_the_file_as_for_python() {
    let mut machine = Headless::new();
    machine.data_home = Some(machine.home.path().join("data"));
    let (code, _, stderr) = machine.icloud(&["--username", "a@b.c", "--password", "pw"], "y\n");
    assert_eq!(code, 0, "{stderr}");
    let file = machine.keyring_file();
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    assert_eq!(mode(&file), 0o600);
    assert_eq!(machine.python_get("a@b.c").as_deref(), Some("pw"));
}

#[test]
fn declining_writes_no_file() {
    let machine = Headless::new();
    let (code, stdout, stderr) =
        machine.icloud(&["--username", "a@b.c", "--password", "pw"], "n\n");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.ends_with("Password not saved in keyring\n"),
        "{stdout}"
    );
    assert_eq!(stderr, "");
    assert!(!machine.keyring_file().exists());
}

#[test]
fn no_place_for_the_file_says_what_to_do() {
    let machine = Headless::new();
    // A file where the directory should be: even root cannot store there.
    let blocker = machine.home.path().join(".local/share/python_keyring");
    std::fs::create_dir_all(blocker.parent().expect("parent")).expect("mkdir");
    std::fs::write(&blocker, "").expect("write the blocker");

    let (code, stdout, stderr) =
        machine.icloud(&["--username", "a@b.c", "--password", "hunter2"], "y\n");
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "Save password in keyring? (y/N) \n");
    assert!(
        stderr.starts_with(&format!(
            "icloud: error: keyring: cannot store the password for a@b.c: cannot create the \
             directory {}: something else has its name\n",
            blocker.display()
        )),
        "{stderr}"
    );
    for needed in [
        "hint: the password goes to the file ",
        "make sure you can create and write",
        "XDG_DATA_HOME",
        "start a Secret Service",
        "ICLOUD_KEYRING_BACKEND=keyutils",
        "give it to icloudpd with --password",
    ] {
        assert!(stderr.contains(needed), "{needed:?} missing from\n{stderr}");
    }
    assert!(!stderr.contains("hunter2"));
}

/// The differential half: the real Python keyring reads what `icloud` stored, and `icloud`
/// finds (and deletes) what Python stored, user names of any case included.
#[test]
fn python_keyring_and_icloud_share_the_file() {
    let machine = Headless::new();
    let ours = "JDoe+test@Example.com";
    let (code, _, stderr) = machine.icloud(&["--username", ours, "--password", PASSWORD], "y\n");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(machine.python_get(ours).as_deref(), Some(PASSWORD));
    // configparser lowercases option names, so Python finds it under any case; so do we.
    assert_eq!(
        machine.python_get("jdoe+test@example.com").as_deref(),
        Some(PASSWORD)
    );

    let theirs = "python.user@example.com";
    machine.python_set(theirs, "from Python ✓");
    let library = KeyringPasswordStore::with_file(machine.keyring_file());
    let found = library.get(theirs).expect("read").expect("Python's entry");
    assert_eq!(found.expose_secret(), "from Python ✓");
    // Python rewrote the file: our entry is still there.
    assert_eq!(machine.python_get(ours).as_deref(), Some(PASSWORD));

    let (code, stdout, stderr) =
        machine.icloud(&["--username", theirs, "--delete-from-keyring"], "");
    assert_eq!(
        (code, stdout.as_str()),
        (0, "Password delete from keyring\n"),
        "{stderr}"
    );
    assert_eq!(machine.python_get(theirs), None);
    assert_eq!(machine.python_get(ours).as_deref(), Some(PASSWORD));
    assert_eq!(mode(&machine.keyring_file()), 0o600);
}
