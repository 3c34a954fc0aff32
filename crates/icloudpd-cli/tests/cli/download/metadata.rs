//! `--xmp-sidecar` (cli.md §9, tests/test_xmp_sidecar.py) and `--set-exif-datetime` (§6.4).

use super::*;

const JPG: &str = IMG_7409_JPG;
const XMP: &str = "2018/07/31/IMG_7409.JPG.xmp";

/// `--recent 1 --skip-live-photos --xmp-sidecar`: IMG_7409.JPG and its sidecar.
const SIDECAR: [&str; 4] = ["--recent", "1", "--skip-live-photos", "--xmp-sidecar"];

/// `--recent 1 --skip-live-photos --set-exif-datetime`: IMG_7409.JPG, dated.
const EXIF: [&str; 4] = ["--recent", "1", "--skip-live-photos", "--set-exif-datetime"];

/// The one-asset fixture with IMG_7409.JPG already on disk (with its iCloud size).
fn env_with_jpg() -> Env {
    let env = Env::new(fixture_first(1));
    env.create_original(JPG, "IMG_7409.JPG");
    env
}

fn read(env: &Env, rel: &str) -> String {
    std::fs::read_to_string(env.data().join(rel)).unwrap()
}

/// The sidecar of the fixture's IMG_7409 (no caption, keywords or location; `timeZoneOffset`
/// +07:00), byte for byte, written by the toolkit `xmptk`.
fn img_7409_sidecar(xmptk: &str) -> String {
    format!(
        "<?xml version='1.0' encoding='utf-8'?>\n<x:xml_doc xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"{xmptk}\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description rdf:about=\"\" xmlns:photoshop=\"http://ns.adobe.com/photoshop/1.0/\"><photoshop:DateCreated>2018-07-31T14:22:24+0700</photoshop:DateCreated></rdf:Description><rdf:Description rdf:about=\"\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"><xmp:CreateDate>2018-07-31T14:22:24+0700</xmp:CreateDate></rdf:Description></rdf:RDF></x:xml_doc>"
    )
}

/// The `x:xmptk` value of a sidecar.
fn xmptk(content: &str) -> &str {
    let start = content.find("x:xmptk=\"").expect("x:xmptk") + 9;
    let len = content[start..].find('"').unwrap();
    &content[start..start + len]
}

#[test]
fn xmp_sidecar_is_written_next_to_each_primary_file() {
    let env = Env::new(fixture_first(1));

    let run = env.run(&["--recent", "1", "--xmp-sidecar"]);

    run.assert_code(0);
    // None for the live video.
    assert_files(&env, &[JPG, XMP, "2018/07/31/IMG_7409.MOV"], &run);
    let content = read(&env, XMP);
    assert!(
        content.starts_with("<?xml version='1.0' encoding='utf-8'?>\n<x:xml_doc"),
        "{content}"
    );
    assert!(xmptk(&content).starts_with("icloudpd"), "{content}");
    assert_eq!(content, img_7409_sidecar(xmptk(&content)));
}

#[test]
fn xmp_sidecar_carries_caption_and_rating() {
    let env = Env::new(fixture_with(1, |_, a| a.caption().favorite()));

    let run = env.run(&SIDECAR);

    run.assert_code(0);
    let content = read(&env, XMP);
    assert!(
        content.contains(
            "<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>Caption of IMG_7409.JPG</dc:title></rdf:Description>"
        ),
        "{content}"
    );
    assert!(
        content.contains(
            "<xmp:CreateDate>2018-07-31T14:22:24+0700</xmp:CreateDate><xmp:Rating>5</xmp:Rating>"
        ),
        "{content}"
    );
}

#[test]
fn xmp_sidecar_is_refreshed_when_ours() {
    let env = Env::new(fixture_first(1));
    let run = env.run(&SIDECAR);
    run.assert_code(0);
    let fresh = read(&env, XMP);
    // An outdated sidecar written by (some version of) icloudpd.
    std::fs::write(
        env.data().join(XMP),
        "<?xml version='1.0' encoding='utf-8'?>\n<x:xml_doc xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"icloudpd 1.32.2+3a97872\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"/></x:xml_doc>",
    )
    .unwrap();
    let downloads = env.downloads();

    let run = env.run(&SIDECAR);

    run.assert_code(0).assert_already_exists(&env, &[JPG]);
    assert_eq!(read(&env, XMP), fresh, "{run}");
    assert_eq!(env.downloads(), downloads, "{run}");
    assert_files(&env, &[JPG, XMP], &run);
}

#[test]
fn xmp_sidecar_is_written_for_a_file_already_present() {
    let env = env_with_jpg();

    let run = env.run(&SIDECAR);

    run.assert_code(0);
    assert_files(&env, &[JPG, XMP], &run);
    let content = read(&env, XMP);
    assert_eq!(content, img_7409_sidecar(xmptk(&content)));
}

