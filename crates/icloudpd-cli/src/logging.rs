//! The only place a global subscriber is installed: icloudpd's log format on stdout.
//!
//! `YYYY-MM-DD HH:MM:SS LEVEL    message` in local time. `--log-level` filters this program's
//! own messages; the libraries' messages are shown from WARNING up, as icloudpd does.

use std::fmt;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The target of this program's own log lines.
pub const APP: &str = "icloudpd";

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

/// Installs the subscriber. `level` is one of `debug`, `info`, `error`.
pub fn init(level: &str) {
    let app_level = match level {
        "info" => "info",
        "error" => "error",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::new(format!("warn,{APP}={app_level}"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .event_format(IcloudpdFormat)
        .with_writer(std::io::stdout)
        .try_init();
}
