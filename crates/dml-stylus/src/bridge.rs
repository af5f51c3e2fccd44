//! The engine's side of the token bridge ([`IDmlTokenBridge`]): its
//! calldata and return data, encoded straight from the engine's token slot
//! reads and writes and its token logs.
//!
//! alloy's generic ABI code for these calls (tokenising `engineCommit`'s four
//! dynamic arrays, two of them nested, and decoding `engineLoad`'s word) cost
//! every engine facet program about 1 KB of its 24 KB brotli budget; this is
//! the same encoding in a few loops. The selectors come from the `sol!`
//! interface, the unit tests below check every encoding byte for byte
//! against alloy's, and the token program decodes the calls with alloy's
//! strict decoder.

use alloc::vec::Vec;

use alloy_primitives::U256;
use alloy_sol_types::SolCall;
use dml_engine::Log;

use crate::IDmlTokenBridge;

const WORD: usize = 32;

/// `engineLoad(slot)`, with its selector.
pub(crate) fn engine_load_calldata(slot: U256) -> [u8; 4 + WORD] {
    let mut calldata = [0u8; 4 + WORD];
    calldata[..4].copy_from_slice(&IDmlTokenBridge::engineLoadCall::SELECTOR);
    calldata[4..].copy_from_slice(&slot.to_be_bytes::<WORD>());
    calldata
}

/// `engineTransientStore(slot, value)`, with its selector.
pub(crate) fn engine_transient_store_calldata(slot: U256, value: U256) -> [u8; 4 + 2 * WORD] {
    let mut calldata = [0u8; 4 + 2 * WORD];
    calldata[..4].copy_from_slice(&IDmlTokenBridge::engineTransientStoreCall::SELECTOR);
    calldata[4..4 + WORD].copy_from_slice(&slot.to_be_bytes::<WORD>());
    calldata[4 + WORD..].copy_from_slice(&value.to_be_bytes::<WORD>());
    calldata
}

/// The `uint256` that `engineLoad` returns; `None` unless it is one word.
pub(crate) fn engine_load_return(data: &[u8]) -> Option<U256> {
    let word: [u8; WORD] = data.try_into().ok()?;
    Some(U256::from_be_bytes(word))
}

/// `engineCommit(slots, values, topics, data)` with the slots and values of
/// `writes` and the topics and data of `logs`, with its selector.
pub(crate) fn engine_commit_calldata(writes: &[(U256, U256)], logs: &[Log]) -> Vec<u8> {
    let padded = |len: usize| len.div_ceil(WORD) * WORD;
    // Each argument's tail: its length, then its items; an array of dynamic
    // items has their offsets (from just after the length) before them.
    let words_tail = WORD * (1 + writes.len());
    let topics_tail = WORD * (1 + logs.len()) + logs.iter().map(|log| WORD * (1 + log.topics.len())).sum::<usize>();
    let data_tail = WORD * (1 + logs.len()) + logs.iter().map(|log| WORD + padded(log.data.len())).sum::<usize>();
    let mut out = Vec::with_capacity(4 + 4 * WORD + 2 * words_tail + topics_tail + data_tail);
    out.extend_from_slice(&IDmlTokenBridge::engineCommitCall::SELECTOR);
    let word = |out: &mut Vec<u8>, value: usize| out.extend_from_slice(&U256::from(value).to_be_bytes::<WORD>());
    // The head: where each argument's tail starts, from the head's start.
    let mut at = 4 * WORD;
    for tail in [words_tail, words_tail, topics_tail, data_tail] {
        word(&mut out, at);
        at += tail;
    }
    for values in [false, true] {
        word(&mut out, writes.len());
        for (slot, value) in writes {
            out.extend_from_slice(&(if values { value } else { slot }).to_be_bytes::<WORD>());
        }
    }
    word(&mut out, logs.len());
    let mut offset = WORD * logs.len();
    for log in logs {
        word(&mut out, offset);
        offset += WORD * (1 + log.topics.len());
    }
    for log in logs {
        word(&mut out, log.topics.len());
        for topic in &log.topics {
            out.extend_from_slice(topic.as_slice());
        }
    }
    word(&mut out, logs.len());
    let mut offset = WORD * logs.len();
    for log in logs {
        word(&mut out, offset);
        offset += WORD + padded(log.data.len());
    }
    for log in logs {
        word(&mut out, log.data.len());
        out.extend_from_slice(&log.data);
        out.resize(out.len() + padded(log.data.len()) - log.data.len(), 0);
    }
    out
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Bytes, B256};
    use dml_engine::Contract;

    use super::*;

    fn log(topics: usize, data: usize, seed: u8) -> Log {
        Log {
            contract: Contract::Token,
            topics: (0..topics).map(|i| B256::repeat_byte(seed.wrapping_add(i as u8))).collect(),
            data: Bytes::from((0..data).map(|i| seed ^ i as u8).collect::<Vec<u8>>()),
        }
    }

    fn slot_max() -> U256 {
        U256::MAX - U256::from(0xffu8)
    }

    fn alloy_commit(writes: &[(U256, U256)], logs: &[Log]) -> Vec<u8> {
        IDmlTokenBridge::engineCommitCall {
            slots: writes.iter().map(|(slot, _)| *slot).collect(),
            values: writes.iter().map(|(_, value)| *value).collect(),
            topics: logs.iter().map(|log| log.topics.clone()).collect(),
            data: logs.iter().map(|log| log.data.clone()).collect(),
        }
        .abi_encode()
    }

    #[test]
    fn commits_encode_as_alloy_encodes_them() {
        let writes: Vec<(U256, U256)> =
            (0..5u64).map(|i| (U256::from(i) << 200 | U256::from(i), U256::MAX - U256::from(i))).collect();
        let shapes: [&[(usize, usize)]; 6] =
            [&[], &[(3, 32)], &[(1, 0), (4, 1)], &[(0, 31), (2, 33), (3, 64), (1, 100)], &[(3, 65); 7], &[(0, 0); 3]];
        for shape in shapes {
            let logs: Vec<Log> =
                shape.iter().enumerate().map(|(i, &(topics, data))| log(topics, data, 17 * i as u8 + 1)).collect();
            for n in [0, 1, 5] {
                let writes = &writes[..n];
                let ours = engine_commit_calldata(writes, &logs);
                assert_eq!(ours, alloy_commit(writes, &logs), "{n} writes, logs {shape:?}");
                let decoded = IDmlTokenBridge::engineCommitCall::abi_decode_validate(&ours).expect("strict decode");
                assert_eq!((decoded.slots.len(), decoded.topics.len()), (n, logs.len()));
            }
        }
    }

    #[test]
    fn loads_encode_and_decode_as_alloy_does() {
        for slot in [U256::ZERO, U256::from(7u8), U256::MAX, U256::from(1u8) << 255] {
            assert_eq!(engine_load_calldata(slot).as_slice(), IDmlTokenBridge::engineLoadCall { slot }.abi_encode());
            let returned = IDmlTokenBridge::engineLoadCall::abi_encode_returns(&slot);
            assert_eq!(engine_load_return(&returned), Some(slot));
        }
        let value = U256::from(1u8);
        assert_eq!(
            engine_transient_store_calldata(slot_max(), value).as_slice(),
            IDmlTokenBridge::engineTransientStoreCall { slot: slot_max(), value }.abi_encode()
        );
        assert_eq!(engine_load_return(&[0u8; 31]), None);
        assert_eq!(engine_load_return(&[0u8; 33]), None);
        assert_eq!(engine_load_return(&[]), None);
    }
}
