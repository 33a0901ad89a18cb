//! The console page, embedded at build time from `console/`.

/// An embedded file: its bytes and content type.
pub struct Asset {
    pub body: &'static [u8],
    pub content_type: &'static str,
}

/// The asset served at `path` (under `/console/`), if any.
pub fn get(path: &str) -> Option<Asset> {
    let (body, content_type): (&'static [u8], _) = match path {
        "/console/" | "/console/index.html" => (
            include_bytes!("../../console/index.html"),
            "text/html; charset=UTF-8",
        ),
        "/console/app.js" => (
            include_bytes!("../../console/app.js"),
            "text/javascript; charset=UTF-8",
        ),
        "/console/app.css" => (
            include_bytes!("../../console/app.css"),
            "text/css; charset=UTF-8",
        ),
        _ => return None,
    };
    Some(Asset { body, content_type })
}

/// Headers every console response carries: the page loads nothing from
/// elsewhere, runs no inline script and is never framed.
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cache-control", "no-store"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_its_files_are_embedded() {
        for p in ["/console/", "/console/app.js", "/console/app.css"] {
            let a = get(p).unwrap();
            assert!(!a.body.is_empty(), "{p}");
        }
        assert!(get("/console/../Cargo.toml").is_none());
        let html = std::str::from_utf8(get("/console/").unwrap().body).unwrap();
        assert!(html.contains("app.js") && !html.contains("http://") && !html.contains("https://"));
    }
}
