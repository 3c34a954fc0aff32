use serde_json::json;

use super::*;

fn record(v: Value) -> Record {
    Record::new(v).unwrap()
}

/// A `webgetalbumslist` answer in the spec's shape (§2.1), values made up.
fn albums_answer() -> Value {
    json!({"albums": [
        {
            "albumguid": "0A1B2C3D-0000-4000-8000-000000000001",
            "albumctag": "FT;abc;3",
            "albumlocation": "https://p108-sharedstreams.icloud.com:443/tok123/sharedstreams/",
            "ownerdsid": "11111111111",
            "sharingtype": "owned",
            "iswebuploadsupported": true,
            "publicurl": "https://www.icloud.com/sharedalbum/#B2abcdefghijk",
            "attributes": {"name": "Family", "creationDate": "1700000000000",
                           "allowcontributions": true, "ispublic": true}
        },
        {
            "albumguid": "0A1B2C3D-0000-4000-8000-000000000002",
            "albumlocation": "https://p42-sharedstreams.icloud.com:443/tok456/sharedstreams",
            "ownerdsid": 22222222222_u64,
            "sharingtype": "subscribed",
            "iswebuploadsupported": "0",
            "attributes": {"name": "Trip", "creationDate": 1700000000000_u64,
                           "allowcontributions": "1", "ispublic": "0"}
        },
        {"albumguid": "0A1B2C3D-0000-4000-8000-000000000003",
         "albumlocation": "https://p42-sharedstreams.icloud.com/t/sharedstreams/",
         "sharingtype": "owner", "attributes": {"creationDate": "2023-11-14T22:13:20Z"}},
        {"albumGuid": "0A1B2C3D-0000-4000-8000-000000000004",
         "albumlocation": "https://p42-sharedstreams.icloud.com/u/sharedstreams/",
         "sharingtype": "something-new"},
        {"albumguid": "no-location"},
        {"albumlocation": "https://p42-sharedstreams.icloud.com/v/sharedstreams/"}
    ]})
}

#[test]
fn albums_tolerate_every_value_type_seen() {
    let all = albums(&albums_answer()).unwrap();
    let albums = &all;
    assert_eq!(
        albums.len(),
        4,
        "albums without guid or location are left out"
    );
    let family = &albums[0];
    assert_eq!(family.guid(), "0A1B2C3D-0000-4000-8000-000000000001");
    assert_eq!(family.name(), "Family");
    assert_eq!(family.ctag(), Some("FT;abc;3"));
    assert_eq!(family.owner_dsid(), Some("11111111111"));
    assert!(family.is_owned() && family.is_public() && family.allows_contributions());
    assert!(family.web_upload_supported());
    assert_eq!(
        family.public_url(),
        Some("https://www.icloud.com/sharedalbum/#B2abcdefghijk")
    );
    let created = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
    assert_eq!(family.created(), Some(created));
    let trip = &albums[1];
    assert_eq!(trip.sharing(), SharingType::Subscribed);
    assert_eq!(trip.owner_dsid(), Some("22222222222"));
    assert!(!trip.is_public() && trip.allows_contributions() && !trip.web_upload_supported());
    assert_eq!(trip.public_url(), None);
    assert_eq!(trip.created(), Some(created));
    assert_eq!(albums[2].created(), Some(created), "RFC 3339");
    assert_eq!(albums[2].sharing(), SharingType::Owned, "MELA's `owner`");
    assert_eq!(albums[2].name(), "");
    assert!(
        !albums[2].allows_contributions(),
        "missing attributes are false"
    );
    assert_eq!(albums[3].guid(), "0A1B2C3D-0000-4000-8000-000000000004");
    assert_eq!(albums[3].sharing(), SharingType::Subscribed);
    assert!(super::albums(&json!({})).is_err());
    assert!(super::albums(&json!({"albums": []})).unwrap().is_empty());
}

#[test]
fn debug_hides_locations_and_public_urls() {
    let albums = albums(&albums_answer()).unwrap();
    let text = format!("{:?}", albums[0]);
    assert!(!text.contains("tok123"), "{text}");
    assert!(!text.contains("B2abcdefghijk"), "{text}");
    assert!(text.contains("Family"));
}

