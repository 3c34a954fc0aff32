//! The listing pager over arbitrary page sequences, driven as a listing drives it (pages in
//! rank order, none past the horizon), as the `props` tests of `icloud-photos` do: it never
//! yields an asset twice, always ends within a bound, an end error (`Incomplete`,
//! `ListingStalled`) comes last and says what was listed, decoding pages ahead changes
//! nothing it yields, and consistent pages (each asset with its master, no anomalies, the
//! expected count right) yield every asset in order with no error.
#![no_main]

use std::collections::HashSet;

use icloud_photos::fuzzing::{
    PagerItem, PagerOutcome, PagerRecord, PagerSpec, PagerTail, drive_pager,
};
use libfuzzer_sys::fuzz_target;

/// Pair indexes (the low nibble of a record byte): few, so that pages repeat each other.
const UNIVERSE: u64 = 16;

// Three header bytes, each optional (0 when missing):
// 1. the expected count (its low 6 bits);
// 2. options: bits 0-1 the page size - 1, bits 2-3 the probes, bits 4-5 the tail (empty
//    pages, the pages again, the last page or the first page forever), bit 6 deleted assets
//    listed, bit 7 the pages made consistent (see `make_consistent`);
// 3. the limit, 0 for none.
// Then one byte per record, its high nibble the kind and its low nibble the pair index i:
// 0-4 master m<i>, 5-9 asset a<i>, A deleted asset d<i>, B orphan o<i>, C bad master m<i>,
// D tombstone of a<i>, E another record type; F ends the page.
fuzz_target!(|data: &[u8]| {
    let (mut spec, consistent) = decode(data);
    if consistent {
        make_consistent(&mut spec);
    }
    let plain = drive_pager(&spec);
    let ahead = drive_pager(&PagerSpec {
        decode_ahead: true,
        ..spec.clone()
    });
    assert_eq!(ahead, plain, "decoding ahead changed the listing: {spec:?}");
    check(&spec, &plain);
    match listing_of(&spec) {
        Some(wanted) => check_consistent(&spec, &plain, &wanted),
        None => assert!(!consistent, "pages made consistent are not: {spec:?}"),
    }
});

/// Reads the input: the listing, and whether its pages are to be made consistent.
fn decode(data: &[u8]) -> (PagerSpec, bool) {
    let byte = |i: usize| data.get(i).copied().unwrap_or(0);
    let options = byte(1);
    let page_size = usize::from(options & 0b11) + 1;
    let probes = usize::from((options >> 2) & 0b11);
    let tail = match (options >> 4) & 0b11 {
        0 => PagerTail::Empty,
        1 => PagerTail::Cycle,
        2 => PagerTail::RepeatLast,
        _ => PagerTail::RepeatFirst,
    };
    let mut pages = vec![Vec::new()];
    for &b in data.iter().skip(3) {
        let i = b & 0x0F;
        let record = match b >> 4 {
            0..=4 => PagerRecord::Master(i),
            5..=9 => PagerRecord::Asset(i),
            0xA => PagerRecord::Deleted(i),
            0xB => PagerRecord::Orphan(i),
            0xC => PagerRecord::BadMaster(i),
            0xD => PagerRecord::Purged(i),
            0xE => PagerRecord::Other(i),
            _ => {
                pages.push(Vec::new());
                continue;
            }
        };
        pages.last_mut().expect("one page at least").push(record);
    }
    // Each page that lists something new lists one of the assets a<i>, d<i>, o<i>; at most
    // `probes + 2` pages in a row list nothing new.
    let max_pages = (3 * UNIVERSE + 1) * (probes as u64 + 2);
    let spec = PagerSpec {
        pages,
        tail,
        expected: u64::from(byte(0) & 0x3F),
        page_size,
        probes,
        limit: (byte(2) != 0).then(|| u64::from(byte(2))),
        lists_deleted: options & 0x40 != 0,
        decode_ahead: false,
        max_pages,
    };
    (spec, options & 0x80 != 0)
}

/// Returns the asset a record is, if the listing lists it.
fn live_asset(record: PagerRecord, lists_deleted: bool) -> Option<(String, u8)> {
    match record {
        PagerRecord::Asset(i) => Some((format!("a{i}"), i)),
        PagerRecord::Deleted(i) if lists_deleted => Some((format!("d{i}"), i)),
        _ => None,
    }
}

