//! IPFS-compatible content addressing for DML.
//!
//! Task inputs and solution outputs are named by IPFS CIDs (whitepaper §2, §4).
//! This crate computes those CIDs byte-for-byte as kubo's `ipfs add` does —
//! CIDv0 dag-pb UnixFS files by default, CIDv1 with raw leaves for
//! `--cid-version 1` — for any input size in bounded memory.
//! It is not an IPFS node: there is no DHT, no bitswap, no directories.
//!
//! Around the CID code: [`Blockstore`], an on-disk block store (atomic
//! writes, verified reads, pins, GC); [`server`], the kubo RPC subset and a
//! read-only gateway; [`ContentClient`], a client for that API that also
//! talks to a real kubo node.
//!
//! ```
//! let cid = dml_content::cid_v0(b"hello\n");
//! assert_eq!(cid.to_string(), "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN");
//! ```

pub mod add;
pub mod blockstore;
pub mod builder;
pub mod cid;
pub mod client;
pub mod dagpb;
pub mod reader;
pub mod server;
pub mod sniff;

pub use add::{add_from_reader, AddError};
pub use blockstore::{Blockstore, BlockstoreError, GcReport};
pub use builder::{BlockSink, DagBuilder, DagOptions, DagRoot, HashOnly, CHUNK_SIZE, MAX_LINKS};
pub use cid::{Cid, CidError, CidVersion};
pub use client::{AddOptions, AddResponse, ClientError, ContentClient};
pub use server::{ContentServer, ServerConfig, ServerError};

use sha2::{Digest, Sha256};

/// Plain sha2-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// The CIDv0 `ipfs add` prints for a file with these bytes (any size).
pub fn cid_v0(data: &[u8]) -> Cid {
    dag_root(data, DagOptions::V0).cid
}

/// The CIDv1 `ipfs add --cid-version 1` prints (raw leaves) for these bytes.
pub fn cid_v1(data: &[u8]) -> Cid {
    dag_root(data, DagOptions::V1).cid
}

/// The whole DAG root (CID, cumulative size, file size) for in-memory bytes.
pub fn dag_root(data: &[u8], options: DagOptions) -> DagRoot {
    let mut builder = DagBuilder::hash_only(options);
    let Ok(()) = builder.write(data);
    let Ok((root, _)) = builder.finish();
    root
}

/// The DAG root for everything `reader` yields, in bounded memory.
pub fn dag_root_of_reader(mut reader: impl std::io::Read, options: DagOptions) -> std::io::Result<DagRoot> {
    let mut builder = DagBuilder::hash_only(options);
    let mut buffer = vec![0u8; CHUNK_SIZE * 4];
    loop {
        let read = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        let Ok(()) = builder.write(&buffer[..read]);
    }
    let Ok((root, _)) = builder.finish();
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_matches_ipfs_add() {
        assert_eq!(cid_v0(b"hello\n").to_string(), "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN");
        assert_eq!(dag_root(b"hello\n", DagOptions::V0).tree_size, 14);
    }

    #[test]
    fn empty_file_matches_ipfs_add() {
        assert_eq!(cid_v0(b"").to_string(), "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH");
        assert_eq!(cid_v1(b"").to_string(), "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
    }
}

#[cfg(test)]
mod single_block_tests {
    use super::*;
    use proptest::prelude::*;

    /// The single-block encoding the engine computes on chain, written out
    /// independently: PBNode{Data: UnixFS{Type: File, Data, filesize}}.
    fn single_block(content: &[u8]) -> Vec<u8> {
        fn varint(out: &mut Vec<u8>, mut value: usize) {
            while value >= 0x80 {
                out.push(value as u8 | 0x80);
                value >>= 7;
            }
            out.push(value as u8);
        }
        let mut unixfs = vec![0x08, 0x02];
        if !content.is_empty() {
            unixfs.push(0x12);
            varint(&mut unixfs, content.len());
            unixfs.extend_from_slice(content);
        }
        unixfs.push(0x18);
        varint(&mut unixfs, content.len());
        let mut node = vec![0x0a];
        varint(&mut node, unixfs.len());
        node.extend_from_slice(&unixfs);
        node
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Inputs up to 64 KiB (what `submitTask` accepts) are one block whose
        /// digest is the CIDv0 digest the engine stores.
        #[test]
        fn cid_v0_of_small_inputs_is_the_single_block_digest(content in proptest::collection::vec(any::<u8>(), 0..=65_536)) {
            let cid = cid_v0(&content);
            prop_assert_eq!(cid.multihash_digest(), sha256(&single_block(&content)));
            prop_assert_eq!(dag_root(&content, DagOptions::V0).block_count, 1);
        }
    }

    #[test]
    fn boundary_sizes_of_single_blocks() {
        for size in [0usize, 1, 127, 128, 16_383, 16_384, 65_535, 65_536, CHUNK_SIZE] {
            let content = vec![0xa5u8; size];
            assert_eq!(cid_v0(&content).multihash_digest(), sha256(&single_block(&content)), "{size}");
        }
        let two_chunks = vec![0u8; CHUNK_SIZE + 1];
        assert_eq!(dag_root(&two_chunks, DagOptions::V0).block_count, 3);
    }
}
