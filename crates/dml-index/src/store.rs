//! The SQLite database: schema migrations, the writes of one batch of blocks
//! (atomic, so a kill at any point leaves the last whole batch), re-org
//! rollback, and the reads behind the API.
//!
//! The database holds only what the chain said (block headers and decoded
//! logs) and the cursor; everything the API shows is computed from them.

use std::path::Path;

use alloy_primitives::{Address, B256, U256};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

use crate::events::{DecodedEvent, Source};

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused or failed.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database was written by a newer indexer.
    #[error("database schema version {found} is newer than this indexer's {known}; upgrade dml")]
    TooNew {
        /// Version found in the file.
        found: i64,
        /// Newest version this build knows.
        known: i64,
    },
    /// The database indexes another chain or other contracts.
    #[error("the database indexes {stored}, not {wanted}; use another --db")]
    OtherChain {
        /// What the file holds.
        stored: String,
        /// What was asked for.
        wanted: String,
    },
}

/// Migrations in order; `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[&str] = &[
    // 1: blocks, events and the cursor.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE blocks (
         number INTEGER PRIMARY KEY,
         hash TEXT NOT NULL,
         parent_hash TEXT NOT NULL,
         timestamp INTEGER NOT NULL
     );
     CREATE TABLE events (
         block_number INTEGER NOT NULL,
         log_index INTEGER NOT NULL,
         tx_hash TEXT NOT NULL,
         source TEXT NOT NULL,
         name TEXT NOT NULL,
         task TEXT,
         model TEXT,
         account TEXT,
         other TEXT,
         amount TEXT,
         proposal TEXT,
         fields TEXT NOT NULL,
         PRIMARY KEY (block_number, log_index)
     );
     CREATE INDEX events_task ON events (task, block_number, log_index);
     CREATE INDEX events_model ON events (model, name);
     CREATE INDEX events_account ON events (account, name);
     CREATE INDEX events_other ON events (other, name);
     CREATE INDEX events_name ON events (name, block_number, log_index);
     CREATE INDEX events_proposal ON events (proposal);
     CREATE INDEX events_tx ON events (tx_hash);",
    // 2: CIDs (a task's input, a solution's output, a model's template),
    // read from the engine's storage into `fields.cid`, found by search.
    "CREATE INDEX events_cid ON events (json_extract(fields, '$.cid'))
         WHERE json_extract(fields, '$.cid') IS NOT NULL;",
];

/// One block header as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockRow {
    /// Height.
    pub number: u64,
    /// Hash.
    pub hash: B256,
    /// Parent's hash.
    pub parent_hash: B256,
    /// Timestamp, seconds.
    pub timestamp: u64,
}

/// One log, decoded, with where it sits.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    /// Block height.
    pub block_number: u64,
    /// Index within the block.
    pub log_index: u64,
    /// Transaction.
    pub tx_hash: B256,
    /// Contract kind.
    pub source: Source,
    /// Decoded columns.
    pub event: DecodedEvent,
}

/// An event read back, with its block's timestamp, as the API shows it.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredEvent {
    /// Block height.
    pub block_number: u64,
    /// Index within the block.
    pub log_index: u64,
    /// Block timestamp, seconds.
    pub timestamp: u64,
    /// Transaction hash.
    pub tx_hash: String,
    /// `engine`, `token` or `governor`.
    pub source: String,
    /// Event name.
    pub name: String,
    /// Task id, if any.
    pub task: Option<String>,
    /// Model id, if any.
    pub model: Option<String>,
    /// Acting account.
    pub account: Option<String>,
    /// Second account.
    pub other: Option<String>,
    /// Amount in wei, decimal.
    pub amount: Option<String>,
    /// Proposal id, decimal.
    pub proposal: Option<String>,
    /// All fields.
    pub fields: Value,
}

/// The indexer's database.
pub struct Store {
    conn: Connection,
}

/// Lower-case 0x hex, the one spelling stored (so lookups are exact).
pub fn hex_b256(value: &B256) -> String {
    format!("{value:#x}")
}

/// Lower-case 0x hex address.
pub fn hex_address(value: &Address) -> String {
    format!("{value:#x}")
}

fn parse_b256(text: &str) -> B256 {
    text.parse().unwrap_or_default()
}

