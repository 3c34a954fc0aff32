//! Tests of the naming rules: folders and templates, strftime, display names, version names
//! (cli.md §5.6 worked examples, icloudpd's `test_filenames` and `test_lp_filename_generator`),
//! auto-delete candidates and the small helpers.

mod files;
mod folders;
mod helpers;
mod strftime;

use icloud_photos::{Asset, RawPolicy};
use serde_json::{Value, json};
use time::UtcOffset;

use super::*;

/// The master record name of IMG_7409 in icloudpd's cassettes (id7 `QVk2Yyt`).
const MASTER: &str = "AY6c+BsE0jjaXx9tmVGJM1D2VcEO";

const JPEG: &str = "public.jpeg";
const HEIC: &str = "public.heic";
const PNG: &str = "public.png";
const MOV: &str = "com.apple.quicktime-movie";
const CR2: &str = "com.canon.cr2-raw-image";
const DNG: &str = "com.adobe.raw-image";

/// An asset under construction: name, item type and versions (field prefix, UTI).
#[derive(Debug, Clone)]
struct Fixture {
    master: String,
    name: Option<String>,
    item_type: Option<String>,
    versions: Vec<(&'static str, String)>,
}

impl Fixture {
    /// A photo with only an original.
    fn photo(name: &str, uti: &str) -> Fixture {
        Fixture {
            master: MASTER.to_owned(),
            name: Some(name.to_owned()),
            item_type: Some(uti.to_owned()),
            versions: vec![("resOriginal", uti.to_owned())],
        }
    }

    /// A live JPEG photo as in the listing cassettes (original, medium, thumb, three videos).
    fn live_jpeg(name: &str) -> Fixture {
        Fixture::photo(name, JPEG)
            .with("resJPEGMed", JPEG)
            .with("resJPEGThumb", JPEG)
            .with("resOriginalVidCompl", MOV)
            .with("resVidMed", MOV)
            .with("resVidSmall", MOV)
    }

    /// A video with medium and small renditions.
    fn video(name: &str) -> Fixture {
        Fixture::photo(name, MOV)
            .with("resVidMed", MOV)
            .with("resVidSmall", MOV)
    }

    fn with(mut self, prefix: &'static str, uti: &str) -> Fixture {
        self.versions.retain(|(p, _)| *p != prefix);
        self.versions.push((prefix, uti.to_owned()));
        self
    }

    fn without(mut self, prefix: &str) -> Fixture {
        self.versions.retain(|(p, _)| *p != prefix);
        self
    }

    fn master(mut self, id: &str) -> Fixture {
        self.master = id.to_owned();
        self
    }

    fn no_name(mut self) -> Fixture {
        self.name = None;
        self
    }

    fn build(&self) -> Asset {
        let mut fields = serde_json::Map::new();
        if let Some(name) = &self.name {
            fields.insert(
                "filenameEnc".into(),
                json!({"value": name, "type": "STRING"}),
            );
        }
        if let Some(uti) = &self.item_type {
            fields.insert("itemType".into(), json!({"value": uti, "type": "STRING"}));
        }
        for (i, (prefix, uti)) in self.versions.iter().enumerate() {
            let res = json!({"value": {"size": 1000 + i, "fileChecksum": format!("AY6c{i}"),
                "downloadURL": "https://cvws.icloud-content.com/B/x/${f}?o=sig"}, "type": "ASSETID"});
            fields.insert(format!("{prefix}Res"), res);
            fields.insert(
                format!("{prefix}FileType"),
                json!({"value": uti, "type": "STRING"}),
            );
        }
        let master = json!({"recordName": self.master, "recordType": "CPLMaster",
            "fields": Value::Object(fields)});
        let asset = json!({"recordName": "F2A23C38-0020-42FE-A273-2923ADE3CAED",
            "recordType": "CPLAsset", "fields": {
                "assetDate": {"value": 1533021744816i64, "type": "TIMESTAMP"}}});
        Asset::from_records(master, asset, "PrimarySync").expect("fixture decodes")
    }
}

/// A policy of the default options changed by `change`.
fn policy(change: impl FnOnce(&mut SyncOptions)) -> PathPolicy {
    let mut options = SyncOptions::new("photos");
    change(&mut options);
    PathPolicy::new(&options)
}

/// 2018-07-31 07:22:24.816 at `offset` seconds east of UTC.
fn at(offset: i32) -> OffsetDateTime {
    let zone = UtcOffset::from_whole_seconds(offset).expect("offset");
    OffsetDateTime::from_unix_timestamp_nanos(1_533_021_744_816_000_000)
        .expect("time")
        .to_offset(zone)
}

/// Options for [`planned`].
#[derive(Debug, Clone)]
struct Run {
    sizes: Vec<Size>,
    live: Option<LiveSize>,
    force: bool,
    raw: RawPolicy,
}

impl Default for Run {
    fn default() -> Run {
        Run {
            sizes: vec![Size::Original],
            live: Some(LiveSize::Original),
            force: false,
            raw: RawPolicy::AsIs,
        }
    }
}

/// The file names of one asset as the planner sees them: primary sizes in order (`skip`,
/// `missing <size>` for the other choices), then the live video.
fn planned(policy: &PathPolicy, fixture: &Fixture, run: &Run) -> Vec<String> {
    let mut asset = fixture.build();
    asset.align_raw(run.raw);
    let name = policy.display_name(&asset);
    let mut out: Vec<String> = policy
        .primary_files(&asset, &name, &run.sizes, run.force)
        .into_iter()
        .map(|choice| match choice {
            SizeChoice::File(file) => file.name,
            SizeChoice::Missing(size) => format!("missing {}", size.as_str()),
            SizeChoice::Skip => "skip".to_owned(),
        })
        .collect();
    if let Some(live) = run.live {
        out.extend(policy.live_file(&asset, &name, live).map(|f| f.name));
    }
    out
}
