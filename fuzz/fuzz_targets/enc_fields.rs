//! The `*Enc` fields of CloudKit records as Apple might send them: `filenameEnc` and
//! `captionEnc` as base64 text (decoded leniently, like Python's `b64decode`), and the bytes
//! inside `keywordsEnc`, `locationEnc` (plists) and `adjustmentSimpleDataEnc` (deflated
//! JSON). Decoding never panics, and the sidecar made from them is well-formed XML.
#![no_main]

use icloud_photos::fuzzing::base64_lenient;
use icloudpd_fuzz::{AssetFields, asset, read_sidecar, split};
use icloudpd_sync::fuzzing::{existing_sidecar, render_xmp};
use libfuzzer_sys::fuzz_target;

// Parts, split at `\n#-#\n`: filenameEnc text (ENCRYPTED_BYTES if it starts with `b64:`, else STRING),
// captionEnc text, then the bytes of keywordsEnc, locationEnc and adjustmentSimpleDataEnc.
fuzz_target!(|data: &[u8]| {
    let parts = split(data);
    let part = |i: usize| parts.get(i).copied().unwrap_or_default();
    let text = |i: usize| String::from_utf8_lossy(part(i)).into_owned();
    let _ = base64_lenient(&text(0));
    let _ = base64_lenient(&text(1));
    let filename = match text(0).strip_prefix("b64:") {
        Some(base64) => (base64.to_owned(), "ENCRYPTED_BYTES"),
        None => (text(0), "STRING"),
    };
    let fields = AssetFields {
        filename: Some(filename),
        texts: vec![("captionEnc", text(1))],
        bytes: vec![
            ("keywordsEnc", part(2).to_vec()),
            ("locationEnc", part(3).to_vec()),
            ("adjustmentSimpleDataEnc", part(4).to_vec()),
        ],
        ints: vec![("assetDate", 1_533_021_744_816), ("timeZoneOffset", 25_200)],
    };
    let Some(asset) = asset(&fields, "AY6c+BsE0jjaXx9tmVGJM1D2VcEO") else {
        return;
    };
    let xml = render_xmp(&asset, "icloudpd-rs fuzz");
    let sidecar = read_sidecar(&xml);
    assert_eq!(sidecar.toolkit.as_deref(), Some("icloudpd-rs fuzz"));
    assert_eq!(existing_sidecar(xml.as_bytes()), None, "{xml}");
});
