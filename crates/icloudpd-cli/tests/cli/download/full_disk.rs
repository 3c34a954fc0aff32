//! A disk that fills up in the middle of a run (a small tmpfs, mounted in a user and mount
//! namespace of its own with `unshare`, so the test needs no privileges): no final name ever
//! holds a damaged file, the run stops requesting files and says the disk is full, and a rerun
//! with space completes exactly as a clean run does.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use icloud_fake::{FakeAccount, FakeICloud, FakeLibrary};

use crate::{PASSWORD, USER};

/// Every regular file under `root` (relative path → bytes), bookkeeping files left out.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if !crate::is_bookkeeping(&path) {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// `icloudpd` arguments downloading into `dir`.
fn args(dir: &Path, cookies: &Path) -> Vec<String> {
    [
        "-u",
        USER,
        "-p",
        PASSWORD,
        "--no-progress-bar",
        "--set-exif-datetime",
        "--folder-structure",
        "none",
        "-d",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .chain([
        dir.display().to_string(),
        "--cookie-directory".to_owned(),
        cookies.display().to_string(),
    ])
    .collect()
}

fn icloudpd_env(cmd: &mut Command, fake: &FakeICloud) {
    let url = fake.base_url();
    cmd.env_remove("CLIENT_ID")
        .env("ICLOUD_KEYRING_BACKEND", "mock")
        .env("ICLOUD_AUTH_ENDPOINT", &url)
        .env("ICLOUD_SETUP_ENDPOINT", &url)
        .env("ICLOUD_HOME_ENDPOINT", &url)
        .env("TZ", "UTC");
}

/// Shell-quotes `s` for `sh -c`.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[test]
fn a_disk_that_fills_up_stops_the_run_cleanly_and_a_rerun_completes_it() {
    let fake = FakeICloud::builder()
        .account(
            FakeAccount::new(USER, PASSWORD)
                .without_two_factor()
                .library(FakeLibrary::generated(80, 2024)),
        )
        .start()
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_icloudpd");

    // The reference: a clean run on a roomy disk.
    let reference_dir = tmp.path().join("reference");
    let mut clean = Command::new(bin);
    icloudpd_env(&mut clean, &fake);
    let out = clean
        .args(args(&reference_dir, &tmp.path().join("c0")))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let reference = tree(&reference_dir);
    let total: usize = reference.values().map(Vec::len).sum();
    assert!(reference.len() > 80, "{} files", reference.len());

    // The same into a tmpfs that holds about 40% of it, then into the same tmpfs grown.
    let dir = tmp.path().join("small");
    std::fs::create_dir_all(&dir).unwrap();
    let small = (total * 2 / 5 / 4096).max(16) * 4096;
    let run = |log: &str| {
        format!(
            "{} {} > {} 2>&1; echo $? > {}.rc",
            quote(bin),
            args(&dir, &tmp.path().join("c1"))
                .iter()
                .map(|a| quote(a))
                .collect::<Vec<_>>()
                .join(" "),
            quote(&tmp.path().join(log).display().to_string()),
            quote(&tmp.path().join(log).display().to_string()),
        )
    };
    let snapshot = |name: &str| {
        format!(
            "cp -a {} {}",
            quote(&dir.display().to_string()),
            quote(&tmp.path().join(name).display().to_string())
        )
    };
    let script = [
        format!(
            "mount -t tmpfs -o size={small} tmpfs {} || exit 97",
            quote(&dir.display().to_string())
        ),
        run("full.log"),
        snapshot("after-full"),
        format!(
            "mount -o remount,size=64m {} || exit 98",
            quote(&dir.display().to_string())
        ),
        run("rerun.log"),
        snapshot("after-rerun"),
    ]
    .join("\n");
    let mut unshare = Command::new("unshare");
    icloudpd_env(&mut unshare, &fake);
    let out = unshare
        .args(["--user", "--map-root-user", "--mount", "sh", "-c", &script])
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run unshare ({e}): install util-linux (`apt-get install util-linux`)")
        });
    assert!(
        out.status.success(),
        "unshare/mount failed ({}): this test needs util-linux's unshare and unprivileged user \
         namespaces (sysctl kernel.unprivileged_userns_clone=1)\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |name: &str| std::fs::read_to_string(tmp.path().join(name)).unwrap_or_default();

    // The full disk: a clear failure, no damaged final file, and the run stopped asking.
    let log = read("full.log");
    assert_eq!(read("full.log.rc").trim(), "1", "{log}");
    assert!(log.contains("the disk is full"), "{log}");
    assert!(
        log.contains("The files to download need"),
        "warned beforehand: {log}"
    );
    let after_full = tree(&tmp.path().join("after-full"));
    let mut finals = 0;
    for (path, bytes) in &after_full {
        if path.ends_with(".part") || path.ends_with(".exif") {
            continue;
        }
        finals += 1;
        assert!(
            Some(bytes) == reference.get(path),
            "{path} ({} bytes) differs from a clean run's\n{log}",
            bytes.len()
        );
    }
    assert!(
        finals > 0 && finals < reference.len(),
        "{finals} files fit\n{log}"
    );
    let requested = log.matches("Downloading /").count();
    assert!(
        requested < finals + 2 * icloudpd_sync::DEFAULT_CONCURRENCY,
        "{requested} downloads started for {finals} that fit: the run went on asking\n{log}"
    );

    // With space: the same tree as a clean run, nothing temporary left.
    let log = read("rerun.log");
    assert_eq!(read("rerun.log.rc").trim(), "0", "{log}");
    let after = tree(&tmp.path().join("after-rerun"));
    let extra: Vec<&String> = after
        .keys()
        .filter(|p| !reference.contains_key(*p))
        .collect();
    assert!(extra.is_empty(), "left behind: {extra:?}\n{log}");
    for (path, bytes) in &reference {
        assert_eq!(after.get(path), Some(bytes), "{path}\n{log}");
    }
}
