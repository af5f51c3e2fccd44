//! Streaming construction of the UnixFS file DAG exactly as kubo's `ipfs add`
//! builds it: fixed 262,144-byte chunks, balanced layout with at most 174
//! links per node, dag-pb + UnixFS protobuf nodes (or raw leaves for CIDv1).
//!
//! Memory stays bounded by one chunk plus one pending link list per tree
//! level (≤ 174 links each), whatever the input size.

use std::convert::Infallible;

use sha2::{Digest, Sha256};

use crate::cid::{varint_len, write_varint, Cid, CidVersion, DAG_PB, RAW};

/// Kubo's default chunk size (`size-262144`).
pub const CHUNK_SIZE: usize = 262_144;
/// Kubo's balanced layout links per node (`helpers.DefaultLinksPerBlock`).
pub const MAX_LINKS: usize = 174;

/// How to build the DAG: the two `ipfs add` modes kubo offers by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DagOptions {
    /// CID version of every node.
    pub cid_version: CidVersion,
    /// Store leaves as raw blocks (codec raw) instead of UnixFS dag-pb nodes.
    pub raw_leaves: bool,
    /// Fixed chunk size in bytes (kubo's `--chunker size-N`; default 262,144).
    pub chunk_size: usize,
    /// Most links per internal node of the balanced layout (kubo: 174).
    pub max_links: usize,
}

impl DagOptions {
    /// `ipfs add` defaults: CIDv0, dag-pb leaves.
    pub const V0: DagOptions =
        DagOptions { cid_version: CidVersion::V0, raw_leaves: false, chunk_size: CHUNK_SIZE, max_links: MAX_LINKS };
    /// `ipfs add --cid-version 1`: CIDv1, raw leaves (kubo turns them on with v1).
    pub const V1: DagOptions =
        DagOptions { cid_version: CidVersion::V1, raw_leaves: true, chunk_size: CHUNK_SIZE, max_links: MAX_LINKS };

    /// Options the way kubo derives them from `--cid-version` and an optional
    /// `--raw-leaves` flag (raw leaves default to on for CIDv1).
    pub fn from_flags(cid_version: CidVersion, raw_leaves: Option<bool>) -> DagOptions {
        DagOptions { cid_version, raw_leaves: raw_leaves.unwrap_or(cid_version == CidVersion::V1), ..DagOptions::V0 }
    }
}

/// Receives every block the builder produces, leaves first, root last.
///
/// A block arrives as slices to concatenate, so leaves are never copied
/// just to be hashed.
pub trait BlockSink {
    /// Error the sink may fail with.
    type Error;
    /// Stores one block with the CID the builder computed for it.
    fn put_block(&mut self, cid: &Cid, parts: &[&[u8]]) -> Result<(), Self::Error>;
}

/// A sink that drops every block: computes the CID only (`ipfs add --only-hash`).
#[derive(Debug, Default, Clone, Copy)]
pub struct HashOnly;

impl BlockSink for HashOnly {
    type Error = Infallible;
    fn put_block(&mut self, _cid: &Cid, _parts: &[&[u8]]) -> Result<(), Infallible> {
        Ok(())
    }
}

/// A link waiting to be placed into its parent node.
#[derive(Debug, Clone, Copy)]
struct PendingLink {
    cid: Cid,
    /// Cumulative block bytes under this link (the dag-pb `Tsize`).
    tree_size: u64,
    /// File bytes under this link (the parent's UnixFS `blocksizes` entry).
    file_size: u64,
}

/// The root of a finished DAG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DagRoot {
    /// The CID `ipfs add` prints.
    pub cid: Cid,
    /// Total bytes of all blocks (`Size` in kubo's add reply, `CumulativeSize`).
    pub tree_size: u64,
    /// Bytes of file content.
    pub file_size: u64,
    /// Number of blocks produced (duplicates counted).
    pub block_count: u64,
}

