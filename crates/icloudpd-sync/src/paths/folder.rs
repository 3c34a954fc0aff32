//! The folder of an asset: the download directory joined with the rendered template, as
//! Python's `normpath(join(…))`, but never outside the directory.

use std::path::{Component, Path, PathBuf};

use super::names::{self, WINDOWS};

/// Python's `normpath(join(directory, folder))`, with the folder kept inside the directory.
pub(super) fn confine(directory: &Path, folder: &str) -> PathBuf {
    let mut parts: Vec<String> = Vec::new();
    for part in folder.split(|c| c == '/' || (WINDOWS && c == '\\')) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => {
                let unsafe_char = |c: char| c == '\0' || (WINDOWS && c == ':');
                let part = part.replace(unsafe_char, "_");
                parts.push(names::make_safe(part, WINDOWS));
            }
        }
    }
    let mut path = normpath(directory);
    if path.as_os_str().is_empty() && parts.is_empty() {
        return PathBuf::from(".");
    }
    path.extend(parts);
    path
}

/// Lexical normalisation like Python's `os.path.normpath`, but `.` is the empty path.
fn normpath(path: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) => {}
                _ => out.push(component),
            },
            _ => out.push(component),
        }
    }
    out.iter().collect()
}
