//! The photo library model: [`FakeLibrary`], [`FakeAsset`], [`FakeAlbum`] and what a correct
//! client should see ([`ExpectedAsset`]).
//!
//! Assets are compact structs; record JSON, record names, checksums and file bytes are derived
//! on demand from a per-asset id, so a generated 100k-asset library stays small.

mod asset;
mod generator;
mod model;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use asset::DEFAULT_DATE_MS;
pub use asset::FakeAsset;
pub(crate) use asset::{ItemTypeField, Kind, NameField, flag};
pub(crate) use model::{Prefix, Res, mix, natural_item_type, uuid};

/// The kind of a [`FakeAlbum`] record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AlbumKind {
    /// `albumType` 0.
    Album,
    /// `albumType` 3.
    Folder,
    /// The `----Root-Folder----` sentinel.
    Root,
    /// The `----Project-Root-Folder----` sentinel.
    ProjectRoot,
}

/// A user album or folder (a `CPLAlbum` record).
///
/// Albums list their members newest first; folders hold albums, not assets. Names may contain
/// anything (`Garage vorher/nachher`); clients list folders and nested albums flat.
///
/// An album is served as a `CPLAlbum` record (photos.md §6.3) and listed through its own
/// index, `CPLContainerRelationLiveByAssetDate` filtered by the album's record name (§6.6).
/// Assets join an album with [`FakeAsset::in_album`], which creates the album when the library
/// has none of that name yet, so `FakeLibrary::album` is only needed for folders, empty or
/// deleted albums, nesting and fixed record names. When two albums share a name, clients keep
/// the later one (icloudpd's name map), and so do the fake's truth queries.
///
/// ```
/// use icloud_fake::{FakeAccount, FakeAlbum, FakeAsset, FakeICloud, FakeLibrary};
///
/// let library = FakeLibrary::new()
///     .album(FakeAlbum::folder("Reisen"))
///     .album(FakeAlbum::new("Rom 2019").in_folder("Reisen"))
///     .album(FakeAlbum::new("Leer"))
///     .album(FakeAlbum::new("Alt").deleted())
///     .asset(FakeAsset::photo("IMG_0001.JPG").in_album("Rom 2019"))
///     .asset(FakeAsset::photo("IMG_0002.JPG").in_album("Rom 2019"));
/// let fake = FakeICloud::builder()
///     .account(FakeAccount::new("jdoe@gmail.com", "password1").library(library))
///     .start()?;
///
/// // `--list-albums`: the smart folders, then the folder and the live albums; not "Alt".
/// let names = fake.album_names("jdoe@gmail.com", "PrimarySync");
/// assert_eq!(names[..2], ["Time-lapse", "Videos"]);
/// assert!(names.ends_with(&["Reisen".to_owned(), "Rom 2019".to_owned(), "Leer".to_owned()]));
/// let rome = fake.expected_listing("jdoe@gmail.com", "PrimarySync", Some("Rom 2019"));
/// assert_eq!(rome.len(), 2);
/// assert!(fake.expected_listing("jdoe@gmail.com", "PrimarySync", Some("Leer")).is_empty());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct FakeAlbum {
    pub(crate) name: String,
    pub(crate) kind: AlbumKind,
    pub(crate) parent: Option<String>,
    pub(crate) deleted: bool,
    pub(crate) record_name: Option<String>,
    pub(crate) members: Vec<u32>,
}

impl FakeAlbum {
    /// Returns a user album called `name`.
    pub fn new(name: &str) -> Self {
        FakeAlbum {
            name: name.to_owned(),
            kind: AlbumKind::Album,
            parent: None,
            deleted: false,
            record_name: None,
            members: Vec::new(),
        }
    }

    /// Returns a folder called `name` (`albumType` 3).
    pub fn folder(name: &str) -> Self {
        FakeAlbum {
            kind: AlbumKind::Folder,
            ..FakeAlbum::new(name)
        }
    }

    pub(crate) fn sentinel(kind: AlbumKind) -> Self {
        let name = match kind {
            AlbumKind::ProjectRoot => "----Project-Root-Folder----",
            _ => "----Root-Folder----",
        };
        FakeAlbum {
            kind,
            record_name: Some(name.to_owned()),
            ..FakeAlbum::new("")
        }
    }

