//! `--generate`: shell completions (bash, zsh, fish) and the man page, written from the option
//! table, so they always name every option there is (ripgrep's `--generate`).

use std::fmt::Write as _;

use super::help::{ENVIRONMENT, GROUPS, names, usage};
use super::specs::{PathKind, SPECS, Spec, Takes};

/// Returns what `--generate what` prints (`what` is one of [`super::specs::GENERATE`]).
pub fn generate(what: &str) -> String {
    match what {
        "complete-bash" => bash(),
        "complete-zsh" => zsh(),
        "complete-fish" => fish(),
        _ => man(),
    }
}

/// Every name of an option: `-d`, `--directory`.
fn all_names(s: &Spec) -> impl Iterator<Item = &'static str> {
    s.short.into_iter().chain([s.long])
}

/// The first sentence of an option's help, for a one-line description.
fn summary(s: &Spec) -> String {
    let help = s.help.replace('`', "");
    let end = help
        .match_indices(". ")
        .map(|(i, _)| i)
        .next()
        .unwrap_or(help.len());
    help[..end].trim_end_matches('.').to_owned()
}

fn bash() -> String {
    let words: Vec<&str> = SPECS.iter().flat_map(all_names).collect();
    let mut values = String::new();
    for s in SPECS {
        let (Takes::Choice(..) | Takes::Path(_)) = s.takes else {
            continue;
        };
        let names: Vec<&str> = all_names(s).collect();
        let reply = match s.takes {
            Takes::Choice(choices, _) => {
                format!(
                    "COMPREPLY=($(compgen -W '{}' -- \"$cur\"))",
                    choices.join(" ")
                )
            }
            Takes::Path(PathKind::Directory) => "COMPREPLY=($(compgen -d -- \"$cur\"))".to_owned(),
            _ => "COMPREPLY=($(compgen -f -- \"$cur\"))".to_owned(),
        };
        let _ = writeln!(
            values,
            "        {})\n            {reply}\n            return ;;",
            names.join("|")
        );
    }
    let takes_value: Vec<&str> = SPECS
        .iter()
        .filter(|s| s.takes != Takes::Flag)
        .flat_map(all_names)
        .collect();
    format!(
        r#"# bash completion for icloudpd (icloudpd --generate complete-bash)
_icloudpd() {{
    local cur prev
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    case "$prev" in
{values}        {takes})
            return ;;
    esac
    COMPREPLY=($(compgen -W '{words}' -- "$cur"))
}}
complete -o default -F _icloudpd icloudpd
"#,
        takes = takes_value.join("|"),
        words = words.join(" "),
    )
}

/// Escapes text for a zsh `_arguments` description in single quotes.
fn zsh_text(text: &str) -> String {
    text.replace('\'', "'\\''")
        .replace('[', "\\[")
        .replace(']', "\\]")
        .replace(':', "\\:")
}

fn zsh() -> String {
    let mut out = String::from(
        "#compdef icloudpd\n# zsh completion for icloudpd (icloudpd --generate complete-zsh)\n\n_arguments \\\n",
    );
    for s in SPECS {
        let action = match s.takes {
            Takes::Flag => String::new(),
            Takes::Choice(choices, _) => format!(
                ":{}:({})",
                s.long.trim_start_matches('-'),
                choices.join(" ")
            ),
            Takes::Path(PathKind::Directory) => format!(":{}:_files -/", s.metavar.to_lowercase()),
            Takes::Path(PathKind::File) => format!(":{}:_files", s.metavar.to_lowercase()),
            _ => format!(":{}: ", s.metavar.to_lowercase()),
        };
        let repeat = if s.repeats || s.scope != super::specs::Scope::Global {
            "*"
        } else {
            ""
        };
        let description = zsh_text(&summary(s));
        for name in all_names(s) {
            let _ = writeln!(out, "  '{repeat}{name}[{description}]{action}' \\");
        }
    }
    out.push_str("  && return 0\n");
    out
}

/// Escapes text for a fish single-quoted string.
fn fish_text(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\'', "\\'")
}

fn fish() -> String {
    let mut out = String::from(
        "# fish completion for icloudpd (icloudpd --generate complete-fish)\ncomplete -c icloudpd -f\n",
    );
    for s in SPECS {
        let mut line = String::from("complete -c icloudpd");
        if let Some(short) = s.short {
            let _ = write!(line, " -s {}", short.trim_start_matches('-'));
        }
        let _ = write!(line, " -l {}", s.long.trim_start_matches("--"));
        match s.takes {
            Takes::Flag => {}
            Takes::Choice(choices, _) => {
                let _ = write!(line, " -x -a '{}'", choices.join(" "));
            }
            Takes::Path(PathKind::Directory) => {
                line.push_str(" -x -a '(__fish_complete_directories)'")
            }
            Takes::Path(PathKind::File) => line.push_str(" -r -F"),
            _ => line.push_str(" -x"),
        }
        let _ = writeln!(line, " -d '{}'", fish_text(&summary(s)));
        out.push_str(&line);
    }
    out
}

