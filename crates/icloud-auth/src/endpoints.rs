//! Where requests go: Apple's hosts per region, and the single override point for tests and fakes.

use crate::error::{Error, Result};

/// Apple's regions, selected with icloudpd's `--domain {com,cn}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Region {
    /// `icloud.com` and `idmsa.apple.com` (the default).
    #[default]
    Global,
    /// `icloud.com.cn` and `idmsa.apple.com.cn` (mainland China accounts).
    China,
}

impl Region {
    /// Returns the region for an icloudpd `--domain` value (`com` or `cn`).
    pub fn from_domain(domain: &str) -> Result<Region> {
        match domain {
            "com" => Ok(Region::Global),
            "cn" => Ok(Region::China),
            other => Err(Error::Config(format!(
                "Domain '{other}' is not supported yet"
            ))),
        }
    }

    /// Returns the region's OAuth redirect URI, which Apple checks against the widget key.
    pub fn redirect_uri(self) -> &'static str {
        match self {
            Region::Global => "https://www.icloud.com",
            Region::China => "https://www.icloud.com.cn",
        }
    }
}

/// Environment variable that overrides the sign-in (idmsa) base URL.
pub const AUTH_ENDPOINT_ENV: &str = "ICLOUD_AUTH_ENDPOINT";
/// Environment variable that overrides the setup base URL.
pub const SETUP_ENDPOINT_ENV: &str = "ICLOUD_SETUP_ENDPOINT";
/// Environment variable that overrides the home (`www.icloud.com`) base URL.
pub const HOME_ENDPOINT_ENV: &str = "ICLOUD_HOME_ENDPOINT";

const AUTH_PATH: &str = "/appleauth/auth";
const SETUP_PATH: &str = "/setup/ws/1";

/// The base URLs of one region, possibly overridden.
///
/// An override is a base URL such as `http://127.0.0.1:8080`. Apple's fixed paths
/// (`/appleauth/auth`, `/setup/ws/1`) are appended unless the URL already ends with them, so one
/// fake server can stand in for every host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    region: Region,
    auth_root: String,
    setup: String,
    home: String,
}

impl Endpoints {
    /// Returns Apple's real endpoints for `region`.
    pub fn for_region(region: Region) -> Endpoints {
        let (auth_root, setup, home) = match region {
            Region::Global => (
                "https://idmsa.apple.com",
                "https://setup.icloud.com",
                "https://www.icloud.com",
            ),
            Region::China => (
                "https://idmsa.apple.com.cn",
                "https://setup.icloud.com.cn",
                "https://www.icloud.com.cn",
            ),
        };
        Endpoints {
            region,
            auth_root: auth_root.to_owned(),
            setup: format!("{setup}{SETUP_PATH}"),
            home: home.to_owned(),
        }
    }

    /// Returns the endpoints of `region` with the overrides in `ICLOUD_AUTH_ENDPOINT`,
    /// `ICLOUD_SETUP_ENDPOINT` and `ICLOUD_HOME_ENDPOINT` applied, when set and non-empty.
    ///
    /// This is the one place the crate reads the environment; [`crate::AuthClientBuilder`]
    /// uses it unless endpoints are given explicitly.
    pub fn from_env(region: Region) -> Result<Endpoints> {
        let var = |name| {
            std::env::var(name)
                .ok()
                .filter(|v: &String| !v.trim().is_empty())
        };
        Endpoints::for_region(region).with_overrides(
            var(AUTH_ENDPOINT_ENV).as_deref(),
            var(SETUP_ENDPOINT_ENV).as_deref(),
            var(HOME_ENDPOINT_ENV).as_deref(),
        )
    }

