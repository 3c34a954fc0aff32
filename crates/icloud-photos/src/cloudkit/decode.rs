//! Record → typed values: assets (filename, item type, versions, metadata), album names,
//! counts, zones and indexing state. Pure functions; never panic on malformed input.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use serde_json::Value;

use super::Record;
use crate::asset::{Asset, AssetId, AssetVersion, MediaType, Metadata, RawRecords, VersionKind};
use crate::error::DecodeError;

/// The UTI table of icloudpd: item type and fallback extension.
const UTIS: [(&str, MediaType, &str); 17] = [
    ("public.heic", MediaType::Image, "HEIC"),
    ("public.heif", MediaType::Image, "HEIF"),
    ("public.jpeg", MediaType::Image, "JPG"),
    ("public.png", MediaType::Image, "PNG"),
    ("com.apple.quicktime-movie", MediaType::Movie, "MOV"),
    ("com.adobe.raw-image", MediaType::Image, "DNG"),
    ("com.canon.cr2-raw-image", MediaType::Image, "CR2"),
    ("com.canon.crw-raw-image", MediaType::Image, "CRW"),
    ("com.canon.cr3-raw-image", MediaType::Image, "CR3"),
    ("com.sony.arw-raw-image", MediaType::Image, "ARW"),
    ("com.fuji.raw-image", MediaType::Image, "RAF"),
    ("com.panasonic.rw2-raw-image", MediaType::Image, "RW2"),
    // Upstream maps NRW to "NRF"; kept for identical fallback names.
    ("com.nikon.nrw-raw-image", MediaType::Image, "NRF"),
    ("com.nikon.raw-image", MediaType::Image, "NEF"),
    ("com.pentax.raw-image", MediaType::Image, "PEF"),
    ("com.olympus.raw-image", MediaType::Image, "ORF"),
    ("com.olympus.or-raw-image", MediaType::Image, "ORF"),
];

/// Returns the media type and fallback extension of a UTI in icloudpd's table.
pub(crate) fn uti(uti: &str) -> Option<(MediaType, &'static str)> {
    UTIS.iter()
        .find(|(u, _, _)| *u == uti)
        .map(|(_, t, e)| (*t, *e))
}

/// Standard base64 that, like Python's `b64decode`, ignores non-zero bits after the last
/// full byte (`QR==` is `A`); padding must still be right.
const LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

/// Decodes standard base64 as Python's `b64decode` does: characters outside the alphabet are
/// skipped, padding must be right.
pub(crate) fn base64_lenient(text: &str) -> Option<Vec<u8>> {
    let in_alphabet = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
    if text.chars().all(in_alphabet) {
        return LENIENT.decode(text).ok();
    }
    let clean: String = text.chars().filter(|&c| in_alphabet(c)).collect();
    LENIENT.decode(clean).ok()
}

impl Asset {
    /// Decodes an asset from a CPLMaster and a CPLAsset record in the JSON shape of CloudKit's
    /// `records/query` answers, as a listing of library `zone` would.
    ///
    /// Meant for tests of code built on [`Asset`] (which has no other public constructor); not
    /// part of the stable API.
    ///
    /// # Errors
    ///
    /// The [`DecodeError`] a listing would yield for these records.
    #[doc(hidden)]
    pub fn from_records(
        master: serde_json::Value,
        asset: serde_json::Value,
        zone: &str,
    ) -> Result<Asset, DecodeError> {
        let not_a_record =
            |record_type| DecodeError::new(record_type, "", "recordName", "not a record object");
        let master = Record::new(master).ok_or_else(|| not_a_record("CPLMaster"))?;
        let asset = Record::new(asset).ok_or_else(|| not_a_record("CPLAsset"))?;
        self::asset(master, asset, zone)
    }
}

/// Pairs a CPLMaster with its CPLAsset and decodes them into an [`Asset`] of `zone`.
pub(crate) fn asset(master: Record, asset: Record, zone: &str) -> Result<Asset, DecodeError> {
    let built = build(&master, &asset, zone);
    attach(master, asset, built)
}

