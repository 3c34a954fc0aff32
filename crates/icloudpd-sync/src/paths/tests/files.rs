//! Display names, version names, live-video names and auto-delete candidates.

use super::*;
use crate::paths::versions::{Namer, select};

fn sizes(list: &[Size]) -> Run {
    Run {
        sizes: list.to_vec(),
        ..Run::default()
    }
}

/// Every row of the "Worked examples" table of cli.md §5.6.
#[test]
fn worked_examples_of_the_spec() {
    use Size::*;
    let default = policy(|_| {});
    let live = Fixture::live_jpeg("IMG_7409.JPG");
    let check = |policy: &PathPolicy, fixture: &Fixture, run: Run, want: &[&str]| {
        assert_eq!(planned(policy, fixture, &run), want, "{fixture:?} {run:?}");
    };
    check(
        &default,
        &live,
        Run::default(),
        &["IMG_7409.JPG", "IMG_7409.MOV"],
    );
    let id7_original = policy(|o| {
        o.file_match_policy = FileMatchPolicy::NameId7;
        o.live_mov_policy = LiveMovPolicy::Original;
    });
    check(
        &id7_original,
        &live,
        sizes(&[Medium]),
        &["IMG_7409_QVk2Yyt-medium.JPG", "IMG_7409_QVk2Yyt.MOV"],
    );
    let no_live = Run {
        live: None,
        ..sizes(&[Original, Thumb])
    };
    check(
        &default,
        &live,
        no_live,
        &["IMG_7409.JPG", "IMG_7409-thumb.JPG"],
    );
    let live_medium = Run {
        live: Some(LiveSize::Medium),
        ..Run::default()
    };
    check(
        &default,
        &live,
        live_medium,
        &["IMG_7409.JPG", "IMG_7409-medium.MOV"],
    );

    let proraw = Fixture::photo("IMG_7409.DNG", DNG).with("resOriginalVidCompl", MOV);
    check(
        &default,
        &proraw,
        sizes(&[Alternative]),
        &["IMG_7409.DNG", "IMG_7409.MOV"],
    );

    let raw_jpeg = Fixture::photo("IMG_7409.CR2", CR2)
        .with("resOriginalAlt", JPEG)
        .with("resJPEGMed", JPEG)
        .with("resJPEGThumb", JPEG)
        .with("resOriginalVidCompl", MOV);
    let three = ["IMG_7409.CR2", "IMG_7409.JPG", "IMG_7409.MOV"];
    check(&default, &raw_jpeg, sizes(&[Original, Alternative]), &three);
    let align = |raw: RawPolicy, list: &[Size]| Run { raw, ..sizes(list) };
    let jpeg_mov = ["IMG_7409.JPG", "IMG_7409.MOV"];
    check(
        &default,
        &raw_jpeg,
        align(RawPolicy::Alternative, &[Original]),
        &jpeg_mov,
    );
    check(
        &default,
        &raw_jpeg,
        align(RawPolicy::Original, &[Alternative]),
        &jpeg_mov,
    );
    let swapped = align(RawPolicy::Alternative, &[Alternative, Original]);
    check(&default, &raw_jpeg, swapped, &three);

    let edited = raw_jpeg.clone().with("resJPEGFull", JPEG);
    check(
        &default,
        &edited,
        sizes(&[Adjusted, Original, Alternative]),
        &[
            "IMG_7409.JPG",
            "IMG_7409.CR2",
            "IMG_7409-alternative.JPG",
            "IMG_7409.MOV",
        ],
    );
    check(
        &default,
        &edited,
        align(RawPolicy::Alternative, &[Adjusted, Alternative]),
        &["IMG_7409.JPG", "IMG_7409.CR2", "IMG_7409.MOV"],
    );
    check(
        &default,
        &raw_jpeg,
        sizes(&[Medium, Thumb]),
        &["IMG_7409-medium.JPG", "IMG_7409-thumb.JPG", "IMG_7409.MOV"],
    );
    check(
        &default,
        &live,
        sizes(&[Adjusted]),
        &["IMG_7409.JPG", "IMG_7409.MOV"],
    );

    let screenshot = Fixture::photo("IMG_7388.PNG", PNG).with("resJPEGFull", JPEG);
    check(
        &default,
        &screenshot,
        sizes(&[Original, Adjusted]),
        &["IMG_7388.PNG", "IMG_7388.JPG"],
    );
    let heic_edit = Fixture::photo("IMG_1.HEIC", HEIC).with("resJPEGFull", JPEG);
    check(
        &default,
        &heic_edit,
        sizes(&[Original, Adjusted]),
        &["IMG_1.HEIC", "IMG_1.JPG"],
    );
    let jpeg_edit = Fixture::photo("IMG_1.JPG", JPEG).with("resJPEGFull", JPEG);
    check(
        &default,
        &jpeg_edit,
        sizes(&[Original, Adjusted]),
        &["IMG_1.JPG", "IMG_1-adjusted.JPG"],
    );

    let chinese = Fixture::live_jpeg("IMG_中文_7409.JPG");
    check(
        &default,
        &chinese,
        Run::default(),
        &["IMG__7409.JPG", "IMG__7409.MOV"],
    );
    let unicode = policy(|o| o.keep_unicode_in_filenames = true);
    check(
        &unicode,
        &chinese,
        Run::default(),
        &["IMG_中文_7409.JPG", "IMG_中文_7409.MOV"],
    );

    let video = Fixture::video("IMG_7405.MOV");
    check(&default, &video, sizes(&[Medium]), &["IMG_7405-medium.MOV"]);
}

