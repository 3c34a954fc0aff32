//! Shared albums' answers → typed values: the album list (tolerating the value types clients
//! have seen: booleans as `true` or `"1"`, dates as ms numbers, ms strings or RFC 3339) and
//! items (a CPLMaster without `itemType`, sizes in `res…FileSize`) as [`Asset`]s. Pure; never
//! panics on malformed input.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{SharedAlbum, SharingType};
use crate::asset::{Asset, AssetId, AssetVersion, MediaType, Metadata, VersionKind};
use crate::cloudkit::Record;
use crate::cloudkit::decode::{filename_for, media_from_name, uti};
use crate::error::DecodeError;

/// Reads the albums of a `webgetalbumslist` answer. Albums without a GUID or a location are
/// left out (and logged): nothing could be asked about them.
pub(crate) fn albums(body: &Value) -> Result<Vec<SharedAlbum>, String> {
    let items = body
        .get("albums")
        .and_then(Value::as_array)
        .ok_or("no albums array")?;
    Ok(items.iter().filter_map(album).collect())
}

fn album(v: &Value) -> Option<SharedAlbum> {
    let text = |v: Option<&Value>| match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let guid = text(v.get("albumguid").or_else(|| v.get("albumGuid")));
    let location = text(v.get("albumlocation"));
    let (Some(guid), Some(location)) = (guid, location) else {
        let guid = v.get("albumguid").and_then(Value::as_str).unwrap_or("");
        tracing::warn!(guid, "shared album without a guid or location, left out");
        return None;
    };
    let attributes = v.get("attributes").unwrap_or(&Value::Null);
    let sharing = match v.get("sharingtype").and_then(Value::as_str) {
        Some("owned" | "owner") => SharingType::Owned,
        Some("subscribed") => SharingType::Subscribed,
        other => {
            tracing::debug!(sharing = ?other, "unknown sharingtype, taken as subscribed");
            SharingType::Subscribed
        }
    };
    Some(SharedAlbum {
        name: attributes
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        guid,
        ctag: text(v.get("albumctag")),
        location,
        owner_dsid: text(v.get("ownerdsid")),
        sharing,
        public_url: text(v.get("publicurl")),
        public: flag(attributes.get("ispublic")),
        contributions: flag(attributes.get("allowcontributions")),
        web_upload: flag(v.get("iswebuploadsupported")),
        created: date(attributes.get("creationDate")),
    })
}

/// Reads a boolean sent as `true`, `1`, `"1"` or `"true"`; anything else is `false`.
fn flag(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => matches!(s.trim().to_ascii_lowercase().as_str(), "1" | "true"),
        _ => false,
    }
}

/// Reads a date sent as ms since the epoch (number or string) or as RFC 3339 text.
fn date(v: Option<&Value>) -> Option<OffsetDateTime> {
    let ms = match v? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))?,
        Value::String(s) => match s.trim().parse::<i64>() {
            Ok(ms) => ms,
            Err(_) => return OffsetDateTime::parse(s.trim(), &Rfc3339).ok(),
        },
        _ => return None,
    };
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
}

/// Reads `albumassetcount` of a `webgetassetcount` answer (a number, or digits as text).
pub(crate) fn count(body: &Value) -> Result<u64, String> {
    match body.get("albumassetcount") {
        Some(Value::Number(n)) => n.as_u64().ok_or_else(|| format!("bad count {n}")),
        Some(Value::String(s)) => s.trim().parse().map_err(|_| format!("bad count {s:?}")),
        _ => Err("no albumassetcount".to_owned()),
    }
}

/// Returns the media type of an item type: icloudpd's table, then video-ish UTIs (Apple's
/// shared copies of videos are `public.mpeg-4`), then the file name.
fn media_type(item_type: &str, filename: &str) -> MediaType {
    if let Some((kind, _)) = uti(item_type) {
        return kind;
    }
    let t = item_type.to_ascii_lowercase();
    if ["movie", "video", "mpeg", "avi"]
        .iter()
        .any(|w| t.contains(w))
    {
        return MediaType::Movie;
    }
    if ["image", "jpeg", "png", "gif", "tiff", "heic", "heif", "raw"]
        .iter()
        .any(|w| t.contains(w))
    {
        return MediaType::Image;
    }
    media_from_name(filename)
}

