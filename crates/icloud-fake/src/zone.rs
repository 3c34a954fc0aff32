//! One served library zone: its [`FakeLibrary`], the indexes CloudKit queries walk (with
//! paging by rank), counts, change sequence numbers and the truth queries built on them.
//!
//! CloudKit lists a photo library through indexes: one for the whole collection, one per
//! smart folder (Favorites, Videos, Hidden, Recently Deleted, …) and one per user album.
//! Each index is an ordered rank space, newest first. A page asked for with `startRank = k`
//! and `resultsLimit = 2n` holds the assets at ranks `[k, k + n)`: first all their CPLMaster
//! records, then their CPLAsset records, because every asset is a pair. A `startRank` past
//! the end answers an empty page with a sync token, which is how a client knows it is done.
//!
//! The ranks of an index ([`Slot`]s) are computed when first asked for and cached
//! ([`Zone::slots`]) rather than per page, so a client paging through 100k assets costs a
//! slice per page. A modification (delete, hide, favourite, an asset added or revised by the
//! test) bumps the zone's change counter and drops the cache: later ranks shift at once, as
//! they do at Apple, which is what makes a client that pages by rank while the library
//! changes miss or repeat assets.
//!
//! Rank anomalies configured on the [`FakeLibrary`] (empty pages, blocks of deleted records)
//! occupy ranks in the rank space without counting as assets: they reproduce Apple's
//! listings that have holes, and the truth queries
//! ([`crate::FakeICloud::expected_listing`]) skip them, because they describe what a correct
//! client ends up with, not what the wire says.

use std::collections::{BTreeMap, HashMap};

use crate::library::{self, AlbumKind, ExpectedAsset, FakeLibrary, flag};

/// Which CloudKit database a zone lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Db {
    /// `/private`.
    Private,
    /// `/shared`.
    Shared,
}

impl Db {
    /// Parses the path segment.
    pub(crate) fn parse(s: &str) -> Option<Db> {
        match s {
            "private" => Some(Db::Private),
            "shared" => Some(Db::Shared),
            _ => None,
        }
    }
}

/// The ten smart folders, in icloudpd's album-map order (Recently Deleted and Hidden are
/// separate [`Index`] variants).
pub(crate) const SMART_FOLDERS: [&str; 10] = [
    "Time-lapse",
    "Videos",
    "Slo-mo",
    "Bursts",
    "Favorites",
    "Panoramas",
    "Screenshots",
    "Live",
    "Recently Deleted",
    "Hidden",
];

/// A smart album selected by the `smartAlbum` filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Smart {
    Timelapse,
    Video,
    Slomo,
    Favorite,
    Panorama,
    Screenshot,
    Live,
}

impl Smart {
    /// Parses a `smartAlbum` filter value (`VIDEO`).
    pub(crate) fn from_filter(v: &str) -> Option<Smart> {
        Some(match v {
            "TIMELAPSE" => Smart::Timelapse,
            "VIDEO" => Smart::Video,
            "SLOMO" => Smart::Slomo,
            "FAVORITE" => Smart::Favorite,
            "PANORAMA" => Smart::Panorama,
            "SCREENSHOT" => Smart::Screenshot,
            "LIVE" => Smart::Live,
            _ => return None,
        })
    }

    /// Parses the suffix of a count id (`CPLAssetInSmartAlbumByAssetDate:Video`).
    fn from_count_suffix(v: &str) -> Option<Smart> {
        Some(match v {
            "Timelapse" => Smart::Timelapse,
            "Video" => Smart::Video,
            "Slomo" => Smart::Slomo,
            "Favorite" => Smart::Favorite,
            "Panorama" => Smart::Panorama,
            "Screenshot" => Smart::Screenshot,
            "Live" => Smart::Live,
            _ => return None,
        })
    }
}

/// An ordered set of assets a listing walks.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Index {
    /// The whole collection (`…ByAssetDateWithoutHiddenOrDeleted`), with rank anomalies.
    Whole,
    /// Legacy `CPLAssetAndMasterByAddedDate`: live assets, newest added first.
    AddedDate,
    /// A `smartAlbum`.
    Smart(Smart),
    /// Bursts.
    Bursts,
    /// Recently Deleted, by `dateExpunged` descending.
    Deleted,
    /// Hidden.
    Hidden,
    /// A user album (its record name).
    Album(String),
}

