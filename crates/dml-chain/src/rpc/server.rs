//! JSON-RPC over HTTP (`POST /`) and WebSocket (`GET /` with an upgrade),
//! single and batch requests, and `eth_subscribe` over WebSocket.

use std::{collections::HashMap, sync::Arc, time::Duration};

use axum::{
    body::{Body, Bytes, HttpBody},
    extract::{
        ws::{Message, WebSocket},
        State, WebSocketUpgrade,
    },
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::{codes, convert, dispatch, Request, RpcError, SubscriptionKind};
use crate::shared::Shared;

/// Most calls in one batch.
pub const MAX_BATCH: usize = 1000;

/// How much of an oversized request body the node reads and throws away
/// before it answers 413, as a multiple of the body limit.
///
/// A client writes its whole body before it reads the answer (Python's
/// `http.client`, `curl` without `Expect`, most HTTP libraries). If the node
/// answered and closed while body bytes were still arriving, the kernel
/// would reset the connection: the client gets `EPIPE`/`ECONNRESET` on its
/// next write and never sees the 413 or its JSON-RPC error. Reading the rest
/// first lets it finish and read the answer. The bound keeps a client from
/// making the node read without end; past it the node closes at once.
pub const OVERSIZED_DRAIN_FACTOR: usize = 4;

/// Longest the node spends reading and throwing away an oversized body
/// before it answers 413 anyway: a client that trickles (or stalls) gets
/// its answer and its connection closed rather than holding it open. On
/// loopback or a LAN the whole drain bound takes well under a second.
pub const OVERSIZED_DRAIN_TIME: Duration = Duration::from_secs(5);

/// The HTTP and WebSocket routes. Any origin may call them (CORS), as
/// anvil and hardhat allow: a dev chain serves pages from other local ports.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().route("/", get(websocket).post(http)).layer(cors()).with_state(shared)
}

/// Answers preflight requests and marks every response readable from any origin.
pub fn cors() -> tower_http::cors::CorsLayer {
    use tower_http::cors::{Any, CorsLayer};
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([axum::http::Method::GET, axum::http::Method::POST, axum::http::Method::OPTIONS])
        .allow_headers(Any)
        .max_age(Duration::from_secs(3600))
}

fn error_response(id: Value, error: &RpcError) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": error.to_json() })
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

async fn http(State(shared): State<Arc<Shared>>, body: Body) -> Response {
    let limit = shared.max_request_bytes;
    let bytes = match read_body(body, limit).await {
        Ok(bytes) => bytes,
        Err(BodyError::TooLarge) => {
            let error = RpcError::new(codes::INVALID_REQUEST, format!("request body larger than {limit} bytes"));
            let mut response = json_response(StatusCode::PAYLOAD_TOO_LARGE, error_response(Value::Null, &error));
            // The rest of the body may still be unread (past the drain bounds):
            // the connection cannot carry another request.
            response.headers_mut().insert(header::CONNECTION, header::HeaderValue::from_static("close"));
            return response;
        }
        Err(BodyError::Read(message)) => {
            let error = RpcError::new(codes::INVALID_REQUEST, format!("cannot read the request body: {message}"));
            return json_response(StatusCode::BAD_REQUEST, error_response(Value::Null, &error));
        }
    };
    let response = match serde_json::from_slice::<Value>(&bytes) {
        // A read that takes a lock for a moment is served on this thread:
        // the hop to the blocking pool and back would cost more than it.
        Ok(value) if is_quick(&value) => handle_value(&shared, value),
        Ok(value) => tokio::task::spawn_blocking(move || handle_value(&shared, value)).await.unwrap_or_else(|error| {
            let error = RpcError::new(codes::INTERNAL_ERROR, format!("request handler panicked: {error}"));
            Some(error_response(Value::Null, &error))
        }),
        Err(error) => Some(parse_error(&error)),
    };
    match response {
        Some(body) => json_response(StatusCode::OK, body),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

enum BodyError {
    /// Over the limit (the rest drained as far as the drain bounds allow).
    TooLarge,
    /// The client broke off or sent a malformed body.
    Read(String),
}

/// Reads a request body of at most `limit` bytes. An oversized one is read
/// on and thrown away up to [`OVERSIZED_DRAIN_FACTOR`] × `limit` bytes in all
/// and for at most [`OVERSIZED_DRAIN_TIME`] from the moment it is known to be
/// oversized, so that a client still writing it can read the 413; one whose
/// declared length (`Content-Length`) is already past that bound is not read.
async fn read_body(body: Body, limit: usize) -> Result<Bytes, BodyError> {
    let drain_bound = limit.saturating_mul(OVERSIZED_DRAIN_FACTOR) as u64;
    let declared = body.size_hint().lower();
    if declared > drain_bound {
        // Too large to drain: answer at once. A client that sent
        // `Expect: 100-continue` never sends the body and reads the 413.
        return Err(BodyError::TooLarge);
    }
    let mut stream = body.into_data_stream();
    let mut seen = 0u64;
    if declared <= limit as u64 {
        let mut received = Vec::with_capacity(declared as usize);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|error| BodyError::Read(error.to_string()))?;
            seen += chunk.len() as u64;
            if seen > limit as u64 {
                break;
            }
            received.extend_from_slice(&chunk);
        }
        if seen <= limit as u64 {
            return Ok(received.into());
        }
    }
    // Oversized: read on and throw away, within both bounds.
    let drain = async {
        while seen <= drain_bound {
            match stream.next().await {
                Some(Ok(chunk)) => seen += chunk.len() as u64,
                Some(Err(_)) | None => return,
            }
        }
    };
    if tokio::time::timeout(OVERSIZED_DRAIN_TIME, drain).await.is_err() {
        tracing::debug!(limit, "oversized request body still arriving after the drain time; closing");
    }
    Err(BodyError::TooLarge)
}