impl Store {
    /// Opens (creating and migrating) the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Self::setup(Connection::open(path)?)
    }

    /// An in-memory database (tests, throwaway runs).
    pub fn in_memory() -> Result<Store, StoreError> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(mut conn: Connection) -> Result<Store, StoreError> {
        // WAL: readers (the API) never block the writer, and a commit is
        // durable once `synchronous = NORMAL` has it in the log.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew { found: version, known });
        }
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.transaction()?;
            tx.execute_batch(migration)?;
            tx.pragma_update(None, "user_version", index as i64 + 1)?;
            tx.commit()?;
        }
        Ok(Store { conn })
    }

    /// Records which chain and contracts this file indexes, or checks that
    /// it is the same as before.
    pub fn bind(&self, identity: &str) -> Result<(), StoreError> {
        let stored: Option<String> =
            self.conn.query_row("SELECT value FROM meta WHERE key = 'identity'", [], |r| r.get(0)).optional()?;
        match stored {
            Some(stored) if stored != identity => Err(StoreError::OtherChain { stored, wanted: identity.to_string() }),
            Some(_) => Ok(()),
            None => {
                self.conn.execute("INSERT INTO meta (key, value) VALUES ('identity', ?1)", [identity])?;
                Ok(())
            }
        }
    }

    /// The highest block stored: where indexing resumes.
    pub fn head(&self) -> Result<Option<BlockRow>, StoreError> {
        self.block_at_or_below(u64::MAX >> 1)
    }

    /// The stored header at `number`.
    pub fn block(&self, number: u64) -> Result<Option<BlockRow>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT number, hash, parent_hash, timestamp FROM blocks WHERE number = ?1",
                [number as i64],
                block_row,
            )
            .optional()?)
    }

    fn block_at_or_below(&self, number: u64) -> Result<Option<BlockRow>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT number, hash, parent_hash, timestamp FROM blocks WHERE number <= ?1
                 ORDER BY number DESC LIMIT 1",
                [number as i64],
                block_row,
            )
            .optional()?)
    }

    /// Stores a run of blocks and their logs in one transaction: all or none.
    pub fn append(&mut self, blocks: &[BlockRow], events: &[EventRow]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut insert_block =
                tx.prepare_cached("INSERT INTO blocks (number, hash, parent_hash, timestamp) VALUES (?1, ?2, ?3, ?4)")?;
            for block in blocks {
                insert_block.execute(params![
                    block.number as i64,
                    hex_b256(&block.hash),
                    hex_b256(&block.parent_hash),
                    block.timestamp as i64
                ])?;
            }
            let mut insert_event = tx.prepare_cached(
                "INSERT INTO events (block_number, log_index, tx_hash, source, name, task, model, account,
                                     other, amount, proposal, fields)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?;
            for row in events {
                let e = &row.event;
                insert_event.execute(params![
                    row.block_number as i64,
                    row.log_index as i64,
                    hex_b256(&row.tx_hash),
                    row.source.as_str(),
                    e.name,
                    e.task.as_ref().map(hex_b256),
                    e.model.as_ref().map(hex_b256),
                    e.account.as_ref().map(hex_address),
                    e.other.as_ref().map(hex_address),
                    e.amount.map(|a| a.to_string()),
                    e.proposal.map(|p| p.to_string()),
                    e.fields.to_string(),
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Forgets every block above `number` and its events (a re-org).
    pub fn rollback_above(&mut self, number: u64) -> Result<u64, StoreError> {
        let tx = self.conn.transaction()?;
        let removed = tx.execute("DELETE FROM blocks WHERE number > ?1", [number as i64])?;
        tx.execute("DELETE FROM events WHERE block_number > ?1", [number as i64])?;
        tx.commit()?;
        Ok(removed as u64)
    }

    /// Runs a read-only query with `f` over the connection.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Every row of both tables in order, for comparing two indexes.
    pub fn dump(&self) -> Result<(Vec<BlockRow>, Vec<StoredEvent>), StoreError> {
        let mut statement =
            self.conn.prepare("SELECT number, hash, parent_hash, timestamp FROM blocks ORDER BY number")?;
        let blocks = statement.query_map([], block_row)?.collect::<Result<Vec<_>, _>>()?;
        let events = self.events("1 = 1", &[], u64::MAX >> 1, u32::MAX)?;
        Ok((blocks, events))
    }

    /// Events matching `filter` (an SQL condition over `events`, with
    /// `args`), newest first, strictly before the position `before`
    /// (`block_number * 2^20 + log_index`), at most `limit`.
    pub fn events(
        &self,
        filter: &str,
        args: &[&dyn rusqlite::ToSql],
        before: u64,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let sql = format!(
            "SELECT e.block_number, e.log_index, COALESCE(b.timestamp, 0), e.tx_hash, e.source, e.name, e.task,
                    e.model, e.account, e.other, e.amount, e.proposal, e.fields
             FROM events e LEFT JOIN blocks b ON b.number = e.block_number
             WHERE ({filter}) AND (e.block_number * 1048576 + e.log_index) < ?{}
             ORDER BY e.block_number DESC, e.log_index DESC LIMIT ?{}",
            args.len() + 1,
            args.len() + 2
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let before = before.min(i64::MAX as u64) as i64;
        let limit = limit as i64;
        let mut all: Vec<&dyn rusqlite::ToSql> = args.to_vec();
        all.push(&before);
        all.push(&limit);
        let rows = statement.query_map(all.as_slice(), |r| {
            let fields: String = r.get(12)?;
            Ok(StoredEvent {
                block_number: r.get::<_, i64>(0)? as u64,
                log_index: r.get::<_, i64>(1)? as u64,
                timestamp: r.get::<_, i64>(2)? as u64,
                tx_hash: r.get(3)?,
                source: r.get(4)?,
                name: r.get(5)?,
                task: r.get(6)?,
                model: r.get(7)?,
                account: r.get(8)?,
                other: r.get(9)?,
                amount: r.get(10)?,
                proposal: r.get(11)?,
                fields: serde_json::from_str(&fields).unwrap_or(Value::Null),
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Events of `names` in chain order (oldest first), for aggregations.
    pub fn events_named(&self, names: &[&str]) -> Result<Vec<StoredEvent>, StoreError> {
        let list = names.iter().map(|n| format!("'{}'", n.replace('\'', ""))).collect::<Vec<_>>().join(",");
        let mut events = self.events(&format!("e.name IN ({list})"), &[], u64::MAX >> 1, u32::MAX)?;
        events.reverse();
        Ok(events)
    }
}

fn block_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BlockRow> {
    Ok(BlockRow {
        number: r.get::<_, i64>(0)? as u64,
        hash: parse_b256(&r.get::<_, String>(1)?),
        parent_hash: parse_b256(&r.get::<_, String>(2)?),
        timestamp: r.get::<_, i64>(3)? as u64,
    })
}

/// Sums decimal amounts exactly.
pub fn sum_amounts<'a>(amounts: impl IntoIterator<Item = &'a str>) -> U256 {
    amounts.into_iter().filter_map(|a| a.parse::<U256>().ok()).fold(U256::ZERO, |acc, a| acc.saturating_add(a))
}
