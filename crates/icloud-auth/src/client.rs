//! [`AuthClient`] and its builder: region, endpoints, user agent, timeouts.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use crate::conn::{ClientConfig, Conn};
use crate::endpoints::{Endpoints, Region};
use crate::error::{Error, Result};
use crate::network::{Certificate, Network};
use crate::signin::{self, SignIn};
use crate::store::SessionStore;

/// The User-Agent icloudpd 1.32 sends: a desktop Chrome.
pub const DEFAULT_USER_AGENT: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36";

/// Signs Apple IDs in to iCloud. Cheap to clone.
///
/// One client serves any number of Apple IDs: it holds only settings (the [`Endpoints`], the
/// `User-Agent`, timeouts, the [`Network`]), and each call opens a connection for the Apple ID
/// it is given, with that account's cookies and tokens loaded from the [`SessionStore`] it is
/// handed. Clones share the settings.
///
/// The client never prompts: [`AuthClient::sign_in`] returns a [`SignIn`] that says whether a
/// second factor is needed, and the caller decides how to obtain the code. It never retries a
/// sign-in either, since Apple locks accounts that sign in too often; what to do about a
/// failure is the caller's decision ([`crate::Error::retry_class`]).
///
/// # Example
///
/// The usual start of a program: resume the stored session, and sign in with the password
/// only when there is none. Here against the fake, with an account without two-factor
/// authentication.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use icloud_auth::{AuthClient, Endpoints, MemorySessionStore, Region, SecretString, SignIn};
/// use icloud_fake::{FakeAccount, FakeICloud};
///
/// let fake = FakeICloud::builder()
///     .account(FakeAccount::new("jdoe@gmail.com", "password1").without_two_factor())
///     .start()?;
/// let client = AuthClient::builder()
///     .endpoints(Endpoints::single_origin(Region::Global, &fake.base_url())?)
///     .build()?;
/// let store = Arc::new(MemorySessionStore::default());
///
/// let signed_in = match client.resume("jdoe@gmail.com", store.clone()).await? {
///     Some(signed_in) => signed_in,
///     None => {
///         let password = SecretString::from("password1".to_owned());
///         client.sign_in("jdoe@gmail.com", &password, store).await?
///     }
/// };
/// let SignIn::Complete(session) = signed_in else {
///     return Err("this account asks for no second factor".into());
/// };
/// assert!(!session.account().dsid().is_empty());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct AuthClient {
    config: Arc<ClientConfig>,
}

impl AuthClient {
    /// Returns a builder with icloudpd's defaults: Apple's global endpoints, icloudpd's
    /// `User-Agent`, a 30 s timeout per request, the system's network settings.
    pub fn builder() -> AuthClientBuilder {
        AuthClientBuilder::default()
    }

    /// Returns the endpoints this client talks to.
    pub fn endpoints(&self) -> &Endpoints {
        &self.config.endpoints
    }

    /// Resumes the session stored for `apple_id`, if any, by asking Apple to validate it.
    ///
    /// Returns `Ok(Some(SignIn::Complete(_)))` for a trusted session, and `Ok(None)` when
    /// there is no stored session, Apple no longer accepts it, or it is not trusted (a second
    /// factor would be needed): then a password is needed ([`AuthClient::sign_in`]). The stored
    /// trust token survives, so a sign-in within its lifetime needs no second factor.
    ///
    /// # Errors
    ///
    /// Transport errors and throttling ([`Error::Transport`](crate::Error::Transport),
    /// [`Error::Throttled`](crate::Error::Throttled)) are returned as errors, not as `None`;
    /// [`Error::Store`](crate::Error::Store) when the stored session cannot be read or written.
    pub async fn resume(
        &self,
        apple_id: &str,
        store: Arc<dyn SessionStore>,
    ) -> Result<Option<SignIn>> {
        let conn = Arc::new(Conn::open(&self.config, apple_id, store)?);
        signin::resume(conn).await
    }

    /// Signs in with a password (SRP; the password never leaves this process).
    ///
    /// Sends the stored trust token, so Apple skips the second factor while it is valid; the
    /// escrow password proof Apple may ask for then is answered here. Never retried: Apple
    /// rate-limits repeated sign-ins.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidCredentials`](crate::Error::InvalidCredentials),
    ///   [`Error::AccountLocked`](crate::Error::AccountLocked),
    ///   [`Error::SrpInitRejected`](crate::Error::SrpInitRejected),
    ///   [`Error::SignInRefused`](crate::Error::SignInRefused): Apple refused the password step;
    /// - [`Error::UnsupportedAuthMethod`](crate::Error::UnsupportedAuthMethod): FIDO keys;
    /// - [`Error::EscrowFailed`](crate::Error::EscrowFailed): the escrow proof was refused;
    /// - [`Error::AccountActionRequired`](crate::Error::AccountActionRequired): something must be
    ///   done on icloud.com first;
    /// - [`Error::WrongRegion`](crate::Error::WrongRegion),
    ///   [`Error::InvalidAuthToken`](crate::Error::InvalidAuthToken): `accountLogin` refused;
    /// - transport, throttling and store errors as [`AuthClient::resume`].
    pub async fn sign_in(
        &self,
        apple_id: &str,
        password: &SecretString,
        store: Arc<dyn SessionStore>,
    ) -> Result<SignIn> {
        let conn = Arc::new(Conn::open(&self.config, apple_id, store)?);
        signin::sign_in(conn, password).await
    }
}

