//! The HTTP side: the kubo RPC subset clients use (on 127.0.0.1:5001 by
//! default) and a read-only path gateway (on 127.0.0.1:8080).
//!
//! API (all `POST`, as in kubo; `GET` gets 405):
//! `/api/v0/add` (multipart; query `cid-version`, `raw-leaves`, `pin`,
//! `only-hash`), `/api/v0/cat?arg=` (with `offset`, `length`),
//! `/api/v0/block/get?arg=`, `/api/v0/pin/add|rm|ls`, `/api/v0/repo/gc`,
//! `/api/v0/version`. Errors are kubo's JSON `{"Message", "Code", "Type"}`.
//!
//! Gateway: `GET`/`HEAD /ipfs/{cid}` with single `Range` requests,
//! `If-None-Match`, a sniffed `Content-Type` (or one from `?filename=`).

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::multipart::{Field, MultipartRejection};
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::add::{add_from_reader, AddError, ChannelReader};
use crate::blockstore::{raw_cid, Blockstore, BlockstoreError};
use crate::builder::{DagBuilder, DagOptions, DagRoot};
use crate::cid::{Cid, CidVersion};
use crate::reader::{self, Flow};
use crate::sniff;

/// Configuration of the content server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerConfig {
    /// Address of the kubo-compatible RPC API.
    pub api_addr: SocketAddr,
    /// Address of the read-only gateway.
    pub gateway_addr: SocketAddr,
    /// Directory of the block store.
    pub data_dir: PathBuf,
    /// Largest file `add` accepts, in bytes.
    pub max_upload_bytes: u64,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            api_addr: SocketAddr::from(([127, 0, 0, 1], 5001)),
            gateway_addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("dml-content"),
            max_upload_bytes: 64 << 30,
        }
    }
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The block store could not be opened.
    #[error(transparent)]
    Store(#[from] BlockstoreError),
    /// A listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// Serving failed.
    #[error("server failed: {0}")]
    Serve(#[source] io::Error),
}

/// A running API + gateway pair.
#[derive(Debug)]
pub struct ContentServer {
    api_addr: SocketAddr,
    gateway_addr: SocketAddr,
    store: Arc<Blockstore>,
    shutdown: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<io::Result<()>>>,
}

impl ContentServer {
    /// Opens the store and starts both listeners (port 0 picks a free port).
    pub async fn start(config: &ServerConfig) -> Result<ContentServer, ServerError> {
        let data_dir = config.data_dir.clone();
        let store = tokio::task::spawn_blocking(move || Blockstore::open(data_dir))
            .await
            .map_err(|error| ServerError::Serve(io::Error::other(error)))??;
        let store = Arc::new(store);
        let bind = |addr: SocketAddr| async move {
            tokio::net::TcpListener::bind(addr).await.map_err(|source| ServerError::Bind { addr, source })
        };
        let api_listener = bind(config.api_addr).await?;
        let gateway_listener = bind(config.gateway_addr).await?;
        let local = |listener: &tokio::net::TcpListener, addr| {
            listener.local_addr().map_err(|source| ServerError::Bind { addr, source })
        };
        let api_addr = local(&api_listener, config.api_addr)?;
        let gateway_addr = local(&gateway_listener, config.gateway_addr)?;
        let (shutdown, _) = tokio::sync::watch::channel(false);
        let mut tasks = Vec::new();
        for (listener, router) in [
            (api_listener, api_router(store.clone(), config.max_upload_bytes)),
            (gateway_listener, gateway_router(store.clone())),
        ] {
            let mut stop = shutdown.subscribe();
            tasks.push(tokio::spawn(async move {
                axum::serve(listener, router)
                    .with_graceful_shutdown(async move {
                        let _ = stop.wait_for(|stopped| *stopped).await;
                    })
                    .await
            }));
        }
        tracing::info!(%api_addr, %gateway_addr, data_dir = %store.dir().display(), "content server listening");
        Ok(ContentServer { api_addr, gateway_addr, store, shutdown, tasks })
    }

    /// Where the API listens.
    pub fn api_addr(&self) -> SocketAddr {
        self.api_addr
    }

    /// Where the gateway listens.
    pub fn gateway_addr(&self) -> SocketAddr {
        self.gateway_addr
    }

    /// `http://` URL of the API.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.api_addr)
    }

    /// `http://` URL of the gateway.
    pub fn gateway_url(&self) -> String {
        format!("http://{}", self.gateway_addr)
    }

    /// The block store the server uses.
    pub fn store(&self) -> &Arc<Blockstore> {
        &self.store
    }

    /// Stops accepting connections, lets requests in flight finish, and returns.
    pub async fn shutdown(self) -> Result<(), ServerError> {
        let _ = self.shutdown.send(true);
        self.wait().await
    }

    /// Runs until both listeners stop (they stop only on error or shutdown).
    pub async fn wait(self) -> Result<(), ServerError> {
        for task in self.tasks {
            task.await.map_err(|error| ServerError::Serve(io::Error::other(error)))?.map_err(ServerError::Serve)?;
        }
        Ok(())
    }
}

