//! Persistence in redb, with a block journal in front: each mined block,
//! with the accounts, slots and code it changed, is appended to the journal
//! and fsynced before the block's receipts are served (see
//! [`crate::journal`]); every [`crate::journal::MAX_JOURNALED_BLOCKS`] blocks, and for any
//! change that is not a new block, everything journaled goes into the
//! database in one atomic write transaction. After a crash the node reopens
//! at the last block that reached the disk either way.

use std::path::Path;

use alloy_primitives::{Address, Bytes, B256, U256};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use crate::{
    block::BlockRecord,
    journal::Journal,
    state::{AccountRecord, DirtySet, WorldState},
    ChainError,
};

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const ACCOUNTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("accounts");
const STORAGE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("storage");
const CODES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("codes");
const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks");

const HEAD_KEY: &str = "head";
const TIME_OFFSET_KEY: &str = "time_offset";
const CHAIN_ID_KEY: &str = "chain_id";
/// The epoch of the journal records that follow the database's content.
const JOURNAL_EPOCH_KEY: &str = "journal_epoch";

/// What a reopened store holds.
pub struct LoadedChain {
    /// The state at the head block.
    pub state: WorldState,
    /// Blocks from genesis to the head.
    pub blocks: Vec<BlockRecord>,
    /// Seconds added to the wall clock by `evm_increaseTime`.
    pub time_offset: i64,
    /// The chain id it was created with.
    pub chain_id: u64,
}

/// The chain-wide values stored with every commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainMeta {
    /// Number of the head block after the commit.
    pub head: u64,
    /// Seconds added to the wall clock by `evm_increaseTime`.
    pub time_offset: i64,
    /// The chain id.
    pub chain_id: u64,
}

/// The node's database file and its journal.
pub struct Store {
    db: Database,
    dir: std::path::PathBuf,
    /// Opened by [`Store::load`].
    journal: Option<Journal>,
}

fn storage_key(address: &Address, slot: &U256) -> [u8; 52] {
    let mut key = [0u8; 52];
    key[..20].copy_from_slice(address.as_slice());
    key[20..].copy_from_slice(&slot.to_be_bytes::<32>());
    key
}

fn encode_account(record: &AccountRecord) -> [u8; 72] {
    let mut bytes = [0u8; 72];
    bytes[..32].copy_from_slice(&record.balance.to_be_bytes::<32>());
    bytes[32..40].copy_from_slice(&record.nonce.to_be_bytes());
    bytes[40..].copy_from_slice(record.code_hash.as_slice());
    bytes
}

fn decode_account(bytes: &[u8]) -> Result<AccountRecord, ChainError> {
    if bytes.len() != 72 {
        return Err(ChainError::Storage(format!("account record of {} bytes, expected 72", bytes.len())));
    }
    let mut nonce = [0u8; 8];
    nonce.copy_from_slice(&bytes[32..40]);
    Ok(AccountRecord {
        balance: U256::from_be_slice(&bytes[..32]),
        nonce: u64::from_be_bytes(nonce),
        code_hash: B256::from_slice(&bytes[40..]),
    })
}

fn db_error(error: impl std::fmt::Display) -> ChainError {
    ChainError::Storage(error.to_string())
}

impl Store {
    /// Opens (or creates) `dir/chain.redb`.
    pub fn open(dir: &Path) -> Result<Self, ChainError> {
        std::fs::create_dir_all(dir)
            .map_err(|error| ChainError::Storage(format!("cannot create {}: {error}", dir.display())))?;
        let db = Database::create(dir.join("chain.redb")).map_err(db_error)?;
        let txn = db.begin_write().map_err(db_error)?;
        {
            txn.open_table(META).map_err(db_error)?;
            txn.open_table(ACCOUNTS).map_err(db_error)?;
            txn.open_table(STORAGE).map_err(db_error)?;
            txn.open_table(CODES).map_err(db_error)?;
            txn.open_table(BLOCKS).map_err(db_error)?;
        }
        txn.commit().map_err(db_error)?;
        Ok(Self { db, dir: dir.to_path_buf(), journal: None })
    }

