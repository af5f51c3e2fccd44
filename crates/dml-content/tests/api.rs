//! The kubo RPC subset and the gateway, over real loopback HTTP, driven by
//! `ContentClient` and raw `reqwest`/TCP where the client would hide details.

mod support;

use std::io::{Read, Write};

use dml_content::server::OVERSIZED_DRAIN_TIME;
use dml_content::{AddOptions, Cid, CidVersion, ClientError, ContentClient, DagOptions};
use support::{files_under, start_server, Pattern};

const HELLO_CID: &str = "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN";

fn api_status(error: &ClientError) -> Option<(u16, String)> {
    match error {
        ClientError::Api { status, message, .. } => Some((*status, message.clone())),
        _ => None,
    }
}

#[tokio::test]
async fn small_file_round_trips_through_api_and_gateway() {
    let (server, _dir) = start_server(1 << 30).await;
    let client = ContentClient::new(server.api_url());
    let added = client.add_bytes("hello.txt", &b"hello\n"[..], &AddOptions::default()).await.unwrap();
    assert_eq!(added.cid.to_string(), HELLO_CID);
    assert_eq!(added.name, "hello.txt");
    assert_eq!(added.tree_size, 14, "kubo reports the cumulative size");
    assert_eq!(client.cat(&added.cid).await.unwrap(), b"hello\n");
    assert_eq!(client.cat_verified(&added.cid).await.unwrap(), b"hello\n");
    assert_eq!(client.cat_range(&added.cid, 1, Some(3)).await.unwrap(), b"ell");
    assert_eq!(client.pin_ls().await.unwrap(), vec![added.cid], "add pins by default");
    let block = client.block_get(&added.cid).await.unwrap();
    assert_eq!(dml_content::sha256(&block), added.cid.multihash_digest());
    assert_eq!(client.version().await.unwrap().repo, "dml-content");

    let v1 = client
        .add_bytes("hello.txt", &b"hello\n"[..], &AddOptions { cid_version: CidVersion::V1, ..AddOptions::default() })
        .await
        .unwrap();
    assert_eq!(v1.cid, dml_content::cid_v1(b"hello\n"));
    assert_eq!(client.cat_verified(&v1.cid).await.unwrap(), b"hello\n");

    let response = reqwest::get(format!("{}/ipfs/{HELLO_CID}", server.gateway_url())).await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/plain; charset=utf-8");
    assert_eq!(headers["etag"], format!("\"{HELLO_CID}\""));
    assert_eq!(headers["accept-ranges"], "bytes");
    assert_eq!(headers["content-length"], "6");
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"hello\n");

    let head = reqwest::Client::new().head(format!("{}/ipfs/{HELLO_CID}", server.gateway_url())).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-length"], "6");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_gateway_is_readable_from_any_origin_and_the_api_is_not() {
    let (server, _dir) = start_server(1 << 30).await;
    let client = ContentClient::new(server.api_url());
    client.add_bytes("hello.txt", &b"hello\n"[..], &AddOptions::default()).await.unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/ipfs/{HELLO_CID}", server.gateway_url());
    let preflight = http
        .request(reqwest::Method::OPTIONS, &url)
        .header("Origin", "http://127.0.0.1:5173")
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "range")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let response = http.get(&url).header("Origin", "http://127.0.0.1:5173").send().await.unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let exposed = response.headers()["access-control-expose-headers"].to_str().unwrap().to_lowercase();
    assert!(exposed.contains("content-range") && exposed.contains("etag"), "{exposed}");
    // The API can add and pin: no page from another origin may call it.
    let api = http
        .post(format!("{}/api/v0/version", server.api_url()))
        .header("Origin", "http://127.0.0.1:5173")
        .send()
        .await
        .unwrap();
    assert!(api.headers().get("access-control-allow-origin").is_none());
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn gateway_serves_ranges_content_types_and_etags() {
    let (server, _dir) = start_server(1 << 30).await;
    let client = ContentClient::new(server.api_url());
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend((0..600_000u32).map(|i| (i % 251) as u8)); // three chunks
    let added = client.add_bytes("image", png.clone(), &AddOptions::default()).await.unwrap();
    assert_eq!(added.cid, dml_content::cid_v0(&png));
    let url = format!("{}/ipfs/{}", server.gateway_url(), added.cid);
    let http = reqwest::Client::new();
    let get = |range: Option<&'static str>| {
        let mut request = http.get(&url);
        if let Some(range) = range {
            request = request.header("range", range);
        }
        request.send()
    };

    let full = get(None).await.unwrap();
    assert_eq!(full.headers()["content-type"], "image/png");
    assert_eq!(full.bytes().await.unwrap().as_ref(), png.as_slice());

    let size = png.len();
    for (range, expected, content_range) in [
        ("bytes=0-3", &png[0..4], format!("bytes 0-3/{size}")),
        ("bytes=262140-262150", &png[262_140..262_151], format!("bytes 262140-262150/{size}")),
        ("bytes=-5", &png[size - 5..], format!("bytes {}-{}/{size}", size - 5, size - 1)),
        ("bytes=524000-", &png[524_000..], format!("bytes 524000-{}/{size}", size - 1)),
        ("bytes=10-99999999", &png[10..], format!("bytes 10-{}/{size}", size - 1)),
    ] {
        let response = get(Some(range)).await.unwrap();
        assert_eq!(response.status(), 206, "{range}");
        assert_eq!(response.headers()["content-range"], content_range.as_str(), "{range}");
        assert_eq!(response.bytes().await.unwrap().as_ref(), expected, "{range}");
    }
    let unsatisfiable = get(Some("bytes=99999999-")).await.unwrap();
    assert_eq!(unsatisfiable.status(), 416);
    assert_eq!(unsatisfiable.headers()["content-range"], format!("bytes */{size}").as_str());
    let multiple = get(Some("bytes=0-1,5-6")).await.unwrap();
    assert_eq!(multiple.status(), 200, "multiple ranges fall back to the whole file");

    let cached = http.get(&url).header("if-none-match", format!("\"{}\"", added.cid)).send().await.unwrap();
    assert_eq!(cached.status(), 304);

    let named = http.get(format!("{url}?filename=data.json&download=true")).send().await.unwrap();
    assert_eq!(named.headers()["content-type"], "application/json");
    assert_eq!(named.headers()["content-disposition"], "attachment; filename=\"data.json\"");

    let binary = client.add_bytes("bin", vec![0u8, 1, 2, 3, 255], &AddOptions::default()).await.unwrap();
    let response = http.get(format!("{}/ipfs/{}", server.gateway_url(), binary.cid)).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "application/octet-stream");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn malformed_and_unknown_cids_get_clear_errors() {
    let (server, _dir) = start_server(1 << 30).await;
    let http = reqwest::Client::new();
    let api = server.api_url();
    let unknown = dml_content::cid_v0(b"never added");

    // Malformed CID: 400 with kubo's JSON error shape.
    let response = http.post(format!("{api}/api/v0/cat?arg=QmNotACid")).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["Type"], "error");
    assert!(body["Message"].as_str().unwrap().contains("invalid CID"), "{body}");
    // Missing argument.
    let response = http.post(format!("{api}/api/v0/cat")).send().await.unwrap();
    assert_eq!(response.status(), 400);
    // Unknown CID: 404, not a hang and not an empty success.
    let client = ContentClient::new(&api);
    let error = client.cat(&unknown).await.unwrap_err();
    let (status, message) = api_status(&error).expect("an API error");
    assert_eq!(status, 404);
    assert!(message.contains("not found"), "{message}");
    assert_eq!(api_status(&client.block_get(&unknown).await.unwrap_err()).unwrap().0, 404);
    assert_eq!(api_status(&client.pin_add(&unknown).await.unwrap_err()).unwrap().0, 404);
    let (status, message) = api_status(&client.pin_rm(&unknown).await.unwrap_err()).unwrap();
    assert_eq!(status, 400);
    assert!(message.contains("not pinned"), "{message}");
    // The API is POST only, as in kubo.
    assert_eq!(http.get(format!("{api}/api/v0/version")).send().await.unwrap().status(), 405);
    // A non-multipart add.
    let response = http.post(format!("{api}/api/v0/add")).body("x").send().await.unwrap();
    assert_eq!(response.status(), 400);
    // Bad option values.
    let response = http.post(format!("{api}/api/v0/add?cid-version=7")).send().await.unwrap();
    assert_eq!(response.status(), 400);

    let gateway = server.gateway_url();
    assert_eq!(http.get(format!("{gateway}/ipfs/garbage")).send().await.unwrap().status(), 400);
    assert_eq!(http.get(format!("{gateway}/ipfs/{unknown}")).send().await.unwrap().status(), 404);
    assert_eq!(http.get(format!("{gateway}/ipfs/{HELLO_CID}/a/b")).send().await.unwrap().status(), 400);
    assert_eq!(http.get(format!("{gateway}/")).send().await.unwrap().status(), 404);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn corrupted_blocks_are_reported_never_served() {
    let (server, _dir) = start_server(1 << 30).await;
    let client = ContentClient::new(server.api_url());
    let http = reqwest::Client::new();

    // Single-block file: the root itself is corrupted.
    let small = client.add_bytes("small", &b"precious bytes"[..], &AddOptions::default()).await.unwrap();
    let path = server.store().block_path(&small.cid.multihash_digest());
    let mut block = std::fs::read(&path).unwrap();
    *block.last_mut().unwrap() ^= 1;
    std::fs::write(&path, &block).unwrap();
    let (status, message) = api_status(&client.cat(&small.cid).await.unwrap_err()).unwrap();
    assert_eq!(status, 500);
    assert!(message.contains("corrupted"), "{message}");
    assert_eq!(api_status(&client.block_get(&small.cid).await.unwrap_err()).unwrap().0, 500);
    let response = http.get(format!("{}/ipfs/{}", server.gateway_url(), small.cid)).send().await.unwrap();
    assert_eq!(response.status(), 500);
    assert!(response.text().await.unwrap().contains("corrupted"));

    // Multi-block file: a later leaf is corrupted, so the transfer starts and
    // then aborts; the client sees a failure, never a short "success".
    let data = Pattern::new(3 * 262_144).to_vec();
    let big = client
        .add_bytes("big", data.clone(), &AddOptions { cid_version: CidVersion::V1, ..AddOptions::default() })
        .await
        .unwrap();
    let last_leaf = dml_content::cid_v1(&data[2 * 262_144..]);
    let path = server.store().block_path(&last_leaf.multihash_digest());
    let mut block = std::fs::read(&path).unwrap();
    block[100] ^= 0xff;
    std::fs::write(&path, &block).unwrap();
    assert!(client.cat(&big.cid).await.is_err(), "a corrupted leaf must fail the transfer");
    // The part before the bad leaf is still readable by range.
    assert_eq!(client.cat_range(&big.cid, 0, Some(1000)).await.unwrap(), &data[..1000]);
    let gateway = http.get(format!("{}/ipfs/{}", server.gateway_url(), big.cid)).send().await.unwrap();
    assert_eq!(gateway.status(), 200, "headers go out before the bad leaf is reached");
    assert!(gateway.bytes().await.is_err(), "the body is aborted");
    server.shutdown().await.unwrap();
}

