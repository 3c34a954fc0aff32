//! Plans a mirror of a library, prints the plan, keeps only the photos, and executes it.
//!
//! Runs against `icloud-fake` (a fake Apple on loopback), so it needs no account:
//!
//! ```text
//! cargo run -p icloudpd-sync --example plan_then_execute [ASSETS]
//! ```

use std::error::Error;
use std::sync::Arc;

use icloud_auth::{AuthClient, Endpoints, MemorySessionStore, Region, SecretString, SignIn};
use icloud_fake::{FakeAccount, FakeICloud, FakeLibrary};
use icloud_photos::{MediaType, PhotosClient};
use icloudpd_sync::{Reporter, SyncEngine, SyncEvent, SyncOptions};

/// Prints downloads as they finish.
struct Print;

impl Reporter for Print {
    fn event(&self, event: &SyncEvent<'_>) {
        if let SyncEvent::Downloaded { path, bytes } = event {
            println!("  downloaded {} ({bytes} bytes)", path.display());
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let assets = std::env::args().nth(1).map_or(Ok(12), |n| n.parse())?;
    let fake = FakeICloud::builder()
        .account(
            FakeAccount::new("jdoe@example.com", "secret")
                .without_two_factor()
                .library(FakeLibrary::generated(assets, 1)),
        )
        .start()?;
    let auth = AuthClient::builder()
        .endpoints(Endpoints::single_origin(Region::Global, &fake.base_url())?)
        .build()?;
    let password = SecretString::from("secret".to_owned());
    let store = Arc::new(MemorySessionStore::default());
    let SignIn::Complete(session) = auth.sign_in("jdoe@example.com", &password, store).await?
    else {
        return Err("the fake account asked for a second factor".into());
    };
    let photos = PhotosClient::new(&session)?;
    let library = photos.primary().await?;

    let dir = tempfile::tempdir()?;
    let engine =
        SyncEngine::new(photos, library, SyncOptions::new(dir.path())).reporter(Arc::new(Print));
    let mut plan = engine.plan().await?;
    println!("The plan ({} bytes):", plan.bytes());
    for asset in plan.assets() {
        println!("  {} ({})", asset.name(), asset.created());
        for download in asset.downloads() {
            println!(
                "    {:?} -> {} ({} bytes)",
                download.rendition,
                download.path.strip_prefix(dir.path())?.display(),
                download.size()
            );
        }
    }

    plan.retain_assets(|asset| asset.asset().media_type() != Some(MediaType::Movie));
    println!("Executing the {} photos of the plan:", plan.assets().len());
    let report = engine.execute(plan).await?;
    println!(
        "{} files, {} bytes, {} failed",
        report.downloaded,
        report.bytes,
        report.failed.len()
    );
    Ok(())
}
