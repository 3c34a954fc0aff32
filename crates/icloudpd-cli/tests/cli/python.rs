//! The real Python icloudpd 1.32.3 against `icloud-fake`.
//!
//! These tests prove two things:
//! * the fake is faithful: the unmodified Python client signs in (SRP, 2FA, trust, session reuse,
//!   wrong password) against it exactly as it would against Apple;
//! * session directories are interchangeable: a `--cookie-directory` written by Python icloudpd is
//!   accepted by our `icloudpd` without a new 2FA, and the other way round.
//!
//! Prerequisites: python3 3.10–3.13 with `venv`, and access to PyPI the first time.
//! `scripts/python-icloudpd.sh` builds a throw-away virtualenv (once; a file lock lets parallel
//! tests and test binaries share it) and `tests/python/icloudpd_launcher.py` points icloudpd's
//! endpoints at the fake through `ICLOUD_AUTH_ENDPOINT`, `ICLOUD_SETUP_ENDPOINT` and
//! `ICLOUD_HOME_ENDPOINT` — the same variables our binary honours. A missing prerequisite makes
//! the tests fail with instructions; they never skip.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use icloud_fake::{FakeAccount, FakeICloud, Fault};

// Downloads: the same generated library downloaded by both programs, compared tree for tree.
mod download;
// Photos: listing albums and libraries, downloading a generated library.
mod photos;

const APPLE_ID: &str = "jdoe@example.com";
/// `APPLE_ID` without its non-word characters: the cookie jar's file name.
const BASE_NAME: &str = "jdoeexamplecom";
const PASSWORD: &str = "correct horse battery staple";
const CODE: &str = "123456";

const SIGNIN_INIT: &str = "/appleauth/auth/signin/init";
const SIGNIN_COMPLETE: &str = "/appleauth/auth/signin/complete";
const VERIFY_DEVICE_CODE: &str = "/appleauth/auth/verify/trusteddevice/securitycode";
const TRUST: &str = "/appleauth/auth/2sv/trust";
const VALIDATE: &str = "/setup/ws/1/validate";
const ACCOUNT_LOGIN: &str = "/setup/ws/1/accountLogin";

/// Longest a single client run may take (icloudpd's own HTTP timeout is 30 s per request).
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

const AUTH_OK: &str = "Authentication completed successfully";
const TWO_FA_REQUIRED: &str = "Two-factor authentication is required (2fa)";
const ALL_SET_UP: &str = "Great, you're all set up. The script can now be run without user \
                          interaction until 2FA expires.";

// ---------------------------------------------------------------------------------------------
// Python icloudpd against the fake
// ---------------------------------------------------------------------------------------------

#[test]
fn python_signs_in_with_two_factor_code_from_stdin() {
    let fake = start_fake();
    let dir = tempfile::tempdir().unwrap();

    let run = python_auth_only(&fake, dir.path(), PASSWORD, Some(&format!("{CODE}\n")));

    run.assert_success();
    run.assert_stdout_contains(TWO_FA_REQUIRED);
    // The fake's one trusted phone, parsed from the boot-args page, then the prompt (§7.7).
    run.assert_stdout_contains("  a: (***) ***-**81\n");
    run.assert_stdout_contains(
        "Please enter two-factor authentication code or device index (a) to send SMS with a code: ",
    );
    run.assert_stdout_contains(ALL_SET_UP);
    run.assert_stdout_contains(AUTH_OK);
    run.assert_no_traceback();
    assert_eq!(
        fake.count("POST", VERIFY_DEVICE_CODE),
        1,
        "one code validation\n{run}"
    );
    assert_eq!(fake.count("GET", TRUST), 1, "one trust request\n{run}");
    assert_python_session_files(dir.path(), &run);
}

#[test]
fn python_reuses_saved_session_without_password_or_two_factor() {
    let fake = start_fake();
    let dir = tempfile::tempdir().unwrap();
    python_auth_only(&fake, dir.path(), PASSWORD, Some(&format!("{CODE}\n"))).assert_success();
    let before = Counts::of(&fake);

    // stdin closed: any prompt would hit EOF and fail the run.
    let run = python_auth_only(&fake, dir.path(), PASSWORD, None);

    run.assert_success();
    run.assert_stdout_contains(AUTH_OK);
    run.assert_stdout_lacks(TWO_FA_REQUIRED);
    run.assert_no_traceback();
    before.assert_only_validate_since(&fake, &run);
}