/// Builds a file DAG from bytes written in any pieces.
#[derive(Debug)]
pub struct DagBuilder<S: BlockSink> {
    options: DagOptions,
    sink: S,
    chunk: Vec<u8>,
    levels: Vec<Vec<PendingLink>>,
    node_buffer: Vec<u8>,
    leaves_emitted: u64,
    block_count: u64,
}

impl DagBuilder<HashOnly> {
    /// A builder that only computes the CID.
    pub fn hash_only(options: DagOptions) -> DagBuilder<HashOnly> {
        DagBuilder::new(options, HashOnly)
    }
}

impl<S: BlockSink> DagBuilder<S> {
    /// A builder that hands every block to `sink`.
    ///
    /// # Panics
    /// If `options.chunk_size` is 0 or `options.max_links` is below 2.
    pub fn new(options: DagOptions, sink: S) -> DagBuilder<S> {
        assert!(options.chunk_size > 0, "chunk size must be positive");
        assert!(options.max_links >= 2, "a node needs room for two links");
        DagBuilder {
            options,
            sink,
            chunk: Vec::with_capacity(options.chunk_size),
            levels: Vec::new(),
            node_buffer: Vec::new(),
            leaves_emitted: 0,
            block_count: 0,
        }
    }

    /// The sink, e.g. to inspect what it stored so far.
    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// Feeds file bytes.
    pub fn write(&mut self, mut data: &[u8]) -> Result<(), S::Error> {
        while !data.is_empty() {
            let chunk_size = self.options.chunk_size;
            if self.chunk.is_empty() && data.len() >= chunk_size {
                // Whole chunks straight from the caller's buffer, no copy.
                let (whole, rest) = data.split_at(chunk_size);
                self.emit_leaf_from(whole)?;
                data = rest;
                continue;
            }
            let take = (chunk_size - self.chunk.len()).min(data.len());
            self.chunk.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.chunk.len() == chunk_size {
                let chunk = std::mem::take(&mut self.chunk);
                let result = self.emit_leaf_from(&chunk);
                self.chunk = chunk;
                self.chunk.clear();
                result?;
            }
        }
        Ok(())
    }

    /// Ends the file and returns the root and the sink.
    pub fn finish(mut self) -> Result<(DagRoot, S), S::Error> {
        if !self.chunk.is_empty() || self.leaves_emitted == 0 {
            let chunk = std::mem::take(&mut self.chunk);
            self.emit_leaf_from(&chunk)?;
        }
        let mut level = 0;
        let root = loop {
            let higher_pending = self.levels[level + 1..].iter().any(|links| !links.is_empty());
            if !higher_pending && self.levels[level].len() == 1 {
                break self.levels[level][0];
            }
            let link = self.emit_node(level)?;
            self.push_link(level + 1, link)?;
            level += 1;
        };
        let block_count = self.block_count;
        Ok((DagRoot { cid: root.cid, tree_size: root.tree_size, file_size: root.file_size, block_count }, self.sink))
    }

    fn emit_leaf_from(&mut self, data: &[u8]) -> Result<(), S::Error> {
        self.leaves_emitted += 1;
        self.block_count += 1;
        let size = data.len() as u64;
        let link = if self.options.raw_leaves {
            let cid = Cid::v1(RAW, crate::sha256(data)).expect("raw is supported");
            self.sink.put_block(&cid, &[data])?;
            PendingLink { cid, tree_size: size, file_size: size }
        } else {
            let (header, trailer) = leaf_frame(size);
            let mut hasher = Sha256::new();
            hasher.update(&header);
            hasher.update(data);
            hasher.update(&trailer);
            let cid = self.dag_pb_cid(hasher.finalize().into());
            self.sink.put_block(&cid, &[&header, data, &trailer])?;
            PendingLink { cid, tree_size: (header.len() + data.len() + trailer.len()) as u64, file_size: size }
        };
        self.push_link(0, link)
    }

