//! An in-memory Merkle-Patricia trie over 32-byte hashed keys that keeps the
//! encoding of every node it has hashed, so that after a block's changes the
//! root costs the re-encoding of the changed paths alone (a few nodes per
//! changed key) rather than of every leaf.
//!
//! The node encodings are alloy-trie's ([`LeafNodeRef`], [`ExtensionNodeRef`],
//! [`BranchNodeRef`]); this module only keeps the tree and its cache. Keys all
//! have the same length (64 nibbles), so no key is a prefix of another and
//! branches never carry a value.

use alloy_primitives::{keccak256, B256};
use alloy_trie::{
    nodes::{BranchNodeRef, ExtensionNodeRef, LeafNodeRef, RlpNode},
    Nibbles, TrieMask, EMPTY_ROOT_HASH,
};

/// A trie of encoded values by hashed key, with cached node encodings.
#[derive(Clone, Debug, Default)]
pub struct Trie {
    root: Option<Box<Node>>,
}

#[derive(Clone, Debug)]
struct Node {
    kind: Kind,
    /// The node's reference as its parent embeds it (its RLP, or the hash of
    /// it when 32 bytes or longer); `None` until hashed or after a change below.
    rlp: Option<RlpNode>,
}

#[derive(Clone, Debug)]
enum Kind {
    Leaf { key: Nibbles, value: Vec<u8> },
    Extension { key: Nibbles, child: Box<Node> },
    Branch { children: Box<[Option<Box<Node>>; 16]> },
}

impl Node {
    fn new(kind: Kind) -> Box<Self> {
        Box::new(Self { kind, rlp: None })
    }

    fn leaf(key: Nibbles, value: Vec<u8>) -> Box<Self> {
        Self::new(Kind::Leaf { key, value })
    }

    /// `child` under an extension of `key`, or `child` itself when `key` is empty.
    fn extended(key: Nibbles, child: Box<Self>) -> Box<Self> {
        if key.is_empty() {
            child
        } else {
            Self::new(Kind::Extension { key, child })
        }
    }

    /// `child` with `prefix` put before its path: what is left when a branch
    /// or an extension above it no longer branches.
    fn prefixed(prefix: Nibbles, child: Box<Self>) -> Box<Self> {
        match child.kind {
            Kind::Leaf { key, value } => Self::leaf(prefix.join(&key), value),
            Kind::Extension { key, child } => Self::new(Kind::Extension { key: prefix.join(&key), child }),
            Kind::Branch { .. } => Self::new(Kind::Extension { key: prefix, child }),
        }
    }

    /// A branch over two nodes at different nibbles.
    fn fork(first: (u8, Box<Self>), second: (u8, Box<Self>)) -> Box<Self> {
        let mut children: Box<[Option<Box<Self>>; 16]> = Box::default();
        children[usize::from(first.0)] = Some(first.1);
        children[usize::from(second.0)] = Some(second.1);
        Self::new(Kind::Branch { children })
    }
}

/// Sets `path` to `value` under `node` (the path relative to the node).
fn insert(node: Option<Box<Node>>, path: Nibbles, value: Vec<u8>) -> Box<Node> {
    let Some(node) = node else { return Node::leaf(path, value) };
    match node.kind {
        Kind::Leaf { key, value: old } => {
            if key == path {
                return Node::leaf(path, value);
            }
            let common = key.common_prefix_length(&path);
            let fork = Node::fork(
                (key.get_unchecked(common), Node::leaf(key.slice(common + 1..), old)),
                (path.get_unchecked(common), Node::leaf(path.slice(common + 1..), value)),
            );
            Node::extended(path.slice(..common), fork)
        }
        Kind::Extension { key, child } => {
            let common = key.common_prefix_length(&path);
            if common == key.len() {
                let child = insert(Some(child), path.slice(common..), value);
                return Node::new(Kind::Extension { key, child });
            }
            let rest = Node::extended(key.slice(common + 1..), child);
            let fork = Node::fork(
                (key.get_unchecked(common), rest),
                (path.get_unchecked(common), Node::leaf(path.slice(common + 1..), value)),
            );
            Node::extended(path.slice(..common), fork)
        }
        Kind::Branch { mut children } => {
            let index = usize::from(path.get_unchecked(0));
            children[index] = Some(insert(children[index].take(), path.slice(1..), value));
            Node::new(Kind::Branch { children })
        }
    }
}

/// Removes `path` from under `node`: `Ok` with what replaces the node, or
/// `Err` with the node unchanged (cache kept) when the path is not there.
fn remove(node: Node, path: Nibbles) -> Result<Option<Box<Node>>, Box<Node>> {
    let Node { kind, rlp } = node;
    let unchanged =
        |kind: Kind| -> Result<Option<Box<Node>>, Box<Node>> { Err(Box::new(Node { kind, rlp: rlp.clone() })) };
    match kind {
        Kind::Leaf { key, value } => {
            if key == path {
                Ok(None)
            } else {
                unchanged(Kind::Leaf { key, value })
            }
        }
        Kind::Extension { key, child } => {
            if !path.starts_with(&key) {
                return unchanged(Kind::Extension { key, child });
            }
            match remove(*child, path.slice(key.len()..)) {
                Err(child) => unchanged(Kind::Extension { key, child }),
                Ok(Some(child)) => Ok(Some(Node::prefixed(key, child))),
                // Below an extension is a branch, which never empties at once.
                Ok(None) => Ok(None),
            }
        }
        Kind::Branch { mut children } => {
            let index = usize::from(path.get_unchecked(0));
            let Some(child) = children[index].take() else {
                return unchanged(Kind::Branch { children });
            };
            match remove(*child, path.slice(1..)) {
                Err(child) => {
                    children[index] = Some(child);
                    unchanged(Kind::Branch { children })
                }
                Ok(replacement) => {
                    children[index] = replacement;
                    let mut left = children.iter().enumerate().filter(|(_, child)| child.is_some()).map(|(i, _)| i);
                    match (left.next(), left.next()) {
                        (Some(only), None) => {
                            let child = children[only].take().expect("the one child left");
                            Ok(Some(Node::prefixed(Nibbles::from_nibbles_unchecked([only as u8]), child)))
                        }
                        (None, _) => Ok(None),
                        _ => Ok(Some(Node::new(Kind::Branch { children }))),
                    }
                }
            }
        }
    }
}

