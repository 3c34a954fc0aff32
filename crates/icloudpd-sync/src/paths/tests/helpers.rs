//! `splitext`, de-duplication, legacy and temporary names.

use super::*;

#[test]
fn splitext_is_pythons() {
    let cases = [
        ("IMG.1234.HEIC", ("IMG.1234", ".HEIC")),
        ("IMG_1.JPG", ("IMG_1", ".JPG")),
        ("IMG", ("IMG", "")),
        (".hidden", (".hidden", "")),
        ("..foo", ("..foo", "")),
        ("...", ("...", "")),
        ("a.", ("a", ".")),
        (".a.b", (".a", ".b")),
        ("", ("", "")),
    ];
    for (name, want) in cases {
        assert_eq!(names::splitext(name), want, "{name}");
    }
    assert_eq!(
        names::add_suffix("-medium", "IMG_1.JPG"),
        "IMG_1-medium.JPG"
    );
    assert_eq!(names::add_suffix("-medium", "IMG_1"), "IMG_1-medium");
}

#[test]
fn dedup_inserts_the_size_before_the_extension() {
    let dedup = |path: &str| dedup_path(Path::new(path), 1884695);
    assert_eq!(
        dedup("2018/07/31/IMG_7409.JPG"),
        PathBuf::from("2018/07/31/IMG_7409-1884695.JPG")
    );
    assert_eq!(
        dedup("a/IMG.1234.HEIC"),
        PathBuf::from("a/IMG.1234-1884695.HEIC")
    );
    assert_eq!(dedup("dir/.hidden"), PathBuf::from("dir/-1884695.hidden"));
    // Extension-less names get the size appended (icloudpd would edit `a.b` or do nothing).
    assert_eq!(dedup("a.b/IMG_1"), PathBuf::from("a.b/IMG_1-1884695"));
    assert_eq!(dedup("IMG_1"), PathBuf::from("IMG_1-1884695"));
    assert_eq!(
        dedup("x/IMG_1_HEVC.MOV"),
        PathBuf::from("x/IMG_1_HEVC-1884695.MOV")
    );
}

#[test]
fn legacy_and_temporary_names() {
    assert_eq!(
        legacy_original_name("IMG_7409.JPG"),
        "IMG_7409-original.JPG"
    );
    assert_eq!(legacy_original_name("IMG_7409"), "IMG_7409-original");
    assert_eq!(
        temp_file_name("AY6c+BsE0jjaXx9tmVGJM1D2VcEO"),
        "AGHJZ6A3ATJDRWS7D5WZSUMJGNIPMVOBBY======.part"
    );
    // Like Python's b64decode, characters outside the alphabet are skipped.
    assert_eq!(
        temp_file_name("AY6c+Bs\nE0jjaXx9tmVGJM1D2VcEO"),
        "AGHJZ6A3ATJDRWS7D5WZSUMJGNIPMVOBBY======.part"
    );
    // Not base64 (bad padding): the text itself is encoded.
    assert_eq!(temp_file_name("abc"), "MFRGG===.part");
    assert_eq!(temp_file_name(""), ".part");
    assert_eq!(temp_file_name(&"A".repeat(1000)).len(), 200 + ".part".len());
    for (bytes, want) in [
        (&b"f"[..], "MY======"),
        (b"fo", "MZXQ===="),
        (b"foo", "MZXW6==="),
        (b"foob", "MZXW6YQ="),
        (b"fooba", "MZXW6YTB"),
        (b"foobar", "MZXW6YTBOI======"),
    ] {
        assert_eq!(base32(bytes), want);
    }
}
