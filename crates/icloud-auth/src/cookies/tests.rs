use super::date::{iso2time, parse_cookie_date, time2isoz};
use super::lwp::quote_word;
use super::*;

/// The example of spec §10.3.
const SPEC_EXAMPLE: &str = r#"#LWP-Cookies-2.0
Set-Cookie3: X-APPLE-WEBAUTH-TOKEN="\"v=2:t=AQ==BST_IAAAAAAABLwIAAAAAGZ~~\""; path="/"; domain=".icloud.com"; path_spec; domain_dot; secure; expires="2026-12-21 17:47:44Z"; HttpOnly=None; version=0
Set-Cookie3: X-APPLE-WEBAUTH-VALIDATE="\"v=1:t=AQ==BST_IAAAA~~\""; path="/"; domain=".icloud.com"; path_spec; domain_dot; secure; discard; version=0
Set-Cookie3: aasp=DAA5DA5FAKE; path="/"; domain=".idmsa.apple.com"; path_spec; secure; discard; HttpOnly=None; version=0
Set-Cookie3: dslang="US-EN"; path="/"; domain=".apple.com"; path_spec; secure; discard; HttpOnly=None; version=0
"#;

/// Written by CPython 3.11 `http.cookiejar.LWPCookieJar.save(ignore_discard=True,
/// ignore_expires=True)` after `extract_cookies` of the headers in [`PYTHON_HEADERS`], at
/// [`PYTHON_NOW`].
const PYTHON_FIXTURE: &str = r#"#LWP-Cookies-2.0
Set-Cookie3: aasp=DAA5DA5FAKE0123; path="/"; domain=".idmsa.apple.com"; path_spec; secure; discard; HttpOnly=None; version=0
Set-Cookie3: dslang="US-EN"; path="/"; domain=".apple.com"; path_spec; secure; discard; HttpOnly=None; version=0
Set-Cookie3: acn01="tP7bW+kDQxQ/ZSM="; path="/"; domain=".apple.com"; path_spec; secure; expires="2027-11-21 19:29:09Z"; HttpOnly=None; version=0
Set-Cookie3: site=USA; path="/"; domain=".apple.com"; path_spec; secure; discard; SameSite=None; version=0
Set-Cookie3: X-APPLE-WEBAUTH-TOKEN="\"v=2:t=AQ==BST_IAAAAAAABLwIAAAAAGZ~~\""; path="/"; domain=".icloud.com"; path_spec; domain_dot; secure; expires="2026-12-21 17:47:44Z"; HttpOnly=None; version=0
Set-Cookie3: X-APPLE-UNIQUE-CLIENT-ID="\"Cw==\""; path="/"; domain=".icloud.com"; path_spec; domain_dot; secure; discard; version=0
Set-Cookie3: X_APPLE_WEB_KB-ABCDEF="\"v=1:t=Zm9vYmFy\\\\baz\""; path="/"; domain=".icloud.com"; path_spec; domain_dot; secure; expires="2027-02-21 10:00:00Z"; HttpOnly=None; version=0
Set-Cookie3: scnt=abc; path="/appleauth"; domain="127.0.0.1"; path_spec; discard; version=0
"#;

/// `acn01`'s expiry minus its `Max-Age`.
const PYTHON_NOW: i64 = 1_826_825_349 - 31_536_000;

