use super::*;

const A: &str = "5FD857E3-B35A-4442-93BD-001C8A1A9928";
const B: &str = "27564BD3-441E-4543-910D-096FA4080F27";
const C: &str = "9BDC4436-1B30-4B02-AB20-7017A64409A9";

#[test]
fn folders_are_sanitised_and_unicode_kept() {
    assert_eq!(
        folders(&[
            ("a/b:c?", A),
            ("Jörg's Café 東京 🎉", B),
            ("dots... ", C),
            ("", "D"),
            ("<>", "E"),
            ("...", "F"),
        ]),
        [
            "a_b_c_",
            "Jörg's Café 東京 🎉",
            "dots",
            "Unnamed (D)",
            "__",
            "Unnamed (F)"
        ]
    );
}

#[test]
fn albums_whose_folders_collide_get_their_guid() {
    assert_eq!(
        folders(&[
            ("Trip", A),
            ("Trip", B),
            ("a/b", C),
            ("a:b", "D"),
            ("TRIP ", "E")
        ]),
        [
            format!("Trip ({A})"),
            format!("Trip ({B})"),
            format!("a_b ({C})"),
            "a_b (D)".to_owned(),
            "TRIP (E)".to_owned(),
        ]
    );
}

#[test]
fn albums_are_selected_by_name_then_guid() {
    let albums = [("Family", A), ("Trip", B), ("Trip", C)];
    let wanted = |w: &[&str]| {
        select(
            &albums,
            &w.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
        )
    };
    assert_eq!(wanted(&[]).unwrap(), [0, 1, 2]);
    assert_eq!(wanted(&["Family"]).unwrap(), [0]);
    assert_eq!(wanted(&[&C.to_lowercase(), "Family", A]).unwrap(), [0, 2]);
    match wanted(&["Trip"]) {
        Err(Error::AmbiguousSharedAlbum { name, guids }) => {
            assert_eq!(name, "Trip");
            assert_eq!(guids, [B, C]);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(wanted(&["family"]), Err(Error::UnknownSharedAlbum(x)) if x == "family"));
}

#[test]
fn a_name_wins_over_a_guid() {
    let albums = [(B, A), ("Trip", B)];
    assert_eq!(select(&albums, &[B.to_owned()]).unwrap(), [0]);
}

#[test]
fn deletion_modes_and_align_raw_are_refused() {
    let base = SyncOptions::new("/tmp/x");
    assert!(refuse(&base).is_ok());
    let mut o = base.clone();
    o.auto_delete = true;
    assert!(matches!(
        refuse(&o),
        Err(Error::NotForSharedAlbums("auto_delete"))
    ));
    let mut o = base.clone();
    o.delete_after_download = true;
    assert!(matches!(
        refuse(&o),
        Err(Error::NotForSharedAlbums("delete_after_download"))
    ));
    let mut o = base.clone();
    o.keep_icloud_recent_days = Some(0);
    assert!(matches!(
        refuse(&o),
        Err(Error::NotForSharedAlbums("keep_icloud_recent_days"))
    ));
    let mut o = base;
    o.align_raw = RawPolicy::Original;
    assert!(matches!(
        refuse(&o),
        Err(Error::NotForSharedAlbums("align_raw"))
    ));
}