    fn push_link(&mut self, level: usize, link: PendingLink) -> Result<(), S::Error> {
        if self.levels.len() <= level {
            self.levels.resize_with(level + 1, Vec::new);
        }
        if self.levels[level].len() == self.options.max_links {
            let parent = self.emit_node(level)?;
            self.push_link(level + 1, parent)?;
        }
        self.levels[level].push(link);
        Ok(())
    }

    /// Turns the pending links of `level` into one internal node.
    fn emit_node(&mut self, level: usize) -> Result<PendingLink, S::Error> {
        let links = std::mem::take(&mut self.levels[level]);
        let mut block = std::mem::take(&mut self.node_buffer);
        block.clear();
        let file_size: u64 = links.iter().map(|link| link.file_size).sum();
        let mut child_tree_size = 0u64;
        for link in &links {
            encode_link(&mut block, &link.cid, link.tree_size);
            child_tree_size += link.tree_size;
        }
        let mut unixfs = Vec::with_capacity(16 + links.len() * 4);
        encode_unixfs_file(&mut unixfs, None, file_size, links.iter().map(|l| l.file_size));
        block.push(0x0a);
        write_varint(&mut block, unixfs.len() as u64);
        block.extend_from_slice(&unixfs);
        let cid = self.dag_pb_cid(crate::sha256(&block));
        self.block_count += 1;
        let result = self.sink.put_block(&cid, &[&block]);
        let tree_size = block.len() as u64 + child_tree_size;
        self.node_buffer = block;
        let mut links = links;
        links.clear();
        self.levels[level] = links;
        result?;
        Ok(PendingLink { cid, tree_size, file_size })
    }

    fn dag_pb_cid(&self, digest: [u8; 32]) -> Cid {
        match self.options.cid_version {
            CidVersion::V0 => Cid::v0(digest),
            CidVersion::V1 => Cid::v1(DAG_PB, digest).expect("dag-pb is supported"),
        }
    }
}

/// The bytes before and after a leaf's content in a dag-pb UnixFS leaf:
/// `PBNode{Data: Data{Type: File, Data: <content>, filesize: n}}`.
fn leaf_frame(size: u64) -> (Vec<u8>, Vec<u8>) {
    let mut trailer = Vec::with_capacity(11);
    trailer.push(0x18);
    write_varint(&mut trailer, size);
    // Type=File (08 02); Data is omitted for an empty file, as kubo does.
    let data_field_len = if size == 0 { 0 } else { 1 + varint_len(size) + size as usize };
    let unixfs_len = 2 + data_field_len + trailer.len();
    let mut header = Vec::with_capacity(16);
    header.push(0x0a);
    write_varint(&mut header, unixfs_len as u64);
    header.extend_from_slice(&[0x08, 0x02]);
    if size > 0 {
        header.push(0x12);
        write_varint(&mut header, size);
    }
    (header, trailer)
}

/// Appends a dag-pb `PBLink{Hash, Name: "", Tsize}` as field 2 of a PBNode.
fn encode_link(out: &mut Vec<u8>, cid: &Cid, tree_size: u64) {
    let hash = cid.to_bytes();
    let inner_len = 1 + varint_len(hash.len() as u64) + hash.len() + 2 + 1 + varint_len(tree_size);
    out.push(0x12);
    write_varint(out, inner_len as u64);
    out.push(0x0a);
    write_varint(out, hash.len() as u64);
    out.extend_from_slice(&hash);
    out.extend_from_slice(&[0x12, 0x00]);
    out.push(0x18);
    write_varint(out, tree_size);
}

/// Appends a UnixFS `Data` message of type File.
fn encode_unixfs_file(
    out: &mut Vec<u8>,
    content: Option<&[u8]>,
    file_size: u64,
    block_sizes: impl Iterator<Item = u64>,
) {
    out.extend_from_slice(&[0x08, 0x02]);
    if let Some(content) = content {
        out.push(0x12);
        write_varint(out, content.len() as u64);
        out.extend_from_slice(content);
    }
    out.push(0x18);
    write_varint(out, file_size);
    for size in block_sizes {
        out.push(0x20);
        write_varint(out, size);
    }
}
