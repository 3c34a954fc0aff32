//! The HTML the web UI serves: the page shell, the status fragment of each status, the
//! answers to the forms, and the status as JSON. Every dynamic string goes through [`escape`].

use std::fmt::Write;
use std::time::Instant;

use serde_json::{Value, json};

use super::exchange::{Progress, Snapshot, Status};

/// The name shown when no account is being processed.
const NO_USER: &str = "iCloud account";

/// Returns `text` with the characters that mean something in HTML replaced by references.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Returns the account name the pages show (not escaped).
pub(super) fn account(snapshot: &Snapshot) -> &str {
    snapshot.user.as_deref().unwrap_or(NO_USER)
}

/// Returns the account name the pages show, escaped.
fn user(snapshot: &Snapshot) -> String {
    escape(account(snapshot))
}

/// Returns the whole page: `status` (a fragment from [`status`]) under the title, with
/// `message` (from [`message`]) above it. Without JavaScript, a page that asks nothing
/// reloads itself now and then.
pub(super) fn page(status_fragment: &str, message: &str, asks: bool) -> String {
    let reload = if asks {
        ""
    } else {
        "<noscript><meta http-equiv=\"refresh\" content=\"5; url=/\"></noscript>\n"
    };
    format!(
        "<!doctype html>
<html lang=\"en\">
<head>
<meta charset=\"utf-8\">
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">
<meta name=\"color-scheme\" content=\"light dark\">
<title>iCloud Photos Downloader</title>
<link rel=\"icon\" href=\"data:,\">
<link rel=\"stylesheet\" href=\"/static/style.css\">
<script src=\"/static/app.js\" defer></script>
{reload}</head>
<body>
<main>
<h1>iCloud Photos Downloader</h1>
<div id=\"message\" aria-live=\"polite\">{message}</div>
<div id=\"status\">{status_fragment}</div>
<noscript><p class=\"hint\"><a href=\"/\">Refresh</a></p></noscript>
</main>
</body>
</html>
"
    )
}

/// Returns the page answering a request without the token.
pub(super) fn token_needed() -> String {
    "<!doctype html>
<html lang=\"en\">
<head>
<meta charset=\"utf-8\">
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">
<title>iCloud Photos Downloader</title>
<link rel=\"icon\" href=\"data:,\">
</head>
<body>
<main>
<h1>iCloud Photos Downloader</h1>
<p>This page needs its token. Open the address icloudpd logged when it started, the line
<code>Web UI: http://…/?token=…</code> (or add <code>?token=</code> and the token you gave it).</p>
</main>
</body>
</html>
"
    .to_owned()
}

/// Returns the answer to a form: `text` (plain text, escaped here), styled as a success or a
/// refusal.
pub(super) fn message(text: &str, ok: bool) -> String {
    let text = escape(text);
    if ok {
        format!("<p class=\"message ok\">{text}</p>")
    } else {
        format!("<p class=\"message refused\" role=\"alert\">{text}</p>")
    }
}

/// Returns whether the fragment of this status holds a form a person types into.
pub(super) fn asks(status: Status) -> bool {
    matches!(status, Status::NeedPassword | Status::NeedMfa)
}

/// Returns the status fragment: what the worker needs now, or how it is doing.
pub(super) fn status(snapshot: &Snapshot, overview: &[String]) -> String {
    let body = match snapshot.status {
        Status::NoInputNeeded => no_input(snapshot, overview),
        Status::NeedPassword => password_form(snapshot),
        Status::NeedMfa => code_form(snapshot),
        other => busy(other),
    };
    format!(
        "<section class=\"card\" data-status=\"{}\" data-version=\"{}\">\n{body}</section>\n",
        snapshot.status.as_str(),
        snapshot.version
    )
}

fn error(snapshot: &Snapshot) -> String {
    snapshot
        .error
        .as_deref()
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>\n", escape(e)))
        .unwrap_or_default()
}

