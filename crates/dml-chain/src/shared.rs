//! What the JSON-RPC handlers and the miner share: the chain behind a mutex,
//! the mining mode, the poll filters, the impersonated accounts and the
//! broadcast of new blocks. It depends on neither the RPC layer nor the node
//! that starts it, so both can use it.

use std::{
    collections::HashSet,
    sync::{mpsc, Arc, Condvar, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256};
use tokio::sync::broadcast;

use crate::{block::BlockRecord, chain::Chain, filters::Filters, ChainError};

/// What wakes the miner thread.
#[derive(Debug)]
pub enum MinerSignal {
    /// The mining mode changed: re-read it.
    Reconfigure,
    /// Shut down.
    Stop,
}

/// When blocks are mined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MiningMode {
    /// Mine as soon as a transaction arrives.
    pub automine: bool,
    /// Also mine a block every interval (with or without transactions).
    pub interval: Option<Duration>,
}

/// Longest a sender waits for its transaction's block in automine mode
/// before it answers with the hash alone (the client then polls).
pub const MINED_WAIT: Duration = Duration::from_secs(2);

/// State shared by the RPC handlers and the miner.
pub struct Shared {
    chain: Mutex<Chain>,
    /// Signalled (under the chain lock) after every mined block.
    mined: Condvar,
    /// The chain id (fixed for the node's life).
    pub chain_id: u64,
    events: broadcast::Sender<Arc<BlockRecord>>,
    miner: Mutex<mpsc::Sender<MinerSignal>>,
    mining: Mutex<MiningMode>,
    /// Taken by a request thread that mines under automine, so that the
    /// transactions of threads waiting for their turn reach the pool (under
    /// the chain lock, briefly) and go into one block with the next miner's.
    mining_turn: Mutex<()>,
    filters: Mutex<Filters>,
    impersonated: Mutex<Impersonation>,
    /// Largest request body accepted.
    pub max_request_bytes: usize,
}

/// Accounts whose transactions are accepted unsigned.
#[derive(Debug, Default)]
struct Impersonation {
    accounts: HashSet<Address>,
    everyone: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock leaves the value as the last completed call left it.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    /// Shared state over `chain`, signalling the miner through `miner`.
    pub fn new(chain: Chain, miner: mpsc::Sender<MinerSignal>, mining: MiningMode, max_request_bytes: usize) -> Self {
        let (events, _) = broadcast::channel(1024);
        Self {
            chain_id: chain.chain_id(),
            chain: Mutex::new(chain),
            mined: Condvar::new(),
            events,
            miner: Mutex::new(miner),
            mining: Mutex::new(mining),
            mining_turn: Mutex::new(()),
            filters: Mutex::new(Filters::default()),
            impersonated: Mutex::new(Impersonation::default()),
            max_request_bytes,
        }
    }

    /// Locks the chain.
    pub fn chain(&self) -> MutexGuard<'_, Chain> {
        lock(&self.chain)
    }

    /// Locks the poll filters.
    pub fn filters(&self) -> MutexGuard<'_, Filters> {
        lock(&self.filters)
    }

    /// The current mining mode.
    pub fn mining(&self) -> MiningMode {
        *lock(&self.mining)
    }

    /// Changes the mining mode and tells the miner.
    pub fn set_mining(&self, mode: MiningMode) {
        *lock(&self.mining) = mode;
        self.signal(MinerSignal::Reconfigure);
    }

    /// Sends the miner a signal.
    pub fn signal(&self, signal: MinerSignal) {
        let _ = lock(&self.miner).send(signal);
    }

    /// Tells the pending-transaction filters a transaction arrived. In
    /// automine mode it then mines every executable pooled transaction on the
    /// calling thread (no hop to the miner), and, if another thread is mining
    /// the transaction's block, waits (at most [`MINED_WAIT`]) until the
    /// transaction (executable: no nonce gap before it) is mined or leaves
    /// the pool, so that its receipt exists when the sender gets the hash, as
    /// with hardhat: a client's first `eth_getTransactionReceipt` finds it.
    pub fn transaction_added(&self, hash: B256, sender: Address, nonce: u64) {
        self.filters().push_pending(hash);
        if !self.mining().automine {
            return;
        }
        let deadline = Instant::now() + MINED_WAIT;
        let turn = lock(&self.mining_turn);
        let chain = self.chain();
        // Mined in the block of the thread whose turn came first.
        let mut chain = if chain.tx_location(&hash).is_some() { chain } else { self.mine_ready_locked(chain) };
        drop(turn);
        // A transaction behind a nonce gap waits for the gap, not for a block.
        while chain.tx_location(&hash).is_none()
            && chain.pooled_tx(&hash).is_some()
            && nonce < chain.pending_nonce(&sender)
        {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            chain = match self.mined.wait_timeout(chain, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    /// Whether transactions from `address` are accepted without a signature.
    pub fn is_impersonated(&self, address: &Address) -> bool {
        let impersonation = lock(&self.impersonated);
        impersonation.everyone || impersonation.accounts.contains(address)
    }

    /// Starts (or stops) accepting unsigned transactions from `address`.
    pub fn impersonate(&self, address: Address, on: bool) {
        let mut impersonation = lock(&self.impersonated);
        if on {
            impersonation.accounts.insert(address);
        } else {
            impersonation.accounts.remove(&address);
        }
    }

    /// Accepts unsigned transactions from every account (or stops).
    pub fn impersonate_everyone(&self, on: bool) {
        lock(&self.impersonated).everyone = on;
    }

    /// Forgets every impersonation and filter (after `anvil_reset`).
    pub fn clear_sessions(&self) {
        *lock(&self.impersonated) = Impersonation::default();
        *self.filters() = Filters::default();
    }

    /// Mines `count` blocks now, `interval` seconds apart (the first at
    /// `timestamp` when given); returns the last block's number.
    pub fn mine_blocks(&self, count: u64, timestamp: Option<u64>, interval: Option<u64>) -> Result<u64, ChainError> {
        let mut chain = self.chain();
        let mut number = chain.head_number();
        let mut next = timestamp;
        for _ in 0..count {
            number = chain.mine(next)?;
            self.publish(&chain, number);
            self.mined.notify_all();
            next = interval.map(|seconds| chain.head().header.timestamp + seconds);
        }
        Ok(number)
    }

    /// New blocks, for subscriptions.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<BlockRecord>> {
        self.events.subscribe()
    }

    fn publish(&self, chain: &Chain, number: u64) {
        if self.events.receiver_count() == 0 {
            return;
        }
        if let Some(block) = chain.block(number) {
            let _ = self.events.send(Arc::new(block.clone()));
        }
    }

    /// Mines every executable pooled transaction, in as few blocks as the gas limit allows.
    pub fn mine_ready(&self) {
        drop(self.mine_ready_locked(self.chain()));
    }

    /// [`Shared::mine_ready`] under a lock already taken, which it gives back.
    fn mine_ready_locked<'a>(&self, mut chain: MutexGuard<'a, Chain>) -> MutexGuard<'a, Chain> {
        while chain.has_ready_transactions() {
            let pooled_before = chain.pool_len();
            match chain.mine(None) {
                Ok(number) => {
                    self.publish(&chain, number);
                    self.mined.notify_all();
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
        chain
    }
}
