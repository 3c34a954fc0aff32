//! Lists the libraries and albums of an account, counts and lists the whole collection of the
//! personal library, and downloads the newest asset's original into a file.
//!
//! `cargo run -p icloud-photos --example list_and_download` starts the bundled fake in-process
//! with a generated library and writes into a temporary directory.
//! `… --example list_and_download -- URL APPLE_ID PASSWORD [DIR]` signs in to a server at URL
//! instead (an account without two-factor authentication) and writes into DIR (default: the
//! current directory), e.g. against a fake started with
//! `icloud-fake --no-2fa --account me@example.com:secret`.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use futures_util::{StreamExt, TryStreamExt};
use icloud_auth::{AuthClient, Endpoints, MemorySessionStore, Region, SecretString, SignIn};
use icloud_fake::{FakeAccount, FakeICloud, FakeLibrary};
use icloud_photos::{ListOptions, PhotosClient, VersionKind};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut _fake = None;
    let mut _tmp = None;
    let (url, apple_id, password, dir) = match &args[..] {
        [url, id, pw] => (url.clone(), id.clone(), pw.clone(), PathBuf::from(".")),
        [url, id, pw, dir] => (url.clone(), id.clone(), pw.clone(), PathBuf::from(dir)),
        [] => {
            let account = FakeAccount::new("me@example.com", "secret")
                .without_two_factor()
                .library(FakeLibrary::generated(40, 7));
            let fake = FakeICloud::builder().account(account).start()?;
            let url = fake.base_url();
            _fake = Some(fake);
            let tmp = tempfile::tempdir()?;
            let dir = tmp.path().to_owned();
            _tmp = Some(tmp);
            (url, "me@example.com".into(), "secret".into(), dir)
        }
        _ => return Err("usage: list_and_download [URL APPLE_ID PASSWORD [DIR]]".into()),
    };
    let client = AuthClient::builder()
        .endpoints(Endpoints::single_origin(Region::Global, &url)?)
        .build()?;
    let store = Arc::new(MemorySessionStore::default());
    let password = SecretString::from(password);
    let SignIn::Complete(session) = client.sign_in(&apple_id, &password, store).await? else {
        return Err("this example does not do two-factor authentication".into());
    };

    let photos = PhotosClient::new(&session)?;
    for library in photos.libraries().await? {
        println!("library {} ({:?})", library.name(), library.kind());
    }
    let library = photos.primary().await?;
    let albums = library.albums().await?;
    let names: Vec<&str> = albums.iter().map(|a| a.name()).collect();
    println!("albums: {}", names.join(", "));

    let all = library.all_photos();
    let count = library.count(&all).await?;
    println!("{count} assets; the newest five:");
    let newest = ListOptions::default().expected_count(count).limit(5);
    let assets: Vec<_> = library.assets_with(&all, newest).try_collect().await?;
    for asset in &assets {
        let date = asset
            .asset_date()
            .map_or_else(|| "no date".to_owned(), |d| d.date().to_string());
        let kinds: Vec<String> = asset.versions().keys().map(|k| format!("{k:?}")).collect();
        println!("  {} ({date}): {}", asset.filename(), kinds.join(", "));
    }

    let Some(asset) = assets.first() else {
        return Ok(());
    };
    let Some(original) = asset.version(VersionKind::Original) else {
        return Ok(());
    };
    // A real program cleans the name for its file system and resumes partial files from
    // their length (checking `ByteStream::is_partial`); from 0 the answer is the whole file.
    let path = dir.join(asset.filename().replace('/', "_"));
    let mut body = photos.download(original, 0).await?;
    // Blocking writes keep the example short; a program would use its runtime's file API.
    let mut file = std::fs::File::create(&path)?;
    let mut written = 0;
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        file.write_all(&chunk)?;
        written += chunk.len() as u64;
    }
    file.sync_all()?;
    println!(
        "wrote {} ({written} of {} bytes, checksum {})",
        path.display(),
        original.size(),
        original.checksum()
    );
    Ok(())
}
