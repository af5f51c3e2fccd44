//! The Cog runner against a real Cog server (PyPI `cog`, its `coglet` HTTP
//! server) running `tests/fixtures/cog/predict.py`, and against a loopback
//! server that answers garbage.
//!
//! Needs the venv from `bash scripts/setup/models.sh`; under `CI=true` a missing
//! venv fails the tests, locally they are skipped with a notice.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dml_models::cog::{CogClient, CogConfig, CogError, HealthStatus};
use dml_models::template::{ModelTemplate, OutputKind};
use serde_json::{json, Map, Value};

/// A Cog HTTP server process on a free loopback port; stopped on drop.
struct CogServer {
    child: Child,
    port: u16,
}

impl CogServer {
    fn start(venv: &Path) -> CogServer {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let path = format!("{}:{}", venv.join("bin").display(), std::env::var("PATH").unwrap_or_default());
        let child = Command::new(venv.join("bin/python"))
            .args(["-m", "cog.server.http", "--host", "127.0.0.1"])
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/cog"))
            .env("PATH", path)
            .env("COG_PREDICT_TYPE_STUB", "predict.py:Predictor")
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the cog server");
        CogServer { child, port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops the server: SIGTERM to its pid (coglet then stops its worker),
    /// SIGKILL to that pid if it is still there after 5 s.
    fn kill(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for CogServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn client(url: &str, prediction_timeout: Duration, attempts: u32) -> CogClient {
    let mut config = CogConfig::new(url);
    config.prediction_timeout = prediction_timeout;
    config.request_timeout = Duration::from_secs(5);
    config.max_attempts = attempts;
    config.retry_delay = Duration::from_millis(300);
    CogClient::new(config).unwrap()
}

fn test_template() -> ModelTemplate {
    let template = json!({
        "name": "cog-test",
        "version": 1,
        "runner": {"type": "cog", "image": format!("example.invalid/dml-cog-test@sha256:{}", "ab".repeat(32))},
        "input": {
            "type": "object",
            "additionalProperties": false,
            "required": ["mode"],
            "properties": {
                "mode": {"type": "string", "enum": ["echo", "json", "file", "fail", "sleep", "die"]},
                "text": {"type": "string", "default": ""},
                "seconds": {"type": "number", "default": 0, "minimum": 0, "maximum": 60}
            }
        },
        "output": {"type": "text", "media_type": "text/plain"},
        "example": {"mode": "echo", "text": "hi"}
    });
    ModelTemplate::from_json(template.to_string().as_bytes()).unwrap()
}

fn input(template: &ModelTemplate, value: Value, seed: u64) -> Map<String, Value> {
    template.hydrate(value.to_string().as_bytes(), seed).unwrap()
}

async fn wait_for_ready(client: &CogClient, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        if let Ok(HealthStatus::Ready) = client.health().await {
            return;
        }
        assert!(Instant::now() < deadline, "server not READY again within {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn runner_gets_predictions_and_reports_failures_from_a_real_cog_server() {
    let Some(venv) = common::models_venv() else { return };
    let server = CogServer::start(&venv);
    let cog = client(&server.url(), Duration::from_secs(30), 3);
    cog.wait_until_ready(Duration::from_secs(90)).await.expect("cog server ready");
    assert_eq!(cog.health().await.unwrap(), HealthStatus::Ready);
    let template = test_template();

    // Text, JSON and file outputs, each as canonical bytes.
    let echo = input(&template, json!({"mode": "echo", "text": "hi"}), 7);
    assert_eq!(cog.run(&echo, OutputKind::Text).await.unwrap(), b"hello hi (seed 7)");
    let structured = input(&template, json!({"mode": "json", "text": "hi"}), 7);
    assert_eq!(cog.run(&structured, OutputKind::Json).await.unwrap(), br#"{"lengths":[2,0],"seed":7,"text":"hi"}"#);
    let file = input(&template, json!({"mode": "file", "text": "hi"}), 9);
    let prediction = cog.predict(&file).await.unwrap();
    assert!(prediction.output.as_str().unwrap().starts_with("data:"), "{:?}", prediction.output);
    assert_eq!(cog.output_bytes(&prediction.output, OutputKind::File).await.unwrap(), b"file for hi seed 9\n");

    // An output of the wrong type for the template.
    match cog.run(&structured, OutputKind::Text).await {
        Err(CogError::OutputType { expected: OutputKind::Text, .. }) => {}
        other => panic!("expected OutputType, got {other:?}"),
    }

    // A predictor that raises.
    let failing = input(&template, json!({"mode": "fail", "text": "x"}), 1);
    match cog.predict(&failing).await {
        Err(CogError::PredictionFailed { error, .. }) => assert!(error.contains("predictor refused"), "{error}"),
        other => panic!("expected PredictionFailed, got {other:?}"),
    }
    // An input the predictor does not take (bypassing the template).
    let mut unknown = echo.clone();
    unknown.insert("bogus".into(), json!(1));
    assert!(matches!(cog.predict(&unknown).await, Err(CogError::PredictionFailed { .. } | CogError::InvalidInput(_))));

    // Busy: while a 2 s prediction runs, a second one gets 409 and is retried until it succeeds;
    // without retries it is reported as unavailable.
    let slow = input(&template, json!({"mode": "sleep", "seconds": 2}), 1);
    let background = {
        let cog = cog.clone();
        let slow = slow.clone();
        tokio::spawn(async move { cog.run(&slow, OutputKind::Text).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let no_retry = client(&server.url(), Duration::from_secs(30), 1);
    match no_retry.predict(&echo).await {
        Err(CogError::Unavailable { status: 409, attempts: 1, .. }) => {}
        other => panic!("expected Unavailable(409), got {other:?}"),
    }
    let patient = client(&server.url(), Duration::from_secs(30), 6);
    assert_eq!(patient.run(&echo, OutputKind::Text).await.unwrap(), b"hello hi (seed 7)");
    assert_eq!(background.await.unwrap().unwrap(), b"slept 2");

    // A slow predictor: the deadline fires, the prediction is cancelled.
    wait_for_ready(&cog, Duration::from_secs(20)).await;
    let hasty = client(&server.url(), Duration::from_secs(1), 3);
    let very_slow = input(&template, json!({"mode": "sleep", "seconds": 8}), 1);
    let started = Instant::now();
    match hasty.predict(&very_slow).await {
        Err(CogError::Timeout(after)) => assert_eq!(after, Duration::from_secs(1)),
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(6), "timeout took {:?}", started.elapsed());
    // The server recovers and serves again.
    wait_for_ready(&cog, Duration::from_secs(20)).await;
    assert_eq!(cog.run(&echo, OutputKind::Text).await.unwrap(), b"hello hi (seed 7)");
}

#[tokio::test]
async fn dead_cog_servers_are_reported_not_hung_on() {
    let Some(venv) = common::models_venv() else { return };
    let template = test_template();
    let echo = input(&template, json!({"mode": "echo", "text": "hi"}), 7);

    // A predictor whose worker process dies mid-prediction.
    let mut server = CogServer::start(&venv);
    let cog = client(&server.url(), Duration::from_secs(30), 2);
    cog.wait_until_ready(Duration::from_secs(90)).await.unwrap();
    let dying = input(&template, json!({"mode": "die"}), 1);
    let result = cog.predict(&dying).await;
    assert!(result.is_err(), "a dead worker gave {result:?}");
    eprintln!("worker died: {}", result.unwrap_err());

    // A server that is gone: connection refused, retried, then reported.
    server.kill();
    let started = Instant::now();
    match cog.predict(&echo).await {
        Err(CogError::Unreachable { attempts: 2, reason, .. }) => eprintln!("unreachable: {reason}"),
        other => panic!("expected Unreachable, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(10));
    match cog.wait_until_ready(Duration::from_millis(500)).await {
        Err(CogError::NotReady { .. }) => {}
        other => panic!("expected NotReady, got {other:?}"),
    }
}

/// A loopback HTTP server that answers every request with `response` (raw HTTP).
fn fixed_response_server(response: &'static [u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(20) {
            let Ok(mut stream) = stream else { continue };
            let mut buffer = [0u8; 8192];
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(response);
        }
    });
    url
}

#[tokio::test]
async fn garbage_from_a_server_is_a_clear_error() {
    let template = test_template();
    let echo = input(&template, json!({"mode": "echo"}), 1);

    let not_json =
        fixed_response_server(b"HTTP/1.1 200 OK\r\ncontent-length: 16\r\nconnection: close\r\n\r\nthis is not json");
    let cog = client(&not_json, Duration::from_secs(5), 1);
    match cog.predict(&echo).await {
        Err(CogError::InvalidResponse(reason)) => assert!(reason.contains("not JSON"), "{reason}"),
        other => panic!("expected InvalidResponse, got {other:?}"),
    }
    assert!(matches!(cog.health().await, Err(CogError::InvalidResponse(_))));

    let no_status =
        fixed_response_server(b"HTTP/1.1 200 OK\r\ncontent-length: 13\r\nconnection: close\r\n\r\n{\"output\": 1}");
    match client(&no_status, Duration::from_secs(5), 1).predict(&echo).await {
        Err(CogError::InvalidResponse(reason)) => assert!(reason.contains("status"), "{reason}"),
        other => panic!("expected InvalidResponse, got {other:?}"),
    }

    let server_error = fixed_response_server(
        b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 4\r\nconnection: close\r\n\r\noops",
    );
    match client(&server_error, Duration::from_secs(5), 1).predict(&echo).await {
        Err(CogError::HttpStatus { status: 500, body }) => assert_eq!(body, "oops"),
        other => panic!("expected HttpStatus 500, got {other:?}"),
    }

    let unknown_status = fixed_response_server(
        b"HTTP/1.1 200 OK\r\ncontent-length: 22\r\nconnection: close\r\n\r\n{\"status\": \"exploded\"}",
    );
    assert!(matches!(
        client(&unknown_status, Duration::from_secs(5), 1).predict(&echo).await,
        Err(CogError::InvalidResponse(_))
    ));

    // File outputs given as URLs are downloaded; a missing one is an error.
    let file = fixed_response_server(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nbytes");
    let cog = client(&file, Duration::from_secs(5), 1);
    assert_eq!(cog.output_bytes(&json!(format!("{file}/out.png")), OutputKind::File).await.unwrap(), b"bytes");
    let gone = fixed_response_server(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    assert!(matches!(
        cog.output_bytes(&json!(format!("{gone}/out.png")), OutputKind::File).await,
        Err(CogError::OutputFile { .. })
    ));
    assert!(matches!(
        cog.output_bytes(&json!("ftp://example.invalid/x"), OutputKind::File).await,
        Err(CogError::OutputFile { .. })
    ));
}
