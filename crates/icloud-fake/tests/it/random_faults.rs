//! Seeded random faults (reset downloads, random statuses) and the bandwidth cap.

use std::time::{Duration, Instant};

use icloud_fake::{FakeAsset, FakeICloud, FakeLibrary, Fault};
use serde_json::json;

use crate::client::{Client, Resp};
use crate::paging::{list_body, of_type, smart};
use crate::{ck_client, photos_fake};

/// The original (URL, size) of every listed asset.
fn originals(fake: &FakeICloud) -> Vec<(String, u64)> {
    let mut c = ck_client(fake);
    let page = c
        .ck(
            "private",
            "records/query",
            &list_body("PrimarySync", &smart(None), 0, 400),
        )
        .json();
    of_type(&page, "CPLMaster")
        .iter()
        .map(|m| {
            let v = &m["fields"]["resOriginalRes"]["value"];
            (
                v["downloadURL"].as_str().expect("url").to_owned(),
                v["size"].as_u64().expect("size"),
            )
        })
        .collect()
}

/// A library of `n` assets whose files are at most a few KB.
fn small_files(n: usize) -> FakeLibrary {
    FakeLibrary::generated(n, 21).max_resource_size(6000)
}

/// Returns the body lengths of downloading every file once; checks each is the whole file or a
/// strict prefix of it, with `Content-Length` promising the whole.
fn body_lengths(fake: &FakeICloud, files: &[(String, u64)]) -> Vec<usize> {
    let mut c = Client::new(&fake.base_url());
    files
        .iter()
        .map(|(url, size)| {
            let resp = c.get_url(url, &[]);
            assert_eq!(resp.status, 200);
            assert_eq!(
                resp.header("Content-Length"),
                Some(size.to_string().as_str())
            );
            let bytes = fake.resource_bytes(url).expect("bytes");
            assert_eq!(resp.body, bytes[..resp.body.len()], "a prefix of the file");
            resp.body.len()
        })
        .collect()
}

#[test]
fn reset_downloads_cut_small_bodies_at_seeded_points() {
    let run = |per_mille| {
        let fake = photos_fake(small_files(60));
        let files = originals(&fake);
        assert!(files.len() > 40 && files.iter().all(|(_, s)| *s <= 6000));
        fake.set_fault(Fault::reset_downloads(per_mille, 77));
        let lengths = body_lengths(&fake, &files);
        let sizes: Vec<usize> = files.iter().map(|(_, s)| *s as usize).collect();
        (lengths, sizes)
    };
    let (all, sizes) = run(1000);
    for (got, size) in all.iter().zip(&sizes) {
        assert!(*got >= 1 && got < size, "{got} of {size}");
    }
    let (some, _) = run(300);
    let reset = some.iter().zip(&sizes).filter(|(g, s)| g < s).count();
    assert!(
        (5..=35).contains(&reset),
        "about 30% of {} reset: {reset}",
        sizes.len()
    );
    assert_eq!(
        run(300).0,
        some,
        "the same seed cuts the same downloads at the same points"
    );
    let (none, _) = run(0);
    assert_eq!(none, sizes);
}

#[test]
fn a_reset_download_retried_rolls_again_and_ranges_are_cut_too() {
    let fake = photos_fake(FakeLibrary::new().asset(FakeAsset::photo("a.JPG").size(4000)));
    let files = originals(&fake);
    let (url, _) = &files[0];
    let bytes = fake.resource_bytes(url).expect("bytes");
    fake.set_fault(Fault::reset_downloads(500, 3));
    let mut c = Client::new(&fake.base_url());
    let lengths: Vec<usize> = (0..40).map(|_| c.get_url(url, &[]).body.len()).collect();
    let cut = lengths.iter().filter(|&&n| n < 4000).count();
    assert!((8..=32).contains(&cut), "{lengths:?}");
    fake.clear_faults();
    fake.set_fault(Fault::reset_downloads(1000, 3));
    let range = c.get_url(url, &[("Range", "bytes=1000-".into())]);
    assert_eq!(range.status, 206);
    assert_eq!(range.header("Content-Length"), Some("3000"));
    assert!(!range.body.is_empty() && range.body.len() < 3000);
    assert_eq!(range.body, bytes[1000..1000 + range.body.len()]);
}