const PYTHON_HEADERS: &[(&str, &[&str])] = &[
    (
        "https://idmsa.apple.com/appleauth/auth/signin/init",
        &[
            "aasp=DAA5DA5FAKE0123; Domain=idmsa.apple.com; Path=/; Secure; HttpOnly",
            "dslang=US-EN; Domain=apple.com; Path=/; Secure; HttpOnly",
            "acn01=tP7bW+kDQxQ/ZSM=; Max-Age=31536000; Expires=Tue,16-Jan-2024 02:07:19 GMT; Domain=apple.com; Path=/; Secure; HttpOnly",
            "site=USA; Domain=apple.com; Path=/; Secure; SameSite=None",
        ],
    ),
    (
        "https://setup.icloud.com/setup/ws/1/accountLogin",
        &[
            r#"X-APPLE-WEBAUTH-TOKEN="v=2:t=AQ==BST_IAAAAAAABLwIAAAAAGZ~~";Expires=Mon, 21-Dec-2026 17:47:44 GMT;Path=/;Domain=.icloud.com;Secure;HttpOnly"#,
            r#"X-APPLE-WEBAUTH-USER="v=1:s=1:d=12345678901";Expires=Fri, 12-Jan-2024 05:06:31 GMT;Path=/;Domain=.icloud.com;Secure"#,
            r#"X-APPLE-UNIQUE-CLIENT-ID="Cw==";Path=/;Domain=.icloud.com;Secure"#,
            r#"X_APPLE_WEB_KB-ABCDEF="v=1:t=Zm9vYmFy\\baz";Expires=Sun, 21-Feb-2027 10:00:00 GMT;Path=/;Domain=.icloud.com;Secure;HttpOnly"#,
        ],
    ),
    (
        "http://127.0.0.1:8080/appleauth/auth/signin/init",
        &["scnt=abc; Path=/appleauth"],
    ),
];

const NOW: i64 = 1_700_000_000;

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn jar_with(url_str: &str, headers: &[&str]) -> CookieJar {
    let jar = CookieJar::default();
    for h in headers {
        jar.store_set_cookie_at(h, &url(url_str), NOW);
    }
    jar
}