/// icloudpd's `tests/test_filenames.py`: chosen versions and overrides (cli.md §14).
#[test]
fn size_disambiguation_as_test_filenames() {
    use Size::*;
    use VersionKind as K;
    let default = policy(|_| {});
    let case = |fixture: Fixture, sizes: &[Size]| {
        let asset = fixture.build();
        let namer = Namer::new(&default, &asset, "IMG_1.HEIC");
        let sel = select(&namer, sizes);
        let chosen: Vec<(Size, VersionKind)> = sel.chosen.into_iter().collect();
        let overrides: Vec<(Size, &str)> = sel.overrides.into_iter().collect();
        (chosen, overrides)
    };
    let all = [Original, Alternative, Adjusted];
    let distinct = Fixture::photo("IMG_1.HEIC", CR2)
        .with("resOriginalAlt", HEIC)
        .with("resJPEGFull", JPEG);
    let want = vec![
        (Original, K::Original),
        (Adjusted, K::Adjusted),
        (Alternative, K::Alternative),
    ];
    assert_eq!(case(distinct, &all), (want.clone(), vec![]));

    let alt_clash = Fixture::photo("IMG_1.HEIC", CR2)
        .with("resOriginalAlt", JPEG)
        .with("resJPEGFull", JPEG);
    assert_eq!(
        case(alt_clash, &all),
        (want.clone(), vec![(Alternative, "-alternative")])
    );

    let heic_heic = Fixture::photo("IMG_1.HEIC", HEIC).with("resJPEGFull", HEIC);
    assert_eq!(
        case(heic_heic, &[Adjusted]),
        (vec![(Adjusted, K::Adjusted)], vec![])
    );

    let heic_jpeg = Fixture::photo("IMG_1.HEIC", HEIC).with("resJPEGFull", JPEG);
    let both = vec![(Original, K::Original), (Adjusted, K::Adjusted)];
    assert_eq!(case(heic_jpeg, &[Original, Adjusted]), (both, vec![]));

    let raw_alt = Fixture::photo("IMG_1.HEIC", CR2).with("resOriginalAlt", JPEG);
    let both = vec![(Original, K::Original), (Alternative, K::Alternative)];
    assert_eq!(case(raw_alt, &[Original, Alternative]), (both, vec![]));

    let adj_clash = Fixture::photo("IMG_1.HEIC", JPEG)
        .with("resOriginalAlt", CR2)
        .with("resJPEGFull", JPEG);
    assert_eq!(case(adj_clash, &all), (want, vec![(Adjusted, "-adjusted")]));

    let plain = Fixture::photo("IMG_1.HEIC", HEIC);
    let only_original = vec![(Original, K::Original)];
    assert_eq!(
        case(plain.clone(), &[Original, Alternative]),
        (only_original, vec![])
    );
    let copy = vec![(Alternative, K::Original)];
    assert_eq!(case(plain.clone(), &[Alternative]), (copy, vec![]));
    let copies = vec![(Adjusted, K::Original), (Alternative, K::Original)];
    assert_eq!(case(plain, &[Adjusted, Alternative]), (copies, vec![]));
}

