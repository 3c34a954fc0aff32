//! [`Asset`]: one photo or video (a CPLAsset with its CPLMaster), its [`AssetVersion`]s and
//! metadata, decoded and typed.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde_json::value::RawValue;
use time::OffsetDateTime;

use crate::redact::redact_url;

/// The id of an asset: the CPLAsset `recordName` (a UUID such as
/// `F2A23C38-0020-42FE-A273-2923ADE3CAED`). Stable across runs; the key for local state.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct AssetId(String);

impl AssetId {
    /// Wraps a CPLAsset record name.
    pub fn new(record_name: impl Into<String>) -> AssetId {
        AssetId(record_name.into())
    }

    /// Returns the record name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AssetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether an asset is a still image or a movie ([`Asset::media_type`]).
///
/// Decides which [`VersionKind`]s an asset can have ([`VersionKind::field_prefix`]): a movie
/// has no live or adjusted versions, and its medium and thumbnail renderings are videos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaType {
    /// A photo (HEIC, JPEG, PNG, RAW, …); live photos are images with a motion companion.
    Image,
    /// A video.
    Movie,
}

/// Which rendering of an asset a version is (icloudpd's `--size` and `--live-photo-size`).
///
/// An asset has the kinds Apple made for it, found with [`Asset::version`]: every asset an
/// `Original`; an edited photo an `Adjusted`; a RAW+JPEG pair an `Alternative`; a live photo
/// the three `Live…` kinds. [`Asset::align_raw`] swaps `Original` and `Alternative` of a
/// RAW+JPEG pair as icloudpd's `--align-raw` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum VersionKind {
    /// The original file (`resOriginal…`).
    Original,
    /// The alternative original, e.g. the JPEG of a RAW+JPEG pair (`resOriginalAlt…`).
    Alternative,
    /// A medium-size rendering (`resJPEGMed…`, videos `resVidMed…`).
    Medium,
    /// A thumbnail (`resJPEGThumb…`, videos `resVidSmall…`).
    Thumb,
    /// The edited full-size rendering (`resJPEGFull…`), images only.
    Adjusted,
    /// The motion part of a live photo (`resOriginalVidCompl…`).
    LiveOriginal,
    /// A medium-size rendering of the motion part (`resVidMed…` of an image).
    LiveMedium,
    /// A small rendering of the motion part (`resVidSmall…` of an image).
    LiveThumb,
}

impl VersionKind {
    /// Returns every kind, in icloudpd's order.
    pub const ALL: [VersionKind; 8] = [
        VersionKind::Original,
        VersionKind::Alternative,
        VersionKind::Medium,
        VersionKind::Thumb,
        VersionKind::Adjusted,
        VersionKind::LiveOriginal,
        VersionKind::LiveMedium,
        VersionKind::LiveThumb,
    ];

    /// Returns the CloudKit field prefix of this kind for a media type (`None` = unknown,
    /// looked up like an image), or `None` when such an asset has no such version.
    pub fn field_prefix(self, media: Option<MediaType>) -> Option<&'static str> {
        use VersionKind::*;
        match (media, self) {
            (_, Original) => Some("resOriginal"),
            (Some(MediaType::Movie), Medium) => Some("resVidMed"),
            (Some(MediaType::Movie), Thumb) => Some("resVidSmall"),
            (Some(MediaType::Movie), _) => None,
            (_, Alternative) => Some("resOriginalAlt"),
            (_, Medium) => Some("resJPEGMed"),
            (_, Thumb) => Some("resJPEGThumb"),
            (_, Adjusted) => Some("resJPEGFull"),
            (_, LiveOriginal) => Some("resOriginalVidCompl"),
            (_, LiveMedium) => Some("resVidMed"),
            (_, LiveThumb) => Some("resVidSmall"),
        }
    }
}

