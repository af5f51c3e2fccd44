//! Throughput of dml-content, as a table with ratios to baselines measured
//! in the same run: plain sha2-256 over the same bytes, `openssl dgst
//! -sha256` over the same file, the independent CID tools if installed, and
//! add/cat through the HTTP API and the gateway.
//!
//! `cargo run --release -p dml-content --bin dml-content-bench [-- SIZE_MIB]`
//! (default 256 MiB; add `--features asm` to try the assembly sha256).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use dml_content::{AddOptions, CidVersion, ContentClient, ContentServer, DagBuilder, DagOptions, ServerConfig};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

struct Row {
    name: String,
    seconds: f64,
    note: String,
}

fn mb_per_s(bytes: u64, seconds: f64) -> f64 {
    bytes as f64 / 1e6 / seconds
}

/// Best of `runs` timings of `work`, to dampen noise on a shared machine.
fn best_of<T>(runs: usize, mut work: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let value = work();
        best = best.min(start.elapsed().as_secs_f64());
        last = Some(value);
    }
    (best, last.expect("at least one run"))
}

fn time_command(program: &str, args: &[&str]) -> Option<(f64, String)> {
    let mut best = f64::INFINITY;
    let mut output = String::new();
    for _ in 0..3 {
        let start = Instant::now();
        let result = Command::new(program).args(args).output().ok()?;
        if !result.status.success() {
            return None;
        }
        best = best.min(start.elapsed().as_secs_f64());
        output = String::from_utf8_lossy(&result.stdout).trim().to_owned();
    }
    Some((best, output))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let size_mib: u64 = std::env::args().nth(1).map(|arg| arg.parse()).transpose()?.unwrap_or(256);
    let bytes_len = size_mib << 20;
    let work_dir = std::env::temp_dir().join(format!("dml-content-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work_dir)?;
    let result = run(bytes_len, &work_dir);
    let _ = std::fs::remove_dir_all(&work_dir);
    result
}

fn run(bytes_len: u64, work_dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    // Pseudo-random content (xorshift), so no leaf repeats.
    let mut data = vec![0u8; bytes_len as usize];
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for word in data.chunks_mut(8) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        word.copy_from_slice(&state.to_le_bytes()[..word.len()]);
    }
    let file_path: PathBuf = work_dir.join("input.bin");
    std::fs::File::create(&file_path)?.write_all(&data)?;
    let file_arg = file_path.to_str().ok_or("temp path is not UTF-8")?;
    let mut rows = Vec::new();

    let (sha_seconds, _) = best_of(3, || Sha256::digest(&data));
    rows.push(Row { name: "sha2-256 (plain, in memory)".into(), seconds: sha_seconds, note: "baseline".into() });

    let mut v0_cid = None;
    for (name, options) in [("CIDv0 (in memory)", DagOptions::V0), ("CIDv1 raw leaves (in memory)", DagOptions::V1)] {
        let (seconds, root) = best_of(3, || {
            let mut builder = DagBuilder::hash_only(options);
            let Ok(()) = builder.write(&data);
            let Ok((root, _)) = builder.finish();
            root
        });
        if options == DagOptions::V0 {
            v0_cid = Some(root.cid);
        }
        rows.push(Row { name: name.into(), seconds, note: root.cid.to_string() });
    }
    let v0_cid = v0_cid.expect("computed above");

    let (seconds, root) = best_of(3, || {
        dml_content::dag_root_of_reader(std::fs::File::open(&file_path).expect("bench file"), DagOptions::V0)
            .expect("read bench file")
    });
    assert_eq!(root.cid, v0_cid);
    rows.push(Row { name: "CIDv0 of the file (read + hash, `dml cid`)".into(), seconds, note: String::new() });

    let openssl = time_command("openssl", &["dgst", "-sha256", file_arg]);
    if let Some((seconds, _)) = &openssl {
        rows.push(Row { name: "openssl dgst -sha256 (file)".into(), seconds: *seconds, note: "reference".into() });
    }
    if let Some((seconds, output)) = time_command("ipfs_cid", &[file_arg]) {
        let agrees = output.contains(&v0_cid.to_string());
        rows.push(Row { name: "Debian ipfs_cid (file)".into(), seconds, note: format!("same CIDv0: {agrees}") });
    }
    let npm_dir = std::env::var_os("DML_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../.ci-cache"))
        .join("content-npm");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/unixfs_import.mjs");
    if npm_dir.join("node_modules/ipfs-unixfs-importer").is_dir() {
        let spec = format!("[{{\"file\":{}}}]", serde_json::to_string(file_arg)?);
        let args = [script.to_str().ok_or("path")?, npm_dir.to_str().ok_or("path")?, spec.as_str()];
        if let Some((seconds, output)) = time_command("node", &args) {
            let agrees = output.contains(&v0_cid.to_string());
            rows.push(Row {
                name: "npm ipfs-unixfs-importer (file)".into(),
                seconds,
                note: format!("same CIDv0: {agrees}"),
            });
        }
    }

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let http_rows = runtime.block_on(http_bench(&file_path, work_dir, v0_cid))?;
    rows.extend(http_rows);

    let openssl_seconds = openssl.map(|(seconds, _)| seconds);
    println!(
        "dml-content bench: {} MiB, sha2 backend: {}, CPU SHA extensions: {}",
        bytes_len >> 20,
        if cfg!(feature = "asm") { "sha2-asm" } else { "sha2 (intrinsics, runtime-detected)" },
        if sha_extensions() { "yes" } else { "no" },
    );
    println!("| what | MB/s | × sha2-256 | × openssl | note |");
    println!("| --- | ---: | ---: | ---: | --- |");
    for row in rows {
        let speed = mb_per_s(bytes_len, row.seconds);
        let vs_openssl = openssl_seconds.map_or("-".to_owned(), |seconds| format!("{:.2}", seconds / row.seconds));
        println!("| {} | {speed:.0} | {:.2} | {vs_openssl} | {} |", row.name, sha_seconds / row.seconds, row.note);
    }
    Ok(())
}

