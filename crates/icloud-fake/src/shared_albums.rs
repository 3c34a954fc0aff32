//! Shared albums (the legacy "shared photo streams" of `pNN-sharedstreams.icloud.com`):
//! [`FakeSharedStreams`], one account's service, its [`FakeSharedAlbum`]s, and what a correct
//! client sees ([`ExpectedSharedAlbum`]). The HTTP side is `crate::sharedstreams`.

use sha2::{Digest, Sha256};

use crate::library::{ExpectedAsset, FakeAsset, FakeLibrary, Prefix, Res, mix, uuid};

/// The partition the service is announced on unless [`FakeSharedStreams::partition`] says
/// otherwise (`p42-sharedstreams.icloud.com`).
pub(crate) const DEFAULT_PARTITION: u16 = 42;

/// 2025-01-01T00:00:00Z in ms: when generated items start being added.
const ADDED_FROM_MS: i64 = 1_735_689_600_000;

/// The resources a shared album serves: Apple's reduced copy, its renderings and a live
/// photo's motion part; never edits, RAW alternatives or the CPLAsset's resources.
const SHARED_PREFIXES: [Prefix; 6] = [
    Prefix::Original,
    Prefix::OriginalVidCompl,
    Prefix::JpegMed,
    Prefix::JpegThumb,
    Prefix::VidMed,
    Prefix::VidSmall,
];

/// How a request on the wrong partition is told where to go (the spec's HTTP 330 variants).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PartitionRedirect {
    /// 330 with the JSON body `{"X-Apple-MMe-Host": "<host>"}` and the same value in an
    /// `X-Apple-MMe-Host` header (default).
    #[default]
    BodyAndHeader,
    /// 330 with the header only and an empty body.
    HeaderOnly,
    /// 330 with the JSON body only.
    BodyOnly,
    /// 330 with neither: the client cannot know where to go.
    Empty,
    /// 330 naming a host that is no `pNN-sharedstreams.icloud.com` (`evil.example.com`).
    InvalidHost,
    /// Every request, on any partition, is answered 330 naming another partition (a loop).
    Loop,
}

/// The shared-albums service of one account: its albums and how it behaves, configured
/// builder-style and given to [`crate::FakeAccount::shared_albums`].
///
/// Defaults: no albums, announced and living on partition 42
/// (`p42-sharedstreams.icloud.com`), redirects as [`PartitionRedirect::BodyAndHeader`], 401 to
/// requests without a live web session, JSON booleans, `albumctag` ignored, pages as long as
/// asked.
///
/// ```
/// use icloud_fake::{FakeAccount, FakeAsset, FakeSharedAlbum, FakeSharedStreams};
///
/// let streams = FakeSharedStreams::new()
///     .album(FakeSharedAlbum::owned("Family").public().item(FakeAsset::photo("IMG_1.JPG")))
///     .album(FakeSharedAlbum::subscribed("Trip").partition(108).generated(250, 7));
/// let account = FakeAccount::new("jdoe@gmail.com", "password1").shared_albums(streams);
/// # let _ = account;
/// ```
#[derive(Clone, Debug)]
pub struct FakeSharedStreams {
    pub(crate) albums: Vec<FakeSharedAlbum>,
    pub(crate) partition: u16,
    pub(crate) home: Option<u16>,
    pub(crate) redirect: PartitionRedirect,
    pub(crate) auth_status: u16,
    pub(crate) string_booleans: bool,
    pub(crate) reject_stale_ctag: bool,
    pub(crate) page_cap: Option<usize>,
    pub(crate) repeat_across_pages: bool,
}

impl Default for FakeSharedStreams {
    fn default() -> Self {
        FakeSharedStreams::new()
    }
}

impl FakeSharedStreams {
    /// Returns a service without albums, with the defaults described on the type.
    pub fn new() -> Self {
        FakeSharedStreams {
            albums: Vec::new(),
            partition: DEFAULT_PARTITION,
            home: None,
            redirect: PartitionRedirect::default(),
            auth_status: 401,
            string_booleans: false,
            reject_stale_ctag: false,
            page_cap: None,
            repeat_across_pages: false,
        }
    }

