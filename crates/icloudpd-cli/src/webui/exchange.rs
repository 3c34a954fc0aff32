//! icloudpd's status machine (auth.md §13), shared by the worker and the pages.
//!
//! One mutex guards the state; every change bumps a version published on a `watch` channel,
//! which wakes the worker waiting for an answer and the pages waiting for news. Resume and
//! cancel are flags raised by the pages and taken by the worker, with a `Notify` each.

use std::fmt;
use std::pin::pin;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use icloud_auth::SecretString;
use tokio::sync::{Notify, watch};

/// Where the worker stands, icloudpd's status machine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Status {
    /// Nothing to ask (the initial status, and the one between questions).
    #[default]
    NoInputNeeded,
    /// The worker waits for a second-factor code.
    NeedMfa,
    /// A code was submitted; the worker has not taken it yet.
    SuppliedMfa,
    /// The worker checks the code with Apple.
    CheckingMfa,
    /// The worker waits for a password.
    NeedPassword,
    /// A password was submitted; the worker has not taken it yet.
    SuppliedPassword,
    /// The worker checks the password with Apple.
    CheckingPassword,
}

impl Status {
    /// Returns icloudpd's serialised form, e.g. `need_password`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NoInputNeeded => "no_input_needed",
            Status::NeedMfa => "need_mfa",
            Status::SuppliedMfa => "supplied_mfa",
            Status::CheckingMfa => "checking_mfa",
            Status::NeedPassword => "need_password",
            Status::SuppliedPassword => "supplied_password",
            Status::CheckingPassword => "checking_password",
        }
    }
}

/// Writes the upper-case name icloudpd shows, e.g. `CHECKING_PASSWORD`.
impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str().to_ascii_uppercase())
    }
}

/// An answer to a second-factor request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MfaInput {
    /// A code; `phone` is the index of the trusted phone it was sent to by SMS, `None` for a
    /// code shown on a trusted device.
    Code {
        /// Six digits.
        code: String,
        /// The trusted phone the code was sent to, if any.
        phone: Option<usize>,
    },
    /// Send a code by SMS to the trusted phone with this index.
    SendSms(usize),
}

/// Why a form's answer was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refused {
    /// Nobody asked for this answer now.
    WrongState,
    /// The phone index names no trusted phone.
    NoSuchPhone,
}

/// Download progress, as the status page shows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Progress {
    /// Assets handled in this run.
    pub done: u64,
    /// Assets in this run, when known.
    pub total: Option<u64>,
    /// When the next run of `--watch-with-interval` starts.
    pub next_run: Option<Instant>,
}

/// What the pages show, copied out of the lock.
#[derive(Debug, Clone)]
pub(super) struct Snapshot {
    /// Changes whenever anything below changes.
    pub version: u64,
    pub status: Status,
    pub user: Option<String>,
    /// Only in the statuses where icloudpd shows it.
    pub error: Option<String>,
    pub phones: Vec<String>,
    pub sms_sent_to: Option<usize>,
    pub progress: Progress,
    /// Something the person must do outside this page (approve a request on a device).
    pub notice: Option<String>,
    /// Until when Apple trusts each account's session (`YYYY-MM-DD`), by username.
    pub trust: Vec<(String, String)>,
}

#[derive(Default)]
struct State {
    status: Status,
    user: Option<String>,
    password: Option<SecretString>,
    mfa: Option<MfaInput>,
    error: Option<String>,
    phones: Vec<String>,
    sms_sent_to: Option<usize>,
    progress: Progress,
    resume: bool,
    cancel: bool,
    notice: Option<String>,
    trust: Vec<(String, String)>,
}

/// The state shared by the worker and the pages.
pub struct Exchange {
    state: Mutex<State>,
    version: watch::Sender<u64>,
    resume: Notify,
    cancel: Notify,
}

