//! The shared albums' web service on `pNN-sharedstreams.icloud.com` (spec shared-albums.md
//! §2, §8): `webgetalbumslist` under `/{dsid}/sharedstreams/`, `webgetassetcount` and
//! `webgetassets` under each album's `albumlocation`, partitions with their HTTP 330 answer, and
//! the web-session check in front of them.
//!
//! In HTTP mode every partition is served from the one origin under `/_h/<host>/…`; in HTTPS
//! mode the request's host says which partition it reached.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use crate::faults::CT_CLOUDKIT;
use crate::http::{Reply, Req};
use crate::library::{NameField, mix};
use crate::shared_albums::{FakeSharedStreams, PartitionRedirect, ServedAlbum};
use crate::state::State;

/// Flag in the zone half of a download URL's locator marking a shared album's resource.
pub(crate) const CDN_FLAG: u16 = 0x8000;

/// Returns the partition number of a `pNN-sharedstreams.icloud.com` host (or its `.cn` twin).
pub(crate) fn partition_of(host: &str) -> Option<u16> {
    let host = host.strip_suffix(".cn").unwrap_or(host);
    let digits = host
        .strip_prefix('p')?
        .strip_suffix("-sharedstreams.icloud.com")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Returns the host name of partition `n`.
pub(crate) fn host(n: u16) -> String {
    format!("p{n:02}-sharedstreams.icloud.com")
}

/// Splits an HTTP-mode path `/_h/<host>/<rest>` into the host and `/<rest>`.
pub(crate) fn split_path(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/_h/")?;
    let slash = rest.find('/')?;
    let (host, rest) = rest.split_at(slash);
    partition_of(host).map(|_| (host, rest))
}

/// A JSON answer of the service.
fn answer(status: u16, body: &Value) -> Reply {
    Reply::json(status, CT_CLOUDKIT, body)
}

/// What the service answers for unknown albums, guids and endpoints: 404 `{}`.
fn not_found() -> Reply {
    answer(404, &json!({}))
}

/// Handles a request that reached partition `host`; `rest` is the path below the host.
pub(crate) fn handle(state: &mut State, req: &Req, host: &str, rest: &str) -> Reply {
    let Some(partition) = partition_of(host) else {
        return not_found();
    };
    let mut parts = rest.trim_start_matches('/').splitn(3, '/');
    let (Some(segment), Some("sharedstreams"), Some(endpoint)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return not_found();
    };
    let endpoint = endpoint.trim_end_matches('/');
    if req.method != "POST" {
        return answer(405, &json!({}));
    }
    let session = authenticate(state, req);
    let Some(account) = session else {
        let status = state
            .account_by_dsid(segment)
            .or_else(|| {
                album_index(state, None, segment).map(|i| state.shared_albums[i].account.clone())
            })
            .and_then(|key| streams(state, &key).map(|s| s.auth_status))
            .unwrap_or(401);
        return Reply::body(status, "text/plain; charset=UTF-8", "Unauthorized");
    };
    let Some(cfg) = streams(state, &account).cloned() else {
        return not_found();
    };
    if cfg.redirect == PartitionRedirect::Loop {
        return redirect(&cfg, partition ^ 1);
    }
    let body = if req.body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match req.json() {
            Some(v @ Value::Object(_)) => v,
            _ => return answer(400, &json!({})),
        }
    };
    let dsid = state
        .account(&account)
        .map(|a| a.cfg.dsid.clone())
        .unwrap_or_default();
    if segment.bytes().all(|b| b.is_ascii_digit()) && segment != dsid {
        // The path names another account than the session's.
        return Reply::body(cfg.auth_status, "text/plain; charset=UTF-8", "Unauthorized");
    }
    if segment == dsid {
        if partition != cfg.home() {
            return redirect(&cfg, cfg.home());
        }
        return match endpoint {
            "webgetalbumslist" => albums_list(state, &account, &cfg),
            _ => not_found(),
        };
    }
    let Some(i) = album_index(state, Some(&account), segment) else {
        return not_found();
    };
    if partition != state.shared_albums[i].home {
        return redirect(&cfg, state.shared_albums[i].home);
    }
    if body.get("albumguid").and_then(Value::as_str) != Some(state.shared_albums[i].guid.as_str()) {
        return not_found();
    }
    match endpoint {
        "webgetassetcount" => answer(
            200,
            &json!({"albumassetcount": state.shared_albums[i].lib.len()}),
        ),
        "webgetassets" => assets(state, i, &cfg, &body),
        _ => not_found(),
    }
}

/// Returns the account of the live web session a request carries (`X-APPLE-WEBAUTH-TOKEN`,
/// and `X-APPLE-WEBAUTH-USER` naming the same dsid).
fn authenticate(state: &mut State, req: &Req) -> Option<String> {
    let dsid = req
        .cookie("X-APPLE-WEBAUTH-USER")?
        .trim_matches('"')
        .split(':')
        .find_map(|p| p.strip_prefix("d="))?
        .to_owned();
    let token = req.cookie("X-APPLE-WEBAUTH-TOKEN")?.to_owned();
    let key = state.touch_web_session(&token)?;
    let same = state.account(&key).is_some_and(|a| a.cfg.dsid == dsid);
    same.then_some(key)
}

