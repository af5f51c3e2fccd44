//! The built front-end, embedded at compile time from `dist/`
//! (`app/build.mjs` writes it; `build-web.sh --check` proves the committed
//! bytes are what the pinned toolchain builds from the sources).

use sha2::{Digest, Sha256};

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// The path it is served at.
    pub path: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
}

impl Asset {
    /// A strong `ETag`: the first 16 bytes of the SHA-256 of the bytes, quoted.
    pub fn etag(&self) -> String {
        etag_of(self.bytes)
    }
}

/// The strong `ETag` of some bytes: the first 16 bytes of their SHA-256, quoted.
pub fn etag_of(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Every file of the app, `/` first.
pub const ASSETS: [Asset; 3] = [
    Asset { path: "/", content_type: "text/html; charset=utf-8", bytes: include_bytes!("../dist/index.html") },
    Asset { path: "/app.js", content_type: "text/javascript; charset=utf-8", bytes: include_bytes!("../dist/app.js") },
    Asset { path: "/app.css", content_type: "text/css; charset=utf-8", bytes: include_bytes!("../dist/app.css") },
];

/// The asset served at `path` (`/index.html` is `/`).
pub fn find(path: &str) -> Option<&'static Asset> {
    let path = if path == "/index.html" { "/" } else { path };
    ASSETS.iter().find(|asset| asset.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_present_and_the_page_loads_the_bundle() {
        for asset in &ASSETS {
            assert!(!asset.bytes.is_empty(), "{} is empty: run crates/dml-web/build-web.sh", asset.path);
        }
        let html = std::str::from_utf8(find("/index.html").unwrap().bytes).unwrap();
        assert!(html.contains("app.js"), "index.html does not load app.js");
        assert!(html.contains("app.css"), "index.html does not load app.css");
        assert!(find("/nope.js").is_none());
    }

    #[test]
    fn etags_differ_between_files_and_are_stable() {
        let tags: Vec<String> = ASSETS.iter().map(Asset::etag).collect();
        assert_eq!(tags, ASSETS.iter().map(Asset::etag).collect::<Vec<_>>());
        assert_ne!(tags[0], tags[1]);
        assert_ne!(tags[1], tags[2]);
    }
}