/// Decodes an item of shared album `album` (its GUID) from its CPLMaster and CPLAsset.
///
/// The item type is `itemType`, else `resOriginalFileType` (shared masters have no `itemType`);
/// the capture date `originalCreationDate`, else the asset's `assetDate`, else `addedDate`;
/// sizes come from `res…FileSize`, else a non-zero `res…Res.size`, else are unknown. A version
/// without `downloadURL` is left out, unless it is the original (an error).
pub(crate) fn asset(master: &Record, asset: &Record, album: &str) -> Result<Asset, DecodeError> {
    let item_type = master
        .string("itemType")
        .or_else(|| master.string("resOriginalFileType"))
        .map(str::to_owned);
    let (filename, fallback) = filename_for(master, item_type.as_deref())?;
    let media = item_type.as_deref().map(|t| media_type(t, &filename));
    let mut versions = BTreeMap::new();
    for kind in VersionKind::ALL {
        let Some(prefix) = kind.field_prefix(media) else {
            continue;
        };
        let record = if asset.has(&format!("{prefix}Res")) {
            asset
        } else if master.has(&format!("{prefix}Res")) {
            master
        } else {
            continue;
        };
        if let Some(v) = version(record, kind, prefix, media, item_type.as_deref())? {
            versions.insert(kind, v);
        }
    }
    if !versions.contains_key(&VersionKind::Original) {
        return Err(DecodeError::new(
            "CPLMaster",
            master.name(),
            "resOriginalRes",
            "the asset has no original version",
        ));
    }
    let added = asset.int("addedDate");
    let meta = Metadata {
        asset_date: master
            .int("originalCreationDate")
            .or_else(|| asset.int("assetDate"))
            .or(added),
        added_date: added,
        hidden: asset.flag("isHidden"),
        deleted: asset.flag("isDeleted"),
        ..Metadata::default()
    };
    Ok(Asset {
        id: AssetId::new(asset.name()),
        master_id: master.name().to_owned(),
        change_tag: asset.change_tag().map(str::to_owned),
        zone: album.to_owned(),
        filename,
        filename_fallback: fallback,
        item_type,
        media_type: media,
        versions,
        meta: Arc::new(meta),
        raw: None,
    })
}

/// Decodes one version; `Ok(None)` for a rendering without `downloadURL`.
fn version(
    record: &Record,
    kind: VersionKind,
    prefix: &str,
    media: Option<MediaType>,
    item_type: Option<&str>,
) -> Result<Option<AssetVersion>, DecodeError> {
    let res_field = format!("{prefix}Res");
    let value = record.value(&res_field).unwrap_or(&Value::Null);
    let rtype = if record.record_type() == Some("CPLAsset") {
        "CPLAsset"
    } else {
        "CPLMaster"
    };
    let Some(url) = value.get("downloadURL").and_then(Value::as_str) else {
        if kind == VersionKind::Original {
            return Err(DecodeError::new(
                rtype,
                record.name(),
                &res_field,
                "no downloadURL",
            ));
        }
        tracing::debug!(record = record.name(), field = %res_field, "rendering without downloadURL left out");
        return Ok(None);
    };
    let listed = record
        .int(&format!("{prefix}FileSize"))
        .and_then(|n| u64::try_from(n).ok());
    let res_size = value.get("size").and_then(Value::as_u64).filter(|&n| n > 0);
    let size = listed.or(res_size);
    if size.is_none() {
        tracing::debug!(record = record.name(), field = %res_field, "no size: the download's length will be taken");
    }
    let file_type = record
        .string(&format!("{prefix}FileType"))
        .map(str::to_owned)
        .unwrap_or_else(|| fallback_type(kind, media, item_type).to_owned());
    let dim = |f: &str| record.int(f).and_then(|v| u64::try_from(v).ok());
    Ok(Some(AssetVersion {
        kind,
        size: size.unwrap_or(0),
        size_known: size.is_some(),
        url: url.to_owned(),
        file_type,
        checksum: value
            .get("fileChecksum")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        width: dim(&format!("{prefix}Width")),
        height: dim(&format!("{prefix}Height")),
    }))
}

/// The UTI of a rendering whose `…FileType` is missing: JPEG for photo renderings, QuickTime
/// for a live photo's motion part, else the item's type.
fn fallback_type(kind: VersionKind, media: Option<MediaType>, item_type: Option<&str>) -> &str {
    let movie = media == Some(MediaType::Movie);
    match kind {
        VersionKind::Medium | VersionKind::Thumb if !movie => "public.jpeg",
        VersionKind::LiveOriginal | VersionKind::LiveMedium | VersionKind::LiveThumb => {
            "com.apple.quicktime-movie"
        }
        _ => item_type.unwrap_or("public.data"),
    }
}

#[cfg(test)]
mod tests;
