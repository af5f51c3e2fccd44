//! An on-disk, content-addressed block store with pinning and garbage
//! collection.
//!
//! Layout under the store's directory:
//! - `blocks/<first two hex digits>/<sha2-256 hex>`: one file per block,
//!   keyed by digest, so a dag-pb block is stored once whether it is named
//!   by CIDv0 or CIDv1;
//! - `pins/<cid>`: one empty file per recursively pinned root;
//! - `tmp/`: blocks being written. A block is written there, fsynced, then
//!   renamed into place and its directory fsynced, so a crash (even
//!   `kill -9` or power loss) never leaves a torn block under `blocks/`;
//!   leftovers in `tmp/` are removed on open.
//!
//! Every read re-hashes the block: a corrupted block is reported as
//! [`BlockstoreError::Corrupted`], never returned.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{RwLock, RwLockReadGuard};

use crate::builder::BlockSink;
use crate::cid::{Cid, DAG_PB, RAW};
use crate::dagpb::{self, DecodeError};

/// Errors of the block store.
#[derive(Debug, thiserror::Error)]
pub enum BlockstoreError {
    /// No block with this CID's digest is stored.
    #[error("block {0} not found in the local store")]
    NotFound(Cid),
    /// The stored bytes no longer hash to the CID: the block is refused.
    #[error("block {cid} is corrupted on disk ({path}): its bytes do not hash to its CID")]
    Corrupted {
        /// The block asked for.
        cid: Cid,
        /// Where it lies.
        path: PathBuf,
    },
    /// The block is intact but not a dag-pb/UnixFS node we can read.
    #[error("block {cid} cannot be decoded: {source}")]
    Decode {
        /// The block.
        cid: Cid,
        /// Why.
        #[source]
        source: DecodeError,
    },
    /// The DAG's sizes disagree with its blocks' contents.
    #[error("DAG under {0} is inconsistent: {1}")]
    Inconsistent(Cid, String),
    /// `unpin` of a CID that is not pinned.
    #[error("{0} is not pinned")]
    NotPinned(Cid),
    /// The bytes given to [`Blockstore::put_block`] do not hash to the CID.
    #[error("block bytes do not hash to {0}")]
    HashMismatch(Cid),
    /// An I/O error, with the path it happened on.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> BlockstoreError + '_ {
    move |source| BlockstoreError::Io { path: path.to_owned(), source }
}

/// What a garbage collection removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Digests of the blocks removed (as CIDv1 raw, since the store keeps no codec).
    pub removed: Vec<[u8; 32]>,
    /// Blocks kept because a pin reaches them.
    pub kept: u64,
}

/// The on-disk block store. Share it behind an `Arc`; all methods take `&self`.
#[derive(Debug)]
pub struct Blockstore {
    root: PathBuf,
    /// Writers hold it shared, garbage collection exclusively, so GC never
    /// removes blocks of an add that has not been pinned yet.
    gc_lock: RwLock<()>,
    temp_counter: AtomicU64,
}