    /// Reads the whole chain (the database, then the journal's blocks after
    /// it), or `None` for a new store.
    pub fn load(&mut self) -> Result<Option<LoadedChain>, ChainError> {
        let loaded = self.load_database()?;
        let epoch = self.epoch()?;
        let head = loaded.as_ref().map(|loaded| loaded.blocks.len() as u64 - 1);
        let (mut journal, records) = Journal::open(&self.dir, epoch, head)?;
        let loaded = loaded.map(|mut loaded| {
            if !records.is_empty() {
                tracing::info!(blocks = records.len(), "replaying the block journal");
            }
            for record in records {
                record.apply(&mut loaded.state);
                loaded.time_offset = record.time_offset;
                loaded.blocks.push(record.block);
            }
            journal.note_dirty(loaded.state.take_dirty());
            loaded
        });
        self.journal = Some(journal);
        Ok(loaded)
    }

    fn epoch(&self) -> Result<u64, ChainError> {
        let txn = self.db.begin_read().map_err(db_error)?;
        let meta = txn.open_table(META).map_err(db_error)?;
        match meta.get(JOURNAL_EPOCH_KEY).map_err(db_error)? {
            Some(value) => Ok(u64::from_be_bytes(
                value.value().try_into().map_err(|_| ChainError::Storage("corrupt journal epoch".into()))?,
            )),
            None => Ok(0),
        }
    }

    /// Number of the first block held only in the journal, if any.
    pub fn first_journaled(&self) -> Option<u64> {
        self.journal.as_ref().and_then(Journal::first_block)
    }

    /// Whether the journal should be written into the database before
    /// another block goes into it (also before [`Store::load`] opened it).
    pub fn journal_is_full(&self) -> bool {
        self.journal.as_ref().is_none_or(Journal::is_full)
    }

    /// Makes one new block durable in the journal.
    pub fn append(
        &mut self,
        state: &WorldState,
        dirty: DirtySet,
        block: &BlockRecord,
        meta: ChainMeta,
    ) -> Result<(), ChainError> {
        match &mut self.journal {
            Some(journal) => journal.append(state, dirty, block, meta.time_offset),
            None => Err(ChainError::Storage("the journal is not open".into())),
        }
    }

    fn load_database(&self) -> Result<Option<LoadedChain>, ChainError> {
        let txn = self.db.begin_read().map_err(db_error)?;
        let meta = txn.open_table(META).map_err(db_error)?;
        let Some(head) = meta.get(HEAD_KEY).map_err(db_error)? else {
            return Ok(None);
        };
        let head =
            u64::from_be_bytes(head.value().try_into().map_err(|_| ChainError::Storage("corrupt head record".into()))?);
        let time_offset = match meta.get(TIME_OFFSET_KEY).map_err(db_error)? {
            Some(value) => i64::from_be_bytes(
                value.value().try_into().map_err(|_| ChainError::Storage("corrupt time offset".into()))?,
            ),
            None => 0,
        };
        let chain_id = match meta.get(CHAIN_ID_KEY).map_err(db_error)? {
            Some(value) => u64::from_be_bytes(
                value.value().try_into().map_err(|_| ChainError::Storage("corrupt chain id".into()))?,
            ),
            None => return Err(ChainError::Storage("store has no chain id".into())),
        };

        let mut state = WorldState::new();
        for entry in txn.open_table(ACCOUNTS).map_err(db_error)?.iter().map_err(db_error)? {
            let (key, value) = entry.map_err(db_error)?;
            state.load_account(Address::from_slice(key.value()), decode_account(value.value())?);
        }
        for entry in txn.open_table(STORAGE).map_err(db_error)?.iter().map_err(db_error)? {
            let (key, value) = entry.map_err(db_error)?;
            let key = key.value();
            if key.len() != 52 {
                return Err(ChainError::Storage("corrupt storage key".into()));
            }
            state.load_slot(
                Address::from_slice(&key[..20]),
                U256::from_be_slice(&key[20..]),
                U256::from_be_slice(value.value()),
            );
        }
        for entry in txn.open_table(CODES).map_err(db_error)?.iter().map_err(db_error)? {
            let (key, value) = entry.map_err(db_error)?;
            state.load_code(B256::from_slice(key.value()), Bytes::copy_from_slice(value.value()));
        }
        let blocks_table = txn.open_table(BLOCKS).map_err(db_error)?;
        let mut blocks = Vec::with_capacity(head as usize + 1);
        for number in 0..=head {
            let record = blocks_table
                .get(number)
                .map_err(db_error)?
                .ok_or_else(|| ChainError::Storage(format!("block {number} missing below head {head}")))?;
            let block: BlockRecord = serde_json::from_slice(record.value())
                .map_err(|error| ChainError::Storage(format!("block {number}: {error}")))?;
            blocks.push(block);
        }
        Ok(Some(LoadedChain { state, blocks, time_offset, chain_id }))
    }

