//! [`Album`]: the whole collection, the ten smart folders and user albums, each with the
//! CloudKit index it is listed (`list_type`) and counted (`obj_type`) by.

use std::fmt;

/// The smart folders every library offers, in icloudpd's order.
///
/// They are the first ten of [`crate::Library::albums`]; their names are what icloudpd's
/// `--album` accepts for them. `RecentlyDeleted` lists what is in Recently Deleted (assets
/// with [`crate::Asset::is_deleted`]) and `Hidden` the hidden ones; the others list visible
/// assets only.
///
/// ```
/// use icloud_photos::SmartFolder;
///
/// assert_eq!(SmartFolder::ALL.len(), 10);
/// assert_eq!(SmartFolder::RecentlyDeleted.name(), "Recently Deleted");
/// assert_eq!(SmartFolder::Favorites.to_string(), "Favorites");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SmartFolder {
    /// `Time-lapse`.
    TimeLapse,
    /// `Videos`.
    Videos,
    /// `Slo-mo`.
    SloMo,
    /// `Bursts`.
    Bursts,
    /// `Favorites`.
    Favorites,
    /// `Panoramas`.
    Panoramas,
    /// `Screenshots`.
    Screenshots,
    /// `Live`.
    Live,
    /// `Recently Deleted`: assets with `isDeleted` = 1, newest deletion first.
    RecentlyDeleted,
    /// `Hidden`.
    Hidden,
}

const SMART_IN_ALBUM: &str = "CPLAssetAndMasterInSmartAlbumByAssetDate";

impl SmartFolder {
    /// Returns the ten smart folders in icloudpd's (and `--list-albums`') order.
    pub const ALL: [SmartFolder; 10] = [
        SmartFolder::TimeLapse,
        SmartFolder::Videos,
        SmartFolder::SloMo,
        SmartFolder::Bursts,
        SmartFolder::Favorites,
        SmartFolder::Panoramas,
        SmartFolder::Screenshots,
        SmartFolder::Live,
        SmartFolder::RecentlyDeleted,
        SmartFolder::Hidden,
    ];

    /// Returns the display name, e.g. `Recently Deleted`.
    pub fn name(self) -> &'static str {
        self.table().0
    }

    /// Returns (name, list_type, obj_type, smartAlbum filter).
    fn table(
        self,
    ) -> (
        &'static str,
        &'static str,
        &'static str,
        Option<&'static str>,
    ) {
        use SmartFolder::*;
        let smart = SMART_IN_ALBUM;
        match self {
            TimeLapse => (
                "Time-lapse",
                smart,
                "CPLAssetInSmartAlbumByAssetDate:Timelapse",
                Some("TIMELAPSE"),
            ),
            Videos => (
                "Videos",
                smart,
                "CPLAssetInSmartAlbumByAssetDate:Video",
                Some("VIDEO"),
            ),
            SloMo => (
                "Slo-mo",
                smart,
                "CPLAssetInSmartAlbumByAssetDate:Slomo",
                Some("SLOMO"),
            ),
            Bursts => (
                "Bursts",
                "CPLBurstStackAssetAndMasterByAssetDate",
                "CPLAssetBurstStackAssetByAssetDate",
                None,
            ),
            Favorites => (
                "Favorites",
                smart,
                "CPLAssetInSmartAlbumByAssetDate:Favorite",
                Some("FAVORITE"),
            ),
            Panoramas => (
                "Panoramas",
                smart,
                "CPLAssetInSmartAlbumByAssetDate:Panorama",
                Some("PANORAMA"),
            ),
            Screenshots => (
                "Screenshots",
                smart,
                "CPLAssetInSmartAlbumByAssetDate:Screenshot",
                Some("SCREENSHOT"),
            ),
            Live => (
                "Live",
                smart,
                "CPLAssetInSmartAlbumByAssetDate:Live",
                Some("LIVE"),
            ),
            RecentlyDeleted => (
                "Recently Deleted",
                "CPLAssetAndMasterDeletedByExpungedDate",
                "CPLAssetDeletedByExpungedDate",
                None,
            ),
            Hidden => (
                "Hidden",
                "CPLAssetAndMasterHiddenByAssetDate",
                "CPLAssetHiddenByAssetDate",
                None,
            ),
        }
    }
}

impl fmt::Display for SmartFolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What an [`Album`] is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AlbumKind {
    /// The whole collection (icloudpd without `--album`): everything neither hidden nor
    /// deleted. Not part of [`crate::Library::albums`].
    All,
    /// A smart folder.
    Smart(SmartFolder),
    /// A user album or folder (folders are listed flat, as icloudpd does).
    User {
        /// The CPLAlbum record name.
        record_name: String,
    },
}

