//! Apple's trust of a session: when it runs out (after which a sign-in needs a second factor
//! again), shown after every sign-in and warned about before it happens, so that an unattended
//! run does not learn of it by failing.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{DateTime, Local, NaiveDate};
use icloud_auth::{FileSessionStore, Session};
use tracing::{debug, info, warn};

use crate::logging::APP;
use crate::settings::UserSettings;
use crate::webui::Exchange;

/// Reads when Apple stops trusting `session`, says it (INFO with `--auth-only`, DEBUG
/// otherwise; the web UI always shows it), and warns when fewer than
/// `--mfa-expiry-warning-days` days are left: a WARNING in the log every run, the notification
/// (script, e-mail) at most once a day per account. Returns the day the trust ends.
pub async fn check(
    session: &Session,
    user: &UserSettings,
    web: Option<&Exchange>,
) -> Option<NaiveDate> {
    let Some(expires) = session.trust_expires() else {
        debug!(target: APP, "Apple set no trust expiry for this session");
        return None;
    };
    let day = DateTime::<Local>::from(expires).date_naive();
    let left = days_left(expires, SystemTime::now());
    if let Some(exchange) = web {
        exchange.set_trust_expiry(&user.username, &day.to_string());
    }
    let line = format!(
        "Apple trusts this session until {day} ({left} days left); renew it before then with `icloudpd --auth-only`"
    );
    if user.auth_only {
        info!(target: APP, "{line}");
    } else {
        debug!(target: APP, "{line}");
    }
    let threshold = user.mfa_expiry_warning_days;
    if left >= u64::from(threshold) {
        return Some(day);
    }
    warn!(
        target: APP,
        "Apple's trust of this session ends on {day}, in {left} days: after that a two-factor code is needed. Renew it with `icloudpd --auth-only` (or the web UI)"
    );
    if !user.notifications.configured() {
        return Some(day);
    }
    let marker = marker_path(&user.cookie_directory, &user.username);
    let today = Local::now().date_naive().to_string();
    if std::fs::read_to_string(&marker).is_ok_and(|s| s.trim() == today) {
        debug!(target: APP, "The expiring trust was already notified today");
        return Some(day);
    }
    user.notifications.trust_expiring(&user.username, day).await;
    if let Err(e) = std::fs::write(&marker, format!("{today}\n")) {
        debug!(target: APP, "Cannot record the notification in {}: {e}", marker.display());
    }
    Some(day)
}

/// Whole days from `now` to `expires` (0 when it has passed).
fn days_left(expires: SystemTime, now: SystemTime) -> u64 {
    expires
        .duration_since(now)
        .map_or(0, |d| d.as_secs() / 86_400)
}

/// The file beside the session files that records the day of the last warning.
fn marker_path(cookie_directory: &Path, username: &str) -> PathBuf {
    cookie_directory.join(format!(
        "{}.trust-notified",
        FileSessionStore::base_name(username)
    ))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn days_left_are_whole_days_and_never_negative() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let day = Duration::from_secs(86_400);
        assert_eq!(days_left(now + day * 3 + Duration::from_secs(5), now), 3);
        assert_eq!(days_left(now + day - Duration::from_secs(1), now), 0);
        assert_eq!(days_left(now - day, now), 0);
    }

    #[test]
    fn the_marker_sits_beside_the_session_files() {
        assert_eq!(
            marker_path(Path::new("/c"), "jdoe@gmail.com"),
            PathBuf::from("/c/jdoegmailcom.trust-notified")
        );
    }
}