impl Index {
    /// Returns the index of a `records/query` list type and its extra filters.
    pub(crate) fn from_list(
        list_type: &str,
        smart: Option<&str>,
        parent: Option<&str>,
    ) -> Result<Index, String> {
        Ok(match list_type {
            "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted" => Index::Whole,
            "CPLAssetAndMasterByAddedDate" => Index::AddedDate,
            "CPLAssetAndMasterInSmartAlbumByAssetDate" => {
                let v = smart.ok_or("missing smartAlbum filter")?;
                Index::Smart(Smart::from_filter(v).ok_or(format!("unknown smartAlbum {v}"))?)
            }
            "CPLBurstStackAssetAndMasterByAssetDate" => Index::Bursts,
            "CPLAssetAndMasterDeletedByExpungedDate" => Index::Deleted,
            "CPLAssetAndMasterHiddenByAssetDate" => Index::Hidden,
            "CPLContainerRelationLiveByAssetDate" => {
                Index::Album(parent.ok_or("missing parentId filter")?.to_owned())
            }
            other => return Err(format!("unknown record type {other}")),
        })
    }

    /// Returns the index counted by a `HyperionIndexCountLookup` `indexCountID`.
    pub(crate) fn from_count_id(id: &str) -> Option<Index> {
        Some(match id.split_once(':') {
            Some(("CPLAssetInSmartAlbumByAssetDate", s)) => {
                Index::Smart(Smart::from_count_suffix(s)?)
            }
            Some(("CPLContainerRelationNotDeletedByAssetDate", s)) => Index::Album(s.to_owned()),
            Some(_) => return None,
            None => match id {
                "CPLAssetByAssetDateWithoutHiddenOrDeleted" => Index::Whole,
                "CPLAssetByAddedDate" => Index::AddedDate,
                "CPLAssetBurstStackAssetByAssetDate" => Index::Bursts,
                "CPLAssetDeletedByExpungedDate" => Index::Deleted,
                "CPLAssetHiddenByAssetDate" => Index::Hidden,
                _ => return None,
            },
        })
    }

    /// Returns the index of a smart folder name (`Favorites`).
    fn from_folder_name(name: &str) -> Option<Index> {
        Some(match name {
            "Time-lapse" => Index::Smart(Smart::Timelapse),
            "Videos" => Index::Smart(Smart::Video),
            "Slo-mo" => Index::Smart(Smart::Slomo),
            "Bursts" => Index::Bursts,
            "Favorites" => Index::Smart(Smart::Favorite),
            "Panoramas" => Index::Smart(Smart::Panorama),
            "Screenshots" => Index::Smart(Smart::Screenshot),
            "Live" => Index::Smart(Smart::Live),
            "Recently Deleted" => Index::Deleted,
            "Hidden" => Index::Hidden,
            _ => return None,
        })
    }
}

/// One rank of an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    /// A CPLMaster/CPLAsset pair: asset number in the library.
    Asset(u32),
    /// A rank that emits nothing.
    Empty,
    /// A rank that emits a deleted record; the number makes its record name unique.
    Deleted(u32),
}

/// Something `changes/zone` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Item {
    /// An album record (library album number).
    Album(u32),
    /// A master/asset pair (library asset number).
    Asset(u32),
}

/// One served zone.
#[derive(Debug)]
pub(crate) struct Zone {
    /// Zone name (`PrimarySync`).
    pub(crate) name: String,
    /// Database.
    pub(crate) db: Db,
    /// `ownerRecordName`.
    pub(crate) owner: String,
    /// Lower-cased Apple ID of the account that sees the zone.
    pub(crate) account: String,
    /// A shared library (records carry `contributors`).
    pub(crate) shared: bool,
    /// Contents.
    pub(crate) lib: FakeLibrary,
    /// Zone change counter (the zone sync token).
    pub(crate) counter: u64,
    /// Value of the database counter when this zone last changed.
    pub(crate) db_seq: u64,
    /// Change feed: sequence number → item.
    pub(crate) changes: BTreeMap<u64, Item>,
    asset_seq: Vec<u64>,
    album_seq: Vec<u64>,
    by_date: Option<Vec<u32>>,
    slots: HashMap<Index, Vec<Slot>>,
    names: Option<HashMap<String, u32>>,
    master_names: Option<HashMap<String, u32>>,
}

