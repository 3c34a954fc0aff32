//! Entry points for the fuzz targets in `fuzz/`, compiled only with `--cfg fuzzing` (as
//! `cargo fuzz` builds). Not part of the API: they hand the private parsers of what servers
//! and files say (`Set-Cookie` headers and their dates, LWP cookie files, the plain-text
//! keyring) to the fuzzer.

pub use crate::cookies::fuzzing::{
    iso2time, jar, parse_cookie_date, parse_lwp, parse_set_cookie, time2isoz, to_lwp,
};
#[cfg(feature = "keyring")]
pub use crate::keyring::fuzzing::{ini_load, ini_remove, ini_rewrite, ini_store};
