//! Where each file goes: folder template, file-name cleaning, version names, de-duplication
//! names, live-photo companions, temporary names. Pure functions; nothing here touches the disk.
//!
//! Names follow icloudpd 1.32 (cli.md §5) except where its result would be unsafe:
//!
//! - A folder never leaves the download directory: an absolute rendered folder counts as
//!   relative, `..` stops at the directory, empty and `.` components are dropped (and NUL, or
//!   on Windows `:`, becomes `_`; on Windows a device name gains a `_` prefix).
//! - A display name that would be empty or `.` is `_`, and `..` is `__`; on Windows a device
//!   name (`CON`, `nul.jpg`, `COM1.MOV`, …) gains a `_` prefix.
//! - Display names are cut to 255 bytes and file names to 230 bytes (leaving room for a
//!   `-<size>` de-duplication suffix and an `.xmp` sidecar), by shortening the stem at a
//!   character boundary; the extension, size suffixes and the `_<id7>` of `name-id7` stay.
//! - `-adjusted`/`-alternative` names are derived from the display name (icloudpd derives them
//!   from the raw cleaned name, dropping `name-id7` and unicode stripping).

mod folder;
mod names;
mod strftime;
mod template;
mod versions;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use base64::Engine as _;
use icloud_photos::{Asset, MediaType, VersionKind};
use time::OffsetDateTime;

use folder::confine;

use crate::options::{
    FileMatchPolicy, FolderStructure, LiveMovPolicy, LiveSize, Size, SyncOptions, TimeNames,
};
use names::{NAME_MAX, WINDOWS};
use versions::{Namer, auto_delete_candidates, live_kind, live_suffix, select};

/// A folder template that Python's `str.format` would reject.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid folder template {template:?}")]
pub struct TemplateError {
    /// The template as given.
    pub template: String,
}

impl FolderStructure {
    /// Parses `--folder-structure`: `none` (any case) is [`FolderStructure::Flat`]; anything
    /// else must render (checked by formatting the current time).
    ///
    /// # Errors
    ///
    /// Returns [`TemplateError`] when Python's `str.format` would reject the template.
    ///
    /// The template is Python's `str.format` with the creation datetime as its one argument:
    /// `{}`/`{0}` fields whose spec is a glibc `strftime` pattern (`{:%Y/%m/%d}`, `{:%-d}`),
    /// `{{`/`}}` for braces, and `{}` alone for `str(datetime)`. Named fields, a second field
    /// (`{:%Y}/{:%m}` asks for argument 1), unbalanced braces and mixed numbering are errors.
    /// A template without braces is a literal folder name.
    pub fn parse(value: &str) -> Result<FolderStructure, TemplateError> {
        if value.eq_ignore_ascii_case("none") {
            return Ok(FolderStructure::Flat);
        }
        let invalid = || TemplateError {
            template: value.to_owned(),
        };
        let now = OffsetDateTime::now_utc();
        template::Template::parse(value)
            .and_then(|t| t.render(&now, &TimeNames::english()))
            .map_err(|_| invalid())?;
        Ok(FolderStructure::Template(value.to_owned()))
    }

    /// Renders the relative folder for a local creation time (`""` for `Flat`), exactly as
    /// Python's `template.format(created)` with glibc `strftime` does.
    ///
    /// A template [`FolderStructure::parse`] would reject (or one whose spec only fails for
    /// this date, where Python would crash) renders as its literal text.
    pub fn render(&self, created: &OffsetDateTime, names: &TimeNames) -> String {
        match self {
            FolderStructure::Flat => String::new(),
            FolderStructure::Template(text) => template::Template::parse(text)
                .and_then(|t| t.render(created, names))
                .unwrap_or_else(|_| text.clone()),
        }
    }
}

/// The naming rules of one sync: directory, folders, cleaning and policies.
///
/// Pure and offline: it tells where icloudpd would put an asset's files without touching
/// the disk or the network, so an embedder can show or check paths before any run (the
/// engine uses the same rules).
///
/// ```
/// use icloudpd_sync::{FolderStructure, PathPolicy, SyncOptions};
/// use icloudpd_sync::time::OffsetDateTime;
///
/// let mut options = SyncOptions::new("photos");
/// options.folder_structure = FolderStructure::parse("{:%Y/%m/%d}")?;
/// let policy = PathPolicy::new(&options);
/// let taken = OffsetDateTime::from_unix_timestamp(1_533_021_744)?; // 2018-07-31 07:22 UTC
/// assert_eq!(policy.folder(&taken), std::path::Path::new("photos/2018/07/31"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct PathPolicy {
    directory: PathBuf,
    folder: FolderStructure,
    names: TimeNames,
    keep_unicode: bool,
    file_match: FileMatchPolicy,
    live_mov: LiveMovPolicy,
}

/// One file an asset needs: which version, under which name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlannedFile {
    /// The size this file satisfies (`None` for the live-photo video).
    pub requested: Option<Size>,
    /// The version whose bytes are downloaded (the original for fallbacks).
    pub version: VersionKind,
    /// The file name (no directory).
    pub name: String,
}

