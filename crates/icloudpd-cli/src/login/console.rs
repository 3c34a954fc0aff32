//! The console: icloudpd's prompts for a password, a two-factor code (device or SMS) and the
//! legacy two-step flow, on stdout and stdin.

use std::io::{BufRead, IsTerminal, Write};

use icloud_auth::{Error as AuthError, Session, TwoFactorChallenge, TwoStepChallenge};
use tracing::error;

use crate::error::{CliError, MFA_FAILED};
use crate::logging::APP;

/// The console flow of a two-factor challenge (icloudpd's prompts and messages).
pub(super) async fn two_factor(
    challenge: TwoFactorChallenge,
    console: &mut Console,
) -> Result<Session, CliError> {
    let phones = challenge.trusted_phones().await?;
    if phones.len() > 26 {
        return Err(CliError::failed(
            "Too many trusted devices for authentication",
        ));
    }
    super::request_push(&challenge).await?;
    let result = if phones.is_empty() {
        let code = console.six_digits("Please enter two-factor authentication code: ")?;
        challenge.submit_code(&code).await
    } else {
        let last = (b'a' + (phones.len() - 1) as u8) as char;
        let range = if phones.len() == 1 {
            "(a)".to_owned()
        } else {
            format!("(a..{last})")
        };
        for (i, p) in phones.iter().enumerate() {
            console.say(&format!("  {}: {}", (b'a' + i as u8) as char, p.display()));
        }
        let prompt = format!(
            "Please enter two-factor authentication code or device index {range} to send SMS with a code: "
        );
        loop {
            let answer = console.line(&prompt)?.trim().to_lowercase();
            let is_code = answer.len() == 6 && answer.bytes().all(|b| b.is_ascii_digit());
            if answer.is_empty() {
                console.say("Empty string. Try again");
            } else if answer.chars().count() == 1 {
                let c = answer.as_bytes()[0];
                if (b'a'..=last as u8).contains(&c) {
                    let phone = &phones[(c - b'a') as usize];
                    if challenge.send_sms(phone).await.is_err() {
                        return Err(CliError::failed(
                            "Failed to send two-factor authentication code",
                        ));
                    }
                    let code = console.six_digits(
                        "Please enter two-factor authentication code that you received over SMS: ",
                    )?;
                    break challenge.submit_sms_code(phone, &code).await;
                }
                console.say(&format!("Invalid index, should be {range}. Try again"));
            } else if is_code {
                break challenge.submit_code(&answer).await;
            } else if answer.chars().count() == 6 {
                console.say("Invalid code, should be six digits. Try again");
            } else {
                console.say(&format!(
                    "Should be index {range} or six-digit code. Try again"
                ));
            }
        }
    };
    result.map_err(|e| match e {
        AuthError::TwoFactorRejected | AuthError::TrustFailed => {
            error!(target: APP, "Code verification failed.");
            CliError::failed(MFA_FAILED)
        }
        other => other.into(),
    })
}

/// The console flow of a legacy two-step challenge.
pub(super) async fn two_step(
    challenge: TwoStepChallenge,
    console: &mut Console,
) -> Result<Session, CliError> {
    let devices = challenge.devices().await?;
    if devices.is_empty() {
        return Err(CliError::failed(
            "No trusted devices are available for two-step authentication",
        ));
    }
    for (i, d) in devices.iter().enumerate() {
        console.say(&format!("  {i}: {}", d.display()));
    }
    let max = devices.len() - 1;
    let index = loop {
        let answer = console.line("Please choose an option: [0]: ")?;
        let answer = answer.trim();
        if answer.is_empty() {
            break 0;
        }
        match answer.parse::<i64>() {
            Ok(n) if (0..=max as i64).contains(&n) => break n as usize,
            Ok(n) => console.say(&format!("Invalid input: {n} is not in the range 0-{max}")),
            Err(_) => console.say(&format!("Invalid input: '{answer}' is not a valid integer")),
        }
    };
    let device = &devices[index];
    if challenge.send_code(device).await.is_err() {
        error!(target: APP, "Failed to send two-step authentication code");
        return Err(CliError::failed(
            "Failed to send two-step authentication code",
        ));
    }
    let code = console.line("Please enter two-step authentication code: ")?;
    challenge
        .submit_code(device, code.trim())
        .await
        .map_err(|e| match e {
            AuthError::TwoFactorRejected => {
                error!(target: APP, "Failed to verify two-step authentication code");
                CliError::failed("Failed to verify two-step authentication code")
            }
            other => other.into(),
        })
}

/// Prompts on stdout and reads answers from stdin, as icloudpd does. End of input is an error
/// straight away: a second factor that nobody can type must not hang an unattended run.
pub struct Console {
    stdin: std::io::StdinLock<'static>,
}

impl Console {
    pub fn new() -> Self {
        Console {
            stdin: std::io::stdin().lock(),
        }
    }

    pub(super) fn say(&mut self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    }

    fn line(&mut self, prompt: &str) -> Result<String, CliError> {
        {
            let mut out = std::io::stdout().lock();
            let _ = write!(out, "{prompt}");
            let _ = out.flush();
        }
        let mut buf = String::new();
        match self.stdin.read_line(&mut buf) {
            Ok(0) | Err(_) => {
                self.say("");
                Err(CliError::mfa_unanswerable(
                    "Two-factor authentication is required, but no code can be read: standard input is closed. \
                     Run `icloudpd --auth-only` in a terminal (or with the code on standard input) to renew the session.",
                ))
            }
            Ok(_) => {
                // A terminal echoes the answer's newline; an answer piped in shows none, so
                // end the prompt's line before anything else is written.
                if !std::io::stdin().is_terminal() {
                    self.say("");
                }
                Ok(buf.trim_end_matches(['\r', '\n']).to_owned())
            }
        }
    }

    fn six_digits(&mut self, prompt: &str) -> Result<String, CliError> {
        loop {
            let code = self.line(prompt)?.trim().to_owned();
            if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
                return Ok(code);
            }
            self.say("Invalid code, should be six digits. Try again");
        }
    }

    /// Reads a password without echo from the terminal; without one, a line of stdin (as
    /// Python's getpass). The prompt's line is ended whatever happens, so that a log line
    /// never follows it on the same line.
    pub(super) fn password(&mut self, prompt: &str) -> Result<String, NoAnswer> {
        let typed = match rpassword::prompt_password(prompt) {
            Ok(p) => p,
            Err(_) => {
                let mut buf = String::new();
                eprint!("{prompt}");
                match self.stdin.read_line(&mut buf) {
                    Ok(n) if n > 0 => {
                        // A line piped in shows no newline of its own (the terminal's echo
                        // would have).
                        eprintln!();
                        buf.trim_end_matches(['\r', '\n']).to_owned()
                    }
                    _ => {
                        eprintln!();
                        return Err(NoAnswer::Closed);
                    }
                }
            }
        };
        if typed.is_empty() {
            return Err(NoAnswer::Empty);
        }
        Ok(typed)
    }
}

/// Why the console gave no password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NoAnswer {
    /// Standard input is closed: nobody can answer.
    Closed,
    /// An empty line.
    Empty,
}