impl Default for Exchange {
    fn default() -> Self {
        Exchange {
            state: Mutex::default(),
            version: watch::Sender::new(0),
            resume: Notify::new(),
            cancel: Notify::new(),
        }
    }
}

impl fmt::Debug for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Exchange")
            .field("status", &state.status)
            .field("user", &state.user)
            .finish_non_exhaustive()
    }
}

impl Exchange {
    /// Names the account the pages ask for (`iCloud account` before any).
    pub fn set_current_user(&self, username: &str) {
        self.change(|s| {
            s.user = Some(username.to_owned());
            true
        });
    }

    /// Shows (or, with `None`, removes) a notice: something the person must do elsewhere.
    pub fn set_notice(&self, notice: Option<&str>) {
        self.change(|s| {
            let notice = notice.map(str::to_owned);
            let changed = s.notice != notice;
            s.notice = notice;
            changed
        });
    }

    /// Records until when Apple trusts `username`'s session (`YYYY-MM-DD`).
    pub fn set_trust_expiry(&self, username: &str, day: &str) {
        self.change(|s| {
            let entry = (username.to_owned(), day.to_owned());
            match s.trust.iter_mut().find(|(u, _)| u == username) {
                Some(slot) if *slot == entry => false,
                Some(slot) => {
                    *slot = entry;
                    true
                }
                None => {
                    s.trust.push(entry);
                    true
                }
            }
        });
    }

    /// Returns the current status.
    pub fn status(&self) -> Status {
        self.lock().status
    }

    /// `NO_INPUT_NEEDED → NEED_PASSWORD`, then waits until a password is submitted
    /// (`→ CHECKING_PASSWORD`) and returns it. `None` at once if the status was not
    /// `NO_INPUT_NEEDED`.
    ///
    /// Dropping the future leaves the page asking; a later call then fails, as icloudpd's does.
    pub async fn password(&self) -> Option<SecretString> {
        let asked = self.change(|s| {
            s.status == Status::NoInputNeeded && {
                s.status = Status::NeedPassword;
                true
            }
        });
        if !asked {
            return None;
        }
        self.wait_for(|s| match s.status {
            Status::SuppliedPassword => {
                s.status = Status::CheckingPassword;
                Some(s.password.take())
            }
            Status::NeedPassword => None,
            _ => Some(None),
        })
        .await
    }

    /// The password worked: `CHECKING_PASSWORD → NO_INPUT_NEEDED`, with no error left on the
    /// page. `false` in another status.
    pub fn password_accepted(&self) -> bool {
        self.change(|s| {
            s.replace(Status::CheckingPassword, Status::NoInputNeeded) && {
                s.error = None;
                true
            }
        })
    }

    /// Shows `message` and moves `CHECKING_PASSWORD → NO_INPUT_NEEDED` or
    /// `CHECKING_MFA → NEED_MFA`. `false` (nothing changes) in another status.
    pub fn set_error(&self, message: &str) -> bool {
        self.change(|s| {
            let next = match s.status {
                Status::CheckingPassword => Status::NoInputNeeded,
                Status::CheckingMfa => Status::NeedMfa,
                _ => return false,
            };
            s.status = next;
            s.error = Some(message.to_owned());
            true
        })
    }

    /// `NO_INPUT_NEEDED → NEED_MFA`, offering SMS to `phones` (their display form, e.g.
    /// `(***) ***-**81`). `false` if the status was not `NO_INPUT_NEEDED`.
    pub fn need_mfa(&self, phones: Vec<String>) -> bool {
        self.change(|s| {
            s.replace(Status::NoInputNeeded, Status::NeedMfa) && {
                s.phones = phones;
                s.sms_sent_to = None;
                s.mfa = None;
                true
            }
        })
    }