#[test]
fn python_trust_token_skips_two_factor_when_web_session_is_gone() {
    let fake = start_fake();
    let dir = tempfile::tempdir().unwrap();
    python_auth_only(&fake, dir.path(), PASSWORD, Some(&format!("{CODE}\n"))).assert_success();
    // Dropping the cookie jar loses the web session (validate answers 421), but the `.session`
    // file still holds the trust token, so the SRP sign-in must not ask for a code again.
    std::fs::remove_file(dir.path().join(BASE_NAME)).unwrap();
    let before = Counts::of(&fake);

    let run = python_auth_only(&fake, dir.path(), PASSWORD, None);

    run.assert_success();
    run.assert_stdout_contains("Authentication required for Account. (421)");
    run.assert_stdout_contains(AUTH_OK);
    run.assert_stdout_lacks(TWO_FA_REQUIRED);
    run.assert_no_traceback();
    let after = Counts::of(&fake);
    assert_eq!(
        after.signin_init,
        before.signin_init + 1,
        "full SRP sign-in\n{run}"
    );
    assert_eq!(
        after.signin_complete,
        before.signin_complete + 1,
        "full SRP sign-in\n{run}"
    );
    assert_eq!(
        after.verify_code, before.verify_code,
        "no new 2FA code\n{run}"
    );
}

#[test]
fn python_reports_wrong_password_cleanly() {
    let fake = start_fake();
    let dir = tempfile::tempdir().unwrap();

    let run = python_auth_only(&fake, dir.path(), "not the password", None);

    assert_eq!(run.status.code(), Some(1), "exit status\n{run}");
    // icloudpd logs the exception tuple: ('Invalid email/password combination.', PyiCloudAPIResponseException('<body> (401)'))
    run.assert_stdout_contains("INFO     ('Invalid email/password combination.', ");
    run.assert_stdout_contains(" (401)')");
    run.assert_stdout_lacks(AUTH_OK);
    run.assert_stdout_lacks(TWO_FA_REQUIRED);
    run.assert_no_traceback();
    assert_eq!(
        fake.count("POST", SIGNIN_COMPLETE),
        1,
        "one rejected sign-in\n{run}"
    );
    assert_eq!(
        fake.count("POST", ACCOUNT_LOGIN),
        0,
        "no accountLogin\n{run}"
    );
    let session = read_session(dir.path());
    assert!(
        session_value(&session, "session_token").is_none(),
        "no session token stored: {session}"
    );

    // Nothing left behind by the failure (e.g. a sticky `apple_rscd`) blocks the right password.
    let retry = python_auth_only(&fake, dir.path(), PASSWORD, Some(&format!("{CODE}\n")));
    retry.assert_success();
    retry.assert_stdout_contains(AUTH_OK);
}

#[test]
fn python_reports_wrong_two_factor_code_cleanly() {
    let fake = start_fake();
    let dir = tempfile::tempdir().unwrap();

    let run = python_auth_only(&fake, dir.path(), PASSWORD, Some("654321\n"));

    assert_eq!(run.status.code(), Some(1), "exit status\n{run}");
    run.assert_stdout_contains("ERROR    Code verification failed.");
    run.assert_stdout_contains("INFO     Failed to verify two-factor authentication code");
    run.assert_stdout_lacks(AUTH_OK);
    run.assert_no_traceback();
    assert_eq!(
        fake.count("GET", TRUST),
        0,
        "no trust without a valid code\n{run}"
    );
}

// The fake's other account shapes and failures, each as the real client sees them.

