//! Advanced Data Protection: after the sign-in, the consent flow that gives this session the
//! keys of the photos (auth.md §16.5), with the person told once to approve it on a device.

use icloud_auth::{PcsEvent, PcsOutcome, PcsPolicy, Session};
use tracing::{debug, info};

use crate::error::CliError;
use crate::logging::APP;
use crate::webui::Exchange;

/// What the person reads, in the log and on the web UI, while Apple waits for a device.
const APPROVE: &str = "Advanced Data Protection is on for this Apple ID: approve the request \
to access your iCloud data on the web on one of your Apple devices (iPhone, iPad or Mac) to let \
icloudpd download the photos. Waiting up to 5 minutes...";

/// Makes sure an ADP account's session holds the photos keys; nothing for other accounts.
/// Fails when "Access iCloud Data on the Web" is off, or no device shares the keys in time.
pub(super) async fn ensure_web_access(
    session: &Session,
    web: Option<&Exchange>,
) -> Result<(), CliError> {
    if !session.account().adp_enabled() {
        return Ok(());
    }
    let outcome = session
        .ensure_pcs(PcsPolicy::default(), |event| match event {
            PcsEvent::ApproveOnDevice => {
                info!(target: APP, "{APPROVE}");
                if let Some(exchange) = web {
                    exchange.set_notice(Some(APPROVE));
                }
            }
            PcsEvent::Waiting { message } => debug!(target: APP, "requestPCS: {message}"),
            _ => {}
        })
        .await;
    if let Some(exchange) = web {
        exchange.set_notice(None);
    }
    match outcome? {
        PcsOutcome::Attached => {
            info!(target: APP, "Access to the Advanced Data Protection photos granted");
        }
        other => debug!(target: APP, "Advanced Data Protection keys: {other:?}"),
    }
    Ok(())
}
