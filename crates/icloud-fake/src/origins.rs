//! Where the fake says Apple's services live, and on which host each path must arrive.
//!
//! In HTTP mode every service is one origin, `http://127.0.0.1:PORT`, and the `Host` header is
//! not looked at. In HTTPS mode the fake announces Apple's own host names (the client maps them
//! to the fake's address) in the region of the request's host: a request to a `….cn` host sees
//! `….icloud.com.cn` webservices and cookie domains, any other the global names.
//!
//! The hosts in HTTPS mode, as auth.md §1 and photos.md §2 give them (each also with `.cn`):
//!
//! | paths | host |
//! |---|---|
//! | `/appleauth/auth…` (sign-in, 2FA, trust) | `idmsa.apple.com` |
//! | `/setup/ws/1/…` (`accountLogin`, `validate`, 2SA, PCS) | `setup.icloud.com` |
//! | `/database/…` (CloudKit) | `p61-ckdatabasews.icloud.com` |
//! | `/B/…` (downloads) | `cvws.icloud-content.com` |
//! | `/` (the client's `{HOME}`) | `www.icloud.com` |
//! | `/__fake/…` (test routes) | any |
//!
//! A request for one of these paths on another host is answered 421 "Misdirected Request",
//! the status Apple's front ends give a connection reused for the wrong host (clients such as
//! kei reset their connection pool on it, auth.md §16 item 8); the body names the expected
//! hosts so that a misconfigured test says what is wrong. Both regions serve every path:
//! newer clients sign in on `idmsa.apple.com` for China accounts too (auth.md §1).
//!
//! Announced URLs keep Apple's explicit port, as `webservices` has `…icloud.com:443` and a
//! client must use the URL exactly as given (photos.md §2 item 2); here the port is the
//! fake's own. The CDN lives on another registrable domain than setup and CloudKit, so no
//! `.icloud.com` cookie reaches a download (photos.md §3.3), as with Apple.

use std::net::SocketAddr;

use serde_json::json;

use crate::http::{CookieScope, Reply, Req};
use crate::shapes;

/// Partition prefix of the webservice hosts (`p61-ckdatabasews.icloud.com`).
const PARTITION: &str = "p61";
/// Label of the CloudKit webservice host.
const CLOUDKIT: &str = "ckdatabasews";
/// The download CDN's host, before the region suffix.
const CDN: &str = "cvws.icloud-content.com";
/// Names of the leaf certificate besides the exact hosts (wildcards, before the region suffix).
const WILDCARDS: [&str; 2] = ["*.icloud.com", "*.icloud-content.com"];

/// Apple's two families of host names: `icloud.com` and `icloud.com.cn`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Region {
    /// `idmsa.apple.com`, `setup.icloud.com`, …
    Global,
    /// `idmsa.apple.com.cn`, `setup.icloud.com.cn`, …
    China,
}

impl Region {
    /// Both regions, global first.
    const ALL: [Region; 2] = [Region::Global, Region::China];

    /// Returns what the region appends to a global host name.
    fn suffix(self) -> &'static str {
        match self {
            Region::Global => "",
            Region::China => ".cn",
        }
    }
}

/// The fake's origins in one mode; in HTTPS mode also the region of the request being answered.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Origins {
    /// Where the fake listens.
    addr: SocketAddr,
    /// `None` in HTTP mode; in HTTPS mode the region URLs and cookie domains are rendered for.
    apple: Option<Region>,
}

impl Origins {
    /// Returns the HTTP mode: everything on `http://ADDR`.
    pub(crate) fn plain(addr: SocketAddr) -> Self {
        Origins { addr, apple: None }
    }

    /// Returns the HTTPS mode under Apple's host names, global region.
    pub(crate) fn apple(addr: SocketAddr) -> Self {
        Origins {
            addr,
            apple: Some(Region::Global),
        }
    }

    /// Returns whether these are Apple's host names over HTTPS.
    pub(crate) fn is_apple(&self) -> bool {
        self.apple.is_some()
    }

    /// Returns these origins as a request to `host` sees them: in HTTPS mode a `….cn` host
    /// selects the China names. HTTP mode is unchanged.
    #[must_use]
    pub(crate) fn at(self, host: Option<&str>) -> Self {
        let region = match host {
            Some(h) if h.ends_with(".cn") => Region::China,
            _ => Region::Global,
        };
        Origins {
            apple: self.apple.map(|_| region),
            ..self
        }
    }