#[test]
fn python_sends_sms_code_to_device_letter() {
    let fake = start_fake();
    let dir = tempfile::tempdir().unwrap();

    let run = python_auth_only(&fake, dir.path(), PASSWORD, Some(&format!("a\n{CODE}\n")));

    run.assert_success();
    run.assert_stdout_contains(
        "Please enter two-factor authentication code that you received over SMS: ",
    );
    run.assert_stdout_contains(ALL_SET_UP);
    run.assert_stdout_contains(AUTH_OK);
    assert_eq!(
        fake.count("PUT", "/appleauth/auth/verify/phone"),
        1,
        "{run}"
    );
    assert_eq!(
        fake.count("POST", "/appleauth/auth/verify/phone/securitycode"),
        1,
        "{run}"
    );
    assert_eq!(fake.count("POST", VERIFY_DEVICE_CODE), 0, "{run}");
    assert_python_session_files(dir.path(), &run);
}

#[test]
fn python_signs_in_without_two_factor_using_s2k_fo() {
    let fake = start_fake_with(
        FakeAccount::new(APPLE_ID, PASSWORD)
            .without_two_factor()
            .protocol_s2k_fo(),
        None,
    );
    let dir = tempfile::tempdir().unwrap();

    let run = python_auth_only(&fake, dir.path(), PASSWORD, None);

    run.assert_success();
    run.assert_stdout_contains(AUTH_OK);
    run.assert_stdout_lacks("Two-");
    run.assert_no_traceback();
    assert_eq!(fake.count("POST", ACCOUNT_LOGIN), 1, "{run}");
}

#[test]
fn python_repairs_account_after_412() {
    let fake = start_fake_with(
        FakeAccount::new(APPLE_ID, PASSWORD)
            .without_two_factor()
            .needs_repair(),
        None,
    );
    let dir = tempfile::tempdir().unwrap();

    let run = python_auth_only(&fake, dir.path(), PASSWORD, None);

    run.assert_success();
    run.assert_stdout_contains(AUTH_OK);
    run.assert_no_traceback();
    assert_eq!(
        fake.count("POST", "/appleauth/auth/repair/complete"),
        1,
        "{run}"
    );
}

#[test]
fn python_completes_legacy_two_step() {
    let fake = start_fake_with(
        FakeAccount::new(APPLE_ID, PASSWORD)
            .two_step()
            .fixed_code(CODE),
        None,
    );
    let dir = tempfile::tempdir().unwrap();

    let run = python_auth_only(&fake, dir.path(), PASSWORD, Some(&format!("0\n{CODE}\n")));

    run.assert_success();
    run.assert_stdout_contains("Two-step authentication is required (2sa)");
    run.assert_stdout_contains("  0: SMS to *******03\n");
    run.assert_stdout_contains("Please choose an option: [0]: ");
    run.assert_stdout_contains("Please enter two-step authentication code: ");
    run.assert_stdout_contains(AUTH_OK);
    run.assert_no_traceback();
    assert_eq!(
        fake.count("POST", "/setup/ws/1/validateVerificationCode"),
        1,
        "{run}"
    );
}

#[test]
fn python_handles_2026_boot_args_and_409_code_answer() {
    let account = FakeAccount::new(APPLE_ID, PASSWORD)
        .fixed_code(CODE)
        .phones_in_bridge(true)
        .code_409(true);
    let fake = start_fake_with(account, None);
    let dir = tempfile::tempdir().unwrap();

    let run = python_auth_only(&fake, dir.path(), PASSWORD, Some(&format!("{CODE}\n")));

    run.assert_success();
    run.assert_stdout_contains("  a: (***) ***-**81\n");
    run.assert_stdout_contains(ALL_SET_UP);
    run.assert_stdout_contains(AUTH_OK);
    run.assert_no_traceback();
}

#[test]
fn python_asks_for_a_code_again_once_trust_expired() {
    let fake = start_fake();
    let dir = tempfile::tempdir().unwrap();
    python_auth_only(&fake, dir.path(), PASSWORD, Some(&format!("{CODE}\n"))).assert_success();
    fake.expire_web_sessions();
    fake.expire_trust_tokens();

    let run = python_auth_only(&fake, dir.path(), PASSWORD, Some(&format!("{CODE}\n")));

    run.assert_success();
    run.assert_stdout_contains("ERROR    Authentication required for Account. (421)");
    run.assert_stdout_contains(TWO_FA_REQUIRED);
    run.assert_stdout_contains(AUTH_OK);
    assert_eq!(fake.count("POST", VERIFY_DEVICE_CODE), 2, "{run}");
}

