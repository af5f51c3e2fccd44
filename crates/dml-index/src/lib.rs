//! The DML indexer: follows any chain that hosts the engine over JSON-RPC,
//! stores every engine, token and governor event in SQLite (re-org safe to a
//! configured depth, resuming exactly where it stopped), and serves a read
//! API for the explorer and the web page.
//!
//! [`spawn`] runs both: the follower (see [`follow`]) writing through one
//! connection, the API (see [`api`]) reading through another.

pub mod api;
pub mod events;
pub mod follow;
pub mod queries;
pub mod store;

use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::{Arc, Mutex},
};

use alloy_primitives::Address;
pub use follow::{discover_contracts, Contracts, FollowConfig, FollowError, Health, SharedHealth};
pub use store::{Store, StoreError};

/// Errors starting the indexer.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// Finding the contracts or reaching the node failed.
    #[error(transparent)]
    Follow(#[from] FollowError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The API's address could not be bound.
    #[error("api address {address}: {source}")]
    Bind {
        /// What was asked for.
        address: SocketAddr,
        /// Why not.
        source: std::io::Error,
    },
}

/// How to run the indexer.
#[derive(Debug, Clone)]
pub struct IndexConfig {
    /// The chain's JSON-RPC URL.
    pub rpc_url: String,
    /// The database file; `None` keeps it in memory.
    pub db: Option<PathBuf>,
    /// Where the API listens.
    pub api_address: SocketAddr,
    /// Contract overrides (else asked from the node).
    pub engine: Option<Address>,
    /// DML token override.
    pub token: Option<Address>,
    /// Governor override.
    pub governor: Option<Address>,
    /// Deepest re-org handled.
    pub reorg_depth: u64,
    /// Blocks per stored batch.
    pub batch_blocks: u64,
    /// Poll interval once caught up.
    pub poll_interval: std::time::Duration,
}

impl IndexConfig {
    /// Defaults for `rpc_url`: in memory, API on a free loopback port,
    /// re-orgs to 64 blocks, batches of 500, polls every 250 ms.
    pub fn new(rpc_url: impl Into<String>) -> IndexConfig {
        IndexConfig {
            rpc_url: rpc_url.into(),
            db: None,
            api_address: SocketAddr::from(([127, 0, 0, 1], 0)),
            engine: None,
            token: None,
            governor: None,
            reorg_depth: 64,
            batch_blocks: 500,
            poll_interval: std::time::Duration::from_millis(250),
        }
    }
}

/// A running indexer.
pub struct IndexHandle {
    /// Where the API listens.
    pub api_address: SocketAddr,
    /// The follower's health.
    pub health: SharedHealth,
    /// The follower task; ends only on an unrecoverable error.
    pub follower: tokio::task::JoinHandle<FollowError>,
    /// The API server task.
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl IndexHandle {
    /// The API's base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.api_address)
    }
}

impl Drop for IndexHandle {
    fn drop(&mut self) {
        self.follower.abort();
        self.server.abort();
    }
}

/// Opens the database, finds the contracts and starts following and serving.
pub async fn spawn(config: IndexConfig) -> Result<IndexHandle, IndexError> {
    let contracts = follow::discover_contracts(&config.rpc_url, config.engine, config.token, config.governor).await?;
    let identity = contracts.identity();
    let (engine, token, governor) = (contracts.engine, contracts.token, contracts.governor);
    let (writer, reader) = match &config.db {
        Some(path) => (Store::open(path)?, Store::open(path)?),
        None => {
            // Two connections to one in-memory database need a shared cache
            // name; a file in a temp dir is simpler and behaves like disk.
            let store = Store::in_memory()?;
            let shared = Arc::new(Mutex::new(store));
            return start(config, shared.clone(), shared, &identity, engine, token, governor).await;
        }
    };
    start(config, Arc::new(Mutex::new(writer)), Arc::new(Mutex::new(reader)), &identity, engine, token, governor).await
}

async fn start(
    config: IndexConfig,
    writer: Arc<Mutex<Store>>,
    reader: Arc<Mutex<Store>>,
    identity: &str,
    engine: Address,
    token: Address,
    governor: Option<Address>,
) -> Result<IndexHandle, IndexError> {
    writer.lock().unwrap().bind(identity)?;
    let health: SharedHealth = Arc::default();
    health.lock().unwrap().indexed_block = writer.lock().unwrap().head()?.map(|b| b.number);
    let follow_config = FollowConfig {
        rpc_url: config.rpc_url.clone(),
        engine,
        token,
        governor,
        reorg_depth: config.reorg_depth,
        batch_blocks: config.batch_blocks.max(1),
        poll_interval: config.poll_interval,
        max_backoff: std::time::Duration::from_secs(10),
    };
    let follower = follow::Follower::new(follow_config, writer, health.clone())?;
    let listener = tokio::net::TcpListener::bind(config.api_address)
        .await
        .map_err(|source| IndexError::Bind { address: config.api_address, source })?;
    let api_address =
        listener.local_addr().map_err(|source| IndexError::Bind { address: config.api_address, source })?;
    tracing::info!(%api_address, identity, "indexer api listening");
    let chain = Some(follow::ChainReader::new(&config.rpc_url, engine)?);
    let router = api::router(api::ApiState { store: reader, health: health.clone(), chain });
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let follower = tokio::spawn(follower.run());
    Ok(IndexHandle { api_address, health, follower, server })
}