impl Zone {
    /// Serves `lib` as zone `name`.
    pub(crate) fn new(name: &str, db: Db, owner: String, account: &str, lib: FakeLibrary) -> Self {
        let mut zone = Zone {
            name: name.to_owned(),
            db,
            owner,
            account: account.to_owned(),
            shared: name.starts_with("SharedSync-"),
            lib,
            counter: 0,
            db_seq: 0,
            changes: BTreeMap::new(),
            asset_seq: Vec::new(),
            album_seq: Vec::new(),
            by_date: None,
            slots: HashMap::new(),
            names: None,
            master_names: None,
        };
        for i in 0..zone.lib.albums.len() {
            zone.counter += 1;
            zone.album_seq.push(zone.counter);
            zone.changes.insert(zone.counter, Item::Album(i as u32));
        }
        for i in 0..zone.lib.assets.len() {
            zone.counter += 1;
            zone.asset_seq.push(zone.counter);
            zone.changes.insert(zone.counter, Item::Asset(i as u32));
        }
        zone
    }

    /// Records that asset `i` changed: new change sequence number, caches dropped.
    pub(crate) fn touch_asset(&mut self, i: usize) {
        self.changes.remove(&self.asset_seq[i]);
        self.counter += 1;
        self.asset_seq[i] = self.counter;
        self.changes.insert(self.counter, Item::Asset(i as u32));
        self.slots.clear();
    }

    /// Adds `asset` to the library as a new upload does: it gets its record names, a new
    /// change sequence number, and caches are dropped. Returns its number.
    pub(crate) fn push_asset(&mut self, asset: crate::FakeAsset) -> usize {
        let lib = std::mem::take(&mut self.lib);
        self.lib = lib.asset(asset);
        let i = self.lib.assets.len() - 1;
        self.counter += 1;
        self.asset_seq.push(self.counter);
        self.changes.insert(self.counter, Item::Asset(i as u32));
        self.by_date = None;
        self.slots.clear();
        self.names = None;
        self.master_names = None;
        i
    }

    /// Returns the asset whose CPLAsset record is called `name`.
    pub(crate) fn asset_by_name(&mut self, name: &str) -> Option<usize> {
        if self.names.is_none() {
            let map = (0..self.lib.assets.len())
                .map(|i| (self.lib.asset_name(i), i as u32))
                .collect();
            self.names = Some(map);
        }
        self.names
            .as_ref()
            .and_then(|m| m.get(name))
            .map(|&i| i as usize)
    }

    /// Returns the asset whose CPLMaster record is called `name` (the first one, should several
    /// assets share a master).
    pub(crate) fn master_by_name(&mut self, name: &str) -> Option<usize> {
        if self.master_names.is_none() {
            let mut map = HashMap::new();
            for i in (0..self.lib.assets.len()).rev() {
                map.insert(self.lib.master_name(i), i as u32);
            }
            self.master_names = Some(map);
        }
        self.master_names
            .as_ref()
            .and_then(|m| m.get(name))
            .map(|&i| i as usize)
    }

    /// Asset numbers, newest capture first (ties: newest added, then id).
    fn by_date(&mut self) -> &[u32] {
        let assets = &self.lib.assets;
        self.by_date.get_or_insert_with(|| {
            let mut order: Vec<u32> = (0..assets.len() as u32).collect();
            order.sort_by_key(|&i| {
                let a = &assets[i as usize];
                (
                    std::cmp::Reverse(a.date()),
                    std::cmp::Reverse(a.added()),
                    a.uid,
                )
            });
            order
        })
    }