#[test]
fn missing_sizes_fall_back_skip_or_report() {
    use Size::*;
    let default = policy(|_| {});
    let unedited = Fixture::photo("IMG_7409.JPG", JPEG);
    let run = |list: &[Size], force: bool| Run {
        sizes: list.to_vec(),
        force,
        live: None,
        ..Run::default()
    };
    let names = |r: Run| planned(&default, &unedited, &r);
    assert_eq!(
        names(run(&[Original, Adjusted], false)),
        ["IMG_7409.JPG", "skip"]
    );
    assert_eq!(
        names(run(&[Original, Adjusted], true)),
        ["IMG_7409.JPG", "missing adjusted"]
    );
    assert_eq!(names(run(&[Medium], false)), ["IMG_7409.JPG"]);
    assert_eq!(names(run(&[Medium], true)), ["missing medium"]);
    assert_eq!(
        names(run(&[Thumb, Original], false)),
        ["skip", "IMG_7409.JPG"]
    );
    // Both copies of the original have the same name; the second is then "already there".
    assert_eq!(
        names(run(&[Adjusted, Alternative], false)),
        ["IMG_7409.JPG", "IMG_7409.JPG"]
    );

    // What the planner is told about fallbacks and copies.
    let asset = unedited.build();
    let files = default.primary_files(&asset, "IMG_7409.JPG", &[Medium, Adjusted], false);
    let file = |requested, version| {
        SizeChoice::File(PlannedFile {
            requested: Some(requested),
            version,
            name: "IMG_7409.JPG".to_owned(),
        })
    };
    assert_eq!(
        files,
        [
            file(Original, VersionKind::Original),
            file(Adjusted, VersionKind::Original)
        ]
    );
}

#[test]
fn version_names_follow_the_uti() {
    let default = policy(|_| {});
    let name = |file: &str, uti: &str, list: &[Size]| {
        let run = Run {
            live: None,
            ..sizes(list)
        };
        planned(
            &default,
            &Fixture::photo(file, uti).with("resJPEGMed", JPEG),
            &run,
        )
    };
    assert_eq!(name("photo.jpeg", JPEG, &[Size::Original]), ["photo.JPG"]);
    assert_eq!(name("IMG", JPEG, &[Size::Original]), ["IMG.JPG"]);
    assert_eq!(name("IMG", "public.mpeg-4", &[Size::Original]), ["IMG."]);
    assert_eq!(
        name("clip.mp4", "public.mpeg-4", &[Size::Original]),
        ["clip.mp4"]
    );
    assert_eq!(
        name("IMG_1.HEIC", HEIC, &[Size::Medium]),
        ["IMG_1-medium.JPG"]
    );
    assert_eq!(
        name("IMG.1234.HEIC", HEIC, &[Size::Original]),
        ["IMG.1234.HEIC"]
    );
    assert_eq!(name(".hidden", JPEG, &[Size::Original]), [".hidden.JPG"]);
    // An image whose original is a QuickTime movie is named like a live video, as in Python.
    let odd = Fixture::photo("IMG_1.HEIC", HEIC).with("resOriginal", MOV);
    assert_eq!(planned(&default, &odd, &Run::default()), ["IMG_1_HEVC.MOV"]);
}

