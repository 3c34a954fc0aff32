//! A `records/query` answer (also read as a count, zone list and indexing-state answer):
//! records are parsed and every CPLAsset paired with its CPLMaster is decoded, as a listing
//! does. Decoding never panics, and a record whose fields were dropped and read again from
//! its text decodes as before.
#![no_main]

use icloud_photos::fuzzing::{self, Decoded};
use icloud_photos::{Asset, RawPolicy, VersionKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(page) = fuzzing::records_page(text, "PrimarySync") else {
        return;
    };
    for Decoded { listed, restored } in page.assets {
        match (listed, restored) {
            (Ok(a), Ok(b)) => {
                assert_eq!(summary(&a), summary(&b), "restoring changed the asset");
                assert_eq!(a.raw_records(), b.raw_records());
                for policy in [RawPolicy::AsIs, RawPolicy::Original, RawPolicy::Alternative] {
                    let mut aligned = a.clone();
                    aligned.align_raw(policy);
                    assert!(aligned.version(VersionKind::Original).is_some());
                }
            }
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            (a, b) => panic!("restoring changed the outcome: {a:?} then {b:?}"),
        }
    }
    for (_, record) in &page.albums {
        assert!(!record.is_empty(), "an album without a record name");
    }
});

/// Everything an asset tells its callers.
fn summary(a: &Asset) -> String {
    let versions: Vec<String> = a
        .versions()
        .values()
        .map(|v| format!("{v:?} {} {:?} {:?}", v.url(), v.width(), v.height()))
        .collect();
    format!(
        "{a:?} {:?} {} {} {:?} {:?} {versions:?} {:?} {:?} {:?} {:?} {} {} {} {:?} {:?} {:?} \
         {:?} {:?} {:?} {:?} {:?} {:?} {}",
        a.id(),
        a.master_id(),
        a.filename_is_fallback(),
        a.item_type_uti(),
        a.record_change_tag(),
        a.asset_date(),
        a.added_date(),
        a.date_expunged(),
        a.time_zone_offset(),
        a.is_favorite(),
        a.is_hidden(),
        a.is_deleted(),
        a.adjustment_type(),
        a.asset_subtype(),
        a.asset_subtype_v2(),
        a.orientation(),
        a.caption(),
        a.extended_description(),
        a.keywords_plist(),
        a.location_plist(),
        a.adjustment_simple_data(),
        a.is_live_photo(),
    )
}
