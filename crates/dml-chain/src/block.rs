//! Mined blocks as the node keeps and persists them: the header, the signed
//! transactions with their recovered senders, the receipts, and the state
//! diff that lets the block be undone.

use alloy_consensus::{
    Eip658Value, Header, Receipt, ReceiptEnvelope, ReceiptWithBloom, Transaction, TxEnvelope, TxType,
};
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::{Address, Bloom, Bytes, Log, B256};
use serde::{Deserialize, Serialize};

use crate::{chain::StateEdits, state::StateDiff};

/// A signed transaction with its sender, as included in a block.
#[derive(Clone, Debug, PartialEq)]
pub struct IncludedTx {
    /// The signed transaction.
    pub envelope: TxEnvelope,
    /// Its recovered sender.
    pub sender: Address,
}

impl IncludedTx {
    /// The transaction hash.
    pub fn hash(&self) -> B256 {
        *self.envelope.tx_hash()
    }
}

impl Serialize for IncludedTx {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (Bytes::from(self.envelope.encoded_2718()), self.sender).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for IncludedTx {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (raw, sender) = <(Bytes, Address)>::deserialize(deserializer)?;
        let envelope = TxEnvelope::decode_2718(&mut raw.as_ref()).map_err(serde::de::Error::custom)?;
        Ok(Self { envelope, sender })
    }
}

/// The outcome of one included transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptRecord {
    /// Whether execution succeeded (EIP-658 status 1).
    pub success: bool,
    /// Gas charged to this transaction (after refunds).
    pub gas_used: u64,
    /// Gas used by this and all earlier transactions of the block.
    pub cumulative_gas_used: u64,
    /// Price paid per gas in wei.
    pub effective_gas_price: u128,
    /// Logs in emission order.
    pub logs: Vec<Log>,
    /// Address of the contract a creation deployed.
    pub contract_address: Option<Address>,
    /// Revert data of a failed transaction (empty for success or a halt).
    pub revert_data: Bytes,
}

impl ReceiptRecord {
    /// The consensus receipt (for the receipts root and bloom).
    pub fn envelope(&self, tx_type: TxType) -> ReceiptEnvelope {
        let receipt = Receipt {
            status: Eip658Value::Eip658(self.success),
            cumulative_gas_used: self.cumulative_gas_used,
            logs: self.logs.clone(),
        };
        let with_bloom = ReceiptWithBloom::from(receipt);
        match tx_type {
            TxType::Legacy => ReceiptEnvelope::Legacy(with_bloom),
            TxType::Eip2930 => ReceiptEnvelope::Eip2930(with_bloom),
            TxType::Eip1559 => ReceiptEnvelope::Eip1559(with_bloom),
            TxType::Eip4844 => ReceiptEnvelope::Eip4844(with_bloom),
            TxType::Eip7702 => ReceiptEnvelope::Eip7702(with_bloom),
        }
    }

    /// The bloom filter of this receipt's logs.
    pub fn bloom(&self) -> Bloom {
        let mut bloom = Bloom::default();
        for log in &self.logs {
            bloom.accrue_log(log);
        }
        bloom
    }
}

/// A mined block.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlockRecord {
    /// The header (its hash is `hash`).
    pub header: Header,
    /// `keccak256(rlp(header))`.
    pub hash: B256,
    /// Transactions in order.
    pub transactions: Vec<IncludedTx>,
    /// One receipt per transaction.
    pub receipts: Vec<ReceiptRecord>,
    /// The values this block overwrote.
    pub diff: StateDiff,
    /// Genesis only: the events the engine's genesis emitted (the
    /// allocations' `Transfer`s, the genesis models' `ModelRegistered` and
    /// rate changes), which no transaction carries. `eth_getLogs` serves them
    /// as block 0's, without a transaction hash, so clients that find models
    /// by their events find the genesis models too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub genesis_logs: Vec<Log>,
    /// State set outside transactions (`anvil_setBalance`, …) before this
    /// block's transactions, so a replay arrives at the same state.
    #[serde(default, skip_serializing_if = "StateEdits::is_empty")]
    pub edits: StateEdits,
}

impl BlockRecord {
    /// Index of the first log of transaction `index` within the block.
    pub fn first_log_index(&self, index: usize) -> u64 {
        self.receipts[..index].iter().map(|receipt| receipt.logs.len() as u64).sum()
    }

    /// The type of transaction `index`.
    pub fn tx_type(&self, index: usize) -> TxType {
        self.transactions[index].envelope.tx_type()
    }

    /// Gas limit of transaction `index`.
    pub fn tx_gas_limit(&self, index: usize) -> u64 {
        self.transactions[index].envelope.gas_limit()
    }
}