/// Sends a multipart upload over raw TCP whose body stops early, then
/// half-closes the connection. Returns the HTTP response text.
fn truncated_upload(addr: std::net::SocketAddr, sent_bytes: usize) -> String {
    let boundary = "dmlboundary";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    );
    let promised = head.len() + 5_000_000 + format!("\r\n--{boundary}--\r\n").len();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST /api/v0/add HTTP/1.1\r\nHost: {addr}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {promised}\r\nConnection: close\r\n\r\n{head}"
    )
    .unwrap();
    let payload = Pattern::new(sent_bytes as u64).to_vec();
    stream.write_all(&payload).unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_upload_leaves_nothing_behind() {
    let (server, _dir) = start_server(1 << 30).await;
    let addr = server.api_addr();
    let response = tokio::task::spawn_blocking(move || truncated_upload(addr, 1_500_000)).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(response.contains("upload interrupted"), "{response}");
    let store_dir = server.store().dir().to_owned();
    assert_eq!(
        files_under(&store_dir.join("blocks")),
        Vec::<std::path::PathBuf>::new(),
        "no block of the cut upload stays"
    );
    assert!(files_under(&store_dir.join("tmp")).is_empty());
    assert!(files_under(&store_dir.join("pins")).is_empty());
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn oversized_upload_is_refused_and_nothing_stored() {
    let (server, _dir) = start_server(1_000_000).await;
    let client = ContentClient::new(server.api_url());
    let error = client.add_bytes("big", Pattern::new(3_000_000).to_vec(), &AddOptions::default()).await.unwrap_err();
    let (status, message) = api_status(&error).unwrap_or_else(|| panic!("{error}"));
    assert_eq!(status, 413);
    assert!(message.contains("upload limit"), "{message}");
    assert!(files_under(&server.store().dir().join("blocks")).is_empty());
    // Just under the limit is fine.
    let ok = client.add_bytes("ok", Pattern::new(999_000).to_vec(), &AddOptions::default()).await.unwrap();
    assert_eq!(ok.cid, Pattern::new(999_000).dag_root(DagOptions::V0).cid);
    server.shutdown().await.unwrap();
}

/// The size of each write the raw uploads below make, as kubo's clients,
/// Python's `http.client` and many others do.
const WRITE_PIECE: usize = 64 * 1024;

const BOUNDARY: &str = "dmlboundary";

/// The head of a multipart upload to `/api/v0/add` with a `length`-byte body.
fn upload_head(addr: std::net::SocketAddr, length: usize) -> String {
    format!(
        "POST /api/v0/add HTTP/1.1\r\nHost: {addr}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {length}\r\n\r\n"
    )
}

/// The head of the multipart part of a file.
fn part_head(name: &str) -> String {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
}

/// A whole multipart body with one part per file.
fn multipart_body(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, data) in files {
        body.extend_from_slice(part_head(name).as_bytes());
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Reads a response until the server closes the connection; returns its
/// status, its headers (in lower case) and its body.
fn read_response(stream: &mut std::net::TcpStream) -> (u16, String, serde_json::Value) {
    stream.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).expect("the server answers and closes the connection");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("not an HTTP response: {text:?}"));
    let status = head.get(9..12).and_then(|code| code.parse().ok()).unwrap_or_else(|| panic!("{head}"));
    (status, head.to_ascii_lowercase(), serde_json::from_str(body).unwrap_or(serde_json::Value::Null))
}

