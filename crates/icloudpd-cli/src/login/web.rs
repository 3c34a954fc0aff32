//! A two-factor challenge answered in the web UI: a code from a trusted device, or one sent
//! by SMS to a trusted phone the person picks on the page.

use icloud_auth::{Error as AuthError, Session, TwoFactorChallenge};
use tracing::{error, info};

use crate::error::{CliError, MFA_FAILED};
use crate::logging::APP;
use crate::webui::{Exchange, MfaInput};

/// Waits in the web UI until a code is accepted. A wrong code, a failed SMS or a failure
/// while checking is shown on the page and the next answer awaited; unlike icloudpd 1.32, the
/// loop ends as soon as a code works.
pub(super) async fn two_factor(
    challenge: TwoFactorChallenge,
    exchange: &Exchange,
) -> Result<Session, CliError> {
    let phones = challenge.trusted_phones().await?;
    super::request_push(&challenge).await?;
    if !exchange.need_mfa(phones.iter().map(|p| p.display()).collect()) {
        return Err(CliError::failed(format!(
            "Expected NO_INPUT_NEEDED, but got {}",
            exchange.status()
        )));
    }
    info!(target: APP, "Waiting for the two-factor code in the web UI...");
    loop {
        match exchange.mfa_input().await {
            MfaInput::SendSms(index) => match phones.get(index) {
                Some(phone) => match challenge.send_sms(phone).await {
                    Ok(()) => exchange.sms_sent(index),
                    Err(e) => {
                        error!(target: APP, "Failed to send two-factor authentication code: {e}");
                        exchange.mfa_notice("Failed to send two-factor authentication code");
                    }
                },
                None => exchange.mfa_notice("There is no such trusted phone number"),
            },
            MfaInput::Code { code, phone } => {
                let attempt = challenge.clone();
                let result = match phone.and_then(|i| phones.get(i)) {
                    Some(phone) => attempt.submit_sms_code(phone, &code).await,
                    None => attempt.submit_code(&code).await,
                };
                match result {
                    Ok(session) => {
                        exchange.mfa_accepted();
                        return Ok(session);
                    }
                    Err(e @ (AuthError::TwoFactorRejected | AuthError::TrustFailed)) => {
                        error!(target: APP, "{MFA_FAILED}: {e}");
                        exchange.set_error(MFA_FAILED);
                    }
                    Err(e) => {
                        let e = CliError::from(e);
                        error!(target: APP, "{}", e.message);
                        exchange.set_error(&e.message);
                    }
                }
            }
        }
    }
}