/// icloudpd's `test_lp_filename_generator` and cli.md §5.7.
#[test]
fn live_photo_video_names() {
    assert_eq!(
        names::live_suffix_policy("IMG_1234.HEIC"),
        "IMG_1234_HEVC.MOV"
    );
    assert_eq!(names::live_suffix_policy("IMG_1234.JPG"), "IMG_1234.MOV");
    assert_eq!(names::live_suffix_policy("IMG_1234"), "IMG_1234");
    assert_eq!(
        names::live_suffix_policy("IMG.1234.HEIC"),
        "IMG.1234_HEVC.MOV"
    );
    assert_eq!(names::live_suffix_policy("IMG_1.heic"), "IMG_1_HEVC.MOV");
    assert_eq!(names::live_suffix_policy("IMG_1.HEIF"), "IMG_1.MOV");
    assert_eq!(names::live_original_policy("IMG_1234.HEIC"), "IMG_1234.MOV");
    assert_eq!(names::live_original_policy("IMG_1234.JPG"), "IMG_1234.MOV");
    assert_eq!(names::live_original_policy("IMG_1234"), "IMG_1234");

    let heic = Fixture::photo("IMG_0514.HEIC", HEIC)
        .with("resOriginalVidCompl", MOV)
        .with("resVidMed", MOV)
        .with("resVidSmall", MOV);
    let live = |policy: &PathPolicy, size: LiveSize| {
        let asset = heic.build();
        let name = policy.display_name(&asset);
        policy
            .live_file(&asset, &name, size)
            .map(|f| (f.name, f.version, f.requested))
    };
    let default = policy(|_| {});
    let file = |name: &str, kind| Some((name.to_owned(), kind, None));
    use VersionKind as K;
    assert_eq!(
        live(&default, LiveSize::Original),
        file("IMG_0514_HEVC.MOV", K::LiveOriginal)
    );
    assert_eq!(
        live(&default, LiveSize::Medium),
        file("IMG_0514_HEVC-medium.MOV", K::LiveMedium)
    );
    assert_eq!(
        live(&default, LiveSize::Thumb),
        file("IMG_0514_HEVC-thumb.MOV", K::LiveThumb)
    );
    let id7 = policy(|o| o.file_match_policy = FileMatchPolicy::NameId7);
    let asset = heic.clone().master("AVmI1").build();
    let name = id7.display_name(&asset);
    assert_eq!(name, "IMG_0514_QVZtSTE.HEIC");
    let video = id7
        .live_file(&asset, &name, LiveSize::Original)
        .map(|f| f.name);
    assert_eq!(video.as_deref(), Some("IMG_0514_QVZtSTE_HEVC.MOV"));

    // A rendition without the original video is still downloaded, as in Python.
    let medium_only = heic.clone().without("resOriginalVidCompl").build();
    let video = default.live_file(&medium_only, "IMG_0514.HEIC", LiveSize::Medium);
    assert_eq!(
        video.map(|f| f.name).as_deref(),
        Some("IMG_0514_HEVC-medium.MOV")
    );

    // Not a live photo, a video, or a video in another format (named by §5.6 rule 1).
    let plain = Fixture::photo("IMG_1.HEIC", HEIC).build();
    assert_eq!(
        default.live_file(&plain, "IMG_1.HEIC", LiveSize::Original),
        None
    );
    let video = Fixture::video("IMG_7405.MOV").build();
    assert_eq!(
        default.live_file(&video, "IMG_7405.MOV", LiveSize::Medium),
        None
    );
    let mp4 = Fixture::photo("IMG_1.HEIC", HEIC).with("resOriginalVidCompl", "public.mpeg-4");
    let asset = mp4.build();
    let odd = default
        .live_file(&asset, "IMG_1.HEIC", LiveSize::Original)
        .map(|f| f.name);
    assert_eq!(odd.as_deref(), Some("IMG_1.HEIC"));
}

