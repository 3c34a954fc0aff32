//! [`Network`]: how the HTTP clients reach Apple — extra trusted root certificates and host
//! name overrides — shared by the sign-in client and, through the [`crate::Session`], by every
//! client built for the session's web services (the photos downloads, for example).
//!
//! By default TLS trusts the operating system's certificate store (which honours
//! `SSL_CERT_FILE` and `SSL_CERT_DIR`) together with a bundled copy of the Mozilla roots, so a
//! TLS-inspecting proxy or a private CA installed on the machine works, and so does a minimal
//! container without a store. Proxies come from `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and
//! `NO_PROXY`, as curl reads them. A [`Network`] adds roots and host overrides on top, which is
//! how an embedder's tests reach a fake Apple under Apple's real host names.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::{Error, Result};

/// A trusted root certificate, added to the system's and the bundled ones.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("der_len", &self.der.len())
            .finish()
    }
}

impl Certificate {
    /// Returns the certificate of DER bytes.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Config`] when the bytes are not one DER `SEQUENCE` (what a certificate
    /// is); the TLS library checks the rest when the client is built
    /// ([`crate::AuthClientBuilder::build`]).
    pub fn from_der(der: impl Into<Vec<u8>>) -> Result<Certificate> {
        let der = der.into();
        if der_sequence_len(&der) != Some(der.len()) {
            return Err(Error::Config(
                "root certificate is not DER-encoded".to_owned(),
            ));
        }
        Ok(Certificate { der })
    }

    /// Returns every certificate of a PEM text (`-----BEGIN CERTIFICATE-----` blocks; other
    /// blocks are skipped), e.g. the contents of a CA bundle file.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Config`] when the text holds no certificate or a block is not valid
    /// base64.
    pub fn from_pem_bundle(pem: &str) -> Result<Vec<Certificate>> {
        const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
        const END: &str = "-----END CERTIFICATE-----";
        let mut out = Vec::new();
        let mut rest = pem;
        while let Some(start) = rest.find(BEGIN) {
            let body = &rest[start + BEGIN.len()..];
            let end = body
                .find(END)
                .ok_or_else(|| Error::Config("unterminated PEM certificate".to_owned()))?;
            let b64: String = body[..end].split_whitespace().collect();
            let der = STANDARD
                .decode(b64)
                .map_err(|e| Error::Config(format!("invalid PEM certificate: {e}")))?;
            out.push(Certificate::from_der(der)?);
            rest = &body[end + END.len()..];
        }
        if out.is_empty() {
            return Err(Error::Config("no certificate in PEM text".to_owned()));
        }
        Ok(out)
    }

    /// Returns the DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
}

/// Returns the total length (header included) of the DER `SEQUENCE` at the start of `der`.
fn der_sequence_len(der: &[u8]) -> Option<usize> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    if tag != 0x30 {
        return None;
    }
    if first < 0x80 {
        return Some(2 + usize::from(first));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 || rest.len() < n {
        return None;
    }
    let len = rest[..n]
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    Some(2 + n + len)
}

/// One host override: a host name (or `*.domain` for every name below `domain`) and the
/// address to connect to instead of what DNS says.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HostOverride {
    pattern: String,
    addr: SocketAddr,
}

impl HostOverride {
    fn matches(&self, host: &str) -> bool {
        match self.pattern.strip_prefix("*.") {
            Some(domain) => host
                .strip_suffix(domain)
                .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
            None => host == self.pattern,
        }
    }
}

/// How the HTTP clients reach Apple: extra root certificates and host overrides, on top of
/// the system's certificate store, the bundled roots, the system's DNS and the proxy
/// environment variables. The default adds nothing.
///
/// ```
/// use std::net::SocketAddr;
/// use icloud_auth::{AuthClient, Network};
///
/// let fake: SocketAddr = "127.0.0.1:4443".parse().unwrap();
/// let network = Network::default()
///     .resolve("idmsa.apple.com", fake)
///     .resolve("*.icloud.com", fake);
/// let client = AuthClient::builder().network(network).build()?;
/// # let _ = client;
/// # Ok::<(), icloud_auth::Error>(())
/// ```
///
/// # Example: a fake Apple under Apple's own names
///
/// `icloud-fake` can serve HTTPS under Apple's host names with a certificate from a private
/// CA. A client with Apple's real [`crate::Endpoints`] reaches it when it trusts that CA and
/// resolves the hosts to the fake: the test then covers what a loopback URL hides (cookie
/// domains, `Secure` cookies, the hosts Apple announces for web services).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use icloud_auth::{AuthClient, Certificate, MemorySessionStore, Network, SecretString, SignIn};
/// use icloud_fake::{FakeAccount, FakeICloud};
///
/// let fake = FakeICloud::builder()
///     .account(FakeAccount::new("jdoe@gmail.com", "password1").without_two_factor())
///     .https()
///     .start()?;
/// // Straight to the fake: a proxy from the environment would resolve Apple's names itself.
/// let mut network = Network::default().no_proxy();
/// for cert in Certificate::from_pem_bundle(&fake.ca_certificate_pem().ok_or("no CA")?)? {
///     network = network.add_root_certificate(cert);
/// }
/// for (host, addr) in fake.host_overrides() {
///     network = network.resolve(host, addr);
/// }
/// let client = AuthClient::builder().network(network).build()?; // Apple's endpoints
/// let password = SecretString::from("password1".to_owned());
/// let store = Arc::new(MemorySessionStore::default());
/// let SignIn::Complete(session) = client.sign_in("jdoe@gmail.com", &password, store).await?
/// else {
///     return Err("expected a complete sign-in".into());
/// };
/// let photos = session.webservice("ckdatabasews")?.url();
/// assert!(photos.starts_with("https://p61-ckdatabasews.icloud.com:"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct Network {
    roots: Vec<Certificate>,
    overrides: Vec<HostOverride>,
    no_proxy: bool,
}

