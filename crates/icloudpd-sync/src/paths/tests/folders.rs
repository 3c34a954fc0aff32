//! `--folder-structure` templates and the folder of an asset.

use super::*;

fn render(template: &str, created: &OffsetDateTime) -> String {
    let folder = FolderStructure::parse(template).expect(template);
    folder.render(created, &TimeNames::english())
}

#[test]
fn templates_render_like_python_format() {
    let utc = at(0);
    let cases = [
        ("{:%Y/%m/%d}", "2018/07/31"),
        ("{0:%Y}/{0:%B}", "2018/July"),
        ("{}", "2018-07-31 07:22:24.816000+00:00"),
        ("{0}", "2018-07-31 07:22:24.816000+00:00"),
        ("%Y/%m", "%Y/%m"),
        ("{{literal}}/{:%Y}", "{literal}/2018"),
        ("{:%Y}{{x}}", "2018{x}"),
        ("{:%-d/%e/%_m}", "31/31/ 7"),
        ("{.year}", "2018"),
        ("{0.year.real}", "2018"),
        ("{0.month:02}/{0.day:^5}", "07/ 31  "),
        (
            "{0.year:>6}|{0.year:+}|{0.month:<04}|{0.day:=+5}",
            "  2018|+2018|7000|+  31",
        ),
        ("{0.microsecond}", "816000"),
        ("{!s:.10}", "2018-07-31"),
        ("{!s:*^12.4}", "****2018****"),
        ("{!s:05.4}", "20180"),
        ("{0.year!s:>6}", "  2018"),
        (
            "{!r}",
            "datetime.datetime(2018, 7, 31, 7, 22, 24, 816000, tzinfo=datetime.timezone.utc)",
        ),
        ("{0:{0.year}}", "2018"),
        ("{:%Y\0%m}", "2018"),
        ("{:%Y%\0}", "2018%"),
        ("{:\0}", ""),
    ];
    for (template, want) in cases {
        assert_eq!(render(template, &utc), want, "{template}");
    }
    let whole_minute = at(-7200) - time::Duration::milliseconds(24_816);
    assert_eq!(render("{}", &whole_minute), "2018-07-31 05:22:00-02:00");
    assert_eq!(
        render("{!r}", &whole_minute),
        "datetime.datetime(2018, 7, 31, 5, 22, \
         tzinfo=datetime.timezone(datetime.timedelta(days=-1, seconds=79200)))"
    );
    let zone = UtcOffset::from_whole_seconds(19_800).expect("offset");
    let five = time::macros::datetime!(2018-07-31 7:00:05).assume_offset(zone);
    assert_eq!(
        render("{!r}", &five),
        "datetime.datetime(2018, 7, 31, 7, 0, 5, \
         tzinfo=datetime.timezone(datetime.timedelta(seconds=19800)))"
    );
    assert_eq!(render("{}", &five), "2018-07-31 07:00:05+05:30");
    let year5 = time::macros::datetime!(0005-01-01 0:00).assume_offset(zone);
    assert_eq!(render("{:%Y/%m/%d}", &year5), "5/01/01");
}

#[test]
fn templates_python_rejects_are_errors() {
    let bad = [
        "{%Y}{%Y}",
        "{:%Y}/{:%m}",
        "{",
        "}",
        "a{b",
        "{0}{}",
        "{}{0}",
        "{1}",
        "{00x}",
        "{x}",
        "{0[0]}",
        "{0.}",
        "{0..year}",
        "{!x}",
        "{!}",
        "{!s",
        "{!sx}",
        "{:{:{}}}",
        "{0:{}}",
        "{:{}}",
        "{:{0:{0}}}",
        "{0.tzinfo}",
        "{0.year.month}",
        "{!s:d}",
        "{!s:+}",
        "{!s:=5}",
        "{0.year:.2}",
        "{0.year:x}",
        "{0.year:,}",
        "{0.year:5000}",
        "{:%Y",
    ];
    for template in bad {
        let err = FolderStructure::parse(template).expect_err(template);
        assert_eq!(err.template, template);
        assert_eq!(
            err.to_string(),
            format!("invalid folder template {template:?}")
        );
    }
    for flat in ["none", "NONE", "None"] {
        assert_eq!(FolderStructure::parse(flat), Ok(FolderStructure::Flat));
    }
    let literal = FolderStructure::parse("%Y/%m");
    assert_eq!(literal, Ok(FolderStructure::Template("%Y/%m".to_owned())));
    // A template that never parsed renders as its text.
    let broken = FolderStructure::Template("{x}".to_owned());
    assert_eq!(broken.render(&at(0), &TimeNames::english()), "{x}");
}

#[test]
fn names_of_another_locale() {
    let mut german = TimeNames::english();
    german.months[6] = "Juli".to_owned();
    let folder = FolderStructure::parse("{:%Y/%B}").expect("template");
    assert_eq!(folder.render(&at(0), &german), "2018/Juli");
    german.months[2] = "März".to_owned();
    let march = at(0) - time::Duration::days(140);
    let folder = FolderStructure::parse("{:%^B|%10B}").expect("template");
    assert_eq!(folder.render(&march, &german), "MÄRZ|      März");
}

#[test]
fn folders_stay_inside_the_directory() {
    let folder = |directory: &str, template: &str| {
        let policy = policy(|o| {
            o.directory = PathBuf::from(directory);
            o.folder_structure = FolderStructure::parse(template).expect(template);
        });
        policy.folder(&at(0))
    };
    let cases = [
        ("./photos/", "{:%Y/%m/%d}", "photos/2018/07/31"),
        ("photos", "none", "photos"),
        ("./photos/", "none", "photos"),
        (".", "none", "."),
        ("", "none", "."),
        (".", "{:%Y/%m}", "2018/07"),
        ("", "{:%Y}", "2018"),
        ("/data/photos", "{:%Y}", "/data/photos/2018"),
        ("/data/../photos/./x/", "none", "/photos/x"),
        ("a/../b", "{:%Y}", "b/2018"),
        ("../up", "{:%Y}", "../up/2018"),
        ("photos", "/etc/{:%Y}", "photos/etc/2018"),
        ("photos", "../../{:%Y}", "photos/2018"),
        ("photos", "x/../../y/./z//", "photos/y/z"),
        ("photos", "..", "photos"),
        ("photos", "a\0b", "photos/a_b"),
        ("/", "../x", "/x"),
    ];
    for (directory, template, want) in cases {
        assert_eq!(
            folder(directory, template),
            PathBuf::from(want),
            "{directory} + {template}"
        );
    }
}
