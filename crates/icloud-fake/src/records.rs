//! CloudKit records rendered straight into JSON text (no `Value` trees: a 200-record page is
//! rendered in well under a millisecond in release builds).
//!
//! Every record the fake sends is written here, in the shapes of photos.md §1 and §7:
//!
//! - the envelope of every record (`recordName`, `recordType`, `fields`, `pluginFields: {}`,
//!   `recordChangeTag`, `created`/`modified` stamps, `deleted: false`, `zoneID`), written once
//!   by `record` so that no record type can forget a member a strict client looks for;
//! - fields as typed values `{"value": …, "type": "…"}` (photos.md §1): `INT64` flags,
//!   `TIMESTAMP` milliseconds, `ENCRYPTED_BYTES` as standard base64 of the plaintext (what
//!   Apple sends for accounts without Advanced Data Protection), `ASSETID` resources and
//!   `REFERENCE`s;
//! - the record types a listing meets: [`master`] (CPLMaster, §7.1, the files), [`asset`]
//!   (CPLAsset, §7.2, the metadata and edited renderings), [`album`] (CPLAlbum, §6.3),
//!   [`relation`] (CPLContainerRelation, an album's membership), [`indexing_state`]
//!   (`CheckIndexingState`, §6.2), [`count_result`] (`IndexCountResult`, §6.4) and the
//!   anomalies of [`deleted_slot`].
//!
//! A field the library has no value for is left out, never written as `null` (§1). Which
//! fields appear follows the asset's flags and [`crate::FakeAsset`]'s malformed-record
//! variants, so the same code renders the well-formed and the broken records tests ask for.
//!
//! Rendering is a pure function of the zone and the asset number: two renderings of one
//! record are the same text except for download URLs, which carry a fresh expiry and the
//! current URL generation of the [`UrlSigner`] in [`Ctx`].

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::cdn::UrlSigner;
use crate::library::{
    AlbumKind, FakeAlbum, ItemTypeField, NameField, Res, flag, mix, natural_item_type,
};
use crate::zone::Zone;

/// `deviceID` of every record the fake "created".
const DEVICE_ID: &str = "9DD832CBD916B81F61073DFC925ADA027CFA1477B567B104010F1107DFEC1367";

/// Appends `s` as a JSON string literal.
pub(crate) fn push_str(out: &mut String, s: &str) {
    out.push('"');
    if !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push_str(s);
        out.push('"');
        return;
    }
    // Copy runs of plain characters at once; only `"`, `\` and control characters need escaping
    // (all ASCII, so byte offsets are character boundaries).
    let mut plain = 0;
    for (i, b) in s.bytes().enumerate() {
        let escaped = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..0x20 => "",
            _ => continue,
        };
        out.push_str(&s[plain..i]);
        if escaped.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(escaped);
        }
        plain = i + 1;
    }
    out.push_str(&s[plain..]);
    out.push('"');
}

/// Writes the members of one JSON object, handling commas.
///
/// The writer borrows the output buffer, so nested values are written in place through
/// [`Obj::key`]; the caller must [`close`](Obj::close) every object it opens, or the text is
/// not JSON.
pub(crate) struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    /// Opens an object.
    pub(crate) fn open(out: &'a mut String) -> Self {
        out.push('{');
        Obj { out, first: true }
    }

    /// Starts member `key` and returns the buffer to write its value into.
    pub(crate) fn key(&mut self, key: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        push_str(self.out, key);
        self.out.push(':');
        self.out
    }

    /// Adds a string member.
    pub(crate) fn str(&mut self, key: &str, v: &str) {
        push_str(self.key(key), v);
    }

    /// Adds a raw JSON member (number, bool, null or prebuilt JSON).
    pub(crate) fn raw(&mut self, key: &str, v: impl std::fmt::Display) {
        let _ = write!(self.key(key), "{v}");
    }

    /// Adds a typed field `{"value": <v>, "type": "<ty>"}` with a raw JSON value.
    pub(crate) fn field(&mut self, key: &str, ty: &str, v: impl std::fmt::Display) {
        let _ = write!(self.key(key), "{{\"value\":{v},\"type\":\"{ty}\"}}");
    }

    /// Adds a typed field with a string value.
    pub(crate) fn field_str(&mut self, key: &str, ty: &str, v: &str) {
        let out = self.key(key);
        out.push_str("{\"value\":");
        push_str(out, v);
        let _ = write!(out, ",\"type\":\"{ty}\"}}");
    }

    /// Closes the object.
    pub(crate) fn close(self) {
        self.out.push('}');
    }
}

