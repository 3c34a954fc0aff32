//! HTTPS mode: a private CA made at start, a leaf certificate for Apple's host names signed by
//! it, and the accept loop that serves the router over TLS (ALPN `h2` and `http/1.1`).
//!
//! Both keys live only in memory and die with the server; only the CA certificate leaves it, so
//! a client can trust it.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// How long a client may take to finish the TLS handshake before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause after a failed `accept` (e.g. out of file descriptors) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);
/// Validity of both certificates in days, from a day before the start (clock skew) on: well
/// within the limits some TLS stacks enforce even under private CAs (Apple's: 825 days).
const VALIDITY_DAYS: i64 = 365;

/// The TLS identity of one HTTPS fake.
pub(crate) struct Tls {
    /// The CA certificate, PEM, for clients to trust.
    pub(crate) ca_pem: String,
    /// Accepts connections with the leaf certificate.
    pub(crate) acceptor: TlsAcceptor,
}

impl Tls {
    /// Generates a CA and a leaf certificate for `names` (DNS names, wildcards, IP addresses)
    /// signed by it, and a rustls acceptor (ring) offering `h2` and `http/1.1`.
    pub(crate) fn generate(names: Vec<String>) -> io::Result<Self> {
        let now = OffsetDateTime::now_utc();
        let valid = |params: &mut CertificateParams| {
            params.not_before = now - time::Duration::days(1);
            params.not_after = now + time::Duration::days(VALIDITY_DAYS);
        };

        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(io::Error::other)?;
        ca.distinguished_name
            .push(DnType::CommonName, "icloud-fake test CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        valid(&mut ca);
        let ca_key = KeyPair::generate().map_err(io::Error::other)?;
        let ca_cert = ca.self_signed(&ca_key).map_err(io::Error::other)?;
        let issuer = Issuer::new(ca, ca_key);

        let mut leaf = CertificateParams::new(names).map_err(io::Error::other)?;
        leaf.distinguished_name
            .push(DnType::CommonName, "icloud-fake");
        leaf.is_ca = IsCa::ExplicitNoCa;
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf.use_authority_key_identifier_extension = true;
        valid(&mut leaf);
        let leaf_key = KeyPair::generate().map_err(io::Error::other)?;
        let leaf_cert = leaf
            .signed_by(&leaf_key, &issuer)
            .map_err(io::Error::other)?;

        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(vec![leaf_cert.der().clone()], key)
            .map_err(io::Error::other)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Tls {
            ca_pem: ca_cert.pem(),
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }
}

/// Accepts connections forever, each on its own task: TLS handshake, then HTTP/1.1 or HTTP/2
/// (by ALPN) answered by `app`. A failed or stalled handshake just drops that connection.
pub(crate) async fn serve(listener: TcpListener, acceptor: TlsAcceptor, app: Router) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let service = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
            let Ok(Ok(tls)) = handshake.await else {
                return;
            };
            // A connection error (client gone, body cut short by a fault) ends only this task.
            let _ = Builder::new(TokioExecutor::new())
                .serve_connection_with_upgrades(TokioIo::new(tls), service)
                .await;
        });
    }
}
