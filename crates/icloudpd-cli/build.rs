//! Records the commit the binary is built from, for `--version` and XMP sidecars:
//! `ICLOUDPD_COMMIT_SHA` and `ICLOUDPD_COMMIT_DATE`, taken from the environment of the build
//! when set there (a build without `.git`, such as a Docker image's, passes them in), else from
//! `git`; left unset when neither knows. A build from a published package (`cargo install`)
//! takes the commit from the package's `.cargo_vcs_info.json` and never asks `git`, which would
//! answer for whatever repository happens to enclose cargo's download folder.

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// The commit a published package was made from (`cargo package` writes it to
/// `.cargo_vcs_info.json`: `{"git": {"sha1": "…"}, "path_in_vcs": "…"}`); `None` outside a
/// package.
fn packaged_commit() -> Option<Option<String>> {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let text = std::fs::read_to_string(Path::new(&dir).join(".cargo_vcs_info.json")).ok()?;
    let sha = text
        .split("\"sha1\"")
        .nth(1)
        .and_then(|rest| rest.split('"').nth(1))
        .filter(|sha| !sha.is_empty() && sha.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|sha| sha[..sha.len().min(12)].to_owned());
    Some(sha)
}

fn main() {
    if let Some(sha) = packaged_commit() {
        for name in ["ICLOUDPD_COMMIT_SHA", "ICLOUDPD_COMMIT_DATE"] {
            println!("cargo:rerun-if-env-changed={name}");
        }
        let given = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        if let Some(sha) = given("ICLOUDPD_COMMIT_SHA").or(sha) {
            println!("cargo:rustc-env=ICLOUDPD_COMMIT_SHA={sha}");
        }
        if let Some(date) = given("ICLOUDPD_COMMIT_DATE") {
            println!("cargo:rustc-env=ICLOUDPD_COMMIT_DATE={date}");
        }
        return;
    }
    for (name, from_git) in [
        (
            "ICLOUDPD_COMMIT_SHA",
            &["rev-parse", "--short=12", "HEAD"][..],
        ),
        (
            "ICLOUDPD_COMMIT_DATE",
            &["log", "-1", "--format=%cs", "HEAD"][..],
        ),
    ] {
        println!("cargo:rerun-if-env-changed={name}");
        let value = std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .or_else(|| git(from_git));
        if let Some(value) = value {
            println!("cargo:rustc-env={name}={value}");
        }
    }
    // Built again when HEAD moves: the file HEAD, and the branch it names (when it is a file
    // of its own; a path that does not exist would make every build run this again).
    let branch = git(&["symbolic-ref", "-q", "HEAD"]);
    for name in std::iter::once("HEAD").chain(branch.as_deref()) {
        if let Some(path) = git(&["rev-parse", "--git-path", name])
            && std::path::Path::new(&path).is_file()
        {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}
