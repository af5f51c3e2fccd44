//! The solver's durable state in one redb file: the jobs, the scan cursor,
//! the next nonce and the outbox of signed transactions.
//!
//! Every change that must not be half-done is one write transaction: a scan
//! range's new jobs with the cursor that covers them; a signed transaction
//! with the next nonce and the job that sent it; a receipt with the job it
//! moves on. redb commits are atomic and durable, so a kill at any moment
//! leaves the state before or after such a change, never between.

use std::path::Path;

use alloy_primitives::{Bytes, B256};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::job::{Action, Job};
use crate::SolverError;

const JOBS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("jobs");
const OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

const CURSOR: &str = "cursor";
const NEXT_NONCE: &str = "next_nonce";

/// A signed transaction that was (or is about to be) broadcast.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    /// Its nonce.
    pub nonce: u64,
    /// Its hash.
    pub hash: B256,
    /// The signed RLP bytes, rebroadcast as they are (same hash) if dropped.
    pub raw: Bytes,
    /// What it does.
    pub action: Action,
    /// The tasks it acts on (empty for a stake deposit).
    pub tasks: Vec<B256>,
    /// When it was last broadcast (Unix ms).
    pub sent_at_ms: u64,
}

/// The solver's database.
pub struct Store {
    db: Database,
}

fn storage<E: std::fmt::Display>(error: E) -> SolverError {
    SolverError::Store(error.to_string())
}

impl Store {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path) -> Result<Store, SolverError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(storage)?;
        }
        let db = Database::create(path).map_err(storage)?;
        let tx = db.begin_write().map_err(storage)?;
        {
            tx.open_table(JOBS).map_err(storage)?;
            tx.open_table(OUTBOX).map_err(storage)?;
            tx.open_table(META).map_err(storage)?;
        }
        tx.commit().map_err(storage)?;
        Ok(Store { db })
    }

    fn meta(&self, key: &str) -> Result<Option<u64>, SolverError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let table = tx.open_table(META).map_err(storage)?;
        Ok(table.get(key).map_err(storage)?.map(|v| v.value()))
    }

    /// The last block whose logs are fully recorded.
    pub fn cursor(&self) -> Result<Option<u64>, SolverError> {
        self.meta(CURSOR)
    }

    /// The nonce the next transaction gets (as far as this database knows).
    pub fn next_nonce(&self) -> Result<Option<u64>, SolverError> {
        self.meta(NEXT_NONCE)
    }

    /// One job.
    pub fn job(&self, task: &B256) -> Result<Option<Job>, SolverError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let table = tx.open_table(JOBS).map_err(storage)?;
        match table.get(task.as_slice()).map_err(storage)? {
            Some(bytes) => Ok(Some(decode(bytes.value())?)),
            None => Ok(None),
        }
    }

    /// Every job, in task-id order.
    pub fn jobs(&self) -> Result<Vec<Job>, SolverError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let table = tx.open_table(JOBS).map_err(storage)?;
        let mut jobs = Vec::new();
        for entry in table.iter().map_err(storage)? {
            let (_, value) = entry.map_err(storage)?;
            jobs.push(decode(value.value())?);
        }
        Ok(jobs)
    }

    /// Every transaction not yet settled by a receipt, in nonce order.
    pub fn outbox(&self) -> Result<Vec<Outgoing>, SolverError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let table = tx.open_table(OUTBOX).map_err(storage)?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(storage)? {
            let (_, value) = entry.map_err(storage)?;
            out.push(decode(value.value())?);
        }
        Ok(out)
    }

    /// Applies one atomic change.
    pub fn apply(&self, change: Change<'_>) -> Result<(), SolverError> {
        let tx = self.db.begin_write().map_err(storage)?;
        {
            let mut jobs = tx.open_table(JOBS).map_err(storage)?;
            for job in change.jobs {
                let bytes = serde_json::to_vec(job).map_err(storage)?;
                jobs.insert(job.task.as_slice(), bytes.as_slice()).map_err(storage)?;
            }
            let mut meta = tx.open_table(META).map_err(storage)?;
            if let Some(cursor) = change.cursor {
                meta.insert(CURSOR, cursor).map_err(storage)?;
            }
            if let Some(nonce) = change.next_nonce {
                meta.insert(NEXT_NONCE, nonce).map_err(storage)?;
            }
            let mut outbox = tx.open_table(OUTBOX).map_err(storage)?;
            if let Some(sent) = change.sent {
                let bytes = serde_json::to_vec(sent).map_err(storage)?;
                outbox.insert(sent.nonce, bytes.as_slice()).map_err(storage)?;
            }
            if let Some(nonce) = change.settled {
                outbox.remove(nonce).map_err(storage)?;
            }
        }
        tx.commit().map_err(storage)
    }
}

/// One atomic change to the store; absent parts are left as they are.
#[derive(Default)]
pub struct Change<'a> {
    /// Jobs to insert or replace.
    pub jobs: &'a [Job],
    /// A new scan cursor.
    pub cursor: Option<u64>,
    /// A new next nonce.
    pub next_nonce: Option<u64>,
    /// A transaction to add to the outbox.
    pub sent: Option<&'a Outgoing>,
    /// The nonce of an outbox transaction that is settled.
    pub settled: Option<u64>,
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, SolverError> {
    serde_json::from_slice(bytes).map_err(|e| SolverError::Store(format!("corrupt record: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{InFlight, Phase};
    use alloy_primitives::{Address, U256};

    fn job(byte: u8) -> Job {
        Job::new(B256::repeat_byte(byte), B256::ZERO, U256::from(1), Address::ZERO, B256::ZERO, 1)
    }

    #[test]
    fn changes_are_atomic_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("solver.redb");
        let sent = Outgoing {
            nonce: 7,
            hash: B256::repeat_byte(9),
            raw: Bytes::from_static(b"raw"),
            action: Action::Commit,
            tasks: vec![B256::repeat_byte(1)],
            sent_at_ms: 5,
        };
        {
            let store = Store::open(&path).unwrap();
            assert_eq!(store.cursor().unwrap(), None);
            store.apply(Change { jobs: &[job(1), job(2)], cursor: Some(10), ..Change::default() }).unwrap();
            let mut committing = job(1);
            committing.advance(Phase::Solved);
            committing.in_flight = Some(InFlight { action: Action::Commit, hash: sent.hash, nonce: 7 });
            store
                .apply(Change { jobs: &[committing], next_nonce: Some(8), sent: Some(&sent), ..Change::default() })
                .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.cursor().unwrap(), Some(10));
        assert_eq!(store.next_nonce().unwrap(), Some(8));
        assert_eq!(store.outbox().unwrap(), vec![sent.clone()]);
        let jobs = store.jobs().unwrap();
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs[0].in_flight.as_ref().unwrap().hash, sent.hash);
        store.apply(Change { settled: Some(7), ..Change::default() }).unwrap();
        assert!(store.outbox().unwrap().is_empty());
        assert_eq!(store.job(&B256::repeat_byte(2)).unwrap().unwrap(), job(2));
        assert_eq!(store.job(&B256::repeat_byte(3)).unwrap(), None);
    }
}
