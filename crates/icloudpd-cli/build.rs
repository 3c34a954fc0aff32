//! Records the commit the binary is built from, for `--version` and XMP sidecars:
//! `ICLOUDPD_COMMIT_SHA` and `ICLOUDPD_COMMIT_DATE`, taken from the environment of the build
//! when set there (a build without `.git`, such as a Docker image's, passes them in), else from
//! `git`; left unset when neither knows.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !text.is_empty()).then_some(text)
}

fn main() {
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