impl Blockstore {
    /// Opens (creating if needed) a store in `dir`, removing leftovers of
    /// interrupted writes.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Blockstore, BlockstoreError> {
        let root = dir.into();
        for sub in ["blocks", "pins", "tmp"] {
            let path = root.join(sub);
            fs::create_dir_all(&path).map_err(io_error(&path))?;
        }
        let tmp = root.join("tmp");
        for entry in fs::read_dir(&tmp).map_err(io_error(&tmp))? {
            let entry = entry.map_err(io_error(&tmp))?;
            tracing::debug!(path = %entry.path().display(), "removing interrupted write");
            fs::remove_file(entry.path()).map_err(io_error(&entry.path()))?;
        }
        Ok(Blockstore { root, gc_lock: RwLock::new(()), temp_counter: AtomicU64::new(0) })
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.root
    }

    /// Where the block with this digest lives.
    pub fn block_path(&self, digest: &[u8; 32]) -> PathBuf {
        let hex = hex(digest);
        self.root.join("blocks").join(&hex[..2]).join(hex)
    }

    /// Whether a block with this CID's digest is stored (unverified).
    pub fn has(&self, cid: &Cid) -> bool {
        self.block_path(&cid.multihash_digest()).is_file()
    }

    /// Reads a block and verifies it against its CID.
    pub fn get(&self, cid: &Cid) -> Result<Vec<u8>, BlockstoreError> {
        let path = self.block_path(&cid.multihash_digest());
        let block = match fs::read(&path) {
            Ok(block) => block,
            Err(error) if error.kind() == ErrorKind::NotFound => return Err(BlockstoreError::NotFound(*cid)),
            Err(error) => return Err(io_error(&path)(error)),
        };
        if crate::sha256(&block) != cid.multihash_digest() {
            tracing::warn!(%cid, path = %path.display(), "corrupted block refused");
            return Err(BlockstoreError::Corrupted { cid: *cid, path });
        }
        Ok(block)
    }

    /// Stores a block after checking that `block` hashes to `cid`.
    /// Returns whether it was newly written.
    pub fn put_block(&self, cid: &Cid, block: &[u8]) -> Result<bool, BlockstoreError> {
        if crate::sha256(block) != cid.multihash_digest() {
            return Err(BlockstoreError::HashMismatch(*cid));
        }
        let _shared = self.gc_lock.read().unwrap_or_else(|poison| poison.into_inner());
        self.write_block(&cid.multihash_digest(), &[block], Durability::Now)
    }

    /// Writes a block atomically unless present. The caller vouches that
    /// `parts` hash to `digest`. With [`Durability::Batched`] the caller must
    /// call [`Blockstore::sync`] before acknowledging the write.
    fn write_block(&self, digest: &[u8; 32], parts: &[&[u8]], durability: Durability) -> Result<bool, BlockstoreError> {
        let final_path = self.block_path(digest);
        if final_path.is_file() {
            return Ok(false);
        }
        let shard = final_path.parent().expect("block path has a shard directory");
        fs::create_dir_all(shard).map_err(io_error(shard))?;
        let temp_path = self.temp_path();
        let result = (|| {
            let mut file = File::create(&temp_path).map_err(io_error(&temp_path))?;
            for part in parts {
                file.write_all(part).map_err(io_error(&temp_path))?;
            }
            if durability == Durability::Now {
                file.sync_all().map_err(io_error(&temp_path))?;
            }
            // The rename is atomic: readers (and a restart after kill -9)
            // see either no block or the whole block.
            fs::rename(&temp_path, &final_path).map_err(io_error(&final_path))?;
            match durability {
                Durability::Now => sync_dir(shard),
                Durability::Batched => Ok(()),
            }
        })();
        if result.is_err() {
            let _ = fs::remove_file(&temp_path);
        }
        result.map(|()| true)
    }

    fn temp_path(&self) -> PathBuf {
        let serial = self.temp_counter.fetch_add(1, Ordering::Relaxed);
        self.root.join("tmp").join(format!("{}-{serial}", std::process::id()))
    }

    /// Removes one block (whatever pins say). Returns whether it existed.
    pub fn delete(&self, cid: &Cid) -> Result<bool, BlockstoreError> {
        let path = self.block_path(&cid.multihash_digest());
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == ErrorKind::NotFound => Ok(false),
            Err(error) => Err(io_error(&path)(error)),
        }
    }

    /// Starts a group of writes (one `add`). Garbage collection waits until
    /// the writer is finished; if it is dropped unfinished, every block it
    /// newly wrote is removed again.
    pub fn writer(&self) -> BlockWriter<'_> {
        BlockWriter {
            store: self,
            _shared: self.gc_lock.read().unwrap_or_else(|poison| poison.into_inner()),
            written: Vec::new(),
            finished: false,
        }
    }

    /// Visits every block of the DAG under `root`, verifying each (each
    /// distinct block once). `visit` gets the CID and the block bytes.
    pub fn walk_dag(&self, root: &Cid, mut visit: impl FnMut(&Cid, &[u8])) -> Result<(), BlockstoreError> {
        let mut seen = HashSet::new();
        let mut stack = vec![*root];
        while let Some(cid) = stack.pop() {
            if !seen.insert(cid.multihash_digest()) {
                continue;
            }
            let block = self.get(&cid)?;
            visit(&cid, &block);
            if cid.codec() == DAG_PB {
                let node = dagpb::decode_node(&block).map_err(|source| BlockstoreError::Decode { cid, source })?;
                stack.extend(node.links.iter().rev().map(|link| link.cid));
            }
        }
        Ok(())
    }

    /// Pins the DAG under `root` recursively after checking that every block
    /// is present and intact. Pinning twice is harmless.
    pub fn pin(&self, root: &Cid) -> Result<(), BlockstoreError> {
        let _shared = self.gc_lock.read().unwrap_or_else(|poison| poison.into_inner());
        self.pin_locked(root)
    }

    fn pin_locked(&self, root: &Cid) -> Result<(), BlockstoreError> {
        self.walk_dag(root, |_, _| {})?;
        self.write_pin(root)
    }

    /// Records the pin file (the DAG is known to be present).
    fn write_pin(&self, root: &Cid) -> Result<(), BlockstoreError> {
        let path = self.pin_path(root);
        if path.is_file() {
            return Ok(());
        }
        let temp_path = self.temp_path();
        File::create(&temp_path).and_then(|file| file.sync_all()).map_err(io_error(&temp_path))?;
        fs::rename(&temp_path, &path).map_err(io_error(&path))?;
        sync_dir(&self.root.join("pins"))?;
        tracing::info!(cid = %root, "pinned");
        Ok(())
    }

    /// Removes a recursive pin. Blocks stay until the next [`Blockstore::gc`].
    pub fn unpin(&self, root: &Cid) -> Result<(), BlockstoreError> {
        let path = self.pin_path(root);
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(&self.root.join("pins")),
            Err(error) if error.kind() == ErrorKind::NotFound => Err(BlockstoreError::NotPinned(*root)),
            Err(error) => Err(io_error(&path)(error)),
        }
    }

    /// Whether `root` is pinned.
    pub fn is_pinned(&self, root: &Cid) -> bool {
        self.pin_path(root).is_file()
    }

    /// All pinned roots, sorted.
    pub fn pins(&self) -> Result<Vec<Cid>, BlockstoreError> {
        let dir = self.root.join("pins");
        let mut pins = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io_error(&dir))? {
            let entry = entry.map_err(io_error(&dir))?;
            let name = entry.file_name();
            match name.to_str().map(str::parse::<Cid>) {
                Some(Ok(cid)) => pins.push(cid),
                _ => tracing::warn!(name = ?name, "ignoring stray file in pins/"),
            }
        }
        pins.sort();
        Ok(pins)
    }

    fn pin_path(&self, root: &Cid) -> PathBuf {
        self.root.join("pins").join(root.to_string())
    }

    /// Removes every block no pin reaches. A pinned DAG with a missing or
    /// corrupted block aborts the collection (nothing is removed), since
    /// what it would have referenced cannot be known.
    pub fn gc(&self) -> Result<GcReport, BlockstoreError> {
        let _exclusive = self.gc_lock.write().unwrap_or_else(|poison| poison.into_inner());
        let mut live = HashSet::new();
        for pin in self.pins()? {
            self.walk_dag(&pin, |cid, _| {
                live.insert(cid.multihash_digest());
            })?;
        }
        let mut report = GcReport::default();
        let blocks = self.root.join("blocks");
        for shard in fs::read_dir(&blocks).map_err(io_error(&blocks))? {
            let shard = shard.map_err(io_error(&blocks))?.path();
            for entry in fs::read_dir(&shard).map_err(io_error(&shard))? {
                let path = entry.map_err(io_error(&shard))?.path();
                let digest = path.file_name().and_then(|name| name.to_str()).and_then(parse_hex_digest);
                match digest {
                    Some(digest) if live.contains(&digest) => report.kept += 1,
                    Some(digest) => {
                        fs::remove_file(&path).map_err(io_error(&path))?;
                        report.removed.push(digest);
                    }
                    None => tracing::warn!(path = %path.display(), "ignoring stray file in blocks/"),
                }
            }
        }
        tracing::info!(removed = report.removed.len(), kept = report.kept, "garbage collected");
        Ok(report)
    }
}