/// One downloadable rendering of an asset.
///
/// `Debug` omits the signed query string of the URL.
///
/// Pass it to [`crate::PhotosClient::download`] (or [`crate::SharedAlbums::download`] for a
/// shared album's item). [`AssetVersion::size`] and [`AssetVersion::checksum`] describe the
/// file before it is fetched, so a program can tell whether a local copy is complete and
/// current without downloading it again. The URL is a capability: anyone holding it can
/// fetch the file until it expires, so keep it out of logs.
///
/// # Example
///
/// ```
/// # use std::sync::Arc;
/// # use icloud_auth::{AuthClient, Endpoints, MemorySessionStore, Region, SecretString, SignIn};
/// # use icloud_fake::*;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let account = FakeAccount::new("jdoe@gmail.com", "password1").without_two_factor()
/// #     .library(FakeLibrary::new().asset(FakeAsset::photo("IMG_0001.JPG")).asset(FakeAsset::live("IMG_0002.HEIC")));
/// # let fake = FakeICloud::builder().account(account).start()?;
/// # let auth = AuthClient::builder()
/// #     .endpoints(Endpoints::single_origin(Region::Global, &fake.base_url())?).build()?;
/// # let (password, store) = (SecretString::from("password1".to_owned()), Arc::new(MemorySessionStore::default()));
/// # let SignIn::Complete(session) = auth.sign_in("jdoe@gmail.com", &password, store).await? else { unreachable!() };
/// use futures_util::TryStreamExt;
/// use icloud_photos::{PhotosClient, VersionKind};
///
/// let library = PhotosClient::new(&session)?.primary().await?;
/// let asset = library.assets(&library.all_photos()).try_next().await?.expect("an asset");
/// let thumb = asset.version(VersionKind::Thumb).expect("every photo has a thumbnail");
/// let original = asset.version(VersionKind::Original).expect("and an original");
/// assert!(thumb.size() < original.size());
/// assert!(!format!("{thumb:?}").contains('?')); // no signed query string
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AssetVersion {
    pub(crate) kind: VersionKind,
    pub(crate) size: u64,
    /// `false` when Apple gave no byte count (some shared-album records); `size` is then 0.
    pub(crate) size_known: bool,
    pub(crate) url: String,
    pub(crate) file_type: String,
    pub(crate) checksum: String,
    pub(crate) width: Option<u64>,
    pub(crate) height: Option<u64>,
}

impl AssetVersion {
    /// Returns which rendering this is.
    pub fn kind(&self) -> VersionKind {
        self.kind
    }

    /// Returns the exact size in bytes; 0 when it is not known (see
    /// [`AssetVersion::size_is_known`]).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Returns `false` when Apple gave no byte count for this version: a shared album's record
    /// without `res…FileSize` and with `res…Res.size` 0. [`AssetVersion::size`] is then 0 and
    /// the length of the download is the size. Always `true` for library assets.
    pub fn size_is_known(&self) -> bool {
        self.size_known
    }

    /// Returns the download URL exactly as Apple gave it. It is a capability (signed, expires):
    /// never log it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Returns the file type as a UTI, e.g. `public.heic`.
    pub fn file_type(&self) -> &str {
        &self.file_type
    }

    /// Returns the opaque `fileChecksum` (base64; not a content hash).
    pub fn checksum(&self) -> &str {
        &self.checksum
    }

    /// Returns the width in pixels, if Apple sent it.
    pub fn width(&self) -> Option<u64> {
        self.width
    }

    /// Returns the height in pixels, if Apple sent it.
    pub fn height(&self) -> Option<u64> {
        self.height
    }
}

impl fmt::Debug for AssetVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssetVersion")
            .field("kind", &self.kind)
            .field("size", &self.size)
            .field("size_known", &self.size_known)
            .field("url", &redact_url(&self.url))
            .field("file_type", &self.file_type)
            .field("checksum", &self.checksum)
            .finish_non_exhaustive()
    }
}

/// How to arrange a RAW+JPEG pair (icloudpd's `--align-raw`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RawPolicy {
    /// Keep Apple's arrangement (`as-is`).
    #[default]
    AsIs,
    /// Make the RAW file the original (`original`).
    Original,
    /// Make the RAW file the alternative (`alternative`).
    Alternative,
}

