//! The read API: JSON over HTTP (axum), paginated by an opaque `before`
//! cursor. Every route is listed in the crate's README.

use std::sync::{Arc, Mutex};

use axum::{
    extract::{Path, Query, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{follow::SharedHealth, queries, store::Store};

/// What the handlers share.
#[derive(Clone)]
pub struct ApiState {
    /// A read connection to the database.
    pub store: Arc<Mutex<Store>>,
    /// The follower's health.
    pub health: SharedHealth,
    /// The chain, for the few figures that only its state holds (a
    /// validator's stake after slashes).
    pub chain: Option<crate::follow::ChainReader>,
}

/// Paging parameters.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    /// Cursor from the previous page's `next`.
    pub before: Option<String>,
    /// Page size, 1–500 (default 50).
    pub limit: Option<u32>,
    /// Only this model's tasks.
    pub model: Option<String>,
    /// Only this owner's tasks.
    pub owner: Option<String>,
}

/// Search parameter.
#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    /// Task id, model id, transaction hash or address.
    pub q: String,
}

/// An API error: a status and a sentence.
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> Self {
        ApiError(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
    }
}

type ApiResult = Result<Json<Value>, ApiError>;

fn bad(message: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, message.into())
}

fn not_found(what: &str, id: &str) -> ApiError {
    ApiError(StatusCode::NOT_FOUND, format!("no {what} {id} in the index"))
}

/// Lower-cased `0x` hex of exactly `bytes` bytes, or a 400.
fn hex_id(text: &str, bytes: usize, what: &str) -> Result<String, ApiError> {
    let lower = text.trim().to_lowercase();
    let digits = lower.strip_prefix("0x").unwrap_or(&lower);
    if digits.len() != bytes * 2 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad(format!("`{text}` is not a {what} (0x and {} hex digits)", bytes * 2)));
    }
    Ok(format!("0x{digits}"))
}

fn paging(query: &PageQuery) -> Result<(u64, u32), ApiError> {
    let before = match &query.before {
        Some(text) => {
            text.parse::<u64>().map_err(|_| bad(format!("`before` must be a cursor from `next`, not `{text}`")))?
        }
        None => u64::MAX >> 1,
    };
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(bad(format!("`limit` must be 1 to 500, not {limit}")));
    }
    Ok((before, limit))
}

fn to_json<T: serde::Serialize>(value: T) -> ApiResult {
    Ok(Json(serde_json::to_value(value).map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?))
}