#[test]
fn parses_spec_example() {
    let cookies = parse_lwp(SPEC_EXAMPLE).unwrap();
    assert_eq!(cookies.len(), 4);
    let token = &cookies[0];
    assert_eq!(token.name(), "X-APPLE-WEBAUTH-TOKEN");
    assert_eq!(token.value(), r#""v=2:t=AQ==BST_IAAAAAAABLwIAAAAAGZ~~""#);
    assert_eq!(token.domain(), ".icloud.com");
    assert_eq!(token.path(), "/");
    assert_eq!(token.expires_unix(), Some(1_797_875_264));
    assert!(token.is_secure() && token.is_http_only() && !token.is_host_only());
    assert!(token.domain_dot && token.path_spec && !token.discard);
    assert!(!token.is_expired_at(1_797_875_263));
    assert!(token.is_expired_at(1_797_875_264));

    let validate = &cookies[1];
    assert_eq!(validate.expires_unix(), None);
    assert!(validate.discard && !validate.is_http_only());

    let aasp = &cookies[2];
    assert_eq!(
        (aasp.value(), aasp.domain()),
        ("DAA5DA5FAKE", ".idmsa.apple.com")
    );
    assert!(!aasp.domain_dot);
    assert_eq!(cookies[3].value(), "US-EN");
}

#[test]
fn lwp_round_trips_byte_for_byte() {
    for text in [SPEC_EXAMPLE, PYTHON_FIXTURE, "#LWP-Cookies-2.0\n"] {
        assert_eq!(to_lwp(&parse_lwp(text).unwrap()), text);
    }
}

#[test]
fn set_cookie_headers_give_the_same_file_as_python() {
    let jar = CookieJar::default();
    for (request, headers) in PYTHON_HEADERS {
        for h in *headers {
            jar.store_set_cookie_at(h, &url(request), PYTHON_NOW);
        }
    }
    assert_eq!(to_lwp(&jar.snapshot()), PYTHON_FIXTURE);
    assert_eq!(jar.snapshot(), parse_lwp(PYTHON_FIXTURE).unwrap());
}

#[test]
fn python_fixture_reads_as_python_does() {
    let cookies = parse_lwp(PYTHON_FIXTURE).unwrap();
    let kb = cookies
        .iter()
        .find(|c| c.name().starts_with("X_APPLE_WEB_KB"))
        .unwrap();
    assert_eq!(kb.value(), r#""v=1:t=Zm9vYmFy\\baz""#);
    let scnt = cookies.iter().find(|c| c.name() == "scnt").unwrap();
    assert_eq!((scnt.domain(), scnt.path()), ("127.0.0.1", "/appleauth"));
    assert!(scnt.is_host_only());
    let site = cookies.iter().find(|c| c.name() == "site").unwrap();
    assert_eq!(site.rest, vec![("SameSite".to_owned(), "None".to_owned())]);
}

#[test]
fn rejects_files_without_magic_and_skips_bad_lines() {
    assert!(parse_lwp("").is_err());
    assert!(parse_lwp("# Netscape HTTP Cookie File\n").is_err());
    assert!(parse_lwp("\u{80}\u{4}\u{95}pickle").is_err());
    assert!(parse_lwp("#LWP-Cookies-2\n").is_err());
    let text = "#LWP-Cookies-2.0\r\n\
        # a comment\n\
        Set-Cookie3: nodomain=1; path=\"/\"; version=0\n\
        Set-Cookie3: lone; path=\"/\"; domain=\"a.example\"\n\
        Set-Cookie3: a=1; path=\"/\"; domain=\"a.example\"; expires=\"garbage\"; version=0\r\n\
        Set-Cookie3: b=\"x, y\"; path=\"/\"; domain=\"a.example\", c=2; path=\"/p\"; domain=\"b.example\"\n";
    let cookies = parse_lwp(text).unwrap();
    let names: Vec<&str> = cookies.iter().map(Cookie::name).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert!(
        cookies[0].discard,
        "an unreadable expiry makes a session cookie"
    );
    assert_eq!(cookies[1].value(), "x, y");
    assert_eq!(cookies[2].path(), "/p");
}

#[test]
fn lwp_values_are_quoted_like_python() {
    assert_eq!(quote_word("abc_123"), "abc_123");
    assert_eq!(quote_word("héllo"), "héllo");
    assert_eq!(quote_word(""), r#""""#);
    assert_eq!(quote_word("/"), r#""/""#);
    assert_eq!(quote_word(r#"a"b\c"#), r#""a\"b\\c""#);
    assert_eq!(time2isoz(0).as_deref(), Some("1970-01-01 00:00:00Z"));
    assert_eq!(iso2time("2026-12-21 17:47:44Z"), Some(1_797_875_264));
    assert_eq!(iso2time("2026-12-21T17:47:44"), Some(1_797_875_264));
    assert_eq!(iso2time("2026-12-21 18:47:44 +01:00"), Some(1_797_875_264));
    assert_eq!(iso2time("2026-12-21"), Some(1_797_811_200));
    assert_eq!(iso2time("21 Dec 2026"), None);
}

#[test]
fn quotes_survive_set_cookie_to_request_header() {
    let jar = jar_with(
        "https://setup.icloud.com/setup/ws/1/accountLogin",
        &[
            r#"X-APPLE-WEBAUTH-TOKEN="v=2:t=AQ==BST_IAAAAAAABLwIAAAAAGZ~~";Expires=Mon, 21-Dec-2026 17:47:44 GMT;Path=/;Domain=.icloud.com;Secure;HttpOnly"#,
            r#"X-APPLE-WEBAUTH-USER="v=1:s=1:d=123"; Path=/; Domain=.icloud.com; Secure"#,
        ],
    );
    assert_eq!(
        jar.header_for_at(
            &url("https://p42-ckdatabasews.icloud.com:443/database/1"),
            NOW
        )
        .as_deref(),
        Some(
            r#"X-APPLE-WEBAUTH-TOKEN="v=2:t=AQ==BST_IAAAAAAABLwIAAAAAGZ~~"; X-APPLE-WEBAUTH-USER="v=1:s=1:d=123""#
        )
    );
    assert_eq!(
        jar.get("X-APPLE-WEBAUTH-USER").as_deref(),
        Some(r#""v=1:s=1:d=123""#)
    );
    assert_eq!(jar.get("missing"), None);
    let expired = jar_with(
        "https://example.com/",
        &["old=1; Expires=Fri, 12-Jan-2024 05:06:31 GMT"],
    );
    assert_eq!(
        expired.snapshot().len(),
        1,
        "stored relative to the test clock"
    );
    assert_eq!(expired.get("old"), None, "but expired now");
}

#[test]
fn parses_both_apple_expires_formats_and_rfc1123() {
    for text in [
        "Tue,16-Jan-2024 02:07:19 GMT",
        "Tue, 16-Jan-2024 02:07:19 GMT",
        "Tue, 16 Jan 2024 02:07:19 GMT",
        "Tuesday, 16-Jan-24 02:07:19 GMT",
        "Tue Jan 16 02:07:19 2024",
    ] {
        assert_eq!(parse_cookie_date(text), Some(1_705_370_839), "{text}");
    }
    assert_eq!(parse_cookie_date("Thu, 01-Jan-1970 00:00:01 GMT"), Some(1));
    for bad in [
        "",
        "soon",
        "Tue, 31-Feb-2024 02:07:19 GMT",
        "Tue, 16-Jan-2024 25:07:19 GMT",
    ] {
        assert_eq!(parse_cookie_date(bad), None, "{bad}");
    }
}

#[test]
fn expiry_attributes() {
    let jar = jar_with(
        "https://idmsa.apple.com/",
        &[
            "a=1; Expires=Fri, 12-Jan-2024 05:06:31 GMT",
            "b=2; Expires=never",
            "c=3; Expires=Thu, 01-Jan-1970 00:00:01 GMT; Max-Age=60",
            "d=4; Max-Age=60; Expires=Thu, 01-Jan-1970 00:00:01 GMT",
            "e=5; Max-Age=0",
            "f=6; Max-Age=soon",
        ],
    );
    let got: Vec<(String, Option<i64>)> = jar
        .snapshot()
        .iter()
        .map(|c| (c.name().to_owned(), c.expires_unix()))
        .collect();
    let want = [
        ("a", Some(1_705_035_991)),
        ("b", None),
        ("c", Some(NOW + 60)),
        ("d", Some(NOW + 60)),
        ("f", None),
    ];
    let want: Vec<(String, Option<i64>)> =
        want.iter().map(|(n, e)| ((*n).to_owned(), *e)).collect();
    assert_eq!(got, want);
    assert!(jar.snapshot()[1].discard);
}

#[test]
fn deletion_and_replacement() {
    let u = url("https://setup.icloud.com/setup/ws/1/validate");
    let jar = CookieJar::default();
    jar.store_set_cookie_at("first=1; Domain=.icloud.com; Path=/", &u, NOW);
    jar.store_set_cookie_at("X=old; Domain=.icloud.com; Path=/", &u, NOW);
    jar.store_set_cookie_at("last=1; Domain=.icloud.com; Path=/", &u, NOW);
    jar.store_set_cookie_at("X=new; Domain=icloud.com; Path=/", &u, NOW);
    let names: Vec<String> = jar.snapshot().iter().map(|c| c.name().to_owned()).collect();
    assert_eq!(
        names,
        ["first", "X", "last"],
        "replacement keeps the creation order"
    );
    assert_eq!(jar.get("X").as_deref(), Some("new"));
    // A different path is a different cookie.
    jar.store_set_cookie_at("X=other; Domain=.icloud.com; Path=/setup", &u, NOW);
    assert_eq!(jar.snapshot().len(), 4);

    jar.store_set_cookie_at(
        "X=; Domain=.icloud.com; Path=/; Expires=Thu, 01-Jan-1970 00:00:01 GMT",
        &u,
        NOW,
    );
    let left: Vec<(String, String)> = jar
        .snapshot()
        .iter()
        .map(|c| (c.name().to_owned(), c.path().to_owned()))
        .collect();
    assert_eq!(left.len(), 3);
    assert!(left.contains(&("X".to_owned(), "/setup".to_owned())));
}

#[test]
fn domain_matching() {
    let jar = jar_with(
        "https://idmsa.apple.com/appleauth/auth",
        &[
            "host=1; Path=/",
            "dom=2; Domain=apple.com; Path=/",
            "foreign=3; Domain=icloud.com; Path=/",
            "tld=4; Domain=com; Path=/",
            "sub=5; Domain=sub.idmsa.apple.com; Path=/",
        ],
    );
    let snapshot = jar.snapshot();
    let names: Vec<&str> = snapshot.iter().map(Cookie::name).collect();
    assert_eq!(names, ["host", "dom"]);
    assert_eq!(snapshot[0].domain(), "idmsa.apple.com");
    assert_eq!(snapshot[1].domain(), ".apple.com");
    assert!(!snapshot[1].domain_dot);

    let header = |u: &str| jar.header_for_at(&url(u), NOW);
    assert_eq!(
        header("https://idmsa.apple.com:8443/x").as_deref(),
        Some("host=1; dom=2")
    );
    assert_eq!(
        header("https://IDMSA.apple.com/x").as_deref(),
        Some("host=1; dom=2")
    );
    assert_eq!(header("https://apple.com/").as_deref(), Some("dom=2"));
    assert_eq!(header("https://www.apple.com/").as_deref(), Some("dom=2"));
    assert_eq!(
        header("https://a.idmsa.apple.com/").as_deref(),
        Some("dom=2")
    );
    assert_eq!(header("https://notapple.com/"), None);
    assert_eq!(header("https://icloud.com/"), None);

    let local = jar_with("http://127.0.0.1:41234/appleauth/auth/signin", &["scnt=x"]);
    assert_eq!(local.snapshot()[0].domain(), "127.0.0.1");
    assert_eq!(local.snapshot()[0].path(), "/appleauth/auth");
    let local_header = |u: &str| local.header_for_at(&url(u), NOW);
    assert_eq!(
        local_header("http://127.0.0.1:9/appleauth/auth").as_deref(),
        Some("scnt=x")
    );
    assert_eq!(local_header("http://127.0.0.2/appleauth/auth"), None);
    let ip = jar_with(
        "http://127.0.0.1/",
        &["a=1; Domain=0.0.1", "b=2; Domain=127.0.0.1"],
    );
    let names: Vec<String> = ip.snapshot().iter().map(|c| c.name().to_owned()).collect();
    assert_eq!(names, ["b"], "IP addresses have no parent domains");
}

#[test]
fn path_matching_and_order() {
    let jar = jar_with(
        "https://example.com/a/b/c",
        &[
            "default=1",
            "root=2; Path=/",
            "ab=3; Path=/a/b",
            "bad=4; Path=relative",
        ],
    );
    let paths: Vec<String> = jar.snapshot().iter().map(|c| c.path().to_owned()).collect();
    assert_eq!(paths, ["/a/b", "/", "/a/b", "/a/b"]);
    assert!(!jar.snapshot()[0].path_spec && jar.snapshot()[2].path_spec);

    let header = |u: &str| jar.header_for_at(&url(u), NOW);
    assert_eq!(
        header("https://example.com/a/b").as_deref(),
        Some("default=1; ab=3; bad=4; root=2")
    );
    assert_eq!(
        header("https://example.com/a/b/").as_deref(),
        Some("default=1; ab=3; bad=4; root=2")
    );
    assert_eq!(
        header("https://example.com/a/bc").as_deref(),
        Some("root=2")
    );
    assert_eq!(header("https://example.com/").as_deref(), Some("root=2"));
    assert!(path_match("/a/b/c", "/a/"));
    assert_eq!(default_path(&url("https://example.com")), "/");
    assert_eq!(default_path(&url("https://example.com/x")), "/");
}

#[test]
fn secure_and_expired_cookies_are_not_always_sent() {
    let jar = jar_with(
        "https://example.com/",
        &[
            "s=1; Secure; Path=/",
            "p=2; Path=/",
            "old=3; Path=/; Max-Age=10",
        ],
    );
    let header = |u: &str, now| jar.header_for_at(&url(u), now);
    assert_eq!(
        header("https://example.com/", NOW).as_deref(),
        Some("s=1; p=2; old=3")
    );
    assert_eq!(
        header("http://example.com/", NOW).as_deref(),
        Some("p=2; old=3")
    );
    assert_eq!(
        header("https://example.com/", NOW + 10).as_deref(),
        Some("s=1; p=2")
    );
    assert_eq!(jar.snapshot().len(), 3, "expired cookies are kept");

    let local = jar_with("http://127.0.0.1:8080/", &["s=1; Secure; Path=/"]);
    assert_eq!(
        local.header_for_at(&url("http://127.0.0.1:8080/"), NOW),
        None
    );
    let wss = local.header_for_at(&url("wss://127.0.0.1/"), NOW);
    assert_eq!(wss.as_deref(), Some("s=1"));
}

#[test]
fn unusable_set_cookie_headers_are_ignored() {
    let jar = jar_with("https://example.com/", &["", "novalue", "=x", " ; Path=/"]);
    assert!(jar.snapshot().is_empty());
    let jar = jar_with(
        "https://example.com/",
        &["  spaced  =  v v ;HTTPONLY;  SameSite = Lax ; Foo"],
    );
    let c = &jar.snapshot()[0];
    assert_eq!((c.name(), c.value()), ("spaced", "v v"));
    assert!(c.is_http_only());
    assert_eq!(
        c.to_lwp_line(),
        r#"Set-Cookie3: spaced="v v"; path="/"; domain="example.com"; discard; Foo=None; HTTPONLY=None; SameSite=Lax; version=0"#
    );
}

#[test]
fn a_cookie_read_back_from_its_lwp_line_is_equal() {
    // Found by fuzzing (fuzz/fuzz_targets/lwp_cookies.rs): attributes read in another order
    // than Python writes them made the cookie read back unequal to the one written.
    let line = r#"Set-Cookie3: a=1; path="/"; domain="x.example"; Zed=1; alpha; HttpOnly=None; Zed=2; version=0"#;
    let cookie = Cookie::from_lwp_line(line).unwrap().remove(0);
    let written = cookie.to_lwp_line();
    assert_eq!(
        written,
        r#"Set-Cookie3: a=1; path="/"; domain="x.example"; discard; HttpOnly=None; Zed=2; alpha=None; version=0"#
    );
    assert_eq!(Cookie::from_lwp_line(&written), Some(vec![cookie]));
}

#[test]
fn an_empty_comment_is_no_comment() {
    // Found by fuzzing (fuzz/fuzz_targets/lwp_cookies.rs): `comment=` was kept as an empty
    // comment, which Python does not write, so the cookie read back was another.
    let line =
        r#"Set-Cookie3: a=1; path="/"; domain="x.example"; comment=; commenturl=""; version=0"#;
    let cookie = Cookie::from_lwp_line(line).unwrap().remove(0);
    let written = cookie.to_lwp_line();
    assert_eq!(
        written,
        r#"Set-Cookie3: a=1; path="/"; domain="x.example"; discard; version=0"#
    );
    assert_eq!(Cookie::from_lwp_line(&written), Some(vec![cookie]));
}

#[test]
fn every_expiry_is_written_and_read_back() {
    // Found by fuzzing (fuzz/fuzz_targets/set_cookie.rs): the expiry of `Max-Age=0`, before
    // year 0, was not written, and the cookie read back as a session cookie. So were, as
    // review then showed, expiries past year 9999 (a huge Max-Age, an LWP date with an
    // offset) and at the epoch.
    let u = url("https://example.com/");
    let huge = parse_set_cookie("a=1; Max-Age=99999999999999999", &u, NOW).unwrap();
    let gone = parse_set_cookie("b=1; Max-Age=0", &u, NOW).unwrap();
    let late =
        r#"Set-Cookie3: c=1; path="/"; domain="x"; expires="9999-12-31 23:59:59-01:00"; version=0"#;
    let epoch =
        r#"Set-Cookie3: d=1; path="/"; domain="x"; expires="1970-01-01 00:00:00Z"; version=0"#;
    let late = Cookie::from_lwp_line(late).unwrap().remove(0);
    let epoch = Cookie::from_lwp_line(epoch).unwrap().remove(0);
    assert_eq!(huge.expires_unix(), Some(253_402_300_799));
    assert_eq!(late.expires_unix(), Some(253_402_300_799));
    assert!(gone.is_expired_at(NOW));
    assert_eq!(epoch.expires_unix(), Some(0));
    for cookie in [huge, gone, late, epoch] {
        let written = cookie.to_lwp_line();
        assert!(written.contains("; expires=\""), "{written}");
        assert_eq!(
            Cookie::from_lwp_line(&written),
            Some(vec![cookie]),
            "{written}"
        );
    }
}

#[test]
fn set_cookie_names_an_lwp_file_cannot_hold_are_ignored() {
    // Found by fuzzing (fuzz/fuzz_targets/set_cookie.rs): an attribute name with a space or
    // comma was written to the session file as it is, and read back as other words; a cookie
    // name with one (left out of the target's check from the start) fared the same.
    let jar = jar_with(
        "https://example.com/",
        &["a b=1", "a,b=1", "\u{a0}c\u{a0}=1"],
    );
    let names: Vec<String> = jar.snapshot().iter().map(|c| c.name().to_owned()).collect();
    assert_eq!(names, ["c"]);
    let jar = jar_with(
        "https://example.com/",
        &["ok=1; Same Site=Lax; a,b; HttpOnly; Path=/"],
    );
    let cookie = jar.snapshot().remove(0);
    let line = cookie.to_lwp_line();
    assert_eq!(
        line,
        r#"Set-Cookie3: ok=1; path="/"; domain="example.com"; path_spec; discard; HttpOnly=None; version=0"#
    );
    assert_eq!(Cookie::from_lwp_line(&line), Some(vec![cookie]));
}

#[test]
fn reqwest_cookie_store() {
    use reqwest::cookie::CookieStore as _;
    let jar = CookieJar::default();
    let shared = jar.clone();
    let u = url("https://setup.icloud.com/setup/ws/1/validate");
    let header =
        HeaderValue::from_static(r#"X-APPLE-WEBAUTH-USER="v=1:s=1"; Domain=.icloud.com; Path=/"#);
    shared.set_cookies(&mut std::iter::once(&header), &u);
    let sent = jar.cookies(&u).unwrap();
    assert_eq!(sent.to_str().unwrap(), r#"X-APPLE-WEBAUTH-USER="v=1:s=1""#);
    assert_eq!(jar.cookies(&url("https://apple.com/")), None);
}

#[test]
fn debug_redacts_values() {
    let jar = jar_with("https://example.com/", &["token=supersecret"]);
    let text = format!("{:?}", jar.snapshot()[0]);
    assert!(
        text.contains("token") && text.contains("<11 bytes>"),
        "{text}"
    );
    assert!(!text.contains("supersecret"));
    assert_eq!(format!("{jar:?}"), "CookieJar { cookies: 1 }");
    assert_eq!(
        CookieJar::from_cookies(parse_lwp(PYTHON_FIXTURE).unwrap())
            .snapshot()
            .len(),
        8
    );
}
