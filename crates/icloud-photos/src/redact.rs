//! Hiding the capabilities in URLs: the signed query strings of download URLs and of the
//! shared albums' redirects must never reach a log or an error message.

/// Returns `url` without its query string and fragment (signed parameters are capabilities).
pub(crate) fn redact_url(url: &str) -> &str {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    &url[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_signed_query() {
        assert_eq!(
            redact_url("https://cvws.icloud-content.com/B/AbC/${f}?o=secret&e=1#x"),
            "https://cvws.icloud-content.com/B/AbC/${f}"
        );
        assert_eq!(redact_url("http://h/p"), "http://h/p");
    }
}