/// Everything record rendering needs besides the zone.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    /// The zone's index in the state (part of download URLs).
    pub(crate) zone_index: u16,
    /// Signs download URLs.
    pub(crate) signer: &'a UrlSigner,
}

/// Appends the zoneID object of `zone`.
pub(crate) fn zone_id(out: &mut String, zone: &Zone) {
    let mut o = Obj::open(out);
    o.str("zoneName", &zone.name);
    o.str("ownerRecordName", &zone.owner);
    o.str("zoneType", "REGULAR_CUSTOM_ZONE");
    o.close();
}

/// Appends a `created`/`modified` stamp.
pub(crate) fn stamp(out: &mut String, ms: i64, owner: &str) {
    let mut o = Obj::open(out);
    o.raw("timestamp", ms);
    o.str("userRecordName", owner);
    o.str("deviceID", DEVICE_ID);
    o.close();
}

/// Formats a change counter as a 4-character `recordChangeTag` (`49lh`).
///
/// Base 36 in lower case, as Apple's tags look; the tag is opaque to clients, which may only
/// compare it with an earlier one, so all that matters is that it changes with the counter.
pub(crate) fn change_tag(n: u32) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut n = n;
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Writes the record envelope around `fields`.
///
/// `created` and `modified` are milliseconds since the epoch; both stamps name the zone's owner
/// and the fake's one [`DEVICE_ID`].
#[allow(
    clippy::too_many_arguments,
    reason = "the envelope has this many parts"
)]
fn record(
    out: &mut String,
    zone: &Zone,
    name: &str,
    ty: &str,
    tag: &str,
    created: i64,
    modified: i64,
    fields: impl FnOnce(&mut Obj<'_>),
) {
    let mut o = Obj::open(out);
    o.str("recordName", name);
    o.str("recordType", ty);
    {
        let mut f = Obj::open(o.key("fields"));
        fields(&mut f);
        f.close();
    }
    o.raw("pluginFields", "{}");
    o.str("recordChangeTag", tag);
    stamp(o.key("created"), created, &zone.owner);
    stamp(o.key("modified"), modified, &zone.owner);
    o.raw("deleted", false);
    zone_id(o.key("zoneID"), zone);
    o.close();
}

/// Appends the `CheckIndexingState` record (photos.md §6.2).
///
/// `state` is the library's indexing state (`FINISHED` unless a test set another) and
/// `progress` 100 when finished, 42 otherwise; icloudpd refuses to list a library whose
/// state is not `FINISHED`.
pub(crate) fn indexing_state(out: &mut String, zone: &Zone) {
    let state = zone.lib.indexing.as_str();
    let name = format!("_{}", mix(zone.lib.seed, 99) % 1_000_000_007);
    record(out, zone, &name, "CheckIndexingState", "0", 0, 0, |f| {
        f.field(
            "progress",
            "INT64",
            if state == "FINISHED" { 100 } else { 42 },
        );
        f.field_str("state", "STRING", state);
    });
}

/// Appends an `IndexCountResult` record (photos.md §6.4): the record is named after the
/// requested `indexCountID` and `itemCount` is what a listing of that index returns.
pub(crate) fn count_result(out: &mut String, zone: &Zone, id: &str, count: usize) {
    record(out, zone, id, "IndexCountResult", "0", 0, 0, |f| {
        f.field("itemCount", "INT64", count);
    });
}

/// Appends one CPLAlbum record (photos.md §6.3).
///
/// User albums have `albumType` 0, folders and the other kinds 3; only albums and folders carry
/// their name (`albumNameEnc`). An album inside a folder points at it with `parentId`, the
/// record name of the last folder of that name (as icloudpd's name map keeps the later one).
/// Deleted albums stay in the answer with `isDeleted` = 1, which a client must skip.
pub(crate) fn album(out: &mut String, zone: &Zone, i: usize, a: &FakeAlbum) {
    let ms = 1_539_074_340_364 + (mix(zone.lib.seed, i as u64) % 10_000_000) as i64;
    let tag = change_tag(36u32.pow(3) + i as u32 * 7);
    record(out, zone, a.id(), "CPLAlbum", &tag, ms, ms, |f| {
        f.field("recordModificationDate", "TIMESTAMP", ms);
        f.field("sortAscending", "INT64", 1);
        f.field("sortType", "INT64", 0);
        let ty = match a.kind {
            AlbumKind::Album => 0,
            _ => 3,
        };
        f.field("albumType", "INT64", ty);
        if matches!(a.kind, AlbumKind::Album | AlbumKind::Folder) {
            f.field_str("albumNameEnc", "ENCRYPTED_BYTES", &STANDARD.encode(&a.name));
        }
        if let Some(parent) = &a.parent {
            let folder = zone
                .lib
                .albums
                .iter()
                .rev()
                .find(|x| x.kind == AlbumKind::Folder && &x.name == parent);
            if let Some(folder) = folder {
                f.field_str("parentId", "STRING", folder.id());
            }
        }
        f.field("position", "INT64", i * 1024);
        f.field("sortTypeExt", "INT64", 0);
        if a.deleted {
            f.field("isDeleted", "INT64", 1);
        }
    });
}

/// Appends the `{"recordName", "action", "zoneID"}` reference value.
fn reference(out: &mut String, zone: &Zone, name: &str, action: &str) {
    let mut o = Obj::open(out);
    o.str("recordName", name);
    o.str("action", action);
    zone_id(o.key("zoneID"), zone);
    o.close();
}

/// Adds `contributors` (shared libraries).
fn contributors(f: &mut Obj<'_>, zone: &Zone) {
    let out = f.key("contributors");
    out.push_str("{\"value\":[");
    reference(out, zone, &zone.owner, "NONE");
    out.push_str("],\"type\":\"REFERENCE_LIST\"}");
}

/// Adds the five `res<P>…` fields of one resource (photos.md §7.1).
///
/// `res<P>Res` is the `ASSETID` value: checksum, size, a wrapping key and reference checksum
/// derived from the resource's seed, and a freshly signed `downloadURL` unless the asset was
/// made without one ([`crate::FakeAsset::without_download_url`], the case of cli.md §6.5).
fn resource(f: &mut Obj<'_>, ctx: &Ctx<'_>, zone: &Zone, asset: u32, r: &Res) {
    let p = r.prefix.name();
    let checksum = r.checksum_b64();
    {
        let out = f.key(&format!("{p}Res"));
        out.push_str("{\"value\":");
        let mut v = Obj::open(out);
        v.str("fileChecksum", &checksum);
        v.raw("size", r.size);
        let wrap = mix(r.seed, 11).to_be_bytes();
        let mut wrapping = [0u8; 16];
        wrapping[..8].copy_from_slice(&wrap);
        wrapping[8..].copy_from_slice(&mix(r.seed, 12).to_be_bytes());
        v.str("wrappingKey", &STANDARD.encode(wrapping));
        let mut refck = [1u8; 21];
        for (k, chunk) in refck[1..].chunks_mut(8).enumerate() {
            let b = mix(r.seed, 20 + k as u64).to_be_bytes();
            chunk.copy_from_slice(&b[..chunk.len()]);
        }
        v.str("referenceChecksum", &STANDARD.encode(refck));
        if r.url {
            v.str(
                "downloadURL",
                &ctx.signer.url(ctx.zone_index, asset, r, &zone.name),
            );
        }
        v.close();
        out.push_str(",\"type\":\"ASSETID\"}");
    }
    f.field_str(&format!("{p}FileType"), "STRING", r.uti.as_str());
    f.field(&format!("{p}Width"), "INT64", r.width);
    f.field(&format!("{p}Height"), "INT64", r.height);
    f.field_str(&format!("{p}Fingerprint"), "STRING", &checksum);
}

/// Appends the CPLMaster record of asset `i` (photos.md §7.1): the file name, item type and
/// the original resources (those not rendered on the CPLAsset).
///
/// Its record name is the master name of the library, which several assets may share; a
/// deleted asset's master carries `isDeleted` and `dateExpunged` too, as Apple mirrors them.
pub(crate) fn master(out: &mut String, ctx: &Ctx<'_>, zone: &Zone, i: usize) {
    let lib = &zone.lib;
    let a = &lib.assets[i];
    let name = lib.master_name(i);
    let tag = change_tag(a.tag.saturating_sub(6));
    let resources = lib.resources(i);
    record(
        out,
        zone,
        &name,
        "CPLMaster",
        &tag,
        a.added(),
        a.added(),
        |f| {
            match &a.item_type {
                ItemTypeField::Natural => {
                    f.field_str("itemType", "STRING", natural_item_type(a).as_str());
                }
                ItemTypeField::Custom(u) => f.field_str("itemType", "STRING", u),
                ItemTypeField::WithoutValue => f.raw("itemType", "{\"type\":\"STRING\"}"),
                ItemTypeField::Missing => {}
            }
            match &a.name {
                NameField::Encrypted(n) => {
                    f.field_str(
                        "filenameEnc",
                        "ENCRYPTED_BYTES",
                        &STANDARD.encode(n.as_bytes()),
                    );
                }
                NameField::Plain(n) => f.field_str("filenameEnc", "STRING", n),
                NameField::RawB64(v) => f.field_str("filenameEnc", "ENCRYPTED_BYTES", v),
                NameField::Missing => {}
            }
            for r in resources.iter().filter(|r| !r.on_asset) {
                resource(f, ctx, zone, i as u32, r);
            }
            f.field("originalOrientation", "INT64", 1);
            f.field("dataClassType", "INT64", if a.is_video() { 2 } else { 1 });
            if a.has(flag::DELETED) {
                f.field("isDeleted", "INT64", 1);
                f.field("dateExpunged", "TIMESTAMP", a.expunged_ms);
            }
            if zone.shared {
                contributors(f, zone);
            }
        },
    );
}

/// Appends the CPLAsset record of asset `i` (photos.md §7.2): dates, flags, subtypes,
/// `masterRef` to its master, and the edited renderings of an edited photo, which take
/// precedence over the master's fields of the same name.
///
/// Its change tag is the asset's own, so every `records/modify` of the asset changes it.
pub(crate) fn asset(out: &mut String, ctx: &Ctx<'_>, zone: &Zone, i: usize) {
    let lib = &zone.lib;
    let a = &lib.assets[i];
    let name = lib.asset_name(i);
    let master = lib.master_name(i);
    let tag = change_tag(a.tag);
    let resources = lib.resources(i);
    record(
        out,
        zone,
        &name,
        "CPLAsset",
        &tag,
        a.added(),
        a.modified_ms,
        |f| {
            f.field("assetDate", "TIMESTAMP", a.date());
            f.field("addedDate", "TIMESTAMP", a.added());
            f.field("timeZoneOffset", "INT64", a.tz_offset);
            {
                let out = f.key("masterRef");
                out.push_str("{\"value\":");
                reference(out, zone, &master, "DELETE_SELF");
                out.push_str(",\"type\":\"REFERENCE\"}");
            }
            f.field("isFavorite", "INT64", u8::from(a.has(flag::FAVORITE)));
            f.field("isHidden", "INT64", u8::from(a.has(flag::HIDDEN)));
            let subtype = if a.has(flag::PANORAMA) {
                1
            } else if a.has(flag::SLOMO) {
                131_072
            } else if a.has(flag::TIMELAPSE) {
                262_144
            } else {
                0
            };
            f.field("assetSubtype", "INT64", subtype);
            let v2 = if a.has(flag::SCREENSHOT) {
                3
            } else if a.is_live() {
                2
            } else {
                0
            };
            f.field("assetSubtypeV2", "INT64", v2);
            f.field("assetHDRType", "INT64", 0);
            f.field("orientation", "INT64", 1);
            let duration = if a.is_video() { 1 + a.uid % 120 } else { 0 };
            f.field("duration", "INT64", duration);
            f.field("burstFlags", "INT64", 0);
            if a.has(flag::BURST) {
                f.field_str("burstId", "STRING", &crate::library::uuid(a.uid / 4));
            }
            f.field("adjustmentRenderType", "INT64", 0);
            f.field("customRenderedValue", "INT64", 0);
            f.field("vidComplVisibilityState", "INT64", 0);
            if a.is_live() {
                f.field("vidComplDurValue", "INT64", 2_768_333_333u64);
                f.field("vidComplDurScale", "INT64", 1_000_000_000u64);
                f.field("vidComplDispValue", "INT64", 1_200_880_290u64);
                f.field("vidComplDispScale", "INT64", 1_000_000_000u64);
            }
            if a.has(flag::EDITED) && !a.is_video() {
                let ty = if a.has(flag::SCREENSHOT) {
                    "ScreenshotServices"
                } else {
                    "com.apple.photo"
                };
                f.field_str("adjustmentType", "STRING", ty);
                for r in resources.iter().filter(|r| r.on_asset) {
                    resource(f, ctx, zone, i as u32, r);
                }
            }
            if a.has(flag::CAPTION) {
                let caption = format!("Caption of {}", a.decoded_filename().unwrap_or_default());
                f.field_str("captionEnc", "ENCRYPTED_BYTES", &STANDARD.encode(caption));
            }
            if a.has(flag::DELETED) {
                f.field("isDeleted", "INT64", 1);
                f.field("isExpunged", "INT64", 0);
                f.field("dateExpunged", "TIMESTAMP", a.expunged_ms);
            }
            if zone.shared {
                contributors(f, zone);
            }
        },
    );
}

/// Appends the CPLContainerRelation linking asset `i` to album `album_id`.
///
/// The record is named `<asset record name>-IN-<album record name>` (photos.md §6.9) and the
/// first position is the album's key asset.
pub(crate) fn relation(out: &mut String, zone: &Zone, i: usize, album_id: &str, position: usize) {
    let item = zone.lib.asset_name(i);
    let name = format!("{item}-IN-{album_id}");
    let ms = zone.lib.assets[i].added();
    record(out, zone, &name, "CPLContainerRelation", "1", ms, ms, |f| {
        f.field_str("itemId", "STRING", &item);
        f.field_str("containerId", "STRING", album_id);
        f.field("position", "INT64", position * 1024);
        f.field("isKeyAsset", "INT64", u8::from(position == 0));
    });
}

/// Appends the record a deleted-block rank emits: a CPLAsset with `isDeleted` = 1 whose master
/// is absent (odd numbers) or a hard-deleted tombstone (even numbers).
pub(crate) fn deleted_slot(out: &mut String, zone: &Zone, n: u32) {
    let seed = mix(zone.lib.seed ^ 0xdead, u64::from(n));
    let name = crate::library::uuid(seed);
    if n % 2 == 1 {
        let master = STANDARD.encode(seed.to_be_bytes());
        record(out, zone, &name, "CPLAsset", "1", 0, 0, |f| {
            let out = f.key("masterRef");
            out.push_str("{\"value\":");
            reference(out, zone, &master, "DELETE_SELF");
            out.push_str(",\"type\":\"REFERENCE\"}");
            f.field("isDeleted", "INT64", 1);
        });
    } else {
        let mut o = Obj::open(out);
        o.str("recordName", &name);
        o.raw("recordType", "null");
        o.raw("deleted", true);
        o.str("recordChangeTag", &change_tag(n + 46_656));
        o.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        let mut s = String::new();
        push_str(&mut s, "a\"b\\c\td\u{7}é");
        assert_eq!(s, "\"a\\\"b\\\\c\\td\\u0007é\"");
        let v: serde_json::Value = serde_json::from_str(&s).expect("valid json");
        assert_eq!(v, "a\"b\\c\td\u{7}é");
    }

    #[test]
    fn objects_and_tags() {
        let mut s = String::new();
        let mut o = Obj::open(&mut s);
        o.field("n", "INT64", 5);
        o.field_str("s", "STRING", "x");
        o.raw("b", false);
        o.close();
        assert_eq!(
            s,
            r#"{"n":{"value":5,"type":"INT64"},"s":{"value":"x","type":"STRING"},"b":false}"#
        );
        assert_eq!(change_tag(0), "0");
        assert_eq!(change_tag(36u32.pow(3)), "1000");
    }
}