/// Pairs and decodes as [`asset`] does, the failure as the [`Error::Decode`] item of a listing
/// or change feed.
///
/// [`Error::Decode`]: crate::Error::Decode
pub(crate) fn pair(master: Record, asset: Record, zone: &str) -> crate::error::Result<Asset> {
    self::asset(master, asset, zone).map_err(crate::error::Error::decode)
}

/// The error item for a CPLAsset whose CPLMaster never arrived: `detail` says where it was
/// looked for. The raw records carry the asset and a `null` master, as icloudpd's error JSON.
pub(crate) fn missing_master(asset: &Record, detail: String) -> crate::error::Error {
    let raw = format!(
        r#"{{"master_record":null,"asset_record":{}}}"#,
        asset.raw().get()
    );
    let err = DecodeError::new("CPLAsset", asset.name(), "masterRef", detail)
        .with_raw(raw)
        .for_asset(asset.name());
    crate::error::Error::decode(err)
}

/// Completes what [`build`] made of `master` and `asset`: attaches the raw records to the
/// asset, or to the error.
pub(crate) fn attach(
    master: Record,
    asset: Record,
    built: Result<Asset, DecodeError>,
) -> Result<Asset, DecodeError> {
    match built {
        Ok(mut a) => {
            a.raw = Some(Arc::new(RawRecords {
                master: master.into_raw(),
                asset: asset.into_raw(),
            }));
            Ok(a)
        }
        Err(e) => {
            let name = asset.name().to_owned();
            let raw = RawRecords {
                master: master.into_raw(),
                asset: asset.into_raw(),
            };
            Err(e.with_raw(raw.to_json()).for_asset(&name))
        }
    }
}

/// Decodes a pair without taking the records: the costly half of [`asset`], which listings run
/// on their page tasks; [`attach`] completes it.
pub(crate) fn build(master: &Record, asset: &Record, zone: &str) -> Result<Asset, DecodeError> {
    let (filename, fallback) = filename(master)?;
    let item_type = master.string("itemType").map(str::to_owned);
    let media_type = item_type.as_deref().map(|t| match uti(t) {
        Some((kind, _)) => kind,
        None => media_from_name(&filename),
    });
    let versions = versions(master, asset, media_type)?;
    Ok(Asset {
        id: AssetId::new(asset.name()),
        master_id: master.name().to_owned(),
        change_tag: asset.change_tag().map(str::to_owned),
        zone: zone.to_owned(),
        filename,
        filename_fallback: fallback,
        item_type,
        media_type,
        versions,
        meta: Arc::new(metadata(asset)),
        raw: None,
    })
}

/// icloudpd's rule for UTIs outside its table: an image if the name says so, else a movie.
pub(crate) fn media_from_name(filename: &str) -> MediaType {
    let lower = filename.to_ascii_lowercase();
    if [".heic", ".png", ".jpg", ".jpeg"]
        .iter()
        .any(|ext| lower.ends_with(ext))
    {
        MediaType::Image
    } else {
        MediaType::Movie
    }
}

/// Returns the base filename and whether it is the `<id12>.<EXT>` fallback.
pub(crate) fn filename(master: &Record) -> Result<(String, bool), DecodeError> {
    filename_for(master, master.string("itemType"))
}

/// Like [`filename`], the fallback's extension taken from `item_type` (a shared album's master
/// has no `itemType`; its `resOriginalFileType` stands in).
pub(crate) fn filename_for(
    master: &Record,
    item_type: Option<&str>,
) -> Result<(String, bool), DecodeError> {
    let err = |detail: &str| DecodeError::new("CPLMaster", master.name(), "filenameEnc", detail);
    let Some(value) = master.value("filenameEnc") else {
        return Ok((fallback_name(master, item_type), true));
    };
    let text = value.as_str().ok_or_else(|| err("value is not a string"))?;
    let name = match master.field_type("filenameEnc") {
        Some("STRING") => text.to_owned(),
        Some("ENCRYPTED_BYTES") => {
            let bytes = base64_lenient(text).ok_or_else(|| err("invalid base64"))?;
            String::from_utf8(bytes).map_err(|_| err("decoded name is not valid UTF-8"))?
        }
        other => {
            return Err(err(&format!(
                "unsupported field type {}",
                other.unwrap_or("(none)")
            )));
        }
    };
    if name.is_empty() {
        return Ok((fallback_name(master, item_type), true));
    }
    Ok((name, false))
}

