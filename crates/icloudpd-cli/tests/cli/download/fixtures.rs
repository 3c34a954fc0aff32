//! The catalogue's fixture account (cli.md §14, `listing_photos.yml`) and builders of its
//! variants.

use icloud_fake::{FakeAccount, FakeAsset, FakeLibrary};

use crate::{PASSWORD, USER};

/// One asset of the catalogue's fixture account (`listing_photos.yml`, newest first).
pub(crate) struct Row {
    pub name: &'static str,
    pub live: bool,
    pub date_ms: i64,
    pub master: &'static str,
    pub asset: &'static str,
}

const fn row(
    name: &'static str,
    live: bool,
    date_ms: i64,
    master: &'static str,
    asset: &'static str,
) -> Row {
    Row {
        name,
        live,
        date_ms,
        master,
        asset,
    }
}

/// The fixture of cli.md §14: live JPEGs (`live`) and QuickTime videos, UTC capture dates.
pub(crate) const ROWS: [Row; 12] = [
    // 2018-07-31 07:22:24.816
    row(
        "IMG_7409.JPG",
        true,
        1_533_021_744_816,
        "AY6c+BsE0jjaXx9tmVGJM1D2VcEO",
        "F2A23C38-0020-42FE-A273-2923ADE3CAED",
    ),
    // 2018-07-30 11:44:10.176
    row(
        "IMG_7408.JPG",
        true,
        1_532_951_050_176,
        "AR8OijSKPNBuzFZHNvRpv+yNookj",
        "577DE5DB-44CF-470B-9791-11F4A5C4A99C",
    ),
    // 2018-07-30 11:44:05.108
    row(
        "IMG_7407.JPG",
        true,
        1_532_951_045_108,
        "AZ/wAGT9P6jhr0NKCjLyh7KawNEx",
        "135B4CE4-050D-41CE-ABD2-7AE6E5FA1E25",
    ),
    // 2018-07-30 08:48:51
    row(
        "IMG_7405.MOV",
        false,
        1_532_940_531_000,
        "AY+R3dhJpz0NaLm5n1dA8cdywPKa",
        "C83F37E6-6338-4DE7-BB0C-3BC91280F5F8",
    ),
    // 2018-07-30 08:12:44
    row(
        "IMG_7404.MOV",
        false,
        1_532_938_364_000,
        "AR9MlEx0lFVJHEQTaHcKRCD294Gx",
        "77D88177-28FC-4931-86E4-53CE82A4C6C3",
    ),
    // 2018-07-30 08:12:00
    row(
        "IMG_7403.MOV",
        false,
        1_532_938_320_000,
        "AW4UkI6B5ZqZbVK7cHvMqNTi3Cqb",
        "16FEA60F-B8F9-4D04-B7A1-BA0E47588476",
    ),
    // 2018-07-30 08:10:05
    row(
        "IMG_7402.MOV",
        false,
        1_532_938_205_000,
        "AWXh7InIou3rM0Zo+WXXXdecePBO",
        "4B5B8121-2D5F-4749-8C23-9DF1143162F0",
    ),
    // 2018-07-30 08:06:42
    row(
        "IMG_7401.MOV",
        false,
        1_532_938_002_000,
        "ATIjvJxHQ3UEEqzVXRAHP5lUVvDK",
        "7DDFAE17-0FBB-4B14-9E39-737136802513",
    ),
    // 2018-07-30 08:06:40.568
    row(
        "IMG_7400.JPG",
        true,
        1_532_938_000_568,
        "AXE/MlykbRbSwjFfqPAr1NDaT0T1",
        "4068A28F-8363-40D5-9517-4F30ED8F5695",
    ),
    // 2018-07-30 08:06:38.366
    row(
        "IMG_7399.JPG",
        true,
        1_532_937_998_366,
        "AULqseWEVDM/tX0Ew6z/srAwyKAE",
        "176FD6E6-4D5B-462E-9694-FDB4975657F5",
    ),
    // 2018-07-30 08:01:29
    row(
        "IMG_7398.MOV",
        false,
        1_532_937_689_000,
        "AcE/zW3+k0ytKwyafR5OJe59/7ag",
        "7C816B40-72E6-4840-8B00-5A05FC049FA4",
    ),
    // 2018-07-30 08:01:27.435
    row(
        "IMG_7397.JPG",
        true,
        1_532_937_687_435,
        "Acn0krU3KA2rm30x8bnpc6xkcsWr",
        "B0DA558F-EB77-4C80-BFEA-47C774EC4328",
    ),
];

/// Where the fixture's stills and live videos land by default (`%Y/%m/%d`).
pub(crate) const IMG_7409_JPG: &str = "2018/07/31/IMG_7409.JPG";
pub(crate) const IMG_7409_MOV: &str = "2018/07/31/IMG_7409.MOV";
pub(crate) const IMG_7408_JPG: &str = "2018/07/30/IMG_7408.JPG";
pub(crate) const IMG_7407_JPG: &str = "2018/07/30/IMG_7407.JPG";

/// Where the file `name` of a fixture asset lands by default: IMG_7409 was captured on the
/// 31st, all others on the 30th.
pub(crate) fn fixture_rel(name: &str) -> String {
    let day = if name.starts_with("IMG_7409") {
        "31"
    } else {
        "30"
    };
    format!("2018/07/{day}/{name}")
}

/// `asset` in the place of IMG_7409: its record names and capture date.
pub(crate) fn as_img_7409(asset: FakeAsset) -> FakeAsset {
    asset
        .record_names(ROWS[0].master, ROWS[0].asset)
        .date_ms(ROWS[0].date_ms)
}

/// `assetDate` of IMG_7409 (2018-07-31 07:22:24.816 UTC), whole seconds.
pub(crate) const IMG_7409_SECS: i64 = 1_533_021_744;

/// The builder of fixture asset `i` with its name, kind, date and record names; the original
/// is a few KiB so that whole runs stay fast.
pub(crate) fn fixture_asset(i: usize) -> FakeAsset {
    let r = &ROWS[i];
    let a = if r.live {
        FakeAsset::live(r.name)
    } else {
        FakeAsset::video(r.name)
    };
    a.record_names(r.master, r.asset)
        .date_ms(r.date_ms)
        .tz_offset(25200)
        .size(3000 + 17 * i as u64)
}

/// The first `n` fixture assets, each passed through `edit` (index, builder).
pub(crate) fn fixture_with(n: usize, edit: impl Fn(usize, FakeAsset) -> FakeAsset) -> FakeLibrary {
    (0..n).fold(FakeLibrary::new(), |lib, i| {
        lib.asset(edit(i, fixture_asset(i)))
    })
}

/// The first `n` fixture assets as they are.
pub(crate) fn fixture_first(n: usize) -> FakeLibrary {
    fixture_with(n, |_, a| a)
}

/// The first `n` fixture assets, the first of them (IMG_7409) passed through `edit`.
pub(crate) fn fixture_editing_first(
    n: usize,
    edit: impl Fn(FakeAsset) -> FakeAsset,
) -> FakeLibrary {
    fixture_with(n, |i, a| if i == 0 { edit(a) } else { a })
}

/// The whole fixture library (12 assets).
pub(crate) fn fixture() -> FakeLibrary {
    fixture_first(ROWS.len())
}

/// The account of every test: no 2FA, one PBKDF2 iteration (fast sign-in), `library`.
pub(crate) fn account(library: FakeLibrary) -> FakeAccount {
    FakeAccount::new(USER, PASSWORD)
        .without_two_factor()
        .iterations(1)
        .library(library)
}
