//! An async client for the kubo RPC API, speaking the same subset our server
//! offers, so the solver can pin to and fetch from either our content server
//! or a real kubo node.

use std::path::Path;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use tokio::io::AsyncWriteExt;

use crate::builder::{DagBuilder, DagOptions};
use crate::cid::{Cid, CidVersion, RAW};

/// Errors of [`ContentClient`].
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The request did not complete (connection refused, reset, timeout…).
    #[error("request {command} to {url} failed: {source}")]
    Transport {
        /// API command.
        command: &'static str,
        /// Base URL.
        url: String,
        /// Cause.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with an error.
    #[error("{command} failed with HTTP {status}: {message}")]
    Api {
        /// API command.
        command: &'static str,
        /// HTTP status.
        status: u16,
        /// The server's `Message`.
        message: String,
    },
    /// The reply could not be understood.
    #[error("unexpected reply to {command}: {detail}")]
    BadReply {
        /// API command.
        command: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// A local file could not be read or written.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// Fetched bytes do not hash to the CID asked for.
    #[error("the server returned content for {expected} that hashes to {actual}")]
    CidMismatch {
        /// The CID asked for.
        expected: Cid,
        /// The CID of what came back.
        actual: Cid,
    },
}

/// Options of `add` (kubo's query parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddOptions {
    /// `cid-version`.
    pub cid_version: CidVersion,
    /// `raw-leaves`; `None` leaves kubo's default (on for CIDv1).
    pub raw_leaves: Option<bool>,
    /// `pin` (default true).
    pub pin: bool,
    /// `only-hash`: compute the CID, store nothing.
    pub only_hash: bool,
}

impl Default for AddOptions {
    fn default() -> AddOptions {
        AddOptions { cid_version: CidVersion::V0, raw_leaves: None, pin: true, only_hash: false }
    }
}

/// One line of kubo's `add` reply.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AddResponse {
    /// The file name sent.
    #[serde(rename = "Name")]
    pub name: String,
    /// The root CID.
    #[serde(rename = "Hash")]
    pub cid: Cid,
    /// Cumulative size of the DAG (kubo sends it as a string).
    #[serde(rename = "Size", deserialize_with = "u64_from_string_or_number")]
    pub tree_size: u64,
}

fn u64_from_string_or_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Text(String),
        Number(u64),
    }
    match Either::deserialize(deserializer)? {
        Either::Number(number) => Ok(number),
        Either::Text(text) => text.parse().map_err(serde::de::Error::custom),
    }
}

/// `version` reply.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct VersionInfo {
    /// Server version string.
    #[serde(rename = "Version")]
    pub version: String,
    /// Repository format (kubo) or `dml-content`.
    #[serde(rename = "Repo", default)]
    pub repo: String,
}

/// A client of a kubo-compatible RPC API (e.g. `http://127.0.0.1:5001`).
#[derive(Debug, Clone)]
pub struct ContentClient {
    api_url: String,
    http: reqwest::Client,
}

impl ContentClient {
    /// A client for the API at `api_url` (no trailing `/api/v0`).
    pub fn new(api_url: impl Into<String>) -> ContentClient {
        ContentClient::with_http_client(api_url, reqwest::Client::new())
    }

    /// A client using a configured `reqwest::Client` (timeouts, proxies).
    pub fn with_http_client(api_url: impl Into<String>, http: reqwest::Client) -> ContentClient {
        ContentClient { api_url: api_url.into().trim_end_matches('/').to_owned(), http }
    }

    /// The API base URL.
    pub fn api_url(&self) -> &str {
        &self.api_url
    }

    fn transport(&self, command: &'static str) -> impl FnOnce(reqwest::Error) -> ClientError + '_ {
        move |source| ClientError::Transport { command, url: self.api_url.clone(), source }
    }

    async fn send(
        &self,
        command: &'static str,
        query: &[(&str, String)],
        form: Option<reqwest::multipart::Form>,
    ) -> Result<reqwest::Response, ClientError> {
        let url = format!("{}/api/v0/{command}", self.api_url);
        let mut request = self.http.post(url).query(query);
        if let Some(form) = form {
            request = request.multipart(form);
        }
        let response = request.send().await.map_err(self.transport(command))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let text = response.text().await.unwrap_or_default();
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|value| value.get("Message").and_then(|m| m.as_str()).map(str::to_owned))
            .unwrap_or(text);
        Err(ClientError::Api { command, status: status.as_u16(), message })
    }