/// Methods whose answer is a lookup under the chain lock, with no
/// execution, hashing or scan: cheap enough to serve on an async worker.
const QUICK_METHODS: &[&str] = &[
    "eth_blockNumber",
    "eth_chainId",
    "eth_gasPrice",
    "eth_getBalance",
    "eth_getCode",
    "eth_getStorageAt",
    "eth_getTransactionByHash",
    "eth_getTransactionCount",
    "eth_getTransactionReceipt",
    "eth_maxPriorityFeePerGas",
    "net_version",
];

/// Whether `value` is one call (not a batch) to one of [`QUICK_METHODS`].
fn is_quick(value: &Value) -> bool {
    value.get("method").and_then(Value::as_str).is_some_and(|method| QUICK_METHODS.contains(&method))
}

fn parse_error(error: &serde_json::Error) -> Value {
    error_response(Value::Null, &RpcError::new(codes::PARSE_ERROR, format!("parse error: {error}")))
}

/// Parses and serves a request body (single or batch). `None`: only notifications.
pub fn handle_body(shared: &Shared, body: &[u8]) -> Option<Value> {
    match serde_json::from_slice(body) {
        Ok(value) => handle_value(shared, value),
        Err(error) => Some(parse_error(&error)),
    }
}

/// Serves a parsed request (single or batch). `None`: only notifications.
fn handle_value(shared: &Shared, value: Value) -> Option<Value> {
    match value {
        Value::Array(calls) if calls.is_empty() => {
            Some(error_response(Value::Null, &RpcError::new(codes::INVALID_REQUEST, "empty batch")))
        }
        Value::Array(calls) if calls.len() > MAX_BATCH => Some(error_response(
            Value::Null,
            &RpcError::new(codes::INVALID_REQUEST, format!("batch of {} calls, limit {MAX_BATCH}", calls.len())),
        )),
        Value::Array(calls) => {
            let responses: Vec<Value> = calls.iter().filter_map(|call| handle_call(shared, call)).collect();
            (!responses.is_empty()).then_some(Value::Array(responses))
        }
        call => handle_call(shared, &call),
    }
}

/// A call's id, method and params, or the error to answer it with.
fn parse_call(call: &Value) -> Result<(Value, Request), (Value, RpcError)> {
    let Value::Object(object) = call else {
        return Err((Value::Null, RpcError::new(codes::INVALID_REQUEST, "invalid request: not an object")));
    };
    let id = object.get("id").cloned().unwrap_or(Value::Null);
    if !matches!(id, Value::Null | Value::Number(_) | Value::String(_)) {
        return Err((Value::Null, RpcError::new(codes::INVALID_REQUEST, "invalid request: bad id")));
    }
    if object.get("jsonrpc").is_some_and(|version| version != "2.0") {
        return Err((id, RpcError::new(codes::INVALID_REQUEST, "invalid request: jsonrpc must be \"2.0\"")));
    }
    let Some(Value::String(method)) = object.get("method") else {
        return Err((id, RpcError::new(codes::INVALID_REQUEST, "invalid request: missing method")));
    };
    match Request::parse(method, object.get("params")) {
        Ok(request) => Ok((id, request)),
        Err(error) => Err((id, error)),
    }
}