#[test]
fn python_reports_throttling() {
    let fake = start_fake_with(
        FakeAccount::new(APPLE_ID, PASSWORD),
        Some(Fault::service_unavailable("/signin/init")),
    );
    let dir = tempfile::tempdir().unwrap();

    let run = python_auth_only(&fake, dir.path(), PASSWORD, None);

    assert_eq!(run.status.code(), Some(1), "exit status\n{run}");
    run.assert_stdout_contains("INFO     Apple iCloud is temporary refusing to serve icloudpd\n");
    run.assert_no_traceback();
    assert_eq!(fake.count("POST", SIGNIN_INIT), 1, "no retry\n{run}");
}

#[test]
fn python_reports_locked_account_as_bad_password() {
    let fake = start_fake_with(FakeAccount::new(APPLE_ID, PASSWORD).locked(), None);
    let dir = tempfile::tempdir().unwrap();

    let run = python_auth_only(&fake, dir.path(), PASSWORD, None);

    assert_eq!(run.status.code(), Some(1), "exit status\n{run}");
    run.assert_stdout_contains("INFO     ('Invalid email/password combination.', ");
    run.assert_stdout_contains("-20209");
    run.assert_stdout_contains(" (403)')");
    run.assert_no_traceback();
}

/// Baseline quirk Q6: icloudpd 1.32 does not catch this error, so it ends in a traceback.
#[test]
fn python_crashes_on_wrong_region() {
    let fake = start_fake_with(
        FakeAccount::new(APPLE_ID, PASSWORD).wrong_region("iCloud.com.cn"),
        None,
    );
    let dir = tempfile::tempdir().unwrap();

    let run = python_auth_only(&fake, dir.path(), PASSWORD, None);

    assert_eq!(run.status.code(), Some(1), "exit status\n{run}");
    assert!(
        run.stderr.contains("Traceback")
            && run.stderr.contains(
                "PyiCloudConnectionException: Apple insists on using iCloud.com.cn for your \
                 request. Please use --domain parameter"
            ),
        "{run}"
    );
    assert_eq!(fake.count("POST", ACCOUNT_LOGIN), 1, "{run}");
}

// ---------------------------------------------------------------------------------------------
// Cross-compatibility: Python icloudpd <-> our icloudpd
// ---------------------------------------------------------------------------------------------

#[test]
fn session_written_by_python_is_accepted_by_ours() {
    let fake = start_fake();
    let dir = tempfile::tempdir().unwrap();
    python_auth_only(&fake, dir.path(), PASSWORD, Some(&format!("{CODE}\n"))).assert_success();
    let before = Counts::of(&fake);

    let run = ours_auth_only(&fake, dir.path(), None);

    run.assert_success();
    run.assert_stdout_contains(AUTH_OK);
    // Reused through `validate`: our binary read Python's LWP cookie jar and `.session` file.
    before.assert_only_validate_since(&fake, &run);
}

#[test]
fn session_written_by_ours_is_accepted_by_python() {
    let fake = start_fake();
    let dir = tempfile::tempdir().unwrap();
    let ours = ours_auth_only(&fake, dir.path(), Some(&format!("{CODE}\n")));
    ours.assert_success();
    assert_eq!(
        fake.count("POST", VERIFY_DEVICE_CODE),
        1,
        "our binary did the 2FA\n{ours}"
    );
    assert!(
        dir.path().join(format!("{BASE_NAME}.session")).is_file(),
        "{ours}"
    );
    let before = Counts::of(&fake);

    let run = python_auth_only(&fake, dir.path(), PASSWORD, None);

    run.assert_success();
    run.assert_stdout_contains(AUTH_OK);
    run.assert_stdout_lacks(TWO_FA_REQUIRED);
    run.assert_no_traceback();
    // Reused through `validate`: Python read our cookie jar and `.session` file.
    before.assert_only_validate_since(&fake, &run);
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Starts the fake with the default 2FA account (code fixed to `CODE`).
fn start_fake() -> FakeICloud {
    start_fake_with(FakeAccount::new(APPLE_ID, PASSWORD).fixed_code(CODE), None)
}

fn start_fake_with(account: FakeAccount, fault: Option<Fault>) -> FakeICloud {
    let mut builder = FakeICloud::builder().account(account);
    if let Some(fault) = fault {
        builder = builder.fault(fault);
    }
    builder.start().expect("start icloud-fake")
}

/// Request counts of the endpoints the assertions care about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    validate: usize,
    signin_init: usize,
    signin_complete: usize,
    verify_code: usize,
    trust: usize,
}

