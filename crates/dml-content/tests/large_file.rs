//! A file larger than 100 MB through the HTTP API and the gateway, checking
//! CIDs against the streaming hasher and that memory stays bounded. Alone in
//! its test binary so the process's peak RSS measures this test only.

mod support;

use std::io::Write;

use dml_content::{AddOptions, CidVersion, ContentClient, DagOptions};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use support::{peak_rss_kib, start_server, Pattern};

const FILE_BYTES: u64 = 160 * 1024 * 1024 + 12_345;
/// Far below the file size: the file must never be held whole in memory.
const MEMORY_BUDGET_KIB: u64 = 96 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_file_round_trips_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.bin");
    let pattern = Pattern::new(FILE_BYTES);
    let mut expected_sha = Sha256::new();
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        pattern.for_each_block(|piece| {
            expected_sha.update(piece);
            file.write_all(piece).unwrap();
        });
        file.flush().unwrap();
    }
    let expected_sha: [u8; 32] = expected_sha.finalize().into();
    let expected_v0 = pattern.dag_root(DagOptions::V0);
    let expected_v1 = pattern.dag_root(DagOptions::V1);
    let baseline_kib = peak_rss_kib();

    let (server, _store_dir) = start_server(1 << 40).await;
    let client = ContentClient::new(server.api_url());
    let added = client.add_file(&path, &AddOptions::default()).await.unwrap();
    assert_eq!(added.cid, expected_v0.cid);
    assert_eq!(added.tree_size, expected_v0.tree_size);
    assert_eq!(added.name, "large.bin");
    let added_v1 =
        client.add_file(&path, &AddOptions { cid_version: CidVersion::V1, ..AddOptions::default() }).await.unwrap();
    assert_eq!(added_v1.cid, expected_v1.cid);

    // cat through the API, streamed and hashed as it arrives.
    let mut stream = std::pin::pin!(client.cat_stream(&added.cid, 0, None).await.unwrap());
    let mut sha = Sha256::new();
    let mut received = 0u64;
    while let Some(piece) = stream.next().await {
        let piece = piece.unwrap();
        received += piece.len() as u64;
        sha.update(&piece);
    }
    assert_eq!(received, FILE_BYTES);
    assert_eq!(<[u8; 32]>::from(sha.finalize()), expected_sha);

    // The v1 DAG through the gateway, to a file.
    let out_path = dir.path().join("out.bin");
    let response = reqwest::get(format!("{}/ipfs/{}", server.gateway_url(), added_v1.cid)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.content_length(), Some(FILE_BYTES));
    let mut out = std::fs::File::create(&out_path).unwrap();
    let mut body = response.bytes_stream();
    while let Some(piece) = body.next().await {
        out.write_all(&piece.unwrap()).unwrap();
    }
    drop(out);
    let written_cid = dml_content::dag_root_of_reader(std::fs::File::open(&out_path).unwrap(), DagOptions::V1).unwrap();
    assert_eq!(written_cid.cid, added_v1.cid);

    // A range deep inside (crossing a chunk boundary).
    let start = 100 * 1024 * 1024 - 10;
    let response = reqwest::Client::new()
        .get(format!("{}/ipfs/{}", server.gateway_url(), added.cid))
        .header("range", format!("bytes={start}-{}", start + 99))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 206);
    let bytes = response.bytes().await.unwrap();
    let mut expected = Vec::new();
    let mut offset = 0u64;
    pattern.for_each_block(|piece| {
        let end = offset + piece.len() as u64;
        if end > start && offset < start + 100 {
            let from = start.saturating_sub(offset) as usize;
            let to = ((start + 100).min(end) - offset) as usize;
            expected.extend_from_slice(&piece[from..to]);
        }
        offset = end;
    });
    assert_eq!(bytes.as_ref(), expected.as_slice());

    if let (Some(before), Some(after)) = (baseline_kib, peak_rss_kib()) {
        eprintln!("peak RSS: {before} KiB before the transfers, {after} KiB after");
        assert!(
            after < before + MEMORY_BUDGET_KIB,
            "peak RSS grew by {} KiB moving a {} MiB file",
            after - before,
            FILE_BYTES >> 20
        );
    }
    server.shutdown().await.unwrap();
}
