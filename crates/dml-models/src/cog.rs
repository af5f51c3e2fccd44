//! A client for the Cog HTTP prediction API.
//!
//! Cog (<https://github.com/replicate/cog>) serves a model as
//! `GET /health-check` (`{"status": "STARTING" | "READY" | "BUSY" | "SETUP_FAILED" | "DEFUNCT"}`)
//! and `POST /predictions` with `{"input": {…}}`, answering
//! `{"status": "succeeded" | "failed" | "canceled", "output": …, "error": …, "logs": …}`.
//! File outputs are data URLs (`data:image/png;base64,…`) or, when the server
//! uploads them, plain URLs.
//!
//! [`CogClient`] adds what a solver needs on top: a deadline per prediction
//! (with a best-effort cancel), retries with backoff on transient failures
//! (connection refused or reset, `409` busy, `502`/`503`/`504`), clear errors
//! for everything else, and [`CogClient::output_bytes`], which turns an output
//! into the canonical bytes two solvers hash identically whatever URL or
//! encoding their server chose.

use std::time::Duration;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::canonical::canonical_json;
use crate::template::OutputKind;

/// Settings of a [`CogClient`].
#[derive(Clone, Debug)]
pub struct CogConfig {
    /// Base URL of the server, e.g. `http://127.0.0.1:5000`.
    pub base_url: String,
    /// Longest a single prediction may take before it is cancelled.
    pub prediction_timeout: Duration,
    /// Longest a health check or an output file download may take.
    pub request_timeout: Duration,
    /// Attempts per request on transient failures (1 = no retry).
    pub max_attempts: u32,
    /// Delay before the first retry; doubled for each further one.
    pub retry_delay: Duration,
    /// Largest output file accepted, in bytes.
    pub max_output_bytes: usize,
}

impl CogConfig {
    /// Defaults for a server at `base_url`: 10 min predictions, 30 s requests,
    /// 3 attempts from 200 ms, 256 MiB outputs.
    pub fn new(base_url: impl Into<String>) -> Self {
        CogConfig {
            base_url: base_url.into().trim_end_matches('/').to_string(),
            prediction_timeout: Duration::from_secs(600),
            request_timeout: Duration::from_secs(30),
            max_attempts: 3,
            retry_delay: Duration::from_millis(200),
            max_output_bytes: 256 << 20,
        }
    }
}

/// What `GET /health-check` reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HealthStatus {
    /// `setup()` is still running.
    Starting,
    /// Ready for a prediction.
    Ready,
    /// Running a prediction.
    Busy,
    /// `setup()` raised; the server will never be ready.
    SetupFailed,
    /// The worker died; the server will never be ready.
    Defunct,
    /// Any other status string.
    Other(String),
}

/// A prediction that succeeded.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    /// The raw `output` value.
    pub output: Value,
    /// The predictor's logs.
    pub logs: String,
}

/// Why a Cog prediction did not produce output bytes.
#[derive(Debug, thiserror::Error)]
pub enum CogError {
    /// The client could not be built (bad base URL or TLS setup).
    #[error("cannot set up the Cog client: {0}")]
    Setup(String),
    /// No connection after every attempt: the server is down or unreachable.
    #[error("Cog server at {url} is unreachable after {attempts} attempts: {reason}")]
    Unreachable {
        /// The URL tried.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The last connection error.
        reason: String,
    },
    /// The server stayed busy (`409`) or unavailable (`502`/`503`/`504`) through every attempt.
    #[error("Cog server at {url} is busy or unavailable after {attempts} attempts (HTTP {status})")]
    Unavailable {
        /// The URL tried.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The last status code.
        status: u16,
    },
    /// The prediction did not finish within the deadline (it was asked to cancel).
    #[error("Cog prediction timed out after {0:?}")]
    Timeout(Duration),
    /// The server did not become ready within the deadline.
    #[error("Cog server did not become ready within {timeout:?} (last status: {last})")]
    NotReady {
        /// The deadline.
        timeout: Duration,
        /// The last health status or connection error.
        last: String,
    },
    /// `setup()` failed or the worker died: the server can never serve.
    #[error("Cog server cannot serve: health status {0}")]
    Defunct(String),
    /// The server rejected the input (`422`).
    #[error("Cog server rejected the input: {0}")]
    InvalidInput(String),
    /// The predictor raised an error.
    #[error("Cog prediction failed: {error}")]
    PredictionFailed {
        /// The error the server reported.
        error: String,
        /// The predictor's logs.
        logs: String,
    },
    /// The prediction was cancelled by the server.
    #[error("Cog prediction was canceled")]
    Canceled,
    /// Any other HTTP error status.
    #[error("Cog server answered HTTP {status}: {body}")]
    HttpStatus {
        /// Status code.
        status: u16,
        /// Start of the body.
        body: String,
    },
    /// The server's answer is not the Cog API (not JSON, missing fields, unknown status).
    #[error("Cog server sent an invalid response: {0}")]
    InvalidResponse(String),
    /// The output does not have the template's output type.
    #[error("Cog output does not match the template's output type {expected:?}: {reason}")]
    OutputType {
        /// The template's output type.
        expected: OutputKind,
        /// What was found instead.
        reason: String,
    },
    /// An output file could not be decoded or downloaded.
    #[error("cannot get output file {url}: {reason}")]
    OutputFile {
        /// The data URL (shortened) or URL.
        url: String,
        /// Why.
        reason: String,
    },
}