    /// Returns a deterministic service of seven albums covering what the spec asks a fake to
    /// have: owned and subscribed albums, a public one (`publicurl`), two albums called
    /// `Trip`, a name needing cleaning (`a/b:c?`), a unicode name, an empty album, one album
    /// on another partition (p108) than the service (p42), and `Urlaub 2025` of 230 items
    /// (three pages of 100). Items mix JPEG and HEIC photos, HEIC live photos and MPEG-4
    /// videos; `Family 2026` holds two `IMG_0001.JPG` from different contributors.
    pub fn generated(seed: u64) -> Self {
        let s = |k: u64| mix(seed, k);
        FakeSharedStreams::new()
            .album(
                FakeSharedAlbum::owned("Family 2026")
                    .public()
                    .partition(108)
                    .generated(10, s(1))
                    .item(FakeAsset::photo("IMG_0001.JPG"))
                    .item(FakeAsset::photo("IMG_0001.JPG")),
            )
            .album(FakeSharedAlbum::subscribed("Trip").generated(5, s(2)))
            .album(FakeSharedAlbum::owned("Trip").generated(3, s(3)))
            .album(FakeSharedAlbum::owned("a/b:c?").generated(2, s(4)))
            .album(FakeSharedAlbum::subscribed("Jörg's Café 東京 🎉").generated(4, s(5)))
            .album(FakeSharedAlbum::owned("Leer"))
            .album(FakeSharedAlbum::subscribed("Urlaub 2025").generated(230, s(6)))
    }

    /// Adds an album (listed after the ones already added).
    #[must_use]
    pub fn album(mut self, album: FakeSharedAlbum) -> Self {
        self.albums.push(album);
        self
    }

    /// Sets the partition `webservices.sharedstreams.url` names (default 42).
    #[must_use]
    pub fn partition(mut self, n: u16) -> Self {
        self.partition = n;
        self
    }

    /// Makes the account live on partition `n` (default: the announced one): account-level
    /// calls sent to the announced partition are answered 330 naming `pNN` of `n`, and albums
    /// without a partition of their own are placed there.
    #[must_use]
    pub fn lives_on(mut self, n: u16) -> Self {
        self.home = Some(n);
        self
    }

    /// Sets how wrong-partition requests are answered (default
    /// [`PartitionRedirect::BodyAndHeader`]).
    #[must_use]
    pub fn redirect(mut self, how: PartitionRedirect) -> Self {
        self.redirect = how;
        self
    }

    /// Sets the status of requests without a live web session (default 401; Python's session
    /// layer knows 421 as "authentication required").
    #[must_use]
    pub fn auth_status(mut self, status: u16) -> Self {
        self.auth_status = status;
        self
    }

    /// Sends the album booleans as the strings `"1"`/`"0"` and `creationDate` as a number,
    /// as some clients expect (default: JSON booleans and a string `creationDate`).
    #[must_use]
    pub fn string_booleans(mut self) -> Self {
        self.string_booleans = true;
        self
    }

    /// Answers `webgetassets` with 409 `{}` when it carries an `albumctag` other than the
    /// album's current one (default: `albumctag` is ignored).
    #[must_use]
    pub fn reject_stale_ctag(mut self) -> Self {
        self.reject_stale_ctag = true;
        self
    }

    /// Returns at most `n` items per `webgetassets`, whatever range was asked (default: the
    /// whole range): Apple's page cap is unknown.
    #[must_use]
    pub fn page_cap(mut self, n: usize) -> Self {
        self.page_cap = Some(n.max(1));
        self
    }

    /// Repeats the item before `offset` at the start of every page after the first: one
    /// item on two pages (default off).
    #[must_use]
    pub fn repeat_across_pages(mut self) -> Self {
        self.repeat_across_pages = true;
        self
    }

    /// Returns the partition the account lives on.
    pub(crate) fn home(&self) -> u16 {
        self.home.unwrap_or(self.partition)
    }
}

/// One shared album, configured builder-style.
///
/// Defaults: not public, contributions allowed, `albumlocation` on the account's partition,
/// a GUID and a location token derived from the account and the album's position, created
/// 2024-12-01. Items are served in the order they were added; an item without an explicit
/// added date is added one hour after the one before it, from 2025-01-01, and was taken a
/// day before it was added.
#[derive(Clone, Debug)]
pub struct FakeSharedAlbum {
    pub(crate) name: String,
    pub(crate) owned: bool,
    pub(crate) public: bool,
    pub(crate) contributions: bool,
    pub(crate) partition: Option<u16>,
    pub(crate) lives_on: Option<u16>,
    pub(crate) guid: Option<String>,
    pub(crate) created_ms: i64,
    pub(crate) items: Vec<FakeAsset>,
}

