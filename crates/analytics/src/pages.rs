//! What counts as a page view.

/// Rules deciding whether a human request is a page view (configurable).
#[derive(Clone, Debug)]
pub struct PageRules {
    /// File extensions of assets and downloads (lower case, no dot).
    pub asset_extensions: Vec<String>,
    /// Path prefixes of APIs (XHR, JSON endpoints).
    pub api_prefixes: Vec<String>,
}

/// Extensions that are not pages: styles, scripts, images, fonts, source maps, media, feeds and
/// downloads.
pub const DEFAULT_ASSET_EXTENSIONS: &[&str] = &[
    "css",
    "js",
    "mjs",
    "map",
    "json",
    "xml",
    "txt",
    "png",
    "jpg",
    "jpeg",
    "gif",
    "webp",
    "avif",
    "svg",
    "ico",
    "bmp",
    "tif",
    "tiff",
    "woff",
    "woff2",
    "ttf",
    "otf",
    "eot",
    "mp4",
    "webm",
    "ogg",
    "ogv",
    "mp3",
    "wav",
    "m4a",
    "flac",
    "mov",
    "avi",
    "pdf",
    "zip",
    "gz",
    "tgz",
    "rar",
    "7z",
    "exe",
    "dmg",
    "apk",
    "wasm",
    "webmanifest",
];

impl Default for PageRules {
    fn default() -> Self {
        Self {
            asset_extensions: DEFAULT_ASSET_EXTENSIONS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            api_prefixes: vec!["/api/".to_owned()],
        }
    }
}

impl PageRules {
    /// A GET or HEAD answered 2xx or 304, on a path that is not an asset, not an API, not
    /// favicon, robots.txt, a sitemap or under `/.well-known/`.
    pub fn is_page(&self, method: Option<&str>, status: Option<u16>, path: Option<&str>) -> bool {
        let (Some(method), Some(status), Some(path)) = (method, status, path) else {
            return false;
        };
        if !(method == "GET" || method == "HEAD")
            || !((200..300).contains(&status) || status == 304)
        {
            return false;
        }
        self.is_page_path(path)
    }

    /// The path part of the rule alone.
    pub fn is_page_path(&self, path: &str) -> bool {
        if path.starts_with("/.well-known/")
            || self
                .api_prefixes
                .iter()
                .any(|p| path.starts_with(p.as_str()))
        {
            return false;
        }
        let name = path.rsplit('/').next().unwrap_or(path);
        if name.eq_ignore_ascii_case("favicon.ico")
            || name.eq_ignore_ascii_case("robots.txt")
            || name.to_ascii_lowercase().starts_with("sitemap")
        {
            return false;
        }
        match name.rsplit_once('.') {
            Some((_, ext)) if !ext.is_empty() => !self
                .asset_extensions
                .iter()
                .any(|e| e.eq_ignore_ascii_case(ext)),
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_not_pages() {
        let r = PageRules::default();
        for path in [
            "/",
            "/product/1133",
            "/checkout/confirm",
            "/blog/post.html",
            "/search",
            "/v1.2/",
        ] {
            assert!(r.is_page(Some("GET"), Some(200), Some(path)), "{path}");
        }
        for path in [
            "/static/css/main.3f9a1c7e.css",
            "/favicon.ico",
            "/robots.txt",
            "/sitemap.xml",
            "/sitemap_index.xml",
            "/.well-known/security.txt",
            "/api/recommendations",
            "/img/A.PNG",
            "/app.js.map",
        ] {
            assert!(!r.is_page(Some("GET"), Some(200), Some(path)), "{path}");
        }
        assert!(r.is_page(Some("HEAD"), Some(304), Some("/")));
        assert!(!r.is_page(Some("POST"), Some(200), Some("/")));
        assert!(!r.is_page(Some("GET"), Some(404), Some("/")));
        assert!(!r.is_page(Some("GET"), Some(301), Some("/")));
        assert!(!r.is_page(None, Some(200), Some("/")));
    }
}