    /// Places the album inside the folder called `folder` (a `parentId` field).
    #[must_use]
    pub fn in_folder(mut self, folder: &str) -> Self {
        self.parent = Some(folder.to_owned());
        self
    }

    /// Marks the album deleted (`isDeleted` = 1): clients skip it.
    #[must_use]
    pub fn deleted(mut self) -> Self {
        self.deleted = true;
        self
    }

    /// Sets the record name (default: an upper-case UUID derived from the library seed).
    #[must_use]
    pub fn record_name(mut self, name: &str) -> Self {
        self.record_name = Some(name.to_owned());
        self
    }

    /// Returns whether clients show this record as an album.
    pub(crate) fn listed(&self) -> bool {
        !self.deleted && matches!(self.kind, AlbumKind::Album | AlbumKind::Folder)
    }

    /// Returns the record name (set once the album is in a library).
    pub(crate) fn id(&self) -> &str {
        self.record_name.as_deref().unwrap_or_default()
    }
}

/// A block of ranks in the whole-collection index that emits no live pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Anomaly {
    /// First rank of the block.
    pub(crate) at: usize,
    /// Number of ranks.
    pub(crate) len: usize,
    /// `true`: deleted records are emitted; `false`: nothing is.
    pub(crate) deleted: bool,
}

/// The contents of one library zone: assets, albums (including the two root-folder sentinels),
/// the indexing state and optional rank-space anomalies.
///
/// Build it by hand with [`FakeLibrary::new`] and [`FakeLibrary::asset`], or generate a
/// deterministic mix of every kind with [`FakeLibrary::generated`].
///
/// A hand-built library is for tests about particular assets (a live photo's two files, a
/// RAW+JPEG pair, an album name with a slash); a generated one for tests about volume and
/// variety (paging, every file type, benchmarks). Both can be combined, and both can be
/// made hostile: [`FakeLibrary::malformed`] adds records a client must survive,
/// [`FakeLibrary::empty_pages`] and [`FakeLibrary::deleted_blocks`] break the rank space the
/// way Apple's does, [`FakeLibrary::indexing`] keeps the library "not ready". The library
/// is the zone `PrimarySync` of the account it is given to ([`crate::FakeAccount::library`]).
///
/// ```
/// use icloud_fake::{FakeAlbum, FakeAsset, FakeLibrary};
///
/// let library = FakeLibrary::new()
///     .album(FakeAlbum::folder("Reisen"))
///     .album(FakeAlbum::new("Rom 2019").in_folder("Reisen"))
///     .asset(FakeAsset::photo("IMG_0001.JPG").in_album("Rom 2019"))
///     .asset(FakeAsset::live("IMG_0002.HEIC").favorite())
///     .asset(FakeAsset::photo("IMG_0003.JPG").deleted());
/// assert_eq!(library.len(), 3);
/// assert_eq!(library.visible_len(), 2); // the deleted one is in Recently Deleted only
///
/// let big = FakeLibrary::generated(1_000, 42);
/// assert_eq!(big.len(), 1_000);
/// ```
#[derive(Clone, Debug)]
pub struct FakeLibrary {
    pub(crate) seed: u64,
    pub(crate) assets: Vec<FakeAsset>,
    pub(crate) albums: Vec<FakeAlbum>,
    pub(crate) indexing: String,
    pub(crate) anomalies: Vec<Anomaly>,
    pub(crate) max_size: Option<u64>,
}

impl Default for FakeLibrary {
    fn default() -> Self {
        FakeLibrary::new()
    }
}

impl FakeLibrary {
    /// Returns an empty library (only the root-folder sentinels), indexing `FINISHED`, seed 0.
    pub fn new() -> Self {
        FakeLibrary::with_seed(0)
    }

    /// Returns an empty library whose derived record names, sizes and bytes use `seed`: two
    /// libraries with the same seed and assets share master record names, as one photo does in
    /// PrimarySync and a SharedSync zone.
    pub fn with_seed(seed: u64) -> Self {
        let mut lib = FakeLibrary {
            seed,
            assets: Vec::new(),
            albums: Vec::new(),
            indexing: "FINISHED".to_owned(),
            anomalies: Vec::new(),
            max_size: None,
        };
        lib = lib.album(FakeAlbum::sentinel(AlbumKind::Root));
        lib.album(FakeAlbum::sentinel(AlbumKind::ProjectRoot))
    }

