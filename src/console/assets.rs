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
pub(super) mod tests {
    use super::*;

    const APP: &str = include_str!("../../console/app.js");

    /// The JavaScript single-quoted strings in `src`, each with whether a
    /// colon follows it (an object key).
    fn quoted(src: &str) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        let mut chars = src.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '\'' {
                continue;
            }
            let mut s = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => s.extend(chars.next()),
                    '\'' => break,
                    c => s.push(c),
                }
            }
            while chars.next_if(|c| *c == ' ').is_some() {}
            out.push((s, chars.peek() == Some(&':')));
        }
        out
    }

    /// The keys of the page's WORDS, per language.
    pub fn words() -> Vec<(&'static str, Vec<String>)> {
        let start = APP.find("const WORDS = {").expect("WORDS");
        let end = start + APP[start..].find("\n};").expect("end of WORDS");
        let body = &APP[start..end];
        let en = body.find("\n  en: {").expect("en");
        let keys = |part: &str| -> Vec<String> {
            quoted(part)
                .into_iter()
                .filter(|(_, key)| *key)
                .map(|(s, _)| s)
                .collect()
        };
        vec![("vi", keys(&body[..en])), ("en", keys(&body[en..]))]
    }

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

    #[test]
    fn every_word_is_there_in_both_languages() {
        let w = words();
        let (vi, en) = (&w[0].1, &w[1].1);
        assert!(vi.len() > 100, "{}", vi.len());
        for k in vi {
            assert!(en.contains(k), "{k} has no English");
        }
        for k in en {
            assert!(vi.contains(k), "{k} has no Vietnamese");
        }
        // Every literal key the page looks up.
        let mut rest = APP;
        while let Some(i) = rest.find("t('") {
            let call = !rest[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '.');
            let (k, _) = &quoted(&rest[i + 1..])[0];
            assert!(!call || vi.contains(k), "t('{k}') has no words");
            rest = &rest[i + 3..];
        }
    }

    /// The error keys the API answers with: the literals its `error(status,
    /// "key", …)` calls pass, and the keys of the decision refusals.
    #[test]
    fn every_error_key_has_words() {
        let mut keys: Vec<String> = Vec::new();
        let api = include_str!("api.rs");
        let mut rest = api;
        while let Some(i) = rest.find("error(") {
            rest = &rest[i + 6..];
            let args = rest
                .trim_start()
                .trim_start_matches(|c: char| c.is_ascii_digit());
            if let Some(args) = args.trim_start().strip_prefix(',') {
                if let Some(a) = args.trim_start().strip_prefix('"') {
                    keys.push(a[..a.find('"').unwrap()].to_string());
                }
            }
        }
        assert!(keys.contains(&"bad_request".to_string()) && keys.contains(&"json".to_string()));
        for src in [
            include_str!("../rules/decision.rs"),
            include_str!("../rules/transport.rs"),
        ] {
            let body = &src[src.find("pub fn key(&self)").expect("key()")..];
            let body = &body[..body.find("\n    }\n").unwrap()];
            for part in body.split("=> \"").skip(1) {
                keys.push(part[..part.find('"').unwrap()].to_string());
            }
        }
        assert!(keys.contains(&"transport_departed".to_string()));
        for (lang, words) in words() {
            for k in &keys {
                assert!(words.contains(&format!("err.{k}")), "{lang} err.{k}");
            }
        }
    }
}
