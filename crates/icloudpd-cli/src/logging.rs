//! The only place a global subscriber is installed: icloudpd's log format on stdout.
//!
//! `YYYY-MM-DD HH:MM:SS LEVEL    message` in local time. `--log-level` filters this program's
//! own messages; the libraries' messages are shown from WARNING up, as icloudpd does, unless
//! `RUST_LOG` adds directives for them (`RUST_LOG=icloud_auth=debug`).
//!
//! A progress bar may be drawn on stderr meanwhile ([`set_progress_bar`]); every log line and
//! every [`print_line`] hides it, writes, and redraws it, so lines always appear above the bar.

use std::fmt;
use std::io::{self, Write};
use std::sync::{Mutex, PoisonError};

use indicatif::ProgressBar;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::settings::{LogLevel, LogSettings};

/// The target of this program's own log lines.
pub const APP: &str = "icloudpd";

/// The bar currently drawn, which output must not tear.
static ACTIVE_BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Makes `bar` the one that log lines are printed above (`None`: no bar any more).
pub fn set_progress_bar(bar: Option<ProgressBar>) {
    *ACTIVE_BAR.lock().unwrap_or_else(PoisonError::into_inner) = bar;
}

/// Runs `f` with the active progress bar (if any) hidden.
fn above_bar<R>(f: impl FnOnce() -> R) -> R {
    let bar = ACTIVE_BAR
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    match bar {
        Some(bar) => bar.suspend(f),
        None => f(),
    }
}

/// Prints `line` and a newline on stdout, above the progress bar (file lists, album lists).
pub fn print_line(line: &str) {
    above_bar(|| {
        let mut out = io::stdout().lock();
        let _ = writeln!(out, "{line}").and_then(|()| out.flush());
    });
}

/// Stdout for the log subscriber; each formatted line is written in one piece above the bar.
struct StdoutAboveBar;

impl Write for StdoutAboveBar {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        above_bar(|| {
            let mut out = io::stdout().lock();
            out.write_all(buf)?;
            out.flush()
        })?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stdout().flush()
    }
}

struct IcloudpdFormat;

impl<S, N> FormatEvent<S, N> for IcloudpdFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S");
        let level = match *event.metadata().level() {
            Level::ERROR => "ERROR",
            Level::WARN => "WARNING",
            Level::INFO => "INFO",
            Level::DEBUG | Level::TRACE => "DEBUG",
        };
        write!(writer, "{now} {level:<8} ")?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// Returns the filter directive of the application's own messages: `--log-level` (`debug`,
/// `info`, `error`), or `off` with `--only-print-filenames`, which silences icloudpd's logger.
fn app_level(log: &LogSettings) -> &'static str {
    if log.silent {
        return "off";
    }
    match log.level {
        LogLevel::Info => "info",
        LogLevel::Error => "error",
        LogLevel::Debug => "debug",
    }
}

/// Returns the filter: WARNING and up from the libraries, this program's own lines at its
/// level, then the directives of `RUST_LOG` (which may name library targets); a directive
/// that does not parse is left out with a note on stderr.
fn filter(log: &LogSettings) -> tracing_subscriber::EnvFilter {
    let mut filter = tracing_subscriber::EnvFilter::new(format!("warn,{APP}={}", app_level(log)));
    for directive in log.directives.iter().flat_map(|d| d.split(',')) {
        let directive = directive.trim();
        if directive.is_empty() {
            continue;
        }
        match directive.parse() {
            Ok(parsed) => filter = filter.add_directive(parsed),
            Err(e) => eprintln!("icloudpd: RUST_LOG: ignoring {directive:?}: {e}"),
        }
    }
    filter
}

/// Installs the subscriber for the levels `log` asks for.
pub fn init(log: &LogSettings) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter(log))
        .event_format(IcloudpdFormat)
        .with_writer(|| StdoutAboveBar)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(level: LogLevel, silent: bool, directives: Option<&str>) -> LogSettings {
        LogSettings {
            level,
            silent,
            directives: directives.map(str::to_owned),
        }
    }

    #[test]
    fn only_print_filenames_silences_the_application_logger() {
        assert_eq!(app_level(&log(LogLevel::Debug, false, None)), "debug");
        assert_eq!(app_level(&log(LogLevel::Error, false, None)), "error");
        assert_eq!(app_level(&log(LogLevel::Error, true, None)), "off");
    }

    #[test]
    fn rust_log_adds_library_directives() {
        let shown = filter(&log(
            LogLevel::Info,
            false,
            Some("icloud_auth=debug, icloud_photos=trace,=bad=,"),
        ))
        .to_string();
        assert!(shown.contains("icloud_auth=debug"), "{shown}");
        assert!(shown.contains("icloud_photos=trace"), "{shown}");
        assert!(shown.contains("icloudpd=info"), "{shown}");
    }
}
