//! LWP cookie files (`#LWP-Cookies-2.0`, `Set-Cookie3:` lines), as Python's `LWPCookieJar`
//! reads them: parsing never panics, and a cookie written as a line and read again is the same
//! cookie, alone or in a whole file.
#![no_main]

use icloud_auth::Cookie;
use icloud_auth::fuzzing::{parse_lwp, to_lwp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for line in text.lines() {
        for cookie in Cookie::from_lwp_line(line).unwrap_or_default() {
            let written = cookie.to_lwp_line();
            let read = Cookie::from_lwp_line(&written);
            assert_eq!(
                read,
                Some(vec![cookie.clone()]),
                "{line:?} was written as {written:?}"
            );
        }
    }
    if let Some(cookies) = parse_lwp(text) {
        let written = to_lwp(&cookies);
        assert_eq!(parse_lwp(&written), Some(cookies), "{written:?}");
    }
});