/// `<id12>.<EXT>`: the master id with non-alphanumerics replaced by `_`, cut to 12 characters,
/// and the extension of its item type (or `unknown`).
fn fallback_name(master: &Record, item_type: Option<&str>) -> String {
    let id: String = master
        .name()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(12)
        .collect();
    let ext = item_type.and_then(uti).map_or("unknown", |(_, ext)| ext);
    format!("{id}.{ext}")
}

fn versions(
    master: &Record,
    asset: &Record,
    media: Option<MediaType>,
) -> Result<BTreeMap<VersionKind, AssetVersion>, DecodeError> {
    let mut out = BTreeMap::new();
    for kind in VersionKind::ALL {
        let Some(prefix) = kind.field_prefix(media) else {
            continue;
        };
        let names = FieldNames::of(prefix);
        let record = if asset.has(names.res) {
            asset
        } else if master.has(names.res) {
            master
        } else {
            continue;
        };
        out.insert(kind, version(record, kind, &names)?);
    }
    if !out.contains_key(&VersionKind::Original) {
        return Err(DecodeError::new(
            "CPLMaster",
            master.name(),
            "resOriginalRes",
            "the asset has no original version",
        ));
    }
    Ok(out)
}

/// The fields of one resource, e.g. `resOriginalRes`, `resOriginalFileType`, … (spelled out
/// once rather than formatted for every asset of a listing).
struct FieldNames {
    res: &'static str,
    file_type: &'static str,
    width: &'static str,
    height: &'static str,
}

macro_rules! field_names {
    ($prefix:expr, $($p:literal),+ $(,)?) => {
        match $prefix {
            $($p => FieldNames {
                res: concat!($p, "Res"),
                file_type: concat!($p, "FileType"),
                width: concat!($p, "Width"),
                height: concat!($p, "Height"),
            },)+
            other => unreachable!("no resource prefix {other}"),
        }
    };
}

impl FieldNames {
    /// Returns the names for a prefix of [`VersionKind::field_prefix`].
    fn of(prefix: &str) -> FieldNames {
        field_names!(
            prefix,
            "resOriginal",
            "resOriginalAlt",
            "resJPEGMed",
            "resJPEGThumb",
            "resJPEGFull",
            "resOriginalVidCompl",
            "resVidMed",
            "resVidSmall",
        )
    }
}

fn version(
    record: &Record,
    kind: VersionKind,
    names: &FieldNames,
) -> Result<AssetVersion, DecodeError> {
    let rtype = match record.record_type() {
        Some("CPLAsset") => "CPLAsset",
        Some("CPLMaster") => "CPLMaster",
        _ => "record",
    };
    let res = names.res;
    let file_type = record.string(names.file_type).ok_or_else(|| {
        DecodeError::new(
            rtype,
            record.name(),
            names.file_type,
            format!("missing for {res}"),
        )
    })?;
    let value = record.value(res).unwrap_or(&Value::Null);
    let missing = |key: &str| DecodeError::new(rtype, record.name(), res, format!("no {key}"));
    let text = |key: &'static str| value.get(key).and_then(Value::as_str).ok_or(key);
    let size = value
        .get("size")
        .and_then(Value::as_u64)
        .ok_or_else(|| missing("size"))?;
    let url = text("downloadURL").map_err(missing)?;
    let checksum = text("fileChecksum").map_err(missing)?;
    let dim = |f: &str| record.int(f).and_then(|v| u64::try_from(v).ok());
    Ok(AssetVersion {
        kind,
        size,
        size_known: true,
        url: url.to_owned(),
        file_type: file_type.to_owned(),
        checksum: checksum.to_owned(),
        width: dim(names.width),
        height: dim(names.height),
    })
}