impl Network {
    /// Trusts `cert` as a root, in addition to the system's and the bundled roots.
    pub fn add_root_certificate(mut self, cert: Certificate) -> Self {
        self.roots.push(cert);
        self
    }

    /// Connects to `addr` for host `host` instead of asking DNS (default: no override). `host`
    /// is an exact name (`idmsa.apple.com`) or `*.` and a domain (`*.icloud.com` covers every
    /// name below `icloud.com`, not `icloud.com` itself). The first matching override wins. A
    /// port in the URL wins over the port of `addr`; URLs without one (Apple's sign-in and
    /// setup URLs) use `addr`'s. Requests sent through a proxy (`HTTPS_PROXY`) leave the name
    /// to the proxy, so overrides apply to them only with [`Network::no_proxy`] or `NO_PROXY`.
    pub fn resolve(mut self, host: impl Into<String>, addr: SocketAddr) -> Self {
        self.overrides.push(HostOverride {
            pattern: host.into().to_ascii_lowercase(),
            addr,
        });
        self
    }

    /// Ignores the proxy environment variables (default: `HTTPS_PROXY`, `HTTP_PROXY`,
    /// `ALL_PROXY` and `NO_PROXY` are honoured): every connection goes straight to its host.
    pub fn no_proxy(mut self) -> Self {
        self.no_proxy = true;
        self
    }

    /// Returns the extra root certificates.
    pub fn root_certificates(&self) -> &[Certificate] {
        &self.roots
    }

    /// Returns the address `host` is overridden to, if any.
    pub fn overridden(&self, host: &str) -> Option<SocketAddr> {
        let host = host.to_ascii_lowercase();
        self.overrides
            .iter()
            .find(|o| o.matches(&host))
            .map(|o| o.addr)
    }

    /// Applies these settings to an HTTP client builder. For the workspace's own crates,
    /// which build their clients from a session's settings; not a stable API.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Config`] when a root certificate is refused by the TLS backend.
    #[doc(hidden)]
    pub fn configure(&self, mut builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder> {
        #[cfg(any(feature = "rustls", feature = "native-tls"))]
        for root in &self.roots {
            let cert = reqwest::Certificate::from_der(&root.der)
                .map_err(|e| Error::Config(format!("root certificate refused: {e}")))?;
            builder = builder.add_root_certificate(cert);
        }
        if self.no_proxy {
            builder = builder.no_proxy();
        }
        if !self.overrides.is_empty() {
            builder = builder.dns_resolver(Arc::new(Resolver {
                overrides: self.overrides.clone(),
            }));
        }
        Ok(builder)
    }
}

/// DNS with overrides: an overridden name resolves to its address, any other name through
/// the system's resolver (`getaddrinfo` on a blocking thread, as reqwest's default).
struct Resolver {
    overrides: Vec<HostOverride>,
}

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let hit = self
            .overrides
            .iter()
            .find(|o| o.matches(&host))
            .map(|o| o.addr);
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = match hit {
                Some(addr) => vec![addr],
                None => tokio::net::lookup_host((host.as_str(), 0)).await?.collect(),
            };
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = "junk\n-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n\
        -----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n\
        -----BEGIN CERTIFICATE-----\r\nMAA=\r\n-----END CERTIFICATE-----";

    #[test]
    fn pem_bundles_give_every_certificate() {
        let certs = Certificate::from_pem_bundle(PEM).unwrap();
        assert_eq!(certs.len(), 2);
        assert_eq!(certs[0].der(), &[0x30, 0x03, 0x02, 0x01, 0x00]);
        assert_eq!(certs[1].der(), &[0x30, 0x00]);
        assert!(Certificate::from_pem_bundle("nothing here").is_err());
        assert!(
            Certificate::from_pem_bundle(
                "-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----"
            )
            .is_err()
        );
        assert!(Certificate::from_der(vec![1, 2]).is_err());
        assert!(Certificate::from_der(vec![0x30, 0x05, 0]).is_err(), "short");
        assert!(
            Certificate::from_der(vec![0x30, 0x00, 0]).is_err(),
            "trailing bytes"
        );
        let mut long = vec![0x30, 0x82, 0x01, 0x00];
        long.extend(std::iter::repeat_n(0u8, 256));
        assert!(Certificate::from_der(long).is_ok());
    }

    #[test]
    fn overrides_match_exact_names_and_subdomains() {
        let a: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:2".parse().unwrap();
        let n = Network::default()
            .resolve("idmsa.apple.com", a)
            .resolve("*.icloud.com", b);
        assert_eq!(n.overridden("IDMSA.apple.com"), Some(a));
        assert_eq!(n.overridden("apple.com"), None);
        assert_eq!(n.overridden("p61-ckdatabasews.icloud.com"), Some(b));
        assert_eq!(n.overridden("a.b.icloud.com"), Some(b));
        assert_eq!(n.overridden("icloud.com"), None);
        assert_eq!(n.overridden("evilicloud.com"), None);
        assert_eq!(n.overridden(".icloud.com"), None);
    }
}