async fn health(State(state): State<ApiState>) -> Response {
    let health = state.health.lock().unwrap().clone();
    let ok = health.stopped.is_none() && health.consecutive_errors == 0;
    let lag = match (health.chain_head, health.indexed_block) {
        (Some(head), Some(ours)) => Some(head.saturating_sub(ours)),
        _ => None,
    };
    let mut body = serde_json::to_value(&health).unwrap_or_default();
    body["status"] = json!(if health.stopped.is_some() {
        "stopped"
    } else if ok {
        "ok"
    } else {
        "degraded"
    });
    body["lag"] = json!(lag);
    let code = if health.stopped.is_some() { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
    (code, Json(body)).into_response()
}

async fn stats(State(state): State<ApiState>) -> ApiResult {
    Ok(Json(queries::stats(&state.store.lock().unwrap())?))
}

async fn emission(State(state): State<ApiState>) -> ApiResult {
    to_json(queries::emission(&state.store.lock().unwrap())?)
}

async fn tasks(State(state): State<ApiState>, Query(query): Query<PageQuery>) -> ApiResult {
    let (before, limit) = paging(&query)?;
    let model = query.model.as_deref().map(|m| hex_id(m, 32, "model id")).transpose()?;
    let owner = query.owner.as_deref().map(|o| hex_id(o, 20, "address")).transpose()?;
    to_json(queries::tasks(&state.store.lock().unwrap(), model.as_deref(), owner.as_deref(), before, limit)?)
}

async fn task(State(state): State<ApiState>, Path(id): Path<String>) -> ApiResult {
    let id = hex_id(&id, 32, "task id")?;
    let found = queries::task(&state.store.lock().unwrap(), &id)?;
    found.map(Json).ok_or_else(|| not_found("task", &id))
}

async fn models(State(state): State<ApiState>) -> ApiResult {
    to_json(queries::models(&state.store.lock().unwrap())?)
}

async fn model(State(state): State<ApiState>, Path(id): Path<String>) -> ApiResult {
    let id = hex_id(&id, 32, "model id")?;
    let found = queries::model(&state.store.lock().unwrap(), &id)?;
    found.map(to_json).unwrap_or_else(|| Err(not_found("model", &id)))
}

async fn solvers(State(state): State<ApiState>) -> ApiResult {
    to_json(queries::solvers(&state.store.lock().unwrap())?)
}

async fn solver(State(state): State<ApiState>, Path(address): Path<String>) -> ApiResult {
    let address = hex_id(&address, 20, "address")?;
    let summary = queries::solver(&state.store.lock().unwrap(), &address)?;
    let mut body = serde_json::to_value(summary).unwrap_or_default();
    // Slashes carry no amount in the engine's events, so the stake as it is
    // now comes from the chain; `deposited` is what the events add up to.
    if let Some(chain) = &state.chain {
        let parsed = address.parse().map_err(|_| bad("address"))?;
        body["staked"] = match chain.staked(parsed).await {
            Ok(staked) => json!(staked.to_string()),
            Err(error) => {
                body["stakedError"] = json!(error.to_string());
                Value::Null
            }
        };
    }
    Ok(Json(body))
}

async fn contestations(State(state): State<ApiState>, Query(query): Query<PageQuery>) -> ApiResult {
    let (before, limit) = paging(&query)?;
    to_json(queries::contestations(&state.store.lock().unwrap(), before, limit)?)
}

async fn contestation(State(state): State<ApiState>, Path(task): Path<String>) -> ApiResult {
    let task = hex_id(&task, 32, "task id")?;
    let found = queries::contestation(&state.store.lock().unwrap(), &task)?;
    found.map(Json).ok_or_else(|| not_found("contestation of task", &task))
}

async fn proposals(State(state): State<ApiState>) -> ApiResult {
    to_json(queries::proposals(&state.store.lock().unwrap())?)
}

async fn address(
    State(state): State<ApiState>,
    Path(address): Path<String>,
    Query(query): Query<PageQuery>,
) -> ApiResult {
    let address = hex_id(&address, 20, "address")?;
    let (before, limit) = paging(&query)?;
    to_json(queries::address_events(&state.store.lock().unwrap(), &address, before, limit)?)
}

async fn events(State(state): State<ApiState>, Query(query): Query<PageQuery>) -> ApiResult {
    let (before, limit) = paging(&query)?;
    to_json(queries::feed(&state.store.lock().unwrap(), before, limit)?)
}

async fn search(State(state): State<ApiState>, Query(query): Query<SearchQuery>) -> ApiResult {
    if query.q.len() > 200 {
        return Err(bad("search text is over 200 characters"));
    }
    to_json(queries::search(&state.store.lock().unwrap(), &query.q)?)
}

/// The API's routes over `state`. Answers carry
/// `Access-Control-Allow-Origin: *`: the API is public and read-only, and the
/// web page may be served from another port.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/api/v1/stats", get(stats))
        .route("/api/v1/emission", get(emission))
        .route("/api/v1/tasks", get(tasks))
        .route("/api/v1/tasks/{id}", get(task))
        .route("/api/v1/models", get(models))
        .route("/api/v1/models/{id}", get(model))
        .route("/api/v1/solvers", get(solvers))
        .route("/api/v1/solvers/{address}", get(solver))
        .route("/api/v1/contestations", get(contestations))
        .route("/api/v1/contestations/{task}", get(contestation))
        .route("/api/v1/proposals", get(proposals))
        .route("/api/v1/addresses/{address}/events", get(address))
        .route("/api/v1/events", get(events))
        .route("/api/v1/search", get(search))
        .layer(axum::middleware::map_response(|mut response: Response| async move {
            response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, header::HeaderValue::from_static("*"));
            response
        }))
        .with_state(state)
}