/// One photo or video: the CPLAsset (metadata) paired with its CPLMaster (the file).
///
/// Cheap to clone. `Debug` omits the raw records and signed URLs.
///
/// An asset is what a listing ([`crate::AssetStream`]), a change feed ([`crate::Change`]) or
/// a lookup ([`crate::Lookup`]) yields; it has no public constructor. It carries:
///
/// - identity: [`Asset::id`] (stable across runs, the key for local state),
///   [`Asset::master_id`] (the file's, equal across libraries) and the library
///   ([`Asset::zone`]);
/// - the file: [`Asset::filename`] as uploaded (or made up, [`Asset::filename_is_fallback`]),
///   [`Asset::media_type`] and its [`AssetVersion`]s by [`VersionKind`], each with size,
///   checksum, file type and a download URL that expires after about an hour;
/// - dates: [`Asset::asset_date`] (capture, what icloudpd files by), [`Asset::added_date`]
///   and [`Asset::time_zone_offset`];
/// - state and metadata: favourite, hidden, deleted, caption, keywords, location, orientation,
///   the edit made (what icloudpd writes to XMP sidecars).
///
/// # Example
///
/// Which versions a live photo has, and a file name for each, as icloudpd makes them:
///
/// ```
/// # use std::sync::Arc;
/// # use icloud_auth::{AuthClient, Endpoints, MemorySessionStore, Region, SecretString, SignIn};
/// # use icloud_fake::*;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let account = FakeAccount::new("jdoe@gmail.com", "password1").without_two_factor()
/// #     .library(FakeLibrary::new().album(FakeAlbum::new("Rom 2019")).asset(FakeAsset::photo("IMG_0001.JPG").in_album("Rom 2019")).asset(FakeAsset::live("IMG_0002.HEIC").favorite()));
/// # let fake = FakeICloud::builder().account(account).start()?;
/// # let auth = AuthClient::builder()
/// #     .endpoints(Endpoints::single_origin(Region::Global, &fake.base_url())?).build()?;
/// # let (password, store) = (SecretString::from("password1".to_owned()), Arc::new(MemorySessionStore::default()));
/// # let SignIn::Complete(session) = auth.sign_in("jdoe@gmail.com", &password, store).await? else { unreachable!() };
/// use futures_util::TryStreamExt;
/// use icloud_photos::{PhotosClient, VersionKind};
///
/// let library = PhotosClient::new(&session)?.primary().await?;
/// let assets: Vec<_> = library.assets(&library.all_photos()).try_collect().await?;
/// let live = assets.iter().find(|a| a.is_live_photo()).expect("a live photo");
/// assert!(live.version(VersionKind::LiveOriginal).is_some()); // the motion part
/// for (kind, version) in live.versions() {
///     tracing::info!("{kind:?}: {} bytes of {}, {}", version.size(), version.file_type(), live.filename());
/// }
/// if let Some(date) = live.asset_date() {
///     tracing::info!("taken {}-{:02}", date.year(), u8::from(date.month())); // time::OffsetDateTime
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Asset {
    pub(crate) id: AssetId,
    pub(crate) master_id: String,
    pub(crate) change_tag: Option<String>,
    pub(crate) zone: String,
    pub(crate) filename: String,
    pub(crate) filename_fallback: bool,
    pub(crate) item_type: Option<String>,
    pub(crate) media_type: Option<MediaType>,
    pub(crate) versions: BTreeMap<VersionKind, AssetVersion>,
    pub(crate) meta: Arc<Metadata>,
    pub(crate) raw: Option<Arc<RawRecords>>,
}

/// Metadata of the CPLAsset record.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Metadata {
    pub(crate) asset_date: Option<i64>,
    pub(crate) added_date: Option<i64>,
    pub(crate) date_expunged: Option<i64>,
    pub(crate) time_zone_offset: Option<i64>,
    pub(crate) favorite: bool,
    pub(crate) hidden: bool,
    pub(crate) deleted: bool,
    pub(crate) adjustment_type: Option<String>,
    pub(crate) subtype: Option<i64>,
    pub(crate) subtype_v2: Option<i64>,
    pub(crate) orientation: Option<i64>,
    pub(crate) caption: Option<String>,
    pub(crate) extended_description: Option<String>,
    pub(crate) keywords: Option<Vec<u8>>,
    pub(crate) location: Option<Vec<u8>>,
    pub(crate) adjustment_simple_data: Option<Vec<u8>>,
}