    /// Returns a deterministic library of `n` assets mixing every kind the fake knows: JPEG,
    /// HEIC and PNG stills, HEIC and JPEG live photos, QuickTime and MPEG-4 videos, RAW+JPEG
    /// pairs, single RAWs, ProRAW DNGs, edited photos, screenshots, favorites, hidden and
    /// recently deleted assets, bursts, panoramas, slo-mo and time-lapse videos, duplicate,
    /// unicode and hostile file names, `filenameEnc` of type `STRING`; dates spread over
    /// 2012–2025 with varied time zones; user albums (`Bilderrahmen`, `Jörg`, `Garage
    /// vorher/nachher`, albums in the folder `Reisen`, an empty and a deleted album). Every
    /// record is valid; see [`FakeLibrary::malformed`] for broken ones.
    pub fn generated(n: usize, seed: u64) -> Self {
        generator::generate(n, seed)
    }

    /// Adds an asset (see [`FakeAsset`] for the defaults it gets here).
    #[must_use]
    pub fn asset(mut self, mut asset: FakeAsset) -> Self {
        let index = self.assets.len();
        let position = u32::try_from(index).unwrap_or(u32::MAX);
        asset.uid = mix(self.seed ^ 0x5eed_0000_0000_0000, index as u64);
        let date = asset
            .date_ms
            .unwrap_or(DEFAULT_DATE_MS - index as i64 * 3_600_000);
        asset.date_ms = Some(date);
        asset.added_ms = Some(asset.added());
        if asset.has(flag::DELETED) && asset.expunged_ms == 0 {
            asset.expunged_ms = date + 30 * 86_400_000;
        }
        asset.tag = 36u32.pow(3) + (asset.uid % 40_000) as u32;
        asset.modified_ms = asset.added() + 1_000;
        for album in std::mem::take(&mut asset.albums) {
            let found = self
                .albums
                .iter()
                .rposition(|a| a.kind == AlbumKind::Album && a.name == album);
            let i = match found {
                Some(i) => i,
                None => {
                    self = self.album(FakeAlbum::new(&album));
                    self.albums.len() - 1
                }
            };
            self.albums[i].members.push(position);
        }
        self.assets.push(asset);
        self
    }

    /// Adds an album or folder record (listed after the ones already added).
    #[must_use]
    pub fn album(mut self, mut album: FakeAlbum) -> Self {
        if album.record_name.is_none() {
            let n = self.albums.len() as u64;
            album.record_name = Some(model::uuid(mix(self.seed ^ 0xa1b0_0000, n)));
        }
        self.albums.push(album);
        self
    }

    /// Adds `count` malformed assets, cycling through: no `filenameEnc`, `filenameEnc` of type
    /// `STRING`, bad base64, base64 of invalid UTF-8, no `itemType`, `itemType` without
    /// `value`, no `downloadURL`. Python icloudpd crashes on the bad base64 and invalid UTF-8
    /// ones.
    #[must_use]
    pub fn malformed(self, count: usize) -> Self {
        generator::malformed(self, count)
    }

    /// Sets the `CheckIndexingState` state (default `FINISHED`; anything else makes Python
    /// icloudpd stop with "has not finished indexing yet").
    #[must_use]
    pub fn indexing(mut self, state: &str) -> Self {
        self.indexing = state.to_owned();
        self
    }

    /// Inserts `n_ranks` ranks at rank `at_rank` of the whole-collection index that emit no
    /// record at all: a page falling inside them is `{"records": []}` although more assets
    /// follow. Counts are unaffected. Clients that stop at the first empty page (Python) miss
    /// everything after the block.
    #[must_use]
    pub fn empty_pages(mut self, at_rank: usize, n_ranks: usize) -> Self {
        self.anomalies.push(Anomaly {
            at: at_rank,
            len: n_ranks,
            deleted: false,
        });
        self
    }

    /// Inserts `n_ranks` ranks at rank `at_rank` of the whole-collection index that emit only
    /// deleted records (CPLAssets with `isDeleted` = 1 whose master is absent, and
    /// `{"recordName", "recordType": null, "deleted": true}` tombstones), never a live pair.
    #[must_use]
    pub fn deleted_blocks(mut self, at_rank: usize, n_ranks: usize) -> Self {
        self.anomalies.push(Anomaly {
            at: at_rank,
            len: n_ranks,
            deleted: true,
        });
        self
    }