/// Writes the blocks of one `add`; see [`Blockstore::writer`].
#[derive(Debug)]
pub struct BlockWriter<'a> {
    store: &'a Blockstore,
    _shared: RwLockReadGuard<'a, ()>,
    written: Vec<[u8; 32]>,
    finished: bool,
}

impl BlockWriter<'_> {
    /// Makes the written blocks durable and keeps them, pinning `root` if
    /// asked. `root` must be the root of the DAG this writer wrote.
    pub fn finish(mut self, root: &Cid, pin: bool) -> Result<(), BlockstoreError> {
        if !self.written.is_empty() {
            self.store.sync()?;
        }
        if pin {
            // Every block of this DAG passed through this writer: it was
            // written now or found already stored, so no re-read is needed.
            self.store.write_pin(root)?;
        }
        self.finished = true;
        Ok(())
    }

    /// Number of blocks this writer newly stored.
    pub fn newly_written(&self) -> usize {
        self.written.len()
    }
}

impl BlockSink for BlockWriter<'_> {
    type Error = BlockstoreError;

    fn put_block(&mut self, cid: &Cid, parts: &[&[u8]]) -> Result<(), BlockstoreError> {
        let digest = cid.multihash_digest();
        if self.store.write_block(&digest, parts, Durability::Batched)? {
            self.written.push(digest);
        }
        Ok(())
    }
}

