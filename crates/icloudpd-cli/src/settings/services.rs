//! The library objects a run needs, built from the settings and the environment: the sign-in
//! client (region, endpoints, network, client id), the keyring, where the web UI listens.

use icloud_auth::{
    AuthClient, Endpoints, Error as AuthError, KeyringBackend, KeyringEnvironment,
    KeyringPasswordStore, Network, Region, SecretString,
};

use super::environment::Environment;
use super::secrets::first_line;
use super::{MfaProvider, PasswordProvider};
use crate::args::{GlobalArgs, Secret};
use crate::error::CliError;
use crate::webui::Listen;

/// The environment variable that names the keyring backend.
pub const KEYRING_BACKEND_ENV: &str = "ICLOUD_KEYRING_BACKEND";

/// Returns the sign-in client for `region`, with the endpoint overrides of
/// `ICLOUD_AUTH_ENDPOINT`, `ICLOUD_SETUP_ENDPOINT` and `ICLOUD_HOME_ENDPOINT`, the host
/// overrides of `ICLOUD_RESOLVE` and the client id of `CLIENT_ID` (unset in normal use).
/// Roots come from the system's store (`SSL_CERT_FILE`, `SSL_CERT_DIR`) and proxies from
/// `HTTPS_PROXY` / `NO_PROXY`, which the HTTP library reads itself.
pub(super) fn auth_client(region: Region, env: &Environment) -> Result<AuthClient, CliError> {
    let endpoints = Endpoints::from_lookup(region, |name| env.var(name)).map_err(config)?;
    let mut builder = AuthClient::builder()
        .region(region)
        .endpoints(endpoints)
        .network(network(env)?);
    if let Some(id) = env.set("CLIENT_ID") {
        builder = builder.client_id(id);
    }
    builder.build().map_err(config)
}

fn config(e: AuthError) -> CliError {
    match e {
        AuthError::Config(detail) => CliError::config(detail),
        other => CliError::config(other.to_string()),
    }
}

/// Host overrides from `ICLOUD_RESOLVE` (`HOST=IP:PORT`, comma-separated; `HOST` may be
/// `*.domain`), for pointing the program at a fake Apple under Apple's own host names.
fn network(env: &Environment) -> Result<Network, CliError> {
    let mut network = Network::default();
    let Some(list) = env.set("ICLOUD_RESOLVE") else {
        return Ok(network);
    };
    for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let parsed = entry
            .split_once('=')
            .and_then(|(host, addr)| Some((host.trim(), addr.trim().parse().ok()?)));
        let Some((host, addr)) = parsed else {
            return Err(CliError::config(format!(
                "ICLOUD_RESOLVE: {entry:?} is not HOST=IP:PORT"
            )));
        };
        network = network.resolve(host, addr);
    }
    Ok(network)
}

/// Returns the keyring of `ICLOUD_KEYRING_BACKEND` (default: the platform's own, as Python's
/// keyring chooses it from `HOME`, `XDG_DATA_HOME` and `DBUS_SESSION_BUS_ADDRESS`), or why it
/// cannot be used (a run without the `keyring` provider does not mind).
///
/// # Errors
///
/// A configuration error when the variable names no backend.
pub(super) fn keyring(env: &Environment) -> Result<Result<KeyringPasswordStore, String>, CliError> {
    let backend = match env.set(KEYRING_BACKEND_ENV) {
        Some(name) => KeyringBackend::from_name(&name)
            .map_err(|e| CliError::config(format!("{KEYRING_BACKEND_ENV}: {}", detail(e))))?,
        None => KeyringBackend::Platform,
    };
    let places =
        KeyringEnvironment::from_lookup(|name| env.var_os(name).map(Into::into), env.home());
    Ok(KeyringPasswordStore::with_backend(backend, &places).map_err(|e| e.to_string()))
}

fn detail(e: AuthError) -> String {
    match e {
        AuthError::Config(detail) => detail,
        other => other.to_string(),
    }
}

/// Returns where the web UI listens and who may use it, when a provider needs it; its token
/// from `--webui-token` or the first line of `--webui-token-file` (either may come from the
/// environment).
///
/// # Errors
///
/// Exit status 1, `Cannot start the web UI: …`, when the token file cannot be read or holds no
/// valid token.
pub(super) fn web_ui(
    global: &GlobalArgs,
    providers: &[PasswordProvider],
) -> Result<Option<Listen>, CliError> {
    let wanted =
        global.mfa_provider == MfaProvider::WebUi || providers.contains(&PasswordProvider::WebUi);
    if !wanted {
        return Ok(None);
    }
    let token = match &global.webui_token {
        None => None,
        Some(Secret::Given(token)) => Some(SecretString::from(token.0.clone())),
        Some(Secret::File(path)) => Some(
            token_file(path)
                .map_err(|e| CliError::startup(format!("Cannot start the web UI: {e}")))?,
        ),
    };
    Ok(Some(Listen {
        host: global.webui_host.clone(),
        port: global.webui_port,
        allowed_hosts: global.webui_allowed_hosts.clone(),
        token,
    }))
}

/// The token in the first line of the file at `path`.
fn token_file(path: &str) -> Result<SecretString, String> {
    let token = first_line(std::path::Path::new(path))
        .map_err(|e| format!("cannot read the token file {path}: {e}"))?
        .trim()
        .to_owned();
    crate::webui::check_token(&token).map_err(|e| format!("{e} (in {path})"))?;
    Ok(SecretString::from(token))
}