/// What one requested `--size` turns into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SizeChoice {
    /// Download (or find) this file.
    File(PlannedFile),
    /// The size does not exist and `--force-size` is set: report
    /// `<size> size does not exist for <name>. Skipping...`.
    Missing(Size),
    /// The size does not exist and the original, also requested, stands in for it.
    Skip,
}

impl PathPolicy {
    /// The policy of these options.
    pub fn new(options: &SyncOptions) -> PathPolicy {
        PathPolicy {
            directory: options.directory.clone(),
            folder: options.folder_structure.clone(),
            names: options.time_names.clone(),
            keep_unicode: options.keep_unicode_in_filenames,
            file_match: options.file_match_policy,
            live_mov: options.live_mov_policy,
        }
    }

    /// The download directory.
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// The folder of an asset created at `created` (local time): the directory joined with
    /// the rendered template, normalised, and never outside the directory.
    ///
    /// Like Python's `normpath(join(directory, folder))` (`./photos/` + `2018/07/31` is
    /// `photos/2018/07/31`; a relative directory stays relative), except that the folder is
    /// confined: a leading `/` is ignored, `..` never climbs above the directory, empty and
    /// `.` components are dropped, and NUL (on Windows also `:`) becomes `_`; on Windows a
    /// device name (`CON`, …) gains a `_` prefix.
    pub fn folder(&self, created: &OffsetDateTime) -> PathBuf {
        confine(&self.directory, &self.folder.render(created, &self.names))
    }

    /// The asset's display name (cli.md §5.3 steps 1–4): cleaned, unicode-stripped unless
    /// kept, with `_<id7>` under `name-id7`. Used in messages and as the base of file names.
    ///
    /// Made safe where icloudpd's would not be: `""` and `.` become `_`, `..` becomes `__`,
    /// names are cut to 255 bytes (stem first; the extension and `_<id7>` stay), and on
    /// Windows device names (`CON`, `aux.jpg`, …) gain a `_` prefix.
    pub fn display_name(&self, asset: &Asset) -> String {
        let cleaned = names::clean(asset.filename());
        let base = if self.keep_unicode {
            cleaned
        } else {
            names::strip_unicode(&cleaned)
        };
        let name = match self.file_match {
            FileMatchPolicy::NameSizeDedupWithSuffix => names::shorten(&base, NAME_MAX, 0),
            FileMatchPolicy::NameId7 => {
                let tail = format!("_{}", names::id7(asset.master_id()));
                let base = names::shorten(&base, NAME_MAX - tail.len(), 0);
                names::add_suffix(&tail, &base)
            }
        };
        let name = names::make_safe(name, WINDOWS);
        let keep = self.id7_tail_len(asset, &name);
        names::shorten(&name, NAME_MAX, keep)
    }

    /// The length of the `_<id7>` that ends the stem of `name`, under `name-id7`.
    fn id7_tail_len(&self, asset: &Asset, name: &str) -> usize {
        if self.file_match != FileMatchPolicy::NameId7 {
            return 0;
        }
        let tail = format!("_{}", names::id7(asset.master_id()));
        if names::splitext(name).0.ends_with(&tail) {
            tail.len()
        } else {
            0
        }
    }

    /// The files for the requested sizes, in `--size` order (cli.md §5.6, photos.md §8.5).
    /// `display_name` is [`PathPolicy::display_name`]. The asset's RAW alignment has been
    /// applied already.
    ///
    /// A file standing in for a missing medium or thumb is the original's, with
    /// `requested: Some(Size::Original)` (icloudpd then treats it as the original, e.g. for
    /// the legacy `-original` name); a copy of the original for a missing adjusted or
    /// alternative keeps its size. A missing original (or a fallback without one) is
    /// [`SizeChoice::Missing`].
    pub(crate) fn primary_files(
        &self,
        asset: &Asset,
        display_name: &str,
        sizes: &[Size],
        force_size: bool,
    ) -> Vec<SizeChoice> {
        let namer = Namer::new(self, asset, display_name);
        // icloudpd builds `-adjusted`/`-alternative` names from the raw cleaned name (unicode
        // kept, no `_<id7>`); existing archives have those names.
        let raw = names::make_safe(names::clean(asset.filename()), WINDOWS);
        let raw_namer = Namer::new(self, asset, &raw);
        let selection = select(&namer, sizes);
        sizes
            .iter()
            .map(|&size| {
                let mut target = size;
                if !selection.chosen.contains_key(&size) && size != Size::Original {
                    if force_size {
                        return SizeChoice::Missing(size);
                    }
                    if sizes.contains(&Size::Original) {
                        return SizeChoice::Skip;
                    }
                    target = Size::Original;
                }
                match selection.chosen.get(&target) {
                    Some(&kind) if asset.version(kind).is_some() => {
                        let over = selection.overrides.get(&target).copied();
                        let name = match over {
                            Some(_) => raw_namer.primary(target, kind, over),
                            None => namer.primary(target, kind, over),
                        };
                        SizeChoice::File(PlannedFile {
                            requested: Some(target),
                            version: kind,
                            name,
                        })
                    }
                    _ => SizeChoice::Missing(size),
                }
            })
            .collect()
    }

