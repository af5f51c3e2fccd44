//! The running node: the chain behind a mutex, the miner thread, the
//! JSON-RPC server, and the broadcast of new blocks to subscribers.

use std::{
    net::SocketAddr,
    sync::{mpsc, Arc, Mutex, MutexGuard},
    thread::JoinHandle,
    time::{Duration, Instant},
};

use alloy_rpc_types_eth::Log;
use serde_json::Value;
use tokio::sync::{broadcast, watch};

use crate::{chain::Chain, config::NodeConfig, rpc, ChainError};

/// A mined block as subscribers see it.
#[derive(Clone, Debug)]
pub struct BlockEvent {
    /// The header in `newHeads` form.
    pub header: Value,
    /// Every log of the block.
    pub logs: Vec<Log>,
}

enum MinerSignal {
    Wake,
    Stop,
}

/// State shared by the RPC handlers and the miner.
pub struct Shared {
    chain: Mutex<Chain>,
    /// The chain id (fixed for the node's life).
    pub chain_id: u64,
    events: broadcast::Sender<Arc<BlockEvent>>,
    miner: Mutex<mpsc::Sender<MinerSignal>>,
    automine: bool,
    /// Largest request body accepted.
    pub max_request_bytes: usize,
}

impl Shared {
    /// Locks the chain.
    pub fn chain(&self) -> MutexGuard<'_, Chain> {
        // A panic while holding the lock leaves the chain as the last completed call left it.
        self.chain.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Tells the miner a transaction arrived (automine only).
    pub fn wake_miner(&self) {
        if self.automine {
            let sender = self.miner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let _ = sender.send(MinerSignal::Wake);
        }
    }

    /// Mines one block now (`evm_mine`).
    pub fn mine_now(&self, timestamp: Option<u64>) -> Result<u64, ChainError> {
        let mut chain = self.chain();
        let number = chain.mine(timestamp)?;
        self.publish(&chain, number);
        Ok(number)
    }

    /// New-block events for subscriptions.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<BlockEvent>> {
        self.events.subscribe()
    }

    fn publish(&self, chain: &Chain, number: u64) {
        if self.events.receiver_count() == 0 {
            return;
        }
        let Some(block) = chain.block(number) else { return };
        let header = serde_json::to_value(rpc::convert::header(block)).unwrap_or(Value::Null);
        let logs = (0..block.transactions.len()).flat_map(|index| rpc::convert::logs(block, index)).collect();
        let _ = self.events.send(Arc::new(BlockEvent { header, logs }));
    }

    /// Mines every executable pooled transaction, in as few blocks as the gas limit allows.
    fn mine_ready(&self) {
        let mut chain = self.chain();
        while chain.has_ready_transactions() {
            let pooled_before = chain.pool_len();
            match chain.mine(None) {
                Ok(number) => {
                    self.publish(&chain, number);
                    if chain.block(number).is_some_and(|b| b.transactions.is_empty())
                        || chain.pool_len() == pooled_before
                    {
                        break;
                    }
                }
                Err(error) => {
                    tracing::error!(%error, "mining failed");
                    break;
                }
            }
        }
    }
}

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
        {
            let sender = self.shared.miner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let _ = sender.send(MinerSignal::Stop);
        }
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
    let (events, _) = broadcast::channel(1024);
    let shared = Arc::new(Shared {
        chain_id: chain.chain_id(),
        chain: Mutex::new(chain),
        events,
        miner: Mutex::new(miner_tx),
        automine: config.block_time.is_none(),
        max_request_bytes: config.max_request_bytes,
    });
    let listener = tokio::net::TcpListener::bind(config.rpc_address)
        .await
        .map_err(|error| ChainError::Rpc(format!("cannot listen on {}: {error}", config.rpc_address)))?;
    let rpc_address = listener.local_addr().map_err(|error| ChainError::Rpc(error.to_string()))?;
    let miner = {
        let shared = shared.clone();
        let block_time = config.block_time;
        std::thread::Builder::new()
            .name("dml-miner".into())
            .spawn(move || miner_loop(&shared, &miner_rx, block_time))
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

fn miner_loop(shared: &Shared, signals: &mpsc::Receiver<MinerSignal>, block_time: Option<Duration>) {
    let mut next_tick = block_time.map(|interval| Instant::now() + interval);
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
            Some(MinerSignal::Wake) => {
                // Coalesce every wake-up that queued while the last block was mined.
                while let Ok(signal) = signals.try_recv() {
                    if matches!(signal, MinerSignal::Stop) {
                        return;
                    }
                }
                if next_tick.is_none() {
                    shared.mine_ready();
                }
            }
            None => {
                if let Err(error) = shared.mine_now(None) {
                    tracing::error!(%error, "interval mining failed");
                }
                next_tick = block_time.map(|interval| Instant::now() + interval);
            }
        }
    }
}
