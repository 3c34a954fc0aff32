//! `Content-Range` of a download answer (`bytes <start>-<end>/<total|*>`): parsing never
//! panics, and what the parser accepts is what the header says.
#![no_main]

use icloud_photos::fuzzing::content_range;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = content_range(text);
    }
    if let [a, b, c, ..] = data.chunks_exact(8).collect::<Vec<_>>()[..] {
        let n = |chunk: &[u8]| u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let (start, end, total) = (n(a), n(b), n(c));
        let header = format!("bytes {start}-{end}/{total}");
        assert_eq!(
            content_range(&header),
            Some((start, Some(total))),
            "{header}"
        );
        let header = format!("bytes {start}-{end}/*");
        assert_eq!(content_range(&header), Some((start, None)), "{header}");
    }
});