/// Makes the pages consistent: no orphans, good masters only, each asset once and with its
/// master on its page (added at the end of the page when missing), no page without an asset,
/// empty pages after the last, and the expected count right.
fn make_consistent(spec: &mut PagerSpec) {
    let mut seen = HashSet::new();
    let mut pages = Vec::new();
    for page in std::mem::take(&mut spec.pages) {
        let mut kept = Vec::new();
        let mut wanted = Vec::new();
        for record in page {
            let record = match record {
                PagerRecord::Orphan(_) => continue,
                PagerRecord::BadMaster(i) => PagerRecord::Master(i),
                r => r,
            };
            if let Some((name, i)) = live_asset(record, spec.lists_deleted) {
                if !seen.insert(name) {
                    continue;
                }
                wanted.push(i);
            }
            kept.push(record);
        }
        if wanted.is_empty() {
            continue;
        }
        for i in wanted {
            if !kept.contains(&PagerRecord::Master(i)) {
                kept.push(PagerRecord::Master(i));
            }
        }
        pages.push(kept);
    }
    spec.pages = pages;
    spec.tail = PagerTail::Empty;
    spec.expected = seen.len() as u64;
}

/// If the pages are consistent, the assets they list, in order, each with the index of its
/// page.
fn listing_of(spec: &PagerSpec) -> Option<Vec<(String, usize)>> {
    if spec.tail != PagerTail::Empty {
        return None;
    }
    let mut listing = Vec::new();
    let mut seen = HashSet::new();
    for (k, page) in spec.pages.iter().enumerate() {
        let mut live = 0;
        for &record in page {
            if matches!(record, PagerRecord::Orphan(_) | PagerRecord::BadMaster(_)) {
                return None;
            }
            let Some((name, i)) = live_asset(record, spec.lists_deleted) else {
                continue;
            };
            if !page.contains(&PagerRecord::Master(i)) || !seen.insert(name.clone()) {
                return None;
            }
            live += 1;
            listing.push((name, k));
        }
        if live == 0 {
            return None;
        }
    }
    (listing.len() as u64 == spec.expected).then_some(listing)
}

/// The ids of the assets and failures, in order.
fn ids(out: &PagerOutcome) -> Vec<&str> {
    out.items
        .iter()
        .filter_map(|item| match item {
            PagerItem::Asset { id, .. } | PagerItem::Failure { id, .. } => Some(id.as_str()),
            _ => None,
        })
        .collect()
}

/// The properties of any listing.
fn check(spec: &PagerSpec, out: &PagerOutcome) {
    assert!(
        out.ended,
        "no end within {} pages: {spec:?} {out:?}",
        spec.max_pages
    );
    let ids = ids(out);
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(
        unique.len(),
        ids.len(),
        "an asset yielded twice: {ids:?} {spec:?}"
    );
    let listed = ids.len() as u64;
    let mut ends = 0;
    for (n, item) in out.items.iter().enumerate() {
        match item {
            PagerItem::Asset { id, .. } => assert!(
                id.starts_with('a') || (spec.lists_deleted && id.starts_with('d')),
                "{id} listed: {spec:?}"
            ),
            PagerItem::Failure { .. } => {}
            PagerItem::End {
                stalled,
                listed: says,
                expected,
                requests,
            } => {
                ends += 1;
                assert_eq!(n + 1, out.items.len(), "the end error comes last: {out:?}");
                assert_eq!(*says, listed, "{out:?}");
                assert_eq!(*expected, spec.expected, "{out:?}");
                if *stalled {
                    assert_eq!(*requests, out.pages, "{out:?}");
                } else {
                    assert!(
                        listed < spec.expected,
                        "incomplete although complete: {out:?}"
                    );
                }
            }
            PagerItem::Unexpected(e) => panic!("unexpected item {e}: {spec:?}"),
        }
    }
    assert!(ends <= 1, "{out:?}");
    if let Some(limit) = spec.limit {
        assert!(listed <= limit, "past the limit: {spec:?} {out:?}");
    }
    let short = listed < spec.expected && spec.limit.is_none_or(|l| listed < l);
    assert!(
        !short || ends == 1,
        "listed {listed} of {} without saying so: {spec:?} {out:?}",
        spec.expected
    );
}

/// The properties of a listing of consistent pages: the assets of `wanted`, in order, up to
/// the limit, with no error, after the pages holding them and the empty page that ends the
/// listing (none when it ends at the limit).
fn check_consistent(spec: &PagerSpec, out: &PagerOutcome, wanted: &[(String, usize)]) {
    let shown = spec
        .limit
        .map_or(wanted.len(), |l| wanted.len().min(l as usize));
    let names: Vec<&str> = wanted[..shown].iter().map(|(n, _)| n.as_str()).collect();
    let assets: Vec<&str> = out
        .items
        .iter()
        .filter_map(|item| match item {
            PagerItem::Asset { id, .. } => Some(id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(assets, names, "consistent pages: {spec:?}");
    assert_eq!(
        out.items.len(),
        assets.len(),
        "consistent pages, errors: {spec:?} {out:?}"
    );
    let pages = match spec.limit {
        Some(l) if (l as usize) <= wanted.len() => wanted[l as usize - 1].1 + 1,
        _ => spec.pages.len() + 1,
    };
    assert_eq!(out.pages as usize, pages, "consistent pages: {spec:?}");
}
