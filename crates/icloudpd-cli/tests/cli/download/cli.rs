//! tests/test_cli.py (runtime part): log levels, the forced progress bar, argument errors.

use super::*;

#[test]
fn test_log_levels() {
    let env = Env::new(fixture_first(2));

    // debug (the default): DEBUG and INFO.
    let run = env.run(&["--recent", "0", "--log-level", "debug"]);
    run.assert_code(0)
        .assert_logged("DEBUG", "Authenticating...")
        .assert_logged("INFO", "Processing user: jdoe@gmail.com")
        .assert_logged("INFO", ALL_DOWNLOADED);

    let run = env.run(&["--recent", "0", "--log-level", "info"]);
    run.assert_code(0)
        .assert_logged("INFO", "Processing user: jdoe@gmail.com")
        .assert_logged("INFO", ALL_DOWNLOADED);
    assert!(run.logs().iter().all(|(l, _)| *l != "DEBUG"), "{run}");

    let run = env.run(&["--recent", "0", "--log-level", "error"]);
    run.assert_code(0);
    assert!(
        run.logs()
            .iter()
            .all(|(l, _)| *l != "DEBUG" && *l != "INFO"),
        "{run}"
    );
    run.assert_no_line_containing("Processing user");
}

#[test]
fn test_force_tqdm() {
    let env = Env::new(fixture_first(2));
    let data = env.data().display().to_string();
    let sign_in = env.sign_in_args();
    let mut args = vec!["-d", &data];
    args.extend(sign_in.iter().map(String::as_str));
    args.extend(["--recent", "2"]);

    // No --no-progress-bar: FORCE_TQDM draws the bar on stderr even without a terminal.
    let run = env.raw(&args, &[("FORCE_TQDM", "yes")]);

    run.assert_code(0).assert_logged("INFO", ALL_DOWNLOADED);
    // Every stdout line is still a whole log line: the bar stays on stderr.
    assert!(
        run.stdout.lines().all(|l| parse_log_line(l).is_some()),
        "{run}"
    );
    assert_eq!(env.files().len(), 4, "{run}");
}

#[test]
fn test_missing_directory() {
    let env = Env::new(fixture_first(1));
    let sign_in = env.sign_in_args();
    let mut args: Vec<&str> = sign_in.iter().map(String::as_str).collect();
    args.extend(["--recent", "1"]);

    let run = env.raw(&args, &[]);

    run.assert_code(2).assert_stdout_contains(
        "--auth-only, --directory, --list-libraries, or --list-albums are required for each configuration",
    );
    assert_eq!(env.fake.requests().len(), 0, "{run}");
}

#[test]
fn test_conflicting_options() {
    let env = Env::new(fixture_first(1));

    let run = env.run(&["--delete-after-download", "--auto-delete"]);
    run.assert_code(2).assert_stdout_contains(
        "--auto-delete and --delete-after-download are mutually exclusive per configuration",
    );

    let run = env.run(&["--delete-after-download", "--keep-icloud-recent-days", "1"]);
    run.assert_code(2).assert_stdout_contains(
        "--keep-icloud-recent-days and --delete-after-download should not be used together in one configuration",
    );
    assert_eq!(env.fake.requests().len(), 0, "nothing sent");
    assert!(!env.data().exists());
}
