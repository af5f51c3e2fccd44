//! `dml cid` (the CID `ipfs add` would print for a file) and
//! `dml content serve` (the kubo-compatible API and gateway on their own).

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use dml_content::{CidVersion, ContentServer, DagOptions, ServerConfig};

/// Arguments of `dml cid`.
#[derive(Debug, Args)]
pub struct CidArgs {
    /// File to hash (`-` reads standard input).
    pub file: PathBuf,
    /// CID version: 0 as `ipfs add` prints by default, 1 as
    /// `ipfs add --cid-version 1` (raw leaves).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=1))]
    pub cid_version: u8,
    /// Print JSON: {"cid", "file_size", "cumulative_size", "blocks"}.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `dml content`.
#[derive(Debug, Args)]
pub struct ContentArgs {
    #[command(subcommand)]
    command: ContentCommand,
}

#[derive(Debug, Subcommand)]
enum ContentCommand {
    /// Serve the kubo-compatible RPC API and the read-only gateway until Ctrl-C.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Port of the kubo-compatible API on 127.0.0.1.
    #[arg(long, default_value_t = 5001, env = "DML_API_PORT")]
    api_port: u16,
    /// Port of the gateway on 127.0.0.1.
    #[arg(long, default_value_t = 8080, env = "DML_GATEWAY_PORT")]
    gateway_port: u16,
    /// Directory of the block store (default: $HOME/.dml/content).
    #[arg(long, env = "DML_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Largest file `add` accepts, in bytes.
    #[arg(long, default_value_t = ServerConfig::default().max_upload_bytes)]
    max_upload_bytes: u64,
    /// Print the effective configuration as JSON and exit.
    #[arg(long)]
    print_config: bool,
    /// Print the listening addresses as one JSON line once ready.
    #[arg(long)]
    json: bool,
}

/// Runs `dml cid`.
pub fn run_cid(args: CidArgs) -> anyhow::Result<()> {
    let version = if args.cid_version == 1 { CidVersion::V1 } else { CidVersion::V0 };
    let options = DagOptions::from_flags(version, None);
    let root = if args.file.as_os_str() == "-" {
        dml_content::dag_root_of_reader(std::io::stdin().lock(), options).context("reading standard input")?
    } else {
        let file = std::fs::File::open(&args.file).with_context(|| format!("cannot open {}", args.file.display()))?;
        dml_content::dag_root_of_reader(BufferlessFile(file), options)
            .with_context(|| format!("reading {}", args.file.display()))?
    };
    if args.json {
        let reply = serde_json::json!({
            "cid": root.cid.to_string(),
            "file_size": root.file_size,
            "cumulative_size": root.tree_size,
            "blocks": root.block_count,
        });
        println!("{reply}");
    } else {
        println!("{}", root.cid);
    }
    Ok(())
}

/// A file read straight into the hasher's buffer (no `BufReader` copy).
struct BufferlessFile(std::fs::File);

impl Read for BufferlessFile {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(out)
    }
}

/// Runs `dml content …`.
pub fn run(args: ContentArgs) -> anyhow::Result<()> {
    match args.command {
        ContentCommand::Serve(serve) => run_serve(serve),
    }
}

fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    let data_dir = args.data_dir.unwrap_or_else(|| {
        std::env::var_os("HOME")
            .map(|home| PathBuf::from(home).join(".dml/content"))
            .unwrap_or_else(|| PathBuf::from("dml-content"))
    });
    let config = ServerConfig {
        api_addr: SocketAddr::from(([127, 0, 0, 1], args.api_port)),
        gateway_addr: SocketAddr::from(([127, 0, 0, 1], args.gateway_port)),
        data_dir,
        max_upload_bytes: args.max_upload_bytes,
    };
    if args.print_config {
        println!("{}", serde_json::to_string_pretty(&config)?);
        return Ok(());
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let server = ContentServer::start(&config).await?;
        if args.json {
            let ready = serde_json::json!({
                "api": server.api_url(),
                "gateway": server.gateway_url(),
                "data_dir": config.data_dir,
            });
            println!("{ready}");
        } else {
            println!("API      {}", server.api_url());
            println!("gateway  {}", server.gateway_url());
            println!("data dir {}", config.data_dir.display());
        }
        tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
        tracing::info!("shutting down");
        server.shutdown().await?;
        anyhow::Ok(())
    })
}