/// Returns the shared-albums service of account `key`, if it has one.
fn streams<'a>(state: &'a State, key: &str) -> Option<&'a FakeSharedStreams> {
    state.account(key)?.cfg.photos.streams.as_ref()
}

/// Returns the index of the album whose location token is `token` (of `account`, if given).
fn album_index(state: &State, account: Option<&str>, token: &str) -> Option<usize> {
    state
        .shared_albums
        .iter()
        .position(|a| a.token == token && account.is_none_or(|k| a.account == k))
}

/// The 330 answer sending the client to partition `to`, shaped as the service's knob says.
fn redirect(cfg: &FakeSharedStreams, to: u16) -> Reply {
    let target = match cfg.redirect {
        PartitionRedirect::InvalidHost => "evil.example.com".to_owned(),
        _ => host(to),
    };
    let body = json!({"X-Apple-MMe-Host": target}).to_string();
    let (with_body, with_header) = match cfg.redirect {
        PartitionRedirect::HeaderOnly => (false, true),
        PartitionRedirect::BodyOnly => (true, false),
        PartitionRedirect::Empty => (false, false),
        _ => (true, true),
    };
    let mut reply = Reply::empty(330).header("Content-Type", CT_CLOUDKIT);
    if with_header {
        reply = reply.header("X-Apple-MMe-Host", target);
    }
    if with_body {
        reply = reply.with_body(body);
    }
    reply
}

/// Renders a boolean as the service's knob says.
fn flag(cfg: &FakeSharedStreams, yes: bool) -> Value {
    if cfg.string_booleans {
        json!(if yes { "1" } else { "0" })
    } else {
        json!(yes)
    }
}

/// `webgetalbumslist`: every album of the account, in configured order.
fn albums_list(state: &State, account: &str, cfg: &FakeSharedStreams) -> Reply {
    let albums: Vec<Value> = state
        .shared_albums
        .iter()
        .filter(|a| a.account == account)
        .map(|a| {
            let created = if cfg.string_booleans {
                json!(a.created_ms)
            } else {
                json!(a.created_ms.to_string())
            };
            let mut album = json!({
                "albumguid": a.guid,
                "albumctag": a.ctag(),
                "albumlocation": format!("{}/{}/sharedstreams/", state.origins.sharedstreams(&host(a.location)), a.token),
                "ownerdsid": a.owner_dsid,
                "sharingtype": if a.owned { "owned" } else { "subscribed" },
                "iswebuploadsupported": flag(cfg, true),
                "attributes": {
                    "name": a.name,
                    "creationDate": created,
                    "allowcontributions": flag(cfg, a.contributions),
                    "ispublic": flag(cfg, a.public),
                },
            });
            if let (Some(url), Some(obj)) = (a.public_url(), album.as_object_mut()) {
                obj.insert("publicurl".to_owned(), json!(url));
            }
            album
        })
        .collect();
    answer(200, &json!({ "albums": albums }))
}

/// Reads a non-negative integer sent as a JSON number or a string of digits.
fn index(v: Option<&Value>) -> Result<Option<usize>, ()> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_u64().map(|n| Some(n as usize)).ok_or(()),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| ()),
        Some(_) => Err(()),
    }
}

/// `webgetassets`: items `[offset, min(limit, n))` (capped per the knob), each as its CPLMaster
/// then its CPLAsset.
fn assets(state: &State, i: usize, cfg: &FakeSharedStreams, body: &Value) -> Reply {
    let album = &state.shared_albums[i];
    let n = album.lib.len();
    let (Ok(offset), Ok(limit)) = (index(body.get("offset")), index(body.get("limit"))) else {
        return answer(400, &json!({}));
    };
    if cfg.reject_stale_ctag
        && let Some(ctag) = body.get("albumctag").and_then(Value::as_str)
        && ctag != album.ctag()
    {
        return answer(409, &json!({}));
    }
    let offset = offset.unwrap_or(0);
    let mut end = limit.unwrap_or(n).min(n);
    if let Some(cap) = cfg.page_cap {
        end = end.min(offset.saturating_add(cap));
    }
    let mut items: Vec<usize> = (offset..end).collect();
    if cfg.repeat_across_pages && offset > 0 && offset <= n && !items.is_empty() {
        items.insert(0, offset - 1);
    }
    let signer = state.signer();
    let zone = CDN_FLAG | u16::try_from(i).unwrap_or(0);
    let mut records = Vec::with_capacity(items.len() * 2);
    for k in items {
        records.push(master(album, k, |r| {
            signer.url(zone, k as u32, r, "sharedstreams")
        }));
        records.push(asset(album, k));
    }
    answer(200, &json!({ "records": records }))
}