#[test]
fn display_names_clean_strip_and_tag() {
    let default = policy(|_| {});
    let display = |policy: &PathPolicy, fixture: Fixture| policy.display_name(&fixture.build());
    let hostile = Fixture::photo("i/n v:a\0l*i?d\\p<a>t\"h|.JPG", JPEG);
    assert_eq!(display(&default, hostile), "i_n v_a_l_i_d_p_a_t_h_.JPG");
    let fallback = Fixture::live_jpeg("x").no_name();
    assert_eq!(display(&default, fallback.clone()), "AY6c_BsE0jja.JPG");
    assert_eq!(
        planned(&default, &fallback, &Run::default()),
        ["AY6c_BsE0jja.JPG", "AY6c_BsE0jja.MOV"]
    );

    let id7 = policy(|o| o.file_match_policy = FileMatchPolicy::NameId7);
    let cassette = [
        (
            "AY6c+BsE0jjaXx9tmVGJM1D2VcEO",
            "IMG_7409.JPG",
            "IMG_7409_QVk2Yyt.JPG",
        ),
        (
            "AR8OijSKPNBuzFZHNvRpv+yNookj",
            "IMG_7408.JPG",
            "IMG_7408_QVI4T2l.JPG",
        ),
        (
            "AZ/wAGT9P6jhr0NKCjLyh7KawNEx",
            "IMG_7407.JPG",
            "IMG_7407_QVovd0F.JPG",
        ),
        (
            "AY+R3dhJpz0NaLm5n1dA8cdywPKa",
            "IMG_7405.MOV",
            "IMG_7405_QVkrUjN.MOV",
        ),
    ];
    for (master, name, want) in cassette {
        assert_eq!(
            display(&id7, Fixture::photo(name, JPEG).master(master)),
            want
        );
    }
    let medium = Run {
        sizes: vec![Size::Medium, Size::Thumb],
        ..Run::default()
    };
    assert_eq!(
        planned(&id7, &Fixture::live_jpeg("IMG_7409.JPG"), &medium),
        [
            "IMG_7409_QVk2Yyt-medium.JPG",
            "IMG_7409_QVk2Yyt-thumb.JPG",
            "IMG_7409_QVk2Yyt.MOV"
        ]
    );
    assert_eq!(
        legacy_original_name("IMG_7408_QVI4T2l.JPG"),
        "IMG_7408_QVI4T2l-original.JPG"
    );

    // Unsafe results of icloudpd's rules; safe ones (a dot name with an id) are kept.
    assert_eq!(display(&default, Fixture::photo("中文", JPEG)), "_");
    assert_eq!(display(&default, Fixture::photo(".", JPEG)), "_");
    assert_eq!(display(&default, Fixture::photo("..", JPEG)), "__");
    assert_eq!(display(&default, Fixture::photo("中文.JPG", JPEG)), ".JPG");
    assert_eq!(display(&id7, Fixture::photo("..", JPEG)), ".._QVk2Yyt");
    assert_eq!(display(&id7, Fixture::photo("中", JPEG)), "_QVk2Yyt");
    let dots = planned(&default, &Fixture::live_jpeg(".."), &Run::default());
    assert_eq!(dots, ["__.JPG", "__"]);
}

#[test]
fn long_names_are_cut_to_fit() {
    let default = policy(|_| {});
    let long = format!("{}.JPG", "a".repeat(300));
    let display = default.display_name(&Fixture::photo(&long, JPEG).build());
    assert_eq!(display.len(), 255);
    assert!(display.ends_with("aaa.JPG"));

    let run = Run {
        sizes: vec![Size::Original, Size::Medium],
        live: Some(LiveSize::Medium),
        ..Run::default()
    };
    let files = planned(&default, &Fixture::live_jpeg(&long), &run);
    assert_eq!(files.len(), 3);
    for (file, tail) in files.iter().zip(["a.JPG", "a-medium.JPG", "a-medium.MOV"]) {
        assert_eq!(file.len(), names::FILE_NAME_MAX, "{file}");
        assert!(file.ends_with(tail), "{file}");
        let deduped = dedup_path(Path::new(file), u64::MAX);
        let name = deduped
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        assert!(name.len() <= 255);
    }
    // A name Python could write whole is kept whole.
    let fits = format!("{}.JPG", "b".repeat(220));
    assert_eq!(
        planned(&default, &Fixture::photo(&fits, JPEG), &Run::default()),
        [fits]
    );

    // The id7 survives, and multi-byte names are cut between characters.
    let id7 = policy(|o| {
        o.file_match_policy = FileMatchPolicy::NameId7;
        o.keep_unicode_in_filenames = true;
    });
    let wide = format!("{}.HEIC", "中".repeat(100));
    let fixture = Fixture::live_jpeg(&wide).with("resOriginal", HEIC);
    let display = id7.display_name(&fixture.build());
    assert!(
        display.len() <= 255 && display.ends_with("中_QVk2Yyt.HEIC"),
        "{display}"
    );
    let files = planned(&id7, &fixture, &sizes(&[Size::Original, Size::Thumb]));
    assert!(files[0].ends_with("中_QVk2Yyt.HEIC") && files[0].len() <= names::FILE_NAME_MAX);
    assert!(files[1].ends_with("中_QVk2Yyt-thumb.JPG") && files[1].len() <= names::FILE_NAME_MAX);
    assert!(files[2].ends_with("中_QVk2Yyt_HEVC.MOV") && files[2].len() <= names::FILE_NAME_MAX);

    // A long "extension" is not kept whole.
    let odd = format!("a.{}", "b".repeat(300));
    let display = default.display_name(&Fixture::photo(&odd, "public.x").build());
    assert_eq!(display.len(), 255);
}