#[test]
fn counts_are_numbers_or_digits() {
    assert_eq!(count(&json!({"albumassetcount": 7})), Ok(7));
    assert_eq!(count(&json!({"albumassetcount": "7"})), Ok(7));
    assert!(count(&json!({"albumassetcount": -1})).is_err());
    assert!(count(&json!({})).is_err());
}

fn res(url: &str, checksum: &str) -> Value {
    json!({"value": {"downloadURL": url, "fileChecksum": checksum, "size": 0}, "type": "ASSETID"})
}

/// A photo's CPLMaster as `webgetassets` sends it (§2.3): no `itemType`, sizes in `…FileSize`.
fn photo_master() -> Value {
    json!({"recordName": "M1", "recordType": "CPLMaster", "recordChangeTag": "m1", "fields": {
        "filenameEnc": {"value": "SU1HXzAwMDEuSlBH", "type": "ENCRYPTED_BYTES"},
        "originalCreationDate": {"value": 1_700_000_000_000_i64, "type": "TIMESTAMP"},
        "resOriginalRes": res("https://cdn.example/B/orig", "Aorig"),
        "resOriginalFileSize": {"value": 1_834_412, "type": "INT64"},
        "resOriginalFileType": {"value": "public.jpeg", "type": "STRING"},
        "resOriginalWidth": {"value": 2048, "type": "INT64"},
        "resOriginalHeight": {"value": 1536, "type": "INT64"},
        "resJPEGMedRes": res("https://cdn.example/B/med", "Amed"),
        "resJPEGMedFileSize": {"value": 250_112, "type": "INT64"},
        "resJPEGMedFileType": {"value": "public.jpeg", "type": "STRING"},
        "resJPEGThumbRes": res("https://cdn.example/B/thumb", "Athumb"),
        "resJPEGThumbFileType": {"value": "public.jpeg", "type": "STRING"}
    }})
}

fn asset_record(name: &str, master: &str) -> Value {
    json!({"recordName": name, "recordType": "CPLAsset", "recordChangeTag": "a1", "fields": {
        "masterRef": {"value": {"recordName": master, "action": "DELETE_SELF"}, "type": "REFERENCE"},
        "addedDate": {"value": 1_700_000_500_000_i64, "type": "TIMESTAMP"},
        "contributedBy": {"value": "11111111111", "type": "STRING"}
    }, "pluginFields": {"likeCount": {"value": 3}, "likedByCaller": {"value": false}}})
}

#[test]
fn a_photo_takes_its_type_sizes_and_date_from_the_master() {
    let a = asset(
        &record(photo_master()),
        &record(asset_record("A1", "M1")),
        "GUID",
    )
    .unwrap();
    assert_eq!(a.id().as_str(), "A1");
    assert_eq!(a.master_id(), "M1");
    assert_eq!(a.zone(), "GUID");
    assert_eq!(a.filename(), "IMG_0001.JPG");
    assert_eq!(a.item_type_uti(), Some("public.jpeg"));
    assert_eq!(a.media_type(), Some(MediaType::Image));
    assert!(!a.is_live_photo());
    let at = |ms: i64| OffsetDateTime::from_unix_timestamp(ms / 1000).unwrap();
    assert_eq!(a.asset_date(), Some(at(1_700_000_000_000)));
    assert_eq!(a.added_date(), Some(at(1_700_000_500_000)));
    let original = a.version(VersionKind::Original).unwrap();
    assert_eq!(original.size(), 1_834_412);
    assert!(original.size_is_known());
    assert_eq!(original.url(), "https://cdn.example/B/orig");
    assert_eq!(original.checksum(), "Aorig");
    assert_eq!(
        (original.width(), original.height()),
        (Some(2048), Some(1536))
    );
    assert_eq!(a.version(VersionKind::Medium).unwrap().size(), 250_112);
    let thumb = a.version(VersionKind::Thumb).unwrap();
    assert_eq!((thumb.size(), thumb.size_is_known()), (0, false));
    assert_eq!(a.versions().len(), 3);
}