fn metadata(asset: &Record) -> Metadata {
    let bytes = |name: &str| {
        let text = asset.string(name)?;
        let decoded = base64_lenient(text);
        if decoded.is_none() {
            tracing::debug!(
                record = asset.name(),
                field = name,
                "ignoring invalid base64"
            );
        }
        decoded
    };
    let text = |name: &str| bytes(name).map(|b| String::from_utf8_lossy(&b).into_owned());
    Metadata {
        asset_date: asset.int("assetDate"),
        added_date: asset.int("addedDate"),
        date_expunged: asset.int("dateExpunged"),
        time_zone_offset: asset.int("timeZoneOffset"),
        favorite: asset.flag("isFavorite"),
        hidden: asset.flag("isHidden"),
        deleted: asset.flag("isDeleted"),
        adjustment_type: asset.string("adjustmentType").map(str::to_owned),
        subtype: asset.int("assetSubtype"),
        subtype_v2: asset.int("assetSubtypeV2"),
        orientation: asset.int("orientation"),
        caption: text("captionEnc"),
        extended_description: text("extendedDescEnc"),
        keywords: bytes("keywordsEnc"),
        location: bytes("locationEnc"),
        adjustment_simple_data: bytes("adjustmentSimpleDataEnc"),
    }
}

/// Root folders of `CPLAlbumByPositionLive`, never albums.
const ROOT_FOLDERS: [&str; 2] = ["----Root-Folder----", "----Project-Root-Folder----"];

/// Returns `(display name, record name)` of a user album record, or `None` for root folders,
/// deleted albums and other record types. A missing or undecodable `albumNameEnc` falls back
/// to the record name.
pub(crate) fn user_album(record: &Record) -> Option<(String, String)> {
    let name = record.name();
    if record.record_type() != Some("CPLAlbum")
        || record.is_tombstone()
        || ROOT_FOLDERS.contains(&name)
        || record.flag("isDeleted")
        || name.is_empty()
    {
        return None;
    }
    let display = record
        .string("albumNameEnc")
        .and_then(base64_lenient)
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_else(|| {
            tracing::debug!(record = name, "album without a decodable name");
            name.to_owned()
        });
    Some((display, name.to_owned()))
}

/// Reads `batch[0].records[0].fields.itemCount.value` of a HyperionIndexCountLookup answer;
/// no record means an empty index.
pub(crate) fn count(body: &Value) -> Result<u64, String> {
    let batch = body
        .get("batch")
        .and_then(|b| b.get(0))
        .ok_or("no batch in the answer")?;
    if let Some(code) = batch.get("serverErrorCode").and_then(Value::as_str) {
        return Err(format!("batch error {code}"));
    }
    let Some(record) = batch.get("records").and_then(|r| r.get(0)).cloned() else {
        return Ok(0);
    };
    let record = Record::new(record).ok_or("count record is not an object")?;
    let n = record.int("itemCount").ok_or("no itemCount")?;
    u64::try_from(n).map_err(|_| format!("negative itemCount {n}"))
}

/// Reads the indexing `state` of a CheckIndexingState answer.
pub(crate) fn indexing_state(body: Value) -> Option<String> {
    let first = super::records(body).into_iter().next()?;
    first.string("state").map(str::to_owned)
}

/// Returns the zone ids of a `zones/list` answer, without deleted zones.
pub(crate) fn zones(body: &Value) -> Vec<Value> {
    let Some(items) = body.get("zones").and_then(Value::as_array) else {
        return Vec::new();
    };
    items
        .iter()
        .filter(|z| !z.get("deleted").is_some_and(truthy))
        .filter_map(|z| z.get("zoneID").filter(|id| super::zone_name(id).is_some()))
        .cloned()
        .collect()
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