    /// Caps every resource at `bytes` bytes, at least 64 (default: no cap; generated sizes are
    /// 256 B – 1 MiB).
    #[must_use]
    pub fn max_resource_size(mut self, bytes: u64) -> Self {
        self.max_size = Some(bytes.max(64));
        self
    }

    /// Returns the number of assets (live, hidden and deleted).
    pub fn len(&self) -> usize {
        self.assets.len()
    }

    /// Returns the number of assets in the whole collection (neither hidden nor deleted): what
    /// a complete listing without an album yields.
    pub fn visible_len(&self) -> usize {
        self.assets
            .iter()
            .filter(|a| !a.has(flag::HIDDEN) && !a.has(flag::DELETED))
            .count()
    }

    /// Returns whether the library has no assets.
    pub fn is_empty(&self) -> bool {
        self.assets.is_empty()
    }

    /// Returns the CPLMaster record name of asset `i`.
    pub(crate) fn master_name(&self, i: usize) -> String {
        let a = &self.assets[i];
        match &a.master_name {
            Some(n) => n.to_string(),
            None => STANDARD.encode(model::checksum_bytes(a.uid, Prefix::Original)),
        }
    }

    /// Returns the CPLAsset record name of asset `i`.
    pub(crate) fn asset_name(&self, i: usize) -> String {
        let a = &self.assets[i];
        match &a.asset_name {
            Some(n) => n.to_string(),
            None => model::uuid(a.uid),
        }
    }

    /// Returns the resources of asset `i` (master ones, then the CPLAsset's).
    pub(crate) fn resources(&self, i: usize) -> Vec<Res> {
        model::resources(&self.assets[i], self.max_size)
    }
}

/// One asset as a correct client lists it.
///
/// The truth queries ([`crate::FakeICloud::expected_listing`]) return these, computed from the
/// library rather than from the records on the wire, so a test can compare what its client
/// found, named and downloaded with what it should have: record names to match listings,
/// the decoded file name, every version with its size and checksum (photos.md §8.3, with the
/// CPLAsset's edited renderings taking precedence over the master's), and the capture date
/// that folder structures and `--skip-created-*` filters use.
///
/// ```
/// use icloud_fake::{FakeAccount, FakeAsset, FakeICloud, FakeLibrary};
///
/// let library = FakeLibrary::new().asset(FakeAsset::live("IMG_0001.HEIC"));
/// let fake = FakeICloud::builder()
///     .account(FakeAccount::new("jdoe@gmail.com", "password1").library(library))
///     .start()?;
///
/// let listing = fake.expected_listing("jdoe@gmail.com", "PrimarySync", None);
/// let live = &listing[0];
/// assert_eq!(live.filename.as_deref(), Some("IMG_0001.HEIC"));
/// assert_eq!(live.item_type.as_deref(), Some("public.heic"));
/// // A live photo: the still and its motion part, each with size and checksum.
/// assert_eq!(live.file_type("resOriginal"), Some("public.heic"));
/// assert_eq!(live.file_type("resOriginalVidCompl"), Some("com.apple.quicktime-movie"));
/// let (size, checksum) = live.version("resOriginal").expect("an original");
/// assert!(size > 0);
/// // A master is named after its original's checksum, as Apple's are.
/// assert_eq!(checksum, live.master_record_name);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedAsset {
    /// CPLAsset record name.
    pub asset_record_name: String,
    /// CPLMaster record name.
    pub master_record_name: String,
    /// Decoded base file name (`filenameEnc`), `None` when the record has none or it does not
    /// decode.
    pub filename: Option<String>,
    /// Every resource a client can see: (prefix such as `resOriginal`, size, `fileChecksum`),
    /// the CPLAsset's taking precedence over the master's of the same prefix, in the order
    /// original, alternative, live motion, full, large, medium, thumb, video full/medium/small.
    pub versions: Vec<(String, u64, String)>,
    /// The UTI (`…FileType`) of each entry of `versions`, same order: (prefix, UTI).
    pub file_types: Vec<(String, String)>,
    /// The master's `itemType` value, `None` when absent or without value.
    pub item_type: Option<String>,
    /// `assetDate`: capture time, ms since the Unix epoch (UTC).
    pub asset_date_ms: i64,
}

