//! Servers (or proxies in front of them) that misbehave in ways that once made a run hang or
//! hold unbounded memory (issue 12): a listing that ignores `startRank`, an endless answer.

use icloud_fake::{FakeAccount, FakeLibrary, Fault};

use crate::{PASSWORD, USER, cookie_dir, fake, icloudpd, stdout};

#[test]
fn a_listing_that_ignores_start_rank_ends_with_a_clear_error() {
    let fake = fake([FakeAccount::new(USER, PASSWORD)
        .without_two_factor()
        .library(FakeLibrary::generated(450, 5))]);
    fake.set_fault(Fault::ignore_start_rank(None));
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let cookies = cookie_dir(&tmp.path().join("cookies"));
    let out = icloudpd(
        Some(&fake),
        &[
            "-u",
            USER,
            "-p",
            PASSWORD,
            "--cookie-directory",
            &cookies,
            "-d",
            data.to_str().unwrap(),
            "--no-progress-bar",
        ],
        None,
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("iCloud kept answering with photos already listed (100 of "),
        "{text}"
    );
    assert!(text.contains("so the listing was stopped"), "{text}");
    // The first page, 22 pages without news (20 probes), at most 16 in flight; a few queries
    // more for the indexing state and the albums.
    let queries = fake.count("POST", "/records/query");
    assert!(queries <= 45, "{queries} queries");
}

#[test]
fn an_endless_answer_is_refused_at_the_cap() {
    let fake = fake([FakeAccount::new(USER, PASSWORD)
        .without_two_factor()
        .library(FakeLibrary::generated(5, 5))]);
    fake.set_fault(Fault::oversized_body(
        "/records/query",
        icloud_auth::MAX_RESPONSE_BYTES + 1,
        false,
    ));
    let tmp = tempfile::tempdir().unwrap();
    let cookies = cookie_dir(tmp.path());
    let out = icloudpd(
        Some(&fake),
        &[
            "-u",
            USER,
            "-p",
            PASSWORD,
            "--cookie-directory",
            &cookies,
            "--list-albums",
        ],
        None,
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "An answer from iCloud (webservice) was larger than 64 MiB, so icloudpd stopped reading it."
        ),
        "{text}"
    );
}