fn handle_call(shared: &Shared, call: &Value) -> Option<Value> {
    let is_notification = call.as_object().is_some_and(|object| !object.contains_key("id"));
    let response = match parse_call(call) {
        Ok((id, request)) => match dispatch(shared, request) {
            Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
            Err(error) => error_response(id, &error),
        },
        Err((id, error)) => error_response(id, &error),
    };
    (!is_notification).then_some(response)
}

async fn websocket(State(shared): State<Arc<Shared>>, upgrade: WebSocketUpgrade) -> Response {
    let limit = shared.max_request_bytes;
    upgrade.max_message_size(limit).on_upgrade(move |socket| session(shared, socket))
}

async fn session(shared: Arc<Shared>, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let (outgoing, mut queue) = mpsc::unbounded_channel::<String>();
    let writer = tokio::spawn(async move {
        while let Some(text) = queue.recv().await {
            if sink.send(Message::Text(text.into())).await.is_err() {
                break;
            }
        }
    });
    let mut subscriptions: HashMap<String, tokio::task::JoinHandle<()>> = HashMap::new();
    let mut next_subscription = 1u64;
    while let Some(Ok(message)) = stream.next().await {
        let text = match message {
            Message::Text(text) => text.to_string(),
            Message::Binary(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => continue,
        };
        let value: Value = match serde_json::from_str(&text) {
            Ok(value) => value,
            Err(error) => {
                let error = RpcError::new(codes::PARSE_ERROR, format!("parse error: {error}"));
                let _ = outgoing.send(error_response(Value::Null, &error).to_string());
                continue;
            }
        };
        // Subscriptions are per connection; everything else is served like HTTP.
        if let Ok((id, Request::Subscribe(kind))) = parse_call(&value) {
            let subscription = format!("{:#x}", next_subscription);
            next_subscription += 1;
            let task = spawn_subscription(&shared, subscription.clone(), kind, outgoing.clone());
            subscriptions.insert(subscription.clone(), task);
            let _ = outgoing.send(json!({ "jsonrpc": "2.0", "id": id, "result": subscription }).to_string());
            continue;
        }
        if let Ok((id, Request::Unsubscribe(subscription))) = parse_call(&value) {
            let removed = subscriptions.remove(&subscription).map(|task| task.abort()).is_some();
            let _ = outgoing.send(json!({ "jsonrpc": "2.0", "id": id, "result": removed }).to_string());
            continue;
        }
        let shared = shared.clone();
        let outgoing = outgoing.clone();
        // Calls on one connection run concurrently; responses carry their ids.
        tokio::spawn(async move {
            let response = tokio::task::spawn_blocking(move || handle_body(&shared, text.as_bytes())).await;
            if let Ok(Some(response)) = response {
                let _ = outgoing.send(response.to_string());
            }
        });
    }
    for task in subscriptions.into_values() {
        task.abort();
    }
    drop(outgoing);
    let _ = writer.await;
}

fn spawn_subscription(
    shared: &Shared,
    subscription: String,
    kind: SubscriptionKind,
    outgoing: mpsc::UnboundedSender<String>,
) -> tokio::task::JoinHandle<()> {
    let mut events = shared.subscribe();
    tokio::spawn(async move {
        loop {
            let event = match events.recv().await {
                Ok(event) => event,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, %subscription, "subscriber fell behind; blocks skipped");
                    continue;
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            let results: Vec<Value> = match &kind {
                SubscriptionKind::NewHeads => {
                    vec![serde_json::to_value(convert::header(&event)).unwrap_or(Value::Null)]
                }
                SubscriptionKind::Logs(filter) => (0..event.transactions.len())
                    .flat_map(|index| convert::logs(&event, index))
                    .filter(|log| filter.matches(&log.inner))
                    .map(|log| serde_json::to_value(log).unwrap_or(Value::Null))
                    .collect(),
            };
            for result in results {
                let notification = json!({
                    "jsonrpc": "2.0",
                    "method": "eth_subscription",
                    "params": { "subscription": subscription, "result": result },
                });
                if outgoing.send(notification.to_string()).is_err() {
                    return;
                }
            }
        }
    })
}