    /// Waits for the next answer in `NEED_MFA`: a code (`→ CHECKING_MFA`) or an SMS request
    /// (the status stays `NEED_MFA`).
    pub async fn mfa_input(&self) -> MfaInput {
        self.wait_for(|s| match (s.status, s.mfa.take()) {
            (Status::SuppliedMfa, Some(input @ MfaInput::Code { .. })) => {
                s.status = Status::CheckingMfa;
                Some(input)
            }
            (Status::NeedMfa, Some(input @ MfaInput::SendSms(_))) => Some(input),
            (_, input) => {
                s.mfa = input;
                None
            }
        })
        .await
    }

    /// A code was sent by SMS to phone `index`: the page now asks for that code.
    pub fn sms_sent(&self, index: usize) {
        self.change(|s| {
            s.sms_sent_to = Some(index);
            s.error = None;
            true
        });
    }

    /// Shows `message` while staying in `NEED_MFA` (an SMS that could not be sent).
    pub fn mfa_notice(&self, message: &str) {
        self.change(|s| {
            s.error = Some(message.to_owned());
            true
        });
    }

    /// The code worked: `CHECKING_MFA → NO_INPUT_NEEDED`, with no error left on the page (a
    /// failed SMS noticed after the code was typed would otherwise show as the last error).
    /// `false` in another status.
    pub fn mfa_accepted(&self) -> bool {
        self.change(|s| {
            s.replace(Status::CheckingMfa, Status::NoInputNeeded) && {
                s.phones.clear();
                s.sms_sent_to = None;
                s.error = None;
                true
            }
        })
    }

    /// Starts counting the download progress shown on the status page: none done of `total`
    /// assets (when known).
    pub fn start_progress(&self, total: Option<u64>) {
        self.change(|s| {
            s.progress.done = 0;
            s.progress.total = total;
            true
        });
    }

    /// Counts one more asset done.
    pub fn advance_progress(&self) {
        self.change(|s| {
            s.progress.done += 1;
            true
        });
    }

    /// The wait of `--watch-with-interval` until the next run, shown on the status page
    /// (`None`: not waiting).
    pub fn set_waiting(&self, wait: Option<Duration>) {
        self.change(|s| {
            s.progress.next_run = wait.map(|w| Instant::now() + w);
            true
        });
    }

    /// Completes when `POST /resume` was received since the last call (cuts a watch wait short).
    pub async fn resumed(&self) {
        self.take_flag(&self.resume, |s| &mut s.resume).await;
    }

    /// Completes when `POST /cancel` was received since the last call (stops the iteration).
    pub async fn cancelled(&self) {
        self.take_flag(&self.cancel, |s| &mut s.cancel).await;
    }

    /// Lowers the resume and cancel flags, as icloudpd does after each sync: a request made
    /// while that sync ran is spent, and does not cut the next wait short or stop the next run.
    pub fn clear_requests(&self) {
        let mut s = self.lock();
        s.resume = false;
        s.cancel = false;
    }

    /// A password from the form: accepted only in `NEED_PASSWORD` (`→ SUPPLIED_PASSWORD`).
    pub(super) fn supply_password(&self, password: SecretString) -> Result<(), Refused> {
        self.supply(Status::NeedPassword, |s| {
            s.password = Some(password);
            s.status = Status::SuppliedPassword;
            Ok(())
        })
    }

    /// A code from the form: accepted only in `NEED_MFA` (`→ SUPPLIED_MFA`).
    pub(super) fn supply_code(&self, code: String, phone: Option<usize>) -> Result<(), Refused> {
        self.supply(Status::NeedMfa, |s| {
            if phone.is_some_and(|i| i >= s.phones.len()) {
                return Err(Refused::NoSuchPhone);
            }
            s.mfa = Some(MfaInput::Code { code, phone });
            s.status = Status::SuppliedMfa;
            Ok(())
        })
    }