/// Builder of [`AuthClient`], from [`AuthClient::builder`].
///
/// Every setting has icloudpd's default, so `AuthClient::builder().build()` is a client for
/// Apple's global region as icloudpd is. The settings an embedder usually touches are the
/// region (mainland China accounts), the endpoints (a fake server in tests, or the
/// `ICLOUD_*_ENDPOINT` overrides through [`Endpoints::from_lookup`]) and the network (a
/// private CA, host overrides). [`AuthClientBuilder::build`] checks the network settings at
/// once, so a refused root certificate fails there rather than at the first request.
///
/// ```
/// use std::time::Duration;
/// use icloud_auth::{AuthClient, Region};
///
/// let client = AuthClient::builder()
///     .region(Region::China)
///     .timeout(Duration::from_secs(10))
///     .user_agent("my-photo-frame/1.0")
///     .build()?;
/// assert_eq!(client.endpoints().setup(), "https://setup.icloud.com.cn/setup/ws/1");
/// # Ok::<(), icloud_auth::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct AuthClientBuilder {
    region: Region,
    endpoints: Option<Endpoints>,
    user_agent: Option<String>,
    timeout: Option<Duration>,
    client_id: Option<String>,
    network: Network,
}

impl AuthClientBuilder {
    /// Sets the region (default [`Region::Global`]). Ignored when explicit endpoints are set
    /// ([`AuthClientBuilder::endpoints`]), which carry their own region.
    pub fn region(mut self, region: Region) -> Self {
        self.region = region;
        self
    }

    /// Sets explicit endpoints (default: Apple's for the region, [`Endpoints::for_region`]).
    ///
    /// The builder reads no environment: to honour the `ICLOUD_*_ENDPOINT` overrides as
    /// `icloudpd` does, pass [`Endpoints::from_lookup`] here.
    pub fn endpoints(mut self, endpoints: Endpoints) -> Self {
        self.endpoints = Some(endpoints);
        self
    }

    /// Sets the User-Agent (default [`DEFAULT_USER_AGENT`], as icloudpd 1.32).
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = Some(ua.into());
        self
    }

    /// Sets the timeout of each request (default 30 s, as icloudpd).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets the client id used for a session that has none stored yet (default: a new
    /// `auth-<uuid>`). icloudpd reads it from the `CLIENT_ID` environment variable.
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.client_id = Some(id.into());
        self
    }

    /// Sets how the client reaches Apple: extra root certificates and host overrides (default:
    /// [`Network::default`], which adds nothing to the system's certificate store, bundled
    /// roots, DNS and proxy settings). Sessions signed in with this client hand the same
    /// settings on to the clients of their web services ([`crate::Session::network`]).
    pub fn network(mut self, network: Network) -> Self {
        self.network = network;
        self
    }

    /// Trusts `cert` as a root in addition to the system's and the bundled ones (default: no
    /// extra root); see [`Network::add_root_certificate`].
    pub fn add_root_certificate(mut self, cert: Certificate) -> Self {
        self.network = self.network.add_root_certificate(cert);
        self
    }

    /// Connects to `addr` for `host` instead of asking DNS (default: no override); see
    /// [`Network::resolve`].
    pub fn resolve(mut self, host: impl Into<String>, addr: std::net::SocketAddr) -> Self {
        self.network = self.network.resolve(host, addr);
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Config`](crate::Error::Config) when the HTTP client cannot be built
    /// with the network settings (a root certificate the TLS library refuses).
    pub fn build(self) -> Result<AuthClient> {
        let endpoints = match self.endpoints {
            Some(e) => e,
            None => Endpoints::for_region(self.region),
        };
        // Settings the TLS library refuses fail here, not at the first request.
        self.network
            .configure(reqwest::Client::builder())?
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(AuthClient {
            config: Arc::new(ClientConfig {
                endpoints,
                user_agent: self
                    .user_agent
                    .unwrap_or_else(|| DEFAULT_USER_AGENT.to_owned()),
                timeout: self.timeout.unwrap_or(Duration::from_secs(30)),
                client_id: self.client_id,
                network: self.network,
            }),
        })
    }
}
