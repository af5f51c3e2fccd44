//! Poll filters (`eth_newFilter`, `eth_newBlockFilter`,
//! `eth_newPendingTransactionFilter`): what each one has seen, when it was
//! last polled, and the bounds that keep forgotten filters from piling up.
//!
//! A filter that nobody polls for [`FILTER_TIMEOUT`] is dropped (as geth and
//! anvil drop theirs after five minutes), and at most [`MAX_FILTERS`] exist.

use std::{
    collections::{HashMap, VecDeque},
    time::{Duration, Instant},
};

use alloy_primitives::{keccak256, B256};
use alloy_rpc_types_eth::Filter;

/// How long a filter lives without being polled.
pub const FILTER_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// Most filters that exist at once.
pub const MAX_FILTERS: usize = 1024;
/// Most transaction hashes a pending-transaction filter keeps between polls
/// (the oldest go first).
pub const MAX_PENDING_HASHES: usize = 10_000;

/// What a filter follows.
#[derive(Clone, Debug, PartialEq)]
pub enum FilterKind {
    /// New block hashes.
    Blocks,
    /// Hashes of transactions entering the pool.
    PendingTransactions,
    /// Logs matching a filter.
    Logs(Box<Filter>),
}

#[derive(Debug)]
struct Entry {
    kind: FilterKind,
    /// The last block whose changes this filter has reported.
    seen_block: u64,
    pending: VecDeque<B256>,
    last_poll: Instant,
}

/// What a poll found since the previous one.
#[derive(Clone, Debug, PartialEq)]
pub enum FilterPoll {
    /// Hashes of blocks `from..=to` (or nothing when `from > to`).
    Blocks {
        /// First new block.
        from: u64,
        /// The head.
        to: u64,
    },
    /// Logs of blocks `from..=to` matching the filter.
    Logs {
        /// The filter.
        filter: Box<Filter>,
        /// First new block.
        from: u64,
        /// The head.
        to: u64,
    },
    /// Pooled transaction hashes.
    Transactions(Vec<B256>),
}

/// Why a filter call failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// No such filter (never created, uninstalled or expired).
    #[error("filter not found")]
    NotFound,
    /// [`MAX_FILTERS`] exist already.
    #[error("too many filters: at most {MAX_FILTERS} may exist; uninstall some or let idle ones expire")]
    TooMany,
}

/// Every installed filter.
#[derive(Debug, Default)]
pub struct Filters {
    entries: HashMap<String, Entry>,
    created: u64,
}

impl Filters {
    /// Installs a filter at block `head`; returns its id.
    pub fn install(&mut self, kind: FilterKind, head: u64) -> Result<String, FilterError> {
        self.install_at(kind, head, Instant::now())
    }

    fn install_at(&mut self, kind: FilterKind, head: u64, now: Instant) -> Result<String, FilterError> {
        self.expire(now);
        if self.entries.len() >= MAX_FILTERS {
            return Err(FilterError::TooMany);
        }
        self.created += 1;
        // Ids are hard to guess (so one client does not poll another's by
        // counting) and never repeat within the node's life.
        let seed = [self.created.to_be_bytes(), (std::process::id() as u64).to_be_bytes()].concat();
        let digest = keccak256([seed.as_slice(), &format!("{now:?}").into_bytes()].concat());
        let id = format!("0x{}", alloy_primitives::hex::encode(&digest[..16]));
        self.entries.insert(id.clone(), Entry { kind, seen_block: head, pending: VecDeque::new(), last_poll: now });
        Ok(id)
    }

    /// Removes a filter; whether it existed.
    pub fn uninstall(&mut self, id: &str) -> bool {
        self.expire(Instant::now());
        self.entries.remove(&normalize(id)).is_some()
    }

    /// What the filter has not reported yet, up to block `head`; marks it reported.
    pub fn poll(&mut self, id: &str, head: u64) -> Result<FilterPoll, FilterError> {
        self.poll_at(id, head, Instant::now())
    }

    fn poll_at(&mut self, id: &str, head: u64, now: Instant) -> Result<FilterPoll, FilterError> {
        self.expire(now);
        let entry = self.entries.get_mut(&normalize(id)).ok_or(FilterError::NotFound)?;
        entry.last_poll = now;
        // `rewound_to` keeps this exact across reverts; the `min` is a guard.
        let from = entry.seen_block.min(head) + 1;
        entry.seen_block = head;
        Ok(match &entry.kind {
            FilterKind::Blocks => FilterPoll::Blocks { from, to: head },
            FilterKind::Logs(filter) => FilterPoll::Logs { filter: filter.clone(), from, to: head },
            FilterKind::PendingTransactions => FilterPoll::Transactions(entry.pending.drain(..).collect()),
        })
    }

