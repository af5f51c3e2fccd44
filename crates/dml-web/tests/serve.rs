//! The server over real HTTP on loopback: the embedded bytes, the
//! deployment's settings, caching, and what a wrong request gets.

use std::net::SocketAddr;

use alloy_primitives::Address;
use dml_web::{assets::ASSETS, AppConfig, AppContracts, DevAccount};
use reqwest::{header, StatusCode};

fn devnet_config() -> AppConfig {
    AppConfig {
        chain_id: 31337,
        chain_name: "DML devnet".into(),
        rpc_url: "http://127.0.0.1:8545/".into(),
        indexer_url: "http://127.0.0.1:8090".into(),
        gateway_url: "http://127.0.0.1:8080".into(),
        contracts: AppContracts {
            engine: Address::repeat_byte(0xe0),
            token: Address::repeat_byte(0x70),
            ..Default::default()
        },
        devnet: true,
        dev_accounts: vec![DevAccount { index: 9, address: Address::repeat_byte(9), private_key: "0x09".into() }],
    }
}

async fn start(config: AppConfig) -> (dml_web::WebHandle, reqwest::Client) {
    let handle = dml_web::spawn(config, SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
    (handle, reqwest::Client::new())
}

#[tokio::test]
async fn serves_the_embedded_files_byte_for_byte_with_their_types() {
    let (app, http) = start(devnet_config()).await;
    for asset in &ASSETS {
        let response = http.get(format!("{}{}", app.url(), &asset.path[1..])).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{}", asset.path);
        let headers = response.headers().clone();
        assert_eq!(headers[header::CONTENT_TYPE], asset.content_type);
        assert_eq!(headers[header::ETAG], asset.etag().as_str());
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(response.bytes().await.unwrap().as_ref(), asset.bytes, "{}", asset.path);
    }
    let index = http.get(format!("{}index.html", app.url())).send().await.unwrap();
    assert_eq!(index.bytes().await.unwrap().as_ref(), ASSETS[0].bytes);
}

#[tokio::test]
async fn config_json_says_the_deployment_and_the_policy_allows_only_its_hosts() {
    let (app, http) = start(devnet_config()).await;
    let response = http.get(format!("{}config.json", app.url())).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    let policy = response.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
    let config: serde_json::Value = response.json().await.unwrap();
    assert_eq!(config["chainId"], 31337);
    assert_eq!(config["rpcUrl"], "http://127.0.0.1:8545", "normalised to the origin");
    assert_eq!(config["indexerUrl"], "http://127.0.0.1:8090");
    assert_eq!(config["gatewayUrl"], "http://127.0.0.1:8080");
    assert_eq!(config["contracts"]["engine"], format!("{:#x}", Address::repeat_byte(0xe0)));
    assert_eq!(config["contracts"]["governor"], serde_json::Value::Null);
    assert_eq!(config["devnet"], true);
    assert_eq!(config["devAccounts"][0]["index"], 9);
    assert_eq!(config["devAccounts"][0]["privateKey"], "0x09");
    assert!(
        policy.contains("connect-src 'self' http://127.0.0.1:8080 http://127.0.0.1:8090 http://127.0.0.1:8545;"),
        "{policy}"
    );
    assert!(policy.contains("default-src 'none'"), "{policy}");
}

#[tokio::test]
async fn a_matching_etag_gets_304_and_head_gets_no_body() {
    let (app, http) = start(devnet_config()).await;
    let url = format!("{}app.js", app.url());
    let etag = ASSETS[1].etag();
    let cached = http.get(&url).header(header::IF_NONE_MATCH, &etag).send().await.unwrap();
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
    assert!(cached.bytes().await.unwrap().is_empty());
    let stale = http.get(&url).header(header::IF_NONE_MATCH, "\"0000\"").send().await.unwrap();
    assert_eq!(stale.status(), StatusCode::OK);
    let head = http.head(&url).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()[header::CONTENT_LENGTH], ASSETS[1].bytes.len().to_string().as_str());
    assert!(head.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn unknown_paths_and_methods_get_a_sentence() {
    let (app, http) = start(devnet_config()).await;
    let missing = http.get(format!("{}task/0x01", app.url())).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.text().await.unwrap().contains("#/"));
    let post = http.post(app.url()).body("x").send().await.unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    let traversal = http.get(format!("{}..%2fCargo.toml", app.url())).send().await.unwrap();
    assert_eq!(traversal.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn refuses_to_start_with_dev_keys_off_a_devnet_or_a_bad_url() {
    let mut public = devnet_config();
    public.devnet = false;
    let error = dml_web::spawn(public, SocketAddr::from(([127, 0, 0, 1], 0))).await.err().unwrap();
    assert!(error.to_string().contains("only on a devnet"), "{error}");
    let mut bad = devnet_config();
    bad.gateway_url = "http://127.0.0.1:8080/ipfs/?x=1".into();
    let error = dml_web::spawn(bad, SocketAddr::from(([127, 0, 0, 1], 0))).await.err().unwrap();
    assert!(error.to_string().contains("gateway url"), "{error}");
}