/// The records an asset was built from, as received.
#[derive(Debug)]
pub(crate) struct RawRecords {
    pub(crate) master: Box<RawValue>,
    pub(crate) asset: Box<RawValue>,
}

impl RawRecords {
    pub(crate) fn to_json(&self) -> String {
        format!(
            r#"{{"master_record":{},"asset_record":{}}}"#,
            self.master.get(),
            self.asset.get()
        )
    }
}

fn datetime(ms: Option<i64>) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms?) * 1_000_000).ok()
}

impl Asset {
    /// Returns the asset's id (the CPLAsset record name).
    pub fn id(&self) -> &AssetId {
        &self.id
    }

    /// Returns the CPLMaster record name (the file's id; equal across libraries for the same
    /// upload).
    pub fn master_id(&self) -> &str {
        &self.master_id
    }

    /// Returns the CPLAsset's `recordChangeTag` as listed (needed to delete it).
    pub fn record_change_tag(&self) -> Option<&str> {
        self.change_tag.as_deref()
    }

    /// Returns the library (zone) name the asset was listed from, e.g. `PrimarySync`; for an
    /// asset of a shared album ([`crate::SharedAlbums::assets`]), the album's GUID.
    pub fn zone(&self) -> &str {
        &self.zone
    }

    /// Returns the base filename: the decoded `filenameEnc`, or `<id12>.<EXT>` built from the
    /// master id and item type when Apple sent no name (see [`Asset::filename_is_fallback`]).
    /// Cleaning it for a file system is the caller's business.
    pub fn filename(&self) -> &str {
        &self.filename
    }

    /// Returns `true` if [`Asset::filename`] was made up because `filenameEnc` was missing.
    pub fn filename_is_fallback(&self) -> bool {
        self.filename_fallback
    }

    /// Returns the master's `itemType` UTI, e.g. `public.heic`, if present.
    pub fn item_type_uti(&self) -> Option<&str> {
        self.item_type.as_deref()
    }

    /// Returns image or movie; `None` when the item type is missing (icloudpd treats unknown
    /// as an image for versions and naming, and lets it pass both `--skip-videos` and
    /// `--skip-photos`).
    pub fn media_type(&self) -> Option<MediaType> {
        self.media_type
    }

    /// Returns the downloadable versions. The CPLAsset's resources (edits) win over the
    /// master's; movies have only original, medium and thumb.
    pub fn versions(&self) -> &BTreeMap<VersionKind, AssetVersion> {
        &self.versions
    }

    /// Returns one version, if the asset has it.
    pub fn version(&self, kind: VersionKind) -> Option<&AssetVersion> {
        self.versions.get(&kind)
    }

    /// Returns `true` for a live photo: not a movie, and has a [`VersionKind::LiveOriginal`].
    pub fn is_live_photo(&self) -> bool {
        self.media_type != Some(MediaType::Movie)
            && self.versions.contains_key(&VersionKind::LiveOriginal)
    }

    /// Rearranges a RAW+JPEG pair (icloudpd's `--align-raw`): with [`RawPolicy::Original`] an
    /// alternative whose UTI contains `raw` becomes the original (and vice versa); with
    /// [`RawPolicy::Alternative`] an original whose UTI contains `raw` becomes the alternative.
    /// Apply it before choosing versions.
    pub fn align_raw(&mut self, policy: RawPolicy) {
        let (Some(orig), Some(alt)) = (
            self.versions.get(&VersionKind::Original),
            self.versions.get(&VersionKind::Alternative),
        ) else {
            return;
        };
        let swap = match policy {
            RawPolicy::AsIs => false,
            RawPolicy::Original => alt.file_type.contains("raw"),
            RawPolicy::Alternative => orig.file_type.contains("raw"),
        };
        if swap {
            let mut o = self.versions.remove(&VersionKind::Original);
            let mut a = self.versions.remove(&VersionKind::Alternative);
            if let (Some(o), Some(a)) = (o.as_mut(), a.as_mut()) {
                o.kind = VersionKind::Alternative;
                a.kind = VersionKind::Original;
            }
            self.versions.extend(a.map(|v| (VersionKind::Original, v)));
            self.versions
                .extend(o.map(|v| (VersionKind::Alternative, v)));
        }
    }