    async fn json<T: serde::de::DeserializeOwned>(
        &self,
        command: &'static str,
        query: &[(&str, String)],
    ) -> Result<T, ClientError> {
        let response = self.send(command, query, None).await?;
        let body = response.bytes().await.map_err(self.transport(command))?;
        serde_json::from_slice(&body).map_err(|error| ClientError::BadReply { command, detail: error.to_string() })
    }

    fn add_query(options: &AddOptions) -> Vec<(&'static str, String)> {
        let mut query = vec![
            ("cid-version", if options.cid_version == CidVersion::V1 { "1" } else { "0" }.to_owned()),
            ("pin", options.pin.to_string()),
            ("only-hash", options.only_hash.to_string()),
        ];
        if let Some(raw_leaves) = options.raw_leaves {
            query.push(("raw-leaves", raw_leaves.to_string()));
        }
        query
    }

    async fn add_part(&self, part: reqwest::multipart::Part, options: &AddOptions) -> Result<AddResponse, ClientError> {
        let form = reqwest::multipart::Form::new().part("file", part);
        let response = self.send("add", &Self::add_query(options), Some(form)).await?;
        let body = response.text().await.map_err(self.transport("add"))?;
        // kubo streams NDJSON; the entry with a Hash for our file comes last.
        body.lines()
            .rev()
            .find_map(|line| serde_json::from_str::<AddResponse>(line).ok())
            .ok_or_else(|| ClientError::BadReply { command: "add", detail: format!("no Hash in {body:?}") })
    }

    /// Adds in-memory bytes as a file named `name`.
    pub async fn add_bytes(
        &self,
        name: &str,
        data: impl Into<Bytes>,
        options: &AddOptions,
    ) -> Result<AddResponse, ClientError> {
        let data: Bytes = data.into();
        let length = data.len() as u64;
        let part = reqwest::multipart::Part::stream_with_length(reqwest::Body::from(data), length)
            .file_name(name.to_owned())
            .mime_str("application/octet-stream")
            .expect("static mime type");
        self.add_part(part, options).await
    }