/// The CPLMaster record of item `k`: no `itemType`, `res…Res.size` 0, real sizes in
/// `res…FileSize`, `originalCreationDate`.
fn master(album: &ServedAlbum, k: usize, url: impl Fn(&crate::library::Res) -> String) -> Value {
    let a = &album.lib.assets[k];
    let mut fields = Map::new();
    let mut put = |name: String, value: Value, ty: &str| {
        fields.insert(name, json!({"value": value, "type": ty}));
    };
    match &a.name {
        NameField::Encrypted(n) => put(
            "filenameEnc".into(),
            json!(STANDARD.encode(n.as_bytes())),
            "ENCRYPTED_BYTES",
        ),
        NameField::Plain(n) => put("filenameEnc".into(), json!(n), "STRING"),
        NameField::RawB64(v) => put("filenameEnc".into(), json!(v), "ENCRYPTED_BYTES"),
        NameField::Missing => {}
    }
    put("originalCreationDate".into(), json!(a.date()), "TIMESTAMP");
    for r in album.resources(k) {
        let p = r.prefix.name();
        let mut res = json!({"fileChecksum": r.checksum_b64(), "size": 0});
        if r.url {
            res["downloadURL"] = json!(url(&r));
        }
        put(format!("{p}Res"), res, "ASSETID");
        put(format!("{p}FileSize"), json!(r.size), "INT64");
        put(format!("{p}FileType"), json!(r.uti.as_str()), "STRING");
        put(format!("{p}Width"), json!(r.width), "INT64");
        put(format!("{p}Height"), json!(r.height), "INT64");
    }
    json!({
        "recordName": album.lib.master_name(k),
        "recordType": "CPLMaster",
        "recordChangeTag": crate::records::change_tag(a.tag),
        "fields": fields,
    })
}

/// The CPLAsset record of item `k`: `masterRef`, `addedDate`, `contributedBy`, likes.
fn asset(album: &ServedAlbum, k: usize) -> Value {
    let a = &album.lib.assets[k];
    let contributor = if k % 3 == 2 {
        format!("{}", 10_000_000_000 + mix(a.uid, 5) % 90_000_000_000)
    } else {
        album.owner_dsid.clone()
    };
    json!({
        "recordName": album.lib.asset_name(k),
        "recordType": "CPLAsset",
        "recordChangeTag": crate::records::change_tag(a.tag + 1),
        "fields": {
            "masterRef": {"value": {"recordName": album.lib.master_name(k), "action": "DELETE_SELF"}, "type": "REFERENCE"},
            "addedDate": {"value": a.added(), "type": "TIMESTAMP"},
            "contributedBy": {"value": contributor, "type": "STRING"},
        },
        "pluginFields": {
            "likeCount": {"value": mix(a.uid, 6) % 5},
            "likedByCaller": {"value": false},
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_hosts() {
        assert_eq!(partition_of("p42-sharedstreams.icloud.com"), Some(42));
        assert_eq!(partition_of("p108-sharedstreams.icloud.com.cn"), Some(108));
        assert_eq!(partition_of("p-sharedstreams.icloud.com"), None);
        assert_eq!(partition_of("p4x-sharedstreams.icloud.com"), None);
        assert_eq!(partition_of("p42-ckdatabasews.icloud.com"), None);
        assert_eq!(host(7), "p07-sharedstreams.icloud.com");
        assert_eq!(
            split_path("/_h/p42-sharedstreams.icloud.com/123/sharedstreams/x"),
            Some(("p42-sharedstreams.icloud.com", "/123/sharedstreams/x"))
        );
        assert_eq!(split_path("/_h/example.com/x"), None);
    }

    #[test]
    fn numbers_and_strings_are_indexes() {
        assert_eq!(index(Some(&json!("30"))), Ok(Some(30)));
        assert_eq!(index(Some(&json!(30))), Ok(Some(30)));
        assert_eq!(index(None), Ok(None));
        assert!(index(Some(&json!("-1"))).is_err());
        assert!(index(Some(&json!(-1))).is_err());
        assert!(index(Some(&json!([1]))).is_err());
    }

    #[test]
    fn redirects_take_the_knobs_shape() {
        let cfg = FakeSharedStreams::new();
        let r = redirect(&cfg, 108);
        assert_eq!(r.status, 330);
        assert_eq!(
            r.get_header("X-Apple-MMe-Host"),
            Some("p108-sharedstreams.icloud.com")
        );
        assert!(String::from_utf8_lossy(&r.body).contains("p108-sharedstreams.icloud.com"));
        let r = redirect(&cfg.clone().redirect(PartitionRedirect::HeaderOnly), 5);
        assert!(r.body.is_empty() && r.get_header("X-Apple-MMe-Host").is_some());
        let r = redirect(&cfg.clone().redirect(PartitionRedirect::Empty), 5);
        assert!(r.body.is_empty() && r.get_header("X-Apple-MMe-Host").is_none());
        let r = redirect(&cfg.redirect(PartitionRedirect::InvalidHost), 5);
        assert_eq!(r.get_header("X-Apple-MMe-Host"), Some("evil.example.com"));
    }
}
