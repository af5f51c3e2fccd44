//! Helpers shared by dml-content's integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use dml_content::{DagBuilder, DagOptions, DagRoot};

/// Block length of the deterministic test pattern (independent of chunking).
pub const PATTERN_BLOCK: usize = 262_144;

/// The deterministic test content, the same stream `unixfs_import.mjs`
/// generates: pattern byte j = (j * 7 + (j >> 8)) & 0xff per 262,144-byte
/// block, with the block index as u64 little endian in the first 8 bytes.
pub struct Pattern {
    base: Vec<u8>,
    length: u64,
}

impl Pattern {
    /// A pattern stream of `length` bytes.
    pub fn new(length: u64) -> Pattern {
        let base = (0..PATTERN_BLOCK).map(|j| ((j * 7 + (j >> 8)) & 0xff) as u8).collect();
        Pattern { base, length }
    }

    /// Calls `each` with successive pieces of the stream.
    pub fn for_each_block(&self, mut each: impl FnMut(&[u8])) {
        let mut block = self.base.clone();
        let mut offset = 0u64;
        let mut index = 0u64;
        while offset < self.length {
            block[..8].copy_from_slice(&index.to_le_bytes());
            let take = (self.length - offset).min(PATTERN_BLOCK as u64) as usize;
            each(&block[..take]);
            offset += take as u64;
            index += 1;
        }
    }

    /// The whole stream in memory (for small lengths).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.length as usize);
        self.for_each_block(|piece| out.extend_from_slice(piece));
        out
    }

    /// The DAG root of the stream, computed by dml-content.
    pub fn dag_root(&self, options: DagOptions) -> DagRoot {
        let mut builder = DagBuilder::hash_only(options);
        self.for_each_block(|piece| {
            let Ok(()) = builder.write(piece);
        });
        let Ok((root, _)) = builder.finish();
        root
    }
}

/// Whether tests must fail rather than skip when an external tool is missing.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| value == "true" || value == "1")
}

/// Reports a missing external tool: a panic under CI, a printed skip notice otherwise.
/// Returns `None` so callers can `let Some(x) = … else { return }`.
pub fn missing_tool<T>(what: &str) -> Option<T> {
    let message = format!("{what} is not installed: run scripts/setup/content.sh");
    if in_ci() {
        panic!("{message}");
    }
    eprintln!("SKIPPED: {message}");
    None
}

/// The folder where scripts/setup/content.sh installed the npm importer.
pub fn npm_importer_dir() -> Option<PathBuf> {
    let cache = match std::env::var_os("DML_CACHE") {
        Some(cache) => PathBuf::from(cache),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../.ci-cache"),
    };
    let dir = cache.join("content-npm");
    let installed = dir.join("node_modules/ipfs-unixfs-importer/package.json").is_file()
        && dir.join("node_modules/blockstore-core/package.json").is_file();
    if installed {
        Some(dir)
    } else {
        missing_tool(&format!("npm ipfs-unixfs-importer (looked in {})", dir.display()))
    }
}

/// Path of Debian's `ipfs_cid` binary, if installed.
pub fn ipfs_cid_binary() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths).map(|dir| dir.join("ipfs_cid")).find(|candidate| candidate.is_file())
    });
    found.or_else(|| missing_tool("Debian's ipfs_cid (package ipfs-cid)"))
}

/// One request to the npm importer.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated: Option<u64>,
    pub cid_version: u8,
    pub raw_leaves: bool,
    pub chunk_size: usize,
    pub max_links: usize,
}

impl ImportSpec {
    /// A spec for generated pattern content under `options`.
    pub fn generated(length: u64, options: DagOptions) -> ImportSpec {
        ImportSpec {
            file: None,
            generated: Some(length),
            cid_version: match options.cid_version {
                dml_content::CidVersion::V0 => 0,
                dml_content::CidVersion::V1 => 1,
            },
            raw_leaves: options.raw_leaves,
            chunk_size: options.chunk_size,
            max_links: options.max_links,
        }
    }
}

/// Runs the npm importer over `specs`; returns (cid, file size) per spec.
pub fn npm_import(npm_dir: &PathBuf, specs: &[ImportSpec]) -> Vec<(String, u64)> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/unixfs_import.mjs");
    let output = std::process::Command::new("node")
        .arg(script)
        .arg(npm_dir)
        .arg(serde_json::to_string(specs).unwrap())
        .output()
        .expect("run node");
    assert!(output.status.success(), "npm importer failed: {}", String::from_utf8_lossy(&output.stderr));
    let lines: Vec<(String, u64)> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            (value["cid"].as_str().unwrap().to_owned(), value["size"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(lines.len(), specs.len(), "one answer per spec");
    lines
}

/// A content server on free loopback ports over a fresh temporary store.
pub async fn start_server(max_upload_bytes: u64) -> (dml_content::ContentServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = dml_content::ServerConfig {
        api_addr: "127.0.0.1:0".parse().unwrap(),
        gateway_addr: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().join("store"),
        max_upload_bytes,
    };
    let server = dml_content::ContentServer::start(&config).await.unwrap();
    (server, dir)
}

/// Every file under `dir` (recursively).
pub fn files_under(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Peak resident memory of this process in KiB (Linux `VmHWM`).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
