//! Decoding of dag-pb nodes and the UnixFS `Data` message they carry, for
//! reading files back and walking DAGs (pinning, GC).
//!
//! Specs: dag-pb <https://ipld.io/specs/codecs/dag-pb/spec/> and UnixFS
//! <https://github.com/ipfs/specs/blob/main/UNIXFS.md>.

use crate::cid::{read_varint, Cid};

/// Why a block could not be decoded as dag-pb / UnixFS.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The protobuf is cut short or malformed.
    #[error("malformed protobuf: {0}")]
    Protobuf(&'static str),
    /// A link's hash is not a CID we accept.
    #[error("bad link CID: {0}")]
    LinkCid(#[from] crate::cid::CidError),
    /// The node is not a UnixFS file (a directory, symlink, …).
    #[error("not a UnixFS file (type {0}); directories are not supported")]
    NotAFile(u64),
    /// The node's `blocksizes` do not match its links.
    #[error("UnixFS node has {links} links but {block_sizes} blocksizes")]
    BlockSizesMismatch {
        /// Number of links.
        links: usize,
        /// Number of blocksizes.
        block_sizes: usize,
    },
}

/// One dag-pb link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PbLink {
    /// Target of the link.
    pub cid: Cid,
    /// Cumulative size of the target's DAG (`Tsize`), if present.
    pub tree_size: Option<u64>,
}

/// A decoded dag-pb node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PbNode<'a> {
    /// The links, in order.
    pub links: Vec<PbLink>,
    /// The opaque `Data` field (a UnixFS message for files).
    pub data: Option<&'a [u8]>,
}

/// The fields of a UnixFS `Data` message that files use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnixfsFile<'a> {
    /// Inline content (leaves; may be empty).
    pub content: &'a [u8],
    /// Total file bytes under this node.
    pub file_size: u64,
    /// File bytes under each link, in link order.
    pub block_sizes: Vec<u64>,
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<u64, DecodeError> {
        read_varint(&mut self.rest).map_err(|_| DecodeError::Protobuf("bad varint"))
    }

    fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let len = self.varint()?;
        if len > self.rest.len() as u64 {
            return Err(DecodeError::Protobuf("length past end of block"));
        }
        let (head, tail) = self.rest.split_at(len as usize);
        self.rest = tail;
        Ok(head)
    }

    /// Skips a field of the given wire type.
    fn skip(&mut self, wire_type: u64) -> Result<(), DecodeError> {
        match wire_type {
            0 => self.varint().map(drop),
            1 | 5 => {
                let width = if wire_type == 1 { 8 } else { 4 };
                if self.rest.len() < width {
                    return Err(DecodeError::Protobuf("fixed field past end"));
                }
                self.rest = &self.rest[width..];
                Ok(())
            }
            2 => self.bytes().map(drop),
            _ => Err(DecodeError::Protobuf("unsupported wire type")),
        }
    }
}

/// Decodes a dag-pb block.
pub fn decode_node(block: &[u8]) -> Result<PbNode<'_>, DecodeError> {
    let mut reader = Reader { rest: block };
    let mut node = PbNode { links: Vec::new(), data: None };
    while !reader.rest.is_empty() {
        let key = reader.varint()?;
        match (key >> 3, key & 7) {
            (1, 2) => node.data = Some(reader.bytes()?),
            (2, 2) => node.links.push(decode_link(reader.bytes()?)?),
            (_, wire_type) => reader.skip(wire_type)?,
        }
    }
    Ok(node)
}

fn decode_link(bytes: &[u8]) -> Result<PbLink, DecodeError> {
    let mut reader = Reader { rest: bytes };
    let mut cid = None;
    let mut tree_size = None;
    while !reader.rest.is_empty() {
        let key = reader.varint()?;
        match (key >> 3, key & 7) {
            (1, 2) => cid = Some(Cid::from_bytes(reader.bytes()?)?),
            (3, 0) => tree_size = Some(reader.varint()?),
            (_, wire_type) => reader.skip(wire_type)?,
        }
    }
    let cid = cid.ok_or(DecodeError::Protobuf("link without hash"))?;
    Ok(PbLink { cid, tree_size })
}