#[test]
fn windows_device_names() {
    for reserved in [
        "CON",
        "con",
        "nul.jpg",
        "COM1.MOV",
        "LPT9",
        "AUX.tar.gz",
        "PRN ",
        "CONIN$",
    ] {
        assert!(names::is_windows_reserved(reserved), "{reserved}");
    }
    for fine in [
        "CONSOLE",
        "COM10",
        "COM0.JPG",
        "IMG_1.JPG",
        "中",
        "",
        "_CON",
    ] {
        assert!(!names::is_windows_reserved(fine), "{fine}");
    }
    assert_eq!(names::make_safe("CON.JPG".to_owned(), true), "_CON.JPG");
    assert_eq!(names::make_safe("CON.JPG".to_owned(), false), "CON.JPG");
}

#[test]
fn auto_delete_candidates() {
    use Size::*;
    let default = policy(|_| {});
    let names_of = |policy: &PathPolicy, fixture: Fixture, sizes: &[Size]| {
        policy.auto_delete_names(&fixture.build(), sizes)
    };
    let jpeg = names_of(&default, Fixture::live_jpeg("IMG_7190.JPG"), &[Original]);
    let want = [
        "IMG_7190.JPG",
        "IMG_7190.JPG.xmp",
        "IMG_7190-medium.JPG",
        "IMG_7190-medium.JPG.xmp",
        "IMG_7190-thumb.JPG",
        "IMG_7190-thumb.JPG.xmp",
        "IMG_7190.MOV",
        "IMG_7190.MOV.xmp",
        "IMG_7190-medium.MOV",
        "IMG_7190-medium.MOV.xmp",
        "IMG_7190-thumb.MOV",
        "IMG_7190-thumb.MOV.xmp",
    ];
    assert_eq!(jpeg, want);
    let heic = Fixture::live_jpeg("IMG_7190.HEIC").with("resOriginal", HEIC);
    let heic = names_of(&default, heic, &[Original]);
    for name in [
        "IMG_7190.HEIC",
        "IMG_7190-medium.JPG",
        "IMG_7190_HEVC.MOV",
        "IMG_7190_HEVC-medium.MOV",
    ] {
        assert!(heic.iter().any(|n| n == name), "{name} in {heic:?}");
    }
    let video = names_of(&default, Fixture::video("IMG_7406.MOV"), &[Original]);
    assert_eq!(
        &video[..4],
        [
            "IMG_7406.MOV",
            "IMG_7406.MOV.xmp",
            "IMG_7406-medium.MOV",
            "IMG_7406-medium.MOV.xmp"
        ]
    );

    // Adjusted and alternative names follow the size selection, with overrides.
    let edited = Fixture::photo("IMG_1.JPG", JPEG).with("resJPEGFull", JPEG);
    let edited = names_of(&default, edited, &[Original, Adjusted]);
    assert_eq!(
        edited,
        [
            "IMG_1-adjusted.JPG",
            "IMG_1-adjusted.JPG.xmp",
            "IMG_1.JPG",
            "IMG_1.JPG.xmp"
        ]
    );

    // Beyond icloudpd: names of the current policy too, but never de-duplication names.
    let id7 = policy(|o| o.file_match_policy = FileMatchPolicy::NameId7);
    let tagged = names_of(&id7, Fixture::live_jpeg("IMG_中文_7409.JPG"), &[Original]);
    for name in [
        "IMG_中文_7409.JPG",
        "IMG_中文_7409.MOV",
        "IMG__7409_QVk2Yyt.JPG",
        "IMG__7409_QVk2Yyt.MOV.xmp",
    ] {
        assert!(tagged.iter().any(|n| n == name), "{name} in {tagged:?}");
    }
    assert!(!tagged.iter().any(|n| n.contains("-100")), "{tagged:?}");
    let unique: std::collections::BTreeSet<&String> = tagged.iter().collect();
    assert_eq!(unique.len(), tagged.len());

    // Unsafe raw names are made safe here too.
    let dots = names_of(&default, Fixture::live_jpeg(".."), &[Original]);
    assert!(
        dots.iter().all(|n| n != ".." && n != "." && !n.is_empty()),
        "{dots:?}"
    );
}