#[derive(Clone)]
struct ApiState {
    store: Arc<Blockstore>,
    max_upload_bytes: u64,
}

/// The kubo RPC subset as a router (mount it in another server if needed).
pub fn api_router(store: Arc<Blockstore>, max_upload_bytes: u64) -> Router {
    let state = ApiState { store, max_upload_bytes };
    Router::new()
        .route("/api/v0/add", post(api_add))
        .route("/api/v0/cat", post(api_cat))
        .route("/api/v0/block/get", post(api_block_get))
        .route("/api/v0/pin/add", post(api_pin_add))
        .route("/api/v0/pin/rm", post(api_pin_rm))
        .route("/api/v0/pin/ls", post(api_pin_ls))
        .route("/api/v0/repo/gc", post(api_repo_gc))
        .route("/api/v0/version", post(api_version))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "404 page not found: no such API command") })
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}

/// A kubo-style error reply.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError { status, message: message.into() }
    }

    fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // kubo's cmds error codes: 0 normal, 1 client, 3 not found.
        let code = match self.status {
            StatusCode::NOT_FOUND => 3,
            status if status.is_client_error() => 1,
            _ => 0,
        };
        tracing::debug!(status = %self.status, message = %self.message, "API error");
        let body = json!({ "Message": self.message, "Code": code, "Type": "error" });
        (self.status, axum::Json(body)).into_response()
    }
}

impl From<BlockstoreError> for ApiError {
    fn from(error: BlockstoreError) -> ApiError {
        let status = match &error {
            BlockstoreError::NotFound(_) => StatusCode::NOT_FOUND,
            BlockstoreError::NotPinned(_) | BlockstoreError::HashMismatch(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, error.to_string())
    }
}

type Params = Query<HashMap<String, String>>;

/// The CID named by `arg` (a bare CID or `/ipfs/<cid>`).
fn cid_arg(params: &HashMap<String, String>) -> Result<Cid, ApiError> {
    let arg = params.get("arg").ok_or_else(|| ApiError::bad_request("argument \"ipfs-path\" is required"))?;
    parse_ipfs_path(arg).map_err(ApiError::bad_request)
}

fn parse_ipfs_path(path: &str) -> Result<Cid, String> {
    let trimmed = path.strip_prefix("/ipfs/").unwrap_or(path).trim_end_matches('/');
    if trimmed.contains('/') {
        return Err(format!("{path:?}: paths inside a DAG are not supported (files only)"));
    }
    trimmed.parse::<Cid>().map_err(|error| format!("invalid CID {trimmed:?}: {error}"))
}

fn bool_param(params: &HashMap<String, String>, name: &str, default: bool) -> Result<bool, ApiError> {
    match params.get(name).map(String::as_str) {
        None => Ok(default),
        Some("" | "true" | "1") => Ok(true),
        Some("false" | "0") => Ok(false),
        Some(other) => Err(ApiError::bad_request(format!("option {name:?}: {other:?} is not a boolean"))),
    }
}

fn u64_param(params: &HashMap<String, String>, name: &str) -> Result<Option<u64>, ApiError> {
    params
        .get(name)
        .map(|value| {
            value
                .parse()
                .map_err(|_| ApiError::bad_request(format!("option {name:?}: {value:?} is not a non-negative integer")))
        })
        .transpose()
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, BlockstoreError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))?
        .map_err(ApiError::from)
}