#[test]
fn xmp_sidecar_of_another_tool_is_kept() {
    let env = env_with_jpg();
    let foreign = "<?xml version='1.0' encoding='utf-8'?>\n<x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"Adobe XMP Core 5.6-c140\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"/></x:xmpmeta>";
    std::fs::write(env.data().join(XMP), foreign).unwrap();

    let run = env.run(&SIDECAR);

    run.assert_code(0).assert_logged(
        "INFO",
        &format!(
            "Not overwriting XMP file {} created by Adobe XMP Core 5.6-c140",
            env.p(XMP)
        ),
    );
    assert_eq!(read(&env, XMP), foreign);
}

#[test]
fn xmp_sidecar_that_is_not_xml_is_kept() {
    let env = env_with_jpg();
    std::fs::write(env.data().join(XMP), "not xml at all").unwrap();

    let run = env.run(&SIDECAR);

    run.assert_code(0);
    let prefix = format!(
        "Not overwriting XMP file {} due to parser error: ",
        env.p(XMP)
    );
    assert!(
        run.logs()
            .iter()
            .any(|(l, m)| *l == "INFO" && m.starts_with(&prefix)),
        "{prefix:?} not logged\n{run}"
    );
    assert_eq!(read(&env, XMP), "not xml at all");
}

#[test]
fn xmp_sidecar_follows_a_deduplicated_name() {
    let env = Env::new(fixture_first(1));
    env.create(JPG, 1);
    let size = env.size("IMG_7409.JPG", "resOriginal");
    let dedup = format!("2018/07/31/IMG_7409-{size}.JPG");

    let run = env.run(&SIDECAR);

    run.assert_code(0);
    let sidecar = format!("{dedup}.xmp");
    assert_files(&env, &[JPG, &dedup, &sidecar], &run);
}

#[test]
fn xmp_sidecars_are_not_written_in_a_dry_run_or_when_printing() {
    let env = env_with_jpg();

    let run = env.run(&[&SIDECAR[..], &["--dry-run"]].concat());
    run.assert_code(0);
    assert_files(&env, &[JPG], &run);

    // Python crashes here (cli.md §6.7); ours prints and writes nothing.
    let run = env.run(&["--recent", "1", "--xmp-sidecar", "--only-print-filenames"]);
    run.assert_code(0).assert_printed(&env, &[IMG_7409_MOV]);
    assert_files(&env, &[JPG], &run);
}

#[test]
fn set_exif_datetime_dates_a_jpeg_once() {
    let env = Env::new(fixture_first(1));
    let apple = env.size("IMG_7409.JPG", "resOriginal");

    let run = env.run(&EXIF);

    run.assert_code(0)
        .assert_exif_set(&env, JPG, "2018-07-31 07:22:24+0000");
    let bytes = std::fs::read(env.data().join(JPG)).unwrap();
    assert!(
        bytes.windows(19).any(|w| w == b"2018:07:31 07:22:24"),
        "EXIF date written"
    );
    assert_ne!(bytes.len() as u64, apple, "the file grew by its EXIF block");
    assert_eq!(mtime(&env, JPG), IMG_7409_SECS);
    let downloads = env.downloads();

    // Ours: the dated JPEG is recognised; Python would download it again as IMG_7409-<size>.JPG.
    let run = env.run(&EXIF);

    run.assert_code(0)
        .assert_already_exists(&env, &[JPG])
        .assert_no_line_containing("deduplicated")
        .assert_no_line_containing("Setting EXIF");
    assert_eq!(env.downloads(), downloads, "{run}");
    assert_files(&env, &[JPG], &run);
    assert!(std::fs::read(env.data().join(JPG)).unwrap() == bytes);
}

#[test]
fn set_exif_datetime_uses_the_local_time_zone() {
    let env = Env::new(fixture_first(1));

    // POSIX TZ: 7 hours west of UTC, no tzdata needed.
    let run = env.run_env(&EXIF, &[("TZ", "PDT+7")]);

    run.assert_code(0)
        .assert_exif_set(&env, JPG, "2018-07-31 00:22:24-0700");
    let bytes = std::fs::read(env.data().join(JPG)).unwrap();
    assert!(bytes.windows(19).any(|w| w == b"2018:07:31 00:22:24"));
}

#[test]
fn folders_follow_the_local_time_zone() {
    // IMG_7408 was captured 2018-07-30 11:44 UTC: the 31st at UTC+14.
    let env = Env::new(FakeLibrary::new().asset(fixture_asset(1)));

    let run = env.run_env(&["--skip-live-photos"], &[("TZ", "LINT-14")]);

    run.assert_code(0);
    assert_files(&env, &["2018/07/31/IMG_7408.JPG"], &run);
}

#[test]
fn set_exif_datetime_leaves_other_files_alone() {
    let env = Env::new(fixture_first(1));

    let run = env.run(&["--recent", "1", "--set-exif-datetime", "--dry-run"]);
    run.assert_code(0).assert_no_line_containing("Setting EXIF");
    assert!(!env.data().exists(), "{run}");

    let run = env.run(&["--recent", "1", "--set-exif-datetime"]);
    // One JPEG dated, the live video untouched.
    run.assert_code(0)
        .assert_starting_with_times("Setting EXIF timestamp", 1);
    let size = env.size("IMG_7409.JPG", "resOriginalVidCompl");
    assert_size(&env, IMG_7409_MOV, size);
}
