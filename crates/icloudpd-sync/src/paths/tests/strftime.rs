//! glibc `strftime` as Python reaches it (vectors checked against glibc 2.36 through
//! CPython 3.11's `datetime.strftime`).

use super::*;
use crate::paths::strftime::{Tm, strftime};

fn format(pattern: &str, created: &OffsetDateTime) -> String {
    strftime(pattern, &Tm::new(created), &TimeNames::english())
}

fn utc(y: i32, m: u8, d: u8, h: u8, min: u8, s: u8) -> OffsetDateTime {
    let month = time::Month::try_from(m).expect("month");
    let date = time::Date::from_calendar_date(y, month, d).expect("date");
    let time = time::Time::from_hms(h, min, s).expect("time");
    time::PrimitiveDateTime::new(date, time).assume_utc()
}

#[test]
fn conversions_of_the_c_locale() {
    let t = at(0);
    let cases = [
        ("%a %A %b %B %h", "Tue Tuesday Jul July Jul"),
        ("%C %y %G %g %V", "20 18 2018 18 31"),
        ("%j %U %W %u %w", "212 30 31 2 2"),
        ("%H %I %k %l %M %S %p %P", "07 07  7  7 22 24 AM am"),
        (
            "%F %T %D %R %r",
            "2018-07-31 07:22:24 07/31/18 07:22 07:22:24 AM",
        ),
        (
            "%c | %x | %X",
            "Tue Jul 31 07:22:24 2018 | 07/31/18 | 07:22:24",
        ),
        ("%n%t%%", "\n\t%"),
        ("%s", "1533021744"),
        ("%f %z %Z", "816000 +0000 UTC"),
        ("%Ey %Oy %EY %OB", "18 18 2018 July"),
    ];
    for (pattern, want) in cases {
        assert_eq!(format(pattern, &t), want, "{pattern}");
    }
    let iso = "%G-W%V-%u %g %U %W %j %I %l %p";
    assert_eq!(
        format(iso, &utc(2021, 1, 1, 0, 0, 0)),
        "2020-W53-5 20 00 00 001 12 12 AM"
    );
    assert_eq!(
        format(iso, &utc(2024, 12, 30, 23, 5, 9)),
        "2025-W01-1 25 52 53 365 11 11 PM"
    );
    let year5 = "%Y|%C|%y|%G|%g|%F|%c|%4Y|%_4Y";
    let want = "5|0|05|4|04|5-01-01|Sat Jan  1 00:00:00 5|0005|   5";
    assert_eq!(format(year5, &utc(5, 1, 1, 0, 0, 0)), want);
}

#[test]
fn flags_widths_and_unknown_conversions() {
    let t = at(0);
    let cases = [
        (
            "%-d %_m %0e %^a %#A %^B %#p %^P %-5B %10Y %_10Y %010B",
            "31  7 31 TUE TUESDAY JULY am am  July 0000002018       2018 000000July",
        ),
        ("%q %Ek %E%%5 %", "%q %Ek %  %5 %"),
        ("%^q %#Eb %^Eb %5é", "%^Q %#EB %^EB   %5é"),
        ("%-f %%z %%f", "%-f %z %f"),
        (
            "%010x %^10c %12s %012s",
            "0007/31/18 TUE JUL 31 07:22:24 2018   1533021744 001533021744",
        ),
    ];
    for (pattern, want) in cases {
        assert_eq!(format(pattern, &t), want, "{pattern}");
    }
}

#[test]
fn zones_and_the_output_limit() {
    let plus_two = at(7200);
    assert_eq!(format("%z %Z", &plus_two), "+0200 +02");
    assert_eq!(format("%z %Z", &at(19_800)), "+0530 +0530");
    assert_eq!(format("%z %Z", &at(-12_600)), "-0330 -0330");
    assert_eq!(format("%z %Z", &at(19_815)), "+053015 +053015");
    // With flags `%z`/`%Z` are glibc's, here with the real offset.
    assert_eq!(format("%-z|%6z|%#Z", &plus_two), "+200|     +000200|+02");
    assert_eq!(format("%#Z", &at(0)), "utc");
    // CPython gives up (empty result) past 256 characters per format character.
    assert_eq!(format("%2047Y", &plus_two).len(), 2047);
    assert_eq!(format("%2048Y", &plus_two), "");
    assert_eq!(format("x%2048Y", &plus_two), "");
    assert_eq!(format("%1000000000Y", &plus_two), "");
}
