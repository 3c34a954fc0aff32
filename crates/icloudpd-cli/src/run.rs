//! Mode dispatch: process each user configuration in order; the first failure ends the run.

use icloud_auth::{AuthClient, Region};
use tracing::info;

use crate::args::GlobalArgs;
use crate::error::CliError;
use crate::logging::APP;
use crate::login::{self, Console};
use crate::settings::UserSettings;

/// Runs every user configuration; returns the first failure.
pub async fn run(global: &GlobalArgs, users: &[UserSettings]) -> Result<(), CliError> {
    let region = Region::from_domain(&global.domain).map_err(CliError::from)?;
    let mut builder = AuthClient::builder().region(region);
    if let Some(id) = std::env::var("CLIENT_ID").ok().filter(|v| !v.is_empty()) {
        builder = builder.client_id(id);
    }
    let client = builder.build()?;
    let mut console = Console::new();
    for user in users {
        info!(target: APP, "Processing user: {}", user.username);
        if !user.auth_only {
            return Err(CliError::failed(
                "Downloading is not available in this version yet; use --auth-only",
            ));
        }
        login::authenticate(&client, global, user, &mut console).await?;
        info!(target: APP, "Authentication completed successfully");
    }
    Ok(())
}