/// How much of an oversized upload, past the upload limit, the API reads and
/// throws away before it answers 413.
///
/// A client writes its whole upload before it reads the answer (kubo's
/// clients, `curl`, most HTTP libraries). If the API answered and closed
/// while upload bytes were still arriving, the kernel would reset the
/// connection: the client gets `EPIPE`/`ECONNRESET` on its next write and
/// never sees the 413. Reading the rest first lets it finish and read the
/// answer. A fixed amount rather than a multiple of the limit, since the
/// limit is often huge (64 GiB by default); past it the API closes at once.
pub const OVERSIZED_DRAIN_BYTES: u64 = 64 << 20;

/// Longest the API spends reading and throwing away an oversized upload
/// before it answers 413 anyway: a client that trickles (or stalls) gets its
/// answer and its connection closed rather than holding the request open.
/// On loopback or a LAN [`OVERSIZED_DRAIN_BYTES`] takes well under a second.
pub const OVERSIZED_DRAIN_TIME: Duration = Duration::from_secs(5);

/// Reads and throws away the rest of `field` within `budget` bytes (what is
/// left of it is updated) and `deadline`. `true` if the field ended cleanly.
async fn drain_field(field: &mut Field<'_>, budget: &mut u64, deadline: tokio::time::Instant) -> bool {
    loop {
        match tokio::time::timeout_at(deadline, field.chunk()).await {
            Ok(Ok(Some(bytes))) if (bytes.len() as u64) <= *budget => *budget -= bytes.len() as u64,
            Ok(Ok(None)) => return true,
            _ => return false, // over the budget, out of time, or a broken upload
        }
    }
}