fn zones(c: &mut Client) -> Resp {
    c.ck("private", "zones/list", &json!({}))
}

#[test]
fn random_statuses_hit_cloudkit_and_downloads_but_never_sign_in() {
    let statuses = |seed| {
        let fake = photos_fake(small_files(10));
        let files = originals(&fake);
        fake.set_fault(Fault::random_status("", 500, 400, seed));
        // Signing in and accountLogin are never hit.
        let mut c = ck_client(&fake);
        let mut seen: Vec<u16> = (0..50).map(|_| zones(&mut c).status).collect();
        let mut dl = Client::new(&fake.base_url());
        seen.extend((0..30).map(|_| dl.get_url(&files[0].0, &[]).status));
        let first_500 = (0..50)
            .map(|_| zones(&mut c))
            .find(|r| r.status == 500)
            .expect("some 500");
        assert_eq!(
            first_500.json(),
            json!({"success": false, "error": "Internal Server Error"})
        );
        seen
    };
    let a = statuses(11);
    assert!(a.iter().all(|s| [200, 500].contains(s)), "{a:?}");
    let cloudkit_500 = a[..50].iter().filter(|&&s| s == 500).count();
    let cdn_500 = a[50..].iter().filter(|&&s| s == 500).count();
    assert!((8..=32).contains(&cloudkit_500), "{a:?}");
    assert!((3..=22).contains(&cdn_500), "{a:?}");
    assert_eq!(statuses(11), a, "the same seed fails the same requests");
    assert_ne!(statuses(12), a, "another seed fails others");
}

#[test]
fn random_statuses_respect_the_suffix_and_the_rate() {
    let fake = photos_fake(small_files(10));
    let mut c = ck_client(&fake);
    fake.set_fault(Fault::random_status("/records/query", 503, 1000, 1));
    fake.set_fault(Fault::random_status("/zones/list", 500, 0, 1));
    for _ in 0..5 {
        assert_eq!(zones(&mut c).status, 200);
        let q = c.ck(
            "private",
            "records/query",
            &list_body("PrimarySync", &smart(None), 0, 2),
        );
        assert_eq!(q.status, 503);
    }
}

#[test]
fn bandwidth_caps_all_downloads_together() {
    let library = FakeLibrary::new()
        .asset(FakeAsset::photo("a.JPG").size(100_000))
        .asset(FakeAsset::photo("b.JPG").size(100_000))
        .asset(FakeAsset::photo("c.JPG").size(100_000));
    let fake = photos_fake(library);
    let files = originals(&fake);
    assert_eq!(files.len(), 3);
    let base = fake.base_url();
    let download_all = || {
        let threads: Vec<_> = files
            .iter()
            .map(|(url, size)| {
                let (url, size, base) = (url.clone(), *size, base.clone());
                std::thread::spawn(move || {
                    let resp = Client::new(&base).get_url(&url, &[]);
                    assert_eq!(resp.body.len() as u64, size);
                })
            })
            .collect();
        for t in threads {
            t.join().expect("download");
        }
    };
    let free = Instant::now();
    download_all();
    let free = free.elapsed();

    fake.set_fault(Fault::bandwidth(500_000));
    let started = Instant::now();
    let mut c = ck_client(&fake);
    let ck = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        let quick = Instant::now();
        assert_eq!(zones(&mut c).status, 200);
        quick.elapsed()
    });
    download_all();
    let capped = started.elapsed();
    // 300 kB at 500 kB/s, less the 25 kB burst: at least 0.55 s for the three together.
    assert!(capped >= Duration::from_millis(530), "{capped:?}");
    assert!(
        capped < Duration::from_secs(5) && free < capped / 2,
        "{free:?} {capped:?}"
    );
    let ck = ck.join().expect("cloudkit");
    assert!(
        ck < Duration::from_millis(300),
        "CloudKit is not capped: {ck:?}"
    );
}