fn no_input(snapshot: &Snapshot, overview: &[String]) -> String {
    let mut out = String::from("<h2>No input is needed</h2>\n");
    if let Some(notice) = &snapshot.notice {
        let _ = writeln!(
            out,
            "<p class=\"notice\" role=\"status\">{}</p>",
            escape(notice)
        );
    }
    if let Some(user) = &snapshot.user {
        let _ = writeln!(out, "<p>Account: {}</p>", escape(user));
    }
    for (user, day) in &snapshot.trust {
        let _ = writeln!(
            out,
            "<p class=\"trust\">Apple trusts the session of {} until {}</p>",
            escape(user),
            escape(day)
        );
    }
    if let Some(e) = &snapshot.error {
        let _ = writeln!(
            out,
            "<p class=\"error\" role=\"alert\">Last error: {}</p>",
            escape(e)
        );
    }
    out.push_str(&progress(&snapshot.progress));
    if !overview.is_empty() {
        out.push_str("<h3>Settings</h3>\n<ul class=\"overview\">\n");
        for line in overview {
            let _ = writeln!(out, "<li>{}</li>", escape(line));
        }
        out.push_str("</ul>\n");
    }
    out.push_str(
        "<div class=\"actions\">
<form method=\"post\" action=\"/resume\"><button type=\"submit\" class=\"secondary\">Resume now</button></form>
<form method=\"post\" action=\"/cancel\"><button type=\"submit\" class=\"secondary\">Cancel this run</button></form>
</div>
",
    );
    out
}

fn progress(p: &Progress) -> String {
    let mut out = String::new();
    match p.total {
        Some(total) => {
            let percent = (p.done.min(total) * 100).checked_div(total).unwrap_or(0);
            let _ = writeln!(
                out,
                "<p><progress max=\"{total}\" value=\"{}\"></progress><br>Progress: {} of {total} ({percent}%)</p>",
                p.done.min(total),
                p.done
            );
        }
        None if p.done > 0 => {
            let _ = writeln!(out, "<p>Progress: {}</p>", p.done);
        }
        None => {}
    }
    if let Some(seconds) = waiting_seconds(p) {
        let _ = writeln!(
            out,
            "<p>Next run in <span data-countdown=\"{seconds}\">{}</span></p>",
            clock(seconds)
        );
    }
    out
}

/// Returns the seconds until the next run, if one is scheduled.
fn waiting_seconds(p: &Progress) -> Option<u64> {
    p.next_run
        .map(|at| at.saturating_duration_since(Instant::now()).as_secs())
}