    /// An SMS request from the form: accepted only in `NEED_MFA`, for a listed phone.
    pub(super) fn request_sms(&self, phone: usize) -> Result<(), Refused> {
        self.supply(Status::NeedMfa, |s| {
            if phone >= s.phones.len() {
                return Err(Refused::NoSuchPhone);
            }
            s.mfa = Some(MfaInput::SendSms(phone));
            Ok(())
        })
    }

    /// Raises the resume flag.
    pub(super) fn request_resume(&self) {
        self.lock().resume = true;
        self.resume.notify_waiters();
    }

    /// Raises the cancel flag.
    pub(super) fn request_cancel(&self) {
        self.lock().cancel = true;
        self.cancel.notify_waiters();
    }

    /// Returns a copy of what the pages show.
    pub(super) fn snapshot(&self) -> Snapshot {
        let s = self.lock();
        let shows_error = matches!(
            s.status,
            Status::NoInputNeeded | Status::NeedPassword | Status::NeedMfa
        );
        Snapshot {
            version: *self.version.borrow(),
            status: s.status,
            user: s.user.clone(),
            error: s.error.clone().filter(|_| shows_error),
            phones: s.phones.clone(),
            sms_sent_to: s.sms_sent_to,
            progress: s.progress,
            notice: s.notice.clone(),
            trust: s.trust.clone(),
        }
    }