impl Counts {
    /// Asserts that since `self` was taken the session was reused through exactly one
    /// `validate`: no SRP sign-in, no code validation, no trust request.
    fn assert_only_validate_since(&self, fake: &FakeICloud, run: &impl std::fmt::Display) {
        let after = Counts::of(fake);
        assert_eq!(
            after.validate,
            self.validate + 1,
            "session checked with validate\n{run}"
        );
        assert_eq!(
            after.signin_init, self.signin_init,
            "no new SRP sign-in\n{run}"
        );
        assert_eq!(
            after.signin_complete, self.signin_complete,
            "no new SRP sign-in\n{run}"
        );
        assert_eq!(
            after.verify_code, self.verify_code,
            "no new 2FA code\n{run}"
        );
        assert_eq!(after.trust, self.trust, "no new trust request\n{run}");
    }

    fn of(fake: &FakeICloud) -> Self {
        Self {
            validate: fake.count("POST", VALIDATE),
            signin_init: fake.count("POST", SIGNIN_INIT),
            signin_complete: fake.count("POST", SIGNIN_COMPLETE),
            verify_code: fake.count("POST", VERIFY_DEVICE_CODE),
            trust: fake.count("GET", TRUST),
        }
    }
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn launcher() -> PathBuf {
    manifest_dir().join("tests/python/icloudpd_launcher.py")
}

/// The venv's interpreter (see [`icloud_fake::python::interpreter`]).
pub(crate) fn python() -> &'static Path {
    icloud_fake::python::interpreter()
}

/// Points a client at the fake through the endpoint override variables.
fn point_at_fake(cmd: &mut Command, fake: &FakeICloud, home: &Path) {
    let base = fake.base_url().to_string();
    let base = base.trim_end_matches('/');
    cmd.env("ICLOUD_AUTH_ENDPOINT", base)
        .env("ICLOUD_SETUP_ENDPOINT", base)
        .env("ICLOUD_HOME_ENDPOINT", base)
        // Never read or write a real keyring, never pick up a developer's session or client id.
        .env("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
        .env("HOME", home)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env_remove("CLIENT_ID")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy");
}

/// Runs `icloudpd --auth-only` (Python) with `stdin` as its standard input (`None`: closed).
fn python_auth_only(
    fake: &FakeICloud,
    cookie_dir: &Path,
    password: &str,
    stdin: Option<&str>,
) -> Run {
    let mut cmd = Command::new(python());
    cmd.arg(launcher())
        .args([
            "--username",
            APPLE_ID,
            "--password",
            password,
            "--auth-only",
            "--no-progress-bar",
        ])
        .arg("--cookie-directory")
        .arg(cookie_dir)
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONIOENCODING", "utf-8")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    point_at_fake(&mut cmd, fake, cookie_dir);
    run("python icloudpd", fake, cmd, stdin)
}

/// Runs our `icloudpd --auth-only` with `stdin` as its standard input (`None`: closed).
fn ours_auth_only(fake: &FakeICloud, cookie_dir: &Path, stdin: Option<&str>) -> Run {
    let mut cmd = crate::bare_command();
    cmd.args([
        "--username",
        APPLE_ID,
        "--password",
        PASSWORD,
        "--auth-only",
    ])
    .arg("--cookie-directory")
    .arg(cookie_dir);
    point_at_fake(&mut cmd, fake, cookie_dir);
    // Our in-memory keyring: the password written after sign-in never reaches the OS keyring.
    cmd.env("ICLOUD_KEYRING_BACKEND", "mock");
    run("our icloudpd", fake, cmd, stdin)
}

/// A finished client run.
struct Run {
    what: &'static str,
    status: ExitStatus,
    stdout: String,
    stderr: String,
    /// The requests the fake answered during the run, one `METHOD path?query -> status` a line.
    requests: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "--- {} exited with {} ---", self.what, self.status)?;
        writeln!(f, "--- requests ---\n{}", self.requests)?;
        writeln!(f, "--- stdout ---\n{}", self.stdout)?;
        write!(f, "--- stderr ---\n{}", self.stderr)
    }
}