impl FakeSharedAlbum {
    fn new(name: &str, owned: bool) -> Self {
        FakeSharedAlbum {
            name: name.to_owned(),
            owned,
            public: false,
            contributions: true,
            partition: None,
            lives_on: None,
            guid: None,
            created_ms: 1_733_011_200_000,
            items: Vec::new(),
        }
    }

    /// Returns an album the account owns (`sharingtype` `owned`).
    pub fn owned(name: &str) -> Self {
        FakeSharedAlbum::new(name, true)
    }

    /// Returns an album of someone else the account subscribed to (`sharingtype`
    /// `subscribed`, another `ownerdsid`).
    pub fn subscribed(name: &str) -> Self {
        FakeSharedAlbum::new(name, false)
    }

    /// Turns the public website on (`ispublic`, `publicurl`).
    #[must_use]
    pub fn public(mut self) -> Self {
        self.public = true;
        self
    }

    /// Sets `allowcontributions` (default `true`).
    #[must_use]
    pub fn contributions(mut self, yes: bool) -> Self {
        self.contributions = yes;
        self
    }

    /// Places the album on partition `n`: its `albumlocation` names `pNN-sharedstreams` of `n`
    /// (default: the account's partition).
    #[must_use]
    pub fn partition(mut self, n: u16) -> Self {
        self.partition = Some(n);
        self
    }

    /// Moves the album to partition `n` after its `albumlocation` was handed out: calls sent
    /// to the location are answered 330 naming `n` (default: it lives where its location
    /// says).
    #[must_use]
    pub fn moved_to(mut self, n: u16) -> Self {
        self.lives_on = Some(n);
        self
    }

    /// Sets the `albumguid` (default derived, an upper-case UUID).
    #[must_use]
    pub fn guid(mut self, guid: &str) -> Self {
        self.guid = Some(guid.to_owned());
        self
    }

    /// Sets the album's `creationDate` (ms since the epoch).
    #[must_use]
    pub fn created_ms(mut self, ms: i64) -> Self {
        self.created_ms = ms;
        self
    }

    /// Adds an item. Photos, videos (served as they are configured; Apple's copies are
    /// MPEG-4) and live photos are served with `resOriginal…`, `resJPEGMed…`,
    /// `resJPEGThumb…`, videos with `resVidMed…`/`resVidSmall…`, live photos with
    /// `resOriginalVidCompl…`, `resVidMed…` and `resVidSmall…`; edits, RAW alternatives,
    /// favorites, hidden and deleted flags do not exist in shared albums and are ignored.
    /// `without_filename` and `without_resource` work as in a library.
    #[must_use]
    pub fn item(mut self, item: FakeAsset) -> Self {
        self.items.push(item);
        self
    }

    /// Adds `n` deterministic items (seed `seed`): JPEG and HEIC photos, HEIC live photos and
    /// MPEG-4 videos called `IMG_<n>`, with an occasional repeated name.
    #[must_use]
    pub fn generated(mut self, n: usize, seed: u64) -> Self {
        for i in 0..n {
            let r = mix(seed, i as u64);
            let number = if r % 17 == 3 && i > 0 { i } else { i + 1 };
            let stem = format!("IMG_{:04}", 1000 + number % 9000);
            let item = match r % 100 {
                0..=49 => FakeAsset::photo(&format!("{stem}.JPG")),
                50..=69 => FakeAsset::photo(&format!("{stem}.HEIC")),
                70..=84 => FakeAsset::live(&format!("{stem}.HEIC")),
                _ => FakeAsset::video(&format!("{stem}.MP4")),
            };
            self.items.push(item);
        }
        self
    }
}

/// A shared album as served: its configuration, derived ids and items.
#[derive(Clone, Debug)]
pub(crate) struct ServedAlbum {
    /// Owning account (lower-cased Apple ID).
    pub(crate) account: String,
    pub(crate) name: String,
    pub(crate) owned: bool,
    pub(crate) public: bool,
    pub(crate) contributions: bool,
    pub(crate) guid: String,
    /// The per-album path segment of `albumlocation`.
    pub(crate) token: String,
    /// Partition `albumlocation` names.
    pub(crate) location: u16,
    /// Partition the album answers on.
    pub(crate) home: u16,
    pub(crate) owner_dsid: String,
    pub(crate) created_ms: i64,
    /// Bumped when the album changes; rendered into `albumctag`.
    pub(crate) ctag: u32,
    /// The items, as a library (record names, resources, bytes).
    pub(crate) lib: FakeLibrary,
}