    /// Returns these endpoints with the given base URLs replacing Apple's (`http://` allowed).
    pub fn with_overrides(
        mut self,
        auth: Option<&str>,
        setup: Option<&str>,
        home: Option<&str>,
    ) -> Result<Endpoints> {
        if let Some(a) = auth {
            let a = normalize(a, "auth")?;
            self.auth_root = a.strip_suffix(AUTH_PATH).unwrap_or(&a).to_owned();
        }
        if let Some(s) = setup {
            let s = normalize(s, "setup")?;
            self.setup = if s.ends_with(SETUP_PATH) {
                s
            } else {
                format!("{s}{SETUP_PATH}")
            };
        }
        if let Some(h) = home {
            self.home = normalize(h, "home")?;
        }
        Ok(self)
    }

    /// Returns the same base URL for every service: what a single fake server needs.
    pub fn single_origin(region: Region, base: &str) -> Result<Endpoints> {
        Endpoints::for_region(region).with_overrides(Some(base), Some(base), Some(base))
    }

    /// Returns the region these endpoints belong to.
    pub fn region(&self) -> Region {
        self.region
    }

    /// Returns the idmsa root, e.g. `https://idmsa.apple.com` (used as Origin of SRP requests).
    pub fn auth_root(&self) -> &str {
        &self.auth_root
    }

    /// Returns the sign-in API base, e.g. `https://idmsa.apple.com/appleauth/auth`.
    pub fn auth(&self) -> String {
        format!("{}{AUTH_PATH}", self.auth_root)
    }

    /// Returns the setup API base, e.g. `https://setup.icloud.com/setup/ws/1`.
    pub fn setup(&self) -> &str {
        &self.setup
    }

    /// Returns the home origin, e.g. `https://www.icloud.com` (Origin of most requests).
    pub fn home(&self) -> &str {
        &self.home
    }
}

fn normalize(raw: &str, what: &str) -> Result<String> {
    let trimmed = raw.trim().trim_end_matches('/');
    let parsed = url::Url::parse(trimmed)
        .map_err(|e| Error::Config(format!("invalid {what} endpoint: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(Error::Config(format!(
            "invalid {what} endpoint: expected an http(s) base URL"
        )));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_have_apples_hosts() {
        let g = Endpoints::for_region(Region::Global);
        assert_eq!(g.auth(), "https://idmsa.apple.com/appleauth/auth");
        assert_eq!(g.setup(), "https://setup.icloud.com/setup/ws/1");
        assert_eq!(g.home(), "https://www.icloud.com");
        let c = Endpoints::for_region(Region::China);
        assert_eq!(c.auth(), "https://idmsa.apple.com.cn/appleauth/auth");
        assert_eq!(c.setup(), "https://setup.icloud.com.cn/setup/ws/1");
        assert_eq!(c.home(), "https://www.icloud.com.cn");
        assert_eq!(Region::China.redirect_uri(), "https://www.icloud.com.cn");
    }

    #[test]
    fn overrides_append_fixed_paths_once() {
        let e = Endpoints::single_origin(Region::Global, "http://127.0.0.1:9/").unwrap();
        assert_eq!(e.auth(), "http://127.0.0.1:9/appleauth/auth");
        assert_eq!(e.setup(), "http://127.0.0.1:9/setup/ws/1");
        assert_eq!(e.home(), "http://127.0.0.1:9");
        let e = Endpoints::for_region(Region::Global)
            .with_overrides(
                Some("http://a:1/appleauth/auth"),
                Some("http://b:2/setup/ws/1"),
                None,
            )
            .unwrap();
        assert_eq!(e.auth(), "http://a:1/appleauth/auth");
        assert_eq!(e.setup(), "http://b:2/setup/ws/1");
        assert_eq!(e.home(), "https://www.icloud.com");
    }

    #[test]
    fn bad_overrides_and_domains_are_errors() {
        assert!(Endpoints::single_origin(Region::Global, "not a url").is_err());
        assert!(Endpoints::single_origin(Region::Global, "ftp://x").is_err());
        let err = Region::from_domain("de").unwrap_err();
        assert!(err.to_string().contains("Domain 'de' is not supported yet"));
    }
}
