//! The plain-text keyring file, for the fuzz targets (re-exported by `crate::fuzzing`): each
//! function reads a file's text as [`super::file`] does, and returns what it would write or
//! find. Errors are their text.

use super::ini::{self, Document};

/// Returns the text a keyring file is rewritten to after reading `text`.
pub fn ini_rewrite(text: &str) -> Result<String, String> {
    Ok(parse(text)?.render())
}

/// Returns the file after storing `secret` for `user` of `service` in the file `text`.
pub fn ini_store(text: &str, service: &str, user: &str, secret: &[u8]) -> Result<String, String> {
    let mut doc = parse(text)?;
    doc.set(
        &ini::escape(service),
        &ini::escape(user),
        ini::encode_secret(secret),
    );
    Ok(doc.render())
}

/// Returns the secret stored for `user` of `service` in the file `text`, if any.
pub fn ini_load(text: &str, service: &str, user: &str) -> Result<Option<Vec<u8>>, String> {
    let doc = parse(text)?;
    let Some(value) = doc.get(&ini::escape(service), &ini::escape(user)) else {
        return Ok(None);
    };
    ini::decode_secret(value)
        .map(Some)
        .ok_or_else(|| "not valid base64".to_owned())
}

/// Returns the file after removing the entry of `user` of `service` from the file `text`, or
/// `None` if there was none.
pub fn ini_remove(text: &str, service: &str, user: &str) -> Result<Option<String>, String> {
    let mut doc = parse(text)?;
    let removed = doc.remove(&ini::escape(service), &ini::escape(user));
    Ok(removed.then(|| doc.render()))
}

fn parse(text: &str) -> Result<Document, String> {
    Document::parse(text).map_err(|e| e.to_string())
}