async fn http_bench(
    file_path: &Path,
    work_dir: &Path,
    v0_cid: dml_content::Cid,
) -> Result<Vec<Row>, Box<dyn std::error::Error>> {
    let config = ServerConfig {
        api_addr: "127.0.0.1:0".parse()?,
        gateway_addr: "127.0.0.1:0".parse()?,
        data_dir: work_dir.join("store"),
        max_upload_bytes: u64::MAX,
    };
    let server = ContentServer::start(&config).await?;
    let client = ContentClient::new(server.api_url());
    let mut rows = Vec::new();

    let start = Instant::now();
    let added = client.add_file(file_path, &AddOptions::default()).await?;
    let add_seconds = start.elapsed().as_secs_f64();
    assert_eq!(added.cid, v0_cid, "the API computes the same CID");
    rows.push(Row {
        name: "HTTP API add (new blocks, one syncfs, pinned)".into(),
        seconds: add_seconds,
        note: String::new(),
    });

    let start = Instant::now();
    client.add_file(file_path, &AddOptions::default()).await?;
    rows.push(Row {
        name: "HTTP API add (blocks already stored)".into(),
        seconds: start.elapsed().as_secs_f64(),
        note: String::new(),
    });

    let start = Instant::now();
    client
        .add_file(file_path, &AddOptions { cid_version: CidVersion::V1, only_hash: true, ..AddOptions::default() })
        .await?;
    rows.push(Row {
        name: "HTTP API add --only-hash (v1)".into(),
        seconds: start.elapsed().as_secs_f64(),
        note: String::new(),
    });

    let mut best = Duration::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        let mut stream = std::pin::pin!(client.cat_stream(&added.cid, 0, None).await?);
        while let Some(piece) = stream.next().await {
            piece?;
        }
        best = best.min(start.elapsed());
    }
    rows.push(Row { name: "HTTP API cat (verified reads)".into(), seconds: best.as_secs_f64(), note: String::new() });

    let mut best = Duration::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        let response = reqwest::get(format!("{}/ipfs/{}", server.gateway_url(), added.cid)).await?;
        let mut body = response.bytes_stream();
        while let Some(piece) = body.next().await {
            piece?;
        }
        best = best.min(start.elapsed());
    }
    rows.push(Row { name: "gateway GET /ipfs/{cid}".into(), seconds: best.as_secs_f64(), note: String::new() });
    server.shutdown().await?;
    Ok(rows)
}

fn sha_extensions() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("sha")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}
