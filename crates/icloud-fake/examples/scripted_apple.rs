//! Starts a fake Apple with one account, scripts a failure, plays a client with a bare HTTP
//! client, and checks what happened against the fake's records and truth queries: the three
//! things a test of an iCloud client does with `icloud-fake`.
//!
//! ```text
//! cargo run -p icloud-fake --example scripted_apple
//! ```
//!
//! A real client (`icloud-auth`, `icloud-photos`) takes the fake's base URL as its sign-in,
//! setup and home URL; see `cargo run -p icloud-auth --example sign_in`.

use std::error::Error;

use icloud_fake::{FakeAccount, FakeAlbum, FakeAsset, FakeICloud, FakeLibrary, Fault};

fn main() -> Result<(), Box<dyn Error>> {
    // 1. The account and its photos: three by hand, in an album inside a folder, plus a
    //    generated mix of every kind Apple serves.
    let library = FakeLibrary::generated(20, 7)
        .album(FakeAlbum::folder("Reisen"))
        .album(FakeAlbum::new("Rom 2019").in_folder("Reisen"))
        .asset(FakeAsset::photo("IMG_0001.JPG").in_album("Rom 2019"))
        .asset(
            FakeAsset::live("IMG_0002.HEIC")
                .favorite()
                .in_album("Rom 2019"),
        )
        .asset(FakeAsset::video("IMG_0003.MOV").hidden());
    let fake = FakeICloud::builder()
        .account(
            FakeAccount::new("jdoe@gmail.com", "password1")
                .fixed_code("123456")
                .library(library),
        )
        // 2. The failure under test: Apple throttles the first sign-in attempt.
        .fault(Fault::service_unavailable("/signin/init"))
        .start()?;
    let base = fake.base_url();
    println!("fake Apple at {base}");

    // 3. The client's requests. A bare HTTP client stands in for the client under test.
    let http = reqwest::blocking::Client::new();
    let init = format!("{base}/appleauth/auth/signin/init");
    let answer = http.post(&init).body("{}").send()?;
    println!("POST signin/init while throttled: {}", answer.status());
    fake.clear_faults();
    let answer = http.post(&init).body("{}").send()?;
    println!(
        "POST signin/init with an empty body, unthrottled: {}",
        answer.status()
    );

    // 4. What the client sent, as the fake recorded it.
    for r in fake.requests() {
        println!("  recorded: {} {} -> {}", r.method, r.path, r.status);
    }
    assert_eq!(fake.count("POST", "/signin/init"), 2);

    // 5. What a correct client must find.
    let zone = "PrimarySync";
    println!("libraries: {:?}", fake.library_names("jdoe@gmail.com"));
    println!("albums: {:?}", fake.album_names("jdoe@gmail.com", zone));
    let whole = fake.expected_listing("jdoe@gmail.com", zone, None);
    let rome = fake.expected_listing("jdoe@gmail.com", zone, Some("Rom 2019"));
    println!(
        "the whole collection lists {} assets (hidden ones excluded); Rom 2019 lists {:?}",
        whole.len(),
        rome.iter()
            .filter_map(|a| a.filename.as_deref())
            .collect::<Vec<_>>()
    );
    if let Some(first) = rome.first()
        && let Some((size, checksum)) = first.version("resOriginal")
    {
        println!("its newest original is {size} bytes, checksum {checksum}");
    }
    Ok(())
}