    /// Returns `http://ADDR` (HTTP mode) or `https://ADDR` (HTTPS mode, where it reaches only
    /// the test routes: every Apple path checks its host name).
    pub(crate) fn base_url(&self) -> String {
        let scheme = if self.is_apple() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Returns `{name}{region suffix}`, or the loopback origin in HTTP mode.
    fn named(&self, name: &str, with_port: bool) -> String {
        match self.apple {
            None => self.base_url(),
            Some(region) if with_port => {
                format!("https://{name}{}:{}", region.suffix(), self.addr.port())
            }
            Some(region) => format!("https://{name}{}", region.suffix()),
        }
    }

    /// Returns idmsa's origin (`https://idmsa.apple.com`).
    pub(crate) fn idmsa(&self) -> String {
        self.named("idmsa.apple.com", false)
    }

    /// Returns setup's origin (`https://setup.icloud.com`).
    pub(crate) fn setup(&self) -> String {
        self.named("setup.icloud.com", false)
    }

    /// Returns the origin of the webservice whose host label is `label`
    /// (`https://p61-ckdatabasews.icloud.com:PORT`; the port is explicit, as Apple's `:443`).
    pub(crate) fn webservice(&self, label: &str) -> String {
        self.named(&format!("{PARTITION}-{label}.icloud.com"), true)
    }

    /// Returns the download CDN's origin (`https://cvws.icloud-content.com:PORT`).
    pub(crate) fn cdn(&self) -> String {
        self.named(CDN, true)
    }

    /// Returns the `Domain` of a cookie in `scope` (`None` in HTTP mode: host-only cookies).
    pub(crate) fn cookie_domain(&self, scope: CookieScope) -> Option<String> {
        let region = self.apple?;
        let domain = match scope {
            CookieScope::ICloud => ".icloud.com",
            CookieScope::Idmsa => "idmsa.apple.com",
            CookieScope::Apple => "apple.com",
        };
        Some(format!("{domain}{}", region.suffix()))
    }

    /// Returns every host name the fake announces, in both regions (empty in HTTP mode):
    /// what a client must map to the fake's address.
    pub(crate) fn host_names(&self) -> Vec<String> {
        if !self.is_apple() {
            return Vec::new();
        }
        let labels = shapes::webservice_labels();
        let global = ["idmsa.apple.com", "setup.icloud.com", "www.icloud.com"]
            .into_iter()
            .map(str::to_owned)
            .chain(labels.map(|l| format!("{PARTITION}-{l}.icloud.com")))
            .chain([CDN.to_owned()]);
        let global: Vec<String> = global.collect();
        Region::ALL
            .into_iter()
            .flat_map(|r| global.iter().map(move |h| format!("{h}{}", r.suffix())))
            .collect()
    }

    /// Returns the names the leaf certificate covers: the exact hosts of both regions, the
    /// wildcards of both regions, and `127.0.0.1` (for the test routes).
    pub(crate) fn certificate_names() -> Vec<String> {
        let exact = ["idmsa.apple.com", "setup.icloud.com", "www.icloud.com"];
        let names: Vec<&str> = exact.into_iter().chain(WILDCARDS).collect();
        Region::ALL
            .into_iter()
            .flat_map(|r| names.iter().map(move |n| format!("{n}{}", r.suffix())))
            .chain(["127.0.0.1".to_owned()])
            .collect()
    }

    /// Returns the global host name `path` must arrive on, `None` when any host will do
    /// (test routes, unknown paths).
    fn expected_host(path: &str) -> Option<String> {
        let idmsa = path
            .strip_prefix("/appleauth/auth")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
        if idmsa {
            Some("idmsa.apple.com".to_owned())
        } else if path.starts_with("/setup/ws/1/") {
            Some("setup.icloud.com".to_owned())
        } else if path.starts_with("/database/") {
            Some(format!("{PARTITION}-{CLOUDKIT}.icloud.com"))
        } else if path.starts_with("/B/") {
            Some(CDN.to_owned())
        } else if path == "/" {
            Some("www.icloud.com".to_owned())
        } else {
            None
        }
    }

    /// Returns the 421 answer for a request that arrived on the wrong host (HTTPS mode only;
    /// the port is ignored), or `None` when the host is right.
    pub(crate) fn misdirected(&self, req: &Req) -> Option<Reply> {
        if !self.is_apple() || req.path.starts_with("/__fake/") {
            return None;
        }
        let expected = Self::expected_host(&req.path)?;
        let allowed: Vec<String> = Region::ALL
            .into_iter()
            .map(|r| format!("{expected}{}", r.suffix()))
            .collect();
        let host = req.host.as_deref().unwrap_or_default();
        if allowed.iter().any(|a| a == host) {
            return None;
        }
        let body = json!({
            "error": "misdirected request",
            "message": format!("icloud-fake serves {} on {}, not on {host:?}", req.path, allowed.join(" or ")),
            "host": host,
            "expectedHosts": allowed,
        });
        Some(Reply::json(421, "application/json", &body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 4321))
    }

    fn req(path: &str, host: Option<&str>) -> Req {
        Req {
            method: "GET".into(),
            path: path.into(),
            host: host.map(str::to_owned),
            ..Req::default()
        }
    }

    #[test]
    fn plain_mode_is_one_origin_with_host_only_cookies() {
        let o = Origins::plain(addr()).at(Some("setup.icloud.com.cn"));
        for url in [o.idmsa(), o.setup(), o.webservice("ckdatabasews"), o.cdn()] {
            assert_eq!(url, "http://127.0.0.1:4321");
        }
        assert_eq!(o.cookie_domain(CookieScope::ICloud), None);
        assert!(o.host_names().is_empty());
        assert!(o.misdirected(&req("/setup/ws/1/validate", None)).is_none());
    }

    #[test]
    fn apple_mode_names_apple_hosts_per_region() {
        let o = Origins::apple(addr());
        assert_eq!(o.idmsa(), "https://idmsa.apple.com");
        assert_eq!(o.setup(), "https://setup.icloud.com");
        assert_eq!(
            o.webservice("ckdatabasews"),
            "https://p61-ckdatabasews.icloud.com:4321"
        );
        assert_eq!(o.cdn(), "https://cvws.icloud-content.com:4321");
        assert_eq!(o.base_url(), "https://127.0.0.1:4321");
        let cn = o.at(Some("setup.icloud.com.cn"));
        assert_eq!(cn.setup(), "https://setup.icloud.com.cn");
        assert_eq!(cn.cdn(), "https://cvws.icloud-content.com.cn:4321");
        assert_eq!(
            cn.cookie_domain(CookieScope::ICloud).as_deref(),
            Some(".icloud.com.cn")
        );
        assert_eq!(
            cn.at(Some("idmsa.apple.com"))
                .cookie_domain(CookieScope::Apple),
            Some("apple.com".to_owned())
        );
        let hosts = o.host_names();
        for h in [
            "idmsa.apple.com",
            "idmsa.apple.com.cn",
            "www.icloud.com.cn",
            "p61-ckdatabasews.icloud.com",
            "p61-ckdatabasews.icloud.com.cn",
            "cvws.icloud-content.com",
        ] {
            assert!(hosts.iter().any(|x| x == h), "{h} in {hosts:?}");
        }
    }

    #[test]
    fn apple_mode_refuses_misdirected_requests() {
        let o = Origins::apple(addr());
        let refused = |path: &str, host: Option<&str>| o.misdirected(&req(path, host)).is_some();
        assert!(!refused(
            "/appleauth/auth/signin/init",
            Some("idmsa.apple.com")
        ));
        assert!(!refused("/appleauth/auth", Some("idmsa.apple.com.cn")));
        assert!(refused("/appleauth/auth", Some("setup.icloud.com")));
        assert!(refused("/setup/ws/1/validate", Some("idmsa.apple.com")));
        assert!(refused("/setup/ws/1/validate", None));
        assert!(!refused(
            "/setup/ws/1/validate",
            Some("setup.icloud.com.cn")
        ));
        assert!(!refused(
            "/database/1/x",
            Some("p61-ckdatabasews.icloud.com")
        ));
        assert!(refused("/database/1/x", Some("p61-photosws.icloud.com")));
        assert!(refused("/B/abc/${f}", Some("p61-ckdatabasews.icloud.com")));
        assert!(!refused("/B/abc/${f}", Some("cvws.icloud-content.com")));
        assert!(!refused("/", Some("www.icloud.com")));
        assert!(refused("/", Some("127.0.0.1")));
        assert!(!refused("/__fake/code", Some("127.0.0.1")));
        assert!(!refused("/elsewhere", Some("127.0.0.1")));
        let reply = o.misdirected(&req("/setup/ws/1/validate", Some("idmsa.apple.com")));
        assert_eq!(reply.as_ref().map(|r| r.status), Some(421));
        let body = reply.map(|r| String::from_utf8_lossy(&r.body).into_owned());
        assert!(body.is_some_and(|b| b.contains("setup.icloud.com")));
    }
}
