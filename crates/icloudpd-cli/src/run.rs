//! Mode dispatch: process each user configuration in order; the first failure ends the run.

use icloud_auth::{AuthClient, Region, Session};
use icloud_photos::PhotosClient;
use tracing::{error, info};

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
        let session = login::authenticate(&client, global, user, &mut console).await?;
        run_user(&session, user).await?;
    }
    Ok(())
}

/// What one user asked for, in icloudpd's order of precedence.
async fn run_user(session: &Session, user: &UserSettings) -> Result<(), CliError> {
    if user.auth_only {
        info!(target: APP, "Authentication completed successfully");
        return Ok(());
    }
    let photos = PhotosClient::new(session)?;
    // icloudpd touches the personal library first: a library still indexing stops the run.
    photos.primary().await?;
    if user.list_libraries {
        let names: Vec<String> = photos
            .libraries()
            .await?
            .iter()
            .map(|l| l.name().to_owned())
            .collect();
        println!("{}", names.join("\n"));
        return Ok(());
    }
    let library = match photos.library(&user.library).await {
        Ok(library) => library,
        Err(icloud_photos::Error::NotFound { .. }) => {
            error!(target: APP, "Unknown library: {}", user.library);
            return Err(CliError::reported());
        }
        Err(e) => return Err(e.into()),
    };
    if user.list_albums {
        let names: Vec<String> = library
            .albums()
            .await?
            .iter()
            .map(|a| a.name().to_owned())
            .collect();
        println!("Albums:\n{}", names.join("\n"));
        return Ok(());
    }
    Err(CliError::failed(
        "Downloading is not available in this version yet; use --auth-only, --list-albums or --list-libraries",
    ))
}