/// Returns `seconds` as `H:MM:SS`, as Python's `timedelta` prints it.
fn clock(seconds: u64) -> String {
    format!(
        "{}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

fn password_form(snapshot: &Snapshot) -> String {
    format!(
        "{}<form method=\"post\" action=\"/password\" class=\"answer\">
<label for=\"password\">Password for {}</label>
<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>
<button type=\"submit\">Submit</button>
</form>
",
        error(snapshot),
        user(snapshot)
    )
}

fn code_form(snapshot: &Snapshot) -> String {
    let sent_to = snapshot
        .sms_sent_to
        .and_then(|i| Some((i, snapshot.phones.get(i)?)));
    let (hint, phone_field) = match sent_to {
        Some((i, phone)) => (
            format!("A code was sent by SMS to {}.", escape(phone)),
            format!("<input type=\"hidden\" name=\"phone\" value=\"{i}\">\n"),
        ),
        None => (
            "Enter the code shown on a trusted device.".to_owned(),
            String::new(),
        ),
    };
    let mut out = format!(
        "{}<form method=\"post\" action=\"/code\" class=\"answer\">
<label for=\"code\">Two-Factor code for {}</label>
<p class=\"hint\" id=\"code-hint\">{hint}</p>
<input id=\"code\" name=\"code\" type=\"text\" inputmode=\"numeric\" autocomplete=\"one-time-code\" maxlength=\"11\" aria-describedby=\"code-hint\" required>
{phone_field}<button type=\"submit\">Submit</button>
</form>
",
        error(snapshot),
        user(snapshot)
    );
    if !snapshot.phones.is_empty() {
        out.push_str("<div class=\"sms\">\n");
        for (i, phone) in snapshot.phones.iter().enumerate() {
            let _ = writeln!(
                out,
                "<form method=\"post\" action=\"/sms\"><input type=\"hidden\" name=\"phone\" value=\"{i}\"><button type=\"submit\" class=\"secondary\">Send a code by SMS to {}</button></form>",
                escape(phone)
            );
        }
        out.push_str("</div>\n");
    }
    out
}

fn busy(status: Status) -> String {
    let what = match status {
        Status::SuppliedPassword => "The password was received.",
        Status::CheckingPassword => "The password is being checked.",
        Status::SuppliedMfa => "The code was received.",
        _ => "The code is being checked.",
    };
    format!("<p class=\"busy\">Status: {status}</p>\n<p class=\"hint\">{what}</p>\n")
}

/// Returns the status as JSON, with icloudpd's lowercase status names.
pub(super) fn status_json(snapshot: &Snapshot, overview: &[String]) -> Value {
    let p = &snapshot.progress;
    json!({
        "status": snapshot.status.as_str(),
        "version": snapshot.version,
        "user": snapshot.user,
        "error": snapshot.error,
        "phones": snapshot.phones,
        "sms_sent_to": snapshot.sms_sent_to,
        "progress": {
            "done": p.done,
            "total": p.total,
            "next_run_in_seconds": waiting_seconds(p),
        },
        "overview": overview,
        "notice": snapshot.notice,
        "trust_expires": snapshot
            .trust
            .iter()
            .map(|(user, day)| (user.clone(), Value::String(day.clone())))
            .collect::<serde_json::Map<String, Value>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(status: Status) -> Snapshot {
        Snapshot {
            version: 7,
            status,
            user: None,
            error: None,
            phones: vec![],
            sms_sent_to: None,
            progress: Progress::default(),
            notice: None,
            trust: vec![],
        }
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn every_dynamic_string_is_escaped() {
        let mut s = snapshot(Status::NeedMfa);
        s.user = Some("<b>me</b>".into());
        s.error = Some("<script>".into());
        s.phones = vec!["<i>81</i>".into()];
        s.sms_sent_to = Some(0);
        let html = status(&s, &["<u>x</u>".into()]);
        assert!(!html.contains("<b>") && !html.contains("<script>") && !html.contains("<i>"));
        assert!(
            html.contains("Two-Factor code for &lt;b&gt;me&lt;/b&gt;"),
            "{html}"
        );
        assert!(html.contains("A code was sent by SMS to &lt;i&gt;81&lt;/i&gt;."));
        s.status = Status::NoInputNeeded;
        s.notice = Some("<em>approve</em>".into());
        s.trust = vec![("<b>me</b>".into(), "2027-01-05".into())];
        let html = status(&s, &["<u>x</u>".into()]);
        assert!(html.contains("<li>&lt;u&gt;x&lt;/u&gt;</li>"), "{html}");
        assert!(html.contains("&lt;em&gt;approve&lt;/em&gt;") && !html.contains("<em>"));
        assert!(
            html.contains("Apple trusts the session of &lt;b&gt;me&lt;/b&gt; until 2027-01-05")
        );
        assert_eq!(
            status_json(&s, &[])["trust_expires"],
            serde_json::json!({"<b>me</b>": "2027-01-05"})
        );
        assert_eq!(
            message(&format!("Sent to {}", account(&s)), false),
            "<p class=\"message refused\" role=\"alert\">Sent to &lt;b&gt;me&lt;/b&gt;</p>"
        );
    }

    #[test]
    fn progress_and_countdown() {
        let p = Progress {
            done: 12,
            total: Some(300),
            next_run: None,
        };
        assert!(progress(&p).contains("Progress: 12 of 300 (4%)"));
        assert_eq!(progress(&Progress::default()), "");
        assert_eq!(clock(299), "0:04:59");
        assert_eq!(clock(3 * 3600 + 61), "3:01:01");
    }

    #[test]
    fn other_statuses_show_their_name() {
        let html = status(&snapshot(Status::CheckingPassword), &[]);
        assert!(html.contains("Status: CHECKING_PASSWORD"), "{html}");
        assert!(html.contains("data-status=\"checking_password\" data-version=\"7\""));
    }
}