/// A listable set of assets of one library.
///
/// An album is a description of a query, not a copy of its contents: it holds the name and
/// the CloudKit index it is listed and counted by, and is only valid with the
/// [`crate::Library`] it came from. Get the whole collection from
/// [`crate::Library::all_photos`] and the rest from [`crate::Library::albums`] or
/// [`crate::Library::album`]; then count it ([`crate::Library::count`]) and list it
/// ([`crate::Library::assets`]). [`Album::kind`] says whether it is the collection, a
/// [`SmartFolder`] or a user album (with its record name, stable across renames).
///
/// # Example
///
/// What `icloudpd --list-albums` prints, with each album's size:
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
/// use icloud_photos::{AlbumKind, PhotosClient};
///
/// let library = PhotosClient::new(&session)?.primary().await?;
/// for album in library.albums().await? {
///     let count = library.count(&album).await?;
///     let kind = match album.kind() {
///         AlbumKind::Smart(_) => "smart folder",
///         AlbumKind::User { .. } => "album",
///         _ => "other",
///     };
///     tracing::info!("{} ({kind}): {count}", album.name());
/// }
/// let rome = library.album("Rom 2019").await?;
/// assert_eq!(library.count(&rome).await?, 1);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Album {
    name: String,
    kind: AlbumKind,
    list_type: String,
    obj_type: String,
    filters: Vec<(String, String)>,
}

impl Album {
    /// Returns the whole collection.
    pub(crate) fn all() -> Album {
        Album {
            name: "All Photos".to_owned(),
            kind: AlbumKind::All,
            list_type: "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted".to_owned(),
            obj_type: "CPLAssetByAssetDateWithoutHiddenOrDeleted".to_owned(),
            filters: Vec::new(),
        }
    }

    /// Returns a smart folder.
    pub(crate) fn smart(folder: SmartFolder) -> Album {
        let (name, list_type, obj_type, smart) = folder.table();
        Album {
            name: name.to_owned(),
            kind: AlbumKind::Smart(folder),
            list_type: list_type.to_owned(),
            obj_type: obj_type.to_owned(),
            filters: smart
                .map(|v| vec![("smartAlbum".to_owned(), v.to_owned())])
                .unwrap_or_default(),
        }
    }

    /// Returns a user album.
    pub(crate) fn user(name: String, record_name: String) -> Album {
        Album {
            name,
            list_type: "CPLContainerRelationLiveByAssetDate".to_owned(),
            obj_type: format!("CPLContainerRelationNotDeletedByAssetDate:{record_name}"),
            filters: vec![("parentId".to_owned(), record_name.clone())],
            kind: AlbumKind::User { record_name },
        }
    }

    /// Returns the display name (`All Photos` for the whole collection).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Returns what the album is.
    pub fn kind(&self) -> &AlbumKind {
        &self.kind
    }

    /// Returns the CloudKit index that lists it (`query.recordType`).
    pub fn list_type(&self) -> &str {
        &self.list_type
    }

    /// Returns the CloudKit index that counts it (`indexCountID`).
    pub fn obj_type(&self) -> &str {
        &self.obj_type
    }

    /// Returns the extra `filterBy` entries (`smartAlbum` or `parentId`) as (field, value).
    pub fn filters(&self) -> &[(String, String)] {
        &self.filters
    }

    /// Returns `true` for Recently Deleted, whose assets carry `isDeleted` = 1.
    pub(crate) fn lists_deleted(&self) -> bool {
        self.kind == AlbumKind::Smart(SmartFolder::RecentlyDeleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smart_folders_follow_the_table() {
        let names: Vec<_> = SmartFolder::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(
            names,
            [
                "Time-lapse",
                "Videos",
                "Slo-mo",
                "Bursts",
                "Favorites",
                "Panoramas",
                "Screenshots",
                "Live",
                "Recently Deleted",
                "Hidden"
            ]
        );
        let fav = Album::smart(SmartFolder::Favorites);
        assert_eq!(fav.list_type(), "CPLAssetAndMasterInSmartAlbumByAssetDate");
        assert_eq!(fav.obj_type(), "CPLAssetInSmartAlbumByAssetDate:Favorite");
        assert_eq!(fav.filters(), [("smartAlbum".into(), "FAVORITE".into())]);
        let rd = Album::smart(SmartFolder::RecentlyDeleted);
        assert!(rd.filters().is_empty() && rd.lists_deleted());
        assert_eq!(rd.list_type(), "CPLAssetAndMasterDeletedByExpungedDate");
        assert_eq!(
            Album::smart(SmartFolder::Bursts).obj_type(),
            "CPLAssetBurstStackAssetByAssetDate"
        );
    }

    #[test]
    fn user_albums_filter_by_parent() {
        let a = Album::user("Jörg".into(), "2076BCB0".into());
        assert_eq!(a.list_type(), "CPLContainerRelationLiveByAssetDate");
        assert_eq!(
            a.obj_type(),
            "CPLContainerRelationNotDeletedByAssetDate:2076BCB0"
        );
        assert_eq!(a.filters(), [("parentId".into(), "2076BCB0".into())]);
        assert_eq!(
            a.kind(),
            &AlbumKind::User {
                record_name: "2076BCB0".into()
            }
        );
        let all = Album::all();
        assert_eq!(
            (all.kind(), all.obj_type()),
            (&AlbumKind::All, "CPLAssetByAssetDateWithoutHiddenOrDeleted")
        );
    }
}
