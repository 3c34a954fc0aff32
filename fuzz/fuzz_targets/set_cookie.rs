//! `Set-Cookie` headers as servers send them, one a line, and the dates of cookies: parsing
//! never panics; a cookie is only kept for the host that sent it or a domain of that host, on a
//! path starting with `/`; a kept cookie survives being saved to and read from an LWP cookie
//! file (the session store's format); and an LWP date reads back as written.
#![no_main]

use icloud_auth::Cookie;
use icloud_auth::fuzzing::{iso2time, jar, parse_cookie_date, parse_set_cookie, time2isoz};
use libfuzzer_sys::fuzz_target;
use url::Url;

const URLS: [&str; 5] = [
    "https://idmsa.apple.com/appleauth/auth/signin",
    "https://setup.icloud.com/setup/ws/1/accountLogin",
    "http://127.0.0.1:8080/",
    "https://p123-ckdatabasews.icloud.com.cn/database/1/x",
    "https://[::1]/a/b/c",
];

/// 2024-01-16, when Apple's sample headers were recorded.
const NOW: i64 = 1_705_370_839;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let url = Url::parse(URLS[data.len() % URLS.len()]).expect("a valid URL");
    let host = url.host_str().expect("a host").to_ascii_lowercase();
    let headers: Vec<&str> = text.lines().collect();
    for header in &headers {
        let _ = parse_cookie_date(header);
        if let Some(unix) = iso2time(header) {
            let written = time2isoz(unix).expect("a date read can be written");
            let read = iso2time(&written);
            assert_eq!(read, Some(unix), "{header:?} written as {written:?}");
        }
        let Some(cookie) = parse_set_cookie(header, &url, NOW) else {
            continue;
        };
        let domain = cookie.domain();
        match domain.strip_prefix('.') {
            Some(bare) => assert!(
                host == bare || host.ends_with(&format!(".{bare}")),
                "{header:?} set a cookie for {domain} from {host}"
            ),
            None => assert_eq!(domain, host, "{header:?}"),
        }
        assert!(cookie.path().starts_with('/'), "{header:?}");
        let line = cookie.to_lwp_line();
        let read = Cookie::from_lwp_line(&line);
        assert_eq!(
            read,
            Some(vec![cookie.clone()]),
            "{header:?} saved as {line:?}"
        );
    }
    let _ = jar(&headers, &url, NOW);
});