/// Uploads `body` the way most clients do: the head, then the body in
/// [`WRITE_PIECE`] writes, and only once it is all written the answer.
/// Panics if a write fails: that is the server closing on a client still
/// sending an upload it should have drained (a broken pipe, no 413 seen).
fn upload_in_pieces(addr: std::net::SocketAddr, body: &[u8]) -> (u16, String, serde_json::Value) {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.write_all(upload_head(addr, body.len()).as_bytes()).unwrap();
    for (index, piece) in body.chunks(WRITE_PIECE).enumerate() {
        if let Err(error) = stream.write_all(piece) {
            panic!("write of piece {index} ({} of {} bytes sent) failed: {error}", index * WRITE_PIECE, body.len());
        }
    }
    read_response(&mut stream)
}

/// A 413 in kubo's error shape for the oversized file; the server closes.
fn assert_refused_as_too_large((status, head, body): &(u16, String, serde_json::Value), name: &str) {
    assert_eq!(*status, 413, "{head}");
    assert!(body["Message"].as_str().unwrap().contains(&format!("file {name:?} exceeds the upload limit")), "{body}");
    assert_eq!(body["Code"], 1);
    assert!(head.contains("\r\nconnection: close"), "{head}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_upload_written_in_pieces_gets_413_every_time() {
    let (server, _dir) = start_server(1_000_000).await;
    let addr = server.api_addr();
    let client = ContentClient::new(server.api_url());

    // A 6 MB file against a 1 MB limit, written in 64 KB pieces with the
    // answer read only afterwards: the server reads and drops the rest of
    // the upload, then answers, so no write fails and the 413 is read.
    let big = multipart_body(&[("big", Pattern::new(6_000_000).to_vec())]);
    for _ in 0..5 {
        let body = big.clone();
        let response = tokio::task::spawn_blocking(move || upload_in_pieces(addr, &body)).await.unwrap();
        assert_refused_as_too_large(&response, "big");
    }
    // An oversized file with another after it: the drain reads through both.
    let two = multipart_body(&[("big", Pattern::new(3_000_000).to_vec()), ("small", b"small".to_vec())]);
    let response = tokio::task::spawn_blocking(move || upload_in_pieces(addr, &two)).await.unwrap();
    assert_refused_as_too_large(&response, "big");

    // Nothing of them was stored, and the API serves on.
    assert!(files_under(&server.store().dir().join("blocks")).is_empty());
    let ok = client.add_bytes("ok", Pattern::new(999_000).to_vec(), &AddOptions::default()).await.unwrap();
    assert_eq!(ok.cid, Pattern::new(999_000).dag_root(DagOptions::V0).cid);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_far_beyond_the_drain_bound_is_cut_off_and_the_server_keeps_serving() {
    let (server, _dir) = start_server(1_000_000).await;
    let addr = server.api_addr();
    let client = ContentClient::new(server.api_url());

    // A 1 GiB upload, written without end while the client reads: the
    // server reads the limit and then drops up to its drain bound, answers
    // 413 and closes with bytes still arriving. What is certain is that the
    // client's writes then fail, long before the 1 GiB; whether it read the
    // 413 before the reset is a race (a client that keeps writing past the
    // bound may not see the answer).
    let (written, read) = tokio::task::spawn_blocking(move || {
        let size = 1 << 30;
        let head = part_head("huge");
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        let mut reader = stream.try_clone().unwrap();
        let reading = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = reader.read_to_end(&mut bytes); // ends with EOF or a reset
            bytes
        });
        let length = head.len() + size + format!("\r\n--{BOUNDARY}--\r\n").len();
        stream.write_all(format!("{}{head}", upload_head(addr, length)).as_bytes()).unwrap();
        let piece = vec![7u8; WRITE_PIECE];
        let mut written = 0;
        while written < size && stream.write_all(&piece).is_ok() {
            written += WRITE_PIECE;
        }
        let _ = stream.shutdown(std::net::Shutdown::Both);
        (written, reading.join().unwrap())
    })
    .await
    .unwrap();
    assert!(written < 1 << 30, "the server read all of a 1 GiB upload");
    assert!(written > 1_000_000, "cut off after {written} bytes, before the limit");
    let read = String::from_utf8_lossy(&read);
    assert!(read.is_empty() || read.starts_with("HTTP/1.1 413"), "{read}");

    // Nothing was stored, and the API serves on.
    assert!(files_under(&server.store().dir().join("blocks")).is_empty());
    let ok = client.add_bytes("ok", &b"still serving"[..], &AddOptions::default()).await.unwrap();
    assert_eq!(ok.cid, dml_content::cid_v0(b"still serving"));
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_oversized_upload_is_answered_after_the_drain_time() {
    let (server, _dir) = start_server(1_000_000).await;
    let addr = server.api_addr();
    let client = ContentClient::new(server.api_url());

    // A 6 MB file declared, 2 MB of it sent, then nothing: past the limit
    // the server waits for the rest up to the drain time, then answers 413
    // and closes. Everything sent was read, so the answer arrives intact.
    let started = std::time::Instant::now();
    let stalled = tokio::task::spawn_blocking(move || {
        let head = part_head("stalled");
        let length = head.len() + 6_000_000 + format!("\r\n--{BOUNDARY}--\r\n").len();
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.write_all(format!("{}{head}", upload_head(addr, length)).as_bytes()).unwrap();
        stream.write_all(&Pattern::new(2_000_000).to_vec()).unwrap();
        read_response(&mut stream)
    });
    // Meanwhile the API serves others.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let ok = client.add_bytes("ok", &b"still serving"[..], &AddOptions::default()).await.unwrap();
    assert_eq!(ok.cid, dml_content::cid_v0(b"still serving"));
    let response = stalled.await.unwrap();
    let waited = started.elapsed();
    assert_refused_as_too_large(&response, "stalled");
    assert!(waited >= OVERSIZED_DRAIN_TIME, "answered after {waited:?}");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn pins_and_garbage_collection_through_the_api() {
    let (server, _dir) = start_server(1 << 30).await;
    let client = ContentClient::new(server.api_url());
    let keep_data = Pattern::new(700_000).to_vec();
    let mut drop_data = keep_data.clone();
    drop_data[100] ^= 1; // shares every leaf but the first with `keep`
    let keep = client.add_bytes("keep", keep_data.clone(), &AddOptions::default()).await.unwrap();
    let unpinned =
        client.add_bytes("drop", drop_data.clone(), &AddOptions { pin: false, ..AddOptions::default() }).await.unwrap();
    let hashed = client
        .add_bytes("hash", &b"only hashed"[..], &AddOptions { only_hash: true, ..AddOptions::default() })
        .await
        .unwrap();
    assert_eq!(hashed.cid, dml_content::cid_v0(b"only hashed"));
    assert_eq!(api_status(&client.cat(&hashed.cid).await.unwrap_err()).unwrap().0, 404, "only-hash stores nothing");
    assert_eq!(client.pin_ls().await.unwrap(), vec![keep.cid]);

    // keep: 3 leaves + root; drop adds its own first leaf and root.
    assert_eq!(client.repo_gc().await.unwrap(), 2);
    assert_eq!(client.cat(&keep.cid).await.unwrap(), keep_data);
    assert_eq!(api_status(&client.cat(&unpinned.cid).await.unwrap_err()).unwrap().0, 404);

    client.pin_rm(&keep.cid).await.unwrap();
    assert!(client.pin_ls().await.unwrap().is_empty());
    assert_eq!(client.repo_gc().await.unwrap(), 4);
    assert!(files_under(&server.store().dir().join("blocks")).is_empty());

    // Re-adding without pin, then pinning explicitly.
    let again =
        client.add_bytes("again", keep_data, &AddOptions { pin: false, ..AddOptions::default() }).await.unwrap();
    client.pin_add(&again.cid).await.unwrap();
    client.pin_add(&again.cid).await.unwrap();
    assert_eq!(client.pin_ls().await.unwrap(), vec![again.cid]);
    assert_eq!(client.repo_gc().await.unwrap(), 0);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn client_reports_unreachable_servers_and_wrong_content() {
    // Nothing listens on this port once the listener is dropped.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = ContentClient::new(format!("http://127.0.0.1:{port}"));
    assert!(matches!(client.version().await, Err(ClientError::Transport { .. })));

    // A server that returns other bytes than the CID names is caught by cat_verified.
    let (server, _dir) = start_server(1 << 30).await;
    let client = ContentClient::new(server.api_url());
    let added = client.add_bytes("a", &b"original"[..], &AddOptions::default()).await.unwrap();
    let other: Cid = dml_content::cid_v0(b"another");
    // Store the block of "original" under the digest of "another".
    let block = std::fs::read(server.store().block_path(&added.cid.multihash_digest())).unwrap();
    let forged = server.store().block_path(&other.multihash_digest());
    std::fs::create_dir_all(forged.parent().unwrap()).unwrap();
    std::fs::write(&forged, block).unwrap();
    // Our server refuses to serve it at all (verify on read) …
    assert_eq!(api_status(&client.cat(&other).await.unwrap_err()).unwrap().0, 500);
    server.shutdown().await.unwrap();

    // … and a node that does serve wrong bytes is caught by cat_verified.
    let lying = axum::Router::new().route("/api/v0/cat", axum::routing::post(|| async { "tampered output" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, lying).await });
    let client = ContentClient::new(format!("http://{addr}"));
    match client.cat_verified(&other).await {
        Err(ClientError::CidMismatch { expected, actual }) => {
            assert_eq!(expected, other);
            assert_eq!(actual, dml_content::cid_v0(b"tampered output"));
        }
        unexpected => panic!("expected a CID mismatch, got {unexpected:?}"),
    }
}
