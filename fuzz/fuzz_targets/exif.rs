//! The EXIF reader and patcher on arbitrary files: reading `DateTimeOriginal` never panics,
//! and a patched JPEG keeps every byte outside the Exif segment, reads back the date written,
//! and can be patched again.
#![no_main]

use icloudpd_sync::fuzzing::{date_time_original, exif_replaced_range, with_date_time};
use libfuzzer_sys::fuzz_target;
use time::{OffsetDateTime, PrimitiveDateTime};

fuzz_target!(|jpeg: &[u8]| {
    let _ = date_time_original(jpeg);
    let when = date_for(jpeg);
    let Ok(patched) = with_date_time(jpeg, when) else {
        return;
    };
    let replaced = exif_replaced_range(jpeg).expect("a patched JPEG was scanned");
    assert!(
        patched.starts_with(&jpeg[..replaced.start]),
        "bytes before the Exif segment"
    );
    assert!(
        patched.ends_with(&jpeg[replaced.end..]),
        "bytes after the Exif segment"
    );
    let written = exif_text(when);
    assert_eq!(date_time_original(&patched), Ok(Some(written)));

    let again = date_for(&patched);
    let twice = with_date_time(&patched, again).expect("a patched JPEG can be patched again");
    let written = exif_text(again);
    assert_eq!(date_time_original(&twice), Ok(Some(written)));
});

/// A date between years 1 and 9999 that depends on the input.
fn date_for(bytes: &[u8]) -> PrimitiveDateTime {
    let sum = bytes.iter().fold(0i64, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(i64::from(*b))
    });
    let seconds = sum.rem_euclid(315_537_897_599) - 62_135_596_800;
    let utc = OffsetDateTime::from_unix_timestamp(seconds).expect("in time's range");
    PrimitiveDateTime::new(utc.date(), utc.time())
}

/// `YYYY:MM:DD HH:MM:SS`, the EXIF date format.
fn exif_text(when: PrimitiveDateTime) -> String {
    format!(
        "{:04}:{:02}:{:02} {:02}:{:02}:{:02}",
        when.year(),
        u8::from(when.month()),
        when.day(),
        when.hour(),
        when.minute(),
        when.second()
    )
}