/// UnixFS `Data.Type` values that hold file bytes: Raw (0) and File (2).
const UNIXFS_RAW: u64 = 0;
const UNIXFS_FILE: u64 = 2;

/// Decodes the UnixFS message of a file node.
pub fn decode_unixfs_file(data: &[u8]) -> Result<UnixfsFile<'_>, DecodeError> {
    let mut reader = Reader { rest: data };
    let mut kind = None;
    let mut file = UnixfsFile { content: &[], file_size: 0, block_sizes: Vec::new() };
    let mut file_size = None;
    while !reader.rest.is_empty() {
        let key = reader.varint()?;
        match (key >> 3, key & 7) {
            (1, 0) => kind = Some(reader.varint()?),
            (2, 2) => file.content = reader.bytes()?,
            (3, 0) => file_size = Some(reader.varint()?),
            (4, 0) => file.block_sizes.push(reader.varint()?),
            (4, 2) => {
                // Packed encoding, accepted for robustness.
                let mut packed = Reader { rest: reader.bytes()? };
                while !packed.rest.is_empty() {
                    file.block_sizes.push(packed.varint()?);
                }
            }
            (_, wire_type) => reader.skip(wire_type)?,
        }
    }
    match kind {
        Some(UNIXFS_FILE | UNIXFS_RAW) => {}
        Some(other) => return Err(DecodeError::NotAFile(other)),
        None => return Err(DecodeError::Protobuf("UnixFS message without Type")),
    }
    file.file_size = file_size.unwrap_or(file.content.len() as u64 + file.block_sizes.iter().sum::<u64>());
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::{BlockSink, DagBuilder, DagOptions};

    struct Collect(Vec<(Cid, Vec<u8>)>);
    impl BlockSink for Collect {
        type Error = std::convert::Infallible;
        fn put_block(&mut self, cid: &Cid, parts: &[&[u8]]) -> Result<(), Self::Error> {
            self.0.push((*cid, parts.concat()));
            Ok(())
        }
    }

    #[test]
    fn decodes_what_the_builder_encodes() {
        let options = DagOptions { chunk_size: 10, max_links: 3, ..DagOptions::V0 };
        let data: Vec<u8> = (0..95u8).collect();
        let mut builder = DagBuilder::new(options, Collect(Vec::new()));
        builder.write(&data).unwrap();
        let (root, Collect(blocks)) = builder.finish().unwrap();
        let (root_cid, root_block) = blocks.last().unwrap();
        assert_eq!(*root_cid, root.cid);
        let node = decode_node(root_block).unwrap();
        let unixfs = decode_unixfs_file(node.data.unwrap()).unwrap();
        assert_eq!(unixfs.file_size, 95);
        assert_eq!(unixfs.block_sizes.len(), node.links.len());
        assert_eq!(unixfs.block_sizes.iter().sum::<u64>(), 95);
        let leaf = decode_node(&blocks[0].1).unwrap();
        assert!(leaf.links.is_empty());
        assert_eq!(decode_unixfs_file(leaf.data.unwrap()).unwrap().content, &data[..10]);
    }

    #[test]
    fn malformed_blocks_are_rejected() {
        assert!(matches!(decode_node(&[0x0a, 0x05, 1]), Err(DecodeError::Protobuf(_))));
        assert!(matches!(decode_node(&[0x12, 0x02, 0x0a, 0x00]), Err(DecodeError::LinkCid(_))));
        assert_eq!(decode_unixfs_file(&[0x08, 0x01]), Err(DecodeError::NotAFile(1)));
        assert!(matches!(decode_unixfs_file(&[0x18]), Err(DecodeError::Protobuf(_))));
    }
}