    /// Commits new blocks (every journaled one still in the chain among
    /// them) and the removal of blocks above `truncate_above` (for
    /// `evm_revert`), with the state they and the journaled blocks changed,
    /// in one transaction; then starts the journal over under the next epoch.
    pub fn commit(
        &mut self,
        state: &WorldState,
        dirty: DirtySet,
        new_blocks: &[&BlockRecord],
        truncate_above: Option<(u64, u64)>,
        meta: ChainMeta,
    ) -> Result<(), ChainError> {
        let mut all = DirtySet::default();
        if let Some(journal) = &self.journal {
            all.merge(journal.dirty().clone());
        }
        all.merge(dirty);
        let dirty = &all;
        let epoch = self.journal.as_ref().map_or(0, Journal::epoch) + 1;
        let txn = self.db.begin_write().map_err(db_error)?;
        {
            let mut accounts = txn.open_table(ACCOUNTS).map_err(db_error)?;
            for address in &dirty.accounts {
                match state.account(address) {
                    Some(record) => {
                        accounts.insert(address.as_slice(), encode_account(record).as_slice()).map_err(db_error)?;
                    }
                    None => {
                        accounts.remove(address.as_slice()).map_err(db_error)?;
                    }
                }
            }
            let mut storage = txn.open_table(STORAGE).map_err(db_error)?;
            for (address, slots) in &dirty.storage {
                for slot in slots {
                    let key = storage_key(address, slot);
                    let value = state.storage(address, slot);
                    if value.is_zero() {
                        storage.remove(key.as_slice()).map_err(db_error)?;
                    } else {
                        storage.insert(key.as_slice(), value.to_be_bytes::<32>().as_slice()).map_err(db_error)?;
                    }
                }
            }
            let mut codes = txn.open_table(CODES).map_err(db_error)?;
            for hash in &dirty.codes {
                if let Some(code) = state.code(hash) {
                    codes.insert(hash.as_slice(), code.as_ref()).map_err(db_error)?;
                }
            }
            let mut blocks = txn.open_table(BLOCKS).map_err(db_error)?;
            if let Some((first_removed, last_removed)) = truncate_above {
                for number in first_removed..=last_removed {
                    blocks.remove(number).map_err(db_error)?;
                }
            }
            for block in new_blocks {
                let encoded = serde_json::to_vec(block).map_err(db_error)?;
                blocks.insert(block.header.number, encoded.as_slice()).map_err(db_error)?;
            }
            let mut table = txn.open_table(META).map_err(db_error)?;
            table.insert(HEAD_KEY, meta.head.to_be_bytes().as_slice()).map_err(db_error)?;
            table.insert(TIME_OFFSET_KEY, meta.time_offset.to_be_bytes().as_slice()).map_err(db_error)?;
            table.insert(CHAIN_ID_KEY, meta.chain_id.to_be_bytes().as_slice()).map_err(db_error)?;
            table.insert(JOURNAL_EPOCH_KEY, epoch.to_be_bytes().as_slice()).map_err(db_error)?;
        }
        txn.commit().map_err(db_error)?;
        match &mut self.journal {
            Some(journal) => journal.reset(epoch),
            None => Ok(()),
        }
    }
}