impl Run {
    fn assert_success(&self) {
        assert!(self.status.success(), "{} failed\n{self}", self.what);
    }

    fn assert_stdout_contains(&self, needle: &str) {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}\n{self}"
        );
    }

    fn assert_stdout_lacks(&self, needle: &str) {
        assert!(
            !self.stdout.contains(needle),
            "stdout unexpectedly has {needle:?}\n{self}"
        );
    }

    fn assert_no_traceback(&self) {
        assert!(
            !self.stdout.contains("Traceback") && !self.stderr.contains("Traceback"),
            "{} crashed\n{self}",
            self.what
        );
    }
}

/// Runs `cmd`, feeding `stdin` (then closing it), with a deadline.
fn run(what: &'static str, fake: &FakeICloud, mut cmd: Command, stdin: Option<&str>) -> Run {
    let seen = fake.requests().len();
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what} ({cmd:?}): {e}"));
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // The client may exit before reading; a broken pipe then is its story to tell.
        let _ = pipe.write_all(input.as_bytes());
    }
    let stdout = drain(child.stdout.take().unwrap());
    let stderr = drain(child.stderr.take().unwrap());
    let deadline = Instant::now() + RUN_TIMEOUT;
    let status = loop {
        match child.try_wait().unwrap() {
            Some(status) => break status,
            None if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            None => {
                let _ = child.kill();
                let status = child.wait().unwrap();
                let run = finish(what, fake, seen, status, stdout, stderr);
                panic!("{what} did not finish within {RUN_TIMEOUT:?}\n{run}");
            }
        }
    };
    let run = finish(what, fake, seen, status, stdout, stderr);
    // Shown with `--nocapture` (and for failing tests): the transcript of every run.
    eprintln!("{run}");
    run
}

fn finish(
    what: &'static str,
    fake: &FakeICloud,
    seen: usize,
    status: ExitStatus,
    stdout: thread::JoinHandle<String>,
    stderr: thread::JoinHandle<String>,
) -> Run {
    let requests = fake.requests()[seen..]
        .iter()
        .map(|r| match &r.query {
            Some(q) => format!("{} {}?{q} -> {}\n", r.method, r.path, r.status),
            None => format!("{} {} -> {}\n", r.method, r.path, r.status),
        })
        .collect();
    Run {
        what,
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
        requests,
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn read_session(dir: &Path) -> String {
    let path = dir.join(format!("{BASE_NAME}.session"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Returns the string value of `key` in the flat JSON object `json` (no escapes expected: all
/// session values are tokens).
fn session_value<'a>(json: &'a str, key: &str) -> Option<&'a str> {
    let rest = &json[json.find(&format!("\"{key}\""))? + key.len() + 2..];
    let rest = rest
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    Some(&rest[..rest.find('"')?])
}

/// The files Python icloudpd leaves after a trusted sign-in (spec auth.md §10).
fn assert_python_session_files(dir: &Path, run: &Run) {
    let session = read_session(dir);
    for key in [
        "client_id",
        "session_token",
        "trust_token",
        "scnt",
        "session_id",
    ] {
        assert!(
            session_value(&session, key).is_some_and(|v| !v.is_empty()),
            "{BASE_NAME}.session lacks {key}: {session}\n{run}"
        );
    }
    let jar_path = dir.join(BASE_NAME);
    let jar = std::fs::read_to_string(&jar_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}\n{run}", jar_path.display()));
    assert!(
        jar.starts_with("#LWP-Cookies-2.0"),
        "not an LWP cookie jar:\n{jar}"
    );
    assert!(
        jar.contains("Set-Cookie3: X-APPLE-WEBAUTH-TOKEN="),
        "no web session cookie:\n{jar}"
    );
}
