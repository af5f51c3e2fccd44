//! Adding a file to a [`Blockstore`]: chunk, build the DAG, store every
//! block, optionally pin the root — all in one streaming pass.

use std::io::{ErrorKind, Read};

use crate::blockstore::{Blockstore, BlockstoreError};
use crate::builder::{DagBuilder, DagOptions, DagRoot};

/// Why an add failed. Either way, no block of it is left behind (unless an
/// identical block was stored before).
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// Reading the input failed (e.g. a truncated upload).
    #[error("reading the input failed: {0}")]
    Read(#[source] std::io::Error),
    /// The input exceeded the allowed size.
    #[error("input exceeds the limit of {limit_bytes} bytes")]
    TooLarge {
        /// The limit.
        limit_bytes: u64,
    },
    /// Storing failed.
    #[error(transparent)]
    Store(#[from] BlockstoreError),
}

/// Adds everything `reader` yields as one file; returns the root, as
/// `ipfs add` would print it. `limit_bytes` caps the input size.
pub fn add_from_reader(
    store: &Blockstore,
    mut reader: impl Read,
    options: DagOptions,
    pin: bool,
    limit_bytes: Option<u64>,
) -> Result<DagRoot, AddError> {
    let mut builder = DagBuilder::new(options, store.writer());
    let mut buffer = vec![0u8; options.chunk_size.clamp(64 * 1024, 1024 * 1024)];
    let mut total = 0u64;
    loop {
        let read = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            Err(error) => return Err(AddError::Read(error)),
        };
        total += read as u64;
        if let Some(limit_bytes) = limit_bytes.filter(|&limit| total > limit) {
            return Err(AddError::TooLarge { limit_bytes });
        }
        builder.write(&buffer[..read])?;
    }
    let (root, writer) = builder.finish()?;
    tracing::debug!(cid = %root.cid, size = root.file_size, new_blocks = writer.newly_written(), "added");
    writer.finish(&root.cid, pin)?;
    Ok(root)
}

/// A blocking [`Read`] over chunks sent from async code (an HTTP upload).
/// An `Err` item, or the sender going away, ends the read with an error
/// unless [`ChannelReader`] saw the end marker (`None`).
#[derive(Debug)]
pub struct ChannelReader {
    receiver: tokio::sync::mpsc::Receiver<Option<Result<bytes::Bytes, std::io::Error>>>,
    current: bytes::Bytes,
    ended: bool,
}

impl ChannelReader {
    /// A reader and the sender that feeds it (`Some(Ok(bytes))` per chunk,
    /// `None` once at the end).
    pub fn new(
        capacity: usize,
    ) -> (tokio::sync::mpsc::Sender<Option<Result<bytes::Bytes, std::io::Error>>>, ChannelReader) {
        let (sender, receiver) = tokio::sync::mpsc::channel(capacity);
        let reader = ChannelReader { receiver, current: bytes::Bytes::new(), ended: false };
        (sender, reader)
    }
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            if self.ended {
                return Ok(0);
            }
            match self.receiver.blocking_recv() {
                Some(Some(Ok(bytes))) => self.current = bytes,
                Some(Some(Err(error))) => return Err(error),
                Some(None) => self.ended = true,
                None => {
                    return Err(std::io::Error::new(ErrorKind::UnexpectedEof, "upload ended before its end marker"))
                }
            }
        }
        let take = self.current.len().min(out.len());
        out[..take].copy_from_slice(&self.current[..take]);
        bytes::Buf::advance(&mut self.current, take);
        Ok(take)
    }
}