impl ServedAlbum {
    /// Returns `albumctag`.
    pub(crate) fn ctag(&self) -> String {
        format!("FT;{};{}", &self.token[..6], self.ctag)
    }

    /// Returns the public website's URL, if public.
    pub(crate) fn public_url(&self) -> Option<String> {
        self.public.then(|| {
            format!(
                "https://www.icloud.com/sharedalbum/#B2{}",
                base62(digest(&["public", &self.guid]), 13)
            )
        })
    }

    /// Adds an item at the end of the album (a contributor's upload) and bumps the ctag;
    /// returns its CPLAsset record name.
    pub(crate) fn push(&mut self, item: FakeAsset) -> String {
        let i = self.lib.len();
        let item = with_dates(item, i, self.lib.assets.last());
        self.lib = std::mem::take(&mut self.lib).asset(item);
        self.ctag += 1;
        self.lib.asset_name(i)
    }

    /// Returns the resources of item `i` that the album serves.
    pub(crate) fn resources(&self, i: usize) -> Vec<Res> {
        self.lib
            .resources(i)
            .into_iter()
            .filter(|r| !r.on_asset && SHARED_PREFIXES.contains(&r.prefix))
            .collect()
    }

    /// Returns item `i` as a correct client lists it.
    pub(crate) fn expected(&self, i: usize) -> ExpectedAsset {
        let res = self.resources(i);
        let a = &self.lib.assets[i];
        ExpectedAsset {
            asset_record_name: self.lib.asset_name(i),
            master_record_name: self.lib.master_name(i),
            filename: a.decoded_filename(),
            versions: res
                .iter()
                .map(|r| (r.prefix.name().to_owned(), r.size, r.checksum_b64()))
                .collect(),
            file_types: res
                .iter()
                .map(|r| (r.prefix.name().to_owned(), r.uti.as_str().to_owned()))
                .collect(),
            item_type: None,
            asset_date_ms: a.date(),
        }
    }
}

/// One shared album as a correct client sees it ([`crate::FakeICloud::expected_shared_albums`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedSharedAlbum {
    /// `albumguid`.
    pub guid: String,
    /// `attributes.name`.
    pub name: String,
    /// `sharingtype` is `owned` (else `subscribed`).
    pub owned: bool,
    /// `ownerdsid`.
    pub owner_dsid: String,
    /// `publicurl`, for a public album.
    pub public_url: Option<String>,
    /// The partition the album answers on (`pNN-sharedstreams.icloud.com`).
    pub partition: u16,
    /// The items in album order. `item_type` is `None` (shared masters carry none),
    /// `asset_date_ms` is `originalCreationDate`, and `versions` lists only what the album
    /// serves (sizes as in `res…FileSize`; the records' `res…Res.size` is 0).
    pub assets: Vec<ExpectedAsset>,
}

impl ExpectedSharedAlbum {
    /// Returns how many items `webgetassetcount` reports.
    pub fn count(&self) -> usize {
        self.assets.len()
    }
}

/// Returns 32 bytes of SHA-256 over `parts`.
fn digest(parts: &[&str]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.finalize().into()
}

/// Encodes the leading bytes of `bytes` as `n` base-62 characters.
fn base62(bytes: [u8; 32], n: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    bytes
        .iter()
        .cycle()
        .take(n)
        .map(|b| char::from(ALPHABET[usize::from(*b) % 62]))
        .collect()
}

/// Returns a dsid-shaped number (11 digits) for `seed`.
fn dsid_of(seed: &str) -> String {
    let d = digest(&["dsid", seed]);
    let n = u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]);
    (10_000_000_000 + n % 90_000_000_000).to_string()
}