    /// The live-photo video file, if the asset is a live photo with that rendition
    /// (cli.md §5.7).
    pub(crate) fn live_file(
        &self,
        asset: &Asset,
        display_name: &str,
        size: LiveSize,
    ) -> Option<PlannedFile> {
        if asset.media_type() == Some(MediaType::Movie) {
            return None;
        }
        let kind = live_kind(size);
        asset.version(kind)?;
        let namer = Namer::new(self, asset, display_name);
        Some(PlannedFile {
            requested: None,
            version: kind,
            name: namer.live(kind, live_suffix(size)),
        })
    }

    /// Every file name `--auto-delete` removes for an asset found in Recently Deleted
    /// (cli.md §8.3), each with and without `.xmp`.
    ///
    /// icloudpd's candidates (from the raw cleaned name: every version's name, live videos
    /// unsuffixed, adjusted/alternative as `sizes` selects them) and, beyond icloudpd, the
    /// same names from the display name (`name-id7`, unicode stripping) and the
    /// `-medium`/`-thumb` live-video names. De-duplication names (`-<size>`) are not included.
    pub(crate) fn auto_delete_names(&self, asset: &Asset, sizes: &[Size]) -> Vec<String> {
        let raw = names::make_safe(names::clean(asset.filename()), WINDOWS);
        let display = self.display_name(asset);
        let mut found: Vec<String> = Vec::new();
        for (base, python) in [(raw.as_str(), true), (display.as_str(), false)] {
            let namer = Namer::new(self, asset, base);
            for (fitted, unfitted) in auto_delete_candidates(&namer, sizes) {
                found.push(fitted);
                // icloudpd wrote the unshortened name when the file system took it.
                if python && unfitted.len() <= NAME_MAX {
                    found.push(unfitted);
                }
            }
        }
        let mut out: Vec<String> = Vec::new();
        for name in found {
            let xmp = format!("{name}.xmp");
            for candidate in [name, xmp] {
                if candidate.len() <= NAME_MAX && !out.contains(&candidate) {
                    out.push(candidate);
                }
            }
        }
        out
    }
}

/// `<path without its last extension>-<size>.<ext>` (cli.md §5.5).
///
/// icloudpd splits at the last `.` of the whole path; this splits the file name, which is the
/// same whenever the name has an extension. A name without one gets `-<size>` appended
/// (icloudpd would edit a dotted directory name, or return the path unchanged).
pub(crate) fn dedup_path(path: &Path, size: u64) -> PathBuf {
    let Some(name) = path.file_name() else {
        let mut text = path.as_os_str().to_owned();
        text.push(format!("-{size}"));
        return PathBuf::from(text);
    };
    let name = name.to_string_lossy();
    let (stem, ext) = match name.rfind('.') {
        Some(dot) => (&name[..dot], &name[dot..]),
        None => (&*name, ""),
    };
    let suffix = format!("-{size}{ext}");
    // Keep the result (and its `.xmp` sidecar) within the file-name limit.
    let room = names::FILE_NAME_MAX.saturating_sub(suffix.len()).max(1);
    let stem = if stem.len() > room {
        names::prefix(stem, room)
    } else {
        stem
    };
    path.with_file_name(format!("{stem}{suffix}"))
}

/// `<stem>-original<ext>`, the name very old icloudpd versions used for originals.
pub(crate) fn legacy_original_name(name: &str) -> String {
    names::add_suffix("-original", name)
}

/// The longest base32 text used in a temporary name (real checksums give 40 characters).
const TEMP_STEM_MAX: usize = 200;

/// `BASE32(base64decode(checksum)).part`, icloudpd's temporary file name.
///
/// The checksum is decoded like Python's `b64decode` (characters outside the alphabet skipped,
/// padding required); one that is not base64 is encoded from its UTF-8 bytes instead (icloudpd
/// would crash). The base32 text is cut to 200 characters.
pub(crate) fn temp_file_name(checksum: &str) -> String {
    const LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
    );
    let alphabet: String = checksum
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
        .collect();
    let bytes = LENIENT
        .decode(alphabet)
        .unwrap_or_else(|_| checksum.as_bytes().to_vec());
    let mut stem = base32(&bytes);
    stem.truncate(TEMP_STEM_MAX);
    format!("{stem}.part")
}

/// RFC 4648 base32, upper case, `=`-padded.
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    for chunk in bytes.chunks(5) {
        let mut block = [0u8; 8];
        block[3..3 + chunk.len()].copy_from_slice(chunk);
        let bits = u64::from_be_bytes(block);
        let used = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < used {
                let index = (bits >> (35 - 5 * i)) & 31;
                out.push(char::from(ALPHABET[index as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Formats `created` with a strftime pattern, as a field of a folder template does.
#[cfg(fuzzing)]
pub(crate) fn format_time(pattern: &str, created: &OffsetDateTime, names: &TimeNames) -> String {
    strftime::strftime(pattern, &strftime::Tm::new(created), names)
}