    /// Adds a file from disk, streaming it (bounded memory).
    pub async fn add_file(&self, path: &Path, options: &AddOptions) -> Result<AddResponse, ClientError> {
        let io_error = |source| ClientError::Io { path: path.display().to_string(), source };
        let file = tokio::fs::File::open(path).await.map_err(io_error)?;
        let length = file.metadata().await.map_err(io_error)?.len();
        let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        let stream = tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024);
        let part = reqwest::multipart::Part::stream_with_length(reqwest::Body::wrap_stream(stream), length)
            .file_name(name)
            .mime_str("application/octet-stream")
            .expect("static mime type");
        self.add_part(part, options).await
    }

    /// Adds whatever `stream` yields (length unknown), e.g. a model's output.
    pub async fn add_stream<S>(&self, name: &str, stream: S, options: &AddOptions) -> Result<AddResponse, ClientError>
    where
        S: Stream<Item = Result<Bytes, std::io::Error>> + Send + Sync + 'static,
    {
        let part = reqwest::multipart::Part::stream(reqwest::Body::wrap_stream(stream))
            .file_name(name.to_owned())
            .mime_str("application/octet-stream")
            .expect("static mime type");
        self.add_part(part, options).await
    }

    /// Streams the file under `cid` (optionally a byte range) as it arrives.
    pub async fn cat_stream(
        &self,
        cid: &Cid,
        offset: u64,
        length: Option<u64>,
    ) -> Result<impl Stream<Item = Result<Bytes, ClientError>> + '_, ClientError> {
        let mut query = vec![("arg", cid.to_string())];
        if offset > 0 {
            query.push(("offset", offset.to_string()));
        }
        if let Some(length) = length {
            query.push(("length", length.to_string()));
        }
        let response = self.send("cat", &query, None).await?;
        Ok(response.bytes_stream().map(move |item| item.map_err(|source| (self.transport("cat"))(source))))
    }

    /// The whole file under `cid`, as the server sends it.
    pub async fn cat(&self, cid: &Cid) -> Result<Vec<u8>, ClientError> {
        self.cat_range(cid, 0, None).await
    }

    /// Bytes `offset..offset+length` of the file under `cid`.
    pub async fn cat_range(&self, cid: &Cid, offset: u64, length: Option<u64>) -> Result<Vec<u8>, ClientError> {
        let mut stream = std::pin::pin!(self.cat_stream(cid, offset, length).await?);
        let mut out = Vec::new();
        while let Some(piece) = stream.next().await {
            out.extend_from_slice(&piece?);
        }
        Ok(out)
    }

    /// The whole file under `cid`, checked: its bytes must hash back to `cid`
    /// under one of `ipfs add`'s layouts (CIDv0; CIDv1 with or without raw
    /// leaves). Use this for content from a node you do not trust.
    pub async fn cat_verified(&self, cid: &Cid) -> Result<Vec<u8>, ClientError> {
        let data = self.cat(cid).await?;
        let candidates: &[DagOptions] = match (cid.version(), cid.codec()) {
            (CidVersion::V0, _) => &[DagOptions::V0],
            (CidVersion::V1, RAW) => &[DagOptions::V1],
            (CidVersion::V1, _) => &[DagOptions::V1, DagOptions { raw_leaves: false, ..DagOptions::V1 }],
        };
        let mut actual = None;
        for options in candidates {
            let mut builder = DagBuilder::hash_only(*options);
            let Ok(()) = builder.write(&data);
            let Ok((root, _)) = builder.finish();
            if root.cid == *cid {
                return Ok(data);
            }
            actual.get_or_insert(root.cid);
        }
        Err(ClientError::CidMismatch { expected: *cid, actual: actual.expect("at least one layout was tried") })
    }

    /// Streams the file under `cid` into `path` (created or truncated).
    /// Returns the number of bytes written.
    pub async fn cat_to_file(&self, cid: &Cid, path: &Path) -> Result<u64, ClientError> {
        let io_error = |source| ClientError::Io { path: path.display().to_string(), source };
        let mut file = tokio::fs::File::create(path).await.map_err(io_error)?;
        let mut stream = std::pin::pin!(self.cat_stream(cid, 0, None).await?);
        let mut written = 0u64;
        while let Some(piece) = stream.next().await {
            let piece = piece?;
            file.write_all(&piece).await.map_err(io_error)?;
            written += piece.len() as u64;
        }
        file.flush().await.map_err(io_error)?;
        Ok(written)
    }

    /// One raw block, checked against its CID.
    pub async fn block_get(&self, cid: &Cid) -> Result<Vec<u8>, ClientError> {
        let response = self.send("block/get", &[("arg", cid.to_string())], None).await?;
        let block = response.bytes().await.map_err(self.transport("block/get"))?;
        let digest = crate::sha256(&block);
        if digest != cid.multihash_digest() {
            return Err(ClientError::CidMismatch {
                expected: *cid,
                actual: Cid::v1(RAW, digest).expect("raw is supported"),
            });
        }
        Ok(block.to_vec())
    }

    /// Pins `cid` recursively (kubo fetches missing blocks from the network; our server requires them locally).
    pub async fn pin_add(&self, cid: &Cid) -> Result<(), ClientError> {
        let reply: serde_json::Value = self.json("pin/add", &[("arg", cid.to_string())]).await?;
        check_pins_reply("pin/add", &reply)
    }

    /// Removes the recursive pin of `cid`.
    pub async fn pin_rm(&self, cid: &Cid) -> Result<(), ClientError> {
        let reply: serde_json::Value = self.json("pin/rm", &[("arg", cid.to_string())]).await?;
        check_pins_reply("pin/rm", &reply)
    }

    /// Recursively pinned CIDs.
    pub async fn pin_ls(&self) -> Result<Vec<Cid>, ClientError> {
        let reply: serde_json::Value = self.json("pin/ls", &[("type", "recursive".to_owned())]).await?;
        let keys = reply
            .get("Keys")
            .and_then(|keys| keys.as_object())
            .ok_or_else(|| ClientError::BadReply { command: "pin/ls", detail: format!("no Keys object in {reply}") })?;
        keys.keys()
            .map(|key| {
                key.parse()
                    .map_err(|error| ClientError::BadReply { command: "pin/ls", detail: format!("{key:?}: {error}") })
            })
            .collect()
    }

    /// Runs garbage collection; returns how many blocks were removed.
    pub async fn repo_gc(&self) -> Result<usize, ClientError> {
        let response = self.send("repo/gc", &[], None).await?;
        let body = response.text().await.map_err(self.transport("repo/gc"))?;
        Ok(body.lines().filter(|line| line.contains("\"Key\"")).count())
    }

    /// The server's version.
    pub async fn version(&self) -> Result<VersionInfo, ClientError> {
        self.json("version", &[]).await
    }
}

fn check_pins_reply(command: &'static str, reply: &serde_json::Value) -> Result<(), ClientError> {
    if reply.get("Pins").is_some_and(|pins| pins.is_array()) {
        Ok(())
    } else {
        Err(ClientError::BadReply { command, detail: format!("no Pins array in {reply}") })
    }
}
