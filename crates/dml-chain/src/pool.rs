//! Transactions waiting to be mined, per sender and by nonce. A transaction
//! whose nonce is ahead of its sender's next nonce waits here until the gap
//! fills; the miner takes, in arrival order, each sender's next transaction.

use std::collections::{BTreeMap, BinaryHeap, HashMap};

use alloy_consensus::Transaction;
use alloy_primitives::{Address, B256};

use crate::block::IncludedTx;

/// Most transactions one sender may have waiting.
pub const MAX_PENDING_PER_SENDER: usize = 4096;
/// Furthest a queued nonce may run ahead of the sender's next nonce.
pub const MAX_NONCE_GAP: u64 = 4096;

/// A transaction in the pool.
#[derive(Clone, Debug)]
pub struct PooledTx {
    /// The transaction and its sender.
    pub tx: IncludedTx,
    /// Arrival order across the pool.
    pub arrival: u64,
}

/// Why the pool refused a transaction.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// The same transaction is already waiting.
    #[error("already known")]
    AlreadyKnown,
    /// A transaction with the same nonce is waiting and this one does not pay 10 % more.
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
    /// The sender has too many transactions waiting.
    #[error("too many pending transactions from this sender (limit {MAX_PENDING_PER_SENDER})")]
    SenderFull,
    /// The nonce is too far ahead of the sender's next nonce.
    #[error("nonce too high: next nonce {next}, tx nonce {nonce} (gap limit {MAX_NONCE_GAP})")]
    NonceGapTooLarge {
        /// The sender's next nonce on chain.
        next: u64,
        /// The transaction's nonce.
        nonce: u64,
    },
}

/// The pool.
#[derive(Clone, Debug, Default)]
pub struct Pool {
    by_sender: HashMap<Address, BTreeMap<u64, PooledTx>>,
    by_hash: HashMap<B256, (Address, u64)>,
    next_arrival: u64,
}

impl Pool {
    /// Adds a transaction whose nonce is at least `next_nonce` (the sender's
    /// next nonce on chain).
    pub fn insert(&mut self, tx: IncludedTx, next_nonce: u64) -> Result<(), PoolError> {
        let hash = tx.hash();
        if self.by_hash.contains_key(&hash) {
            return Err(PoolError::AlreadyKnown);
        }
        let nonce = tx.envelope.nonce();
        if nonce > next_nonce + MAX_NONCE_GAP {
            return Err(PoolError::NonceGapTooLarge { next: next_nonce, nonce });
        }
        let queue = self.by_sender.entry(tx.sender).or_default();
        if let Some(existing) = queue.get(&nonce) {
            let old_fee = existing.tx.envelope.max_fee_per_gas();
            let old_tip = existing.tx.envelope.max_priority_fee_per_gas().unwrap_or(old_fee);
            let new_fee = tx.envelope.max_fee_per_gas();
            let new_tip = tx.envelope.max_priority_fee_per_gas().unwrap_or(new_fee);
            if new_fee * 10 < old_fee * 11 || new_tip * 10 < old_tip * 11 {
                return Err(PoolError::ReplacementUnderpriced);
            }
            self.by_hash.remove(&existing.tx.hash());
        } else if queue.len() >= MAX_PENDING_PER_SENDER {
            return Err(PoolError::SenderFull);
        }
        let arrival = self.next_arrival;
        self.next_arrival += 1;
        self.by_hash.insert(hash, (tx.sender, nonce));
        queue.insert(nonce, PooledTx { tx, arrival });
        Ok(())
    }

    /// Whether a transaction is waiting.
    pub fn contains(&self, hash: &B256) -> bool {
        self.by_hash.contains_key(hash)
    }

    /// A waiting transaction by hash.
    pub fn get(&self, hash: &B256) -> Option<&IncludedTx> {
        let (sender, nonce) = self.by_hash.get(hash)?;
        self.by_sender.get(sender)?.get(nonce).map(|pooled| &pooled.tx)
    }

    /// Number of waiting transactions.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// The highest nonce waiting from `sender` that continues a run starting at `next_nonce`.
    pub fn pending_nonce(&self, sender: &Address, next_nonce: u64) -> u64 {
        let mut nonce = next_nonce;
        if let Some(queue) = self.by_sender.get(sender) {
            while queue.contains_key(&nonce) {
                nonce += 1;
            }
        }
        nonce
    }

    /// Removes and returns a transaction.
    pub fn remove(&mut self, sender: &Address, nonce: u64) -> Option<PooledTx> {
        let queue = self.by_sender.get_mut(sender)?;
        let removed = queue.remove(&nonce)?;
        if queue.is_empty() {
            self.by_sender.remove(sender);
        }
        self.by_hash.remove(&removed.tx.hash());
        Some(removed)
    }

    /// Drops every transaction whose nonce is below its sender's next nonce.
    pub fn prune(&mut self, next_nonce: impl Fn(&Address) -> u64) {
        let stale: Vec<(Address, u64)> = self
            .by_sender
            .iter()
            .flat_map(|(sender, queue)| {
                let next = next_nonce(sender);
                queue.range(..next).map(move |(nonce, _)| (*sender, *nonce))
            })
            .collect();
        for (sender, nonce) in stale {
            self.remove(&sender, nonce);
        }
    }

    /// Each sender's pooled transactions by nonce.
    pub fn queues(&self) -> impl Iterator<Item = (&Address, &BTreeMap<u64, PooledTx>)> {
        self.by_sender.iter()
    }

    /// Drops everything.
    pub fn clear(&mut self) {
        self.by_sender.clear();
        self.by_hash.clear();
    }

    /// The executable transactions as a queue ordered by arrival: each
    /// sender's transaction at its next nonce.
    pub fn ready_queue(&self, next_nonce: impl Fn(&Address) -> u64) -> ReadyQueue {
        let mut heap = BinaryHeap::new();
        for (sender, queue) in &self.by_sender {
            let next = next_nonce(sender);
            if let Some(pooled) = queue.get(&next) {
                heap.push(ReadyEntry { arrival: pooled.arrival, sender: *sender, nonce: next });
            }
        }
        ReadyQueue { heap }
    }

    /// The transaction of `sender` at `nonce`, with its arrival number.
    pub fn at(&self, sender: &Address, nonce: u64) -> Option<&PooledTx> {
        self.by_sender.get(sender)?.get(&nonce)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ReadyEntry {
    arrival: u64,
    sender: Address,
    nonce: u64,
}

impl Ord for ReadyEntry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // Min-heap on arrival.
        other.arrival.cmp(&self.arrival).then_with(|| other.sender.cmp(&self.sender))
    }
}

impl PartialOrd for ReadyEntry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Executable transactions in arrival order; after a sender's transaction is
/// included, [`ReadyQueue::push_next`] makes its following nonce eligible.
pub struct ReadyQueue {
    heap: BinaryHeap<ReadyEntry>,
}

impl ReadyQueue {
    /// The next (sender, nonce) to try.
    pub fn pop(&mut self) -> Option<(Address, u64)> {
        self.heap.pop().map(|entry| (entry.sender, entry.nonce))
    }

    /// Makes `sender`'s transaction at `nonce` eligible, if the pool has one.
    pub fn push_next(&mut self, pool: &Pool, sender: Address, nonce: u64) {
        if let Some(pooled) = pool.at(&sender, nonce) {
            self.heap.push(ReadyEntry { arrival: pooled.arrival, sender, nonce });
        }
    }
}
