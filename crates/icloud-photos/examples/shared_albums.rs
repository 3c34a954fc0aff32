//! Lists the shared albums of an account with their items, and downloads one item's original.
//!
//! `cargo run -p icloud-photos --example shared_albums` starts the bundled fake in-process with
//! its generated shared albums. `… --example shared_albums -- URL APPLE_ID PASSWORD` signs in to
//! a server at URL instead (an account without two-factor authentication), e.g. a fake started
//! with `icloud-fake --no-2fa --shared-albums --account me@example.com:secret`.

use std::sync::Arc;

use futures_util::{StreamExt, TryStreamExt};
use icloud_auth::{AuthClient, Endpoints, MemorySessionStore, Region, SecretString, SignIn};
use icloud_fake::{FakeAccount, FakeICloud, FakeSharedStreams};
use icloud_photos::{SharedAlbums, VersionKind};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut _fake = None;
    let (url, apple_id, password) = match &args[..] {
        [url, id, pw] => (url.clone(), id.clone(), pw.clone()),
        [] => {
            let account = FakeAccount::new("me@example.com", "secret")
                .without_two_factor()
                .shared_albums(FakeSharedStreams::generated(1));
            let fake = FakeICloud::builder().account(account).start()?;
            let url = fake.base_url();
            _fake = Some(fake);
            (url, "me@example.com".into(), "secret".into())
        }
        _ => return Err("usage: shared_albums [URL APPLE_ID PASSWORD]".into()),
    };
    let client = AuthClient::builder()
        .endpoints(Endpoints::single_origin(Region::Global, &url)?)
        .build()?;
    let store = Arc::new(MemorySessionStore::default());
    let password = SecretString::from(password);
    let SignIn::Complete(session) = client.sign_in(&apple_id, &password, store).await? else {
        return Err("this example does not do two-factor authentication".into());
    };

    let Some(shared) = SharedAlbums::new(&session)? else {
        println!("{apple_id} has no shared albums service");
        return Ok(());
    };
    let mut first = None;
    for album in shared.albums().await? {
        let whose = if album.is_owned() {
            "owned"
        } else {
            "subscribed"
        };
        let public = if album.is_public() { ", public" } else { "" };
        let count = shared.count(&album).await?;
        println!(
            "{} ({}, {whose}{public}): {count} items",
            album.name(),
            album.guid()
        );
        let items: Vec<_> = shared.assets(&album).try_collect().await?;
        for asset in items.iter().take(3) {
            let original = asset.version(VersionKind::Original);
            let size = original.map_or(0, |v| v.size());
            let live = if asset.is_live_photo() { " (live)" } else { "" };
            println!("  {}{live}, {size} bytes", asset.filename());
        }
        if items.len() > 3 {
            println!("  … and {} more", items.len() - 3);
        }
        first = first.or_else(|| items.into_iter().next());
    }
    let Some(asset) = first else { return Ok(()) };
    let Some(original) = asset.version(VersionKind::Original) else {
        return Ok(());
    };
    let mut body = shared.download(original, 0).await?;
    let mut n = 0;
    while let Some(chunk) = body.next().await {
        n += chunk?.len();
    }
    println!(
        "downloaded {} ({n} of {} bytes)",
        asset.filename(),
        original.size()
    );
    Ok(())
}