    /// Returns a receiver of the version, which changes with every change of the state.
    pub(super) fn subscribe(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the state and publishes a new version when it reports a change.
    fn change(&self, f: impl FnOnce(&mut State) -> bool) -> bool {
        let mut state = self.lock();
        let changed = f(&mut state);
        if changed {
            self.version.send_modify(|v| *v += 1);
        }
        changed
    }

    /// Runs `f` in status `expected`; when it accepts the answer, clears the error as
    /// icloudpd's `set_payload` does.
    fn supply(
        &self,
        expected: Status,
        f: impl FnOnce(&mut State) -> Result<(), Refused>,
    ) -> Result<(), Refused> {
        let mut result = Err(Refused::WrongState);
        self.change(|s| {
            if s.status != expected {
                return false;
            }
            result = f(s);
            if result.is_ok() {
                s.error = None;
            }
            result.is_ok()
        });
        result
    }

    /// Waits until `take` returns a value (having changed the state as it likes).
    async fn wait_for<T>(&self, mut take: impl FnMut(&mut State) -> Option<T>) -> T {
        let mut version = self.version.subscribe();
        loop {
            let mut taken = None;
            self.change(|s| {
                taken = take(s);
                taken.is_some()
            });
            if let Some(value) = taken {
                return value;
            }
            if version.changed().await.is_err() {
                // The sender lives in `self`: unreachable while `self` is borrowed.
                std::future::pending::<()>().await;
            }
        }
    }

    /// Waits until the flag `field` is raised, and lowers it.
    async fn take_flag(&self, notify: &Notify, field: impl Fn(&mut State) -> &mut bool) {
        loop {
            let mut notified = pin!(notify.notified());
            notified.as_mut().enable();
            if std::mem::take(field(&mut self.lock())) {
                return;
            }
            notified.await;
        }
    }
}

impl State {
    /// Moves `from → to`; `false` (nothing changes) in another status.
    fn replace(&mut self, from: Status, to: Status) -> bool {
        self.status == from && {
            self.status = to;
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use icloud_auth::ExposeSecret;

    use super::*;

    #[tokio::test]
    async fn password_round_trip_and_rejection() {
        let x = Arc::new(Exchange::default());
        let worker = tokio::spawn({
            let x = x.clone();
            async move { x.password().await }
        });
        while x.status() != Status::NeedPassword {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            x.supply_code("123456".into(), None),
            Err(Refused::WrongState)
        );
        x.supply_password(SecretString::from("pw".to_owned()))
            .unwrap();
        assert_eq!(
            x.supply_password(SecretString::from("again".to_owned())),
            Err(Refused::WrongState)
        );
        let got = worker.await.unwrap().unwrap();
        assert_eq!(got.expose_secret(), "pw");
        assert_eq!(x.status(), Status::CheckingPassword);
        assert_eq!(x.snapshot().error, None);
        assert!(x.set_error("Invalid email/password combination."));
        assert_eq!(x.status(), Status::NoInputNeeded);
        assert_eq!(
            x.snapshot().error.as_deref(),
            Some("Invalid email/password combination.")
        );
        assert!(!x.password_accepted());
    }

    #[tokio::test]
    async fn password_refused_outside_no_input_needed() {
        let x = Exchange::default();
        assert!(x.need_mfa(vec![]));
        assert!(x.password().await.is_none());
        assert_eq!(x.status(), Status::NeedMfa);
    }

    #[tokio::test]
    async fn error_hidden_while_checking() {
        let x = Exchange::default();
        x.need_mfa(vec!["(***) ***-**81".into()]);
        x.mfa_notice("Failed to send");
        assert_eq!(x.snapshot().error.as_deref(), Some("Failed to send"));
        x.supply_code("123456".into(), Some(0)).unwrap();
        assert_eq!(x.snapshot().error, None);
        assert_eq!(
            x.mfa_input().await,
            MfaInput::Code {
                code: "123456".into(),
                phone: Some(0)
            }
        );
        assert!(x.set_error("Failed to verify two-factor authentication code"));
        assert_eq!(x.status(), Status::NeedMfa);
        x.supply_code("654321".into(), None).unwrap();
        assert_eq!(x.status(), Status::SuppliedMfa);
        x.mfa_input().await;
        assert_eq!(x.status(), Status::CheckingMfa);
        // An SMS that failed while the code was being checked...
        x.mfa_notice("Failed to send");
        assert!(x.mfa_accepted());
        assert_eq!(x.status(), Status::NoInputNeeded);
        assert_eq!(x.snapshot().phones, Vec::<String>::new());
        // ...is not shown as the last error once the code worked.
        assert_eq!(x.snapshot().error, None);
    }

    #[tokio::test]
    async fn sms_request_keeps_need_mfa_and_checks_the_index() {
        let x = Exchange::default();
        x.need_mfa(vec!["a".into(), "b".into()]);
        assert_eq!(x.request_sms(2), Err(Refused::NoSuchPhone));
        assert_eq!(
            x.supply_code("123456".into(), Some(5)),
            Err(Refused::NoSuchPhone)
        );
        x.request_sms(1).unwrap();
        assert_eq!(x.mfa_input().await, MfaInput::SendSms(1));
        assert_eq!(x.status(), Status::NeedMfa);
        x.sms_sent(1);
        assert_eq!(x.snapshot().sms_sent_to, Some(1));
    }

    #[tokio::test]
    async fn flags_are_edge_triggered() {
        let x = Arc::new(Exchange::default());
        x.request_resume();
        x.resumed().await;
        let waiting = tokio::spawn({
            let x = x.clone();
            async move { x.resumed().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        x.request_resume();
        waiting.await.unwrap();
        let cancelled = tokio::time::timeout(Duration::from_millis(20), x.cancelled()).await;
        assert!(cancelled.is_err(), "no cancel was requested");
        x.request_cancel();
        x.cancelled().await;

        // Requests made during a sync are spent when it ends.
        x.request_resume();
        x.request_cancel();
        x.clear_requests();
        let resumed = tokio::time::timeout(Duration::from_millis(20), x.resumed()).await;
        assert!(resumed.is_err(), "the resume was cleared");
        let cancelled = tokio::time::timeout(Duration::from_millis(20), x.cancelled()).await;
        assert!(cancelled.is_err(), "the cancel was cleared");
    }

    #[test]
    fn status_names() {
        assert_eq!(Status::CheckingPassword.to_string(), "CHECKING_PASSWORD");
        assert_eq!(Status::NeedMfa.as_str(), "need_mfa");
    }
}