impl ExpectedAsset {
    /// Returns the (size, checksum) of resource `prefix` (e.g. `resOriginal`).
    pub fn version(&self, prefix: &str) -> Option<(u64, &str)> {
        self.versions
            .iter()
            .find(|(p, _, _)| p == prefix)
            .map(|(_, size, ck)| (*size, ck.as_str()))
    }

    /// Returns the UTI of resource `prefix` (e.g. `public.heic`).
    pub fn file_type(&self, prefix: &str) -> Option<&str> {
        self.file_types
            .iter()
            .find(|(p, _)| p == prefix)
            .map(|(_, uti)| uti.as_str())
    }
}

/// Returns the [`ExpectedAsset`] of asset `i`.
pub(crate) fn expected(lib: &FakeLibrary, i: usize) -> ExpectedAsset {
    let mut res = lib.resources(i);
    // The CPLAsset's resource wins over the master's of the same prefix.
    res.sort_by_key(|r| (r.prefix as u8, !r.on_asset));
    res.dedup_by_key(|r| r.prefix);
    let a = &lib.assets[i];
    let item_type = match &a.item_type {
        ItemTypeField::Natural => Some(natural_item_type(a).as_str().to_owned()),
        ItemTypeField::Custom(u) => Some(u.to_string()),
        ItemTypeField::Missing | ItemTypeField::WithoutValue => None,
    };
    ExpectedAsset {
        asset_record_name: lib.asset_name(i),
        master_record_name: lib.master_name(i),
        filename: a.decoded_filename(),
        versions: res
            .iter()
            .map(|r| (r.prefix.name().to_owned(), r.size, r.checksum_b64()))
            .collect(),
        file_types: res
            .iter()
            .map(|r| (r.prefix.name().to_owned(), r.uti.as_str().to_owned()))
            .collect(),
        item_type,
        asset_date_ms: a.date(),
    }
}

/// Returns the resource of asset `i` a client uses for `prefix` (the CPLAsset's first).
pub(crate) fn version_of(lib: &FakeLibrary, i: usize, prefix: &str) -> Option<Res> {
    let res = lib.resources(i);
    let matching = |on_asset: bool| {
        res.iter()
            .find(|r| r.prefix.name() == prefix && r.on_asset == on_asset)
            .copied()
    };
    matching(true).or_else(|| matching(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_made_defaults_and_albums() {
        let lib = FakeLibrary::new()
            .asset(FakeAsset::photo("A.JPG").in_album("X"))
            .asset(FakeAsset::live("B.HEIC").deleted().in_album("X"))
            .album(FakeAlbum::new("Y"));
        assert_eq!(lib.len(), 2);
        // Sentinels, X (auto-created), Y.
        assert_eq!(lib.albums.len(), 4);
        assert_eq!(lib.albums[2].name, "X");
        assert_eq!(lib.albums[2].members, vec![0, 1]);
        assert_eq!(lib.assets[1].date(), DEFAULT_DATE_MS - 3_600_000);
        assert_eq!(
            lib.assets[1].expunged_ms,
            lib.assets[1].date() + 30 * 86_400_000
        );
        assert_ne!(lib.master_name(0), lib.master_name(1));
        assert_eq!(lib.master_name(0).len(), 28);
        assert_eq!(lib.asset_name(0).len(), 36);
    }

    #[test]
    fn expected_versions_prefer_the_asset_record() {
        let lib = FakeLibrary::new().asset(FakeAsset::live("IMG_1.HEIC").edited());
        let e = expected(&lib, 0);
        let prefixes: Vec<&str> = e.versions.iter().map(|v| v.0.as_str()).collect();
        assert_eq!(
            prefixes,
            [
                "resOriginal",
                "resOriginalVidCompl",
                "resJPEGFull",
                "resJPEGMed",
                "resJPEGThumb",
                "resVidMed",
                "resVidSmall"
            ]
        );
        let thumb = lib
            .resources(0)
            .into_iter()
            .find(|r| r.prefix == Prefix::JpegThumb && r.on_asset);
        assert_eq!(
            e.version("resJPEGThumb").map(|v| v.1.to_owned()),
            thumb.map(|t| t.checksum_b64())
        );
        assert_eq!(e.filename.as_deref(), Some("IMG_1.HEIC"));
        assert_eq!(
            e.version("resOriginal").map(|v| v.1.to_owned()),
            Some(e.master_record_name.clone())
        );
    }
}
