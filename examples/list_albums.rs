//! Lists the libraries and albums of an Apple ID, with their sizes, from a saved session.
//!
//! Sign in first with the `sign_in` example (or `icloudpd --auth-only`): this example only
//! resumes the session stored in Python icloudpd's cookie directory (`COOKIE_DIRECTORY`, default
//! `~/.pyicloud`). Against Apple: `cargo run --example list_albums -- you@example.com`. Against
//! the bundled fake: start `icloud-fake --no-2fa --account me@example.com:secret --library 500`,
//! set `ICLOUD_AUTH_ENDPOINT`, `ICLOUD_SETUP_ENDPOINT` and `ICLOUD_HOME_ENDPOINT` to the URL it
//! prints (this example hands them to the `AuthClient`), then run `sign_in` and this example.

use std::sync::Arc;

use icloud_auth::{AuthClient, Endpoints, FileSessionStore, Region, SignIn};
use icloud_photos::PhotosClient;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let apple_id = std::env::args()
        .nth(1)
        .ok_or("usage: list_albums APPLE_ID")?;
    let dir = std::env::var("COOKIE_DIRECTORY")
        .unwrap_or_else(|_| format!("{}/.pyicloud", std::env::var("HOME").unwrap_or_default()));
    // The library reads no environment: opt in to the endpoint overrides explicitly.
    let endpoints = Endpoints::from_lookup(Region::Global, |name| std::env::var(name).ok())?;
    let client = AuthClient::builder().endpoints(endpoints).build()?;
    let store = Arc::new(FileSessionStore::new(dir));
    let Some(SignIn::Complete(session)) = client.resume(&apple_id, store).await? else {
        return Err("no valid saved session: run the sign_in example first".into());
    };

    let photos = PhotosClient::new(&session)?;
    for library in photos.libraries().await? {
        if library.indexing_state() != Some("FINISHED") {
            println!("{} (still indexing)", library.name());
            continue;
        }
        let total = library.count(&library.all_photos()).await?;
        println!("{} ({total} items)", library.name());
        for album in library.albums().await? {
            println!("  {:<28} {:>7}", album.name(), library.count(&album).await?);
        }
    }
    Ok(())
}