async fn api_add(
    State(state): State<ApiState>,
    Query(params): Params,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let mut multipart = multipart.map_err(|rejection| ApiError::bad_request(rejection.body_text()))?;
    let cid_version = match u64_param(&params, "cid-version")? {
        None | Some(0) => CidVersion::V0,
        Some(1) => CidVersion::V1,
        Some(other) => return Err(ApiError::bad_request(format!("unknown CID version {other}"))),
    };
    let raw_leaves = params.contains_key("raw-leaves").then(|| bool_param(&params, "raw-leaves", false)).transpose()?;
    let options = DagOptions::from_flags(cid_version, raw_leaves);
    if cid_version == CidVersion::V0 && options.raw_leaves {
        // kubo upgrades to CIDv1 when raw leaves are asked for with v0.
        return Err(ApiError::bad_request("raw leaves need --cid-version=1"));
    }
    let pin = bool_param(&params, "pin", true)?;
    let only_hash = bool_param(&params, "only-hash", false)?;
    let mut lines = String::new();
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|error| ApiError::bad_request(format!("bad multipart upload: {}", error.body_text())))?
    {
        if field.content_type() == Some("application/x-directory") {
            return Err(ApiError::bad_request("directories are not supported: add files one by one"));
        }
        let name = field.file_name().or(field.name()).unwrap_or_default().to_owned();
        let (sender, reader) = ChannelReader::new(8);
        let store = state.store.clone();
        let limit = state.max_upload_bytes;
        let worker = tokio::task::spawn_blocking(move || -> Result<DagRoot, AddError> {
            if only_hash {
                let mut builder = DagBuilder::hash_only(options);
                let mut reader = reader;
                let mut buffer = vec![0u8; 1 << 20];
                let mut total = 0u64;
                loop {
                    let read = io::Read::read(&mut reader, &mut buffer).map_err(AddError::Read)?;
                    if read == 0 {
                        break;
                    }
                    total += read as u64;
                    if total > limit {
                        return Err(AddError::TooLarge { limit_bytes: limit });
                    }
                    let Ok(()) = builder.write(&buffer[..read]);
                }
                let Ok((root, _)) = builder.finish();
                Ok(root)
            } else {
                add_from_reader(&store, reader, options, pin, Some(limit))
            }
        });
        let mut upload_error = None;
        loop {
            let chunk = tokio::select! {
                chunk = field.chunk() => chunk,
                // The worker stopped early (too large or a store error): do
                // not wait for more of the upload (a stalled client would
                // hold the request open without end) before answering.
                () = sender.closed() => break,
            };
            match chunk {
                Ok(Some(bytes)) => {
                    if sender.send(Some(Ok(bytes))).await.is_err() {
                        break; // the worker stopped early (too large or a store error)
                    }
                }
                Ok(None) => {
                    let _ = sender.send(None).await;
                    break;
                }
                Err(error) => {
                    let message = format!("upload interrupted: {}", error.body_text());
                    let _ = sender.send(Some(Err(io::Error::other(message.clone())))).await;
                    upload_error = Some(message);
                    break;
                }
            }
        }
        drop(sender);
        let result =
            worker.await.map_err(|error| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))?;
        if let Some(message) = upload_error {
            return Err(ApiError::bad_request(message));
        }
        let root = match result {
            Ok(root) => root,
            Err(AddError::TooLarge { limit_bytes }) => {
                // Read the rest of the upload (this file and any after it, up
                // to the closing boundary) within the drain bounds, so that a
                // client still writing it gets to read the answer.
                let deadline = tokio::time::Instant::now() + OVERSIZED_DRAIN_TIME;
                let mut budget = OVERSIZED_DRAIN_BYTES;
                let mut drained = drain_field(&mut field, &mut budget, deadline).await;
                drop(field);
                while drained {
                    match tokio::time::timeout_at(deadline, multipart.next_field()).await {
                        Ok(Ok(Some(mut next))) => drained = drain_field(&mut next, &mut budget, deadline).await,
                        _ => break,
                    }
                }
                let error = ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("file {name:?} exceeds the upload limit of {limit_bytes} bytes; nothing was stored"),
                );
                // Part of the upload may still be unread (past the drain
                // bounds): the connection cannot carry another request.
                let mut response = error.into_response();
                response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
                return Ok(response);
            }
            Err(AddError::Read(error)) => return Err(ApiError::bad_request(error.to_string())),
            Err(AddError::Store(error)) => return Err(error.into()),
        };
        tracing::info!(cid = %root.cid, bytes = root.file_size, pinned = pin && !only_hash, "added");
        let display_name = if name.is_empty() { root.cid.to_string() } else { name };
        let line = json!({
            "Name": display_name,
            "Hash": root.cid.to_string(),
            "Size": root.tree_size.to_string(),
        });
        lines.push_str(&line.to_string());
        lines.push('\n');
    }
    if lines.is_empty() {
        return Err(ApiError::bad_request("file argument 'path' is required"));
    }
    Ok((
        [(header::CONTENT_TYPE, "application/json"), (header::HeaderName::from_static("x-chunked-output"), "1")],
        lines,
    )
        .into_response())
}

async fn api_cat(State(state): State<ApiState>, Query(params): Params) -> Result<Response, ApiError> {
    let cid = cid_arg(&params)?;
    let offset = u64_param(&params, "offset")?.unwrap_or(0);
    let length = u64_param(&params, "length")?;
    let store = state.store.clone();
    let size = blocking(move || reader::file_size(&store, &cid)).await?;
    let start = offset.min(size);
    let end = length.map_or(size, |length| start.saturating_add(length).min(size));
    Response::builder()
        .header(header::CONTENT_TYPE, "text/plain")
        .header(header::CONTENT_LENGTH, end - start)
        .header("x-content-length", end - start)
        .header("x-stream-output", "1")
        .body(stream_file(state.store, cid, start..end))
        .map_err(|error| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))
}

async fn api_block_get(State(state): State<ApiState>, Query(params): Params) -> Result<Response, ApiError> {
    let cid = cid_arg(&params)?;
    let store = state.store.clone();
    let block = blocking(move || store.get(&cid)).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain")], block).into_response())
}

