//! The HTTP server: the embedded assets, `/config.json`, and the headers
//! that keep the page to its configured hosts.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri},
    response::Response,
    routing::get,
    Router,
};

use crate::{assets, AppConfig, ConfigError};

/// Errors starting the server.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The settings cannot be served.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The listen address could not be bound.
    #[error("web app address {address}: {source}")]
    Bind {
        /// What was asked for.
        address: SocketAddr,
        /// Why not.
        source: std::io::Error,
    },
}

/// What every request shares.
struct Served {
    config_json: Vec<u8>,
    policy: HeaderValue,
    /// `DML_WEB_DIST`: a folder to read the files from on every request
    /// instead of the embedded ones, for working on the front-end without
    /// rebuilding the binary.
    dist_override: Option<std::path::PathBuf>,
}

/// A running web app server; dropping it stops the server.
pub struct WebHandle {
    /// Where it listens.
    pub address: SocketAddr,
    /// The server task.
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl WebHandle {
    /// The page's URL.
    pub fn url(&self) -> String {
        format!("http://{}/", self.address)
    }
}

impl Drop for WebHandle {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The app's routes for `config` (validated first).
pub fn router(config: AppConfig) -> Result<Router, ConfigError> {
    let config = config.validated()?;
    let policy = HeaderValue::from_str(&config.content_security_policy())
        .expect("origins and fixed words are valid header characters");
    let served = Arc::new(Served {
        config_json: serde_json::to_vec_pretty(&config).expect("the config serialises"),
        policy,
        dist_override: std::env::var_os("DML_WEB_DIST").filter(|d| !d.is_empty()).map(std::path::PathBuf::from),
    });
    if let Some(dir) = &served.dist_override {
        tracing::warn!(dir = %dir.display(), "DML_WEB_DIST is set: serving the web app's files from this folder, not the embedded build");
    }
    Ok(Router::new().route("/config.json", get(config_json)).fallback(asset).with_state(served))
}

/// Binds `listen` and serves the app for `config` until the handle drops.
pub async fn spawn(config: AppConfig, listen: SocketAddr) -> Result<WebHandle, WebError> {
    let router = router(config)?;
    let listener =
        tokio::net::TcpListener::bind(listen).await.map_err(|source| WebError::Bind { address: listen, source })?;
    let address = listener.local_addr().map_err(|source| WebError::Bind { address: listen, source })?;
    tracing::info!(%address, "web app listening");
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(WebHandle { address, server })
}

/// Headers every answer carries.
fn secured(mut builder: axum::http::response::Builder, served: &Served) -> axum::http::response::Builder {
    let headers = builder.headers_mut().expect("a fresh builder has headers");
    headers.insert(header::CONTENT_SECURITY_POLICY, served.policy.clone());
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    builder
}

async fn config_json(State(served): State<Arc<Served>>) -> Response {
    secured(Response::builder(), &served)
        .header(header::CONTENT_TYPE, "application/json")
        // It may change with every start of a devnet (ports, keys).
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::from(served.config_json.clone()))
        .expect("static headers are valid")
}

async fn asset(State(served): State<Arc<Served>>, method: Method, uri: Uri, request_headers: HeaderMap) -> Response {
    let not_found = |status: StatusCode, text: &'static str| {
        secured(Response::builder(), &served)
            .status(status)
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(Body::from(text))
            .expect("static headers are valid")
    };
    if method != Method::GET && method != Method::HEAD {
        return not_found(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD are served here\n");
    }
    let Some(asset) = assets::find(uri.path()) else {
        return not_found(StatusCode::NOT_FOUND, "no such file: the app lives at / (its pages are #/… routes)\n");
    };
    let bytes: std::borrow::Cow<'static, [u8]> = match &served.dist_override {
        Some(dir) => {
            let name = if asset.path == "/" { "index.html" } else { &asset.path[1..] };
            match std::fs::read(dir.join(name)) {
                Ok(bytes) => bytes.into(),
                Err(_) => return not_found(StatusCode::NOT_FOUND, "DML_WEB_DIST names a folder without this file\n"),
            }
        }
        None => asset.bytes.into(),
    };
    let etag = if served.dist_override.is_some() { crate::assets::etag_of(&bytes) } else { asset.etag() };
    let builder = secured(Response::builder(), &served)
        .header(header::ETAG, &etag)
        // Revalidate every time: a rebuilt binary serves new bytes at the same paths.
        .header(header::CACHE_CONTROL, "no-cache");
    let fresh = request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag));
    if fresh {
        return builder.status(StatusCode::NOT_MODIFIED).body(Body::empty()).expect("static headers are valid");
    }
    let length = bytes.len();
    let body = if method == Method::HEAD { Body::empty() } else { Body::from(bytes) };
    builder
        .header(header::CONTENT_TYPE, asset.content_type)
        .header(header::CONTENT_LENGTH, length)
        .body(body)
        .expect("static headers are valid")
}
