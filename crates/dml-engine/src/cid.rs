//! The CIDv0 that `ipfs add` prints for a single-chunk input, computed on
//! chain as Arbius does: a dag-pb node holding a UnixFS `File` with the
//! bytes inline, hashed with sha2-256.
//!
//! Valid for inputs up to one chunk (256 KiB); the engine accepts at most
//! 64 KiB. Larger files are chunked into a DAG, which `dml-content` handles.

use alloc::vec::Vec;
use sha2::{Digest, Sha256};

/// Multihash prefix of a sha2-256 digest: code 0x12, length 0x20.
pub const SHA256_MULTIHASH_PREFIX: [u8; 2] = [0x12, 0x20];

fn push_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// The dag-pb block `ipfs add` stores for a single-chunk file.
pub fn unixfs_file_block(content: &[u8]) -> Vec<u8> {
    // UnixFS Data message: Type = File (2), Data = content, filesize = len.
    let mut unixfs = Vec::with_capacity(content.len() + 16);
    unixfs.extend_from_slice(&[0x08, 0x02]);
    if !content.is_empty() {
        unixfs.push(0x12);
        push_varint(&mut unixfs, content.len() as u64);
        unixfs.extend_from_slice(content);
    }
    unixfs.push(0x18);
    push_varint(&mut unixfs, content.len() as u64);
    // PBNode with only its Data field (1, length-delimited).
    let mut node = Vec::with_capacity(unixfs.len() + 6);
    node.push(0x0a);
    push_varint(&mut node, unixfs.len() as u64);
    node.extend_from_slice(&unixfs);
    node
}

/// The sha2-256 digest inside the CIDv0 of a single-chunk file, and the size
/// of the block that was hashed (for gas).
pub fn cid_v0_digest(content: &[u8]) -> ([u8; 32], usize) {
    let block = unixfs_file_block(content);
    (Sha256::digest(&block).into(), block.len())
}

/// The CIDv0 bytes (`0x1220 ‖ digest`) that Arbius stores and returns.
pub fn cid_v0_bytes(digest: &[u8; 32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(34);
    out.extend_from_slice(&SHA256_MULTIHASH_PREFIX);
    out.extend_from_slice(digest);
    out
}

/// The digest of CIDv0 bytes, or `None` if they are not a sha2-256 multihash.
pub fn parse_cid_v0(bytes: &[u8]) -> Option<[u8; 32]> {
    if bytes.len() != 34 || bytes[..2] != SHA256_MULTIHASH_PREFIX {
        return None;
    }
    bytes[2..].try_into().ok()
}