async fn api_pin_add(State(state): State<ApiState>, Query(params): Params) -> Result<Response, ApiError> {
    let cid = cid_arg(&params)?;
    if !bool_param(&params, "recursive", true)? {
        return Err(ApiError::bad_request("only recursive pins are supported"));
    }
    let store = state.store.clone();
    blocking(move || store.pin(&cid)).await?;
    Ok(axum::Json(json!({ "Pins": [cid.to_string()] })).into_response())
}

async fn api_pin_rm(State(state): State<ApiState>, Query(params): Params) -> Result<Response, ApiError> {
    let cid = cid_arg(&params)?;
    let store = state.store.clone();
    blocking(move || store.unpin(&cid)).await?;
    Ok(axum::Json(json!({ "Pins": [cid.to_string()] })).into_response())
}

async fn api_pin_ls(State(state): State<ApiState>, Query(params): Params) -> Result<Response, ApiError> {
    let wanted = params.contains_key("arg").then(|| cid_arg(&params)).transpose()?;
    let store = state.store.clone();
    let pins = blocking(move || store.pins()).await?;
    let mut keys = serde_json::Map::new();
    for pin in pins.into_iter().filter(|pin| wanted.is_none_or(|wanted| wanted == *pin)) {
        keys.insert(pin.to_string(), json!({ "Type": "recursive" }));
    }
    if let (Some(wanted), true) = (wanted, keys.is_empty()) {
        return Err(ApiError::bad_request(format!("path '{wanted}' is not pinned")));
    }
    Ok(axum::Json(json!({ "Keys": keys })).into_response())
}

async fn api_repo_gc(State(state): State<ApiState>) -> Result<Response, ApiError> {
    let store = state.store.clone();
    let report = blocking(move || store.gc()).await?;
    let mut lines = String::new();
    for digest in report.removed {
        lines.push_str(&json!({ "Key": { "/": raw_cid(digest).to_string() } }).to_string());
        lines.push('\n');
    }
    Ok(([(header::CONTENT_TYPE, "application/json")], lines).into_response())
}

async fn api_version() -> Response {
    axum::Json(json!({
        "Version": env!("CARGO_PKG_VERSION"),
        "Commit": "",
        "Repo": "dml-content",
        "System": format!("{}/{}", std::env::consts::ARCH, std::env::consts::OS),
        "Golang": "",
    }))
    .into_response()
}

/// A response body streaming `range` of the file under `cid`. A block that
/// turns out missing or corrupted mid-way aborts the body, so the client
/// sees a failed transfer rather than wrong bytes.
fn stream_file(store: Arc<Blockstore>, cid: Cid, range: Range<u64>) -> Body {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, io::Error>>(4);
    tokio::task::spawn_blocking(move || {
        let result = reader::read_range(&store, &cid, range, &mut |bytes| match sender
            .blocking_send(Ok(Bytes::copy_from_slice(bytes)))
        {
            Ok(()) => Flow::Continue,
            Err(_) => Flow::Stop,
        });
        if let Err(error) = result {
            tracing::warn!(%cid, %error, "aborting a transfer");
            let _ = sender.blocking_send(Err(io::Error::other(error.to_string())));
        }
    });
    Body::from_stream(futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    }))
}

/// The read-only gateway as a router. Any origin may read it (CORS), as
/// public IPFS gateways allow: content is addressed by hash and the gateway
/// changes nothing, so a page on another port (the web app) can fetch
/// outputs. The kubo RPC ([`api_router`]) stays same-origin: it can add and
/// pin.
pub fn gateway_router(store: Arc<Blockstore>) -> Router {
    use tower_http::cors::{Any, CorsLayer};
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
        .allow_headers([header::RANGE, header::IF_NONE_MATCH])
        .expose_headers([header::CONTENT_LENGTH, header::CONTENT_RANGE, header::ETAG, header::ACCEPT_RANGES]);
    Router::new()
        .route("/ipfs/{*path}", get(gateway_get))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found: use /ipfs/{cid}\n") })
        .layer(cors)
        .with_state(store)
}

fn gateway_error(status: StatusCode, message: impl Into<String>) -> Response {
    let mut message = message.into();
    message.push('\n');
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], message).into_response()
}