#[derive(Deserialize)]
struct PredictionResponse {
    status: Option<String>,
    #[serde(default)]
    output: Value,
    #[serde(default)]
    error: Option<Value>,
    #[serde(default)]
    logs: Option<String>,
}

#[derive(Deserialize)]
struct HealthResponse {
    status: String,
}

/// Outcome of one attempt that may be retried.
enum Attempt<T> {
    Done(T),
    Transient { status: Option<u16>, reason: String },
}

/// A client for one Cog server.
#[derive(Clone, Debug)]
pub struct CogClient {
    http: reqwest::Client,
    config: CogConfig,
}

impl CogClient {
    /// Builds a client.
    pub fn new(config: CogConfig) -> Result<Self, CogError> {
        if !config.base_url.starts_with("http://") && !config.base_url.starts_with("https://") {
            return Err(CogError::Setup(format!("base URL `{}` must start with http:// or https://", config.base_url)));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.request_timeout)
            .build()
            .map_err(|e| CogError::Setup(e.to_string()))?;
        Ok(CogClient { http, config })
    }

    /// The client's settings.
    pub fn config(&self) -> &CogConfig {
        &self.config
    }

    /// `GET /health-check`, once.
    pub async fn health(&self) -> Result<HealthStatus, CogError> {
        let url = format!("{}/health-check", self.config.base_url);
        let response = self
            .http
            .get(&url)
            .timeout(self.config.request_timeout)
            .send()
            .await
            .map_err(|e| CogError::Unreachable { url: url.clone(), attempts: 1, reason: error_chain(&e) })?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| CogError::InvalidResponse(format!("health-check body: {}", error_chain(&e))))?;
        let health: HealthResponse = serde_json::from_slice(&body).map_err(|e| {
            CogError::InvalidResponse(format!(
                "health-check (HTTP {status}) is not {{\"status\": …}}: {e}; body starts {:?}",
                snippet(&body)
            ))
        })?;
        Ok(match health.status.as_str() {
            "STARTING" => HealthStatus::Starting,
            "READY" => HealthStatus::Ready,
            "BUSY" => HealthStatus::Busy,
            "SETUP_FAILED" => HealthStatus::SetupFailed,
            "DEFUNCT" => HealthStatus::Defunct,
            _ => HealthStatus::Other(health.status),
        })
    }

    /// Polls the health check until `READY` (or `BUSY`), up to `timeout`.
    pub async fn wait_until_ready(&self, timeout: Duration) -> Result<(), CogError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut last: String;
        loop {
            match self.health().await {
                Ok(HealthStatus::Ready | HealthStatus::Busy) => return Ok(()),
                Ok(HealthStatus::SetupFailed) => return Err(CogError::Defunct("SETUP_FAILED".into())),
                Ok(HealthStatus::Defunct) => return Err(CogError::Defunct("DEFUNCT".into())),
                Ok(other) => last = format!("{other:?}"),
                Err(CogError::InvalidResponse(reason)) => return Err(CogError::InvalidResponse(reason)),
                Err(e) => last = e.to_string(),
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(CogError::NotReady { timeout, last });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs one prediction (`POST /predictions`) and returns it if it succeeded.
    pub async fn predict(&self, input: &Map<String, Value>) -> Result<Prediction, CogError> {
        let id = prediction_id();
        let url = format!("{}/predictions", self.config.base_url);
        let body = serde_json::json!({ "id": id, "input": input });
        let span = tracing::info_span!("cog_predict", prediction = %id);
        let _guard = span.enter();
        let attempt = || async {
            let sent = self.http.post(&url).timeout(self.config.prediction_timeout).json(&body).send().await;
            let response = match sent {
                Ok(r) => r,
                Err(e) if e.is_timeout() => return Err(CogError::Timeout(self.config.prediction_timeout)),
                Err(e) => return Ok(Attempt::Transient { status: None, reason: error_chain(&e) }),
            };
            let status = response.status().as_u16();
            if matches!(status, 409 | 502 | 503 | 504) {
                return Ok(Attempt::Transient { status: Some(status), reason: format!("HTTP {status}") });
            }
            let bytes = match response.bytes().await {
                Ok(b) => b,
                Err(e) if e.is_timeout() => return Err(CogError::Timeout(self.config.prediction_timeout)),
                Err(e) => {
                    return Ok(Attempt::Transient {
                        status: Some(status),
                        reason: format!("reading the response: {}", error_chain(&e)),
                    })
                }
            };
            Ok(Attempt::Done((status, bytes)))
        };
        let result = self.with_retries(&url, attempt).await;
        let (status, bytes) = match result {
            Err(CogError::Timeout(after)) => {
                self.cancel(&id).await;
                return Err(CogError::Timeout(after));
            }
            other => other?,
        };
        if status == 422 {
            return Err(CogError::InvalidInput(detail_message(&bytes)));
        }
        let parsed: Result<PredictionResponse, _> = serde_json::from_slice(&bytes);
        let response = match parsed {
            Ok(r) if r.status.is_some() => r,
            _ if !(200..300).contains(&status) => return Err(CogError::HttpStatus { status, body: snippet(&bytes) }),
            Ok(_) => return Err(CogError::InvalidResponse("prediction has no `status`".into())),
            Err(e) => {
                return Err(CogError::InvalidResponse(format!(
                    "prediction response is not JSON: {e}; body starts {:?}",
                    snippet(&bytes)
                )))
            }
        };
        let logs = response.logs.unwrap_or_default();
        match response.status.as_deref() {
            Some("succeeded") => Ok(Prediction { output: response.output, logs }),
            Some("failed") => Err(CogError::PredictionFailed {
                error: match response.error {
                    Some(Value::String(s)) => s,
                    Some(other) => other.to_string(),
                    None => "no error message".into(),
                },
                logs,
            }),
            Some("canceled") => Err(CogError::Canceled),
            Some(other) => {
                Err(CogError::InvalidResponse(format!("a synchronous prediction ended with status `{other}`")))
            }
            None => unreachable!("checked above"),
        }
    }

    /// Runs a prediction and returns its canonical output bytes.
    pub async fn run(&self, input: &Map<String, Value>, kind: OutputKind) -> Result<Vec<u8>, CogError> {
        let prediction = self.predict(input).await?;
        self.output_bytes(&prediction.output, kind).await
    }

    /// Canonical bytes of an output of type `kind`:
    /// `Text` — the string (a list of strings, as from an iterator predictor, is concatenated);
    /// `Json` — [`canonical_json`] of the value;
    /// `File` — the bytes of the file the data URL or URL names (a one-element list is unwrapped).
    pub async fn output_bytes(&self, output: &Value, kind: OutputKind) -> Result<Vec<u8>, CogError> {
        let wrong = |reason: String| CogError::OutputType { expected: kind, reason };
        match kind {
            OutputKind::Json => Ok(canonical_json(output)),
            OutputKind::Text => match output {
                Value::String(s) => Ok(s.clone().into_bytes()),
                Value::Array(items) => {
                    let mut text = String::new();
                    for item in items {
                        text.push_str(item.as_str().ok_or_else(|| wrong(format!("list item {item} is not a string")))?);
                    }
                    Ok(text.into_bytes())
                }
                other => Err(wrong(format!("got {other}"))),
            },
            OutputKind::File => {
                let url = match output {
                    Value::String(s) => s,
                    Value::Array(items) if items.len() == 1 && items[0].is_string() => {
                        items[0].as_str().unwrap_or_default()
                    }
                    other => return Err(wrong(format!("expected one file URL, got {}", shorten(&other.to_string())))),
                };
                self.file_bytes(url).await
            }
        }
    }

    /// The bytes of a file output: a data URL is decoded, an http(s) URL downloaded.
    pub async fn file_bytes(&self, url: &str) -> Result<Vec<u8>, CogError> {
        if url.starts_with("data:") {
            let bytes = decode_data_url(url)?;
            if bytes.len() > self.config.max_output_bytes {
                return Err(CogError::OutputFile {
                    url: shorten(url),
                    reason: format!("larger than {} bytes", self.config.max_output_bytes),
                });
            }
            return Ok(bytes);
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(CogError::OutputFile { url: shorten(url), reason: "not a data URL or an http(s) URL".into() });
        }
        let attempt = || async {
            let response = match self.http.get(url).timeout(self.config.request_timeout).send().await {
                Ok(r) => r,
                Err(e) if e.is_timeout() => return Err(CogError::Timeout(self.config.request_timeout)),
                Err(e) => return Ok(Attempt::Transient { status: None, reason: error_chain(&e) }),
            };
            let status = response.status().as_u16();
            if matches!(status, 502..=504) {
                return Ok(Attempt::Transient { status: Some(status), reason: format!("HTTP {status}") });
            }
            if !(200..300).contains(&status) {
                return Err(CogError::OutputFile { url: url.to_string(), reason: format!("HTTP {status}") });
            }
            if response.content_length().unwrap_or(0) > self.config.max_output_bytes as u64 {
                return Err(CogError::OutputFile {
                    url: url.to_string(),
                    reason: format!("larger than {} bytes", self.config.max_output_bytes),
                });
            }
            let mut response = response;
            let mut bytes = Vec::new();
            loop {
                match response.chunk().await {
                    Ok(Some(chunk)) => {
                        bytes.extend_from_slice(&chunk);
                        if bytes.len() > self.config.max_output_bytes {
                            return Err(CogError::OutputFile {
                                url: url.to_string(),
                                reason: format!("larger than {} bytes", self.config.max_output_bytes),
                            });
                        }
                    }
                    Ok(None) => return Ok(Attempt::Done(bytes)),
                    Err(e) => {
                        return Ok(Attempt::Transient {
                            status: Some(status),
                            reason: format!("reading the body: {}", error_chain(&e)),
                        })
                    }
                }
            }
        };
        self.with_retries(url, attempt).await
    }

    /// Asks the server to cancel prediction `id`; failures are only logged.
    async fn cancel(&self, id: &str) {
        let url = format!("{}/predictions/{id}/cancel", self.config.base_url);
        match self.http.post(&url).timeout(self.config.request_timeout).send().await {
            Ok(r) => tracing::info!(prediction = id, status = r.status().as_u16(), "asked Cog to cancel"),
            Err(e) => tracing::warn!(prediction = id, error = %e, "could not cancel Cog prediction"),
        }
    }

    async fn with_retries<T, F, Fut>(&self, url: &str, mut attempt: F) -> Result<T, CogError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Attempt<T>, CogError>>,
    {
        let attempts = self.config.max_attempts.max(1);
        let mut delay = self.config.retry_delay;
        let mut last = (None, String::new());
        for number in 1..=attempts {
            match attempt().await? {
                Attempt::Done(value) => return Ok(value),
                Attempt::Transient { status, reason } => {
                    tracing::warn!(url, attempt = number, %reason, "transient Cog failure");
                    last = (status, reason);
                }
            }
            if number < attempts {
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
        Err(match last {
            (Some(status), _) => CogError::Unavailable { url: url.to_string(), attempts, status },
            (None, reason) => CogError::Unreachable { url: url.to_string(), attempts, reason },
        })
    }
}

/// Decodes `data:[<media type>][;base64],<data>` (RFC 2397).
pub fn decode_data_url(url: &str) -> Result<Vec<u8>, CogError> {
    let bad = |reason: &str| CogError::OutputFile { url: shorten(url), reason: reason.to_string() };
    let rest = url.strip_prefix("data:").ok_or_else(|| bad("not a data URL"))?;
    let (meta, data) = rest.split_once(',').ok_or_else(|| bad("data URL has no comma"))?;
    if meta.split(';').any(|p| p.eq_ignore_ascii_case("base64")) {
        let compact: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|e| bad(&format!("invalid base64: {e}")))
    } else {
        percent_decode(data).ok_or_else(|| bad("invalid percent-encoding"))
    }
}

fn percent_decode(data: &str) -> Option<Vec<u8>> {
    let bytes = data.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

fn prediction_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("dml-{}-{nanos:x}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// The `detail` of a FastAPI-style error body, or the body itself.
fn detail_message(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => match v.get("detail") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => v.to_string(),
        },
        Err(_) => snippet(body),
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

fn snippet(body: &[u8]) -> String {
    shorten(&String::from_utf8_lossy(body))
}

fn shorten(text: &str) -> String {
    const LIMIT: usize = 200;
    if text.len() <= LIMIT {
        return text.to_string();
    }
    let mut end = LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_urls_decode_in_both_encodings() {
        assert_eq!(decode_data_url("data:text/plain;base64,aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode_data_url("data:,a%20b").unwrap(), b"a b");
        assert!(matches!(decode_data_url("data:;base64,@@@"), Err(CogError::OutputFile { .. })));
        assert!(matches!(decode_data_url("data:nocomma"), Err(CogError::OutputFile { .. })));
    }
}
