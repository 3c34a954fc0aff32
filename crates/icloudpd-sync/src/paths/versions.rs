//! Version names (cli.md §5.6–§5.7) and icloudpd's size selection (`disambiguate_filenames`,
//! photos.md §8.5), computed from the asset display name.

use std::collections::BTreeMap;

use icloud_photos::{Asset, MediaType, VersionKind};

use super::PathPolicy;
use super::names::{
    FILE_NAME_MAX, QUICKTIME, WINDOWS, add_suffix, live_original_policy, live_suffix_policy,
    make_safe, prefix, shorten, splitext, uti_extension,
};
use crate::options::{LiveMovPolicy, LiveSize, Size};

/// The version kind a `--size` downloads.
pub(super) fn kind_of(size: Size) -> VersionKind {
    match size {
        Size::Original => VersionKind::Original,
        Size::Medium => VersionKind::Medium,
        Size::Thumb => VersionKind::Thumb,
        Size::Adjusted => VersionKind::Adjusted,
        Size::Alternative => VersionKind::Alternative,
    }
}

/// The version kind of a `--live-photo-size`.
pub(super) fn live_kind(size: LiveSize) -> VersionKind {
    match size {
        LiveSize::Original => VersionKind::LiveOriginal,
        LiveSize::Medium => VersionKind::LiveMedium,
        LiveSize::Thumb => VersionKind::LiveThumb,
    }
}

/// The suffix of a live-video size (none for the original).
pub(super) fn live_suffix(size: LiveSize) -> Option<&'static str> {
    match size {
        LiveSize::Original => None,
        LiveSize::Medium => Some("-medium"),
        LiveSize::Thumb => Some("-thumb"),
    }
}

/// Names the versions of one asset from one base name.
pub(super) struct Namer<'a> {
    pub(super) live_mov: LiveMovPolicy,
    pub(super) asset: &'a Asset,
    /// The name versions are derived from (the display name, or Python's raw cleaned name).
    pub(super) base: &'a str,
    /// Bytes at the end of the base's stem that shortening keeps (the `_<id7>`).
    pub(super) keep: usize,
}

impl<'a> Namer<'a> {
    pub(super) fn new(policy: &PathPolicy, asset: &'a Asset, base: &'a str) -> Namer<'a> {
        Namer {
            live_mov: policy.live_mov,
            asset,
            base,
            keep: policy.id7_tail_len(asset, base),
        }
    }

    /// icloudpd's `calculate_version_filename` on base `n`: a QuickTime version of an image (or
    /// of an asset of unknown type) gets the live-photo name; anything else the extension of
    /// its UTI (or its own). `size` adds `-medium`/`-thumb`; `None` is a live-video size.
    pub(super) fn python_name(&self, n: &str, uti: &str, size: Option<Size>) -> String {
        let name = if self.asset.media_type() != Some(MediaType::Movie) && uti == QUICKTIME {
            match self.live_mov {
                LiveMovPolicy::Suffix => live_suffix_policy(n),
                LiveMovPolicy::Original => live_original_policy(n),
            }
        } else {
            let (stem, ext) = splitext(n);
            let ext = uti_extension(uti).unwrap_or_else(|| ext.strip_prefix('.').unwrap_or(ext));
            format!("{stem}.{ext}")
        };
        match size {
            Some(Size::Medium) => add_suffix("-medium", &name),
            Some(Size::Thumb) => add_suffix("-thumb", &name),
            _ => name,
        }
    }

    /// The name of `kind` for a primary size, unshortened (what Python compares).
    fn unfitted(&self, size: Size, kind: VersionKind) -> Option<String> {
        let version = self.asset.version(kind)?;
        Some(self.python_name(self.base, version.file_type(), Some(size)))
    }

    /// The file name of a primary size: `kind`'s name, with the override suffix if any.
    pub(super) fn primary(&self, size: Size, kind: VersionKind, over: Option<&str>) -> String {
        self.derive(|n| self.primary_from(n, size, kind, over))
    }

    /// [`Namer::primary`] without shortening.
    pub(super) fn primary_unfitted(
        &self,
        size: Size,
        kind: VersionKind,
        over: Option<&str>,
    ) -> String {
        self.primary_from(self.base, size, kind, over)
    }

    fn primary_from(&self, n: &str, size: Size, kind: VersionKind, over: Option<&str>) -> String {
        let uti = self.asset.version(kind).map_or("", |v| v.file_type());
        let name = self.python_name(n, uti, Some(size));
        match over {
            Some(suffix) => add_suffix(suffix, &name),
            None => name,
        }
    }

    /// The live-video file name of `kind`, with a size suffix if any.
    pub(super) fn live(&self, kind: VersionKind, suffix: Option<&str>) -> String {
        self.derive(|n| self.live_from(n, kind, suffix))
    }

    /// [`Namer::live`] without shortening.
    pub(super) fn live_unfitted(&self, kind: VersionKind, suffix: Option<&str>) -> String {
        self.live_from(self.base, kind, suffix)
    }

    fn live_from(&self, n: &str, kind: VersionKind, suffix: Option<&str>) -> String {
        let uti = self.asset.version(kind).map_or("", |v| v.file_type());
        let name = self.python_name(n, uti, None);
        match suffix {
            Some(suffix) => add_suffix(suffix, &name),
            None => name,
        }
    }

    /// Applies `name_of` to the base, shortening the base's stem (never the id7, suffixes or
    /// extension) until the result fits [`FILE_NAME_MAX`]; the result is a safe name.
    fn derive(&self, name_of: impl Fn(&str) -> String) -> String {
        let mut base = self.base.to_owned();
        let mut name = name_of(&base);
        for _ in 0..4 {
            if name.len() <= FILE_NAME_MAX {
                break;
            }
            let excess = name.len() - FILE_NAME_MAX;
            let shorter = shorten(&base, base.len().saturating_sub(excess).max(1), self.keep);
            if shorter.len() >= base.len() {
                break;
            }
            base = shorter;
            name = name_of(&base);
        }
        let name = make_safe(name, WINDOWS);
        if name.len() <= FILE_NAME_MAX {
            name
        } else {
            make_safe(prefix(&name, FILE_NAME_MAX).to_owned(), WINDOWS)
        }
    }
}