    /// A log filter's criteria (for `eth_getFilterLogs`); refreshes its idle clock.
    pub fn log_filter(&mut self, id: &str) -> Result<Option<Filter>, FilterError> {
        let now = Instant::now();
        self.expire(now);
        let entry = self.entries.get_mut(&normalize(id)).ok_or(FilterError::NotFound)?;
        entry.last_poll = now;
        Ok(match &entry.kind {
            FilterKind::Logs(filter) => Some((**filter).clone()),
            _ => None,
        })
    }

    /// The chain went back to block `head` (`evm_revert`): blocks mined
    /// after it are new to every filter, even at numbers already reported.
    pub fn rewound_to(&mut self, head: u64) {
        for entry in self.entries.values_mut() {
            entry.seen_block = entry.seen_block.min(head);
        }
    }

    /// Records a transaction entering the pool.
    pub fn push_pending(&mut self, hash: B256) {
        for entry in self.entries.values_mut() {
            if entry.kind == FilterKind::PendingTransactions {
                if entry.pending.len() == MAX_PENDING_HASHES {
                    entry.pending.pop_front();
                }
                entry.pending.push_back(hash);
            }
        }
    }

    /// Number of installed filters.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether none is installed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn expire(&mut self, now: Instant) {
        self.entries.retain(|_, entry| now.saturating_duration_since(entry.last_poll) < FILTER_TIMEOUT);
    }
}

/// Ids compare without regard to case or leading zeros of the hex digits.
fn normalize(id: &str) -> String {
    let hex = id.strip_prefix("0x").or_else(|| id.strip_prefix("0X")).unwrap_or(id).to_ascii_lowercase();
    let trimmed = hex.trim_start_matches('0');
    format!("0x{:0>32}", trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_filter_reports_each_new_block_once() {
        let mut filters = Filters::default();
        let id = filters.install(FilterKind::Blocks, 5).unwrap();
        assert_eq!(filters.poll(&id, 5).unwrap(), FilterPoll::Blocks { from: 6, to: 5 });
        assert_eq!(filters.poll(&id, 8).unwrap(), FilterPoll::Blocks { from: 6, to: 8 });
        assert_eq!(filters.poll(&id, 8).unwrap(), FilterPoll::Blocks { from: 9, to: 8 });
        // A revert to block 3, then block 4 mined: block 4 is new again.
        filters.rewound_to(3);
        assert_eq!(filters.poll(&id, 4).unwrap(), FilterPoll::Blocks { from: 4, to: 4 });
    }

    #[test]
    fn pending_hashes_are_drained_by_each_poll() {
        let mut filters = Filters::default();
        let pending = filters.install(FilterKind::PendingTransactions, 0).unwrap();
        let blocks = filters.install(FilterKind::Blocks, 0).unwrap();
        filters.push_pending(B256::repeat_byte(1));
        filters.push_pending(B256::repeat_byte(2));
        assert_eq!(
            filters.poll(&pending, 0).unwrap(),
            FilterPoll::Transactions(vec![B256::repeat_byte(1), B256::repeat_byte(2)])
        );
        assert_eq!(filters.poll(&pending, 0).unwrap(), FilterPoll::Transactions(vec![]));
        assert_eq!(filters.poll(&blocks, 0).unwrap(), FilterPoll::Blocks { from: 1, to: 0 });
    }

    #[test]
    fn unknown_uninstalled_and_idle_filters_are_not_found() {
        let mut filters = Filters::default();
        assert_eq!(filters.poll("0x1", 0), Err(FilterError::NotFound));
        let id = filters.install(FilterKind::Blocks, 0).unwrap();
        assert!(filters.uninstall(&id.to_uppercase().replace("0X", "0x")));
        assert!(!filters.uninstall(&id));
        assert_eq!(filters.poll(&id, 0), Err(FilterError::NotFound));

        let start = Instant::now();
        let idle = filters.install_at(FilterKind::Blocks, 0, start).unwrap();
        let polled = filters.install_at(FilterKind::Blocks, 0, start).unwrap();
        filters.poll_at(&polled, 0, start + FILTER_TIMEOUT / 2).unwrap();
        assert_eq!(filters.poll_at(&idle, 0, start + FILTER_TIMEOUT), Err(FilterError::NotFound));
        assert!(filters.poll_at(&polled, 0, start + FILTER_TIMEOUT).is_ok());
    }

    #[test]
    fn the_number_of_filters_is_bounded() {
        let mut filters = Filters::default();
        let start = Instant::now();
        for _ in 0..MAX_FILTERS {
            filters.install_at(FilterKind::Blocks, 0, start).unwrap();
        }
        assert_eq!(filters.install_at(FilterKind::Blocks, 0, start), Err(FilterError::TooMany));
        // Once the idle ones expire there is room again.
        assert!(filters.install_at(FilterKind::Blocks, 0, start + FILTER_TIMEOUT).is_ok());
        assert_eq!(filters.len(), 1);
    }
}
