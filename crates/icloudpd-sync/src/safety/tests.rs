use std::collections::BTreeSet;

use icloud_photos::VersionKind;
use proptest::prelude::*;

use super::*;
use crate::options::{LiveSize, Size, SyncOptions};

fn kinds() -> impl Strategy<Value = BTreeSet<VersionKind>> {
    proptest::collection::btree_set(proptest::sample::select(VersionKind::ALL.to_vec()), 0..8)
}

fn sizes() -> impl Strategy<Value = Vec<Size>> {
    proptest::collection::vec(proptest::sample::select(Size::ALL.to_vec()), 1..5)
}

fn live_size() -> impl Strategy<Value = LiveSize> {
    prop_oneof![
        Just(LiveSize::Original),
        Just(LiveSize::Medium),
        Just(LiveSize::Thumb)
    ]
}

fn kind_of(size: Size) -> VersionKind {
    match size {
        Size::Original => VersionKind::Original,
        Size::Alternative => VersionKind::Alternative,
        Size::Medium => VersionKind::Medium,
        Size::Thumb => VersionKind::Thumb,
        Size::Adjusted => VersionKind::Adjusted,
    }
}

proptest! {
    /// Whatever the asset and the disk hold: a deletion is allowed only when the original,
    /// every asked size and the asked live video the asset has are on disk.
    #[test]
    fn deletion_needs_the_original_and_every_version_asked_for(
        has in kinds(),
        on_disk in kinds(),
        sizes in sizes(),
        live in proptest::option::of(live_size()),
    ) {
        let on_disk: BTreeSet<VersionKind> = on_disk.intersection(&has).copied().collect();
        let required = required_versions(&has, &sizes, live);
        if missing_version(&required, &on_disk).is_none() {
            let live_kind = live.map(|l| match l {
                LiveSize::Original => VersionKind::LiveOriginal,
                LiveSize::Medium => VersionKind::LiveMedium,
                LiveSize::Thumb => VersionKind::LiveThumb,
            });
            let asked = sizes.iter().map(|s| kind_of(*s)).chain(live_kind);
            for kind in asked.chain([VersionKind::Original]) {
                prop_assert!(!has.contains(&kind) || on_disk.contains(&kind), "{kind:?}");
            }
        }
        // Everything on disk always allows it.
        prop_assert_eq!(missing_version(&required, &has), None);
    }

    /// Every option mix that passes the check keeps what a deletion mode deletes.
    #[test]
    fn accepted_deletion_modes_download_originals_and_live_videos(
        sizes in sizes(),
        live in live_size(),
        skip_live in any::<bool>(),
        delete_after in any::<bool>(),
        keep in proptest::option::of(0u32..400),
        auto_delete in any::<bool>(),
    ) {
        let mut o = SyncOptions::new("/photos");
        o.sizes = sizes;
        o.live_photo_size = live;
        o.skip_live_photos = skip_live;
        o.delete_after_download = delete_after;
        o.keep_icloud_recent_days = keep;
        o.auto_delete = auto_delete;
        if o.check_safety().is_ok() && (delete_after || keep.is_some()) {
            prop_assert!(o.sizes.contains(&Size::Original));
            prop_assert!(!(o.auto_delete && o.keep_icloud_recent_days.is_some()));
        }
    }
}

#[test]
fn each_unsafe_mix_is_named() {
    let base = || {
        let mut o = SyncOptions::new("/photos");
        o.delete_after_download = true;
        o
    };
    let mut o = base();
    o.sizes = vec![Size::Thumb];
    assert_eq!(
        o.check_safety(),
        Err(UnsafeOptions::DeletionWithoutOriginal {
            mode: "--delete-after-download"
        })
    );
    // Live photos are then kept in iCloud by the per-asset rule, the rest deleted.
    let mut o = base();
    o.skip_live_photos = true;
    o.live_photo_size = LiveSize::Medium;
    assert_eq!(o.check_safety(), Ok(()));
    let mut o = SyncOptions::new("/photos");
    o.keep_icloud_recent_days = Some(0);
    o.sizes = vec![Size::Medium, Size::Thumb];
    assert_eq!(
        o.check_safety(),
        Err(UnsafeOptions::DeletionWithoutOriginal {
            mode: "--keep-icloud-recent-days"
        })
    );
    o.sizes.push(Size::Original);
    assert_eq!(o.check_safety(), Ok(()));
    o.auto_delete = true;
    assert_eq!(
        o.check_safety(),
        Err(UnsafeOptions::AutoDeleteWithKeepRecent)
    );
    assert_eq!(SyncOptions::new("/photos").check_safety(), Ok(()));
}

#[test]
fn the_live_video_and_each_size_asked_for_are_needed() {
    let has: BTreeSet<VersionKind> = [
        VersionKind::Original,
        VersionKind::Alternative,
        VersionKind::Medium,
        VersionKind::LiveOriginal,
    ]
    .into();
    let only_original: BTreeSet<VersionKind> = [VersionKind::Original].into();
    let required = required_versions(&has, &[Size::Original], Some(LiveSize::Original));
    assert_eq!(
        missing_version(&required, &only_original),
        Some(VersionKind::LiveOriginal)
    );
    // `--skip-live-photos`: the video was not asked for.
    let required = required_versions(&has, &[Size::Original], None);
    assert_eq!(missing_version(&required, &only_original), None);
    let required = required_versions(&has, &[Size::Original, Size::Medium], None);
    assert_eq!(
        missing_version(&required, &only_original),
        Some(VersionKind::Medium)
    );
    let required = required_versions(&has, &[Size::Original, Size::Alternative], None);
    assert_eq!(
        missing_version(&required, &only_original),
        Some(VersionKind::Alternative)
    );
    // A size the asset does not have is not needed (as `--force-size` reports it missing).
    let plain: BTreeSet<VersionKind> = [VersionKind::Original].into();
    let required = required_versions(
        &plain,
        &[Size::Original, Size::Thumb],
        Some(LiveSize::Original),
    );
    assert_eq!(missing_version(&required, &only_original), None);
}

#[test]
fn durable_files_and_folders_are_flushed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a").join("IMG_1.JPG");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, b"x").unwrap();
    assert!(make_durable(std::slice::from_ref(&file)).is_ok());
    let missing = dir.path().join("nope.JPG");
    let (path, _) = make_durable(std::slice::from_ref(&missing)).unwrap_err();
    assert_eq!(path, missing);
}
