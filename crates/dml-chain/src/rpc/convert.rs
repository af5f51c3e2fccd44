//! The node's blocks, transactions, receipts and logs in the Ethereum
//! JSON-RPC shapes (alloy's RPC types, which serialize as geth does).

use alloy_consensus::transaction::Recovered;
use alloy_consensus::{Receipt, ReceiptEnvelope, ReceiptWithBloom, Transaction as _, TxType};
use alloy_primitives::U256;
use alloy_rpc_types_eth::{Block, BlockTransactions, Header, Log, Transaction, TransactionReceipt};
use serde_json::Value;

use crate::{block::BlockRecord, block::IncludedTx, precompile::decode_revert_reason};

/// A block header as `eth_getBlockByNumber` and `newHeads` show it.
pub fn header(block: &BlockRecord) -> Header {
    let size = alloy_rlp::Encodable::length(&block.header) as u64;
    Header {
        hash: block.hash,
        inner: block.header.clone(),
        total_difficulty: Some(U256::ZERO),
        size: Some(U256::from(size)),
    }
}

/// A mined transaction.
pub fn transaction(block: &BlockRecord, index: usize) -> Transaction {
    let tx = &block.transactions[index];
    Transaction {
        inner: Recovered::new_unchecked(tx.envelope.clone(), tx.sender),
        block_hash: Some(block.hash),
        block_number: Some(block.header.number),
        transaction_index: Some(index as u64),
        effective_gas_price: Some(block.receipts[index].effective_gas_price),
        block_timestamp: Some(block.header.timestamp),
    }
}

/// A transaction still in the pool.
pub fn pending_transaction(tx: &IncludedTx) -> Transaction {
    Transaction {
        inner: Recovered::new_unchecked(tx.envelope.clone(), tx.sender),
        block_hash: None,
        block_number: None,
        transaction_index: None,
        effective_gas_price: None,
        block_timestamp: None,
    }
}

/// A block, with full transactions or their hashes.
pub fn block(record: &BlockRecord, full: bool) -> Value {
    let transactions = if full {
        BlockTransactions::Full((0..record.transactions.len()).map(|i| transaction(record, i)).collect())
    } else {
        BlockTransactions::Hashes(record.transactions.iter().map(|tx| tx.hash()).collect())
    };
    let block: Block =
        Block { header: header(record), uncles: Vec::new(), transactions, withdrawals: Some(Default::default()) };
    serde_json::to_value(block).unwrap_or(Value::Null)
}

/// The logs of transaction `index`, with block-wide log indices.
pub fn logs(block: &BlockRecord, index: usize) -> Vec<Log> {
    let first = block.first_log_index(index);
    let tx_hash = block.transactions[index].hash();
    block.receipts[index]
        .logs
        .iter()
        .enumerate()
        .map(|(offset, log)| Log {
            inner: log.clone(),
            block_hash: Some(block.hash),
            block_number: Some(block.header.number),
            block_timestamp: Some(block.header.timestamp),
            transaction_hash: Some(tx_hash),
            transaction_index: Some(index as u64),
            log_index: Some(first + offset as u64),
            removed: false,
        })
        .collect()
}

/// The genesis block's own logs (see [`BlockRecord::genesis_logs`]): no
/// transaction carries them, so they have no transaction hash or index.
pub fn genesis_logs(block: &BlockRecord) -> Vec<Log> {
    block
        .genesis_logs
        .iter()
        .enumerate()
        .map(|(index, log)| Log {
            inner: log.clone(),
            block_hash: Some(block.hash),
            block_number: Some(block.header.number),
            block_timestamp: Some(block.header.timestamp),
            transaction_hash: None,
            transaction_index: None,
            log_index: Some(index as u64),
            removed: false,
        })
        .collect()
}

/// The receipt of transaction `index`, with `revertReason` added for a
/// transaction that reverted with an `Error(string)`.
pub fn receipt(block: &BlockRecord, index: usize) -> Value {
    let record = &block.receipts[index];
    let tx = &block.transactions[index];
    let receipt = Receipt {
        status: record.success.into(),
        cumulative_gas_used: record.cumulative_gas_used,
        logs: logs(block, index),
    };
    let with_bloom = ReceiptWithBloom { receipt, logs_bloom: record.bloom() };
    let inner = match block.tx_type(index) {
        TxType::Legacy => ReceiptEnvelope::Legacy(with_bloom),
        TxType::Eip2930 => ReceiptEnvelope::Eip2930(with_bloom),
        TxType::Eip1559 => ReceiptEnvelope::Eip1559(with_bloom),
        TxType::Eip4844 => ReceiptEnvelope::Eip4844(with_bloom),
        TxType::Eip7702 => ReceiptEnvelope::Eip7702(with_bloom),
    };
    let receipt = TransactionReceipt {
        inner,
        transaction_hash: tx.hash(),
        transaction_index: Some(index as u64),
        block_hash: Some(block.hash),
        block_number: Some(block.header.number),
        gas_used: record.gas_used,
        effective_gas_price: record.effective_gas_price,
        blob_gas_used: None,
        blob_gas_price: None,
        from: tx.sender,
        to: tx.envelope.to(),
        contract_address: record.contract_address,
    };
    let mut value = serde_json::to_value(receipt).unwrap_or(Value::Null);
    if !record.success {
        if let (Some(reason), Value::Object(map)) = (decode_revert_reason(&record.revert_data), &mut value) {
            map.insert("revertReason".into(), Value::String(reason));
        }
        if let Value::Object(map) = &mut value {
            if !record.revert_data.is_empty() {
                map.insert("revertData".into(), Value::String(record.revert_data.to_string()));
            }
        }
    }
    value
}

/// The block that would be mined next, as `eth_getBlockByNumber("pending")`
/// shows it: the next number, timestamp and base fee over the head, and the
/// pool's executable transactions (not yet executed, so the roots and gas are
/// the head's). Like geth's, it has no hash.
pub fn pending_block(chain: &crate::Chain, full: bool) -> Value {
    let head = chain.head();
    let mut header = head.header.clone();
    header.parent_hash = head.hash;
    header.number += 1;
    header.timestamp = chain.peek_next_timestamp();
    header.base_fee_per_gas = Some(chain.next_base_fee());
    header.gas_used = 0;
    let pending = chain.executable_transactions();
    let transactions = if full {
        BlockTransactions::Full(pending.iter().map(|tx| pending_transaction(tx)).collect())
    } else {
        BlockTransactions::Hashes(pending.iter().map(|tx| tx.hash()).collect())
    };
    let size = alloy_rlp::Encodable::length(&header) as u64;
    let header = Header {
        hash: Default::default(),
        inner: header,
        total_difficulty: Some(U256::ZERO),
        size: Some(U256::from(size)),
    };
    let block: Block = Block { header, uncles: Vec::new(), transactions, withdrawals: Some(Default::default()) };
    let mut value = serde_json::to_value(block).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("hash".into(), Value::Null);
    }
    value
}
