//! The front end (issue 14): how a failure is reported at every log level, what the program
//! says when it cannot ask for a password, and the completions and man page generated from the
//! option table.

use std::collections::BTreeSet;
use std::process::Command;

use icloud_fake::{FakeAccount, Fault};

use crate::{PASSWORD, USER, command, cookie_dir, fake, free_port, icloudpd, stderr, stdout};

/// `--auth-only` for `USER` with `args`, the cookies under `dir`.
fn auth_only(dir: &std::path::Path, args: &[&str]) -> Vec<String> {
    let mut all: Vec<String> = ["-u", USER, "--auth-only", "--cookie-directory"]
        .map(str::to_owned)
        .to_vec();
    all.push(cookie_dir(dir));
    all.extend(args.iter().map(|a| (*a).to_owned()));
    all
}

#[test]
fn log_level_error_shows_why_the_run_failed() {
    let fake = fake([FakeAccount::new(USER, PASSWORD).without_two_factor()]);
    let dir = tempfile::tempdir().unwrap();
    let args = auth_only(
        dir.path(),
        &["-p", "not the password", "--log-level", "error"],
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = icloudpd(Some(&fake), &args, None);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(" ERROR    Invalid email/password combination.\n"),
        "{text}"
    );
    assert!(
        !text.contains(" INFO ") && !text.contains(" DEBUG "),
        "{text}"
    );
}

#[test]
fn a_refused_connection_is_named_and_its_causes_logged_without_urls() {
    // Nobody listens there: the connection is refused.
    let url = format!("http://127.0.0.1:{}", free_port());
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = command(None);
    cmd.env("ICLOUD_AUTH_ENDPOINT", &url)
        .env("ICLOUD_SETUP_ENDPOINT", &url)
        .env("ICLOUD_HOME_ENDPOINT", &url)
        .args(auth_only(
            dir.path(),
            &["-p", PASSWORD, "--log-level", "error"],
        ));
    let out = crate::run(cmd, None);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let line = text
        .lines()
        .find(|l| l.contains(" ERROR    Cannot connect to Apple iCloud service ("))
        .unwrap_or_else(|| panic!("no ERROR line in {text}"));
    assert!(line.contains("Connection refused"), "{line}");
    assert!(!line.contains("http"), "{line}");
}

#[test]
fn a_failure_s_cause_is_logged_at_debug() {
    let fake = fake([FakeAccount::new(USER, PASSWORD)]);
    fake.set_fault(Fault::ServiceUnavailable {
        path_suffix: "/signin/init".into(),
        times: None,
    });
    let dir = tempfile::tempdir().unwrap();
    let args = auth_only(dir.path(), &["-p", PASSWORD]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = icloudpd(Some(&fake), &args, None);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.ends_with(" ERROR    Apple iCloud is temporary refusing to serve icloudpd"))
        .unwrap_or_else(|| panic!("no ERROR line in {text}"));
    assert!(
        lines
            .get(at + 1)
            .is_some_and(|l| l.contains(" DEBUG    Caused by: ")),
        "{text}"
    );
    assert!(!text.contains(PASSWORD), "{text}");
}

#[test]
fn without_a_terminal_the_prompt_ends_its_line_and_the_error_says_why() {
    let fake = fake([FakeAccount::new(USER, PASSWORD).without_two_factor()]);
    let dir = tempfile::tempdir().unwrap();
    let args = auth_only(dir.path(), &["--password-provider", "console"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = icloudpd(Some(&fake), &args, None);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    // The prompt, on stderr, ends its line before anything else is written.
    let prompt = stderr(&out);
    assert!(
        prompt.ends_with(&format!("iCloud Password for {USER}:\n")),
        "{prompt:?}"
    );
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "ERROR    No password available for {USER}: there is no terminal to ask on (standard input is closed)."
        )),
        "{text}"
    );
    assert!(!text.contains("add --password-provider"), "{text}");
}

/// The options `--help` lists (`--help` itself included).
fn options_in_help() -> BTreeSet<String> {
    let help = stdout(&icloudpd(None, &["--help"], None));
    let options: BTreeSet<String> = help
        .lines()
        .filter(|l| l.starts_with("  -"))
        .flat_map(|l| l.split([' ', ',']))
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(str::to_owned)
        .collect();
    assert!(options.len() > 60, "{options:?}");
    options
}

fn generate(what: &str) -> String {
    let out = icloudpd(None, &["--generate", what], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn generated_completions_and_man_page_hold_every_option() {
    let options = options_in_help();
    for what in ["complete-bash", "complete-zsh", "complete-fish", "man"] {
        let text = generate(what);
        for option in &options {
            let shown = match what {
                "man" => option.replace('-', "\\-"),
                "complete-fish" => format!("-l {}", &option[2..]),
                _ => option.clone(),
            };
            assert!(text.contains(&shown), "{what} lacks {option}");
        }
    }
    let man = generate("man");
    for var in [
        "ICLOUDPD_DIRECTORY",
        "ICLOUDPD_PASSWORD_FILE",
        "ICLOUD_KEYRING_BACKEND",
    ] {
        assert!(man.contains(var), "man lacks {var}");
    }
}

/// Completes `words` (the last one being typed) with the generated bash completion.
fn bash_complete(script: &str, words: &[&str]) -> String {
    let words = words
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let program = format!(
        "{script}\nCOMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); _icloudpd; echo \"${{COMPREPLY[*]}}\""
    );
    let out = Command::new("bash")
        .args(["--norc", "-c", &program])
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn the_bash_completion_completes_options_and_their_values() {
    let script = generate("complete-bash");
    assert_eq!(
        bash_complete(&script, &["icloudpd", "--log-l"]),
        "--log-level"
    );
    assert_eq!(
        bash_complete(&script, &["icloudpd", "--size", "th"]),
        "thumb"
    );
    assert_eq!(
        bash_complete(&script, &["icloudpd", "--password-provider", "k"]),
        "keyring"
    );
    assert_eq!(bash_complete(&script, &["icloudpd", "-u", "--"]), "");
}

#[test]
fn the_man_page_is_valid_roff() {
    let Ok(groff) = Command::new("groff").arg("--version").output() else {
        eprintln!("groff is not installed; the man page's roff is not checked");
        return;
    };
    assert!(groff.status.success());
    let page = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(page.path(), generate("man")).unwrap();
    let out = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(page.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let warnings = String::from_utf8_lossy(&out.stderr);
    assert!(warnings.trim().is_empty(), "{warnings}");
}