fn gateway_store_error(error: BlockstoreError) -> Response {
    let status = match error {
        BlockstoreError::NotFound(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    gateway_error(status, error.to_string())
}

/// A parsed `Range: bytes=…` header, for a file of known size.
enum RangeRequest {
    Full,
    Partial(Range<u64>),
    Unsatisfiable,
}

fn parse_range(header: Option<&HeaderValue>, size: u64) -> RangeRequest {
    let Some(spec) = header.and_then(|value| value.to_str().ok()).and_then(|value| value.trim().strip_prefix("bytes="))
    else {
        return RangeRequest::Full;
    };
    if spec.contains(',') {
        return RangeRequest::Full; // multiple ranges: serving the whole file is allowed (RFC 9110 §14.2)
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Full;
    };
    let (first, last) = (first.trim(), last.trim());
    let range = if first.is_empty() {
        match last.parse::<u64>() {
            Ok(0) => return RangeRequest::Unsatisfiable,
            Ok(suffix) => size.saturating_sub(suffix)..size,
            Err(_) => return RangeRequest::Full,
        }
    } else {
        let Ok(start) = first.parse::<u64>() else {
            return RangeRequest::Full;
        };
        let end = if last.is_empty() {
            size
        } else {
            match last.parse::<u64>() {
                Ok(last) if last >= start => last.saturating_add(1).min(size),
                _ => return RangeRequest::Full,
            }
        };
        if start >= size {
            return RangeRequest::Unsatisfiable;
        }
        start..end
    };
    RangeRequest::Partial(range)
}

async fn gateway_get(
    State(store): State<Arc<Blockstore>>,
    Path(path): Path<String>,
    Query(params): Params,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let cid = match parse_ipfs_path(&path) {
        Ok(cid) => cid,
        Err(message) => return gateway_error(StatusCode::BAD_REQUEST, message),
    };
    let etag = format!("\"{cid}\"");
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*"))
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let stat_store = store.clone();
    let stat = tokio::task::spawn_blocking(move || {
        let size = reader::file_size(&stat_store, &cid)?;
        let mut prefix = Vec::with_capacity(512);
        reader::read_range(&stat_store, &cid, 0..size.min(512), &mut |bytes| {
            prefix.extend_from_slice(bytes);
            Flow::Continue
        })?;
        Ok::<_, BlockstoreError>((size, prefix))
    })
    .await;
    let (size, prefix) = match stat {
        Ok(Ok(stat)) => stat,
        Ok(Err(error)) => return gateway_store_error(error),
        Err(error) => return gateway_error(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()),
    };
    let file_name = params.get("filename");
    let content_type = file_name
        .and_then(|name| sniff::content_type_for_name(name))
        .unwrap_or_else(|| sniff::sniff_content_type(&prefix));
    let (status, range) = match parse_range(headers.get(header::RANGE), size) {
        RangeRequest::Full => (StatusCode::OK, 0..size),
        RangeRequest::Partial(range) => (StatusCode::PARTIAL_CONTENT, range),
        RangeRequest::Unsatisfiable => {
            return (StatusCode::RANGE_NOT_SATISFIABLE, [(header::CONTENT_RANGE, format!("bytes */{size}"))])
                .into_response()
        }
    };
    let mut response = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, range.end - range.start)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::ETAG, &etag)
        .header(header::CACHE_CONTROL, "public, max-age=29030400, immutable")
        .header("x-ipfs-path", format!("/ipfs/{cid}"))
        .header("x-ipfs-roots", cid.to_string());
    if status == StatusCode::PARTIAL_CONTENT {
        response = response.header(header::CONTENT_RANGE, format!("bytes {}-{}/{size}", range.start, range.end - 1));
    }
    if let Some(name) = file_name {
        let disposition = if bool_param(&params, "download", false).unwrap_or(false) { "attachment" } else { "inline" };
        let safe_name: String = name.chars().filter(|c| *c != '"' && !c.is_control()).collect();
        response = response.header(header::CONTENT_DISPOSITION, format!("{disposition}; filename=\"{safe_name}\""));
    }
    let body = if method == Method::HEAD { Body::empty() } else { stream_file(store, cid, range) };
    response.body(body).unwrap_or_else(|error| gateway_error(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))
}