/// Escapes text for roff: backslashes, hyphens (so that they stay hyphens), and a leading dot
/// or quote.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    match escaped.chars().next() {
        Some('.' | '\'') => format!("\\&{escaped}"),
        _ => escaped,
    }
}

fn man() -> String {
    let version = env!("CARGO_PKG_VERSION");
    let mut out = format!(
        ".TH ICLOUDPD 1 \"\" \"icloudpd-rs {version}\" \"User Commands\"\n.ad l\n\
         .SH NAME\nicloudpd \\- download an iCloud Photos library and keep it in sync\n\
         .SH SYNOPSIS\n.B icloudpd\n{}\n\
         .SH DESCRIPTION\n\
         A Rust reimplementation of Python icloudpd 1.32: the same options, the same files on disk, \
         the same sessions. GLOBAL options apply to the whole run and may appear anywhere. COMMON \
         options before the first \\fB\\-\\-username\\fR are defaults for every user; after a \
         \\fB\\-\\-username\\fR they apply to that user only. USER options exist only inside a user's group.\n",
        roff(usage().trim_start_matches("usage: icloudpd ")),
    );
    for (scope, title) in GROUPS {
        let _ = writeln!(
            out,
            ".SH {}",
            roff(title.split('.').next().unwrap_or(title)).to_uppercase()
        );
        for s in SPECS.iter().filter(|s| s.scope == scope) {
            let shown = names(s)
                .split(", ")
                .map(|name| match name.split_once(' ') {
                    Some((flag, value)) => {
                        format!("\\fB{}\\fR \\fI{}\\fR", roff(flag), roff(value))
                    }
                    None => format!("\\fB{}\\fR", roff(name)),
                })
                .collect::<Vec<_>>()
                .join(", ");
            // `\%`: the variable's name is never hyphenated.
            let env = s
                .env_var()
                .map(|var| format!(" [env: \\fB\\%{var}\\fR]"))
                .unwrap_or_default();
            let _ = writeln!(out, ".TP\n{shown}\n{}{env}", roff(s.help));
        }
    }
    let _ = writeln!(
        out,
        ".SH ENVIRONMENT\n{}\n.PP\n\
         Other variables: \\fBICLOUD_KEYRING_BACKEND\\fR (platform, secret\\-service, file, keyutils, mock), \
         \\fBICLOUD_AUTH_ENDPOINT\\fR, \\fBICLOUD_SETUP_ENDPOINT\\fR and \\fBICLOUD_HOME_ENDPOINT\\fR \
         (another server in place of Apple's), \\fBICLOUD_RESOLVE\\fR (HOST=IP:PORT,...), \\fBCLIENT_ID\\fR, \
         \\fBRUST_LOG\\fR (log directives for the libraries), \\fBFORCE_TQDM\\fR, \\fBHTTPS_PROXY\\fR, \
         \\fBNO_PROXY\\fR, \\fBSSL_CERT_FILE\\fR, \\fBSSL_CERT_DIR\\fR.\n\
         .SH EXIT STATUS\n0 success; 1 a run failed (sign-in, connection, some files not downloaded, \
         another icloudpd using the directory); 2 usage or configuration error; 3 a second factor is \
         needed and no code can be read.\n\
         .SH SEE ALSO\n\\fBicloud\\fR(1)",
        roff(ENVIRONMENT),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_output_names_every_option() {
        for what in super::super::specs::GENERATE {
            let out = generate(what);
            for s in SPECS {
                let long = match *what {
                    "man" => roff(s.long),
                    "complete-fish" => format!("-l {}", s.long.trim_start_matches("--")),
                    _ => s.long.to_owned(),
                };
                assert!(out.contains(&long), "{what} lacks {}", s.long);
                if let Some(var) = s.env_var().filter(|_| *what == "man") {
                    assert!(out.contains(&roff(&var)), "man lacks {var}");
                }
            }
        }
    }

    #[test]
    fn roff_escapes_what_it_must() {
        assert_eq!(roff("--size"), "\\-\\-size");
        assert_eq!(roff(".hidden"), "\\&.hidden");
        assert_eq!(roff("a\\b"), "a\\eb");
    }

    #[test]
    fn descriptions_are_one_sentence() {
        let auth = SPECS.iter().find(|s| s.long == "--auth-only").unwrap();
        assert_eq!(
            summary(auth),
            "Create/update cookie and session tokens only"
        );
        let size = SPECS.iter().find(|s| s.long == "--size").unwrap();
        assert_eq!(summary(size), "Image size to download");
        assert_eq!(zsh_text("a [b]: c's"), "a \\[b\\]\\: c'\\''s");
    }
}
