//! Reading a UnixFS file back out of a [`Blockstore`]: its size, and any
//! byte range of it, block by block in bounded memory.

use std::ops::Range;

use crate::blockstore::{Blockstore, BlockstoreError};
use crate::cid::{Cid, RAW};
use crate::dagpb;

/// The file size recorded in the root block of `root`.
pub fn file_size(store: &Blockstore, root: &Cid) -> Result<u64, BlockstoreError> {
    let block = store.get(root)?;
    if root.codec() == RAW {
        return Ok(block.len() as u64);
    }
    let node = decode(root, &block)?;
    Ok(node.1.file_size)
}

/// Whether `emit` wants more data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Keep going.
    Continue,
    /// Stop reading (e.g. the client went away).
    Stop,
}

/// Emits the bytes of `range` of the file under `root`, in order, one
/// block's worth at a time. Blocks outside the range are not read. Every
/// block is verified against its CID; a missing, corrupted or inconsistent
/// block ends the read with an error.
pub fn read_range(
    store: &Blockstore,
    root: &Cid,
    range: Range<u64>,
    emit: &mut dyn FnMut(&[u8]) -> Flow,
) -> Result<Flow, BlockstoreError> {
    if range.is_empty() {
        return Ok(Flow::Continue);
    }
    read_node(store, root, None, 0, &range, emit)
}

/// Reads the node `cid` that holds file bytes `[node_start, node_start + size)`.
fn read_node(
    store: &Blockstore,
    cid: &Cid,
    expected_size: Option<u64>,
    node_start: u64,
    range: &Range<u64>,
    emit: &mut dyn FnMut(&[u8]) -> Flow,
) -> Result<Flow, BlockstoreError> {
    let block = store.get(cid)?;
    if cid.codec() == RAW {
        check_size(cid, expected_size, block.len() as u64)?;
        return Ok(emit_part(&block, node_start, range, emit));
    }
    let (node, unixfs) = decode(cid, &block)?;
    check_size(cid, expected_size, unixfs.file_size)?;
    if unixfs.block_sizes.len() != node.links.len() {
        return Err(BlockstoreError::Decode {
            cid: *cid,
            source: dagpb::DecodeError::BlockSizesMismatch {
                links: node.links.len(),
                block_sizes: unixfs.block_sizes.len(),
            },
        });
    }
    let mut position = node_start;
    if !unixfs.content.is_empty() {
        if emit_part(unixfs.content, position, range, emit) == Flow::Stop {
            return Ok(Flow::Stop);
        }
        position += unixfs.content.len() as u64;
    }
    for (link, &size) in node.links.iter().zip(&unixfs.block_sizes) {
        let child = position..position + size;
        if child.start >= range.end {
            break;
        }
        if child.end > range.start && read_node(store, &link.cid, Some(size), position, range, emit)? == Flow::Stop {
            return Ok(Flow::Stop);
        }
        position = child.end;
    }
    Ok(Flow::Continue)
}

fn decode<'a>(cid: &Cid, block: &'a [u8]) -> Result<(dagpb::PbNode<'a>, dagpb::UnixfsFile<'a>), BlockstoreError> {
    let decode_error = |source| BlockstoreError::Decode { cid: *cid, source };
    let node = dagpb::decode_node(block).map_err(decode_error)?;
    let data =
        node.data.ok_or(dagpb::DecodeError::Protobuf("dag-pb node without UnixFS data")).map_err(decode_error)?;
    let unixfs = dagpb::decode_unixfs_file(data).map_err(decode_error)?;
    Ok((node, unixfs))
}

fn check_size(cid: &Cid, expected: Option<u64>, actual: u64) -> Result<(), BlockstoreError> {
    match expected {
        Some(expected) if expected != actual => {
            Err(BlockstoreError::Inconsistent(*cid, format!("parent says {expected} bytes, node holds {actual}")))
        }
        _ => Ok(()),
    }
}

/// Emits the part of `bytes` (file offsets from `start`) inside `range`.
fn emit_part(bytes: &[u8], start: u64, range: &Range<u64>, emit: &mut dyn FnMut(&[u8]) -> Flow) -> Flow {
    let end = start + bytes.len() as u64;
    let from = range.start.max(start);
    let to = range.end.min(end);
    if from >= to {
        return Flow::Continue;
    }
    emit(&bytes[(from - start) as usize..(to - start) as usize])
}