impl Drop for BlockWriter<'_> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        for digest in &self.written {
            let path = self.store.block_path(digest);
            if let Err(error) = fs::remove_file(&path) {
                tracing::warn!(path = %path.display(), %error, "could not remove block of an abandoned add");
            }
        }
        if !self.written.is_empty() {
            tracing::info!(blocks = self.written.len(), "removed blocks of an abandoned add");
        }
    }
}

/// When a block write must reach stable storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Durability {
    /// fsync the block and its directory before returning.
    Now,
    /// Leave it to one [`Blockstore::sync`] for the whole batch.
    Batched,
}

impl Blockstore {
    /// Flushes every write to the store's file system to stable storage
    /// (one `syncfs` on Linux instead of one fsync per block).
    pub fn sync(&self) -> Result<(), BlockstoreError> {
        let blocks = self.root.join("blocks");
        let handle = File::open(&blocks).map_err(io_error(&blocks))?;
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: `handle` is an open descriptor for the whole call.
            if unsafe { libc::syncfs(handle.as_raw_fd()) } != 0 {
                return Err(io_error(&blocks)(std::io::Error::last_os_error()));
            }
            Ok(())
        }
        #[cfg(not(target_os = "linux"))]
        {
            drop(handle);
            for shard in fs::read_dir(&blocks).map_err(io_error(&blocks))? {
                let shard = shard.map_err(io_error(&blocks))?.path();
                for entry in fs::read_dir(&shard).map_err(io_error(&shard))? {
                    let path = entry.map_err(io_error(&shard))?.path();
                    File::open(&path).and_then(|file| file.sync_all()).map_err(io_error(&path))?;
                }
                sync_dir(&shard)?;
            }
            Ok(())
        }
    }
}

fn sync_dir(dir: &Path) -> Result<(), BlockstoreError> {
    File::open(dir).and_then(|handle| handle.sync_all()).map_err(io_error(dir))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[(byte >> 4) as usize] as char);
        out.push(DIGITS[(byte & 15) as usize] as char);
    }
    out
}

fn parse_hex_digest(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (index, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(index * 2..index * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

/// The CID a raw block with this digest has (for reporting GC results).
pub fn raw_cid(digest: [u8; 32]) -> Cid {
    Cid::v1(RAW, digest).expect("raw is supported")
}
