//! Where requests go: Apple's hosts per region, and the single override point for tests and fakes.

use crate::error::{Error, Result};

/// Apple's regions, selected with icloudpd's `--domain {com,cn}`.
///
/// Accounts made in mainland China live on separate hosts (`*.icloud.com.cn`,
/// `idmsa.apple.com.cn`); every other account uses the global ones. Apple says so when an
/// account signs in at the wrong region: [`Error::WrongRegion`] names the domain to use.
///
/// ```
/// use icloud_auth::{Endpoints, Region};
///
/// let region = Region::from_domain("cn")?;
/// assert_eq!(region, Region::China);
/// assert_eq!(Endpoints::for_region(region).home(), "https://www.icloud.com.cn");
/// assert!(Region::from_domain("de").is_err());
/// # Ok::<(), icloud_auth::Error>(())
/// ```
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
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for any other value, worded as icloudpd words it.
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

/// Name of the variable that overrides the sign-in (idmsa) base URL in
/// [`Endpoints::from_lookup`].
pub const AUTH_ENDPOINT_ENV: &str = "ICLOUD_AUTH_ENDPOINT";
/// Name of the variable that overrides the setup base URL in [`Endpoints::from_lookup`].
pub const SETUP_ENDPOINT_ENV: &str = "ICLOUD_SETUP_ENDPOINT";
/// Name of the variable that overrides the home (`www.icloud.com`) base URL in
/// [`Endpoints::from_lookup`].
pub const HOME_ENDPOINT_ENV: &str = "ICLOUD_HOME_ENDPOINT";

const AUTH_PATH: &str = "/appleauth/auth";
const SETUP_PATH: &str = "/setup/ws/1";

/// The base URLs of one region, possibly overridden.
///
/// An override is a base URL such as `http://127.0.0.1:8080`. Apple's fixed paths
/// (`/appleauth/auth`, `/setup/ws/1`) are appended unless the URL already ends with them, so one
/// fake server can stand in for every host.
///
/// Three services are involved in a sign-in, each on its own host at Apple: the sign-in
/// service (idmsa, [`Endpoints::auth`]), the setup service that opens the web session and
/// lists the account's web services ([`Endpoints::setup`]), and the iCloud home page, whose
/// address Apple expects as `Origin` ([`Endpoints::home`]). The web services themselves are
/// not here: their URLs come from Apple with the account data ([`crate::Session::webservice`]),
/// so overriding these three points a whole client, photos included, at a fake server.
///
/// ```
/// use icloud_auth::{Endpoints, Region};
///
/// let apple = Endpoints::for_region(Region::Global);
/// assert_eq!(apple.auth(), "https://idmsa.apple.com/appleauth/auth");
///
/// // One fake server for every service, as `icloud-fake` serves them.
/// let fake = Endpoints::single_origin(Region::Global, "http://127.0.0.1:8080")?;
/// assert_eq!(fake.auth(), "http://127.0.0.1:8080/appleauth/auth");
/// assert_eq!(fake.setup(), "http://127.0.0.1:8080/setup/ws/1");
///
/// // The `ICLOUD_*_ENDPOINT` overrides icloudpd accepts, here from a fixed list.
/// let vars = [("ICLOUD_SETUP_ENDPOINT", "http://localhost:9000")];
/// let lookup = |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string());
/// let mixed = Endpoints::from_lookup(Region::Global, lookup)?;
/// assert_eq!(mixed.setup(), "http://localhost:9000/setup/ws/1");
/// assert_eq!(mixed.home(), "https://www.icloud.com");
/// # Ok::<(), icloud_auth::Error>(())
/// ```
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

    /// Returns the endpoints of `region` with the overrides that `lookup` gives for
    /// [`AUTH_ENDPOINT_ENV`], [`SETUP_ENDPOINT_ENV`] and [`HOME_ENDPOINT_ENV`] applied (values
    /// that are missing or blank are no override).
    ///
    /// The crate reads no environment variable itself: `lookup` answers for each name. A
    /// program that wants these overrides from its environment (as `icloudpd` does) passes a
    /// lookup over it from its own settings code.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when an override is not an `http(s)` base URL; the message names the
    /// variable.
    pub fn from_lookup(
        region: Region,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Endpoints> {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let one = |name: &str, endpoints: Endpoints, which: usize| -> Result<Endpoints> {
            let Some(value) = var(name) else {
                return Ok(endpoints);
            };
            let mut parts = [None, None, None];
            parts[which] = Some(value.as_str());
            endpoints
                .with_overrides(parts[0], parts[1], parts[2])
                .map_err(|e| Error::Config(format!("{name}: {e}")))
        };
        let endpoints = one(AUTH_ENDPOINT_ENV, Endpoints::for_region(region), 0)?;
        let endpoints = one(SETUP_ENDPOINT_ENV, endpoints, 1)?;
        one(HOME_ENDPOINT_ENV, endpoints, 2)
    }

    /// Returns these endpoints with the given base URLs replacing Apple's (`http://` allowed).
    ///
    /// `None` keeps a service where it is. Apple's fixed paths are appended to the sign-in and
    /// setup bases unless they already end with them; a trailing `/` is dropped.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when a value is not an `http://` or `https://` base URL; the message
    /// names the service.
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
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `base` is not an `http://` or `https://` base URL.
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
    fn overrides_come_from_the_lookup_only() {
        let lookup = |name: &str| match name {
            AUTH_ENDPOINT_ENV => Some("http://127.0.0.1:9".to_owned()),
            SETUP_ENDPOINT_ENV => Some("  ".to_owned()),
            _ => None,
        };
        let e = Endpoints::from_lookup(Region::China, lookup).unwrap();
        assert_eq!(e.auth(), "http://127.0.0.1:9/appleauth/auth");
        assert_eq!(e.setup(), "https://setup.icloud.com.cn/setup/ws/1");
        assert_eq!(e.home(), "https://www.icloud.com.cn");
        assert_eq!(
            Endpoints::from_lookup(Region::Global, |_| None).unwrap(),
            Endpoints::for_region(Region::Global)
        );
        let err = Endpoints::from_lookup(Region::Global, |name| {
            (name == HOME_ENDPOINT_ENV).then(|| "ftp://x".to_owned())
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("ICLOUD_HOME_ENDPOINT: "), "{err}");
    }

    #[test]
    fn bad_overrides_and_domains_are_errors() {
        assert!(Endpoints::single_origin(Region::Global, "not a url").is_err());
        assert!(Endpoints::single_origin(Region::Global, "ftp://x").is_err());
        let err = Region::from_domain("de").unwrap_err();
        assert!(err.to_string().contains("Domain 'de' is not supported yet"));
    }
}