    /// Returns the capture time (`assetDate`, UTC), or `None` when missing. icloudpd uses the
    /// Unix epoch in that case; callers wanting that use `unwrap_or(UNIX_EPOCH)`.
    pub fn asset_date(&self) -> Option<OffsetDateTime> {
        datetime(self.meta.asset_date)
    }

    /// Returns when the asset was added to the library (`addedDate`, UTC).
    pub fn added_date(&self) -> Option<OffsetDateTime> {
        datetime(self.meta.added_date)
    }

    /// Returns when a deleted asset will be purged (`dateExpunged`, UTC).
    pub fn date_expunged(&self) -> Option<OffsetDateTime> {
        datetime(self.meta.date_expunged)
    }

    /// Returns the capture time zone as seconds east of UTC (`timeZoneOffset`).
    pub fn time_zone_offset(&self) -> Option<i64> {
        self.meta.time_zone_offset
    }

    /// Returns `true` if marked as favorite.
    pub fn is_favorite(&self) -> bool {
        self.meta.favorite
    }

    /// Returns `true` if hidden.
    pub fn is_hidden(&self) -> bool {
        self.meta.hidden
    }

    /// Returns `true` if in Recently Deleted (`isDeleted` = 1).
    pub fn is_deleted(&self) -> bool {
        self.meta.deleted
    }

    /// Returns the `adjustmentType` (e.g. `com.apple.photo`); present means edited.
    pub fn adjustment_type(&self) -> Option<&str> {
        self.meta.adjustment_type.as_deref()
    }

    /// Returns `assetSubtype` (panorama, slo-mo, … as Apple numbers them).
    pub fn asset_subtype(&self) -> Option<i64> {
        self.meta.subtype
    }

    /// Returns `assetSubtypeV2` (3 = screenshot, 2 = live photo as observed).
    pub fn asset_subtype_v2(&self) -> Option<i64> {
        self.meta.subtype_v2
    }

    /// Returns the EXIF-style `orientation` of the asset record.
    pub fn orientation(&self) -> Option<i64> {
        self.meta.orientation
    }

    /// Returns the title (`captionEnc`, decoded; invalid UTF-8 replaced).
    pub fn caption(&self) -> Option<&str> {
        self.meta.caption.as_deref()
    }

    /// Returns the description (`extendedDescEnc`, decoded; invalid UTF-8 replaced).
    pub fn extended_description(&self) -> Option<&str> {
        self.meta.extended_description.as_deref()
    }

    /// Returns the keywords plist (`keywordsEnc`, base64-decoded; binary or XML plist).
    pub fn keywords_plist(&self) -> Option<&[u8]> {
        self.meta.keywords.as_deref()
    }

    /// Returns the location plist (`locationEnc`, base64-decoded).
    pub fn location_plist(&self) -> Option<&[u8]> {
        self.meta.location.as_deref()
    }

    /// Returns `adjustmentSimpleDataEnc`, base64-decoded (deflated JSON, plist or CRDT).
    pub fn adjustment_simple_data(&self) -> Option<&[u8]> {
        self.meta.adjustment_simple_data.as_deref()
    }

    /// Returns the records the asset was built from as JSON text
    /// `{"master_record": …, "asset_record": …}` (what icloudpd writes to
    /// `icloudpd-photo-error.json`). Contains signed download URLs.
    pub fn raw_records(&self) -> String {
        self.raw.as_ref().map_or_else(
            || r#"{"master_record":null,"asset_record":null}"#.to_owned(),
            |raw| raw.to_json(),
        )
    }
}

impl fmt::Debug for Asset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Asset")
            .field("id", &self.id)
            .field("master_id", &self.master_id)
            .field("zone", &self.zone)
            .field("filename", &self.filename)
            .field("media_type", &self.media_type)
            .field("versions", &self.versions)
            .field("meta", &self.meta)
            .finish_non_exhaustive()
    }
}