/// The node's reference, from the cache or encoded now (and cached).
fn reference(node: &mut Node, buf: &mut Vec<u8>) -> RlpNode {
    if let Some(rlp) = &node.rlp {
        return rlp.clone();
    }
    let rlp = match &mut node.kind {
        Kind::Leaf { key, value } => {
            buf.clear();
            LeafNodeRef::new(key, value).rlp(buf)
        }
        Kind::Extension { key, child } => {
            let child = reference(child, buf);
            buf.clear();
            ExtensionNodeRef::new(key, &child).rlp(buf)
        }
        Kind::Branch { children } => {
            let mut stack = Vec::with_capacity(16);
            let mut mask = TrieMask::default();
            for (index, child) in children.iter_mut().enumerate() {
                if let Some(child) = child {
                    stack.push(reference(child, buf));
                    mask.set_bit(index as u8);
                }
            }
            buf.clear();
            BranchNodeRef::new(&stack, mask).rlp(buf)
        }
    };
    node.rlp = Some(rlp.clone());
    rlp
}

impl Trie {
    /// An empty trie.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the trie holds no key.
    pub fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    /// Sets `key` to the encoded `value` (the leaf's value as the trie hashes it).
    pub fn insert(&mut self, key: &B256, value: Vec<u8>) {
        self.root = Some(insert(self.root.take(), Nibbles::unpack(key), value));
    }

    /// Removes `key`; nothing changes (and no cache is dropped) when it is absent.
    pub fn remove(&mut self, key: &B256) {
        if let Some(root) = self.root.take() {
            self.root = remove(*root, Nibbles::unpack(key)).unwrap_or_else(Some);
        }
    }

    /// The root hash, re-encoding only the nodes changed since the last call.
    pub fn root(&mut self) -> B256 {
        let Some(root) = &mut self.root else { return EMPTY_ROOT_HASH };
        let rlp = reference(root, &mut Vec::with_capacity(600));
        // The root is hashed even when its encoding is shorter than a hash.
        rlp.as_hash().unwrap_or_else(|| keccak256(&rlp[..]))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    /// alloy-trie's root of the same leaves, built from scratch.
    fn reference_root(leaves: &BTreeMap<B256, Vec<u8>>) -> B256 {
        let mut builder = alloy_trie::HashBuilder::default();
        for (key, value) in leaves {
            builder.add_leaf(Nibbles::unpack(key), value);
        }
        builder.root()
    }

    #[test]
    fn an_empty_trie_and_one_emptied_have_the_empty_root() {
        let mut trie = Trie::new();
        assert_eq!(trie.root(), EMPTY_ROOT_HASH);
        let key = keccak256([1]);
        trie.insert(&key, vec![0x05]);
        assert_ne!(trie.root(), EMPTY_ROOT_HASH);
        trie.remove(&key);
        assert!(trie.is_empty());
        assert_eq!(trie.root(), EMPTY_ROOT_HASH);
    }

    #[test]
    fn removing_an_absent_key_changes_nothing() {
        let mut trie = Trie::new();
        let mut leaves = BTreeMap::new();
        for i in 0u8..40 {
            let key = keccak256([i]);
            trie.insert(&key, vec![i + 1]);
            leaves.insert(key, vec![i + 1]);
        }
        let root = trie.root();
        trie.remove(&keccak256([200]));
        assert_eq!(trie.root(), root);
        assert_eq!(root, reference_root(&leaves));
    }

    /// Keys from a small pool (so that updates and removals hit), some of
    /// them sharing long prefixes (so that extensions form and collapse).
    fn key(index: u8) -> B256 {
        if index % 4 == 0 {
            let mut bytes = [0xab; 32];
            bytes[31] = index;
            bytes[20] = index / 8;
            B256::from(bytes)
        } else {
            keccak256([index])
        }
    }

    proptest! {
        #[test]
        fn the_root_equals_a_root_from_scratch_after_every_change(
            steps in proptest::collection::vec((0u8..64, proptest::option::of(proptest::collection::vec(any::<u8>(), 1..70))), 1..200),
            check_every in 1usize..8,
        ) {
            let mut trie = Trie::new();
            let mut leaves = BTreeMap::new();
            for (step, (index, value)) in steps.into_iter().enumerate() {
                let key = key(index);
                match value {
                    Some(value) => {
                        trie.insert(&key, value.clone());
                        leaves.insert(key, value);
                    }
                    None => {
                        trie.remove(&key);
                        leaves.remove(&key);
                    }
                }
                if step % check_every == 0 {
                    let expected = if leaves.is_empty() { EMPTY_ROOT_HASH } else { reference_root(&leaves) };
                    prop_assert_eq!(trie.root(), expected, "step {}", step);
                }
            }
            let expected = if leaves.is_empty() { EMPTY_ROOT_HASH } else { reference_root(&leaves) };
            prop_assert_eq!(trie.root(), expected);
        }
    }
}