    /// Returns whether asset `i` belongs to `index` (albums aside).
    fn member(&self, index: &Index, i: usize) -> bool {
        let a = &self.lib.assets[i];
        let live = !a.has(flag::DELETED | flag::HIDDEN);
        match index {
            Index::Whole | Index::AddedDate | Index::Album(_) => live,
            Index::Smart(s) => {
                live && match s {
                    Smart::Video => a.is_video(),
                    Smart::Live => a.is_live(),
                    Smart::Favorite => a.has(flag::FAVORITE),
                    Smart::Screenshot => a.has(flag::SCREENSHOT),
                    Smart::Panorama => a.has(flag::PANORAMA),
                    Smart::Slomo => a.is_video() && a.has(flag::SLOMO),
                    Smart::Timelapse => a.is_video() && a.has(flag::TIMELAPSE),
                }
            }
            Index::Bursts => live && a.has(flag::BURST),
            Index::Deleted => a.has(flag::DELETED),
            Index::Hidden => a.has(flag::HIDDEN) && !a.has(flag::DELETED),
        }
    }

    /// Returns the ranks of `index`, computing and caching them.
    pub(crate) fn slots(&mut self, index: &Index) -> &[Slot] {
        if !self.slots.contains_key(index) {
            let slots = self.compute(index);
            self.slots.insert(index.clone(), slots);
        }
        self.slots.get(index).map(Vec::as_slice).unwrap_or_default()
    }

    fn compute(&mut self, index: &Index) -> Vec<Slot> {
        let order = self.by_date().to_vec();
        let assets = &self.lib.assets;
        let mut members: Vec<u32> = match index {
            Index::Album(id) => {
                let album = self
                    .lib
                    .albums
                    .iter()
                    .find(|a| a.id() == id && a.kind == AlbumKind::Album && !a.deleted);
                let Some(album) = album else {
                    return Vec::new();
                };
                let mut rank = vec![u32::MAX; assets.len()];
                for (r, &i) in order.iter().enumerate() {
                    rank[i as usize] = r as u32;
                }
                let mut m: Vec<u32> = album
                    .members
                    .iter()
                    .copied()
                    .filter(|&i| self.member(index, i as usize))
                    .collect();
                m.sort_by_key(|&i| rank[i as usize]);
                m.dedup();
                m
            }
            _ => order
                .iter()
                .copied()
                .filter(|&i| self.member(index, i as usize))
                .collect(),
        };
        match index {
            Index::Deleted => {
                // Stable: ties keep capture-date order.
                members.sort_by_key(|&i| std::cmp::Reverse(assets[i as usize].expunged_ms));
            }
            Index::AddedDate => {
                members.sort_by_key(|&i| std::cmp::Reverse(assets[i as usize].added()));
            }
            _ => {}
        }
        let mut slots: Vec<Slot> = members.into_iter().map(Slot::Asset).collect();
        if *index == Index::Whole {
            let mut anomalies = self.lib.anomalies.clone();
            anomalies.sort_by_key(|a| a.at);
            let mut serial = 0u32;
            for a in anomalies {
                let at = a.at.min(slots.len());
                let block = (0..a.len).map(|_| {
                    serial += 1;
                    if a.deleted {
                        Slot::Deleted(serial)
                    } else {
                        Slot::Empty
                    }
                });
                slots.splice(at..at, block.collect::<Vec<_>>());
            }
        }
        slots
    }

    /// Returns the number of assets `index` lists (anomalies excluded).
    pub(crate) fn count(&mut self, index: &Index) -> usize {
        self.slots(index)
            .iter()
            .filter(|s| matches!(s, Slot::Asset(_)))
            .count()
    }

    /// Returns the record name of the user album or folder a client calls `name` (the later
    /// record wins, as in icloudpd's name map); `None` for shared-database zones.
    fn album_id(&self, name: &str) -> Option<String> {
        if self.db == Db::Shared {
            return None;
        }
        self.lib
            .albums
            .iter()
            .rev()
            .find(|a| a.listed() && a.name == name)
            .map(|a| a.id().to_owned())
    }

    /// Returns the index a client lists for `album` (`None` = whole collection).
    pub(crate) fn index_for(&self, album: Option<&str>) -> Option<Index> {
        let Some(name) = album else {
            return Some(Index::Whole);
        };
        if let Some(id) = self.album_id(name) {
            return Some(Index::Album(id));
        }
        Index::from_folder_name(name)
    }