#[test]
fn videos_and_live_photos_get_their_renderings() {
    let video = json!({"recordName": "MV", "recordType": "CPLMaster", "fields": {
        "filenameEnc": {"value": "VklEXzEuTVA0", "type": "ENCRYPTED_BYTES"},
        "originalCreationDate": {"value": 1_700_000_000_000_i64, "type": "TIMESTAMP"},
        "resOriginalRes": res("https://cdn.example/B/v", "Av"),
        "resOriginalFileSize": {"value": 9000, "type": "INT64"},
        "resOriginalFileType": {"value": "public.mpeg-4", "type": "STRING"},
        "resVidMedRes": res("https://cdn.example/B/vm", "Avm"),
        "resVidMedFileSize": {"value": 900, "type": "INT64"},
        "resVidSmallRes": res("https://cdn.example/B/vs", "Avs"),
        "resVidSmallFileSize": {"value": 90, "type": "INT64"},
        "resJPEGThumbRes": res("https://cdn.example/B/p", "Ap")
    }});
    let v = asset(&record(video), &record(asset_record("AV", "MV")), "G").unwrap();
    assert_eq!(v.filename(), "VID_1.MP4");
    assert_eq!(v.media_type(), Some(MediaType::Movie));
    assert_eq!(v.version(VersionKind::Medium).unwrap().size(), 900);
    assert_eq!(v.version(VersionKind::Thumb).unwrap().size(), 90);
    assert_eq!(
        v.version(VersionKind::Medium).unwrap().file_type(),
        "public.mpeg-4",
        "no …FileType: the item's type"
    );
    assert!(v.version(VersionKind::LiveOriginal).is_none());

    let mut live = photo_master();
    live["fields"]["resOriginalFileType"] = json!({"value": "public.heic", "type": "STRING"});
    live["fields"]["resOriginalVidComplRes"] = res("https://cdn.example/B/mov", "Amov");
    live["fields"]["resOriginalVidComplFileSize"] = json!({"value": 4242, "type": "INT64"});
    live["fields"]["resVidSmallRes"] = res("https://cdn.example/B/small", "Asmall");
    let l = asset(&record(live), &record(asset_record("AL", "M1")), "G").unwrap();
    assert!(l.is_live_photo());
    let motion = l.version(VersionKind::LiveOriginal).unwrap();
    assert_eq!(motion.size(), 4242);
    assert_eq!(motion.file_type(), "com.apple.quicktime-movie");
    assert!(l.version(VersionKind::LiveThumb).is_some());
}

#[test]
fn missing_names_dates_and_urls_fall_back() {
    let mut m = photo_master();
    let fields = m["fields"].as_object_mut().unwrap();
    fields.remove("filenameEnc");
    fields.remove("originalCreationDate");
    fields.remove("resOriginalFileSize");
    fields.insert("resOriginalRes".into(), json!({"value": {"downloadURL": "https://x/B/o", "fileChecksum": "c", "size": 77}, "type": "ASSETID"}));
    fields.insert(
        "resJPEGMedRes".into(),
        json!({"value": {"fileChecksum": "c", "size": 0}, "type": "ASSETID"}),
    );
    let a = asset(&record(m.clone()), &record(asset_record("A1", "M1")), "G").unwrap();
    assert!(a.filename_is_fallback());
    assert_eq!(
        a.filename(),
        "M1.JPG",
        "photos.md's <id12>.<EXT>, the type from resOriginalFileType"
    );
    let added = OffsetDateTime::from_unix_timestamp(1_700_000_500).unwrap();
    assert_eq!(
        a.asset_date(),
        Some(added),
        "no originalCreationDate: addedDate"
    );
    assert_eq!(
        a.version(VersionKind::Original).unwrap().size(),
        77,
        "a non-zero Res.size"
    );
    assert!(a.version(VersionKind::Medium).is_none(), "no downloadURL");

    m["fields"]["resOriginalRes"] =
        json!({"value": {"fileChecksum": "c", "size": 0}, "type": "ASSETID"});
    let e = asset(&record(m), &record(asset_record("A1", "M1")), "G").unwrap_err();
    assert_eq!(
        (e.field(), e.detail()),
        ("resOriginalRes", "no downloadURL")
    );

    let mut bad = photo_master();
    bad["fields"]["filenameEnc"]["value"] = json!("SU1HXzAwMDEuSlB");
    let e = asset(&record(bad), &record(asset_record("A1", "M1")), "G").unwrap_err();
    assert_eq!(e.field(), "filenameEnc");
}