/// The versions chosen for the requested sizes, and the `-adjusted`/`-alternative` overrides
/// (icloudpd's `disambiguate_filenames`).
#[derive(Debug, Default)]
pub(super) struct Selection {
    /// Size → the version that provides it (the original for copies and fallbacks).
    pub(super) chosen: BTreeMap<Size, VersionKind>,
    /// Size → the suffix its name gets to avoid a collision.
    pub(super) overrides: BTreeMap<Size, &'static str>,
}

/// Chooses versions for `sizes` (photos.md §8.5 steps 1–4), comparing the names of `namer`.
pub(super) fn select(namer: &Namer<'_>, sizes: &[Size]) -> Selection {
    let asset = namer.asset;
    let requested = |size: Size| sizes.contains(&size);
    let has_original = asset.version(VersionKind::Original).is_some();
    let mut sel = Selection::default();
    for &size in sizes {
        if asset.version(kind_of(size)).is_some() {
            sel.chosen.insert(size, kind_of(size));
        }
    }
    if requested(Size::Adjusted) {
        if !requested(Size::Original) {
            if !sel.chosen.contains_key(&Size::Adjusted) && has_original {
                sel.chosen.insert(Size::Adjusted, VersionKind::Original);
            }
        } else if let (Some(&adjusted), Some(&original)) = (
            sel.chosen.get(&Size::Adjusted),
            sel.chosen.get(&Size::Original),
        ) && namer.unfitted(Size::Original, original)
            == namer.unfitted(Size::Adjusted, adjusted)
        {
            sel.overrides.insert(Size::Adjusted, "-adjusted");
        }
    }
    if requested(Size::Alternative) {
        match sel.chosen.get(&Size::Alternative).copied() {
            None => {
                if !requested(Size::Original) && has_original {
                    sel.chosen.insert(Size::Alternative, VersionKind::Original);
                }
            }
            Some(alternative) => {
                let name = namer.unfitted(Size::Alternative, alternative);
                let clash = [Size::Adjusted, Size::Original].into_iter().any(|other| {
                    sel.chosen
                        .get(&other)
                        .is_some_and(|&kind| namer.unfitted(other, kind) == name)
                });
                if clash {
                    sel.overrides.insert(Size::Alternative, "-alternative");
                }
            }
        }
    }
    let missing_small = sizes
        .iter()
        .any(|&size| matches!(size, Size::Medium | Size::Thumb) && !sel.chosen.contains_key(&size));
    if missing_small && !requested(Size::Original) && has_original {
        sel.chosen.insert(Size::Original, VersionKind::Original);
    }
    sel
}

/// icloudpd's auto-delete names for one base, as (shortened, unshortened) pairs: the
/// adjusted/alternative files `sizes` selects, every other version's name (live videos
/// unsuffixed) and, beyond icloudpd, the `-medium`/`-thumb` live-video names.
pub(super) fn auto_delete_candidates(namer: &Namer<'_>, sizes: &[Size]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let selection = select(namer, sizes);
    for (&size, &kind) in &selection.chosen {
        if matches!(size, Size::Adjusted | Size::Alternative) {
            let over = selection.overrides.get(&size).copied();
            out.push((
                namer.primary(size, kind, over),
                namer.primary_unfitted(size, kind, over),
            ));
        }
    }
    for &kind in namer.asset.versions().keys() {
        let size = match kind {
            VersionKind::Original => Size::Original,
            VersionKind::Medium => Size::Medium,
            VersionKind::Thumb => Size::Thumb,
            VersionKind::LiveOriginal => {
                out.push((namer.live(kind, None), namer.live_unfitted(kind, None)));
                continue;
            }
            VersionKind::LiveMedium | VersionKind::LiveThumb => {
                let size = if kind == VersionKind::LiveMedium {
                    LiveSize::Medium
                } else {
                    LiveSize::Thumb
                };
                for suffix in [None, live_suffix(size)] {
                    out.push((namer.live(kind, suffix), namer.live_unfitted(kind, suffix)));
                }
                continue;
            }
            _ => continue,
        };
        out.push((
            namer.primary(size, kind, None),
            namer.primary_unfitted(size, kind, None),
        ));
    }
    out
}