    /// Returns what icloudpd prints after `Albums:`.
    pub(crate) fn album_names(&self) -> Vec<String> {
        let mut names: Vec<String> = SMART_FOLDERS.iter().map(|s| (*s).to_owned()).collect();
        if self.db == Db::Private {
            for a in self.lib.albums.iter().filter(|a| a.listed()) {
                if !names.contains(&a.name) {
                    names.push(a.name.clone());
                }
            }
        }
        names
    }

    /// Returns what a correct client lists for `album` (`None` = whole collection).
    pub(crate) fn expected(&mut self, album: Option<&str>) -> Vec<ExpectedAsset> {
        let Some(index) = self.index_for(album) else {
            return Vec::new();
        };
        let slots = self.slots(&index).to_vec();
        slots
            .into_iter()
            .filter_map(|s| match s {
                Slot::Asset(i) => Some(library::expected(&self.lib, i as usize)),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::{FakeAlbum, FakeAsset};

    fn zone(lib: FakeLibrary) -> Zone {
        Zone::new("PrimarySync", Db::Private, "_o".into(), "a", lib)
    }

    #[test]
    fn whole_collection_is_newest_first_without_hidden_or_deleted() {
        let lib = FakeLibrary::new()
            .asset(FakeAsset::photo("old.JPG").date_ms(1_000))
            .asset(FakeAsset::photo("new.JPG").date_ms(3_000))
            .asset(FakeAsset::photo("hidden.JPG").date_ms(2_000).hidden())
            .asset(FakeAsset::photo("gone.JPG").date_ms(2_500).deleted());
        let mut z = zone(lib);
        assert_eq!(z.slots(&Index::Whole), [Slot::Asset(1), Slot::Asset(0)]);
        assert_eq!(z.slots(&Index::Hidden), [Slot::Asset(2)]);
        assert_eq!(z.slots(&Index::Deleted), [Slot::Asset(3)]);
        assert_eq!(z.count(&Index::Whole), 2);
    }

    #[test]
    fn anomalies_occupy_ranks_but_not_counts() {
        let mut lib = FakeLibrary::new();
        for i in 0..5 {
            lib = lib.asset(FakeAsset::photo(&format!("{i}.JPG")));
        }
        let mut z = zone(lib.empty_pages(2, 3).deleted_blocks(0, 1));
        let s = z.slots(&Index::Whole).to_vec();
        assert_eq!(s.len(), 9);
        assert_eq!(s[0], Slot::Deleted(1));
        assert_eq!(&s[2..5], [Slot::Empty; 3], "absolute ranks 2, 3, 4");
        assert_eq!(z.count(&Index::Whole), 5);
        assert_eq!(z.expected(None).len(), 5);
    }

    #[test]
    fn albums_by_name_later_wins_and_smart_folders() {
        let lib = FakeLibrary::new()
            .asset(FakeAsset::video("v.MOV").in_album("Dup").favorite())
            .album(FakeAlbum::new("Dup"))
            .asset(FakeAsset::photo("p.JPG").in_album("Dup"))
            .album(FakeAlbum::new("Gone").deleted());
        let mut z = zone(lib);
        assert_eq!(
            z.expected(Some("Dup")).len(),
            1,
            "the later Dup has one member"
        );
        assert_eq!(z.expected(Some("Videos")).len(), 1);
        assert_eq!(z.expected(Some("Favorites")).len(), 1);
        assert!(z.expected(Some("Gone")).is_empty());
        let names = z.album_names();
        assert_eq!(names.len(), 11);
        assert_eq!(names[10], "Dup");
        z.db = Db::Shared;
        assert_eq!(z.album_names().len(), 10);
    }

    #[test]
    fn count_ids_and_list_types_parse() {
        assert_eq!(
            Index::from_count_id("CPLAssetInSmartAlbumByAssetDate:Video"),
            Some(Index::Smart(Smart::Video))
        );
        assert_eq!(
            Index::from_count_id("CPLContainerRelationNotDeletedByAssetDate:X"),
            Some(Index::Album("X".into()))
        );
        assert_eq!(Index::from_count_id("nope"), None);
        assert!(Index::from_list("CPLAssetAndMasterInSmartAlbumByAssetDate", None, None).is_err());
        assert_eq!(
            Index::from_list("CPLAssetAndMasterHiddenByAssetDate", None, None),
            Ok(Index::Hidden)
        );
    }
}
