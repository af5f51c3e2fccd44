//! The running node: opens the chain, starts the miner thread and the
//! JSON-RPC server over the [`Shared`] state, and stops them.

use std::{
    net::SocketAddr,
    sync::{mpsc, Arc},
    thread::JoinHandle,
    time::Instant,
};

use tokio::sync::watch;

use crate::{
    chain::Chain,
    config::NodeConfig,
    rpc,
    shared::{MinerSignal, MiningMode, Shared},
    ChainError,
};

/// A started node. Dropping it does not stop it; call [`NodeHandle::shutdown`].
pub struct NodeHandle {
    /// Where JSON-RPC listens.
    pub rpc_address: SocketAddr,
    shared: Arc<Shared>,
    stop_server: watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
    miner: Option<JoinHandle<()>>,
}

impl NodeHandle {
    /// `http://127.0.0.1:PORT`.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.rpc_address)
    }

    /// `ws://127.0.0.1:PORT`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.rpc_address)
    }

    /// The shared state (for in-process inspection).
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Stops serving, lets the miner finish its block, and returns once both are done.
    pub async fn shutdown(mut self) {
        let _ = self.stop_server.send(true);
        let _ = (&mut self.server).await;
        self.shared.signal(MinerSignal::Stop);
        if let Some(miner) = self.miner.take() {
            let _ = tokio::task::spawn_blocking(move || miner.join()).await;
        }
    }
}

/// Opens the chain, starts the miner and the JSON-RPC server.
pub async fn spawn(config: NodeConfig) -> Result<NodeHandle, ChainError> {
    let chain = {
        let genesis = config.genesis.clone();
        let data_dir = config.data_dir.clone();
        tokio::task::spawn_blocking(move || Chain::open(&genesis, data_dir.as_deref()))
            .await
            .map_err(|error| ChainError::Config(format!("opening the chain panicked: {error}")))??
    };
    let (miner_tx, miner_rx) = mpsc::channel();
    let mining = MiningMode { automine: config.block_time.is_none(), interval: config.block_time };
    let shared = Arc::new(Shared::new(chain, miner_tx, mining, config.max_request_bytes));
    let listener = tokio::net::TcpListener::bind(config.rpc_address)
        .await
        .map_err(|error| ChainError::Rpc(format!("cannot listen on {}: {error}", config.rpc_address)))?;
    let rpc_address = listener.local_addr().map_err(|error| ChainError::Rpc(error.to_string()))?;
    let miner = {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("dml-miner".into())
            .spawn(move || miner_loop(&shared, &miner_rx))
            .map_err(|error| ChainError::Rpc(format!("cannot start the miner: {error}")))?
    };
    let (stop_server, mut stopped) = watch::channel(false);
    let router = rpc::server::router(shared.clone());
    let server = tokio::spawn(async move {
        let shutdown = async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        };
        if let Err(error) = axum::serve(listener, router).with_graceful_shutdown(shutdown).await {
            tracing::error!(%error, "JSON-RPC server stopped");
        }
    });
    tracing::info!(%rpc_address, "dev chain listening");
    Ok(NodeHandle { rpc_address, shared, stop_server, server, miner: Some(miner) })
}

/// Mines on an interval when the mining mode has one, and what is pooled
/// when automine is switched on; re-reads the mode when told. (Under
/// automine a transaction is mined by the thread that received it: see
/// [`Shared::transaction_added`].)
fn miner_loop(shared: &Shared, signals: &mpsc::Receiver<MinerSignal>) {
    let mut mode = shared.mining();
    let mut next_tick = mode.interval.map(|interval| Instant::now() + interval);
    loop {
        let signal = match next_tick {
            Some(deadline) => match signals.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(signal) => Some(signal),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            },
            None => match signals.recv() {
                Ok(signal) => Some(signal),
                Err(_) => return,
            },
        };
        match signal {
            Some(MinerSignal::Stop) => return,
            Some(MinerSignal::Reconfigure) => {
                mode = shared.mining();
                next_tick = mode.interval.map(|interval| Instant::now() + interval);
                if mode.automine {
                    shared.mine_ready();
                }
            }
            None => {
                if let Err(error) = shared.mine_blocks(1, None, None) {
                    tracing::error!(%error, "interval mining failed");
                }
                next_tick = mode.interval.map(|interval| Instant::now() + interval);
            }
        }
    }
}