/// Gives item `i` its dates unless it has them: added an hour after `previous`, taken a day
/// before it was added.
fn with_dates(mut item: FakeAsset, i: usize, previous: Option<&FakeAsset>) -> FakeAsset {
    if item.added_ms.is_none() {
        let added = previous.map_or(ADDED_FROM_MS + i as i64 * 3_600_000, |p| {
            p.added() + 3_600_000
        });
        item.added_ms = Some(added);
    }
    if item.date_ms.is_none() {
        item.date_ms = Some(item.added_ms.unwrap_or(ADDED_FROM_MS) - 86_400_000);
    }
    item
}

/// Builds the served albums of account `key` (dsid `dsid`), moving them out of `streams`.
pub(crate) fn serve(key: &str, dsid: &str, streams: &mut FakeSharedStreams) -> Vec<ServedAlbum> {
    let home = streams.home();
    std::mem::take(&mut streams.albums)
        .into_iter()
        .enumerate()
        .map(|(n, album)| {
            let position = n.to_string();
            let id = digest(&[key, &position, &album.name]);
            let seed = u64::from_be_bytes([id[0], id[1], id[2], id[3], id[4], id[5], id[6], id[7]]);
            let guid = album.guid.unwrap_or_else(|| uuid(seed));
            let location = album.partition.unwrap_or(home);
            let mut lib = FakeLibrary::with_seed(seed);
            for (i, item) in album.items.into_iter().enumerate() {
                let item = with_dates(item, i, lib.assets.last());
                lib = lib.asset(item);
            }
            ServedAlbum {
                account: key.to_owned(),
                owner_dsid: if album.owned {
                    dsid.to_owned()
                } else {
                    dsid_of(&guid)
                },
                token: base62(digest(&["token", &guid, key]), 27),
                name: album.name,
                owned: album.owned,
                public: album.public,
                contributions: album.contributions,
                guid,
                location,
                home: album.lives_on.unwrap_or(location),
                created_ms: album.created_ms,
                ctag: 1 + (seed % 500) as u32,
                lib,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_covers_the_checklist() {
        let mut s = FakeSharedStreams::generated(3);
        let albums = serve("a@b.c", "12345678901", &mut s);
        assert_eq!(albums.len(), 7);
        assert!(albums.iter().any(|a| a.owned) && albums.iter().any(|a| !a.owned));
        assert_eq!(albums.iter().filter(|a| a.name == "Trip").count(), 2);
        assert!(albums.iter().any(|a| a.public_url().is_some()));
        assert!(albums.iter().any(|a| a.lib.is_empty()));
        assert!(albums.iter().any(|a| a.location != DEFAULT_PARTITION));
        assert!(albums.iter().any(|a| a.lib.len() > 200));
        let big = albums.iter().find(|a| a.lib.len() > 200).unwrap();
        assert!(big.lib.assets.iter().any(|x| x.is_live()));
        assert!(big.lib.assets.iter().any(|x| x.is_video()));
        let added: Vec<i64> = big.lib.assets.iter().map(FakeAsset::added).collect();
        assert!(
            added.windows(2).all(|w| w[0] < w[1]),
            "album order is added order"
        );
        let again = serve("a@b.c", "12345678901", &mut FakeSharedStreams::generated(3));
        assert_eq!(albums[6].guid, again[6].guid);
        assert_eq!(albums[6].lib.master_name(5), again[6].lib.master_name(5));
        assert_ne!(albums[1].guid, albums[2].guid);
        assert_eq!(albums[0].owner_dsid, "12345678901");
        assert_ne!(albums[1].owner_dsid, "12345678901");
    }

    #[test]
    fn served_resources_are_the_shared_subset() {
        let mut s = FakeSharedStreams::new().album(
            FakeSharedAlbum::owned("x")
                .item(FakeAsset::raw_plus_jpeg("a.CR2").edited())
                .item(FakeAsset::live("b.HEIC"))
                .item(FakeAsset::video("c.MP4")),
        );
        let a = &serve("k", "1", &mut s)[0];
        let prefixes =
            |i| -> Vec<&str> { a.resources(i).iter().map(|r| r.prefix.name()).collect() };
        assert_eq!(prefixes(0), ["resOriginal", "resJPEGMed", "resJPEGThumb"]);
        assert_eq!(
            prefixes(1),
            [
                "resOriginal",
                "resJPEGMed",
                "resJPEGThumb",
                "resOriginalVidCompl",
                "resVidMed",
                "resVidSmall"
            ]
        );
        assert_eq!(a.expected(2).versions.len(), 5);
        assert_eq!(a.expected(2).item_type, None);
    }
}
