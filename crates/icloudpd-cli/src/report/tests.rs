use std::path::PathBuf;

use icloudpd_sync::LiveSize;
use icloudpd_sync::time::{Duration as TimeDuration, OffsetDateTime};

use super::*;

/// The run the messages below describe: the whole library of PrimarySync into `/data`.
fn context() -> Context {
    let mut options = SyncOptions::new("/data");
    options.keep_icloud_recent_days = Some(100);
    options.until_found = Some(3);
    Context::new(&options, "PrimarySync")
}

fn lines(event: SyncEvent<'_>) -> Vec<String> {
    lines_in(event, &context())
}

fn lines_in(event: SyncEvent<'_>, run: &Context) -> Vec<String> {
    render(&event, run)
        .into_iter()
        .map(|o| match o {
            Output::Log(level, text) => format!("{level} {text}"),
            Output::Stdout(text) => format!("stdout {text}"),
        })
        .collect()
}

fn line(event: SyncEvent<'_>) -> String {
    let mut all = lines(event);
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

fn utc(y: i32, mo: u8, d: u8, h: u8, mi: u8, s: u8) -> OffsetDateTime {
    use icloudpd_sync::time::{Date, Month, PrimitiveDateTime, Time};
    let date = Date::from_calendar_date(y, Month::try_from(mo).unwrap(), d).unwrap();
    PrimitiveDateTime::new(date, Time::from_hms(h, mi, s).unwrap()).assume_utc()
}

#[test]
fn downloading_line_wording() {
    let dir = Path::new("/data/");
    let orig = [Size::Original];
    assert_eq!(
        downloading(Some(5), &orig, MediaScope::Photos, dir),
        "Downloading 5 original photos to /data ..."
    );
    assert_eq!(
        downloading(Some(1), &orig, MediaScope::Both, dir),
        "Downloading the first original photo or video to /data ..."
    );
    assert_eq!(
        downloading(
            Some(1),
            &[Size::Original, Size::Alternative],
            MediaScope::Photos,
            dir
        ),
        "Downloading the first original,alternative photo to /data ..."
    );
    assert_eq!(
        downloading(None, &orig, MediaScope::Both, dir),
        "Downloading ??? original photos and videos to /data ..."
    );
    assert_eq!(
        downloading(None, &orig, MediaScope::Videos, dir),
        "Downloading ??? original videos to /data ..."
    );
    assert_eq!(
        downloading(Some(0), &orig, MediaScope::Both, dir),
        "Downloading 0 original photos and videos to /data ..."
    );
    assert_eq!(
        downloading(Some(4), &orig, MediaScope::Videos, Path::new("./photos/")),
        "Downloading 4 original videos to photos ..."
    );
    assert_eq!(
        downloading(Some(1), &[Size::Thumb], MediaScope::Videos, dir),
        "Downloading the first thumb video to /data ..."
    );
}

#[test]
fn normpath_matches_python() {
    for (input, expected) in [
        ("photos", "photos"),
        ("./photos/", "photos"),
        ("", "."),
        (".", "."),
        ("a/../..", ".."),
        ("a//b/./c/", "a/b/c"),
        ("/", "/"),
        ("/..", "/"),
        ("//x", "//x"),
        ("///x", "/x"),
        ("../a/b/../c", "../a/c"),
    ] {
        assert_eq!(normpath(Path::new(input)), expected, "{input}");
    }
}

#[test]
fn looking_up_and_album_finished() {
    assert_eq!(
        looking_up(MediaScope::Both, &[]),
        "Looking up all photos and videos..."
    );
    assert_eq!(
        looking_up(MediaScope::Photos, &["DoesNotExist".to_owned()]),
        "Looking up all photos from album DoesNotExist..."
    );
    assert_eq!(
        looking_up(MediaScope::Videos, &["A".to_owned(), "B".to_owned()]),
        "Looking up all videos from albums A,B..."
    );
    let mut options = SyncOptions::new("/data");
    options.albums = vec!["A".to_owned()];
    assert_eq!(
        lines_in(SyncEvent::LookingUp, &Context::new(&options, "PrimarySync")),
        ["DEBUG Looking up all photos and videos from album A..."]
    );
    options.skip_videos = true;
    assert_eq!(
        lines_in(
            SyncEvent::AlbumFinished {
                album: "All Photos",
            },
            &Context::new(&options, "PrimarySync")
        ),
        ["INFO All photos have been downloaded"]
    );
}

#[test]
fn skip_messages() {
    assert_eq!(
        skipped("IMG_7405.MOV", &SkipReason::Video),
        "Skipping IMG_7405.MOV, only downloading photos. (Item type was: MOVIE)"
    );
    assert_eq!(
        skipped("IMG_7409.JPG", &SkipReason::Photo),
        "Skipping IMG_7409.JPG, only downloading videos. (Item type was: IMAGE)"
    );
    let created = utc(2018, 7, 30, 11, 44, 5) + TimeDuration::milliseconds(108);
    assert_eq!(
        skipped(
            "IMG_7407.JPG",
            &SkipReason::CreatedBefore {
                created,
                bound: utc(2018, 7, 31, 0, 0, 0)
            }
        ),
        "Skipping IMG_7407.JPG, as it was created 2018-07-30 11:44:05.108000+00:00, before 2018-07-31 00:00:00+00:00."
    );
    let created = utc(2018, 7, 31, 7, 22, 24) + TimeDuration::milliseconds(816);
    assert_eq!(
        skipped(
            "IMG_7409.JPG",
            &SkipReason::CreatedAfter {
                created,
                bound: utc(2018, 7, 31, 0, 0, 0)
            }
        ),
        "Skipping IMG_7409.JPG, as it was created 2018-07-31 07:22:24.816000+00:00, after 2018-07-31 00:00:00+00:00."
    );
}

#[test]
fn per_file_messages_truncate_only_where_icloudpd_does() {
    let long = PathBuf::from(format!("/data/{}/IMG_7409.JPG", "x".repeat(100)));
    let p = long.display().to_string();
    let t = format!("{}...{}", &p[..46], &p[p.len() - 46..]);
    assert_eq!(
        line(SyncEvent::DownloadStarted { path: &long }),
        format!("DEBUG Downloading {t}...")
    );
    assert_eq!(
        line(SyncEvent::Downloaded {
            path: &long,
            bytes: 1
        }),
        format!("INFO Downloaded {t}")
    );
    assert_eq!(
        line(SyncEvent::FileExists { path: &long }),
        format!("DEBUG {t} already exists")
    );
    assert_eq!(
        line(SyncEvent::FileDeduplicated { path: &long }),
        format!("DEBUG {t} deduplicated")
    );
    // Everything else shows the full path.
    assert_eq!(
        line(SyncEvent::WouldDownload { path: &long }),
        format!("INFO [DRY RUN] Would download {p}")
    );
    assert_eq!(
        line(SyncEvent::Resuming {
            path: &long,
            from: 1234
        }),
        format!("DEBUG Resuming downloading of {p} from 1234")
    );
    assert_eq!(
        line(SyncEvent::FileListed { path: &long }),
        format!("stdout {p}")
    );
    let short_path = Path::new("/data/2018/07/31/IMG_7409.JPG");
    assert_eq!(
        line(SyncEvent::Downloaded {
            path: short_path,
            bytes: 1
        }),
        "INFO Downloaded /data/2018/07/31/IMG_7409.JPG"
    );
}

#[test]
fn failure_messages() {
    let path = Path::new("/data/2018/07/31/IMG_7409_HEVC.MOV");
    assert_eq!(
        lines(SyncEvent::DownloadFailed {
            name: "IMG_7409.HEIC",
            path,
            file_name: "IMG_7409_HEVC.MOV",
            rendition: Rendition::LiveVideo(LiveSize::Original),
            error: "HTTP 400",
            kind: FailureKind::Refused,
        }),
        [
            "ERROR Could not find URL to download IMG_7409.MOV for size original",
            "ERROR Could not download IMG_7409.HEIC. Please try again later."
        ]
    );
    assert_eq!(
        lines(SyncEvent::DownloadFailed {
            name: "IMG_7409.HEIC",
            path,
            error: "connection reset",
            file_name: "IMG_7409_HEVC.MOV",
            rendition: Rendition::LiveVideo(LiveSize::Original),
            kind: FailureKind::Network,
        }),
        [
            "ERROR Error downloading /data/2018/07/31/IMG_7409_HEVC.MOV: connection reset",
            "ERROR Could not download IMG_7409.HEIC. Please try again later."
        ]
    );
    assert_eq!(
        lines(SyncEvent::DownloadFailed {
            name: "IMG_7409.HEIC",
            path,
            error: "No space left on device",
            file_name: "IMG_7409_HEVC.MOV",
            rendition: Rendition::LiveVideo(LiveSize::Original),
            kind: FailureKind::Disk,
        }),
        [
            "ERROR IOError while writing file to /data/2018/07/31/IMG_7409_HEVC.MOV. You might have run out of disk space, or the file might be too large for your OS. Skipping this file...",
            "ERROR Could not download IMG_7409.HEIC. Please try again later."
        ]
    );
    assert_eq!(
        lines(SyncEvent::DownloadFailed {
            name: "IMG_7409.HEIC",
            path,
            error: "File exists",
            file_name: "IMG_7409_HEVC.MOV",
            rendition: Rendition::LiveVideo(LiveSize::Original),
            kind: FailureKind::Folder,
        }),
        ["DEBUG File exists"]
    );
    assert_eq!(
        line(SyncEvent::SizeMissing {
            size: Size::Thumb,
            name: "IMG_7409.JPG"
        }),
        "ERROR thumb size does not exist for IMG_7409.JPG. Skipping..."
    );
    assert_eq!(
        lines(SyncEvent::FolderFailed {
            path: Path::new("/data/2018"),
            error: "permission denied"
        })[0],
        "ERROR Could not create folder /data/2018"
    );
    assert_eq!(
        line(SyncEvent::Retrying {
            path,
            error: "timeout",
            after: Duration::from_millis(2500)
        }),
        "WARN Error downloading /data/2018/07/31/IMG_7409_HEVC.MOV, retrying after 2.5 seconds: timeout"
    );
}

#[test]
fn exif_xmp_and_until_found() {
    let path = Path::new("/d/2018/07/31/IMG_7409.JPG");
    let when = utc(2018, 7, 31, 7, 22, 24);
    assert_eq!(
        line(SyncEvent::SettingExif { path, when: &when }),
        "DEBUG Setting EXIF timestamp for /d/2018/07/31/IMG_7409.JPG: 2018-07-31 07:22:24+0000"
    );
    assert_eq!(
        line(SyncEvent::ExifFailed { path, read: true }),
        "DEBUG Error fetching EXIF data for /d/2018/07/31/IMG_7409.JPG"
    );
    assert_eq!(
        line(SyncEvent::ExifFailed { path, read: false }),
        "DEBUG Error setting EXIF data for /d/2018/07/31/IMG_7409.JPG"
    );
    let xmp = Path::new("/d/x.JPG.xmp");
    assert_eq!(
        line(SyncEvent::XmpKept {
            path: xmp,
            reason: &KeptSidecar::OtherTool(Some("Adobe XMP Core".to_owned()))
        }),
        "INFO Not overwriting XMP file /d/x.JPG.xmp created by Adobe XMP Core"
    );
    assert_eq!(
        line(SyncEvent::XmpKept {
            path: xmp,
            reason: &KeptSidecar::OtherTool(None)
        }),
        "INFO Not overwriting XMP file /d/x.JPG.xmp created by None"
    );
    assert_eq!(
        line(SyncEvent::XmpKept {
            path: xmp,
            reason: &KeptSidecar::Unreadable("no root".to_owned())
        }),
        "INFO Not overwriting XMP file /d/x.JPG.xmp due to parser error: no root"
    );
    assert_eq!(
        line(SyncEvent::UntilFound),
        "INFO Found 3 consecutive previously downloaded photos. Exiting"
    );
}

#[test]
fn deletion_messages() {
    let created = utc(2018, 7, 31, 7, 22, 24) + TimeDuration::milliseconds(816);
    assert_eq!(
        lines(SyncEvent::AgeChecked {
            name: "IMG_7409.JPG",
            created: &created,
            age_days: 89,
            kept: true
        }),
        [
            "DEBUG Created date: 2018-07-31 07:22:24.816000+00:00",
            "DEBUG Keep iCloud recent days: 100",
            "DEBUG Age days: 89",
            "DEBUG Skipping deletion of IMG_7409.JPG as it is within the keep_icloud_recent_days period (89 days old)"
        ]
    );
    assert_eq!(
        lines(SyncEvent::AgeChecked {
            name: "IMG_7409.JPG",
            created: &created,
            age_days: 9,
            kept: false
        })
        .len(),
        3
    );
    assert_eq!(
        line(SyncEvent::DeletingInIcloud {
            name: "IMG_7409.JPG"
        }),
        "DEBUG Deleting IMG_7409.JPG in iCloud..."
    );
    assert_eq!(
        line(SyncEvent::DeletedInIcloud {
            name: "IMG_7409.JPG"
        }),
        "INFO Deleted IMG_7409.JPG in iCloud"
    );
    assert_eq!(
        line(SyncEvent::WouldDeleteInIcloud {
            name: "IMG_7409.JPG",
        }),
        "INFO [DRY RUN] Would delete IMG_7409.JPG in iCloud library PrimarySync"
    );
    assert_eq!(
        line(SyncEvent::AutoDeleteStarted),
        "INFO Deleting any files found in 'Recently Deleted'..."
    );
    let p = Path::new("/d/2018/07/30/IMG_7406.MOV");
    assert_eq!(
        line(SyncEvent::LocalDeleting { path: p }),
        "DEBUG Deleting /d/2018/07/30/IMG_7406.MOV..."
    );
    assert_eq!(
        line(SyncEvent::LocalDeleted { path: p }),
        "INFO Deleted /d/2018/07/30/IMG_7406.MOV"
    );
    assert_eq!(
        line(SyncEvent::WouldDeleteLocal { path: p }),
        "INFO [DRY RUN] Would delete /d/2018/07/30/IMG_7406.MOV"
    );
    assert_eq!(
        line(SyncEvent::WouldCreateFolder {
            path: Path::new("/d/2018/07/30")
        }),
        "DEBUG [DRY RUN] Would create folder hierarchy /d/2018/07/30"
    );
}

#[test]
fn progress_only_events_print_nothing() {
    assert!(lines(SyncEvent::AssetDone).is_empty());
    assert!(lines(SyncEvent::Progress { bytes: 10 }).is_empty());
}

#[test]
fn summary_line() {
    let mut report = SyncReport::default();
    report.downloaded = 3;
    report.bytes = 1_258_291;
    report.present = 12;
    report.skipped = 2;
    report.elapsed = Duration::from_millis(4200);
    assert_eq!(
        summary(&report),
        "Summary: 3 downloaded (1.20 MiB), 12 already present, 2 skipped, 0 failed in 4.2s"
    );
    report.deleted_in_icloud = 1;
    report.elapsed = Duration::from_secs(185);
    assert!(summary(&report).ends_with(", 0 failed, 1 deleted in iCloud in 3m 05s"));
    assert_eq!(elapsed(Duration::from_secs(7380)), "2h 03m");
}

#[test]
fn no_bar_without_a_terminal_or_when_disabled() {
    let display = Display {
        progress_bar: false,
        forced_columns: Some(80),
        only_print_filenames: false,
    };
    let options = SyncOptions::new("/d");
    assert!(!CliReporter::new(&display, &options, "PrimarySync").bar_wanted);
    let display = Display {
        progress_bar: true,
        forced_columns: Some(120),
        only_print_filenames: false,
    };
    assert!(CliReporter::new(&display, &options, "PrimarySync").bar_wanted);
    // With a bar wanted, events still flow (the bar is drawn, then cleared).
    let reporter = CliReporter {
        context: context(),
        bar_wanted: true,
        forced: None,
        bar: Mutex::new(None),
        errors_to_stderr: false,
        web: None,
    };
    reporter.event(&SyncEvent::AlbumStarted {
        album: "All Photos",
        count: Some(2),
    });
    reporter.event(&SyncEvent::AssetDone);
    assert_eq!(
        reporter
            .bar
            .lock()
            .unwrap()
            .as_ref()
            .map(ProgressBar::position),
        Some(1)
    );
    reporter.event(&SyncEvent::AlbumFinished {
        album: "All Photos",
    });
    assert!(reporter.bar.lock().unwrap().is_none());
}

#[test]
fn truncate_middle_is_icloudpds() {
    let s: String = ('a'..='z').cycle().take(100).collect();
    assert_eq!(truncate_middle(&s[..96], 96), &s[..96]);
    let cut = truncate_middle(&s, 96);
    assert_eq!(cut, format!("{}...{}", &s[..46], &s[54..]));
    assert_eq!(cut.chars().count(), 95);
    assert_eq!(truncate_middle("abcdef", 5), "a...f");
    assert_eq!(truncate_middle("abcdef", 4), "...f");
    assert_eq!(truncate_middle("abcdef", 3), "...");
    assert_eq!(truncate_middle("abcdef", 0), "");
    assert_eq!(truncate_middle("中文中文中文", 5), "中...文");
}

#[test]
fn a_missing_url_names_files_as_icloudpd_does() {
    let size = Rendition::Size(Size::Medium);
    assert_eq!(
        missing_url("IMG_0514.HEIC", "IMG_0514-medium.JPG", size),
        "Could not find URL to download IMG_0514-medium.JPG for size medium"
    );
    // The live video goes by the photo's name with `.MOV`, whatever its own name.
    let live = Rendition::LiveVideo(LiveSize::Medium);
    assert_eq!(
        missing_url("IMG_0514.HEIC", "IMG_0514_HEVC-medium.MOV", live),
        "Could not find URL to download IMG_0514.MOV for size medium"
    );
    assert_eq!(python_live_name("IMG_0514.HEIC"), "IMG_0514.MOV");
    assert_eq!(python_live_name(".hidden"), ".hidden");
    assert_eq!(python_live_name("noext"), "noext");
}
